use super::*;
use crate::core::store::MemoryStore;

const KEY: &str = "nchat:conflict-history";
const NOW: Millis = 1_700_000_000_000;

fn open(store: &MemoryStore) -> ConflictService {
    let mut s = ConflictService::new(ConflictConfig::default(), Box::new(store.clone()));
    s.initialize();
    s
}

fn service() -> ConflictService {
    open(&MemoryStore::new())
}

fn entity(id: &str, kind: &str, local: Value, remote: Value, lt: Millis, rt: Millis) -> Value {
    json!({
        "id": id, "type": kind, "localData": local, "remoteData": remote,
        "localTimestamp": lt, "remoteTimestamp": rt,
    })
}

fn with(mut v: Value, key: &str, x: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.insert(key.into(), x);
    }
    v
}

fn names(s: &mut ConflictService) -> Vec<&'static str> {
    s.drain_effects().into_iter().map(|e| e.name).collect()
}

#[test]
fn detection_follows_versions_timestamps_hashes_then_data() {
    let mut s = service();
    let same = entity(
        "t1",
        "message:edit",
        json!({"content": "Hello"}),
        json!({"content": "Hello"}),
        NOW,
        NOW,
    );
    let d = s.detect(same).unwrap();
    assert_eq!(d["hasConflict"], json!(false));
    assert_eq!(d["severity"], json!("low"));
    assert_eq!(d["suggestedStrategy"], json!("last-write-wins"));
    assert!(d.get("conflictType").is_none() && d.get("reason").is_none());
    assert!(s.drain_effects().is_empty(), "no event without a conflict");

    let apart = entity(
        "t2",
        "message:edit",
        json!({"content": "a"}),
        json!({"content": "b"}),
        NOW - 5000,
        NOW,
    );
    let d = s.detect(apart.clone()).unwrap();
    assert_eq!(d["hasConflict"], json!(true));
    assert_eq!(d["conflictType"], json!("message:edit"));
    assert_eq!(
        d["reason"],
        json!("Message was edited on multiple devices while offline")
    );
    assert_eq!(d["entity"], apart);
    let ev = s.drain_effects();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].name, "conflict:detected");
    assert_eq!(ev[0].data["detection"], d);

    // Different data less than a second apart: no conflict; 1000 ms apart: one.
    let close = entity("t", "message:edit", json!(1), json!(2), NOW - 999, NOW);
    assert_eq!(s.detect(close).unwrap()["hasConflict"], json!(false));
    let edge = entity("t", "message:edit", json!(1), json!(2), NOW - 1000, NOW);
    assert_eq!(s.detect(edge).unwrap()["hasConflict"], json!(true));
    // A zero timestamp turns the tolerance off.
    let zero = entity("t", "message:edit", json!(1), json!(2), 0, 500);
    assert_eq!(s.detect(zero).unwrap()["hasConflict"], json!(true));

    // Versions decide first, even against equal data or close timestamps.
    let v = entity(
        "t3",
        "user:settings",
        json!({"theme": "dark"}),
        json!({"theme": "light"}),
        NOW - 5000,
        NOW,
    );
    let v = with(with(v, "localVersion", json!(1)), "remoteVersion", json!(2));
    assert_eq!(s.detect(v).unwrap()["hasConflict"], json!(true));
    let v = entity(
        "t4",
        "user:settings",
        json!({"theme": "dark"}),
        json!({"theme": "light"}),
        NOW - 5000,
        NOW,
    );
    let v = with(with(v, "localVersion", json!(1)), "remoteVersion", json!(1));
    assert_eq!(s.detect(v).unwrap()["hasConflict"], json!(false));
    // A null version counts as not given.
    let v = entity("t", "user:settings", json!(1), json!(2), NOW - 5000, NOW);
    let v = with(
        with(v, "localVersion", json!(1)),
        "remoteVersion",
        Value::Null,
    );
    assert_eq!(s.detect(v).unwrap()["hasConflict"], json!(true));

    // Hashes decide before data; empty hashes do not count.
    let h = entity("t", "message:edit", json!(1), json!(2), NOW - 5000, NOW);
    let h = with(with(h, "localHash", json!("x")), "remoteHash", json!("x"));
    assert_eq!(s.detect(h.clone()).unwrap()["hasConflict"], json!(false));
    let h = with(h, "remoteHash", json!(""));
    assert_eq!(s.detect(h).unwrap()["hasConflict"], json!(true));

    // Deep equality: key order does not matter; a missing side differs from null.
    let o = entity(
        "t",
        "message:edit",
        json!({"a": 1, "b": [1, {"c": 2}]}),
        json!({"b": [1, {"c": 2}], "a": 1}),
        0,
        0,
    );
    assert_eq!(s.detect(o).unwrap()["hasConflict"], json!(false));
    let mut missing = entity("t", "message:edit", Value::Null, Value::Null, 0, 0);
    if let Value::Object(m) = &mut missing {
        m.remove("localData");
    }
    assert_eq!(
        s.detect(missing.clone()).unwrap()["hasConflict"],
        json!(true)
    );
    if let Value::Object(m) = &mut missing {
        m.remove("remoteData");
    }
    assert_eq!(s.detect(missing).unwrap()["hasConflict"], json!(false));
}

