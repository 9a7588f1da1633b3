//! The one-time migration of the old whole-document layout (v1, v2).

use super::*;

/// A v2 document written by the previous build (whole queue under one key).
const V2_FIXTURE: &str = r#"{"messages":[{"channelId":"ch-1","checksum":"c97da4bd23bfabc6","clientMessageId":"cm_1700000000000_1_044c3cd7f43c661c","content":"first v2","createdAt":1700000000000,"id":"q_1700000000000_1_63cbe1e4","lastError":"server rejected the request (X): nope","mentions":[],"retryCount":1,"status":"queued","type":"text","updatedAt":1700000000003},{"channelId":"ch-2","checksum":"7938e60aa446a7e6","clientMessageId":"cm_1700000000001_2_953aeb70673e29cb","content":"second v2","createdAt":1700000000001,"id":"q_1700000000001_2_e6984080","mentions":["u1"],"retryCount":0,"status":"queued","threadId":"t-1","type":"text","updatedAt":1700000000001}],"version":2}"#;

#[test]
fn migrates_a_v1_document_into_one_key_per_message() {
    let store = MemoryStore::new();
    store.put_raw(
        KEY,
        r#"{"version":1,"items":[
            {"id":"q_1_abc","channelId":"ch-1","content":"old hello","type":"text","timestamp":1700000000000,"retries":2,"lastError":"net","lastRetryAt":1700000005000},
            {"id":"q_2_def","channelId":"ch-2","content":"reply","type":"file","timestamp":1700000001000,"retries":0,"threadId":"t-9","mentions":["u1"],"clientMessageId":"cm-xyz"},
            {"id":"q_3","channelId":"ch-3","timestamp":1700000002000},
            {"id":"q_4","channelId":"ch-4","content":"huge retries","timestamp":1700000003000,"retries":99999999999}
        ]}"#,
    );
    let mut q = open(&store);
    let msgs = q.get_queued_messages();
    assert_eq!(msgs.len(), 3);
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
            attachments: vec![],
            created_at: 1_700_000_000_000,
            updated_at: 1_700_000_005_000,
            retry_count: 2,
            status: QueuedStatus::Queued,
            last_error: Some("net".into()),
            last_error_code: None,
            last_retry_at: Some(1_700_000_005_000),
            persisted: true,
        }
    );
    assert_eq!(msgs[1].client_message_id, "cm-xyz");
    assert_eq!(msgs[1].thread_id.as_deref(), Some("t-9"));
    assert_eq!(msgs[1].mentions, ["u1"]);
    assert_eq!(msgs[2].retry_count, u32::MAX, "saturated, not refused");
    // The v1 item without content is quarantined and reported.
    let evs = events(&q.drain_effects());
    assert!(matches!(
        &evs[..],
        [QueueEvent::Error { reason: QueueErrorReason::Corrupt, message_id: Some(id), .. }] if id == "q_3"
    ));
    // One key per message, the old document is gone, and it loads cleanly.
    assert_eq!(store.raw(KEY), None);
    assert_eq!(stored(&store).len(), 3);
    assert!(store.raw(&format!("{PREFIX}q_1_abc")).is_some());
    let mut again = open(&store);
    assert!(again.drain_effects().is_empty());
    assert_eq!(again.get_queued_messages(), msgs);
}

#[test]
fn migrates_a_v2_document_of_the_previous_build_with_its_checksums() {
    let store = MemoryStore::new();
    store.put_raw(KEY, V2_FIXTURE);
    let mut q = open(&store);
    assert!(
        q.drain_effects().is_empty(),
        "the old checksums verify: nothing quarantined"
    );
    assert_eq!(contents(&q), ["first v2", "second v2"]);
    let first = &q.get_queued_messages()[0];
    assert_eq!(
        (first.retry_count, first.updated_at),
        (1, 1_700_000_000_003)
    );
    assert_eq!(store.raw(KEY), None);
    assert_eq!(stored_contents(&store), ["first v2", "second v2"]);
    // Entries another tab migrated first are left as they are.
    let store2 = MemoryStore::new();
    store2.put_raw(KEY, V2_FIXTURE);
    let mut a = open(&store2);
    let first = a.get_queued_messages().remove(0);
    a.remove_message(&first.id, 1).unwrap();
    store2.put_raw(KEY, V2_FIXTURE); // an older build's tab wrote it again
    let mut b = open(&store2);
    b.drain_effects();
    assert_eq!(contents(&b), ["first v2", "second v2"]);
}

