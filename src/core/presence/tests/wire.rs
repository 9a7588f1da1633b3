//! The real server's shapes, ISO dates, own echoes and the subscription
//! extension.

use super::*;

fn cs(text: Option<&str>, emoji: Option<&str>, expires_at: Option<Millis>) -> CustomStatus {
    CustomStatus {
        text: text.map(Into::into),
        emoji: emoji.map(Into::into),
        expires_at,
    }
}

fn update(status: &str, custom_status: Value) -> (&'static str, Value) {
    (
        EVENT_UPDATE,
        json!({"status": status, "customStatus": custom_status}),
    )
}

#[test]
fn the_real_servers_presence_changed_is_read_with_its_emoji() {
    let mut s = connected(0);
    let real = json!({"userId": "a", "status": "busy",
        "customStatus": "In a meeting", "customEmoji": "📅"});
    s.handle_presence_changed(&real, 1_000).unwrap();
    let expected = UserPresence {
        user_id: "a".into(),
        status: PresenceStatus::Busy,
        custom_status: Some(cs(Some("In a meeting"), Some("📅"), None)),
        last_seen_at: None,
    };
    assert_eq!(
        s.drain_effects(),
        [PresenceEffect::PresenceChanged(expected.clone())]
    );
    assert_eq!(s.get_presence("a"), Some(expected));
    // Emoji only; and both null (the real server's "none").
    s.handle_presence_changed(
        &json!({"userId": "b", "status": "online", "customStatus": null, "customEmoji": "🌴"}),
        1_000,
    )
    .unwrap();
    assert_eq!(
        s.get_presence("b").unwrap().custom_status,
        Some(cs(None, Some("🌴"), None))
    );
    s.handle_presence_changed(
        &json!({"userId": "a", "status": "online", "customStatus": null, "customEmoji": null}),
        2_000,
    )
    .unwrap();
    assert_eq!(s.get_presence("a").unwrap().custom_status, None);
    // The object shape keeps its own emoji over a top-level one.
    s.handle_presence_changed(
        &json!({"userId": "c", "status": "away",
            "customStatus": {"text": "Out", "emoji": "🚪", "expiresAt": "2100-01-01T00:00:00.000Z"},
            "customEmoji": "❌"}),
        2_000,
    )
    .unwrap();
    assert_eq!(
        s.get_presence("c").unwrap().custom_status,
        Some(cs(Some("Out"), Some("🚪"), Some(4_102_444_800_000)))
    );
    // The real server's offline broadcast has no custom status; nchat's `lastSeen` is read.
    s.handle_presence_changed(&json!({"userId": "a", "status": "offline"}), 3_000)
        .unwrap();
    assert_eq!(s.get_presence("a").unwrap().last_seen_at, Some(3_000));
    s.handle_presence_changed(
        &json!({"userId": "d", "status": "offline", "lastSeen": "2024-02-03T16:20:00Z"}),
        3_000,
    )
    .unwrap();
    assert_eq!(
        s.get_presence("d").unwrap().last_seen_at,
        Some(1_706_977_200_000)
    );
    // A mistyped emoji is a malformed payload, dropped.
    assert!(s
        .handle_presence_changed(
            &json!({"userId": "a", "status": "online", "customEmoji": 5}),
            4_000
        )
        .is_err());
    assert_eq!(s.get_presence("a").unwrap().status, PresenceStatus::Offline);
}

#[test]
fn expires_at_goes_out_as_iso_8601() {
    let mut s = connected(0);
    s.set_custom_status(
        cs(Some("Lunch"), Some("🍜"), Some(1_706_977_200_250)),
        1_000,
    )
    .unwrap();
    assert_eq!(
        sends(&s.drain_effects()),
        [update(
            "online",
            json!({"text": "Lunch", "emoji": "🍜", "expiresAt": "2024-02-03T16:20:00.250Z"})
        )]
    );
    // The same encoding for the raw client call.
    assert_eq!(
        update_payload(PresenceStatus::Busy, Some(&cs(Some("x"), None, Some(0)))),
        json!({"status": "busy", "customStatus": {"text": "x", "expiresAt": "1970-01-01T00:00:00.000Z"}})
    );
    assert_eq!(
        update_payload(PresenceStatus::Away, None),
        json!({"status": "away", "customStatus": null})
    );
    // Past the largest date a server can hold: refused, nothing sent.
    assert_eq!(
        s.set_custom_status(cs(Some("x"), None, Some(time::MAX_MS + 1)), 2_000),
        Err(PresenceError::CustomStatusExpiryOutOfRange(
            time::MAX_MS + 1
        ))
    );
    assert!(s.drain_effects().is_empty());
}

