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
//! * v4: a v3 entry with `attachments` (last in the canonical form). Only
//!   entries with attachments say 4, so every other entry stays the v3 text
//!   builds before attachments read; they set a v4 entry aside (quarantine,
//!   `unsupported entry version`) rather than send a file message without
//!   its files.
//! * v2 (whole document under `<storageKey>`): `{"version":2,"messages":[entry,
//!   ...]}` with the same entries and checksums.
//! * v1 (the TypeScript service, whole document): `{"version":1,"items":[{id,
//!   channelId, content, type, timestamp, retries, threadId?, mentions?,
//!   clientMessageId?, lastError?, lastRetryAt?, attachments?}]}`: no checksum, no status, no
//!   clientMessageId guarantee. Migration: `createdAt = timestamp`,
//!   `updatedAt = max(lastRetryAt, timestamp)`, `retryCount = retries`,
//!   `status = queued`, `clientMessageId ??= id`, `type ??= "text"`,
//!   `mentions ??= []`.

use super::{QueuedMessage, QueuedStatus};
use crate::core::decimal::{concat, push_hex16};
use crate::core::delivery::wire::fnv1a64;
use crate::core::json::{self, FieldError, Map, ToJson, Value};
use crate::core::Millis;

/// Schema version written by this build (one key per message) for entries
/// without attachments.
pub const QUEUE_SCHEMA_VERSION: u64 = 3;

/// The version of an entry with attachments (see the module docs).
const ATTACHMENTS_VERSION: u64 = 4;

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

/// The checksum of one entry (16 lowercase hex digits) over its canonical
/// JSON text ([`QueuedMessage::canonical`]).
pub(super) fn checksum(msg: &QueuedMessage) -> String {
    let canonical = Value::Object(msg.canonical()).to_text();
    let mut out = String::with_capacity(16);
    push_hex16(&mut out, fnv1a64(canonical.as_bytes()));
    out
}

/// The stored text of one entry (v3).
pub(super) fn encode_entry(msg: &QueuedMessage) -> String {
    let mut obj = msg.canonical();
    obj.push(
        "version",
        if msg.attachments.is_empty() {
            QUEUE_SCHEMA_VERSION
        } else {
            ATTACHMENTS_VERSION
        },
    );
    obj.push("checksum", checksum(msg));
    Value::Object(obj).to_text()
}

/// `"not valid JSON (<why>)"`.
fn not_json(e: json::Error) -> String {
    concat(&["not valid JSON (", &e.describe(), ")"])
}

/// Parses the text stored under an entry key; `key_id` is the id in the key.
pub(super) fn parse_entry(text: &str, key_id: &str) -> Result<QueuedMessage, BadEntry> {
    let bad = |reason: String| BadEntry {
        raw: text.to_owned(),
        reason,
        id: Some(key_id.to_owned()),
    };
    let value = json::from_str(text).map_err(|e| bad(not_json(e)))?;
    if let Some(v) = value.get("version") {
        match v.as_u64() {
            Some(v) if (2..=ATTACHMENTS_VERSION).contains(&v) => {}
            _ => {
                return Err(bad(concat(&[
                    "unsupported entry version ",
                    &v.to_text(),
                    " (this build reads 2 to 4)",
                ])))
            }
        }
    }
    let msg = verified_entry(&value).map_err(|b| bad(b.reason))?;
    if msg.id != key_id {
        return Err(bad(concat(&[
            "entry ",
            &msg.id,
            " is stored under the key of ",
            key_id,
        ])));
    }
    Ok(msg)
}

