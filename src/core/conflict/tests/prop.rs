//! Arbitrary stored text and values never panic.

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
