//! Rooms: joined with a typed answer, re-joined before traffic on every
//! reconnect, left at once while offline.

use super::*;

const NOT_FOUND: &str =
    r#"[{"success":false,"error":{"code":"ROOM_NOT_FOUND","message":"Room not found"}}]"#;

fn joined(room: &str) -> String {
    format!(r#"[{{"success":true,"data":{{"roomName":"{room}","memberCount":1}}}}]"#)
}

fn join_frame(room: &str) -> String {
    format!(r#"["room:join",{{"roomName":"{room}"}}]"#)
}

fn not_found(event: &str) -> AckError {
    AckError::Rejected {
        event: event.into(),
        code: "ROOM_NOT_FOUND".into(),
        message: "Room not found".into(),
    }
}

/// A live connection that joined `rooms` (answered), effects drained.
fn with_rooms(rooms: &[&str]) -> Connection {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    for room in rooms {
        c.join_room(room, None, 0).unwrap();
        let frames = sent(&drain(&mut c));
        let id = ack_id_of(&frames, &join_frame(room));
        c.on_frame(&format!("43{id}{}", joined(room)), 0);
        drain(&mut c);
    }
    c
}

/// Reconnects after a drop up to the ready event; returns the frames sent.
fn reconnect_until_ready(c: &mut Connection, now: Millis) -> Vec<String> {
    let at = drop_and_reattempt(c, now);
    ready(c, at);
    sent(&drain(c))
}

#[test]
fn join_while_connected_is_sent_and_answered() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    let r = c.join_room("channel:a", None, 0).unwrap();
    assert_eq!(
        sent(&drain(&mut c)),
        [r#"420["room:join",{"roomName":"channel:a"}]"#]
    );
    assert_eq!(c.rooms(), ["channel:a"]);
    c.on_frame(&format!("430{}", joined("channel:a")), 5);
    assert_eq!(
        drain(&mut c),
        [Effect::AckOk {
            request: r,
            data: joined("channel:a")
        }]
    );
    assert!(matches!(
        c.join_room(" ", None, 0),
        Err(ConnectionError::BadRoomName(_))
    ));
    assert!(matches!(
        c.leave_room("", None, 0),
        Err(ConnectionError::BadRoomName(_))
    ));
}

#[test]
fn room_not_found_on_join_is_typed_and_drops_the_room() {
    let mut c = with_rooms(&["a"]);
    let r = c.join_room("missing", None, 0).unwrap();
    assert_eq!(c.rooms(), ["a", "missing"]);
    let frames = sent(&drain(&mut c));
    c.on_frame(
        &format!("43{}{NOT_FOUND}", ack_id_of(&frames, "missing")),
        1,
    );
    assert_eq!(
        drain(&mut c),
        [Effect::AckErr {
            request: r,
            error: not_found("room:join")
        }]
    );
    assert_eq!(c.rooms(), ["a"]);
    // Not re-joined after a reconnect.
    let frames = reconnect_until_ready(&mut c, 10);
    assert!(!frames.iter().any(|f| f.contains("missing")), "{frames:?}");
}

#[test]
fn rooms_are_rejoined_in_order_before_connected_and_before_buffered_emits() {
    let mut c = with_rooms(&["a", "b"]);
    c.on_transport_closed(10);
    drain(&mut c);
    c.emit("message:send", Some(r#"{"roomName":"a"}"#), 11)
        .unwrap();
    let at = c.next_deadline().unwrap();
    c.handle_timeout(at);
    ready(&mut c, at);
    let fx = drain(&mut c);
    let frames = sent(&fx);
    assert_eq!(frames.len(), 3, "CONNECT and two joins: {frames:?}");
    assert!(frames[1].ends_with(&join_frame("a")) && frames[2].ends_with(&join_frame("b")));
    assert!(!fx.iter().any(is_connected_effect));
    assert_eq!(c.state(), ConnState::Reconnecting);
    c.on_frame(
        &format!("43{}{}", ack_id_of(&frames, "\"a\""), joined("a")),
        at,
    );
    assert!(sent(&drain(&mut c)).is_empty(), "still waiting for b");
    c.on_frame(
        &format!("43{}{}", ack_id_of(&frames, "\"b\""), joined("b")),
        at,
    );
    let fx = drain(&mut c);
    let connected = position(&fx, is_connected_effect);
    let flushed = position(
        &fx,
        |e| matches!(e, Effect::Send(f) if f.contains("message:send")),
    );
    assert!(connected < flushed, "{fx:?}");
    assert!(fx.contains(&Effect::Connected {
        sid: "s1".into(),
        reconnected: true,
        attempts: 1,
        was_offline: false
    }));
    // The re-join answers are the connection's own: no app ack.
    assert!(!fx.iter().any(|e| matches!(e, Effect::AckOk { .. })));
    assert_eq!(c.rooms(), ["a", "b"]);
}

#[test]
fn rejoin_refused_drops_the_room_and_reports_it() {
    let mut c = with_rooms(&["gone", "b"]);
    let frames = reconnect_until_ready(&mut c, 10);
    c.on_frame(
        &format!("43{}{NOT_FOUND}", ack_id_of(&frames, "gone")),
        2_000,
    );
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::RejoinFailed {
        room: "gone".into(),
        code: "ROOM_NOT_FOUND".into(),
        message: "Room not found".into()
    }));
    assert!(!c.is_connected());
    c.on_frame(
        &format!("43{}{}", ack_id_of(&frames, "\"b\""), joined("b")),
        2_000,
    );
    assert!(drain(&mut c).iter().any(is_connected_effect));
    assert_eq!(c.rooms(), ["b"]);
}

#[test]
fn unanswered_rejoin_times_out_reports_and_keeps_the_room() {
    let mut c = conn(ConnectionConfig {
        ack_timeout_ms: 300,
        ..cfg()
    });
    connected(&mut c, 0);
    c.join_room("a", None, 0).unwrap();
    c.on_frame(&format!("430{}", joined("a")), 0);
    let at = drop_and_reattempt(&mut c, 10);
    ready(&mut c, at);
    drain(&mut c);
    assert_eq!(c.next_deadline(), Some(at + 300));
    c.handle_timeout(at + 300);
    let fx = drain(&mut c);
    let failed = position(
        &fx,
        |e| matches!(e, Effect::RejoinFailed { room, code, .. } if room == "a" && code == REJOIN_TIMEOUT_CODE),
    );
    assert!(failed < position(&fx, is_connected_effect));
    assert_eq!(c.rooms(), ["a"]);
}

#[test]
fn join_while_offline_is_answered_by_the_rejoin_phase() {
    let mut c = conn(cfg());
    let ok = c.join_room("a", None, 0).unwrap();
    let refused = c.join_room("missing", None, 0).unwrap();
    let twice = c.join_room("a", None, 0).unwrap();
    assert_eq!(c.rooms(), ["a", "missing"]);
    assert!(drain(&mut c).is_empty());
    assert_eq!(c.buffered(), 0, "joins are not buffered emits");
    c.connect("tok", None, 10).unwrap();
    ready(&mut c, 10);
    let frames = sent(&drain(&mut c));
    assert_eq!(frames.len(), 3, "one join per room: {frames:?}");
    c.on_frame(
        &format!("43{}{}", ack_id_of(&frames, "\"a\""), joined("a")),
        20,
    );
    c.on_frame(
        &format!("43{}{NOT_FOUND}", ack_id_of(&frames, "missing")),
        20,
    );
    let fx = drain(&mut c);
    for r in [ok, twice] {
        assert!(fx.contains(&Effect::AckOk {
            request: r,
            data: joined("a")
        }));
    }
    assert!(fx.contains(&Effect::AckErr {
        request: refused,
        error: not_found("room:join")
    }));
    // The app heard about it: no separate report.
    assert!(!fx.iter().any(|e| matches!(e, Effect::RejoinFailed { .. })));
    assert!(fx.iter().any(is_connected_effect));
    assert_eq!(c.rooms(), ["a"]);
}

#[test]
fn leave_while_offline_is_answered_at_once_and_cancels_waiting_joins() {
    let mut c = with_rooms(&["a", "b"]);
    c.on_transport_closed(10);
    drain(&mut c);
    let pending = c.join_room("c", None, 11).unwrap();
    let left = c.leave_room("a", None, 12).unwrap();
    let cancelled = c.leave_room("c", None, 12).unwrap();
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::AckOk {
        request: left,
        data: r#"[{"success":true}]"#.into()
    }));
    assert!(fx.contains(&Effect::AckErr {
        request: pending,
        error: AckError::Cancelled {
            event: "room:join".into(),
            room: "c".into()
        }
    }));
    assert!(fx.contains(&Effect::AckOk {
        request: cancelled,
        data: r#"[{"success":true}]"#.into()
    }));
    assert!(sent(&fx).is_empty());
    assert_eq!(c.rooms(), ["b"]);
    let at = c.next_deadline().unwrap();
    c.handle_timeout(at);
    ready(&mut c, at);
    let frames = sent(&drain(&mut c));
    assert_eq!(frames.len(), 2);
    assert!(frames[1].ends_with(&join_frame("b")));
}

