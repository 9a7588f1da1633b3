//! The one reading of a server acknowledgement, shared by the connection
//! (room joins), delivery, the queue and sync, so every part of the package
//! agrees on what "accepted" and "rejected" mean.
//!
//! The nself realtime server answers `{success:true}`, `{success:true,
//! data:{...}}` or `{success:false, error:{code, message}}`; extensions add
//! the stored message's id as `messageId`, `data.id` or `data.messageId`.

use crate::core::json::{self, Value};

/// The code of a rejection that names none.
pub const DEFAULT_REJECT_CODE: &str = "SERVER_ERROR";

/// What an acknowledgement says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckOutcome {
    /// `{success:true}`: the server took the request.
    Accepted {
        /// The server's id of the stored message, when it gives one
        /// (`messageId`, else `data.id`, else `data.messageId`; a string or
        /// an integer, as text).
        message_id: Option<String>,
    },
    /// `{success:false, error}`: the server refused the request.
    Rejected {
        /// The server's stable code (`error.code`), e.g. `ROOM_NOT_FOUND`;
        /// [`DEFAULT_REJECT_CODE`] when it gives none.
        code: String,
        /// The server's message (`error.message`, or `error` itself when it
        /// is a string).
        message: String,
    },
    /// Neither: not an object with a boolean `success`.
    Malformed {
        /// What was wrong, for logs.
        reason: String,
    },
}

impl AckOutcome {
    fn malformed(reason: &str) -> Self {
        AckOutcome::Malformed {
            reason: reason.to_owned(),
        }
    }
}

/// Classifies an ack as Socket.IO delivers it: the JSON array of the ack's
/// arguments (e.g. `[{"success":true}]`, as in `Effect::AckOk::data`). Only
/// the first argument counts; an empty array or non-JSON text is malformed.
pub fn classify_ack(args_json_array: &str) -> AckOutcome {
    match json::from_str(args_json_array) {
        Ok(Value::Array(args)) => match args.first() {
            Some(first) => classify_ack_value(first),
            None => AckOutcome::malformed("the acknowledgement has no argument"),
        },
        Ok(_) => AckOutcome::malformed("the acknowledgement is not an array"),
        Err(_) => AckOutcome::malformed("the acknowledgement is not JSON"),
    }
}

/// Classifies the first argument of an ack, already parsed.
pub fn classify_ack_value(answer: &Value) -> AckOutcome {
    let Some(obj) = answer.as_object() else {
        return AckOutcome::malformed("expected an object");
    };
    match obj.get("success") {
        Some(Value::Bool(true)) => {
            let data = obj.get("data");
            let message_id = obj
                .get("messageId")
                .and_then(id_text)
                .or_else(|| data.and_then(|d| d.get("id")).and_then(id_text))
                .or_else(|| data.and_then(|d| d.get("messageId")).and_then(id_text));
            AckOutcome::Accepted { message_id }
        }
        Some(Value::Bool(false)) => rejection(obj.get("error")),
        _ => AckOutcome::malformed("missing boolean `success`"),
    }
}

fn rejection(error: Option<&Value>) -> AckOutcome {
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let code =
        text(error.and_then(|e| e.get("code"))).unwrap_or_else(|| DEFAULT_REJECT_CODE.to_owned());
    let message = text(error.and_then(|e| e.get("message")))
        .or_else(|| text(error))
        .unwrap_or_else(|| "the server rejected the request".to_owned());
    AckOutcome::Rejected { code, message }
}

/// An id as text: a non-empty string, or an integer (some servers number
/// their rows).
pub(crate) fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) if n.is_u64() || n.is_i64() => {
            let mut text = String::new();
            n.write(&mut text);
            Some(text)
        }
        _ => None,
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
