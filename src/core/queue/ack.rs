//! Classifies the answer to a `message:send`: sent, or a failed attempt with
//! the server's error code.
//!
//! Accepted as sent: the real server's `{success:true}` (no id),
//! `{success:true, messageId}` and the test server's `{success:true, data:{id,
//! clientMessageId?, timestamp?, duplicate?}}`. A failed attempt:
//! `{success:false, error:{code, message}}` (the code is kept), a host error
//! (timeout, transport), anything malformed, or an ack naming another
//! clientMessageId.

use crate::core::json::Value;

use crate::core::ack::{classify_ack_value, AckOutcome};
use crate::core::delivery::wire::{parse_ack, str_field, AckError};
use crate::core::time::parse as parse_timestamp;
use crate::core::Millis;

/// What a successful ack told about the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendAck {
    /// The server's id, when the ack carries one.
    pub message_id: Option<String>,
    /// The server's timestamp, when the ack carries one.
    pub timestamp: Option<Millis>,
    /// The server had it already (de-duplicated by clientMessageId).
    pub duplicate: bool,
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    /// Human-readable reason (becomes `lastError`).
    pub error: String,
    /// The server's error code when it rejected the message (`lastErrorCode`).
    pub code: Option<String>,
}

/// Sent or failed, from the ack (`Err(text)`: the host's timeout or transport
/// error) of the `message:send` of `client_message_id`.
pub fn classify_send_ack(
    result: &Result<Value, String>,
    client_message_id: &str,
) -> Result<SendAck, SendFailure> {
    let data = parse_ack(result).map_err(|e| SendFailure {
        code: match &e {
            AckError::Rejected { code, .. } => Some(code.clone()),
            AckError::Malformed(_) | AckError::Transport(_) => None,
        },
        error: e.message(),
    })?;
    // `parse_ack` has checked `{success:true}`; the id may sit at the top
    // level or in `data`.
    let top = result.as_ref().ok().unwrap_or(&Value::Null);
    let acked_cid =
        str_field(data, "clientMessageId").or_else(|| str_field(top, "clientMessageId"));
    if let Some(acked) = acked_cid {
        if acked != client_message_id {
            return Err(SendFailure {
                error: crate::core::decimal::cat!(
                    "malformed server answer: ack is for clientMessageId ",
                    acked,
                    ", expected ",
                    client_message_id
                ),
                code: None,
            });
        }
    }
    // The id follows the one rule of `core::ack`.
    let message_id = match classify_ack_value(top) {
        AckOutcome::Accepted { message_id } => message_id,
        _ => None,
    };
    Ok(SendAck {
        message_id,
        timestamp: data
            .get("timestamp")
            .or_else(|| top.get("timestamp"))
            .and_then(parse_timestamp),
        duplicate: data
            .get("duplicate")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}
