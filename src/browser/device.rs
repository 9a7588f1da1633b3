//! Device info for the auth payload: `{type: "web", browser, os}`.

use crate::core::json::{Map, ToJson, Value};

/// What the server learns about the client device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Always `web` for this package.
    pub kind: &'static str,
    /// Browser family from the user agent.
    pub browser: &'static str,
    /// Operating system family from the user agent.
    pub os: &'static str,
}

impl ToJson for DeviceInfo {
    /// `{type, browser, os}`.
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.push("type", self.kind);
        o.push("browser", self.browser);
        o.push("os", self.os);
        Value::Object(o)
    }
}

/// Device info from a user-agent string.
pub fn from_user_agent(ua: &str) -> DeviceInfo {
    // A byte search: std's substring searcher brings string slicing panics
    // (and their `Debug` formatting) into the wasm.
    let has = |needle: &str| {
        ua.as_bytes()
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    };
    let browser = if has("Edg/") {
        "Edge"
    } else if has("Firefox/") {
        "Firefox"
    } else if has("Chrome/") || has("Chromium/") {
        "Chrome"
    } else if has("Safari/") {
        "Safari"
    } else {
        "unknown"
    };
    let os = if has("Android") {
        "Android"
    } else if has("iPhone") || has("iPad") {
        "iOS"
    } else if has("Windows") {
        "Windows"
    } else if has("Mac OS X") || has("Macintosh") {
        "macOS"
    } else if has("Linux") || has("X11") {
        "Linux"
    } else {
        "unknown"
    };
    DeviceInfo {
        kind: "web",
        browser,
        os,
    }
}

/// Device info of this browser (`unknown` fields outside a browser).
pub fn current() -> DeviceInfo {
    let ua = crate::browser::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .unwrap_or_default();
    from_user_agent(&ua)
}
