//! JSON numbers without floats: exact integers, or the parsed text.

use crate::core::decimal;

/// A JSON number: an integer that fits `u64` (or, when negative, `i64`) is
/// kept as that integer; any other number (a fraction, an exponent, `-0`,
/// an integer out of range) as the text it was parsed from, written back
/// unchanged. So the wasm never parses or prints a float.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number(Repr);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Repr {
    /// A non-negative integer.
    Pos(u64),
    /// A negative integer.
    Neg(i64),
    /// Anything else, as parsed (a valid RFC 8259 number).
    Text(Box<str>),
}

impl Number {
    /// The number of a lexeme the parser has checked against RFC 8259's grammar.
    pub(super) fn from_lexeme(text: &str) -> Self {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if digits.bytes().all(|b| b.is_ascii_digit()) {
            let mut n: u64 = 0;
            let fits = digits.bytes().all(|b| {
                match n
                    .checked_mul(10)
                    .and_then(|m| m.checked_add(u64::from(b - b'0')))
                {
                    Some(m) => {
                        n = m;
                        true
                    }
                    None => false,
                }
            });
            if fits {
                if !negative {
                    return Number(Repr::Pos(n));
                }
                if n > 0 {
                    if let Some(i) = 0i64.checked_sub_unsigned(n) {
                        return Number(Repr::Neg(i));
                    }
                }
            }
        }
        Number(Repr::Text(text.into()))
    }

    /// The number as a `u64`, if it is a non-negative integer that fits.
    pub fn as_u64(&self) -> Option<u64> {
        match self.0 {
            Repr::Pos(n) => Some(n),
            _ => None,
        }
    }

    /// The number as an `i64`, if it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            Repr::Pos(n) => i64::try_from(n).ok(),
            Repr::Neg(n) => Some(n),
            Repr::Text(_) => None,
        }
    }

    /// Whether [`Number::as_u64`] gives a value.
    pub fn is_u64(&self) -> bool {
        self.as_u64().is_some()
    }

    /// Whether [`Number::as_i64`] gives a value.
    pub fn is_i64(&self) -> bool {
        self.as_i64().is_some()
    }

    /// The integer part of a number that is not below zero (`1.9` is 1,
    /// `1.5e3` 1500, `-0.0` 0), computed exactly from the digits; `None`
    /// when it is negative or does not fit a `u64`.
    pub fn trunc_u64(&self) -> Option<u64> {
        match &self.0 {
            Repr::Pos(n) => Some(*n),
            Repr::Neg(_) => None,
            Repr::Text(t) => trunc_text(t),
        }
    }

    /// Appends the number's JSON text.
    pub fn write(&self, out: &mut String) {
        match &self.0 {
            Repr::Pos(n) => decimal::push_u64(out, *n),
            Repr::Neg(n) => decimal::push_i64(out, *n),
            Repr::Text(t) => out.push_str(t),
        }
    }
}

/// [`Number::trunc_u64`] of a lexeme: `-?int(.frac)?([eE][+-]?exp)?`.
fn trunc_text(text: &str) -> Option<u64> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (rest.get(..i)?, rest.get(i + 1..)?),
        None => (rest, "0"),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // The decimal point sits after `int.len() + exp` digits of int+frac.
    let (exp_negative, exp_digits) = match exp.as_bytes().first() {
        Some(b'-') => (true, exp.get(1..)?),
        Some(b'+') => (false, exp.get(1..)?),
        _ => (false, exp),
    };
    let mut e: i64 = 0;
    for b in exp_digits.bytes() {
        // Saturates far beyond any u64: 1e999999999999 is simply too large.
        e = e.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if exp_negative {
        e = -e;
    }
    let point = i64::try_from(int.len()).ok()?.saturating_add(e);
    let digits = int.bytes().chain(frac.bytes());
    let mut n: u64 = 0;
    let mut taken: i64 = 0;
    for b in digits {
        if taken >= point {
            break;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        taken += 1;
    }
    while taken < point {
        if n == 0 {
            // Zeros stay zero however far they are shifted.
            break;
        }
        n = n.checked_mul(10)?;
        taken += 1;
    }
    if negative && (n != 0 || has_nonzero_fraction(int, frac, point)) {
        return None;
    }
    Some(n)
}

/// Whether digits after the decimal point (at `point`) are not all zero,
/// i.e. a negative number is really below zero (`-0.5`), not `-0.0`.
fn has_nonzero_fraction(int: &str, frac: &str, point: i64) -> bool {
    let skip = usize::try_from(point.max(0)).unwrap_or(usize::MAX);
    int.bytes()
        .chain(frac.bytes())
        .skip(skip)
        .any(|b| b != b'0')
}

impl From<u64> for Number {
    fn from(n: u64) -> Self {
        Number(Repr::Pos(n))
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Self {
        if n < 0 {
            Number(Repr::Neg(n))
        } else {
            Number(Repr::Pos(n.unsigned_abs()))
        }
    }
}

macro_rules! from_unsigned {
    ($($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(n: $t) -> Self {
                // usize is at most 64 bits on every target this builds for.
                Number(Repr::Pos(n as u64))
            }
        }
    )*};
}

from_unsigned!(u8, u16, u32, usize);

impl From<i32> for Number {
    fn from(n: i32) -> Self {
        Number::from(i64::from(n))
    }
}
