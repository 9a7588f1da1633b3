//! The current user as the app sets it later (nchat's `setCurrentUserId`):
//! never shown typing, also when their typing arrived before.

use super::*;

#[test]
fn a_current_user_set_later_is_hidden_from_what_was_already_heard() {
    let mut s = service();
    s.handle_typing_event(&event("channel:c1", &[("a", "Alice"), ("b", "Bob")]), 1_000)
        .unwrap();
    assert_eq!(
        s.get_typing_users("c1", None),
        [user("a", "Alice"), user("b", "Bob")]
    );
    s.set_current_user_id("a").unwrap();
    assert_eq!(s.get_typing_users("c1", None), [user("b", "Bob")]);
    assert_eq!(s.get_typing_text("c1", None), "Bob is typing...");
    s.set_current_user_id(ME).unwrap();
    assert_eq!(
        s.get_typing_users("c1", None),
        [user("a", "Alice"), user("b", "Bob")]
    );
}
