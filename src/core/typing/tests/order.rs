//! The order and de-duplication of other users' typing lists: the real
//! server lists a user once per `typing:start` and in no set order.

use super::*;

const T: &str = "2024-02-03T16:20:00.000Z";
const T_MS: Millis = 1_706_977_200_000;

fn row(id: &str, at_s: u64) -> Value {
    json!({"userId": id, "startedAt": format!("2024-02-03T16:20:{at_s:02}.000Z")})
}

fn ids_and_starts(s: &TypingService) -> Vec<(String, Millis)> {
    s.get_typing_users("c1", None)
        .into_iter()
        .map(|u| (u.user_id, u.started_at))
        .collect()
}

#[test]
fn users_are_listed_once_in_the_order_they_started_whatever_the_wire_order() {
    let mut s = service();
    let real = |rows: Vec<Value>| json!({"roomName": "channel:c1", "users": rows});
    // ann typed on (three rows, the earliest not first), ben and cat started
    // together; the wire lists them in no particular order.
    s.handle_typing_event(
        &real(vec![
            row("cat", 2),
            row("ann", 3),
            json!({"userId": "ann", "startedAt": T}),
            row("ben", 2),
            row("ann", 1),
        ]),
        T_MS + 10_000,
    )
    .unwrap();
    let first = vec![
        ("ann".to_owned(), T_MS),
        ("ben".to_owned(), T_MS + 2_000),
        ("cat".to_owned(), T_MS + 2_000),
    ];
    assert_eq!(ids_and_starts(&s), first);
    assert_eq!(
        s.get_typing_text("c1", None),
        "ann, ben, and cat are typing..."
    );
    run_until(&mut s, T_MS + 10_500);
    s.drain_effects();

    // The same rows in another order: the same list, no notification.
    s.handle_typing_event(
        &real(vec![
            row("ben", 2),
            row("ann", 1),
            row("cat", 2),
            json!({"userId": "ann", "startedAt": T}),
        ]),
        T_MS + 11_000,
    )
    .unwrap();
    assert_eq!(ids_and_starts(&s), first);
    let fx = run_until(&mut s, T_MS + 11_500);
    assert!(fx.is_empty(), "{fx:?}");

    // A user reported alone (no startedAt: now) comes after those who
    // started before; one who started earlier comes first.
    s.handle_typing_event(
        &json!({"roomName": "channel:c1", "userId": "abe"}),
        T_MS + 12_000,
    )
    .unwrap();
    assert_eq!(ids_and_starts(&s)[3], ("abe".to_owned(), T_MS + 12_000));
    s.handle_typing_event(
        &json!({"roomName": "channel:c1", "userId": "zoe", "startedAt": 5}),
        T_MS + 12_100,
    )
    .unwrap();
    let order: Vec<String> = ids_and_starts(&s).into_iter().map(|(id, _)| id).collect();
    assert_eq!(order, ["zoe", "ann", "ben", "cat", "abe"]);
}
