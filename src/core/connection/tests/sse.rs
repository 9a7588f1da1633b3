//! The SSE and polling wire behind the same phases (docs/sse-wire.md).

use super::*;

const BASE: &str = "http://127.0.0.1:3101";
const INIT: &str = "id: s1.1\nevent: init\ndata: {\"type\":\"init\",\"data\":{\"userId\":\"u1\",\"sessionId\":\"s1\",\"timestamp\":5000}}\n\n";
const CONNECTION: &str =
    "id: s1.2\ndata: {\"type\":\"connection\",\"data\":{\"status\":\"connected\"}}\n\n";

fn sse_cfg() -> ConnectionConfig {
    ConnectionConfig {
        transport: Transport::Sse,
        backoff: BackoffConfig {
            jitter: 0.0,
            ..Default::default()
        },
        ..cfg()
    }
}

/// `data:` frame of an event with `id`.
fn frame(id: &str, ty: &str, data: &str) -> String {
    format!("id: {id}\r\ndata: {{\"type\":\"{ty}\",\"data\":{data}}}\r\n\r\n")
}

/// The requests made (not the stream).
fn https(effects: &[Effect]) -> Vec<(u64, &'static str, String, Option<String>)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Http(r) if r.id != HttpRequest::STREAM => {
                Some((r.id, r.method, r.url.clone(), r.body.clone()))
            }
            _ => None,
        })
        .collect()
}

fn events(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Event { data, .. } => Some(data.clone()),
            _ => None,
        })
        .collect()
}

/// Connects over SSE up to `Connected` (no rooms).
fn live(c: &mut Connection, now: Millis) -> Vec<Effect> {
    c.connect("tok", None, now).unwrap();
    c.on_stream_open(200, "", now);
    c.on_stream_text(INIT, now);
    c.on_stream_text(CONNECTION, now);
    drain(c)
}

/// Answers the one POST in flight with `{"ack": ack}`.
fn answer(c: &mut Connection, fx: &[Effect], ack: &str, now: Millis) {
    let (id, ..) = https(fx)[0].clone();
    c.on_http_done(id, 200, &format!("{{\"ack\":{ack}}}"), now);
}

#[test]
fn ready_only_after_the_connection_event_then_the_buffer_goes_out() {
    let mut c = conn(sse_cfg());
    c.connect("tok", None, 0).unwrap();
    c.emit("early", Some("1"), 0).unwrap();
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::Http(super::stream_request(
        format!("{BASE}/api/realtime/stream"),
        "tok",
        None
    ))));
    c.on_stream_open(200, "", 1);
    c.on_stream_text(&INIT[..30], 1);
    c.on_stream_text(&INIT[30..], 1);
    assert!(!c.is_connected());
    assert_eq!(c.sid(), Some("s1"));
    assert_eq!(c.user_id(), Some("u1"));
    assert!(
        https(&drain(&mut c)).is_empty(),
        "nothing before `connection`"
    );
    c.on_stream_text(CONNECTION, 2);
    let fx = drain(&mut c);
    assert!(c.is_connected());
    assert!(
        events(&fx).is_empty(),
        "init and connection are the link's own"
    );
    let sent = https(&fx);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1, "POST");
    assert_eq!(sent[0].2, format!("{BASE}/api/realtime/emit"));
    assert_eq!(
        sent[0].3.as_deref(),
        Some(r#"{"event":"early","data":1,"ack":false}"#)
    );
}

