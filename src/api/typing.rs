//! `TypingService`: the typing machine of the client's session (no timer
//! of its own: the session's deadline covers it, none while nobody types).
//!
//! Each method checks its arguments and forwards one command through the
//! client's [`Hub`].

use crate::core::decimal::cat;
use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::args::{self, Res};
use super::hub::{Hub, ServiceRef};
use super::js::{coded, debug_log, to_js, INVALID};
use crate::core::room;
use crate::core::session::{Handle, ServiceKind, TypingCommands};
use crate::core::typing::{
    self as core, format_typing_text, RoomTypingChange, TypingError, TypingPrivacy, TypingUser,
};
use crate::core::Millis;

mod types;
pub(crate) use types::*;

/// Typing indicators for channels, threads and DMs: debounced and throttled
/// `typing:start`/`typing:stop`, an auto-stop 5 s after the last keystroke,
/// others' typing per room (expiring, privacy-filtered, batched callbacks).
pub struct TypingService {
    svc: ServiceRef,
}

impl TypingService {
    /// The service's handle in the session.
    pub(crate) fn handle(&self) -> Handle {
        self.svc.handle
    }

    /// Runs a command on the live service, then pumps.
    fn act<T>(
        &self,
        method: &str,
        f: impl FnOnce(&mut TypingCommands<'_>, Millis) -> Result<T, TypingError>,
    ) -> Res<T> {
        self.svc
            .run(|s, h, now| s.typing_do(h, now, f))
            .map_err(|e| api_error(method, e))
    }

    /// Reads the machine (still readable once disposed).
    fn read<T: Default>(&self, f: impl FnOnce(&core::TypingService) -> T) -> T {
        self.svc
            .read(|s, h| s.typing(h).ok().map(f))
            .unwrap_or_default()
    }
}

impl TypingService {
    /// Typing on `client` (`TypingServiceOptions`). The current user is the
    /// one the server authenticates unless `userId` is given.
    pub(crate) fn new(hub: &Hub, options: JsValue) -> Result<TypingService, JsValue> {
        let what = "new TypingService()";
        let hub = hub.clone();
        let options = args::opt_fields(&options, "options", TYPING_OPTIONS)?;
        let (mut opts, privacy) = match options {
            None => (TypingOptions::default(), TypingPrivacy::default()),
            Some(options) => {
                let privacy_value =
                    js_sys::Reflect::get(&options, &JsValue::from_str("privacySettings"))
                        .unwrap_or_default();
                let privacy = if privacy_value.is_undefined() {
                    TypingPrivacy::default()
                } else {
                    privacy_update(
                        &privacy_value,
                        TypingPrivacy::default(),
                        "options.privacySettings",
                    )?
                };
                let opts = TypingOptions::read(&args::Record::new(Some(options)));
                (opts, privacy)
            }
        };
        let debug = opts.debug.unwrap_or_else(|| hub.debug(Handle::CLIENT));
        opts.debug = Some(debug);
        let config = opts.config()?;
        let user = opts.user_id.clone();
        let handle = hub
            .run_quiet(|s, now| s.attach_typing(config, user, privacy, now))
            .map_err(|e| api_error(what, e))?;
        if debug {
            debug_log("typing: service started");
        }
        hub.driver.pump();
        Ok(TypingService {
            svc: ServiceRef::new(hub, handle, ServiceKind::Typing, debug),
        })
    }

    /// Starts typing now in a channel, or in its thread with `threadId`
    /// (sent unless one went out for the room within `throttleMs`); it stops
    /// by itself `typingTimeoutMs` later. Nothing is sent while disconnected.
    pub fn start_typing(&self, channel_id: JsValue, thread_id: JsValue) -> Result<(), JsValue> {
        let m = "startTyping()";
        let channel = args::id(&channel_id, "channelId")?;
        let thread = args::opt_id(&thread_id, "threadId")?;
        self.act(m, |c, now| c.start_typing(&channel, thread.as_deref(), now))
    }

