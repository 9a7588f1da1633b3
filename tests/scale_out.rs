//! Scaled out: two server instances sharing one Redis through
//! `@socket.io/redis-adapter`, one user on each. Messages, typing and
//! presence cross between them, and an instance that goes down and comes
//! back loses and duplicates nothing of its user's queued messages.
#![cfg(target_arch = "wasm32")]

mod support;

use chat_realtime::api::{OfflineQueueService, RealtimeClient};
use serde_json::{json, Value};
use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn join(c: &RealtimeClient) {
    settle(c.join_channel("general".into()).unwrap())
        .await
        .expect("joined");
}

fn cid_of(m: &Value) -> Option<String> {
    m["clientMessageId"]
        .as_str()
        .or(m["metadata"]["clientMessageId"].as_str())
        .map(str::to_owned)
}

#[wasm_bindgen_test]
async fn messages_typing_and_presence_cross_instances() {
    reset().await;
    let ann = connected("ann", json!({})).await; // instance A
    let ben = connected_b("ben").await; // instance B
    join(&ann).await;
    join(&ben).await;
    let news = Recorder::new();
    let _n = ben.on("message:new".into(), news.f().into()).unwrap();
    let typing = Recorder::new();
    let _t = ben.on("typing:event".into(), typing.f().into()).unwrap();
    let presence = Recorder::new();
    let _p = ben
        .on("presence:changed".into(), presence.f().into())
        .unwrap();

    ann.emit(
        "message:send".into(),
        js(json!({ "roomName": "channel:general", "content": "across", "clientMessageId": "x-1", "metadata": { "clientMessageId": "x-1" } })),
    )
    .unwrap();
    wait_until("ben gets ann's message via Redis", 5000.0, || {
        news.all().iter().any(|m| m["content"] == "across")
    })
    .await;
    ann.send_typing("general".into(), true.into()).unwrap();
    wait_until("ben sees ann typing", 5000.0, || {
        typing.all().iter().any(|e| {
            e["users"]
                .as_array()
                .is_some_and(|u| u.iter().any(|u| u["userId"] == "ann"))
        })
    })
    .await;
    ann.update_presence(
        "busy".into(),
        js(json!({ "text": "Deep work", "emoji": "🎧" })),
    )
    .unwrap();
    wait_until("ben sees ann busy", 5000.0, || {
        presence
            .all()
            .iter()
            .any(|p| p["userId"] == "ann" && p["status"] == "busy" && p["customEmoji"] == "🎧")
    })
    .await;
    // And the other way round.
    let back = Recorder::new();
    let _b = ann.on("message:new".into(), back.f().into()).unwrap();
    ben.emit(
        "message:send".into(),
        js(json!({ "roomName": "channel:general", "content": "and back", "clientMessageId": "x-2" })),
    )
    .unwrap();
    wait_until("ann gets ben's message", 5000.0, || {
        back.all().iter().any(|m| m["content"] == "and back")
    })
    .await;
}

#[wasm_bindgen_test]
async fn an_instance_restart_loses_and_duplicates_nothing() {
    clear_storage();
    reset().await;
    // The real contract: no de-duplication, `{success:true}` acks.
    post("/extensions", json!({ "on": false })).await;
    post_b("/extensions", json!({ "on": false })).await;
    let ann = connected(
        "ann",
        json!({ "reconnectDelayMs": 100, "reconnectDelayMaxMs": 300 }),
    )
    .await;
    let ben = connected_b("ben").await;
    join(&ann).await;
    join(&ben).await;
    let at_ben = Recorder::new();
    let _n = ben.on("message:new".into(), at_ben.f().into()).unwrap();
    let at_ann = Recorder::new();
    let _a = ann.on("message:new".into(), at_ann.f().into()).unwrap();
    let q = OfflineQueueService::new(ann.to_js(), js(json!({}))).unwrap();

    // Instance A goes down; ann keeps writing through her queue.
    let up = spawn_control("POST", "/restart", json!({ "downMs": 2000 }));
    wait_server_down().await;
    wait_until("ann lost A", 3000.0, || !ann.is_connected()).await;
    let mut sent = Vec::new();
    for i in 0..5 {
        let m = to_value(
            &q.queue_message(js(
                json!({ "channelId": "general", "content": format!("while down {i}") }),
            ))
            .unwrap(),
        );
        sent.push(m["clientMessageId"].as_str().unwrap().to_owned());
    }
    // Meanwhile ben, on B, is unaffected.
    assert!(ben.is_connected());
    wait_until("A back", 8000.0, || up.get()).await;
    wait_until("ann back on A", 8000.0, || ann.is_connected()).await;
    wait_until("queue drained", 10_000.0, || {
        q.get_queue_length().unwrap() == 0
    })
    .await;
    wait_until("ben got all five", 8000.0, || {
        at_ben.all().iter().filter_map(cid_of).count() >= 5
    })
    .await;
    sleep(800).await;
    let got: Vec<String> = at_ben.all().iter().filter_map(cid_of).collect();
    assert_eq!(got, sent, "every message once, in order, across instances");
    // ann re-joined the room on A: she hears ben again.
    ben.emit(
        "message:send".into(),
        js(json!({ "roomName": "channel:general", "content": "welcome back", "clientMessageId": "wb" })),
    )
    .unwrap();
    wait_until("ann hears ben after the restart", 5000.0, || {
        at_ann.all().iter().any(|m| m["content"] == "welcome back")
    })
    .await;
    let counts = get("/received").await["sendCounts"].clone();
    for c in &sent {
        assert_eq!(counts[c], 1, "{c} sent {} times: {counts}", counts[c]);
    }
}
