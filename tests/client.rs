//! RealtimeClient in a real browser against the real Socket.IO test server.
#![cfg(target_arch = "wasm32")]

mod support;

use chat_realtime::api::RealtimeClient;
use serde_json::json;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn count_states(r: &Recorder) -> Vec<String> {
    r.strings()
}

#[wasm_bindgen_test]
async fn connects_with_a_token_and_reports_state() {
    post("/reset", json!({})).await;
    let c = client(json!({"debug": true}));
    assert_eq!(c.state(), "disconnected");
    let states = Recorder::new();
    let _u = c.on_state_change(states.f());
    let t = token("alice").await;
    settle(c.connect(&t).map_err(JsValue::from).unwrap())
        .await
        .expect("connects");
    assert!(c.is_connected());
    assert_eq!(c.state(), "connected");
    assert!(c.socket_id().is_some());
    assert_eq!(count_states(&states), ["connecting", "connected"]);
    let conns = get("/connections").await;
    let device = &conns["connections"][0]["device"];
    assert_eq!(device["type"], "web");
    c.disconnect().map_err(JsValue::from).unwrap();
    assert_eq!(c.state(), "disconnected");
}

#[wasm_bindgen_test]
async fn a_bad_token_is_rejected_clearly_and_not_retried() {
    post("/reset", json!({})).await;
    let c = client(json!({ "reconnectDelayMs": 100 }));
    let errors = Recorder::new();
    let _u = c.on_error(errors.f());
    let bad = get("/token?bad=1").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let err = settle(c.connect(&bad).map_err(JsValue::from).unwrap())
        .await
        .expect_err("refused");
    assert!(
        error_message(&err).contains("invalid token"),
        "{}",
        error_message(&err)
    );
    assert_eq!(c.state(), "disconnected");
    sleep(1500).await;
    let stats = get("/stats").await;
    assert_eq!(
        stats["authAttempts"], 1,
        "a refusal must not be retried: {stats}"
    );
    assert_eq!(errors.all()[0]["code"], "auth");

    // Expired token and a forced refusal, likewise.
    let expired = get("/token?sub=bob&expiresIn=-60").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let err = settle(c.connect(&expired).map_err(JsValue::from).unwrap())
        .await
        .unwrap_err();
    assert!(error_message(&err).contains("token expired"));
    post("/reject-auth", json!({ "count": 1 })).await;
    let err = settle(
        c.connect(&token("bob").await)
            .map_err(JsValue::from)
            .unwrap(),
    )
    .await
    .unwrap_err();
    assert!(error_message(&err).contains("authentication rejected"));
    // After refreshing the token the app connects again.
    settle(
        c.connect(&token("bob").await)
            .map_err(JsValue::from)
            .unwrap(),
    )
    .await
    .expect("connects after refresh");
    assert_eq!(get("/stats").await["authAttempts"], 4);
}

#[wasm_bindgen_test]
async fn events_both_ways_acks_and_ack_timeout() {
    post("/reset", json!({})).await;
    let a = connected("ann", json!({})).await;
    let b = connected("ben", json!({})).await;
    let joined = settle(a.join_channel("general").map_err(JsValue::from).unwrap())
        .await
        .unwrap();
    assert_eq!(
        js_sys::Reflect::get(&joined, &"success".into()).unwrap(),
        JsValue::TRUE
    );
    settle(b.join_channel("general").map_err(JsValue::from).unwrap())
        .await
        .unwrap();

    let got = Recorder::new();
    let _u = b.on("message:new", got.f()).map_err(JsValue::from).unwrap();
    let ack = settle(
        a.emit_async(
            "message:send",
            js(json!({"roomName": "channel:general", "content": "hello", "clientMessageId": "c-1"})),
            None,
        )
        .map_err(JsValue::from)
        .unwrap(),
    )
    .await
    .unwrap();
    let ack: serde_json::Value = serde_wasm_bindgen::from_value(ack).unwrap();
    assert_eq!(ack["success"], true);
    assert!(ack["data"]["id"].as_str().unwrap().starts_with("m_"));
    wait_until("B receives message:new", 3000.0, || got.len() == 1).await;
    assert_eq!(got.all()[0]["content"], "hello");
    assert_eq!(got.all()[0]["userId"], "ann");

    // A plain emit reaches the server too.
    a.emit(
        "message:send",
        js(json!({"roomName": "channel:general", "content": "two", "clientMessageId": "c-2"})),
    )
    .map_err(JsValue::from)
    .unwrap();
    wait_until("second message", 3000.0, || got.len() == 2).await;

    // No ack: rejected with a timeout error.
    let start = js_sys::Date::now();
    let err = settle(
        a.emit_async("nobody:answers", js(json!({})), Some(300.0))
            .map_err(JsValue::from)
            .unwrap(),
    )
    .await
    .unwrap_err();
    assert!(
        error_message(&err).contains("within 300 ms"),
        "{}",
        error_message(&err)
    );
    assert!(js_sys::Date::now() - start >= 290.0);

    // once() fires once; an unsubscribed listener stops.
    let once = Recorder::new();
    let _o = b
        .once("message:new", once.f())
        .map_err(JsValue::from)
        .unwrap();
    let unsub = b.on("message:new", got.f()).map_err(JsValue::from).unwrap();
    for i in 3..5 {
        a.emit("message:send", js(json!({"roomName": "channel:general", "content": format!("m{i}"), "clientMessageId": format!("c-{i}")})))
            .map_err(JsValue::from)
            .unwrap();
    }
    wait_until("both", 3000.0, || got.len() == 6).await;
    assert_eq!(once.len(), 1);
    unsub.call0(&JsValue::NULL).unwrap();
    unsub.call0(&JsValue::NULL).unwrap(); // idempotent
    a.emit(
        "message:send",
        js(json!({"roomName": "channel:general", "content": "5", "clientMessageId": "c-5"})),
    )
    .map_err(JsValue::from)
    .unwrap();
    wait_until("fifth", 3000.0, || got.len() == 7).await;
}

