//! PresenceService in a real browser: two clients (two users) against the
//! real Socket.IO test server, idle detection from synthetic DOM events, and
//! the cross-tab relay between two services in one page.
#![cfg(target_arch = "wasm32")]

mod support;

use chat_realtime::api::{PresenceService, RealtimeClient};
use serde_json::{json, Value};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn presence(p: &PresenceService, user: &str) -> Value {
    to_value(&ok(p.get_presence(user.into())))
}

fn status_of(p: &PresenceService, user: &str) -> String {
    presence(p, user)["status"]
        .as_str()
        .unwrap_or("unknown")
        .to_owned()
}

fn service(c: &RealtimeClient, options: Value) -> PresenceService {
    ok(PresenceService::new(c.to_js(), js(options)))
}

fn ids(list: &[&str]) -> JsValue {
    js(json!(list))
}

/// Runs `body` as JavaScript with `arg`.
fn run_js(body: &str, arg: &JsValue) -> JsValue {
    js_sys::Function::new_with_args("arg", body)
        .call1(&JsValue::NULL, arg)
        .expect("test JavaScript threw")
}

/// A synthetic `kind` event on window or document, as a user would cause.
fn activity(kind: &str, on_document: bool) {
    run_js(
        if on_document {
            "document.dispatchEvent(new Event(arg))"
        } else {
            "window.dispatchEvent(new Event(arg))"
        },
        &kind.into(),
    );
}

const KINDS: [(&str, bool); 8] = [
    ("mousemove", false),
    ("keydown", true),
    ("wheel", false),
    ("scroll", true),
    ("touchstart", false),
    ("pointerdown", true),
    ("mousedown", false),
    ("pointermove", false),
];

/// Makes the page look hidden (or visible again) and fires `visibilitychange`.
fn set_hidden(hidden: bool) {
    run_js(
        "if (arg) { Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true }); } \
         else { delete document.visibilityState; } \
         document.dispatchEvent(new Event('visibilitychange'));",
        &hidden.into(),
    );
}

/// Two users, each with a PresenceService; B follows A.
async fn ann_and_ben(
    a_options: Value,
) -> (
    RealtimeClient,
    RealtimeClient,
    PresenceService,
    PresenceService,
) {
    reset().await;
    let a = connected("ann", json!({})).await;
    let b = connected("ben", json!({})).await;
    let pa = service(&a, a_options);
    let pb = service(&b, json!({}));
    assert_eq!(ok(pb.subscribe_to_users(ids(&["ann"]))), 1);
    wait_until(
        "B learns A's presence from the subscribe answer",
        3000.0,
        || status_of(&pb, "ann") == "online",
    )
    .await;
    wait_until("both know their user id", 3000.0, || {
        pa.user_id().as_deref() == Some("ann") && pb.user_id().as_deref() == Some("ben")
    })
    .await;
    (a, b, pa, pb)
}