#[test]
fn rooms_are_rejoined_and_answered_before_app_traffic() {
    let mut c = conn(sse_cfg());
    c.join_room("channel:a", None, 0).unwrap();
    c.connect("tok", None, 0).unwrap();
    c.emit("hello", None, 0).unwrap();
    c.on_stream_open(200, "", 1);
    c.on_stream_text(INIT, 1);
    c.on_stream_text(CONNECTION, 1);
    let fx = drain(&mut c);
    let sent = https(&fx);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].3.as_deref(),
        Some(r#"{"event":"room:join","data":{"roomName":"channel:a"}}"#)
    );
    assert!(!c.is_connected());
    answer(&mut c, &fx, r#"{"success":true}"#, 2);
    let fx = drain(&mut c);
    assert!(c.is_connected());
    assert!(fx.iter().any(|e| matches!(e, Effect::AckOk { .. })));
    assert_eq!(
        https(&fx)[0].3.as_deref(),
        Some(r#"{"event":"hello","data":null,"ack":false}"#)
    );
}

#[test]
fn sends_go_one_at_a_time_in_order_and_acks_answer_their_requests() {
    let mut c = conn(sse_cfg());
    live(&mut c, 0);
    let r1 = c
        .emit_with_ack("message:send", Some("{\"n\":1}"), None, 1)
        .unwrap();
    c.emit("typing:start", Some("{\"n\":2}"), 1).unwrap();
    let r3 = c.emit_for_data("x", Some("{\"n\":3}"), None, 1).unwrap();
    let fx = drain(&mut c);
    assert_eq!(https(&fx).len(), 1, "one request at a time");
    assert!(https(&fx)[0].3.as_deref().unwrap().contains("message:send"));
    answer(&mut c, &fx, r#"{"success":true,"messageId":"m1"}"#, 2);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::AckOk {
        request: r1,
        data: r#"[{"success":true,"messageId":"m1"}]"#.into()
    }));
    assert!(https(&fx)[0].3.as_deref().unwrap().contains("typing:start"));
    answer(&mut c, &fx, "null", 3);
    let fx = drain(&mut c);
    assert!(https(&fx)[0].3.as_deref().unwrap().contains("\"x\""));
    answer(&mut c, &fx, r#"{"success":true,"data":{"id":7}}"#, 4);
    assert!(drain(&mut c).contains(&Effect::AckOk {
        request: r3,
        data: r#"[{"id":7}]"#.into()
    }));
}

#[test]
fn a_null_ack_is_no_answer_the_request_waits_for_its_timeout() {
    let mut c = conn(sse_cfg());
    live(&mut c, 0);
    let r = c
        .emit_with_ack("delivery:sync", Some("{}"), Some(5_000), 1)
        .unwrap();
    let fx = drain(&mut c);
    answer(&mut c, &fx, "null", 2);
    let fx = drain(&mut c);
    assert!(!fx
        .iter()
        .any(|e| matches!(e, Effect::AckOk { .. } | Effect::AckErr { .. })));
    c.handle_timeout(5_001);
    assert!(drain(&mut c).contains(&Effect::AckErr {
        request: r,
        error: AckError::Timeout {
            event: "delivery:sync".into(),
            timeout_ms: 5_000
        }
    }));
}

#[test]
fn a_rejected_post_fails_its_request_with_the_servers_code() {
    let mut c = conn(sse_cfg());
    live(&mut c, 0);
    let r = c.emit_with_ack("bad", Some("1"), None, 1).unwrap();
    let fx = drain(&mut c);
    let (id, ..) = https(&fx)[0].clone();
    c.on_http_done(
        id,
        400,
        r#"{"error":{"code":"BAD_BODY","message":"no"}}"#,
        2,
    );
    assert!(drain(&mut c).contains(&Effect::AckErr {
        request: r,
        error: AckError::Rejected {
            event: "bad".into(),
            code: "BAD_BODY".into(),
            message: "no".into()
        }
    }));
    assert!(c.is_connected());
}

