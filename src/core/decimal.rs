//! Integers as text without `core::fmt`: `format!("{n}")` and
//! `n.to_string()` drag the formatting machinery (`Formatter`, padding,
//! and through shared vtables the float printers) into the wasm. Every
//! number the package writes into JSON or a message goes through here.

/// Appends `n` in decimal.
pub fn push_u64(out: &mut String, n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        out.push(char::from(b));
    }
}

/// Appends `n` in decimal, with a `-` when negative.
pub fn push_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_u64(out, n.unsigned_abs());
}

/// Appends `n` in decimal, left-padded with zeros to at least `width` digits.
pub fn push_padded(out: &mut String, n: u64, width: usize) {
    let mut digits = String::new();
    push_u64(&mut digits, n);
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

/// `n` in decimal.
pub fn u64_text(n: u64) -> String {
    let mut out = String::new();
    push_u64(&mut out, n);
    out
}

/// Appends `n` in lowercase hex, left-padded with zeros to at least
/// `width` digits (`format!("{n:0width$x}")`).
pub fn push_hex(out: &mut String, n: u64, width: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits = (64 - n.leading_zeros())
        .div_ceil(4)
        .max(width.min(16))
        .max(1);
    for shift in (0..digits).rev() {
        out.push(char::from(HEX[((n >> (shift * 4)) & 0xf) as usize]));
    }
}

/// Appends `n` as 16 lowercase hex digits (`format!("{n:016x}")`).
pub fn push_hex16(out: &mut String, n: u64) {
    push_hex(out, n, 16);
}

/// Concatenates `parts`: messages assembled from static pieces and values
/// without `format!`.
pub fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

/// A piece of a message [`cat!`] appends: text as is, integers in decimal.
pub trait Piece {
    /// Appends this piece to `out`.
    fn push_to(&self, out: &mut String);
}

impl Piece for str {
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for String {
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for bool {
    fn push_to(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl Piece for char {
    fn push_to(&self, out: &mut String) {
        out.push(*self);
    }
}

impl<T: Piece + ?Sized> Piece for &T {
    fn push_to(&self, out: &mut String) {
        (**self).push_to(out);
    }
}

macro_rules! piece_unsigned {
    ($($t:ty),*) => {$(
        impl Piece for $t {
            fn push_to(&self, out: &mut String) {
                // Widening: every value of $t fits a u64.
                push_u64(out, *self as u64);
            }
        }
    )*};
}

piece_unsigned!(u8, u16, u32, u64, usize);

impl Piece for i64 {
    fn push_to(&self, out: &mut String) {
        push_i64(out, *self);
    }
}

/// Builds a message from pieces (`&str`, `String`, `char`, integers) with
/// no `core::fmt`: `cat!("no answer within ", ms, " ms")`.
macro_rules! cat {
    ($($piece:expr),* $(,)?) => {{
        let mut out = ::std::string::String::new();
        $( $crate::core::decimal::Piece::push_to(&$piece, &mut out); )*
        out
    }};
}

pub(crate) use cat;

/// For error types with a `message()`: a [`Piece`] of messages (`cat!("x:
/// ", err)`), and `Display` through it for host tests only (the wasm never
/// formats: it hands out codes and messages).
macro_rules! display_for_tests {
    ($($t:ty),*) => {$(
        impl $crate::core::decimal::Piece for $t {
            fn push_to(&self, out: &mut String) {
                out.push_str(&self.message());
            }
        }

        #[cfg(all(test, not(target_arch = "wasm32")))]
        impl ::std::fmt::Display for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.message())
            }
        }
    )*};
}

pub(crate) use display_for_tests;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn edges() {
        assert_eq!(u64_text(0), "0");
        assert_eq!(u64_text(u64::MAX), u64::MAX.to_string());
        let mut s = String::new();
        push_i64(&mut s, i64::MIN);
        assert_eq!(s, i64::MIN.to_string());
        s.clear();
        push_padded(&mut s, 7, 3);
        push_padded(&mut s, 12345, 2);
        assert_eq!(s, "00712345");
        s.clear();
        push_hex16(&mut s, 0xabc);
        assert_eq!(s, "0000000000000abc");
        s.clear();
        push_hex(&mut s, 0, 0);
        push_hex(&mut s, 0xabc, 2);
        assert_eq!(s, "0abc");
        assert_eq!(concat(&["a", "", "bc"]), "abc");
        let owned = String::from("x");
        assert_eq!(
            cat!("n=", 42u32, ' ', owned, -3i64, "/", &owned),
            "n=42 x-3/x"
        );
    }

    proptest! {
        #[test]
        fn same_as_fmt(n in any::<u64>(), i in any::<i64>(), w in 0usize..25) {
            prop_assert_eq!(u64_text(n), n.to_string());
            let mut s = String::new();
            push_i64(&mut s, i);
            prop_assert_eq!(s, i.to_string());
            let mut s = String::new();
            push_padded(&mut s, n, w);
            prop_assert_eq!(s, format!("{n:0w$}"));
            let mut s = String::new();
            push_hex16(&mut s, n);
            prop_assert_eq!(s, format!("{n:016x}"));
            let width = (w % 17) as u32;
            let mut s = String::new();
            push_hex(&mut s, n, width);
            prop_assert_eq!(s, format!("{n:0w$x}", w = width as usize));
        }
    }
}
