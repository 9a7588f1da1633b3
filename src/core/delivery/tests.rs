use super::*;
use crate::core::json::json;
use crate::core::test_support::Tagged;
use proptest::prelude::*;

fn events(h: &mut DeliveryEventHandler) -> Vec<DeliveryEvent> {
    h.drain_effects()
        .into_iter()
        .filter_map(|e| match e {
            DeliveryEffect::Event(ev) => Some(ev),
            _ => None,
        })
        .collect()
}

fn sent_handler() -> DeliveryEventHandler {
    let mut h = DeliveryEventHandler::default();
    h.on_reconnected(0);
    h.track_outgoing("c1", "ch-1", 3, 10).unwrap();
    h.on_sent("c1", "m1", 20, 20).unwrap();
    h.drain_effects();
    h
}

fn delivered(user: &str) -> Value {
    json!({"messageId": "m1", "clientMessageId": "c1", "roomName": "channel:ch-1", "userId": user, "deliveredAt": 100})
}

fn read(user: &str) -> Value {
    json!({"messageId": "m1", "roomName": "channel:ch-1", "userId": user, "readAt": "1970-01-01T00:00:00.200Z"})
}

#[test]
fn state_transitions_are_forward_only() {
    use DeliveryState::*;
    assert!(Pending.can_transition_to(Sending));
    assert!(Sending.can_transition_to(Sent));
    assert!(Sent.can_transition_to(Delivered));
    assert!(Delivered.can_transition_to(Read));
    assert!(Sending.can_transition_to(Failed));
    assert!(Failed.can_transition_to(Sending));
    assert!(!Read.can_transition_to(Delivered));
    assert!(!Delivered.can_transition_to(Sent));
    assert!(!Sent.can_transition_to(Sending));
    assert!(!Sent.can_transition_to(Failed));
    assert!(!Read.can_transition_to(Failed));
    assert!(!Sending.can_transition_to(Pending));
}

#[test]
fn sent_ack_maps_ids_and_emits_sent() {
    let mut h = DeliveryEventHandler::default();
    let st = h.track_outgoing("c1", "ch-1", 2, 10).unwrap();
    assert_eq!(st.state, DeliveryState::Sending);
    h.on_sent("c1", "m1", 15, 20).unwrap();
    let ev = events(&mut h);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].name(), "message:sent");
    let data = ev[0].tagged();
    assert_eq!(data["event"], "message:sent");
    assert_eq!(data["data"]["clientMessageId"], "c1");
    assert_eq!(data["data"]["messageId"], "m1");
    assert_eq!(data["data"]["totalRecipients"], 2);
    assert_eq!(data["data"]["deliveredCount"], 0);
    assert_eq!(data["data"]["state"], "sent");
    assert_eq!(h.status("m1").unwrap().client_message_id, "c1");
    assert_eq!(h.status("c1").unwrap().sent_at, Some(15));
}

#[test]
fn tracking_validates_and_refuses_duplicates() {
    let mut h = DeliveryEventHandler::default();
    assert!(matches!(
        h.track_outgoing("", "ch", 1, 0),
        Err(DeliveryError::InvalidArgument(_))
    ));
    h.track_outgoing("c1", "ch", 1, 0).unwrap();
    assert_eq!(
        h.track_outgoing("c1", "ch", 1, 0),
        Err(DeliveryError::AlreadyTracked("c1".into()))
    );
    assert!(matches!(
        h.on_sent("nope", "m", 0, 0),
        Err(DeliveryError::UnknownMessage(_))
    ));
}

