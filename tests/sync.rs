//! SyncService in a real browser against the real test server: the
//! reconnect sequence (queue flush first, then channels, messages missed
//! while disconnected, presence), manual syncs and edit conflicts.
#![cfg(target_arch = "wasm32")]

mod support;

use chat_realtime::api::{OfflineQueueService, RealtimeClient, SyncService};
use serde_json::{json, Value};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn join(c: &RealtimeClient, channel: &str) {
    settle(c.join_channel(channel.into()).unwrap())
        .await
        .unwrap();
}

async fn send(c: &RealtimeClient, room: &str, content: &str, cid: &str) -> Value {
    let ack = settle(
        c.emit_async(
            "message:send".into(),
            js(json!({ "roomName": room, "content": content, "clientMessageId": cid })),
            JsValue::UNDEFINED,
        )
        .unwrap(),
    )
    .await
    .unwrap();
    to_value(&ack)["data"].clone()
}

fn contents(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect()
}

#[wasm_bindgen_test]
async fn reconnect_sync_flushes_the_queue_then_fetches_what_was_missed() {
    clear_storage();
    reset().await;
    let bob = connected(
        "bob",
        json!({ "reconnectDelayMs": 100, "reconnectDelayMaxMs": 200 }),
    )
    .await;
    let alice = connected(
        "alice",
        json!({ "reconnectDelayMs": 2500, "reconnectDelayMaxMs": 2500, "randomizationFactor": 0 }),
    )
    .await;
    join(&bob, "general").await;
    join(&alice, "general").await;

    // Through the JavaScript surface: `new SyncService(client, { queue })`.
    let queue: JsValue = OfflineQueueService::new(alice.to_js(), JsValue::UNDEFINED)
        .unwrap()
        .into();
    let sync = SyncService::new(
        alice.to_js(),
        js_with(json!({ "presenceUserIds": ["bob"] }), "queue", &queue),
    )
    .unwrap();
    let events = EventRecorder::new();
    let _s = sync.subscribe(events.f().into()).unwrap();

    send(&bob, "channel:general", "before", "b-0").await;
    let first = to_value(
        &settle(sync.sync_messages("general".into()).unwrap())
            .await
            .unwrap(),
    );
    assert_eq!(contents(&first["messages"]), ["before"]);
    let since = sync
        .get_last_sync_time(JsValue::from("general"))
        .unwrap()
        .expect("a last-sync time");
    assert!(
        local_storage()
            .get_item("chat-realtime:sync")
            .unwrap()
            .unwrap()
            .contains("general"),
        "persisted"
    );
    assert_eq!(
        events.count("sync:started"),
        0,
        "no sync on the first connect"
    );

    // Everyone drops; bob is back quickly and writes while alice is away,
    // alice writes offline into her queue.
    post("/drop", json!({})).await;
    wait_until("alice away", 3000.0, || !alice.is_connected()).await;
    wait_until("bob back", 3000.0, || bob.is_connected()).await;
    send(&bob, "channel:general", "missed 1", "b-1").await;
    send(&bob, "channel:general", "missed 2", "b-2").await;
    let queued = call_method(
        &queue,
        "queueMessage",
        &[js(
            json!({ "channelId": "general", "content": "alice offline" }),
        )],
    )
    .unwrap();
    let alice_cid = to_value(&queued)["clientMessageId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!alice.is_connected());

    // Alice reconnects: the sync runs by itself.
    wait_until("sync completed", 15_000.0, || {
        events.count("sync:completed") == 1
    })
    .await;
    let names = events.names();
    let started = names.iter().position(|n| n == "sync:started").unwrap();
    let completed = names.iter().position(|n| n == "sync:completed").unwrap();
    assert!(started < completed);
    let progress: Vec<u64> = events
        .of("sync:progress")
        .iter()
        .map(|p| p["progress"].as_u64().unwrap())
        .collect();
    assert_eq!(progress.first(), Some(&10), "{progress:?}");
    assert_eq!(progress.last(), Some(&100), "{progress:?}");
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    let stages: Vec<String> = events
        .of("sync:progress")
        .iter()
        .map(|p| p["stage"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(stages.first().map(String::as_str), Some("queue"));
    assert!(stages.iter().any(|s| s == "channels"));
    assert!(stages.iter().any(|s| s == "presence"));

    let batches = events.of("sync:messages");
    let general: Vec<&Value> = batches
        .iter()
        .filter(|b| b["channelId"] == "general" && b["syncId"].is_number())
        .collect();
    assert_eq!(general.len(), 1, "{batches:?}");
    assert_eq!(
        contents(&general[0]["messages"]),
        ["missed 1", "missed 2", "alice offline"],
        "what was missed since the last sync, plus the queue flushed first"
    );
    let result = &events.of("sync:completed")[0]["result"];
    assert_eq!(result["queueFlushed"], json!({ "sent": 1, "failed": 0 }));
    assert_eq!(result["messages"]["synced"], 3);
    assert_eq!(result["messages"]["errors"], 0);
    assert!(result["channels"]["synced"].as_u64().unwrap() >= 1);
    assert_eq!(result["presence"]["synced"], 1);
    assert_eq!(events.of("sync:presence")[0]["userIds"], json!(["bob"]));
    assert!(
        events.of("sync:error").is_empty(),
        "{:?}",
        events.of("sync:error")
    );

    let later = sync
        .get_last_sync_time(JsValue::from("general"))
        .unwrap()
        .unwrap();
    assert!(later > since);
    assert!(sync
        .get_last_sync_time(JsValue::UNDEFINED)
        .unwrap()
        .is_some());
    let (cids, _, counts) = received().await;
    assert_eq!(cids.iter().filter(|c| **c == alice_cid).count(), 1);
    assert_eq!(counts[&alice_cid], 1);
}

#[wasm_bindgen_test]
async fn manual_sync_and_edit_conflicts() {
    clear_storage();
    reset().await;
    let bob = connected("bob", json!({})).await;
    let alice = connected("alice", json!({})).await;
    join(&bob, "general").await;
    join(&alice, "general").await;
    let sync =
        SyncService::new(alice.to_js(), js(json!({ "autoSyncOnReconnect": false }))).unwrap();
    let events = EventRecorder::new();
    let _s = sync.subscribe(events.f().into()).unwrap();
    let m1 = send(&bob, "channel:general", "original 1", "c-1").await;
    let m2 = send(&bob, "channel:general", "original 2", "c-2").await;
    let (id1, id2) = (
        m1["id"].as_str().unwrap().to_owned(),
        m2["id"].as_str().unwrap().to_owned(),
    );

    // A full sync by hand (no queue): resolves with the seed's result shape.
    let result = to_value(
        &settle(
            sync.sync_on_reconnect(js(json!(["bob", "nobody"])))
                .unwrap(),
        )
        .await
        .unwrap(),
    );
    assert_eq!(result["queueFlushed"], json!({ "sent": 0, "failed": 0 }));
    assert_eq!(result["messages"]["synced"], 2);
    assert_eq!(result["presence"]["synced"], 2);
    assert!(result["duration"].as_f64().is_some());
    assert!(result["timestamp"].as_f64().unwrap() > 0.0);
    assert!(!sync.is_syncing());

    // Alice edited both locally; the server then gets edits too: an older
    // local edit loses, a newer one wins.
    let now = js_sys::Date::now();
    sync.record_local_message(js(
        json!({ "id": id1, "content": "alice's old edit", "editedAt": now - 60_000.0 }),
    ))
    .unwrap();
    sync.record_local_message(js(
        json!({ "id": id2, "content": "alice's new edit", "editedAt": now + 60_000.0 }),
    ))
    .unwrap();
    for (id, content) in [(&id1, "bob's edit 1"), (&id2, "bob's edit 2")] {
        settle(
            bob.emit_async(
                "message:edit".into(),
                js(json!({ "messageId": id, "content": content, "roomName": "channel:general" })),
                JsValue::UNDEFINED,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    }
    let r = to_value(
        &settle(sync.sync_messages("general".into()).unwrap())
            .await
            .unwrap(),
    );
    assert_eq!(
        contents(&r["messages"]),
        ["bob's edit 1"],
        "the losing server version is left out"
    );
    let conflicts = r["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 2);
    let by_id = |id: &str| {
        conflicts
            .iter()
            .find(|c| c["messageId"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id(&id1)["resolution"], "server");
    assert_eq!(by_id(&id2)["resolution"], "local");
    assert_eq!(by_id(&id2)["local"]["content"], "alice's new edit");
    assert_eq!(events.count("sync:conflict"), 2);

    // No automatic sync after a reconnect when disabled.
    post("/drop", json!({})).await;
    wait_until("alice back", 8000.0, || alice.is_connected()).await;
    sleep(500).await;
    assert_eq!(events.count("sync:started"), 1, "only the manual one");
}

#[wasm_bindgen_test]
async fn bad_input_gives_clear_errors() {
    let c = client(json!({}));
    let e = type_err(SyncService::new(c.to_js(), js(json!({ "autosync": true }))));
    assert!(e.contains("unknown key \"autosync\""), "{e}");
    let e = type_err(SyncService::new(c.to_js(), js(json!({ "queue": 42 }))));
    assert!(e.contains("OfflineQueueService"), "{e}");
    let e = type_err(SyncService::new(
        c.to_js(),
        js(json!({ "presenceUserIds": "bob" })),
    ));
    assert!(e.contains("options.presenceUserIds"), "{e}");
    type_err(SyncService::new(c.to_js(), js_sys::Array::new().into()));
    let s = SyncService::new(c.to_js(), JsValue::UNDEFINED).unwrap();
    let e = range_err(s.sync_messages("".into()));
    assert!(e.contains("syncMessages(): channelId"), "{e}");
    type_err(s.sync_messages(true.into()));
    range_err(s.record_local_message(js(json!({ "id": "", "content": "x" }))));
    let e = type_err(s.record_local_message(js(json!({ "id": "a", "content": "x", "extra": 1 }))));
    assert!(e.contains("unknown key \"extra\""), "{e}");
    let e = type_err(s.record_local_message(js(json!({ "id": "a" }))));
    assert!(
        e.contains("message.content must be a string, got undefined"),
        "{e}"
    );
    let e = type_err(s.set_presence_user_ids(js(json!([1, 2]))));
    assert!(e.contains("ids[0]"), "{e}");
    type_err(s.set_presence_user_ids(JsValue::UNDEFINED));
    type_err(s.get_last_sync_time(5.into()));
    range_err(s.get_last_sync_time("".into()));
    type_err(s.sync_on_reconnect("bob".into()));
    type_err(s.subscribe(JsValue::NULL));
    let pending = s.sync_messages("general".into()).unwrap();
    s.dispose();
    let e = settle(pending).await.unwrap_err();
    assert!(error_message(&e).contains("disposed"));
}
