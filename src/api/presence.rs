//! `PresenceService`: the presence core wired to a [`RealtimeClient`], one
//! deadline timer and the idle-detection listeners.
//!
//! Every entry point borrows the state, feeds the core with `now`, releases
//! the borrow and only then carries out the queued effects (emits on the
//! client, calls the app's callbacks), so callbacks may call back in.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use crate::core::decimal::cat;
use crate::core::json::quote;
use crate::core::json::Value;
use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;

use super::args::{self, opt, Field, Kind, Record, Res};
use super::client::{ClientEvent, ClientHandle, RealtimeClient};
use super::driver::{add_hook, fresh_id, pump, unsubscribe, with_state, Driven};
use super::js::{call, debug_log, to_js, Callbacks, Unsubscribe};
use super::types::PRESENCE_STATUSES;
use crate::browser::activity::{self, Activity, ActivityMonitor, RelayKind};
use crate::browser::clock::now_ms;
use crate::browser::timer::DeadlineTimer;
use crate::core::connection::event_user_id;
use crate::core::presence::{
    self as core, CustomStatus, PresenceConfig, PresenceEffect, PresenceError, PresenceStatus,
    PrivacySettings, PrivacySettingsUpdate, UserPresence,
};
use crate::core::Millis;

#[wasm_bindgen(typescript_custom_section)]
const TS_PRESENCE: &'static str = r#"
/** Who may see a user's presence (or typing): anyone, contacts only, or no one. */
export type PresenceVisibility = 'everyone' | 'contacts' | 'nobody';

/** A custom status such as `📅 In a meeting`; it clears itself at `expiresAt`. The real server sends the text and the emoji (`customEmoji`), no expiry. */
export interface CustomStatus {
  text?: string;
  emoji?: string;
  /** When it clears itself. */
  expiresAt?: Date;
}

/** What `setCustomStatus` and `RealtimeClient.updatePresence` take: at least a text or an emoji; `expiresAt` in the future. It goes to the server as an ISO-8601 string. */
export interface CustomStatusInput {
  text?: string;
  emoji?: string;
  /** ms since the epoch, an ISO-8601 string, or a Date. */
  expiresAt?: number | string | Date;
}

/** A user's presence as the current user may see it (privacy rules applied). */
export interface UserPresence {
  userId: string;
  /** `offline` when the user hides their online status from you. */
  status: PresenceStatus;
  /** Omitted when unset or hidden from you. */
  customStatus?: CustomStatus;
  /** Omitted when unknown or hidden from you. */
  lastSeenAt?: Date;
}

/** A user's presence privacy settings. Defaults: everyone, true, true, true, false. */
export interface PresenceSettings {
  visibility: PresenceVisibility;
  showOnlineStatus: boolean;
  showLastSeen: boolean;
  allowReadReceipts: boolean;
  invisibleMode: boolean;
}

/** What `viewerId` may see of `targetId`'s presence (`canViewPresence`). */
export interface PresenceVisibilityResult {
  canViewPresence: boolean;
  canViewOnlineStatus: boolean;
  canViewLastSeen: boolean;
  isContact: boolean;
  isInvisible: boolean;
}

/** How activity reaches the app's other tabs. */
export type ActivityRelay = 'broadcast-channel' | 'storage' | 'none';

/** Options of `new PresenceService(client, options)`. Unknown keys are an error. */
export interface PresenceServiceOptions {
  /** Auto-away after this long without activity; 0 disables. Default 300000 (5 min). */
  idleTimeoutMs?: number;
  /** Auto-away this long after the tab was hidden. Default 60000. */
  hiddenAwayDelayMs?: number;
  /** Re-send the status this often while connected; 0 disables. Default 30000. */
  heartbeatIntervalMs?: number;
  /** Activity closer than this to the last handled one is only recorded (and not relayed to other tabs). Default 1000. */
  activityThrottleMs?: number;
  /** Log with a `[chat-realtime]` prefix, also dropped malformed events. Default: the client's `debug`. */
  debug?: boolean;
  /** The current user; default: the client's `userId`. */
  userId?: string;
  /** Listen to mouse, keyboard, wheel, scroll, touch and pointer events in this page. Default true. Other tabs' activity and visibility are heard either way. */
  detectActivity?: boolean;
}

