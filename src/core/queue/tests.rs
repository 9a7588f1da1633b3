use super::*;
use crate::core::json::{json, ToJson, Value};
use crate::core::store::MemoryStore;
use proptest::prelude::*;

mod attachments;
mod leader;
mod migration;
mod model;
mod sending;
mod storage;
mod tabs;

const KEY: &str = "nchat:offline-queue";
const PREFIX: &str = "nchat:offline-queue:m:";
const QKEY: &str = "nchat:offline-queue:quarantine";

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

/// The test server's ack (with its extensions on).
fn ok_ack(payload: &Value, id: &str) -> Result<Value, String> {
    Ok(json!({"success": true, "data": {
        "id": id,
        "clientMessageId": payload["clientMessageId"],
        "roomName": payload["roomName"],
        "timestamp": 1_000,
        "duplicate": false
    }}))
}

/// The stored entries (v3, one key each), in queue order.
fn stored(store: &MemoryStore) -> Vec<Value> {
    let mut v: Vec<Value> = store
        .keys()
        .into_iter()
        .filter(|k| k.starts_with(PREFIX))
        .map(|k| crate::core::json::from_str(&store.raw(&k).unwrap()).unwrap())
        .collect();
    v.sort_by_key(|e| (e["createdAt"].as_u64(), e["id"].as_str().map(str::to_owned)));
    v
}

fn stored_contents(store: &MemoryStore) -> Vec<String> {
    stored(store)
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect()
}

fn contents(q: &OfflineQueueService) -> Vec<String> {
    q.get_queued_messages()
        .into_iter()
        .map(|m| m.content)
        .collect()
}

fn queue(q: &mut OfflineQueueService, content: &str, now: Millis) -> QueuedMessage {
    q.queue_message(NewMessage::text("ch-1", content), now)
        .unwrap()
}

fn queue_msg(q: &mut OfflineQueueService, m: NewMessage, now: Millis) -> QueuedMessage {
    q.queue_message(m, now).unwrap()
}

/// The `queue:error` events as `(reason, messageId)`.
fn errors(fx: &[QueueEffect]) -> Vec<(QueueErrorReason, Option<String>)> {
    events(fx)
        .into_iter()
        .filter_map(|e| match e {
            QueueEvent::Error {
                reason, message_id, ..
            } => Some((reason, message_id)),
            _ => None,
        })
        .collect()
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
    assert!(a.persisted);
    assert_eq!(q.next_deadline(), None);

    q.on_connected(10);
    let fx = q.drain_effects();
    assert_eq!(names(&fx), ["queue:flushing", "REQUEST"]);
    assert!(matches!(
        events(&fx)[0],
        QueueEvent::Flushing { count: 3, .. }
    ));
    let reqs = requests(&fx);
    // clientMessageId also in `metadata`: the real server forwards only that.
    assert_eq!(
        reqs[0].1,
        json!({"roomName": "channel:ch-1", "content": "a", "clientMessageId": a.client_message_id,
               "metadata": {"clientMessageId": a.client_message_id}, "type": "text"})
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
                sent.push((message.content, message_id.unwrap()));
            }
        }
        if let Some(r) = requests(&fx).first() {
            next = r.clone();
        }
        if i == 2 {
            let cid = next.1["clientMessageId"].clone();
            assert_eq!(
                next.1,
                json!({"roomName": "channel:ch-1", "content": "c", "clientMessageId": cid,
                       "metadata": {"clientMessageId": cid},
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

#[test]
fn ids_are_unique_and_the_client_id_is_reused_on_every_attempt() {
    let store = MemoryStore::new();
    let config = QueueConfig {
        max_messages: 500,
        max_bytes: usize::MAX,
        ..QueueConfig::default()
    };
    let mut q = open_with(&store, config, 1);
    let mut ids = std::collections::BTreeSet::new();
    let mut cids = std::collections::BTreeSet::new();
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

#[test]
fn created_at_strictly_increases_within_an_instance_and_orders_the_queue() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    // Same instant, then a clock that steps back.
    let times: Vec<Millis> = [50, 50, 50, 40, 51]
        .into_iter()
        .enumerate()
        .map(|(i, t)| queue(&mut q, &format!("m{i}"), t).created_at)
        .collect();
    assert_eq!(times, [50, 51, 52, 53, 54]);
    assert_eq!(contents(&q), ["m0", "m1", "m2", "m3", "m4"]);
    // A reloaded tab continues after what it finds.
    drop(q);
    let mut again = open(&store);
    assert_eq!(queue(&mut again, "m5", 52).created_at, 55);
    assert_eq!(
        stored_contents(&store),
        ["m0", "m1", "m2", "m3", "m4", "m5"]
    );
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
    assert!(errors(&q.drain_effects()).is_empty());

    // Invalid input is refused too.
    for bad in [NewMessage::text("", "x"), NewMessage::text("ch", "  ")] {
        assert!(matches!(
            q.queue_message(bad, 2),
            Err(QueueError::InvalidMessage(_))
        ));
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
fn update_content_is_stored_and_sent_but_not_while_in_flight() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    let a = queue(&mut q, "a", 0);
    let b = queue(&mut q, "b", 1);
    assert_eq!(q.update_content(&b.id, "b2", 2), Ok(true));
    assert_eq!(stored_contents(&store), ["a", "b2"], "stored at once");
    assert_eq!(contents(&q), ["a", "b2"]);
    assert_eq!(q.update_content("nope", "x", 3), Ok(false));
    // Blank text would be set aside at the next load: refused, nothing changes.
    assert!(matches!(
        q.update_content(&b.id, "  ", 3),
        Err(QueueError::InvalidMessage(_))
    ));
    assert_eq!(stored_contents(&store), ["a", "b2"]);
    assert_eq!(
        contents(&open(&store)),
        ["a", "b2"],
        "the next load keeps it"
    );
    // Another tab reading the store sees the new text.
    assert_eq!(contents(&open(&store)), ["a", "b2"]);
    q.on_connected(4); // "a" in flight
    let fx = q.drain_effects();
    assert_eq!(
        q.update_content(&a.id, "a2", 5),
        Ok(false),
        "what goes out cannot change"
    );
    assert_eq!(stored_contents(&store), ["a", "b2"]);
    let (id, payload) = requests(&fx)[0].clone();
    q.on_response(id, ok_ack(&payload, "srv-1"), 6).unwrap();
    let reqs = requests(&q.drain_effects());
    assert_eq!(reqs[0].1["content"], json!("b2"), "the new text is sent");
}
