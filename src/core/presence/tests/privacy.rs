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

#[test]
fn the_contacts_read_back_and_forgotten_settings_take_the_defaults_again() {
    let mut s = service();
    assert!(s.contacts().is_empty());
    s.set_contacts(["b", "a"]);
    let mut contacts = s.contacts();
    contacts.sort();
    assert_eq!(contacts, ["a", "b"]);
    s.handle_presence_changed(&json!({"userId": "t", "status": "online"}), 0)
        .unwrap();
    let hidden = PrivacySettings {
        visibility: Visibility::Nobody,
        ..PrivacySettings::default()
    };
    s.set_user_settings("t", hidden).unwrap();
    s.set_invisible_mode(true, 0);
    assert_eq!(s.get_presence("t").unwrap().status, PresenceStatus::Offline);
    s.drain_effects();
    s.clear_user_settings();
    assert_eq!(s.known_settings("t"), None);
    assert_eq!(s.get_presence("t").unwrap().status, PresenceStatus::Online);
    // The change is told to listeners; the own settings and contacts stay.
    assert!(matches!(
        &s.drain_effects()[..],
        [PresenceEffect::PresenceChanged(p)] if p.user_id == "t" && p.status == PresenceStatus::Online
    ));
    assert!(s.settings().invisible_mode);
    assert_eq!(s.contacts().len(), 2);
}
