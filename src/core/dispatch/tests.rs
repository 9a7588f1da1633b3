use super::*;
use serde_json::{json, Value as J};

/// 2023-11-14T22:13:20.000Z
const NOW: Millis = 1_700_000_000_000;
const ISO: &str = "2023-11-14T22:13:20.000Z";

fn core(v: J) -> Value {
    crate::core::json::from_str(&v.to_string()).unwrap()
}

fn plain(v: &Value) -> J {
    serde_json::from_str(&v.to_text()).unwrap()
}

/// The top-level keys of `v` in their order (serde_json sorts them).
fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

/// The keys of the last payload dispatched (kept in `d` for the order checks).
fn last_keys(d: &mut Dispatcher, input: J, kind: usize) -> Vec<String> {
    d.command(Command::Dispatch(kind, core(input)), NOW)
        .unwrap();
    let mut all = d.drain_effects();
    keys(&all.swap_remove(0).payload)
}

fn dispatcher() -> Dispatcher {
    Dispatcher::new(DispatchConfig::default(), 7)
}

/// (event, room, payload) of what came out.
fn out(d: &mut Dispatcher) -> Vec<(String, String, J)> {
    d.drain_effects()
        .into_iter()
        .map(|x| (x.event, x.room, plain(&x.payload)))
        .collect()
}

fn typed(d: &mut Dispatcher, kind: usize, input: J) -> Vec<(String, String, J)> {
    d.command(Command::Dispatch(kind, core(input)), NOW)
        .unwrap();
    out(d)
}

fn is_uuid_v4(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
        && s.chars()
            .filter(|c| *c != '-')
            .all(|c| c.is_ascii_hexdigit())
}

fn user(name: &str) -> J {
    json!({"id": name, "username": name})
}

#[test]
fn a_new_message_goes_to_its_channel_thread_and_mentioned_users() {
    let mut d = dispatcher();
    let content = format!("{}😀tail", "a".repeat(99));
    let sent = typed(
        &mut d,
        0,
        json!({
            "id": "m1", "channelId": "general", "content": content, "threadId": "t1",
            "mentions": ["u2", "u3"], "mentionedChannels": ["c9"], "createdAt": "2023-01-01T00:00:00.000Z",
            "user": {"id": "u1", "username": "alice", "displayName": "Alice"},
            "attachments": [{"id": "a1", "type": "image", "url": "u", "filename": "f"}],
        }),
    );
    let rooms: Vec<_> = sent
        .iter()
        .map(|(e, r, _)| (e.as_str(), r.as_str()))
        .collect();
    assert_eq!(
        rooms,
        [
            ("message:new", "channel:general"),
            ("message:new", "thread:t1"),
            ("notification", "user:u2"),
            ("notification", "user:u3"),
        ]
    );
    let p = &sent[0].2;
    assert_eq!(sent[1].2, *p, "the thread room gets the same payload");
    let input = json!({"id": "m1", "channelId": "general", "content": "x", "threadId": "t1",
        "mentions": ["u2"], "mentionedChannels": ["c9"], "createdAt": "y", "user": user("u1"), "attachments": []});
    assert_eq!(
        last_keys(&mut d, input, 0),
        [
            "meta",
            "id",
            "channelId",
            "user",
            "content",
            "type",
            "threadId",
            "mentionedUserIds",
            "mentionedChannelIds",
            "attachments",
            "createdAt"
        ]
    );
    assert_eq!(p["type"], "text");
    assert_eq!(p["mentionedUserIds"], json!(["u2", "u3"]));
    assert_eq!(
        p["attachments"],
        json!([{"id": "a1", "type": "image", "url": "u", "filename": "f"}])
    );
    assert_eq!(p["meta"]["timestamp"], ISO);
    assert_eq!(p["meta"]["serverVersion"], "0.9.1");
    let id = p["meta"]["eventId"].as_str().unwrap();
    assert!(is_uuid_v4(id), "{id}");
    let n = &sent[2].2;
    assert_eq!(n["type"], "mention");
    assert_eq!(n["title"], "Alice mentioned you");
    // 100 UTF-16 units: the emoji (two units) would be split, so it stops before it.
    assert_eq!(n["body"], "a".repeat(99));
    assert_eq!(
        n["data"],
        json!({"channelId": "general", "messageId": "m1", "threadId": "t1"})
    );
    assert_eq!(n["createdAt"], ISO);
    assert!(is_uuid_v4(n["id"].as_str().unwrap()));
    let ids: Vec<_> = [&sent[2].2["id"], &sent[3].2["id"], &p["meta"]["eventId"]]
        .map(|v| v.as_str().unwrap().to_owned())
        .to_vec();
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
}