#[test]
fn server_events_are_mapped_as_the_table_says() {
    let mut c = conn(sse_cfg());
    live(&mut c, 0);
    let mut text = String::new();
    text += &frame(
        "s1.3",
        "channel_message",
        r#"{"roomName":"channel:a","channelId":"channel:a","content":"hi"}"#,
    );
    text += &frame("s1.4", "message", r#"{"roomName":"dm:1","content":"dm"}"#);
    text += &frame("s1.5", "presence", r#"{"userId":"u2","status":"away"}"#);
    text += &frame(
        "s1.6",
        "channel_init",
        r#"{"channel":"channel:a","members":[]}"#,
    );
    text += &frame(
        "s1.7",
        "channel_event",
        r#"{"event":"user:joined","data":{"userId":"u2"}}"#,
    );
    text += &frame(
        "s1.8",
        "broadcast",
        r#"{"event":"typing:event","data":{"isTyping":true}}"#,
    );
    text += &frame("s1.9", "ping", r#"{"timestamp":1}"#);
    text += &frame("s1.10", "custom", r#"{"a":1}"#);
    text += ": a comment\n\nevent: named\ndata: {\"data\":{\"b\":2}}\n\n";
    c.on_stream_text(&text, 1);
    assert_eq!(
        events(&drain(&mut c)),
        [
            r#"["message:new",{"roomName":"channel:a","content":"hi"}]"#,
            r#"["message:new",{"roomName":"dm:1","content":"dm"}]"#,
            r#"["presence:changed",{"userId":"u2","status":"away"}]"#,
            r#"["channel_init",{"channel":"channel:a","members":[]}]"#,
            r#"["user:joined",{"userId":"u2"}]"#,
            r#"["typing:event",{"isTyping":true}]"#,
            r#"["custom",{"a":1}]"#,
            r#"["named",{"b":2}]"#,
        ]
    );
}

#[test]
fn a_resume_sends_the_last_event_id_and_drops_what_was_taken() {
    let mut c = conn(sse_cfg());
    live(&mut c, 0);
    c.on_stream_text(&frame("s1.3", "custom", "{\"n\":3}"), 1);
    c.on_stream_text(&frame("s1.4", "custom", "{\"n\":4}"), 1);
    drain(&mut c);
    let at = drop_and_reattempt_stream(&mut c, 10);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::Http(super::stream_request(
        format!("{BASE}/api/realtime/stream"),
        "tok",
        Some("s1.4".into())
    ))));
    c.on_stream_open(200, "", at);
    c.on_stream_text(INIT, at);
    c.on_stream_text(CONNECTION, at);
    // The replay (the server may go back further than asked), then live events.
    for n in 2..=6 {
        c.on_stream_text(
            &frame(&format!("s1.{n}"), "custom", &format!("{{\"n\":{n}}}")),
            at,
        );
    }
    // Another session's ids start over.
    c.on_stream_text(&frame("s2.1", "custom", "{\"n\":7}"), at);
    let fx = drain(&mut c);
    assert!(c.is_connected());
    assert_eq!(
        events(&fx),
        [
            r#"["custom",{"n":5}]"#,
            r#"["custom",{"n":6}]"#,
            r#"["custom",{"n":7}]"#
        ]
    );
}

/// The stream ends at `now`; runs the reconnect when due; returns its instant.
fn drop_and_reattempt_stream(c: &mut Connection, now: Millis) -> Millis {
    c.on_stream_closed(now);
    let at = c.next_deadline().unwrap();
    c.handle_timeout(at);
    at
}

#[test]
fn a_silent_stream_is_dead_after_the_ping_window() {
    let mut c = conn(sse_cfg());
    live(&mut c, 0);
    c.on_stream_text(&frame("s1.3", "ping", "{}"), 40_000);
    c.handle_timeout(84_999);
    assert!(c.is_connected(), "a ping keeps it alive");
    c.handle_timeout(85_000);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::CloseStream));
    assert!(fx.contains(&Effect::Disconnected {
        reason: DisconnectReason::PingTimeout
    }));
    assert_eq!(c.next_deadline(), Some(86_000), "backoff as over Socket.IO");
}

#[test]
fn a_401_asks_for_a_token_then_reconnects_with_it() {
    let mut c = conn(ConnectionConfig {
        refresh_token: true,
        ..sse_cfg()
    });
    c.connect("old", None, 0).unwrap();
    drain(&mut c);
    c.on_stream_open(
        401,
        r#"{"error":{"code":"TOKEN_EXPIRED","message":"expired"}}"#,
        1,
    );
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::RefreshToken));
    assert!(!fx.iter().any(|e| matches!(e, Effect::AuthError { .. })));
    assert_eq!(c.next_deadline(), None, "waits for the token");
    assert_eq!(c.state(), ConnState::Reconnecting);
    c.update_token("new", 500).unwrap();
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::Http(super::stream_request(
        format!("{BASE}/api/realtime/stream"),
        "new",
        None
    ))));
    // The new token is refused too: no second round, an auth refusal.
    c.on_stream_open(
        401,
        r#"{"error":{"code":"TOKEN_EXPIRED","message":"expired"}}"#,
        501,
    );
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::AuthError {
        message: "expired".into()
    }));
    assert_eq!(c.state(), ConnState::Disconnected);
    assert_eq!(
        c.transport(),
        Transport::Sse,
        "a 401 is no reason to fall back"
    );
}

