//! The real nself server's contract, against the test server that follows it:
//! ready only after `connected`, rooms re-joined after every reconnect before
//! any traffic, sends with a clientMessageId that survive reconnects, the
//! `{success:true}` ack with no id, `userId` from the JWT, the custom status
//! with its emoji and ISO-8601 dates, and server error codes as typed errors.
#![cfg(target_arch = "wasm32")]

mod support;

use chat_realtime::api::{OfflineQueueService, PresenceService, RealtimeClient};
use serde_json::{json, Value};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const FAST: &str = r#"{ "reconnectDelayMs": 100, "reconnectDelayMaxMs": 300 }"#;

fn fast() -> Value {
    serde_json::from_str(FAST).unwrap()
}

async fn join(c: &RealtimeClient, channel: &str) -> Value {
    to_value(
        &settle(c.join_channel(channel.into()).unwrap())
            .await
            .expect("joined"),
    )
}

/// `message:new` payloads' client ids (top-level with the extensions, in
/// `metadata` on the real server).
fn cids(r: &Recorder) -> Vec<String> {
    r.all()
        .iter()
        .filter_map(|m| {
            m["clientMessageId"]
                .as_str()
                .or(m["metadata"]["clientMessageId"].as_str())
                .map(str::to_owned)
        })
        .collect()
}

fn send(c: &RealtimeClient, cid: &str) {
    c.emit(
        "message:send".into(),
        js(json!({ "roomName": "channel:general", "content": cid, "clientMessageId": cid, "metadata": { "clientMessageId": cid } })),
    )
    .unwrap();
}

#[wasm_bindgen_test]
async fn join_right_after_connect_works_for_twenty_fresh_clients() {
    reset().await;
    let mut answers = Vec::new();
    for i in 0..20 {
        let c = client(json!({}));
        let ready = Recorder::new();
        let _r = c.on("connected".into(), ready.f().into()).unwrap();
        settle(
            c.connect((&token(&format!("fresh{i}")).await).into())
                .unwrap(),
        )
        .await
        .expect("connect");
        // connect() resolves only once the server said it is ready.
        assert_eq!(ready.len(), 1, "connect resolved before `connected`");
        assert_eq!(ready.all()[0]["protocolVersion"], "1.0");
        answers.push(join(&c, "general").await);
        c.disconnect().unwrap();
    }
    for a in &answers {
        assert_eq!(a["success"], true, "{a}");
        assert_eq!(a["data"]["roomName"], "channel:general", "{a}");
    }
}

#[wasm_bindgen_test]
async fn user_id_comes_from_the_token_without_an_authenticated_event() {
    reset().await;
    let c = client(json!({}));
    let auth = Recorder::new();
    let _a = c.on("authenticated".into(), auth.f().into()).unwrap();
    settle(c.connect((&token("tokenuser").await).into()).unwrap())
        .await
        .unwrap();
    assert_eq!(c.user_id().as_deref(), Some("tokenuser"));
    assert_eq!(auth.len(), 0, "the real server sends no `authenticated`");
}

