//! Engine.IO v4 and Socket.IO v5 text packets, both directions.
//!
//! Decoding borrows from the frame: a [`SocketPacket`] keeps its namespace and
//! its JSON payload as slices of the text it came from, validated but not
//! parsed into values (the JavaScript side parses what a listener needs).
//! Binary packets are refused with [`CodecError::BinaryUnsupported`].

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodecError {
    /// The frame was empty.
    #[error("empty frame")]
    Empty,
    /// The frame is longer than the server's `maxPayload`.
    #[error("frame of {len} bytes exceeds the maximum payload of {max} bytes")]
    TooLarge {
        /// Frame length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The first character is not an Engine.IO packet type.
    #[error("unknown Engine.IO packet type {0:?}")]
    UnknownEngineType(char),
    /// The first character of a message is not a Socket.IO packet type.
    #[error("unknown Socket.IO packet type {0:?}")]
    UnknownSocketType(char),
    /// Binary Socket.IO packets (types 5 and 6) or binary frames.
    #[error("binary packets are not supported by this client")]
    BinaryUnsupported,
    /// The open packet is not the JSON handshake Engine.IO v4 sends.
    #[error("malformed handshake: {0}")]
    BadHandshake(String),
    /// The JSON payload is malformed or has the wrong shape for its packet type.
    #[error("malformed {kind} payload: {reason}")]
    BadPayload {
        /// The packet type whose payload failed.
        kind: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The ack id is not a number that fits in 64 bits.
    #[error("malformed ack id")]
    BadAckId,
}

/// The Engine.IO open handshake (`0{"sid":…}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handshake {
    /// Session id.
    pub sid: String,
    /// Transports the server offers to upgrade to.
    #[serde(default)]
    pub upgrades: Vec<String>,
    /// How often the server pings, in ms.
    pub ping_interval: u64,
    /// How long the server waits for a pong, in ms.
    pub ping_timeout: u64,
    /// The largest frame the server accepts, in bytes.
    #[serde(default = "default_max_payload")]
    pub max_payload: u64,
}

fn default_max_payload() -> u64 {
    1_000_000
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
            '0' => EnginePacket::Open(
                serde_json::from_str(rest).map_err(|e| CodecError::BadHandshake(e.to_string()))?,
            ),
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
                // Serializing a struct of strings and numbers cannot fail.
                format!("0{}", serde_json::to_string(h).unwrap_or_default())
            }
            EnginePacket::Close => "1".into(),
            EnginePacket::Ping(p) => format!("2{p}"),
            EnginePacket::Pong(p) => format!("3{p}"),
            EnginePacket::Message(m) => format!("4{m}"),
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
        if rest.starts_with('/') {
            let end = rest.find(',').unwrap_or(rest.len());
            nsp = &rest[..end];
            rest = rest.get(end + 1..).unwrap_or("");
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let id = if digits > 0 {
            Some(rest[..digits].parse().map_err(|_| CodecError::BadAckId)?)
        } else {
            None
        };
        rest = &rest[digits..];
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
        let shape = serde_json::from_str::<Shape>(data).map_err(|e| self.bad(e.to_string()))?;
        match (self.kind, shape) {
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
            out.push_str(&id.to_string());
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

/// The outer shape of a JSON payload, found without building a value: every
/// nested value is visited (so syntax, number ranges, string escapes and the
/// nesting limit are checked exactly as when parsing a `serde_json::Value`)
/// but nothing is allocated for it. This runs on every received packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Array { first_is_string: bool },
    Object,
    String,
    Other,
}

/// Any JSON value, visited and dropped; `true` if it was a string.
struct Skip(bool);

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor)
            .map(|s| Skip(s == Shape::String))
    }
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> serde::de::Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape::String)
    }
    fn visit_unit<E>(self) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        let first_is_string = seq.next_element::<Skip>()?.is_some_and(|s| s.0);
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Shape::Array { first_is_string })
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Shape::Object)
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
    let mut stream = serde_json::Deserializer::from_str(inner).into_iter::<String>();
    match stream.next() {
        Some(Ok(name)) => Ok(name),
        Some(Err(e)) => Err(bad(e.to_string())),
        None => Err(bad("an event needs a name".into())),
    }
}

/// Builds the JSON array `["name", arg]` of an event; `arg_json` must be JSON text.
pub fn event_payload(name: &str, arg_json: Option<&str>) -> String {
    // Serializing a &str cannot fail.
    let name = serde_json::to_string(name).unwrap_or_default();
    match arg_json {
        Some(arg) => format!("[{name},{arg}]"),
        None => format!("[{name}]"),
    }
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
    #[derive(Deserialize)]
    struct Err {
        message: Option<String>,
    }
    let Some(data) = data else {
        return "connection refused".into();
    };
    if let Ok(Err { message: Some(m) }) = serde_json::from_str::<Err>(data) {
        return m;
    }
    serde_json::from_str::<String>(data).unwrap_or_else(|_| "connection refused".into())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
