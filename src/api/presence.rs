//! `PresenceService`: the presence machine of the client's session, and
//! the idle-detection listeners of this page.
//!
//! Each method checks its arguments and forwards one command through the
//! client's [`Hub`]; the session routes (status out through the
//! connection, `presence:changed` in) and the hub calls the listeners.

use crate::core::decimal::cat;
use std::cell::Cell;
use std::rc::Rc;

use crate::core::json::{quote, Map, Value};
use wasm_bindgen::prelude::*;

use super::args::{self, Res};
use super::hub::{Hub, ServiceRef, Settle};
use super::js::{coded, debug_log, to_js};
use super::types::PRESENCE_STATUSES;
use crate::browser::activity::{self, ActivityMonitor, RelayKind};
use crate::core::presence::{
    self as core, CustomStatus, PresenceError, PrivacySettings, PrivacySettingsUpdate,
};
use crate::core::session::{Handle, PresenceAttach, PresenceCommands, ServiceKind};
use crate::core::Millis;

mod types;
pub(crate) use types::*;

/// Presence of the current user and of the users they follow: status
/// (online, away, busy, offline), custom status with expiry, invisible mode,
/// privacy settings and contacts, idle detection (also across tabs) and a
/// heartbeat while connected.
pub struct PresenceService {
    svc: ServiceRef,
    /// The activity listeners (dropped by `dispose`).
    activity: Cell<Option<ActivityMonitor>>,
    relay: Cell<RelayKind>,
}

impl PresenceService {
    /// The service's handle in the session.
    pub(crate) fn handle(&self) -> Handle {
        self.svc.handle
    }

    /// Runs a command on the live service, then pumps.
    fn act<T>(
        &self,
        method: &str,
        f: impl FnOnce(&mut PresenceCommands<'_>, Millis) -> Result<T, PresenceError>,
    ) -> Res<T> {
        self.svc
            .run(|s, h, now| s.presence_do(h, now, f))
            .map_err(|e| api_error(method, e))
    }

    /// Reads the machine (still readable once disposed).
    fn read<T: Default>(&self, f: impl FnOnce(&core::PresenceService) -> T) -> T {
        self.svc
            .read(|s, h| s.presence(h).ok().map(f))
            .unwrap_or_default()
    }
}

/// A `Partial<PresenceSettings>`; `what` names the parameter.
fn settings_update(value: &JsValue, what: &str) -> Res<PrivacySettingsUpdate> {
    let r = args::Record::new(Some(args::fields(value, what, SETTINGS)?));
    Ok(PrivacySettingsUpdate {
        visibility: r.str("visibility").and_then(|v| v.parse().ok()),
        show_online_status: r.flag("showOnlineStatus"),
        show_last_seen: r.flag("showLastSeen"),
        allow_read_receipts: r.flag("allowReadReceipts"),
        invisible_mode: r.flag("invisibleMode"),
    })
}

/// A custom status from JavaScript (`{text?, emoji?, expiresAt?}`,
/// `expiresAt` a Date, ms since the epoch or an ISO-8601 string): its shape
/// checked by [`CUSTOM_STATUS`], its rules by the core's
/// [`core::parse_custom_status_input`] like every other input.
pub(crate) fn custom_status_input(value: &JsValue, what: &str) -> Res<CustomStatus> {
    let checked: JsValue = args::fields(value, what, CUSTOM_STATUS)?.into();
    let mut obj = Map::new();
    for field in CUSTOM_STATUS {
        let key = field.name;
        let v = js_sys::Reflect::get(&checked, &JsValue::from_str(key)).unwrap_or_default();
        if args::absent(&v) {
            continue;
        }
        let json = if key == "expiresAt" {
            Value::from(args::timestamp(&v, &cat!(what, ".", key))?)
        } else {
            Value::String(v.as_string().unwrap_or_default())
        };
        obj.insert(key.to_owned(), json);
    }
    core::parse_custom_status_input(&Value::Object(obj)).map_err(|e| presence_error(what, e))
}

impl PresenceService {
    /// Presence on `client` (`PresenceServiceOptions`). The current user is
    /// the one the server authenticates unless `userId` is given. Status is
    /// sent on every (re)connection and every `heartbeatIntervalMs`.
    pub(crate) fn new(hub: &Hub, options: JsValue) -> Result<PresenceService, JsValue> {
        let what = "new PresenceService()";
        let hub = hub.clone();
        let options = args::opt_fields(&options, "options", PRESENCE_OPTIONS)?;
        let mut opts = PresenceOptions::read(&args::Record::new(options));
        let debug = opts.debug.unwrap_or_else(|| hub.debug(Handle::CLIENT));
        opts.debug = Some(debug);
        let config = opts.config()?;
        let attach = PresenceAttach {
            user_id: opts.user_id.clone(),
            hidden: activity::page_hidden() == Some(true),
        };
        let handle = hub
            .run_quiet(|s, now| s.attach_presence(config, attach, now))
            .map_err(|e| api_error(what, e))?;
        let h = hub.clone();
        let monitor = ActivityMonitor::new(
            config.activity_throttle_ms,
            opts.detect_activity.unwrap_or(true),
            Rc::new(move |_| {
                let _ = h.run(|s, now| s.presence_activity(handle, now));
            }),
        );
        let relay = monitor
            .as_ref()
            .map_or(RelayKind::None, ActivityMonitor::relay_kind);
        if debug {
            debug_log("presence: service started");
        }
        hub.driver.pump();
        Ok(PresenceService {
            svc: ServiceRef::new(hub, handle, ServiceKind::Presence, debug),
            activity: Cell::new(monitor),
            relay: Cell::new(relay),
        })
    }