#[wasm_bindgen_test]
async fn rooms_are_rejoined_after_every_reconnect_before_buffered_traffic() {
    reset().await;
    let ann = connected("rejoiner", fast()).await;
    let ben = connected_b("ben").await;
    join(&ann, "general").await;
    join(&ben, "general").await;
    let mine = Recorder::new();
    let _m = ann.on("message:new".into(), mine.f().into()).unwrap();
    let errors = Recorder::new();
    let _e = ann.on_error(errors.f().into());

    let states = Recorder::new();
    let _s = ann.on_state_change(states.f().into());
    for (round, fault) in ["/drop", "/restart"].iter().enumerate() {
        let back = if *fault == "/restart" {
            let back = spawn_control("POST", "/restart", json!({ "downMs": 1200 }));
            wait_server_down().await;
            Some(back)
        } else {
            post("/drop", json!({})).await;
            None
        };
        wait_until("ann lost the link", 3000.0, || !ann.is_connected()).await;
        // Buffered while down: on the real server the sender hears its own
        // message only if its new socket is in the room already, i.e. the
        // re-join went out before the buffered send.
        let cid = format!("buffered-{round}");
        send(&ann, &cid);
        wait_until("ann back", 8000.0, || ann.is_connected()).await;
        if let Some(b) = back {
            wait_until("server back", 5000.0, || b.get()).await;
        }
        wait_until("ann hears its own buffered send", 5000.0, || {
            cids(&mine).contains(&cid)
        })
        .await;
        // And she still gets what ben sends to the room.
        let from_ben = format!("from-ben-{round}");
        send(&ben, &from_ben);
        wait_until("ann hears ben", 5000.0, || cids(&mine).contains(&from_ben)).await;
        let connects = states
            .strings()
            .iter()
            .filter(|s| *s == "connected")
            .count();
        assert_eq!(connects, round + 1, "{:?}", states.strings());
    }
    let conns = get("/connections").await;
    let ann_rooms = conns["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["userId"] == "rejoiner")
        .map(|c| c["rooms"].clone())
        .unwrap();
    assert!(
        ann_rooms.to_string().contains("channel:general"),
        "{ann_rooms}"
    );
    assert!(errors.all().is_empty(), "{:?}", errors.all());
}

#[wasm_bindgen_test]
async fn a_send_made_the_moment_the_state_turns_connected_is_delivered() {
    reset().await;
    let ann = connected("ann", fast()).await;
    let ben = connected_b("ben").await;
    join(&ben, "general").await;
    let got = Recorder::new();
    let _g = ben.on("message:new".into(), got.f().into()).unwrap();
    // A JS listener sends as soon as the state turns connected again.
    let on_state = js_sys::Function::new_with_args(
        "c",
        "return (s) => { if (s === 'connected') c.emit('message:send', \
         { roomName: 'channel:general', content: 'at once', clientMessageId: 'at-once', \
           metadata: { clientMessageId: 'at-once' } }); }",
    )
    .call1(&JsValue::NULL, &ann.to_js())
    .unwrap();
    let _s = ann.on_state_change(on_state).unwrap();
    post("/drop", json!({})).await;
    wait_until("ben gets the send", 8000.0, || {
        cids(&got).contains(&"at-once".to_owned())
    })
    .await;
}

#[wasm_bindgen_test]
async fn sends_with_a_client_message_id_survive_the_server_going_down() {
    reset().await;
    post("/extensions", json!({ "on": false })).await;
    post_b("/extensions", json!({ "on": false })).await;
    let ann = connected("ann", fast()).await;
    let ben = connected_b("ben").await;
    join(&ben, "general").await;
    let got = Recorder::new();
    let _g = ben.on("message:new".into(), got.f().into()).unwrap();
    let back = spawn_control("POST", "/restart", json!({ "downMs": 1500 }));
    wait_server_down().await;
    wait_until("ann lost the link", 3000.0, || !ann.is_connected()).await;
    send(&ann, "down-1");
    let acked = ann
        .emit_async(
            "message:send".into(),
            js(json!({ "roomName": "channel:general", "content": "down-2", "clientMessageId": "down-2", "metadata": { "clientMessageId": "down-2" } })),
            JsValue::from(15_000),
        )
        .unwrap();
    let answer = settle(acked).await.expect("acked after the restart");
    assert_eq!(to_value(&answer), json!({ "success": true }));
    wait_until("server back", 5000.0, || back.get()).await;
    wait_until("both arrive", 8000.0, || cids(&got).len() >= 2).await;
    sleep(300).await;
    assert_eq!(cids(&got), vec!["down-1", "down-2"]);
    let counts = get("/received").await["sendCounts"].clone();
    assert_eq!(counts["down-1"], 1, "{counts}");
    assert_eq!(counts["down-2"], 1, "{counts}");
}

#[wasm_bindgen_test]
async fn the_real_ack_without_an_id_sends_each_queued_message_once() {
    clear_storage();
    reset().await;
    post("/extensions", json!({ "on": false })).await;
    let ann = client(fast());
    let q = OfflineQueueService::new(ann.to_js(), js(json!({}))).unwrap();
    let events = EventRecorder::new();
    let _u = q.subscribe(events.f().into()).unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        let m = to_value(
            &q.queue_message(js(
                json!({ "channelId": "general", "content": format!("q{i}") }),
            ))
            .unwrap(),
        );
        ids.push(m["clientMessageId"].as_str().unwrap().to_owned());
    }
    settle(ann.connect((&token("ann").await).into()).unwrap())
        .await
        .unwrap();
    wait_until("queue drained", 10_000.0, || {
        q.get_queue_length().unwrap() == 0
    })
    .await;
    sleep(500).await;
    assert_eq!(events.count("message:sent"), 3);
    assert_eq!(events.count("message:failed"), 0);
    let counts = get("/received").await["sendCounts"].clone();
    for id in &ids {
        assert_eq!(counts[id], 1, "{id}: {counts}");
    }
}