#[wasm_bindgen_test]
async fn status_and_custom_status_reach_the_other_user() {
    let (_a, _b, pa, pb) = ann_and_ben(json!({})).await;
    let changes = Recorder::new();
    let _u = ok(pb.on_presence_change(changes.f().into()));

    ok(pa.set_status("busy".into()));
    assert_eq!(pa.get_status(), "busy");
    wait_until("B sees busy", 3000.0, || status_of(&pb, "ann") == "busy").await;
    let last = changes.all().last().cloned().unwrap_or_default();
    assert_eq!(last["userId"], "ann");
    assert_eq!(last["status"], "busy");

    // A custom status with an expiry reaches B; A clears it at the expiry,
    // and the clearing reaches B.
    let own = Recorder::new();
    let _o = ok(pa.on_custom_status_change(own.f().into()));
    let set_at = js_sys::Date::now();
    let expires = set_at + 1500.0;
    let input = run_js(
        "return { text: 'In a meeting', emoji: '📅', expiresAt: new Date(arg) }",
        &expires.into(),
    );
    ok(pa.set_custom_status(input));
    assert_eq!(to_value(&pa.get_custom_status())["text"], "In a meeting");
    wait_until("B sees the custom status", 3000.0, || {
        presence(&pb, "ann")["customStatus"]["text"] == "In a meeting"
    })
    .await;
    // The real server sends the text and the emoji, never the expiry: B
    // sees exactly these, and only A knows when it ends (a Date, to the ms).
    assert_eq!(
        presence(&pb, "ann"),
        json!({ "userId": "ann", "status": "busy",
                "customStatus": { "text": "In a meeting", "emoji": "📅" } })
    );
    let expires_at = run_js(
        "return arg.expiresAt instanceof Date ? arg.expiresAt.getTime() : -1",
        &pa.get_custom_status(),
    );
    assert_eq!(expires_at.as_f64(), Some(expires.floor()));
    let took = wait_until("the custom status expires for B", 4000.0, || {
        presence(&pb, "ann")["customStatus"].is_null()
    })
    .await;
    let cleared_after = js_sys::Date::now() - set_at;
    assert!(
        (1400.0..3000.0).contains(&cleared_after),
        "cleared {cleared_after} ms after it was set (expiry 1500 ms; waited {took})"
    );
    assert!(pa.get_custom_status().is_undefined());
    assert_eq!(own.all().last(), Some(&Value::Null), "{:?}", own.all());

    // Without an expiry it stays until cleared; clearing reaches B.
    ok(pa.set_custom_status(js(json!({ "text": "Lunch" }))));
    wait_until("B sees Lunch", 3000.0, || {
        presence(&pb, "ann")["customStatus"]["text"] == "Lunch"
    })
    .await;
    ok(pa.clear_custom_status());
    wait_until("B sees it cleared", 3000.0, || {
        presence(&pb, "ann")["customStatus"].is_null()
    })
    .await;
    // A later update does not bring it back (the server forgot it).
    ok(pa.set_status("away".into()));
    wait_until("B sees away", 3000.0, || status_of(&pb, "ann") == "away").await;
    assert!(presence(&pb, "ann")["customStatus"].is_null());
    pa.dispose();
    pb.dispose();
}

/// With the extensions off the server is the real one: no answer to
/// `presence:subscribe`, `presence:changed` as `{userId, status,
/// customStatus: text, customEmoji}`, no `lastSeenAt`. B follows A from A's
/// broadcasts alone, and A's service undoes the reset the server does when
/// another tab of A connects.
#[wasm_bindgen_test]
async fn presence_follows_the_real_servers_broadcasts_without_the_extensions() {
    reset().await;
    post("/extensions", json!({ "on": false })).await;
    let a = connected("ann", json!({})).await;
    let b = connected("ben", json!({})).await;
    let pb = service(&b, json!({}));
    assert_eq!(ok(pb.subscribe_to_users(ids(&["ann"]))), 1);
    sleep(300).await;
    assert!(
        ok(pb.get_presence("ann".into())).is_undefined(),
        "nothing answers presence:subscribe: {}",
        presence(&pb, "ann")
    );

    // A's service announces A when it starts.
    let pa = service(&a, json!({}));
    wait_until("B hears A online", 3000.0, || {
        status_of(&pb, "ann") == "online"
    })
    .await;
    ok(pa.set_status("busy".into()));
    let input = js(json!({ "text": "In a meeting", "emoji": "📅",
                           "expiresAt": js_sys::Date::now() + 3_600_000.0 }));
    ok(pa.set_custom_status(input));
    let busy = json!({ "userId": "ann", "status": "busy",
                       "customStatus": { "text": "In a meeting", "emoji": "📅" } });
    wait_until("B sees busy in a meeting", 3000.0, || {
        presence(&pb, "ann") == busy
    })
    .await;

    // A second tab of A connects: the server resets A to online without
    // custom status and tells everyone; A's service sends its own again.
    let raw = Recorder::new();
    let _r = ok(b.on("presence:changed".into(), raw.f().into()));
    let a2 = connected("ann", json!({})).await;
    wait_until("the reset reached B", 3000.0, || {
        raw.all()
            .iter()
            .any(|p| p["userId"] == "ann" && p["status"] == "online")
    })
    .await;
    wait_until("B sees busy in a meeting again", 3000.0, || {
        presence(&pb, "ann") == busy
    })
    .await;
    sleep(500).await;
    assert_eq!(presence(&pb, "ann"), busy, "{:?}", raw.all());
    assert!(
        raw.all()
            .iter()
            .all(|p| p.get("lastSeenAt").is_none() && !p["customStatus"].is_object()),
        "the real shape: {:?}",
        raw.all()
    );

    // Both of A's sockets go: offline, last seen when B heard it.
    let before = js_sys::Date::now();
    ok(a.disconnect());
    ok(a2.disconnect());
    wait_until("B sees A offline", 3000.0, || {
        status_of(&pb, "ann") == "offline"
    })
    .await;
    let seen = presence(&pb, "ann");
    assert!(seen["customStatus"].is_null(), "{seen}");
    let last_seen = run_js(
        "return Date.parse(arg)",
        &seen["lastSeenAt"].as_str().unwrap_or("none").into(),
    )
    .as_f64()
    .unwrap_or(f64::NAN);
    assert!(
        (before..=js_sys::Date::now()).contains(&last_seen),
        "last seen {seen}"
    );
    assert_eq!(get("/stats").await["contractViolations"], 0);
    pa.dispose();
    pb.dispose();
}

