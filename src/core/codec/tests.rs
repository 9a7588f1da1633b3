use super::*;
use proptest::prelude::*;

#[test]
fn decodes_the_protocol_documents_open_packet() {
    let frame = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
    let EnginePacket::Open(h) = EnginePacket::decode(frame, 1 << 20).unwrap() else {
        panic!("not an open packet")
    };
    assert_eq!(h.sid, "lv_VI97HAXpY6yYWAAAC");
    assert_eq!(h.upgrades, ["websocket"]);
    assert_eq!(
        (h.ping_interval, h.ping_timeout, h.max_payload),
        (25000, 20000, 1000000)
    );
}

#[test]
fn engine_packets_from_the_documents() {
    let max = 1000;
    assert_eq!(EnginePacket::decode("2", max), Ok(EnginePacket::Ping("")));
    assert_eq!(
        EnginePacket::decode("2probe", max),
        Ok(EnginePacket::Ping("probe"))
    );
    assert_eq!(
        EnginePacket::decode("3probe", max),
        Ok(EnginePacket::Pong("probe"))
    );
    assert_eq!(
        EnginePacket::decode("4hello", max),
        Ok(EnginePacket::Message("hello"))
    );
    assert_eq!(EnginePacket::decode("1", max), Ok(EnginePacket::Close));
    assert_eq!(EnginePacket::decode("6", max), Ok(EnginePacket::Noop));
    assert_eq!(EnginePacket::decode("5", max), Ok(EnginePacket::Upgrade));
    assert_eq!(EnginePacket::Pong("").encode(), "3");
    assert_eq!(EnginePacket::decode("", max), Err(CodecError::Empty));
    assert_eq!(
        EnginePacket::decode("9", max),
        Err(CodecError::UnknownEngineType('9'))
    );
    assert_eq!(
        EnginePacket::decode("bAQID", max),
        Err(CodecError::BinaryUnsupported)
    );
    assert!(matches!(
        EnginePacket::decode("0{", max),
        Err(CodecError::BadHandshake(_))
    ));
    assert_eq!(
        EnginePacket::decode("4xxxx", 3),
        Err(CodecError::TooLarge { len: 5, max: 3 })
    );
}