#[wasm_bindgen_test]
async fn room_not_found_is_a_typed_error_and_the_room_is_not_rejoined() {
    reset().await;
    let c = connected("ann", fast()).await;
    let errors = Recorder::new();
    let _e = c.on_error(errors.f().into());
    let err = settle(c.join_channel("nowhere".into()).unwrap())
        .await
        .expect_err("no such room");
    assert!(err.is_instance_of::<js_sys::Error>());
    let code = js_sys::Reflect::get(&err, &"code".into()).unwrap();
    assert_eq!(code.as_string().as_deref(), Some("ROOM_NOT_FOUND"));
    assert!(error_message(&err).contains("Room not found"));
    post("/drop", json!({})).await;
    wait_until("back", 8000.0, || c.is_connected()).await;
    sleep(300).await;
    assert!(errors.all().is_empty(), "{:?}", errors.all());
}

#[wasm_bindgen_test]
async fn a_server_that_never_sends_the_ready_event_gives_a_clear_error() {
    reset().await;
    let c = client(
        json!({ "readyEvent": "never-sent", "connectTimeoutMs": 800, "reconnection": false }),
    );
    let errors = Recorder::new();
    let _e = c.on_error(errors.f().into());
    let err = settle(c.connect((&token("ann").await).into()).unwrap())
        .await
        .expect_err("never ready");
    let message = error_message(&err);
    assert!(message.contains("never-sent"), "{message}");
    assert!(message.contains("readyEvent: null"), "{message}");
    assert!(errors.all().iter().any(|e| e["code"] == "ready_timeout"));
    assert!(!c.is_connected());
    // `readyEvent: null`: ready at the Socket.IO CONNECT (a plain server).
    let plain = client(json!({ "readyEvent": null }));
    settle(plain.connect((&token("ann").await).into()).unwrap())
        .await
        .expect("connects");
    assert!(plain.is_connected());
}

#[wasm_bindgen_test]
async fn the_custom_status_travels_with_its_emoji_and_iso_dates() {
    reset().await;
    let ann = connected("ann", json!({})).await;
    let ben = connected("ben", json!({})).await;
    let pa = PresenceService::new(ann.to_js(), js(json!({}))).unwrap();
    let pb = PresenceService::new(ben.to_js(), js(json!({}))).unwrap();
    let seen = Recorder::new();
    let _s = ben.on("presence:changed".into(), seen.f().into()).unwrap();
    let expires = js_sys::Date::now() + 3_600_000.0;
    pa.set_custom_status(js(
        json!({ "text": "In a meeting", "emoji": "📅", "expiresAt": expires }),
    ))
    .unwrap();
    wait_until("ben sees the emoji", 5000.0, || {
        seen.all()
            .iter()
            .any(|p| p["userId"] == "ann" && p["customEmoji"] == "📅")
    })
    .await;
    wait_until("ben's service has it", 5000.0, || {
        to_value(&pb.get_presence("ann".into()).unwrap())["customStatus"]["emoji"] == "📅"
    })
    .await;
    // The client's own updatePresence takes an ISO string too.
    ann.update_presence(
        "busy".into(),
        js(json!({ "text": "Lunch", "emoji": "🍕", "expiresAt": "2031-01-01T12:00:00.000Z" })),
    )
    .unwrap();
    wait_until("lunch", 5000.0, || {
        seen.all()
            .iter()
            .any(|p| p["customStatus"] == "Lunch" && p["customEmoji"] == "🍕")
    })
    .await;
    let stats = get("/stats").await;
    assert_eq!(
        stats["contractViolations"], 0,
        "the server got a date it cannot store: {stats}"
    );
}
