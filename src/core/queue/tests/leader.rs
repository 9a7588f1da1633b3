//! The flush lock's leader: it keeps the lock while connected and sends
//! every tab's messages; the lock changes hands only when the leader cannot
//! send; a new leader whose view is behind the old leader's release waits
//! for it (or for the takeover wait) before sending anything.

use super::*;
use crate::core::store::{KeyValueStore, StoreError};

const LEADER: &str = "nchat:offline-queue:leader";

fn locked() -> QueueConfig {
    QueueConfig {
        use_flush_lock: true,
        ..QueueConfig::default()
    }
}

fn acquire(fx: &[QueueEffect]) -> Option<u64> {
    fx.iter().find_map(|e| match e {
        QueueEffect::AcquireFlushLock { lock_id } => Some(*lock_id),
        _ => None,
    })
}

fn released(fx: &[QueueEffect]) -> bool {
    fx.iter()
        .any(|e| matches!(e, QueueEffect::ReleaseFlushLock { .. }))
}

/// A tab's view of the shared store that other tabs' changes reach only
/// when [`show`] brings them (a browser's per-process `localStorage`); its
/// own writes reach the truth and its view at once.
struct Behind {
    truth: MemoryStore,
    view: MemoryStore,
}

impl KeyValueStore for Behind {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.view.get(key)
    }
    fn set(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.truth.set(key, value)?;
        self.view.set(key, value)
    }
    fn remove(&mut self, key: &str) -> Result<(), StoreError> {
        self.truth.remove(key)?;
        self.view.remove(key)
    }
    fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.view.keys_with_prefix(prefix)
    }
}

/// One change of the truth reaches `view`.
fn show(view: &MemoryStore, truth: &MemoryStore, key: &str) {
    match truth.raw(key) {
        Some(v) => view.put_raw(key, &v),
        None => view.remove_raw(key),
    }
}

/// A tab on `truth` whose view starts as a copy of it.
fn behind(truth: &MemoryStore, seed: u64) -> (OfflineQueueService, MemoryStore) {
    let view = MemoryStore::new();
    for k in truth.keys() {
        show(&view, truth, &k);
    }
    let store = Behind {
        truth: truth.clone(),
        view: view.clone(),
    };
    let q = OfflineQueueService::open(locked(), Box::new(store), seed, 0);
    (q, view)
}

/// Connects `q` and grants it the lock it asks for; returns its effects.
fn connect_and_lead(q: &mut OfflineQueueService, now: Millis) -> Vec<QueueEffect> {
    q.on_connected(now);
    let lock_id = acquire(&q.drain_effects()).expect("asks for the lock");
    q.on_flush_lock_acquired(lock_id, now);
    q.drain_effects()
}

#[test]
fn flush_lock_handshake() {
    let store = MemoryStore::new();
    let mut q = open_with(&store, locked(), 1);
    queue(&mut q, "x", 0);
    q.drain_effects();
    q.on_connected(1);
    let fx = q.drain_effects();
    let [QueueEffect::AcquireFlushLock { lock_id }] = fx[..] else {
        panic!("{fx:?}")
    };
    let flush_id = q.flush_queue(2);
    assert!(q.drain_effects().is_empty(), "joins the waiting flush");
    // Meanwhile another tab (the leader then) sent "x", and "y" was queued.
    let mut other = open_with(&store, locked(), 2);
    let x = other.get_queued_messages().remove(0);
    other.remove_message(&x.id, 3).unwrap();
    queue(&mut other, "y", 3);
    q.on_flush_lock_acquired(lock_id, 4);
    let fx = q.drain_effects();
    assert_eq!(names(&fx), ["queue:flushing", "REQUEST"]);
    let (id, p) = requests(&fx)[0].clone();
    assert_eq!(p["content"], "y");
    q.on_response(id, ok_ack(&p, "s"), 5).unwrap();
    let fx = q.drain_effects();
    assert_eq!(
        names(&fx),
        ["message:sent", "queue:flushed"],
        "the lock stays"
    );
    assert!(matches!(
        fx[1],
        QueueEffect::Event(QueueEvent::Flushed { flush_id: f, sent: 1, .. }) if f == flush_id
    ));
    assert!(q.holds_flush_lock());
    // A stale grant is handed back.
    q.on_flush_lock_acquired(99, 6);
    assert_eq!(
        q.drain_effects(),
        [QueueEffect::ReleaseFlushLock { lock_id: 99 }]
    );
    // Only a lost link lets it go.
    q.on_disconnected(7);
    assert_eq!(
        q.drain_effects(),
        [QueueEffect::ReleaseFlushLock { lock_id }]
    );
    assert!(!q.holds_flush_lock());
}

