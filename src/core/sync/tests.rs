use super::*;
use crate::core::json::json;
use crate::core::store::MemoryStore;
use crate::core::test_support::Tagged;
use proptest::prelude::*;

mod own;

const KEY: &str = "nchat:sync-state";

fn open(store: &MemoryStore) -> SyncService {
    SyncService::open(SyncConfig::default(), Box::new(store.clone()), 0)
}

fn label(e: &SyncEffect) -> String {
    match e {
        SyncEffect::Event(SyncEvent::Progress {
            progress, stage, ..
        }) => {
            format!("progress {progress} {}", stage.as_str())
        }
        SyncEffect::Event(ev) => ev.name().to_string(),
        SyncEffect::Request { event, .. } => format!("REQUEST {event}"),
        SyncEffect::FlushQueue { .. } => "FLUSH".to_string(),
        SyncEffect::Answer { value, .. } => format!("ANSWER {}", value.to_text()),
    }
}

fn labels(fx: &[SyncEffect]) -> Vec<String> {
    fx.iter().map(label).collect()
}

fn request(fx: &[SyncEffect]) -> (u64, String, Value) {
    fx.iter()
        .find_map(|e| match e {
            SyncEffect::Request {
                request_id,
                event,
                payload,
                ..
            } => Some((*request_id, event.clone(), payload.clone())),
            _ => None,
        })
        .expect("a request")
}

fn events(fx: &[SyncEffect]) -> Vec<SyncEvent> {
    fx.iter()
        .filter_map(|e| match e {
            SyncEffect::Event(ev) => Some(ev.clone()),
            _ => None,
        })
        .collect()
}

fn ok(data: Value) -> Result<Value, String> {
    Ok(json!({"success": true, "data": data}))
}

fn msg(id: &str, content: &str, timestamp: u64) -> Value {
    json!({"id": id, "clientMessageId": format!("c-{id}"), "roomName": "channel:x", "userId": "u9", "content": content, "timestamp": timestamp})
}

fn completed(fx: &[SyncEffect]) -> Option<(u64, SyncResult)> {
    events(fx).into_iter().find_map(|e| match e {
        SyncEvent::Completed { sync_id, result } => Some((sync_id, result)),
        _ => None,
    })
}