#[test]
fn a_401_on_a_post_refreshes_and_the_send_goes_again_first() {
    let mut c = conn(ConnectionConfig {
        refresh_token: true,
        ..sse_cfg()
    });
    live(&mut c, 0);
    let r = c
        .emit_with_ack("message:send", Some("{\"n\":1}"), None, 1)
        .unwrap();
    c.emit("later", None, 1).unwrap();
    let fx = drain(&mut c);
    let (id, ..) = https(&fx)[0].clone();
    c.on_http_done(id, 401, "{}", 2);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::RefreshToken));
    assert!(!fx.iter().any(|e| matches!(e, Effect::AckErr { .. })));
    c.update_token("new", 3).unwrap();
    c.on_stream_open(200, "", 4);
    c.on_stream_text(INIT, 4);
    c.on_stream_text(CONNECTION, 4);
    let fx = drain(&mut c);
    let sent = https(&fx);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].3.as_deref().unwrap().contains("message:send"));
    answer(&mut c, &fx, r#"{"success":true}"#, 5);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::AckOk {
        request: r,
        data: r#"[{"success":true}]"#.into()
    }));
    assert!(https(&fx)[0].3.as_deref().unwrap().contains("later"));
}

#[test]
fn without_a_refresh_callback_a_401_is_an_auth_refusal() {
    let mut c = conn(sse_cfg());
    c.connect("tok", None, 0).unwrap();
    c.on_stream_open(
        401,
        r#"{"error":{"code":"INVALID_TOKEN","message":"bad token"}}"#,
        1,
    );
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::AuthError {
        message: "bad token".into()
    }));
    assert!(!fx.contains(&Effect::RefreshToken));
    assert_eq!(c.state(), ConnState::Disconnected);
    assert_eq!(c.next_deadline(), None);
}

#[test]
fn a_failed_refresh_is_an_auth_refusal() {
    let mut c = conn(ConnectionConfig {
        refresh_token: true,
        ..sse_cfg()
    });
    c.connect("tok", None, 0).unwrap();
    c.on_stream_open(401, "", 1);
    drain(&mut c);
    c.refresh_failed("no token", 2);
    assert!(drain(&mut c).contains(&Effect::AuthError {
        message: "no token".into()
    }));
    assert_eq!(c.state(), ConnState::Disconnected);
}

#[test]
fn a_refresh_answered_after_disconnect_does_nothing() {
    let mut c = conn(ConnectionConfig {
        refresh_token: true,
        ..sse_cfg()
    });
    c.connect("tok", None, 0).unwrap();
    c.on_stream_open(401, "", 1);
    c.disconnect(2);
    drain(&mut c);
    c.refresh_failed("no token", 3);
    c.update_token("new", 4).unwrap();
    assert_eq!(drain(&mut c), []);
    assert_eq!(c.state(), ConnState::Disconnected);
}

