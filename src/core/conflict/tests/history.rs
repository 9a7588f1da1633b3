//! The history: order, bound, filters, counts, storage and what storage
//! hands back.

use super::*;

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
