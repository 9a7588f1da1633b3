use super::*;
use proptest::prelude::*;

fn accepted(id: Option<&str>) -> AckOutcome {
    AckOutcome::Accepted {
        message_id: id.map(str::to_owned),
    }
}

fn rejected(code: &str, message: &str) -> AckOutcome {
    AckOutcome::Rejected {
        code: code.into(),
        message: message.into(),
    }
}

#[test]
fn accepted_shapes_with_and_without_an_id() {
    assert_eq!(classify_ack(r#"[{"success":true}]"#), accepted(None));
    assert_eq!(
        classify_ack(r#"[{"success":true,"messageId":"m1"}]"#),
        accepted(Some("m1"))
    );
    assert_eq!(
        classify_ack(r#"[{"success":true,"data":{"id":"m2","clientMessageId":"c"}}]"#),
        accepted(Some("m2"))
    );
    assert_eq!(
        classify_ack(r#"[{"success":true,"data":{"messageId":"m3"}}]"#),
        accepted(Some("m3"))
    );
    assert_eq!(
        classify_ack(r#"[{"success":true,"data":{"id":42}}]"#),
        accepted(Some("42"))
    );
    // The real server's room:join answer carries data without an id.
    assert_eq!(
        classify_ack(r#"[{"success":true,"data":{"roomName":"r","memberCount":2}}]"#),
        accepted(None)
    );
    // Empty or non-scalar ids are no ids; top-level messageId wins.
    assert_eq!(
        classify_ack(r#"[{"success":true,"messageId":"","data":{"id":{"x":1}}}]"#),
        accepted(None)
    );
    assert_eq!(
        classify_ack(r#"[{"success":true,"messageId":"a","data":{"id":"b"}}]"#),
        accepted(Some("a"))
    );
    // Extra ack arguments are ignored.
    assert_eq!(classify_ack(r#"[{"success":true},"x"]"#), accepted(None));
}

#[test]
fn rejections_keep_the_server_code_and_message() {
    assert_eq!(
        classify_ack(
            r#"[{"success":false,"error":{"code":"ROOM_NOT_FOUND","message":"Room not found"}}]"#
        ),
        rejected("ROOM_NOT_FOUND", "Room not found")
    );
    assert_eq!(
        classify_ack(r#"[{"success":false,"error":"Rate limited"}]"#),
        rejected(DEFAULT_REJECT_CODE, "Rate limited")
    );
    assert_eq!(
        classify_ack(r#"[{"success":false,"error":{"message":"boom"}}]"#),
        rejected("SERVER_ERROR", "boom")
    );
    assert_eq!(
        classify_ack(r#"[{"success":false,"error":{"code":"X"}}]"#),
        rejected("X", "the server rejected the request")
    );
    assert_eq!(
        classify_ack(r#"[{"success":false}]"#),
        rejected("SERVER_ERROR", "the server rejected the request")
    );
}

#[test]
fn anything_else_is_malformed() {
    for text in [
        "",
        "nope",
        "{}",
        "[]",
        "[1]",
        "[null]",
        r#"["ok"]"#,
        r#"[{}]"#,
        r#"[{"success":"true"}]"#,
        r#"[{"success":1}]"#,
        r#"{"success":true}"#,
    ] {
        assert!(
            matches!(classify_ack(text), AckOutcome::Malformed { .. }),
            "{text:?}"
        );
    }
}

proptest! {
    #[test]
    fn never_panics_and_an_object_with_boolean_success_is_never_malformed(
        v in crate::core::test_support::arb_json(&["ROOM_NOT_FOUND", "m1"], &["success", "error", "code", "message", "data", "id", "messageId"]),
        success in any::<bool>(),
    ) {
        let _ = classify_ack(&format!("[{v}]"));
        let mut obj = match v {
            crate::core::json::Value::Object(m) => m,
            _ => crate::core::json::Map::new(),
        };
        obj.insert("success".into(), success.into());
        let outcome = classify_ack_value(&crate::core::json::Value::Object(obj));
        prop_assert_eq!(matches!(outcome, AckOutcome::Accepted { .. }), success);
        let malformed = matches!(outcome, AckOutcome::Malformed { .. });
        prop_assert!(!malformed);
    }
}
