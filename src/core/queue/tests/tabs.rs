//! Several tabs on one store: stale views and storage events (the flush
//! lock is `leader.rs`).

use super::*;
use crate::core::store::StoreError;

fn key_of(m: &QueuedMessage) -> String {
    format!("{PREFIX}{}", m.id)
}

/// Sends everything `q` will send, acking each; returns the contents sent.
fn send_all(q: &mut OfflineQueueService, mut now: Millis) -> Vec<String> {
    let mut sent = Vec::new();
    loop {
        let fx = q.drain_effects();
        let Some((rid, p)) = requests(&fx).first().cloned() else {
            return sent;
        };
        sent.push(p["content"].as_str().unwrap().to_owned());
        now += 1;
        q.on_response(rid, Ok(json!({"success": true})), now)
            .unwrap();
    }
}

#[test]
fn two_tabs_queueing_at_once_without_hearing_each_other_lose_nothing() {
    // The fault suite's case: two tabs queue 20 each within the same moment
    // and no storage event arrives in between.
    let store = MemoryStore::new();
    let mut a = open_with(&store, QueueConfig::default(), 1);
    let mut b = open_with(&store, QueueConfig::default(), 2);
    for i in 0..20 {
        queue(&mut a, &format!("a{i:02}"), 100 + i / 4);
        queue(&mut b, &format!("b{i:02}"), 100 + i / 4);
    }
    assert_eq!((a.get_queue_length(), b.get_queue_length()), (20, 20));
    assert_eq!(stored(&store).len(), 40, "nobody erased anybody");
    a.drain_effects();
    b.drain_effects();
    // A flushes without any storage event: it reads the store itself.
    a.on_connected(200);
    let sent = send_all(&mut a, 200);
    assert_eq!(sent.len(), 40);
    let mine =
        |p: char| -> Vec<String> { sent.iter().filter(|c| c.starts_with(p)).cloned().collect() };
    let expect = |p: char| -> Vec<String> { (0..20).map(|i| format!("{p}{i:02}")).collect() };
    assert_eq!(mine('a'), expect('a'), "A's order");
    assert_eq!(mine('b'), expect('b'), "B's order");
    assert!(stored(&store).is_empty());
    // B learns that its messages went out, without sending any.
    b.on_connected(300);
    assert!(send_all(&mut b, 300).is_empty());
    assert_eq!(b.get_queue_length(), 0);
}

#[test]
fn reload_from_store_merges_without_duplicating_or_losing() {
    let store = MemoryStore::new();
    let mut a = open_with(&store, QueueConfig::default(), 1);
    let m1 = queue(&mut a, "m1", 1);
    let mut b = open_with(&store, QueueConfig::default(), 2);
    assert_eq!(b.get_queue_length(), 1);
    queue(&mut b, "m2", 2);
    assert_eq!(stored_contents(&store), ["m1", "m2"]);
    a.reload_from_store(3);
    assert_eq!(contents(&a), ["m1", "m2"]);
    a.reload_from_store(3);
    assert_eq!(contents(&a), ["m1", "m2"], "no duplicates");
    // A removes m1: B drops it on reload.
    a.remove_message(&m1.id, 4).unwrap();
    b.reload_from_store(5);
    assert_eq!(contents(&b), ["m2"]);
    // A message that never reached the store is kept across reloads and
    // written by the next store operation.
    store.set_failure(Some(StoreError::QuotaExceeded));
    let m3 = queue(&mut a, "m3", 6);
    assert!(!m3.persisted);
    store.set_failure(None);
    queue(&mut b, "m4", 7);
    assert_eq!(stored_contents(&store), ["m2", "m4"]);
    a.reload_from_store(8);
    assert_eq!(contents(&a), ["m2", "m3", "m4"]);
    assert_eq!(stored_contents(&store), ["m2", "m3", "m4"]);
    b.reload_from_store(10);
    assert_eq!(contents(&b), ["m2", "m3", "m4"]);
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
fn a_storage_event_rereads_only_that_entry_and_a_late_one_is_harmless() {
    let store = MemoryStore::new();
    let mut a = open_with(&store, QueueConfig::default(), 1);
    let mut b = open_with(&store, QueueConfig::default(), 2);
    let m1 = queue(&mut a, "m1", 1);
    let m2 = queue(&mut a, "m2", 2);
    let (_, (reads, lists)) = (store.write_count(), store.read_counts());
    b.on_storage_changed(Some(&key_of(&m2)), 3);
    assert_eq!(store.read_counts(), (reads + 1, lists), "one read");
    assert_eq!(contents(&b), ["m2"]);
    b.on_storage_changed(Some("some-other-key"), 3);
    b.on_storage_changed(Some(&format!("{KEY}:quarantine")), 3);
    assert_eq!(contents(&b), ["m2"], "other keys are ignored");
    // A removes m1 before B hears that it was added: the late event finds
    // it gone and adopts nothing.
    a.remove_message(&m1.id, 4).unwrap();
    b.on_storage_changed(Some(&key_of(&m1)), 5);
    assert_eq!(contents(&b), ["m2"]);
    a.remove_message(&m2.id, 6).unwrap();
    b.on_storage_changed(Some(&key_of(&m2)), 7);
    assert_eq!(b.get_queue_length(), 0);
    // `clear()` of the whole storage: everything is re-read.
    queue(&mut a, "m3", 8);
    b.on_storage_changed(None, 9);
    assert_eq!(contents(&b), ["m3"]);
}

#[test]
fn a_lost_storage_event_does_not_reorder_another_tabs_messages() {
    let store = MemoryStore::new();
    let mut a = open_with(&store, QueueConfig::default(), 1);
    let mut b = open_with(&store, QueueConfig::default(), 2);
    queue(&mut b, "b1", 1);
    let b2 = queue(&mut b, "b2", 1);
    queue(&mut b, "b3", 1);
    // A hears only of b2.
    a.on_storage_changed(Some(&key_of(&b2)), 2);
    assert_eq!(contents(&a), ["b2"]);
    a.on_connected(3);
    assert_eq!(send_all(&mut a, 3), ["b1", "b2", "b3"]);
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
    // A never heard of it, yet checks the store right before sending.
    a.on_connected(6);
    let fx = a.drain_effects();
    let reqs = requests(&fx);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].1["content"], "m2");
    assert_eq!(a.get_queue_length(), 1);
}

