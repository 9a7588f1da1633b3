//! Privacy: contacts, other users' settings and what the current user may
//! see of each cached presence.

use super::{CachedPresence, PresenceError, PresenceService, UserPresence};
use super::{PresenceEffect, PresenceStatus, PresenceVisibility, PrivacySettings, Visibility};
use crate::core::vecmap::VecSet;

impl PresenceService {
    /// Replace the current user's contacts. Emits `PresenceChanged` for cached
    /// users whose visible presence changes.
    pub fn set_contacts<I, S>(&mut self, contact_ids: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let contacts: VecSet<String> = contact_ids.into_iter().map(Into::into).collect();
        let before = self.presences();
        self.contacts = contacts;
        self.emit_view_changes(before);
    }

    /// Whether `user_id` is a contact of the current user.
    pub fn is_contact(&self, user_id: &str) -> bool {
        self.contacts.contains(user_id)
    }

    /// The current user's contacts (nchat's `getCachedContacts`).
    pub fn contacts(&self) -> Vec<String> {
        self.contacts.iter().cloned().collect()
    }

    /// Forgets the settings given for other users (nchat's
    /// `clearPresenceSettingsCache`): they take the defaults again. Emits
    /// `PresenceChanged` for cached users whose visible presence changes.
    pub fn clear_user_settings(&mut self) {
        let before = self.presences();
        self.user_settings.clear();
        self.emit_view_changes(before);
    }

    /// Supply another user's privacy settings (users without any use the
    /// defaults). Emits `PresenceChanged` if their visible presence changes.
    pub fn set_user_settings(
        &mut self,
        user_id: &str,
        settings: PrivacySettings,
    ) -> Result<(), PresenceError> {
        if user_id.is_empty() {
            return Err(PresenceError::EmptyUserId);
        }
        if self.current_user_id.as_deref() == Some(user_id) {
            return Err(PresenceError::OwnSettings(user_id.to_owned()));
        }
        let before = self.presences();
        self.user_settings.insert(user_id.to_owned(), settings);
        self.emit_view_changes(before);
        Ok(())
    }

    /// Privacy settings used for `user_id` (own settings for the current user).
    pub fn settings_of(&self, user_id: &str) -> PrivacySettings {
        if self.current_user_id.as_deref() == Some(user_id) {
            self.settings
        } else {
            self.user_settings.get(user_id).copied().unwrap_or_default()
        }
    }

    /// The settings known for `user_id`: the current user's own, another
    /// user's as the app gave them (`None`: never given; nchat's
    /// `getPresenceSettings(userId)` answers `null` then).
    pub fn known_settings(&self, user_id: &str) -> Option<PrivacySettings> {
        if self.current_user_id.as_deref() == Some(user_id) {
            Some(self.settings)
        } else {
            self.user_settings.get(user_id).copied()
        }
    }

    /// Contacts are the current user's, so the relation is known when either
    /// side is the current user.
    fn are_contacts(&self, viewer_id: &str, target_id: &str) -> bool {
        let me = self.current_user_id.as_deref();
        if me == Some(viewer_id) {
            self.contacts.contains(target_id)
        } else if me == Some(target_id) {
            self.contacts.contains(viewer_id)
        } else {
            false
        }
    }

    /// What `viewer_id` may see of `target_id`'s presence: a user always sees
    /// their own; invisible targets appear offline without last seen;
    /// `nobody` hides everything; `contacts` shows only to contacts;
    /// otherwise the `showOnlineStatus`/`showLastSeen` flags decide.
    pub fn can_view_presence(&self, viewer_id: &str, target_id: &str) -> PresenceVisibility {
        let settings = self.settings_of(target_id);
        let is_contact = self.are_contacts(viewer_id, target_id);
        let is_invisible = settings.invisible_mode;
        let hidden = PresenceVisibility {
            can_view_presence: false,
            can_view_online_status: false,
            can_view_last_seen: false,
            is_contact,
            is_invisible,
        };
        if viewer_id == target_id {
            return PresenceVisibility {
                can_view_presence: true,
                can_view_online_status: true,
                can_view_last_seen: true,
                ..hidden
            };
        }
        let allowed = match settings.visibility {
            Visibility::Everyone => true,
            Visibility::Contacts => is_contact,
            Visibility::Nobody => false,
        };
        if is_invisible || !allowed {
            return hidden;
        }
        PresenceVisibility {
            can_view_presence: true,
            can_view_online_status: settings.show_online_status,
            can_view_last_seen: settings.show_last_seen,
            ..hidden
        }
    }

    pub(super) fn view(&self, user_id: &str, raw: &CachedPresence) -> UserPresence {
        let viewer = self.current_user_id.as_deref().unwrap_or("");
        let vis = self.can_view_presence(viewer, user_id);
        UserPresence {
            user_id: user_id.to_owned(),
            status: if vis.can_view_online_status {
                raw.status
            } else {
                PresenceStatus::Offline
            },
            custom_status: raw.custom_status.clone().filter(|_| vis.can_view_presence),
            last_seen_at: raw.last_seen_at.filter(|_| vis.can_view_last_seen),
        }
    }

    pub(super) fn emit_view_changes(&mut self, before: Vec<UserPresence>) {
        let after = self.presences();
        for (old, new) in before.iter().zip(after) {
            if *old != new {
                self.effects.push_back(PresenceEffect::PresenceChanged(new));
            }
        }
    }

    /// A user's presence as the current user may see it: hidden online status
    /// shows as `offline`, hidden last seen and custom status are omitted.
    /// The current user gets their own unfiltered presence. `None` when unknown.
    pub fn get_presence(&self, user_id: &str) -> Option<UserPresence> {
        if self.current_user_id.as_deref() == Some(user_id) {
            return Some(UserPresence {
                user_id: user_id.to_owned(),
                status: self.own_status(),
                custom_status: self.custom_status.clone(),
                last_seen_at: self.own_last_seen,
            });
        }
        self.cache.get(user_id).map(|raw| self.view(user_id, raw))
    }

    /// Forget all cached presence of other users.
    pub fn clear_cache(&mut self) {
        self.cache.clear();
    }
}
