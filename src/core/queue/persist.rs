//! Stored form of the offline queue: schema versions, v1 -> v2 migration,
//! per-entry checksums and the quarantine document.
//!
//! * v2 (current): `{"version":2,"messages":[{...QueuedMessage fields..., "checksum":"<16 hex>"}]}`
//!   where `checksum` is FNV-1a 64 of the entry's canonical JSON (the
//!   [`QueuedMessage`] serialized by this crate, without `checksum`).
//! * v1 (the TypeScript service): `{"version":1,"items":[{id, channelId, content,
//!   type, timestamp, retries, threadId?, mentions?, clientMessageId?, lastError?,
//!   lastRetryAt?}]}`: no checksum, no status, no clientMessageId guarantee.
//!   Migration: `createdAt = timestamp`, `updatedAt = lastRetryAt ?? timestamp`,
//!   `retryCount = retries`, `status = queued`, `clientMessageId ??= id`,
//!   `type ??= "text"`, `mentions ??= []`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{QueuedMessage, QueuedStatus};
use crate::core::delivery::wire::fnv1a64;
use crate::core::Millis;

/// Schema version written by this build.
pub const QUEUE_SCHEMA_VERSION: u64 = 2;

/// Most entries kept in the quarantine document (oldest dropped first).
pub(super) const QUARANTINE_CAP: usize = 50;

/// A stored entry that could not be loaded.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BadEntry {
    pub raw: String,
    pub reason: String,
    pub id: Option<String>,
}

/// Result of parsing the stored document.
#[derive(Debug)]
pub(super) enum Parsed {
    /// A readable document; `bad` entries failed validation or their checksum.
    Doc {
        messages: Vec<QueuedMessage>,
        bad: Vec<BadEntry>,
        migrated_from: Option<u64>,
    },
    /// Not a queue document at all.
    Unparsable { reason: String },
}

/// The checksum of one entry (16 lowercase hex digits).
pub(super) fn checksum(msg: &QueuedMessage) -> String {
    let canonical = serde_json::to_string(msg).unwrap_or_default();
    format!("{:016x}", fnv1a64(canonical.as_bytes()))
}

/// Serializes messages as a v2 document.
pub(super) fn encode<'a>(messages: impl IntoIterator<Item = &'a QueuedMessage>) -> String {
    let entries: Vec<Value> = messages
        .into_iter()
        .filter_map(|m| {
            let mut v = serde_json::to_value(m).ok()?;
            if let Value::Object(obj) = &mut v {
                obj.insert("checksum".into(), Value::String(checksum(m)));
            }
            Some(v)
        })
        .collect();
    let mut doc = Map::new();
    doc.insert("version".into(), Value::from(QUEUE_SCHEMA_VERSION));
    doc.insert("messages".into(), Value::Array(entries));
    Value::Object(doc).to_string()
}

/// Parses a stored document of any supported version.
pub(super) fn parse(text: &str) -> Parsed {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Parsed::Unparsable {
                reason: format!("not valid JSON ({e})"),
            }
        }
    };
    let Some(obj) = value.as_object() else {
        return Parsed::Unparsable {
            reason: "not a JSON object".into(),
        };
    };
    let (field, version) = match obj.get("version").and_then(Value::as_u64) {
        Some(2) => ("messages", 2),
        Some(1) => ("items", 1),
        Some(v) => {
            return Parsed::Unparsable {
                reason: format!("unsupported schema version {v} (this build reads 1 and 2)"),
            }
        }
        None => {
            return Parsed::Unparsable {
                reason: "missing schema version".into(),
            }
        }
    };
    let Some(items) = obj.get(field).and_then(Value::as_array) else {
        return Parsed::Unparsable {
            reason: format!("version {version} document without `{field}` array"),
        };
    };
    let mut messages: Vec<QueuedMessage> = Vec::new();
    let mut bad = Vec::new();
    for item in items {
        let parsed = if version == 2 {
            parse_v2_entry(item)
        } else {
            migrate_v1_entry(item)
        };
        match parsed {
            Ok(m) if messages.iter().any(|x| x.id == m.id) => bad.push(BadEntry {
                raw: item.to_string(),
                reason: "duplicate entry id".into(),
                id: Some(m.id),
            }),
            Ok(m) => messages.push(m),
            Err(b) => bad.push(b),
        }
    }
    Parsed::Doc {
        messages,
        bad,
        migrated_from: (version != 2).then_some(version),
    }
}

fn bad_entry(item: &Value, reason: impl Into<String>) -> BadEntry {
    BadEntry {
        raw: item.to_string(),
        reason: reason.into(),
        id: item
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    }
}

