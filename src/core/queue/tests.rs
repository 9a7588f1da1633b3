use super::*;
use crate::core::store::MemoryStore;
use proptest::prelude::*;
use serde_json::json;

const KEY: &str = "chat-realtime:queue";
const QKEY: &str = "chat-realtime:queue:quarantine";

fn open_with(store: &MemoryStore, config: QueueConfig, seed: u64) -> OfflineQueueService {
    OfflineQueueService::open(config, Box::new(store.clone()), seed, 0)
}

fn open(store: &MemoryStore) -> OfflineQueueService {
    open_with(store, QueueConfig::default(), 7)
}

fn events(fx: &[QueueEffect]) -> Vec<QueueEvent> {
    fx.iter()
        .filter_map(|e| match e {
            QueueEffect::Event(ev) => Some(ev.clone()),
            _ => None,
        })
        .collect()
}

fn names(fx: &[QueueEffect]) -> Vec<&'static str> {
    fx.iter()
        .map(|e| match e {
            QueueEffect::Event(ev) => ev.name(),
            QueueEffect::Request { .. } => "REQUEST",
            QueueEffect::AcquireFlushLock { .. } => "ACQUIRE",
            QueueEffect::ReleaseFlushLock { .. } => "RELEASE",
        })
        .collect()
}

fn requests(fx: &[QueueEffect]) -> Vec<(u64, Value)> {
    fx.iter()
        .filter_map(|e| match e {
            QueueEffect::Request {
                request_id,
                event,
                payload,
                ..
            } => {
                assert_eq!(event, "message:send");
                Some((*request_id, payload.clone()))
            }
            _ => None,
        })
        .collect()
}

fn ok_ack(payload: &Value, id: &str) -> Result<Value, String> {
    Ok(json!({"success": true, "data": {
        "id": id,
        "clientMessageId": payload["clientMessageId"],
        "roomName": payload["roomName"],
        "timestamp": 1_000,
        "duplicate": false
    }}))
}

fn stored(store: &MemoryStore) -> Value {
    serde_json::from_str(&store.raw(KEY).expect("queue document")).unwrap()
}

fn stored_contents(store: &MemoryStore) -> Vec<String> {
    stored(store)["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect()
}

fn queue(q: &mut OfflineQueueService, content: &str, now: Millis) -> QueuedMessage {
    q.queue_message(NewMessage::text("ch-1", content), now)
        .unwrap()
}

#[test]
fn queued_offline_then_sent_in_order_one_at_a_time() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    let a = queue(&mut q, "a", 1);
    queue(&mut q, "b", 2);
    let mut reply = NewMessage::text("ch-1", "c");
    reply.thread_id = Some("t1".into());
    reply.mentions = vec!["u1".into(), "".into(), "u1".into()];
    queue_msg(&mut q, reply, 3);
    let fx = q.drain_effects();
    assert_eq!(names(&fx), ["message:queued"; 3]);
    assert_eq!(stored_contents(&store), ["a", "b", "c"]);
    assert_eq!(q.next_deadline(), None);

    q.on_connected(10);
    let fx = q.drain_effects();
    assert_eq!(names(&fx), ["queue:flushing", "REQUEST"]);
    assert!(matches!(
        events(&fx)[0],
        QueueEvent::Flushing { count: 3, .. }
    ));
    let reqs = requests(&fx);
    assert_eq!(
        reqs[0].1,
        json!({"roomName": "channel:ch-1", "content": "a", "clientMessageId": a.client_message_id, "type": "text"})
    );
    assert_eq!(reqs[0].0 >> 48, 2);
    // Only one in flight: queueing more does not send more.
    assert_eq!(q.next_deadline(), Some(10_010));

    let mut sent = Vec::new();
    let mut next = reqs[0].clone();
    for (i, now) in [(1, 20), (2, 30), (3, 40)] {
        q.on_response(next.0, ok_ack(&next.1, &format!("srv-{i}")), now)
            .unwrap();
        let fx = q.drain_effects();
        for ev in events(&fx) {
            if let QueueEvent::Sent {
                message,
                message_id,
                timestamp,
                ..
            } = ev
            {
                assert_eq!(timestamp, Some(1_000));
                sent.push((message.content, message_id));
            }
        }
        if let Some(r) = requests(&fx).first() {
            next = r.clone();
        }
        if i == 2 {
            assert_eq!(
                next.1,
                json!({"roomName": "channel:ch-1", "content": "c", "clientMessageId": next.1["clientMessageId"],
                       "type": "text", "threadId": "t1", "mentions": ["u1"]})
            );
        }
        if i == 3 {
            assert_eq!(names(&fx), ["message:sent", "queue:flushed"]);
            assert!(matches!(
                events(&fx)[1],
                QueueEvent::Flushed {
                    sent: 3,
                    failed: 0,
                    ..
                }
            ));
        }
    }
    assert_eq!(
        sent,
        [
            ("a".to_string(), "srv-1".to_string()),
            ("b".into(), "srv-2".into()),
            ("c".into(), "srv-3".into())
        ]
    );
    assert_eq!(q.get_queue_length(), 0);
    assert!(stored_contents(&store).is_empty());
    assert_eq!(q.next_deadline(), None);
    assert!(!q.is_flushing());
}

