//! Lenient timestamp decoding for incoming payloads: milliseconds as a JSON
//! number or digit string, or an ISO 8601 / RFC 3339 date-time string.

use serde_json::Value;

use crate::core::Millis;

/// Milliseconds since the Unix epoch from a JSON number (ms), a string of
/// digits (ms) or an ISO 8601 string (`2026-02-03T15:00:00Z`,
/// `2026-02-03T15:00:00.123+01:00`, `2026-02-03`; no zone means UTC).
///
/// Returns `None` for anything else, including negative values and dates
/// before 1970.
pub(crate) fn parse_timestamp(value: &Value) -> Option<Millis> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && *f < 1.0e19)
                .map(|f| f as Millis)
        }),
        Value::String(s) => parse_str(s.trim()),
        _ => None,
    }
}

fn parse_str(s: &str) -> Option<Millis> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    parse_iso8601(s)
}

/// `n` ASCII digits starting at `start`, as a number.
fn digits(b: &[u8], start: usize, n: usize) -> Option<i64> {
    let slice = b.get(start..start.checked_add(n)?)?;
    slice.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn expect(b: &[u8], at: usize, c: u8) -> Option<()> {
    (b.get(at) == Some(&c)).then_some(())
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            if leap {
                29
            } else {
                28
            }
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_iso8601(s: &str) -> Option<Millis> {
    let b = s.as_bytes();
    let year = digits(b, 0, 4)?;
    expect(b, 4, b'-')?;
    let month = digits(b, 5, 2)?;
    expect(b, 7, b'-')?;
    let day = digits(b, 8, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let (mut hour, mut minute, mut second, mut millis, mut offset_min) = (0, 0, 0, 0, 0);
    let mut i = 10;
    if let Some(&sep) = b.get(i) {
        if !matches!(sep, b'T' | b't' | b' ') {
            return None;
        }
        hour = digits(b, i + 1, 2)?;
        expect(b, i + 3, b':')?;
        minute = digits(b, i + 4, 2)?;
        i += 6;
        if b.get(i) == Some(&b':') {
            second = digits(b, i + 1, 2)?;
            i += 3;
            if matches!(b.get(i), Some(b'.') | Some(b',')) {
                i += 1;
                let start = i;
                let mut scale = 100;
                while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                    millis += i64::from(c - b'0') * scale;
                    scale /= 10;
                    i += 1;
                }
                if i == start {
                    return None;
                }
            }
        }
        match b.get(i) {
            None => {}
            Some(b'Z') | Some(b'z') => i += 1,
            Some(&sign @ (b'+' | b'-')) => {
                let oh = digits(b, i + 1, 2)?;
                i += 3;
                let om = match b.get(i) {
                    Some(b':') => {
                        i += 3;
                        digits(b, i - 2, 2)?
                    }
                    Some(_) => {
                        i += 2;
                        digits(b, i - 2, 2)?
                    }
                    None => 0,
                };
                if oh > 23 || om > 59 {
                    return None;
                }
                offset_min = (oh * 60 + om) * if sign == b'-' { -1 } else { 1 };
            }
            Some(_) => return None,
        }
        if i != b.len() || hour > 23 || minute > 59 || second > 60 {
            return None;
        }
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_min * 60;
    let ms = secs.checked_mul(1_000)?.checked_add(millis)?;
    Millis::try_from(ms).ok()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_digit_strings_and_iso_dates() {
        let cases: &[(Value, Option<Millis>)] = &[
            (json!(1_706_977_200_000u64), Some(1_706_977_200_000)),
            (json!(1_500.7), Some(1_500)),
            (json!(-5), None),
            (json!("1706977200000"), Some(1_706_977_200_000)),
            (json!("1970-01-01T00:00:00Z"), Some(0)),
            (json!("2024-02-03T16:20:00Z"), Some(1_706_977_200_000)),
            (json!("2024-02-03T16:20:00.250Z"), Some(1_706_977_200_250)),
            (json!("2024-02-03T17:20:00+01:00"), Some(1_706_977_200_000)),
            (json!("2024-02-03T15:20:00-0100"), Some(1_706_977_200_000)),
            (json!("2024-02-03T16:20"), Some(1_706_977_200_000)),
            (json!("2024-02-03"), Some(1_706_918_400_000)),
            (json!("2024-02-29T00:00:00Z"), Some(1_709_164_800_000)),
            (json!("2023-02-29T00:00:00Z"), None),
            (json!("2024-13-01"), None),
            (json!("2024-02-03T25:00:00Z"), None),
            (json!("2024-02-03T16:20:00Zjunk"), None),
            (json!("1969-12-31T23:59:59Z"), None),
            (json!("yesterday"), None),
            (json!(""), None),
            (json!(null), None),
            (json!(true), None),
            (json!({"a": 1}), None),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_timestamp(value), *expected, "{value}");
        }
    }
}
