//! The strict RFC 8259 parser: one pass over the bytes, no panics, no
//! float parsing, nesting limited; [`validate`] runs the same code without
//! building anything (every received packet is checked that way).

use super::{Map, Number, Value};
use crate::core::decimal;

/// Deepest nesting of arrays and objects accepted (serde_json's limit).
const MAX_DEPTH: u32 = 127;

/// What was wrong with the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The text ended inside a value.
    Eof,
    /// A value was expected (`null`, `true`, `false`, a number, a string, `[` or `{`).
    ExpectedValue,
    /// An object key (a string) was expected.
    ExpectedKey,
    /// `:` was expected after a key.
    ExpectedColon,
    /// `,` or the closing bracket was expected.
    ExpectedCommaOrEnd,
    /// A malformed number (`01`, `1.`, `-`, `1e`).
    BadNumber,
    /// An unknown escape or a malformed `\u` escape.
    BadEscape,
    /// A `\u` escape of one half of a surrogate pair without the other.
    LoneSurrogate,
    /// A raw control character (below U+0020) inside a string.
    ControlChar,
    /// More than 127 nested arrays or objects.
    TooDeep,
    /// Something follows the value.
    Trailing,
    /// The bytes are not UTF-8.
    InvalidUtf8,
}

impl ErrorCode {
    /// A stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            ErrorCode::Eof => "json_eof",
            ErrorCode::ExpectedValue => "json_expected_value",
            ErrorCode::ExpectedKey => "json_expected_key",
            ErrorCode::ExpectedColon => "json_expected_colon",
            ErrorCode::ExpectedCommaOrEnd => "json_expected_comma",
            ErrorCode::BadNumber => "json_bad_number",
            ErrorCode::BadEscape => "json_bad_escape",
            ErrorCode::LoneSurrogate => "json_lone_surrogate",
            ErrorCode::ControlChar => "json_control_char",
            ErrorCode::TooDeep => "json_too_deep",
            ErrorCode::Trailing => "json_trailing",
            ErrorCode::InvalidUtf8 => "json_invalid_utf8",
        }
    }

    /// What it means, in words.
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::Eof => "unexpected end of the text",
            ErrorCode::ExpectedValue => "expected a value",
            ErrorCode::ExpectedKey => "expected a string key",
            ErrorCode::ExpectedColon => "expected ':'",
            ErrorCode::ExpectedCommaOrEnd => "expected ',' or the closing bracket",
            ErrorCode::BadNumber => "malformed number",
            ErrorCode::BadEscape => "malformed escape",
            ErrorCode::LoneSurrogate => "lone surrogate in a \\u escape",
            ErrorCode::ControlChar => "control character in a string",
            ErrorCode::TooDeep => "nested too deeply",
            ErrorCode::Trailing => "trailing characters after the value",
            ErrorCode::InvalidUtf8 => "invalid UTF-8",
        }
    }
}

/// Why a text is not JSON: a code and the byte offset where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error {
    /// What was wrong.
    pub code: ErrorCode,
    /// Byte offset in the text.
    pub offset: usize,
}

impl Error {
    /// A stable machine-readable code (`json_eof`, ...).
    pub fn code(&self) -> &'static str {
        self.code.code()
    }

    /// `"<message> at byte <offset>"`.
    pub fn describe(&self) -> String {
        let mut out = String::from(self.code.message());
        out.push_str(" at byte ");
        decimal::push_u64(&mut out, self.offset as u64);
        out
    }
}

/// Parses a JSON text into a [`Value`].
pub fn from_str(text: &str) -> Result<Value, Error> {
    let mut p = Parser::new(text);
    let value = p.value(true)?;
    p.end()?;
    Ok(value)
}

/// Parses JSON bytes (which must be UTF-8) into a [`Value`].
pub fn from_slice(bytes: &[u8]) -> Result<Value, Error> {
    let text = std::str::from_utf8(bytes).map_err(|e| Error {
        code: ErrorCode::InvalidUtf8,
        offset: e.valid_up_to(),
    })?;
    from_str(text)
}

/// Checks that `text` is one JSON value, allocating nothing.
pub fn validate(text: &str) -> Result<(), Error> {
    let mut p = Parser::new(text);
    p.value(false)?;
    p.end()
}