#[wasm_bindgen_test]
async fn a_listener_that_throws_is_reported_and_others_still_run() {
    post("/reset", json!({})).await;
    let c = connected("thrower", json!({})).await;
    let errors = Recorder::new();
    let _e = c.on_error(errors.f());
    let bad = js_sys::Function::new_no_args("throw new Error('boom')");
    let good = Recorder::new();
    let _a = c.on("burst", bad).map_err(JsValue::from).unwrap();
    let _b = c.on("burst", good.f()).map_err(JsValue::from).unwrap();
    post("/emit", json!({"event": "burst", "data": {"n": 1}})).await;
    wait_until("good listener", 3000.0, || good.len() == 1).await;
    assert_eq!(errors.all()[0]["code"], "listener");
    assert!(errors.all()[0]["message"]
        .as_str()
        .unwrap()
        .contains("boom"));
}

#[wasm_bindgen_test]
async fn server_restart_reconnects_within_the_backoff_bound() {
    post("/reset", json!({})).await;
    let c = connected("restart", json!({ "seed": 1 })).await;
    let states = Recorder::new();
    let _s = c.on_state_change(states.f());
    let got = Recorder::new();
    let _l = c.on("after", got.f()).map_err(JsValue::from).unwrap();
    post("/restart", json!({ "downMs": 1500 })).await;
    // Down 1.5 s: attempts at ~1 s (refused) and ~3 s (1 s + 2 s backoff, +10 % jitter).
    let took = wait_until("reconnected", 8000.0, || c.is_connected()).await;
    assert!(took < 8000.0);
    let seen = count_states(&states);
    assert_eq!(
        seen.first().map(String::as_str),
        Some("reconnecting"),
        "{seen:?}"
    );
    assert_eq!(
        seen.last().map(String::as_str),
        Some("connected"),
        "{seen:?}"
    );
    assert!(!seen.contains(&"disconnected".to_string()), "{seen:?}");
    assert_eq!(c.reconnect_attempts(), 0);
    // Listeners survive the reconnect, not duplicated.
    post("/emit", json!({"event": "after", "data": 1})).await;
    wait_until("event after reconnect", 3000.0, || got.len() == 1).await;
    sleep(200).await;
    assert_eq!(got.len(), 1);
}

#[wasm_bindgen_test]
async fn dropped_connection_reconnects_and_buffered_emits_go_out_in_order() {
    post("/reset", json!({})).await;
    let c = connected("dropper", json!({ "reconnectDelayMs": 300 })).await;
    post("/drop", json!({})).await;
    wait_until("noticed the drop", 3000.0, || c.state() == "reconnecting").await;
    for i in 0..3 {
        c.emit("message:send", js(json!({"roomName": "r", "content": format!("m{i}"), "clientMessageId": format!("buf-{i}")})))
            .map_err(JsValue::from)
            .unwrap();
    }
    assert!(!c
        .emit_volatile(
            "message:send",
            js(json!({"roomName": "r", "content": "v", "clientMessageId": "vol"}))
        )
        .map_err(JsValue::from)
        .unwrap());
    wait_until("reconnected", 5000.0, || c.is_connected()).await;
    sleep(300).await;
    let received = get("/received").await;
    let ids: Vec<_> = received["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["clientMessageId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["buf-0", "buf-1", "buf-2"]);
}

#[wasm_bindgen_test]
async fn a_silent_server_is_declared_dead_and_the_client_reconnects() {
    post("/reset", json!({})).await;
    // The Makefile runs the server with pingInterval 2000 + pingTimeout 2000.
    let c = connected("silent", json!({ "reconnectDelayMs": 200 })).await;
    let reasons = Recorder::new();
    let _d = c.on_disconnect(reasons.f());
    post("/silence", json!({ "on": true })).await;
    let took = wait_until("dead link detected", 7000.0, || c.state() != "connected").await;
    assert!(took <= 4000.0 + 1000.0, "took {took} ms");
    assert_eq!(reasons.strings(), ["ping timeout"]);
    post("/silence", json!({ "on": false })).await;
    wait_until("reconnected", 8000.0, || c.is_connected()).await;
}