#[test]
fn socket_packets_from_the_documents() {
    let p = SocketPacket::decode("0").unwrap();
    assert_eq!(
        (p.kind, p.nsp, p.id, p.data),
        (SocketKind::Connect, "/", None, None)
    );
    let p = SocketPacket::decode(r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#).unwrap();
    assert_eq!(p.nsp, "/admin");
    assert_eq!(p.data, Some(r#"{"sid":"oSO0OpakMV_3jnilAAAA"}"#));
    let p = SocketPacket::decode("1/admin,").unwrap();
    assert_eq!(
        (p.kind, p.nsp, p.data),
        (SocketKind::Disconnect, "/admin", None)
    );
    let p = SocketPacket::decode(r#"2["foo"]"#).unwrap();
    assert_eq!((p.kind, p.nsp, p.id), (SocketKind::Event, "/", None));
    let p = SocketPacket::decode(r#"2/admin,456["project:delete",123]"#).unwrap();
    assert_eq!((p.nsp, p.id), ("/admin", Some(456)));
    assert_eq!(event_name(p.data.unwrap()).unwrap(), "project:delete");
    let p = SocketPacket::decode("3/admin,456[]").unwrap();
    assert_eq!(
        (p.kind, p.id, p.data),
        (SocketKind::Ack, Some(456), Some("[]"))
    );
    let p = SocketPacket::decode(r#"4{"message":"Not authorized"}"#).unwrap();
    assert_eq!(p.kind, SocketKind::ConnectError);
    assert_eq!(connect_error_message(p.data), "Not authorized");
    assert_eq!(
        SocketPacket::decode(r#"51-["baz",{"_placeholder":true,"num":0}]"#),
        Err(CodecError::BinaryUnsupported)
    );
}

#[test]
fn builds_connect_frames_with_auth() {
    assert_eq!(connect_frame("/", None), "40");
    assert_eq!(
        connect_frame("/", Some(r#"{"token":"123"}"#)),
        r#"40{"token":"123"}"#
    );
    assert_eq!(connect_frame("/admin", None), "40/admin,");
    assert_eq!(event_payload("a\"b", Some("1")), r#"["a\"b",1]"#);
    assert_eq!(event_payload("ping", None), r#"["ping"]"#);
}

#[test]
fn malformed_payloads_are_typed_errors() {
    for bad in [
        r#"2["oops""#,
        "2{}",
        "2[1,2]",
        "2",
        "3{}",
        "4[1]",
        "0[]",
        r#"1{"a":1}"#,
        "x",
        "299999999999999999999999[\"a\"]",
    ] {
        assert!(SocketPacket::decode(bad).is_err(), "{bad} should fail");
    }
    assert_eq!(connect_error_message(Some("\"nope\"")), "nope");
    assert_eq!(connect_error_message(Some("{}")), "connection refused");
    assert!(event_name("{}").is_err());
    assert!(event_name("[1]").is_err());
}

fn kind() -> impl Strategy<Value = SocketKind> {
    prop_oneof![
        Just(SocketKind::Connect),
        Just(SocketKind::Disconnect),
        Just(SocketKind::Event),
        Just(SocketKind::Ack),
        Just(SocketKind::ConnectError),
    ]
}

fn json_for(kind: SocketKind) -> BoxedStrategy<Option<String>> {
    let s = "[a-zA-Z0-9 :\"\\\\é☃]{0,12}";
    match kind {
        SocketKind::Event => (s, proptest::collection::vec(any::<i32>(), 0..3))
            .prop_map(|(n, a)| {
                Some(crate::core::json::json!([n]).to_string().replace(
                    ']',
                    &format!("{}]", a.iter().map(|x| format!(",{x}")).collect::<String>()),
                ))
            })
            .boxed(),
        SocketKind::Ack => proptest::collection::vec(s, 0..3)
            .prop_map(|v| Some(crate::core::json::json!(v).to_string()))
            .boxed(),
        SocketKind::Connect => {
            proptest::option::of(s.prop_map(|t| crate::core::json::json!({"token": t}).to_string()))
                .boxed()
        }
        SocketKind::ConnectError => s
            .prop_map(|m| Some(crate::core::json::json!({"message": m}).to_string()))
            .boxed(),
        SocketKind::Disconnect => Just(None).boxed(),
    }
}

/// The validation before payloads were checked without building a
/// `crate::core::json::Value`: the new one must agree with it on every input.
fn value_oracle(kind: SocketKind, data: &str) -> Result<(), ()> {
    let value = crate::core::json::from_str(data).map_err(|_| ())?;
    match (kind, &value) {
        (SocketKind::Event, crate::core::json::Value::Array(a)) => match a.first() {
            Some(crate::core::json::Value::String(_)) => Ok(()),
            _ => Err(()),
        },
        (SocketKind::Ack, crate::core::json::Value::Array(_))
        | (SocketKind::Connect, crate::core::json::Value::Object(_))
        | (SocketKind::ConnectError, crate::core::json::Value::Object(_))
        | (SocketKind::ConnectError, crate::core::json::Value::String(_)) => Ok(()),
        _ => Err(()),
    }
}

fn agrees_with_value_oracle(kind: SocketKind, data: &str) -> Result<(), String> {
    let packet = SocketPacket {
        kind,
        nsp: "/",
        id: None,
        data: Some(data),
    };
    let new = packet.validate();
    let old = value_oracle(kind, data);
    if new.is_ok() != old.is_ok() {
        return Err(format!(
            "{kind:?} {data:?}: shape check {new:?}, Value check {old:?}"
        ));
    }
    if let Err(CodecError::BadPayload { reason, .. }) = &new {
        // The same serde_json error text when the JSON itself is bad.
        if let Err(e) = crate::core::json::from_str(data) {
            if reason != &e.to_string() {
                return Err(format!("{data:?}: error {reason:?} vs {e}"));
            }
        }
    }
    Ok(())
}

#[test]
fn payload_shapes_agree_with_parsing_a_value() {
    let cases = [
        r#"["a",1,{"b":[null,true,1.5,-3,"\u00e9"]}]"#,
        r#"[1,"a"]"#,
        r#"[]"#,
        r#"["a"]"#,
        r#"[["a"]]"#,
        r#"{"a":1,"a":2}"#,
        r#""str""#,
        r#"1e400"#,
        r#"[1e400]"#,
        r#"["\ud800"]"#,
        r#"["\uDFFF"]"#,
        r#"{"\ud83d\ude00":1}"#,
        r#"[1,]"#,
        r#"["a" "b"]"#,
        r#"["a"] x"#,
        r#"{1:2}"#,
        "null",
        "",
        " ",
        r#"["x",-0,18446744073709551616,-9223372036854775809]"#,
    ];
    let deep = format!("[\"a\",{}{}]", "[".repeat(200), "]".repeat(200));
    for kind in [
        SocketKind::Event,
        SocketKind::Ack,
        SocketKind::Connect,
        SocketKind::ConnectError,
        SocketKind::Disconnect,
    ] {
        for data in cases.iter().copied().chain([deep.as_str()]) {
            agrees_with_value_oracle(kind, data).unwrap();
        }
    }
}

proptest! {
    #[test]
    fn payload_shapes_agree_on_json_shaped_text(
        k in kind(),
        s in "[\\[\\]{}\",:a-z0-9.eE+\\- \\\\u]{0,24}",
    ) {
        prop_assert_eq!(agrees_with_value_oracle(k, &s), Ok(()));
    }

    #[test]
    fn payload_shapes_agree_on_generated_json(
        (k, data) in kind().prop_flat_map(|k| (Just(k), json_for(k))),
    ) {
        if let Some(d) = data {
            prop_assert_eq!(agrees_with_value_oracle(k, &d), Ok(()));
        }
    }

    #[test]
    fn socket_roundtrip(
        (kind, data) in kind().prop_flat_map(|k| (Just(k), json_for(k))),
        nsp in prop_oneof![Just("/".to_string()), "/[a-z]{1,8}"],
        id in proptest::option::of(any::<u64>()),
    ) {
        let p = SocketPacket { kind, nsp: &nsp, id, data: data.as_deref() };
        let text = p.encode();
        prop_assert_eq!(SocketPacket::decode(&text), Ok(p.clone()));
        let frame = p.encode_frame();
        prop_assert_eq!(EnginePacket::decode(&frame, usize::MAX), Ok(EnginePacket::Message(text.as_str())));
    }

    #[test]
    fn engine_roundtrip(payload in "[^\u{0}]{0,20}", which in 0u8..6) {
        let p = match which {
            0 => EnginePacket::Close,
            1 => EnginePacket::Ping(&payload),
            2 => EnginePacket::Pong(&payload),
            3 => EnginePacket::Message(&payload),
            4 => EnginePacket::Upgrade,
            _ => EnginePacket::Noop,
        };
        let frame = p.encode();
        prop_assert_eq!(EnginePacket::decode(&frame, usize::MAX), Ok(p));
    }

    #[test]
    fn decoding_arbitrary_text_never_panics(s in any::<String>(), max in 0usize..64) {
        if let Ok(EnginePacket::Message(m)) = EnginePacket::decode(&s, max) {
            if let Ok(p) = SocketPacket::decode(m) {
                if let (SocketKind::Event, Some(d)) = (p.kind, p.data) {
                    prop_assert!(event_name(d).is_ok());
                }
            }
        }
        let _ = SocketPacket::decode(&s);
        let _ = event_name(&s);
        let _ = connect_error_message(Some(&s));
    }

    #[test]
    fn decoding_packet_shaped_text_never_panics(s in "[0-6]{1,2}(/[a-z]{0,3},)?[0-9]{0,3}[\\[\\]{}\",a-z0-9]{0,16}") {
        let _ = SocketPacket::decode(&s);
        let _ = EnginePacket::decode(&s, 1000);
    }
}

#[test]
fn packet_ids_at_and_beyond_64_bits() {
    let text = format!("3{}[]", u64::MAX);
    let max = SocketPacket::decode(&text).unwrap();
    assert_eq!(max.id, Some(u64::MAX));
    assert_eq!(max.encode(), format!("3{}[]", u64::MAX));
    for text in [
        "318446744073709551616[]",
        "2/chat,99999999999999999999999999[\"x\"]",
        &format!("3{}[]", "9".repeat(400)),
    ] {
        assert_eq!(
            SocketPacket::decode(text),
            Err(CodecError::BadAckId),
            "{text}"
        );
    }
    // Handshake numbers that are not u64 are a malformed handshake, not a panic.
    for n in ["-1", "1.5", "1e30", "18446744073709551616"] {
        let frame = format!(r#"0{{"sid":"s","pingInterval":{n},"pingTimeout":1}}"#);
        assert!(matches!(
            EnginePacket::decode(&frame, 1 << 20),
            Err(CodecError::BadHandshake(_))
        ));
    }
}
