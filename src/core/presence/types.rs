//! Value types of the presence service: statuses, custom status, privacy
//! settings and the results handed to the app.

use std::str::FromStr;

use super::PresenceError;
use crate::core::Millis;

/// A user's availability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PresenceStatus {
    /// Actively using the app.
    Online,
    /// Idle, tab hidden, or chosen by the user.
    Away,
    /// Do not disturb.
    Busy,
    /// Disconnected, or appearing offline.
    Offline,
}

impl PresenceStatus {
    /// The wire name: `online`, `away`, `busy` or `offline`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Away => "away",
            Self::Busy => "busy",
            Self::Offline => "offline",
        }
    }
}

impl FromStr for PresenceStatus {
    type Err = PresenceError;

    /// Case-insensitive; `dnd` (used by some servers) is accepted as `busy`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "online" => Ok(Self::Online),
            "away" => Ok(Self::Away),
            "busy" | "dnd" => Ok(Self::Busy),
            "offline" => Ok(Self::Offline),
            _ => Err(PresenceError::UnknownStatus(s.to_owned())),
        }
    }
}

/// Who may see presence (and, in the typing service, typing indicators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Visibility {
    /// Anyone.
    #[default]
    Everyone,
    /// Only contacts.
    Contacts,
    /// No one.
    Nobody,
}

impl Visibility {
    /// The wire name: `everyone`, `contacts` or `nobody`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Everyone => "everyone",
            Self::Contacts => "contacts",
            Self::Nobody => "nobody",
        }
    }
}

impl FromStr for Visibility {
    type Err = PresenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "everyone" => Ok(Self::Everyone),
            "contacts" => Ok(Self::Contacts),
            "nobody" => Ok(Self::Nobody),
            _ => Err(PresenceError::UnknownVisibility(s.to_owned())),
        }
    }
}

/// A custom status such as `📅 In a meeting`, optionally expiring.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomStatus {
    /// Free text, e.g. "In a meeting".
    pub text: Option<String>,
    /// An emoji, e.g. "📅".
    pub emoji: Option<String>,
    /// When it clears itself (ms).
    pub expires_at: Option<Millis>,
}

impl CustomStatus {
    /// True when it has neither text nor emoji.
    pub fn is_empty(&self) -> bool {
        self.text.is_none() && self.emoji.is_none()
    }

    /// True when it has an expiry at or before `now`.
    pub fn is_expired(&self, now: Millis) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }
}

/// A user's presence as the app sees it (already filtered by privacy rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPresence {
    /// The user.
    pub user_id: String,
    /// Status; `offline` when the online status is hidden from the viewer.
    pub status: PresenceStatus,
    /// Custom status; omitted when presence is hidden from the viewer.
    pub custom_status: Option<CustomStatus>,
    /// Last seen (ms); omitted when unknown or hidden from the viewer.
    pub last_seen_at: Option<Millis>,
}

/// Privacy settings of one user. Defaults: everyone, shown, shown, allowed, not invisible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivacySettings {
    /// Who may see presence at all.
    pub visibility: Visibility,
    /// Whether online/away/busy is shown (otherwise viewers see `offline`).
    pub show_online_status: bool,
    /// Whether "last seen" is shown.
    pub show_last_seen: bool,
    /// Whether read receipts are sent (stored here for the app; not used by presence).
    pub allow_read_receipts: bool,
    /// Appear offline to everyone.
    pub invisible_mode: bool,
}

impl Default for PrivacySettings {
    fn default() -> Self {
        Self {
            visibility: Visibility::Everyone,
            show_online_status: true,
            show_last_seen: true,
            allow_read_receipts: true,
            invisible_mode: false,
        }
    }
}

/// A partial update of [`PrivacySettings`]; `None` fields are left as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PrivacySettingsUpdate {
    /// New visibility.
    pub visibility: Option<Visibility>,
    /// New `showOnlineStatus`.
    pub show_online_status: Option<bool>,
    /// New `showLastSeen`.
    pub show_last_seen: Option<bool>,
    /// New `allowReadReceipts`.
    pub allow_read_receipts: Option<bool>,
    /// New `invisibleMode`.
    pub invisible_mode: Option<bool>,
}

impl PrivacySettingsUpdate {
    /// `settings` with this update applied.
    pub fn apply_to(&self, settings: PrivacySettings) -> PrivacySettings {
        PrivacySettings {
            visibility: self.visibility.unwrap_or(settings.visibility),
            show_online_status: self
                .show_online_status
                .unwrap_or(settings.show_online_status),
            show_last_seen: self.show_last_seen.unwrap_or(settings.show_last_seen),
            allow_read_receipts: self
                .allow_read_receipts
                .unwrap_or(settings.allow_read_receipts),
            invisible_mode: self.invisible_mode.unwrap_or(settings.invisible_mode),
        }
    }
}

/// What a viewer may see of a target's presence (`canViewPresence` in the seeds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresenceVisibility {
    /// Presence (including custom status) is visible at all.
    pub can_view_presence: bool,
    /// The real online/away/busy/offline status is visible.
    pub can_view_online_status: bool,
    /// "Last seen" is visible.
    pub can_view_last_seen: bool,
    /// Viewer and target are contacts.
    pub is_contact: bool,
    /// The target is in invisible mode.
    pub is_invisible: bool,
}

/// Timing parameters of the presence service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresenceConfig {
    /// Auto-away after this long without activity (0 disables idle detection).
    pub idle_timeout_ms: Millis,
    /// Auto-away after the tab has been hidden (with no activity) this long.
    pub hidden_away_delay_ms: Millis,
    /// Re-send the current status this often while connected (0 disables).
    pub heartbeat_interval_ms: Millis,
    /// Activity closer than this to the last handled activity is only recorded.
    pub activity_throttle_ms: Millis,
    /// Emit [`super::PresenceEffect::Log`] effects.
    pub debug: bool,
}

impl Default for PresenceConfig {
    fn default() -> Self {
        Self {
            idle_timeout_ms: 300_000,
            hidden_away_delay_ms: 60_000,
            heartbeat_interval_ms: 30_000,
            activity_throttle_ms: 1_000,
            debug: false,
        }
    }
}
