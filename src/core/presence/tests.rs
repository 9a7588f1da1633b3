use super::*;
use crate::core::json::json;
use crate::core::time;

mod privacy;
mod wire;

const ME: &str = "me";

fn service() -> PresenceService {
    PresenceService::with_user(ME, PresenceConfig::default()).unwrap()
}

fn connected(now: Millis) -> PresenceService {
    let mut s = service();
    s.on_connected(now);
    s.drain_effects();
    s
}

fn sends(effects: &[PresenceEffect]) -> Vec<(&'static str, Value)> {
    effects
        .iter()
        .filter_map(|e| match e {
            PresenceEffect::Send { event, payload } => Some((*event, payload.clone())),
            _ => None,
        })
        .collect()
}

fn sent_statuses(effects: &[PresenceEffect]) -> Vec<String> {
    sends(effects)
        .into_iter()
        .filter(|(e, _)| *e == EVENT_UPDATE)
        .map(|(_, p)| p["status"].as_str().unwrap().to_owned())
        .collect()
}

fn own_changes(effects: &[PresenceEffect]) -> Vec<(PresenceStatus, bool)> {
    effects
        .iter()
        .filter_map(|e| match e {
            PresenceEffect::OwnStatusChanged { status, auto } => Some((*status, *auto)),
            _ => None,
        })
        .collect()
}

/// Runs every deadline up to and including `until`, returning the effects.
fn run_until(s: &mut PresenceService, until: Millis) -> Vec<PresenceEffect> {
    let mut out = Vec::new();
    while let Some(d) = s.next_deadline().filter(|&d| d <= until) {
        s.handle_timeout(d);
        out.extend(s.drain_effects());
    }
    out
}

// ----- statuses ---------------------------------------------------------------

#[test]
fn status_parses_and_serializes_lowercase() {
    assert_eq!(
        "online".parse::<PresenceStatus>(),
        Ok(PresenceStatus::Online)
    );
    assert_eq!(" Busy ".parse::<PresenceStatus>(), Ok(PresenceStatus::Busy));
    assert_eq!("dnd".parse::<PresenceStatus>(), Ok(PresenceStatus::Busy));
    assert_eq!(json!(PresenceStatus::Away), json!("away"));
    let err = "sleeping".parse::<PresenceStatus>().unwrap_err();
    assert_eq!(err, PresenceError::UnknownStatus("sleeping".into()));
    assert!(err.to_string().contains("online, away, busy, offline"));
    assert!("x".parse::<Visibility>().is_err());
    assert_eq!("contacts".parse::<Visibility>(), Ok(Visibility::Contacts));
}

#[test]
fn unknown_status_string_is_an_error_and_changes_nothing() {
    let mut s = connected(0);
    assert!(s.set_status_str("sleeping", 10).is_err());
    assert_eq!(s.own_status(), PresenceStatus::Online);
    assert!(s.drain_effects().is_empty());
    s.set_status_str("busy", 20).unwrap();
    assert_eq!(s.own_status(), PresenceStatus::Busy);
}

#[test]
fn set_status_sends_only_when_connected_and_changed() {
    let mut s = service();
    s.set_status(PresenceStatus::Busy, 0);
    let fx = s.drain_effects();
    assert!(sends(&fx).is_empty());
    assert_eq!(own_changes(&fx), [(PresenceStatus::Busy, false)]);
    s.on_connected(10);
    assert_eq!(sent_statuses(&s.drain_effects()), ["busy"]);
    s.set_status(PresenceStatus::Busy, 20);
    assert!(s.drain_effects().is_empty());
    s.set_status(PresenceStatus::Online, 30);
    assert_eq!(sent_statuses(&s.drain_effects()), ["online"]);
}

#[test]
fn empty_current_user_is_rejected() {
    assert_eq!(
        PresenceService::with_user("", PresenceConfig::default()).unwrap_err(),
        PresenceError::EmptyUserId
    );
}

// ----- idle detection ---------------------------------------------------------

#[test]
fn idle_timeout_sets_auto_away_and_activity_restores() {
    let mut s = connected(0);
    assert_eq!(s.next_deadline(), Some(30_000), "heartbeat first");
    let fx = run_until(&mut s, 299_999);
    assert_eq!(s.own_status(), PresenceStatus::Online);
    assert!(own_changes(&fx).is_empty());
    let fx = run_until(&mut s, 300_000);
    assert_eq!(s.own_status(), PresenceStatus::Away);
    assert!(s.is_auto_away());
    assert_eq!(own_changes(&fx), [(PresenceStatus::Away, true)]);
    assert_eq!(sent_statuses(&fx), ["away"]);

    s.on_activity(400_000);
    let fx = s.drain_effects();
    assert_eq!(s.own_status(), PresenceStatus::Online);
    assert!(!s.is_auto_away());
    assert_eq!(own_changes(&fx), [(PresenceStatus::Online, false)]);
    assert_eq!(sent_statuses(&fx), ["online"]);
    assert!(s.next_deadline().unwrap() > 400_000);
}

