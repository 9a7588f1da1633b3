//! Sending: ack shapes, error codes, retries with backoff, timeouts,
//! disconnects and flush ids.

use super::*;
use crate::core::test_support::Tagged;

#[test]
fn every_success_ack_shape_counts_as_sent() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    q.on_connected(0);
    let acks = [
        (json!({"success": true}), None),
        (
            json!({"success": true, "messageId": "m-top"}),
            Some("m-top"),
        ),
        (
            json!({"success": true, "data": {"id": "m-data"}}),
            Some("m-data"),
        ),
        (json!({"success": true, "data": null}), None),
    ];
    for (i, (ack, id)) in acks.into_iter().enumerate() {
        queue(&mut q, &format!("m{i}"), 1);
        let (rid, _) = requests(&q.drain_effects())[0].clone();
        q.on_response(rid, Ok(ack), 2).unwrap();
        let evs = events(&q.drain_effects());
        let QueueEvent::Sent { message_id, .. } = &evs[0] else {
            panic!("{evs:?}")
        };
        assert_eq!(message_id.as_deref(), id);
        let json = evs[0].tagged();
        assert_eq!(json["data"]["messageId"], json!(id));
    }
    assert_eq!(q.get_queue_length(), 0);
    assert!(stored(&store).is_empty());
}

#[test]
fn an_error_ack_is_a_failed_attempt_carrying_the_server_code() {
    let store = MemoryStore::new();
    let config = QueueConfig {
        max_retries: 1,
        ..QueueConfig::default()
    };
    let mut q = open_with(&store, config, 1);
    q.on_connected(0);
    queue(&mut q, "x", 0);
    let rejected = || {
        Ok(
            json!({"success": false, "error": {"code": "ROOM_NOT_FOUND", "message": "Room not found"}}),
        )
    };
    let (rid, _) = requests(&q.drain_effects())[0].clone();
    q.on_response(rid, rejected(), 1).unwrap();
    let m = q.get_queued_messages().remove(0);
    assert_eq!(m.last_error_code.as_deref(), Some("ROOM_NOT_FOUND"));
    assert!(m.last_error.as_deref().unwrap().contains("Room not found"));
    assert_eq!(stored(&store)[0]["lastErrorCode"], "ROOM_NOT_FOUND");
    q.handle_timeout(q.next_deadline().unwrap());
    let (rid, _) = requests(&q.drain_effects())[0].clone();
    q.on_response(rid, rejected(), 5_000).unwrap();
    let evs = events(&q.drain_effects());
    let json = evs[0].tagged();
    assert_eq!(json["event"], "message:failed");
    assert_eq!(json["data"]["errorCode"], "ROOM_NOT_FOUND");
    assert_eq!(json["data"]["message"]["lastErrorCode"], "ROOM_NOT_FOUND");
    assert_eq!(json["data"]["message"]["status"], "failed");
    // A timeout or transport error has no server code.
    q.retry_message(&q.get_queued_messages()[0].id.clone(), 6_000)
        .unwrap();
    let (rid, _) = requests(&q.drain_effects())[0].clone();
    q.on_response(rid, Err("transport closed".into()), 6_001)
        .unwrap();
    assert_eq!(q.get_queued_messages()[0].last_error_code, None);
}

#[test]
fn removed_from_store_only_after_a_successful_ack() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    q.on_connected(0);
    queue(&mut q, "hello", 1);
    let (id, payload) = requests(&q.drain_effects())[0].clone();
    // In flight: `sending` in memory; the stored entry stays `queued`, so a
    // reload or another tab sends it again if the answer never comes.
    assert_eq!(q.get_queued_messages()[0].status, QueuedStatus::Sending);
    assert_eq!(stored(&store)[0]["status"], "queued");
    q.on_response(id, Err("transport closed".into()), 2)
        .unwrap();
    assert_eq!(q.get_queue_length(), 1);
    assert_eq!(stored_contents(&store), ["hello"]);
    let m = q.get_queued_messages().remove(0);
    assert_eq!(m.status, QueuedStatus::Queued);
    assert_eq!(m.retry_count, 1);
    assert_eq!(stored(&store)[0]["retryCount"], 1);
    // nchat's names: `retries`, `timestamp` (when queued), `lastRetryAt`
    // (the failure), stored so a reload keeps it.
    let j = m.to_json();
    assert_eq!(
        (
            j["retries"].as_u64(),
            j["timestamp"].as_u64(),
            j["lastRetryAt"].as_u64()
        ),
        (Some(1), Some(1), Some(2))
    );
    assert_eq!(stored(&store)[0]["lastRetryAt"], 2);
    assert_eq!(open(&store).get_queued_messages()[0].last_retry_at, Some(2));
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
    assert_eq!(stored(&store)[0]["status"], "failed");

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
        json!({"data": {"id": "s1"}}),
        json!({"success": true, "data": {"id": "s1", "clientMessageId": "someone-else"}}),
        json!({"success": true, "clientMessageId": "someone-else"}),
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
        assert_eq!(m.last_error_code, None);
        q.handle_timeout(q.next_deadline().unwrap());
    }
}

proptest! {
    #[test]
    fn arbitrary_acks_never_panic_and_never_lose_the_message(v in storage::arb_json(), wrap in any::<bool>(), ok in any::<bool>()) {
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
        prop_assert_eq!(stored(&store).len(), usize::from(!sent));
    }
}
