//! What nchat's `getPresenceSettings(userId)` reads: the settings known per user.

use super::*;

#[test]
fn known_settings_are_own_given_or_none() {
    let mut s = service();
    assert_eq!(s.known_settings("t"), None);
    let given = PrivacySettings {
        visibility: Visibility::Nobody,
        ..PrivacySettings::default()
    };
    s.set_user_settings("t", given).unwrap();
    assert_eq!(s.known_settings("t"), Some(given));
    assert_eq!(s.known_settings("u"), None);
    s.set_invisible_mode(true, 0);
    let own = s.known_settings(ME).unwrap();
    assert!(own.invisible_mode);
    assert_eq!(own, *s.settings());
}
