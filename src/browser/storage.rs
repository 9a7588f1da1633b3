//! `localStorage` as a [`KeyValueStore`], the `storage` event, and the
//! cross-tab lock (Web Locks, with a `localStorage` lease as fallback).
//!
//! Everything here degrades to error values when there is no `window`
//! (server-side rendering) or storage is disabled: nothing panics, nothing is
//! leaked. Listeners, timers and lock requests are owned and released on drop.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::{Interval, Timeout};
use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Storage, StorageEvent};

use super::clock::now_ms;
use super::listener::EventListener;
use crate::core::decimal::cat;
use crate::core::json;
use crate::core::store::{KeyValueStore, StoreError};
use crate::core::Millis;

/// `window.localStorage`, looked up on every call (so a missing window or a
/// storage disabled by the user gives [`StoreError::Unavailable`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalStorage;

impl LocalStorage {
    /// The store (nothing is touched until it is used).
    pub fn new() -> Self {
        Self
    }

    /// Whether `localStorage` can be used at all here.
    pub fn is_available() -> bool {
        Self::storage().is_ok()
    }

    fn storage() -> Result<Storage, StoreError> {
        let window = web_sys::window().ok_or(StoreError::Unavailable)?;
        match window.local_storage() {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err(StoreError::Unavailable),
            // Reading the property throws SecurityError when storage is denied.
            Err(e) => Err(match classify(&e) {
                StoreError::Other(_) => StoreError::Unavailable,
                other => other,
            }),
        }
    }
}

/// Maps an exception thrown by `localStorage` to a [`StoreError`]: a quota
/// error (`QuotaExceededError`, Firefox's `NS_ERROR_DOM_QUOTA_REACHED`, legacy
/// codes 22 / 1014) is [`StoreError::QuotaExceeded`], a `SecurityError` is
/// [`StoreError::Unavailable`], anything else [`StoreError::Other`].
pub fn classify(err: &JsValue) -> StoreError {
    let field = |name: &str| Reflect::get(err, &JsValue::from_str(name)).ok();
    let name = field("name")
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    let code = field("code").and_then(|v| v.as_f64()).unwrap_or(0.0);
    let message = field("message")
        .and_then(|v| v.as_string())
        .or_else(|| err.as_string())
        .unwrap_or_else(|| "unknown storage failure".into());
    match name.as_str() {
        "QuotaExceededError" | "NS_ERROR_DOM_QUOTA_REACHED" => StoreError::QuotaExceeded,
        "SecurityError" => StoreError::Unavailable,
        _ if code == 22.0 || code == 1014.0 => StoreError::QuotaExceeded,
        _ if name.is_empty() => StoreError::Other(message),
        _ => StoreError::Other(cat!(name, ": ", message)),
    }
}

impl KeyValueStore for LocalStorage {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Self::storage()?.get_item(key).map_err(|e| classify(&e))
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        Self::storage()?
            .set_item(key, value)
            .map_err(|e| classify(&e))
    }

    fn remove(&mut self, key: &str) -> Result<(), StoreError> {
        Self::storage()?.remove_item(key).map_err(|e| classify(&e))
    }

    fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let storage = Self::storage()?;
        let len = storage.length().map_err(|e| classify(&e))?;
        let mut out = Vec::new();
        for i in 0..len {
            if let Some(key) = storage.key(i).map_err(|e| classify(&e))? {
                if key.starts_with(prefix) {
                    out.push(key);
                }
            }
        }
        Ok(out)
    }
}

/// Calls back when another document changes `localStorage` (the `storage`
/// event) for a key it is interested in. Removed on drop.
pub struct StorageListener {
    _listener: Option<EventListener>,
}

impl StorageListener {
    /// Calls `on_change` when one of `keys` changes (`clear()` counts for
    /// every key). Listens on `window` (nothing happens without a window).
    pub fn new(keys: Vec<String>, on_change: impl Fn() + 'static) -> Self {
        Self::watching(move |k| keys.iter().any(|x| x == k), move |_| on_change())
    }