#[test]
fn a_mention_title_falls_back_to_the_username_and_no_thread_means_no_thread_room() {
    let mut d = dispatcher();
    let sent = typed(
        &mut d,
        0,
        json!({"id": "m1", "channelId": "dm:7", "content": "hi", "type": "", "mentions": ["u2"],
               "user": {"id": "u1", "username": "alice", "displayName": ""}, "createdAt": "x"}),
    );
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].1, "dm:7", "an id holding a `:` is a room name");
    assert_eq!(sent[0].2["type"], "text");
    assert_eq!(sent[1].2["title"], "alice mentioned you");
    assert_eq!(sent[1].2["body"], "hi");
    assert_eq!(
        sent[1].2["data"],
        json!({"channelId": "dm:7", "messageId": "m1"})
    );
}

#[test]
fn every_kind_builds_nchats_payload_and_rooms() {
    let mut d = Dispatcher::new(
        DispatchConfig {
            server_version: "2.0".into(),
            is_client_side: false,
        },
        1,
    );
    let cases: [(usize, J, &[&str], J); 12] = [
        (
            1,
            json!({"messageId": "m1", "channelId": "c", "content": "x", "editedBy": user("u"), "threadId": "t"}),
            &["channel:c", "thread:t"],
            json!({"id": "m1", "channelId": "c", "content": "x", "editedBy": user("u"), "editedAt": ISO}),
        ),
        (
            2,
            json!({"messageId": "m1", "channelId": "c", "threadId": "t"}),
            &["channel:c", "thread:t"],
            json!({"id": "m1", "channelId": "c", "threadId": "t", "deletedAt": ISO, "hardDelete": false}),
        ),
        (
            3,
            json!({"messageId": "m1", "channelId": "c", "pinnedBy": user("u"), "action": "pin"}),
            &["channel:c"],
            json!({"messageId": "m1", "channelId": "c", "pinnedBy": user("u"), "pinnedAt": ISO, "action": "pin"}),
        ),
        (
            4,
            json!({"messageId": "m1", "channelId": "c", "emoji": "👍", "user": user("u"), "totalCount": 2}),
            &["channel:c"],
            json!({"messageId": "m1", "channelId": "c", "emoji": "👍", "user": user("u"), "totalCount": 2, "createdAt": ISO}),
        ),
        (
            5,
            json!({"messageId": "m1", "channelId": "c", "emoji": "👍", "userId": "u", "remainingCount": 0}),
            &["channel:c"],
            json!({"messageId": "m1", "channelId": "c", "emoji": "👍", "userId": "u", "remainingCount": 0}),
        ),
        (
            6,
            json!({"channelId": "c", "updates": {"name": "n"}, "updatedBy": user("u")}),
            &["channel:c"],
            json!({"channelId": "c", "updates": {"name": "n"}, "updatedBy": user("u"), "updatedAt": ISO}),
        ),
        (
            7,
            json!({"channelId": "c", "channelName": "C", "user": user("u"), "role": "member", "memberCount": 3}),
            &["channel:c"],
            json!({"channelId": "c", "channelName": "C", "user": user("u"), "role": "member", "joinedAt": ISO, "memberCount": 3}),
        ),
        (
            8,
            json!({"channelId": "c", "channelName": "C", "userId": "u", "reason": "kicked", "memberCount": 2}),
            &["channel:c", "user:u"],
            json!({"channelId": "c", "channelName": "C", "userId": "u", "reason": "kicked", "leftAt": ISO, "memberCount": 2}),
        ),
        (
            9,
            json!({"channelId": "c", "userId": "u", "previousRole": "member", "newRole": "admin", "changedBy": user("o")}),
            &["channel:c", "user:u"],
            json!({"channelId": "c", "userId": "u", "previousRole": "member", "newRole": "admin", "changedBy": user("o"), "changedAt": ISO}),
        ),
        (
            10,
            json!({"threadId": "t", "channelId": "c", "parentMessageId": "m", "startedBy": user("u")}),
            &["channel:c"],
            json!({"threadId": "t", "channelId": "c", "parentMessageId": "m", "startedBy": user("u"), "createdAt": ISO}),
        ),
        (
            11,
            json!({"threadId": "t", "channelId": "c", "messageCount": 4, "participantCount": 2, "lastMessageAt": "x", "recentParticipantIds": ["u"]}),
            &["channel:c", "thread:t"],
            json!({"threadId": "t", "channelId": "c", "messageCount": 4, "participantCount": 2, "lastMessageAt": "x", "recentParticipantIds": ["u"]}),
        ),
        (
            12,
            json!({"channelId": "c", "userId": "u", "lastReadMessageId": "m", "unreadCount": 0}),
            &["channel:c"],
            json!({"channelId": "c", "userId": "u", "lastReadMessageId": "m", "readAt": ISO, "unreadCount": 0}),
        ),
    ];
    for (kind, input, rooms, want) in cases {
        let first = last_keys(&mut d, input.clone(), kind).remove(0);
        assert_eq!(first == "meta", kind != 12, "meta first (kind {kind})");
        let sent = typed(&mut d, kind, input);
        let got: Vec<_> = sent.iter().map(|(_, r, _)| r.as_str()).collect();
        assert_eq!(got, rooms, "kind {kind}");
        for (event, _, payload) in &sent {
            assert_eq!(event, KINDS[kind].0);
            let mut p = payload.clone();
            let meta = p.as_object_mut().unwrap().remove("meta");
            assert_eq!(p, want, "kind {kind}");
            match meta {
                None => assert_eq!(kind, 12, "only read receipts have no meta"),
                Some(m) => {
                    assert_eq!(m["serverVersion"], "2.0");
                    assert_eq!(m["timestamp"], ISO);
                }
            }
        }
    }
}