fn queue_msg(q: &mut OfflineQueueService, m: NewMessage, now: Millis) -> QueuedMessage {
    q.queue_message(m, now).unwrap()
}

#[test]
fn removed_from_store_only_after_a_successful_ack() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    q.on_connected(0);
    queue(&mut q, "hello", 1);
    let (id, payload) = requests(&q.drain_effects())[0].clone();
    assert_eq!(stored(&store)["messages"][0]["status"], "sending");
    q.on_response(id, Err("transport closed".into()), 2)
        .unwrap();
    assert_eq!(q.get_queue_length(), 1);
    assert_eq!(stored_contents(&store), ["hello"]);
    let m = q.get_queued_messages().remove(0);
    assert_eq!(m.status, QueuedStatus::Queued);
    assert_eq!(m.retry_count, 1);
    assert_eq!(
        m.last_error.as_deref(),
        Some("request failed: transport closed")
    );
    // Rejected ack: still kept.
    q.handle_timeout(q.next_deadline().unwrap());
    let (id2, payload2) = requests(&q.drain_effects())[0].clone();
    assert_eq!(payload2["clientMessageId"], payload["clientMessageId"]);
    q.on_response(
        id2,
        Ok(json!({"success": false, "error": {"code": "RATE_LIMITED", "message": "slow down"}})),
        3,
    )
    .unwrap();
    assert_eq!(stored_contents(&store), ["hello"]);
    assert!(q.get_queued_messages()[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("slow down"));
}

#[test]
fn ids_are_unique_and_the_client_id_is_reused_on_every_attempt() {
    let store = MemoryStore::new();
    let config = QueueConfig {
        max_messages: 500,
        max_bytes: usize::MAX,
        ..QueueConfig::default()
    };
    let mut q = open_with(&store, config, 1);
    let mut ids = BTreeSet::new();
    let mut cids = BTreeSet::new();
    for i in 0..300 {
        let m = queue(&mut q, &format!("m{i}"), 5);
        assert!(ids.insert(m.id));
        assert!(cids.insert(m.client_message_id));
    }
    // A chosen client id is used as is, and cannot be queued twice.
    let mut m = NewMessage::text("ch-1", "x");
    m.client_message_id = Some("cid-app-1".into());
    assert_eq!(
        q.queue_message(m.clone(), 6).unwrap().client_message_id,
        "cid-app-1"
    );
    assert_eq!(
        q.queue_message(m, 7),
        Err(QueueError::Duplicate("cid-app-1".into()))
    );
    // Another tab (another seed) at the same instant gets other ids.
    let mut other = open_with(&MemoryStore::new(), QueueConfig::default(), 2);
    let o = queue(&mut other, "m0", 5);
    assert!(!ids.contains(&o.id) && !cids.contains(&o.client_message_id));
}

/// Drives one message through every failure; returns the send instants.
fn fail_every_attempt(seed: u64) -> (Vec<Millis>, OfflineQueueService, Vec<QueueEffect>) {
    let store = MemoryStore::new();
    let mut q = open_with(&store, QueueConfig::default(), seed);
    q.on_connected(0);
    queue(&mut q, "doomed", 0);
    let mut now = 0;
    let mut times = Vec::new();
    let mut all = Vec::new();
    loop {
        let fx = q.drain_effects();
        let reqs = requests(&fx);
        all.extend(fx);
        let Some((id, _)) = reqs.first().cloned() else {
            break;
        };
        times.push(now);
        q.on_response(id, Err("timeout".into()), now).unwrap();
        match q.next_deadline() {
            Some(d) => {
                assert!(d > now);
                q.handle_timeout(d - 1);
                assert!(
                    requests(&q.drain_effects()).is_empty(),
                    "sent before the delay"
                );
                now = d;
                q.handle_timeout(now);
            }
            None => {
                all.extend(q.drain_effects());
                break;
            }
        }
    }
    (times, q, all)
}

