//! `TypingService`: the typing core wired to a [`RealtimeClient`] and one
//! deadline timer (armed only while someone types or a notification waits).
//!
//! As in the presence service, effects are carried out (emits, the app's
//! callbacks) only after the state's borrow is released.

use crate::core::vecmap::VecMap;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

use crate::core::decimal::cat;
use crate::core::json::quote;
use crate::core::json::Value;
use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

use super::args::{self, opt, Field, Kind, Record, Res};
use super::client::{ClientEvent, ClientHandle, RealtimeClient};
use super::driver::{add_hook, fresh_id, pump, unsubscribe, with_state, Driven};
use super::js::{call, debug_log, to_js, Callbacks, Unsubscribe};
use crate::browser::clock::now_ms;
use crate::browser::timer::DeadlineTimer;
use crate::core::connection::event_user_id;
use crate::core::room;
use crate::core::typing::{
    self as core, format_typing_text, RoomTypingChange, TypingConfig, TypingEffect, TypingError,
    TypingPrivacy, TypingUser, Visibility,
};
use crate::core::Millis;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPING: &'static str = r#"
/** The kind of a typing room: `channel:{id}`, `channel:{id}:thread:{threadId}` or `dm:{id}`. */
export type RoomType = 'channel' | 'thread' | 'dm';

/** Another user typing in a room. */
export interface TypingUser {
  userId: string;
  /** Display name: the server's, else one given to `setUserNames` or seen before, else the user id (the real server sends none). */
  userName: string;
  userAvatar?: string;
  startedAt: Date;
}

/** The current user's typing privacy. Defaults: true, 'everyone'. */
export interface TypingPrivacySettings {
  /** Send our typing at all. */
  broadcastTyping: boolean;
  /** Whose typing is shown to us. */
  typingVisibility: PresenceVisibility;
}

/** The new list of typing users of one room. */
export interface RoomTypingChange {
  /** The room, e.g. `channel:general:thread:t1`. */
  roomName: string;
  roomType: RoomType;
  /** The channel id (the DM id for DMs). */
  channelId: string;
  threadId?: string;
  /** Users typing now, without the current user; empty when nobody is. */
  users: TypingUser[];
}

/** Typing callback: `channelId` is the channel (or DM) id as given to the service. */
export type TypingChangeCallback = (channelId: string, users: TypingUser[], threadId: string | undefined, change: RoomTypingChange) => void;

/** Options of `new TypingService(client, options)`. Unknown keys are an error. */
export interface TypingServiceOptions {
  /** Typing stops this long after the last keystroke; others' indicators expire this long after their last report. Default 5000. */
  typingTimeoutMs?: number;
  /** Quiet time after an input change before typing starts. Default 300. */
  debounceMs?: number;
  /** Start anyway this long into a burst of keystrokes; 0 waits for a pause. Default 1000. */
  debounceMaxWaitMs?: number;
  /** At most one `typing:start` per room this often. Default 1000. */
  throttleMs?: number;
  /** Changes within this window reach the callbacks as one update. Default 500. */
  batchMs?: number;
  /** While typing, `typing:start` is renewed this often so servers with a shorter expiry keep showing it; 0: only on keystrokes. Default 2000. */
  keepAliveMs?: number;
  /** Initial privacy settings. */
  privacySettings?: Partial<TypingPrivacySettings>;
  /** Log with a `[chat-realtime]` prefix, also dropped malformed events. Default: the client's `debug`. */
  debug?: boolean;
  /** The current user (never shown as typing); default: the `userId` of the server's `authenticated` event. */
  userId?: string;
}
"#;

/// `new TypingService(client, options)` options.
#[derive(Debug, Default)]
struct TypingOptions {
    typing_timeout_ms: Option<f64>,
    debounce_ms: Option<f64>,
    debounce_max_wait_ms: Option<f64>,
    throttle_ms: Option<f64>,
    batch_ms: Option<f64>,
    keep_alive_ms: Option<f64>,
    debug: Option<bool>,
    user_id: Option<String>,
}

const TYPING_OPTIONS: &[Field] = &[
    opt("typingTimeoutMs", Kind::Ms),
    opt("debounceMs", Kind::Ms),
    opt("debounceMaxWaitMs", Kind::Ms),
    opt("throttleMs", Kind::Ms),
    opt("batchMs", Kind::Ms),
    opt("keepAliveMs", Kind::Ms),
    opt("privacySettings", Kind::Object(PRIVACY)),
    opt("debug", Kind::Bool),
    opt("userId", Kind::Id),
];

