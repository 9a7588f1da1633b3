//! The Server-Sent Events frame parser (the WHATWG `text/event-stream`
//! rules), sans-IO: the host feeds the body's text as it arrives, cut
//! anywhere (a CRLF split across chunks is one line end), and takes the
//! complete events.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `id:` field of this event, if it had one.
    pub id: Option<String>,
    /// The `event:` field, if any.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// The parser's state between chunks.
#[derive(Debug, Default)]
pub struct SseParser {
    line: String,
    /// The last chunk ended with a CR: a LF opening the next one belongs to it.
    after_cr: bool,
    /// Nothing read yet (a leading BOM is skipped).
    started: bool,
    current: SseEvent,
    has_data: bool,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds `chunk`; returns the events it completed, in order.
    pub fn push(&mut self, mut chunk: &str) -> Vec<SseEvent> {
        let mut out = Vec::new();
        if !self.started && !chunk.is_empty() {
            self.started = true;
            chunk = chunk.strip_prefix('\u{feff}').unwrap_or(chunk);
        }
        while !chunk.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if let Some(rest) = chunk.strip_prefix('\n') {
                    chunk = rest;
                    continue;
                }
            }
            // Checked splits (no panic path: it would bring `core::fmt`).
            let split = chunk
                .find(['\r', '\n'])
                .and_then(|i| chunk.split_at_checked(i));
            match split {
                Some((head, tail)) => {
                    self.line.push_str(head);
                    self.after_cr = tail.starts_with('\r');
                    chunk = tail.get(1..).unwrap_or_default();
                    let line = std::mem::take(&mut self.line);
                    if let Some(e) = self.on_line(&line) {
                        out.push(e);
                    }
                }
                None => {
                    self.line.push_str(chunk);
                    chunk = "";
                }
            }
        }
        out
    }

    fn on_line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            let mut e = std::mem::take(&mut self.current);
            if !std::mem::take(&mut self.has_data) {
                return None;
            }
            e.data.pop(); // the last line's `\n`
            return Some(e);
        }
        let (field, value) = match line.split_once(':') {
            Some(("", _)) => return None, // a comment
            Some((field, v)) => (field, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => {
                self.current.data.push_str(value);
                self.current.data.push('\n');
                self.has_data = true;
            }
            "event" => self.current.event = Some(value.to_owned()),
            "id" if !value.contains('\0') => self.current.id = Some(value.to_owned()),
            _ => {} // `retry` and unknown fields are ignored
        }
        None
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