#[test]
fn severity_and_suggested_strategy_by_type() {
    let mut s = service();
    let mut check = |kind: &str, local: Value, remote: Value, severity: &str, strategy: &str| {
        let d = s
            .detect(entity("t", kind, local, remote, NOW - 5000, NOW))
            .unwrap();
        assert_eq!(d["severity"], json!(severity), "{kind}");
        assert_eq!(d["suggestedStrategy"], json!(strategy), "{kind}");
    };
    check(
        "message:delete",
        json!({"deleted": true}),
        json!({"deleted": false}),
        "critical",
        "manual",
    );
    check(
        "channel:settings",
        json!({"name": "A"}),
        json!({"name": "B"}),
        "critical",
        "manual",
    );
    check(
        "message:edit",
        json!({"content": "A"}),
        json!({"content": "B"}),
        "medium",
        "last-write-wins",
    );
    check(
        "thread:reply",
        json!(1),
        json!(2),
        "medium",
        "last-write-wins",
    );
    check(
        "file:upload",
        json!({"file": "local.txt"}),
        json!({"file": "remote.txt"}),
        "low",
        "last-write-wins",
    );
    check(
        "user:settings",
        json!({"theme": "dark"}),
        json!({"theme": "light"}),
        "low",
        "merge",
    );
    // A critical setting set to different values on both sides: high.
    let priv_ = |v: Value| json!({"privacy": {"profileVisible": v}});
    check(
        "user:settings",
        priv_(json!(true)),
        priv_(json!(false)),
        "high",
        "merge",
    );
    check(
        "user:settings",
        priv_(json!(null)),
        priv_(json!(false)),
        "high",
        "merge",
    );
    // Two objects always differ (as two references do), if the data conflicts at all.
    let obj = |x: u64| json!({"privacy": {"profileVisible": {"a": 1}}, "x": x});
    check("user:settings", obj(1), obj(2), "high", "merge");
    let quiet = |v: Value| json!({"notifications": {"quietHoursEnabled": v}, "x": 1});
    check(
        "user:settings",
        quiet(json!(true)),
        json!({"x": 2}),
        "low",
        "merge",
    );
    check(
        "user:settings",
        quiet(json!(true)),
        quiet(json!(false)),
        "high",
        "merge",
    );
    // Data that is not an object has no settings.
    check("user:settings", json!("a"), json!(null), "low", "merge");
}