/** `onPresenceChange` callback. */
export type PresenceChangeCallback = (presence: UserPresence) => void;
/** `onStatusChange` callback: the current user's status; `auto` while idle or hidden-tab away. */
export type StatusChangeCallback = (status: PresenceStatus, auto: boolean) => void;
/** `onCustomStatusChange` callback: the current user's custom status, `null` when cleared or expired. */
export type CustomStatusChangeCallback = (customStatus: CustomStatus | null) => void;
"#;

/// `new PresenceService(client, options)` options.
#[derive(Debug, Default)]
struct PresenceOptions {
    idle_timeout_ms: Option<f64>,
    hidden_away_delay_ms: Option<f64>,
    heartbeat_interval_ms: Option<f64>,
    activity_throttle_ms: Option<f64>,
    debug: Option<bool>,
    user_id: Option<String>,
    detect_activity: Option<bool>,
}

const PRESENCE_OPTIONS: &[Field] = &[
    opt("idleTimeoutMs", Kind::Ms),
    opt("hiddenAwayDelayMs", Kind::Ms),
    opt("heartbeatIntervalMs", Kind::Ms),
    opt("activityThrottleMs", Kind::Ms),
    opt("debug", Kind::Bool),
    opt("userId", Kind::Id),
    opt("detectActivity", Kind::Bool),
];

/// The values of `PresenceVisibility`.
const VISIBILITIES: &[&str] = &["everyone", "contacts", "nobody"];

const SETTINGS: &[Field] = &[
    opt("visibility", Kind::OneOf(VISIBILITIES)),
    opt("showOnlineStatus", Kind::Bool),
    opt("showLastSeen", Kind::Bool),
    opt("allowReadReceipts", Kind::Bool),
    opt("invisibleMode", Kind::Bool),
];

const CUSTOM_STATUS: &[Field] = &[
    opt("text", Kind::Str),
    opt("emoji", Kind::Str),
    opt("expiresAt", Kind::Timestamp),
];

impl PresenceOptions {
    fn read(r: &Record) -> Self {
        PresenceOptions {
            idle_timeout_ms: r.num("idleTimeoutMs"),
            hidden_away_delay_ms: r.num("hiddenAwayDelayMs"),
            heartbeat_interval_ms: r.num("heartbeatIntervalMs"),
            activity_throttle_ms: r.num("activityThrottleMs"),
            debug: r.flag("debug"),
            user_id: r.str("userId"),
            detect_activity: r.flag("detectActivity"),
        }
    }

    fn config(&self) -> Res<PresenceConfig> {
        let d = PresenceConfig::default();
        let ms = |v: Option<f64>, name: &str, default: Millis| {
            args::duration(v, &cat!("PresenceService: ", name)).map(|v| v.unwrap_or(default))
        };
        Ok(PresenceConfig {
            idle_timeout_ms: ms(self.idle_timeout_ms, "idleTimeoutMs", d.idle_timeout_ms)?,
            hidden_away_delay_ms: ms(
                self.hidden_away_delay_ms,
                "hiddenAwayDelayMs",
                d.hidden_away_delay_ms,
            )?,
            heartbeat_interval_ms: ms(
                self.heartbeat_interval_ms,
                "heartbeatIntervalMs",
                d.heartbeat_interval_ms,
            )?,
            activity_throttle_ms: ms(
                self.activity_throttle_ms,
                "activityThrottleMs",
                d.activity_throttle_ms,
            )?,
            debug: self.debug.unwrap_or(false),
        })
    }
}

/// The error of a refused call, in the words of the JavaScript API.
fn presence_error(method: &str, e: PresenceError) -> JsError {
    let message = match e {
        PresenceError::EmptyCustomStatus => cat!(
            method,
            ": a custom status needs a text or an emoji; call clearCustomStatus() to remove it"
        ),
        PresenceError::CustomStatusExpired { expires_at, now } => cat!(
            method,
            ": expiresAt ",
            args::iso(expires_at),
            " is not in the future (now is ",
            args::iso(now),
            "): give a later time, or none for a status that does not expire"
        ),
        PresenceError::OwnSettings(id) => cat!(
            method,
            ": ",
            quote(&id),
            " is the current user: change your own settings with updatePresenceSettings()"
        ),
        PresenceError::TooManySubscriptions {
            current,
            requested,
            limit,
        } => cat!(
            method,
            ": cannot subscribe to ",
            requested,
            " more users: ",
            current,
            " already subscribed and the limit is ",
            limit,
            "; call unsubscribeFromUsers() for some first"
        ),
        other => cat!(method, ": ", other),
    };
    JsError::new(&message)
}

