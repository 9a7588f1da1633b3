//! Events in, emits and acks out, buffering and bad input.

use super::*;

#[test]
fn events_in_and_acks_out() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    c.on_frame(r#"42["message:new",{"content":"hi"}]"#, 1);
    c.on_frame(r#"427["ask",1]"#, 1);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::Event {
        name: "message:new".into(),
        data: r#"["message:new",{"content":"hi"}]"#.into(),
        ack_id: None
    }));
    assert!(fx.contains(&Effect::Event {
        name: "ask".into(),
        data: r#"["ask",1]"#.into(),
        ack_id: Some(7)
    }));
    c.ack(7, Some(r#"{"ok":true}"#)).unwrap();
    assert_eq!(sent(&drain(&mut c)), [r#"437[{"ok":true}]"#]);
    // Other namespaces are ignored.
    c.on_frame(r#"42/admin,["x"]"#, 1);
    assert!(drain(&mut c).is_empty());
}

#[test]
fn emit_for_data_answers_the_acks_data_or_its_refusal_as_nchats_emit_async() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    let ids: Vec<u64> = (0..4)
        .map(|_| c.emit_for_data("message:send", None, None, 0).unwrap())
        .collect();
    drain(&mut c);
    c.on_frame(r#"430[{"success":true,"data":{"id":"m1"}}]"#, 1);
    c.on_frame(r#"431[{"success":true}]"#, 1);
    c.on_frame(
        r#"432[{"success":false,"error":{"code":"ROOM_NOT_FOUND","message":"no"}}]"#,
        1,
    );
    c.on_frame(r#"433["pong"]"#, 1);
    let fx = drain(&mut c);
    let ok = |request, data: &str| Effect::AckOk {
        request,
        data: data.into(),
    };
    assert!(fx.contains(&ok(ids[0], r#"[{"id":"m1"}]"#)), "{fx:?}");
    assert!(fx.contains(&ok(ids[1], "[]")), "{fx:?}");
    assert!(fx.contains(&Effect::AckErr {
        request: ids[2],
        error: AckError::Rejected {
            event: "message:send".into(),
            code: "ROOM_NOT_FOUND".into(),
            message: "no".into()
        }
    }));
    assert!(
        fx.contains(&ok(ids[3], r#"["pong"]"#)),
        "a plain server's ack as it is"
    );
}

#[test]
fn emit_with_ack_resolves_times_out_and_fails_on_disconnect() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    let a = c
        .emit_with_ack("room:join", Some(r#"{"roomName":"g"}"#), None, 0)
        .unwrap();
    let b = c.emit_with_ack("slow", None, Some(100), 0).unwrap();
    let frames = sent(&drain(&mut c));
    assert_eq!(
        frames,
        [r#"420["room:join",{"roomName":"g"}]"#, r#"421["slow"]"#]
    );
    c.on_frame(r#"430[{"success":true}]"#, 50);
    assert!(drain(&mut c).contains(&Effect::AckOk {
        request: a,
        data: r#"[{"success":true}]"#.into()
    }));
    c.handle_timeout(100);
    assert!(drain(&mut c).contains(&Effect::AckErr {
        request: b,
        error: AckError::Timeout {
            event: "slow".into(),
            timeout_ms: 100
        }
    }));
    // A late ack for a timed-out request is ignored.
    c.on_frame("431[]", 120);
    assert!(drain(&mut c).is_empty());
    let d = c.emit_with_ack("x", None, None, 200).unwrap();
    drain(&mut c);
    c.on_transport_closed(300);
    assert!(drain(&mut c).contains(&Effect::AckErr {
        request: d,
        error: AckError::Disconnected { event: "x".into() }
    }));
}

#[test]
fn emits_while_disconnected_are_buffered_in_order_and_bounded() {
    let mut c = conn(ConnectionConfig {
        buffer_limit: 2,
        ..cfg()
    });
    assert_eq!(c.emit("a", Some("1"), 0), Ok(true));
    let r = c.emit_with_ack("b", None, Some(60_000), 0).unwrap();
    assert_eq!(c.emit("c", None, 0), Ok(false));
    assert_eq!(c.emit_volatile("v", None), Ok(false));
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::BufferOverflow {
        event: "c".into(),
        limit: 2
    }));
    let f = c.emit_with_ack("d", None, None, 0).unwrap();
    assert!(drain(&mut c).iter().any(|e| matches!(e, Effect::AckErr { request, error: AckError::BufferFull { .. } } if *request == f)));
    let fx = connected(&mut c, 10);
    let frames = sent(&fx);
    assert_eq!(&frames[1..], [r#"42["a",1]"#, r#"420["b"]"#]);
    c.on_frame("430[]", 20);
    assert!(drain(&mut c).contains(&Effect::AckOk {
        request: r,
        data: "[]".into()
    }));
    assert_eq!(c.buffered(), 0);
}

#[test]
fn buffered_request_that_timed_out_is_not_sent() {
    let mut c = conn(cfg());
    let r = c.emit_with_ack("late", None, Some(10), 0).unwrap();
    c.handle_timeout(10);
    assert!(drain(&mut c)
        .iter()
        .any(|e| matches!(e, Effect::AckErr { request, .. } if *request == r)));
    let fx = connected(&mut c, 20);
    assert_eq!(sent(&fx).len(), 1); // only CONNECT
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    assert!(matches!(
        c.emit("", None, 0),
        Err(ConnectionError::BadEventName(..))
    ));
    assert!(matches!(
        c.emit("connect", None, 0),
        Err(ConnectionError::BadEventName(..))
    ));
    assert!(matches!(
        c.emit("x", Some("{nope"), 0),
        Err(ConnectionError::BadPayload(_))
    ));
    assert!(matches!(
        c.connect("", None, 0),
        Err(ConnectionError::EmptyToken)
    ));
    assert!(matches!(
        c.connect("t", Some("[1]"), 0),
        Err(ConnectionError::BadPayload(_))
    ));
    assert!(c.is_connected());
    assert!(drain(&mut c).is_empty());
}

#[test]
fn malformed_frames_are_reported_and_the_connection_goes_on() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    for bad in [
        "42[\"oops\"",
        "9zzz",
        "4",
        "45-[]",
        "43x",
        &format!("4{}", "x".repeat(2000)),
    ] {
        c.on_frame(bad, 1);
    }
    c.on_binary_frame();
    let fx = drain(&mut c);
    assert_eq!(
        fx.iter()
            .filter(|e| matches!(e, Effect::ProtocolError { .. }))
            .count(),
        7,
        "{fx:?}"
    );
    assert!(c.is_connected());
    c.on_frame(r#"42["ok"]"#, 2);
    assert!(matches!(&drain(&mut c)[..], [Effect::Event { .. }]));
}

#[test]
fn disconnect_is_final_and_keeps_plain_emits() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    c.disconnect(5);
    let fx = drain(&mut c);
    assert_eq!(sent(&fx), ["41"]);
    assert!(fx.contains(&Effect::Disconnected {
        reason: DisconnectReason::Client
    }));
    assert_eq!(c.state(), ConnState::Disconnected);
    assert_eq!(c.next_deadline(), None);
    c.emit("later", None, 6).unwrap();
    assert_eq!(c.buffered(), 1);
    // Frames from the old socket after disconnect are ignored.
    c.on_frame(r#"42["x"]"#, 7);
    assert!(drain(&mut c).is_empty());
}