#[test]
fn strategies() {
    let mut s = service();
    let local = json!({"content": "Local"});
    let remote = json!({"content": "Remote"});
    let e = entity(
        "t9",
        "message:edit",
        local.clone(),
        remote.clone(),
        NOW - 1000,
        NOW,
    );
    let d = s.detect(e).unwrap();
    let r = s
        .resolve(&d, Some("last-write-wins"), None, NOW + 1)
        .unwrap();
    assert_eq!(r["strategy"], json!("last-write-wins"));
    assert_eq!(r["resolvedData"], remote);
    assert_eq!(r["timestamp"], json!(NOW + 1));
    assert_eq!(r["requiresUserAction"], json!(false));
    assert!(r.get("conflictedFields").is_none());
    // Last write wins: a tie goes to the local side.
    let tie = json!({"entity": entity("t", "message:edit", local.clone(), remote.clone(), NOW, NOW), "suggestedStrategy": "manual"});
    assert_eq!(
        s.resolve(&tie, Some("last-write-wins"), None, NOW).unwrap()["resolvedData"],
        local
    );
    let newer =
        json!({"entity": entity("t", "message:edit", local.clone(), remote.clone(), NOW + 1, NOW)});
    assert_eq!(
        s.resolve(&newer, Some("last-write-wins"), None, NOW)
            .unwrap()["resolvedData"],
        local
    );

    assert_eq!(
        s.resolve(&tie, Some("server-wins"), None, NOW).unwrap()["resolvedData"],
        remote
    );
    assert_eq!(
        s.resolve(&tie, Some("client-wins"), None, NOW).unwrap()["resolvedData"],
        local
    );

    // Manual: the remote data, requiring user action, unless a choice is given.
    let m = s.resolve(&tie, Some("manual"), None, NOW).unwrap();
    assert_eq!(
        (m["resolvedData"].clone(), m["requiresUserAction"].clone()),
        (remote.clone(), json!(true))
    );
    let choice = json!({"deleted": true, "custom": "value"});
    let m = s
        .resolve(&tie, Some("manual"), Some(choice.clone()), NOW)
        .unwrap();
    assert_eq!(
        (m["resolvedData"].clone(), m["requiresUserAction"].clone()),
        (choice, json!(false))
    );
    let m = s
        .resolve(&tie, Some("manual"), Some(Value::Null), NOW)
        .unwrap();
    assert_eq!(m["resolvedData"], Value::Null, "null is a choice");
    // Without a strategy, the detection's suggestion.
    assert_eq!(
        s.resolve(&tie, None, None, NOW).unwrap()["strategy"],
        json!("manual")
    );
    // Nothing to resolve with: refused, nothing recorded.
    let before = s.history(None, None);
    assert_eq!(
        s.resolve(&newer, None, None, NOW),
        Err(ConflictError("strategy"))
    );
    assert_eq!(
        s.resolve(&json!({}), Some("merge"), None, NOW),
        Err(ConflictError("entity"))
    );
    assert_eq!(s.history(None, None), before);
}

#[test]
fn merge_keeps_one_sided_keys_unites_arrays_and_lets_remote_win() {
    let m = |l: Value, r: Value| {
        let mut fields = Vec::new();
        let v = merge(Some(&l), Some(&r), "", &mut fields);
        (v, fields)
    };
    let (v, f) = m(
        json!({"theme": "dark", "fontSize": 14}),
        json!({"theme": "light", "language": "en"}),
    );
    assert_eq!(
        v,
        Some(json!({"theme": "light", "fontSize": 14, "language": "en"}))
    );
    assert_eq!(f, vec!["theme"]);

    let (v, f) = m(
        json!({"notifications": {"sound": true, "volume": 0.5}, "theme": {"mode": "dark"}}),
        json!({"notifications": {"sound": false, "desktop": true}, "theme": {"mode": "light"}}),
    );
    let v = v.unwrap();
    assert_eq!(
        v["notifications"],
        json!({"sound": false, "volume": 0.5, "desktop": true})
    );
    assert_eq!(v["theme"], json!({"mode": "light"}));
    assert_eq!(f, vec!["notifications.sound", "theme.mode"]);

    // Arrays: united, primitives once, objects all kept; the key conflicts.
    let (v, f) = m(
        json!({"tags": ["a", "b", 1, {"x": 1}]}),
        json!({"tags": ["b", "c", 1, {"x": 1}]}),
    );
    assert_eq!(
        v.unwrap()["tags"],
        json!(["a", "b", 1, {"x": 1}, "c", {"x": 1}])
    );
    assert_eq!(f, vec!["tags"]);
    // Equal values are no conflict; mixed kinds go to the remote value.
    let (v, f) = m(
        json!({"a": [1], "b": {"c": 1}, "d": null}),
        json!({"a": [1], "b": [1], "d": {"e": 1}}),
    );
    assert_eq!(v, Some(json!({"a": [1], "b": [1], "d": {"e": 1}})));
    assert_eq!(f, vec!["b", "d"]);
    // Anything but two objects: the remote value, no fields.
    assert_eq!(
        m(json!("a"), json!({"b": 1})),
        (Some(json!({"b": 1})), vec![])
    );
    assert_eq!(m(json!({"a": 1}), json!(null)), (Some(json!(null)), vec![]));
    let mut f = Vec::new();
    assert_eq!(
        merge(None, Some(&json!({"a": 1})), "", &mut f),
        Some(json!({"a": 1}))
    );
    assert_eq!(merge(Some(&json!({"a": 1})), None, "", &mut f), None);
    // Two arrays merge as objects keyed by index (as `Object.keys` reads them).
    assert_eq!(
        m(json!([1, 2]), json!([1, 3, 4])),
        (Some(json!({"0": 1, "1": 3, "2": 4})), vec![json!("1")])
    );

    // Through resolve: conflictedFields listed.
    let mut s = service();
    let e = entity(
        "t12",
        "user:settings",
        json!({"theme": "dark", "fontSize": 14}),
        json!({"theme": "light", "language": "en"}),
        NOW,
        NOW,
    );
    let d = s.detect(e).unwrap();
    let r = s.resolve(&d, Some("merge"), None, NOW).unwrap();
    assert_eq!(r["conflictedFields"], json!(["theme"]));
    assert_eq!(
        r["resolvedData"],
        json!({"theme": "light", "fontSize": 14, "language": "en"})
    );
}

