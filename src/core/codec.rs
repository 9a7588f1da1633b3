//! Engine.IO v4 and Socket.IO v5 text packets, both directions.
//!
//! Decoding borrows from the frame: a [`SocketPacket`] keeps its namespace and
//! its JSON payload as slices of the text it came from, validated but not
//! parsed into values (the JavaScript side parses what a listener needs).
//! Binary packets are refused with [`CodecError::BinaryUnsupported`].

use crate::core::decimal::{cat, display_for_tests};
use crate::core::json::{self, Map, ToJson, Value};

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// The frame was empty.
    Empty,
    /// The frame is longer than the server's `maxPayload`.
    TooLarge {
        /// Frame length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The first character is not an Engine.IO packet type.
    UnknownEngineType(char),
    /// The first character of a message is not a Socket.IO packet type.
    UnknownSocketType(char),
    /// Binary Socket.IO packets (types 5 and 6) or binary frames.
    BinaryUnsupported,
    /// The open packet is not the JSON handshake Engine.IO v4 sends.
    BadHandshake(String),
    /// The JSON payload is malformed or has the wrong shape for its packet type.
    BadPayload {
        /// The packet type whose payload failed.
        kind: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The ack id is not a number that fits in 64 bits.
    BadAckId,
}

impl CodecError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CodecError::Empty => "empty_frame",
            CodecError::TooLarge { .. } => "frame_too_large",
            CodecError::UnknownEngineType(_) => "unknown_engine_type",
            CodecError::UnknownSocketType(_) => "unknown_socket_type",
            CodecError::BinaryUnsupported => "binary_unsupported",
            CodecError::BadHandshake(_) => "bad_handshake",
            CodecError::BadPayload { .. } => "bad_payload",
            CodecError::BadAckId => "bad_ack_id",
        }
    }

    /// What went wrong, in words.
    pub fn message(&self) -> String {
        match self {
            CodecError::Empty => "empty frame".into(),
            CodecError::TooLarge { len, max } => cat!(
                "frame of ",
                len,
                " bytes exceeds the maximum payload of ",
                max,
                " bytes"
            ),
            CodecError::UnknownEngineType(c) => cat!("unknown Engine.IO packet type '", c, '\''),
            CodecError::UnknownSocketType(c) => cat!("unknown Socket.IO packet type '", c, '\''),
            CodecError::BinaryUnsupported => {
                "binary packets are not supported by this client".into()
            }
            CodecError::BadHandshake(why) => cat!("malformed handshake: ", why),
            CodecError::BadPayload { kind, reason } => {
                cat!("malformed ", kind, " payload: ", reason)
            }
            CodecError::BadAckId => "malformed ack id".into(),
        }
    }
}

display_for_tests!(CodecError);

/// The Engine.IO open handshake (`0{"sid":…}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// Session id.
    pub sid: String,
    /// Transports the server offers to upgrade to.
    pub upgrades: Vec<String>,
    /// How often the server pings, in ms.
    pub ping_interval: u64,
    /// How long the server waits for a pong, in ms.
    pub ping_timeout: u64,
    /// The largest frame the server accepts, in bytes.
    pub max_payload: u64,
}

/// `maxPayload` when the handshake does not say (Engine.IO's default).
const DEFAULT_MAX_PAYLOAD: u64 = 1_000_000;

impl Handshake {
    /// Reads the open packet's JSON: `sid`, `pingInterval` and
    /// `pingTimeout` are required, `upgrades` and `maxPayload` optional;
    /// other keys are ignored.
    pub fn parse(text: &str) -> Result<Self, CodecError> {
        let bad = |what: &str| CodecError::BadHandshake(what.to_owned());
        let value = json::from_str(text).map_err(|e| CodecError::BadHandshake(e.describe()))?;
        let obj = value.as_object().ok_or_else(|| bad("not a JSON object"))?;
        let number = |key: &str, message: &str| {
            obj.get(key)
                .and_then(Value::as_u64)
                .ok_or_else(|| bad(message))
        };
        let upgrades = match obj.get("upgrades") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|u| u.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| bad("upgrades must be an array of strings"))?,
            Some(_) => return Err(bad("upgrades must be an array of strings")),
        };
        Ok(Handshake {
            sid: obj
                .get("sid")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("sid must be a string"))?
                .to_owned(),
            upgrades,
            ping_interval: number(
                "pingInterval",
                "pingInterval must be a non-negative integer",
            )?,
            ping_timeout: number("pingTimeout", "pingTimeout must be a non-negative integer")?,
            max_payload: match obj.get("maxPayload") {
                None => DEFAULT_MAX_PAYLOAD,
                Some(_) => number("maxPayload", "maxPayload must be a non-negative integer")?,
            },
        })
    }
}

impl ToJson for Handshake {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.push("sid", self.sid.as_str());
        o.push("upgrades", &self.upgrades);
        o.push("pingInterval", self.ping_interval);
        o.push("pingTimeout", self.ping_timeout);
        o.push("maxPayload", self.max_payload);
        Value::Object(o)
    }
}

