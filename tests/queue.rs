//! OfflineQueueService in a real browser against the real test server:
//! persistence across a reload, exactly-once delivery, two tabs sharing one
//! queue, a full storage and a corrupted entry.
#![cfg(target_arch = "wasm32")]

mod support;

use chat_realtime::api::{OfflineQueueService, RealtimeClient};
use serde_json::{json, Value};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const KEY: &str = "chat-realtime:queue";

fn queue(c: &RealtimeClient, opts: Value) -> OfflineQueueService {
    OfflineQueueService::new(c.to_js(), js(opts)).unwrap()
}

fn push(q: &OfflineQueueService, channel: &str, content: &str) -> Value {
    let m = q
        .queue_message(js(json!({ "channelId": channel, "content": content })))
        .unwrap();
    to_value(&m)
}

fn cid(m: &Value) -> String {
    m["clientMessageId"].as_str().unwrap().to_owned()
}

/// The stored entries (one `localStorage` key each), in queue order.
fn stored_messages() -> Vec<Value> {
    let s = local_storage();
    let prefix = format!("{KEY}:m:");
    let mut out: Vec<Value> = (0..s.length().unwrap())
        .filter_map(|i| s.key(i).unwrap())
        .filter(|k| k.starts_with(&prefix))
        .filter_map(|k| s.get_item(&k).unwrap())
        .filter_map(|t| serde_json::from_str::<Value>(&t).ok())
        .collect();
    out.sort_by_key(|e| (e["createdAt"].as_u64(), e["id"].as_str().map(str::to_owned)));
    out
}

fn entry_key(m: &Value) -> String {
    format!("{KEY}:m:{}", m["id"].as_str().unwrap())
}

/// Waits for `n` messages on the server, then a little for stragglers.
async fn received_settled(n: usize) -> (Vec<String>, Vec<String>, Value) {
    let start = js_sys::Date::now();
    loop {
        let r = received().await;
        if r.0.len() >= n {
            break;
        }
        assert!(
            js_sys::Date::now() - start < 15_000.0,
            "server has {} of {n} messages",
            r.0.len()
        );
        sleep(50).await;
    }
    sleep(600).await;
    received().await
}

fn assert_each_sent_once(cids: &[String], counts: &Value) {
    for c in cids {
        assert_eq!(counts[c], 1, "{c} was sent {} times: {counts}", counts[c]);
    }
    assert_eq!(
        counts.as_object().map(|o| o.len()),
        Some(cids.len()),
        "unexpected sends: {counts}"
    );
}

/// Joins `observer` to `general` and records the `message:new` it gets.
async fn watch_general(observer: &RealtimeClient) -> Recorder {
    settle(observer.join_channel("general".into()).unwrap())
        .await
        .unwrap();
    let broadcast = Recorder::new();
    observer
        .on("message:new".into(), broadcast.f().into())
        .unwrap();
    broadcast
}

