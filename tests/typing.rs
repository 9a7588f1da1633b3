//! TypingService in a real browser: two and three users typing against the
//! real Socket.IO test server.
#![cfg(target_arch = "wasm32")]

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use chat_realtime::api::{RealtimeClient, TypingService};
use serde_json::{json, Value};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const U: JsValue = JsValue::UNDEFINED;

/// The typing text; nobody typing must be `null`.
fn text(t: &TypingService, channel: &str) -> Option<String> {
    let v = ok(t.get_typing_text(channel.into(), U));
    assert!(v.is_null() || v.is_string(), "{v:?}");
    v.as_string()
}

fn users(t: &TypingService, channel: &str, thread: Option<&str>) -> Value {
    let thread = thread.map_or(U, JsValue::from_str);
    let list: JsValue = ok(t.get_typing_users(channel.into(), thread)).into();
    to_value(&list)
}

/// One call: `(channelId, users, threadId, change)` as JSON.
type Call = (Value, Value, Value, Value);
type Callback4 = dyn FnMut(JsValue, JsValue, JsValue, JsValue);

/// Records the `(channelId, users, threadId, change)` calls of a typing callback.
#[derive(Clone)]
struct Changes {
    calls: Rc<RefCell<Vec<Call>>>,
    closure: Rc<Closure<Callback4>>,
}

impl Changes {
    fn new() -> Self {
        let calls: Rc<RefCell<Vec<Call>>> = Rc::default();
        let c = calls.clone();
        let closure = Closure::<dyn FnMut(JsValue, JsValue, JsValue, JsValue)>::new(
            move |a: JsValue, b: JsValue, t: JsValue, d: JsValue| {
                c.borrow_mut()
                    .push((to_value(&a), to_value(&b), to_value(&t), to_value(&d)));
            },
        );
        Self {
            calls,
            closure: Rc::new(closure),
        }
    }

    fn f(&self) -> JsValue {
        let closure: &Closure<Callback4> = &self.closure;
        closure.as_ref().clone()
    }

    fn len(&self) -> usize {
        self.calls.borrow().len()
    }

    /// The `change` objects.
    fn changes(&self) -> Vec<Value> {
        self.calls.borrow().iter().map(|c| c.3.clone()).collect()
    }

