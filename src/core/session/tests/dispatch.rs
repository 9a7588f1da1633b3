//! Event dispatchers through the session: local events always, `dispatch`
//! frames only on the client side while connected, the batch window on the
//! session's deadline.

use super::*;
use crate::core::dispatch::{Command, DispatchConfig, Dispatched, BATCH_MS, QUEUE, TO_ROOMS};

fn dispatcher(s: &mut Session, client_side: bool) -> Handle {
    let config = DispatchConfig {
        is_client_side: client_side,
        ..Default::default()
    };
    s.attach_dispatcher(config, 5)
}

fn to_rooms(s: &mut Session, h: Handle, now: Millis) {
    let args = crate::core::json::json!(["e", ["r1"], {"n": 1}]);
    let cmd = Command::Dispatch(TO_ROOMS, args);
    s.dispatch(h, cmd, now).unwrap();
}

/// The `dispatch` frames among `outputs`, as JSON.
fn dispatch_frames(outputs: &[Output]) -> Vec<Value> {
    frames(outputs)
        .iter()
        .filter_map(|f| f.strip_prefix("42"))
        .map(|f| serde_json::from_str::<Value>(f).unwrap())
        .filter(|v| v[0] == "dispatch")
        .map(|v| v[1].clone())
        .collect()
}

fn dispatched(outputs: &[Output], h: Handle) -> Vec<(String, String)> {
    events_of(outputs, h)
        .into_iter()
        .filter_map(|e| match e {
            Event::Dispatch(Dispatched { event, room, .. }) => Some((event, room)),
            _ => None,
        })
        .collect()
}

#[test]
fn events_reach_the_app_and_the_server_only_when_connected_on_the_client_side() {
    let mut s = session();
    let h = dispatcher(&mut s, true);
    let quiet = dispatcher(&mut s, false);
    to_rooms(&mut s, h, 1);
    let out = drain(&mut s);
    assert_eq!(dispatched(&out, h), [("e".into(), "r1".into())]);
    assert!(
        dispatch_frames(&out).is_empty(),
        "not connected: nothing sent"
    );
    connect(&mut s, 10);
    to_rooms(&mut s, h, 11);
    to_rooms(&mut s, quiet, 11);
    let out = drain(&mut s);
    assert_eq!(
        dispatch_frames(&out),
        [json!({"event": "e", "room": "r1", "payload": {"n": 1}})]
    );
    assert_eq!(dispatched(&out, h).len(), 1);
    assert_eq!(
        dispatched(&out, quiet).len(),
        1,
        "isClientSide false: local only"
    );
}

#[test]
fn the_batch_window_is_the_sessions_deadline() {
    let mut s = session();
    connect(&mut s, 10);
    let h = dispatcher(&mut s, true);
    for room in ["r1", "r1", "r2"] {
        let cmd = Command::Dispatch(QUEUE, crate::core::json::json!(["e", room, null]));
        s.dispatch(h, cmd, 100).unwrap();
    }
    assert_eq!(s.next_deadline(), Some(100 + BATCH_MS));
    assert_eq!(s.next_deadline_owner(), Some(h));
    assert!(dispatched(&drain(&mut s), h).is_empty());
    s.handle_timeout(100 + BATCH_MS);
    let out = drain(&mut s);
    assert_eq!(
        dispatched(&out, h),
        [
            ("events:batch".into(), "r1".into()),
            ("e".into(), "r2".into())
        ]
    );
    let sent = dispatch_frames(&out);
    assert_eq!(
        sent[0]["payload"]["events"].as_array().map(Vec::len),
        Some(2)
    );
    assert_ne!(s.next_deadline_owner(), Some(h));
    // Disposed: refused.
    s.detach(h, 200);
    assert_eq!(
        s.dispatch(h, Command::Initialized, 200).unwrap_err().code(),
        "disposed"
    );
}
