//! Numbers from the network: checked, never wrapping a deadline, never panicking.

use super::*;
use proptest::prelude::*;

fn open_frame(interval: &str, timeout: &str, max_payload: &str) -> String {
    format!(
        r#"0{{"sid":"e2","upgrades":[],"pingInterval":{interval},"pingTimeout":{timeout},"maxPayload":{max_payload}}}"#
    )
}

#[test]
fn an_open_packet_mid_session_is_ignored() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    let before = c.next_deadline();
    let max = u64::MAX.to_string();
    c.on_frame(&open_frame(&max, &max, &max), 100);
    let fx = drain(&mut c);
    assert!(matches!(&fx[..], [Effect::ProtocolError { .. }]), "{fx:?}");
    assert!(c.is_connected());
    assert_eq!(c.next_deadline(), before);
    // The heartbeat keeps the first handshake's window.
    c.on_frame("2", 1_000);
    drain(&mut c);
    assert_eq!(c.next_deadline(), Some(2_500));
}

#[test]
fn an_absurd_handshake_drops_the_link_and_retries() {
    let max = u64::MAX.to_string();
    for (interval, timeout, payload) in [
        (max.as_str(), "500", "1000"),
        ("1000", max.as_str(), "1000"),
        ("0", "500", "1000"),
        ("3600001", "500", "1000"),
        ("1000", "500", "0"),
        ("1000", "500", max.as_str()),
    ] {
        let mut c = conn(cfg());
        c.connect("tok", None, 0).unwrap();
        drain(&mut c);
        c.on_frame(&open_frame(interval, timeout, payload), 10);
        let fx = drain(&mut c);
        assert!(matches!(fx[0], Effect::ProtocolError { .. }), "{fx:?}");
        assert!(fx.contains(&Effect::Close));
        assert!(sent(&fx).is_empty(), "no CONNECT after a bad handshake");
        assert_eq!(c.state(), ConnState::Reconnecting);
        assert!((1_010..=1_110).contains(&c.next_deadline().unwrap()));
    }
    // Negative or fractional numbers are not a handshake at all.
    let mut c = conn(cfg());
    c.connect("tok", None, 0).unwrap();
    c.on_frame(&open_frame("-1", "1.5", "1000"), 10);
    assert!(matches!(
        drain(&mut c)[..],
        [.., Effect::ProtocolError { .. }]
    ));
}

#[test]
fn ack_ids_beyond_64_bits_are_refused_and_unknown_ones_ignored() {
    let mut c = conn(cfg());
    connected(&mut c, 0);
    c.on_frame("4318446744073709551616[]", 1);
    c.on_frame("4299999999999999999999999[\"x\"]", 1);
    let fx = drain(&mut c);
    assert_eq!(fx.len(), 2);
    assert!(fx.iter().all(|e| matches!(e, Effect::ProtocolError { .. })));
    c.on_frame(&format!("43{}[]", u64::MAX), 1);
    assert!(drain(&mut c).is_empty());
    c.on_frame(&format!("42{}[\"ask\"]", u64::MAX), 1);
    assert!(matches!(
        &drain(&mut c)[..],
        [Effect::Event {
            ack_id: Some(u64::MAX),
            ..
        }]
    ));
}

#[test]
fn deadlines_saturate_at_the_end_of_time() {
    let end = u64::MAX - 10;
    let mut c = conn(ConnectionConfig {
        connect_timeout_ms: u64::MAX,
        ack_timeout_ms: u64::MAX,
        quality_interval_ms: u64::MAX,
        probe_timeout_ms: u64::MAX,
        backoff: BackoffConfig {
            base_ms: u64::MAX,
            max_ms: u64::MAX,
            jitter: 1.0,
        },
        ..cfg()
    });
    c.connect("tok", None, end).unwrap();
    assert_eq!(c.next_deadline(), Some(u64::MAX));
    ready(&mut c, end);
    assert!(c.is_connected());
    c.emit_with_ack("x", None, None, end).unwrap();
    c.join_room("a", Some(u64::MAX), end).unwrap();
    c.measure_latency(end);
    c.handle_timeout(end);
    assert!(c.next_deadline().unwrap() >= end);
    c.on_transport_closed(end);
    assert_eq!(c.next_deadline(), Some(u64::MAX));
    c.handle_timeout(u64::MAX);
    assert!(drain(&mut c)
        .iter()
        .any(|e| matches!(e, Effect::Open { .. })));
}

