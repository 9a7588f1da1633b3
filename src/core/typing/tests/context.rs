//! nchat's `currentContext`: the room typed in last, cleared when typing stops.

use super::*;

fn ctx(s: &TypingService) -> Value {
    s.current_context().unwrap_or(Value::Null)
}

#[test]
fn the_context_is_the_room_typed_in_last_and_clears_when_typing_stops() {
    let mut s = service();
    assert_eq!(ctx(&s), Value::Null);
    // Debouncing: not typing yet, no context (as nchat's debounce timer).
    s.handle_input_change("general", "h", None, 0).unwrap();
    assert_eq!(ctx(&s), Value::Null);
    run_until(&mut s, 300);
    assert_eq!(
        ctx(&s),
        json!({"roomName": "general", "roomType": "channel"})
    );
    s.start_typing_in_thread("general", "t1", 400).unwrap();
    assert_eq!(
        ctx(&s),
        json!({"roomName": "general", "roomType": "thread", "threadId": "t1"})
    );
    s.start_typing_in_dm("d1", 500).unwrap();
    assert_eq!(ctx(&s), json!({"roomName": "d1", "roomType": "dm"}));
    // Typing again in a room (throttled or not) makes it the context again.
    s.handle_input_change("general", "hi", None, 600).unwrap();
    assert_eq!(ctx(&s)["roomType"], "channel");
    // Its stop falls back to a room still typing; none left: no context.
    s.stop_typing(Some("general"), None, 700).unwrap();
    assert!(
        ctx(&s)["roomType"] == "thread" || ctx(&s)["roomType"] == "dm",
        "{:?}",
        ctx(&s)
    );
    s.stop_typing_in_dm("d1", 800).unwrap();
    assert_eq!(ctx(&s)["threadId"], "t1");
    s.stop_typing(None, None, 900).unwrap();
    assert_eq!(ctx(&s), Value::Null);
}

#[test]
fn the_context_ends_with_the_auto_stop_a_disconnect_or_clear_all() {
    let mut s = service();
    s.start_typing("general", None, 0).unwrap();
    run_until(&mut s, TYPING_TIMEOUT_MS - 1);
    assert_eq!(ctx(&s)["roomName"], "general");
    run_until(&mut s, TYPING_TIMEOUT_MS);
    assert_eq!(ctx(&s), Value::Null, "auto-stopped after 5 s");
    s.start_typing("general", None, 6_000).unwrap();
    s.on_disconnected(6_001);
    assert_eq!(ctx(&s), Value::Null);
    s.on_connected(6_002);
    s.start_typing("dm:7", None, 6_003).unwrap();
    assert_eq!(ctx(&s), json!({"roomName": "dm:7", "roomType": "channel"}));
    s.clear_all_typing_state(6_004);
    assert_eq!(ctx(&s), Value::Null);
}