#[test]
fn per_recipient_counts_and_delivered_at_first_recipient() {
    let mut h = sent_handler();
    h.on_delivered(&delivered("u1"), 100).unwrap();
    let st = h.status("c1").unwrap();
    assert_eq!(st.state, DeliveryState::Delivered);
    assert_eq!(
        (st.delivered_count, st.read_count, st.total_recipients),
        (1, 0, 3)
    );
    let ev = events(&mut h);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].update().user_id.as_deref(), Some("u1"));
    assert_eq!(ev[0].update().at, 100);
    // Same recipient again: nothing changes, no event.
    h.on_delivered(&delivered("u1"), 101).unwrap();
    assert!(events(&mut h).is_empty());
    h.on_delivered(&delivered("u2"), 102).unwrap();
    assert_eq!(h.status("c1").unwrap().delivered_count, 2);
    assert_eq!(events(&mut h).len(), 1);
    // A reader counts as delivered too.
    h.on_read(&read("u3"), 103).unwrap();
    let st = h.status("c1").unwrap();
    assert_eq!(st.state, DeliveryState::Read);
    assert_eq!((st.delivered_count, st.read_count), (3, 1));
    assert_eq!(st.read_by, vec!["u3".to_string()]);
    let ev = events(&mut h);
    assert_eq!(ev[0].name(), "message:read");
    assert_eq!(ev[0].update().at, 200);
}

#[test]
fn late_delivered_never_undoes_read() {
    let mut h = sent_handler();
    h.on_read(&read("u1"), 50).unwrap();
    assert_eq!(h.status("c1").unwrap().state, DeliveryState::Read);
    h.on_delivered(&delivered("u2"), 60).unwrap();
    let st = h.status("c1").unwrap();
    assert_eq!(st.state, DeliveryState::Read);
    assert_eq!(st.delivered_count, 2);
    // A late send ack changes nothing either.
    h.drain_effects();
    h.on_sent("c1", "m1", 70, 70).unwrap();
    assert!(events(&mut h).is_empty());
    assert_eq!(h.status("c1").unwrap().state, DeliveryState::Read);
    assert!(matches!(
        h.on_failed("c1", "boom", 80),
        Err(DeliveryError::InvalidTransition { .. })
    ));
}

#[test]
fn receipt_before_ack_maps_and_advances() {
    let mut h = DeliveryEventHandler::default();
    h.track_outgoing("c1", "ch-1", 1, 0).unwrap();
    h.on_delivered(&delivered("u1"), 5).unwrap();
    let st = h.status("m1").unwrap();
    assert_eq!(st.state, DeliveryState::Delivered);
    assert_eq!(st.message_id.as_deref(), Some("m1"));
}

#[test]
fn failure_and_retry() {
    let mut h = DeliveryEventHandler::default();
    h.track_queued("c1", "ch", 1, 0).unwrap();
    assert_eq!(h.status("c1").unwrap().state, DeliveryState::Pending);
    h.mark_sending("c1", 1).unwrap();
    h.on_failed("c1", "timeout", 2).unwrap();
    let ev = events(&mut h);
    assert_eq!(ev[0].name(), "message:failed");
    let data = ev[0].tagged();
    assert_eq!(data["data"]["error"], "timeout");
    h.mark_sending("c1", 3).unwrap();
    assert_eq!(h.status("c1").unwrap().state, DeliveryState::Sending);
    assert_eq!(h.status("c1").unwrap().error, None);
    h.on_sent("c1", "m1", 4, 4).unwrap();
    assert!(matches!(
        h.mark_sending("c1", 5),
        Err(DeliveryError::InvalidTransition { .. })
    ));
}

#[test]
fn malformed_receipts_are_dropped_without_change() {
    let mut h = sent_handler();
    let before = h.statuses();
    for bad in [
        json!(null),
        json!("x"),
        json!({"messageId": "m1"}),
        json!({"userId": "u1"}),
        json!({"messageId": 5, "userId": "u1"}),
        json!({"messageId": "m1", "userId": ""}),
    ] {
        assert!(matches!(
            h.on_delivered(&bad, 1),
            Err(DeliveryError::MalformedPayload { .. })
        ));
    }
    assert!(matches!(
        h.on_read(&json!({"messageId": "other", "userId": "u"}), 1),
        Err(DeliveryError::UnknownMessage(_))
    ));
    assert_eq!(h.statuses(), before);
    assert!(h.drain_effects().is_empty());
}

