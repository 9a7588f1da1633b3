//! DeliveryEventHandler in a real browser against the real test server:
//! sent -> delivered -> read ticks, batched read acks, status sync, and
//! messages tracked through the offline queue.
#![cfg(target_arch = "wasm32")]

mod support;

use chat_realtime::api::{DeliveryEventHandler, OfflineQueueService, RealtimeClient};
use serde_json::{json, Value};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn handler(c: &RealtimeClient, opts: Value) -> DeliveryEventHandler {
    DeliveryEventHandler::new(c, Some(js(opts)))
        .map_err(JsValue::from)
        .unwrap()
}

fn status(d: &DeliveryEventHandler, id: &str) -> Value {
    to_value(&d.get_status(id).map_err(JsValue::from).unwrap())
}

async fn join(c: &RealtimeClient, channel: &str) {
    settle(c.join_channel(channel).map_err(JsValue::from).unwrap())
        .await
        .unwrap();
}

#[wasm_bindgen_test]
async fn ticks_reach_read_when_the_other_user_reads() {
    clear_storage();
    post("/reset", json!({})).await;
    let alice = connected("alice", json!({})).await;
    let bob = connected("bob", json!({})).await;
    join(&alice, "general").await;
    join(&bob, "general").await;
    let da = handler(&alice, json!({}));
    let db = handler(&bob, json!({}));
    let events = EventRecorder::new();
    let _s = da.subscribe(events.f()).map_err(JsValue::from).unwrap();
    let raw_reads = Recorder::new();
    let _r = alice
        .on("message:read", raw_reads.f())
        .map_err(JsValue::from)
        .unwrap();
    let bob_got = Recorder::new();
    let _n = bob
        .on("message:new", bob_got.f())
        .map_err(JsValue::from)
        .unwrap();

    let cid = "tick-1";
    let tracked = to_value(
        &da.track_outgoing(cid, "general", Some(1.0))
            .map_err(JsValue::from)
            .unwrap(),
    );
    assert_eq!(tracked["state"], "sending");
    assert_eq!(tracked["totalRecipients"], 1);
    let ack = settle(
        alice
            .emit_async(
                "message:send",
                js(json!({ "roomName": "channel:general", "content": "hi bob", "clientMessageId": cid })),
                None,
            )
            .map_err(JsValue::from)
            .unwrap(),
    )
    .await
    .unwrap();
    let ack = to_value(&ack);
    let id = ack["data"]["id"].as_str().unwrap().to_owned();
    da.mark_sent(cid, &id, ack["data"]["timestamp"].as_f64())
        .map_err(JsValue::from)
        .unwrap();
    assert_eq!(status(&da, cid)["state"], "sent");
    assert_eq!(
        status(&da, &id)["clientMessageId"],
        cid,
        "found by server id too"
    );

    wait_until("delivered to bob", 3000.0, || {
        events.count("message:delivered") == 1
    })
    .await;
    let delivered = &events.of("message:delivered")[0];
    assert_eq!(delivered["state"], "delivered");
    assert_eq!(delivered["userId"], "bob");
    assert_eq!(delivered["deliveredTo"], json!(["bob"]));

    // Bob reads it (twice, as a UI might): one batch after ~1 s.
    wait_until("bob got it", 3000.0, || bob_got.len() == 1).await;
    assert_eq!(bob_got.all()[0]["id"], id.as_str());
    let start = js_sys::Date::now();
    db.acknowledge_read(&id, "general")
        .map_err(JsValue::from)
        .unwrap();
    db.acknowledge_read(&id, "general")
        .map_err(JsValue::from)
        .unwrap();
    sleep(500).await;
    assert_eq!(events.count("message:read"), 0, "acks wait for the batch");
    wait_until("read", 5000.0, || events.count("message:read") == 1).await;
    let took = js_sys::Date::now() - start;
    assert!(took >= 900.0, "batched for ~1 s, took {took} ms");
    let read = &events.of("message:read")[0];
    assert_eq!(read["state"], "read");
    assert_eq!(read["readBy"], json!(["bob"]));
    assert_eq!(read["readCount"], 1);
    sleep(300).await;
    assert_eq!(raw_reads.len(), 1, "one message:read emit for the batch");
    assert_eq!(
        events.names(),
        ["message:sent", "message:delivered", "message:read"]
    );

    // A late `delivered` never undoes `read`.
    post(
        "/emit",
        json!({ "event": "message:delivered", "data": {
            "messageId": id, "clientMessageId": cid, "roomName": "channel:general",
            "userId": "carol", "deliveredAt": 1
        }}),
    )
    .await;
    wait_until("late receipt applied", 3000.0, || {
        status(&da, cid)["deliveredCount"] == 2
    })
    .await;
    assert_eq!(status(&da, cid)["state"], "read");

    // The server's view agrees.
    let synced = settle(
        da.sync_delivery_status(js(json!([cid])))
            .map_err(JsValue::from)
            .unwrap(),
    )
    .await
    .unwrap();
    let synced = to_value(&synced);
    assert_eq!(synced.as_array().unwrap().len(), 1);
    assert_eq!(synced[0]["state"], "read");
    assert_eq!(synced[0]["messageId"], id.as_str());
}

