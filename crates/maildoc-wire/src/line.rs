//! CRLF line framing with a bound, and transcript-safe rendering of bytes.
//!
//! [`LineBuffer`] is fed whatever the socket produced ([`LineBuffer::push`]) and hands out
//! complete lines ([`LineBuffer::next_line`]) or exact byte counts for IMAP literals
//! ([`LineBuffer::take_exact`]). It never grows without bound:
//!
//! * a line (without its terminator) longer than `max_line` is refused with
//!   [`LineError::TooLong`], and from then on every call to `next_line` refuses again and
//!   pushed bytes are dropped: the connection is beyond repair;
//! * bytes pushed while no newline is buffered are refused as soon as they exceed the bound,
//!   without being stored, unless a `take_exact` is pending.
//!
//! Callers drain the buffer (until `Ok(None)`) after every push, as every sans-I/O reader
//! does; then memory stays below `max_line` + the pending `take_exact` + one pushed chunk.
//!
//! With a [`Redactor`] ([`LineBuffer::with_redactor`]), every line, literal and pending
//! text handed out has the password replaced in all the forms it was sent in, so that what a
//! server echoes never reaches a parser, a transcript or a finding.

use crate::secret::Redactor;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// Framing failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineError {
    /// A line longer than the bound; `len` is how many bytes without a newline were seen
    /// (at least; bytes after the bound may have been dropped uncounted).
    TooLong { len: usize },
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::TooLong { len } => {
                write!(f, "line too long ({len} bytes without a newline)")
            }
        }
    }
}

impl std::error::Error for LineError {}

/// Bounded CRLF (or bare LF) line framer.
#[derive(Clone, Debug)]
pub struct LineBuffer {
    buf: Vec<u8>,
    /// Bytes before `start` are consumed; compacted lazily.
    start: usize,
    max_line: usize,
    /// A pending `take_exact(n)` that could not be served yet.
    want: usize,
    /// Set once a too-long line was seen: the buffer refuses from then on.
    too_long: Option<usize>,
    redactor: Arc<Redactor>,
}

impl LineBuffer {
    /// A framer refusing lines longer than `max_line` bytes (terminator not counted).
    pub fn new(max_line: usize) -> Self {
        LineBuffer {
            buf: Vec::new(),
            start: 0,
            max_line,
            want: 0,
            too_long: None,
            redactor: Arc::default(),
        }
    }

    /// The same framer, redacting what it hands out with `redactor`.
    pub fn with_redactor(mut self, redactor: Arc<Redactor>) -> Self {
        self.redactor = redactor;
        self
    }

    /// The line bound given to [`LineBuffer::new`].
    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// Whether a too-long line was seen (every later `next_line` is an error).
    pub fn is_refusing(&self) -> bool {
        self.too_long.is_some()
    }