#[test]
fn migration_into_a_full_storage_uses_the_space_of_the_old_document() {
    let store = MemoryStore::new();
    store.put_raw(KEY, V2_FIXTURE);
    store.set_quota(Some(store.used_bytes() + 200));
    let mut q = open(&store);
    let fx = q.drain_effects();
    assert!(errors(&fx).is_empty(), "{:?}", names(&fx));
    assert!(q.get_queued_messages().iter().all(|m| m.persisted));
    assert_eq!(stored_contents(&store), ["first v2", "second v2"]);
    // Not even that fits: each message is kept in memory and reported.
    let store = MemoryStore::new();
    store.put_raw(KEY, V2_FIXTURE);
    store.set_quota(Some(100));
    let mut q = open(&store);
    let fx = q.drain_effects();
    let ids: Vec<Option<String>> = q
        .get_queued_messages()
        .into_iter()
        .map(|m| Some(m.id))
        .collect();
    assert_eq!(
        errors(&fx),
        ids.iter()
            .map(|id| (QueueErrorReason::Quota, id.clone()))
            .collect::<Vec<_>>()
    );
    assert!(q.get_queued_messages().iter().all(|m| !m.persisted));
    store.set_quota(None);
    q.reload_from_store(1);
    assert_eq!(names(&q.drain_effects()), ["message:persisted"; 2]);
    assert_eq!(stored_contents(&store), ["first v2", "second v2"]);
}

#[test]
fn what_an_earlier_build_stored_under_its_default_prefix_moves_to_nchats_key_once() {
    const OLD: &str = "chat-realtime:queue";
    // Entries written by an earlier build: queued under the old prefix.
    let before = MemoryStore::new();
    let mut old = open_with(
        &before,
        QueueConfig {
            storage_key: OLD.into(),
            quarantine_key: format!("{OLD}:quarantine"),
            legacy_key: None,
            ..QueueConfig::default()
        },
        7,
    );
    queue(&mut old, "one", 1);
    queue(&mut old, "two", 2);
    let old_keys: Vec<String> = before.keys();
    assert_eq!(old_keys.len(), 2, "{old_keys:?}");
    let store = MemoryStore::new();
    for k in &old_keys {
        store.put_raw(k, &before.raw(k).unwrap());
    }
    store.put_raw(&format!("{OLD}:quarantine"), "[]");
    // An entry with the same id already under the new key wins (the same
    // seed and clock give the same ids).
    let newer = MemoryStore::new();
    let mut q = open_with(
        &newer,
        QueueConfig {
            legacy_key: None,
            ..QueueConfig::default()
        },
        7,
    );
    queue(&mut q, "one", 1);
    queue(&mut q, "two (newer)", 2);
    let kept = old_keys[1].replace(OLD, KEY);
    store.put_raw(&kept, &newer.raw(&kept).unwrap());
    let q = open(&store);
    assert_eq!(contents(&q), ["one", "two (newer)"]);
    assert!(
        store.keys().iter().all(|k| !k.starts_with(OLD)),
        "{:?}",
        store.keys()
    );
    assert_eq!(store.raw(QKEY).as_deref(), Some("[]"));
    assert_eq!(stored(&store).len(), 2);
    // With a key of the app's own, nothing of the old prefix is read.
    let own = MemoryStore::new();
    own.put_raw(&old_keys[0], &before.raw(&old_keys[0]).unwrap());
    let q = open_with(
        &own,
        QueueConfig {
            storage_key: "app:queue".into(),
            quarantine_key: "app:queue:quarantine".into(),
            legacy_key: None,
            ..QueueConfig::default()
        },
        8,
    );
    assert!(contents(&q).is_empty());
    assert!(own.raw(&old_keys[0]).is_some());
}

#[test]
fn nchats_own_stored_queue_under_its_key_is_picked_up() {
    let store = MemoryStore::new();
    store.put_raw(
        "nchat:offline-queue",
        r#"{"version":1,"items":[{"id":"q_1_a","channelId":"general","content":"from nchat","type":"text","timestamp":1700000000000,"retries":0}]}"#,
    );
    let q = open(&store);
    assert_eq!(contents(&q), ["from nchat"]);
    assert_eq!(store.raw("nchat:offline-queue"), None);
    assert_eq!(stored_contents(&store), ["from nchat"]);
}

#[test]
fn an_entry_stored_before_nchats_field_names_still_loads_and_gets_them() {
    // Written by the build before `timestamp`/`retries`/`lastRetryAt` (its checksum included).
    let store = MemoryStore::new();
    store.put_raw(
        "nchat:offline-queue:m:q_1700000000000_1_63cbe1e4",
        r#"{"id":"q_1700000000000_1_63cbe1e4","clientMessageId":"cm_1700000000000_1_044c3cd7f43c661c","channelId":"ch-1","content":"stored by 0.x","type":"text","mentions":[],"createdAt":1700000000000,"updatedAt":1700000000000,"retryCount":0,"status":"queued","version":3,"checksum":"0861007522e4d626"}"#,
    );
    let mut q = open(&store);
    assert!(q.drain_effects().is_empty(), "nothing quarantined");
    let m = q.get_queued_messages()[0].to_json();
    assert_eq!(m["content"], "stored by 0.x");
    assert_eq!(
        (m["timestamp"].as_u64(), m["retries"].as_u64()),
        (Some(1_700_000_000_000), Some(0))
    );
    assert!(m.get("lastRetryAt").is_none());
}
