//! The pure rules of conflict resolution: when two versions conflict, how
//! bad it is, which strategy fits, and what each strategy yields.

use crate::core::json::{Map, Value};

/// The conflict types, in the order of [`RULES`].
pub const TYPES: [&str; 6] = [
    "message:edit",
    "message:delete",
    "channel:settings",
    "user:settings",
    "file:upload",
    "thread:reply",
];

/// The resolution strategies.
pub const STRATEGIES: [&str; 5] = [
    "last-write-wins",
    "server-wins",
    "client-wins",
    "merge",
    "manual",
];

/// Per type (as [`TYPES`]): its strategy and the reason shown for it.
const RULES: [(&str, &str); 6] = [
    (
        "last-write-wins",
        "Message was edited on multiple devices while offline",
    ),
    (
        "server-wins",
        "Message was deleted while offline edits were pending",
    ),
    (
        "server-wins",
        "Channel settings were changed on multiple devices",
    ),
    ("merge", "User settings were changed on multiple devices"),
    ("last-write-wins", "Same file was uploaded multiple times"),
    ("last-write-wins", "Thread was modified while offline"),
];

/// Settings whose differing values make a `user:settings` conflict high.
const CRITICAL_SETTINGS: [(&str, &str); 4] = [
    ("privacy", "onlineStatusVisible"),
    ("privacy", "lastSeenVisible"),
    ("privacy", "profileVisible"),
    ("notifications", "quietHoursEnabled"),
];

/// The fields of an entity the rules read (the entity itself is kept as
/// the app gave it).
#[derive(Debug)]
pub struct Entity<'a> {
    /// The entity object.
    pub raw: &'a Map,
    /// Its index in [`TYPES`].
    pub kind: usize,
    /// `localData` (`None`: not given).
    pub local: Option<&'a Value>,
    /// `remoteData`.
    pub remote: Option<&'a Value>,
    /// `localTimestamp`.
    pub local_ts: u64,
    /// `remoteTimestamp`.
    pub remote_ts: u64,
}

impl<'a> Entity<'a> {
    /// Reads an entity; `Err` names the field that does not fit.
    pub fn read(value: &'a Value) -> Result<Self, &'static str> {
        let raw = value.as_object().ok_or("entity")?;
        raw.get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or("entity.id")?;
        let kind = raw.get("type").and_then(Value::as_str);
        let kind = kind
            .and_then(|k| TYPES.iter().position(|t| *t == k))
            .ok_or("entity.type")?;
        let ts = |k| raw.get(k).and_then(Value::as_u64);
        Ok(Entity {
            raw,
            kind,
            local: raw.get("localData"),
            remote: raw.get("remoteData"),
            local_ts: ts("localTimestamp").ok_or("entity.localTimestamp")?,
            remote_ts: ts("remoteTimestamp").ok_or("entity.remoteTimestamp")?,
        })
    }

    /// A key given and not `null`.
    fn given(&self, key: &str) -> Option<&'a Value> {
        self.raw.get(key).filter(|v| !v.is_null())
    }

    /// The entity's id.
    pub fn id(&self) -> &'a str {
        self.raw.get("id").and_then(Value::as_str).unwrap_or("")
    }

    /// The entity's type.
    pub fn type_name(&self) -> &'static str {
        TYPES.get(self.kind).copied().unwrap_or("")
    }

    /// Whether the two versions conflict: different versions when both are
    /// given; else none when both timestamps are set and less than a second
    /// apart; else different hashes when both are non-empty; else different
    /// data.
    pub fn has_conflict(&self) -> bool {
        if let (Some(a), Some(b)) = (self.given("localVersion"), self.given("remoteVersion")) {
            return a != b;
        }
        if self.local_ts != 0
            && self.remote_ts != 0
            && self.local_ts.abs_diff(self.remote_ts) < 1000
        {
            return false;
        }
        let hash = |k| {
            self.given(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        if let (Some(a), Some(b)) = (hash("localHash"), hash("remoteHash")) {
            return a != b;
        }
        self.local != self.remote
    }

    /// `low`, `medium`, `high` or `critical`.
    pub fn severity(&self) -> &'static str {
        // Indexes of TYPES.
        match self.kind {
            1 | 2 => "critical",
            3 if self.critical_settings() => "high",
            0 | 5 => "medium",
            _ => "low",
        }
    }

    /// Whether both sides set a critical setting to different values (two
    /// objects or arrays always differ, as two references do).
    fn critical_settings(&self) -> bool {
        CRITICAL_SETTINGS.iter().any(|(category, key)| {
            let at = |d: Option<&'a Value>| d.and_then(|d| d.get(*category)?.get(*key));
            match (at(self.local), at(self.remote)) {
                (Some(a), Some(b)) => a != b || a.is_object() || a.is_array(),
                _ => false,
            }
        })
    }

    /// The strategy for this type, or `manual` for a critical conflict.
    pub fn suggested(&self, severity: &str) -> &'static str {
        if severity == "critical" {
            return "manual";
        }
        RULES.get(self.kind).map_or("last-write-wins", |r| r.0)
    }

    /// Why it conflicts, in words.
    pub fn reason(&self) -> &'static str {
        RULES.get(self.kind).map_or("", |r| r.1)
    }
}

/// An object's pairs, or an array's items keyed by index (as
/// `Object.keys` sees them); `None` for anything else.
fn pairs(v: Option<&Value>) -> Option<Map> {
    match v? {
        Value::Object(m) => Some(m.clone()),
        Value::Array(a) => {
            let mut m = Map::new();
            for (i, x) in a.iter().enumerate() {
                m.push(&crate::core::decimal::cat!(i), x.clone());
            }
            Some(m)
        }
        _ => None,
    }
}

/// The merge strategy: keys of one side are kept, equal values kept, nested
/// objects merged key by key, arrays united (primitives once), and any
/// other difference goes to the remote value; each conflicting key's path
/// (`a.b`) is added to `fields`. Anything but two objects (or arrays) is
/// the remote value.
pub fn merge(
    local: Option<&Value>,
    remote: Option<&Value>,
    prefix: &str,
    fields: &mut Vec<Value>,
) -> Option<Value> {
    let (Some(l), Some(r)) = (pairs(local), pairs(remote)) else {
        return remote.cloned();
    };
    let mut out = Map::new();
    let keys = l.keys().chain(r.keys().filter(|k| !l.contains_key(k)));
    for key in keys {
        let path = crate::core::decimal::cat!(prefix, key);
        let v = match (l.get(key), r.get(key)) {
            (Some(a), Some(b)) if a == b => a.clone(),
            (Some(a @ Value::Object(_)), Some(b @ Value::Object(_))) => {
                let nested = crate::core::decimal::cat!(path, ".");
                merge(Some(a), Some(b), &nested, fields).unwrap_or_default()
            }
            (Some(Value::Array(a)), Some(Value::Array(b))) => {
                fields.push(Value::String(path));
                let mut union: Vec<Value> = Vec::new();
                for x in a.iter().chain(b) {
                    if x.is_object() || x.is_array() || !union.contains(x) {
                        union.push(x.clone());
                    }
                }
                Value::Array(union)
            }
            (Some(_), Some(b)) => {
                fields.push(Value::String(path));
                b.clone()
            }
            (Some(v), None) | (None, Some(v)) => v.clone(),
            (None, None) => continue,
        };
        out.insert(key.clone(), v);
    }
    Some(Value::Object(out))
}
