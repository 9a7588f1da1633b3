use super::*;

const OPEN: &str =
    r#"0{"sid":"e1","upgrades":[],"pingInterval":1000,"pingTimeout":500,"maxPayload":1000}"#;

fn conn(cfg: ConnectionConfig) -> Connection {
    Connection::new(cfg).unwrap()
}

fn cfg() -> ConnectionConfig {
    ConnectionConfig {
        url: "http://127.0.0.1:3101".into(),
        quality_interval_ms: 0,
        ..Default::default()
    }
}

fn drain(c: &mut Connection) -> Vec<Effect> {
    std::iter::from_fn(|| c.poll_effect()).collect()
}

fn sent(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

fn states(effects: &[Effect]) -> Vec<ConnState> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::StateChanged { state, .. } => Some(*state),
            _ => None,
        })
        .collect()
}

fn opens(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, Effect::Open { .. }))
        .count()
}

/// Connects fully at `now`, returning the effects.
fn connected(c: &mut Connection, now: Millis) -> Vec<Effect> {
    c.connect("tok", Some(r#"{"device":{"type":"web"}}"#), now)
        .unwrap();
    c.on_transport_open(now);
    c.on_frame(OPEN, now);
    c.on_frame(r#"40{"sid":"s1"}"#, now);
    drain(c)
}

#[test]
fn websocket_url_from_http_and_ws() {
    let mut c = cfg();
    assert_eq!(
        c.websocket_url().unwrap(),
        "ws://127.0.0.1:3101/socket.io/?EIO=4&transport=websocket"
    );
    c.url = "https://chat.example/".into();
    c.path = "rt/".into();
    assert_eq!(
        c.websocket_url().unwrap(),
        "wss://chat.example/rt/?EIO=4&transport=websocket"
    );
    c.url = "ftp://x".into();
    assert!(matches!(
        Connection::new(c),
        Err(ConnectionError::BadUrl(_))
    ));
}

#[test]
fn connects_with_auth_and_answers_pings() {
    let mut c = conn(cfg());
    let fx = connected(&mut c, 0);
    assert!(matches!(
        fx[0],
        Effect::StateChanged {
            state: ConnState::Connecting,
            ..
        }
    ));
    assert_eq!(opens(&fx), 1);
    let frames = sent(&fx);
    assert_eq!(frames.len(), 1);
    let auth: serde_json::Value = serde_json::from_str(&frames[0][2..]).unwrap();
    assert_eq!(auth["token"], "tok");
    assert_eq!(auth["device"]["type"], "web");
    assert!(c.is_connected());
    assert_eq!(c.sid(), Some("s1"));
    assert!(fx.contains(&Effect::Connected {
        sid: "s1".into(),
        reconnected: false,
        was_offline: false
    }));
    c.on_frame("2", 900);
    assert_eq!(sent(&drain(&mut c)), ["3"]);
    assert_eq!(c.next_deadline(), Some(900 + 1500));
}

#[test]
fn auth_refusal_is_not_retried() {
    let mut c = conn(cfg());
    c.connect("bad", None, 0).unwrap();
    c.on_frame(OPEN, 0);
    c.on_frame(r#"44{"message":"invalid token"}"#, 10);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::AuthError {
        message: "invalid token".into()
    }));
    assert!(fx.contains(&Effect::Close));
    assert_eq!(c.state(), ConnState::Disconnected);
    assert_eq!(c.next_deadline(), None);
    c.handle_timeout(1_000_000);
    assert_eq!(opens(&drain(&mut c)), 0);
}

#[test]
fn lost_link_reconnects_with_backoff_then_resets() {
    let mut c = conn(ConnectionConfig {
        backoff: BackoffConfig {
            jitter: 0.0,
            ..Default::default()
        },
        ..cfg()
    });
    connected(&mut c, 0);
    c.on_transport_closed(100);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::Disconnected {
        reason: DisconnectReason::TransportClose
    }));
    assert_eq!(states(&fx), [ConnState::Reconnecting]);
    let mut now = 100;
    for (i, delay) in [1_000u64, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]
        .iter()
        .enumerate()
    {
        assert_eq!(c.next_deadline(), Some(now + delay), "attempt {i}");
        now += delay;
        c.handle_timeout(now - 1);
        assert_eq!(opens(&drain(&mut c)), 0);
        c.handle_timeout(now);
        let fx = drain(&mut c);
        assert_eq!(opens(&fx), 1);
        assert!(fx.contains(&Effect::ReconnectAttempt {
            attempt: i as u32 + 1
        }));
        assert_eq!(c.reconnect_attempts(), i as u32 + 1);
        c.on_transport_closed(now);
        drain(&mut c);
    }
    now += 30_000;
    c.handle_timeout(now);
    c.on_frame(OPEN, now);
    c.on_frame("40", now);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::Connected {
        sid: String::new(),
        reconnected: true,
        was_offline: false
    }));
    assert_eq!(c.reconnect_attempts(), 0);
    c.on_transport_closed(now);
    assert_eq!(c.next_deadline(), Some(now + 1_000));
}