#[test]
fn retries_back_off_1_2_4_8_16_s_with_seeded_jitter_then_fail_and_keep() {
    let (times, q, fx) = fail_every_attempt(42);
    assert_eq!(times.len(), 6, "first attempt + 5 retries");
    let gaps: Vec<Millis> = times.windows(2).map(|w| w[1] - w[0]).collect();
    for (k, gap) in gaps.iter().enumerate() {
        let base = 1_000u64 << k;
        assert!(*gap >= base && *gap <= base + base / 10, "retry {k}: {gap}");
    }
    // Same seed, same delays; another seed, other jitter.
    let (again, _, _) = fail_every_attempt(42);
    assert_eq!(times, again);
    let (other, _, _) = fail_every_attempt(43);
    assert_ne!(times, other);
    // Failed, kept for manual retry, reported.
    let m = q.get_queued_messages().remove(0);
    assert_eq!(m.status, QueuedStatus::Failed);
    assert_eq!(m.retry_count, 6);
    let evs = events(&fx);
    let failed: Vec<_> = evs
        .iter()
        .filter(|e| matches!(e, QueueEvent::Failed { .. }))
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(matches!(
        evs.last(),
        Some(QueueEvent::Flushed {
            sent: 0,
            failed: 1,
            ..
        })
    ));
    assert_eq!(q.next_deadline(), None);
}

#[test]
fn a_silent_server_times_out_and_counts_as_an_attempt() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    q.on_connected(0);
    queue(&mut q, "x", 0);
    q.drain_effects();
    assert_eq!(q.next_deadline(), Some(10_000));
    q.handle_timeout(10_000);
    let m = q.get_queued_messages().remove(0);
    assert_eq!(m.retry_count, 1);
    assert!(m.last_error.unwrap().contains("10000 ms"));
    let d = q.next_deadline().unwrap();
    assert!((11_000..=11_100).contains(&d));
}

#[test]
fn a_failed_message_does_not_block_later_ones_and_can_be_retried() {
    let store = MemoryStore::new();
    let config = QueueConfig {
        max_retries: 0,
        ..QueueConfig::default()
    };
    let mut q = open_with(&store, config, 3);
    let a = queue(&mut q, "a", 0);
    queue(&mut q, "b", 1);
    q.on_connected(2);
    let (id, _) = requests(&q.drain_effects())[0].clone();
    q.on_response(id, Err("boom".into()), 3).unwrap();
    let fx = q.drain_effects();
    assert_eq!(names(&fx), ["message:failed", "REQUEST"]);
    let (id, p) = requests(&fx)[0].clone();
    assert_eq!(p["content"], "b");
    q.on_response(id, ok_ack(&p, "s-b"), 4).unwrap();
    let fx = q.drain_effects();
    assert!(matches!(
        events(&fx).last(),
        Some(QueueEvent::Flushed {
            sent: 1,
            failed: 1,
            ..
        })
    ));
    assert_eq!(stored_contents(&store), ["a"]);

    assert_eq!(
        q.retry_message("nope", 5),
        Err(QueueError::NotFound("nope".into()))
    );
    q.retry_message(&a.id, 5).unwrap();
    let fx = q.drain_effects();
    assert_eq!(names(&fx), ["queue:flushing", "REQUEST"]);
    let (id, p) = requests(&fx)[0].clone();
    assert_eq!(p["clientMessageId"], json!(a.client_message_id));
    let m = q.get_message(&a.id).unwrap();
    assert_eq!(
        (m.status, m.retry_count, m.last_error),
        (QueuedStatus::Sending, 0, None)
    );
    assert_eq!(
        q.retry_message(&a.id, 6),
        Err(QueueError::NotFailed(a.id.clone()))
    );
    assert_eq!(
        q.remove_message(&a.id, 6),
        Err(QueueError::InFlight(a.id.clone()))
    );
    q.on_response(id, ok_ack(&p, "s-a"), 7).unwrap();
    assert_eq!(q.get_queue_length(), 0);
}

