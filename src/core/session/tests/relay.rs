//! The session's own storage writes reach whoever else reads the storage in
//! the same page: its other queues at once, other sessions through the host
//! ([`Output::StorageChanged`]), as a storage event reaches other pages.

use super::*;
use crate::core::queue::{NewMessage, QueueConfig, QueueEvent};

fn entry_key(id: &str) -> String {
    format!("{}:m:{id}", QueueConfig::default().storage_key)
}

/// What `outputs` tell the page's other sessions.
fn written(outputs: &[Output]) -> Vec<String> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::StorageChanged { key } => Some(key.clone()),
            _ => None,
        })
        .collect()
}

/// The host's part: `to` hears what `from` wrote.
fn relay(outputs: &[Output], to: &mut Session, now: Millis) {
    for key in written(outputs) {
        to.handle_storage_changed(Some(&key), now);
    }
}

fn lock_request(outputs: &[Output]) -> Option<LockId> {
    outputs.iter().find_map(|o| match o {
        Output::AcquireLock { lock, .. } => Some(*lock),
        _ => None,
    })
}

fn sends(outputs: &[Output]) -> Vec<String> {
    frames(outputs)
        .into_iter()
        .filter(|f| f.contains("message:send"))
        .collect()
}

#[test]
fn what_a_queue_stores_or_removes_is_told_to_the_other_sessions() {
    let store = MemoryStore::new();
    let mut s = session_on(&store);
    let q = attach_queue(&mut s, None, "a");
    let m = s
        .queue_message(q, NewMessage::text("general", "x"), 1)
        .unwrap();
    assert_eq!(written(&drain(&mut s)), [entry_key(&m.id)]);
    s.queue_remove(q, &m.id, 2).unwrap();
    assert_eq!(written(&drain(&mut s)), [entry_key(&m.id)]);
    // Reads and refused writes are not changes.
    s.queue_flush(q, 3).unwrap();
    assert!(written(&drain(&mut s)).is_empty());
    store.set_failure(Some(crate::core::store::StoreError::QuotaExceeded));
    s.queue_message(q, NewMessage::text("general", "y"), 4)
        .unwrap();
    assert!(written(&drain(&mut s)).is_empty());
}

#[test]
fn two_clients_of_one_page_share_the_leader_through_the_host() {
    // One page: no storage events between them, only what the host relays.
    let store = MemoryStore::new();
    let mut a = session_on(&store);
    let mut b = session_on(&store);
    let qa = attach_queue(&mut a, Some(LockMode::Auto), "a");
    let qb = attach_queue(&mut b, Some(LockMode::Auto), "b");
    let lock_a = lock_request(&connect(&mut a, 0)).unwrap();
    a.handle_lock_granted(lock_a, 1);
    drain(&mut a);
    // B waits in line behind A (its grant never comes while A leads).
    assert!(lock_request(&connect(&mut b, 2)).is_some());
    b.queue_message(qb, NewMessage::text("general", "from b"), 3)
        .unwrap();
    let waiting = b.queue_flush(qb, 3).unwrap();
    let out_b = drain(&mut b);
    assert!(sends(&out_b).is_empty(), "B does not lead");
    // The leader hears of B's message and sends it.
    relay(&out_b, &mut a, 4);
    let sent = sends(&drain(&mut a));
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains("from b"));
    answer(&mut a, &sent, "message:send", ok(), 5);
    let out_a = drain(&mut a);
    assert!(events_of(&out_a, qa)
        .iter()
        .any(|e| matches!(e, Event::Queue(QueueEvent::Sent { .. }))));
    // B hears of the removal: its flush ends, its queue is empty.
    relay(&out_a, &mut b, 6);
    assert_eq!(
        outcome(&drain(&mut b), waiting),
        Ok(Answer::Flushed { sent: 0, failed: 0 })
    );
    assert_eq!(b.queue(qb).unwrap().get_queue_length(), 0);
}

#[test]
fn two_queues_of_one_session_hear_each_others_writes_at_once() {
    let mut s = session();
    let qa = attach_queue(&mut s, Some(LockMode::Auto), "a");
    let lock = lock_request(&connect(&mut s, 0)).unwrap();
    s.handle_lock_granted(lock, 1);
    drain(&mut s);
    let qb = attach_queue(&mut s, Some(LockMode::Auto), "b");
    s.queue_message(qb, NewMessage::text("general", "from b"), 2)
        .unwrap();
    let waiting = s.queue_flush(qb, 2).unwrap();
    let sent = sends(&drain(&mut s));
    assert_eq!(sent.len(), 1, "the leader (qa) sends it: {sent:?}");
    answer(&mut s, &sent, "message:send", ok(), 3);
    let out = drain(&mut s);
    assert_eq!(
        outcome(&out, waiting),
        Ok(Answer::Flushed { sent: 0, failed: 0 })
    );
    assert!(events_of(&out, qa)
        .iter()
        .any(|e| matches!(e, Event::Queue(QueueEvent::Sent { .. }))));
    assert_eq!(s.queue(qb).unwrap().get_queue_length(), 0);
}

#[test]
fn a_lease_released_in_the_page_is_taken_at_once_by_its_other_client() {
    let store = MemoryStore::new();
    let mut a = session_on(&store);
    let mut b = session_on(&store);
    attach_queue(&mut a, Some(LockMode::Lease), "a");
    attach_queue(&mut b, Some(LockMode::Lease), "b");
    connect(&mut a, 0);
    a.handle_timeout(0);
    drain(&mut a);
    connect(&mut b, 1);
    b.handle_timeout(1);
    drain(&mut b);
    assert_eq!(b.next_deadline(), Some(LEASE_MS), "when A's lease expires");
    a.disconnect(2).unwrap();
    let out = drain(&mut a);
    assert!(written(&out).contains(&format!(
        "{}:flush-lock",
        QueueConfig::default().storage_key
    )));
    relay(&out, &mut b, 3);
    assert_eq!(b.next_deadline(), Some(3), "looks again now");
}