    /// `startTyping(channelId, threadId)`.
    pub fn start_typing_in_thread(
        &self,
        channel_id: JsValue,
        thread_id: JsValue,
    ) -> Result<(), JsValue> {
        let m = "startTypingInThread()";
        let channel = args::id(&channel_id, "channelId")?;
        let thread = args::id(&thread_id, "threadId")?;
        self.act(m, |c, now| c.start_typing_in_thread(&channel, &thread, now))
    }

    /// Starts typing in a DM (`dm:{dmId}`). `recipientId` is accepted for the
    /// seeds' signature; the server routes DM typing by room.
    pub fn start_typing_in_dm(&self, dm_id: JsValue, recipient_id: JsValue) -> Result<(), JsValue> {
        let m = "startTypingInDM()";
        let dm = args::id(&dm_id, "dmId")?;
        args::opt_id(&recipient_id, "recipientId")?;
        self.act(m, |c, now| c.start_typing_in_dm(&dm, now))
    }

    /// Stops typing in a channel (or its thread), or everywhere without arguments.
    pub fn stop_typing(&self, channel_id: JsValue, thread_id: JsValue) -> Result<(), JsValue> {
        let m = "stopTyping()";
        let channel = args::opt_id(&channel_id, "channelId")?;
        let thread = args::opt_id(&thread_id, "threadId")?;
        self.act(m, |c, now| {
            c.stop_typing(channel.as_deref(), thread.as_deref(), now)
        })
    }

    /// Stops typing in a DM.
    pub fn stop_typing_in_dm(&self, dm_id: JsValue) -> Result<(), JsValue> {
        let m = "stopTypingInDM()";
        let dm = args::id(&dm_id, "dmId")?;
        self.act(m, |c, now| c.stop_typing_in_dm(&dm, now))
    }

    /// The message input of a channel (or thread) changed: typing starts once
    /// it settles (debounced), keystrokes renew it (throttled), blank input
    /// stops at once.
    pub fn handle_input_change(
        &self,
        channel_id: JsValue,
        value: JsValue,
        thread_id: JsValue,
    ) -> Result<(), JsValue> {
        let m = "handleInputChange()";
        let channel = args::id(&channel_id, "channelId")?;
        let text = args::string(&value, "value")?;
        let thread = args::opt_id(&thread_id, "threadId")?;
        self.act(m, |c, now| {
            c.handle_input_change(&channel, &text, thread.as_deref(), now)
        })
    }

    /// `handleInputChange` for a DM.
    pub fn handle_dm_input_change(&self, dm_id: JsValue, value: JsValue) -> Result<(), JsValue> {
        let m = "handleDMInputChange()";
        let dm = args::id(&dm_id, "dmId")?;
        let text = args::string(&value, "value")?;
        self.act(m, |c, now| c.handle_input_change_in_dm(&dm, &text, now))
    }

    /// Users typing in a channel or thread (without the current user, privacy-filtered),
    /// in the order they started typing.
    pub fn get_typing_users(
        &self,
        channel_id: JsValue,
        thread_id: JsValue,
    ) -> Result<Array, JsValue> {
        let room = room_of(&channel_id, &thread_id, "getTypingUsers()")?;
        Ok(users_js(&self.read(|c| c.get_typing_users_in_room(&room))))
    }

    /// Users typing in a DM.
    pub fn get_typing_users_in_dm(&self, dm_id: JsValue) -> Result<Array, JsValue> {
        let dm = args::id(&dm_id, "dmId")?;
        Ok(users_js(
            &self.read(|c| c.get_typing_users_in_room(&room::dm_room(&dm))),
        ))
    }

    /// "Alice is typing...", "Alice and Bob are typing...", "Alice, Bob, and
    /// Charlie are typing...", "Alice, Bob, and 2 others are typing...", or
    /// `null` when nobody is.
    pub fn get_typing_text(
        &self,
        channel_id: JsValue,
        thread_id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let room = room_of(&channel_id, &thread_id, "getTypingText()")?;
        Ok(self.read(|c| text_or_null(&c.get_typing_users_in_room(&room))))
    }