    /// Appends bytes read from the peer.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.too_long.is_some() || bytes.is_empty() {
            return;
        }
        self.compact();
        if self.want == 0 && !bytes.contains(&b'\n') {
            let pending = &self.buf[self.start..];
            if !pending.contains(&b'\n') {
                let total = pending.len().saturating_add(bytes.len());
                let last_is_cr = bytes.last() == Some(&b'\r');
                let effective = if last_is_cr { total - 1 } else { total };
                if effective > self.max_line {
                    self.refuse(total);
                    return;
                }
            }
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete line without its CRLF (or LF), decoded as lossy UTF-8.
    ///
    /// `Ok(None)`: more bytes are needed. `Err(TooLong)`: the peer sent a line longer than the
    /// bound; every later call returns the same error.
    pub fn next_line(&mut self) -> Result<Option<String>, LineError> {
        if let Some(len) = self.too_long {
            return Err(LineError::TooLong { len });
        }
        let pending = &self.buf[self.start..];
        match pending.iter().position(|&b| b == b'\n') {
            Some(nl) => {
                let mut end = nl;
                if end > 0 && pending[end - 1] == b'\r' {
                    end -= 1;
                }
                if end > self.max_line {
                    self.refuse(end);
                    return Err(LineError::TooLong { len: end });
                }
                let line = String::from_utf8_lossy(&self.redactor.redact_bytes(&pending[..end]))
                    .into_owned();
                self.start += nl + 1;
                if self.start == self.buf.len() {
                    self.buf.clear();
                    self.start = 0;
                }
                Ok(Some(line))
            }
            None => {
                let mut len = pending.len();
                if pending.last() == Some(&b'\r') {
                    len -= 1;
                }
                if len > self.max_line {
                    let total = pending.len();
                    self.refuse(total);
                    return Err(LineError::TooLong { len: total });
                }
                Ok(None)
            }
        }
    }

    /// Exactly `n` bytes (an IMAP literal), or `None` while fewer are buffered.
    ///
    /// A `None` records that `n` bytes are wanted, so that [`LineBuffer::push`] accepts them
    /// even without a newline. The caller bounds `n`.
    pub fn take_exact(&mut self, n: usize) -> Option<Vec<u8>> {
        let pending = self.buf.len() - self.start;
        if pending < n {
            self.want = n;
            return None;
        }
        self.want = 0;
        let out = self
            .redactor
            .redact_bytes(&self.buf[self.start..self.start + n])
            .into_owned();
        self.start += n;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        Some(out)
    }

    /// The bytes received and not yet consumed, as they came: for classifying, never for
    /// showing (see [`LineBuffer::pending_shown`]).
    pub fn buffered(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// The bytes received and not yet consumed, redacted and made [`printable`] (at most
    /// `max` characters).
    pub fn pending_shown(&self, max: usize) -> String {
        let pending: Cow<'_, [u8]> = self.redactor.redact_bytes(self.buffered());
        printable(&pending, max)
    }

    fn refuse(&mut self, len: usize) {
        self.too_long = Some(len);
        self.buf = Vec::new();
        self.start = 0;
        self.want = 0;
    }

    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }
}

/// Renders peer bytes for a transcript: lossy UTF-8, control characters escaped (`\x00`,
/// `\x1b`, `\x7f`, C1 controls and bidirectional overrides as `\u{202e}`), at most `max`
/// characters, followed by `…` when cut.
///
/// An escape is never split: it is either whole or cut entirely.
pub fn printable(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    let mut count = 0usize;
    let mut unit = String::new();
    for c in text.chars() {
        unit.clear();
        escape_char(c, &mut unit);
        let n = unit.chars().count();
        if count + n > max {
            out.push('…');
            return out;
        }
        out.push_str(&unit);
        count += n;
    }
    out
}