const PRIVACY: &[Field] = &[
    opt("broadcastTyping", Kind::Bool),
    opt(
        "typingVisibility",
        Kind::OneOf(&["everyone", "contacts", "nobody"]),
    ),
];

/// The values of `RoomType`.
const ROOM_TYPES: &[&str] = &["channel", "thread", "dm"];

impl TypingOptions {
    fn read(r: &Record) -> Self {
        TypingOptions {
            typing_timeout_ms: r.num("typingTimeoutMs"),
            debounce_ms: r.num("debounceMs"),
            debounce_max_wait_ms: r.num("debounceMaxWaitMs"),
            throttle_ms: r.num("throttleMs"),
            batch_ms: r.num("batchMs"),
            keep_alive_ms: r.num("keepAliveMs"),
            debug: r.flag("debug"),
            user_id: r.str("userId"),
        }
    }

    fn config(&self) -> Res<TypingConfig> {
        let d = TypingConfig::default();
        let ms = |v: Option<f64>, name: &str, default: Millis| {
            args::duration(v, &cat!("TypingService: ", name)).map(|v| v.unwrap_or(default))
        };
        Ok(TypingConfig {
            debounce_ms: ms(self.debounce_ms, "debounceMs", d.debounce_ms)?,
            debounce_max_wait_ms: ms(
                self.debounce_max_wait_ms,
                "debounceMaxWaitMs",
                d.debounce_max_wait_ms,
            )?,
            throttle_ms: ms(self.throttle_ms, "throttleMs", d.throttle_ms)?,
            typing_timeout_ms: ms(
                self.typing_timeout_ms,
                "typingTimeoutMs",
                d.typing_timeout_ms,
            )?,
            batch_ms: ms(self.batch_ms, "batchMs", d.batch_ms)?,
            keepalive_ms: ms(self.keep_alive_ms, "keepAliveMs", d.keepalive_ms)?,
            debug: self.debug.unwrap_or(false),
        })
    }
}

/// A partial `TypingPrivacySettings` applied to `current`; `what` names
/// the parameter.
fn privacy_update(value: &JsValue, current: TypingPrivacy, what: &str) -> Res<TypingPrivacy> {
    let value: JsValue = args::fields(value, what, PRIVACY)?.into();
    let get = |key: &str| js_sys::Reflect::get(&value, &JsValue::from_str(key)).unwrap_or_default();
    let mut privacy = current;
    if let Some(broadcast) = get("broadcastTyping").as_bool() {
        privacy.broadcast_typing = broadcast;
    }
    if let Some(visibility) = get("typingVisibility").as_string() {
        privacy.typing_visibility = match visibility.as_str() {
            "contacts" => Visibility::Contacts,
            "nobody" => Visibility::Nobody,
            _ => Visibility::Everyone,
        };
    }
    Ok(privacy)
}

fn typing_error(method: &str, e: TypingError) -> JsError {
    JsError::new(&match e {
        TypingError::ThreadWithoutChannel => cat!(
            method,
            ": a threadId needs its channelId: call stopTyping(channelId, threadId)"
        ),
        other => cat!(method, ": ", other),
    })
}

struct Inner {
    core: core::TypingService,
    client: ClientHandle,
    hook: Option<u32>,
    timer: DeadlineTimer,
    global_subs: Callbacks,
    room_subs: VecMap<String, Callbacks>,
    next_id: u32,
    fixed_user: bool,
    debug: bool,
    disposed: bool,
}

impl Unsubscribe for Inner {
    fn unsubscribe(&mut self, id: u32) {
        self.global_subs.remove(id);
        for subs in self.room_subs.values_mut() {
            subs.remove(id);
        }
        self.room_subs.retain(|_, subs| !subs.is_empty());
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(id) = self.hook.take() {
            self.client.remove_hook(id);
        }
    }
}