#[test]
fn limits_refuse_without_dropping_anything() {
    let store = MemoryStore::new();
    let config = QueueConfig {
        max_messages: 3,
        ..QueueConfig::default()
    };
    let mut q = open_with(&store, config, 1);
    for c in ["1", "2", "3"] {
        queue(&mut q, c, 0);
    }
    let err = q
        .queue_message(NewMessage::text("ch-1", "4"), 1)
        .unwrap_err();
    assert_eq!(err, QueueError::Full { count: 3, max: 3 });
    assert!(err.to_string().contains("full (3 of 3"));
    assert_eq!(stored_contents(&store), ["1", "2", "3"]);

    let config = QueueConfig {
        max_bytes: 1_500,
        ..QueueConfig::default()
    };
    let store = MemoryStore::new();
    let mut q = open_with(&store, config, 1);
    queue(&mut q, &"x".repeat(300), 0);
    queue(&mut q, &"y".repeat(300), 0);
    let err = q
        .queue_message(NewMessage::text("ch-1", &"z".repeat(300)), 1)
        .unwrap_err();
    assert!(matches!(err, QueueError::TooLarge { max: 1_500, .. }));
    assert_eq!(q.get_queue_length(), 2);
    assert_eq!(stored_contents(&store).len(), 2);
    assert!(q
        .drain_effects()
        .iter()
        .all(|e| !matches!(e, QueueEffect::Event(QueueEvent::Error { .. }))));

    // Invalid input is refused too.
    for bad in [NewMessage::text("", "x"), NewMessage::text("ch", "  ")] {
        assert!(matches!(
            q.queue_message(bad, 2),
            Err(QueueError::InvalidMessage(_))
        ));
    }
}

#[test]
fn persistence_round_trip_through_a_new_instance() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    queue(&mut q, "one", 1);
    let mut m = NewMessage::text("ch-2", "two");
    m.message_type = "image".into();
    m.thread_id = Some("t".into());
    m.mentions = vec!["u".into()];
    queue_msg(&mut q, m, 2);
    q.on_connected(3); // "one" is now in flight and stored as "sending"
    let before: Vec<QueuedMessage> = q.get_queued_messages();
    drop(q);

    let mut reloaded = open(&store);
    assert!(reloaded.drain_effects().is_empty());
    let after = reloaded.get_queued_messages();
    assert_eq!(after.len(), 2);
    // An interrupted send is queued again after a reload.
    assert_eq!(after[0].status, QueuedStatus::Queued);
    assert_eq!(after[1], before[1]);
    assert_eq!(
        QueuedMessage {
            status: QueuedStatus::Sending,
            ..after[0].clone()
        },
        before[0]
    );
    assert_eq!(stored(&store)["version"], 2);
}

#[test]
fn migrates_a_v1_document() {
    let store = MemoryStore::new();
    store.put_raw(
        KEY,
        r#"{"version":1,"items":[
            {"id":"q_1_abc","channelId":"ch-1","content":"old hello","type":"text","timestamp":1700000000000,"retries":2,"lastError":"net","lastRetryAt":1700000005000},
            {"id":"q_2_def","channelId":"ch-2","content":"reply","type":"file","timestamp":1700000001000,"retries":0,"threadId":"t-9","mentions":["u1"],"clientMessageId":"cm-xyz"},
            {"id":"q_3","channelId":"ch-3","timestamp":1700000002000}
        ]}"#,
    );
    let mut q = open(&store);
    let msgs = q.get_queued_messages();
    assert_eq!(msgs.len(), 2);
    assert_eq!(
        msgs[0],
        QueuedMessage {
            id: "q_1_abc".into(),
            client_message_id: "q_1_abc".into(),
            channel_id: "ch-1".into(),
            content: "old hello".into(),
            message_type: "text".into(),
            thread_id: None,
            mentions: vec![],
            created_at: 1_700_000_000_000,
            updated_at: 1_700_000_005_000,
            retry_count: 2,
            status: QueuedStatus::Queued,
            last_error: Some("net".into()),
        }
    );
    assert_eq!(msgs[1].client_message_id, "cm-xyz");
    assert_eq!(msgs[1].thread_id.as_deref(), Some("t-9"));
    assert_eq!(msgs[1].mentions, ["u1"]);
    // The v1 item without content is quarantined and reported.
    let evs = events(&q.drain_effects());
    assert!(matches!(
        &evs[..],
        [QueueEvent::Error { reason: QueueErrorReason::Corrupt, message_id: Some(id), .. }] if id == "q_3"
    ));
    // Rewritten as v2 with checksums, and loads cleanly.
    let doc = stored(&store);
    assert_eq!(doc["version"], 2);
    assert_eq!(doc["messages"][0]["checksum"].as_str().unwrap().len(), 16);
    let mut again = open(&store);
    assert!(again.drain_effects().is_empty());
    assert_eq!(again.get_queued_messages(), msgs);
}

