//! The stored layout: one key per message, migration, quarantine, a full or
//! missing storage, and numbers read from storage.

use super::*;
use crate::core::store::StoreError;
use crate::core::test_support::Tagged;

/// Arbitrary JSON shaped like stored queues and acks.
pub(super) fn arb_json() -> impl Strategy<Value = Value> {
    crate::core::test_support::arb_json(
        &["text", "queued", "failed", "sending"],
        &[
            "version",
            "messages",
            "items",
            "id",
            "clientMessageId",
            "channelId",
            "content",
            "type",
            "status",
            "checksum",
            "timestamp",
            "createdAt",
            "updatedAt",
            "retryCount",
            "success",
            "data",
            "messageId",
        ],
    )
}

#[test]
fn each_message_has_its_own_key_and_an_enqueue_is_one_write() {
    let store = MemoryStore::new();
    let config = QueueConfig {
        max_messages: 200,
        ..QueueConfig::default()
    };
    let mut q = open_with(&store, config, 1);
    let ms: Vec<QueuedMessage> = (0..100)
        .map(|i| queue(&mut q, &format!("m{i}"), i))
        .collect();
    let keys: Vec<String> = store
        .keys()
        .into_iter()
        .filter(|k| k.starts_with(PREFIX))
        .collect();
    assert_eq!(keys.len(), 100);
    assert_eq!(store.raw(KEY), None, "no whole document");
    let entry: Value =
        crate::core::json::from_str(&store.raw(&format!("{PREFIX}{}", ms[7].id)).unwrap()).unwrap();
    assert_eq!(entry["version"], 3);
    assert_eq!(entry["content"], "m7");
    assert_eq!(entry["checksum"].as_str().unwrap().len(), 16);
    assert!(entry.get("persisted").is_none(), "a memory-only flag");
    // The 101st enqueue: one write, no read, no listing.
    let (writes, (reads, lists)) = (store.write_count(), store.read_counts());
    queue(&mut q, "m100", 200);
    assert_eq!(store.write_count() - writes, 1);
    assert_eq!(store.read_counts(), (reads, lists));
    // Sending one: a listing and one read before, one removal after the ack.
    q.drain_effects();
    let (writes, (reads, lists)) = (store.write_count(), store.read_counts());
    q.on_connected(300);
    let (rid, p) = requests(&q.drain_effects())[0].clone();
    let (r2, l2) = store.read_counts();
    assert_eq!((store.write_count() - writes, l2 - lists), (0, 2));
    assert!(
        r2 - reads <= 101 + 1,
        "flush start re-reads, then one read per send"
    );
    let (writes, (reads, lists)) = (store.write_count(), store.read_counts());
    q.on_response(rid, ok_ack(&p, "s"), 301).unwrap();
    q.drain_effects();
    let (r2, l2) = store.read_counts();
    assert_eq!(
        (store.write_count() - writes, r2 - reads, l2 - lists),
        (1, 1, 1)
    );
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
    q.on_connected(3); // "one" is now in flight
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
    assert!(stored(&store).iter().all(|e| e["version"] == 3));
}

#[test]
fn a_tampered_entry_is_quarantined_reported_and_the_others_kept() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    queue(&mut q, "one", 1);
    let victim = queue(&mut q, "two", 2);
    queue(&mut q, "three", 3);
    drop(q);
    let key = format!("{PREFIX}{}", victim.id);
    let text = store
        .raw(&key)
        .unwrap()
        .replace("\"two\"", "\"TWO (edited)\"");
    store.put_raw(&key, &text);

    let mut q = open(&store);
    assert_eq!(contents(&q), ["one", "three"]);
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
    let json = evs[0].tagged();
    assert_eq!(json["event"], "queue:error");
    assert_eq!(json["data"]["reason"], "corrupt");
    // Set aside, not lost; its key is gone, so a further load is clean.
    let quarantined = q.quarantined(10);
    assert_eq!(quarantined.len(), 1);
    assert!(quarantined[0].raw.contains("TWO (edited)"));
    assert_eq!(quarantined[0].id.as_deref(), Some(victim.id.as_str()));
    assert!(store.raw(QKEY).unwrap().contains("TWO (edited)"));
    assert_eq!(store.raw(&key), None);
    assert_eq!(stored_contents(&store), ["one", "three"]);
    let mut again = open(&store);
    assert!(again.drain_effects().is_empty());
    q.clear_quarantine().unwrap();
    assert!(q.quarantined(11).is_empty());
    // An entry stored under another entry's key is set aside too.
    let one = stored(&store)[0].to_string();
    store.put_raw(&format!("{PREFIX}q_elsewhere"), &one);
    let mut q = open(&store);
    let evs = events(&q.drain_effects());
    assert!(
        matches!(&evs[..], [QueueEvent::Error { reason: QueueErrorReason::Corrupt, message, .. }] if message.contains("under the key of q_elsewhere")),
        "{evs:?}"
    );
    assert_eq!(contents(&q), ["one", "three"]);
}