    /// The user ids of each call.
    fn user_ids(&self) -> Vec<Vec<String>> {
        self.calls
            .borrow()
            .iter()
            .map(|c| {
                c.1.as_array()
                    .map(|us| {
                        us.iter()
                            .map(|u| u["userId"].as_str().unwrap_or("?").to_owned())
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect()
    }
}

async fn join(c: &RealtimeClient, room: &str) {
    settle(ok(c.join_channel(room.into())))
        .await
        .expect("joined the room");
}

async fn typist(sub: &str, rooms: &[&str]) -> (RealtimeClient, TypingService) {
    let c = connected(sub, json!({})).await;
    for room in rooms {
        join(&c, room).await;
    }
    let t = ok(TypingService::new(c.to_js(), js(json!({}))));
    wait_until("the user id", 3000.0, || {
        t.user_id().as_deref() == Some(sub)
    })
    .await;
    (c, t)
}

#[wasm_bindgen_test]
async fn a_types_b_sees_it_and_it_disappears_5s_after_a_stops() {
    reset().await;
    let (_a, ta) = typist("ann", &["general"]).await;
    let (_b, tb) = typist("ben", &["general"]).await;
    let room = Changes::new();
    let _u = ok(tb.on_room_typing_change("general".into(), "channel".into(), room.f(), U));
    assert_eq!(room.len(), 1, "called at once with the current state");
    assert_eq!(room.user_ids(), [Vec::<String>::new()]);

    // A types for 1.5 s, a keystroke every 100 ms.
    let mut value = String::new();
    let start = js_sys::Date::now();
    while js_sys::Date::now() - start < 1500.0 {
        value.push('x');
        ok(ta.handle_input_change("general".into(), value.as_str().into(), U));
        sleep(100).await;
    }
    let stopped_at = js_sys::Date::now();
    assert!(ta.is_typing());
    wait_until("B sees A typing", 3000.0, || {
        text(&tb, "general").as_deref() == Some("ann is typing...")
    })
    .await;
    let seen = users(&tb, "general", None);
    assert_eq!(seen[0]["userId"], "ann");
    assert_eq!(seen[0]["userName"], "ann");
    assert!(seen[0]["startedAt"].is_string(), "a Date: {seen}");
    assert_eq!(text(&ta, "general"), None, "A never sees itself");

    // A stopped typing (no more keystrokes): it disappears for B ~5 s later.
    wait_until("B sees nobody typing", 9000.0, || {
        text(&tb, "general").is_none()
    })
    .await;
    let gone_after = js_sys::Date::now() - stopped_at;
    assert!(
        (4500.0..6500.0).contains(&gone_after),
        "disappeared {gone_after} ms after the last keystroke"
    );
    assert!(!ta.is_typing());
    wait_until("the room callback hears it", 2000.0, || {
        room.user_ids().last().is_some_and(Vec::is_empty) && room.len() >= 3
    })
    .await;
    // Batched: a handful of calls, not one per server event.
    assert!(room.len() <= 5, "{:?}", room.user_ids());
    assert_eq!(room.changes()[1]["roomName"], "channel:general");
    assert_eq!(room.changes()[1]["roomType"], "channel");
    assert_eq!(room.changes()[1]["channelId"], "general");
    ta.dispose();
    tb.dispose();
}

/// With the extensions off the server is the real one: `typing:event` users
/// are `{userId, startedAt}` without names, every `typing:start` outside a
/// thread adds a row (A is listed once per start), and nothing is sent when
/// rows expire or when A's socket goes. B still shows A once, under a name
/// when the app gives one, and forgets A by itself.
#[wasm_bindgen_test]
async fn the_real_servers_typing_events_without_the_extensions() {
    reset().await;
    post("/extensions", json!({ "on": false })).await;
    let (a, ta) = typist("ann", &["general"]).await;
    let (b, tb) = typist("ben", &["general"]).await;
    let raw = Recorder::new();
    let _r = ok(b.on("typing:event".into(), raw.f().into()));
    let arrivals: Rc<RefCell<Vec<f64>>> = Rc::default();
    let times = arrivals.clone();
    let on_arrival = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
        times.borrow_mut().push(js_sys::Date::now());
    });
    let _t = ok(b.on("typing:event".into(), on_arrival.as_ref().clone()));

    // A types for 2.5 s: typing:start goes out more than once.
    let mut value = String::new();
    let start = js_sys::Date::now();
    while js_sys::Date::now() - start < 2500.0 {
        value.push('x');
        ok(ta.handle_input_change("general".into(), value.as_str().into(), U));
        sleep(100).await;
    }
    wait_until("the server lists A twice", 3000.0, || {
        raw.all()
            .iter()
            .any(|e| e["users"].as_array().is_some_and(|u| u.len() >= 2))
    })
    .await;
    assert!(
        raw.all().iter().all(
            |e| e["users"]
                .as_array()
                .is_some_and(|us| us.iter().all(|u| u["userId"] == "ann"
                    && u["startedAt"].is_string()
                    && u.get("userName").is_none()))
        ),
        "the real shape: {:?}",
        raw.all()
    );
    wait_until("B sees A typing", 3000.0, || {
        text(&tb, "general").as_deref() == Some("ann is typing...")
    })
    .await;
    let seen = users(&tb, "general", None);
    assert_eq!(seen.as_array().map(Vec::len), Some(1), "once: {seen}");
    assert_eq!(seen[0]["userId"], "ann");
    assert_eq!(seen[0]["userName"], "ann", "the id until a name is known");
    ok(tb.set_user_names(js(json!({ "ann": "Ann Lee" }))));
    assert_eq!(
        text(&tb, "general").as_deref(),
        Some("Ann Lee is typing...")
    );

    // An explicit stop reaches B at once.
    let stopped = js_sys::Date::now();
    ok(ta.stop_typing(U, U));
    wait_until("B sees A stop", 2000.0, || text(&tb, "general").is_none()).await;
    assert!(js_sys::Date::now() - stopped < 1500.0);

    // A starts again and its socket goes without a stop: the server says
    // nothing, B forgets A 5 s after the last report.
    sleep(1100).await;
    ok(ta.start_typing("general".into(), U));
    wait_until("B sees A again", 3000.0, || text(&tb, "general").is_some()).await;
    post("/disconnect", json!({ "userId": "ann" })).await;
    wait_until("A is gone", 3000.0, || !a.is_connected()).await;
    wait_until("B forgets A", 8000.0, || text(&tb, "general").is_none()).await;
    let last_report = arrivals.borrow().last().copied().unwrap_or(f64::NAN);
    let after = js_sys::Date::now() - last_report;
    assert!(
        (4500.0..6500.0).contains(&after),
        "forgotten {after} ms after the last typing:event"
    );
    assert_eq!(get("/stats").await["contractViolations"], 0);
    ta.dispose();
    tb.dispose();
}

#[wasm_bindgen_test]
async fn explicit_stop_threads_and_dms() {
    reset().await;
    let (_a, ta) = typist("ann", &["general"]).await;
    let (_b, tb) = typist("ben", &["general", "dm:d1"]).await;

    ok(ta.start_typing_in_thread("general".into(), "t1".into()));
    wait_until("B sees A in the thread", 3000.0, || {
        users(&tb, "general", Some("t1"))[0]["userId"] == "ann"
    })
    .await;
    assert_eq!(users(&tb, "general", None), json!([]), "not in the channel");
    let started = js_sys::Date::now();
    ok(ta.stop_typing("general".into(), "t1".into()));
    wait_until("stopped at once", 2000.0, || {
        users(&tb, "general", Some("t1")) == json!([])
    })
    .await;
    assert!(js_sys::Date::now() - started < 1500.0);

    ok(ta.start_typing_in_dm("d1".into(), "ben".into()));
    wait_until("B sees A in the DM", 3000.0, || {
        ok(tb.get_typing_text_in_dm("d1".into()))
            .as_string()
            .as_deref()
            == Some("ann is typing...")
    })
    .await;
    ok(ta.stop_typing(U, U));
    wait_until("stopped everywhere", 2000.0, || {
        ok(tb.get_typing_text_in_dm("d1".into())).is_null()
    })
    .await;

    // Blank input stops at once.
    ok(ta.start_typing("general".into(), U));
    wait_until("typing", 3000.0, || text(&tb, "general").is_some()).await;
    ok(ta.handle_input_change("general".into(), "   ".into(), U));
    wait_until("blank stops", 2000.0, || text(&tb, "general").is_none()).await;
    ta.dispose();
    tb.dispose();
}

#[wasm_bindgen_test]
async fn a_burst_is_one_update_and_texts_name_everyone() {
    reset().await;
    let (_a, ta) = typist("ann", &["general"]).await;
    let (_c, tc) = typist("cat", &["general"]).await;
    let (_d, td) = typist("dan", &["general"]).await;
    let (_b, tb) = typist("ben", &["general"]).await;
    let all = Changes::new();
    let unsubscribe = ok(tb.subscribe(all.f()));
    ok(ta.start_typing("general".into(), U));
    ok(tc.start_typing("general".into(), U));
    wait_until("one update", 3000.0, || all.len() >= 1).await;
    sleep(700).await;
    assert_eq!(all.len(), 1, "{:?}", all.user_ids());
    // Both started in the same instant: the server may take either first,
    // and B lists them in the order they started.
    let first = all.user_ids()[0].clone();
    let mut both = first.clone();
    both.sort();
    assert_eq!(both, ["ann", "cat"]);
    let seen = users(&tb, "general", None);
    assert_eq!(seen[0]["userId"], first[0].as_str());
    assert!(
        seen[0]["startedAt"].as_str() <= seen[1]["startedAt"].as_str(),
        "in the order they started: {seen}"
    );
    let (x, y) = (&first[0], &first[1]);
    assert_eq!(
        text(&tb, "general"),
        Some(format!("{x} and {y} are typing..."))
    );
    // Dan starts later: third, and the first two keep their places.
    ok(td.start_typing("general".into(), U));
    let three = format!("{x}, {y}, and dan are typing...");
    wait_until("three", 3000.0, || {
        text(&tb, "general").as_deref() == Some(three.as_str())
    })
    .await;
    // Unsubscribed: no more calls.
    let n = all.len();
    unsubscribe.call0(&JsValue::NULL).unwrap();
    ok(ta.stop_typing(U, U));
    wait_until("two", 3000.0, || {
        text(&tb, "general").as_deref() == Some("cat and dan are typing...")
    })
    .await;
    sleep(700).await;
    assert_eq!(all.len(), n);
    for t in [&ta, &tb, &tc, &td] {
        t.dispose();
    }
}

#[wasm_bindgen_test]
async fn privacy_broadcast_off_and_visibility_filters() {
    reset().await;
    let (_a, ta) = typist("ann", &["general"]).await;
    let (_b, tb) = typist("ben", &["general"]).await;
    let raw = Recorder::new();
    let _r = ok(_b.on("typing:event".into(), raw.f().into()));

    // broadcastTyping off: nothing is sent.
    let p = to_value(&ok(
        ta.update_privacy_settings(js(json!({ "broadcastTyping": false })))
    ));
    assert_eq!(
        p,
        json!({ "broadcastTyping": false, "typingVisibility": "everyone" })
    );
    ok(ta.start_typing("general".into(), U));
    ok(ta.handle_input_change("general".into(), "hello".into(), U));
    for _ in 0..10 {
        sleep(150).await;
        assert!(text(&tb, "general").is_none());
    }
    assert_eq!(raw.len(), 0, "no typing:event at all: {:?}", raw.all());
    ok(ta.update_privacy_settings(js(json!({ "broadcastTyping": true }))));

    // B shows contacts only; A is not one until B says so.
    ok(tb.update_privacy_settings(js(json!({ "typingVisibility": "contacts" }))));
    ok(ta.start_typing("general".into(), U));
    wait_until("the event reached B", 3000.0, || raw.len() >= 1).await;
    sleep(200).await;
    assert!(text(&tb, "general").is_none(), "filtered");
    ok(tb.set_contacts(js(json!(["ann"]))));
    assert_eq!(text(&tb, "general").as_deref(), Some("ann is typing..."));
    ok(tb.update_privacy_settings(js(json!({ "typingVisibility": "nobody" }))));
    assert!(text(&tb, "general").is_none());
    assert_eq!(
        to_value(&tb.privacy_settings()),
        json!({ "broadcastTyping": true, "typingVisibility": "nobody" })
    );
    ta.dispose();
    tb.dispose();
}

#[wasm_bindgen_test]
async fn no_timer_while_nobody_types() {
    reset().await;
    let (_a, ta) = typist("ann", &["general"]).await;
    let (_b, tb) = typist("ben", &["general"]).await;
    let (wa, wb) = (ta.timer_wakeups(), tb.timer_wakeups());
    sleep(1500).await;
    assert_eq!((ta.timer_wakeups(), tb.timer_wakeups()), (wa, wb));
    ok(ta.start_typing("general".into(), U));
    wait_until("B sees it", 3000.0, || text(&tb, "general").is_some()).await;
    assert!(ta.timer_wakeups() > wa && tb.timer_wakeups() > wb);
    ok(ta.stop_typing(U, U));
    wait_until("gone", 3000.0, || text(&tb, "general").is_none()).await;
    sleep(700).await; // the batched notification
    let (wa, wb) = (ta.timer_wakeups(), tb.timer_wakeups());
    sleep(1500).await;
    assert_eq!((ta.timer_wakeups(), tb.timer_wakeups()), (wa, wb));
    ta.dispose();
    tb.dispose();
}

#[wasm_bindgen_test]
async fn bad_input_is_refused_clearly_and_changes_nothing() {
    reset().await;
    let (a, ta) = typist("ann", &["general"]).await;
    let e = type_err(ta.start_typing(5.into(), U));
    assert!(
        e.contains("channelId must be a non-empty string, got the number 5"),
        "{e}"
    );
    let e = range_err(ta.start_typing("".into(), U));
    assert!(e.contains("non-empty string"), "{e}");
    let e = type_err(ta.start_typing("general".into(), js(json!({}))));
    assert!(e.contains("threadId"), "{e}");
    let e = err(ta.stop_typing(U, "t1".into()));
    assert!(e.contains("needs its channelId"), "{e}");
    let e = type_err(ta.handle_input_change("general".into(), 5.into(), U));
    assert!(e.contains("value must be a string"), "{e}");
    assert!(!ta.is_typing());
    let cb = Changes::new();
    let e = range_err(ta.on_room_typing_change("general".into(), "room".into(), cb.f(), U));
    assert!(e.contains("'channel', 'thread', 'dm'"), "{e}");
    let e = err(ta.on_room_typing_change("general".into(), "thread".into(), cb.f(), U));
    assert!(e.contains("needs a threadId"), "{e}");
    type_err(ta.on_room_typing_change("general".into(), 5.into(), cb.f(), U));
    let e = type_err(ta.on_room_typing_change("general".into(), "channel".into(), 5.into(), U));
    assert!(e.contains("a function"), "{e}");
    assert_eq!(cb.len(), 0);
    let e = range_err(ta.update_privacy_settings(js(json!({ "typingVisibility": "friends" }))));
    assert!(e.contains("friends"), "{e}");
    let e = type_err(ta.update_privacy_settings(js(json!({ "broadcast": false }))));
    assert!(e.contains("unknown key \"broadcast\""), "{e}");
    let e = type_err(ta.update_privacy_settings(js(json!({ "broadcastTyping": "no" }))));
    assert!(
        e.contains("settings.broadcastTyping must be a boolean"),
        "{e}"
    );
    type_err(ta.update_privacy_settings(JsValue::UNDEFINED));
    type_err(ta.subscribe(js(json!({}))));
    type_err(ta.set_contacts("ann".into()));
    assert_eq!(
        to_value(&ta.privacy_settings()),
        json!({ "broadcastTyping": true, "typingVisibility": "everyone" })
    );
    let e = type_err(TypingService::new(a.to_js(), js(json!({ "throttle": 5 }))));
    assert!(e.contains("unknown key \"throttle\""), "{e}");
    let e = range_err(TypingService::new(
        a.to_js(),
        js(json!({ "throttleMs": -5 })),
    ));
    assert!(e.contains("options.throttleMs"), "{e}");
    type_err(TypingService::new(a.to_js(), js_sys::Date::new_0().into()));
    let e = type_err(TypingService::new(
        a.to_js(),
        js(json!({ "privacySettings": { "typingVisibility": 1 } })),
    ));
    assert!(
        e.contains("options.privacySettings.typingVisibility"),
        "{e}"
    );

    // Malformed typing:event from the server: dropped, nothing changes.
    let room = Changes::new();
    let _u = ok(ta.on_room_typing_change("general".into(), "channel".into(), room.f(), U));
    for data in [
        json!({ "users": [] }),
        json!({ "roomName": "channel:general", "users": [{ "userId": 5 }] }),
        json!({ "roomName": "channel:general", "users": "ben" }),
        json!("typing"),
    ] {
        post("/emit", json!({ "event": "typing:event", "data": data })).await;
    }
    post(
        "/emit",
        json!({ "event": "typing:event", "data": { "roomName": "channel:general", "users": [{ "userId": "zed", "userName": "Zed" }] } }),
    )
    .await;
    wait_until("the valid event", 3000.0, || text(&ta, "general").is_some()).await;
    assert_eq!(text(&ta, "general").as_deref(), Some("Zed is typing..."));

    ta.dispose();
    ta.dispose();
    let e = err(ta.start_typing("general".into(), U));
    assert!(e.contains("disposed"), "{e}");
}
