//! Emits with a `clientMessageId` survive a lost link and are re-sent in order.

use super::*;

fn msg(cid: &str) -> String {
    format!(r#"{{"roomName":"a","content":"hi","clientMessageId":"{cid}"}}"#)
}

#[test]
fn resent_after_the_rejoin_in_their_order_ahead_of_newer_emits() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    c.join_room("a", None, 0).unwrap();
    c.on_frame(r#"430[{"success":true}]"#, 0);
    let first = c
        .emit_with_ack("message:send", Some(&msg("c1")), Some(60_000), 1)
        .unwrap();
    let plain = c
        .emit_with_ack("message:edit", Some(r#"{"id":"m"}"#), Some(60_000), 1)
        .unwrap();
    let second = c
        .emit_with_ack("message:send", Some(&msg("c2")), Some(60_000), 1)
        .unwrap();
    drain(&mut c);
    c.on_transport_closed(5);
    let fx = drain(&mut c);
    let failed: Vec<u64> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::AckErr { request, .. } => Some(*request),
            _ => None,
        })
        .collect();
    assert_eq!(
        failed,
        [plain],
        "only the emit without clientMessageId fails"
    );
    c.emit("late", None, 6).unwrap();
    assert_eq!(c.buffered(), 3);

    let at = c.next_deadline().unwrap();
    c.handle_timeout(at);
    ready(&mut c, at);
    let frames = sent(&drain(&mut c));
    assert_eq!(frames.len(), 2, "CONNECT and the re-join only: {frames:?}");
    c.on_frame(
        &format!(
            "43{}[{{\"success\":true}}]",
            ack_id_of(&frames, "room:join")
        ),
        at,
    );
    let frames = sent(&drain(&mut c));
    assert_eq!(frames.len(), 3, "{frames:?}");
    assert!(frames[0].contains("c1") && frames[1].contains("c2"));
    assert_eq!(frames[2], r#"42["late"]"#);
    c.on_frame(
        &format!(
            "43{}[{{\"success\":true,\"messageId\":\"m2\"}}]",
            ack_id_of(&frames, "c2")
        ),
        at + 1,
    );
    c.on_frame(
        &format!("43{}[{{\"success\":true}}]", ack_id_of(&frames, "c1")),
        at + 2,
    );
    let fx = drain(&mut c);
    assert_eq!(
        fx,
        [
            Effect::AckOk {
                request: second,
                data: r#"[{"success":true,"messageId":"m2"}]"#.into()
            },
            Effect::AckOk {
                request: first,
                data: r#"[{"success":true}]"#.into()
            }
        ]
    );
}

#[test]
fn survives_several_drops_but_still_ends_at_its_own_deadline() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    let r = c
        .emit_with_ack("message:send", Some(&msg("c1")), Some(5_000), 0)
        .unwrap();
    drain(&mut c);
    let at = drop_and_reattempt(&mut c, 10);
    ready(&mut c, at);
    assert!(sent(&drain(&mut c)).iter().any(|f| f.contains("c1")));
    c.on_transport_closed(at + 1);
    assert!(!drain(&mut c)
        .iter()
        .any(|e| matches!(e, Effect::AckErr { .. })));
    c.handle_timeout(4_999);
    assert!(drain(&mut c)
        .iter()
        .all(|e| !matches!(e, Effect::AckErr { .. })));
    c.handle_timeout(5_000);
    assert!(drain(&mut c).contains(&Effect::AckErr {
        request: r,
        error: AckError::Timeout {
            event: "message:send".into(),
            timeout_ms: 5_000
        }
    }));
    // Timed out: not re-sent on the next connection.
    let at = c.next_deadline().unwrap();
    c.handle_timeout(at);
    ready(&mut c, at);
    assert!(!sent(&drain(&mut c)).iter().any(|f| f.contains("c1")));
}

#[test]
fn disconnect_by_the_app_fails_it() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    let r = c
        .emit_with_ack("message:send", Some(&msg("c1")), None, 0)
        .unwrap();
    drain(&mut c);
    c.disconnect(1);
    assert!(drain(&mut c).contains(&Effect::AckErr {
        request: r,
        error: AckError::Disconnected {
            event: "message:send".into()
        }
    }));
    assert_eq!(c.buffered(), 0);
}

#[test]
fn only_a_non_empty_string_client_message_id_counts() {
    for arg in [
        r#"{"clientMessageId":""}"#,
        r#"{"clientMessageId":5}"#,
        r#"{"metadata":{"clientMessageId":"c"}}"#,
        r#""clientMessageId""#,
        r#"["clientMessageId"]"#,
    ] {
        let mut c = conn(cfg());
        connected(&mut c, 0);
        let r = c.emit_with_ack("message:send", Some(arg), None, 0).unwrap();
        c.on_transport_closed(1);
        assert!(
            drain(&mut c).iter().any(
                |e| matches!(e, Effect::AckErr { request, error: AckError::Disconnected { .. } } if *request == r)
            ),
            "{arg}"
        );
    }
}