#[wasm_bindgen_test]
async fn invisible_user_appears_offline() {
    let (_a, _b, pa, pb) = ann_and_ben(json!({})).await;
    ok(pa.set_custom_status(js(json!({ "text": "Focus" }))));
    wait_until("B sees Focus", 3000.0, || {
        presence(&pb, "ann")["customStatus"]["text"] == "Focus"
    })
    .await;
    ok(pa.set_invisible_mode(true.into()));
    assert!(pa.is_invisible());
    assert_eq!(pa.get_status(), "online", "A still knows its own status");
    wait_until("B sees A offline", 3000.0, || {
        status_of(&pb, "ann") == "offline"
    })
    .await;
    assert!(
        presence(&pb, "ann")["customStatus"].is_null(),
        "no custom status while invisible: {}",
        presence(&pb, "ann")
    );
    let settings = to_value(&pa.get_presence_settings());
    assert_eq!(settings["invisibleMode"], true);

    ok(pa.set_invisible_mode(false.into()));
    wait_until("B sees A online again", 3000.0, || {
        status_of(&pb, "ann") == "online"
    })
    .await;
    assert_eq!(presence(&pb, "ann")["customStatus"]["text"], "Focus");

    // The same through updatePresenceSettings(userId, settings), as in the seeds.
    let p = ok(pa.update_presence_settings("ann".into(), js(json!({ "invisibleMode": true }))));
    let settings = to_value(&settle(p).await.expect("resolves"));
    assert_eq!(
        settings,
        json!({"visibility": "everyone", "showOnlineStatus": true, "showLastSeen": true,
               "allowReadReceipts": true, "invisibleMode": true})
    );
    wait_until("B sees A offline again", 3000.0, || {
        status_of(&pb, "ann") == "offline"
    })
    .await;

    // B's privacy view of A, once B knows A's settings: hidden.
    ok(pb.set_user_settings("ann".into(), js(json!({ "invisibleMode": true }))));
    assert_eq!(
        to_value(&ok(pb.can_view_presence("ben".into(), "ann".into()))),
        json!({"canViewPresence": false, "canViewOnlineStatus": false, "canViewLastSeen": false,
               "isContact": false, "isInvisible": true})
    );
    assert!(presence(&pb, "ann")["lastSeenAt"].is_null());
    pa.dispose();
    pb.dispose();
}