#[test]
fn auto_resolve_only_low_severity_not_manual() {
    let mut s = service();
    let up = entity(
        "t16",
        "file:upload",
        json!({"file": "local.txt"}),
        json!({"file": "remote.txt"}),
        NOW - 1000,
        NOW,
    );
    let d = s.detect(up.clone()).unwrap();
    let r = s.auto_resolve(&d, NOW).unwrap().unwrap();
    assert_eq!(r["resolvedData"], json!({"file": "remote.txt"}));
    let del = entity(
        "t17",
        "message:delete",
        json!({"deleted": true}),
        json!({"deleted": false}),
        NOW - 5000,
        NOW,
    );
    let d = s.detect(del).unwrap();
    assert_eq!(s.auto_resolve(&d, NOW), Ok(None));
    let mut d = s.detect(up).unwrap();
    d = with(d, "suggestedStrategy", json!("manual"));
    assert_eq!(s.auto_resolve(&d, NOW), Ok(None));
    assert_eq!(s.history(None, None).as_array().unwrap().len(), 1);

    let store = MemoryStore::new();
    let config = ConflictConfig {
        auto_resolve_low_severity: false,
        ..ConflictConfig::default()
    };
    let mut off = ConflictService::new(config, Box::new(store));
    let d = off
        .detect(entity("t", "file:upload", json!(1), json!(2), 0, 0))
        .unwrap();
    assert_eq!(off.auto_resolve(&d, NOW), Ok(None));
}