/// The JSON string at the start of `text` (after whitespace), whatever
/// follows it: the name of an event, read without parsing its arguments.
pub fn leading_str(text: &str) -> Result<String, Error> {
    let mut p = Parser::new(text);
    p.skip_ws();
    match p.peek() {
        Some(b'"') => p.pos += 1,
        None => return p.err(ErrorCode::Eof),
        Some(_) => return p.err(ErrorCode::ExpectedValue),
    }
    let mut s = String::new();
    p.string(Some(&mut s))?;
    Ok(s)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: u32,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            depth: 0,
        }
    }

    fn err<T>(&self, code: ErrorCode) -> Result<T, Error> {
        Err(Error {
            code,
            offset: self.pos,
        })
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// After the value: only whitespace.
    fn end(&mut self) -> Result<(), Error> {
        self.skip_ws();
        if self.pos < self.bytes.len() {
            return self.err(ErrorCode::Trailing);
        }
        Ok(())
    }

    /// One value; with `build` false it is checked and `Null` returned.
    fn value(&mut self, build: bool) -> Result<Value, Error> {
        self.skip_ws();
        match self.peek() {
            None => self.err(ErrorCode::Eof),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'"') => {
                self.pos += 1;
                if build {
                    let mut s = String::new();
                    self.string(Some(&mut s))?;
                    Ok(Value::String(s))
                } else {
                    self.string(None)?;
                    Ok(Value::Null)
                }
            }
            Some(b'-' | b'0'..=b'9') => {
                let lexeme = self.number()?;
                Ok(if build {
                    Value::Number(Number::from_lexeme(lexeme))
                } else {
                    Value::Null
                })
            }
            Some(b'[') => self.array(build),
            Some(b'{') => self.object(build),
            Some(_) => self.err(ErrorCode::ExpectedValue),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, Error> {
        let end = self.pos + word.len();
        match self.bytes.get(self.pos..end) {
            Some(b) if b == word.as_bytes() => {
                self.pos = end;
                Ok(value)
            }
            Some(_) => self.err(ErrorCode::ExpectedValue),
            None => {
                // A prefix of the word at the end is a truncated text.
                let rest = self.bytes.get(self.pos..).unwrap_or_default();
                if word.as_bytes().starts_with(rest) {
                    self.pos = self.bytes.len();
                    self.err(ErrorCode::Eof)
                } else {
                    self.err(ErrorCode::ExpectedValue)
                }
            }
        }
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(ErrorCode::TooDeep);
        }
        self.pos += 1;
        Ok(())
    }

    /// After a value inside brackets: `,` (true) or `close` (false).
    fn comma_or(&mut self, close: u8) -> Result<bool, Error> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                self.depth -= 1;
                Ok(false)
            }
            None => self.err(ErrorCode::Eof),
            Some(_) => self.err(ErrorCode::ExpectedCommaOrEnd),
        }
    }

    fn array(&mut self, build: bool) -> Result<Value, Error> {
        self.enter()?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(if build {
                Value::Array(items)
            } else {
                Value::Null
            });
        }
        loop {
            let item = self.value(build)?;
            if build {
                items.push(item);
            }
            if !self.comma_or(b']')? {
                break;
            }
        }
        Ok(if build {
            Value::Array(items)
        } else {
            Value::Null
        })
    }

    fn object(&mut self, build: bool) -> Result<Value, Error> {
        self.enter()?;
        let mut map = Map::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(if build {
                Value::Object(map)
            } else {
                Value::Null
            });
        }
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'"') => self.pos += 1,
                None => return self.err(ErrorCode::Eof),
                Some(_) => return self.err(ErrorCode::ExpectedKey),
            }
            let mut key = String::new();
            self.string(build.then_some(&mut key))?;
            self.skip_ws();
            match self.peek() {
                Some(b':') => self.pos += 1,
                None => return self.err(ErrorCode::Eof),
                Some(_) => return self.err(ErrorCode::ExpectedColon),
            }
            let value = self.value(build)?;
            if build {
                map.entries.push((key, value));
            }
            if !self.comma_or(b'}')? {
                break;
            }
        }
        Ok(if build {
            Value::Object(map)
        } else {
            Value::Null
        })
    }

    /// The rest of a string after its opening quote, unescaped into `out`.
    fn string(&mut self, mut out: Option<&mut String>) -> Result<(), Error> {
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            if let Some(out) = out.as_deref_mut() {
                // Both ends sit at ASCII bytes (or the end): char boundaries.
                out.push_str(self.text.get(start..self.pos).unwrap_or_default());
            }
            match self.peek() {
                None => return self.err(ErrorCode::Eof),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.escape()?;
                    if let Some(out) = out.as_deref_mut() {
                        out.push(c);
                    }
                }
                Some(_) => return self.err(ErrorCode::ControlChar),
            }
        }
    }

    /// One escape after its backslash.
    fn escape(&mut self) -> Result<char, Error> {
        let Some(b) = self.peek() else {
            return self.err(ErrorCode::Eof);
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(),
            _ => {
                self.pos -= 1;
                return self.err(ErrorCode::BadEscape);
            }
        })
    }

    /// A `\u` escape (after the `u`), joining a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, Error> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.pos..self.pos + 2) != Some(&b"\\u"[..]) {
                    return if self.pos + 2 > self.bytes.len() && self.at_prefix_of(b"\\u") {
                        self.pos = self.bytes.len();
                        self.err(ErrorCode::Eof)
                    } else {
                        self.err(ErrorCode::LoneSurrogate)
                    };
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return self.err(ErrorCode::LoneSurrogate);
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return self.err(ErrorCode::LoneSurrogate),
            n => n,
        };
        match char::from_u32(code) {
            Some(c) => Ok(c),
            None => self.err(ErrorCode::LoneSurrogate),
        }
    }

    /// Whether the rest of the text is a prefix of `s`.
    fn at_prefix_of(&self, s: &[u8]) -> bool {
        s.starts_with(self.bytes.get(self.pos..).unwrap_or_default())
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        // Fewer than four bytes left is the end of the input, whatever they
        // are (`"\u0e"` is cut short, not a bad escape), as serde_json says.
        if self.bytes.len().saturating_sub(self.pos) < 4 {
            self.pos = self.bytes.len();
            return self.err(ErrorCode::Eof);
        }
        let mut n = 0;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                None => return self.err(ErrorCode::Eof),
                Some(_) => return self.err(ErrorCode::BadEscape),
            };
            n = n * 16 + u32::from(d);
            self.pos += 1;
        }
        Ok(n)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, as a slice of the text.
    fn number(&mut self) -> Result<&'a str, Error> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            None => return self.err(ErrorCode::Eof),
            Some(_) => return self.err(ErrorCode::BadNumber),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.required_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.required_digits()?;
        }
        match self.text.get(start..self.pos) {
            Some(s) => Ok(s),
            None => self.err(ErrorCode::BadNumber),
        }
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn required_digits(&mut self) -> Result<(), Error> {
        match self.peek() {
            Some(b'0'..=b'9') => {
                self.digits();
                Ok(())
            }
            None => self.err(ErrorCode::Eof),
            Some(_) => self.err(ErrorCode::BadNumber),
        }
    }
}