    /// Chooses a status. A chosen `busy`, `away` or `offline` is never
    /// overridden by idle detection; `online` ends auto-away.
    pub fn set_status(&self, status: JsValue) -> Result<(), JsValue> {
        let s = args::one_of(&status, "status", PRESENCE_STATUSES)?;
        self.act("setStatus()", |c, now| c.set_status_str(&s, now))
    }

    /// The current user's status: `away` during auto-away, else the chosen one.
    pub fn get_status(&self) -> String {
        self.read(|c| c.own_status().as_str().into())
    }

    /// The current user's status (as `getStatus()`).
    pub fn status(&self) -> String {
        self.get_status()
    }

    /// Whether idle or hidden-tab auto-away is in effect.
    pub fn is_auto_away(&self) -> bool {
        self.read(core::PresenceService::is_auto_away)
    }

    /// The current user id, `undefined` until known.
    pub fn user_id(&self) -> Option<String> {
        self.read(|c| c.current_user_id().map(str::to_owned))
    }

    /// Sets the custom status (`{text?, emoji?, expiresAt?}`); it clears
    /// itself at `expiresAt`. Throws for an empty one or an expiry not in the future.
    pub fn set_custom_status(&self, custom_status: JsValue) -> Result<(), JsValue> {
        let cs = custom_status_input(&custom_status, "customStatus")?;
        self.act("setCustomStatus()", |c, now| c.set_custom_status(cs, now))
    }

    /// Removes the custom status.
    pub fn clear_custom_status(&self) -> Result<(), JsValue> {
        self.act("clearCustomStatus()", |c, now| {
            c.clear_custom_status(now);
            Ok(())
        })
    }

    /// The current user's custom status.
    pub fn get_custom_status(&self) -> JsValue {
        self.read(|c| {
            c.custom_status()
                .map_or(JsValue::UNDEFINED, custom_status_js)
        })
    }

    /// Appear offline to everyone (`true`) or show the real status again.
    pub fn set_invisible_mode(&self, invisible: JsValue) -> Result<(), JsValue> {
        let on = args::boolean(&invisible, "invisible")?;
        self.act("setInvisibleMode()", |c, now| {
            c.set_invisible_mode(on, now);
            Ok(())
        })
    }