#[wasm_bindgen_test]
async fn privacy_settings_filter_what_the_other_user_sees() {
    let (_a, _b, pa, pb) = ann_and_ben(json!({})).await;
    ok(pa.set_status("busy".into()));
    wait_until("B sees busy", 3000.0, || status_of(&pb, "ann") == "busy").await;
    let changes = Recorder::new();
    let _u = ok(pb.on_presence_change(changes.f().into()));
    // A shows presence to contacts only, and B is not one of them.
    ok(pb.set_user_settings("ann".into(), js(json!({ "visibility": "contacts" }))));
    assert_eq!(status_of(&pb, "ann"), "offline");
    assert_eq!(changes.all().last().unwrap()["status"], "offline");
    let view = to_value(&ok(pb.can_view_presence("ben".into(), "ann".into())));
    assert_eq!(view["canViewPresence"], false);
    assert_eq!(view["isContact"], false);
    ok(pb.set_contacts(ids(&["ann"])));
    assert_eq!(status_of(&pb, "ann"), "busy");
    assert_eq!(changes.all().last().unwrap()["status"], "busy");
    // Status hidden: offline; nobody: offline.
    ok(pb.set_user_settings("ann".into(), js(json!({ "showOnlineStatus": false }))));
    assert_eq!(status_of(&pb, "ann"), "offline");
    ok(pb.set_user_settings("ann".into(), js(json!({ "visibility": "nobody" }))));
    assert_eq!(status_of(&pb, "ann"), "offline");
    ok(pb.set_user_settings("ann".into(), js(json!({}))));
    assert_eq!(status_of(&pb, "ann"), "busy");
    pa.dispose();
    pb.dispose();
}

#[wasm_bindgen_test]
async fn activity_keeps_online_idleness_turns_away_and_activity_restores() {
    let (_a, _b, pa, pb) =
        ann_and_ben(json!({ "idleTimeoutMs": 800, "activityThrottleMs": 100 })).await;
    // Whatever happened during the setup has reached B before B listens.
    activity("mousemove", false);
    wait_until("B sees online", 3000.0, || {
        status_of(&pb, "ann") == "online"
    })
    .await;
    sleep(200).await;
    let seen_by_b = Recorder::new();
    let _u = ok(pb.on_presence_change(seen_by_b.f().into()));
    let own = Recorder::new();
    let _o = ok(pa.on_status_change(own.f().into()));

    // 2.4 s of activity, 3 idle timeouts: A stays online.
    let start = js_sys::Date::now();
    let mut i = 0;
    while js_sys::Date::now() - start < 2400.0 {
        let (kind, on_document) = KINDS[i % KINDS.len()];
        activity(kind, on_document);
        i += 1;
        sleep(150).await;
        assert_eq!(pa.get_status(), "online", "after {kind} at {i}");
    }
    assert!(!pa.is_auto_away());
    assert!(
        seen_by_b.all().iter().all(|p| p["status"] != "away"),
        "{:?}",
        seen_by_b.all()
    );

    // No activity: away after the idle timeout, and B sees it.
    let idle_from = js_sys::Date::now();
    wait_until("A goes away", 3000.0, || pa.get_status() == "away").await;
    let idle_for = js_sys::Date::now() - idle_from;
    assert!(
        (500.0..2000.0).contains(&idle_for),
        "away after {idle_for} ms (idle timeout 800, last activity up to 150 ms earlier)"
    );
    assert!(pa.is_auto_away());
    wait_until("B sees away", 3000.0, || status_of(&pb, "ann") == "away").await;

    // Activity restores online at once, and B sees it.
    activity("keydown", true);
    assert_eq!(pa.get_status(), "online");
    wait_until("B sees online", 3000.0, || {
        status_of(&pb, "ann") == "online"
    })
    .await;
    assert_eq!(own.strings(), ["away", "online"]);
    pa.dispose();
    pb.dispose();
}

#[wasm_bindgen_test]
async fn a_manual_busy_survives_idleness() {
    let (_a, _b, pa, pb) = ann_and_ben(json!({ "idleTimeoutMs": 400 })).await;
    ok(pa.set_status("busy".into()));
    wait_until("B sees busy", 3000.0, || status_of(&pb, "ann") == "busy").await;
    let seen_by_b = Recorder::new();
    let _u = ok(pb.on_presence_change(seen_by_b.f().into()));
    for _ in 0..12 {
        sleep(100).await;
        assert_eq!(pa.get_status(), "busy");
        assert!(!pa.is_auto_away());
    }
    assert_eq!(seen_by_b.len(), 0, "{:?}", seen_by_b.all());
    assert_eq!(status_of(&pb, "ann"), "busy");
    // Activity does not change a chosen status either.
    activity("mousemove", false);
    assert_eq!(pa.get_status(), "busy");
    // Back to online: idleness applies again.
    ok(pa.set_status("online".into()));
    wait_until("A goes away", 3000.0, || pa.get_status() == "away").await;
    wait_until("B sees away", 3000.0, || status_of(&pb, "ann") == "away").await;
    pa.dispose();
    pb.dispose();
}