    /// `getTypingText` for a DM.
    pub fn get_typing_text_in_dm(&self, dm_id: JsValue) -> Result<JsValue, JsValue> {
        let dm = args::id(&dm_id, "dmId")?;
        Ok(self.read(|c| text_or_null(&c.get_typing_users_in_room(&room::dm_room(&dm)))))
    }

    /// The room `onRoomTypingChange(channelId, roomType, callback, threadId)`
    /// listens to and its current typing users, as `[room, args]` (`args`
    /// what the callback takes): `native.ts` registers the callback under
    /// the room and calls it once now. `roomType` is `'channel'`,
    /// `'thread'` (with `threadId`) or `'dm'`.
    pub fn room_typing(
        &self,
        channel_id: JsValue,
        room_type: JsValue,
        thread_id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let m = "onRoomTypingChange()";
        let channel = args::id(&channel_id, "channelId")?;
        let room_type = args::one_of(&room_type, "roomType", ROOM_TYPES)?;
        let thread = args::opt_id(&thread_id, "threadId")?;
        let room = match (room_type.as_str(), thread.as_deref()) {
            ("channel", None) => room::channel_room(&channel),
            ("dm", None) => room::dm_room(&channel),
            ("thread", Some(t)) => room::key(&channel, Some(t)),
            ("thread", None) => {
                return Err(coded(
                    INVALID,
                    &cat!(
                        m,
                        ": roomType 'thread' needs a threadId (the fourth argument)"
                    ),
                ))
            }
            (kind, _) => {
                return Err(coded(
                    INVALID,
                    &cat!(m, ": roomType '", kind, "' takes no threadId; use 'thread'"),
                ))
            }
        };
        let users = self.read(|c| c.get_typing_users_in_room(&room));
        let info = room::parse(&room);
        let current = RoomTypingChange {
            room_name: room.clone(),
            room_type: info.room_type,
            channel_id: info.channel_id,
            thread_id: info.thread_id,
            users,
        };
        Ok(super::args::list(&[&JsValue::from_str(&room), &change_args(&current)]).into())
    }

    /// Changes the given privacy keys and returns all of them. Turning
    /// `broadcastTyping` off stops any typing in progress and sends nothing
    /// more; `typingVisibility` filters whose typing is shown.
    pub fn update_privacy_settings(&self, settings: JsValue) -> Result<JsValue, JsValue> {
        let m = "updatePrivacySettings()";
        let privacy = privacy_update(
            &settings,
            self.read(core::TypingService::privacy),
            "settings",
        )?;
        self.act(m, |c, now| {
            c.set_privacy(privacy, now);
            Ok(())
        })?;
        Ok(to_js(&privacy))
    }

    /// The current privacy settings.
    pub fn privacy_settings(&self) -> JsValue {
        to_js(&self.read(core::TypingService::privacy))
    }

    /// nchat's `setCurrentUserId`: the current user (never shown typing) is
    /// `userId` from now on (`null`: the connection's again).
    pub fn set_current_user_id(&self, user_id: JsValue) -> Result<(), JsValue> {
        let id = args::opt_id(&user_id, "userId")?;
        self.svc
            .run(|s, h, now| s.typing_set_user(h, id.as_deref(), now))
            .map_err(|e| api_error("setCurrentUserId()", e))
    }

    /// Replaces the current user's contacts (for `typingVisibility: 'contacts'`).
    pub fn set_contacts(&self, contact_ids: JsValue) -> Result<(), JsValue> {
        let ids = args::ids(&contact_ids, "contactIds")?;
        self.act("setContacts()", |c, now| {
            c.set_contacts(ids, now);
            Ok(())
        })
    }

