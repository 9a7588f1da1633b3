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
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds `chunk`; returns the events it completed, in order.
    pub fn push(&mut self, chunk: &str) -> Vec<SseEvent> {
        let mut out = Vec::new();
        self.feed(chunk, |e| out.push(e));
        out
    }

    /// Feeds `chunk`; hands each event it completes to `f`, in order.
    pub fn feed(&mut self, mut chunk: &str, mut f: impl FnMut(SseEvent)) {
        if !self.started && !chunk.is_empty() {
            self.started = true;
            chunk = chunk.strip_prefix('\u{feff}').unwrap_or(chunk);
        }
        // Line ends are ASCII: their byte offsets are char boundaries, and
        // checked slices keep panics (and `core::fmt`) out.
        let mut start = 0;
        for (i, b) in chunk.bytes().enumerate() {
            if b != b'\r' && b != b'\n' {
                continue;
            }
            let after_cr = std::mem::replace(&mut self.after_cr, b == b'\r');
            let part = chunk.get(start..i).unwrap_or_default();
            start = i + 1;
            if b == b'\n' && after_cr && part.is_empty() && self.line.is_empty() {
                continue; // the LF of a CRLF
            }
            self.line.push_str(part);
            let line = std::mem::take(&mut self.line);
            if let Some(e) = self.on_line(&line) {
                f(e);
            }
        }
        self.line.push_str(chunk.get(start..).unwrap_or_default());
    }

    fn on_line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            // Every `data` line ends with a `\n`: no data, no event.
            let mut e = std::mem::take(&mut self.current);
            e.data.pop()?; // the last line's `\n`
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