#[test]
fn the_leader_sends_every_tabs_messages_and_a_waiting_flush_ends_when_they_are_sent() {
    let store = MemoryStore::new();
    let mut a = open_with(&store, locked(), 1);
    let mut b = open_with(&store, locked(), 2);
    connect_and_lead(&mut a, 1);
    b.on_connected(2);
    assert!(acquire(&b.drain_effects()).is_some(), "B waits in line");
    // B queues: it does not send, its flush waits for the leader.
    let m = queue(&mut b, "from b", 3);
    let flush = b.flush_queue(3);
    let fx = b.drain_effects();
    assert!(
        requests(&fx).is_empty() && !released(&fx),
        "{:?}",
        names(&fx)
    );
    assert!(b.is_flushing());
    // The leader hears of it (a storage event) and sends it.
    a.on_storage_changed(Some(&format!("{PREFIX}{}", m.id)), 4);
    let fx = a.drain_effects();
    let (rid, p) = requests(&fx)[0].clone();
    assert_eq!(p["content"], "from b");
    a.on_response(rid, ok_ack(&p, "s1"), 5).unwrap();
    let fx = a.drain_effects();
    assert_eq!(names(&fx), ["message:sent", "queue:flushed"]);
    assert!(a.holds_flush_lock(), "kept between flushes");
    // B hears of the removal: its flush ends, nothing left.
    b.on_storage_changed(Some(&format!("{PREFIX}{}", m.id)), 6);
    let fx = b.drain_effects();
    assert!(
        fx.contains(&QueueEffect::Event(QueueEvent::Flushed {
            flush_id: flush,
            sent: 0,
            failed: 0
        })),
        "{fx:?}"
    );
    assert!(!b.is_flushing());
    assert_eq!(b.get_queue_length(), 0);
}

/// The bug this design fixes: the leader sends and removes `m1`, then loses
/// its link and lets go; the next holder's view still shows `m1` (the
/// removal has not reached it). It must not send `m1` again.
#[test]
fn a_new_leader_whose_view_is_behind_the_old_leaders_release_waits_for_it() {
    let truth = MemoryStore::new();
    let mut a = open_with(&truth, locked(), 1);
    let m1 = queue(&mut a, "m1", 1);
    queue(&mut a, "m2", 1);
    a.drain_effects();
    let (mut b, view) = behind(&truth, 2);
    assert_eq!(contents(&b), ["m1", "m2"]);
    // A leads and its record reaches B (A has led for a while).
    let fx = connect_and_lead(&mut a, 2);
    show(&view, &truth, LEADER);
    let (rid, p) = requests(&fx)[0].clone();
    assert_eq!(p["content"], "m1");
    b.on_connected(3);
    let lock_b = acquire(&b.drain_effects()).unwrap();
    // m1 is acked and removed; A loses its link and lets go: B is granted
    // before either change reaches it.
    a.on_response(rid, ok_ack(&p, "s1"), 4).unwrap();
    a.on_disconnected(5);
    assert!(released(&a.drain_effects()));
    assert!(truth.raw(LEADER).unwrap().starts_with("released "));
    b.on_flush_lock_acquired(lock_b, 6);
    let fx = b.drain_effects();
    assert!(requests(&fx).is_empty(), "sent at once: {:?}", names(&fx));
    assert!(!b.holds_flush_lock());
    assert_eq!(b.next_deadline(), Some(6 + TAKEOVER_WAIT_MS));
    // The changes arrive in A's order: the removal, then the release.
    show(&view, &truth, &format!("{PREFIX}{}", m1.id));
    b.on_storage_changed(Some(&format!("{PREFIX}{}", m1.id)), 7);
    assert!(requests(&b.drain_effects()).is_empty(), "still waiting");
    show(&view, &truth, LEADER);
    b.on_storage_changed(Some(LEADER), 8);
    let fx = b.drain_effects();
    let sent: Vec<Value> = requests(&fx)
        .into_iter()
        .map(|(_, p)| p["content"].clone())
        .collect();
    assert_eq!(sent, [json!("m2")], "m1 is not sent again");
    assert!(b.holds_flush_lock());
    assert!(truth.raw(LEADER).unwrap().starts_with("held "));
}