#[test]
fn activity_postpones_idle_even_when_throttled() {
    let mut s = connected(0);
    s.on_activity(100_000); // handled
    s.on_activity(100_500); // throttled, still recorded
    assert!(s.drain_effects().is_empty());
    let fx = run_until(&mut s, 400_499);
    assert!(own_changes(&fx).is_empty(), "{fx:?}");
    assert_eq!(s.own_status(), PresenceStatus::Online);
    let fx = run_until(&mut s, 400_500);
    assert_eq!(own_changes(&fx), [(PresenceStatus::Away, true)]);
}

#[test]
fn throttled_activity_is_cheap_but_first_activity_after_away_restores() {
    let mut s = connected(0);
    run_until(&mut s, 300_000);
    assert!(s.is_auto_away());
    // The last handled activity was long ago, but even right after a handled
    // one, activity during auto-away must restore.
    s.on_activity(300_100);
    assert!(!s.is_auto_away());
    s.drain_effects();
    s.on_activity(300_200);
    assert!(s.drain_effects().is_empty());
}

#[test]
fn manual_statuses_and_invisible_survive_idle_and_activity() {
    for status in [
        PresenceStatus::Busy,
        PresenceStatus::Offline,
        PresenceStatus::Away,
    ] {
        let mut s = connected(0);
        s.set_status(status, 0);
        s.drain_effects();
        let fx = run_until(&mut s, 1_000_000);
        assert!(own_changes(&fx).is_empty(), "{}: {fx:?}", status.as_str());
        assert_eq!(s.own_status(), status);
        assert!(!s.is_auto_away());
        s.on_visibility_change(true, 1_000_000);
        run_until(&mut s, 2_000_000);
        s.on_activity(2_000_001);
        s.on_visibility_change(false, 2_000_002);
        assert_eq!(s.own_status(), status);
        // Heartbeats carry the chosen status.
        let statuses = sent_statuses(&s.drain_effects());
        assert!(statuses.iter().all(|x| x == status.as_str()));
    }
    let mut s = connected(0);
    s.set_invisible_mode(true, 0);
    assert_eq!(sent_statuses(&s.drain_effects()), ["offline"]);
    let fx = run_until(&mut s, 1_000_000);
    assert!(own_changes(&fx).is_empty());
    assert!(sent_statuses(&fx).iter().all(|x| x == "offline"));
    assert!(!s.is_auto_away());
}

#[test]
fn choosing_a_status_during_auto_away_ends_it() {
    let mut s = connected(0);
    run_until(&mut s, 300_000);
    s.set_status(PresenceStatus::Busy, 300_001);
    assert!(!s.is_auto_away());
    s.on_activity(310_000);
    assert_eq!(s.own_status(), PresenceStatus::Busy);
}

#[test]
fn invisible_during_auto_away_clears_it() {
    let mut s = connected(0);
    run_until(&mut s, 300_000);
    s.set_invisible_mode(true, 300_001);
    assert!(!s.is_auto_away());
    assert_eq!(s.own_status(), PresenceStatus::Online);
    assert_eq!(s.broadcast_status(), PresenceStatus::Offline);
    s.set_invisible_mode(false, 300_002);
    assert_eq!(sent_statuses(&s.drain_effects()), ["offline", "online"]);
}

#[test]
fn hidden_tab_goes_away_after_delay_and_visible_restores() {
    let mut s = connected(0);
    s.on_visibility_change(true, 10_000);
    assert!(s.is_hidden());
    let fx = run_until(&mut s, 69_999);
    assert!(own_changes(&fx).is_empty());
    let fx = run_until(&mut s, 70_000);
    assert_eq!(own_changes(&fx), [(PresenceStatus::Away, true)]);
    assert_eq!(sent_statuses(&fx), ["away"]);
    s.on_visibility_change(false, 80_000);
    assert_eq!(
        own_changes(&s.drain_effects()),
        [(PresenceStatus::Online, false)]
    );
    assert!(!s.is_hidden());
}

#[test]
fn visible_again_before_delay_never_goes_away() {
    let mut s = connected(0);
    s.on_visibility_change(true, 10_000);
    s.on_visibility_change(false, 40_000);
    let fx = run_until(&mut s, 339_999);
    assert!(own_changes(&fx).is_empty());
    // Becoming visible counted as activity: idle counts from 40 s.
    let fx = run_until(&mut s, 340_000);
    assert_eq!(own_changes(&fx), [(PresenceStatus::Away, true)]);
}

#[test]
fn relayed_activity_while_hidden_postpones_hidden_away() {
    let mut s = connected(0);
    s.on_visibility_change(true, 10_000);
    s.on_activity(50_000); // from another tab
    let fx = run_until(&mut s, 109_999);
    assert!(own_changes(&fx).is_empty());
    let fx = run_until(&mut s, 110_000);
    assert_eq!(own_changes(&fx), [(PresenceStatus::Away, true)]);
}

#[test]
fn hidden_away_delay_is_configurable_and_zero_is_immediate() {
    let config = PresenceConfig {
        hidden_away_delay_ms: 0,
        ..PresenceConfig::default()
    };
    let mut s = PresenceService::with_user(ME, config).unwrap();
    s.on_connected(0);
    s.drain_effects();
    s.on_visibility_change(true, 5_000);
    assert!(s.is_auto_away());
    assert_eq!(sent_statuses(&s.drain_effects()), ["away"]);
}

