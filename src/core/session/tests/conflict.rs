//! Conflict resolution services on the session: commands, events to the
//! app for the service's handle, the history on the session's store, and
//! detaching.

use super::*;
use crate::core::conflict::{Command, ConflictConfig};
use crate::core::json::{json as cjson, Value as CValue};

fn entity(id: &str) -> CValue {
    cjson!({
        "id": id, "type": "file:upload", "localData": 1, "remoteData": 2,
        "localTimestamp": 0, "remoteTimestamp": 0,
    })
}

#[test]
fn commands_run_and_events_reach_the_app_for_the_service() {
    let store = MemoryStore::new();
    let mut s = session_on(&store);
    let h = s.attach_conflict(ConflictConfig::default());
    assert_eq!(s.conflict(h, Command::Initialize, 5), Ok(None));
    let d = s
        .conflict(h, Command::Detect(entity("a")), 10)
        .unwrap()
        .unwrap();
    assert_eq!(d["hasConflict"], CValue::Bool(true));
    let r = s.conflict(h, Command::AutoResolve(d), 20).unwrap().unwrap();
    assert_eq!(r["timestamp"], cjson!(20u64), "the session's clock");
    let names: Vec<&str> = drain(&mut s)
        .into_iter()
        .filter_map(|o| match o {
            Output::Event {
                target,
                event: Event::Conflict(e),
            } if target == h => Some(e.name),
            _ => None,
        })
        .collect();
    assert_eq!(
        names,
        [
            "conflict:detected",
            "conflict:resolved",
            "conflict:history-updated"
        ]
    );
    assert_ne!(s.next_deadline_owner(), Some(h), "no timers");

    // Another session on the same storage reads the history.
    let mut other = session_on(&store);
    let h2 = other.attach_conflict(ConflictConfig::default());
    other.conflict(h2, Command::Initialize, 30).unwrap();
    let history = other
        .conflict(h2, Command::History(None, None), 30)
        .unwrap();
    assert_eq!(history.unwrap()[0]["id"], cjson!("a"));

    // Refusals keep their code; a detached service is disposed.
    let bad = s
        .conflict(h, Command::Detect(CValue::Null), 40)
        .unwrap_err();
    assert_eq!(bad.code(), "invalid_argument");
    s.detach(h, 50);
    assert_eq!(
        s.conflict(h, Command::Stats, 60),
        Err(SessionError::Disposed(ServiceKind::Conflict))
    );
    assert!(SessionError::Disposed(ServiceKind::Conflict)
        .message()
        .contains("ConflictResolutionService"));
}