#[test]
fn bad_input_is_refused_and_sends_nothing() {
    let mut d = dispatcher();
    for (kind, input) in [
        (0, json!({"id": "m"})),
        (3, json!({"channelId": ""})),
        (8, json!({"channelId": "c"})),
        (11, json!({"channelId": "c"})),
        (13, json!({"channelId": "c"})),
    ] {
        assert!(d
            .command(Command::Dispatch(kind, core(input)), NOW)
            .is_err());
    }
    assert!(d.drain_effects().is_empty());
}

#[test]
fn rooms_and_users_get_the_payload_as_given() {
    let mut d = dispatcher();
    let rooms = core(json!(["e", ["a", "b"], {"x": 1}]));
    d.command(Command::Dispatch(TO_ROOMS, rooms), NOW).unwrap();
    let users = core(json!(["f", ["u1", "u2"], {"x": 1}]));
    d.command(Command::Dispatch(TO_USERS, users), NOW).unwrap();
    for bad in [json!(["e", "a", 1]), json!([1, ["a"], 1]), json!({"e": 1})] {
        assert!(d
            .command(Command::Dispatch(TO_ROOMS, core(bad)), NOW)
            .is_err());
    }
    assert!(d
        .command(Command::Dispatch(QUEUE, core(json!(["e", ["a"], 1]))), NOW)
        .is_err());
    let rooms: Vec<_> = out(&mut d)
        .into_iter()
        .map(|(e, r, p)| (e, r, p["x"].clone()))
        .collect();
    let want = [("e", "a"), ("e", "b"), ("f", "user:u1"), ("f", "user:u2")];
    assert_eq!(
        rooms,
        want.map(|(e, r)| (e.to_owned(), r.to_owned(), json!(1)))
    );
}

#[test]
fn queued_events_go_out_per_room_at_the_end_of_the_batch_window() {
    let mut d = dispatcher();
    let q = |d: &mut Dispatcher, e: &str, r: &str, n: u64, now: Millis| {
        let cmd = Command::Dispatch(QUEUE, core(json!([e, r, { "n": n }])));
        d.command(cmd, now).unwrap();
    };
    q(&mut d, "a", "r1", 1, NOW);
    q(&mut d, "b", "r2", 2, NOW + 10);
    q(&mut d, "c", "r1", 3, NOW + 40);
    assert_eq!(
        d.next_deadline(),
        Some(NOW + BATCH_MS),
        "from the first event"
    );
    assert!(d.drain_effects().is_empty());
    d.handle_timeout(NOW + BATCH_MS - 1);
    assert!(d.drain_effects().is_empty());
    d.handle_timeout(NOW + BATCH_MS);
    assert_eq!(d.next_deadline(), None);
    assert_eq!(
        out(&mut d),
        [
            (
                "events:batch".into(),
                "r1".into(),
                json!({"events": [{"type": "a", "payload": {"n": 1}}, {"type": "c", "payload": {"n": 3}}]})
            ),
            ("b".into(), "r2".into(), json!({"n": 2})),
        ]
    );
    // A new window starts with the next event.
    q(&mut d, "d", "r1", 4, NOW + 100);
    assert_eq!(d.next_deadline(), Some(NOW + 100 + BATCH_MS));
}

#[test]
fn destroy_drops_the_queued_events_and_initialize_is_a_flag() {
    let mut d = dispatcher();
    let init = |d: &mut Dispatcher| d.command(Command::Initialized, NOW).unwrap();
    assert_eq!(init(&mut d), Some(Value::Bool(false)));
    d.command(Command::Initialize, NOW).unwrap();
    assert_eq!(init(&mut d), Some(Value::Bool(true)));
    d.command(Command::Dispatch(QUEUE, core(json!(["e", "r", null]))), NOW)
        .unwrap();
    d.command(Command::Destroy, NOW).unwrap();
    assert_eq!(init(&mut d), Some(Value::Bool(false)));
    assert_eq!(d.next_deadline(), None);
    d.handle_timeout(NOW + BATCH_MS);
    assert!(d.drain_effects().is_empty());
}
