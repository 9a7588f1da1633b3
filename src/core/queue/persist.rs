//! Stored form of the offline queue: one key per message, per-entry
//! checksums, the migration of the old whole-document layout (v1 and v2), and
//! the quarantine document.
//!
//! * v3 (current): each message under `<storageKey>:m:<id>` as
//!   `{...QueuedMessage fields..., "version":3, "checksum":"<16 hex>"}` where
//!   `checksum` is FNV-1a 64 of the entry's canonical JSON (the stored fields
//!   of [`QueuedMessage`] in declaration order; `persisted` is not stored).
//!   One key per message means a tab writes only the entries it changes, so a
//!   tab with a stale view can never erase another tab's message.
//! * v2 (whole document under `<storageKey>`): `{"version":2,"messages":[entry,
//!   ...]}` with the same entries and checksums.
//! * v1 (the TypeScript service, whole document): `{"version":1,"items":[{id,
//!   channelId, content, type, timestamp, retries, threadId?, mentions?,
//!   clientMessageId?, lastError?, lastRetryAt?}]}`: no checksum, no status, no
//!   clientMessageId guarantee. Migration: `createdAt = timestamp`,
//!   `updatedAt = max(lastRetryAt, timestamp)`, `retryCount = retries`,
//!   `status = queued`, `clientMessageId ??= id`, `type ??= "text"`,
//!   `mentions ??= []`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{QueuedMessage, QueuedStatus};
use crate::core::delivery::wire::fnv1a64;
use crate::core::Millis;

/// Schema version written by this build (one key per message).
pub const QUEUE_SCHEMA_VERSION: u64 = 3;

/// Most entries kept in the quarantine document (oldest dropped first).
pub(super) const QUARANTINE_CAP: usize = 50;

/// A stored entry that could not be loaded.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BadEntry {
    pub raw: String,
    pub reason: String,
    pub id: Option<String>,
}

/// Result of parsing an old whole-document queue.
#[derive(Debug)]
pub(super) enum Parsed {
    /// A readable document; `bad` entries failed validation or their checksum.
    Doc {
        messages: Vec<QueuedMessage>,
        bad: Vec<BadEntry>,
    },
    /// Not a queue document at all.
    Unparsable { reason: String },
}

/// The stored fields in declaration order: what the checksum covers (the
/// same text the v2 layout checksummed, so migrated entries verify).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Canonical<'a> {
    id: &'a str,
    client_message_id: &'a str,
    channel_id: &'a str,
    content: &'a str,
    #[serde(rename = "type")]
    message_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    thread_id: &'a Option<String>,
    mentions: &'a [String],
    created_at: Millis,
    updated_at: Millis,
    retry_count: u32,
    status: QueuedStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error_code: &'a Option<String>,
}

impl<'a> From<&'a QueuedMessage> for Canonical<'a> {
    fn from(m: &'a QueuedMessage) -> Self {
        Canonical {
            id: &m.id,
            client_message_id: &m.client_message_id,
            channel_id: &m.channel_id,
            content: &m.content,
            message_type: &m.message_type,
            thread_id: &m.thread_id,
            mentions: &m.mentions,
            created_at: m.created_at,
            updated_at: m.updated_at,
            retry_count: m.retry_count,
            status: m.status,
            last_error: &m.last_error,
            last_error_code: &m.last_error_code,
        }
    }
}

/// The checksum of one entry (16 lowercase hex digits).
pub(super) fn checksum(msg: &QueuedMessage) -> String {
    let canonical = serde_json::to_string(&Canonical::from(msg)).unwrap_or_default();
    format!("{:016x}", fnv1a64(canonical.as_bytes()))
}

/// The stored text of one entry (v3).
pub(super) fn encode_entry(msg: &QueuedMessage) -> String {
    let mut v = serde_json::to_value(Canonical::from(msg)).unwrap_or_default();
    if let Value::Object(obj) = &mut v {
        obj.insert("version".into(), Value::from(QUEUE_SCHEMA_VERSION));
        obj.insert("checksum".into(), Value::String(checksum(msg)));
    }
    v.to_string()
}

/// Parses the text stored under an entry key; `key_id` is the id in the key.
pub(super) fn parse_entry(text: &str, key_id: &str) -> Result<QueuedMessage, BadEntry> {
    let bad = |reason: String| BadEntry {
        raw: text.to_owned(),
        reason,
        id: Some(key_id.to_owned()),
    };
    let value: Value =
        serde_json::from_str(text).map_err(|e| bad(format!("not valid JSON ({e})")))?;
    if let Some(v) = value.get("version") {
        match v.as_u64() {
            Some(v) if (2..=QUEUE_SCHEMA_VERSION).contains(&v) => {}
            _ => {
                return Err(bad(format!(
                    "unsupported entry version {v} (this build reads 2 and 3)"
                )))
            }
        }
    }
    let msg = verified_entry(&value).map_err(|b| bad(b.reason))?;
    if msg.id != key_id {
        return Err(bad(format!(
            "entry {} is stored under the key of {key_id}",
            msg.id
        )));
    }
    Ok(msg)
}

/// Parses an old whole document (v1 or v2) for the migration.
pub(super) fn parse_document(text: &str) -> Parsed {
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
                reason: format!("unsupported schema version {v} (this build migrates 1 and 2)"),
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
            verified_entry(item)
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
    Parsed::Doc { messages, bad }
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

/// A checksummed entry (v2 or v3) checked and normalized: an interrupted
/// `sending` is `queued` again, and it is `persisted` (it was read from storage).
fn verified_entry(item: &Value) -> Result<QueuedMessage, BadEntry> {
    let Some(obj) = item.as_object() else {
        return Err(bad_entry(item, "entry is not an object"));
    };
    let Some(sum) = obj.get("checksum").and_then(Value::as_str) else {
        return Err(bad_entry(item, "entry has no checksum"));
    };
    let mut fields = obj.clone();
    fields.remove("checksum");
    fields.remove("version");
    fields.remove("persisted");
    let mut msg: QueuedMessage = serde_json::from_value(Value::Object(fields))
        .map_err(|e| bad_entry(item, format!("invalid entry ({e})")))?;
    validate(&msg).map_err(|e| bad_entry(item, format!("invalid entry ({e})")))?;
    if checksum(&msg) != sum {
        return Err(bad_entry(
            item,
            "checksum mismatch: the entry was modified outside the queue",
        ));
    }
    if msg.status == QueuedStatus::Sending {
        msg.status = QueuedStatus::Queued;
    }
    msg.persisted = true;
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
    retries: u64,
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
        updated_at: v1.last_retry_at.unwrap_or(0).max(v1.timestamp),
        retry_count: u32::try_from(v1.retries).unwrap_or(u32::MAX),
        status: QueuedStatus::Queued,
        last_error: v1.last_error,
        last_error_code: None,
        persisted: true,
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
