//! Rooms services through the session: joins answered by the server, the
//! connection's re-join after a reconnect heard by the machines, room
//! events routed, the manager's auto-leave on the session's deadline.

use super::*;
use crate::core::rooms::{RoomsConfig, RoomsEvent, AUTO_LEAVE_MS};

fn rooms(s: &mut Session, manager: bool) -> Handle {
    let cfg = RoomsConfig {
        manager,
        ..Default::default()
    };
    let h = s.attach_rooms(cfg, 0);
    s.rooms_do(h, RoomsCmd::Initialize, 0).unwrap();
    h
}

fn join(s: &mut Session, h: Handle, name: &str, now: Millis) -> Result<Ticket, SessionError> {
    let cmd = RoomsCmd::Join {
        name,
        metadata: None,
        force: false,
        timeout: None,
    };
    s.rooms_do(h, cmd, now).map(Option::unwrap)
}

fn send(s: &mut Session, h: Handle, room: &str, now: Millis) -> Result<Ticket, SessionError> {
    let payload = crate::core::json::json!({"roomName": room, "content": "x"});
    s.rooms_do(h, RoomsCmd::Send { room, payload }, now)
        .map(Option::unwrap)
}

fn joined(count: u64) -> Value {
    json!({"success": true, "data": {"roomName": "channel:a", "memberCount": count, "members": ["me", "u2"]}})
}

#[test]
fn a_join_is_answered_kept_and_rejoined_after_a_reconnect() {
    let mut s = session();
    let h = rooms(&mut s, false);
    // Not connected: refused with nchat's message.
    let e = join(&mut s, h, "channel:a", 0).unwrap_err();
    assert_eq!(e.message(), "Not connected to realtime server");
    connect(&mut s, 10);
    let t = join(&mut s, h, "channel:a", 11).unwrap();
    let e = join(&mut s, h, "channel:a", 11).unwrap_err();
    assert_eq!(e.code(), "join_pending");
    let out = drain(&mut s);
    answer(&mut s, &frames(&out), "room:join", joined(2), 12);
    let out = drain(&mut s);
    let Ok(Answer::Json(room)) = outcome(&out, t) else {
        panic!("{out:?}")
    };
    assert_eq!(room.get("memberCount").and_then(|v| v.as_u64()), Some(2));
    assert_eq!(
        events_of(&out, h),
        [Event::Rooms(RoomsEvent::State(vec!["channel:a".into()]))]
    );
    assert_eq!(
        s.rooms(h).unwrap().room("channel:a").unwrap().members.len(),
        2
    );
    // Another user joins, then leaves.
    server_event(
        &mut s,
        "user:joined",
        json!({"roomName": "channel:a", "userId": "u3"}),
        13,
    );
    server_event(
        &mut s,
        "user:left",
        json!({"roomName": "channel:a", "userId": "u2"}),
        14,
    );
    let room = s.rooms(h).unwrap().room("channel:a").unwrap();
    assert_eq!(room.member_count, Some(2));
    let ids: Vec<&str> = room.members.iter().map(|m| m.user_id.as_str()).collect();
    assert_eq!(ids, ["me", "u3"]);
    // A message of the room reaches its listeners.
    server_event(
        &mut s,
        "message:new",
        json!({"roomName": "channel:a", "content": "hi"}),
        15,
    );
    let out = drain(&mut s);
    let seen = events_of(&out, h);
    assert!(
        matches!(&seen[2], Event::Rooms(RoomsEvent::Message { room, .. }) if room == "channel:a"),
        "{seen:?}"
    );
    // The link drops: the connection re-joins by itself, the machine hears it.
    let at = drop_and_reconnect(&mut s, 20);
    assert!(s
        .rooms(h)
        .unwrap()
        .room("channel:a")
        .unwrap()
        .members
        .is_empty());
    s.handle_socket_frame(READY, at);
    let out = drain(&mut s);
    let rejoins: Vec<String> = frames(&out)
        .into_iter()
        .filter(|f| f.contains("room:join"))
        .collect();
    assert_eq!(
        rejoins.len(),
        1,
        "one re-join, by the connection: {rejoins:?}"
    );
    answer(&mut s, &rejoins, "room:join", joined(5), at + 1);
    let out = drain(&mut s);
    assert_eq!(
        s.rooms(h).unwrap().room("channel:a").unwrap().member_count,
        Some(5)
    );
    assert_eq!(
        events_of(&out, h),
        [Event::Rooms(RoomsEvent::State(vec!["channel:a".into()]))]
    );
}

