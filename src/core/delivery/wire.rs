//! Small helpers shared by the delivery, queue and sync machines: Socket.IO
//! ack parsing, string fields and the FNV-1a checksum.

use crate::core::json::Value;

use crate::core::ack::{classify_ack_value, AckOutcome};
use crate::core::decimal::{cat, display_for_tests};

/// Why a request did not produce usable data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckError {
    /// The server answered `{success:false, error:{code, message}}`.
    Rejected {
        /// The server's error code.
        code: String,
        /// The server's error message.
        message: String,
    },
    /// The ack did not have the expected shape.
    Malformed(String),
    /// The host reported a transport failure (timeout, disconnect, ...).
    Transport(String),
}

impl AckError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AckError::Rejected { .. } => "rejected",
            AckError::Malformed(_) => "malformed",
            AckError::Transport(_) => "transport",
        }
    }

    /// What went wrong, in words.
    pub fn message(&self) -> String {
        match self {
            AckError::Rejected { code, message } => {
                cat!("server rejected the request (", code, "): ", message)
            }
            AckError::Malformed(why) => cat!("malformed server answer: ", why),
            AckError::Transport(why) => cat!("request failed: ", why),
        }
    }
}

display_for_tests!(AckError);

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