#[test]
fn read_acks_are_batched_per_channel_once_per_second() {
    let mut h = DeliveryEventHandler::default();
    h.on_reconnected(0);
    assert_eq!(h.next_deadline(), None);
    h.acknowledge_read("m1", "ch-1", 1_000).unwrap();
    h.acknowledge_read("m2", "ch-1", 1_200).unwrap();
    h.acknowledge_read("m1", "ch-1", 1_300).unwrap();
    h.acknowledge_read("m9", "ch-2", 1_500).unwrap();
    assert_eq!(h.next_deadline(), Some(2_000));
    h.handle_timeout(1_999);
    assert!(h.drain_effects().is_empty());
    h.handle_timeout(2_000);
    let fx = h.drain_effects();
    assert_eq!(
        fx,
        vec![
            DeliveryEffect::Send {
                event: "message:batch-read-ack".into(),
                payload: json!({"messageIds": ["m1", "m2"], "channelId": "ch-1", "readAt": "1970-01-01T00:00:02.000Z"}),
            },
            DeliveryEffect::Send {
                event: "message:batch-read-ack".into(),
                payload: json!({"messageIds": ["m9"], "channelId": "ch-2", "readAt": "1970-01-01T00:00:02.000Z"}),
            },
        ]
    );
    assert_eq!(h.next_deadline(), None);
    // A new batch starts its own 1 s window.
    h.acknowledge_read("m3", "ch-1", 5_000).unwrap();
    assert_eq!(h.next_deadline(), Some(6_000));
}

#[test]
fn read_acks_are_held_while_disconnected() {
    let mut h = DeliveryEventHandler::default();
    h.acknowledge_read("m1", "dm:7", 0).unwrap();
    h.handle_timeout(1_000);
    assert!(h.drain_effects().is_empty());
    assert_eq!(h.pending_read_acks(), 1);
    assert_eq!(h.next_deadline(), None);
    h.on_reconnected(3_000);
    let fx = h.drain_effects();
    assert_eq!(
        fx,
        vec![DeliveryEffect::Send {
            event: "message:batch-read-ack".into(),
            payload: json!({"messageIds": ["m1"], "channelId": "dm:7", "readAt": "1970-01-01T00:00:03.000Z"}),
        }]
    );
}

#[test]
fn reconnect_re_requests_unconfirmed_and_applies_response() {
    let mut h = DeliveryEventHandler::default();
    h.on_reconnected(0);
    for (c, m) in [("c1", "m1"), ("c2", "m2"), ("c3", "m3")] {
        h.track_outgoing(c, "ch", 2, 0).unwrap();
        h.on_sent(c, m, 1, 1).unwrap();
    }
    h.track_outgoing("c4", "ch", 2, 0).unwrap(); // still sending: no server id
    h.on_read(&json!({"messageId": "m3", "userId": "u"}), 2)
        .unwrap();
    h.on_delivered(&json!({"messageId": "m2", "userId": "u"}), 2)
        .unwrap();
    h.on_disconnected(3);
    h.drain_effects();
    let ids = h.on_reconnected(10);
    assert_eq!(ids.len(), 1);
    let fx = h.drain_effects();
    assert_eq!(
        fx,
        vec![DeliveryEffect::Request {
            request_id: ids[0],
            event: "delivery:sync".into(),
            payload: json!({"messageIds": ["m1", "m2"]}),
            timeout_ms: 10_000,
        }]
    );
    assert_eq!(ids[0] >> 48, 1);
    assert_eq!(h.next_deadline(), Some(10_010));
    let resp = json!({"success": true, "data": {"statuses": [
        {"messageId": "m1", "clientMessageId": "c1", "status": "read", "deliveredTo": ["u1", "u2"], "readBy": ["u2"]},
        {"messageId": "m2", "status": "sent", "deliveredTo": [], "readBy": []},
        {"messageId": "zzz", "status": "read"},
        "garbage"
    ]}});
    h.on_response(ids[0], Ok(resp), 20).unwrap();
    let s1 = h.status("m1").unwrap();
    assert_eq!(s1.state, DeliveryState::Read);
    assert_eq!((s1.delivered_count, s1.read_count), (2, 1));
    // m2 stays delivered: "sent" from the server does not move it back.
    assert_eq!(h.status("m2").unwrap().state, DeliveryState::Delivered);
    let names: Vec<_> = events(&mut h).iter().map(|e| e.name()).collect();
    assert_eq!(names, ["message:delivered", "message:read"]);
    assert_eq!(h.next_deadline(), None);
    assert_eq!(
        h.on_response(ids[0], Ok(json!({})), 21),
        Err(DeliveryError::UnknownRequest(ids[0]))
    );
}

