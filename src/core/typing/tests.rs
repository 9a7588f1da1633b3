use super::*;
use crate::core::json::json;

mod context;
mod current_user;
mod order;

const ME: &str = "me";

fn service() -> TypingService {
    let mut s = TypingService::with_user(ME, TypingConfig::default()).unwrap();
    s.on_connected(0);
    s
}

fn pure_debounce() -> TypingService {
    let config = TypingConfig {
        debounce_max_wait_ms: 0,
        ..TypingConfig::default()
    };
    let mut s = TypingService::with_user(ME, config).unwrap();
    s.on_connected(0);
    s
}

fn sends(effects: &[TypingEffect]) -> Vec<(&'static str, Value)> {
    effects
        .iter()
        .filter_map(|e| match e {
            TypingEffect::Send { event, payload } => Some((*event, payload.clone())),
            _ => None,
        })
        .collect()
}

fn changes(effects: &[TypingEffect]) -> Vec<Vec<RoomTypingChange>> {
    effects
        .iter()
        .filter_map(|e| match e {
            TypingEffect::TypingChanged { rooms } => Some(rooms.clone()),
            _ => None,
        })
        .collect()
}

/// Runs every deadline up to and including `until`, returning
/// `(time, effect)` pairs.
fn run_until(s: &mut TypingService, until: Millis) -> Vec<(Millis, TypingEffect)> {
    let mut out = Vec::new();
    while let Some(d) = s.next_deadline().filter(|&d| d <= until) {
        s.handle_timeout(d);
        out.extend(s.drain_effects().into_iter().map(|e| (d, e)));
    }
    out
}

fn send_times(timed: &[(Millis, TypingEffect)]) -> Vec<(Millis, &'static str)> {
    timed
        .iter()
        .filter_map(|(t, e)| match e {
            TypingEffect::Send { event, .. } => Some((*t, *event)),
            _ => None,
        })
        .collect()
}

fn start(room: &str) -> (&'static str, Value) {
    (EVENT_START, json!({ "roomName": room }))
}

fn stop(room: &str) -> (&'static str, Value) {
    (EVENT_STOP, json!({ "roomName": room }))
}

fn event(room: &str, users: &[(&str, &str)]) -> Value {
    let users: Vec<Value> = users
        .iter()
        .map(|(id, name)| json!({"userId": id, "userName": name, "userAvatar": null, "startedAt": 1}))
        .collect();
    json!({ "roomName": room, "users": users })
}

fn user(id: &str, name: &str) -> TypingUser {
    TypingUser {
        user_id: id.into(),
        user_name: name.into(),
        user_avatar: None,
        started_at: 1,
    }
}

// ----- room names ---------------------------------------------------------------