#[test]
fn a_tab_never_brings_back_an_entry_another_tab_removed() {
    let store = MemoryStore::new();
    let config = QueueConfig {
        max_retries: 0,
        ..QueueConfig::default()
    };
    let mut a = open_with(&store, config.clone(), 1);
    let x = queue(&mut a, "x", 1);
    a.on_connected(2);
    let (rid, _) = requests(&a.drain_effects())[0].clone();
    a.on_response(rid, Err("boom".into()), 3).unwrap();
    a.on_disconnected(4);
    // B sees it failed, retries it and sends it: its key is gone.
    let mut b = open_with(&store, config, 2);
    assert_eq!(b.get_queued_messages()[0].status, QueuedStatus::Failed);
    b.on_connected(5);
    b.retry_message(&x.id, 6).unwrap();
    assert_eq!(send_all(&mut b, 7), ["x"]);
    assert!(stored(&store).is_empty());
    // A still shows it failed (stale). Retrying, removing or changing it
    // does not write it back.
    assert_eq!(a.get_queued_messages()[0].status, QueuedStatus::Failed);
    assert_eq!(
        a.retry_message(&x.id, 8),
        Err(QueueError::NotFound(x.id.clone()))
    );
    assert_eq!(a.get_queue_length(), 0);
    assert!(stored(&store).is_empty());

    // The lock holder's update of a message removed by hand elsewhere.
    let mut a = open_with(&store, QueueConfig::default(), 3);
    let y = queue(&mut a, "y", 10);
    a.on_connected(11);
    let (rid, _) = requests(&a.drain_effects())[0].clone();
    let mut c = open_with(&store, QueueConfig::default(), 4);
    assert_eq!(c.remove_message(&y.id, 12).unwrap().content, "y");
    a.on_response(rid, Err("timeout".into()), 13).unwrap();
    let fx = a.drain_effects();
    assert!(
        !names(&fx).contains(&"message:failed") && errors(&fx).is_empty(),
        "{:?}",
        names(&fx)
    );
    assert_eq!(a.get_queue_length(), 0);
    assert!(stored(&store).is_empty(), "not written back");
}

#[test]
fn clear_and_remove_reach_entries_this_tab_has_not_heard_of() {
    let store = MemoryStore::new();
    let mut a = open_with(&store, QueueConfig::default(), 1);
    let mut b = open_with(&store, QueueConfig::default(), 2);
    queue(&mut a, "a1", 1);
    let b1 = queue(&mut b, "b1", 1);
    queue(&mut b, "b2", 1);
    assert_eq!(a.remove_message(&b1.id, 2).unwrap().content, "b1");
    assert_eq!(a.clear_queue(3), 2);
    assert!(stored(&store).is_empty());
    b.reload_from_store(4);
    assert_eq!(b.get_queue_length(), 0);
}

#[test]
fn tabs_agree_on_the_newest_version_of_an_entry() {
    let store = MemoryStore::new();
    let config = QueueConfig {
        max_retries: 0,
        ..QueueConfig::default()
    };
    let mut a = open_with(&store, config.clone(), 1);
    let x = queue(&mut a, "x", 1);
    let mut b = open_with(&store, config, 2);
    a.on_connected(2);
    let (rid, _) = requests(&a.drain_effects())[0].clone();
    a.on_response(rid, Err("boom".into()), 3).unwrap();
    let failed = a.get_message(&x.id).unwrap();
    assert_eq!(failed.status, QueuedStatus::Failed);
    // A tab that had not seen it wrote an older version over it: the tab
    // holding the newer one writes it again when it reads the older.
    let older = b.get_message(&x.id).unwrap();
    store.put_raw(&key_of(&x), &persist::encode_entry(&older));
    a.on_storage_changed(Some(&key_of(&x)), 4);
    assert_eq!(stored(&store)[0]["status"], "failed");
    b.on_storage_changed(Some(&key_of(&x)), 5);
    assert_eq!(b.get_message(&x.id).unwrap().status, QueuedStatus::Failed);
    // Two versions of the same millisecond: the stored one wins in both.
    let mut tie = failed.clone();
    tie.last_error = Some("other".into());
    store.put_raw(&key_of(&x), &persist::encode_entry(&tie));
    a.on_storage_changed(Some(&key_of(&x)), 6);
    b.on_storage_changed(Some(&key_of(&x)), 6);
    for q in [&a, &b] {
        assert_eq!(
            q.get_message(&x.id).unwrap().last_error.as_deref(),
            Some("other")
        );
    }
    assert_eq!(stored(&store)[0]["lastError"], "other");
}