#[test]
fn history_newest_first_bounded_filtered_and_counted() {
    let store = MemoryStore::new();
    let config = ConflictConfig {
        max_history_size: 5,
        ..ConflictConfig::default()
    };
    let mut s = ConflictService::new(config, Box::new(store.clone()));
    s.initialize();
    for i in 0..7u64 {
        let kind = if i % 2 == 0 {
            "message:edit"
        } else {
            "user:settings"
        };
        let id = cat!("e", i);
        let d = s
            .detect(entity(&id, kind, json!(i), json!(i + 1), 0, 0))
            .unwrap();
        let strategy = ["server-wins", "client-wins", "merge"][(i % 3) as usize];
        s.resolve(&d, Some(strategy), None, NOW + i).unwrap();
    }
    let ids = |v: Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(s.history(None, None)), ["e6", "e5", "e4", "e3", "e2"]);
    assert_eq!(
        ids(s.history(Some("message:edit"), None)),
        ["e6", "e4", "e2"]
    );
    assert_eq!(ids(s.history(None, Some(2))), ["e6", "e5"]);
    assert_eq!(
        ids(s.history(None, Some(0))).len(),
        5,
        "a limit of 0 is no limit"
    );
    let e5 = s.history_entry("e5").unwrap();
    assert_eq!(
        (e5["detectedAt"].clone(), e5["resolvedAt"].clone()),
        (json!(NOW + 5), json!(NOW + 5))
    );
    assert_eq!(e5["resolution"]["strategy"], json!("merge"));
    assert_eq!(e5["entity"]["id"], json!("e5"));
    assert!(s.history_entry("e0").is_none());
    let stats = s.stats();
    assert_eq!(stats["totalConflicts"], json!(5));
    assert_eq!(stats["resolvedConflicts"], json!(5));
    assert_eq!(stats["pendingConflicts"], json!(0));
    assert_eq!(
        stats["byType"],
        json!({"message:edit": 3, "user:settings": 2})
    );
    assert_eq!(
        stats["byStrategy"],
        json!({"server-wins": 2, "merge": 2, "client-wins": 1})
    );

    // Each resolution: resolved, then history updated, and stored.
    let d = s
        .detect(entity("x", "file:upload", json!(1), json!(2), 0, 0))
        .unwrap();
    s.drain_effects();
    s.resolve(&d, None, None, NOW).unwrap();
    assert_eq!(
        names(&mut s),
        ["conflict:resolved", "conflict:history-updated"]
    );
    let stored = json::from_str(&store.raw(KEY).unwrap()).unwrap();
    assert_eq!(stored["history"], s.history(None, None));

    // A new instance reads it at initialize, not before.
    let mut again = ConflictService::new(ConflictConfig::default(), Box::new(store.clone()));
    assert_eq!(again.history(None, None), json!([]));
    again.initialize();
    assert_eq!(
        ids(again.history(None, None)),
        ["x", "e6", "e5", "e4", "e3"]
    );
    again.clear_history();
    assert_eq!(again.history(None, None), json!([]));
    assert_eq!(store.raw(KEY).as_deref(), Some(r#"{"history":[]}"#));
}

#[test]
fn without_history_nothing_is_kept_or_read() {
    let store = MemoryStore::new();
    store.put_raw(
        KEY,
        r#"{"history":[{"id":"a","type":"message:edit","strategy":"merge"}]}"#,
    );
    let config = ConflictConfig {
        enable_history: false,
        ..ConflictConfig::default()
    };
    let mut s = ConflictService::new(config, Box::new(store.clone()));
    s.initialize();
    assert_eq!(s.history(None, None), json!([]));
    let d = s
        .detect(entity("t", "file:upload", json!(1), json!(2), 0, 0))
        .unwrap();
    s.resolve(&d, None, None, NOW).unwrap();
    assert_eq!(names(&mut s), ["conflict:detected", "conflict:resolved"]);
    s.destroy();
    assert_eq!(store.write_count(), 0);
}

#[test]
fn initialize_once_destroy_saves_and_allows_again() {
    let store = MemoryStore::new();
    let mut s = ConflictService::new(ConflictConfig::default(), Box::new(store.clone()));
    assert!(!s.initialized());
    s.initialize();
    assert!(s.initialized());
    store.put_raw(
        KEY,
        r#"{"history":[{"id":"a","type":"message:edit","strategy":"merge"}]}"#,
    );
    s.initialize();
    assert_eq!(
        s.history(None, None),
        json!([]),
        "a second initialize does not reload"
    );
    s.destroy();
    assert!(!s.initialized());
    assert_eq!(store.raw(KEY).as_deref(), Some(r#"{"history":[]}"#));
}

#[test]
fn stored_input_is_checked() {
    let store = MemoryStore::new();
    let good = r#"{"id":"a","type":"message:edit","strategy":"merge","resolvedAt":0}"#;
    store.put_raw(
        KEY,
        &cat!(r#"{"history":["#, good, r#",{"id":"b","type":"nope","strategy":"merge"},7,{"type":"message:edit","strategy":"merge"}],"x":1}"#),
    );
    let mut s = open(&store);
    assert_eq!(
        s.history(None, None),
        json!([json::from_str(good).unwrap()])
    );
    let ev = s.drain_effects();
    assert_eq!(ev.len(), 1);
    assert_eq!(
        (ev[0].name, ev[0].data["error"]["code"].clone()),
        ("conflict:error", json!("storage"))
    );
    let stats = s.stats();
    assert_eq!(
        (
            stats["resolvedConflicts"].clone(),
            stats["pendingConflicts"].clone()
        ),
        (json!(0), json!(1))
    );

    for bad in [
        "{{{",
        "null",
        "5",
        r#"{"history":{"a":1}}"#,
        r#"{"history":"x"}"#,
    ] {
        store.put_raw(KEY, bad);
        let mut s = open(&store);
        assert_eq!(s.history(None, None), json!([]), "{bad}");
        assert_eq!(names(&mut s), ["conflict:error"], "{bad}");
        assert_eq!(store.raw(KEY), None, "{bad} removed");
    }
    for empty in [r#"{}"#, r#"{"history":null}"#] {
        store.put_raw(KEY, empty);
        let mut s = open(&store);
        assert_eq!(s.history(None, None), json!([]));
        assert!(s.drain_effects().is_empty());
    }
    // Over the limit: the newest kept.
    let config = ConflictConfig {
        max_history_size: 1,
        ..ConflictConfig::default()
    };
    store.put_raw(KEY, &cat!(r#"{"history":["#, good, ",", good, "]}"));
    let mut s = ConflictService::new(config, Box::new(store.clone()));
    s.initialize();
    assert_eq!(s.history(None, None).as_array().map(Vec::len), Some(1));
    assert_eq!(names(&mut s), ["conflict:error"]);
}

#[test]
fn storage_failures_are_reported_and_memory_kept() {
    let store = MemoryStore::new();
    store.set_failure(Some(StoreError::Unavailable));
    let mut s = open(&store);
    let ev = s.drain_effects();
    assert_eq!(ev[0].data["error"]["code"], json!("unavailable"));
    store.set_failure(Some(StoreError::QuotaExceeded));
    let d = s
        .detect(entity("q", "file:upload", json!(1), json!(2), 0, 0))
        .unwrap();
    s.resolve(&d, None, None, NOW).unwrap();
    let ev = s.drain_effects();
    let errors: Vec<_> = ev.iter().filter(|e| e.name == "conflict:error").collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].data["error"]["code"], json!("quota"));
    assert_eq!(ev.last().unwrap().name, "conflict:history-updated");
    assert_eq!(s.history(None, None).as_array().map(Vec::len), Some(1));
    store.set_failure(None);
    s.destroy();
    assert!(store.raw(KEY).unwrap().contains("\"q\""));
}

#[test]
fn entities_that_do_not_fit_are_refused() {
    let mut s = service();
    let ok = entity("t", "message:edit", json!(1), json!(2), 0, 0);
    let cases = [
        (json!([]), "entity"),
        (with(ok.clone(), "id", json!("")), "entity.id"),
        (with(ok.clone(), "id", json!(1)), "entity.id"),
        (with(ok.clone(), "type", json!("other")), "entity.type"),
        (
            with(ok.clone(), "localTimestamp", json!(-1)),
            "entity.localTimestamp",
        ),
        (
            with(ok.clone(), "remoteTimestamp", json!("1")),
            "entity.remoteTimestamp",
        ),
    ];
    for (e, what) in cases {
        assert_eq!(s.detect(e.clone()), Err(ConflictError(what)));
        let d = json!({"entity": e, "suggestedStrategy": "merge", "severity": "low"});
        assert_eq!(s.resolve(&d, None, None, NOW), Err(ConflictError(what)));
        assert_eq!(s.auto_resolve(&d, NOW), Err(ConflictError(what)));
    }
    let d = json!({"entity": ok, "suggestedStrategy": "other"});
    assert_eq!(
        s.resolve(&d, None, None, NOW),
        Err(ConflictError("strategy"))
    );
    assert_eq!(
        s.resolve(&d, Some("bogus"), None, NOW),
        Err(ConflictError("strategy"))
    );
    assert!(s.drain_effects().is_empty());
    assert_eq!(
        ConflictError("entity.id").message(),
        "entity.id is not valid"
    );
}

mod prop {
    use super::*;
    use crate::core::test_support::arb_json;
    use proptest::prelude::*;

    const WORDS: &[&str] = &["message:edit", "merge", "manual", "low", "e1"];
    const KEYS: &[&str] = &[
        "id",
        "type",
        "localData",
        "remoteData",
        "localTimestamp",
        "remoteTimestamp",
        "entity",
        "suggestedStrategy",
        "severity",
        "strategy",
        "history",
        "privacy",
    ];

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(text in ".{0,200}", a in arb_json(WORDS, KEYS), b in arb_json(WORDS, KEYS)) {
            let store = MemoryStore::new();
            store.put_raw(KEY, &text);
            let mut s = open(&store);
            store.put_raw(KEY, &cat!(r#"{"history":["#, a.to_text(), "]}"));
            let _ = open(&store);
            let e = entity("p", "user:settings", a.clone(), b.clone(), 0, 0);
            let d = s.detect(e).unwrap();
            let _ = s.resolve(&d, Some("merge"), None, NOW);
            let _ = s.detect(a.clone());
            let _ = s.resolve(&a, None, Some(b.clone()), NOW);
            let _ = s.auto_resolve(&b, NOW);
            let mut fields = Vec::new();
            let merged = merge(Some(&a), Some(&a), "", &mut fields);
            if a.is_object() {
                prop_assert_eq!(merged, Some(a.clone()));
                prop_assert!(fields.is_empty());
            }
        }
    }
}