#[derive(Debug, Clone)]
enum Op {
    Advance(u64),
    Frame(String),
    /// Handshake, CONNECT and ready event in a row, so runs reach `Connected`.
    Ready,
    Closed,
    Emit(bool),
    Join(u8),
    Leave(u8),
    Online(bool),
    Liveness,
    Measure,
    Connect,
    Disconnect,
}

fn arb_number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        Just(u64::MAX.to_string()),
        Just("18446744073709551616".to_owned()),
        (0u64..5_000).prop_map(|n| n.to_string()),
        Just("-1".to_owned()),
        Just("1e30".to_owned()),
    ]
}

fn arb_frame() -> impl Strategy<Value = String> {
    prop_oneof![
        (arb_number(), arb_number(), arb_number()).prop_map(|(i, t, m)| open_frame(&i, &t, &m)),
        Just(OPEN.to_owned()),
        Just("40".to_owned()),
        Just(READY.to_owned()),
        Just("2".to_owned()),
        Just("41".to_owned()),
        Just(r#"44{"message":"Invalid token"}"#.to_owned()),
        (
            arb_number(),
            prop_oneof![
                Just(r#"[{"success":true}]"#),
                Just(r#"[{"success":false,"error":{"code":"ROOM_NOT_FOUND","message":"m"}}]"#),
                Just("[]"),
                Just("[1]"),
            ]
        )
            .prop_map(|(id, data)| format!("43{id}{data}")),
        (0u64..20).prop_map(|id| format!("43{id}[{{\"success\":true}}]")),
        (arb_number(), "[a-z:]{0,8}").prop_map(|(id, n)| format!("42{id}[\"{n}\",{{}}]")),
        Just(r#"42["pong",{}]"#.to_owned()),
        "[0-6]{1,2}[0-9]{0,25}.{0,20}",
    ]
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => prop_oneof![0u64..3_000, any::<u64>()].prop_map(Op::Advance),
        6 => arb_frame().prop_map(Op::Frame),
        2 => Just(Op::Ready),
        1 => Just(Op::Closed),
        2 => any::<bool>().prop_map(Op::Emit),
        1 => (0u8..3).prop_map(Op::Join),
        1 => (0u8..3).prop_map(Op::Leave),
        1 => any::<bool>().prop_map(Op::Online),
        1 => Just(Op::Liveness),
        1 => Just(Op::Measure),
        1 => Just(Op::Connect),
        1 => Just(Op::Disconnect),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Whatever the server sends and whenever: no panic, and no deadline ever
    /// lies before the present (a wrapped `now + x` would).
    #[test]
    fn random_frames_and_huge_numbers_never_panic_or_wrap(
        start in prop_oneof![Just(0u64), Just(u64::MAX - 100_000), any::<u64>()],
        ops in proptest::collection::vec(arb_op(), 1..60),
    ) {
        let mut c = conn(ConnectionConfig { quality_interval_ms: 1_000, ..cfg() });
        let mut now = start;
        c.connect("tok", None, now).unwrap();
        for op in ops {
            match op {
                Op::Advance(d) => {
                    now = now.saturating_add(d);
                    c.handle_timeout(now);
                }
                Op::Frame(f) => c.on_frame(&f, now),
                Op::Ready => ready(&mut c, now),
                Op::Closed => c.on_transport_closed(now),
                Op::Emit(cid) => {
                    let arg = if cid { r#"{"clientMessageId":"c"}"# } else { "{}" };
                    c.emit_with_ack("message:send", Some(arg), None, now).unwrap();
                }
                Op::Join(r) => { c.join_room(&format!("r{r}"), None, now).unwrap(); }
                Op::Leave(r) => { c.leave_room(&format!("r{r}"), None, now).unwrap(); }
                Op::Online(on) => c.set_online(on, now),
                Op::Liveness => c.check_liveness(now),
                Op::Measure => { c.measure_latency(now); }
                Op::Connect => c.connect("tok", None, now).unwrap(),
                Op::Disconnect => c.disconnect(now),
            }
            while c.poll_effect().is_some() {}
            if let Some(d) = c.next_deadline() {
                prop_assert!(d >= now, "deadline {} before now {}", d, now);
            }
            prop_assert_eq!(c.is_connected(), c.phase == Phase::Live);
        }
    }
}