#[test]
fn without_auto_sync_a_reconnect_sends_held_read_acks_and_requests_nothing() {
    let mut h = DeliveryEventHandler::new(DeliveryConfig {
        auto_sync_on_reconnect: false,
        ..DeliveryConfig::default()
    });
    h.on_reconnected(0);
    h.track_outgoing("c1", "ch", 2, 0).unwrap();
    h.on_sent("c1", "m1", 1, 1).unwrap();
    h.on_disconnected(2);
    h.acknowledge_read("m9", "ch", 3).unwrap();
    h.drain_effects();
    assert_eq!(h.on_reconnected(10), Vec::<u64>::new());
    let fx = h.drain_effects();
    assert_eq!(
        fx,
        vec![DeliveryEffect::Send {
            event: "message:batch-read-ack".into(),
            payload: json!({"messageIds": ["m9"], "channelId": "ch", "readAt": "1970-01-01T00:00:00.010Z"}),
        }]
    );
    assert_eq!(h.next_deadline(), None);
    // Asked for, the sync still goes out.
    assert_eq!(h.sync_delivery_status(&["c1".to_string()], 11).len(), 1);
}

#[test]
fn status_request_errors_and_timeouts() {
    let mut h = sent_handler();
    let ids = h.sync_delivery_status(&["c1".to_string()], 0);
    let fx = h.drain_effects();
    assert!(
        matches!(&fx[0], DeliveryEffect::Request { payload, .. } if payload == &json!({"messageIds": ["m1"]}))
    );
    assert!(matches!(
        h.on_response(ids[0], Err("disconnected".into()), 1),
        Err(DeliveryError::RequestFailed(_))
    ));
    let ids = h.sync_delivery_status(&["m1".to_string()], 0);
    assert!(matches!(
        h.on_response(ids[0], Ok(json!({"success": true, "data": {}})), 1),
        Err(DeliveryError::MalformedPayload { .. })
    ));
    let ids = h.sync_delivery_status(&["m1".to_string()], 0);
    h.handle_timeout(10_000);
    assert_eq!(h.next_deadline(), None);
    assert_eq!(
        h.on_response(ids[0], Ok(json!({})), 1),
        Err(DeliveryError::UnknownRequest(ids[0]))
    );
    assert!(h.sync_delivery_status(&[], 0).is_empty());
    assert_eq!(h.status("c1").unwrap().state, DeliveryState::Sent);
}

#[test]
fn oldest_read_records_are_evicted_past_the_cap() {
    let mut h = DeliveryEventHandler::new(DeliveryConfig {
        max_records: 2,
        ..DeliveryConfig::default()
    });
    h.track_outgoing("c1", "ch", 1, 0).unwrap();
    h.on_sent("c1", "m1", 0, 0).unwrap();
    h.on_read(&json!({"messageId": "m1", "userId": "u"}), 0)
        .unwrap();
    h.track_outgoing("c2", "ch", 1, 0).unwrap();
    h.track_outgoing("c3", "ch", 1, 0).unwrap();
    assert!(h.status("c1").is_none());
    assert!(h.status("m1").is_none());
    h.track_outgoing("c4", "ch", 1, 0).unwrap(); // nothing read: kept
    assert_eq!(h.statuses().len(), 3);
}

