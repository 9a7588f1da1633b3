use super::*;
use serde_json::json;

#[test]
fn room_names() {
    assert_eq!(room_name("ch-1", None), "channel:ch-1");
    assert_eq!(room_name("ch-1", Some("t9")), "channel:ch-1:thread:t9");
    assert_eq!(room_name("dm:42", None), "dm:42");
    assert_eq!(channel_id_from_room("channel:ch-1"), "ch-1");
    assert_eq!(channel_id_from_room("dm:42"), "dm:42");
    assert_eq!(
        channel_id_from_room("channel:a:thread:b"),
        "channel:a:thread:b"
    );
    for id in ["ch-1", "dm:42", "channel:a:thread:b"] {
        assert_eq!(channel_id_from_room(&room_name(id, None)), id);
    }
}

#[test]
fn acks() {
    let ok = Ok(json!({"success": true, "data": {"id": "m1"}}));
    assert_eq!(parse_ack(&ok).unwrap()["id"], "m1");
    let no_data = Ok(json!({"success": true}));
    assert!(parse_ack(&no_data).unwrap().is_null());
    let rejected = Ok(json!({"success": false, "error": {"code": "E", "message": "no"}}));
    assert_eq!(
        parse_ack(&rejected),
        Err(AckError::Rejected {
            code: "E".into(),
            message: "no".into()
        })
    );
    assert!(matches!(
        parse_ack(&Ok(json!([1]))),
        Err(AckError::Malformed(_))
    ));
    assert!(matches!(
        parse_ack(&Err("timeout".into())),
        Err(AckError::Transport(_))
    ));
}

#[test]
fn timestamps() {
    assert_eq!(parse_timestamp(&json!(1234)), Some(1234));
    assert_eq!(parse_timestamp(&json!(12.9)), Some(12));
    assert_eq!(parse_timestamp(&json!(-1)), None);
    assert_eq!(
        parse_timestamp(&json!("1706977200000")),
        Some(1_706_977_200_000)
    );
    assert_eq!(
        parse_timestamp(&json!("2024-02-03T16:20:00Z")),
        Some(1_706_977_200_000)
    );
    assert_eq!(
        parse_timestamp(&json!("2024-02-03T16:20:00.123Z")),
        Some(1_706_977_200_123)
    );
    assert_eq!(
        parse_timestamp(&json!("2024-02-03T17:20:00+01:00")),
        Some(1_706_977_200_000)
    );
    assert_eq!(parse_timestamp(&json!("1970-01-01")), Some(0));
    assert_eq!(parse_timestamp(&json!("1969-12-31T23:59:59Z")), None);
    assert_eq!(parse_timestamp(&json!("2024-13-01")), None);
    assert_eq!(parse_timestamp(&json!("yesterday")), None);
    assert_eq!(parse_timestamp(&json!(null)), None);
}

#[test]
fn fnv_known_values() {
    assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
}