#[test]
fn leave_while_connected_is_sent_and_a_refusal_is_typed() {
    let mut c = with_rooms(&["a"]);
    let r = c.leave_room("a", None, 1).unwrap();
    assert!(c.rooms().is_empty());
    let frames = sent(&drain(&mut c));
    assert!(frames[0].ends_with(r#"["room:leave",{"roomName":"a"}]"#));
    c.on_frame(&format!("43{}{NOT_FOUND}", ack_id_of(&frames, "leave")), 2);
    assert_eq!(
        drain(&mut c),
        [Effect::AckErr {
            request: r,
            error: not_found("room:leave")
        }]
    );
}

#[test]
fn joins_during_the_rejoin_phase_are_awaited_before_connected() {
    let mut c = with_rooms(&["a"]);
    let frames = reconnect_until_ready(&mut c, 10);
    let rejoin_a = ack_id_of(&frames, "\"a\"");
    let same = c.join_room("a", None, 2_000).unwrap();
    let new = c.join_room("b", None, 2_000).unwrap();
    let frames = sent(&drain(&mut c));
    assert_eq!(frames.len(), 1, "a is in flight already: {frames:?}");
    c.on_frame(&format!("43{rejoin_a}{}", joined("a")), 2_001);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::AckOk {
        request: same,
        data: joined("a")
    }));
    assert!(!fx.iter().any(is_connected_effect), "b is not answered yet");
    c.on_frame(
        &format!("43{}{}", ack_id_of(&frames, "\"b\""), joined("b")),
        2_002,
    );
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::AckOk {
        request: new,
        data: joined("b")
    }));
    assert!(fx.iter().any(is_connected_effect));
}