#[test]
fn a_lost_session_reconnects_and_the_send_goes_again_first() {
    let mut c = conn(sse_cfg());
    live(&mut c, 0);
    c.emit("a", None, 1).unwrap();
    c.emit("b", None, 1).unwrap();
    let fx = drain(&mut c);
    let (id, ..) = https(&fx)[0].clone();
    c.on_http_done(id, 404, r#"{"error":{"code":"SESSION_NOT_FOUND"}}"#, 2);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::CloseStream));
    let at = c.next_deadline().unwrap();
    c.handle_timeout(at);
    c.on_stream_open(200, "", at);
    c.on_stream_text(&INIT.replace("s1", "s2"), at);
    c.on_stream_text(CONNECTION, at);
    let fx = drain(&mut c);
    assert_eq!(c.sid(), Some("s2"));
    assert!(https(&fx)[0].3.as_deref().unwrap().contains("\"a\""));
    answer(&mut c, &fx, "null", at);
    assert!(https(&drain(&mut c))[0]
        .3
        .as_deref()
        .unwrap()
        .contains("\"b\""));
}

#[test]
fn a_send_answered_after_its_link_was_lost_is_not_sent_again() {
    let mut c = conn(sse_cfg());
    live(&mut c, 0);
    let r = c
        .emit_with_ack("message:send", Some(r#"{"clientMessageId":"c1"}"#), None, 1)
        .unwrap();
    let fx = drain(&mut c);
    let (id, ..) = https(&fx)[0].clone();
    c.on_stream_closed(2);
    assert_eq!(c.buffered(), 1, "kept for a resend");
    c.on_http_done(id, 200, r#"{"ack":{"success":true}}"#, 3);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::AckOk {
        request: r,
        data: r#"[{"success":true}]"#.into()
    }));
    assert_eq!(c.buffered(), 0);
    let at = c.next_deadline().unwrap();
    c.handle_timeout(at);
    c.on_stream_open(200, "", at);
    c.on_stream_text(INIT, at);
    c.on_stream_text(CONNECTION, at);
    assert!(https(&drain(&mut c)).is_empty());
}

#[test]
fn the_next_send_waits_for_the_answer_of_one_in_flight_over_a_reconnect() {
    let mut c = conn(sse_cfg());
    live(&mut c, 0);
    c.emit("a", None, 1).unwrap();
    let fx = drain(&mut c);
    let (id, ..) = https(&fx)[0].clone();
    c.on_stream_closed(2);
    let at = c.next_deadline().unwrap();
    c.handle_timeout(at);
    c.on_stream_open(200, "", at);
    c.on_stream_text(INIT, at);
    c.on_stream_text(CONNECTION, at);
    c.emit("b", None, at).unwrap();
    assert!(https(&drain(&mut c)).is_empty(), "a is still in flight");
    c.on_http_done(id, 200, r#"{"ack":null}"#, at + 1);
    assert!(https(&drain(&mut c))[0]
        .3
        .as_deref()
        .unwrap()
        .contains("\"b\""));
}

#[test]
fn a_websocket_that_fails_twice_before_its_handshake_gives_way_to_the_stream() {
    let mut c = conn(ConnectionConfig {
        backoff: BackoffConfig {
            jitter: 0.0,
            ..Default::default()
        },
        ..cfg()
    });
    c.connect("tok", None, 0).unwrap();
    drain(&mut c);
    c.on_transport_closed(1);
    let at = c.next_deadline().unwrap();
    c.handle_timeout(at);
    let fx = drain(&mut c);
    assert_eq!(opens(&fx), 1);
    assert!(fx.iter().any(|e| matches!(e, Effect::Open { .. })));
    assert_eq!(c.transport(), Transport::SocketIo);
    c.on_transport_closed(at);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::TransportChanged {
        transport: Transport::Sse,
        reason: "websocket unavailable"
    }));
    assert_eq!(c.transport(), Transport::Sse);
    let at = c.next_deadline().unwrap();
    c.handle_timeout(at);
    assert!(drain(&mut c)
        .iter()
        .any(|e| matches!(e, Effect::Http(r) if r.id == HttpRequest::STREAM)));
    c.on_stream_open(200, "", at);
    c.on_stream_text(INIT, at);
    c.on_stream_text(CONNECTION, at);
    assert!(c.is_connected());
    // The choice holds until the next connect.
    c.connect("tok", None, at + 1).unwrap();
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::TransportChanged {
        transport: Transport::SocketIo,
        reason: "connect"
    }));
    assert!(fx.iter().any(|e| matches!(e, Effect::Open { .. })));
}

#[test]
fn a_websocket_lost_after_its_handshake_does_not_count() {
    let mut c = conn(cfg());
    for now in [0, 100_000, 200_000] {
        if now == 0 {
            c.connect("tok", None, now).unwrap();
        } else {
            c.handle_timeout(c.next_deadline().unwrap());
        }
        c.on_frame(OPEN, now);
        c.on_transport_closed(now);
    }
    assert_eq!(c.transport(), Transport::SocketIo);
}

#[test]
fn after_the_websocket_worked_failed_opens_are_a_restart_not_a_fallback() {
    let mut c = conn(cfg());
    c.connect("tok", None, 0).unwrap();
    c.on_frame(OPEN, 0);
    c.on_transport_closed(1);
    // The server is down: every attempt fails before its handshake.
    for _ in 0..4 {
        c.handle_timeout(c.next_deadline().unwrap());
        c.on_transport_closed(c.next_deadline().unwrap_or(0));
    }
    let fx = drain(&mut c);
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::TransportChanged { .. })),
        "{fx:?}"
    );
    assert_eq!(c.transport(), Transport::SocketIo);
    // A new connect() starts over: two failed opens then fall back.
    c.connect("tok", None, 1_000_000).unwrap();
    c.on_transport_closed(1_000_001);
    c.handle_timeout(c.next_deadline().unwrap());
    c.on_transport_closed(1_000_002);
    assert_eq!(c.transport(), Transport::Sse);
}

#[test]
fn after_the_stream_worked_failed_opens_do_not_go_to_polling() {
    let mut c = conn(sse_cfg());
    c.connect("tok", None, 0).unwrap();
    c.on_stream_open(200, "", 1);
    c.on_stream_closed(2);
    for _ in 0..4 {
        c.handle_timeout(c.next_deadline().unwrap());
        c.on_stream_open(503, "", c.next_deadline().unwrap_or(0));
    }
    assert_eq!(c.transport(), Transport::Sse);
}