#[test]
fn reconnect_runs_the_steps_in_order_with_progress_and_the_result_shape() {
    let store = MemoryStore::new();
    store.put_raw(
        KEY,
        r#"{"version":1,"lastSyncAt":400,"channels":{"ch-1":500}}"#,
    );
    let mut s = open(&store);
    assert!(s.drain_effects().is_empty());
    assert_eq!(s.channel_sync_timestamp("ch-1"), Some(500));

    let users = vec!["u1".to_string(), "u2".to_string(), "u1".to_string()];
    let sync_id = s.sync_on_reconnect(&users, 1_000);
    let fx = s.drain_effects();
    assert_eq!(labels(&fx), ["sync:started", "progress 10 queue", "FLUSH"]);
    assert_eq!(fx[2], SyncEffect::FlushQueue { sync_id });
    assert!(s.is_syncing());

    assert!(s.on_queue_flushed(2, 1, 1_100));
    let fx = s.drain_effects();
    assert_eq!(
        labels(&fx),
        ["progress 30 channels", "REQUEST sync:channels"]
    );
    let (id, _, payload) = request(&fx);
    assert_eq!(payload, json!({}));
    assert_eq!(id >> 48, 3);

    s.on_response(
        id,
        ok(json!({"channels": [
            {"roomName": "channel:ch-1", "members": ["u1", "u2"], "lastMessageAt": 1_500},
            {"roomName": "channel:ch-2", "members": 3},
            {"roomName": 42}
        ], "serverTime": 1_200})),
        1_200,
    )
    .unwrap();
    let fx = s.drain_effects();
    assert_eq!(
        labels(&fx),
        [
            "sync:channels",
            "progress 40 messages",
            "REQUEST sync:messages"
        ]
    );
    let SyncEvent::Channels { channels, .. } = &events(&fx)[0] else {
        panic!()
    };
    assert_eq!(channels.len(), 2);
    assert_eq!(channels[0].channel_id, "ch-1");
    assert_eq!(channels[0].last_message_at, Some(1_500));
    let (id, _, payload) = request(&fx);
    assert_eq!(
        payload,
        json!({"roomName": "channel:ch-1", "since": 500, "limit": 50})
    );

    s.on_response(
        id,
        ok(json!({"messages": [msg("m1", "a", 600), msg("m2", "b", 700)], "serverTime": 2_000})),
        1_300,
    )
    .unwrap();
    let fx = s.drain_effects();
    assert_eq!(
        labels(&fx),
        [
            "sync:messages",
            "progress 65 messages",
            "REQUEST sync:messages"
        ]
    );
    let SyncEvent::Messages {
        sync_id: sid,
        channel_id,
        messages,
        conflicts,
        ..
    } = &events(&fx)[0]
    else {
        panic!()
    };
    assert_eq!((*sid, channel_id.as_str()), (Some(sync_id), "ch-1"));
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].client_message_id.as_deref(), Some("c-m1"));
    assert!(conflicts.is_empty());
    let (id, _, payload) = request(&fx);
    assert_eq!(
        payload,
        json!({"roomName": "channel:ch-2", "since": 0, "limit": 50})
    );
    assert_eq!(s.channel_sync_timestamp("ch-1"), Some(2_000));

    s.on_response(
        id,
        ok(json!({"messages": [msg("m3", "c", 800)], "serverTime": 2_100})),
        1_400,
    )
    .unwrap();
    let fx = s.drain_effects();
    assert_eq!(
        labels(&fx),
        [
            "sync:messages",
            "progress 90 messages",
            "progress 95 presence",
            "REQUEST presence:subscribe"
        ]
    );
    let (id, _, payload) = request(&fx);
    assert_eq!(payload, json!({"userIds": ["u1", "u2"]}));

    s.on_response(id, ok(json!({"presences": []})), 1_500)
        .unwrap();
    let fx = s.drain_effects();
    assert_eq!(
        labels(&fx),
        ["sync:presence", "progress 100 completed", "sync:completed"]
    );
    let (done_id, result) = completed(&fx).unwrap();
    assert_eq!(done_id, sync_id);
    assert_eq!(
        crate::core::json::ToJson::to_json(&result),
        json!({
            "messages": {"synced": 3, "conflicts": 0, "errors": 0},
            "channels": {"synced": 2, "errors": 1},
            "presence": {"synced": 2},
            "queueFlushed": {"sent": 2, "failed": 1},
            "timestamp": 1_000,
            "duration": 500
        })
    );
    assert!(!s.is_syncing());
    assert_eq!(s.next_deadline(), None);
    assert_eq!(s.last_sync_timestamp(), Some(1_500));

    // Persisted: a new instance continues from the stored times.
    let mut again = open(&store);
    assert_eq!(again.channel_sync_timestamp("ch-1"), Some(2_000));
    assert_eq!(again.channel_sync_timestamp("ch-2"), Some(2_100));
    assert_eq!(again.last_sync_timestamp(), Some(1_500));
    let rid = again.sync_messages("ch-2", None, 3_000).unwrap();
    let fx = again.drain_effects();
    assert_eq!(
        fx,
        [SyncEffect::Request {
            request_id: rid,
            event: "sync:messages".into(),
            payload: json!({"roomName": "channel:ch-2", "since": 2_100, "limit": 50}),
            timeout_ms: 30_000,
        }]
    );
}