#[test]
fn custom_status_input_takes_ms_or_iso_and_refuses_anything_else() {
    let ok = |v: Value| parse_custom_status_input(&v).unwrap();
    assert_eq!(
        ok(json!({"text": "a", "expiresAt": 1_706_977_200_250u64})),
        cs(Some("a"), None, Some(1_706_977_200_250))
    );
    assert_eq!(
        ok(json!({"emoji": "🍜", "expiresAt": "2024-02-03T17:20:00.250+01:00"})),
        cs(None, Some("🍜"), Some(1_706_977_200_250))
    );
    assert_eq!(
        ok(json!({"text": "  ", "emoji": null, "expiresAt": null})),
        cs(None, None, None)
    );
    let err = |v: Value| match parse_custom_status_input(&v) {
        Err(PresenceError::InvalidCustomStatus(m)) => m,
        other => panic!("{v}: {other:?}"),
    };
    assert!(err(json!({"text": "x", "expiresAt": "soon"}))
        .contains("expiresAt must be a Date, a number of ms since the epoch or an ISO-8601 string, got the string \"soon\""));
    assert!(err(json!({"text": "x", "expiresAt": true})).contains("got true"));
    assert!(err(json!({"text": "x", "expiresAt": -1})).contains("the number -1"));
    assert!(err(json!({"text": "x", "expiresAt": 1e300})).contains("expiresAt"));
    assert!(err(json!({"text": 7})).contains("text must be a string, got the number 7"));
    assert!(err(json!({"emoji": ["🍜"]})).contains("emoji must be a string, got an array"));
    assert!(err(json!({"text": "x", "colour": "red"})).contains("unknown option \"colour\""));
    assert!(err(json!("In a meeting")).contains("must be an object"));
}

#[test]
fn reconnect_resends_status_custom_status_and_subscriptions_every_time() {
    let mut s = connected(0);
    s.subscribe_to_users(["a", "b"]).unwrap();
    s.set_status(PresenceStatus::Busy, 0);
    s.set_custom_status(cs(Some("Focus"), Some("🎧"), Some(10_000_000)), 0)
        .unwrap();
    s.drain_effects();
    let expected = [
        update(
            "busy",
            json!({"text": "Focus", "emoji": "🎧", "expiresAt": "1970-01-01T02:46:40.000Z"}),
        ),
        (EVENT_SUBSCRIBE, json!({"userIds": ["a", "b"]})),
    ];
    for round in 1..=3u64 {
        s.on_disconnected(round * 100_000);
        assert!(sends(&s.drain_effects()).is_empty());
        s.on_connected(round * 100_000 + 5_000);
        assert_eq!(sends(&s.drain_effects()), expected, "reconnect {round}");
    }
}

#[test]
fn a_server_reset_of_our_presence_is_corrected_once() {
    // The real server: on every connection of this user (ours, before it
    // listens; or another tab's) it broadcasts `online` without custom
    // status, to every socket including ours.
    let reset =
        json!({"userId": ME, "status": "online", "customStatus": null, "customEmoji": null});
    let mut s = connected(0);
    s.set_status(PresenceStatus::Busy, 0);
    s.set_custom_status(cs(Some("Focus"), Some("🎧"), None), 0)
        .unwrap();
    s.drain_effects();
    s.handle_presence_changed(&reset, 1_000).unwrap();
    let fx = s.drain_effects();
    assert_eq!(
        sends(&fx),
        [update("busy", json!({"text": "Focus", "emoji": "🎧"}))]
    );
    assert!(
        !fx.iter()
            .any(|e| matches!(e, PresenceEffect::PresenceChanged(_))),
        "our own echo is not another user's presence: {fx:?}"
    );
    // The echo of what we sent agrees: nothing more.
    let echo =
        json!({"userId": ME, "status": "busy", "customStatus": "Focus", "customEmoji": "🎧"});
    s.handle_presence_changed(&echo, 1_100).unwrap();
    assert!(s.drain_effects().is_empty());
    // Another tab of ours that is busy with another text: not a reset, left alone
    // (two tabs that disagree must not ping-pong).
    let other_tab = json!({"userId": ME, "status": "away", "customStatus": "Other"});
    s.handle_presence_changed(&other_tab, 1_200).unwrap();
    assert!(s.drain_effects().is_empty());
    // Repeated resets (heartbeats of a plain-online tab): one correction each, no loop.
    for t in [2_000, 32_000] {
        s.handle_presence_changed(&reset, t).unwrap();
        assert_eq!(sends(&s.drain_effects()).len(), 1);
    }
    // Wanting exactly what the reset says: nothing to correct.
    let mut plain = connected(0);
    plain.handle_presence_changed(&reset, 1_000).unwrap();
    assert!(plain.drain_effects().is_empty());
    // Invisible: the reset says online, we want offline.
    let mut hidden = connected(0);
    hidden.set_invisible_mode(true, 0);
    hidden.drain_effects();
    hidden.handle_presence_changed(&reset, 1_000).unwrap();
    assert_eq!(
        sends(&hidden.drain_effects()),
        [update("offline", Value::Null)]
    );
    // Disconnected: nothing is sent (on_connected sends anyway).
    s.on_disconnected(40_000);
    s.drain_effects();
    s.handle_presence_changed(&reset, 40_001).unwrap();
    assert!(sends(&s.drain_effects()).is_empty());
}

