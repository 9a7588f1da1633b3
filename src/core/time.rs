//! Instants on the wire, in one place: every date the package reads from the
//! network or storage goes through [`parse`], every date it sends through
//! [`format_iso`].
//!
//! The real server types its dates as `Date` (`serverTime`, message
//! `timestamp`, typing `startedAt`; `customStatus.expiresAt` going in), which
//! Socket.IO puts on the wire as ISO-8601 strings (`2026-02-03T15:00:00.123Z`);
//! test servers and older clients send milliseconds since the epoch. So
//! [`parse`] takes both, and [`format_iso`] writes what `Date.prototype
//! .toISOString()` writes (UTC, millisecond precision, `Z`), which is what a
//! server's `new Date(text)` or a Postgres `TIMESTAMPTZ` column reads back
//! exactly.
//!
//! Range: 1970-01-01 up to the largest JavaScript `Date` ([`MAX_MS`], year
//! 275760). Anything outside is refused (`None`), never wrapped or clamped,
//! so a hostile number cannot overflow later arithmetic.

use super::decimal::push_padded;
use super::json::Value;

use super::Millis;

/// The largest instant a JavaScript `Date` can hold: 8.64e15 ms
/// (+275760-09-13T00:00:00.000Z).
pub const MAX_MS: Millis = 8_640_000_000_000_000;

const MS_PER_DAY: i64 = 86_400_000;

/// Milliseconds since the epoch from a JSON value: a non-negative number of
/// ms (fractions are cut), a string of digits (ms), or an ISO-8601 string
/// (see [`parse_str`]). `None` for anything else, before 1970 or after
/// [`MAX_MS`].
pub fn parse(value: &Value) -> Option<Millis> {
    match value {
        Value::Number(n) => n.trunc_u64().filter(|&ms| ms <= MAX_MS),
        Value::String(s) => parse_str(s),
        _ => None,
    }
}

/// [`parse`] of a string: digits are ms; otherwise an ISO-8601 date-time,
/// surrounding blanks ignored:
///
/// - date `YYYY-MM-DD`, or `±YYYYYY-MM-DD` (the extended years of `toISOString`);
/// - then optionally `T` (or `t`, or a space) and `HH:MM`, `HH:MM:SS` or
///   `HH:MM:SS.fff` (any number of fraction digits, `.` or `,`; cut to ms);
/// - then optionally a zone: `Z`, `±HH:MM`, `±HHMM` or `±HH`. Without a
///   zone the time is UTC (a server has no idea of the browser's zone).
pub fn parse_str(s: &str) -> Option<Millis> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<Millis>().ok().filter(|&ms| ms <= MAX_MS);
    }
    parse_iso(s)
}

/// `ms` as ISO-8601 UTC with milliseconds, exactly like JavaScript's
/// `toISOString()`: `2026-02-03T15:00:00.123Z`, years past 9999 as
/// `+010000-01-01T00:00:00.000Z`. `None` past [`MAX_MS`].
pub fn format_iso(ms: Millis) -> Option<String> {
    if ms > MAX_MS {
        return None;
    }
    // ms <= 8.64e15 fits an i64 with room to spare.
    let ms = i64::try_from(ms).ok()?;
    let days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute) = (in_day / 3_600_000, in_day / 60_000 % 60);
    let (second, milli) = (in_day / 1_000 % 60, in_day % 1_000);
    let mut out = String::with_capacity(27);
    // Every part is non-negative: the year is at least 1970.
    if year > 9_999 {
        out.push('+');
        push_padded(&mut out, year.unsigned_abs(), 6);
    } else {
        push_padded(&mut out, year.unsigned_abs(), 4);
    }
    for (sep, part, width) in [
        ('-', month, 2),
        ('-', day, 2),
        ('T', hour, 2),
        (':', minute, 2),
        (':', second, 2),
        ('.', milli, 3),
    ] {
        out.push(sep);
        push_padded(&mut out, part.unsigned_abs(), width);
    }
    out.push('Z');
    Some(out)
}

/// Milliseconds from a JavaScript number: finite, not negative, at most
/// [`MAX_MS`]; fractions are cut.
pub fn from_f64(ms: f64) -> Option<Millis> {
    if ms.is_finite() && (0.0..=MAX_MS as f64).contains(&ms) {
        // In range and finite: the cast truncates, it cannot saturate.
        Some(ms as Millis)
    } else {
        None
    }
}

/// [`format_iso`] as a JSON string value (`null` past [`MAX_MS`]).
pub fn to_json(ms: Millis) -> Value {
    format_iso(ms).map_or(Value::Null, Value::String)
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn eat_any(&mut self, set: &[u8]) -> Option<u8> {
        let b = self.peek().filter(|b| set.contains(b))?;
        self.pos += 1;
        Some(b)
    }

    /// Exactly `n` digits (n <= 6, so no overflow).
    fn digits(&mut self, n: usize) -> Option<i64> {
        let mut v: i64 = 0;
        for _ in 0..n {
            let d = self.peek().filter(u8::is_ascii_digit)?;
            v = v * 10 + i64::from(d - b'0');
            self.pos += 1;
        }
        Some(v)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// algorithm); |year| <= 999_999 keeps every step far from overflow.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn parse_iso(s: &str) -> Option<Millis> {
    let mut c = Cursor {
        bytes: s.as_bytes(),
        pos: 0,
    };
    let year = match c.eat_any(b"+-") {
        Some(sign) => {
            let y = c.digits(6)?;
            if sign == b'-' {
                -y
            } else {
                y
            }
        }
        None => c.digits(4)?,
    };
    if !c.eat(b'-') {
        return None;
    }
    let month = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let (mut hour, mut minute, mut second, mut milli) = (0, 0, 0, 0);
    let mut offset_min: i64 = 0;
    if c.eat_any(b"Tt ").is_some() {
        hour = c.digits(2)?;
        if !c.eat(b':') {
            return None;
        }
        minute = c.digits(2)?;
        if c.eat(b':') {
            second = c.digits(2)?;
            if c.eat_any(b".,").is_some() {
                let mut scale = 100;
                let mut any = false;
                while let Some(d) = c.peek().filter(u8::is_ascii_digit) {
                    milli += i64::from(d - b'0') * scale;
                    scale /= 10;
                    any = true;
                    c.pos += 1;
                }
                if !any {
                    return None;
                }
            }
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        if c.eat_any(b"Zz").is_none() {
            if let Some(sign) = c.eat_any(b"+-") {
                let oh = c.digits(2)?;
                let om = if c.at_end() {
                    0
                } else {
                    c.eat(b':');
                    c.digits(2)?
                };
                if oh > 23 || om > 59 {
                    return None;
                }
                offset_min = (oh * 60 + om) * if sign == b'+' { 1 } else { -1 };
            }
        }
    }
    if !c.at_end() {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let ms = days
        .checked_mul(MS_PER_DAY)?
        .checked_add(((hour * 60 + minute - offset_min) * 60 + second) * 1_000 + milli)?;
    Millis::try_from(ms).ok().filter(|&ms| ms <= MAX_MS)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
