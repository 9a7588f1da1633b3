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
    DeliveryEventHandler::new(c.to_js(), js(opts)).unwrap()
}

fn status(d: &DeliveryEventHandler, id: &str) -> Value {
    to_value(&d.get_status(id.into()).unwrap())
}

async fn join(c: &RealtimeClient, channel: &str) {
    settle(c.join_channel(channel.into()).unwrap())
        .await
        .unwrap();
}

#[wasm_bindgen_test]
async fn ticks_reach_read_when_the_other_user_reads() {
    clear_storage();
    reset().await;
    let alice = connected("alice", json!({})).await;
    let bob = connected("bob", json!({})).await;
    join(&alice, "general").await;
    join(&bob, "general").await;
    let da = handler(&alice, json!({}));
    let db = handler(&bob, json!({}));
    let events = EventRecorder::new();
    let _s = da.subscribe(events.f().into()).unwrap();
    let raw_reads = Recorder::new();
    let _r = alice
        .on("message:read".into(), raw_reads.f().into())
        .unwrap();
    let bob_got = Recorder::new();
    let _n = bob.on("message:new".into(), bob_got.f().into()).unwrap();

    let cid = "tick-1";
    let tracked = to_value(
        &da.track_outgoing(cid.into(), "general".into(), JsValue::from(1.0))
            .unwrap(),
    );
    assert_eq!(tracked["state"], "sending");
    assert_eq!(tracked["totalRecipients"], 1);
    let ack = settle(
        alice
            .emit_async(
                "message:send".into(),
                js(json!({ "roomName": "channel:general", "content": "hi bob", "clientMessageId": cid })),
                JsValue::UNDEFINED,
            ).unwrap(),
    )
    .await
    .unwrap();
    let ack = to_value(&ack);
    let id = ack["data"]["id"].as_str().unwrap().to_owned();
    da.mark_sent(
        cid.into(),
        (&id).into(),
        ack["data"]["timestamp"].as_f64().into(),
    )
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
    db.acknowledge_read((&id).into(), "general".into()).unwrap();
    db.acknowledge_read((&id).into(), "general".into()).unwrap();
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
    let synced = settle(da.sync_delivery_status(js(json!([cid]))).unwrap())
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
    reset().await;
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
    let _s = da.subscribe(events.f().into()).unwrap();
    da.track_outgoing("resync-1".into(), "team".into(), JsValue::UNDEFINED)
        .unwrap();
    let ack = to_value(
        &settle(
            alice
                .emit_async(
                    "message:send".into(),
                    js(json!({ "roomName": "channel:team", "content": "x", "clientMessageId": "resync-1" })),
                    JsValue::UNDEFINED,
                ).unwrap(),
        )
        .await
        .unwrap(),
    );
    let id = ack["data"]["id"].as_str().unwrap().to_owned();
    da.mark_sent("resync-1".into(), (&id).into(), JsValue::UNDEFINED)
        .unwrap();
    wait_until("delivered", 3000.0, || {
        events.count("message:delivered") == 1
    })
    .await;

    // Everyone drops; bob is back first and reads while alice is away.
    post("/drop", json!({})).await;
    wait_until("alice away", 3000.0, || !alice.is_connected()).await;
    wait_until("bob back", 3000.0, || bob.is_connected()).await;
    db.acknowledge_read((&id).into(), "team".into()).unwrap();
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
    reset().await;
    let bob = connected("bob3", json!({})).await;
    join(&bob, "general").await;
    let db = handler(&bob, json!({ "readBatchMs": 200 }));
    let bob_got = Recorder::new();
    let _n = bob.on("message:new".into(), bob_got.f().into()).unwrap();

    let alice = client(json!({}));
    // Through the JavaScript surface, as `attachQueue(queue)` takes it.
    let q: JsValue = OfflineQueueService::new(alice.to_js(), JsValue::UNDEFINED)
        .unwrap()
        .into();
    let da = handler(&alice, json!({}));
    da.attach_queue(q.clone()).unwrap();
    let events = EventRecorder::new();
    let _s = da.subscribe(events.f().into()).unwrap();
    let m = to_value(
        &call_js(
            &q,
            "queueMessage",
            &[js(
                json!({ "channelId": "general", "content": "queued hello" }),
            )],
        )
        .unwrap(),
    );
    let cid = m["clientMessageId"].as_str().unwrap().to_owned();
    assert_eq!(status(&da, &cid)["state"], "pending");

    settle(alice.connect((&token("alice3").await).into()).unwrap())
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
    db.acknowledge_read((&id).into(), "general".into()).unwrap();
    wait_until("read", 5000.0, || events.count("message:read") == 1).await;
    assert_eq!(status(&da, &cid)["state"], "read");
}