#[test]
fn a_second_call_joins_the_running_sync() {
    let mut s = open(&MemoryStore::new());
    assert_eq!(s.sync_status(), "idle");
    let a = s.sync_on_reconnect(&[], 0);
    assert_eq!(s.sync_status(), "syncing");
    s.drain_effects();
    assert_eq!(s.sync_on_reconnect(&["u".into()], 5), a);
    assert!(s.drain_effects().is_empty());
    assert_eq!(s.current_sync_id(), Some(a));
    // Without presence ids the presence step is skipped.
    s.on_queue_flushed(0, 0, 1);
    let (id, _, _) = request(&s.drain_effects());
    s.on_response(id, ok(json!({"channels": []})), 2).unwrap();
    let fx = s.drain_effects();
    assert_eq!(
        labels(&fx),
        [
            "sync:channels",
            "progress 40 messages",
            "progress 95 presence",
            "progress 100 completed",
            "sync:completed"
        ]
    );
    assert_eq!(s.sync_status(), "completed");
    assert!(!s.on_queue_flushed(1, 1, 3), "nobody waits for it");
    let b = s.sync_on_reconnect(&[], 10);
    assert_ne!(a, b);
    assert_eq!(s.sync_status(), "syncing");
    assert_eq!(
        open(&MemoryStore::new()).sync_status(),
        "idle",
        "per service, not stored"
    );
}