#[test]
fn jitter_is_seeded_and_bounded() {
    let run = |seed| {
        let mut c = conn(ConnectionConfig { seed, ..cfg() });
        connected(&mut c, 0);
        c.on_transport_closed(0);
        c.next_deadline().unwrap()
    };
    assert_eq!(run(1), run(1));
    for seed in 0..50 {
        assert!((1_000..=1_100).contains(&run(seed)));
    }
}

#[test]
fn gives_up_after_max_attempts() {
    let mut c = conn(ConnectionConfig {
        max_reconnect_attempts: Some(2),
        ..cfg()
    });
    connected(&mut c, 0);
    c.on_transport_closed(0);
    for _ in 0..2 {
        let t = c.next_deadline().unwrap();
        c.handle_timeout(t);
        c.on_transport_closed(t);
    }
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::ReconnectFailed { attempts: 2 }));
    assert_eq!(c.state(), ConnState::Disconnected);
    assert_eq!(c.next_deadline(), None);
}

#[test]
fn silent_server_is_declared_dead_after_ping_interval_plus_timeout() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    assert_eq!(c.next_deadline(), Some(1_500));
    c.handle_timeout(1_499);
    assert!(c.is_connected());
    c.handle_timeout(1_500);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::Close));
    assert!(fx.contains(&Effect::Disconnected {
        reason: DisconnectReason::PingTimeout
    }));
    assert_eq!(c.state(), ConnState::Reconnecting);
}

#[test]
fn server_disconnect_is_not_retried() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    c.on_frame("41", 5);
    assert_eq!(c.state(), ConnState::Disconnected);
    assert!(drain(&mut c).contains(&Effect::Disconnected {
        reason: DisconnectReason::Server
    }));
    assert_eq!(c.next_deadline(), None);
}

#[test]
fn offline_stops_attempts_and_online_tries_at_once() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    c.set_online(false, 10);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::OnlineChanged { online: false }));
    assert!(fx.contains(&Effect::Close));
    assert_eq!(c.state(), ConnState::Offline);
    assert_eq!(c.next_deadline(), None);
    c.handle_timeout(1_000_000);
    assert_eq!(opens(&drain(&mut c)), 0);
    c.set_online(true, 2_000_000);
    let fx = drain(&mut c);
    assert_eq!(opens(&fx), 1);
    assert_eq!(c.state(), ConnState::Reconnecting);
    c.on_frame(OPEN, 2_000_000);
    c.on_frame("40", 2_000_000);
    assert!(drain(&mut c).contains(&Effect::Connected {
        sid: String::new(),
        reconnected: true,
        was_offline: true
    }));
    assert!(!c.was_offline());
}

#[test]
fn offline_during_backoff_cancels_the_timer() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    c.on_transport_closed(0);
    c.set_online(false, 1);
    assert_eq!(c.state(), ConnState::Offline);
    assert_eq!(c.next_deadline(), None);
}