struct Inner {
    core: core::PresenceService,
    client: ClientHandle,
    hook: Option<u32>,
    timer: DeadlineTimer,
    activity: Option<ActivityMonitor>,
    presence_subs: Callbacks,
    status_subs: Callbacks,
    custom_subs: Callbacks,
    next_id: u32,
    fixed_user: bool,
    debug: bool,
    disposed: bool,
}

impl Unsubscribe for Inner {
    fn unsubscribe(&mut self, id: u32) {
        self.presence_subs.remove(id);
        self.status_subs.remove(id);
        self.custom_subs.remove(id);
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(id) = self.hook.take() {
            self.client.remove_hook(id);
        }
    }
}

/// A call to the app or the client, made after the borrow is released.
enum Out {
    Emit(&'static str, String),
    Subscribe(String),
    Presence(Vec<Function>, UserPresence),
    Status(Vec<Function>, PresenceStatus, bool),
    Custom(Vec<Function>, Option<CustomStatus>),
    Log(String),
}

/// A custom status as JavaScript, built key by key (its `expiresAt` is a
/// `Date`, which `JSON.parse` cannot make; measured: this is smaller than
/// parsing its JSON and patching the date in).
fn custom_status_js(cs: &CustomStatus) -> JsValue {
    let o = js_sys::Object::new();
    if let Some(t) = &cs.text {
        args::set(&o, "text", &JsValue::from_str(t));
    }
    if let Some(e) = &cs.emoji {
        args::set(&o, "emoji", &JsValue::from_str(e));
    }
    if let Some(x) = cs.expires_at {
        args::set(&o, "expiresAt", &args::date(x));
    }
    o.into()
}

/// A presence as JavaScript, built key by key (dates, as above).
fn presence_js(p: &UserPresence) -> JsValue {
    let o = js_sys::Object::new();
    args::set(&o, "userId", &JsValue::from_str(&p.user_id));
    args::set(&o, "status", &JsValue::from_str(p.status.as_str()));
    if let Some(cs) = &p.custom_status {
        args::set(&o, "customStatus", &custom_status_js(cs));
    }
    if let Some(t) = p.last_seen_at {
        args::set(&o, "lastSeenAt", &args::date(t));
    }
    o.into()
}

/// The first argument of an event (`data` is `["name", arg, ...]`).
fn first_arg(data: &str) -> Option<Value> {
    let mut value = crate::core::json::from_str(data).ok()?;
    value.get_mut(1).map(Value::take)
}

impl Driven for Inner {
    type Core = core::PresenceService;
    type Out = Out;
    const NAME: &'static str = "PresenceService";
    const LAZY_TIMER: bool = true;

    fn core(&mut self) -> Option<&mut core::PresenceService> {
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
        Some(
            effects
                .into_iter()
                .map(|e| match e {
                    PresenceEffect::Send { event, payload } if event == core::EVENT_SUBSCRIBE => {
                        Out::Subscribe(payload.to_text())
                    }
                    PresenceEffect::Send { event, payload } => Out::Emit(event, payload.to_text()),
                    PresenceEffect::PresenceChanged(p) => {
                        Out::Presence(self.presence_subs.snapshot(), p)
                    }
                    PresenceEffect::OwnStatusChanged { status, auto } => {
                        Out::Status(self.status_subs.snapshot(), status, auto)
                    }
                    PresenceEffect::OwnCustomStatusChanged(cs) => {
                        Out::Custom(self.custom_subs.snapshot(), cs)
                    }
                    PresenceEffect::Log(m) => Out::Log(m),
                })
                .collect(),
        )
    }

