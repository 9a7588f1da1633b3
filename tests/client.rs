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
    reset().await;
    let c = client(json!({"debug": true}));
    assert_eq!(c.state(), "disconnected");
    let states = Recorder::new();
    let _u = c.on_state_change(states.f().into());
    let t = token("alice").await;
    settle(c.connect((&t).into()).unwrap())
        .await
        .expect("connects");
    assert!(c.is_connected());
    assert_eq!(c.state(), "connected");
    assert!(c.socket_id().is_some());
    assert_eq!(count_states(&states), ["connecting", "connected"]);
    let conns = get("/connections").await;
    let device = &conns["connections"][0]["device"];
    assert_eq!(device["type"], "web");
    c.disconnect().unwrap();
    assert_eq!(c.state(), "disconnected");
}

#[wasm_bindgen_test]
async fn a_bad_token_is_rejected_clearly_and_not_retried() {
    reset().await;
    let c = client(json!({ "reconnectDelayMs": 100 }));
    let errors = Recorder::new();
    let _u = c.on_error(errors.f().into());
    let bad = get("/token?bad=1").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let err = settle(c.connect((&bad).into()).unwrap())
        .await
        .expect_err("refused");
    assert!(
        error_message(&err).contains("Invalid token"),
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
    let err = settle(c.connect((&expired).into()).unwrap())
        .await
        .unwrap_err();
    // The real server says `Invalid token` for every refused token.
    assert!(error_message(&err).contains("Invalid token"));
    post("/reject-auth", json!({ "count": 1 })).await;
    let err = settle(c.connect((&token("bob").await).into()).unwrap())
        .await
        .unwrap_err();
    assert!(error_message(&err).contains("Invalid token"));
    // After refreshing the token the app connects again.
    settle(c.connect((&token("bob").await).into()).unwrap())
        .await
        .expect("connects after refresh");
    assert_eq!(get("/stats").await["authAttempts"], 4);
}

#[wasm_bindgen_test]
async fn events_both_ways_acks_and_ack_timeout() {
    reset().await;
    let a = connected("ann", json!({})).await;
    let b = connected("ben", json!({})).await;
    let joined = settle(a.join_channel("general".into()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        js_sys::Reflect::get(&joined, &"success".into()).unwrap(),
        JsValue::TRUE
    );
    settle(b.join_channel("general".into()).unwrap())
        .await
        .unwrap();

    let got = Recorder::new();
    let _u = b.on("message:new".into(), got.f().into()).unwrap();
    let ack = settle(
        a.emit_async(
            "message:send".into(),
            js(json!({"roomName": "channel:general", "content": "hello", "clientMessageId": "c-1"})),
            JsValue::UNDEFINED,
        ).unwrap(),
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
        "message:send".into(),
        js(json!({"roomName": "channel:general", "content": "two", "clientMessageId": "c-2"})),
    )
    .unwrap();
    wait_until("second message", 3000.0, || got.len() == 2).await;

    // No ack: rejected with a timeout error.
    let start = js_sys::Date::now();
    let err = settle(
        a.emit_async("nobody:answers".into(), js(json!({})), JsValue::from(300.0))
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
    let _o = b.once("message:new".into(), once.f().into()).unwrap();
    let unsub = b.on("message:new".into(), got.f().into()).unwrap();
    for i in 3..5 {
        a.emit("message:send".into(), js(json!({"roomName": "channel:general", "content": format!("m{i}"), "clientMessageId": format!("c-{i}")}))).unwrap();
    }
    wait_until("both", 3000.0, || got.len() == 6).await;
    assert_eq!(once.len(), 1);
    unsub.call0(&JsValue::NULL).unwrap();
    unsub.call0(&JsValue::NULL).unwrap(); // idempotent
    a.emit(
        "message:send".into(),
        js(json!({"roomName": "channel:general", "content": "5", "clientMessageId": "c-5"})),
    )
    .unwrap();
    wait_until("fifth", 3000.0, || got.len() == 7).await;
}

#[wasm_bindgen_test]
async fn a_listener_that_throws_is_reported_and_others_still_run() {
    reset().await;
    let c = connected("thrower", json!({})).await;
    let errors = Recorder::new();
    let _e = c.on_error(errors.f().into());
    let bad = js_sys::Function::new_no_args("throw new Error('boom')");
    let good = Recorder::new();
    let _a = c.on("burst".into(), bad.into()).unwrap();
    let _b = c.on("burst".into(), good.f().into()).unwrap();
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
    reset().await;
    let c = connected("restart", json!({ "seed": 1 })).await;
    let states = Recorder::new();
    let _s = c.on_state_change(states.f().into());
    let got = Recorder::new();
    let _l = c.on("after".into(), got.f().into()).unwrap();
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
    reset().await;
    let c = connected("dropper", json!({ "reconnectDelayMs": 300 })).await;
    post("/drop", json!({})).await;
    wait_until("noticed the drop", 3000.0, || c.state() == "reconnecting").await;
    for i in 0..3 {
        c.emit("message:send".into(), js(json!({"roomName": "r", "content": format!("m{i}"), "clientMessageId": format!("buf-{i}")}))).unwrap();
    }
    assert!(!c
        .emit_volatile(
            "message:send".into(),
            js(json!({"roomName": "r", "content": "v", "clientMessageId": "vol"}))
        )
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
    reset().await;
    // The Makefile runs the server with pingInterval 2000 + pingTimeout 2000.
    let c = connected("silent", json!({ "reconnectDelayMs": 200 })).await;
    let reasons = Recorder::new();
    let _d = c.on_disconnect(reasons.f().into());
    post("/silence", json!({ "on": true })).await;
    let took = wait_until("dead link detected", 7000.0, || c.state() != "connected").await;
    assert!(took <= 4000.0 + 1000.0, "took {took} ms");
    assert_eq!(reasons.strings(), ["ping timeout"]);
    post("/silence", json!({ "on": false })).await;
    wait_until("reconnected", 8000.0, || c.is_connected()).await;
}

#[wasm_bindgen_test]
async fn quality_follows_added_latency() {
    reset().await;
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
    reset().await;
    let c = connected("nomad", json!({})).await;
    let online = Recorder::new();
    let _o = c.on_offline_status_change(online.f().into());
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
    reset().await;
    let c = connected("victim", json!({})).await;
    let errors = Recorder::new();
    let _e = c.on_error(errors.f().into());
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
    let _l = c.on("still".into(), got.f().into()).unwrap();
    post("/emit", json!({ "event": "still", "data": "ok" })).await;
    wait_until("event after garbage", 3000.0, || got.len() == 1).await;
}

#[wasm_bindgen_test]
async fn bad_input_gives_clear_errors() {
    let c = RealtimeClient::new();
    let e = err(c.emit("x".into(), JsValue::NULL));
    assert!(e.contains("initialize"), "{e}");
    let e = err(c.initialize(js(json!({ "url": "ftp://nope" }))));
    assert!(e.contains("invalid server URL"), "{e}");
    let e = type_err(c.initialize(js(json!({ "ulr": "http://x" }))));
    assert!(e.contains("unknown key \"ulr\""), "{e}");
    let e = type_err(c.initialize(js(json!({ "url": 42 }))));
    assert!(
        e.contains("initialize(): options.url must be a string, got the number 42"),
        "{e}"
    );
    let e = range_err(c.initialize(js(json!({ "reconnectDelayMs": -1 }))));
    assert!(e.contains("options.reconnectDelayMs"), "{e}");
    // No options object: refused, it does not reset the client to the defaults.
    let e = type_err(c.initialize(JsValue::UNDEFINED));
    assert!(
        e.contains("options must be a plain object, got undefined"),
        "{e}"
    );
    for not_plain in [
        js_sys::Array::new().into(),
        js_sys::Date::new_0().into(),
        JsValue::from(js_sys::Function::new_no_args("")),
    ] {
        type_err(c.initialize(not_plain));
    }

    let c = client(json!({}));
    let e = type_err(c.initialize(JsValue::NULL));
    assert!(e.contains("initialize(): options"), "{e}");
    let e = range_err(c.connect("".into()));
    assert!(
        e.contains("connect(): token must be a non-empty string"),
        "{e}"
    );
    let e = type_err(c.connect(42.into()));
    assert!(e.contains("got the number 42"), "{e}");
    let e = type_err(c.join_channel(42.into()));
    assert_eq!(
        e,
        "joinChannel(): channelId must be a non-empty string, got the number 42"
    );
    let e = type_err(c.join_channel(JsValue::UNDEFINED));
    assert!(e.contains("got undefined"), "{e}");
    range_err(c.join_channel("".into()));
    range_err(c.emit("".into(), JsValue::NULL));
    err(c.emit("connect".into(), JsValue::NULL));
    let cyclic = js_sys::Object::new();
    js_sys::Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    let e = type_err(c.emit("x".into(), cyclic.into()));
    assert!(
        e.contains("emit(): data must be a JSON-serializable value"),
        "{e}"
    );
    type_err(c.emit("x".into(), js_sys::BigInt::from(10).into()));
    let e = range_err(c.update_presence("sleeping".into(), JsValue::UNDEFINED));
    assert!(
        e.contains("one of 'online', 'away', 'busy', 'offline'"),
        "{e}"
    );
    let e = type_err(c.update_presence("busy".into(), "in a meeting".into()));
    assert!(e.contains("customStatus"), "{e}");
    let e = type_err(c.update_presence("busy".into(), js(json!({ "text": 5 }))));
    assert!(e.contains("customStatus.text"), "{e}");
    let e = type_err(c.send_typing("general".into(), "yes".into()));
    assert!(
        e.contains("sendTyping(): isTyping must be a boolean"),
        "{e}"
    );
    let e = type_err(c.emit_async("x".into(), JsValue::NULL, "5".into()));
    assert!(e.contains("emitAsync(): timeoutMs"), "{e}");
    range_err(c.emit_async("x".into(), JsValue::NULL, f64::NAN.into()));
    range_err(c.emit_async("x".into(), JsValue::NULL, (-1.0).into()));
    range_err(c.on("".into(), js_sys::Function::new_no_args("").into()));
    let e = type_err(c.on("x".into(), 42.into()));
    assert_eq!(e, "on(): callback must be a function, got the number 42");
    type_err(c.off("x".into(), js(json!({}))));
    type_err(c.on_state_change(JsValue::NULL));
    let e = range_err(c.update_presence(
        "busy".into(),
        js(json!({ "text": "x", "expiresAt": "soon" })),
    ));
    assert!(e.contains("expiresAt"), "{e}");
    // Nothing was sent or changed by the refused calls.
    assert_eq!(c.state(), "disconnected");
}
