//! The client's commands through the session: the ready gate, rooms,
//! typed completions and errors.

use super::*;
use crate::core::connection::{AckError, ConnState};
use crate::core::queue::NewMessage;

#[test]
fn nothing_goes_out_before_the_ready_event_then_the_queue_flushes() {
    let mut s = session();
    let q = attach_queue(&mut s, None, "a");
    s.queue_message(q, NewMessage::text("general", "hello"), 1)
        .unwrap();
    s.emit("custom", Some(r#"{"a":1}"#), 1).unwrap();
    drain(&mut s);
    s.connect(Some("tok"), 2).unwrap();
    handshake(&mut s, 3);
    let before = frames(&drain(&mut s));
    assert!(before.iter().all(|f| !f.starts_with("42")), "{before:?}");
    s.handle_socket_frame(READY, 4);
    let out = drain(&mut s);
    let sent = frames(&out);
    let custom = sent.iter().position(|f| f.contains("custom")).unwrap();
    let send = sent
        .iter()
        .position(|f| f.contains("message:send"))
        .unwrap();
    assert!(
        custom < send,
        "buffered emits first, then the queue: {sent:?}"
    );
    assert!(sent[send].contains(r#""roomName":"channel:general""#));
    let states: Vec<Event> = events_of(&out, Handle::CLIENT)
        .into_iter()
        .filter(|e| matches!(e, Event::State { .. }))
        .collect();
    assert_eq!(
        states,
        [Event::State {
            state: ConnState::Connected,
            previous: ConnState::Connecting
        }]
    );
    let queue_events = events_of(&out, q);
    assert!(matches!(
        queue_events.first(),
        Some(Event::Queue(crate::core::queue::QueueEvent::Flushing {
            count: 1,
            ..
        }))
    ));
    answer(&mut s, &sent, "message:send", ok(), 5);
    let out = drain(&mut s);
    assert!(events_of(&out, q)
        .iter()
        .any(|e| matches!(e, Event::Queue(crate::core::queue::QueueEvent::Sent { .. }))));
    assert_eq!(s.queue(q).unwrap().get_queue_length(), 0);
}

#[test]
fn rooms_are_rejoined_after_a_reconnect_before_queued_messages() {
    let mut s = session();
    let q = attach_queue(&mut s, None, "a");
    connect(&mut s, 0);
    let join = s.join_channel("general", 1).unwrap();
    let sent = frames(&drain(&mut s));
    answer(&mut s, &sent, "room:join", ok(), 2);
    assert_eq!(
        outcome(&drain(&mut s), join),
        Ok(Answer::Ack(r#"[{"success":true}]"#.into()))
    );
    s.handle_socket_closed(3);
    s.queue_message(q, NewMessage::text("general", "while away"), 4)
        .unwrap();
    drain(&mut s);
    let at = drop_and_reconnect(&mut s, 5);
    s.handle_socket_frame(READY, at);
    let sent = frames(&drain(&mut s));
    assert!(sent.iter().any(|f| f.contains("room:join")), "{sent:?}");
    assert!(
        sent.iter().all(|f| !f.contains("message:send")),
        "the queue waits for the re-join: {sent:?}"
    );
    answer(&mut s, &sent, "room:join", ok(), at);
    let sent = frames(&drain(&mut s));
    assert!(sent.iter().any(|f| f.contains("while away")), "{sent:?}");
}

#[test]
fn completions_keep_their_typed_errors() {
    let mut s = session();
    connect(&mut s, 0);
    let t = s
        .emit_with_ack("slow", None, Some(1_000), false, 0)
        .unwrap();
    s.handle_timeout(1_000);
    let err = outcome(&drain(&mut s), t).unwrap_err();
    assert_eq!(err.code(), "timeout");
    assert!(matches!(err, SessionError::Ack(AckError::Timeout { .. })));

    let t = s.join_channel("nowhere", 2_000).unwrap();
    let sent = frames(&drain(&mut s));
    let refusal = json!({"success": false, "error": {"code": "ROOM_NOT_FOUND", "message": "no"}});
    answer(&mut s, &sent, "room:join", refusal, 2_001);
    match outcome(&drain(&mut s), t) {
        Err(SessionError::Ack(AckError::Rejected { code, event, .. })) => {
            assert_eq!(
                (code.as_str(), event.as_str()),
                ("ROOM_NOT_FOUND", "room:join")
            )
        }
        other => panic!("{other:?}"),
    }
    let err = s.join_channel(" ", 2_002).unwrap_err();
    assert_eq!(err.code(), "bad_room_name");
}

#[test]
fn a_refused_token_fails_connect_and_reports_auth() {
    let mut s = session();
    let t = s.connect(Some("bad"), 0).unwrap();
    s.handle_socket_open(0);
    s.handle_socket_frame(OPEN, 0);
    s.handle_socket_frame(r#"44{"message":"invalid token"}"#, 1);
    let out = drain(&mut s);
    let err = outcome(&out, t).unwrap_err();
    assert_eq!(err.code(), "auth");
    assert_eq!(err.to_string(), "authentication failed: invalid token");
    assert!(events_of(&out, Handle::CLIENT)
        .iter()
        .any(|e| matches!(e, Event::Error(c) if c.code() == "auth")));
}

#[test]
fn commands_before_initialize_and_on_gone_services_are_refused() {
    let mut s = Session::new(Box::new(|| Box::new(MemoryStore::new())));
    assert_eq!(
        s.emit("x", None, 0).unwrap_err(),
        SessionError::NotInitialized
    );
    assert_eq!(
        s.connect(Some("t"), 0).unwrap_err().code(),
        "not_initialized"
    );
    let p = s
        .attach_presence(Default::default(), PresenceAttach::default(), 0)
        .unwrap();
    s.detach(p, 1);
    let err = s
        .presence_do(p, 2, |c, now| {
            c.set_status(crate::core::presence::PresenceStatus::Busy, now);
            Ok(())
        })
        .unwrap_err();
    assert_eq!(err, SessionError::Disposed(ServiceKind::Presence));
    assert_eq!(
        err.to_string(),
        "this PresenceService was disposed; create a new one"
    );
    assert!(s.presence(p).is_ok(), "still readable until forgotten");
    s.forget(p, 3);
    assert!(s.presence(p).is_err());
    s.detach(p, 3); // twice is fine
}

#[test]
fn initializing_again_fails_what_waited_and_keeps_the_services() {
    let mut s = session();
    let p = s
        .attach_presence(Default::default(), PresenceAttach::default(), 0)
        .unwrap();
    connect(&mut s, 0);
    let pending = s.emit_with_ack("x", None, None, false, 1).unwrap();
    let waiting = s.connect(Some("tok2"), 2).unwrap();
    s.initialize(
        ClientConfig {
            connection: ConnectionConfig {
                url: "http://127.0.0.1:3102".into(),
                quality_interval_ms: 0,
                ..Default::default()
            },
            auth_extra: None,
            online: true,
        },
        3,
    )
    .unwrap();
    let out = drain(&mut s);
    assert_eq!(outcome(&out, pending).unwrap_err().code(), "disconnected");
    assert_eq!(
        outcome(&out, waiting).unwrap_err(),
        SessionError::Connect(ConnectFailure::Disconnected)
    );
    assert!(out.contains(&Output::Close));
    let out = connect(&mut s, 4);
    assert!(frames(&out).iter().any(|f| f.contains("presence:update")));
    assert!(s.presence(p).is_ok());
}

#[test]
fn a_socket_that_cannot_open_is_a_transport_error_then_a_retry() {
    let mut s = session();
    s.connect(Some("tok"), 0).unwrap();
    assert!(drain(&mut s)
        .iter()
        .any(|o| matches!(o, Output::Open { .. })));
    s.handle_socket_failed("no WebSocket here".into(), 0);
    let out = drain(&mut s);
    assert!(
        events_of(&out, Handle::CLIENT).contains(&Event::Error(ClientError::Transport {
            message: "no WebSocket here".into()
        }))
    );
    assert_eq!(s.connection().unwrap().state(), ConnState::Reconnecting);
    assert!(s.next_deadline().is_some());
}

#[test]
fn reconnection_is_reported_with_its_attempts_and_was_offline_stays_until_cleared() {
    let reconnected = |out: &[Output]| -> Vec<Event> {
        events_of(out, Handle::CLIENT)
            .into_iter()
            .filter(|e| matches!(e, Event::Reconnected { .. }))
            .collect()
    };
    let mut s = session();
    // The first connection is not a reconnection.
    assert!(reconnected(&connect(&mut s, 1)).is_empty());
    // A lost link, one attempt later connected again.
    let at = drop_and_reconnect(&mut s, 10);
    s.handle_socket_frame(READY, at);
    assert_eq!(
        reconnected(&drain(&mut s)),
        [Event::Reconnected {
            attempts: 1,
            was_offline: false
        }]
    );
    // Offline, then online: reported with wasOffline, which stays set
    // after the reconnect until the app clears it.
    s.handle_online(false, at + 1);
    s.handle_online(true, at + 2);
    open_until_ready(&mut s, at + 2);
    let out = drain(&mut s);
    assert!(matches!(
        reconnected(&out)[..],
        [Event::Reconnected {
            was_offline: true,
            ..
        }]
    ));
    assert!(s.connection().is_some_and(|c| c.was_offline()));
    s.clear_was_offline(at + 3).unwrap();
    assert!(s.connection().is_some_and(|c| !c.was_offline()));
}

#[test]
fn connect_without_a_token_reuses_the_last_one() {
    let mut s = session();
    assert!(s.connect(None, 1).is_err(), "no token yet");
    connect(&mut s, 2);
    s.disconnect(3).unwrap();
    drain(&mut s);
    let t = s.connect(None, 4).unwrap();
    handshake(&mut s, 4);
    let out = drain(&mut s);
    assert!(
        frames(&out)
            .iter()
            .any(|f| f.starts_with("40") && f.contains(r#""token":"tok""#)),
        "{:?}",
        frames(&out)
    );
    s.handle_socket_frame(READY, 5);
    assert_eq!(outcome(&drain(&mut s), t), Ok(Answer::Unit));
}

#[test]
fn each_latency_sample_tells_the_app_the_new_average() {
    let mut s = session();
    connect(&mut s, 0);
    drain(&mut s);
    let latencies = |out: &[Output]| -> Vec<f64> {
        events_of(out, Handle::CLIENT)
            .into_iter()
            .filter_map(|e| match e {
                Event::Latency(avg) => Some(avg),
                _ => None,
            })
            .collect()
    };
    s.measure_latency(10).unwrap();
    let sent = frames(&drain(&mut s));
    answer(&mut s, &sent, "\"ping\"", ok(), 50);
    assert_eq!(latencies(&drain(&mut s)), [40.0]);
    s.measure_latency(100).unwrap();
    let sent = frames(&drain(&mut s));
    answer(&mut s, &sent, "\"ping\"", ok(), 120);
    assert_eq!(
        latencies(&drain(&mut s)),
        [30.0],
        "the average of 40 and 20"
    );
    // Nothing else produces it: a server event carries no sample.
    server_event(&mut s, "custom", json!({}), 130);
    assert!(latencies(&drain(&mut s)).is_empty());
}