#[test]
fn failing_steps_are_counted_and_the_sequence_continues() {
    let store = MemoryStore::new();
    store.put_raw(KEY, r#"{"version":1,"channels":{"known":100}}"#);
    let mut s = open(&store);
    s.sync_on_reconnect(&["u1".into()], 0);
    s.drain_effects();
    // The queue flush never reports: timed out.
    assert_eq!(s.next_deadline(), Some(120_000));
    s.handle_timeout(119_999);
    assert!(s.drain_effects().is_empty());
    s.handle_timeout(120_000);
    let fx = s.drain_effects();
    assert_eq!(
        labels(&fx),
        [
            "sync:error",
            "progress 30 channels",
            "REQUEST sync:channels"
        ]
    );
    let (id, _, _) = request(&fx);
    // Channels fail: fall back to the channels known from earlier syncs.
    s.on_response(id, Err("disconnected".into()), 120_100)
        .unwrap();
    let fx = s.drain_effects();
    assert_eq!(
        labels(&fx),
        [
            "sync:error",
            "progress 40 messages",
            "REQUEST sync:messages"
        ]
    );
    let json = events(&fx)[0].tagged();
    assert_eq!(json["data"]["stage"], "channels");
    let (id, _, payload) = request(&fx);
    assert_eq!(
        payload,
        json!({"roomName": "channel:known", "since": 100, "limit": 50})
    );
    // Messages rejected.
    s.on_response(
        id,
        Ok(json!({"success": false, "error": {"code": "FORBIDDEN", "message": "not a member"}})),
        120_200,
    )
    .unwrap();
    let fx = s.drain_effects();
    assert_eq!(
        labels(&fx),
        [
            "sync:error",
            "progress 90 messages",
            "progress 95 presence",
            "REQUEST presence:subscribe"
        ]
    );
    let json = events(&fx)[0].tagged();
    assert_eq!(json["data"]["channelId"], "known");
    assert!(json["data"]["message"]
        .as_str()
        .unwrap()
        .contains("not a member"));
    // Presence times out.
    let deadline = s.next_deadline().unwrap();
    assert_eq!(deadline, 120_200 + 30_000);
    s.handle_timeout(deadline);
    let fx = s.drain_effects();
    assert_eq!(
        labels(&fx),
        ["sync:error", "progress 100 completed", "sync:completed"]
    );
    let (_, result) = completed(&fx).unwrap();
    assert_eq!(
        result.channels,
        ChannelCounts {
            synced: 0,
            errors: 1
        }
    );
    assert_eq!(
        result.messages,
        MessageCounts {
            synced: 0,
            conflicts: 0,
            errors: 1
        }
    );
    assert_eq!(result.presence.synced, 0);
    assert_eq!(result.queue_flushed, QueueFlushCounts::default());
    assert_eq!(s.channel_sync_timestamp("known"), Some(100), "unchanged");
    // A late answer is refused.
    assert!(matches!(
        s.on_response(1, Ok(json!({})), 0),
        Err(SyncError::UnknownRequest(1))
    ));
}

#[test]
fn conflicts_last_write_wins_but_server_edits_win() {
    let mut s = open(&MemoryStore::new());
    for (id, content, edited_at) in [
        ("m1", "local edit", Some(5_000)),
        ("m2", "mine", Some(9_000)),
        ("m3", "x", Some(9_999)),
        ("m4", "same", None),
        ("m5", "never edited here", None),
    ] {
        s.record_local_message(LocalMessage {
            id: id.into(),
            content: content.into(),
            edited_at,
        })
        .unwrap();
    }
    let rid = s.sync_messages("ch", None, 10_000).unwrap();
    let mut m1 = msg("m1", "server edit", 100);
    m1["editedAt"] = json!(6_000);
    let mut m2 = msg("m2", "theirs", 100);
    m2["editedAt"] = json!("1970-01-01T00:00:08Z");
    let mut m3 = msg("m3", "moderated", 100);
    m3["editedAt"] = json!(1_000);
    m3["editedBy"] = json!("server");
    let m4 = msg("m4", "same", 100);
    let m5 = msg("m5", "server text", 100);
    s.on_response(
        rid,
        ok(json!({"messages": [m1, m2, m3, m4, m5, {"id": "bad"}], "serverTime": 10_500})),
        10_100,
    )
    .unwrap();
    let fx = s.drain_effects();
    let evs = events(&fx);
    let resolutions: Vec<(String, Resolution)> = evs
        .iter()
        .filter_map(|e| match e {
            SyncEvent::Conflict {
                message_id,
                resolution,
                ..
            } => Some((message_id.clone(), *resolution)),
            _ => None,
        })
        .collect();
    assert_eq!(
        resolutions,
        [
            ("m1".to_string(), Resolution::Server),
            ("m2".into(), Resolution::Local),
            ("m3".into(), Resolution::Server),
            ("m5".into(), Resolution::Server),
        ]
    );
    let conflict_json = evs[0].tagged();
    assert_eq!(
        conflict_json,
        json!({"event": "sync:conflict", "data": {
            "syncId": null, "messageId": "m1", "channelId": "ch",
            "local": {"content": "local edit", "editedAt": 5_000, "editedBy": null},
            "server": {"content": "server edit", "editedAt": 6_000, "editedBy": null},
            "resolution": "server"
        }})
    );
    let Some(SyncEvent::Messages {
        sync_id,
        request_id,
        messages,
        conflicts,
        ..
    }) = evs.last()
    else {
        panic!()
    };
    assert_eq!((*sync_id, *request_id), (None, rid));
    let ids: Vec<&str> = messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        ["m1", "m3", "m4", "m5"],
        "the losing server version is left out"
    );
    assert_eq!(conflicts.len(), 4);
    assert_eq!(s.local_message("m1").unwrap().content, "server edit");
    assert_eq!(s.local_message("m2").unwrap().content, "mine");
    assert_eq!(s.channel_sync_timestamp("ch"), Some(10_500));
    // The next sync of the same data finds no conflict for m1 any more.
    let rid = s.sync_messages("ch", None, 11_000).unwrap();
    let mut m1 = msg("m1", "server edit", 100);
    m1["editedAt"] = json!(6_000);
    s.on_response(rid, ok(json!({"messages": [m1]})), 11_100)
        .unwrap();
    assert!(events(&s.drain_effects())
        .iter()
        .all(|e| !matches!(e, SyncEvent::Conflict { .. })));
    // Without serverTime the newest message time is used (never going back).
    assert_eq!(s.channel_sync_timestamp("ch"), Some(10_500));
}

