//! nchat's wire events end to end through the session: what goes out
//! (`presence:unsubscribe`, `presence:get`, `auth:refresh`,
//! `message:read-ack`, `message:batch-read-ack`, `delivery:sync`) and what
//! comes in (`presence:bulk`, `typing:batch`, `delivery:sync-response`,
//! `message:batch-read`, `message:ack`, `message:sent`, `message:failed`).

use super::*;
use crate::core::delivery::{DeliveryConfig, DeliveryState};
use crate::core::presence::{PresenceConfig, PresenceStatus};
use crate::core::queue::{NewMessage, QueueEvent, QueuedStatus};
use crate::core::typing::{TypingConfig, TypingPrivacy};

fn presence(s: &mut Session) -> Handle {
    s.attach_presence(PresenceConfig::default(), PresenceAttach::default(), 0)
        .unwrap()
}

fn delivery(s: &mut Session, config: DeliveryConfig) -> Handle {
    let d = s.attach_delivery(config, None, 0).unwrap();
    s.delivery_do(d, 0, |c, now| {
        c.track_outgoing("c1", "general", 2, now)?;
        c.track_outgoing("c2", "general", 2, now)
    })
    .unwrap();
    d
}

fn delivery_events(out: &[Output], d: Handle) -> Vec<(&'static str, DeliveryState)> {
    events_of(out, d)
        .into_iter()
        .filter_map(|e| match e {
            Event::Delivery(ev) => Some((ev.name(), ev.update().status.state)),
            _ => None,
        })
        .collect()
}

#[test]
fn unsubscribing_sends_presence_unsubscribe_only_when_connected() {
    let mut s = session();
    let p = presence(&mut s);
    connect(&mut s, 0);
    s.presence_do(p, 1, |c, _| c.subscribe_to_users(&["a".into(), "b".into()]))
        .unwrap();
    server_event(
        &mut s,
        "presence:changed",
        json!({"userId": "a", "status": "busy"}),
        2,
    );
    drain(&mut s);
    let n = s
        .presence_do(p, 3, |c, _| {
            Ok(c.unsubscribe_from_users(&["a".into(), "x".into()]))
        })
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        frames(&drain(&mut s)),
        [r#"42["presence:unsubscribe",{"userIds":["a"]}]"#]
    );
    // nchat drops the cached presence with the subscription.
    assert_eq!(s.presence(p).unwrap().get_presence("a"), None);
    s.disconnect(4).unwrap();
    drain(&mut s);
    s.presence_do(p, 5, |c, _| Ok(c.unsubscribe_from_users(&["b".into()])))
        .unwrap();
    assert!(frames(&drain(&mut s)).is_empty());
    assert!(s.presence(p).unwrap().subscriptions().is_empty());
}

