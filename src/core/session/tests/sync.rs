//! Sync through the session: the reconnect sequence runs by itself after a
//! reconnect (not the first connect), flushes its queue first, and the
//! calls waiting for it complete.

use super::*;
use crate::core::queue::NewMessage;
use crate::core::sync::{SyncConfig, SyncEvent, SyncStage};

fn started(out: &[Output], h: Handle) -> bool {
    events_of(out, h)
        .iter()
        .any(|e| matches!(e, Event::Sync(SyncEvent::Started { .. })))
}

#[test]
fn a_reconnect_runs_the_sequence_after_the_queue_flushed() {
    let mut s = session();
    let q = attach_queue(&mut s, None, "a");
    let y = s
        .attach_sync(
            SyncConfig::default(),
            SyncAttach {
                queue: Some(q),
                auto: true,
                presence_user_ids: vec!["u2".into()],
            },
            0,
        )
        .unwrap();
    let out = connect(&mut s, 0);
    assert!(!started(&out, y), "not on the first connect");
    s.queue_message(q, NewMessage::text("general", "offline"), 1)
        .unwrap();
    let sent = frames(&drain(&mut s));
    s.handle_socket_closed(2);
    drain(&mut s);
    let at = drop_and_reconnect(&mut s, 2);
    s.handle_socket_frame(READY, at);
    let out = drain(&mut s);
    assert!(started(&out, y));
    let sent_now = frames(&out);
    assert!(
        sent_now.iter().all(|f| !f.contains("sync:channels")),
        "the queue step waits for the flush: {sent_now:?}"
    );
    let _ = sent;
    answer(&mut s, &sent_now, "message:send", ok(), at + 1);
    let sent = frames(&drain(&mut s));
    let channels =
        json!({"success": true, "data": {"channels": [{"roomName": "channel:general"}]}});
    answer(&mut s, &sent, "sync:channels", channels, at + 2);
    let sent = frames(&drain(&mut s));
    assert!(
        sent[0]
            .contains(r#"["sync:messages",{"roomName":"channel:general","since":0,"limit":50}]"#),
        "{sent:?}"
    );
    let messages =
        json!({"success": true, "data": {"messages": [], "serverTime": 1_700_000_000_000u64}});
    answer(&mut s, &sent, "sync:messages", messages, at + 3);
    let sent = frames(&drain(&mut s));
    assert!(sent[0].contains(r#""presence:subscribe",{"userIds":["u2"]}"#));
    answer(
        &mut s,
        &sent,
        "presence:subscribe",
        json!({"success": true, "data": {"presences": []}}),
        at + 4,
    );
    let out = drain(&mut s);
    let completed = events_of(&out, y).into_iter().find_map(|e| match e {
        Event::Sync(SyncEvent::Completed { result, .. }) => Some(result),
        _ => None,
    });
    let result = completed.expect("completed");
    assert_eq!((result.queue_flushed.sent, result.channels.synced), (1, 1));
    assert_eq!(
        s.sync(y).unwrap().channel_sync_timestamp("general"),
        Some(1_700_000_000_000)
    );
}

#[test]
fn manual_syncs_complete_their_tickets() {
    let mut s = session();
    let y = s
        .attach_sync(SyncConfig::default(), SyncAttach::default(), 0)
        .unwrap();
    connect(&mut s, 0);
    let t = s.sync_messages(y, "general", None, 1).unwrap();
    let sent = frames(&drain(&mut s));
    answer(
        &mut s,
        &sent,
        "sync:messages",
        json!({"success": false, "error": {"code": "X", "message": "nope"}}),
        2,
    );
    match outcome(&drain(&mut s), t) {
        Err(SessionError::SyncStep { stage, message }) => {
            assert_eq!(stage, SyncStage::Messages);
            assert!(message.contains("nope"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // Without a queue the sequence's queue step is done at once.
    let t = s.sync_on_reconnect(y, Some(vec![]), 3).unwrap();
    let sent = frames(&drain(&mut s));
    answer(
        &mut s,
        &sent,
        "sync:channels",
        json!({"success": true, "data": {"channels": []}}),
        4,
    );
    match outcome(&drain(&mut s), t) {
        Ok(Answer::Synced(r)) => assert_eq!(r.duration, 1),
        other => panic!("{other:?}"),
    }
    let pending = s.sync_messages(y, "general", None, 5).unwrap();
    s.detach(y, 6);
    assert_eq!(
        outcome(&drain(&mut s), pending).unwrap_err(),
        SessionError::Disposed(ServiceKind::Sync)
    );
}

#[test]
fn another_tabs_sync_times_are_merged_on_its_storage_event() {
    let store = MemoryStore::new();
    let mut s = session_on(&store);
    let y = s
        .attach_sync(SyncConfig::default(), SyncAttach::default(), 0)
        .unwrap();
    let key = SyncConfig::default().storage_key;
    store.put_raw(&key, r#"{"version":1,"channels":{"general":42}}"#);
    s.handle_storage_changed(Some("other"), 1);
    assert_eq!(s.sync(y).unwrap().channel_sync_timestamp("general"), None);
    s.handle_storage_changed(Some(&key), 1);
    assert_eq!(
        s.sync(y).unwrap().channel_sync_timestamp("general"),
        Some(42)
    );
}

#[test]
fn nchats_steps_alone_and_cancel_settle_their_calls() {
    let mut s = session();
    let p = s
        .attach_presence(Default::default(), PresenceAttach::default(), 0)
        .unwrap();
    let y = s
        .attach_sync(SyncConfig::default(), SyncAttach::default(), 0)
        .unwrap();
    connect(&mut s, 0);
    let t = s.sync_channels(y, 1).unwrap();
    let sent = frames(&drain(&mut s));
    let channels = json!({"success": true, "data": {"channels": [{"roomName": "channel:a"}]}});
    answer(&mut s, &sent, "sync:channels", channels, 2);
    match outcome(&drain(&mut s), t) {
        Ok(Answer::Json(v)) => assert_eq!(v.to_text(), r#"{"synced":1,"errors":0}"#),
        other => panic!("{other:?}"),
    }
    // No presence users configured: those the presence service follows.
    s.presence_do(p, 3, |c, _| c.subscribe_to_users(&["u7".to_string()]))
        .unwrap();
    drain(&mut s);
    let t = s.sync_presence(y, 4).unwrap();
    let sent = frames(&drain(&mut s));
    assert!(
        sent.iter()
            .any(|f| f.contains(r#""presence:subscribe",{"userIds":["u7"]}"#)),
        "{sent:?}"
    );
    answer(
        &mut s,
        &sent,
        "presence:subscribe",
        json!({"success": true, "data": {"presences": []}}),
        5,
    );
    match outcome(&drain(&mut s), t) {
        Ok(Answer::Json(v)) => assert_eq!(v.to_text(), r#"{"synced":1}"#),
        other => panic!("{other:?}"),
    }
    let waiting = s.sync_on_reconnect(y, Some(vec![]), 6).unwrap();
    let also = s.sync_on_reconnect(y, None, 6).unwrap();
    drain(&mut s);
    s.sync_cancel(y, 7).unwrap();
    let out = drain(&mut s);
    for t in [waiting, also] {
        assert_eq!(
            outcome(&out, t).unwrap_err(),
            SessionError::Sync(crate::core::sync::SyncError::Cancelled)
        );
    }
    assert!(events_of(&out, y)
        .iter()
        .any(|e| matches!(e, Event::Sync(SyncEvent::Failed { .. }))));
    assert_eq!(s.sync(y).unwrap().sync_status(), "idle");
}