#[test]
fn idle_detection_can_be_disabled() {
    let config = PresenceConfig {
        idle_timeout_ms: 0,
        heartbeat_interval_ms: 0,
        ..PresenceConfig::default()
    };
    let mut s = PresenceService::with_user(ME, config).unwrap();
    s.on_connected(0);
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn reconnecting_after_a_long_absence_reports_away() {
    let mut s = connected(0);
    s.on_disconnected(10_000);
    assert_eq!(s.next_deadline(), None);
    s.drain_effects();
    s.on_connected(1_000_000);
    let fx = s.drain_effects();
    assert_eq!(own_changes(&fx), [(PresenceStatus::Away, true)]);
    assert_eq!(sent_statuses(&fx), ["away"]);
}

// ----- heartbeat and connection ------------------------------------------------

#[test]
fn heartbeat_every_30s_only_while_connected() {
    let mut s = service();
    assert_eq!(s.next_deadline(), None);
    s.on_connected(0);
    assert_eq!(sent_statuses(&s.drain_effects()), ["online"]);
    let mut beats = Vec::new();
    for _ in 0..3 {
        let d = s.next_deadline().unwrap();
        s.handle_timeout(d);
        beats.push((d, sent_statuses(&s.drain_effects())));
    }
    assert_eq!(
        beats,
        [
            (30_000, vec!["online".to_owned()]),
            (60_000, vec!["online".to_owned()]),
            (90_000, vec!["online".to_owned()]),
        ]
    );
    s.on_disconnected(100_000);
    assert_eq!(s.next_deadline(), None);
    s.handle_timeout(120_000);
    assert!(s.drain_effects().is_empty());
}

#[test]
fn any_status_send_restarts_the_heartbeat() {
    let mut s = connected(0);
    s.set_status(PresenceStatus::Busy, 20_000);
    s.drain_effects();
    assert_eq!(s.next_deadline(), Some(50_000));
}

#[test]
fn stopped_heartbeat_sends_nothing_until_started_or_reconnected() {
    let mut s = connected(0);
    s.drain_effects();
    s.stop_heartbeat();
    assert!(
        sent_statuses(&run_until(&mut s, 200_000)).is_empty(),
        "stopped"
    );
    s.set_status(PresenceStatus::Busy, 200_000);
    assert_eq!(
        sent_statuses(&s.drain_effects()),
        ["busy"],
        "changes still go out"
    );
    assert!(
        sent_statuses(&run_until(&mut s, 250_000)).is_empty(),
        "still stopped"
    );
    s.start_heartbeat(250_000);
    assert_eq!(sent_statuses(&s.drain_effects()), ["busy"], "sent at start");
    s.start_heartbeat(260_000);
    assert!(s.drain_effects().is_empty(), "a running heartbeat goes on");
    assert_eq!(sent_statuses(&run_until(&mut s, 280_000)), ["busy"]);
    s.stop_heartbeat();
    s.on_disconnected(290_000);
    s.start_heartbeat(291_000);
    assert!(
        s.drain_effects().is_empty(),
        "nothing sent while disconnected"
    );
    s.stop_heartbeat();
    s.on_connected(300_000);
    assert_eq!(sent_statuses(&s.drain_effects()), ["busy"]);
    assert_eq!(
        sent_statuses(&run_until(&mut s, 330_000)),
        ["busy"],
        "a connection restarts it"
    );
}

#[test]
fn reconnect_resends_status_custom_status_and_all_subscriptions() {
    let mut s = service();
    s.subscribe_to_users(["a", "b"]).unwrap();
    s.set_status(PresenceStatus::Busy, 0);
    s.set_custom_status(
        CustomStatus {
            text: Some("In a meeting".into()),
            emoji: Some("📅".into()),
            expires_at: None,
        },
        0,
    )
    .unwrap();
    assert!(sends(&s.drain_effects()).is_empty(), "nothing sent offline");
    s.on_connected(100);
    s.on_disconnected(200);
    s.drain_effects();
    s.on_connected(300);
    assert_eq!(
        sends(&s.drain_effects()),
        [
            (
                EVENT_UPDATE,
                json!({"status": "busy", "customStatus": {"text": "In a meeting", "emoji": "📅"}})
            ),
            (EVENT_SUBSCRIBE, json!({"userIds": ["a", "b"]})),
        ]
    );
}

#[test]
fn own_last_seen_is_recorded_on_disconnect() {
    let mut s = connected(0);
    assert_eq!(s.own_last_seen(), None);
    s.on_disconnected(5_000);
    assert_eq!(s.own_last_seen(), Some(5_000));
    assert_eq!(s.get_presence(ME).unwrap().last_seen_at, Some(5_000));
}

// ----- custom status ------------------------------------------------------------

#[test]
fn custom_status_expires_and_the_cleared_status_is_resent() {
    let mut s = connected(0);
    s.set_custom_status(
        CustomStatus {
            text: Some("Lunch".into()),
            emoji: None,
            expires_at: Some(45_000),
        },
        1_000,
    )
    .unwrap();
    let fx = s.drain_effects();
    assert_eq!(
        sends(&fx),
        [(
            EVENT_UPDATE,
            json!({"status": "online", "customStatus": {"text": "Lunch", "expiresAt": "1970-01-01T00:00:45.000Z"}})
        )]
    );
    assert_eq!(s.custom_status_text(), Some("Lunch"));
    assert_eq!(s.next_deadline(), Some(31_000), "heartbeat before expiry");
    run_until(&mut s, 31_000);
    assert_eq!(s.next_deadline(), Some(45_000));
    let fx = run_until(&mut s, 45_000);
    assert_eq!(s.custom_status(), None);
    assert_eq!(
        sends(&fx),
        [(
            EVENT_UPDATE,
            json!({"status": "online", "customStatus": null})
        )]
    );
    assert!(fx.contains(&PresenceEffect::OwnCustomStatusChanged(None)));
}

#[test]
fn custom_status_wire_form_round_trips_and_plain_text_is_accepted() {
    // What one client sends is what another reads back.
    let mut a = connected(0);
    let cs = CustomStatus {
        text: Some("In a meeting".into()),
        emoji: Some("📅".into()),
        expires_at: Some(90_000),
    };
    a.set_custom_status(cs.clone(), 1_000).unwrap();
    let sent = sends(&a.drain_effects());
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].1["customStatus"].is_object(),
        "the server contract takes an object"
    );
    let mut changed = sent[0].1.clone();
    changed["userId"] = json!("a");
    let mut b = connected(0);
    b.handle_presence_changed(&changed, 2_000).unwrap();
    assert_eq!(b.get_presence("a").unwrap().custom_status, Some(cs));
    // Plain text from other clients is the text; blank is none; a string that
    // only looks like JSON stays text.
    let text = |t: &str| {
        Some(CustomStatus {
            text: Some(t.into()),
            ..CustomStatus::default()
        })
    };
    for (wire, expected) in [
        (json!("lunch"), text("lunch")),
        (json!("  "), None),
        (json!("{not json"), text("{not json")),
        (json!(r#"{"text": 5}"#), text(r#"{"text": 5}"#)),
        (json!(null), None),
    ] {
        b.handle_presence_changed(
            &json!({"userId": "c", "status": "away", "customStatus": wire}),
            2_000,
        )
        .unwrap();
        assert_eq!(
            b.get_presence("c").unwrap().custom_status,
            expected,
            "{wire}"
        );
    }
    // Clearing sends null so the server forgets the previous one.
    a.clear_custom_status(3_000);
    assert_eq!(
        sends(&a.drain_effects()),
        [(
            EVENT_UPDATE,
            json!({"status": "online", "customStatus": null})
        )]
    );
}

#[test]
fn custom_status_expires_while_disconnected_without_sending() {
    let mut s = service();
    s.set_custom_status(
        CustomStatus {
            emoji: Some("🌴".into()),
            expires_at: Some(10_000),
            ..CustomStatus::default()
        },
        0,
    )
    .unwrap();
    s.drain_effects();
    assert_eq!(s.next_deadline(), Some(10_000));
    s.handle_timeout(10_000);
    assert_eq!(
        s.drain_effects(),
        [PresenceEffect::OwnCustomStatusChanged(None)]
    );
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn custom_status_in_the_past_or_empty_is_an_error() {
    let mut s = connected(0);
    let err = s
        .set_custom_status(
            CustomStatus {
                text: Some("late".into()),
                emoji: None,
                expires_at: Some(500),
            },
            1_000,
        )
        .unwrap_err();
    assert_eq!(
        err,
        PresenceError::CustomStatusExpired {
            expires_at: 500,
            now: 1_000
        }
    );
    assert_eq!(
        s.set_custom_status(CustomStatus::default(), 1_000),
        Err(PresenceError::EmptyCustomStatus)
    );
    assert_eq!(s.custom_status(), None);
    assert!(s.drain_effects().is_empty());
}

#[test]
fn invisible_mode_sends_offline_without_custom_status() {
    let mut s = connected(0);
    s.set_custom_status(
        CustomStatus {
            text: Some("Focus".into()),
            ..CustomStatus::default()
        },
        0,
    )
    .unwrap();
    s.drain_effects();
    s.update_settings(
        PrivacySettingsUpdate {
            invisible_mode: Some(true),
            ..PrivacySettingsUpdate::default()
        },
        10,
    );
    assert!(s.is_invisible());
    assert_eq!(
        sends(&s.drain_effects()),
        [(
            EVENT_UPDATE,
            json!({"status": "offline", "customStatus": null})
        )]
    );
    s.handle_timeout(30_010);
    assert_eq!(
        sends(&s.drain_effects()),
        [(
            EVENT_UPDATE,
            json!({"status": "offline", "customStatus": null})
        )]
    );
}

#[test]
fn update_settings_merges_partial_updates() {
    let mut s = service();
    let new = s.update_settings(
        PrivacySettingsUpdate {
            visibility: Some(Visibility::Contacts),
            show_last_seen: Some(false),
            ..PrivacySettingsUpdate::default()
        },
        0,
    );
    assert_eq!(
        new,
        PrivacySettings {
            visibility: Visibility::Contacts,
            show_online_status: true,
            show_last_seen: false,
            allow_read_receipts: true,
            invisible_mode: false,
        }
    );
    // The API layer reads `visibility` with FromStr (the values of the d.ts).
    assert_eq!("nobody".parse::<Visibility>(), Ok(Visibility::Nobody));
    assert_eq!(
        json!(PrivacySettings::default()),
        json!({"visibility": "everyone", "showOnlineStatus": true, "showLastSeen": true,
               "allowReadReceipts": true, "invisibleMode": false})
    );
}

// ----- subscriptions ------------------------------------------------------------

#[test]
fn subscribe_deduplicates_and_sends_only_new_ids() {
    let mut s = connected(0);
    assert_eq!(s.subscribe_to_users(["a", "b", "a"]), Ok(2));
    assert_eq!(
        sends(&s.drain_effects()),
        [(EVENT_SUBSCRIBE, json!({"userIds": ["a", "b"]}))]
    );
    assert_eq!(
        s.subscribe_to_users(vec!["b".to_owned(), "c".to_owned()]),
        Ok(1)
    );
    assert_eq!(
        sends(&s.drain_effects()),
        [(EVENT_SUBSCRIBE, json!({"userIds": ["c"]}))]
    );
    assert_eq!(s.subscribe_to_users(["a"]), Ok(0));
    assert!(s.drain_effects().is_empty());
    assert_eq!(s.unsubscribe_from_users(["a", "zz"]), 1);
    assert_eq!(s.subscriptions(), ["b", "c"]);
    // Only the ids that were subscribed go out (nchat's presence:unsubscribe).
    assert_eq!(
        sends(&s.drain_effects()),
        [(EVENT_UNSUBSCRIBE, json!({"userIds": ["a"]}))]
    );
    assert_eq!(s.unsubscribe_from_users(["a"]), 0);
    assert!(s.drain_effects().is_empty());
}

#[test]
fn more_than_100_subscriptions_is_an_error_and_nothing_is_subscribed() {
    let mut s = connected(0);
    let first: Vec<String> = (0..60).map(|i| format!("u{i}")).collect();
    s.subscribe_to_users(&first).unwrap();
    s.drain_effects();
    let more: Vec<String> = (50..110).map(|i| format!("u{i}")).collect(); // 50 new
    let err = s.subscribe_to_users(&more).unwrap_err();
    assert_eq!(
        err,
        PresenceError::TooManySubscriptions {
            current: 60,
            requested: 50,
            limit: 100
        }
    );
    assert!(err.to_string().contains("unsubscribe"));
    assert_eq!(s.subscriptions().len(), 60);
    assert!(!s.is_subscribed("u60"));
    assert!(s.drain_effects().is_empty());
    // Exactly 100 is fine.
    let fill: Vec<String> = (60..100).map(|i| format!("u{i}")).collect();
    assert_eq!(s.subscribe_to_users(&fill), Ok(40));
    assert_eq!(s.subscriptions().len(), 100);
    assert!(s.subscribe_to_users(["one-more"]).is_err());
    assert_eq!(
        s.subscribe_to_users(["u0"]),
        Ok(0),
        "already subscribed is fine"
    );
}

#[test]
fn empty_subscription_id_is_an_error() {
    let mut s = connected(0);
    assert_eq!(
        s.subscribe_to_users(["a", ""]),
        Err(PresenceError::EmptyUserId)
    );
    assert!(s.subscriptions().is_empty());
}

// ----- incoming -----------------------------------------------------------------

#[test]
fn presence_changed_updates_cache_and_emits_filtered_view() {
    let mut s = connected(0);
    s.handle_presence_changed(
        &json!({"userId": "alice", "status": "busy",
                "customStatus": {"text": "Deep work", "emoji": "🎧", "expiresAt": "2100-01-01T00:00:00Z"},
                "lastSeenAt": 1_000}),
        2_000,
    )
    .unwrap();
    let expected = UserPresence {
        user_id: "alice".into(),
        status: PresenceStatus::Busy,
        custom_status: Some(CustomStatus {
            text: Some("Deep work".into()),
            emoji: Some("🎧".into()),
            expires_at: Some(4_102_444_800_000),
        }),
        last_seen_at: Some(1_000),
    };
    assert_eq!(
        s.drain_effects(),
        [PresenceEffect::PresenceChanged(expected.clone())]
    );
    assert_eq!(s.get_presence("alice"), Some(expected));
    assert_eq!(s.get_presence("bob"), None);
    assert_eq!(
        json!(s.get_presence("alice").unwrap())["customStatus"]["expiresAt"],
        json!(4_102_444_800_000u64)
    );
    // A heartbeat re-broadcast of the same presence is silent.
    s.handle_presence_changed(
        &json!({"userId": "alice", "status": "busy",
                "customStatus": {"text": "Deep work", "emoji": "🎧", "expiresAt": 4_102_444_800_000u64},
                "lastSeenAt": 1_000}),
        32_000,
    )
    .unwrap();
    assert!(s.drain_effects().is_empty());
}

#[test]
fn going_offline_records_last_seen() {
    let mut s = connected(0);
    s.handle_presence_changed(&json!({"userId": "a", "status": "online"}), 1_000)
        .unwrap();
    s.handle_presence_changed(&json!({"userId": "a", "status": "offline"}), 5_000)
        .unwrap();
    assert_eq!(s.get_presence("a").unwrap().last_seen_at, Some(5_000));
    s.handle_presence_changed(&json!({"userId": "a", "status": "offline"}), 9_000)
        .unwrap();
    assert_eq!(s.get_presence("a").unwrap().last_seen_at, Some(5_000));
    // Unknown previous status: no guess.
    s.handle_presence_changed(&json!({"userId": "b", "status": "offline"}), 9_000)
        .unwrap();
    assert_eq!(s.get_presence("b").unwrap().last_seen_at, None);
}

#[test]
fn others_custom_status_expires_with_a_notification() {
    let mut s = service();
    s.handle_presence_changed(
        &json!({"userId": "a", "status": "online", "customStatus": {"text": "Brb", "expiresAt": 7_000}}),
        1_000,
    )
    .unwrap();
    s.drain_effects();
    assert_eq!(s.next_deadline(), Some(7_000));
    s.handle_timeout(7_000);
    let fx = s.drain_effects();
    assert_eq!(
        fx,
        [PresenceEffect::PresenceChanged(UserPresence {
            user_id: "a".into(),
            status: PresenceStatus::Online,
            custom_status: None,
            last_seen_at: None,
        })]
    );
    assert_eq!(s.next_deadline(), None);
    // An already expired custom status is dropped on arrival.
    s.handle_presence_changed(
        &json!({"userId": "b", "status": "online", "customStatus": {"text": "old", "expiresAt": 10}}),
        8_000,
    )
    .unwrap();
    assert_eq!(s.get_presence("b").unwrap().custom_status, None);
}

#[test]
fn malformed_presence_payloads_are_dropped_with_state_unchanged() {
    let bad = [
        json!(null),
        json!("online"),
        json!([1, 2]),
        json!({}),
        json!({"userId": "", "status": "online"}),
        json!({"userId": 7, "status": "online"}),
        json!({"userId": "a"}),
        json!({"userId": "a", "status": "sleeping"}),
        json!({"userId": "a", "status": 1}),
        json!({"userId": "a", "status": "online", "customStatus": {"text": 5}}),
        json!({"userId": "a", "status": "online", "customStatus": {"expiresAt": "soon"}}),
        json!({"userId": "a", "status": "online", "lastSeenAt": "yesterday"}),
        json!({"userId": "a", "status": "online", "lastSeenAt": -1}),
    ];
    let mut s = connected(0);
    s.handle_presence_changed(&json!({"userId": "a", "status": "away"}), 1)
        .unwrap();
    s.drain_effects();
    let before = s.get_presence("a");
    for payload in bad {
        let err = s.handle_presence_changed(&payload, 2).unwrap_err();
        assert!(
            matches!(
                err,
                PresenceError::InvalidPayload {
                    event: EVENT_CHANGED,
                    ..
                }
            ),
            "{payload}: {err}"
        );
        assert_eq!(s.get_presence("a"), before, "{payload}");
        assert!(s.drain_effects().is_empty(), "{payload}");
    }
}

#[test]
fn presence_changed_about_the_current_user_is_ignored() {
    let mut s = connected(0);
    s.set_invisible_mode(true, 0);
    s.drain_effects();
    s.handle_presence_changed(&json!({"userId": ME, "status": "offline"}), 10)
        .unwrap();
    assert!(s.drain_effects().is_empty());
    assert_eq!(s.own_status(), PresenceStatus::Online);
}

// ----- privacy ------------------------------------------------------------------

#[test]
fn privacy_matrix() {
    use Visibility::*;
    // (visibility, showOnline, showLastSeen, invisible, viewer is contact)
    //   -> (presence, onlineStatus, lastSeen)
    type Row = (Visibility, bool, bool, bool, bool, (bool, bool, bool));
    #[rustfmt::skip]
    let table: &[Row] = &[
        (Everyone, true,  true,  false, false, (true,  true,  true)),
        (Everyone, true,  true,  false, true,  (true,  true,  true)),
        (Everyone, false, true,  false, false, (true,  false, true)),
        (Everyone, true,  false, false, false, (true,  true,  false)),
        (Everyone, false, false, false, true,  (true,  false, false)),
        (Everyone, true,  true,  true,  false, (false, false, false)),
        (Everyone, true,  true,  true,  true,  (false, false, false)),
        (Contacts, true,  true,  false, false, (false, false, false)),
        (Contacts, true,  true,  false, true,  (true,  true,  true)),
        (Contacts, false, true,  false, true,  (true,  false, true)),
        (Contacts, true,  false, false, true,  (true,  true,  false)),
        (Contacts, true,  true,  true,  true,  (false, false, false)),
        (Nobody,   true,  true,  false, false, (false, false, false)),
        (Nobody,   true,  true,  false, true,  (false, false, false)),
        (Nobody,   true,  true,  true,  true,  (false, false, false)),
    ];
    for &(visibility, show_online, show_last_seen, invisible, contact, expected) in table {
        let settings = PrivacySettings {
            visibility,
            show_online_status: show_online,
            show_last_seen,
            allow_read_receipts: true,
            invisible_mode: invisible,
        };
        let row = format!(
            "{} online={show_online} seen={show_last_seen} inv={invisible} contact={contact}",
            visibility.as_str()
        );

        // Another user as target, the current user viewing.
        let mut s = service();
        s.set_contacts(if contact { vec!["t"] } else { vec![] });
        s.set_user_settings("t", settings).unwrap();
        let v = s.can_view_presence(ME, "t");
        assert_eq!(
            (
                v.can_view_presence,
                v.can_view_online_status,
                v.can_view_last_seen
            ),
            expected,
            "other: {row}"
        );
        assert_eq!(
            (v.is_contact, v.is_invisible),
            (contact, invisible),
            "{row}"
        );

        // get_presence applies the same rules.
        s.handle_presence_changed(
            &json!({"userId": "t", "status": "busy", "customStatus": {"text": "x"}, "lastSeenAt": 42}),
            100,
        )
        .unwrap();
        let p = s.get_presence("t").unwrap();
        assert_eq!(p.custom_status.is_some(), expected.0, "custom: {row}");
        assert_eq!(
            p.status,
            if expected.1 {
                PresenceStatus::Busy
            } else {
                PresenceStatus::Offline
            },
            "status: {row}"
        );
        assert_eq!(p.last_seen_at.is_some(), expected.2, "last seen: {row}");

        // The current user as target, another user viewing: own settings apply.
        let mut s = service();
        s.set_contacts(if contact { vec!["v"] } else { vec![] });
        s.update_settings(
            PrivacySettingsUpdate {
                visibility: Some(visibility),
                show_online_status: Some(show_online),
                show_last_seen: Some(show_last_seen),
                allow_read_receipts: None,
                invisible_mode: Some(invisible),
            },
            0,
        );
        let v = s.can_view_presence("v", ME);
        assert_eq!(
            (
                v.can_view_presence,
                v.can_view_online_status,
                v.can_view_last_seen
            ),
            expected,
            "self as target: {row}"
        );

        // A user always sees their own presence.
        let own = s.can_view_presence(ME, ME);
        assert!(own.can_view_presence && own.can_view_online_status && own.can_view_last_seen);
        assert_eq!(own.is_invisible, invisible);
    }
}

#[test]
fn visibility_result_serializes_camel_case() {
    let s = service();
    assert_eq!(
        json!(s.can_view_presence(ME, "x")),
        json!({"canViewPresence": true, "canViewOnlineStatus": true, "canViewLastSeen": true,
               "isContact": false, "isInvisible": false})
    );
    assert_eq!(
        json!(UserPresence {
            user_id: "a".into(),
            status: PresenceStatus::Away,
            custom_status: None,
            last_seen_at: Some(5)
        }),
        json!({"userId": "a", "status": "away", "lastSeenAt": 5})
    );
}

#[test]
fn contacts_and_settings_changes_reemit_changed_views() {
    let mut s = service();
    s.handle_presence_changed(&json!({"userId": "t", "status": "online"}), 0)
        .unwrap();
    s.handle_presence_changed(&json!({"userId": "u", "status": "online"}), 0)
        .unwrap();
    s.drain_effects();
    s.set_user_settings(
        "t",
        PrivacySettings {
            visibility: Visibility::Contacts,
            ..PrivacySettings::default()
        },
    )
    .unwrap();
    let fx = s.drain_effects();
    assert_eq!(fx.len(), 1);
    assert!(
        matches!(&fx[0], PresenceEffect::PresenceChanged(p) if p.user_id == "t" && p.status == PresenceStatus::Offline)
    );
    s.set_contacts(["t"]);
    let fx = s.drain_effects();
    assert!(
        matches!(&fx[..], [PresenceEffect::PresenceChanged(p)] if p.status == PresenceStatus::Online)
    );
    assert!(s.is_contact("t"));
    assert_eq!(
        s.set_user_settings(ME, PrivacySettings::default()),
        Err(PresenceError::OwnSettings(ME.into()))
    );
    assert_eq!(
        s.set_user_settings("", PrivacySettings::default()),
        Err(PresenceError::EmptyUserId)
    );
}

#[test]
fn get_presence_of_self_is_unfiltered() {
    let mut s = service();
    s.set_invisible_mode(true, 0);
    s.set_status(PresenceStatus::Busy, 0);
    let p = s.get_presence(ME).unwrap();
    assert_eq!(p.status, PresenceStatus::Busy);
}

// ----- deadlines ----------------------------------------------------------------

#[test]
fn no_deadline_when_nothing_is_pending() {
    let mut s = service();
    assert_eq!(s.next_deadline(), None);
    s.set_status(PresenceStatus::Busy, 0);
    s.subscribe_to_users(["a"]).unwrap();
    s.handle_presence_changed(&json!({"userId": "a", "status": "online"}), 0)
        .unwrap();
    s.on_visibility_change(true, 0);
    assert_eq!(s.next_deadline(), None);
    s.handle_timeout(1_000_000);
    assert_eq!(s.next_deadline(), None);
}

// ----- properties ---------------------------------------------------------------

mod props {
    use super::*;
    use crate::core::test_support;
    use proptest::prelude::*;

    fn arb_json() -> impl Strategy<Value = Value> {
        test_support::arb_json(
            &[
                "online",
                "busy",
                "2024-02-03T16:20:00Z",
                "",
                "me",
                "+275760-09-13T00:00:00.000Z",
            ],
            &[
                "userId",
                "status",
                "customStatus",
                "customEmoji",
                "text",
                "emoji",
                "expiresAt",
                "lastSeenAt",
                "lastSeen",
                "success",
                "data",
                "presences",
            ],
        )
    }

    #[derive(Debug, Clone)]
    enum Op {
        Advance(Millis),
        Timeout,
        Activity,
        Hidden(bool),
        Connect,
        Disconnect,
        Status(u8),
        Invisible(bool),
        Custom(Option<Millis>),
        ClearCustom,
        Subscribe(Vec<u8>),
        Incoming(Value),
        Contacts(Vec<u8>),
    }

    fn arb_op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..400_000u64).prop_map(Op::Advance),
            4 => Just(Op::Timeout),
            2 => Just(Op::Activity),
            1 => any::<bool>().prop_map(Op::Hidden),
            1 => Just(Op::Connect),
            1 => Just(Op::Disconnect),
            1 => (0..4u8).prop_map(Op::Status),
            1 => any::<bool>().prop_map(Op::Invisible),
            1 => proptest::option::of(0..200_000u64).prop_map(Op::Custom),
            1 => Just(Op::ClearCustom),
            1 => prop::collection::vec(0..150u8, 0..40).prop_map(Op::Subscribe),
            2 => arb_json().prop_map(Op::Incoming),
            1 => prop::collection::vec(0..10u8, 0..5).prop_map(Op::Contacts),
        ]
    }

    proptest! {
        #[test]
        fn arbitrary_payloads_never_panic(payload in arb_json(), now in any::<u64>()) {
            let mut s = service();
            let before = s.get_presence("x");
            if s.handle_presence_changed(&payload, now).is_err() {
                prop_assert!(s.drain_effects().is_empty());
                prop_assert_eq!(s.get_presence("x"), before);
            }
            let _ = s.next_deadline();
            s.handle_timeout(now);
        }

        #[test]
        fn arbitrary_answers_and_inputs_never_panic(value in arb_json(), now in any::<u64>()) {
            let mut s = connected(0);
            let _ = s.handle_subscribe_answer(&Ok(value.clone()), 0, now);
            let _ = s.handle_subscribe_answer(&Ok(json!({"success": true, "data": {"presences": [value.clone()]}})), 0, now);
            let subscribes = sends(&s.drain_effects()).into_iter().filter(|(e, _)| *e == EVENT_SUBSCRIBE).count();
            prop_assert_eq!(subscribes, 0, "an answer never triggers a re-subscribe");
            if let Ok(cs) = parse_custom_status_input(&value) {
                if let Some(e) = cs.expires_at {
                    prop_assert!(e <= time::MAX_MS);
                }
                let wire = encode_custom_status(&cs);
                prop_assert!(wire["expiresAt"].is_null() || wire["expiresAt"].is_string());
                // What we send reads back as what we meant.
                prop_assert_eq!(decode_custom_status(&wire).unwrap(), Some(cs.clone()).filter(|c| !c.is_empty()));
            }
        }

        #[test]
        fn arbitrary_call_sequences_keep_deadlines_in_the_future(
            ops in prop::collection::vec(arb_op(), 1..60)
        ) {
            let mut s = service();
            let mut now: Millis = 1_000;
            for op in ops {
                match op {
                    Op::Advance(d) => now += d,
                    Op::Timeout => {
                        if let Some(d) = s.next_deadline() {
                            now = now.max(d);
                        }
                        s.handle_timeout(now);
                        if let Some(d) = s.next_deadline() {
                            prop_assert!(d > now, "deadline {} not after {}", d, now);
                        }
                    }
                    Op::Activity => s.on_activity(now),
                    Op::Hidden(h) => s.on_visibility_change(h, now),
                    Op::Connect => s.on_connected(now),
                    Op::Disconnect => s.on_disconnected(now),
                    Op::Status(i) => s.set_status(
                        [PresenceStatus::Online, PresenceStatus::Away, PresenceStatus::Busy, PresenceStatus::Offline][usize::from(i % 4)],
                        now,
                    ),
                    Op::Invisible(b) => s.set_invisible_mode(b, now),
                    Op::Custom(exp) => {
                        let _ = s.set_custom_status(
                            CustomStatus { text: Some("t".into()), emoji: None, expires_at: exp.map(|e| now + e) },
                            now,
                        );
                    }
                    Op::ClearCustom => s.clear_custom_status(now),
                    Op::Subscribe(ids) => {
                        let before = s.subscriptions();
                        let ids: Vec<String> = ids.iter().map(|i| format!("u{i}")).collect();
                        if s.subscribe_to_users(&ids).is_err() {
                            prop_assert_eq!(s.subscriptions(), before);
                        }
                        prop_assert!(s.subscriptions().len() <= MAX_SUBSCRIPTIONS);
                    }
                    Op::Incoming(v) => { let _ = s.handle_presence_changed(&v, now); }
                    Op::Contacts(ids) => s.set_contacts(ids.iter().map(|i| format!("u{i}"))),
                }
                s.drain_effects();
            }
        }
    }
}