    /// nchat's `startHeartbeat` (`on` true) and `stopHeartbeat`.
    pub fn heartbeat(&self, on: JsValue) -> Result<(), JsValue> {
        let on = args::boolean(&on, "on")?;
        let m = if on {
            "startHeartbeat()"
        } else {
            "stopHeartbeat()"
        };
        self.act(m, |c, now| {
            c.heartbeat(on, now);
            Ok(())
        })
    }

    /// Whether invisible mode is on.
    pub fn is_invisible(&self) -> bool {
        self.read(core::PresenceService::is_invisible)
    }

    /// Updates the current user's privacy settings with the given keys and
    /// resolves with all of them: `updatePresenceSettings(settings)` or, as in
    /// the seeds, `updatePresenceSettings(userId, settings)` where `userId`
    /// must be the current user. Turning `invisibleMode` on acts like
    /// `setInvisibleMode(true)`. The app persists the result.
    pub fn update_presence_settings(
        &self,
        user_id_or_settings: JsValue,
        settings: JsValue,
    ) -> Result<JsValue, JsValue> {
        let what = "updatePresenceSettings()";
        let (user_id, update) = if user_id_or_settings.is_string() {
            let id = args::id(&user_id_or_settings, "userIdOrSettings")?;
            (Some(id), settings_update(&settings, "settings")?)
        } else if args::absent(&settings) {
            let update = settings_update(&user_id_or_settings, "userIdOrSettings")?;
            (None, update)
        } else {
            return Err(args::invalid("userIdOrSettings"));
        };
        if let Some(id) = user_id {
            let me = self.user_id();
            if me.as_deref().is_some_and(|me| me != id) {
                return Err(coded(
                    "own_settings",
                    &cat!(
                        what,
                        ": ",
                        quote(&id),
                        " is not the current user (",
                        quote(&me.unwrap_or_default()),
                        "); give other users' settings with setUserSettings()"
                    ),
                ));
            }
        }
        let new = self.act(what, |c, now| Ok(c.update_settings(update, now)))?;
        Ok(js_sys::Promise::resolve(&to_js(&new)).into())
    }

    /// The current user's privacy settings, or (nchat's
    /// `getPresenceSettings(userId)`) those known for `userId`: `null` for
    /// another user whose settings the app never gave.
    pub fn get_presence_settings(&self, user_id: JsValue) -> Result<JsValue, JsValue> {
        let id = args::opt_id(&user_id, "userId")?;
        Ok(to_js(&self.read(|c| match &id {
            None => Some(*c.settings()),
            Some(u) => c.known_settings(u),
        })))
    }

    /// nchat's `setCurrentUserId`: the current user is `userId` from now on,
    /// over the connection's (`null`: the connection's again).
    pub fn set_current_user_id(&self, user_id: JsValue) -> Result<(), JsValue> {
        let id = args::opt_id(&user_id, "userId")?;
        self.svc
            .run(|s, h, now| s.presence_set_user(h, id.as_deref(), now))
            .map_err(|e| api_error("setCurrentUserId()", e))
    }

    /// Replaces the current user's contacts (for `visibility: 'contacts'`).
    pub fn set_contacts(&self, contact_ids: JsValue) -> Result<(), JsValue> {
        let ids = args::ids(&contact_ids, "contactIds")?;
        self.act("setContacts()", |c, _| {
            c.set_contacts(ids);
            Ok(())
        })
    }

    /// nchat's `getCachedContacts`: the contacts given by `setContacts`.
    pub fn get_cached_contacts(&self) -> JsValue {
        to_js(&self.read(core::PresenceService::contacts))
    }

    /// nchat's `clearPresenceSettingsCache`: other users' settings
    /// (`setUserSettings`) are forgotten; they take the defaults again.
    pub fn clear_presence_settings_cache(&self) -> Result<(), JsValue> {
        self.act("clearPresenceSettingsCache()", |c, _| {
            c.clear_user_settings();
            Ok(())
        })
    }