#[test]
fn fetch_presence_asks_presence_get_and_completes_with_the_cache() {
    let mut s = session();
    let p = presence(&mut s);
    // Disconnected: at once, with the cache as it is (empty), nothing sent.
    let t = s.presence_fetch(p, vec!["a".into()], 0).unwrap();
    let out = drain(&mut s);
    assert_eq!(outcome(&out, t), Ok(Answer::Presences(vec![])));
    assert!(frames(&out).is_empty());
    connect(&mut s, 1);
    let t = s
        .presence_fetch(p, vec!["a".into(), "b".into()], 2)
        .unwrap();
    let sent = frames(&drain(&mut s));
    assert!(
        sent[0].contains(r#""presence:get",{"userIds":["a","b"]}]"#),
        "{sent:?}"
    );
    let presences = json!({"success": true, "data": {"presences": [
        {"userId": "a", "status": "away", "customStatus": {"text": "lunch", "emoji": "🍜"}, "lastSeen": "2026-01-01T00:00:00.000Z"},
        {"userId": "b", "status": "offline"}
    ]}});
    answer(&mut s, &sent, "presence:get", presences, 3);
    let out = drain(&mut s);
    let Ok(Answer::Presences(list)) = outcome(&out, t) else {
        panic!("{out:?}")
    };
    let ids: Vec<_> = list
        .iter()
        .map(|p| (p.user_id.as_str(), p.status))
        .collect();
    assert_eq!(
        ids,
        [("a", PresenceStatus::Away), ("b", PresenceStatus::Offline)]
    );
    assert_eq!(list[0].last_seen_at, Some(1_767_225_600_000));
    assert_eq!(
        list[0]
            .custom_status
            .as_ref()
            .and_then(|c| c.emoji.as_deref()),
        Some("🍜")
    );
    // A refusal still completes with the cache (nchat never rejects).
    let t = s.presence_fetch(p, vec!["c".into()], 4).unwrap();
    let sent = frames(&drain(&mut s));
    let refusal = json!({"success": false, "error": {"code": "X", "message": "no"}});
    answer(&mut s, &sent, "presence:get", refusal, 5);
    match outcome(&drain(&mut s), t) {
        Ok(Answer::Presences(list)) => assert_eq!(list.len(), 2),
        other => panic!("{other:?}"),
    }
    assert!(s.presence_fetch(p, vec![String::new()], 6).is_err());
}

/// Each snapshot request keeps its mark through the session: a broadcast
/// that lands before the answer (SSE's order) wins over it.
#[test]
fn a_presence_answer_older_than_a_broadcast_does_not_undo_it() {
    let mut s = session();
    let p = presence(&mut s);
    connect(&mut s, 0);
    let t = s.presence_fetch(p, vec!["a".into()], 1).unwrap();
    let sent = frames(&drain(&mut s));
    server_event(
        &mut s,
        "presence:changed",
        json!({"userId": "a", "status": "busy"}),
        2,
    );
    drain(&mut s);
    let stale =
        json!({"success": true, "data": {"presences": [{"userId": "a", "status": "online"}]}});
    answer(&mut s, &sent, "presence:get", stale.clone(), 3);
    let Ok(Answer::Presences(list)) = outcome(&drain(&mut s), t) else {
        panic!("no answer")
    };
    assert_eq!(list[0].status, PresenceStatus::Busy);
    // Asked after the broadcast, the same answer is news.
    let t = s.presence_fetch(p, vec!["a".into()], 4).unwrap();
    let sent = frames(&drain(&mut s));
    answer(&mut s, &sent, "presence:get", stale, 5);
    let Ok(Answer::Presences(list)) = outcome(&drain(&mut s), t) else {
        panic!("no answer")
    };
    assert_eq!(list[0].status, PresenceStatus::Online);
}

#[test]
fn presence_bulk_fills_the_cache_and_tells_the_app() {
    let mut s = session();
    let p = presence(&mut s);
    connect(&mut s, 0);
    let bulk = json!({"presences": [{"userId": "a", "status": "busy"}, {"userId": "b", "status": "online"}]});
    server_event(&mut s, "presence:bulk", bulk, 1);
    let changed: Vec<String> = events_of(&drain(&mut s), p)
        .into_iter()
        .filter_map(|e| match e {
            Event::PresenceChanged(u) => Some(u.user_id),
            _ => None,
        })
        .collect();
    assert_eq!(changed, ["a", "b"]);
    let a = s.presence(p).unwrap().get_presence("a").unwrap();
    assert_eq!(a.status, PresenceStatus::Busy);
}

#[test]
fn typing_batch_updates_rooms_like_typing_events() {
    let mut s = session();
    let t = s
        .attach_typing(TypingConfig::default(), None, TypingPrivacy::default(), 0)
        .unwrap();
    connect(&mut s, 0);
    let batch = json!({"updates": [
        {"roomName": "channel:general", "roomType": "channel", "users": [{"userId": "u1", "userName": "Ann", "startedAt": "1970-01-01T00:00:00.010Z"}]},
        {"roomName": "channel:general", "roomType": "thread", "threadId": "t1", "users": [{"userId": "u2", "startedAt": 10}]},
        "garbage"
    ]});
    server_event(&mut s, "typing:batch", batch, 10);
    let typing = s.typing(t).unwrap();
    let names: Vec<_> = typing
        .get_typing_users("general", None)
        .into_iter()
        .map(|u| u.user_id)
        .collect();
    assert_eq!(names, ["u1"]);
    assert_eq!(typing.get_typing_users("general", Some("t1")).len(), 1);
    // The malformed entry is reported; the others applied.
    assert!(events_of(&drain(&mut s), t)
        .iter()
        .any(|e| matches!(e, Event::Dropped(_))));
    // An update with no users clears the room, as a typing:event does.
    let clear =
        json!({"updates": [{"roomName": "channel:general", "roomType": "channel", "users": []}]});
    server_event(&mut s, "typing:batch", clear, 20);
    assert!(s
        .typing(t)
        .unwrap()
        .get_typing_users("general", None)
        .is_empty());
}

#[test]
fn update_token_refreshes_a_live_connection_and_the_next_connect() {
    let mut s = session();
    // Before connect: nothing to send, kept for the CONNECT.
    s.update_token("t0", 0).unwrap();
    assert!(frames(&drain(&mut s)).is_empty());
    connect(&mut s, 0);
    s.update_token("t2", 1).unwrap();
    assert_eq!(
        frames(&drain(&mut s)),
        [r#"42["auth:refresh",{"token":"t2"}]"#]
    );
    assert!(s.update_token("", 2).is_err());
    // The reconnect authenticates with the new token.
    drop_and_reconnect(&mut s, 3);
    let out = frames(&drain(&mut s));
    assert!(
        out.iter()
            .any(|f| f.starts_with("40") && f.contains(r#""token":"t2""#)),
        "{out:?}"
    );
    // While down, the token is only kept (never buffered).
    s.handle_socket_closed(100);
    s.update_token("t3", 101).unwrap();
    assert!(!frames(&drain(&mut s))
        .iter()
        .any(|f| f.contains("auth:refresh")));
    // A token with claims gives the user (nchat's `initialize({ token })`, then `connect()`).
    s.update_token("e30.eyJ1c2VySWQiOiJ0aW5hIn0.x", 102)
        .unwrap();
    let user = s.connection().and_then(|c| c.user_id().map(str::to_owned));
    assert_eq!(user.as_deref(), Some("tina"));
}

#[test]
fn unbatched_read_acks_go_one_by_one_at_once() {
    let mut s = session();
    let d = s
        .attach_delivery(
            DeliveryConfig {
                batch_read_ack: false,
                ..Default::default()
            },
            None,
            0,
        )
        .unwrap();
    connect(&mut s, 0);
    s.delivery_do(d, 2_000, |c, now| {
        c.acknowledge_read("m1", "general", now)?;
        c.acknowledge_read("m2", "general", now)
    })
    .unwrap();
    assert_eq!(
        frames(&drain(&mut s)),
        [
            r#"42["message:read-ack",{"messageId":"m1","channelId":"general","readAt":"1970-01-01T00:00:02.000Z"}]"#,
            r#"42["message:read-ack",{"messageId":"m2","channelId":"general","readAt":"1970-01-01T00:00:02.000Z"}]"#
        ]
    );
    assert_eq!(s.delivery(d).unwrap().pending_read_acks(), 0);
}

#[test]
fn server_sent_message_events_move_tracked_messages() {
    let mut s = session();
    let d = delivery(&mut s, DeliveryConfig::default());
    connect(&mut s, 0);
    drain(&mut s);
    let sent =
        json!({"clientMessageId": "c1", "messageId": "m1", "sentAt": "1970-01-01T00:00:05.000Z"});
    server_event(&mut s, "message:sent", sent, 10);
    let st = s.delivery(d).unwrap().status("m1").unwrap();
    assert_eq!((st.state, st.sent_at), (DeliveryState::Sent, Some(5_000)));
    server_event(
        &mut s,
        "message:ack",
        json!({"messageId": "m1", "status": "delivered"}),
        11,
    );
    let batch =
        json!({"channelId": "general", "userId": "u2", "messageIds": ["m1", "zzz"], "readAt": 12});
    server_event(&mut s, "message:batch-read", batch, 12);
    let failed = json!({"clientMessageId": "c2", "errorCode": "RATE", "errorMessage": "slow down", "retryable": true});
    server_event(&mut s, "message:failed", failed, 13);
    let out = drain(&mut s);
    assert_eq!(
        delivery_events(&out, d),
        [
            ("message:sent", DeliveryState::Sent),
            ("message:delivered", DeliveryState::Delivered),
            ("message:read", DeliveryState::Read),
            ("message:failed", DeliveryState::Failed)
        ]
    );
    let read = s.delivery(d).unwrap().status("c1").unwrap();
    assert_eq!(read.read_by, ["u2"]);
    assert_eq!(
        s.delivery(d)
            .unwrap()
            .status("c2")
            .unwrap()
            .error
            .as_deref(),
        Some("slow down")
    );
    // A late failure cannot undo what the server confirmed.
    let late =
        json!({"clientMessageId": "c1", "errorCode": "X", "errorMessage": "x", "retryable": false});
    server_event(&mut s, "message:failed", late, 14);
    assert_eq!(
        s.delivery(d).unwrap().status("c1").unwrap().state,
        DeliveryState::Read
    );
}

#[test]
fn delivery_sync_goes_out_on_reconnect_and_its_response_event_answers() {
    let mut s = session();
    let d = delivery(&mut s, DeliveryConfig::default());
    connect(&mut s, 0);
    s.delivery_do(d, 1, |c, now| c.mark_sent("c1", "m1", now, now))
        .unwrap();
    drain(&mut s);
    let at = drop_and_reconnect(&mut s, 2);
    s.handle_socket_frame(READY, at);
    let out = frames(&drain(&mut s));
    assert!(
        out.iter()
            .any(|f| f.contains(r#""delivery:sync",{"messageIds":["m1"]}]"#)),
        "{out:?}"
    );
    // nchat's server answers with an event, not the ack.
    let response = json!({"statuses": [{"messageId": "m1", "state": "delivered", "deliveredCount": 1, "updatedAt": "1970-01-01T00:00:01.000Z"}]});
    server_event(&mut s, "delivery:sync-response", response, at + 1);
    assert_eq!(
        delivery_events(&drain(&mut s), d),
        [("message:delivered", DeliveryState::Delivered)]
    );
    // An app's syncDeliveryStatus completes on the response event too.
    let t = s
        .delivery_sync_status(d, vec!["c1".into()], at + 2)
        .unwrap();
    drain(&mut s);
    let read = json!({"statuses": [{"messageId": "m1", "state": "read"}]});
    server_event(&mut s, "delivery:sync-response", read, at + 3);
    match outcome(&drain(&mut s), t) {
        Ok(Answer::Statuses(list)) => assert_eq!(list[0].state, DeliveryState::Read),
        other => panic!("{other:?}"),
    }
    // `failed` applies to a message the server never confirmed.
    let failed = json!({"statuses": [{"messageId": "c2", "state": "failed"}]});
    server_event(&mut s, "delivery:sync-response", failed, at + 4);
    assert_eq!(
        s.delivery(d).unwrap().status("c2").unwrap().state,
        DeliveryState::Failed
    );
}

#[test]
fn message_sent_and_failed_settle_the_queued_message_in_flight() {
    let mut s = session();
    let q = attach_queue(&mut s, None, "a");
    connect(&mut s, 0);
    let m = s
        .queue_message(q, NewMessage::text("general", "hi"), 1)
        .unwrap();
    let sent = frames(&drain(&mut s));
    assert!(sent.iter().any(|f| f.contains("message:send")), "{sent:?}");
    let ev = json!({"clientMessageId": m.client_message_id, "messageId": "m7", "sentAt": 2});
    server_event(&mut s, "message:sent", ev, 2);
    let out = drain(&mut s);
    let sent_ev = events_of(&out, q).into_iter().find_map(|e| match e {
        Event::Queue(QueueEvent::Sent { message_id, .. }) => Some(message_id),
        _ => None,
    });
    assert_eq!(sent_ev, Some(Some("m7".into())));
    assert_eq!(s.queue(q).unwrap().get_queue_length(), 0);
    // The late ack of the same send changes nothing.
    answer(&mut s, &sent, "message:send", ok(), 3);
    assert!(!events_of(&drain(&mut s), q)
        .iter()
        .any(|e| matches!(e, Event::Queue(QueueEvent::Sent { .. }))));
    // A failure that is not retryable is final.
    let m2 = s
        .queue_message(q, NewMessage::text("general", "again"), 4)
        .unwrap();
    drain(&mut s);
    let ev = json!({"clientMessageId": m2.client_message_id, "errorCode": "FORBIDDEN", "errorMessage": "muted", "retryable": false});
    server_event(&mut s, "message:failed", ev, 5);
    let out = drain(&mut s);
    assert!(events_of(&out, q).iter().any(|e| matches!(
        e,
        Event::Queue(QueueEvent::Failed { error_code: Some(c), .. }) if c == "FORBIDDEN"
    )));
    let kept = s.queue(q).unwrap().get_message(&m2.id).unwrap();
    assert_eq!(kept.status, QueuedStatus::Failed);
    // Another message's events are ignored.
    let other = json!({"clientMessageId": "nope", "messageId": "m9"});
    server_event(&mut s, "message:sent", other, 6);
    assert_eq!(s.queue(q).unwrap().get_queue_length(), 1);
}