#[wasm_bindgen_test]
async fn quality_follows_added_latency() {
    post("/reset", json!({})).await;
    let c = connected(
        "latent",
        json!({ "latencyWindow": 2, "probeTimeoutMs": 5000 }),
    )
    .await;
    assert_eq!(c.connection_quality(), "unknown");
    async fn sample(c: &RealtimeClient, n: usize) -> f64 {
        let mut last = 0.0;
        for _ in 0..n {
            last = settle(c.measure_latency().map_err(JsValue::from).unwrap())
                .await
                .unwrap()
                .as_f64()
                .unwrap();
        }
        last
    }
    sample(&c, 2).await;
    let q0 = c.connection_quality();
    assert!(q0 == "excellent" || q0 == "good", "{q0}");
    post("/latency", json!({ "ms": 400 })).await;
    let rtt = sample(&c, 2).await;
    assert!(rtt >= 400.0, "{rtt}");
    assert_eq!(c.connection_quality(), "fair");
    post("/latency", json!({ "ms": 800 })).await;
    sample(&c, 2).await;
    assert_eq!(c.connection_quality(), "poor");
    assert!(c.average_latency().unwrap() > 600.0);
    post("/latency", json!({ "ms": 0 })).await;
}

#[wasm_bindgen_test]
async fn offline_stops_attempts_and_online_reconnects_at_once() {
    post("/reset", json!({})).await;
    let c = connected("nomad", json!({})).await;
    let online = Recorder::new();
    let _o = c.on_offline_status_change(online.f());
    fire_window_event("offline");
    assert_eq!(c.state(), "offline");
    assert!(!c.is_online());
    let before = get("/stats").await["connectionsTotal"].as_u64().unwrap();
    sleep(2500).await; // longer than the first backoff delays
    assert_eq!(
        get("/stats").await["connectionsTotal"].as_u64().unwrap(),
        before,
        "no attempts while offline"
    );
    fire_window_event("online");
    let took = wait_until("reconnected", 3000.0, || c.is_connected()).await;
    assert!(took < 900.0, "an immediate attempt, took {took} ms");
    assert_eq!(online.all(), [json!(false), json!(true)]);
    assert_eq!(
        get("/stats").await["connectionsTotal"].as_u64().unwrap(),
        before + 1
    );
}

#[wasm_bindgen_test]
async fn malformed_frames_are_reported_and_the_connection_keeps_working() {
    post("/reset", json!({})).await;
    let c = connected("victim", json!({})).await;
    let errors = Recorder::new();
    let _e = c.on_error(errors.f());
    for frame in [
        "42[\"oops\"",
        "9zzz",
        "42{}",
        "451-[\"bin\",{\"_placeholder\":true,\"num\":0}]",
    ] {
        post("/raw", json!({ "frame": frame })).await;
    }
    post("/raw-binary", json!({ "bytes": [1, 2, 3] })).await;
    wait_until("five protocol errors", 3000.0, || errors.len() == 5).await;
    assert!(errors.all().iter().all(|e| e["code"] == "protocol"));
    assert!(c.is_connected());
    let got = Recorder::new();
    let _l = c.on("still", got.f()).map_err(JsValue::from).unwrap();
    post("/emit", json!({ "event": "still", "data": "ok" })).await;
    wait_until("event after garbage", 3000.0, || got.len() == 1).await;
}

#[wasm_bindgen_test]
async fn bad_input_gives_clear_errors() {
    let c = RealtimeClient::new();
    let e = c
        .emit("x", JsValue::NULL)
        .map_err(JsValue::from)
        .unwrap_err();
    assert!(
        error_message(&e).contains("initialize"),
        "{}",
        error_message(&e)
    );
    let e = c
        .initialize(js(json!({ "url": "ftp://nope" })))
        .map_err(JsValue::from)
        .unwrap_err();
    assert!(error_message(&e).contains("invalid server URL"));
    let e = c
        .initialize(js(json!({ "ulr": "http://x" })))
        .map_err(JsValue::from)
        .unwrap_err();
    assert!(
        error_message(&e).contains("unknown option"),
        "{}",
        error_message(&e)
    );
    let c = client(json!({}));
    assert!(c.connect("").is_err());
    assert!(c.emit("", JsValue::NULL).is_err());
    assert!(c.emit("connect", JsValue::NULL).is_err());
    let cyclic = js_sys::Object::new();
    js_sys::Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    assert!(c.emit("x", cyclic.into()).is_err());
    assert!(c.update_presence("sleeping", JsValue::UNDEFINED).is_err());
    // The custom status goes through the presence core's checks.
    let e = err(c.update_presence("busy", js(json!({ "text": "x", "expiresAt": "soon" }))));
    assert!(e.contains("customStatus: expiresAt must be a Date"), "{e}");
    let e = err(c.update_presence("busy", js(json!({ "text": 7 }))));
    assert!(e.contains("text must be a string"), "{e}");
    let e = err(c.update_presence("busy", js(json!({ "mood": "x" }))));
    assert!(e.contains("unknown option \"mood\""), "{e}");
    assert!(c.join_channel("").is_err());
    assert!(c.on("", js_sys::Function::new_no_args("")).is_err());
}
