//! Idle detection: user activity in this page and activity relayed between
//! tabs of the same origin (visibility is the driver's: one listener for
//! the connection and every presence service).
//!
//! Activity events are heard with passive capture-phase listeners on `window`
//! (so events aimed at any element count, also ones that do not bubble, such
//! as an element's `scroll`). Each one is forwarded; the presence core
//! throttles. Local activity is relayed to other tabs at most once per
//! throttle window over `BroadcastChannel("chat-realtime:activity")`, or, where
//! that is missing, by writing a localStorage key whose `storage` event the
//! other tabs hear. Everything is owned and removed on drop.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{BroadcastChannel, Document, Storage, Window};

use super::clock::now_ms;
use super::listener::EventListener;
use crate::core::decimal::cat;
use crate::core::Millis;

/// The BroadcastChannel shared by every tab of the app.
pub const CHANNEL_NAME: &str = "chat-realtime:activity";
/// The localStorage key written when BroadcastChannel is missing.
pub const STORAGE_KEY: &str = "chat-realtime:activity";
/// DOM events that count as user activity.
pub const ACTIVITY_EVENTS: [&str; 8] = [
    "mousemove",
    "mousedown",
    "keydown",
    "wheel",
    "scroll",
    "touchstart",
    "pointerdown",
    "pointermove",
];

/// What the monitor reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// The user did something in this page.
    Local,
    /// Another tab reported activity.
    Remote,
}

/// How activity reaches other tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayKind {
    /// `BroadcastChannel`.
    BroadcastChannel,
    /// The `storage` event of a localStorage key.
    Storage,
    /// Neither is available: this tab only.
    None,
}

/// Sends local activity to other tabs, at most once per throttle window.
struct Relay {
    channel: Option<BroadcastChannel>,
    storage: Option<Storage>,
    throttle_ms: Millis,
    last_post: Cell<Option<Millis>>,
}

impl Relay {
    fn post(&self, now: Millis) {
        if let Some(last) = self.last_post.get() {
            if now >= last && now < last.saturating_add(self.throttle_ms) {
                return;
            }
        }
        self.last_post.set(Some(now));
        if let Some(channel) = &self.channel {
            let _ = channel.post_message(&JsValue::from_f64(now as f64));
        } else if let Some(storage) = &self.storage {
            // A changing value, so the other tabs get a `storage` event.
            // Math.random() scaled to an integer: no float printing here.
            let value = cat!(now, ":", (js_sys::Math::random() * 1e15) as u64);
            let _ = storage.set_item(STORAGE_KEY, &value);
        }
    }
}

/// The listeners of one presence service; removed (and the channel closed) on drop.
pub struct ActivityMonitor {
    listeners: Vec<EventListener>,
    relay: Rc<Relay>,
}

fn open_channel(window: &Window) -> Option<BroadcastChannel> {
    let ctor = js_sys::Reflect::get(window, &JsValue::from_str("BroadcastChannel")).ok()?;
    if !ctor.is_function() {
        return None;
    }
    BroadcastChannel::new(CHANNEL_NAME).ok()
}

#[wasm_bindgen(inline_js = "export function hidden(d) { return d.visibilityState === 'hidden'; }")]
extern "C" {
    /// Whether `document` is hidden (a string compare here, not web-sys's enum).
    #[wasm_bindgen(js_name = hidden)]
    pub fn is_hidden(document: &Document) -> bool;
}

/// Whether the page is hidden now (`None` outside a browser).
pub fn page_hidden() -> Option<bool> {
    crate::browser::window()?.document().map(|d| is_hidden(&d))
}

impl ActivityMonitor {
    /// Starts listening; `None` without a `window` (server-side rendering).
    /// With `local_events` false only other tabs are heard.
    /// `handler` is called synchronously from the DOM event.
    pub fn new(
        throttle_ms: Millis,
        local_events: bool,
        handler: Rc<dyn Fn(Activity)>,
    ) -> Option<Self> {
        let window = crate::browser::window()?;
        let channel = open_channel(&window);
        let storage = match channel {
            Some(_) => None,
            None => window.local_storage().ok().flatten(),
        };
        let relay = Rc::new(Relay {
            channel,
            storage,
            throttle_ms,
            last_post: Cell::new(None),
        });
        let mut listeners = Vec::new();
        if local_events {
            for kind in ACTIVITY_EVENTS {
                let h = handler.clone();
                let r = relay.clone();
                listeners.extend(EventListener::with_capture(
                    &window,
                    kind,
                    true,
                    move |_| {
                        r.post(now_ms());
                        h(Activity::Local);
                    },
                ));
            }
        }
        if let Some(channel) = &relay.channel {
            let h = handler;
            listeners.extend(EventListener::new(channel, "message", move |_| {
                h(Activity::Remote)
            }));
        } else if relay.storage.is_some() {
            let h = handler;
            listeners.extend(EventListener::new(&window, "storage", move |e| {
                let key = super::storage::storage_key(&e, false).as_string();
                if key.as_deref() == Some(STORAGE_KEY) {
                    h(Activity::Remote);
                }
            }));
        }
        Some(Self { listeners, relay })
    }

    /// How activity reaches other tabs.
    pub fn relay_kind(&self) -> RelayKind {
        if self.relay.channel.is_some() {
            RelayKind::BroadcastChannel
        } else if self.relay.storage.is_some() {
            RelayKind::Storage
        } else {
            RelayKind::None
        }
    }

    /// How many listeners are attached (for tests and diagnostics).
    pub fn listener_count(&self) -> usize {
        self.listeners.len()
    }
}

impl Drop for ActivityMonitor {
    fn drop(&mut self) {
        self.listeners.clear();
        if let Some(channel) = &self.relay.channel {
            channel.close();
        }
    }
}
