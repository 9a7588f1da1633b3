//! One deadline for the whole session: the minimum over the machines, none
//! but what is really due when idle, and early bounds for presence and typing.

use super::*;
use crate::core::delivery::DeliveryConfig;
use crate::core::presence::PresenceConfig;
use crate::core::sync::SyncConfig;
use crate::core::typing::{TypingConfig, TypingPrivacy};

/// The liveness window of [`OPEN`]: ping interval plus timeout.
const WINDOW: Millis = 45_000;

#[test]
fn idle_and_connected_only_liveness_and_the_heartbeat_are_due() {
    let mut s = session();
    assert_eq!(s.next_deadline(), None, "nothing at all before connecting");
    s.attach_typing(TypingConfig::default(), None, TypingPrivacy::default(), 0)
        .unwrap();
    s.attach_delivery(DeliveryConfig::default(), None, 0)
        .unwrap();
    let q = attach_queue(&mut s, None, "a");
    s.attach_sync(
        SyncConfig::default(),
        SyncAttach {
            queue: Some(q),
            auto: true,
            presence_user_ids: vec![],
        },
        0,
    )
    .unwrap();
    assert_eq!(s.next_deadline(), None);
    connect(&mut s, 1_000);
    assert_eq!(s.next_deadline(), Some(1_000 + WINDOW), "only liveness");
    assert_eq!(s.next_deadline_owner(), Some(Handle::CLIENT));
    let p = s
        .attach_presence(PresenceConfig::default(), PresenceAttach::default(), 2_000)
        .unwrap();
    assert_eq!(s.next_deadline(), Some(2_000 + 30_000), "the heartbeat");
    assert_eq!(s.next_deadline_owner(), Some(p));
    drain(&mut s);
    // A ping from the server pushes liveness; the heartbeat stays the minimum.
    s.handle_socket_frame("2", 3_000);
    assert_eq!(frames(&drain(&mut s)), ["3"]);
    assert_eq!(s.next_deadline(), Some(32_000));
    s.handle_timeout(32_000);
    assert!(frames(&drain(&mut s))
        .iter()
        .any(|f| f.contains("presence:update")));
    assert_eq!(
        s.next_deadline(),
        Some(3_000 + WINDOW),
        "liveness before the next beat"
    );
    s.detach(p, 40_000);
    assert_eq!(s.next_deadline(), Some(3_000 + WINDOW));
}

#[test]
fn the_deadline_is_the_minimum_over_the_machines() {
    let mut s = session();
    let t = s
        .attach_typing(TypingConfig::default(), None, TypingPrivacy::default(), 0)
        .unwrap();
    let d = s
        .attach_delivery(DeliveryConfig::default(), None, 0)
        .unwrap();
    connect(&mut s, 0);
    s.delivery_do(d, 10, |c, now| c.acknowledge_read("m1", "general", now))
        .unwrap();
    assert_eq!(s.next_deadline(), Some(1_010), "the read batch");
    s.typing_do(t, 20, |c, now| {
        c.handle_input_change("general", "h", None, now)
    })
    .unwrap();
    assert_eq!(s.next_deadline(), Some(320), "the typing debounce");
    assert_eq!(s.next_deadline_owner(), Some(t));
    s.handle_timeout(320);
    assert!(frames(&drain(&mut s))
        .iter()
        .any(|f| f.contains("typing:start")));
    assert!(s.next_deadline().is_some_and(|d| d > 320 && d <= 1_010));
}

#[test]
fn activity_keeps_an_early_bound_instead_of_moving_the_deadline() {
    let mut s = session();
    let p = s
        .attach_presence(
            PresenceConfig {
                idle_timeout_ms: 10_000,
                heartbeat_interval_ms: 0,
                ..PresenceConfig::default()
            },
            PresenceAttach::default(),
            0,
        )
        .unwrap();
    connect(&mut s, 0);
    assert_eq!(s.next_deadline(), Some(10_000), "auto-away");
    s.presence_activity(p, 5_000).unwrap();
    assert_eq!(
        s.next_deadline(),
        Some(10_000),
        "activity moves auto-away later; the early bound stays"
    );
    s.handle_timeout(10_000);
    let out = drain(&mut s);
    assert!(events_of(&out, p).is_empty(), "nothing was due yet");
    assert_eq!(s.next_deadline(), Some(15_000), "the real one now");
    s.handle_timeout(15_000);
    assert!(events_of(&drain(&mut s), p).contains(&Event::OwnStatus {
        status: crate::core::presence::PresenceStatus::Away,
        auto: true
    }));
}

#[test]
fn visibility_reaches_presence_and_a_visible_page_checks_the_link() {
    let mut s = session();
    let p = s
        .attach_presence(
            PresenceConfig {
                hidden_away_delay_ms: 1_000,
                heartbeat_interval_ms: 0,
                ..PresenceConfig::default()
            },
            PresenceAttach::default(),
            0,
        )
        .unwrap();
    connect(&mut s, 0);
    s.handle_visibility(true, 100);
    assert_eq!(s.next_deadline(), Some(1_100));
    s.handle_timeout(1_100);
    assert!(s.presence(p).unwrap().is_auto_away());
    drain(&mut s);
    s.handle_visibility(false, 1_200);
    let sent = frames(&drain(&mut s));
    assert!(!s.presence(p).unwrap().is_auto_away());
    assert!(
        sent.iter()
            .any(|f| f.contains(r#"["ping",{"timestamp":1200}]"#)),
        "{sent:?}"
    );
}