#[wasm_bindgen_test]
async fn queued_while_the_server_is_down_survive_a_reload_and_arrive_exactly_once_in_order() {
    clear_storage();
    reset().await;
    let observer = connected(
        "observer",
        json!({ "reconnectDelayMs": 100, "reconnectDelayMaxMs": 200 }),
    )
    .await;
    let broadcast = watch_general(&observer).await;

    // The server goes down; a writer tries to connect and queues meanwhile.
    let back = spawn_control("POST", "/restart", json!({ "downMs": 3000 }));
    wait_server_down().await;
    let writer = client(json!({ "reconnectDelayMs": 200, "reconnectDelayMaxMs": 400 }));
    let _pending = writer.connect((&token("writer").await).into());
    let q = queue(&writer, json!({}));
    let events = EventRecorder::new();
    let _s = q.subscribe(events.f().into()).unwrap();
    let mut cids = Vec::new();
    let mut contents = Vec::new();
    for i in 0..5 {
        let content = format!("offline {i}");
        let m = push(&q, "general", &content);
        assert_eq!(m["status"], "queued");
        assert_eq!(m["retryCount"], 0);
        assert!(m["id"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(m["createdAt"].as_f64().unwrap() > 0.0);
        cids.push(cid(&m));
        contents.push(content);
    }
    assert_eq!(events.count("message:queued"), 5);
    assert_eq!(q.get_queue_length().unwrap(), 5);
    assert_eq!(stored_messages().len(), 5, "persisted at once");
    sleep(300).await;
    assert!(!writer.is_connected());
    assert!(received().await.0.is_empty());

    // "Reload": everything in memory goes away; a new page loads the queue.
    q.dispose();
    writer.disconnect().unwrap();
    drop(q);
    drop(writer);
    let writer = client(json!({ "reconnectDelayMs": 200, "reconnectDelayMaxMs": 400 }));
    let q = queue(&writer, json!({}));
    let events = EventRecorder::new();
    let _s = q.subscribe(events.f().into()).unwrap();
    let loaded: Vec<String> = to_value(&q.get_queued_messages().map_err(JsValue::from).unwrap())
        .as_array()
        .unwrap()
        .iter()
        .map(cid)
        .collect();
    assert_eq!(
        loaded, cids,
        "the reloaded queue has every message, in order"
    );

    // Server back: the new page connects and the queue flushes.
    wait_until("server back", 10_000.0, || back.get()).await;
    wait_until("observer back", 5_000.0, || observer.is_connected()).await;
    settle(writer.connect((&token("writer").await).into()).unwrap())
        .await
        .expect("connects");
    wait_until("queue drained", 15_000.0, || {
        q.get_queue_length().unwrap() == 0
    })
    .await;
    let (got, got_contents, counts) = received_settled(5).await;
    assert_eq!(got, cids, "every message exactly once, in order");
    assert_eq!(got_contents, contents);
    assert_each_sent_once(&cids, &counts);
    wait_until("broadcasts", 3000.0, || broadcast.len() == 5).await;
    sleep(300).await;
    let seen: Vec<String> = broadcast
        .all()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, contents, "no duplicate broadcast");
    let sent = events.of("message:sent");
    assert_eq!(sent.len(), 5);
    assert!(sent.iter().all(|s| s["duplicate"] == false));
    // The test server's extension answers with an id; the real server's
    // `{success:true}` carries none.
    assert!(sent
        .iter()
        .all(|s| s["messageId"].is_null() || s["messageId"].is_string()));
    assert!(
        stored_messages().is_empty(),
        "removed from storage after the acks"
    );
    let flushed = events.of("queue:flushed");
    assert_eq!(
        flushed
            .iter()
            .map(|f| f["sent"].as_u64().unwrap())
            .sum::<u64>(),
        5
    );
}

/// `navigator.locks.query()`.
async fn lock_snapshot() -> Value {
    let nav = web_sys::window().unwrap().navigator();
    let locks = js_sys::Reflect::get(&nav, &"locks".into()).unwrap();
    let p: js_sys::Promise = call_method(&locks, "query", &[]).unwrap().unchecked_into();
    to_value(&settle(p).await.unwrap())
}

async fn two_tabs_share_one_queue(lock: &str) {
    clear_storage();
    reset().await;
    let observer = connected("observer", json!({})).await;
    let broadcast = watch_general(&observer).await;

    let a = client(json!({}));
    let b = client(json!({}));
    let qa = queue(&a, json!({ "crossTabLock": lock }));
    let qb = queue(&b, json!({ "crossTabLock": lock }));
    let (ea, eb) = (EventRecorder::new(), EventRecorder::new());
    let _sa = qa.subscribe(ea.f().into()).unwrap();
    let _sb = qb.subscribe(eb.f().into()).unwrap();
    let mut cids = Vec::new();
    for i in 0..3 {
        cids.push(cid(&push(&qa, "general", &format!("tab A {i}"))));
        sleep(3).await;
        cids.push(cid(&push(&qb, "general", &format!("tab B {i}"))));
        sleep(3).await;
    }
    assert_eq!(stored_messages().len(), 6, "one shared stored queue");

    // Slow acks make the two flushes overlap unless the lock serializes them.
    post("/latency", json!({ "ms": 150 })).await;
    let (ta, tb) = (token("tab-user").await, token("tab-user").await);
    let pa = a.connect((&ta).into()).unwrap();
    let pb = b.connect((&tb).into()).unwrap();
    if lock == "auto" {
        // Web Locks: the flushing tab holds the lock, the other one waits
        // for it; no lease is written.
        let start = js_sys::Date::now();
        loop {
            let snap = lock_snapshot().await;
            let named = |list: &str| {
                snap[list]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|l| l["name"] == format!("{KEY}:flush-lock"))
                    .count()
            };
            if named("held") == 1 {
                break;
            }
            assert!(
                js_sys::Date::now() - start < 5000.0,
                "no Web Lock held: {snap}"
            );
            sleep(10).await;
        }
        assert!(local_storage()
            .get_item(&format!("{KEY}:flush-lock"))
            .unwrap()
            .is_none());
    }
    if lock == "lease" {
        wait_until("the lease is taken", 5000.0, || {
            local_storage()
                .get_item(&format!("{KEY}:flush-lock"))
                .unwrap()
                .is_some()
        })
        .await;
    }
    settle(pa).await.expect("tab A connects");
    settle(pb).await.expect("tab B connects");
    wait_until("both queues empty", 20_000.0, || {
        qa.get_queue_length().unwrap() == 0 && qb.get_queue_length().unwrap() == 0
    })
    .await;
    let (got, _, counts) = received_settled(6).await;
    post("/latency", json!({ "ms": 0 })).await;
    assert_eq!(got, cids, "each message exactly once, in queue order");
    assert_each_sent_once(&cids, &counts);
    wait_until("broadcasts", 3000.0, || broadcast.len() == 6).await;
    let mut sent: Vec<String> = ea
        .of("message:sent")
        .iter()
        .chain(eb.of("message:sent").iter())
        .map(|s| s["message"]["clientMessageId"].as_str().unwrap().to_owned())
        .collect();
    sent.sort();
    let mut expected = cids.clone();
    expected.sort();
    assert_eq!(sent, expected, "no tab reported a message twice");
    let flushed: u64 = ea
        .of("queue:flushed")
        .iter()
        .chain(eb.of("queue:flushed").iter())
        .map(|f| f["sent"].as_u64().unwrap())
        .sum();
    assert_eq!(flushed, 6);
    assert!(stored_messages().is_empty());
    sleep(300).await;
    assert!(
        local_storage()
            .get_item(&format!("{KEY}:flush-lock"))
            .unwrap()
            .is_none(),
        "the lease is released"
    );
}