enum Out {
    Emit(&'static str, String),
    Changed(Vec<Function>, RoomTypingChange),
    Log(String),
}

/// A typing user as JavaScript, built key by key: `startedAt` is a `Date`,
/// which `JSON.parse` cannot make (measured: parsing the JSON and patching
/// the dates in is larger).
fn user_js(u: &TypingUser) -> JsValue {
    let o = js_sys::Object::new();
    args::set(&o, "userId", &JsValue::from_str(&u.user_id));
    args::set(&o, "userName", &JsValue::from_str(&u.user_name));
    if let Some(a) = &u.user_avatar {
        args::set(&o, "userAvatar", &JsValue::from_str(a));
    }
    args::set(&o, "startedAt", &args::date(u.started_at));
    o.into()
}

fn users_js(users: &[TypingUser]) -> Array {
    users.iter().map(user_js).collect()
}

/// The callback arguments `(channelId, users, threadId, change)`.
fn change_args(change: &RoomTypingChange) -> Array {
    let users = users_js(&change.users);
    let o = js_sys::Object::new();
    args::set(&o, "roomName", &JsValue::from_str(&change.room_name));
    args::set(
        &o,
        "roomType",
        &JsValue::from_str(change.room_type.as_str()),
    );
    args::set(&o, "channelId", &JsValue::from_str(&change.channel_id));
    if let Some(t) = &change.thread_id {
        args::set(&o, "threadId", &JsValue::from_str(t));
    }
    args::set(&o, "users", &users);
    let thread = change
        .thread_id
        .as_deref()
        .map_or(JsValue::UNDEFINED, JsValue::from_str);
    let out = Array::new();
    out.push(&JsValue::from_str(&change.channel_id));
    out.push(&users);
    out.push(&thread);
    out.push(&o);
    out
}

impl Driven for Inner {
    type Core = core::TypingService;
    type Out = Out;
    const NAME: &'static str = "TypingService";
    const LAZY_TIMER: bool = true;

    fn core(&mut self) -> Option<&mut core::TypingService> {
        (!self.disposed).then_some(&mut self.core)
    }

    fn timer(&mut self) -> &mut DeadlineTimer {
        &mut self.timer
    }

    fn next_id(&mut self) -> &mut u32 {
        &mut self.next_id
    }

    fn take_batch(&mut self) -> Option<Vec<Out>> {
        let effects = self.core.drain_effects();
        if self.disposed {
            return None;
        }
        let mut outs = Vec::new();
        for e in effects {
            match e {
                TypingEffect::Send { event, payload } => {
                    outs.push(Out::Emit(event, payload.to_text()))
                }
                TypingEffect::TypingChanged { rooms } => {
                    for room in rooms {
                        let mut fns = self.global_subs.snapshot();
                        if let Some(subs) = self.room_subs.get(&room.room_name) {
                            fns.extend(subs.snapshot());
                        }
                        outs.push(Out::Changed(fns, room));
                    }
                }
                TypingEffect::Log(m) => outs.push(Out::Log(m)),
            }
        }
        Some(outs)
    }

    fn dispatch(rc: &Rc<RefCell<Self>>, batch: Vec<Out>) {
        let Some(client) = rc.try_borrow().ok().map(|i| i.client.clone()) else {
            return;
        };
        for out in batch {
            match out {
                Out::Emit(event, payload) => {
                    if let Err(e) = client.emit_volatile_json(event, Some(&payload)) {
                        if rc.try_borrow().is_ok_and(|i| i.debug) {
                            let m = JsValue::from(e)
                                .dyn_ref::<js_sys::Error>()
                                .map(|e| String::from(e.message()))
                                .unwrap_or_default();
                            debug_log(&cat!("typing: could not send ", event, ": ", m));
                        }
                    }
                }
                Out::Changed(fns, change) => {
                    let a = change_args(&change);
                    for f in fns {
                        if let Err(e) = call(&f, &a) {
                            args::report_callback_error("TypingService", &e);
                        }
                    }
                }
                Out::Log(m) => debug_log(&cat!("typing: ", m)),
            }
        }
    }
}

fn on_client_event(weak: &Weak<RefCell<Inner>>, event: &ClientEvent) {
    with_state(weak, |inner: &mut Inner, now| match event {
        ClientEvent::Connected { .. } => {
            // The client may know the user by now (from the token or an
            // `authenticated` event; the real server sends no such event).
            if !inner.fixed_user {
                if let Some(id) = inner.client.user_id() {
                    let _ = inner.core.set_current_user_id(&id);
                }
            }
            inner.core.on_connected(now)
        }
        ClientEvent::Disconnected => inner.core.on_disconnected(now),
        ClientEvent::Event { name, data } if *name == "authenticated" && !inner.fixed_user => {
            if let Some(id) = event_user_id(data) {
                let _ = inner.core.set_current_user_id(&id);
            }
        }
        ClientEvent::Event { name, data } if *name == core::EVENT_TYPING => {
            let payload = crate::core::json::from_str(data)
                .ok()
                .and_then(|mut v| v.get_mut(1).map(Value::take))
                .unwrap_or(Value::Null);
            if let Err(e) = inner.core.handle_typing_event(&payload, now) {
                if inner.debug {
                    debug_log(&cat!("typing: ", e));
                }
            }
        }
        _ => {}
    });
}

/// Typing indicators for channels, threads and DMs: debounced and throttled
/// `typing:start`/`typing:stop`, an auto-stop 5 s after the last keystroke,
/// others' typing per room (expiring, privacy-filtered, batched callbacks).
#[wasm_bindgen(js_name = TypingService)]
pub struct TypingService {
    inner: Rc<RefCell<Inner>>,
}

impl TypingService {
    fn act<T>(
        &self,
        method: &str,
        f: impl FnOnce(&mut core::TypingService, Millis) -> Result<T, TypingError>,
    ) -> Res<T> {
        let r = {
            let mut inner = self.inner.borrow_mut();
            if inner.disposed {
                return Err(JsError::new(&cat!(
                    method,
                    ": this TypingService was disposed; create a new one"
                ))
                .into());
            }
            f(&mut inner.core, now_ms()).map_err(|e| typing_error(method, e).into())
        };
        pump(&self.inner);
        r
    }