#[test]
fn rooms_follow_the_shared_rule() {
    // A DM id given as a channel id types in the DM room, not `channel:dm:42`.
    let mut s = service();
    s.on_connected(0);
    s.start_typing("dm:42", None, 0).unwrap();
    s.start_typing_in_dm("43", 0).unwrap();
    s.start_typing("c1", Some("t1"), 0).unwrap();
    s.start_typing("channel:c2", None, 0).unwrap();
    let fx = s.drain_effects();
    let rooms: Vec<Value> = fx
        .iter()
        .filter_map(|e| match e {
            TypingEffect::Send { payload, .. } => Some(payload.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        rooms,
        [
            json!({"roomName": "dm:42"}),
            json!({"roomName": "dm:43"}),
            json!({"roomName": "channel:c1", "threadId": "t1"}),
            json!({"roomName": "channel:c2"}),
        ]
    );
    assert!(s.is_typing("dm:42", None));
    assert!(s.is_typing_in_room("dm:43"));
    assert!(s.is_typing("channel:c1", Some("t1")));
    assert!(s.is_typing("c2", None));
    // Incoming: the DM room is found by DM id and by room name.
    s.handle_typing_event(&json!({"roomName": "dm:42", "users": ["a"]}), 0)
        .unwrap();
    assert_eq!(s.get_typing_users("dm:42", None).len(), 1);
    assert_eq!(
        s.get_typing_users_in_room(&crate::core::room::dm_room("42"))
            .len(),
        1
    );
    let fx = run_until(&mut s, 500);
    let fx: Vec<TypingEffect> = fx.into_iter().map(|(_, e)| e).collect();
    let change = &changes(&fx)[0][0];
    assert_eq!(change.room_type, RoomType::Dm);
    assert_eq!(change.channel_id, "42");
    assert_eq!(json!(RoomType::Dm), json!("dm"));
}

#[test]
fn empty_ids_are_errors() {
    let mut s = service();
    assert_eq!(
        s.start_typing("", None, 0),
        Err(TypingError::EmptyId("channel id"))
    );
    assert_eq!(
        s.start_typing("c", Some(""), 0),
        Err(TypingError::EmptyId("thread id"))
    );
    assert_eq!(
        s.start_typing_in_dm("", 0),
        Err(TypingError::EmptyId("DM id"))
    );
    assert!(s.handle_input_change("", "hi", None, 0).is_err());
    assert!(s.stop_typing(Some(""), None, 0).is_err());
    assert_eq!(
        s.stop_typing(None, Some("t"), 0),
        Err(TypingError::ThreadWithoutChannel)
    );
    assert!(TypingService::with_user("", TypingConfig::default()).is_err());
    assert!(s.drain_effects().is_empty());
    assert_eq!(s.next_deadline(), None);
}

// ----- outgoing -----------------------------------------------------------------

#[test]
fn input_is_debounced_300ms_before_typing_starts() {
    let mut s = pure_debounce();
    s.handle_input_change("c1", "h", None, 0).unwrap();
    s.handle_input_change("c1", "he", None, 100).unwrap();
    s.handle_input_change("c1", "hel", None, 200).unwrap();
    assert!(s.drain_effects().is_empty());
    assert!(!s.is_typing("c1", None));
    assert_eq!(s.next_deadline(), Some(500));
    let fx = run_until(&mut s, 499);
    assert!(fx.is_empty());
    let fx = run_until(&mut s, 500);
    assert_eq!(send_times(&fx), [(500, EVENT_START)]);
    assert_eq!(sends(&[fx[0].1.clone()]), [start("channel:c1")]);
    assert!(s.is_typing("c1", None));
}

#[test]
fn continuous_typing_starts_after_max_wait() {
    let mut s = service();
    for t in (0..=2_000).step_by(100) {
        s.handle_input_change("c1", "x", None, t).unwrap();
        run_until(&mut s, t);
        s.drain_effects();
        if t == 900 {
            assert!(!s.is_typing("c1", None));
        }
        if t == 1_000 {
            assert!(s.is_typing("c1", None), "started 1000 ms into the burst");
        }
    }
}

#[test]
fn starts_are_throttled_to_one_per_second_per_room() {
    let mut s = service();
    s.start_typing("c1", None, 0).unwrap();
    assert_eq!(sends(&s.drain_effects()), [start("channel:c1")]);
    // Keystrokes every 100 ms for 3 s.
    let mut all = Vec::new();
    for t in (100..=3_000).step_by(100) {
        all.extend(run_until(&mut s, t));
        s.handle_input_change("c1", "typing", None, t).unwrap();
        all.extend(s.drain_effects().into_iter().map(|e| (t, e)));
    }
    assert_eq!(
        send_times(&all),
        [
            (1_000, EVENT_START),
            (2_000, EVENT_START),
            (3_000, EVENT_START)
        ]
    );
    // Another room has its own throttle.
    s.start_typing("c2", None, 3_050).unwrap();
    assert_eq!(sends(&s.drain_effects()), [start("channel:c2")]);
}

#[test]
fn repeated_start_within_window_only_rearms_auto_stop() {
    let mut s = service();
    s.start_typing("c1", None, 0).unwrap();
    s.start_typing("c1", None, 400).unwrap();
    s.start_typing("c1", None, 800).unwrap();
    assert_eq!(sends(&s.drain_effects()), [start("channel:c1")]);
    // A throttled start goes out when the window ends.
    let fx = run_until(&mut s, 1_000);
    assert_eq!(send_times(&fx), [(1_000, EVENT_START)]);
    // Auto-stop counts from the last call (800 ms); until then the start is
    // renewed every 2 s.
    let fx = run_until(&mut s, 5_799);
    assert_eq!(
        send_times(&fx),
        [(3_000, EVENT_START), (5_000, EVENT_START)]
    );
    let fx = run_until(&mut s, 5_800);
    assert_eq!(send_times(&fx), [(5_800, EVENT_STOP)]);
    assert!(!s.is_typing("c1", None));
}

#[test]
fn empty_or_blank_input_stops_at_once() {
    for blank in ["", "   ", "\n\t"] {
        let mut s = service();
        s.handle_input_change("c1", "hi", None, 0).unwrap();
        run_until(&mut s, 300);
        s.drain_effects();
        assert!(s.is_typing("c1", None));
        s.handle_input_change("c1", blank, None, 400).unwrap();
        assert_eq!(sends(&s.drain_effects()), [stop("channel:c1")]);
        assert!(!s.is_typing("c1", None));
        assert_eq!(s.next_deadline(), None);
    }
}

#[test]
fn input_cleared_before_debounce_sends_nothing() {
    let mut s = service();
    s.handle_input_change("c1", "h", None, 0).unwrap();
    s.handle_input_change("c1", "", None, 100).unwrap();
    assert!(s.drain_effects().is_empty());
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn auto_stop_5s_after_last_keystroke() {
    let mut s = service();
    s.handle_input_change("c1", "a", None, 0).unwrap();
    let fx = run_until(&mut s, 300);
    assert_eq!(send_times(&fx), [(300, EVENT_START)]);
    s.handle_input_change("c1", "ab", None, 2_000).unwrap();
    // Outside the throttle window the keystroke renews the start.
    assert_eq!(sends(&s.drain_effects()), [start("channel:c1")]);
    // Kept alive every 2 s (for servers that expire sooner), never past the auto-stop.
    let fx = run_until(&mut s, 6_999);
    assert_eq!(
        send_times(&fx),
        [(4_000, EVENT_START), (6_000, EVENT_START)]
    );
    let fx = run_until(&mut s, 7_000);
    assert_eq!(send_times(&fx), [(7_000, EVENT_STOP)]);
    assert!(!s.is_typing("c1", None));
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn keepalive_keeps_a_3s_server_expiry_from_ending_typing_early() {
    // A server that expires 3 s after the last start shows us typing until the
    // auto-stop: no gap of 3 s between starts before the stop.
    let mut s = service();
    s.handle_input_change("c1", "a", None, 0).unwrap();
    let fx = run_until(&mut s, 10_000);
    let times = send_times(&fx);
    assert_eq!(times.last(), Some(&(5_000, EVENT_STOP)));
    let starts: Vec<Millis> = times
        .iter()
        .filter(|(_, e)| *e == EVENT_START)
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(starts, [300, 2_300, 4_300]);
    assert!(starts.windows(2).all(|w| w[1] - w[0] < 3_000));
    assert!(5_000 - starts[starts.len() - 1] < 3_000);
    // Off: only keystrokes send.
    let config = TypingConfig {
        keepalive_ms: 0,
        ..TypingConfig::default()
    };
    let mut s = TypingService::with_user(ME, config).unwrap();
    s.on_connected(0);
    s.handle_input_change("c1", "a", None, 0).unwrap();
    let fx = run_until(&mut s, 10_000);
    assert_eq!(send_times(&fx), [(300, EVENT_START), (5_000, EVENT_STOP)]);
    // Never closer than the throttle, and nothing while disconnected.
    let config = TypingConfig {
        keepalive_ms: 10,
        ..TypingConfig::default()
    };
    let mut s = TypingService::with_user(ME, config).unwrap();
    s.on_connected(0);
    s.start_typing("c1", None, 0).unwrap();
    assert_eq!(sends(&s.drain_effects()), [start("channel:c1")]);
    let fx = run_until(&mut s, 2_500);
    assert_eq!(
        send_times(&fx),
        [(1_000, EVENT_START), (2_000, EVENT_START)]
    );
    s.on_disconnected(2_600);
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn threads_and_dms_use_their_own_rooms() {
    let mut s = service();
    s.start_typing_in_thread("c1", "t1", 0).unwrap();
    s.start_typing_in_dm("d1", 0).unwrap();
    s.start_typing("c1", None, 0).unwrap();
    assert_eq!(
        sends(&s.drain_effects()),
        [
            (
                EVENT_START,
                json!({"roomName": "channel:c1", "threadId": "t1"})
            ),
            start("dm:d1"),
            start("channel:c1"),
        ]
    );
    assert!(s.is_typing("c1", Some("t1")));
    assert!(s.is_typing_in_room("dm:d1"));
    s.stop_typing(Some("c1"), Some("t1"), 10).unwrap();
    assert_eq!(
        sends(&s.drain_effects()),
        [(
            EVENT_STOP,
            json!({"roomName": "channel:c1", "threadId": "t1"})
        )]
    );
    assert_eq!(s.own_typing_rooms(), ["channel:c1", "dm:d1"]);
    s.stop_typing(None, None, 20).unwrap();
    assert_eq!(
        sends(&s.drain_effects()),
        [stop("channel:c1"), stop("dm:d1")]
    );
    assert!(s.own_typing_rooms().is_empty());
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn dm_input_change_and_stop() {
    let mut s = service();
    s.handle_input_change_in_dm("d1", "yo", 0).unwrap();
    let fx: Vec<TypingEffect> = run_until(&mut s, 300).into_iter().map(|(_, e)| e).collect();
    assert_eq!(sends(&fx), [start("dm:d1")]);
    s.stop_typing_in_dm("d1", 400).unwrap();
    assert_eq!(sends(&s.drain_effects()), [stop("dm:d1")]);
}

#[test]
fn restart_after_stop_respects_the_throttle() {
    let mut s = service();
    s.start_typing("c1", None, 0).unwrap();
    s.stop_typing(Some("c1"), None, 100).unwrap();
    s.start_typing("c1", None, 200).unwrap();
    assert_eq!(
        sends(&s.drain_effects()),
        [start("channel:c1"), stop("channel:c1")]
    );
    let fx = run_until(&mut s, 1_000);
    assert_eq!(send_times(&fx), [(1_000, EVENT_START)]);
}

#[test]
fn nothing_is_sent_or_queued_while_disconnected() {
    let mut s = TypingService::with_user(ME, TypingConfig::default()).unwrap();
    s.start_typing("c1", None, 0).unwrap();
    s.handle_input_change("c1", "hello", None, 0).unwrap();
    assert!(s.drain_effects().is_empty());
    assert_eq!(s.next_deadline(), None);
    s.on_connected(100);
    assert!(run_until(&mut s, 10_000).is_empty(), "nothing replayed");
}

#[test]
fn disconnect_clears_own_typing_without_sending() {
    let mut s = service();
    s.start_typing("c1", None, 0).unwrap();
    s.handle_input_change("c2", "x", None, 0).unwrap();
    s.drain_effects();
    s.on_disconnected(100);
    assert!(s.drain_effects().is_empty());
    assert!(!s.is_typing("c1", None));
    assert_eq!(s.next_deadline(), None);
    s.on_connected(200);
    assert!(run_until(&mut s, 10_000).is_empty());
    s.start_typing("c1", None, 10_001).unwrap();
    assert_eq!(sends(&s.drain_effects()), [start("channel:c1")]);
}

#[test]
fn broadcast_off_sends_nothing_and_stops_current_typing() {
    let mut s = service();
    s.start_typing("c1", None, 0).unwrap();
    s.drain_effects();
    s.set_privacy(
        TypingPrivacy {
            broadcast_typing: false,
            typing_visibility: Visibility::Everyone,
        },
        100,
    );
    assert_eq!(sends(&s.drain_effects()), [stop("channel:c1")]);
    s.start_typing("c1", None, 2_000).unwrap();
    s.handle_input_change("c2", "hi", None, 2_000).unwrap();
    s.stop_typing(None, None, 2_100).unwrap();
    assert!(run_until(&mut s, 20_000).is_empty());
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn without_privacy_filtering_typing_goes_out_and_everyone_else_is_shown() {
    let config = TypingConfig {
        privacy_filtering: false,
        ..TypingConfig::default()
    };
    let mut s = TypingService::with_user(ME, config).unwrap();
    s.on_connected(0);
    s.set_privacy(
        TypingPrivacy {
            broadcast_typing: false,
            typing_visibility: Visibility::Nobody,
        },
        0,
    );
    s.start_typing("c1", None, 10).unwrap();
    assert_eq!(
        sends(&s.drain_effects()).len(),
        1,
        "broadcastTyping not applied"
    );
    s.handle_typing_event(&event("channel:c1", &[("a", "Alice"), (ME, "Me")]), 20)
        .unwrap();
    assert_eq!(
        s.get_typing_users("c1", None),
        [user("a", "Alice")],
        "typingVisibility not applied; the current user still hidden"
    );
    assert_eq!(s.privacy().typing_visibility, Visibility::Nobody, "kept");
}

// ----- incoming -----------------------------------------------------------------

#[test]
fn incoming_typing_excludes_current_user_and_is_batched() {
    let mut s = service();
    s.handle_typing_event(&event("channel:c1", &[("a", "Alice"), (ME, "Me")]), 1_000)
        .unwrap();
    assert_eq!(s.get_typing_users("c1", None), [user("a", "Alice")]);
    assert!(s.drain_effects().is_empty(), "batched");
    assert_eq!(s.next_deadline(), Some(1_500));
    let fx = run_until(&mut s, 1_500);
    let fx: Vec<TypingEffect> = fx.into_iter().map(|(_, e)| e).collect();
    assert_eq!(
        changes(&fx),
        [vec![RoomTypingChange {
            room_name: "channel:c1".into(),
            room_type: RoomType::Channel,
            channel_id: "c1".into(),
            thread_id: None,
            users: vec![user("a", "Alice")],
        }]]
    );
    assert_eq!(
        json!(user("a", "Alice")),
        json!({"userId": "a", "userName": "Alice", "startedAt": 1})
    );
}

#[test]
fn a_burst_of_ten_events_within_500ms_is_one_notification() {
    let mut s = service();
    for i in 0..10u64 {
        let room = format!("channel:c{}", i % 3);
        let id = format!("u{i}");
        s.handle_typing_event(
            &json!({"roomName": room, "userId": id, "userName": id}),
            1_000 + i * 40,
        )
        .unwrap();
    }
    let fx = run_until(&mut s, 2_000);
    let notes: Vec<_> = fx
        .iter()
        .filter(|(_, e)| matches!(e, TypingEffect::TypingChanged { .. }))
        .collect();
    assert_eq!(notes.len(), 1, "{fx:?}");
    assert_eq!(notes[0].0, 1_500);
    let fx: Vec<TypingEffect> = fx.into_iter().map(|(_, e)| e).collect();
    let rooms = &changes(&fx)[0];
    assert_eq!(rooms.len(), 3);
    assert_eq!(rooms.iter().map(|r| r.users.len()).sum::<usize>(), 10);
}

#[test]
fn unchanged_lists_are_not_renotified() {
    let mut s = service();
    s.handle_typing_event(&event("channel:c1", &[("a", "Alice")]), 0)
        .unwrap();
    run_until(&mut s, 500);
    s.drain_effects();
    // Renewal with the same list: no notification.
    s.handle_typing_event(&event("channel:c1", &[("a", "Alice")]), 2_000)
        .unwrap();
    let fx = run_until(&mut s, 2_500);
    assert!(fx.is_empty(), "{fx:?}");
}

#[test]
fn incoming_users_expire_5s_after_last_report() {
    let mut s = service();
    s.handle_typing_event(&event("channel:c1", &[("a", "Alice"), ("b", "Bob")]), 0)
        .unwrap();
    s.handle_typing_event(
        &json!({"roomName": "channel:c1", "userId": "b", "userName": "Bob"}),
        3_000,
    )
    .unwrap();
    run_until(&mut s, 3_500);
    s.drain_effects();
    assert_eq!(s.next_deadline(), Some(5_000));
    let fx = run_until(&mut s, 5_000);
    assert!(fx.is_empty(), "notification is batched");
    assert_eq!(s.get_typing_users("c1", None), [user("b", "Bob")]);
    let fx = run_until(&mut s, 5_500);
    assert_eq!(fx.len(), 1);
    let fx = run_until(&mut s, 8_000);
    assert_eq!(fx.len(), 0);
    let fx = run_until(&mut s, 8_500);
    let fx: Vec<TypingEffect> = fx.into_iter().map(|(_, e)| e).collect();
    assert_eq!(changes(&fx)[0][0].users, []);
    assert!(s.get_typing_users("c1", None).is_empty());
    assert_eq!(s.next_deadline(), None, "no periodic cleanup");
}

/// The real server: `{roomName, users: [{userId, startedAt: ISO}]}` to the
/// room's other sockets, no names, and no event when an entry expires.
#[test]
fn real_server_events_expire_on_the_client_and_get_known_names() {
    let mut s = service();
    let real = |users: Value| json!({"roomName": "channel:c1", "users": users});
    s.handle_typing_event(
        &real(json!([{"userId": "u1", "startedAt": "2024-02-03T16:20:00.000Z"}])),
        10_000,
    )
    .unwrap();
    let shown = s.get_typing_users("c1", None);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].user_name, "u1", "no name: the user id");
    assert_eq!(shown[0].started_at, 1_706_977_200_000);
    assert_eq!(s.get_typing_text("c1", None), "u1 is typing...");
    // The app tells names; the user shown under the id is renamed (batched).
    s.set_user_names([("u1", "Uma"), ("u2", "Ugo")], 10_100);
    assert_eq!(s.get_typing_text("c1", None), "Uma is typing...");
    // Renewal by a second typer: still no names on the wire.
    s.handle_typing_event(
        &real(json!([
            {"userId": "u1", "startedAt": "2024-02-03T16:20:00.000Z"},
            {"userId": "u2", "startedAt": "2024-02-03T16:20:02.000+00:00"}
        ])),
        12_000,
    )
    .unwrap();
    assert_eq!(s.get_typing_text("c1", None), "Uma and Ugo are typing...");
    let fx: Vec<TypingEffect> = run_until(&mut s, 12_500)
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    assert_eq!(changes(&fx).len(), 1, "one batched notification");
    // Nothing more comes from the server: both expire 5 s after their last report.
    assert_eq!(s.next_deadline(), Some(17_000));
    let timed = run_until(&mut s, 20_000);
    let last = timed.last().map(|(t, e)| (*t, e.clone()));
    let Some((at, TypingEffect::TypingChanged { rooms })) = last else {
        panic!("no expiry notification: {timed:?}");
    };
    assert_eq!(
        at, 17_500,
        "expired at 17 s, notified after the batch window"
    );
    assert!(rooms[0].users.is_empty());
    assert!(s.get_typing_users("c1", None).is_empty());
    assert_eq!(s.next_deadline(), None);
    // A name seen once in an event (extended servers) is remembered.
    s.handle_typing_event(&event("channel:c2", &[("u3", "Uli")]), 30_000)
        .unwrap();
    s.handle_typing_event(
        &json!({"roomName": "channel:c2", "users": [{"userId": "u3"}]}),
        31_000,
    )
    .unwrap();
    assert_eq!(s.get_typing_users("c2", None)[0].user_name, "Uli");
    assert_eq!(s.user_name("u3"), Some("Uli"));
}

#[test]
fn replace_and_single_user_forms() {
    let mut s = service();
    s.handle_typing_event(&event("channel:c1", &[("a", "Alice"), ("b", "Bob")]), 0)
        .unwrap();
    s.handle_typing_event(&event("channel:c1", &[("b", "Bob")]), 100)
        .unwrap();
    assert_eq!(s.get_typing_users("c1", None), [user("b", "Bob")]);
    s.handle_typing_event(
        &json!({"roomName": "channel:c1", "userId": "b", "isTyping": false}),
        200,
    )
    .unwrap();
    assert!(s.get_typing_users("c1", None).is_empty());
    // Thread by threadId, user as a bare id, startedAt defaulting to now, ISO startedAt.
    s.handle_typing_event(
        &json!({"roomName": "channel:c1", "threadId": "t1", "users": ["x",
            {"userId": "y", "userName": "Yan", "userAvatar": "https://a/y.png", "startedAt": "1970-01-01T00:00:01Z"}]}),
        300,
    )
    .unwrap();
    assert_eq!(
        s.get_typing_users("c1", Some("t1")),
        [
            TypingUser {
                user_id: "x".into(),
                user_name: "x".into(),
                user_avatar: None,
                started_at: 300
            },
            TypingUser {
                user_id: "y".into(),
                user_name: "Yan".into(),
                user_avatar: Some("https://a/y.png".into()),
                started_at: 1_000
            },
        ]
    );
    assert_eq!(
        s.get_typing_users_in_room("channel:c1:thread:t1").len(),
        2,
        "same room by name"
    );
    // startedAt is kept across renewals without one.
    s.handle_typing_event(
        &json!({"roomName": "channel:c1:thread:t1", "users": ["x"]}),
        900,
    )
    .unwrap();
    assert_eq!(s.get_typing_users("c1", Some("t1"))[0].started_at, 300);
    let fx = run_until(&mut s, 1_000);
    let fx: Vec<TypingEffect> = fx.into_iter().map(|(_, e)| e).collect();
    let rooms = &changes(&fx)[0];
    let thread = rooms
        .iter()
        .find(|r| r.room_type == RoomType::Thread)
        .unwrap();
    assert_eq!(thread.channel_id, "c1");
    assert_eq!(thread.thread_id.as_deref(), Some("t1"));
}

#[test]
fn malformed_typing_payloads_are_dropped_with_state_unchanged() {
    let bad = [
        json!(null),
        json!(42),
        json!([]),
        json!({}),
        json!({"roomName": ""}),
        json!({"roomName": 5, "users": []}),
        json!({"roomName": "channel:c1"}),
        json!({"roomName": "channel:c1", "users": "a"}),
        json!({"roomName": "channel:c1", "users": [5]}),
        json!({"roomName": "channel:c1", "users": [""]}),
        json!({"roomName": "channel:c1", "users": [{"userName": "x"}]}),
        json!({"roomName": "channel:c1", "users": [{"userId": "z", "userName": 3}]}),
        json!({"roomName": "channel:c1", "users": [{"userId": "z", "startedAt": "later"}]}),
        json!({"roomName": "channel:c1", "users": [{"userId": "z"}, 7]}),
        json!({"roomName": "channel:c1", "threadId": 3, "users": []}),
        json!({"roomName": "channel:c1", "userId": "z", "isTyping": "yes"}),
    ];
    let mut s = service();
    s.handle_typing_event(&event("channel:c1", &[("a", "Alice")]), 0)
        .unwrap();
    run_until(&mut s, 500);
    s.drain_effects();
    let deadline = s.next_deadline();
    for payload in bad {
        let err = s.handle_typing_event(&payload, 100).unwrap_err();
        assert!(matches!(err, TypingError::InvalidPayload(_)), "{payload}");
        assert_eq!(
            s.get_typing_users("c1", None),
            [user("a", "Alice")],
            "{payload}"
        );
        assert_eq!(s.next_deadline(), deadline, "{payload}");
        assert!(s.drain_effects().is_empty(), "{payload}");
    }
}

#[test]
fn one_contact_added_or_removed_refilters_under_contacts_visibility() {
    let mut s = service();
    s.set_privacy(
        TypingPrivacy {
            broadcast_typing: true,
            typing_visibility: Visibility::Contacts,
        },
        0,
    );
    s.handle_typing_event(&event("channel:c1", &[("a", "Alice"), ("b", "Bob")]), 0)
        .unwrap();
    run_until(&mut s, 500);
    s.drain_effects();
    assert!(s.get_typing_users("c1", None).is_empty());
    s.set_contact("b", true, 600);
    assert!(s.is_contact("b") && !s.is_contact("a"));
    assert_eq!(s.get_typing_users("c1", None), [user("b", "Bob")]);
    let fx: Vec<TypingEffect> = run_until(&mut s, 1_100)
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    assert_eq!(changes(&fx)[0][0].users, [user("b", "Bob")], "renotified");
    s.set_contact("b", true, 1_200);
    assert!(run_until(&mut s, 1_700).is_empty(), "no change, no notice");
    s.set_contact("a", true, 1_800);
    s.set_contact("b", false, 1_800);
    assert!(!s.is_contact("b") && s.is_contact("a"));
    assert_eq!(s.get_typing_users("c1", None), [user("a", "Alice")]);
    s.set_contacts(["c"], 1_900);
    assert!(
        !s.is_contact("a") && s.is_contact("c"),
        "setContacts replaces"
    );
}

#[test]
fn active_rooms_and_clearing_one_room() {
    let mut s = service();
    s.handle_typing_event(&event("channel:c1", &[("a", "Alice")]), 0)
        .unwrap();
    s.handle_typing_event(&event("dm:d1", &[("b", "Bob")]), 0)
        .unwrap();
    s.handle_typing_event(&event("channel:c2", &[(ME, "Me")]), 0)
        .unwrap();
    assert_eq!(
        s.active_typing_rooms(),
        ["channel:c1", "dm:d1"],
        "not our own"
    );
    run_until(&mut s, 500);
    s.drain_effects();
    s.start_typing("c1", None, 600).unwrap();
    s.drain_effects();
    s.clear_room_typing_state("channel:c1", 600);
    assert_eq!(s.active_typing_rooms(), ["dm:d1"]);
    assert!(s.get_typing_users("c1", None).is_empty());
    assert_eq!(
        s.own_typing_rooms(),
        ["channel:c1"],
        "our own typing goes on"
    );
    let fx: Vec<TypingEffect> = run_until(&mut s, 1_100)
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    let room_changes = changes(&fx);
    assert_eq!(room_changes.len(), 1);
    assert_eq!(room_changes[0][0].room_name, "channel:c1");
    assert!(
        room_changes[0][0].users.is_empty(),
        "listeners hear the empty list"
    );
    s.clear_room_typing_state("channel:nobody", 1_200);
    assert!(changes(
        &run_until(&mut s, 1_800)
            .into_iter()
            .map(|(_, e)| e)
            .collect::<Vec<_>>()
    )
    .is_empty());
    s.set_privacy(
        TypingPrivacy {
            broadcast_typing: true,
            typing_visibility: Visibility::Nobody,
        },
        1_900,
    );
    assert!(
        s.active_typing_rooms().is_empty(),
        "only rooms shown typing"
    );
}

#[test]
fn typing_visibility_filters_and_renotifies() {
    let mut s = service();
    s.handle_typing_event(&event("channel:c1", &[("a", "Alice"), ("b", "Bob")]), 0)
        .unwrap();
    run_until(&mut s, 500);
    s.drain_effects();
    s.set_contacts(["b"], 600);
    assert!(
        run_until(&mut s, 1_100).is_empty(),
        "everyone: contacts irrelevant"
    );
    s.set_privacy(
        TypingPrivacy {
            broadcast_typing: true,
            typing_visibility: Visibility::Contacts,
        },
        1_200,
    );
    assert_eq!(s.get_typing_users("c1", None), [user("b", "Bob")]);
    assert_eq!(s.get_typing_text("c1", None), "Bob is typing...");
    let fx: Vec<TypingEffect> = run_until(&mut s, 1_700)
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    assert_eq!(changes(&fx)[0][0].users, [user("b", "Bob")]);
    s.set_privacy(
        TypingPrivacy {
            broadcast_typing: true,
            typing_visibility: Visibility::Nobody,
        },
        1_800,
    );
    assert!(s.get_typing_users("c1", None).is_empty());
    assert_eq!(s.get_typing_text("c1", None), "");
    let fx: Vec<TypingEffect> = run_until(&mut s, 2_300)
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    assert_eq!(changes(&fx)[0][0].users, []);
    assert_eq!(
        json!(TypingPrivacy::default()),
        json!({"broadcastTyping": true, "typingVisibility": "everyone"})
    );
}

#[test]
fn clear_all_typing_state_forgets_everyone() {
    let mut s = service();
    s.handle_typing_event(&event("dm:d1", &[("a", "Alice")]), 0)
        .unwrap();
    s.start_typing("c1", None, 0).unwrap();
    s.drain_effects();
    s.clear_all_typing_state(100);
    assert_eq!(sends(&s.drain_effects()), [stop("channel:c1")]);
    assert!(s.get_typing_users_in_room("dm:d1").is_empty());
    run_until(&mut s, 1_000);
    assert_eq!(s.next_deadline(), None);
}

// ----- text -----------------------------------------------------------------------

#[test]
fn typing_text_formats() {
    let names = ["Alice", "Bob", "Charlie", "Dave", "Eve"];
    let users: Vec<TypingUser> = names.iter().map(|n| user(n, n)).collect();
    let expected = [
        "",
        "Alice is typing...",
        "Alice and Bob are typing...",
        "Alice, Bob, and Charlie are typing...",
        "Alice, Bob, and 2 others are typing...",
        "Alice, Bob, and 3 others are typing...",
    ];
    for (n, text) in expected.iter().enumerate() {
        assert_eq!(format_typing_text(&users[..n]), *text);
    }
    let mut s = service();
    let pairs: Vec<(&str, &str)> = names.iter().map(|n| (*n, *n)).collect();
    s.handle_typing_event(&event("dm:d1", &pairs[..4]), 0)
        .unwrap();
    assert_eq!(
        s.get_typing_text_in_room("dm:d1"),
        "Alice, Bob, and 2 others are typing..."
    );
    assert_eq!(s.get_typing_text("nope", None), "");
}

// ----- deadlines ----------------------------------------------------------------

#[test]
fn no_deadline_when_nobody_types() {
    let mut s = TypingService::default();
    assert_eq!(s.next_deadline(), None);
    s.on_connected(0);
    assert_eq!(s.next_deadline(), None);
    s.handle_timeout(10_000);
    assert!(s.drain_effects().is_empty());
}

// ----- properties -------------------------------------------------------------------

mod props {
    use super::*;
    use crate::core::test_support;
    use proptest::prelude::*;

    fn arb_json() -> impl Strategy<Value = Value> {
        test_support::arb_json(
            &[
                "channel:c1",
                "me",
                "a",
                "",
                "2024-02-03T16:20:00.000Z",
                "+275760-09-13T00:00:00.000Z",
            ],
            &[
                "roomName",
                "threadId",
                "users",
                "userId",
                "userName",
                "startedAt",
                "isTyping",
            ],
        )
    }

    #[derive(Debug, Clone)]
    enum Op {
        Advance(Millis),
        Timeout,
        Input(u8, Option<u8>, String),
        Start(u8, Option<u8>),
        Stop(Option<u8>),
        Incoming(Value),
        Users(u8, Vec<u8>),
        Connect,
        Disconnect,
        Privacy(bool, u8),
        Contacts(Vec<u8>),
    }

    fn arb_op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..3_000u64).prop_map(Op::Advance),
            4 => Just(Op::Timeout),
            4 => (0..3u8, proptest::option::of(0..2u8), prop_oneof![Just(String::new()), Just(" ".to_owned()), "[a-z]{1,5}"])
                .prop_map(|(c, t, v)| Op::Input(c, t, v)),
            1 => (0..3u8, proptest::option::of(0..2u8)).prop_map(|(c, t)| Op::Start(c, t)),
            1 => proptest::option::of(0..3u8).prop_map(Op::Stop),
            1 => arb_json().prop_map(Op::Incoming),
            2 => (0..3u8, prop::collection::vec(0..6u8, 0..5)).prop_map(|(r, u)| Op::Users(r, u)),
            1 => Just(Op::Connect),
            1 => Just(Op::Disconnect),
            1 => (any::<bool>(), 0..3u8).prop_map(|(b, v)| Op::Privacy(b, v)),
            1 => prop::collection::vec(0..6u8, 0..4).prop_map(Op::Contacts),
        ]
    }

    proptest! {
        #[test]
        fn arbitrary_payloads_never_panic(payload in arb_json(), now in any::<u64>()) {
            let mut s = service();
            if s.handle_typing_event(&payload, now).is_err() {
                prop_assert!(s.drain_effects().is_empty());
                prop_assert_eq!(s.next_deadline(), None);
            }
            if let Some(d) = s.next_deadline() {
                s.handle_timeout(d);
            }
        }

        #[test]
        fn arbitrary_call_sequences_keep_deadlines_in_the_future(
            ops in prop::collection::vec(arb_op(), 1..80)
        ) {
            let mut s = service();
            let mut now: Millis = 1_000;
            for op in ops {
                match op {
                    Op::Advance(d) => now += d,
                    Op::Timeout => {
                        if let Some(d) = s.next_deadline() {
                            now = now.max(d);
                        }
                        s.handle_timeout(now);
                        if let Some(d) = s.next_deadline() {
                            prop_assert!(d > now, "deadline {} not after {}", d, now);
                        }
                    }
                    Op::Input(c, t, v) => {
                        let t = t.map(|t| format!("t{t}"));
                        s.handle_input_change(&format!("c{c}"), &v, t.as_deref(), now).unwrap();
                    }
                    Op::Start(c, t) => {
                        let t = t.map(|t| format!("t{t}"));
                        s.start_typing(&format!("c{c}"), t.as_deref(), now).unwrap();
                    }
                    Op::Stop(c) => {
                        let c = c.map(|c| format!("c{c}"));
                        s.stop_typing(c.as_deref(), None, now).unwrap();
                    }
                    Op::Incoming(v) => { let _ = s.handle_typing_event(&v, now); }
                    Op::Users(r, users) => {
                        let users: Vec<String> = users.iter().map(|u| if *u == 0 { ME.to_owned() } else { format!("u{u}") }).collect();
                        s.handle_typing_event(&json!({"roomName": format!("channel:c{r}"), "users": users}), now).unwrap();
                        let shown = s.get_typing_users(&format!("c{r}"), None);
                        prop_assert!(shown.iter().all(|u| u.user_id != ME));
                    }
                    Op::Connect => s.on_connected(now),
                    Op::Disconnect => {
                        s.on_disconnected(now);
                        prop_assert!(s.own_typing_rooms().is_empty());
                    }
                    Op::Privacy(b, v) => s.set_privacy(
                        TypingPrivacy {
                            broadcast_typing: b,
                            typing_visibility: [Visibility::Everyone, Visibility::Contacts, Visibility::Nobody][usize::from(v % 3)],
                        },
                        now,
                    ),
                    Op::Contacts(ids) => s.set_contacts(ids.iter().map(|i| format!("u{i}")), now),
                }
                let may_send = s.is_connected();
                for e in s.drain_effects() {
                    let is_send = matches!(e, TypingEffect::Send { .. });
                    prop_assert!(!is_send || may_send, "sent while disconnected: {:?}", e);
                }
            }
        }
    }
}