#[test]
fn a_tampered_entry_is_quarantined_reported_and_the_others_kept() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    queue(&mut q, "one", 1);
    let victim = queue(&mut q, "two", 2);
    queue(&mut q, "three", 3);
    drop(q);
    let text = store
        .raw(KEY)
        .unwrap()
        .replace("\"two\"", "\"TWO (edited)\"");
    store.put_raw(KEY, &text);

    let mut q = open(&store);
    let contents: Vec<String> = q
        .get_queued_messages()
        .into_iter()
        .map(|m| m.content)
        .collect();
    assert_eq!(contents, ["one", "three"]);
    let evs = events(&q.drain_effects());
    assert_eq!(evs.len(), 1);
    let QueueEvent::Error {
        reason,
        message,
        message_id,
    } = &evs[0]
    else {
        panic!("expected queue:error, got {evs:?}");
    };
    assert_eq!(*reason, QueueErrorReason::Corrupt);
    assert_eq!(message_id.as_deref(), Some(victim.id.as_str()));
    assert!(message.contains("checksum mismatch"), "{message}");
    let json = serde_json::to_value(&evs[0]).unwrap();
    assert_eq!(json["event"], "queue:error");
    assert_eq!(json["data"]["reason"], "corrupt");
    // Set aside, not lost.
    let quarantined = q.quarantined(10);
    assert_eq!(quarantined.len(), 1);
    assert!(quarantined[0].raw.contains("TWO (edited)"));
    assert_eq!(quarantined[0].id.as_deref(), Some(victim.id.as_str()));
    assert!(store.raw(QKEY).unwrap().contains("TWO (edited)"));
    // The main document was repaired: a further load is clean.
    assert_eq!(stored_contents(&store), ["one", "three"]);
    let mut again = open(&store);
    assert!(again.drain_effects().is_empty());
    q.clear_quarantine().unwrap();
    assert!(q.quarantined(11).is_empty());
}

#[test]
fn an_unparsable_document_starts_empty_and_is_kept_aside() {
    for bad in [
        "{not json",
        "[1,2]",
        r#"{"version":99,"messages":[]}"#,
        r#"{"messages":[]}"#,
        r#"{"version":2}"#,
    ] {
        let store = MemoryStore::new();
        store.put_raw(KEY, bad);
        let mut q = open(&store);
        assert_eq!(q.get_queue_length(), 0);
        let evs = events(&q.drain_effects());
        assert!(
            matches!(
                &evs[..],
                [QueueEvent::Error {
                    reason: QueueErrorReason::Corrupt,
                    ..
                }]
            ),
            "{bad}: {evs:?}"
        );
        assert_eq!(q.quarantined(0)[0].raw, bad);
        assert_eq!(stored(&store)["version"], 2);
        // Still fully usable.
        queue(&mut q, "after", 1);
        assert_eq!(stored_contents(&store), ["after"]);
    }
}

#[test]
fn quota_exceeded_reports_once_and_the_message_is_still_sent() {
    let store = MemoryStore::with_quota(10);
    let mut q = open(&store);
    let m = queue(&mut q, "big enough not to fit", 1);
    queue(&mut q, "second", 2);
    let fx = q.drain_effects();
    assert_eq!(
        names(&fx),
        ["message:queued", "queue:error", "message:queued"]
    );
    let json = serde_json::to_value(&events(&fx)[1]).unwrap();
    assert_eq!(json["data"]["reason"], "quota");
    assert!(json["data"]["message"]
        .as_str()
        .unwrap()
        .contains("still sent"));
    assert_eq!(store.raw(KEY), None);
    q.on_connected(3);
    let (id, p) = requests(&q.drain_effects())[0].clone();
    assert_eq!(p["clientMessageId"], json!(m.client_message_id));
    store.set_quota(None);
    q.on_response(id, ok_ack(&p, "s1"), 4).unwrap();
    let fx = q.drain_effects();
    assert_eq!(names(&fx), ["message:sent", "REQUEST"]);
    // Space again: the next write stores what is left.
    let (id, p) = requests(&fx)[0].clone();
    assert_eq!(stored_contents(&store), ["second"]);
    q.on_response(id, ok_ack(&p, "s2"), 6).unwrap();
    assert!(stored_contents(&store).is_empty());
}