#[test]
fn conflicts_are_counted_in_a_reconnect_sync() {
    let mut s = open(&MemoryStore::new());
    s.record_local_message(LocalMessage {
        id: "m1".into(),
        content: "old".into(),
        edited_at: None,
    })
    .unwrap();
    s.sync_on_reconnect(&[], 0);
    s.on_queue_flushed(0, 0, 0);
    let (id, _, _) = request(&s.drain_effects());
    s.on_response(id, ok(json!({"channels": [{"roomName": "channel:a"}]})), 1)
        .unwrap();
    let (id, _, _) = request(&s.drain_effects());
    s.on_response(
        id,
        ok(json!({"messages": [msg("m1", "new", 5), msg("m2", "x", 6), {"id": 1}]})),
        2,
    )
    .unwrap();
    let fx = s.drain_effects();
    let (_, result) = completed(&fx).unwrap();
    assert_eq!(
        result.messages,
        MessageCounts {
            synced: 2,
            conflicts: 1,
            errors: 1
        }
    );
    assert_eq!(s.channel_sync_timestamp("a"), Some(6));
}

#[test]
fn manual_sync_errors_and_validation() {
    let mut s = open(&MemoryStore::new());
    assert!(matches!(
        s.sync_messages(" ", None, 0),
        Err(SyncError::InvalidArgument(_))
    ));
    let rid = s.sync_messages("dm:7", None, 0).unwrap();
    let fx = s.drain_effects();
    assert_eq!(
        request(&fx).2,
        json!({"roomName": "dm:7", "since": 0, "limit": 50})
    );
    s.on_response(rid, ok(json!({"nothing": true})), 1).unwrap();
    let evs = events(&s.drain_effects());
    assert!(matches!(
        &evs[..],
        [SyncEvent::Error { request_id: Some(r), stage: SyncStage::Messages, .. }] if *r == rid
    ));
    assert!(s
        .record_local_message(LocalMessage {
            id: "".into(),
            content: "x".into(),
            edited_at: None
        })
        .is_err());
}

#[test]
fn storage_failures_are_reported_once_and_times_kept_in_memory() {
    let store = MemoryStore::new();
    store.put_raw(KEY, "{{{ not json");
    let mut s = open(&store);
    let evs = events(&s.drain_effects());
    assert!(matches!(
        &evs[..],
        [SyncEvent::Error {
            stage: SyncStage::Storage,
            ..
        }]
    ));
    store.set_failure(Some(StoreError::QuotaExceeded));
    for i in 0..3 {
        let rid = s.sync_messages("c", None, i).unwrap();
        s.on_response(rid, ok(json!({"messages": [], "serverTime": 100 + i})), i)
            .unwrap();
    }
    let errors = events(&s.drain_effects())
        .into_iter()
        .filter(|e| matches!(e, SyncEvent::Error { .. }))
        .count();
    assert_eq!(errors, 1);
    assert_eq!(s.channel_sync_timestamp("c"), Some(102));
    store.set_failure(None);
    let rid = s.sync_messages("c", None, 5).unwrap();
    s.on_response(rid, ok(json!({"messages": [], "serverTime": 200})), 5)
        .unwrap();
    assert_eq!(open(&store).channel_sync_timestamp("c"), Some(200));
}

#[test]
fn timestamps_merge_across_tabs() {
    let store = MemoryStore::new();
    let mut a = open(&store);
    let mut b = open(&store);
    let r = a.sync_messages("x", None, 0).unwrap();
    a.on_response(r, ok(json!({"messages": [], "serverTime": 300})), 0)
        .unwrap();
    let r = b.sync_messages("y", None, 0).unwrap();
    b.on_response(r, ok(json!({"messages": [], "serverTime": 200})), 0)
        .unwrap();
    // B's write kept A's channel.
    let c = open(&store);
    assert_eq!(c.channel_sync_timestamp("x"), Some(300));
    assert_eq!(c.channel_sync_timestamp("y"), Some(200));
    a.reload_from_store(1);
    assert_eq!(a.channel_sync_timestamp("y"), Some(200));
}