#[wasm_bindgen_test]
async fn two_tabs_with_one_queue_send_each_message_exactly_once_web_locks() {
    two_tabs_share_one_queue("auto").await;
}

#[wasm_bindgen_test]
async fn two_tabs_with_one_queue_send_each_message_exactly_once_lease_fallback() {
    two_tabs_share_one_queue("lease").await;
}

#[wasm_bindgen_test]
async fn a_storage_event_from_another_tab_merges_its_changes() {
    clear_storage();
    let a = client(json!({}));
    let b = client(json!({}));
    let qa = queue(&a, json!({}));
    let qb = queue(&b, json!({}));
    let m1 = push(&qa, "general", "one");
    let m2 = push(&qa, "general", "two");
    assert_eq!(qb.get_queue_length().unwrap(), 0, "B has not heard yet");
    fire_storage_event("some-other-key");
    fire_storage_event(&format!("{KEY}:quarantine"));
    assert_eq!(qb.get_queue_length().unwrap(), 0, "other keys are ignored");
    // The event names the entry; only that one is read.
    fire_storage_event(&entry_key(&m1));
    assert_eq!(qb.get_queue_length().unwrap(), 1);
    fire_storage_event(&entry_key(&m2));
    assert_eq!(qb.get_queue_length().unwrap(), 2);
    qa.remove_message(m1["id"].as_str().unwrap().into())
        .unwrap();
    fire_storage_event(&entry_key(&m1));
    let left = to_value(&qb.get_queued_messages().map_err(JsValue::from).unwrap());
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["content"], "two");
}

/// Fills localStorage with junk until nothing more fits.
fn fill_storage() {
    let s = local_storage();
    let mut size = 1 << 20;
    let mut i = 0;
    while size >= 4 {
        let junk = "x".repeat(size);
        if s.set_item(&format!("junk:{i}"), &junk).is_ok() {
            i += 1;
        } else {
            size /= 2;
        }
    }
    assert!(
        s.set_item("probe", &"y".repeat(64)).is_err(),
        "storage should be full"
    );
}