#[wasm_bindgen_test]
async fn hidden_tab_goes_away_after_the_delay_and_visible_restores() {
    let (_a, _b, pa, pb) = ann_and_ben(json!({ "hiddenAwayDelayMs": 300 })).await;
    set_hidden(true);
    let hidden_at = js_sys::Date::now();
    assert_eq!(pa.get_status(), "online", "not at once");
    wait_until("A goes away", 3000.0, || pa.get_status() == "away").await;
    let after = js_sys::Date::now() - hidden_at;
    set_hidden(false);
    assert!(
        (250.0..1500.0).contains(&after),
        "away {after} ms after hiding"
    );
    assert_eq!(pa.get_status(), "online", "visible again restores");
    wait_until("B sees online", 3000.0, || {
        status_of(&pb, "ann") == "online"
    })
    .await;
    pa.dispose();
    pb.dispose();
}

#[wasm_bindgen_test]
async fn activity_in_one_tab_keeps_the_other_from_going_away() {
    reset().await;
    let a1 = connected("ann", json!({})).await;
    let a2 = connected("ann", json!({})).await;
    // Tab 1 hears the DOM; "tab 2" only hears tab 1 through the BroadcastChannel.
    let tab1 = service(&a1, json!({ "activityThrottleMs": 100 }));
    let tab2 = service(
        &a2,
        json!({ "idleTimeoutMs": 800, "detectActivity": false, "userId": "ann" }),
    );
    assert_eq!(tab1.activity_relay(), "broadcast-channel");
    let start = js_sys::Date::now();
    while js_sys::Date::now() - start < 2400.0 {
        activity("mousemove", false);
        sleep(150).await;
        assert_eq!(tab2.get_status(), "online");
    }
    // Control: without relayed activity tab 2 goes away.
    wait_until("tab 2 goes away", 3000.0, || tab2.get_status() == "away").await;
    activity("keydown", true);
    wait_until("relayed activity restores tab 2", 2000.0, || {
        tab2.get_status() == "online"
    })
    .await;
    // A disposed tab relays nothing.
    tab1.dispose();
    wait_until("tab 2 goes away again", 3000.0, || {
        tab2.get_status() == "away"
    })
    .await;
    activity("mousemove", false);
    sleep(300).await;
    assert_eq!(tab2.get_status(), "away");
    tab2.dispose();
}

#[wasm_bindgen_test]
async fn storage_event_fallback_without_broadcast_channel() {
    reset().await;
    let a = connected("ann", json!({})).await;
    let saved = run_js(
        "const c = window.BroadcastChannel; window.BroadcastChannel = undefined; return c;",
        &JsValue::NULL,
    );
    let p = PresenceService::new(
        a.to_js(),
        js(json!({ "idleTimeoutMs": 600, "activityThrottleMs": 100 })),
    );
    run_js("window.BroadcastChannel = arg;", &saved);
    let p = ok(p);
    assert_eq!(p.activity_relay(), "storage");
    let key = "chat-realtime:activity";
    let before = run_js("return localStorage.getItem(arg)", &key.into());
    activity("mousemove", false);
    let after = run_js("return localStorage.getItem(arg)", &key.into());
    assert!(
        after.is_string() && after != before,
        "local activity is written for other tabs"
    );
    wait_until("away", 3000.0, || p.get_status() == "away").await;
    // Another tab's write arrives as a storage event.
    run_js(
        "window.dispatchEvent(new StorageEvent('storage', { key: arg, newValue: String(Date.now()) }))",
        &key.into(),
    );
    assert_eq!(p.get_status(), "online");
    // Other keys are not activity.
    wait_until("away again", 3000.0, || p.get_status() == "away").await;
    run_js(
        "window.dispatchEvent(new StorageEvent('storage', { key: 'something-else', newValue: '1' }))",
        &JsValue::NULL,
    );
    assert_eq!(p.get_status(), "away");
    p.dispose();
}