#[wasm_bindgen_test]
async fn a_reconnect_resyncs_receipts_missed_while_disconnected() {
    clear_storage();
    post("/reset", json!({})).await;
    let alice = connected(
        "alice2",
        json!({ "reconnectDelayMs": 1500, "reconnectDelayMaxMs": 1500 }),
    )
    .await;
    let bob = connected(
        "bob2",
        json!({ "reconnectDelayMs": 100, "reconnectDelayMaxMs": 200 }),
    )
    .await;
    join(&alice, "team").await;
    join(&bob, "team").await;
    let da = handler(&alice, json!({}));
    let db = handler(&bob, json!({ "readBatchMs": 100 }));
    let events = EventRecorder::new();
    let _s = da.subscribe(events.f()).map_err(JsValue::from).unwrap();
    da.track_outgoing("resync-1", "team", None)
        .map_err(JsValue::from)
        .unwrap();
    let ack = to_value(
        &settle(
            alice
                .emit_async(
                    "message:send",
                    js(json!({ "roomName": "channel:team", "content": "x", "clientMessageId": "resync-1" })),
                    None,
                )
                .map_err(JsValue::from)
                .unwrap(),
        )
        .await
        .unwrap(),
    );
    let id = ack["data"]["id"].as_str().unwrap().to_owned();
    da.mark_sent("resync-1", &id, None)
        .map_err(JsValue::from)
        .unwrap();
    wait_until("delivered", 3000.0, || {
        events.count("message:delivered") == 1
    })
    .await;

    // Everyone drops; bob is back first and reads while alice is away.
    post("/drop", json!({})).await;
    wait_until("alice away", 3000.0, || !alice.is_connected()).await;
    wait_until("bob back", 3000.0, || bob.is_connected()).await;
    db.acknowledge_read(&id, "team")
        .map_err(JsValue::from)
        .unwrap();
    sleep(400).await;
    assert!(!alice.is_connected());
    assert_eq!(events.count("message:read"), 0);
    // Alice reconnects: delivery:status brings the read she missed.
    wait_until("read after reconnect", 8000.0, || {
        events.count("message:read") == 1
    })
    .await;
    assert_eq!(status(&da, "resync-1")["state"], "read");
    assert_eq!(status(&da, "resync-1")["readBy"], json!(["bob2"]));
}

#[wasm_bindgen_test]
async fn messages_sent_through_the_queue_are_tracked_to_read() {
    clear_storage();
    post("/reset", json!({})).await;
    let bob = connected("bob3", json!({})).await;
    join(&bob, "general").await;
    let db = handler(&bob, json!({ "readBatchMs": 200 }));
    let bob_got = Recorder::new();
    let _n = bob
        .on("message:new", bob_got.f())
        .map_err(JsValue::from)
        .unwrap();

    let alice = client(json!({}));
    let q = OfflineQueueService::new(&alice, None)
        .map_err(JsValue::from)
        .unwrap();
    let da = handler(&alice, json!({}));
    da.attach_queue(&q).map_err(JsValue::from).unwrap();
    let events = EventRecorder::new();
    let _s = da.subscribe(events.f()).map_err(JsValue::from).unwrap();
    let m = to_value(
        &q.queue_message(js(
            json!({ "channelId": "general", "content": "queued hello" }),
        ))
        .map_err(JsValue::from)
        .unwrap(),
    );
    let cid = m["clientMessageId"].as_str().unwrap().to_owned();
    assert_eq!(status(&da, &cid)["state"], "pending");

    settle(
        alice
            .connect(&token("alice3").await)
            .map_err(JsValue::from)
            .unwrap(),
    )
    .await
    .unwrap();
    join(&alice, "general").await;
    wait_until("sent via the queue", 5000.0, || {
        events.count("message:sent") == 1
    })
    .await;
    wait_until("bob got it", 3000.0, || bob_got.len() == 1).await;
    let id = bob_got.all()[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(status(&da, &cid)["messageId"], id.as_str());
    db.acknowledge_read(&id, "general")
        .map_err(JsValue::from)
        .unwrap();
    wait_until("read", 5000.0, || events.count("message:read") == 1).await;
    assert_eq!(status(&da, &cid)["state"], "read");
}

#[wasm_bindgen_test]
async fn bad_input_gives_clear_errors() {
    let c = client(json!({}));
    let e = DeliveryEventHandler::new(&c, Some(js(json!({ "batchMs": 5 }))))
        .map_err(JsValue::from)
        .err()
        .unwrap();
    assert!(error_message(&e).contains("unknown option"));
    let e = DeliveryEventHandler::new(&c, Some(js(json!({ "queue": {} }))))
        .map_err(JsValue::from)
        .err()
        .unwrap();
    assert!(
        error_message(&e).contains("OfflineQueueService"),
        "{}",
        error_message(&e)
    );
    let d = handler(&c, json!({}));
    assert!(d.track_outgoing("", "general", None).is_err());
    assert!(d.track_outgoing("x", "general", Some(-1.0)).is_err());
    d.track_outgoing("x", "general", Some(2.0))
        .map_err(JsValue::from)
        .unwrap();
    let e = d
        .track_outgoing("x", "general", None)
        .map_err(JsValue::from)
        .unwrap_err();
    assert!(error_message(&e).contains("already tracked"));
    d.mark_sent("x", "m_1", None)
        .map_err(JsValue::from)
        .unwrap();
    let e = d
        .mark_failed("x", "boom")
        .map_err(JsValue::from)
        .unwrap_err();
    assert!(
        error_message(&e).contains("only move forward"),
        "{}",
        error_message(&e)
    );
    assert!(d.acknowledge_read("", "general").is_err());
    assert!(d.sync_delivery_status(js(json!("nope"))).is_err());
    assert!(d
        .get_status("unknown")
        .map_err(JsValue::from)
        .unwrap()
        .is_undefined());
    let pending = d
        .sync_delivery_status(js(json!(["x"])))
        .map_err(JsValue::from)
        .unwrap();
    d.dispose();
    let e = settle(pending).await.unwrap_err();
    assert!(error_message(&e).contains("disposed"));
    assert!(d.track_outgoing("y", "general", None).is_err());
}
