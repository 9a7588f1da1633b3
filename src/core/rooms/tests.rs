//! The rooms machine alone, with a fake clock.

use super::*;

fn machine(manager: bool, max_rooms: u32, auto_rejoin: bool) -> RoomsMachine {
    let mut m = RoomsMachine::new(RoomsConfig {
        manager,
        max_rooms,
        auto_rejoin,
    });
    m.initialize();
    m
}

fn events(m: &mut RoomsMachine) -> Vec<RoomsEvent> {
    m.drain_effects()
        .into_iter()
        .filter_map(|e| match e {
            RoomsEffect::Event(e) => Some(e),
            RoomsEffect::Leave(_) => None,
        })
        .collect()
}

fn ok(count: u64) -> Value {
    json!({"success": true, "data": {"memberCount": count}})
}

#[test]
fn the_room_limit_counts_joins_in_flight() {
    let mut m = machine(false, 2, true);
    assert_eq!(m.join("a", None, false, true, 0), Ok(JoinStep::Send(None)));
    assert_eq!(m.join("b", None, false, true, 0), Ok(JoinStep::Send(None)));
    assert_eq!(m.join("c", None, false, true, 0), Err(RoomsError::Limit(2)));
    assert_eq!(
        RoomsError::Limit(2).message(),
        "Maximum room limit (2) reached"
    );
    m.on_join_answer("a", Err(("ROOM_NOT_FOUND", "Room not found")), true, 1);
    assert!(m.room("a").is_none());
    assert_eq!(m.join("c", None, false, true, 1), Ok(JoinStep::Send(None)));
    // An answer names the room the server joined.
    let v = m.on_join_answer("b", Ok(&ok(3)), true, 2).unwrap();
    assert_eq!(v.get("memberCount").and_then(Value::as_u64), Some(3));
    assert_eq!(v.get("visibility").and_then(Value::as_str), Some("public"));
    // Joined: answered at once, nothing sent.
    assert!(matches!(
        m.join("b", None, false, true, 3),
        Ok(JoinStep::Done(_))
    ));
}

#[test]
fn members_follow_the_events_and_counts_never_underflow() {
    let mut m = machine(false, 100, true);
    m.join("r", None, false, true, 0).unwrap();
    m.on_join_answer(
        "r",
        Ok(&json!({"success": true, "data": {"memberCount": 0}})),
        true,
        0,
    );
    events(&mut m);
    let left = json!({"roomName": "r", "userId": "x"});
    m.on_event("user:left", &left, 1);
    assert_eq!(m.room("r").unwrap().member_count, Some(0));
    let joined = json!({"roomName": "r", "userId": "u", "userName": "U", "timestamp": "1970-01-01T00:00:01.000Z"});
    m.on_event("user:joined", &joined, 5);
    let r = m.room("r").unwrap();
    assert_eq!((r.member_count, r.members[0].joined_at), (Some(1), 1000));
    let seen = events(&mut m);
    assert!(
        matches!(&seen[..], [RoomsEvent::UserLeft { .. }, RoomsEvent::UserJoined { member, .. }] if member.user_name.as_deref() == Some("U"))
    );
    // The same user again (re-joining after a reconnect) is not one more.
    m.on_event("user:joined", &joined, 6);
    assert_eq!(m.room("r").unwrap().member_count, Some(1));
    events(&mut m);
    // Not initialized: the server's events are not heard.
    m.destroy();
    m.on_event("user:joined", &joined, 6);
    assert!(events(&mut m).is_empty());
}

#[test]
fn without_auto_rejoin_rooms_are_dropped_on_disconnect() {
    let mut m = machine(false, 100, false);
    m.join("r", None, false, true, 0).unwrap();
    m.on_join_answer("r", Ok(&ok(1)), true, 0);
    events(&mut m);
    assert_eq!(m.on_disconnected(), ["r"]);
    assert!(m.rooms().is_empty());
    assert_eq!(events(&mut m), [RoomsEvent::State(Vec::new())]);
    let mut k = machine(true, 100, false);
    k.join("user:u", None, false, true, 0).unwrap();
    k.on_join_answer("user:u", Ok(&ok(1)), true, 0);
    assert_eq!(k.on_disconnected(), ["user:u"]);
    assert!(!k.is_in_room("user:u") && k.room("user:u").is_some());
}

#[test]
fn auto_leave_waits_five_seconds_from_the_first_zero() {
    let mut m = machine(true, 100, true);
    for r in ["channel:c", "user:u"] {
        m.join(r, None, false, true, 0).unwrap();
        m.on_join_answer(r, Ok(&ok(1)), true, 0);
        m.listener(r, true, 0);
        m.listener(r, false, 100);
    }
    events(&mut m);
    // A user room is never left by itself.
    assert_eq!(m.next_deadline(), Some(100 + AUTO_LEAVE_MS));
    m.listener("channel:c", true, 200);
    m.listener("channel:c", false, 300);
    // The first check is kept (as nchat's first timer).
    assert_eq!(m.next_deadline(), Some(100 + AUTO_LEAVE_MS));
    m.listener("channel:c", true, 400);
    m.handle_timeout(100 + AUTO_LEAVE_MS);
    assert!(m.room("channel:c").is_some(), "a listener came back");
    assert_eq!(m.next_deadline(), None);
    m.listener("channel:c", false, 6000);
    m.handle_timeout(6000 + AUTO_LEAVE_MS - 1);
    assert!(m.room("channel:c").is_some());
    m.handle_timeout(6000 + AUTO_LEAVE_MS);
    assert!(m.room("channel:c").is_none() && m.room("user:u").is_some());
    assert_eq!(
        m.drain_effects(),
        [
            RoomsEffect::Leave("channel:c".into()),
            RoomsEffect::Event(RoomsEvent::Left("channel:c".into()))
        ]
    );
}

#[test]
fn the_manager_switches_user_rooms_and_hears_room_joined() {
    let mut m = machine(true, 100, true);
    assert_eq!(m.set_user(Some("a".into())), (None, Some("user:a".into())));
    assert_eq!(m.set_user(Some("a".into())), (None, Some("user:a".into())));
    assert_eq!(m.set_user(None), (Some("user:a".into()), None));
    m.join("dm:1", Some(json!({"k": 1})), false, true, 0)
        .unwrap();
    let v = m.on_join_answer("dm:1", Ok(&ok(2)), true, 7).unwrap();
    assert_eq!(v.get("resourceId").and_then(Value::as_str), Some("1"));
    assert_eq!(v.get("metadata"), Some(&json!({"k": 1})));
    events(&mut m);
    m.on_event(
        "room:joined",
        &json!({"roomName": "dm:1", "success": false, "error": "no"}),
        8,
    );
    assert!(!m.is_in_room("dm:1"));
    assert!(matches!(&events(&mut m)[..], [RoomsEvent::Error { message, .. }] if message == "no"));
    // Forced: sent again although joined.
    m.on_event(
        "room:joined",
        &json!({"roomName": "dm:1", "success": true}),
        9,
    );
    assert_eq!(
        m.join("dm:1", None, true, true, 10),
        Ok(JoinStep::Send(None))
    );
    assert_eq!(
        m.join("dm:1", None, true, true, 10),
        Err(RoomsError::Pending("dm:1".into()))
    );
}

#[test]
fn sent_value_takes_the_id_when_there_is_one() {
    assert_eq!(
        sent_value(&json!({"success": true})),
        json!({"messageId": ""})
    );
    assert_eq!(
        sent_value(&json!({"success": true, "messageId": "m1"})),
        json!({"messageId": "m1"})
    );
}