/// Parses an old whole document (v1 or v2) for the migration.
pub(super) fn parse_document(text: &str) -> Parsed {
    let value = match json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Parsed::Unparsable {
                reason: not_json(e),
            }
        }
    };
    let Some(obj) = value.as_object() else {
        return Parsed::Unparsable {
            reason: "not a JSON object".into(),
        };
    };
    let (field, version) = match obj.get("version").and_then(Value::as_u64) {
        Some(2) => ("messages", "2"),
        Some(1) => ("items", "1"),
        Some(v) => {
            return Parsed::Unparsable {
                reason: concat(&[
                    "unsupported schema version ",
                    &crate::core::decimal::u64_text(v),
                    " (this build migrates 1 and 2)",
                ]),
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
            reason: concat(&["version ", version, " document without `", field, "` array"]),
        };
    };
    let mut messages: Vec<QueuedMessage> = Vec::new();
    let mut bad = Vec::new();
    for item in items {
        let parsed = if version == "2" {
            verified_entry(item)
        } else {
            migrate_v1_entry(item)
        };
        match parsed {
            Ok(m) if messages.iter().any(|x| x.id == m.id) => bad.push(BadEntry {
                raw: item.to_text(),
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
        raw: item.to_text(),
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
    if msg.message_type.is_empty() {
        return Err("empty type".into());
    }
    check_body(&msg.content, &msg.attachments)
}

/// The rule of a message's body: text, or attachments, or both. An
/// attachment is nchat's `QueuedAttachment`: an object with a non-empty `id`
/// and `type`, a `name`, a whole `size` (bytes), and `url`, `localPath`
/// strings (or `null`) when given; other keys (a v1 item's) are kept.
pub(super) fn check_body(content: &str, attachments: &[Value]) -> Result<(), String> {
    if content.trim().is_empty() && attachments.is_empty() {
        return Err("content is empty".into());
    }
    for a in attachments {
        let id = |k: &str| {
            a.get(k)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        };
        let text_or_absent = |k: &str| a.get(k).is_none_or(|v| v.is_string() || v.is_null());
        let ok = id("id")
            && id("type")
            && a.get("name").is_some_and(Value::is_string)
            && a.get("size").and_then(Value::as_u64).is_some()
            && text_or_absent("url")
            && text_or_absent("localPath");
        if !ok {
            return Err(
                "an attachment must be {id, type, name, size, url?, localPath?} with a non-empty id and type"
                    .into(),
            );
        }
    }
    Ok(())
}

/// The optional `attachments` of a stored entry (v4, or nchat's v1 item);
/// [`check_body`] checks them.
fn read_attachments(o: &Map) -> Result<Vec<Value>, FieldError> {
    match o.get("attachments") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(list)) => Ok(list.clone()),
        Some(_) => Err(FieldError {
            key: "attachments",
            expected: "an array",
        }),
    }
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
    let invalid = |why: &str| bad_entry(item, concat(&["invalid entry (", why, ")"]));
    let mut msg = read_message(obj).map_err(|e| invalid(&e.describe()))?;
    validate(&msg).map_err(|e| invalid(&e))?;
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

/// The stored fields of a message (`persisted` is not among them: what
/// was read from storage is stored).
fn read_message(o: &Map) -> Result<QueuedMessage, FieldError> {
    let status = o.str_field("status")?;
    Ok(QueuedMessage {
        id: o.str_field("id")?,
        client_message_id: o.str_field("clientMessageId")?,
        channel_id: o.str_field("channelId")?,
        content: o.str_field("content")?,
        message_type: o.str_field("type")?,
        thread_id: o.opt_str_field("threadId")?,
        mentions: o.opt_strings_field("mentions")?.unwrap_or_default(),
        created_at: o.u64_field("createdAt")?,
        updated_at: o.u64_field("updatedAt")?,
        retry_count: match o.opt_u64_field("retryCount")? {
            None => 0,
            Some(n) => u32::try_from(n).map_err(|_| FieldError {
                key: "retryCount",
                expected: "at most 4294967295",
            })?,
        },
        status: QueuedStatus::from_name(&status).ok_or(FieldError {
            key: "status",
            expected: "one of queued, sending, failed",
        })?,
        last_error: o.opt_str_field("lastError")?,
        last_error_code: o.opt_str_field("lastErrorCode")?,
        last_retry_at: o.opt_u64_field("lastRetryAt")?,
        attachments: read_attachments(o)?,
        persisted: true,
    })
}

/// A v1 item (the TypeScript service's), migrated.
fn migrate_v1_entry(item: &Value) -> Result<QueuedMessage, BadEntry> {
    let invalid = |why: &str| bad_entry(item, concat(&["invalid v1 entry (", why, ")"]));
    let o = item
        .as_object()
        .ok_or_else(|| invalid("entry is not an object"))?;
    let read = || -> Result<V1Item, FieldError> {
        Ok(V1Item {
            id: o.str_field("id")?,
            channel_id: o.str_field("channelId")?,
            content: o.str_field("content")?,
            message_type: o.opt_str_field("type")?,
            timestamp: o.u64_field("timestamp")?,
            retries: o.opt_u64_field("retries")?.unwrap_or(0),
            thread_id: o.opt_str_field("threadId")?,
            mentions: o.opt_strings_field("mentions")?,
            client_message_id: o.opt_str_field("clientMessageId")?,
            last_error: o.opt_str_field("lastError")?,
            last_retry_at: o.opt_u64_field("lastRetryAt")?,
            attachments: read_attachments(o)?,
        })
    };
    let v1 = read().map_err(|e| invalid(&e.describe()))?;
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
        attachments: v1.attachments,
        created_at: v1.timestamp,
        updated_at: v1.last_retry_at.unwrap_or(0).max(v1.timestamp),
        retry_count: u32::try_from(v1.retries).unwrap_or(u32::MAX),
        status: QueuedStatus::Queued,
        last_error: v1.last_error,
        last_error_code: None,
        last_retry_at: v1.last_retry_at,
        persisted: true,
    };
    validate(&msg).map_err(|e| invalid(&e))?;
    Ok(msg)
}

/// The fields of a v1 item.
struct V1Item {
    id: String,
    channel_id: String,
    content: String,
    message_type: Option<String>,
    timestamp: Millis,
    retries: u64,
    thread_id: Option<String>,
    mentions: Option<Vec<String>>,
    client_message_id: Option<String>,
    last_error: Option<String>,
    last_retry_at: Option<Millis>,
    attachments: Vec<Value>,
}

/// Something set aside because it could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedEntry {
    /// When it was set aside.
    pub quarantined_at: Millis,
    /// Why (checksum mismatch, invalid entry, unreadable document, ...).
    pub reason: String,
    /// The original text (one entry, or the whole document when unreadable).
    pub raw: String,
    /// The entry's id when it could be read.
    pub id: Option<String>,
}

impl ToJson for QuarantinedEntry {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.push("quarantinedAt", self.quarantined_at);
        o.push("reason", self.reason.as_str());
        o.push("raw", self.raw.as_str());
        o.push("id", self.id.as_deref());
        Value::Object(o)
    }
}

/// The entries of a quarantine document `{version, entries: [...]}`.
fn read_quarantine(text: &str) -> Option<Vec<QuarantinedEntry>> {
    let doc = json::from_str(text).ok()?;
    let doc = doc.as_object()?;
    doc.u64_field("version").ok()?;
    doc.get("entries")?
        .as_array()?
        .iter()
        .map(|e| {
            let e = e.as_object()?;
            Some(QuarantinedEntry {
                quarantined_at: e.u64_field("quarantinedAt").ok()?,
                reason: e.str_field("reason").ok()?,
                raw: e.str_field("raw").ok()?,
                id: e.opt_str_field("id").ok()?,
            })
        })
        .collect()
}

/// Reads a quarantine document; unreadable text becomes one entry itself.
pub(super) fn parse_quarantine(text: &str, now: Millis) -> Vec<QuarantinedEntry> {
    read_quarantine(text).unwrap_or_else(|| {
        vec![QuarantinedEntry {
            quarantined_at: now,
            reason: "unreadable quarantine document".into(),
            raw: text.to_owned(),
            id: None,
        }]
    })
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
    let mut doc = Map::new();
    doc.push("version", 1u64);
    doc.push("entries", existing.to_json());
    Value::Object(doc).to_text()
}