#[test]
fn liveness_check_probes_and_reconnects_when_unanswered() {
    let mut c = conn(ConnectionConfig {
        probe_timeout_ms: 300,
        ..cfg()
    });
    connected(&mut c, 0);
    c.check_liveness(100);
    let frames = sent(&drain(&mut c));
    assert_eq!(frames.len(), 1);
    assert!(frames[0].starts_with("420[\"ping\""), "{}", frames[0]);
    assert_eq!(c.next_deadline(), Some(400));
    c.handle_timeout(400);
    assert!(drain(&mut c).contains(&Effect::Disconnected {
        reason: DisconnectReason::PingTimeout
    }));

    // Answered: stays connected and records a sample.
    let mut c = conn(ConnectionConfig {
        probe_timeout_ms: 300,
        ..cfg()
    });
    connected(&mut c, 0);
    c.check_liveness(100);
    drain(&mut c);
    c.on_frame("430[{\"timestamp\":1}]", 150);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::Latency {
        request: None,
        rtt: 50
    }));
    assert_eq!(c.quality(), Quality::Excellent);
    c.handle_timeout(400);
    assert!(c.is_connected());
}

#[test]
fn liveness_check_after_missed_deadline_reconnects_now_and_while_waiting_attempts_now() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    c.check_liveness(5_000); // timers were frozen in a hidden tab
    assert_eq!(c.state(), ConnState::Reconnecting);
    drain(&mut c);
    c.check_liveness(5_001);
    assert_eq!(opens(&drain(&mut c)), 1);
}

#[test]
fn quality_moves_with_latency_through_the_bands() {
    let mut c = conn(ConnectionConfig {
        quality_interval_ms: 1_000,
        latency_window: 2,
        ..cfg()
    });
    connected(&mut c, 0);
    assert_eq!(c.quality(), Quality::Unknown);
    let mut now = 0;
    let mut bands = vec![];
    for rtt in [20, 20, 400, 400, 800, 800] {
        c.handle_timeout(now);
        assert_eq!(sent(&drain(&mut c)).len(), 1);
        c.on_frame("2", now); // keep the link alive
        now += rtt;
        c.on_frame(r#"42["pong",{"timestamp":1}]"#, now);
        drain(&mut c);
        bands.push(c.quality());
        now = now.max(c.next_deadline().unwrap());
    }
    assert_eq!(bands[1], Quality::Excellent);
    assert_eq!(bands[3], Quality::Fair);
    assert_eq!(bands[5], Quality::Poor);
    assert_eq!(c.average_latency(), Some(800.0));
}

#[test]
fn measure_latency_answers_its_request() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    let r = c.measure_latency(10);
    drain(&mut c);
    c.on_frame(r#"42["pong",{"timestamp":1}]"#, 42);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::Latency {
        request: Some(r),
        rtt: 32
    }));
    // Unanswered: times out as an AckErr.
    let r = c.measure_latency(100);
    c.handle_timeout(100 + 5_000);
    assert!(drain(&mut c)
        .iter()
        .any(|e| matches!(e, Effect::AckErr { request, .. } if *request == r)));
}

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
fn connect_timeout_retries() {
    let mut c = conn(ConnectionConfig {
        connect_timeout_ms: 500,
        ..cfg()
    });
    c.connect("t", None, 0).unwrap();
    drain(&mut c);
    assert_eq!(c.next_deadline(), Some(500));
    c.handle_timeout(500);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::Close));
    assert_eq!(c.state(), ConnState::Reconnecting);
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

#[test]
fn idle_connected_client_wakes_only_for_the_heartbeat_window() {
    let mut c = conn(ConnectionConfig {
        quality_interval_ms: 30_000,
        ..cfg()
    });
    connected(&mut c, 0);
    c.handle_timeout(0); // first sample
    drain(&mut c);
    c.on_frame(r#"42["pong",{}]"#, 10);
    c.on_frame("2", 1000);
    drain(&mut c);
    // Only the liveness deadline (driven by server pings) and the next sample remain.
    assert_eq!(c.next_deadline(), Some(2_500));
}