#[test]
fn an_unreadable_old_document_or_entry_is_set_aside_and_the_queue_works() {
    for bad in [
        "{not json",
        "[1,2]",
        r#"{"version":99,"messages":[]}"#,
        r#"{"messages":[]}"#,
        r#"{"version":2}"#,
    ] {
        for key in [KEY.to_owned(), format!("{PREFIX}q_x")] {
            let store = MemoryStore::new();
            store.put_raw(&key, bad);
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
                "{bad} under {key}: {evs:?}"
            );
            assert_eq!(q.quarantined(0)[0].raw, bad);
            assert_eq!(store.raw(&key), None);
            // Still fully usable.
            queue(&mut q, "after", 1);
            assert_eq!(stored_contents(&store), ["after"]);
        }
    }
}

#[test]
fn a_full_storage_reports_every_message_and_stores_them_when_space_returns() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    queue(
        &mut q,
        "stored, and long enough to make room for one more",
        1,
    );
    q.drain_effects();
    store.set_quota(Some(store.used_bytes()));
    let ms: Vec<QueuedMessage> = (0..3)
        .map(|i| queue(&mut q, &format!("refused {i}"), 2 + i))
        .collect();
    assert!(ms.iter().all(|m| !m.persisted));
    let fx = q.drain_effects();
    assert_eq!(
        names(&fx),
        ["message:queued", "queue:error"].repeat(3),
        "one report per message"
    );
    assert_eq!(
        errors(&fx),
        ms.iter()
            .map(|m| (QueueErrorReason::Quota, Some(m.id.clone())))
            .collect::<Vec<_>>()
    );
    let json = events(&fx)[1].tagged();
    assert_eq!(json["data"]["messageId"], json!(ms[0].id));
    assert!(json["data"]["message"]
        .as_str()
        .unwrap()
        .contains("persisted: false"));
    let json = events(&fx)[0].tagged();
    assert_eq!(json["data"]["message"]["persisted"], false);
    assert!(q.get_queued_messages()[1..].iter().all(|m| !m.persisted));
    assert_eq!(stored(&store).len(), 1);

    // Still sent from memory, in order.
    q.on_connected(10);
    let (rid, p) = requests(&q.drain_effects())[0].clone();
    assert!(p["content"].as_str().unwrap().starts_with("stored"));
    q.on_response(rid, ok_ack(&p, "s0"), 11).unwrap();
    // The ack freed the space of "stored": before the next send the oldest
    // refused message is written again.
    let fx = q.drain_effects();
    assert_eq!(names(&fx), ["message:sent", "message:persisted", "REQUEST"]);
    let QueueEvent::Persisted { message } = &events(&fx)[1] else {
        panic!()
    };
    assert_eq!(
        (message.id.as_str(), message.persisted),
        (ms[0].id.as_str(), true)
    );
    q.on_disconnected(12);
    q.drain_effects();

    // Space back: the next store operation writes the rest; a reload keeps them.
    store.set_quota(None);
    queue(&mut q, "later", 13);
    let fx = q.drain_effects();
    assert_eq!(
        names(&fx),
        ["message:persisted", "message:persisted", "message:queued"]
    );
    assert!(q.get_queued_messages().iter().all(|m| m.persisted));
    drop(q);
    let reloaded = open(&store);
    assert_eq!(
        contents(&reloaded),
        ["refused 0", "refused 1", "refused 2", "later"]
    );
}

#[test]
fn a_change_the_storage_refuses_is_reported_and_the_older_copy_kept() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    let m = queue(&mut q, "x", 1);
    q.on_connected(2);
    let (rid, _) = requests(&q.drain_effects())[0].clone();
    store.set_quota(Some(store.used_bytes()));
    q.on_response(
        rid,
        Ok(json!({"success": false, "error": {"code": "RATE_LIMITED", "message": "a longer error text than fits"}})),
        3,
    )
    .unwrap();
    let fx = q.drain_effects();
    assert_eq!(errors(&fx), [(QueueErrorReason::Quota, Some(m.id.clone()))]);
    let json = events(&fx)[0].tagged();
    assert!(json["data"]["message"]
        .as_str()
        .unwrap()
        .contains("stored copy is older"));
    assert!(q.get_queued_messages()[0].persisted, "a reload keeps it");
    assert_eq!(stored(&store)[0]["retryCount"], 0);
    store.set_quota(None);
    q.handle_timeout(q.next_deadline().unwrap());
    let fx = q.drain_effects();
    assert_eq!(names(&fx), ["message:persisted", "REQUEST"]);
    assert_eq!(stored(&store)[0]["retryCount"], 1);
}