#[wasm_bindgen_test]
async fn heartbeat_and_status_resent_after_a_reconnect() {
    reset().await;
    let a = connected("ann", json!({ "reconnectDelayMs": 200 })).await;
    let b = connected("ben", json!({ "reconnectDelayMs": 200 })).await;
    let pa = service(&a, json!({ "heartbeatIntervalMs": 300 }));
    let pb = service(&b, json!({}));
    ok(pb.subscribe_to_users(ids(&["ann"])));
    let raw = Recorder::new();
    let _r = ok(b.on("presence:changed".into(), raw.f().into()));
    ok(pa.set_status("busy".into()));
    wait_until("B sees busy", 3000.0, || status_of(&pb, "ann") == "busy").await;
    let n = raw.len();
    sleep(1000).await;
    let beats = raw.len() - n;
    assert!(
        (2..=5).contains(&beats),
        "{beats} heartbeats in 1 s at 300 ms"
    );
    // Re-broadcasts that change nothing are not presence changes.
    let changes = Recorder::new();
    let _u = ok(pb.on_presence_change(changes.f().into()));
    sleep(700).await;
    assert_eq!(changes.len(), 0);

    // Every link drops; after reconnecting A's busy is re-sent (the server
    // announces a returning user as online) and B re-subscribes.
    post("/drop", json!({})).await;
    wait_until("both reconnect", 5000.0, || {
        a.is_connected() && b.is_connected()
    })
    .await;
    wait_until("B sees busy again", 3000.0, || {
        status_of(&pb, "ann") == "busy"
    })
    .await;
    sleep(400).await;
    assert_eq!(status_of(&pb, "ann"), "busy");
    pa.dispose();
    pb.dispose();
}