    /// Gives another user's privacy settings (missing keys take the defaults);
    /// what the current user sees of them follows.
    pub fn set_user_settings(&self, user_id: JsValue, settings: JsValue) -> Result<(), JsValue> {
        let what = "setUserSettings()";
        let id = args::id(&user_id, "userId")?;
        let settings = settings_update(&settings, "settings")?.apply_to(PrivacySettings::default());
        self.act(what, |c, _| c.set_user_settings(&id, settings))
    }

    /// What `viewerId` may see of `targetId`'s presence.
    pub fn can_view_presence(
        &self,
        viewer_id: JsValue,
        target_id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let viewer = args::id(&viewer_id, "viewerId")?;
        let target = args::id(&target_id, "targetId")?;
        let seen = self.svc.read(|s, h| {
            s.presence(h)
                .ok()
                .map(|c| c.can_view_presence(&viewer, &target))
        });
        Ok(seen.map_or(JsValue::UNDEFINED, |v| to_js(&v)))
    }

    /// A user's presence as the current user may see it, `undefined` when
    /// unknown (subscribe to learn it).
    pub fn get_presence(&self, user_id: JsValue) -> Result<JsValue, JsValue> {
        let id = args::id(&user_id, "userId")?;
        Ok(self.read(|c| {
            c.get_presence(&id)
                .map_or(JsValue::UNDEFINED, |p| presence_js(&p))
        }))
    }

    /// Follows users' presence (at most 100 in all; more is an error and
    /// nothing is subscribed). Their current presence arrives with the
    /// server's answer. Returns how many were new.
    pub fn subscribe_to_users(&self, user_ids: JsValue) -> Result<u32, JsValue> {
        let ids = args::ids(&user_ids, "userIds")?;
        self.act("subscribeToUsers()", |c, _| {
            c.subscribe_to_users(&ids).map(|n| n as u32)
        })
    }

    /// Stops following users (not re-subscribed after a reconnect). Returns
    /// how many were followed.
    pub fn unsubscribe_from_users(&self, user_ids: JsValue) -> Result<u32, JsValue> {
        let ids = args::ids(&user_ids, "userIds")?;
        self.act("unsubscribeFromUsers()", |c, _| {
            Ok(c.unsubscribe_from_users(&ids) as u32)
        })
    }

    /// nchat's `fetchPresence`: asks the server (`presence:get`) and
    /// resolves with every cached presence (the layer makes it a `Map`),
    /// also when disconnected or unanswered.
    pub fn fetch_presence(&self, user_ids: JsValue) -> Result<f64, JsValue> {
        let ids = args::ids(&user_ids, "userIds")?;
        self.svc
            .request(|s, h, now| s.presence_fetch(h, ids, now), Settle::Plain)
            .map_err(|e| api_error("fetchPresence()", e))
    }

    /// The followed user ids, sorted.
    pub fn get_subscriptions(&self) -> JsValue {
        to_js(&self.read(core::PresenceService::subscriptions))
    }

    /// How activity reaches the app's other tabs.
    pub fn activity_relay(&self) -> String {
        match self.relay.get() {
            RelayKind::BroadcastChannel => "broadcast-channel",
            RelayKind::Storage => "storage",
            RelayKind::None => "none",
        }
        .into()
    }

    /// Timers set so far for this service's deadlines (for idle-cost
    /// measurements; the client's one timer serves every service).
    pub fn timer_wakeups(&self) -> f64 {
        self.svc.hub.driver.timer_wakeups_of(self.svc.handle) as f64
    }

    /// Stops the service: listeners, timer and client hook are removed and
    /// callbacks dropped; nothing more is sent. Later calls that change state
    /// throw. Idempotent.
    pub fn dispose(&self) {
        if !self.svc.dispose() {
            return;
        }
        drop(self.activity.take());
        self.relay.set(RelayKind::None);
        if self.svc.hub.debug(self.svc.handle) {
            debug_log("presence: service disposed");
        }
    }
}