    fn dispatch(rc: &Rc<RefCell<Self>>, batch: Vec<Out>) {
        let Some(client) = rc.try_borrow().ok().map(|i| i.client.clone()) else {
            return;
        };
        for out in batch {
            match out {
                Out::Emit(event, payload) => {
                    if let Err(e) = client.emit_json(event, Some(&payload)) {
                        log_js_error(rc, event, e);
                    }
                }
                Out::Subscribe(payload) => {
                    let weak = Rc::downgrade(rc);
                    let r = client.emit_with_ack_cb(
                        core::EVENT_SUBSCRIBE,
                        Some(&payload),
                        None,
                        Box::new(move |answer| on_subscribe_answer(&weak, answer)),
                    );
                    if let Err(e) = r {
                        log_js_error(rc, core::EVENT_SUBSCRIBE, e);
                    }
                }
                Out::Presence(fns, p) => {
                    let arg = Array::of1(&presence_js(&p));
                    call_each(&fns, &arg, "PresenceService onPresenceChange");
                }
                Out::Status(fns, status, auto) => {
                    let arg = Array::of2(&status.as_str().into(), &auto.into());
                    call_each(&fns, &arg, "PresenceService onStatusChange");
                }
                Out::Custom(fns, cs) => {
                    let arg = Array::of1(&cs.as_ref().map_or(JsValue::NULL, custom_status_js));
                    call_each(&fns, &arg, "PresenceService onCustomStatusChange");
                }
                Out::Log(m) => debug_log(&cat!("presence: ", m)),
            }
        }
    }
}

fn call_each(fns: &[Function], args: &Array, what: &str) {
    for f in fns {
        if let Err(e) = call(f, args) {
            args::report_callback_error(what, &e);
        }
    }
}

fn log_js_error(rc: &Rc<RefCell<Inner>>, event: &str, e: JsError) {
    if rc.try_borrow().is_ok_and(|i| i.debug) {
        let v = JsValue::from(e);
        let m = v
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_default();
        debug_log(&cat!("presence: could not send ", event, ": ", m));
    }
}

fn log_dropped(inner: &Inner, e: &PresenceError) {
    if inner.debug {
        debug_log(&cat!("presence: ", e));
    }
}

fn on_client_event(weak: &Weak<RefCell<Inner>>, event: &ClientEvent) {
    with_state(weak, |inner: &mut Inner, now| match event {
        ClientEvent::Connected { reconnected } => {
            if inner.debug {
                debug_log(&cat!(
                    "presence: connected (reconnected: ",
                    reconnected,
                    ")"
                ));
            }
            // The client may know the user by now (from the token or an
            // `authenticated` event; the real server sends no such event).
            if !inner.fixed_user {
                if let Some(id) = inner.client.user_id() {
                    let _ = inner.core.set_current_user_id(&id);
                }
            }
            inner.core.on_connected(now);
        }
        ClientEvent::Online(online) if inner.debug => {
            debug_log(&cat!("presence: browser online: ", online));
        }
        ClientEvent::Disconnected => inner.core.on_disconnected(now),
        ClientEvent::Event { name, data } if *name == "authenticated" && !inner.fixed_user => {
            if let Some(id) = event_user_id(data) {
                let _ = inner.core.set_current_user_id(&id);
            }
        }
        ClientEvent::Event { name, data } if *name == core::EVENT_CHANGED => {
            let payload = first_arg(data).unwrap_or(Value::Null);
            if let Err(e) = inner.core.handle_presence_changed(&payload, now) {
                log_dropped(inner, &e);
            }
        }
        _ => {}
    });
}

/// The answer to `presence:subscribe` (an extension; the real server never
/// answers): the core takes it, a missing one is only logged, not retried.
fn on_subscribe_answer(weak: &Weak<RefCell<Inner>>, answer: Result<String, String>) {
    with_state(weak, |inner: &mut Inner, now| {
        let answer = answer.map(|text| {
            crate::core::json::from_str(&text)
                .ok()
                .and_then(|mut v| v.get_mut(0).map(Value::take))
                .unwrap_or(Value::Null)
        });
        if let Err(e) = inner.core.handle_subscribe_answer(&answer, now) {
            log_dropped(inner, &e);
        }
    });
}

fn on_activity(weak: &Weak<RefCell<Inner>>, activity: Activity) {
    with_state(weak, |inner: &mut Inner, now| match activity {
        Activity::Local | Activity::Remote => inner.core.on_activity(now),
        Activity::Visibility(hidden) => inner.core.on_visibility_change(hidden, now),
    });
}

/// Presence of the current user and of the users they follow: status
/// (online, away, busy, offline), custom status with expiry, invisible mode,
/// privacy settings and contacts, idle detection (also across tabs) and a
/// heartbeat while connected.
#[wasm_bindgen(js_name = PresenceService)]
pub struct PresenceService {
    inner: Rc<RefCell<Inner>>,
}

impl PresenceService {
    /// Runs `f` on the live service with `now`, then pumps.
    fn act<T>(
        &self,
        method: &str,
        f: impl FnOnce(&mut core::PresenceService, Millis) -> Result<T, PresenceError>,
    ) -> Res<T> {
        let r = {
            let mut inner = self.inner.borrow_mut();
            if inner.disposed {
                return Err(JsError::new(&cat!(
                    method,
                    ": this PresenceService was disposed; create a new one"
                ))
                .into());
            }
            f(&mut inner.core, now_ms()).map_err(|e| presence_error(method, e).into())
        };
        pump(&self.inner);
        r
    }