#[test]
fn unavailable_storage_reports_and_still_sends() {
    let store = MemoryStore::new();
    store.set_failure(Some(StoreError::Unavailable));
    let mut q = open(&store);
    let fx = q.drain_effects();
    let json = serde_json::to_value(&events(&fx)[0]).unwrap();
    assert_eq!(json["data"]["reason"], "unavailable");
    queue(&mut q, "private mode", 1);
    assert_eq!(names(&q.drain_effects()), ["message:queued"]);
    q.on_connected(2);
    let (id, p) = requests(&q.drain_effects())[0].clone();
    q.on_response(id, ok_ack(&p, "s1"), 3).unwrap();
    let fx = q.drain_effects();
    assert_eq!(names(&fx), ["message:sent", "queue:flushed"]);
}

#[test]
fn a_disconnect_does_not_use_an_attempt() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    q.on_connected(0);
    queue(&mut q, "x", 0);
    let (id, _) = requests(&q.drain_effects())[0].clone();
    q.on_disconnected(5);
    let fx = q.drain_effects();
    assert!(matches!(
        &events(&fx)[..],
        [QueueEvent::Flushed {
            sent: 0,
            failed: 0,
            ..
        }]
    ));
    let m = q.get_queued_messages().remove(0);
    assert_eq!((m.status, m.retry_count), (QueuedStatus::Queued, 0));
    assert_eq!(
        q.on_response(id, Err("disconnected".into()), 6),
        Err(QueueError::UnknownRequest(id))
    );
    assert_eq!(q.get_queued_messages()[0].retry_count, 0);
    assert_eq!(q.next_deadline(), None);
    // Offline: queueing does not send; online alone does not either.
    queue(&mut q, "y", 7);
    q.on_online(8);
    assert_eq!(names(&q.drain_effects()), ["message:queued"]);
    q.on_connected(9);
    let fx = q.drain_effects();
    assert_eq!(requests(&fx)[0].1["content"], "x");
}

#[test]
fn flush_queue_returns_an_id_carried_by_queue_flushed() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    queue(&mut q, "x", 0);
    q.drain_effects();
    // Disconnected: the result comes at once.
    let id = q.flush_queue(1);
    assert_eq!(
        events(&q.drain_effects()),
        [QueueEvent::Flushed {
            flush_id: id,
            sent: 0,
            failed: 0
        }]
    );
    q.on_connected(2);
    let fx = q.drain_effects();
    let QueueEvent::Flushing {
        flush_id: running, ..
    } = events(&fx)[0]
    else {
        panic!()
    };
    assert_ne!(running, id);
    // Joining a running flush returns its id.
    assert_eq!(q.flush_queue(3), running);
    let (rid, p) = requests(&fx)[0].clone();
    q.on_response(rid, ok_ack(&p, "s"), 4).unwrap();
    let evs = events(&q.drain_effects());
    assert!(matches!(evs[0], QueueEvent::Sent { flush_id: Some(f), .. } if f == running));
    assert_eq!(
        evs[1],
        QueueEvent::Flushed {
            flush_id: running,
            sent: 1,
            failed: 0
        }
    );
    // Connected but empty: immediate zero result.
    let id = q.flush_queue(5);
    assert_eq!(
        events(&q.drain_effects()),
        [QueueEvent::Flushed {
            flush_id: id,
            sent: 0,
            failed: 0
        }]
    );
}

#[test]
fn malformed_or_mismatched_acks_count_as_failed_attempts() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    q.on_connected(0);
    queue(&mut q, "x", 0);
    for (i, bad) in [
        json!({"success": true, "data": {}}),
        json!({"success": true, "data": {"id": "s1", "clientMessageId": "someone-else"}}),
        json!("ok"),
    ]
    .into_iter()
    .enumerate()
    {
        let fx = q.drain_effects();
        let (id, _) = requests(&fx)[0].clone();
        q.on_response(id, Ok(bad), 1).unwrap();
        let m = q.get_queued_messages().remove(0);
        assert_eq!(m.retry_count as usize, i + 1);
        assert!(m.last_error.unwrap().contains("malformed"));
        q.handle_timeout(q.next_deadline().unwrap());
    }
}

