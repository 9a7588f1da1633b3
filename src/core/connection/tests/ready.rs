//! The ready gate: nothing but the handshake before the server's ready event.

use super::*;

fn no_jitter() -> BackoffConfig {
    BackoffConfig {
        jitter: 0.0,
        ..Default::default()
    }
}

#[test]
fn traffic_waits_for_the_ready_event() {
    let mut c = conn(ConnectionConfig {
        quality_interval_ms: 1_000,
        ..cfg()
    });
    c.emit("early", Some("1"), 0).unwrap();
    c.connect("tok", None, 0).unwrap();
    c.on_transport_open(0);
    c.on_frame(OPEN, 0);
    c.on_frame(r#"40{"sid":"s1"}"#, 10);
    let fx = drain(&mut c);
    assert_eq!(sent(&fx).len(), 1, "only the CONNECT: {fx:?}");
    assert!(!fx.iter().any(is_connected_effect));
    assert_eq!(c.state(), ConnState::Connecting);
    assert!(!c.is_connected());
    assert_eq!(c.sid(), Some("s1"));
    // Namespace connected but not ready: emits are buffered, volatile ones dropped.
    assert_eq!(c.emit("mid", None, 20), Ok(true));
    assert_eq!(c.emit_volatile("typing:start", None), Ok(false));
    let probe = c.measure_latency(20);
    assert_eq!(c.buffered(), 2);
    // No quality probe is sent while waiting, and no liveness probe either.
    c.handle_timeout(1_000);
    c.check_liveness(1_000);
    assert!(sent(&drain(&mut c)).is_empty());
    c.on_frame("2", 1_000); // the heartbeat goes on
    assert_eq!(sent(&drain(&mut c)), ["3"]);

    c.on_frame(READY, 1_200);
    let fx = drain(&mut c);
    let event = position(
        &fx,
        |e| matches!(e, Effect::Event { name, .. } if name == "connected"),
    );
    let connected = position(&fx, is_connected_effect);
    assert!(event < connected, "{fx:?}");
    assert_eq!(states(&fx), [ConnState::Connected]);
    let frames = sent(&fx);
    assert_eq!(frames[..2], [r#"42["early",1]"#, r#"42["mid"]"#]);
    assert_eq!(c.buffered(), 0);
    // The sample asked for while waiting goes out now, timed from now.
    assert!(frames[2].starts_with(r#"420["ping""#), "{frames:?}");
    c.on_frame(r#"42["pong",{}]"#, 1_250);
    assert!(drain(&mut c).contains(&Effect::Latency {
        request: Some(probe),
        rtt: 50
    }));
}

#[test]
fn ready_timeout_drops_the_link_and_retries_with_growing_backoff() {
    let mut c = conn(ConnectionConfig {
        connect_timeout_ms: 500,
        backoff: no_jitter(),
        ..cfg()
    });
    c.connect("tok", None, 0).unwrap();
    c.on_transport_open(0);
    c.on_frame(OPEN, 0);
    c.on_frame("40", 10);
    drain(&mut c);
    assert_eq!(c.next_deadline(), Some(500));
    c.handle_timeout(499);
    assert!(drain(&mut c).is_empty());
    c.handle_timeout(500);
    let fx = drain(&mut c);
    assert_eq!(
        fx[0],
        Effect::ReadyTimeout {
            event: "connected".into(),
            timeout_ms: 500
        }
    );
    assert!(fx.contains(&Effect::Close));
    // Never connected, so never disconnected.
    assert!(!fx.iter().any(|e| matches!(e, Effect::Disconnected { .. })));
    assert_eq!(c.state(), ConnState::Reconnecting);
    assert_eq!(c.next_deadline(), Some(1_500));
    // The second attempt also gets no ready event: the delay doubles.
    c.handle_timeout(1_500);
    c.on_frame(OPEN, 1_500);
    c.on_frame("40", 1_500);
    c.handle_timeout(2_000);
    assert!(drain(&mut c)
        .iter()
        .any(|e| matches!(e, Effect::ReadyTimeout { .. })));
    assert_eq!(c.next_deadline(), Some(4_000));
    // The third is ready: the attempt count resets only then.
    c.handle_timeout(4_000);
    assert_eq!(c.reconnect_attempts(), 2);
    ready(&mut c, 4_000);
    assert!(c.is_connected());
    assert_eq!(c.reconnect_attempts(), 0);
}

#[test]
fn a_plain_socket_io_server_is_ready_at_the_namespace_connect() {
    let mut c = conn(ConnectionConfig {
        ready_event: None,
        ..cfg()
    });
    c.emit("early", None, 0).unwrap();
    c.connect("tok", None, 0).unwrap();
    c.on_frame(OPEN, 0);
    c.on_frame("40", 0);
    let fx = drain(&mut c);
    assert!(fx.iter().any(is_connected_effect));
    assert_eq!(sent(&fx)[1..], [r#"42["early"]"#]);
    c.on_frame("2", 19_000);
    c.handle_timeout(20_000);
    assert!(c.is_connected(), "no ready timeout without a ready event");
}

#[test]
fn the_ready_event_counts_once_per_link_and_other_events_pass_before_it() {
    let mut c = conn(cfg());
    c.connect("tok", None, 0).unwrap();
    c.on_frame(OPEN, 0);
    c.on_frame("40", 0);
    // The real server announces presence before `connected`.
    c.on_frame(
        r#"42["presence:changed",{"userId":"u","status":"online"}]"#,
        1,
    );
    let fx = drain(&mut c);
    assert!(matches!(&fx[..], [.., Effect::Event { name, .. }] if name == "presence:changed"));
    assert!(!c.is_connected());
    c.on_frame(READY, 2);
    assert!(drain(&mut c).iter().any(is_connected_effect));
    c.on_frame(READY, 3);
    let fx = drain(&mut c);
    assert!(matches!(&fx[..], [Effect::Event { name, .. }] if name == "connected"));
    // A CONNECT outside the handshake is refused, not a second connection.
    c.on_frame("40", 4);
    assert!(matches!(&drain(&mut c)[..], [Effect::ProtocolError { .. }]));
    assert!(c.is_connected());
}

#[test]
fn user_id_from_the_token_then_from_the_server() {
    let token =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VySWQiOiJ1LTEiLCJzZXNzaW9uSWQiOiJzXzEifQ.x";
    let mut c = conn(cfg());
    assert_eq!(c.user_id(), None);
    c.connect(token, None, 0).unwrap();
    assert_eq!(c.user_id(), Some("u-1"));
    c.on_frame(OPEN, 0);
    c.on_frame("40", 0);
    c.on_frame(r#"42["connected",{"socketId":"s","userId":"u-2"}]"#, 0);
    assert_eq!(c.user_id(), Some("u-2"));
    c.on_frame(r#"42["authenticated",{"userId":"u-3","rooms":[]}]"#, 1);
    assert_eq!(c.user_id(), Some("u-3"));
    // Other events do not change it, nor a ready event without userId.
    c.on_frame(r#"42["presence:changed",{"userId":"other"}]"#, 2);
    assert_eq!(c.user_id(), Some("u-3"));
    // A new, opaque token: no claims, no id (and no panic).
    c.connect("opaque", None, 3).unwrap();
    assert_eq!(c.user_id(), None);
    c.on_frame(OPEN, 3);
    c.on_frame("40", 3);
    c.on_frame(READY, 3);
    assert_eq!(c.user_id(), None);
}

#[test]
fn the_authenticated_event_is_kept_while_the_link_lives() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    assert_eq!(c.authenticated(), None);
    // Not an object: nothing kept.
    c.on_frame(r#"42["authenticated","u-1"]"#, 1);
    assert_eq!(c.authenticated(), None);
    c.on_frame(
        r#"42["authenticated",{"userId":"u-3","sessionId":"s-9","rooms":["user:u-3"]}]"#,
        1,
    );
    let auth = crate::core::json::from_str(c.authenticated().unwrap()).unwrap();
    assert_eq!(
        auth,
        crate::core::json::json!({"userId": "u-3", "sessionId": "s-9", "rooms": ["user:u-3"]})
    );
    c.on_frame(r#"42["presence:changed",{"userId":"other"}]"#, 2);
    assert!(c.authenticated().is_some(), "other events leave it");
    // A lost link forgets it, as nchat's disconnect does.
    c.on_transport_closed(3);
    assert_eq!(c.authenticated(), None);
    let mut c = conn(cfg());
    connected(&mut c, 0);
    c.on_frame(r#"42["authenticated",{"userId":"u"}]"#, 1);
    c.disconnect(2);
    assert_eq!(c.authenticated(), None);
}