#[test]
fn receipt_times_are_iso_or_ms_and_out_of_range_ones_fall_back_to_now() {
    let cases = [
        (json!("2024-02-03T17:20:00.250+01:00"), 1_706_977_200_250),
        (json!(1_706_977_200_250u64), 1_706_977_200_250),
        (json!(u64::MAX), 500),
        (json!(-1), 500),
        (json!(1e300), 500),
        (json!("+999999-01-01T00:00:00Z"), 500),
    ];
    for (at, expected) in cases {
        let mut h = sent_handler();
        let receipt = json!({"messageId": "m1", "userId": "u1", "deliveredAt": at});
        h.on_delivered(&receipt, 500).unwrap();
        assert_eq!(events(&mut h)[0].update().at, expected, "{at}");
    }
    // Read acks carry the channel id as given and `readAt` as ISO-8601.
    let mut h = sent_handler();
    h.acknowledge_read("m1", "dm:7", 0).unwrap();
    h.flush_read_acks(1_500);
    let sends: Vec<Value> = h
        .drain_effects()
        .into_iter()
        .filter_map(|e| match e {
            DeliveryEffect::Send { payload, .. } => Some(payload),
            _ => None,
        })
        .collect();
    assert_eq!(
        sends,
        [json!({"messageIds": ["m1"], "channelId": "dm:7", "readAt": "1970-01-01T00:00:01.500Z"})]
    );
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        prop_oneof![
            Just("m1".to_string()),
            Just("c1".to_string()),
            Just("read".to_string()),
            Just("delivered".to_string()),
            ".{0,8}"
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("success".to_string()),
                        Just("data".to_string()),
                        Just("statuses".to_string()),
                        Just("messageId".to_string()),
                        Just("clientMessageId".to_string()),
                        Just("userId".to_string()),
                        Just("status".to_string()),
                        Just("deliveredTo".to_string()),
                        Just("readBy".to_string()),
                        Just("readAt".to_string()),
                        "[a-z]{1,4}"
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|v| Value::Object(v.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_server_json_never_panics(v in arb_json(), ok in any::<bool>()) {
        let mut h = sent_handler();
        let _ = h.on_delivered(&v, 1);
        let _ = h.on_read(&v, 1);
        let ids = h.sync_delivery_status(&["m1".to_string()], 0);
        let wrapped = json!({"success": ok, "data": v.clone()});
        let _ = h.on_response(ids[0], Ok(wrapped), 2);
        let ids = h.sync_delivery_status(&["m1".to_string()], 0);
        let _ = h.on_response(ids[0], Ok(v), 2);
        let st = h.status("c1").unwrap();
        prop_assert!(st.state != DeliveryState::Failed);
    }
}

#[test]
fn an_ack_without_a_server_id_still_moves_pending_to_sent() {
    // The real server acks `message:send` with `{success:true}`: no id.
    let mut h = DeliveryEventHandler::default();
    h.track_queued("c1", "ch-1", 0, 10).unwrap();
    h.on_sent("c1", None, 30, 30).unwrap();
    let ev = events(&mut h);
    assert_eq!(ev.len(), 1);
    let data = ev[0].tagged();
    assert_eq!(data["event"], "message:sent");
    assert_eq!(data["data"]["state"], "sent");
    assert_eq!(data["data"]["messageId"], Value::Null);
    let st = h.status("c1").unwrap();
    assert_eq!(
        (st.state, st.message_id, st.sent_at),
        (DeliveryState::Sent, None, Some(30))
    );
    // A receipt naming the server id later still finds it by client id.
    h.on_delivered(&delivered("u2"), 40).unwrap();
    assert_eq!(h.status("c1").unwrap().state, DeliveryState::Delivered);
    assert_eq!(h.status("m1").unwrap().client_message_id, "c1");
}