#[test]
fn leaving_during_the_rejoin_phase_makes_its_rejoin_stale() {
    let mut c = with_rooms(&["a"]);
    let frames = reconnect_until_ready(&mut c, 10);
    let old = ack_id_of(&frames, "\"a\"");
    c.leave_room("a", None, 2_000).unwrap();
    let again = c.join_room("a", None, 2_000).unwrap();
    let frames = sent(&drain(&mut c));
    assert!(frames[0].contains("room:leave") && frames[1].contains("room:join"));
    let fresh = ack_id_of(&frames, "room:join");
    // The stale answer (the socket left after it) does not answer the new join.
    c.on_frame(&format!("43{old}{}", joined("a")), 2_001);
    let fx = drain(&mut c);
    assert!(!fx
        .iter()
        .any(|e| matches!(e, Effect::AckOk { request, .. } if *request == again)));
    assert!(!fx.iter().any(is_connected_effect));
    c.on_frame(&format!("43{fresh}{}", joined("a")), 2_002);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::AckOk {
        request: again,
        data: joined("a")
    }));
    assert!(fx.iter().any(is_connected_effect));
    assert_eq!(c.rooms(), ["a"]);
}

#[test]
fn requests_in_flight_when_the_link_drops() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    let join = c.join_room("a", None, 0).unwrap();
    c.join_room("b", None, 0).unwrap();
    drain(&mut c);
    let leave = c.leave_room("b", None, 0).unwrap();
    drain(&mut c);
    c.on_transport_closed(5);
    let fx = drain(&mut c);
    // The leave is done (the next socket is in no room); the join waits.
    assert!(fx.contains(&Effect::AckOk {
        request: leave,
        data: r#"[{"success":true}]"#.into()
    }));
    assert!(!fx
        .iter()
        .any(|e| matches!(e, Effect::AckErr { request, .. } if *request == join)));
    let at = c.next_deadline().unwrap();
    c.handle_timeout(at);
    ready(&mut c, at);
    let frames = sent(&drain(&mut c));
    assert_eq!(frames.len(), 2, "only a is re-joined: {frames:?}");
    c.on_frame(
        &format!("43{}{}", ack_id_of(&frames, "\"a\""), joined("a")),
        at,
    );
    assert!(drain(&mut c).contains(&Effect::AckOk {
        request: join,
        data: joined("a")
    }));
}

#[test]
fn disconnect_fails_waiting_joins_and_keeps_the_rooms() {
    let mut c = with_rooms(&["a"]);
    c.on_transport_closed(1);
    let waiting = c.join_room("b", None, 2).unwrap();
    drain(&mut c);
    c.disconnect(3);
    assert!(drain(&mut c).contains(&Effect::AckErr {
        request: waiting,
        error: AckError::Disconnected {
            event: "room:join".into()
        }
    }));
    assert_eq!(c.rooms(), ["a", "b"]);
    c.connect("tok", None, 4).unwrap();
    ready(&mut c, 4);
    assert_eq!(sent(&drain(&mut c)).len(), 3);
}