    /// Calls `on_change(Some(key))` when a key for which `wanted(key)` holds
    /// changes, and `on_change(None)` when the storage is cleared.
    pub fn watching(
        wanted: impl Fn(&str) -> bool + 'static,
        on_change: impl Fn(Option<String>) + 'static,
    ) -> Self {
        let Some(window) = web_sys::window() else {
            return Self { _listener: None };
        };
        let listener = EventListener::new(&window, "storage", move |event| {
            let Some(event) = event.dyn_ref::<StorageEvent>() else {
                return;
            };
            if let (Some(area), Ok(local)) = (event.storage_area(), LocalStorage::storage()) {
                let area: &JsValue = area.as_ref();
                let local: &JsValue = local.as_ref();
                if area != local {
                    return; // sessionStorage
                }
            }
            match event.key() {
                None => on_change(None),
                Some(k) if wanted(&k) => on_change(Some(k)),
                Some(_) => {}
            }
        });
        Self {
            _listener: listener,
        }
    }
}

#[wasm_bindgen(inline_js = r#"
export function webLockRequest(name, onGranted) {
  const locks = (typeof navigator !== 'undefined' && navigator) ? navigator.locks : undefined;
  if (!locks || typeof locks.request !== 'function') return null;
  const ctl = typeof AbortController === 'function' ? new AbortController() : null;
  const state = { done: false, release: null, ctl };
  let p;
  try {
    p = locks.request(name, ctl ? { signal: ctl.signal } : {}, () => {
      if (state.done) return undefined;
      return new Promise((resolve) => {
        state.release = resolve;
        onGranted();
      });
    });
  } catch (e) {
    return null;
  }
  Promise.resolve(p).catch(() => {});
  return state;
}
export function webLockRelease(state) {
  if (!state || state.done) return;
  state.done = true;
  if (state.release) {
    const r = state.release;
    state.release = null;
    r();
  } else if (state.ctl) {
    try { state.ctl.abort(); } catch (e) {}
  }
}
"#)]
extern "C" {
    #[wasm_bindgen(catch, js_name = webLockRequest)]
    fn web_lock_request(name: &str, on_granted: &Function) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = webLockRelease)]
    fn web_lock_release(state: &JsValue) -> Result<(), JsValue>;
}

/// How a [`LockTicket`] coordinates with other tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// `navigator.locks` when present, else the `localStorage` lease.
    Auto,
    /// Always the `localStorage` lease.
    Lease,
}

/// What runs when the lock is granted.
type Granted = Box<dyn FnOnce()>;

/// How long a lease lasts without renewal.
const LEASE_MS: Millis = 10_000;
/// How often a waiting ticket retries and a held one considers renewing.
const LEASE_POLL_MS: u32 = 250;

/// The stored lease: `{owner, expiresAt}`.
struct LeaseDoc {
    owner: String,
    expires_at: Millis,
}

impl LeaseDoc {
    /// Reads a stored lease; `None` for anything else.
    fn parse(text: &str) -> Option<Self> {
        let doc = json::from_str(text).ok()?;
        let doc = doc.as_object()?;
        Some(LeaseDoc {
            owner: doc.str_field("owner").ok()?,
            expires_at: doc.u64_field("expiresAt").ok()?,
        })
    }

    /// The stored text.
    fn text(&self) -> String {
        let mut o = json::Map::new();
        o.push("owner", self.owner.as_str());
        o.push("expiresAt", self.expires_at);
        json::Value::Object(o).to_text()
    }
}

struct Lease {
    key: String,
    owner: String,
    held: bool,
    expires_at: Millis,
    on_granted: Option<Granted>,
}

impl Lease {
    /// Takes or renews the lease; true when this owner holds it afterwards.
    fn try_take(&mut self, now: Millis) -> bool {
        let mut store = LocalStorage::new();
        match store.get(&self.key) {
            // No shared storage: no other tab can share our queue either.
            Err(_) => return true,
            Ok(Some(text)) => {
                if let Some(doc) = LeaseDoc::parse(&text) {
                    if doc.owner != self.owner && doc.expires_at > now {
                        return false;
                    }
                }
            }
            Ok(None) => {}
        }
        let expires_at = now.saturating_add(LEASE_MS);
        let doc = LeaseDoc {
            owner: self.owner.clone(),
            expires_at,
        };
        let text = doc.text();
        if store.set(&self.key, &text).is_err() {
            // Best effort: a full storage cannot hold a lease for anyone; the
            // queue re-reads the store before each send and the server
            // de-duplicates by clientMessageId.
            return true;
        }
        self.expires_at = expires_at;
        // Read back: the last writer of a race wins.
        matches!(store.get(&self.key), Ok(Some(t))
            if LeaseDoc::parse(&t).is_some_and(|d| d.owner == self.owner))
    }