#[test]
fn a_refused_rejoin_drops_the_room_and_a_leave_goes_out() {
    let mut s = session();
    let h = rooms(&mut s, false);
    connect(&mut s, 10);
    for (i, room) in ["channel:a", "channel:b"].iter().enumerate() {
        join(&mut s, h, room, 11).unwrap();
        let out = drain(&mut s);
        answer(&mut s, &frames(&out), room, ok(), 12 + i as u64);
    }
    let at = drop_and_reconnect(&mut s, 20);
    s.handle_socket_frame(READY, at);
    let f = frames(&drain(&mut s));
    let refused =
        json!({"success": false, "error": {"code": "ROOM_NOT_FOUND", "message": "Room not found"}});
    answer(&mut s, &f, "channel:a", refused, at + 1);
    answer(&mut s, &f, "channel:b", ok(), at + 1);
    drain(&mut s);
    let names: Vec<&str> = s
        .rooms(h)
        .unwrap()
        .rooms()
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["channel:b"]);
    s.rooms_do(h, RoomsCmd::Leave("channel:b"), at + 2).unwrap();
    let out = drain(&mut s);
    assert!(frames(&out)[0].contains(r#"["room:leave",{"roomName":"channel:b"}]"#));
    assert_eq!(s.connection().unwrap().rooms(), [] as [String; 0]);
}

#[test]
fn the_manager_keeps_offline_joins_and_leaves_after_its_deadline() {
    let mut s = session();
    let h = rooms(&mut s, true);
    let t = join(&mut s, h, "channel:a", 0).unwrap();
    let out = drain(&mut s);
    let Ok(Answer::Json(info)) = outcome(&out, t) else {
        panic!("{out:?}")
    };
    assert_eq!(info.get("isJoined").and_then(|v| v.as_bool()), Some(false));
    assert_eq!(
        join(&mut s, h, "general", 0).unwrap_err().code(),
        "invalid_room"
    );
    // The connection sends the kept join with its re-joins.
    s.connect(Some("tok"), 10).unwrap();
    open_until_ready(&mut s, 10);
    let f = frames(&drain(&mut s));
    answer(&mut s, &f, "room:join", ok(), 11);
    let out = drain(&mut s);
    assert!(s.rooms(h).unwrap().is_in_room("channel:a"));
    let seen = events_of(&out, h);
    assert!(
        matches!(&seen[..], [Event::Rooms(RoomsEvent::Joined(_))]),
        "{seen:?}"
    );
    // A listener comes and goes: the room is left 5 s later, on the deadline.
    s.rooms_do(h, RoomsCmd::Listener("channel:a", true), 20)
        .unwrap();
    s.rooms_do(h, RoomsCmd::Leave("channel:a"), 20).unwrap();
    assert!(
        s.rooms(h).unwrap().is_in_room("channel:a"),
        "kept: it has a listener"
    );
    s.rooms_do(h, RoomsCmd::Listener("channel:a", false), 30)
        .unwrap();
    assert_eq!(s.next_deadline(), Some(30 + AUTO_LEAVE_MS));
    s.handle_timeout(29 + AUTO_LEAVE_MS);
    assert!(s.rooms(h).unwrap().room("channel:a").is_some());
    s.handle_timeout(30 + AUTO_LEAVE_MS);
    let out = drain(&mut s);
    assert!(s.rooms(h).unwrap().room("channel:a").is_none());
    assert!(frames(&out).iter().any(|f| f.contains("room:leave")));
    assert_eq!(
        events_of(&out, h),
        [Event::Rooms(RoomsEvent::Left("channel:a".into()))]
    );
}

#[test]
fn the_manager_reports_rooms_back_after_a_reconnect() {
    let mut s = session();
    let h = rooms(&mut s, true);
    connect(&mut s, 10);
    join(&mut s, h, "thread:t1", 11).unwrap();
    let out = drain(&mut s);
    answer(&mut s, &frames(&out), "room:join", ok(), 12);
    drain(&mut s);
    let at = drop_and_reconnect(&mut s, 20);
    assert!(!s.rooms(h).unwrap().is_in_room("thread:t1"));
    s.handle_socket_frame(READY, at);
    let f = frames(&drain(&mut s));
    answer(&mut s, &f, "room:join", ok(), at + 1);
    let seen = events_of(&drain(&mut s), h);
    assert!(
        matches!(&seen[..], [Event::Rooms(RoomsEvent::Joined(_)), Event::Rooms(RoomsEvent::Reconnected(r))] if r == &["thread:t1".to_owned()]),
        "{seen:?}"
    );
}

#[test]
fn send_message_checks_then_answers_the_id() {
    let mut s = session();
    let h = rooms(&mut s, false);
    assert_eq!(
        send(&mut s, h, "channel:a", 0).unwrap_err().code(),
        "not_connected"
    );
    connect(&mut s, 10);
    assert_eq!(
        send(&mut s, h, "channel:a", 11).unwrap_err().message(),
        "Not in room: channel:a"
    );
    join(&mut s, h, "channel:a", 11).unwrap();
    let f = frames(&drain(&mut s));
    answer(&mut s, &f, "room:join", ok(), 12);
    drain(&mut s);
    let t = send(&mut s, h, "channel:a", 13).unwrap();
    let f = frames(&drain(&mut s));
    answer(
        &mut s,
        &f,
        "message:send",
        json!({"success": true, "data": {"id": "m7"}}),
        14,
    );
    let out = drain(&mut s);
    let expected = crate::core::json::json!({"messageId": "m7"});
    assert_eq!(outcome(&out, t), Ok(Answer::Json(expected)));
}