#[test]
fn a_leader_gone_without_its_release_is_waited_for_only_until_the_takeover_wait() {
    let truth = MemoryStore::new();
    let mut a = open_with(&truth, locked(), 1);
    queue(&mut a, "m1", 1);
    let (mut b, view) = behind(&truth, 2);
    let fx = connect_and_lead(&mut a, 2);
    assert_eq!(requests(&fx).len(), 1);
    show(&view, &truth, LEADER);
    // A's tab closes with "m1" in flight: the browser frees the lock, no
    // release is written.
    drop(a);
    b.on_connected(3);
    let lock_b = acquire(&b.drain_effects()).unwrap();
    b.on_flush_lock_acquired(lock_b, 10);
    assert!(requests(&b.drain_effects()).is_empty());
    b.handle_timeout(10 + TAKEOVER_WAIT_MS - 1);
    assert!(requests(&b.drain_effects()).is_empty());
    b.handle_timeout(10 + TAKEOVER_WAIT_MS);
    let fx = b.drain_effects();
    assert_eq!(
        requests(&fx)[0].1["content"],
        "m1",
        "never answered: sent again"
    );
    assert!(b.holds_flush_lock());
}

#[test]
fn a_holder_whose_view_shows_a_release_or_no_record_leads_at_once() {
    let store = MemoryStore::new();
    let mut a = open_with(&store, locked(), 1);
    queue(&mut a, "m1", 1);
    let fx = connect_and_lead(&mut a, 1);
    assert_eq!(requests(&fx).len(), 1, "no record yet");
    let id = a.get_queued_messages()[0].id.clone();
    let rid = requests(&fx)[0].0;
    a.on_response(rid, Ok(json!({"success": true})), 2).unwrap();
    assert!(store.raw(&format!("{PREFIX}{id}")).is_none());
    a.on_disconnected(3);
    let mut b = open_with(&store, locked(), 2);
    queue(&mut b, "m2", 4);
    let fx = connect_and_lead(&mut b, 5);
    assert_eq!(
        requests(&fx)[0].1["content"],
        "m2",
        "the release is in view"
    );
    // Its own record from before (a reconnect) does not hold it up either.
    b.on_disconnected(6);
    b.drain_effects();
    store.put_raw(
        LEADER,
        &store.raw(LEADER).unwrap().replace("released", "held"),
    );
    queue(&mut b, "m3", 7);
    let fx = connect_and_lead(&mut b, 8);
    assert!(requests(&fx).iter().any(|(_, p)| p["content"] == "m2"));
}

#[test]
fn a_lost_lock_stops_the_sends_after_the_one_in_flight() {
    let store = MemoryStore::new();
    let mut a = open_with(&store, locked(), 1);
    queue(&mut a, "m1", 1);
    queue(&mut a, "m2", 1);
    a.on_connected(2);
    let lock_id = acquire(&a.drain_effects()).unwrap();
    a.on_flush_lock_acquired(lock_id, 2);
    let (rid, p) = requests(&a.drain_effects())[0].clone();
    a.on_flush_lock_lost(lock_id, 3);
    let fx = a.drain_effects();
    assert!(fx.contains(&QueueEffect::ReleaseFlushLock { lock_id }));
    let again = acquire(&fx).expect("asks again");
    assert!(!a.holds_flush_lock());
    a.on_response(rid, ok_ack(&p, "s1"), 4).unwrap();
    let fx = a.drain_effects();
    assert!(requests(&fx).is_empty(), "m2 waits: {:?}", names(&fx));
    assert!(names(&fx).contains(&"message:sent"));
    a.on_flush_lock_acquired(again, 5);
    assert_eq!(requests(&a.drain_effects())[0].1["content"], "m2");
}