#[test]
fn auto_away_survives_a_server_reset() {
    let config = PresenceConfig {
        idle_timeout_ms: 10_000,
        ..PresenceConfig::default()
    };
    let mut s = PresenceService::with_user(ME, config).unwrap();
    s.on_connected(0);
    run_until(&mut s, 10_000);
    assert!(s.is_auto_away());
    s.drain_effects();
    s.handle_presence_changed(
        &json!({"userId": ME, "status": "online", "customStatus": null}),
        11_000,
    )
    .unwrap();
    assert_eq!(sent_statuses(&s.drain_effects()), ["away"]);
}

#[test]
fn presence_works_from_broadcasts_when_the_subscribe_answer_never_comes() {
    let mut s = connected(0);
    s.subscribe_to_users(["a", "b"]).unwrap();
    let fx = s.drain_effects();
    assert_eq!(
        sends(&fx),
        [(EVENT_SUBSCRIBE, json!({"userIds": ["a", "b"]}))]
    );
    // The real server has no presence:subscribe: the ack times out.
    let e = s
        .handle_subscribe_answer(&Err("ack timeout after 10000 ms".into()), 0, 10_000)
        .unwrap_err();
    assert!(e.to_string().contains("presence:changed"), "{e}");
    assert!(s.drain_effects().is_empty(), "no retry");
    // A minute passes: heartbeats only, never another subscribe.
    let fx = run_until(&mut s, 70_000);
    let events: Vec<&str> = sends(&fx).into_iter().map(|(e, _)| e).collect();
    assert_eq!(events, [EVENT_UPDATE, EVENT_UPDATE]);
    // Broadcasts keep presence current.
    s.handle_presence_changed(
        &json!({"userId": "a", "status": "away", "customStatus": null, "customEmoji": null}),
        71_000,
    )
    .unwrap();
    assert_eq!(s.get_presence("a").unwrap().status, PresenceStatus::Away);
    assert!(matches!(
        s.drain_effects().as_slice(),
        [PresenceEffect::PresenceChanged(p)] if p.user_id == "a"
    ));
    // A refusal or an odd answer is an error too, and no retry either.
    for answer in [
        Ok(json!({"success": false, "error": {"code": "UNKNOWN_EVENT"}})),
        Ok(json!({"success": true})),
        Ok(json!(null)),
    ] {
        assert!(s.handle_subscribe_answer(&answer, 0, 72_000).is_err());
    }
    assert!(s.drain_effects().is_empty());
    // The extended test server answers with the presences: they are taken.
    let n = s
        .handle_subscribe_answer(
            &Ok(json!({"success": true, "data": {"presences": [
                {"userId": "b", "status": "busy", "customStatus": {"text": "Call"}},
                {"userId": "", "status": "online"}
            ]}})),
            s.mark(),
            73_000,
        )
        .unwrap();
    assert_eq!(n, 1, "the malformed entry is skipped");
    assert_eq!(s.get_presence("b").unwrap().status, PresenceStatus::Busy);
}

/// Over SSE the answer of `presence:subscribe` is an HTTP response and the
/// broadcasts come on the stream: a snapshot taken before a change can land
/// after its broadcast. It must not undo it (the flake of `presence@sse`).
#[test]
fn a_snapshot_older_than_a_broadcast_does_not_undo_it() {
    let mut s = connected(0);
    s.subscribe_to_users(["ann", "bob"]).unwrap();
    let asked = s.mark();
    s.handle_presence_changed(&json!({"userId": "ann", "status": "busy"}), 1_000)
        .unwrap();
    s.drain_effects();
    let stale = Ok(json!({"success": true, "data": {"presences": [
        {"userId": "ann", "status": "online"},
        {"userId": "bob", "status": "away"}
    ]}}));
    assert_eq!(s.handle_subscribe_answer(&stale, asked, 1_100), Ok(2));
    assert_eq!(s.get_presence("ann").unwrap().status, PresenceStatus::Busy);
    assert_eq!(s.get_presence("bob").unwrap().status, PresenceStatus::Away);
    assert!(matches!(
        s.drain_effects().as_slice(),
        [PresenceEffect::PresenceChanged(p)] if p.user_id == "bob"
    ));
    // A snapshot asked after the broadcast is newer: it is taken, and so is
    // a presence:bulk (no request: read as broadcasts).
    let fresh = Ok(json!({"success": true, "data": {"presences": [
        {"userId": "ann", "status": "away"}
    ]}}));
    s.handle_subscribe_answer(&fresh, s.mark(), 1_200).unwrap();
    assert_eq!(s.get_presence("ann").unwrap().status, PresenceStatus::Away);
    s.handle_presences(
        EVENT_BULK,
        &Ok(json!({"presences": [
            {"userId": "ann", "status": "online"}
        ]})),
        None,
        1_300,
    )
    .unwrap();
    assert_eq!(
        s.get_presence("ann").unwrap().status,
        PresenceStatus::Online
    );
    // ...and a bulk is a broadcast: an older snapshot cannot undo it either.
    s.handle_subscribe_answer(&stale, asked, 1_400).unwrap();
    assert_eq!(
        s.get_presence("ann").unwrap().status,
        PresenceStatus::Online
    );
}