    fn read<T>(&self, f: impl FnOnce(&core::PresenceService) -> T) -> T {
        f(&self.inner.borrow().core)
    }

    fn listen(
        &self,
        pick: fn(&mut Inner) -> &mut Callbacks,
        callback: &JsValue,
        what: &str,
    ) -> Res<Function> {
        let f = args::callback(callback, &cat!(what, "(): callback"))?;
        let id = {
            let mut inner = self.inner.borrow_mut();
            let id = fresh_id(&mut *inner);
            pick(&mut inner).add(id, f);
            id
        };
        Ok(unsubscribe(&self.inner, id))
    }
}

/// A `Partial<PresenceSettings>`; `what` names the parameter.
fn settings_update(value: &JsValue, what: &str) -> Res<PrivacySettingsUpdate> {
    let r = Record::new(Some(args::fields(value, what, SETTINGS)?));
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
    let mut obj = crate::core::json::Map::new();
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
    core::parse_custom_status_input(&Value::Object(obj)).map_err(|e| presence_error(what, e).into())
}

#[wasm_bindgen(js_class = PresenceService)]
impl PresenceService {
    /// Presence on `client` (`PresenceServiceOptions`). The current user is
    /// the one the server authenticates unless `userId` is given. Status is
    /// sent on every (re)connection and every `heartbeatIntervalMs`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "RealtimeClient")] client: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "PresenceServiceOptions")] options: JsValue,
    ) -> Result<PresenceService, JsValue> {
        let what = "new PresenceService()";
        let handle = RealtimeClient::from_js(&client, &cat!(what, ": client"))?;
        let options = args::opt_fields(&options, &cat!(what, ": options"), PRESENCE_OPTIONS)?;
        let mut opts = PresenceOptions::read(&Record::new(options));
        let debug = opts.debug.unwrap_or_else(|| handle.debug());
        opts.debug = Some(debug);
        let mut presence = core::PresenceService::new(opts.config()?);
        let fixed_user = opts.user_id.is_some();
        if let Some(id) = opts.user_id.as_deref().or(handle.user_id().as_deref()) {
            presence
                .set_current_user_id(id)
                .map_err(|e| presence_error("new PresenceService()", e))?;
        }
        let inner = Rc::new(RefCell::new(Inner {
            core: presence,
            client: handle.clone(),
            hook: None,
            timer: DeadlineTimer::default(),
            activity: None,
            presence_subs: Callbacks::default(),
            status_subs: Callbacks::default(),
            custom_subs: Callbacks::default(),
            next_id: 0,
            fixed_user,
            debug,
            disposed: false,
        }));
        let hook_id = add_hook(&inner, &handle, on_client_event);
        let weak = Rc::downgrade(&inner);
        let monitor = ActivityMonitor::new(
            {
                let i = inner.borrow();
                i.core.config().activity_throttle_ms
            },
            opts.detect_activity.unwrap_or(true),
            Rc::new(move |a| on_activity(&weak, a)),
        );
        {
            let mut i = inner.borrow_mut();
            i.hook = Some(hook_id);
            i.activity = monitor;
            let now = now_ms();
            if activity::page_hidden() == Some(true) {
                i.core.on_visibility_change(true, now);
            }
            if handle.is_connected() {
                i.core.on_connected(now);
            }
            if debug {
                debug_log("presence: service started");
            }
        }
        pump(&inner);
        Ok(PresenceService { inner })
    }