#[wasm_bindgen_test]
async fn bad_input_is_refused_clearly_and_changes_nothing() {
    reset().await;
    let a = connected("ann", json!({})).await;
    let p = service(&a, json!({}));
    wait_until("user id", 3000.0, || p.user_id().is_some()).await;

    let e = range_err(p.set_status("sleeping".into()));
    assert!(e.contains("'online', 'away', 'busy', 'offline'"), "{e}");
    let e = type_err(p.set_status(5.into()));
    assert!(e.contains("got the number 5"), "{e}");
    assert_eq!(p.get_status(), "online");

    let many: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    let e = err(p.subscribe_to_users(js(json!(many))));
    assert!(e.contains("limit is 100"), "{e}");
    assert_eq!(to_value(&p.get_subscriptions()), json!([]));
    let e = type_err(p.subscribe_to_users(js(json!(["a", 5]))));
    assert!(
        e.contains("userIds[1]") && e.contains("the number 5"),
        "{e}"
    );
    let e = type_err(p.subscribe_to_users("ann".into()));
    assert!(e.contains("an array"), "{e}");
    assert_eq!(to_value(&p.get_subscriptions()), json!([]));
    assert_eq!(ok(p.subscribe_to_users(js(json!(many[..100])))), 100);
    let e = err(p.subscribe_to_users(ids(&["one-more"])));
    assert!(e.contains("unsubscribeFromUsers"), "{e}");
    assert_eq!(ok(p.unsubscribe_from_users(ids(&["u0"]))), 1);
    assert_eq!(ok(p.subscribe_to_users(ids(&["one-more"]))), 1);

    let past = js_sys::Date::now() - 1000.0;
    let e = err(p.set_custom_status(js(json!({ "text": "late", "expiresAt": past }))));
    assert!(e.contains("not in the future"), "{e}");
    let e = range_err(p.set_custom_status(js(json!({ "text": "x", "expiresAt": "soon" }))));
    assert!(e.contains("expiresAt must be a Date"), "{e}");
    let e = type_err(p.set_custom_status(js(json!({ "text": "x", "expiresAt": true }))));
    assert!(e.contains("customStatus.expiresAt"), "{e}");
    let e = err(p.set_custom_status(js(json!({}))));
    assert!(e.contains("clearCustomStatus"), "{e}");
    let e = type_err(p.set_custom_status(js(json!({ "text": "x", "colour": "red" }))));
    assert!(e.contains("unknown key \"colour\""), "{e}");
    let e = type_err(p.set_custom_status(js(json!({ "text": 7 }))));
    assert!(e.contains("text must be a string"), "{e}");
    assert!(p.get_custom_status().is_undefined());

    let e = type_err(p.set_invisible_mode("yes".into()));
    assert!(e.contains("true or false"), "{e}");
    let e = range_err(
        p.update_presence_settings(js(json!({ "visibility": "friends" })), JsValue::UNDEFINED),
    );
    assert!(e.contains("friends"), "{e}");
    let e = err(p.update_presence_settings("ben".into(), js(json!({ "showLastSeen": false }))));
    assert!(e.contains("not the current user"), "{e}");
    let e = type_err(
        p.update_presence_settings(js(json!({ "showLastSeen": "no" })), JsValue::UNDEFINED),
    );
    assert!(
        e.contains("userIdOrSettings.showLastSeen must be a boolean"),
        "{e}"
    );
    let e = type_err(p.update_presence_settings(42.into(), js(json!({}))));
    assert!(e.contains("userIdOrSettings"), "{e}");
    type_err(p.update_presence_settings("ann".into(), JsValue::UNDEFINED));
    assert_eq!(to_value(&p.get_presence_settings())["showLastSeen"], true);
    assert!(!p.is_invisible());
    let e = err(p.set_user_settings("ann".into(), js(json!({}))));
    assert!(e.contains("current user"), "{e}");
    let e = type_err(p.get_presence(JsValue::NULL));
    assert!(e.contains("non-empty string"), "{e}");
    let e = type_err(p.on_presence_change(5.into()));
    assert!(e.contains("a function"), "{e}");
    type_err(p.can_view_presence("ann".into(), js_sys::Symbol::for_("x").into()));

    let e = type_err(PresenceService::new(
        a.to_js(),
        js(json!({ "idleTimeout": 5 })),
    ));
    assert!(e.contains("unknown key \"idleTimeout\""), "{e}");
    let e = range_err(PresenceService::new(
        a.to_js(),
        js(json!({ "idleTimeoutMs": -1 })),
    ));
    assert!(e.contains("non-negative"), "{e}");
    let e = type_err(PresenceService::new(
        a.to_js(),
        js(json!({ "idleTimeoutMs": "5" })),
    ));
    assert!(e.contains("options.idleTimeoutMs"), "{e}");
    let e = type_err(PresenceService::new(JsValue::NULL, JsValue::UNDEFINED));
    assert!(
        e.contains("new PresenceService(): client must be a RealtimeClient"),
        "{e}"
    );

    // Malformed presence:changed from the server: dropped, nothing changes.
    let changes = Recorder::new();
    let _u = ok(p.on_presence_change(changes.f().into()));
    for data in [
        json!({ "userId": 5, "status": "online" }),
        json!({ "userId": "zed", "status": "sleeping" }),
        json!("online"),
        json!({ "userId": "zed", "status": "online", "lastSeenAt": "yesterday" }),
    ] {
        post(
            "/emit",
            json!({ "event": "presence:changed", "data": data }),
        )
        .await;
    }
    post(
        "/emit",
        json!({ "event": "presence:changed", "data": { "userId": "zed", "status": "away" } }),
    )
    .await;
    let about_zed = || -> Vec<Value> {
        changes
            .all()
            .into_iter()
            .filter(|c| c["userId"] == "zed")
            .collect()
    };
    wait_until("the valid event", 3000.0, || !about_zed().is_empty()).await;
    assert_eq!(about_zed(), [json!({ "userId": "zed", "status": "away" })]);
    assert_eq!(status_of(&p, "zed"), "away");
    let n = changes.len();

    // Disposed: state-changing calls throw, listeners are gone.
    p.dispose();
    p.dispose();
    let e = err(p.set_status("busy".into()));
    assert!(e.contains("disposed"), "{e}");
    post(
        "/emit",
        json!({ "event": "presence:changed", "data": { "userId": "zed", "status": "busy" } }),
    )
    .await;
    sleep(300).await;
    assert_eq!(changes.len(), n);
    assert_eq!(status_of(&p, "zed"), "away");
}