#[test]
fn a_stream_that_cannot_open_twice_gives_way_to_polling() {
    let mut c = conn(sse_cfg());
    c.join_room("channel:g", None, 0).unwrap();
    c.connect("tok", None, 0).unwrap();
    c.on_stream_open(503, "", 1);
    c.handle_timeout(c.next_deadline().unwrap());
    assert_eq!(c.transport(), Transport::Sse);
    c.on_stream_closed(2); // a network error before any status
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::TransportChanged {
        transport: Transport::Polling,
        reason: "stream unavailable"
    }));
    let at = c.next_deadline().unwrap();
    c.handle_timeout(at);
    let fx = drain(&mut c);
    let sent = https(&fx);
    assert_eq!(sent[0].1, "POST");
    assert_eq!(sent[0].2, format!("{BASE}/api/realtime/connect"));
    c.on_http_done(
        sent[0].0,
        200,
        r#"{"type":"init","data":{"userId":"u1","sessionId":"p1","timestamp":9000}}"#,
        at,
    );
    let fx = drain(&mut c);
    assert_eq!(c.sid(), Some("p1"));
    answer(&mut c, &fx, r#"{"success":true}"#, at);
    drain(&mut c);
    assert!(c.is_connected());
    // A poll of each joined room every interval, `since` the server's clock.
    let due = c.next_deadline().unwrap();
    assert_eq!(due, at + 3_000);
    c.handle_timeout(due);
    let fx = drain(&mut c);
    let polls = https(&fx);
    assert_eq!(polls.len(), 1);
    assert_eq!(polls[0].1, "GET");
    assert_eq!(
        polls[0].2,
        format!("{BASE}/poll?channelId=channel%3ag&since=9000")
    );
    let body = r#"{"events":[{"id":"p1.3","type":"channel_message","data":{"roomName":"channel:g","channelId":"channel:g","content":"x"},"timestamp":9500}],"now":9600}"#;
    c.on_http_done(polls[0].0, 200, body, due + 10);
    let fx = drain(&mut c);
    assert_eq!(
        events(&fx),
        [r#"["message:new",{"roomName":"channel:g","content":"x"}]"#]
    );
    let next = c.next_deadline().unwrap();
    assert_eq!(next, due + 10 + 3_000);
    c.handle_timeout(next);
    let fx = drain(&mut c);
    let polls = https(&fx);
    assert!(polls[0].2.ends_with("since=9600"));
    // The same event again is not taken twice.
    c.on_http_done(polls[0].0, 200, body, next + 1);
    assert!(events(&drain(&mut c)).is_empty());
}

#[test]
fn an_event_to_everyone_in_every_rooms_poll_is_taken_once() {
    let mut c = conn(ConnectionConfig {
        transport: Transport::Polling,
        ..sse_cfg()
    });
    c.connect("tok", None, 0).unwrap();
    let fx = drain(&mut c);
    let connect = https(&fx)[0].0;
    c.on_http_done(
        connect,
        200,
        r#"{"type":"init","data":{"sessionId":"p1","timestamp":1}}"#,
        0,
    );
    drain(&mut c);
    for room in ["channel:a", "channel:b"] {
        c.join_room(room, None, 0).unwrap();
        let fx = drain(&mut c);
        answer(&mut c, &fx, r#"{"success":true}"#, 0);
        drain(&mut c);
    }
    c.handle_timeout(3_000);
    let body = r#"{"events":[{"id":"p7","type":"presence","data":{"userId":"u2","status":"online"}}],"now":3000}"#;
    let mut taken = Vec::new();
    for _ in 0..2 {
        let fx = drain(&mut c);
        let polls = https(&fx);
        assert_eq!(polls.len(), 1, "one poll at a time");
        c.on_http_done(polls[0].0, 200, body, 3_001);
        taken.extend(events(&c.effects.iter().cloned().collect::<Vec<_>>()));
    }
    assert_eq!(
        taken,
        [r#"["presence:changed",{"userId":"u2","status":"online"}]"#]
    );
    assert_eq!(c.next_deadline(), Some(6_001), "the next round");
}

#[test]
fn disconnect_ends_the_session_at_once() {
    let mut c = conn(sse_cfg());
    live(&mut c, 0);
    c.disconnect(1);
    let fx = drain(&mut c);
    let sent = https(&fx);
    assert_eq!(sent[0].1, "DELETE");
    assert_eq!(sent[0].2, format!("{BASE}/api/realtime/session"));
    assert!(fx.contains(&Effect::CloseStream));
    assert_eq!(c.state(), ConnState::Disconnected);
}
