//! The queue through the session: flush waiters, the cross-tab lock (Web
//! Locks and the storage lease on deadlines), other tabs' storage changes,
//! and a lost link that is not an attempt.

use super::*;
use crate::core::queue::{NewMessage, QueueConfig, QueueEvent};

fn lease_key() -> String {
    format!("{}:flush-lock", QueueConfig::default().storage_key)
}

#[test]
fn a_flush_while_disconnected_completes_at_once_with_zeros() {
    let mut s = session();
    let q = attach_queue(&mut s, None, "a");
    let t = s.queue_flush(q, 1).unwrap();
    assert_eq!(
        outcome(&drain(&mut s), t),
        Ok(Answer::Flushed { sent: 0, failed: 0 })
    );
    let pending = {
        connect(&mut s, 2);
        s.queue_message(q, NewMessage::text("general", "x"), 3)
            .unwrap();
        s.queue_flush(q, 3).unwrap()
    };
    let out = drain(&mut s);
    assert!(!has_outcome(&out, pending), "joins the running flush");
    s.detach(q, 4);
    assert_eq!(
        outcome(&drain(&mut s), pending).unwrap_err(),
        SessionError::Disposed(ServiceKind::Queue)
    );
}

#[test]
fn the_lease_is_taken_on_a_deadline_renewed_at_half_life_and_released_with_the_link() {
    let store = MemoryStore::new();
    let mut s = session_on(&store);
    let q = attach_queue(&mut s, Some(LockMode::Lease), "tab-a");
    connect(&mut s, 0);
    s.queue_message(q, NewMessage::text("general", "x"), 100)
        .unwrap();
    let out = drain(&mut s);
    assert!(frames(&out).iter().all(|f| !f.contains("message:send")));
    assert_eq!(s.next_deadline(), Some(0), "asked for on connect, due now");
    s.handle_timeout(100);
    let sent = frames(&drain(&mut s));
    assert!(sent.iter().any(|f| f.contains("message:send")));
    let doc: Value = serde_json::from_str(&store.raw(&lease_key()).unwrap()).unwrap();
    assert_eq!(doc, json!({"owner": "tab-a", "expiresAt": 100 + LEASE_MS}));
    // Held while connected: renewed at half-life, no periodic timer.
    assert_eq!(s.next_deadline(), Some(100 + LEASE_MS / 2));
    s.handle_timeout(100 + LEASE_MS / 2);
    let doc: Value = serde_json::from_str(&store.raw(&lease_key()).unwrap()).unwrap();
    assert_eq!(doc["expiresAt"], 100 + LEASE_MS / 2 + LEASE_MS);
    answer(&mut s, &sent, "message:send", ok(), 5_200);
    drain(&mut s);
    assert!(store.raw(&lease_key()).is_some(), "kept after the flush");
    assert_eq!(s.next_deadline(), Some(100 + LEASE_MS));
    // Only a lost link lets it go.
    s.disconnect(5_300).unwrap();
    drain(&mut s);
    assert_eq!(store.raw(&lease_key()), None, "released with the link");
}

#[test]
fn a_lease_held_by_another_tab_is_waited_for_until_it_expires_or_goes() {
    let store = MemoryStore::new();
    store.put_raw(
        &lease_key(),
        &json!({"owner": "tab-b", "expiresAt": 1_000}).to_string(),
    );
    let mut s = session_on(&store);
    let q = attach_queue(&mut s, Some(LockMode::Lease), "tab-a");
    connect(&mut s, 0);
    s.queue_message(q, NewMessage::text("general", "x"), 0)
        .unwrap();
    s.handle_timeout(0);
    assert!(frames(&drain(&mut s))
        .iter()
        .all(|f| !f.contains("message:send")));
    assert_eq!(s.next_deadline(), Some(1_000), "when tab-b's lease expires");
    // Renewed meanwhile: it looks again at the new expiry, at least
    // LEASE_POLL_MS later.
    store.put_raw(
        &lease_key(),
        &json!({"owner": "tab-b", "expiresAt": 1_100}).to_string(),
    );
    s.handle_timeout(1_000);
    assert_eq!(s.next_deadline(), Some(1_000 + LEASE_POLL_MS));
    // The other tab lets go: its storage event makes this one look now.
    store.remove_raw(&lease_key());
    s.handle_storage_changed(Some(&lease_key()), 1_010);
    assert_eq!(s.next_deadline(), Some(1_010));
    s.handle_timeout(1_010);
    assert!(frames(&drain(&mut s))
        .iter()
        .any(|f| f.contains("message:send")));
}