/// An Engine.IO v4 packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnginePacket<'a> {
    /// `0`: the handshake.
    Open(Handshake),
    /// `1`: the transport is closing.
    Close,
    /// `2`: a ping (server to client in v4), with an optional payload such as `probe`.
    Ping(&'a str),
    /// `3`: the answer to a ping, echoing its payload.
    Pong(&'a str),
    /// `4`: a message carrying a Socket.IO packet.
    Message(&'a str),
    /// `5`: transport upgrade.
    Upgrade,
    /// `6`: no operation.
    Noop,
}

impl<'a> EnginePacket<'a> {
    /// Decodes a text frame, refusing frames longer than `max_payload` bytes.
    pub fn decode(frame: &'a str, max_payload: usize) -> Result<Self, CodecError> {
        if frame.len() > max_payload {
            return Err(CodecError::TooLarge {
                len: frame.len(),
                max: max_payload,
            });
        }
        let mut chars = frame.chars();
        let kind = chars.next().ok_or(CodecError::Empty)?;
        let rest = chars.as_str();
        Ok(match kind {
            '0' => EnginePacket::Open(Handshake::parse(rest)?),
            '1' => EnginePacket::Close,
            '2' => EnginePacket::Ping(rest),
            '3' => EnginePacket::Pong(rest),
            '4' => EnginePacket::Message(rest),
            '5' => EnginePacket::Upgrade,
            '6' => EnginePacket::Noop,
            'b' => return Err(CodecError::BinaryUnsupported),
            other => return Err(CodecError::UnknownEngineType(other)),
        })
    }

    /// Encodes the packet as a text frame.
    pub fn encode(&self) -> String {
        match self {
            EnginePacket::Open(h) => {
                let mut out = String::from("0");
                h.to_json().write(&mut out);
                out
            }
            EnginePacket::Close => "1".into(),
            EnginePacket::Ping(p) => cat!('2', p),
            EnginePacket::Pong(p) => cat!('3', p),
            EnginePacket::Message(m) => cat!('4', m),
            EnginePacket::Upgrade => "5".into(),
            EnginePacket::Noop => "6".into(),
        }
    }
}

/// Socket.IO v5 packet types this client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketKind {
    /// `0`: connect to a namespace (client, with auth) or its confirmation (server).
    Connect,
    /// `1`: leave a namespace.
    Disconnect,
    /// `2`: an event `["name", ...args]`.
    Event,
    /// `3`: the answer to an event that asked for an ack, `[...args]`.
    Ack,
    /// `4`: the server refused the connection, `{message, data?}`.
    ConnectError,
}

impl SocketKind {
    fn digit(self) -> char {
        match self {
            SocketKind::Connect => '0',
            SocketKind::Disconnect => '1',
            SocketKind::Event => '2',
            SocketKind::Ack => '3',
            SocketKind::ConnectError => '4',
        }
    }

    fn name(self) -> &'static str {
        match self {
            SocketKind::Connect => "CONNECT",
            SocketKind::Disconnect => "DISCONNECT",
            SocketKind::Event => "EVENT",
            SocketKind::Ack => "ACK",
            SocketKind::ConnectError => "CONNECT_ERROR",
        }
    }
}

/// A Socket.IO v5 packet; namespace and data borrow from the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketPacket<'a> {
    /// Packet type.
    pub kind: SocketKind,
    /// Namespace, `/` by default.
    pub nsp: &'a str,
    /// Ack id, for events that want an answer and for the answers.
    pub id: Option<u64>,
    /// The JSON payload as text, validated against the packet type.
    pub data: Option<&'a str>,
}

