use super::*;
use crate::core::json::json;

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
fn fnv_known_values() {
    assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
}