#[test]
fn a_lease_taken_over_while_its_renewal_was_late_stops_the_sends() {
    let store = MemoryStore::new();
    let mut s = session_on(&store);
    let q = attach_queue(&mut s, Some(LockMode::Lease), "tab-a");
    connect(&mut s, 0);
    s.handle_timeout(0);
    drain(&mut s);
    assert!(s.queue(q).unwrap().holds_flush_lock());
    // The renewal was due at 5 s, but the tab slept until 12 s, and tab-b
    // took the expired lease meanwhile.
    store.put_raw(
        &lease_key(),
        &json!({"owner": "tab-b", "expiresAt": 22_000}).to_string(),
    );
    s.handle_timeout(12_000);
    drain(&mut s);
    assert!(!s.queue(q).unwrap().holds_flush_lock());
    s.queue_message(q, NewMessage::text("general", "x"), 12_001)
        .unwrap();
    s.handle_timeout(12_001);
    assert!(
        frames(&drain(&mut s))
            .iter()
            .all(|f| !f.contains("message:send")),
        "not the leader any more"
    );
    assert_eq!(
        s.next_deadline(),
        Some(22_000),
        "looks again when tab-b's lease expires"
    );
}

#[test]
fn web_locks_go_through_the_host_kept_while_connected_with_a_lease_where_it_has_none() {
    let mut s = session();
    let q = attach_queue(&mut s, Some(LockMode::Auto), "tab-a");
    let mut out = connect(&mut s, 0);
    s.queue_message(q, NewMessage::text("general", "x"), 1)
        .unwrap();
    out.extend(drain(&mut s));
    let lock = out
        .iter()
        .find_map(|o| match o {
            Output::AcquireLock { lock, name } => {
                assert_eq!(name, &lease_key());
                Some(*lock)
            }
            _ => None,
        })
        .expect("a lock request");
    assert!(frames(&out).iter().all(|f| !f.contains("message:send")));
    s.handle_lock_granted(lock, 2);
    let sent = frames(&drain(&mut s));
    answer(&mut s, &sent, "message:send", ok(), 3);
    assert!(
        !drain(&mut s).contains(&Output::ReleaseLock { lock }),
        "kept"
    );
    s.disconnect(4).unwrap();
    assert!(
        drain(&mut s).contains(&Output::ReleaseLock { lock }),
        "released with the link"
    );

    // No Web Locks: the next request becomes a lease.
    let mut out = connect(&mut s, 5);
    s.queue_message(q, NewMessage::text("general", "y"), 6)
        .unwrap();
    out.extend(drain(&mut s));
    let lock = out
        .iter()
        .find_map(|o| match o {
            Output::AcquireLock { lock, .. } => Some(*lock),
            _ => None,
        })
        .expect("asked for again on the reconnect");
    s.handle_lock_unavailable(lock, 7);
    assert_eq!(s.next_deadline(), Some(7));
    s.handle_timeout(7);
    assert!(frames(&drain(&mut s))
        .iter()
        .any(|f| f.contains(r#""content":"y""#)));
}

#[test]
fn another_tabs_message_is_adopted_on_its_storage_event() {
    let store = MemoryStore::new();
    let mut a = session_on(&store);
    let mut b = session_on(&store);
    let qa = attach_queue(&mut a, None, "a");
    let qb = attach_queue(&mut b, None, "b");
    let m = b
        .queue_message(qb, NewMessage::text("general", "from b"), 1)
        .unwrap();
    assert_eq!(a.queue(qa).unwrap().get_queue_length(), 0);
    let key = format!("{}:m:{}", QueueConfig::default().storage_key, m.id);
    a.handle_storage_changed(Some("unrelated"), 2);
    assert_eq!(a.queue(qa).unwrap().get_queue_length(), 0);
    a.handle_storage_changed(Some(&key), 2);
    assert_eq!(a.queue(qa).unwrap().get_queue_length(), 1);
}

#[test]
fn a_send_that_fails_with_the_link_is_not_an_attempt() {
    let mut s = session();
    let q = attach_queue(&mut s, None, "a");
    connect(&mut s, 0);
    s.queue_message(q, NewMessage::text("general", "x"), 1)
        .unwrap();
    drain(&mut s);
    s.disconnect(2).unwrap();
    let out = drain(&mut s);
    let flushed = events_of(&out, q).into_iter().any(|e| {
        matches!(
            e,
            Event::Queue(QueueEvent::Flushed {
                sent: 0,
                failed: 0,
                ..
            })
        )
    });
    assert!(flushed, "{out:?}");
    let msg = &s.queue(q).unwrap().get_queued_messages()[0];
    assert_eq!(msg.retry_count, 0);
}

#[test]
fn a_send_lost_with_the_link_goes_out_once_after_the_reconnect() {
    let mut s = session();
    let q = attach_queue(&mut s, None, "a");
    connect(&mut s, 0);
    s.queue_message(q, NewMessage::text("general", "once"), 1)
        .unwrap();
    assert_eq!(
        frames(&drain(&mut s))
            .iter()
            .filter(|f| f.contains("message:send"))
            .count(),
        1
    );
    let at = drop_and_reconnect(&mut s, 2);
    s.handle_socket_frame(READY, at);
    let sent = frames(&drain(&mut s));
    let sends: Vec<&String> = sent.iter().filter(|f| f.contains("message:send")).collect();
    assert_eq!(sends.len(), 1, "the queue's retry only: {sent:?}");
    answer(&mut s, &sent, "message:send", ok(), at + 1);
    let out = drain(&mut s);
    assert!(events_of(&out, q)
        .iter()
        .any(|e| matches!(e, Event::Queue(QueueEvent::Sent { .. }))));
    assert_eq!(s.queue(q).unwrap().get_queue_length(), 0);
}

#[test]
fn a_hidden_page_lets_the_lock_go_with_its_release_recorded_and_asks_again_when_shown() {
    let store = MemoryStore::new();
    let mut s = session_on(&store);
    attach_queue(&mut s, Some(LockMode::Auto), "tab-a");
    let out = connect(&mut s, 0);
    let lock = out
        .iter()
        .find_map(|o| match o {
            Output::AcquireLock { lock, .. } => Some(*lock),
            _ => None,
        })
        .expect("a lock request on connect");
    s.handle_lock_granted(lock, 1);
    drain(&mut s);
    let leader_key = format!("{}:leader", QueueConfig::default().storage_key);
    let record = store.raw(&leader_key).expect("the leader's record");
    assert!(record.starts_with("held "), "{record}");
    s.handle_page_hide(2);
    assert!(
        drain(&mut s).contains(&Output::ReleaseLock { lock }),
        "let go on pagehide, still connected"
    );
    let record = store.raw(&leader_key).expect("the leader's record");
    assert!(record.starts_with("released "), "{record}");
    // Back from the back/forward cache: asks to lead again.
    s.handle_page_show(3);
    assert!(drain(&mut s)
        .iter()
        .any(|o| matches!(o, Output::AcquireLock { .. })));
}
