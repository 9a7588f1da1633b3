//! `localStorage` as a [`KeyValueStore`], the `storage` event, and the
//! cross-tab lock's Web Locks (the lease fallback is the session's).
//!
//! Everything here degrades to error values when there is no `window`
//! (server-side rendering) or storage is disabled: nothing panics, nothing is
//! leaked. Listeners, timers and lock requests are owned and released on drop.

use crate::core::decimal::cat;
use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Storage;

use super::listener::EventListener;
use crate::core::store::{KeyValueStore, StoreError};

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
        let window = crate::browser::window().ok_or(StoreError::Unavailable)?;
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
    /// Calls `on_change(Some(key))` when a key for which `wanted(key)` holds
    /// changes, and `on_change(None)` when the storage is cleared.
    pub fn watching(
        wanted: impl Fn(&str) -> bool + 'static,
        on_change: impl Fn(Option<String>) + 'static,
    ) -> Self {
        let Some(window) = crate::browser::window() else {
            return Self { _listener: None };
        };
        let listener = EventListener::new(&window, "storage", move |event| {
            let key = storage_key(&event, true);
            if key.is_undefined() {
                return; // not a StorageEvent, or sessionStorage's
            }
            match key.as_string() {
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
export function storageKey(e, localOnly) {
  if (!(e instanceof StorageEvent)) return undefined;
  if (localOnly && e.storageArea) {
    let local = null;
    try { local = window.localStorage; } catch (x) {}
    if (local && e.storageArea !== local) return undefined;
  }
  return e.key;
}
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
    /// The key of a `storage` event (`null`: the storage was cleared);
    /// `undefined` for another event or, with `local_only`, another storage
    /// area than `localStorage` (one import for the event's three reads).
    #[wasm_bindgen(js_name = storageKey)]
    pub(super) fn storage_key(event: &JsValue, local_only: bool) -> JsValue;
    #[wasm_bindgen(catch, js_name = webLockRequest)]
    fn web_lock_request(name: &str, on_granted: &Function) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = webLockRelease)]
    fn web_lock_release(state: &JsValue) -> Result<(), JsValue>;
}

/// A Web Lock request for the exclusive cross-tab lock `name`. `on_granted`
/// runs (asynchronously, at most once) when this tab holds it; dropping the
/// request releases the lock, or withdraws the request if it still waits.
/// The lock is held by a promise that dropping resolves. Where the browser
/// has no Web Locks, `request` gives `None` and the session runs its
/// storage lease instead (`core::session`).
pub struct WebLock {
    state: JsValue,
    _on_granted: super::Callback,
}

impl WebLock {
    /// Requests the lock; `None` without `navigator.locks`.
    pub fn request(name: &str, on_granted: impl FnOnce() + 'static) -> Option<Self> {
        let mut once = Some(on_granted);
        let closure = super::Callback::new(move |_| {
            if let Some(f) = once.take() {
                f();
            }
        });
        match web_lock_request(name, closure.as_ref().unchecked_ref()) {
            Ok(state) if !state.is_null() && !state.is_undefined() => Some(Self {
                state,
                _on_granted: closure,
            }),
            _ => None,
        }
    }
}

impl Drop for WebLock {
    fn drop(&mut self) {
        let _ = web_lock_release(&self.state);
    }
}