    fn release(&mut self) {
        if !self.held {
            return;
        }
        self.held = false;
        let mut store = LocalStorage::new();
        if let Ok(Some(text)) = store.get(&self.key) {
            if LeaseDoc::parse(&text).is_some_and(|d| d.owner == self.owner) {
                let _ = store.remove(&self.key);
            }
        }
    }
}

fn lease_tick(weak: &Weak<RefCell<Lease>>) {
    let Some(rc) = weak.upgrade() else { return };
    let granted = {
        let Ok(mut lease) = rc.try_borrow_mut() else {
            return;
        };
        let now = now_ms();
        if lease.held {
            if lease.expires_at.saturating_sub(now) < LEASE_MS / 2 {
                lease.try_take(now);
            }
            None
        } else if lease.try_take(now) {
            lease.held = true;
            lease.on_granted.take()
        } else {
            None
        }
    };
    // Called with no borrow held: it may drop this very ticket.
    if let Some(f) = granted {
        f();
    }
}

enum Backend {
    Web {
        state: JsValue,
        _on_granted: Closure<dyn FnMut()>,
    },
    Lease {
        lease: Rc<RefCell<Lease>>,
        _first: Timeout,
        _poll: Interval,
    },
}

/// One request for the exclusive cross-tab lock `name`. `on_granted` runs
/// (asynchronously, at most once) when this tab holds it; dropping the ticket
/// releases the lock, or withdraws the request if it is still waiting.
///
/// With Web Locks the lock is held by a promise that dropping resolves; the
/// lease fallback stores `{owner, expiresAt}` under `name` in `localStorage`,
/// renews it every few seconds while held and removes it on release. A tab
/// that dies holding a lease blocks the others for at most 10 s.
pub struct LockTicket {
    backend: Backend,
}

impl LockTicket {
    /// Requests the lock. `owner` identifies this tab in a lease.
    pub fn request(
        name: &str,
        mode: LockMode,
        owner: &str,
        on_granted: impl FnOnce() + 'static,
    ) -> Self {
        let mut once: Option<Granted> = Some(Box::new(on_granted));
        if mode == LockMode::Auto {
            let slot: Rc<RefCell<Option<Granted>>> = Rc::new(RefCell::new(once.take()));
            let for_js = slot.clone();
            let closure = Closure::<dyn FnMut()>::new(move || {
                let f = for_js.try_borrow_mut().ok().and_then(|mut s| s.take());
                if let Some(f) = f {
                    f();
                }
            });
            match web_lock_request(name, closure.as_ref().unchecked_ref()) {
                Ok(state) if !state.is_null() && !state.is_undefined() => {
                    return Self {
                        backend: Backend::Web {
                            state,
                            _on_granted: closure,
                        },
                    };
                }
                _ => once = slot.try_borrow_mut().ok().and_then(|mut s| s.take()),
            }
        }
        let lease = Rc::new(RefCell::new(Lease {
            key: name.to_owned(),
            owner: owner.to_owned(),
            held: false,
            expires_at: 0,
            on_granted: once,
        }));
        let weak = Rc::downgrade(&lease);
        let first = Timeout::new(0, move || lease_tick(&weak));
        let weak = Rc::downgrade(&lease);
        let poll = Interval::new(LEASE_POLL_MS, move || lease_tick(&weak));
        Self {
            backend: Backend::Lease {
                lease,
                _first: first,
                _poll: poll,
            },
        }
    }

    /// Whether this ticket uses Web Locks (false: the lease fallback).
    pub fn uses_web_locks(&self) -> bool {
        matches!(self.backend, Backend::Web { .. })
    }
}

impl Drop for LockTicket {
    fn drop(&mut self) {
        match &self.backend {
            Backend::Web { state, .. } => {
                let _ = web_lock_release(state);
            }
            Backend::Lease { lease, .. } => {
                if let Ok(mut l) = lease.try_borrow_mut() {
                    l.on_granted = None;
                    l.release();
                }
            }
        }
    }
}
