//! Unit tests of the JSON value, parser and writer; the differential and
//! hostile-input property tests against serde_json are in `tests/`.

mod diff;

use super::*;

fn parse(text: &str) -> Value {
    from_str(text).unwrap_or_else(|e| panic!("{text:?}: {}", e.describe()))
}

fn code(text: &str) -> ErrorCode {
    from_str(text).expect_err(text).code
}

#[test]
fn scalars_and_containers() {
    assert_eq!(parse("null"), Value::Null);
    assert_eq!(parse(" true "), Value::Bool(true));
    assert_eq!(parse("false"), Value::Bool(false));
    assert_eq!(parse("\"a\\u00e9\\n\""), Value::String("a\u{e9}\n".into()));
    assert_eq!(parse("[1, [], {}]"), json!([1, [], {}]));
    let v = parse(r#"{"a": {"b": [true, null, "x"]}, "n": -3}"#);
    assert_eq!(v["a"]["b"][2], "x");
    assert_eq!(v["n"].as_i64(), Some(-3));
    assert_eq!(v["n"].as_u64(), None);
    assert!(v["missing"]["deeper"][7].is_null());
    assert_eq!(
        v.get("a").and_then(|a| a.get("b")).map(|b| b.is_array()),
        Some(true)
    );
}

#[test]
fn numbers_keep_integers_exact_and_other_text_as_is() {
    assert_eq!(parse("18446744073709551615").as_u64(), Some(u64::MAX));
    assert_eq!(parse("-9223372036854775808").as_i64(), Some(i64::MIN));
    for text in [
        "18446744073709551616",
        "-9223372036854775809",
        "1.50",
        "1E+2",
        "-0",
        "-0.0",
        "1e400",
        "0.1",
    ] {
        let v = parse(text);
        assert_eq!(v.as_u64(), None, "{text}");
        assert_eq!(v.to_text(), text, "written back as parsed");
    }
    assert_eq!(parse("0").as_u64(), Some(0));
    assert_eq!(json!(7u32).to_text(), "7");
    assert_eq!(json!(-7i64).to_text(), "-7");
}

#[test]
fn truncation_is_exact() {
    let t = |text: &str| match parse(text) {
        Value::Number(n) => n.trunc_u64(),
        other => panic!("{other:?}"),
    };
    assert_eq!(t("12"), Some(12));
    assert_eq!(t("1.9"), Some(1));
    assert_eq!(t("1.5e3"), Some(1500));
    assert_eq!(t("15e-1"), Some(1));
    assert_eq!(t("1700000000000.75"), Some(1_700_000_000_000));
    assert_eq!(t("1e-9"), Some(0));
    assert_eq!(t("0e999999999999999999"), Some(0));
    assert_eq!(t("-0"), Some(0));
    assert_eq!(t("-0.000e5"), Some(0));
    assert_eq!(t("-0.5"), None);
    assert_eq!(t("-3"), None);
    assert_eq!(t("1e19"), Some(10_000_000_000_000_000_000));
    assert_eq!(t("1e20"), None);
    assert_eq!(t("18446744073709551616"), None);
    assert_eq!(t("1e999999999999999999999"), None);
}

#[test]
fn errors_have_codes_and_offsets() {
    assert_eq!(code(""), ErrorCode::Eof);
    assert_eq!(code("[1,"), ErrorCode::Eof);
    assert_eq!(code("\"abc"), ErrorCode::Eof);
    assert_eq!(code("tru"), ErrorCode::Eof);
    // A \u escape cut short by the end of the text, whatever follows it.
    assert_eq!(code("\"\\u0e\""), ErrorCode::Eof);
    assert_eq!(code("\"\\u0g00\""), ErrorCode::BadEscape);
    assert_eq!(code("trux"), ErrorCode::ExpectedValue);
    assert_eq!(code("[1 2]"), ErrorCode::ExpectedCommaOrEnd);
    assert_eq!(code("[1,]"), ErrorCode::ExpectedValue);
    assert_eq!(code("{1:2}"), ErrorCode::ExpectedKey);
    assert_eq!(code("{\"a\" 2}"), ErrorCode::ExpectedColon);
    assert_eq!(code("01"), ErrorCode::Trailing);
    assert_eq!(code("1."), ErrorCode::Eof);
    assert_eq!(code("1.x"), ErrorCode::BadNumber);
    assert_eq!(code("-x"), ErrorCode::BadNumber);
    assert_eq!(code("+1"), ErrorCode::ExpectedValue);
    assert_eq!(code("\"\\x\""), ErrorCode::BadEscape);
    assert_eq!(code("\"\\u12g4\""), ErrorCode::BadEscape);
    assert_eq!(code("\"\\ud800\""), ErrorCode::LoneSurrogate);
    assert_eq!(code("\"\\ud800\\u0041\""), ErrorCode::LoneSurrogate);
    assert_eq!(code("\"\\udc00\""), ErrorCode::LoneSurrogate);
    assert_eq!(code("\"\\ud800\\"), ErrorCode::Eof);
    assert_eq!(code("\"a\tb\""), ErrorCode::ControlChar);
    assert_eq!(code("1 2"), ErrorCode::Trailing);
    assert_eq!(code("\u{feff}1"), ErrorCode::ExpectedValue);
    let e = from_str("[1,]").expect_err("trailing comma");
    assert_eq!((e.code(), e.offset), ("json_expected_value", 3));
    assert_eq!(e.describe(), "expected a value at byte 3");
    assert_eq!(
        from_slice(b"\"\xff\"").expect_err("bad utf-8").code,
        ErrorCode::InvalidUtf8
    );
    assert_eq!(parse("\"\\ud83d\\ude00\""), "\u{1f600}");
}

#[test]
fn nesting_is_limited_without_recursing_further() {
    let ok = format!("{}{}", "[".repeat(127), "]".repeat(127));
    assert!(from_str(&ok).is_ok());
    assert!(validate(&ok).is_ok());
    let deep = format!("{}{}", "[".repeat(128), "]".repeat(128));
    assert_eq!(code(&deep), ErrorCode::TooDeep);
    let hostile = "[{\"a\":".repeat(100_000);
    assert_eq!(code(&hostile), ErrorCode::TooDeep);
    assert_eq!(
        validate(&hostile).map_err(|e| e.code),
        Err(ErrorCode::TooDeep)
    );
}

#[test]
fn validate_agrees_with_parse() {
    for text in [
        "[1,{\"a\":[\"\\u0041\"]}]",
        "[1,",
        "\"\\ud800\"",
        "{} x",
        " 5 ",
    ] {
        assert_eq!(validate(text).err(), from_str(text).err(), "{text}");
    }
}

#[test]
fn writer_escapes_like_serde_json() {
    let s = "q\" b\\ /\u{0}\u{8}\u{c}\n\r\t\u{1f}\u{7f}é😀";
    assert_eq!(
        Value::from(s).to_text(),
        serde_json::to_string(s).expect("str")
    );
    let mut out = String::new();
    push_json_str(&mut out, "a\"b");
    assert_eq!(out, r#""a\"b""#);
}

#[test]
fn maps_keep_order_take_the_last_duplicate_and_compare_unordered() {
    let mut m = Map::new();
    m.insert("b".into(), json!(1));
    m.insert("a".into(), json!(2));
    m.insert("b".into(), json!(3));
    assert_eq!(Value::Object(m.clone()).to_text(), r#"{"b":3,"a":2}"#);
    assert_eq!(m.keys().collect::<Vec<_>>(), ["b", "a"]);
    let dup = parse(r#"{"k":1,"k":2}"#);
    assert_eq!(dup["k"], json!(2));
    assert_eq!(dup, json!({"k": 2}));
    assert_eq!(json!({"x": 1, "y": 2}), json!({"y": 2, "x": 1}));
    assert_ne!(json!({"x": 1}), json!({"x": 1, "y": 2}));
    assert_eq!(m.remove("b"), Some(json!(3)));
    assert!(!m.contains_key("b"));
    let mut dup = dup;
    let obj = dup.as_object_mut().expect("object");
    assert_eq!(obj.remove("k"), Some(json!(2)));
    assert!(obj.is_empty());
}

#[test]
fn the_macro_builds_nested_values() {
    let ids = vec!["a".to_owned(), "b".to_owned()];
    let none: Option<u64> = None;
    let v = json!({
        "userIds": ids,
        "nested": {"list": [1, null, {"deep": true}], "empty": {}},
        "none": none,
        "some": Some("x"),
        "neg": -1,
        "expr": 2 + 3,
    });
    assert_eq!(
        v.to_text(),
        r#"{"userIds":["a","b"],"nested":{"list":[1,null,{"deep":true}],"empty":{}},"none":null,"some":"x","neg":-1,"expr":5}"#
    );
    assert_eq!(json!([null, [], "s",]), parse(r#"[null,[],"s"]"#));
}
