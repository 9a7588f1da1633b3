//! Presence, typing and delivery through the session: their emits go out
//! through the connection, the server's events reach them, receipts follow.

use super::*;
use crate::core::delivery::{DeliveryConfig, DeliveryEvent, DeliveryState};
use crate::core::presence::{PresenceConfig, PresenceStatus};
use crate::core::queue::NewMessage;
use crate::core::typing::{TypingConfig, TypingPrivacy};

#[test]
fn presence_goes_out_on_connect_and_hears_the_server() {
    let mut s = session();
    let p = s
        .attach_presence(PresenceConfig::default(), PresenceAttach::default(), 0)
        .unwrap();
    s.presence_do(p, 0, |c, _| c.subscribe_to_users(&["u2".to_owned()]))
        .unwrap();
    let out = connect(&mut s, 10);
    let sent: Vec<String> = frames(&out).into_iter().skip(1).collect();
    assert!(
        sent[0].contains(r#"["presence:update",{"status":"online","customStatus":null}]"#),
        "{sent:?}"
    );
    assert!(
        sent[1].contains(r#""presence:subscribe",{"userIds":["u2"]}"#),
        "{sent:?}"
    );
    // The ready event named the user.
    assert_eq!(s.presence(p).unwrap().current_user_id(), Some("me"));
    let presences =
        json!({"success": true, "data": {"presences": [{"userId": "u2", "status": "busy"}]}});
    answer(&mut s, &sent, "presence:subscribe", presences, 11);
    let seen = events_of(&drain(&mut s), p);
    assert!(matches!(&seen[..], [Event::PresenceChanged(u)] if u.status == PresenceStatus::Busy));
    server_event(
        &mut s,
        "presence:changed",
        json!({"userId": "u2", "status": "away"}),
        12,
    );
    let seen = events_of(&drain(&mut s), p);
    assert!(matches!(&seen[..], [Event::PresenceChanged(u)] if u.status == PresenceStatus::Away));
    server_event(&mut s, "presence:changed", json!({"status": "away"}), 13);
    let seen = events_of(&drain(&mut s), p);
    assert!(matches!(&seen[..], [Event::Dropped(e)] if e.code() == "invalid_payload"));
    s.presence_do(p, 14, |c, now| {
        c.set_status(PresenceStatus::Busy, now);
        Ok(())
    })
    .unwrap();
    let out = drain(&mut s);
    assert!(frames(&out)[0].contains(r#""status":"busy""#));
    assert_eq!(
        events_of(&out, p),
        [Event::OwnStatus {
            status: PresenceStatus::Busy,
            auto: false
        }]
    );
}

#[test]
fn a_given_user_is_kept_and_authenticated_names_the_others() {
    let mut s = session();
    let fixed = s
        .attach_presence(
            PresenceConfig::default(),
            PresenceAttach {
                user_id: Some("given".into()),
                hidden: false,
            },
            0,
        )
        .unwrap();
    let free = s
        .attach_typing(TypingConfig::default(), None, TypingPrivacy::default(), 0)
        .unwrap();
    connect(&mut s, 0);
    server_event(&mut s, "authenticated", json!({"userId": "auth-user"}), 1);
    assert_eq!(s.presence(fixed).unwrap().current_user_id(), Some("given"));
    assert_eq!(s.typing(free).unwrap().current_user_id(), Some("auth-user"));
}

#[test]
fn typing_goes_out_volatile_and_incoming_typing_reaches_the_service() {
    let mut s = session();
    let t = s
        .attach_typing(TypingConfig::default(), None, TypingPrivacy::default(), 0)
        .unwrap();
    s.typing_do(t, 0, |c, now| c.start_typing("general", None, now))
        .unwrap();
    assert!(
        frames(&drain(&mut s)).is_empty(),
        "nothing while disconnected"
    );
    connect(&mut s, 1);
    s.typing_do(t, 2, |c, now| c.start_typing("general", None, now))
        .unwrap();
    assert_eq!(
        frames(&drain(&mut s)),
        [r#"42["typing:start",{"roomName":"channel:general"}]"#]
    );
    let payload = json!({"roomName": "channel:general", "users": [{"userId": "u2", "userName": "Bo", "startedAt": 3}]});
    server_event(&mut s, "typing:event", payload, 3);
    assert!(events_of(&drain(&mut s), t).is_empty(), "batched");
    let due = s.next_deadline().unwrap();
    s.handle_timeout(due);
    let seen = events_of(&drain(&mut s), t);
    assert!(
        matches!(&seen[..], [Event::Typing(c)] if c.room_name == "channel:general" && c.users.len() == 1),
        "{seen:?}"
    );
    // Disposing stops our typing first.
    s.detach(t, due + 1);
    assert!(frames(&drain(&mut s))
        .iter()
        .any(|f| f.contains("typing:stop")));
}

#[test]
fn receipts_reach_delivery_and_read_acks_go_out_batched() {
    let mut s = session();
    let d = s
        .attach_delivery(DeliveryConfig::default(), None, 0)
        .unwrap();
    connect(&mut s, 0);
    s.delivery_do(d, 1, |c, now| {
        c.track_outgoing("c1", "general", 2, now)?;
        c.mark_sent("c1", "m1", now, now)
    })
    .unwrap();
    drain(&mut s);
    server_event(
        &mut s,
        "message:delivered",
        json!({"messageId": "m1", "userId": "u2"}),
        2,
    );
    let seen = events_of(&drain(&mut s), d);
    assert!(
        matches!(&seen[..], [Event::Delivery(DeliveryEvent::Delivered(u))] if u.status.delivered_count == 1)
    );
    s.delivery_do(d, 3, |c, now| c.acknowledge_read("m9", "general", now))
        .unwrap();
    assert!(frames(&drain(&mut s)).is_empty());
    s.handle_timeout(1_003);
    assert_eq!(
        frames(&drain(&mut s)),
        [
            r#"42["message:batch-read-ack",{"messageIds":["m9"],"channelId":"general","readAt":"1970-01-01T00:00:01.003Z"}]"#
        ]
    );
}

#[test]
fn a_status_request_completes_with_the_statuses() {
    let mut s = session();
    let d = s
        .attach_delivery(DeliveryConfig::default(), None, 0)
        .unwrap();
    connect(&mut s, 0);
    s.delivery_do(d, 0, |c, now| {
        c.track_outgoing("c1", "general", 1, now)?;
        c.mark_sent("c1", "m1", now, now)
    })
    .unwrap();
    drain(&mut s);
    let t = s.delivery_sync_status(d, vec!["c1".into()], 1).unwrap();
    let sent = frames(&drain(&mut s));
    let statuses = json!({"success": true, "data": {"statuses": [{"messageId": "m1", "status": "read", "readBy": ["u2"]}]}});
    answer(&mut s, &sent, "delivery:sync", statuses, 2);
    match outcome(&drain(&mut s), t) {
        Ok(Answer::Statuses(list)) => assert_eq!(list[0].state, DeliveryState::Read),
        other => panic!("{other:?}"),
    }
    let none = s.delivery_sync_status(d, vec![], 3).unwrap();
    assert_eq!(outcome(&drain(&mut s), none), Ok(Answer::Statuses(vec![])));
}

#[test]
fn delivery_follows_its_queue_from_pending_to_sent() {
    let mut s = session();
    let q = attach_queue(&mut s, None, "a");
    let d = s
        .attach_delivery(DeliveryConfig::default(), Some(q), 0)
        .unwrap();
    let m = s
        .queue_message(q, NewMessage::text("general", "hi"), 1)
        .unwrap();
    drain(&mut s);
    let status = |s: &Session| {
        s.delivery(d)
            .unwrap()
            .status(&m.client_message_id)
            .unwrap()
            .state
    };
    assert_eq!(status(&s), DeliveryState::Pending);
    let out = connect(&mut s, 2);
    answer(
        &mut s,
        &frames(&out),
        "message:send",
        json!({"success": true, "messageId": "srv-1"}),
        3,
    );
    let out = drain(&mut s);
    assert_eq!(status(&s), DeliveryState::Sent);
    // The handler's event goes out before the queue's.
    let order: Vec<Handle> = out
        .iter()
        .filter_map(|o| match o {
            Output::Event {
                target,
                event: Event::Delivery(_) | Event::Queue(_),
            } => Some(*target),
            _ => None,
        })
        .collect();
    assert_eq!(order[..2], [d, q]);
    assert_eq!(
        s.delivery(d)
            .unwrap()
            .status("srv-1")
            .unwrap()
            .client_message_id,
        m.client_message_id
    );
    s.detach(q, 4);
    assert!(s.delivery_attach_queue(d, Some(q)).is_err());
}

#[test]
fn the_app_can_set_the_current_user_over_the_connections_and_give_it_back() {
    let mut s = session();
    let p = s
        .attach_presence(PresenceConfig::default(), PresenceAttach::default(), 0)
        .unwrap();
    let t = s
        .attach_typing(TypingConfig::default(), None, TypingPrivacy::default(), 0)
        .unwrap();
    s.presence_set_user(p, Some("u7"), 1).unwrap();
    s.typing_set_user(t, Some("u7"), 1).unwrap();
    // The connection's user (the ready event names "me") does not replace it.
    connect(&mut s, 10);
    assert_eq!(s.presence(p).unwrap().current_user_id(), Some("u7"));
    assert_eq!(s.typing(t).unwrap().current_user_id(), Some("u7"));
    // None: the connection's user again.
    s.presence_set_user(p, None, 11).unwrap();
    s.typing_set_user(t, None, 11).unwrap();
    assert_eq!(s.presence(p).unwrap().current_user_id(), Some("me"));
    assert_eq!(s.typing(t).unwrap().current_user_id(), Some("me"));
    // An empty id is refused.
    assert!(s.presence_set_user(p, Some(""), 12).is_err());
}