    /// Chooses a status. A chosen `busy`, `away` or `offline` is never
    /// overridden by idle detection; `online` ends auto-away.
    #[wasm_bindgen(js_name = setStatus)]
    pub fn set_status(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PresenceStatus")] status: JsValue,
    ) -> Result<(), JsValue> {
        let s = args::one_of(&status, "setStatus(): status", PRESENCE_STATUSES)?;
        self.act("setStatus()", |c, now| c.set_status_str(&s, now))
    }

    /// The current user's status: `away` during auto-away, else the chosen one.
    #[wasm_bindgen(js_name = getStatus, unchecked_return_type = "PresenceStatus")]
    pub fn get_status(&self) -> String {
        self.read(|c| c.own_status().as_str().into())
    }

    /// The current user's status (as `getStatus()`).
    #[wasm_bindgen(getter, unchecked_return_type = "PresenceStatus")]
    pub fn status(&self) -> String {
        self.get_status()
    }

    /// Whether idle or hidden-tab auto-away is in effect.
    #[wasm_bindgen(getter, js_name = isAutoAway)]
    pub fn is_auto_away(&self) -> bool {
        self.read(core::PresenceService::is_auto_away)
    }

    /// The current user id, `undefined` until known.
    #[wasm_bindgen(getter, js_name = userId)]
    pub fn user_id(&self) -> Option<String> {
        self.read(|c| c.current_user_id().map(str::to_owned))
    }

    /// Sets the custom status (`{text?, emoji?, expiresAt?}`); it clears
    /// itself at `expiresAt`. Throws for an empty one or an expiry not in the future.
    #[wasm_bindgen(js_name = setCustomStatus)]
    pub fn set_custom_status(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CustomStatusInput", js_name = customStatus)]
        custom_status: JsValue,
    ) -> Result<(), JsValue> {
        let cs = custom_status_input(&custom_status, "setCustomStatus(): customStatus")?;
        self.act("setCustomStatus()", |c, now| c.set_custom_status(cs, now))
    }

    /// Removes the custom status.
    #[wasm_bindgen(js_name = clearCustomStatus)]
    pub fn clear_custom_status(&self) -> Result<(), JsValue> {
        self.act("clearCustomStatus()", |c, now| {
            c.clear_custom_status(now);
            Ok(())
        })
    }

    /// The current user's custom status.
    #[wasm_bindgen(js_name = getCustomStatus, unchecked_return_type = "CustomStatus | undefined")]
    pub fn get_custom_status(&self) -> JsValue {
        self.read(|c| {
            c.custom_status()
                .map_or(JsValue::UNDEFINED, custom_status_js)
        })
    }

    /// Appear offline to everyone (`true`) or show the real status again.
    #[wasm_bindgen(js_name = setInvisibleMode)]
    pub fn set_invisible_mode(
        &self,
        #[wasm_bindgen(unchecked_param_type = "boolean")] invisible: JsValue,
    ) -> Result<(), JsValue> {
        let on = args::boolean(&invisible, "setInvisibleMode(): invisible")?;
        self.act("setInvisibleMode()", |c, now| {
            c.set_invisible_mode(on, now);
            Ok(())
        })
    }

    /// Whether invisible mode is on.
    #[wasm_bindgen(getter, js_name = isInvisible)]
    pub fn is_invisible(&self) -> bool {
        self.read(core::PresenceService::is_invisible)
    }

