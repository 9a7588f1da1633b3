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
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else {
        "unknown"
    };
    let os = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Linux") || ua.contains("X11") {
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
    let ua = web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .unwrap_or_default();
    from_user_agent(&ua)
}