impl<'a> SocketPacket<'a> {
    /// Decodes the body of an Engine.IO message.
    pub fn decode(msg: &'a str) -> Result<Self, CodecError> {
        let mut chars = msg.chars();
        let kind = match chars.next().ok_or(CodecError::Empty)? {
            '0' => SocketKind::Connect,
            '1' => SocketKind::Disconnect,
            '2' => SocketKind::Event,
            '3' => SocketKind::Ack,
            '4' => SocketKind::ConnectError,
            '5' | '6' => return Err(CodecError::BinaryUnsupported),
            other => return Err(CodecError::UnknownSocketType(other)),
        };
        let mut rest = chars.as_str();
        let mut nsp = "/";
        // Slices by `get` (the bounds are ASCII positions): no panic path.
        if rest.starts_with('/') {
            let end = rest.find(',').unwrap_or(rest.len());
            nsp = rest.get(..end).unwrap_or(rest);
            rest = rest.get(end + 1..).unwrap_or("");
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (number, after) = (
            rest.get(..digits).unwrap_or(""),
            rest.get(digits..).unwrap_or(""),
        );
        let id = if digits > 0 {
            Some(number.parse().map_err(|_| CodecError::BadAckId)?)
        } else {
            None
        };
        rest = after;
        let data = if rest.is_empty() { None } else { Some(rest) };
        let packet = SocketPacket {
            kind,
            nsp,
            id,
            data,
        };
        packet.validate()?;
        Ok(packet)
    }

    fn bad(&self, reason: impl Into<String>) -> CodecError {
        CodecError::BadPayload {
            kind: self.kind.name(),
            reason: reason.into(),
        }
    }

    fn validate(&self) -> Result<(), CodecError> {
        let Some(data) = self.data else {
            return match self.kind {
                SocketKind::Event | SocketKind::Ack | SocketKind::ConnectError => {
                    Err(self.bad("missing"))
                }
                SocketKind::Connect | SocketKind::Disconnect => Ok(()),
            };
        };
        json::validate(data).map_err(|e| self.bad(e.describe()))?;
        match (self.kind, Shape::of(data)) {
            (SocketKind::Event, Shape::Array { first_is_string }) => {
                if first_is_string {
                    Ok(())
                } else {
                    Err(self.bad("an event needs a name as the first element"))
                }
            }
            (SocketKind::Event, _) => Err(self.bad("an event must be an array")),
            (SocketKind::Ack, Shape::Array { .. }) => Ok(()),
            (SocketKind::Ack, _) => Err(self.bad("an ack must be an array")),
            (SocketKind::Connect, Shape::Object) => Ok(()),
            (SocketKind::Connect, _) => Err(self.bad("must be an object")),
            (SocketKind::ConnectError, Shape::Object | Shape::String) => Ok(()),
            (SocketKind::ConnectError, _) => Err(self.bad("must be an object or a string")),
            (SocketKind::Disconnect, _) => Err(self.bad("must be empty")),
        }
    }
    /// Encodes the packet as the body of an Engine.IO message (without the `4`).
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(8 + self.data.map_or(0, str::len));
        out.push(self.kind.digit());
        if self.nsp != "/" && !self.nsp.is_empty() {
            out.push_str(self.nsp);
            out.push(',');
        }
        if let Some(id) = self.id {
            crate::core::decimal::push_u64(&mut out, id);
        }
        if let Some(d) = self.data {
            out.push_str(d);
        }
        out
    }

    /// Encodes the packet as a whole Engine.IO message frame (`4…`).
    pub fn encode_frame(&self) -> String {
        let mut s = String::with_capacity(1 + self.data.map_or(8, |d| d.len() + 8));
        s.push('4');
        s.push_str(&self.encode());
        s
    }
}

/// The outer shape of a JSON payload that [`json::validate`] accepted: its
/// first character says what it is (nothing is allocated; this runs on
/// every received packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Array { first_is_string: bool },
    Object,
    String,
    Other,
}

impl Shape {
    fn of(valid: &str) -> Shape {
        let text = valid.trim_start();
        match text.as_bytes().first() {
            Some(b'[') => Shape::Array {
                first_is_string: text
                    .get(1..)
                    .unwrap_or_default()
                    .trim_start()
                    .starts_with('"'),
            },
            Some(b'{') => Shape::Object,
            Some(b'"') => Shape::String,
            _ => Shape::Other,
        }
    }
}

/// The name of an event from its payload `["name", ...]`.
///
/// Only the first element is parsed; the payload is assumed validated by
/// [`SocketPacket::decode`].
pub fn event_name(data: &str) -> Result<String, CodecError> {
    let bad = |reason: String| CodecError::BadPayload {
        kind: "EVENT",
        reason,
    };
    let inner = data
        .trim_start()
        .strip_prefix('[')
        .ok_or_else(|| bad("an event must be an array".into()))?;
    if inner.trim().is_empty() {
        return Err(bad("an event needs a name".into()));
    }
    json::leading_str(inner).map_err(|e| bad(e.describe()))
}

/// Builds the JSON array `["name", arg]` of an event; `arg_json` must be JSON text.
pub fn event_payload(name: &str, arg_json: Option<&str>) -> String {
    let mut out = String::with_capacity(name.len() + arg_json.map_or(4, |a| a.len() + 5));
    out.push('[');
    json::push_json_str(&mut out, name);
    if let Some(arg) = arg_json {
        out.push(',');
        out.push_str(arg);
    }
    out.push(']');
    out
}

/// The CONNECT frame for namespace `nsp` with an auth object (JSON text).
pub fn connect_frame(nsp: &str, auth_json: Option<&str>) -> String {
    SocketPacket {
        kind: SocketKind::Connect,
        nsp,
        id: None,
        data: auth_json,
    }
    .encode_frame()
}

/// The message of a CONNECT_ERROR payload (`{message}` or a bare string).
pub fn connect_error_message(data: Option<&str>) -> String {
    match data.map(json::from_str) {
        Some(Ok(Value::Object(obj))) => match obj.get("message") {
            Some(Value::String(m)) => m.clone(),
            _ => "connection refused".into(),
        },
        Some(Ok(Value::String(m))) => m,
        _ => "connection refused".into(),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