#[test]
fn server_dates_are_iso_strings_or_numbers_and_out_of_range_ones_are_refused() {
    let mut s = open(&MemoryStore::new());
    let rid = s.sync_messages("c", None, 0).unwrap();
    let fx = s.drain_effects();
    assert_eq!(
        request(&fx).2,
        json!({"roomName": "channel:c", "since": 0, "limit": 50})
    );
    s.on_response(
        rid,
        ok(json!({
            "messages": [
                {"id": "m1", "content": "a", "timestamp": "2024-02-03T16:20:00.000Z"},
                {"id": "m2", "content": "b", "timestamp": 1_706_977_201_000u64,
                 "editedAt": "2024-02-03T17:20:02.000+01:00"},
                {"id": "m3", "content": "c", "timestamp": u64::MAX},
                {"id": "m4", "content": "d", "timestamp": 1e300},
                {"id": "m5", "content": "e", "timestamp": "+275760-09-13T00:00:00.001Z"}
            ],
            "serverTime": "2024-02-03T16:20:05.500Z"
        })),
        1,
    )
    .unwrap();
    let evs = events(&s.drain_effects());
    let Some(SyncEvent::Messages { messages, .. }) =
        evs.iter().find(|e| matches!(e, SyncEvent::Messages { .. }))
    else {
        panic!("no messages event: {evs:?}");
    };
    let got: Vec<(&str, Millis, Option<Millis>)> = messages
        .iter()
        .map(|m| (m.id.as_str(), m.timestamp, m.edited_at))
        .collect();
    assert_eq!(
        got,
        [
            ("m1", 1_706_977_200_000, None),
            ("m2", 1_706_977_201_000, Some(1_706_977_202_000)),
        ],
        "out-of-range timestamps are malformed messages"
    );
    assert_eq!(s.channel_sync_timestamp("c"), Some(1_706_977_205_500));
    // The next request asks from that instant on.
    s.sync_messages("c", None, 2).unwrap();
    assert_eq!(
        request(&s.drain_effects()).2,
        json!({"roomName": "channel:c", "since": 1_706_977_205_500u64, "limit": 50})
    );
    // A serverTime out of range is ignored (the newest message time is used).
    let rid = s.sync_messages("d", None, 3).unwrap();
    s.on_response(
        rid,
        ok(json!({"messages": [msg("m9", "x", 42)], "serverTime": u64::MAX})),
        3,
    )
    .unwrap();
    assert_eq!(s.channel_sync_timestamp("d"), Some(42));
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(|n| json!(n)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,10}".prop_map(Value::String),
        Just(json!("2024-01-01T00:00:00Z")),
        Just(json!("channel:a")),
        Just(json!("server")),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("success".to_string()),
                        Just("data".to_string()),
                        Just("channels".to_string()),
                        Just("messages".to_string()),
                        Just("roomName".to_string()),
                        Just("channelId".to_string()),
                        Just("id".to_string()),
                        Just("content".to_string()),
                        Just("timestamp".to_string()),
                        Just("editedAt".to_string()),
                        Just("editedBy".to_string()),
                        Just("serverTime".to_string()),
                        Just("version".to_string()),
                        Just("lastSyncAt".to_string()),
                        "[a-z]{1,6}"
                    ],
                    inner
                ),
                0..8
            )
            .prop_map(|v| Value::Object(v.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_stored_state_never_panics(text in ".{0,200}", v in arb_json()) {
        for raw in [text, v.to_string()] {
            let store = MemoryStore::new();
            store.put_raw(KEY, &raw);
            let mut s = open(&store);
            let r = s.sync_messages("c", None, 0).unwrap();
            s.on_response(r, ok(json!({"messages": []})), 1).unwrap();
        }
    }

    #[test]
    fn arbitrary_answers_never_panic_and_the_sync_always_completes(
        answers in prop::collection::vec((arb_json(), any::<bool>(), any::<bool>()), 1..8)
    ) {
        let store = MemoryStore::new();
        store.put_raw(KEY, r#"{"version":1,"channels":{"a":1,"b":2}}"#);
        let mut s = open(&store);
        s.record_local_message(LocalMessage { id: "x".into(), content: "l".into(), edited_at: Some(5) }).unwrap();
        let id = s.sync_on_reconnect(&["u".into()], 0);
        s.on_queue_flushed(1, 0, 0);
        let mut now = 0;
        let mut done = false;
        for step in 0..64 {
            let fx = s.drain_effects();
            if completed(&fx).is_some() {
                done = true;
                break;
            }
            let Some((rid, _, _)) = fx.iter().find_map(|e| match e {
                SyncEffect::Request { request_id, event, payload, .. } => Some((*request_id, event.clone(), payload.clone())),
                _ => None,
            }) else { break };
            now += 10;
            let (v, wrap, success) = answers[step % answers.len()].clone();
            let answer = if wrap { json!({"success": success, "data": v}) } else { v };
            s.on_response(rid, Ok(answer), now).unwrap();
        }
        prop_assert!(done, "sync {} did not complete", id);
        prop_assert!(!s.is_syncing());
    }
}

#[test]
fn sync_times_of_an_earlier_build_and_of_nchat_are_read() {
    // nchat's own document under its key.
    let store = MemoryStore::new();
    store.put_raw(
        KEY,
        r#"{"lastSyncTimestamp":1700000000000,"channelSyncTimestamps":{"general":1700000000500}}"#,
    );
    let s = open(&store);
    assert_eq!(s.last_sync_timestamp(), Some(1_700_000_000_000));
    assert_eq!(s.channel_sync_timestamp("general"), Some(1_700_000_000_500));
    // An earlier build's key: merged once (later times win), then removed.
    let store = MemoryStore::new();
    store.put_raw(
        "chat-realtime:sync",
        r#"{"version":1,"lastSyncAt":1700000000900,"channels":{"general":1700000000100,"team":1700000000200}}"#,
    );
    store.put_raw(
        KEY,
        r#"{"lastSyncTimestamp":null,"channelSyncTimestamps":{"general":1700000000500}}"#,
    );
    let s = open(&store);
    assert_eq!(s.last_sync_timestamp(), Some(1_700_000_000_900));
    assert_eq!(s.channel_sync_timestamp("general"), Some(1_700_000_000_500));
    assert_eq!(s.channel_sync_timestamp("team"), Some(1_700_000_000_200));
    assert_eq!(store.raw("chat-realtime:sync"), None);
    let saved = store.raw(KEY).unwrap();
    assert!(
        saved.contains("1700000000200") && saved.contains("1700000000900"),
        "{saved}"
    );
}

#[test]
fn an_explicit_since_overrides_the_channels_time_and_the_limit_is_the_config() {
    let config = SyncConfig {
        max_messages_per_channel: 7,
        ..SyncConfig::default()
    };
    let mut s = SyncService::open(config, Box::new(MemoryStore::new()), 0);
    let rid = s.sync_messages("c", None, 0).unwrap();
    assert_eq!(
        request(&s.drain_effects()).2,
        json!({"roomName": "channel:c", "since": 0, "limit": 7})
    );
    s.on_response(rid, ok(json!({"messages": [], "serverTime": 5_000})), 1)
        .unwrap();
    s.drain_effects();
    s.sync_messages("c", Some(1_234), 2).unwrap();
    assert_eq!(
        request(&s.drain_effects()).2,
        json!({"roomName": "channel:c", "since": 1_234, "limit": 7})
    );
    // Without one: the channel's own time, which the explicit one did not change.
    s.sync_messages("c", None, 3).unwrap();
    assert_eq!(
        request(&s.drain_effects()).2,
        json!({"roomName": "channel:c", "since": 5_000, "limit": 7})
    );
}