    fn read<T>(&self, f: impl FnOnce(&core::TypingService) -> T) -> T {
        f(&self.inner.borrow().core)
    }

    /// Registers `f` under `room` (`None`: global); returns the unsubscribe function.
    fn add_listener(&self, room: Option<String>, f: Function) -> Function {
        let id = {
            let mut inner = self.inner.borrow_mut();
            let id = fresh_id(&mut *inner);
            match room {
                Some(room) => inner.room_subs.entry(room).or_default().add(id, f),
                None => inner.global_subs.add(id, f),
            }
            id
        };
        unsubscribe(&self.inner, id)
    }
}

#[wasm_bindgen(js_class = TypingService)]
impl TypingService {
    /// Typing on `client` (`TypingServiceOptions`). The current user is the
    /// one the server authenticates unless `userId` is given.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "RealtimeClient")] client: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "TypingServiceOptions")] options: JsValue,
    ) -> Result<TypingService, JsValue> {
        let what = "new TypingService()";
        let handle = RealtimeClient::from_js(&client, &cat!(what, ": client"))?;
        let options = args::opt_fields(&options, &cat!(what, ": options"), TYPING_OPTIONS)?;
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
                        &cat!(what, ": options.privacySettings"),
                    )?
                };
                (TypingOptions::read(&Record::new(Some(options))), privacy)
            }
        };
        let debug = opts.debug.unwrap_or_else(|| handle.debug());
        opts.debug = Some(debug);
        let mut typing = core::TypingService::new(opts.config()?);
        let fixed_user = opts.user_id.is_some();
        if let Some(id) = opts.user_id.as_deref().or(handle.user_id().as_deref()) {
            typing
                .set_current_user_id(id)
                .map_err(|e| typing_error(what, e))?;
        }
        let now = now_ms();
        typing.set_privacy(privacy, now);
        if handle.is_connected() {
            typing.on_connected(now);
        }
        let inner = Rc::new(RefCell::new(Inner {
            core: typing,
            client: handle.clone(),
            hook: None,
            timer: DeadlineTimer::default(),
            global_subs: Callbacks::default(),
            room_subs: VecMap::new(),
            next_id: 0,
            fixed_user,
            debug,
            disposed: false,
        }));
        let hook_id = add_hook(&inner, &handle, on_client_event);
        inner.borrow_mut().hook = Some(hook_id);
        if debug {
            debug_log("typing: service started");
        }
        pump(&inner);
        Ok(TypingService { inner })
    }

    /// Starts typing now in a channel, or in its thread with `threadId`
    /// (sent unless one went out for the room within `throttleMs`); it stops
    /// by itself `typingTimeoutMs` later. Nothing is sent while disconnected.
    #[wasm_bindgen(js_name = startTyping)]
    pub fn start_typing(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string", js_name = channelId)] channel_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string", js_name = threadId)]
        thread_id: JsValue,
    ) -> Result<(), JsValue> {
        let m = "startTyping()";
        let channel = args::id(&channel_id, &cat!(m, ": channelId"))?;
        let thread = args::opt_id(&thread_id, &cat!(m, ": threadId"))?;
        self.act(m, |c, now| c.start_typing(&channel, thread.as_deref(), now))
    }

    /// `startTyping(channelId, threadId)`.
    #[wasm_bindgen(js_name = startTypingInThread)]
    pub fn start_typing_in_thread(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string", js_name = channelId)] channel_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string", js_name = threadId)] thread_id: JsValue,
    ) -> Result<(), JsValue> {
        let m = "startTypingInThread()";
        let channel = args::id(&channel_id, &cat!(m, ": channelId"))?;
        let thread = args::id(&thread_id, &cat!(m, ": threadId"))?;
        self.act(m, |c, now| c.start_typing_in_thread(&channel, &thread, now))
    }

    /// Starts typing in a DM (`dm:{dmId}`). `recipientId` is accepted for the
    /// seeds' signature; the server routes DM typing by room.
    #[wasm_bindgen(js_name = startTypingInDM)]
    pub fn start_typing_in_dm(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string", js_name = dmId)] dm_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string", js_name = recipientId)]
        recipient_id: JsValue,
    ) -> Result<(), JsValue> {
        let m = "startTypingInDM()";
        let dm = args::id(&dm_id, &cat!(m, ": dmId"))?;
        args::opt_id(&recipient_id, &cat!(m, ": recipientId"))?;
        self.act(m, |c, now| c.start_typing_in_dm(&dm, now))
    }

    /// Stops typing in a channel (or its thread), or everywhere without arguments.
    #[wasm_bindgen(js_name = stopTyping)]
    pub fn stop_typing(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string", js_name = channelId)]
        channel_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string", js_name = threadId)]
        thread_id: JsValue,
    ) -> Result<(), JsValue> {
        let m = "stopTyping()";
        let channel = args::opt_id(&channel_id, &cat!(m, ": channelId"))?;
        let thread = args::opt_id(&thread_id, &cat!(m, ": threadId"))?;
        self.act(m, |c, now| {
            c.stop_typing(channel.as_deref(), thread.as_deref(), now)
        })
    }

    /// Stops typing in a DM.
    #[wasm_bindgen(js_name = stopTypingInDM)]
    pub fn stop_typing_in_dm(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string", js_name = dmId)] dm_id: JsValue,
    ) -> Result<(), JsValue> {
        let m = "stopTypingInDM()";
        let dm = args::id(&dm_id, &cat!(m, ": dmId"))?;
        self.act(m, |c, now| c.stop_typing_in_dm(&dm, now))
    }

    /// The message input of a channel (or thread) changed: typing starts once
    /// it settles (debounced), keystrokes renew it (throttled), blank input
    /// stops at once.
    #[wasm_bindgen(js_name = handleInputChange)]
    pub fn handle_input_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string", js_name = channelId)] channel_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] value: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string", js_name = threadId)]
        thread_id: JsValue,
    ) -> Result<(), JsValue> {
        let m = "handleInputChange()";
        let channel = args::id(&channel_id, &cat!(m, ": channelId"))?;
        let text = args::string(&value, &cat!(m, ": value"))?;
        let thread = args::opt_id(&thread_id, &cat!(m, ": threadId"))?;
        self.act(m, |c, now| {
            c.handle_input_change(&channel, &text, thread.as_deref(), now)
        })
    }

    /// `handleInputChange` for a DM.
    #[wasm_bindgen(js_name = handleDMInputChange)]
    pub fn handle_dm_input_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string", js_name = dmId)] dm_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] value: JsValue,
    ) -> Result<(), JsValue> {
        let m = "handleDMInputChange()";
        let dm = args::id(&dm_id, &cat!(m, ": dmId"))?;
        let text = args::string(&value, &cat!(m, ": value"))?;
        self.act(m, |c, now| c.handle_input_change_in_dm(&dm, &text, now))
    }

    /// Users typing in a channel or thread (without the current user, privacy-filtered),
    /// in the order they started typing.
    #[wasm_bindgen(js_name = getTypingUsers, unchecked_return_type = "TypingUser[]")]
    pub fn get_typing_users(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string", js_name = channelId)] channel_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string", js_name = threadId)]
        thread_id: JsValue,
    ) -> Result<Array, JsValue> {
        let room = room_of(&channel_id, &thread_id, "getTypingUsers()")?;
        Ok(users_js(&self.read(|c| c.get_typing_users_in_room(&room))))
    }

    /// Users typing in a DM.
    #[wasm_bindgen(js_name = getTypingUsersInDM, unchecked_return_type = "TypingUser[]")]
    pub fn get_typing_users_in_dm(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string", js_name = dmId)] dm_id: JsValue,
    ) -> Result<Array, JsValue> {
        let dm = args::id(&dm_id, "getTypingUsersInDM(): dmId")?;
        Ok(users_js(
            &self.read(|c| c.get_typing_users_in_room(&room::dm_room(&dm))),
        ))
    }

    /// "Alice is typing...", "Alice and Bob are typing...", "Alice, Bob, and
    /// Charlie are typing...", "Alice, Bob, and 2 others are typing...", or
    /// `null` when nobody is.
    #[wasm_bindgen(js_name = getTypingText, unchecked_return_type = "string | null")]
    pub fn get_typing_text(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string", js_name = channelId)] channel_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string", js_name = threadId)]
        thread_id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let room = room_of(&channel_id, &thread_id, "getTypingText()")?;
        Ok(self.read(|c| text_or_null(&c.get_typing_users_in_room(&room))))
    }

    /// `getTypingText` for a DM.
    #[wasm_bindgen(js_name = getTypingTextInDM, unchecked_return_type = "string | null")]
    pub fn get_typing_text_in_dm(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string", js_name = dmId)] dm_id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let dm = args::id(&dm_id, "getTypingTextInDM(): dmId")?;
        Ok(self.read(|c| text_or_null(&c.get_typing_users_in_room(&room::dm_room(&dm)))))
    }

    /// `callback(channelId, users, threadId, change)` when the typing users of
    /// one room change (batched), and once now with the current ones.
    /// `roomType` is `'channel'`, `'thread'` (with `threadId`) or `'dm'`.
    /// Returns an unsubscribe function.
    #[wasm_bindgen(js_name = onRoomTypingChange, unchecked_return_type = "() => void")]
    pub fn on_room_typing_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string", js_name = channelId)] channel_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "RoomType", js_name = roomType)] room_type: JsValue,
        #[wasm_bindgen(unchecked_param_type = "TypingChangeCallback")] callback: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string", js_name = threadId)]
        thread_id: JsValue,
    ) -> Result<Function, JsValue> {
        let m = "onRoomTypingChange()";
        let channel = args::id(&channel_id, &cat!(m, ": channelId"))?;
        let room_type = args::one_of(&room_type, &cat!(m, ": roomType"), ROOM_TYPES)?;
        let f = args::callback(&callback, &cat!(m, ": callback"))?;
        let thread = args::opt_id(&thread_id, &cat!(m, ": threadId"))?;
        let room = match (room_type.as_str(), thread.as_deref()) {
            ("channel", None) => room::channel_room(&channel),
            ("dm", None) => room::dm_room(&channel),
            ("thread", Some(t)) => room::key(&channel, Some(t)),
            ("thread", None) => {
                return Err(JsError::new(&cat!(
                    m,
                    ": roomType 'thread' needs a threadId (the fourth argument)"
                ))
                .into())
            }
            (kind, _) => {
                return Err(JsError::new(&cat!(
                    m,
                    ": roomType '",
                    kind,
                    "' takes no threadId; use 'thread'"
                ))
                .into())
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
        let unsubscribe = self.add_listener(Some(room), f.clone());
        if let Err(e) = call(&f, &change_args(&current)) {
            args::report_callback_error("TypingService onRoomTypingChange", &e);
        }
        Ok(unsubscribe)
    }

    /// `callback(channelId, users, threadId, change)` for every room whose
    /// typing users change; a burst within `batchMs` is one call per room.
    /// Returns an unsubscribe function.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TypingChangeCallback")] callback: JsValue,
    ) -> Result<Function, JsValue> {
        let f = args::callback(&callback, "subscribe(): callback")?;
        Ok(self.add_listener(None, f))
    }

    /// The seeds' name of `subscribe`.
    #[wasm_bindgen(js_name = onTypingChange, unchecked_return_type = "() => void")]
    pub fn on_typing_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TypingChangeCallback")] callback: JsValue,
    ) -> Result<Function, JsValue> {
        let f = args::callback(&callback, "onTypingChange(): callback")?;
        Ok(self.add_listener(None, f))
    }

    /// Changes the given privacy keys and returns all of them. Turning
    /// `broadcastTyping` off stops any typing in progress and sends nothing
    /// more; `typingVisibility` filters whose typing is shown.
    #[wasm_bindgen(js_name = updatePrivacySettings, unchecked_return_type = "TypingPrivacySettings")]
    pub fn update_privacy_settings(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Partial<TypingPrivacySettings>")] settings: JsValue,
    ) -> Result<JsValue, JsValue> {
        let m = "updatePrivacySettings()";
        let privacy = privacy_update(
            &settings,
            self.read(core::TypingService::privacy),
            &cat!(m, ": settings"),
        )?;
        self.act(m, |c, now| {
            c.set_privacy(privacy, now);
            Ok(())
        })?;
        Ok(to_js(&privacy))
    }

    /// The current privacy settings.
    #[wasm_bindgen(getter, js_name = privacySettings, unchecked_return_type = "TypingPrivacySettings")]
    pub fn privacy_settings(&self) -> JsValue {
        to_js(&self.read(core::TypingService::privacy))
    }

    /// Replaces the current user's contacts (for `typingVisibility: 'contacts'`).
    #[wasm_bindgen(js_name = setContacts)]
    pub fn set_contacts(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]", js_name = contactIds)]
        contact_ids: JsValue,
    ) -> Result<(), JsValue> {
        let ids = args::ids(&contact_ids, "setContacts(): contactIds")?;
        self.act("setContacts()", |c, now| {
            c.set_contacts(ids, now);
            Ok(())
        })
    }

    /// Gives display names (`{userId: name}`) for typing users: the real
    /// server sends only user ids, which are shown until a name is known.
    /// Names seen in typing events are remembered too.
    #[wasm_bindgen(js_name = setUserNames)]
    pub fn set_user_names(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Record<string, string>")] names: JsValue,
    ) -> Result<(), JsValue> {
        let m = "setUserNames()";
        if !args::is_plain_object(&names) {
            return Err(args::type_error(
                &cat!(m, ": names"),
                "a plain object { userId: name }",
                &names,
            ));
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        for entry in js_sys::Object::entries(names.unchecked_ref()).iter() {
            let pair = Array::from(&entry);
            let id = pair.get(0).as_string().unwrap_or_default();
            let name = args::string(&pair.get(1), &cat!(m, ": names[", quote(&id), "]"))?;
            pairs.push((id, name));
        }
        self.act(m, |c, now| {
            c.set_user_names(pairs, now);
            Ok(())
        })
    }

    /// Forgets everyone's typing (callbacks hear the empty lists) and stops our own.
    #[wasm_bindgen(js_name = clearAllTypingState)]
    pub fn clear_all_typing_state(&self) -> Result<(), JsValue> {
        self.act("clearAllTypingState()", |c, now| {
            c.clear_all_typing_state(now);
            Ok(())
        })
    }

    /// Whether the current user is typing in some room.
    #[wasm_bindgen(getter, js_name = isTyping)]
    pub fn is_typing(&self) -> bool {
        self.read(|c| !c.own_typing_rooms().is_empty())
    }

    /// The current user id, `undefined` until known.
    #[wasm_bindgen(getter, js_name = userId)]
    pub fn user_id(&self) -> Option<String> {
        self.read(|c| c.current_user_id().map(str::to_owned))
    }

    /// Timers set so far (none while nobody types).
    #[wasm_bindgen(getter, js_name = timerWakeups)]
    pub fn timer_wakeups(&self) -> f64 {
        self.inner.borrow().timer.wakeups() as f64
    }

    /// Stops the service: typing in progress is stopped (`typing:stop`), then
    /// the timer and client hook are removed, callbacks dropped and nothing
    /// more is sent. Later calls that change state throw. Idempotent.
    pub fn dispose(&self) {
        if self.inner.borrow().disposed {
            return;
        }
        let _ = self.act("dispose()", |c, now| c.stop_typing(None, None, now));
        let mut inner = self.inner.borrow_mut();
        inner.disposed = true;
        if let Some(id) = inner.hook.take() {
            inner.client.remove_hook(id);
        }
        inner.timer.arm(None, || {});
        inner.global_subs = Callbacks::default();
        inner.room_subs.clear();
        inner.core.drain_effects();
        if inner.debug {
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
