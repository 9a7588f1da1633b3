//! Property tests against serde_json (a host dev-dependency only): the same
//! texts are accepted, they mean the same, serde_json's texts are written
//! back byte for byte, and hostile input never panics.

use proptest::prelude::*;

use super::super::*;

/// Arbitrary serde_json values: every scalar kind (floats included),
/// strings with escapes and non-ASCII, nested arrays and objects.
fn arb_serde() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as S;
    let leaf = prop_oneof![
        Just(S::Null),
        any::<bool>().prop_map(S::Bool),
        any::<u64>().prop_map(S::from),
        any::<i64>().prop_map(S::from),
        any::<f64>().prop_map(S::from),
        "[a-z\"\\\\/\u{0}-\u{1f}\u{7f}é😀]{0,8}".prop_map(S::String),
        any::<String>().prop_map(S::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(S::Array),
            prop::collection::btree_map("[a-z\"\\\\]{0,4}", inner, 0..5)
                .prop_map(|m| S::Object(m.into_iter().collect())),
        ]
    })
}

/// A number serde_json refuses only because it does not fit an f64
/// (this parser keeps such numbers as text).
fn out_of_f64_range(e: &serde_json::Error) -> bool {
    e.to_string().starts_with("number out of range")
}

/// Both parsers agree on `text`: both refuse it (an end-of-input error for
/// serde_json is one for this parser too), or both accept it with the same
/// meaning (this parser's output read back by serde_json).
fn agree(text: &str) -> Result<(), TestCaseError> {
    let ours = from_str(text);
    let theirs = serde_json::from_str::<serde_json::Value>(text);
    match (&ours, &theirs) {
        (Ok(v), Ok(t)) => {
            let back: serde_json::Value = serde_json::from_str(&v.to_text())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&back, t, "{:?}", text);
        }
        (Err(e), Err(t)) => {
            if t.is_eof() {
                prop_assert_eq!(e.code, ErrorCode::Eof, "{:?}: {}", text, t);
            }
        }
        (Ok(_), Err(t)) if out_of_f64_range(t) => {}
        _ => prop_assert!(
            false,
            "{:?}: ours {:?}, serde_json {:?}",
            text,
            ours,
            theirs
        ),
    }
    prop_assert_eq!(
        validate(text).err(),
        ours.err(),
        "validate vs parse on {:?}",
        text
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn serde_json_text_round_trips_byte_for_byte(v in arb_serde()) {
        let text = serde_json::to_string(&v).expect("serializable");
        let ours = from_str(&text).map_err(|e| TestCaseError::fail(e.describe()))?;
        prop_assert_eq!(ours.to_text(), text);
    }

    #[test]
    fn pretty_text_means_the_same(v in arb_serde()) {
        let pretty = serde_json::to_string_pretty(&v).expect("serializable");
        agree(&pretty)?;
    }

    #[test]
    fn every_prefix_agrees(v in arb_serde()) {
        let text = serde_json::to_string(&v).expect("serializable");
        for (i, _) in text.char_indices() {
            agree(&text[..i])?;
        }
    }

    #[test]
    fn mutated_text_agrees(v in arb_serde(), at in any::<prop::sample::Index>(),
                           insert in "[\\[\\]{}\",:\\\\0-9eE.+\\-a-z \u{1}ud8]{0,3}", cut in 0usize..3) {
        let text = serde_json::to_string(&v).expect("serializable");
        let mut i = at.index(text.len() + 1);
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        let mut j = i;
        for _ in 0..cut {
            if let Some(c) = text[j..].chars().next() {
                j += c.len_utf8();
            }
        }
        let mutated = format!("{}{}{}", &text[..i], insert, &text[j..]);
        agree(&mutated)?;
    }

    #[test]
    fn arbitrary_text_agrees_and_never_panics(text in ".{0,40}") {
        agree(&text)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let ours = from_slice(&bytes);
        let theirs = serde_json::from_slice::<serde_json::Value>(&bytes);
        if theirs.as_ref().is_err_and(out_of_f64_range) {
            return Ok(());
        }
        prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}", bytes);
    }

    #[test]
    fn escapes_and_surrogates_agree(units in prop::collection::vec(
        prop_oneof![0xd800u32..0xdc00, 0xdc00u32..0xe000, 0u32..0x80, 0x80u32..0xd800], 1..4)) {
        let mut text = String::from("\"");
        for u in units {
            text.push_str("\\u");
            text.push_str(&format!("{u:04x}"));
        }
        text.push('"');
        agree(&text)?;
    }

    #[test]
    fn strings_are_written_like_serde_json(s in any::<String>()) {
        let mut out = String::new();
        push_json_str(&mut out, &s);
        prop_assert_eq!(out, serde_json::to_string(&s).expect("str"));
    }

    #[test]
    fn huge_and_odd_numbers(int in "-?(0|[1-9][0-9]{0,30})", frac in "(\\.[0-9]{1,5})?",
                            exp in "([eE][+-]?[0-9]{1,4})?") {
        let text = format!("{int}{frac}{exp}");
        agree(&text)?;
        let v = from_str(&text).map_err(|e| TestCaseError::fail(e.describe()))?;
        prop_assert_eq!(v.to_text(), text.clone());
        if let Value::Number(n) = &v {
            let digits = format!("{}{}", int.trim_start_matches('-'), frac.trim_start_matches('.'));
            let significant = digits.trim_start_matches('0').len();
            if let Ok(f) = text.parse::<f64>() {
                // With at most 15 significant digits below 1e15, the f64 is
                // close enough that its truncation is the exact one (unless
                // it underflowed to zero, where -1e-400 became -0.0).
                if significant <= 15 && f.abs() < 1e15 && !(f == 0.0 && significant > 0) {
                    let below_zero = f < 0.0;
                    let expected = (!below_zero).then(|| f.trunc() as u64);
                    prop_assert_eq!(n.trunc_u64(), expected, "{}", text);
                }
            }
        }
    }

    #[test]
    fn nesting_limit_agrees(n in 100usize..140, object in any::<bool>()) {
        let (open, close) = if object { ("{\"k\":", "}") } else { ("[", "]") };
        let text = format!("{}0{}", open.repeat(n), close.repeat(n));
        agree(&text)?;
        agree(&text[..text.len() - 1])?;
    }
}