#[wasm_bindgen_test]
async fn a_full_storage_reports_quota_and_the_message_is_still_sent() {
    clear_storage();
    reset().await;
    fill_storage();
    let c = client(json!({}));
    let q = queue(&c, json!({}));
    let events = EventRecorder::new();
    let _s = q.subscribe(events.f().into()).unwrap();
    let m = push(&q, "general", "kept in memory");
    let m2 = push(&q, "general", "also kept in memory");
    assert_eq!(m["persisted"], false);
    let errors = events.of("queue:error");
    assert_eq!(errors.len(), 2, "one per message: {:?}", events.names());
    for (e, msg) in errors.iter().zip([&m, &m2]) {
        assert_eq!(e["reason"], "quota");
        assert_eq!(e["messageId"], msg["id"]);
        assert!(
            e["message"].as_str().unwrap().contains("quota"),
            "{}",
            e["message"]
        );
    }
    assert_eq!(q.get_queue_length().unwrap(), 2, "kept in memory");
    // Space back: the next store operation writes them.
    let s = local_storage();
    for i in 0..4 {
        s.remove_item(&format!("junk:{i}")).unwrap();
    }
    settle(q.flush_queue().unwrap()).await.unwrap();
    assert_eq!(events.count("message:persisted"), 2);
    let now = to_value(&q.get_queued_messages().unwrap());
    assert!(now
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["persisted"] == true));
    assert_eq!(stored_messages().len(), 2);
    settle(c.connect((&token("full").await).into()).unwrap())
        .await
        .expect("connects");
    wait_until("sent", 10_000.0, || events.count("message:sent") == 2).await;
    let (got, _, counts) = received_settled(2).await;
    assert_eq!(got, [cid(&m), cid(&m2)]);
    assert_each_sent_once(&got, &counts);
    assert_eq!(q.get_queue_length().unwrap(), 0);
    clear_storage();
}

#[wasm_bindgen_test]
async fn a_corrupted_entry_is_reported_set_aside_and_the_rest_sent() {
    clear_storage();
    reset().await;
    let c = client(json!({}));
    let q = queue(&c, json!({}));
    let ms: Vec<Value> = (0..3)
        .map(|i| push(&q, "general", &format!("entry {i}")))
        .collect();
    q.dispose();
    drop(q);
    drop(c);
    // Tamper with the middle entry.
    let s = local_storage();
    let key = entry_key(&ms[1]);
    let mut entry: Value = serde_json::from_str(&s.get_item(&key).unwrap().unwrap()).unwrap();
    entry["content"] = json!("tampered");
    s.set_item(&key, &entry.to_string()).unwrap();

    let c = client(json!({}));
    let q = queue(&c, json!({}));
    let events = EventRecorder::new();
    let _s = q.subscribe(events.f().into()).unwrap();
    wait_until("corruption reported", 2000.0, || {
        events.count("queue:error") == 1
    })
    .await;
    let err = &events.of("queue:error")[0];
    assert_eq!(err["reason"], "corrupt");
    assert_eq!(err["messageId"], ms[1]["id"]);
    assert!(
        err["message"].as_str().unwrap().contains("checksum"),
        "{err}"
    );
    assert_eq!(q.get_queue_length().unwrap(), 2);
    let quarantined = to_value(&q.get_quarantined().map_err(JsValue::from).unwrap());
    assert_eq!(quarantined.as_array().unwrap().len(), 1);
    assert!(quarantined[0]["raw"].as_str().unwrap().contains("tampered"));
    q.clear_quarantine().map_err(JsValue::from).unwrap();
    assert_eq!(
        to_value(&q.get_quarantined().map_err(JsValue::from).unwrap()),
        json!([])
    );

    settle(c.connect((&token("reader").await).into()).unwrap())
        .await
        .expect("connects");
    wait_until("drained", 10_000.0, || q.get_queue_length().unwrap() == 0).await;
    let (got, contents, counts) = received_settled(2).await;
    assert_eq!(got, [cid(&ms[0]), cid(&ms[2])]);
    assert_eq!(contents, ["entry 0", "entry 2"]);
    assert_each_sent_once(&got, &counts);
    assert_eq!(events.count("queue:error"), 1, "reported once");
}

#[wasm_bindgen_test]
async fn an_unreadable_document_is_set_aside_and_the_queue_keeps_working() {
    clear_storage();
    local_storage().set_item(KEY, "{not json").unwrap();
    let c = client(json!({}));
    let q = queue(&c, json!({}));
    let events = EventRecorder::new();
    let _s = q.subscribe(events.f().into()).unwrap();
    sleep(0).await;
    assert_eq!(events.of("queue:error")[0]["reason"], "corrupt");
    push(&q, "general", "fresh start");
    assert_eq!(stored_messages().len(), 1);
    let quarantine = local_storage()
        .get_item(&format!("{KEY}:quarantine"))
        .unwrap()
        .unwrap();
    assert!(quarantine.contains("{not json"), "{quarantine}");
}