#[test]
fn remove_and_clear() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    let a = queue(&mut q, "a", 0);
    queue(&mut q, "b", 1);
    queue(&mut q, "c", 2);
    assert_eq!(q.remove_message(&a.id, 3).unwrap().content, "a");
    assert_eq!(
        q.remove_message(&a.id, 3),
        Err(QueueError::NotFound(a.id.clone()))
    );
    assert_eq!(stored_contents(&store), ["b", "c"]);
    q.on_connected(4); // "b" in flight
    q.drain_effects();
    assert_eq!(q.clear_queue(5), 1);
    assert!(names(&q.drain_effects()).contains(&"queue:cleared"));
    assert_eq!(stored_contents(&store), ["b"]);
}

#[test]
fn reload_from_store_merges_without_duplicating_or_losing() {
    let store = MemoryStore::new();
    let mut a = open_with(&store, QueueConfig::default(), 1);
    let m1 = queue(&mut a, "m1", 1);
    let mut b = open_with(&store, QueueConfig::default(), 2);
    assert_eq!(b.get_queue_length(), 1);
    // B's write merges with A's entry instead of overwriting it.
    queue(&mut b, "m2", 2);
    assert_eq!(stored_contents(&store), ["m1", "m2"]);
    a.reload_from_store(3);
    let contents = |q: &OfflineQueueService| -> Vec<String> {
        q.get_queued_messages()
            .into_iter()
            .map(|m| m.content)
            .collect()
    };
    assert_eq!(contents(&a), ["m1", "m2"]);
    a.reload_from_store(3);
    assert_eq!(contents(&a), ["m1", "m2"], "no duplicates");
    // A removes m1: B drops it on reload.
    a.remove_message(&m1.id, 4).unwrap();
    b.reload_from_store(5);
    assert_eq!(contents(&b), ["m2"]);
    // A message that never reached the store is kept across reloads and
    // written by the next successful write.
    store.set_failure(Some(StoreError::QuotaExceeded));
    queue(&mut a, "m3", 6);
    store.set_failure(None);
    queue(&mut b, "m4", 7);
    a.reload_from_store(8);
    assert_eq!(contents(&a), ["m2", "m3", "m4"]);
    assert_eq!(stored_contents(&store), ["m2", "m4"]);
    let m2 = a.get_queued_messages().remove(0);
    a.remove_message(&m2.id, 9).unwrap();
    assert_eq!(stored_contents(&store), ["m3", "m4"]);
    b.reload_from_store(10);
    assert_eq!(contents(&b), ["m3", "m4"]);
    // The newer version of an entry wins.
    let config = QueueConfig {
        max_retries: 0,
        ..QueueConfig::default()
    };
    let mut c = open_with(&store, config, 3);
    c.on_connected(11);
    let (id, _) = requests(&c.drain_effects())[0].clone();
    c.on_response(id, Err("x".into()), 12).unwrap();
    b.reload_from_store(13);
    assert_eq!(b.get_queued_messages()[0].status, QueuedStatus::Failed);
}

#[test]
fn a_message_another_tab_already_sent_is_not_sent_again() {
    let store = MemoryStore::new();
    let mut a = open_with(&store, QueueConfig::default(), 1);
    queue(&mut a, "m1", 1);
    queue(&mut a, "m2", 2);
    let mut b = open_with(&store, QueueConfig::default(), 2);
    b.on_connected(3);
    let (id, p) = requests(&b.drain_effects())[0].clone();
    assert_eq!(p["content"], "m1");
    b.on_response(id, ok_ack(&p, "s1"), 4).unwrap();
    b.on_disconnected(5);
    // A never reloaded, yet re-reads the store right before sending.
    a.on_connected(6);
    let fx = a.drain_effects();
    let reqs = requests(&fx);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].1["content"], "m2");
    assert_eq!(a.get_queue_length(), 1);
}

