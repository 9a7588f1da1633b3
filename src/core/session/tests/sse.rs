//! The SSE wire through the session: its outputs reach the host, its events
//! reach the services as Socket.IO's do, and the app hears of the transport
//! and of a refused token.

use super::*;
use crate::core::connection::{HttpRequest, Transport};
use crate::core::presence::{PresenceConfig, PresenceStatus};

/// A session on the SSE transport, with or without a `refreshToken`.
fn sse_session(refresh_token: bool) -> Session {
    let mut s = Session::new(Box::new(|| Box::new(MemoryStore::new())));
    s.initialize(
        ClientConfig {
            connection: ConnectionConfig {
                url: "http://127.0.0.1:3101".into(),
                quality_interval_ms: 0,
                transport: Transport::Sse,
                refresh_token,
                ..Default::default()
            },
            auth_extra: None,
            online: true,
        },
        0,
    )
    .unwrap();
    drain(&mut s);
    s
}

fn sse(ty: &str, data: Value) -> String {
    format!("data: {}\n\n", json!({"type": ty, "data": data}))
}

fn https(out: &[Output]) -> Vec<(u64, String, Option<String>)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Http(r) => Some((r.id, r.url.clone(), r.body.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn the_stream_opens_and_services_hear_its_events_as_over_socketio() {
    let mut s = sse_session(false);
    let p = s
        .attach_presence(PresenceConfig::default(), PresenceAttach::default(), 0)
        .unwrap();
    let t = s.connect(Some("tok"), 0).unwrap();
    let out = drain(&mut s);
    assert!(out.contains(&Output::Http(HttpRequest {
        id: HttpRequest::STREAM,
        method: "GET",
        url: "http://127.0.0.1:3101/api/realtime/stream".into(),
        token: "tok".into(),
        session: None,
        body: None,
        last_event_id: None,
    })));
    s.handle_stream_open(200, "", 1);
    s.handle_stream_text(&sse("init", json!({"sessionId": "s1", "userId": "me"})), 1);
    s.handle_stream_text(&sse("connection", json!({"status": "connected"})), 1);
    let out = drain(&mut s);
    assert_eq!(outcome(&out, t), Ok(Answer::Unit));
    // Presence starts (its own status goes out as a POST) and hears the stream.
    let posts = https(&out);
    assert!(
        posts[0].2.as_deref().unwrap().contains("presence:update"),
        "{posts:?}"
    );
    s.handle_stream_text(
        &sse("presence", json!({"userId": "u2", "status": "busy"})),
        2,
    );
    let out = drain(&mut s);
    assert!(events_of(&out, p)
        .iter()
        .any(|e| matches!(e, Event::PresenceChanged(u) if u.user_id == "u2" && u.status == PresenceStatus::Busy)));
    assert!(events_of(&out, Handle::CLIENT)
        .iter()
        .any(|e| matches!(e, Event::Server { name, .. } if name == "presence:changed")));
}

#[test]
fn a_fallback_is_an_app_event_and_a_401_asks_the_app_for_a_token() {
    let mut s = sse_session(true);
    s.connect(Some("tok"), 0).unwrap();
    drain(&mut s);
    s.handle_stream_open(503, "", 1);
    let at = s.next_deadline().unwrap();
    s.handle_timeout(at);
    s.handle_stream_closed(at);
    let out = drain(&mut s);
    assert!(events_of(&out, Handle::CLIENT).contains(&Event::Transport {
        transport: Transport::Polling,
        reason: "stream unavailable"
    }));
    let at = s.next_deadline().unwrap();
    s.handle_timeout(at);
    let out = drain(&mut s);
    let (id, url, _) = https(&out)[0].clone();
    assert!(url.ends_with("/api/realtime/connect"));
    s.handle_http_done(
        id,
        401,
        r#"{"error":{"code":"TOKEN_EXPIRED","message":"expired"}}"#,
        at,
    );
    let out = drain(&mut s);
    assert!(events_of(&out, Handle::CLIENT).contains(&Event::RefreshToken));
    s.refresh_failed("no token", at + 1).unwrap();
    let out = drain(&mut s);
    assert!(events_of(&out, Handle::CLIENT).iter().any(
        |e| matches!(e, Event::Error(ClientError::Auth { message }) if message == "no token")
    ));
}