#[test]
fn unavailable_storage_reports_each_message_and_still_sends() {
    let store = MemoryStore::new();
    store.set_failure(Some(StoreError::Unavailable));
    let mut q = open(&store);
    let fx = q.drain_effects();
    let json = events(&fx)[0].tagged();
    assert_eq!(json["data"]["reason"], "unavailable");
    assert_eq!(json["data"]["messageId"], Value::Null);
    let m = queue(&mut q, "private mode", 1);
    assert_eq!(
        errors(&q.drain_effects()),
        [(QueueErrorReason::Unavailable, Some(m.id))]
    );
    q.on_connected(2);
    let (id, p) = requests(&q.drain_effects())[0].clone();
    q.on_response(id, ok_ack(&p, "s1"), 3).unwrap();
    let fx = q.drain_effects();
    assert_eq!(names(&fx), ["message:sent", "queue:flushed"]);
}

#[test]
fn numbers_from_storage_saturate_instead_of_overflowing() {
    let store = MemoryStore::new();
    let msg = QueuedMessage {
        id: "q_max".into(),
        client_message_id: "cm_max".into(),
        channel_id: "ch".into(),
        content: "extreme".into(),
        message_type: "text".into(),
        thread_id: None,
        mentions: vec![],
        attachments: vec![],
        created_at: u64::MAX,
        updated_at: u64::MAX,
        retry_count: u32::MAX - 1,
        status: QueuedStatus::Queued,
        last_error: None,
        last_error_code: None,
        last_retry_at: Some(u64::MAX),
        persisted: true,
    };
    store.put_raw(&format!("{PREFIX}q_max"), &persist::encode_entry(&msg));
    let mut q = open(&store);
    assert!(q.drain_effects().is_empty());
    // A far-future createdAt does not push new messages there.
    let fresh = queue(&mut q, "fresh", 10);
    assert_eq!(fresh.created_at, 10);
    assert_eq!(contents(&q), ["fresh", "extreme"]);
    q.on_connected(11);
    let (rid, p) = requests(&q.drain_effects())[0].clone();
    q.on_response(rid, ok_ack(&p, "s"), 12).unwrap();
    let (rid, p) = requests(&q.drain_effects())[0].clone();
    assert_eq!(p["content"], "extreme");
    q.on_response(rid, Err("down".into()), 13).unwrap();
    let m = q.get_queued_messages().remove(0);
    assert_eq!((m.retry_count, m.updated_at), (u32::MAX, u64::MAX));
    assert_eq!(m.status, QueuedStatus::Failed);
    assert_eq!(stored(&store)[0]["retryCount"], u32::MAX);
    q.retry_message("q_max", 14).unwrap();
    assert_eq!(q.get_queued_messages()[0].retry_count, 0);
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
        store.put_raw(&format!("{PREFIX}q_1"), &text);
        store.put_raw(QKEY, &text);
        check_usable(&store);
    }

    #[test]
    fn arbitrary_stored_documents_and_entries_never_panic(v in arb_json(), version in 0u64..5, key in prop_oneof![Just("messages"), Just("items")]) {
        let store = MemoryStore::new();
        let doc = json!({"version": version, key: [v.clone(), v.clone()]});
        store.put_raw(KEY, &doc.to_string());
        store.put_raw(&format!("{PREFIX}q_1"), &v.to_string());
        check_usable(&store);
    }
}

#[test]
fn corruption_is_reported_once_even_when_the_quarantine_cannot_be_written() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    queue(&mut q, "one", 1);
    let two = queue(&mut q, "two", 2);
    drop(q);
    let key = format!("{PREFIX}{}", two.id);
    let text = store.raw(&key).unwrap().replace("\"two\"", "\"2\"");
    store.put_raw(&key, &text);
    store.set_quota(Some(0));
    let mut q = open(&store);
    let fx = q.drain_effects();
    let reasons: Vec<QueueErrorReason> = errors(&fx).into_iter().map(|(r, _)| r).collect();
    assert_eq!(
        reasons,
        [QueueErrorReason::Quota, QueueErrorReason::Corrupt]
    );
    // Kept aside in memory (and in place) while it cannot be written.
    assert_eq!(q.quarantined(3).len(), 1);
    assert_eq!(store.raw(&key), Some(text));
    queue(&mut q, "three", 3);
    q.reload_from_store(4);
    let fx = q.drain_effects();
    assert_eq!(
        names(&fx),
        ["message:queued", "queue:error"],
        "only the new message"
    );
    assert_eq!(q.get_queue_length(), 2);
    // Once space is back, the quarantine is written and the bad key removed.
    store.set_quota(None);
    queue(&mut q, "four", 5);
    assert_eq!(stored_contents(&store), ["one", "three", "four"]);
    assert!(store.raw(QKEY).unwrap().contains("\\\"2\\\""));
    assert_eq!(store.raw(&key), None);
}