fn escape_char(c: char, out: &mut String) {
    use std::fmt::Write;
    let code = u32::from(c);
    if c.is_ascii_control() {
        let _ = write!(out, "\\x{code:02x}");
    } else if c.is_control() || is_bidi_control(c) {
        let _ = write!(out, "\\u{{{code:04x}}}");
    } else {
        out.push(c);
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn lines(buf: &mut LineBuffer) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(l) = buf.next_line().unwrap() {
            out.push(l);
        }
        out
    }

    #[test]
    fn crlf_and_bare_lf() {
        let mut b = LineBuffer::new(100);
        b.push(b"220 mx.example ESMTP Postfix\r\n250-one\n250 two\r");
        assert_eq!(lines(&mut b), ["220 mx.example ESMTP Postfix", "250-one"]);
        assert_eq!(b.buffered(), b"250 two\r");
        b.push(b"\n");
        assert_eq!(lines(&mut b), ["250 two"]);
        assert!(b.buffered().is_empty());
    }

    #[test]
    fn split_across_pushes() {
        let mut b = LineBuffer::new(100);
        for byte in b"+OK Dovecot ready.\r\n" {
            assert_eq!(b.next_line().unwrap(), None);
            b.push(&[*byte]);
        }
        assert_eq!(
            b.next_line().unwrap().as_deref(),
            Some("+OK Dovecot ready.")
        );
        assert_eq!(b.next_line().unwrap(), None);
    }

    #[test]
    fn empty_line() {
        let mut b = LineBuffer::new(10);
        b.push(b"\r\n\n");
        assert_eq!(lines(&mut b), ["", ""]);
    }

    #[test]
    fn lossy_utf8() {
        let mut b = LineBuffer::new(100);
        b.push(b"* OK caf\xc3\xa9 \xff\r\n");
        assert_eq!(lines(&mut b), ["* OK café \u{fffd}"]);
    }

    #[test]
    fn exact_bound_is_accepted() {
        let mut b = LineBuffer::new(5);
        b.push(b"12345\r");
        assert_eq!(b.next_line().unwrap(), None);
        b.push(b"\n");
        assert_eq!(b.next_line().unwrap().as_deref(), Some("12345"));
        b.push(b"123456\r\n");
        assert_eq!(b.next_line(), Err(LineError::TooLong { len: 6 }));
        // Keeps refusing, and drops what comes after.
        b.push(b"ok\r\n");
        assert!(b.next_line().is_err());
        assert!(b.buffered().is_empty());
    }

    #[test]
    fn lines_before_a_long_tail_are_still_delivered() {
        let mut b = LineBuffer::new(8);
        b.push(b"short\r\nthis one is far too long");
        assert_eq!(b.next_line().unwrap().as_deref(), Some("short"));
        assert!(matches!(b.next_line(), Err(LineError::TooLong { .. })));
    }

    #[test]
    fn megabyte_line_is_refused_without_growth() {
        let mut b = LineBuffer::new(8192);
        let chunk = vec![b'x'; 4096];
        let mut refused = false;
        for _ in 0..256 {
            b.push(&chunk);
            assert!(b.buffered().len() <= 8192);
            if let Err(LineError::TooLong { len }) = b.next_line() {
                assert!(len > 8192);
                refused = true;
            }
        }
        assert!(refused);
        assert!(b.buffered().is_empty());
        // One giant push is refused without being stored.
        let mut b = LineBuffer::new(8192);
        b.push(&vec![b'y'; 1 << 20]);
        assert!(b.buffered().is_empty());
        assert_eq!(b.next_line(), Err(LineError::TooLong { len: 1 << 20 }));
    }

    #[test]
    fn long_line_with_newline_in_one_push() {
        let mut b = LineBuffer::new(4);
        b.push(b"abcdefgh\r\nok\r\n");
        assert!(matches!(b.next_line(), Err(LineError::TooLong { len: 8 })));
    }

    #[test]
    fn take_exact_literal() {
        let mut b = LineBuffer::new(4);
        b.push(b"{10}\r\n0123");
        assert_eq!(b.next_line().unwrap().as_deref(), Some("{10}"));
        assert_eq!(b.take_exact(10), None);
        // Literal bytes without newline beyond max_line are accepted while wanted.
        b.push(b"456789)\r\n");
        assert_eq!(b.take_exact(10).unwrap(), b"0123456789");
        assert_eq!(b.next_line().unwrap().as_deref(), Some(")"));
        assert_eq!(b.take_exact(0).unwrap(), b"");
    }

    #[test]
    fn printable_escapes_and_truncates() {
        assert_eq!(
            printable(b"a\x00b\x1b[31m\x7f", 100),
            "a\\x00b\\x1b[31m\\x7f"
        );
        assert_eq!(printable(b"tab\there", 100), "tab\\x09here");
        assert_eq!(
            printable("x\u{202e}y\u{85}".as_bytes(), 100),
            "x\\u{202e}y\\u{0085}"
        );
        assert_eq!(printable(b"hello world", 5), "hello…");
        assert_eq!(printable(b"hello", 5), "hello");
        assert_eq!(printable(b"ab\x00", 3), "ab…");
        assert_eq!(printable(b"\xff", 10), "\u{fffd}");
        assert_eq!(printable(b"", 0), "");
        assert_eq!(printable(b"a", 0), "…");
    }
}
