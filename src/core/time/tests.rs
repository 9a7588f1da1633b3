use super::*;
use crate::core::json::json;
use proptest::prelude::*;

#[test]
fn formats_like_to_iso_string() {
    let cases: &[(Millis, &str)] = &[
        (0, "1970-01-01T00:00:00.000Z"),
        (1, "1970-01-01T00:00:00.001Z"),
        (1_706_977_200_250, "2024-02-03T16:20:00.250Z"),
        (1_709_164_800_000, "2024-02-29T00:00:00.000Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
        (253_402_300_800_000, "+010000-01-01T00:00:00.000Z"),
        (MAX_MS, "+275760-09-13T00:00:00.000Z"),
    ];
    for &(ms, text) in cases {
        assert_eq!(format_iso(ms).as_deref(), Some(text), "{ms}");
        assert_eq!(parse_str(text), Some(ms), "{text}");
    }
    assert_eq!(format_iso(MAX_MS + 1), None);
    assert_eq!(format_iso(Millis::MAX), None);
    assert_eq!(to_json(0), json!("1970-01-01T00:00:00.000Z"));
    assert_eq!(to_json(Millis::MAX), Value::Null);
}

#[test]
fn parses_numbers_digit_strings_and_iso_dates() {
    let cases: &[(Value, Option<Millis>)] = &[
        (json!(1_706_977_200_000u64), Some(1_706_977_200_000)),
        (json!(1_500.7), Some(1_500)),
        (json!(0), Some(0)),
        (json!(-5), None),
        (json!(-0.5), None),
        (json!(MAX_MS), Some(MAX_MS)),
        (json!(MAX_MS + 1), None),
        (json!(u64::MAX), None),
        (json!(1e300), None),
        (json!(f64::MAX), None),
        (json!("1706977200000"), Some(1_706_977_200_000)),
        (json!(" 1706977200000 "), Some(1_706_977_200_000)),
        (json!("99999999999999999999999999"), None),
        (json!("1970-01-01T00:00:00Z"), Some(0)),
        (json!("2024-02-03T16:20:00Z"), Some(1_706_977_200_000)),
        (json!("2024-02-03t16:20:00z"), Some(1_706_977_200_000)),
        (json!("2024-02-03 16:20:00Z"), Some(1_706_977_200_000)),
        (json!("2024-02-03T16:20:00.250Z"), Some(1_706_977_200_250)),
        (json!("2024-02-03T16:20:00.2Z"), Some(1_706_977_200_200)),
        (json!("2024-02-03T16:20:00,25Z"), Some(1_706_977_200_250)),
        (
            json!("2024-02-03T16:20:00.123456789Z"),
            Some(1_706_977_200_123),
        ),
        (json!("2024-02-03T17:20:00+01:00"), Some(1_706_977_200_000)),
        (json!("2024-02-03T15:20:00-0100"), Some(1_706_977_200_000)),
        (json!("2024-02-03T21:50:00+05:30"), Some(1_706_977_200_000)),
        (json!("2024-02-03T18:20:00+02"), Some(1_706_977_200_000)),
        (json!("2024-02-03T16:20"), Some(1_706_977_200_000)),
        (json!("2024-02-03T16:20:00"), Some(1_706_977_200_000)),
        (json!("2024-02-03"), Some(1_706_918_400_000)),
        (
            json!("+002024-02-03T16:20:00.000Z"),
            Some(1_706_977_200_000),
        ),
        (json!("2024-02-29T00:00:00Z"), Some(1_709_164_800_000)),
        (json!("1970-01-01T00:30:00+01:00"), None),
        (json!("2023-02-29T00:00:00Z"), None),
        (json!("1900-02-29"), None),
        (json!("2024-04-31"), None),
        (json!("2024-13-01"), None),
        (json!("2024-00-10"), None),
        (json!("2024-02-03T24:00:00Z"), None),
        (json!("2024-02-03T16:60:00Z"), None),
        (json!("2024-02-03T16:20:60Z"), None),
        (json!("2024-02-03T16:20:00.Z"), None),
        (json!("2024-02-03T16:20:00+24:00"), None),
        (json!("2024-02-03T16:20:00+01:"), None),
        (json!("2024-02-03T16:20:00Zjunk"), None),
        (json!("2024-02-03T"), None),
        (json!("2024-2-3"), None),
        (json!("1969-12-31T23:59:59Z"), None),
        (json!("-000001-01-01T00:00:00Z"), None),
        (json!("+275760-09-13T00:00:00.001Z"), None),
        (json!("+999999-12-31T23:59:59.999Z"), None),
        (json!("yesterday"), None),
        (json!("Sat Feb 03 2024"), None),
        (json!(""), None),
        (json!("   "), None),
        (json!(null), None),
        (json!(true), None),
        (json!([1]), None),
        (json!({"a": 1}), None),
    ];
    for (value, expected) in cases {
        assert_eq!(parse(value), *expected, "{value}");
    }
}

/// A Hinnant-free reference: walks the calendar a year and a month at a
/// time, so the fast conversion is checked against plain counting.
fn slow_days(year: i64, month: i64, day: i64) -> i64 {
    let mut days = 0;
    for y in 1970..year {
        days += if is_leap(y) { 366 } else { 365 };
    }
    for m in 1..month {
        days += days_in_month(year, m);
    }
    days + day - 1
}

proptest! {
    #[test]
    fn format_then_parse_is_the_identity(ms in 0..=MAX_MS) {
        let text = format_iso(ms).unwrap();
        prop_assert_eq!(parse_str(&text), Some(ms), "{}", text);
        prop_assert_eq!(parse(&json!(text)), Some(ms));
        prop_assert_eq!(parse(&json!(ms)), Some(ms));
        prop_assert_eq!(parse(&json!(ms.to_string())), Some(ms));
        prop_assert!(text.ends_with('Z'));
        prop_assert_eq!(text.len(), if ms < 253_402_300_800_000 { 24 } else { 27 });
    }

    #[test]
    fn dates_agree_with_plain_calendar_counting(
        year in 1970i64..2600, month in 1i64..=12, day in 1i64..=31,
    ) {
        prop_assume!(day <= days_in_month(year, month));
        let text = format!("{year:04}-{month:02}-{day:02}");
        let expected = slow_days(year, month, day) * MS_PER_DAY;
        prop_assert_eq!(parse_str(&text), Millis::try_from(expected).ok());
        prop_assert_eq!(civil_from_days(slow_days(year, month, day)), (year, month, day));
    }

    #[test]
    fn offsets_shift_the_instant(
        ms in 86_400_000u64..=MAX_MS - 86_400_000,
        sign in prop::bool::ANY, oh in 0u64..24, om in 0u64..60,
    ) {
        let off = (oh * 60 + om) * 60_000;
        // The local wall-clock time that is `ms` in UTC.
        let local = if sign { ms + off } else { ms - off };
        let base = format_iso(local).unwrap();
        let zone = format!("{}{oh:02}:{om:02}", if sign { '+' } else { '-' });
        let text = base.replacen('Z', &zone, 1);
        prop_assert_eq!(parse_str(&text), Some(ms), "{}", text);
    }

    #[test]
    fn random_strings_never_panic(s in ".{0,40}") {
        let _ = parse_str(&s);
        let _ = parse(&Value::String(s));
    }

    #[test]
    fn date_like_strings_never_panic_and_stay_in_range(
        s in "[+-]?[0-9]{0,7}(-[0-9]{0,3}(-[0-9]{0,3}([Tt ][0-9]{0,3}(:[0-9]{0,3}(:[0-9]{0,3}([.,][0-9]{0,12})?)?)?)?)?)?([Zz]|[+-][0-9]{0,3}(:?[0-9]{0,3})?)?"
    ) {
        if let Some(ms) = parse_str(&s) {
            prop_assert!(ms <= MAX_MS);
            // Anything accepted formats back to a date that parses to the same instant.
            prop_assert_eq!(parse_str(&format_iso(ms).unwrap()), Some(ms));
        }
    }

    #[test]
    fn any_number_is_refused_or_in_range(f in any::<f64>(), u in any::<u64>(), i in any::<i64>()) {
        for v in [json!(f), json!(u), json!(i)] {
            if let Some(ms) = parse(&v) {
                prop_assert!(ms <= MAX_MS);
            }
        }
        prop_assert_eq!(format_iso(u).is_some(), u <= MAX_MS);
    }
}
