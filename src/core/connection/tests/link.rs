//! Handshake, reconnection, offline, liveness and quality.

use super::*;

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
    let auth = crate::core::json::from_str(&frames[0][2..]).unwrap();
    assert_eq!(auth["token"], "tok");
    assert_eq!(auth["device"]["type"], "web");
    assert!(c.is_connected());
    assert_eq!(c.sid(), Some("s1"));
    assert!(fx.contains(&Effect::Connected {
        sid: "s1".into(),
        reconnected: false,
        attempts: 0,
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
        // Through every transport's fallback and back to the WebSocket.
        fail_attempt(&mut c, &fx, now);
        drain(&mut c);
    }
    now += 30_000;
    c.handle_timeout(now);
    c.on_frame(OPEN, now);
    c.on_frame("40", now);
    c.on_frame(READY, now);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::Connected {
        sid: String::new(),
        reconnected: true,
        attempts: 8,
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
    c.on_frame(READY, 2_000_000);
    assert!(drain(&mut c).contains(&Effect::Connected {
        sid: String::new(),
        reconnected: true,
        attempts: 1,
        was_offline: true
    }));
    // It stays set after the reconnect until the app clears it.
    assert!(c.was_offline());
    c.clear_was_offline();
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

#[test]
fn without_reconnection_a_lost_link_ends_disconnected() {
    let mut c = conn(ConnectionConfig {
        reconnection: false,
        ..cfg()
    });
    connected(&mut c, 0);
    c.on_transport_closed(10);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::Disconnected {
        reason: DisconnectReason::TransportClose
    }));
    assert_eq!(states(&fx), [ConnState::Disconnected]);
    assert_eq!(c.next_deadline(), None);
}