/// Rules every loaded entry must satisfy (the same as `queue_message`).
pub(super) fn validate(msg: &QueuedMessage) -> Result<(), String> {
    if msg.id.is_empty() {
        return Err("empty id".into());
    }
    if msg.client_message_id.is_empty() {
        return Err("empty clientMessageId".into());
    }
    if msg.channel_id.trim().is_empty() {
        return Err("empty channelId".into());
    }
    if msg.content.trim().is_empty() {
        return Err("empty content".into());
    }
    if msg.message_type.is_empty() {
        return Err("empty type".into());
    }
    Ok(())
}

fn parse_v2_entry(item: &Value) -> Result<QueuedMessage, BadEntry> {
    let Some(obj) = item.as_object() else {
        return Err(bad_entry(item, "entry is not an object"));
    };
    let Some(sum) = obj.get("checksum").and_then(Value::as_str) else {
        return Err(bad_entry(item, "entry has no checksum"));
    };
    let mut fields = obj.clone();
    fields.remove("checksum");
    let msg: QueuedMessage = serde_json::from_value(Value::Object(fields))
        .map_err(|e| bad_entry(item, format!("invalid entry ({e})")))?;
    validate(&msg).map_err(|e| bad_entry(item, format!("invalid entry ({e})")))?;
    if checksum(&msg) != sum {
        return Err(bad_entry(
            item,
            "checksum mismatch: the entry was modified outside the queue",
        ));
    }
    Ok(msg)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Item {
    id: String,
    channel_id: String,
    content: String,
    #[serde(rename = "type", default)]
    message_type: Option<String>,
    timestamp: Millis,
    #[serde(default)]
    retries: u32,
    #[serde(default)]
    thread_id: Option<String>,
    #[serde(default)]
    mentions: Option<Vec<String>>,
    #[serde(default)]
    client_message_id: Option<String>,
    #[serde(default)]
    last_error: Option<String>,
    #[serde(default)]
    last_retry_at: Option<Millis>,
}

fn migrate_v1_entry(item: &Value) -> Result<QueuedMessage, BadEntry> {
    let v1: V1Item = serde_json::from_value(item.clone())
        .map_err(|e| bad_entry(item, format!("invalid v1 entry ({e})")))?;
    let msg = QueuedMessage {
        client_message_id: v1
            .client_message_id
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| v1.id.clone()),
        id: v1.id,
        channel_id: v1.channel_id,
        content: v1.content,
        message_type: v1
            .message_type
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "text".into()),
        thread_id: v1.thread_id.filter(|t| !t.is_empty()),
        mentions: v1.mentions.unwrap_or_default(),
        created_at: v1.timestamp,
        updated_at: v1.last_retry_at.unwrap_or(v1.timestamp),
        retry_count: v1.retries,
        status: QueuedStatus::Queued,
        last_error: v1.last_error,
    };
    validate(&msg).map_err(|e| bad_entry(item, format!("invalid v1 entry ({e})")))?;
    Ok(msg)
}

/// Something set aside because it could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuarantinedEntry {
    /// When it was set aside.
    pub quarantined_at: Millis,
    /// Why (checksum mismatch, invalid entry, unreadable document, ...).
    pub reason: String,
    /// The original text (one entry, or the whole document when unreadable).
    pub raw: String,
    /// The entry's id when it could be read.
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct QuarantineDoc {
    version: u64,
    entries: Vec<QuarantinedEntry>,
}

/// Reads a quarantine document; unreadable text becomes one entry itself.
pub(super) fn parse_quarantine(text: &str, now: Millis) -> Vec<QuarantinedEntry> {
    match serde_json::from_str::<QuarantineDoc>(text) {
        Ok(doc) => doc.entries,
        Err(_) => vec![QuarantinedEntry {
            quarantined_at: now,
            reason: "unreadable quarantine document".into(),
            raw: text.to_owned(),
            id: None,
        }],
    }
}

/// Appends `new` to `existing` (deduplicated by raw text, capped).
pub(super) fn append_quarantine(
    mut existing: Vec<QuarantinedEntry>,
    new: &[QuarantinedEntry],
) -> String {
    for n in new {
        if !existing.iter().any(|e| e.raw == n.raw) {
            existing.push(n.clone());
        }
    }
    let excess = existing.len().saturating_sub(QUARANTINE_CAP);
    existing.drain(..excess);
    serde_json::to_string(&QuarantineDoc {
        version: 1,
        entries: existing,
    })
    .unwrap_or_default()
}
