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

mod history;
mod prop;

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
