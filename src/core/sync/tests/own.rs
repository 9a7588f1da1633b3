//! nchat's steps on their own (`syncChannels`, `syncPresence`), `cancelSync`
//! and `reconcileConflicts`.

use super::*;
use crate::core::json::ToJson;

fn answers(fx: &[SyncEffect]) -> Vec<(u64, Value)> {
    fx.iter()
        .filter_map(|e| match e {
            SyncEffect::Answer { request_id, value } => Some((*request_id, value.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn sync_channels_alone_answers_counts_and_never_fails() {
    let mut s = open(&MemoryStore::new());
    let id = s.sync_channels(0);
    let fx = s.drain_effects();
    let (rid, event, _) = request(&fx);
    assert_eq!((rid, event.as_str()), (id, "sync:channels"));
    let list = json!({"channels": [{"roomName": "channel:a"}, {"channelId": "b"}, {"roomName": "channel:a"}, 7]});
    s.on_response(id, ok(list), 1).unwrap();
    let fx = s.drain_effects();
    assert_eq!(answers(&fx), vec![(id, json!({"synced": 2, "errors": 1}))]);
    assert_eq!(labels(&fx), vec![r#"ANSWER {"synced":2,"errors":1}"#]);
    assert!(!s.is_syncing());

    let id = s.sync_channels(2);
    s.drain_effects();
    let refused = Ok(json!({"success": false, "error": {"code": "X", "message": "no"}}));
    s.on_response(id, refused, 3).unwrap();
    assert_eq!(
        answers(&s.drain_effects()),
        vec![(id, json!({"synced": 0, "errors": 1}))]
    );

    let id = s.sync_channels(4);
    s.drain_effects();
    s.handle_timeout(4 + SyncConfig::default().request_timeout_ms);
    assert_eq!(
        answers(&s.drain_effects()),
        vec![(id, json!({"synced": 0, "errors": 1}))]
    );
}

#[test]
fn sync_presence_alone_counts_acknowledged_users() {
    let mut s = open(&MemoryStore::new());
    let none = s.sync_presence(vec![], 0);
    let fx = s.drain_effects();
    assert_eq!(answers(&fx), vec![(none, json!({"synced": 0}))]);
    assert_eq!(fx.len(), 1, "nothing is sent for nobody");

    let id = s.sync_presence(vec!["u1".into(), "u2".into()], 1);
    assert_ne!(id, none);
    let fx = s.drain_effects();
    let (_, event, payload) = request(&fx);
    assert_eq!(event, "presence:subscribe");
    assert_eq!(payload, json!({"userIds": ["u1", "u2"]}));
    s.on_response(id, ok(json!({"presences": []})), 2).unwrap();
    assert_eq!(
        answers(&s.drain_effects()),
        vec![(id, json!({"synced": 2}))]
    );

    let id = s.sync_presence(vec!["u1".into()], 3);
    s.drain_effects();
    s.on_response(id, Err("disconnected".into()), 4).unwrap();
    assert_eq!(
        answers(&s.drain_effects()),
        vec![(id, json!({"synced": 0}))]
    );
}

#[test]
fn cancel_sync_ends_the_run_as_failed_and_ignores_its_late_answer() {
    let mut s = open(&MemoryStore::new());
    assert_eq!(s.cancel_sync(), None);
    assert!(s.drain_effects().is_empty());
    let first = s.sync_on_reconnect(&[], 0);
    s.on_queue_flushed(0, 0, 1);
    let fx = s.drain_effects();
    let (channels, _, _) = request(&fx);
    assert_eq!(s.sync_status(), "syncing");

    assert_eq!(s.cancel_sync(), Some(first));
    let fx = s.drain_effects();
    assert_eq!(
        events(&fx),
        vec![SyncEvent::Failed {
            sync_id: first,
            error: "cancelled"
        }]
    );
    assert_eq!(events(&fx)[0].name(), "sync:failed");
    assert_eq!(
        events(&fx)[0].to_json(),
        json!({"syncId": first, "error": "cancelled"})
    );
    assert!(!s.is_syncing());
    assert_eq!(s.sync_status(), "idle");
    assert_eq!(s.next_deadline(), None, "its request no longer times out");
    assert_eq!(
        s.on_response(channels, ok(json!({"channels": []})), 2),
        Err(SyncError::UnknownRequest(channels))
    );
    assert!(s.drain_effects().is_empty());

    let second = s.sync_on_reconnect(&[], 3);
    assert_ne!(second, first);
    s.on_queue_flushed(0, 0, 3);
    let fx = s.drain_effects();
    let (id, _, _) = request(&fx);
    s.on_response(id, ok(json!({"channels": []})), 4).unwrap();
    assert!(completed(&s.drain_effects()).is_some());
    assert_eq!(s.sync_status(), "completed");
}

#[test]
fn reconcile_follows_nchats_rule() {
    let m = |id: &str, content: &str, created: &str, updated: Option<&str>, edited: bool| {
        json!({"id": id, "channelId": "c", "content": content, "userId": "u", "createdAt": created,
               "updatedAt": updated, "type": "text", "isEdited": edited})
    };
    let t1 = "2024-01-01T00:00:01.000Z";
    let t2 = "2024-01-01T00:00:02.000Z";
    let server = |l: Value, r: Value| reconcile(&l, &r);
    assert!(
        server(
            m("l", "mine", t1, None, false),
            m("r", "theirs", t1, Some(t2), false)
        ),
        "remote newer"
    );
    assert!(
        server(
            m("l", "mine", t2, None, false),
            m("r", "theirs", t2, None, false)
        ),
        "as recent"
    );
    assert!(
        !server(
            m("l", "mine", t1, Some(t2), false),
            m("r", "theirs", t1, None, false)
        ),
        "local newer"
    );
    assert!(
        server(
            m("l", "mine", t1, Some(t2), false),
            m("r", "theirs", t1, None, true)
        ),
        "edited on the server"
    );
    assert!(
        !server(
            m("l", "mine", "soon", None, false),
            m("r", "theirs", t2, None, false)
        ),
        "NaN compares false"
    );
}