    /// Updates the current user's privacy settings with the given keys and
    /// resolves with all of them: `updatePresenceSettings(settings)` or, as in
    /// the seeds, `updatePresenceSettings(userId, settings)` where `userId`
    /// must be the current user. Turning `invisibleMode` on acts like
    /// `setInvisibleMode(true)`. The app persists the result.
    #[wasm_bindgen(
        js_name = updatePresenceSettings,
        unchecked_return_type = "Promise<PresenceSettings>"
    )]
    pub fn update_presence_settings(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Partial<PresenceSettings>", js_name = userIdOrSettings)]
        user_id_or_settings: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Partial<PresenceSettings>")]
        settings: JsValue,
    ) -> Result<Promise, JsValue> {
        let what = "updatePresenceSettings()";
        let (user_id, update) = if user_id_or_settings.is_string() {
            let id = args::id(&user_id_or_settings, &cat!(what, ": userIdOrSettings"))?;
            (
                Some(id),
                settings_update(&settings, &cat!(what, ": settings"))?,
            )
        } else if args::absent(&settings) {
            let update = settings_update(&user_id_or_settings, &cat!(what, ": userIdOrSettings"))?;
            (None, update)
        } else {
            return Err(args::type_error(
                &cat!(what, ": userIdOrSettings"),
                "the current user's id when settings follow (updatePresenceSettings(userId, settings))",
                &user_id_or_settings,
            ));
        };
        if let Some(id) = user_id {
            let me = self.user_id();
            if me.as_deref().is_some_and(|me| me != id) {
                return Err(JsError::new(&cat!(
                    what,
                    ": ",
                    quote(&id),
                    " is not the current user (",
                    quote(&me.unwrap_or_default()),
                    "); give other users' settings with setUserSettings()"
                ))
                .into());
            }
        }
        let new = self.act(what, |c, now| Ok(c.update_settings(update, now)))?;
        Ok(Promise::resolve(&to_js(&new)))
    }

    /// The current user's privacy settings.
    #[wasm_bindgen(js_name = getPresenceSettings, unchecked_return_type = "PresenceSettings")]
    pub fn get_presence_settings(&self) -> JsValue {
        to_js(&self.read(|c| *c.settings()))
    }

    /// Replaces the current user's contacts (for `visibility: 'contacts'`).
    #[wasm_bindgen(js_name = setContacts)]
    pub fn set_contacts(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]", js_name = contactIds)]
        contact_ids: JsValue,
    ) -> Result<(), JsValue> {
        let ids = args::ids(&contact_ids, "setContacts(): contactIds")?;
        self.act("setContacts()", |c, _| {
            c.set_contacts(ids);
            Ok(())
        })
    }

    /// Gives another user's privacy settings (missing keys take the defaults);
    /// what the current user sees of them follows.
    #[wasm_bindgen(js_name = setUserSettings)]
    pub fn set_user_settings(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string", js_name = userId)] user_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Partial<PresenceSettings>")] settings: JsValue,
    ) -> Result<(), JsValue> {
        let what = "setUserSettings()";
        let id = args::id(&user_id, &cat!(what, ": userId"))?;
        let settings = settings_update(&settings, &cat!(what, ": settings"))?
            .apply_to(PrivacySettings::default());
        self.act(what, |c, _| c.set_user_settings(&id, settings))
    }

    /// What `viewerId` may see of `targetId`'s presence.
    #[wasm_bindgen(js_name = canViewPresence, unchecked_return_type = "PresenceVisibilityResult")]
    pub fn can_view_presence(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string", js_name = viewerId)] viewer_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string", js_name = targetId)] target_id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let viewer = args::id(&viewer_id, "canViewPresence(): viewerId")?;
        let target = args::id(&target_id, "canViewPresence(): targetId")?;
        Ok(to_js(&self.read(|c| c.can_view_presence(&viewer, &target))))
    }

    /// A user's presence as the current user may see it, `undefined` when
    /// unknown (subscribe to learn it).
    #[wasm_bindgen(js_name = getPresence, unchecked_return_type = "UserPresence | undefined")]
    pub fn get_presence(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string", js_name = userId)] user_id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let id = args::id(&user_id, "getPresence(): userId")?;
        Ok(self.read(|c| {
            c.get_presence(&id)
                .map_or(JsValue::UNDEFINED, |p| presence_js(&p))
        }))
    }

    /// Follows users' presence (at most 100 in all; more is an error and
    /// nothing is subscribed). Their current presence arrives with the
    /// server's answer. Returns how many were new.
    #[wasm_bindgen(js_name = subscribeToUsers)]
    pub fn subscribe_to_users(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]", js_name = userIds)] user_ids: JsValue,
    ) -> Result<u32, JsValue> {
        let ids = args::ids(&user_ids, "subscribeToUsers(): userIds")?;
        self.act("subscribeToUsers()", |c, _| {
            c.subscribe_to_users(&ids).map(|n| n as u32)
        })
    }

    /// Stops following users (not re-subscribed after a reconnect). Returns
    /// how many were followed.
    #[wasm_bindgen(js_name = unsubscribeFromUsers)]
    pub fn unsubscribe_from_users(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]", js_name = userIds)] user_ids: JsValue,
    ) -> Result<u32, JsValue> {
        let ids = args::ids(&user_ids, "unsubscribeFromUsers(): userIds")?;
        self.act("unsubscribeFromUsers()", |c, _| {
            Ok(c.unsubscribe_from_users(&ids) as u32)
        })
    }

    /// The followed user ids, sorted.
    #[wasm_bindgen(js_name = getSubscriptions, unchecked_return_type = "string[]")]
    pub fn get_subscriptions(&self) -> JsValue {
        to_js(&self.read(core::PresenceService::subscriptions))
    }

    /// `callback(presence)` when a followed user's visible presence changes.
    /// Returns an unsubscribe function.
    #[wasm_bindgen(js_name = onPresenceChange, unchecked_return_type = "() => void")]
    pub fn on_presence_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PresenceChangeCallback")] callback: JsValue,
    ) -> Result<Function, JsValue> {
        self.listen(|i| &mut i.presence_subs, &callback, "onPresenceChange")
    }

    /// `callback(status, auto)` when the current user's status changes.
    #[wasm_bindgen(js_name = onStatusChange, unchecked_return_type = "() => void")]
    pub fn on_status_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "StatusChangeCallback")] callback: JsValue,
    ) -> Result<Function, JsValue> {
        self.listen(|i| &mut i.status_subs, &callback, "onStatusChange")
    }

    /// `callback(customStatus | null)` when the current user's custom status
    /// is set, cleared or expires.
    #[wasm_bindgen(js_name = onCustomStatusChange, unchecked_return_type = "() => void")]
    pub fn on_custom_status_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CustomStatusChangeCallback")] callback: JsValue,
    ) -> Result<Function, JsValue> {
        self.listen(|i| &mut i.custom_subs, &callback, "onCustomStatusChange")
    }

    /// How activity reaches the app's other tabs.
    #[wasm_bindgen(getter, js_name = activityRelay, unchecked_return_type = "ActivityRelay")]
    pub fn activity_relay(&self) -> String {
        let inner = self.inner.borrow();
        match inner.activity.as_ref().map(ActivityMonitor::relay_kind) {
            Some(RelayKind::BroadcastChannel) => "broadcast-channel",
            Some(RelayKind::Storage) => "storage",
            Some(RelayKind::None) | None => "none",
        }
        .into()
    }

    /// Timers set so far (for idle-cost measurements).
    #[wasm_bindgen(getter, js_name = timerWakeups)]
    pub fn timer_wakeups(&self) -> f64 {
        self.inner.borrow().timer.wakeups() as f64
    }

    /// Stops the service: listeners, timer and client hook are removed and
    /// callbacks dropped; nothing more is sent. Later calls that change state
    /// throw. Idempotent.
    pub fn dispose(&self) {
        let mut inner = self.inner.borrow_mut();
        if inner.disposed {
            return;
        }
        inner.disposed = true;
        if let Some(id) = inner.hook.take() {
            inner.client.remove_hook(id);
        }
        inner.activity = None;
        inner.timer.arm(None, || {});
        inner.presence_subs = Callbacks::default();
        inner.status_subs = Callbacks::default();
        inner.custom_subs = Callbacks::default();
        inner.core.drain_effects();
        if inner.debug {
            debug_log("presence: service disposed");
        }
    }
}