    /// nchat's `addContact` (`add` true), `removeContact` (false) and
    /// `isContact` (`undefined`): whether `userId` is a contact afterwards.
    pub fn contact(&self, user_id: JsValue, add: JsValue) -> Result<bool, JsValue> {
        let id = args::id(&user_id, "userId")?;
        if let Some(add) = add.as_bool() {
            let m = if add {
                "addContact()"
            } else {
                "removeContact()"
            };
            self.act(m, |c, now| {
                c.set_contact(&id, add, now);
                Ok(())
            })?;
        }
        Ok(self.read(|c| c.is_contact(&id)))
    }

    /// Gives display names (`{userId: name}`) for typing users: the real
    /// server sends only user ids, which are shown until a name is known.
    /// Names seen in typing events are remembered too.
    pub fn set_user_names(&self, names: JsValue) -> Result<(), JsValue> {
        let m = "setUserNames()";
        if !names.is_object() {
            return Err(args::invalid("names"));
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        for entry in js_sys::Object::entries(names.unchecked_ref()).iter() {
            let pair = Array::from(&entry);
            let id = pair.get_unchecked(0).as_string().unwrap_or_default();
            let name = args::string(
                &pair.get_unchecked(1),
                &cat!(m, ": names[", crate::core::json::quote(&id), "]"),
            )?;
            pairs.push((id, name));
        }
        self.act(m, |c, now| {
            c.set_user_names(pairs, now);
            Ok(())
        })
    }

    /// Forgets everyone's typing (callbacks hear the empty lists) and stops our own.
    pub fn clear_all_typing_state(&self) -> Result<(), JsValue> {
        self.act("clearAllTypingState()", |c, now| {
            c.clear_all_typing_state(now);
            Ok(())
        })
    }

    /// nchat's `getActiveTypingRooms`: the rooms where someone is shown typing.
    pub fn active_rooms(&self) -> JsValue {
        to_js(&self.read(core::TypingService::active_typing_rooms))
    }

    /// nchat's `clearRoomTypingState(roomName, roomType, threadId?)`: forgets
    /// who types there (a DM's room when `roomType` is `'dm'`).
    pub fn clear_room(&self, name: JsValue, kind: JsValue, thread: JsValue) -> Result<(), JsValue> {
        let m = "clearRoomTypingState()";
        let room = if kind.as_string().as_deref() == Some("dm") {
            room::dm_room(&args::id(&name, "roomName")?)
        } else {
            room_of(&name, &thread, m)?
        };
        self.act(m, |c, now| {
            c.clear_room_typing_state(&room, now);
            Ok(())
        })
    }

    /// nchat's `currentContext` (`null` when typing nowhere; `isTyping` reads it).
    pub fn current_context(&self) -> JsValue {
        self.read(|c| c.current_context().map_or(JsValue::NULL, |v| to_js(&v)))
    }

    /// The current user id, `undefined` until known.
    pub fn user_id(&self) -> Option<String> {
        self.read(|c| c.current_user_id().map(str::to_owned))
    }

    /// Timers set so far (none while nobody types).
    pub fn timer_wakeups(&self) -> f64 {
        self.svc.hub.driver.timer_wakeups_of(self.svc.handle) as f64
    }

    /// Stops the service: typing in progress is stopped (`typing:stop`), then
    /// the timer and client hook are removed, callbacks dropped and nothing
    /// more is sent. Later calls that change state throw. Idempotent.
    pub fn dispose(&self) {
        if self.svc.dispose() && self.svc.hub.debug(self.svc.handle) {
            debug_log("typing: service disposed");
        }
    }
}

/// The room of `(channelId, threadId?)` from JavaScript values.
fn room_of(channel_id: &JsValue, thread_id: &JsValue, method: &str) -> Res<String> {
    let channel = args::id(channel_id, &cat!(method, ": channelId"))?;
    let thread = args::opt_id(thread_id, &cat!(method, ": threadId"))?;
    Ok(room::key(&channel, thread.as_deref()))
}

/// The typing text, or `null` when nobody types.
fn text_or_null(users: &[TypingUser]) -> JsValue {
    match format_typing_text(users) {
        t if t.is_empty() => JsValue::NULL,
        t => JsValue::from_str(&t),
    }
}
