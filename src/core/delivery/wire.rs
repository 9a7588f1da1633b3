//! Small helpers shared by the delivery, queue and sync machines: room names,
//! Socket.IO ack parsing, lenient timestamps and the FNV-1a checksum.

use serde_json::Value;

use crate::core::ack::{classify_ack_value, AckOutcome};
use crate::core::Millis;

/// The Socket.IO room of a channel: `channel:{id}`, or
/// `channel:{id}:thread:{threadId}` for a thread. An id that already contains
/// `:` (e.g. `dm:42`) is taken as a room name as it is.
pub fn room_name(channel_id: &str, thread_id: Option<&str>) -> String {
    let base = if channel_id.contains(':') {
        channel_id.to_owned()
    } else {
        format!("channel:{channel_id}")
    };
    match thread_id {
        Some(t) if !t.is_empty() => format!("{base}:thread:{t}"),
        _ => base,
    }
}

/// The channel id of a room name: the inverse of [`room_name`] without thread
/// (`channel:abc` gives `abc`; any other room name is returned unchanged).
pub fn channel_id_from_room(room: &str) -> String {
    match room.strip_prefix("channel:") {
        Some(rest) if !rest.is_empty() && !rest.contains(':') => rest.to_owned(),
        _ => room.to_owned(),
    }
}

/// Why a request did not produce usable data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// The server answered `{success:false, error:{code, message}}`.
    #[error("server rejected the request ({code}): {message}")]
    Rejected {
        /// The server's error code.
        code: String,
        /// The server's error message.
        message: String,
    },
    /// The ack did not have the expected shape.
    #[error("malformed server answer: {0}")]
    Malformed(String),
    /// The host reported a transport failure (timeout, disconnect, ...).
    #[error("request failed: {0}")]
    Transport(String),
}

/// Parses a Socket.IO ack `{success:true, data}` and returns `data`
/// (`null` when absent). `Err` for `{success:false, ...}`, a non-object, or a
/// host-reported error. The classification is [`classify_ack_value`]'s.
pub fn parse_ack(result: &Result<Value, String>) -> Result<&Value, AckError> {
    static NULL: Value = Value::Null;
    let value = match result {
        Ok(v) => v,
        Err(e) => return Err(AckError::Transport(e.clone())),
    };
    match classify_ack_value(value) {
        AckOutcome::Accepted { .. } => Ok(value.get("data").unwrap_or(&NULL)),
        AckOutcome::Rejected { code, message } => Err(AckError::Rejected { code, message }),
        AckOutcome::Malformed { reason } => Err(AckError::Malformed(reason)),
    }
}

/// A string field of an object, if present and a non-empty string.
pub fn str_field<'a>(obj: &'a Value, name: &str) -> Option<&'a str> {
    obj.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Milliseconds since the epoch from a JSON value: a non-negative number, a
/// string of digits, or an ISO-8601 / RFC 3339 date (`2026-02-03T15:00:00.123Z`,
/// with `Z` or a `±HH:MM` offset). `None` for anything else.
pub fn parse_timestamp(value: &Value) -> Option<Millis> {
    match value {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                return Some(u);
            }
            let f = n.as_f64()?;
            if (0.0..9.0e15).contains(&f) {
                Some(f as Millis)
            } else {
                None
            }
        }
        Value::String(s) => parse_timestamp_str(s.trim()),
        _ => None,
    }
}

fn parse_timestamp_str(s: &str) -> Option<Millis> {
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    parse_iso8601(s)
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn digits(&mut self, n: usize) -> Option<i64> {
        let mut v: i64 = 0;
        for _ in 0..n {
            let d = self.peek().filter(u8::is_ascii_digit)?;
            v = v * 10 + i64::from(d - b'0');
            self.pos += 1;
        }
        Some(v)
    }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_iso8601(s: &str) -> Option<Millis> {
    let mut c = Cursor {
        bytes: s.as_bytes(),
        pos: 0,
    };
    let year = c.digits(4)?;
    if !c.eat(b'-') {
        return None;
    }
    let month = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (mut hour, mut minute, mut second, mut millis) = (0, 0, 0, 0);
    let mut offset_min: i64 = 0;
    if c.eat(b'T') || c.eat(b't') || c.eat(b' ') {
        hour = c.digits(2)?;
        if !c.eat(b':') {
            return None;
        }
        minute = c.digits(2)?;
        if c.eat(b':') {
            second = c.digits(2)?;
            if c.eat(b'.') || c.eat(b',') {
                let mut scale = 100;
                let mut any = false;
                while let Some(d) = c.peek().filter(u8::is_ascii_digit) {
                    millis += i64::from(d - b'0') * scale;
                    scale /= 10;
                    any = true;
                    c.pos += 1;
                }
                if !any {
                    return None;
                }
            }
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        match c.peek() {
            None => {}
            Some(b'Z') | Some(b'z') => c.pos += 1,
            Some(sign @ (b'+' | b'-')) => {
                c.pos += 1;
                let oh = c.digits(2)?;
                c.eat(b':');
                let om = c.digits(2)?;
                if oh > 23 || om > 59 {
                    return None;
                }
                offset_min = (oh * 60 + om) * if sign == b'+' { 1 } else { -1 };
            }
            Some(_) => return None,
        }
    }
    if c.peek().is_some() {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_min * 60;
    let ms = secs.checked_mul(1_000)?.checked_add(millis)?;
    Millis::try_from(ms).ok()
}

/// FNV-1a, 64 bits.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
