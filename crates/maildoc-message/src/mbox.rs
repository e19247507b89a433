//! An mbox read one message at a time, whatever its size: each message starts at a `From `
//! line with a sender and a time (`From a@example.jp Mon Dec  7 03:00:00 2026`) at the start
//! of the file or after a blank line; a body's own `From ` line without them is text
//! (mboxrd's `>From ` quoting is left as it is). A message larger than the limit is cut there and the rest skipped up to
//! the next one, so memory stays bounded by one message.

use std::io::BufRead;

/// An mbox separator: `From `, a sender, and a time of day somewhere after it.
pub(crate) fn separator(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    let text = String::from_utf8_lossy(rest);
    let mut words = text.split_whitespace();
    words.next().is_some()
        && words.any(|w| {
            let b = w.as_bytes();
            b.len() >= 5 && b[2] == b':' && b[..2].iter().chain(&b[3..5]).all(u8::is_ascii_digit)
        })
}

/// The most of one line kept in memory: a line longer than this (a file with no line ends)
/// is read through, and only its start is kept.
const LINE_KEPT: usize = 64 * 1024;

/// Reads one line (through its `\n`) into `line`, keeping at most `kept` bytes of it; the
/// bytes read.
fn read_line<R: BufRead>(
    reader: &mut R,
    line: &mut Vec<u8>,
    kept: usize,
) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(total);
        }
        let (chunk, end) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let room = kept.saturating_sub(line.len());
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let n = chunk.len();
        reader.consume(n);
        total += n;
        if end {
            return Ok(total);
        }
    }
}

/// The messages of an mbox, in order.
#[derive(Debug)]
pub struct Mbox<R> {
    reader: R,
    limit: usize,
    /// The `From ` line that starts the next message, once read.
    next_from: bool,
    done: bool,
}

impl<R: BufRead> Mbox<R> {
    /// Messages of at most `limit` bytes each (more is cut).
    pub fn new(reader: R, limit: usize) -> Self {
        Mbox {
            reader,
            limit,
            next_from: false,
            done: false,
        }
    }
}

impl<R: BufRead> Iterator for Mbox<R> {
    type Item = std::io::Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut message = Vec::new();
        let mut line = Vec::new();
        let mut previous_blank = true;
        let mut started = self.next_from;
        loop {
            line.clear();
            match read_line(&mut self.reader, &mut line, LINE_KEPT) {
                Ok(0) => {
                    self.done = true;
                    return started.then_some(Ok(message));
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
            let is_from = previous_blank && separator(&line);
            if is_from {
                if started {
                    self.next_from = true;
                    return Some(Ok(message));
                }
                started = true;
                previous_blank = false;
                continue;
            }
            if !started {
                // Text before the first From line: not an mbox message.
                if !line.iter().all(u8::is_ascii_whitespace) {
                    started = true;
                } else {
                    continue;
                }
            }
            previous_blank = line.iter().all(u8::is_ascii_whitespace);
            if message.len() < self.limit {
                let room = self.limit - message.len();
                message.extend_from_slice(&line[..line.len().min(room)]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn messages(text: &[u8], limit: usize) -> Vec<Vec<u8>> {
        Mbox::new(text, limit).map(Result::unwrap).collect()
    }

    #[test]
    fn each_message_between_from_lines_and_a_cut_for_a_large_one() {
        let mbox = b"From a@example.jp Mon Dec  7 03:00:00 2026\nSubject: one\n\nFrom the body, not a separator\n\nFrom b@example.jp Mon Dec  7 03:01:00 2026\nSubject: two\n\nbody two\n";
        let m = messages(mbox, 1 << 20);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0], b"Subject: one\n\nFrom the body, not a separator\n\n");
        assert_eq!(m[1], b"Subject: two\n\nbody two\n");
        let cut = messages(mbox, 10);
        assert_eq!(cut.len(), 2);
        assert_eq!(cut[0], b"Subject: o");
        assert!(messages(b"", 100).is_empty());
        // A line without end is read through, its start kept.
        let long = [b"Subject: x\n\n".as_slice(), &vec![b'a'; 200_000]].concat();
        let m = messages(&long, 1 << 20);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].len(), 12 + LINE_KEPT);
        // A single message without a From line is one message.
        assert_eq!(messages(b"Subject: x\n\nbody\n", 100).len(), 1);
    }
}