#[wasm_bindgen_test]
async fn bad_input_gives_clear_errors() {
    let c = client(json!({}));
    let e = type_err(DeliveryEventHandler::new(
        c.to_js(),
        js(json!({ "batchMs": 5 })),
    ));
    assert!(e.contains("unknown key \"batchMs\""), "{e}");
    let e = type_err(DeliveryEventHandler::new(
        c.to_js(),
        js(json!({ "queue": {} })),
    ));
    assert!(
        e.contains("options.queue must be an OfflineQueueService"),
        "{e}"
    );
    let e = type_err(DeliveryEventHandler::new(
        c.to_js(),
        js(json!({ "readBatchMs": "1s" })),
    ));
    assert!(e.contains("options.readBatchMs"), "{e}");
    let e = type_err(DeliveryEventHandler::new(
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    ));
    assert!(
        e.contains("new DeliveryEventHandler(): client must be a RealtimeClient"),
        "{e}"
    );
    type_err(DeliveryEventHandler::new(js(json!({})), JsValue::UNDEFINED));
    let d = handler(&c, json!({}));
    range_err(d.track_outgoing("".into(), "general".into(), JsValue::UNDEFINED));
    let e = type_err(d.track_outgoing(42.into(), "general".into(), JsValue::UNDEFINED));
    assert_eq!(
        e,
        "trackOutgoing(): clientMessageId must be a non-empty string, got the number 42"
    );
    let e = range_err(d.track_outgoing("x".into(), "general".into(), JsValue::from(-1.0)));
    assert!(e.contains("totalRecipients"), "{e}");
    range_err(d.track_outgoing("x".into(), "general".into(), JsValue::from(1.5)));
    type_err(d.track_outgoing("x".into(), "general".into(), "2".into()));
    type_err(d.attach_queue(c.to_js()));
    type_err(d.subscribe(js(json!({}))));
    d.track_outgoing("x".into(), "general".into(), JsValue::from(2.0))
        .unwrap();
    let e = d
        .track_outgoing("x".into(), "general".into(), JsValue::UNDEFINED)
        .unwrap_err();
    assert!(error_message(&e).contains("already tracked"));
    let e = range_err(d.mark_sent("x".into(), "m_1".into(), f64::NAN.into()));
    assert!(e.contains("markSent(): timestamp"), "{e}");
    type_err(d.mark_sent("x".into(), "m_1".into(), js_sys::Date::new_0().into()));
    d.mark_sent("x".into(), "m_1".into(), JsValue::UNDEFINED)
        .unwrap();
    let e = d.mark_failed("x".into(), "boom".into()).unwrap_err();
    assert!(
        error_message(&e).contains("only move forward"),
        "{}",
        error_message(&e)
    );
    type_err(d.mark_failed("x".into(), JsValue::UNDEFINED));
    range_err(d.acknowledge_read("".into(), "general".into()));
    type_err(d.sync_delivery_status(js(json!("nope"))));
    type_err(d.sync_delivery_status(JsValue::UNDEFINED));
    type_err(d.get_status(js(json!(["x"]))));
    assert!(d.get_status("unknown".into()).unwrap().is_undefined());
    let pending = d.sync_delivery_status(js(json!(["x"]))).unwrap();
    d.dispose();
    let e = settle(pending).await.unwrap_err();
    assert!(error_message(&e).contains("disposed"));
    assert!(d
        .track_outgoing("y".into(), "general".into(), JsValue::UNDEFINED)
        .is_err());
}