#[test]
fn flush_lock_handshake() {
    let store = MemoryStore::new();
    let config = QueueConfig {
        use_flush_lock: true,
        ..QueueConfig::default()
    };
    let mut q = open_with(&store, config.clone(), 1);
    queue(&mut q, "x", 0);
    q.drain_effects();
    q.on_connected(1);
    let fx = q.drain_effects();
    let [QueueEffect::AcquireFlushLock { flush_id }] = fx[..] else {
        panic!("{fx:?}")
    };
    assert_eq!(q.flush_queue(2), flush_id, "joins the waiting flush");
    assert!(q.drain_effects().is_empty());
    // Meanwhile another tab (holding the lock) sent "x" and queued "y".
    let mut other = open_with(&store, config, 2);
    let x = other.get_queued_messages().remove(0);
    other.remove_message(&x.id, 3).unwrap();
    queue(&mut other, "y", 3);
    q.on_flush_lock_acquired(flush_id, 4);
    let fx = q.drain_effects();
    assert_eq!(names(&fx), ["queue:flushing", "REQUEST"]);
    let (id, p) = requests(&fx)[0].clone();
    assert_eq!(p["content"], "y");
    q.on_response(id, ok_ack(&p, "s"), 5).unwrap();
    let fx = q.drain_effects();
    assert_eq!(names(&fx), ["message:sent", "queue:flushed", "RELEASE"]);
    // A stale grant is handed back.
    q.on_flush_lock_acquired(99, 6);
    assert_eq!(
        q.drain_effects(),
        [QueueEffect::ReleaseFlushLock { flush_id: 99 }]
    );
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(|n| json!(n)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        Just(json!("text")),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("version".to_string()),
                        Just("messages".to_string()),
                        Just("items".to_string()),
                        Just("id".to_string()),
                        Just("clientMessageId".to_string()),
                        Just("channelId".to_string()),
                        Just("content".to_string()),
                        Just("type".to_string()),
                        Just("status".to_string()),
                        Just("checksum".to_string()),
                        Just("timestamp".to_string()),
                        Just("createdAt".to_string()),
                        Just("updatedAt".to_string()),
                        Just("success".to_string()),
                        Just("data".to_string()),
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

fn check_usable(store: &MemoryStore) {
    let mut q = open(store);
    q.drain_effects();
    let n = q.get_queue_length();
    if n < 100 {
        queue(&mut q, "still works", 1);
        assert_eq!(q.get_queue_length(), n + 1);
    }
    q.on_connected(2);
    q.handle_timeout(20_000);
    q.reload_from_store(20_001);
    let _ = q.drain_effects();
}

proptest! {
    #[test]
    fn arbitrary_stored_text_never_panics(text in ".{0,200}") {
        let store = MemoryStore::new();
        store.put_raw(KEY, &text);
        store.put_raw(QKEY, &text);
        check_usable(&store);
    }

    #[test]
    fn arbitrary_stored_documents_never_panic(v in arb_json(), version in 0u64..4, key in prop_oneof![Just("messages"), Just("items")]) {
        let store = MemoryStore::new();
        let doc = json!({"version": version, key: [v.clone(), v]});
        store.put_raw(KEY, &doc.to_string());
        check_usable(&store);
    }

    #[test]
    fn arbitrary_acks_never_panic_and_never_lose_the_message(v in arb_json(), wrap in any::<bool>(), ok in any::<bool>()) {
        let store = MemoryStore::new();
        let mut q = open(&store);
        q.on_connected(0);
        queue(&mut q, "x", 0);
        let (id, _) = requests(&q.drain_effects())[0].clone();
        let answer = if wrap { json!({"success": ok, "data": v}) } else { v };
        q.on_response(id, Ok(answer), 1).unwrap();
        let fx = q.drain_effects();
        let sent = names(&fx).contains(&"message:sent");
        prop_assert_eq!(q.get_queue_length(), usize::from(!sent));
    }
}

#[test]
fn corruption_is_reported_once_even_when_the_repair_cannot_be_written() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    queue(&mut q, "one", 1);
    queue(&mut q, "two", 2);
    drop(q);
    let text = store.raw(KEY).unwrap().replace("\"two\"", "\"2\"");
    store.put_raw(KEY, &text);
    store.set_quota(Some(0));
    let mut q = open(&store);
    let fx = q.drain_effects();
    let reasons: Vec<QueueErrorReason> = events(&fx)
        .into_iter()
        .filter_map(|e| match e {
            QueueEvent::Error { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        [QueueErrorReason::Quota, QueueErrorReason::Corrupt]
    );
    // Kept aside in memory while it cannot be written.
    assert_eq!(q.quarantined(3).len(), 1);
    queue(&mut q, "three", 3);
    q.reload_from_store(4);
    assert_eq!(names(&q.drain_effects()), ["message:queued"]);
    assert_eq!(q.get_queue_length(), 2);
    // Once space is back, the repair and the quarantine are written.
    store.set_quota(None);
    queue(&mut q, "four", 5);
    assert_eq!(stored_contents(&store), ["one", "three", "four"]);
    assert!(store.raw(QKEY).unwrap().contains("\\\"2\\\""));
}