#[wasm_bindgen_test]
async fn offline_then_online_reconnects_and_flushes() {
    clear_storage();
    reset().await;
    let c = connected("nomad", json!({})).await;
    let q = queue(&c, json!({}));
    let events = EventRecorder::new();
    let _s = q.subscribe(events.f().into()).unwrap();
    fire_window_event("offline");
    assert!(!c.is_connected());
    let m = push(&q, "general", "written offline");
    sleep(300).await;
    assert_eq!(q.get_queue_length().unwrap(), 1);
    fire_window_event("online");
    wait_until("flushed", 5000.0, || q.get_queue_length().unwrap() == 0).await;
    let (got, _, counts) = received_settled(1).await;
    assert_eq!(got, [cid(&m)]);
    assert_each_sent_once(&got, &counts);
    let flushing = events.of("queue:flushing");
    assert_eq!(flushing[0]["count"], 1);
    let result = settle(q.flush_queue().map_err(JsValue::from).unwrap())
        .await
        .unwrap();
    assert_eq!(to_value(&result), json!({ "sent": 0, "failed": 0 }));
}

#[wasm_bindgen_test]
async fn limits_and_bad_input_give_clear_errors_and_lose_nothing() {
    clear_storage();
    let c = client(json!({}));
    let e = type_err(OfflineQueueService::new(
        c.to_js(),
        js(json!({ "maxMesages": 2 })),
    ));
    assert!(e.contains("unknown key \"maxMesages\""), "{e}");
    let e = range_err(OfflineQueueService::new(
        c.to_js(),
        js(json!({ "crossTabLock": "maybe" })),
    ));
    assert!(e.contains("options.crossTabLock"), "{e}");
    let e = type_err(OfflineQueueService::new(
        c.to_js(),
        js(json!({ "maxMessages": "2" })),
    ));
    assert!(e.contains("options.maxMessages"), "{e}");
    range_err(OfflineQueueService::new(
        c.to_js(),
        js(json!({ "maxMessages": 0 })),
    ));
    range_err(OfflineQueueService::new(
        c.to_js(),
        js(json!({ "maxMessages": 2.5 })),
    ));
    let e = type_err(OfflineQueueService::new(42.into(), JsValue::UNDEFINED));
    assert!(e.contains("client must be a RealtimeClient"), "{e}");

    let q = queue(&c, json!({ "maxMessages": 2 }));
    push(&q, "general", "one");
    push(&q, "general", "two");
    let e = q
        .queue_message(js(json!({ "channelId": "general", "content": "three" })))
        .unwrap_err();
    assert!(error_message(&e).contains("full"), "{}", error_message(&e));
    assert_eq!(q.get_queue_length().unwrap(), 2, "nothing dropped");
    for bad in [
        json!({ "channelId": "general" }),
        json!({ "channelId": "", "content": "x" }),
        json!({ "channelId": "general", "content": "   " }),
        json!({ "channelId": "general", "content": "x", "colour": "red" }),
        json!({ "channelId": "general", "content": "x", "mentions": [1] }),
    ] {
        let e = q.queue_message(js(bad.clone())).unwrap_err();
        assert!(
            error_message(&e).starts_with("queueMessage()"),
            "{bad}: {}",
            error_message(&e)
        );
    }
    let e = type_err(q.queue_message(js(json!({ "channelId": "general" }))));
    assert!(
        e.contains("message.content must be a string, got undefined"),
        "{e}"
    );
    let e = type_err(q.queue_message(js(json!({ "channelId": 7, "content": "x" }))));
    assert!(e.contains("message.channelId"), "{e}");
    type_err(q.queue_message(JsValue::NULL));
    type_err(q.queue_message(js_sys::Array::new().into()));
    type_err(q.remove_message(42.into()));
    range_err(q.retry_message("".into()));
    type_err(q.subscribe("f".into()));
    let e = q.retry_message("nope".into()).unwrap_err();
    assert!(error_message(&e).contains("no queued message"));
    let first = to_value(&q.get_queued_messages().map_err(JsValue::from).unwrap())[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let e = q.retry_message((&first).into()).unwrap_err();
    assert!(error_message(&e).contains("has not failed"));
    assert_eq!(q.clear_queue().map_err(JsValue::from).unwrap(), 2);
    assert!(stored_messages().is_empty());

    let pending = q.flush_queue().map_err(JsValue::from).unwrap();
    q.dispose();
    q.dispose();
    assert!(settle(pending).await.is_ok(), "settled before dispose");
    let e = q.get_queue_length().map_err(JsValue::from).unwrap_err();
    assert!(error_message(&e).contains("disposed"));
}
