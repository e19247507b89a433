//! A message's bytes into its header fields and body: an .eml, the first message of an mbox,
//! or a header block pasted from "show original" (CRLF or LF, folded or not, with blank lines
//! or spaces before it). Nothing here fails: what is not a header line is counted and left.

use maildoc_model::message::MessageSource;

/// The most header fields read; a message with more is read up to here.
pub const MAX_FIELDS: usize = 5_000;

/// One header field as it stands: its name and its raw value (after the colon, folds kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    pub name: &'a str,
    pub value: &'a [u8],
}

impl Field<'_> {
    /// The value unfolded: line ends and the whitespace around them as one space, trimmed;
    /// bytes that are not UTF-8 replaced.
    pub fn text(&self) -> String {
        unfold(&String::from_utf8_lossy(self.value))
    }

    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// Runs of whitespace (line ends and folds included) as one space, trimmed.
pub fn unfold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Clone, Debug)]
pub struct Split<'a> {
    pub source: MessageSource,
    pub fields: Vec<Field<'a>>,
    /// The header block as given (from the first field to the blank line), for decoding.
    pub head: &'a [u8],
    /// The body, when there is one.
    pub body: Option<&'a [u8]>,
    /// The message itself: from its first field to the end of its body (without what an
    /// mbox or a paste put around it), the bytes a signature was made over.
    pub message: &'a [u8],
    /// Lines in the header block that were neither a field nor a fold.
    pub stray_lines: usize,
}

/// The lines of `bytes`, each without its line end, with the offset just past it.
fn lines(bytes: &[u8]) -> impl Iterator<Item = (&[u8], usize)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= bytes.len() {
            return None;
        }
        let rest = &bytes[at..];
        let (line, next) = match memchr_newline(rest) {
            Some(i) => (&rest[..i], at + i + 1),
            None => (rest, bytes.len()),
        };
        at = next;
        Some((line.strip_suffix(b"\r").unwrap_or(line), next))
    })
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| b.is_ascii_whitespace())
}

/// A field name: printable ASCII but the colon and space (RFC 5322 §2.2), at most 76.
fn field_name(line: &[u8]) -> Option<(&str, usize)> {
    let colon = line.iter().position(|&b| b == b':')?;
    let name = &line[..colon];
    let name = name.strip_suffix(b" ").unwrap_or(name);
    if name.is_empty() || name.len() > 76 || !name.iter().all(|&b| (33..=126).contains(&b)) {
        return None;
    }
    std::str::from_utf8(name).ok().map(|n| (n, colon + 1))
}

pub fn split(input: &[u8]) -> Split<'_> {
    let mut bytes = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    // Blank lines and an indentation a paste brought along, before the first field.
    let mut source = MessageSource::Message;
    for (line, next) in lines(bytes) {
        if is_blank(line) {
            bytes = &bytes[next..];
            continue;
        }
        if line.starts_with(b"From ") {
            source = MessageSource::Mbox;
            bytes = &bytes[next..];
        }
        break;
    }
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    let bytes = &bytes[start..];

    let mut fields: Vec<Field<'_>> = Vec::new();
    let mut stray_lines = 0;
    let mut head_end = bytes.len();
    let mut body = None;
    let mut body_start = bytes.len();
    // The field being read: its name, and where its value starts and ends in `bytes`.
    let mut current: Option<(&str, usize, usize)> = None;
    let mut line_start = 0;
    for (line, next) in lines(bytes) {
        if is_blank(line) {
            head_end = line_start;
            body_start = next;
            body = Some(&bytes[next..]);
            break;
        }
        if matches!(line.first(), Some(b' ' | b'\t')) && current.is_some() {
            if let Some((_, _, end)) = current.as_mut() {
                *end = line_start + line.len();
            }
        } else if let Some((name, value_at)) = field_name(line) {
            if let Some((n, s, e)) = current.take() {
                fields.push(Field {
                    name: n,
                    value: &bytes[s..e],
                });
            }
            if fields.len() >= MAX_FIELDS {
                head_end = line_start;
                break;
            }
            current = Some((name, line_start + value_at, line_start + line.len()));
        } else {
            stray_lines += 1;
        }
        line_start = next;
    }
    if let Some((n, s, e)) = current.take() {
        fields.push(Field {
            name: n,
            value: &bytes[s..e],
        });
    }
    // An mbox holds more messages: this one ends where the next "From " line starts.
    let body = body.map(|b| {
        if source == MessageSource::Mbox {
            mbox_end(b)
        } else {
            b
        }
    });
    let message_end = body.map_or(bytes.len(), |b| body_start + b.len());
    let message = &bytes[..message_end.min(bytes.len())];
    let body = body.filter(|b| !is_blank(b));
    if body.is_none() && source == MessageSource::Message {
        source = MessageSource::Headers;
    }
    Split {
        source,
        fields,
        head: &bytes[..head_end.min(bytes.len())],
        body,
        message,
        stray_lines,
    }
}

/// The body up to the next mbox separator line.
fn mbox_end(body: &[u8]) -> &[u8] {
    let mut at = 0;
    for (line, next) in lines(body) {
        if crate::mbox::separator(line) {
            return &body[..at];
        }
        at = next;
    }
    body
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_pasted_header_block_with_lf_folds_and_indentation_is_read() {
        let paste = b"\n\n  Received: from a.example (a.example [192.0.2.1])\n\tby mx.example with ESMTPS;\n Mon, 07 Dec 2026 03:00:00 +0000\nSubject: hello\nno colon here\nFrom: x@example.jp\n";
        let s = split(paste);
        assert_eq!(s.source, MessageSource::Headers);
        let names: Vec<&str> = s.fields.iter().map(|f| f.name).collect();
        assert_eq!(names, ["Received", "Subject", "From"]);
        assert_eq!(
            s.fields[0].text(),
            "from a.example (a.example [192.0.2.1]) by mx.example with ESMTPS; Mon, 07 Dec 2026 03:00:00 +0000"
        );
        assert_eq!(s.stray_lines, 1);
        assert!(s.body.is_none());
    }

    #[test]
    fn an_mbox_gives_its_first_message_and_its_body_up_to_the_next() {
        let mbox = b"From a@example.jp Mon Dec  7 03:00:00 2026\r\nSubject: one\r\n\r\nbody one\r\n\r\nFrom b@example.jp Mon Dec  7 04:00:00 2026\r\nSubject: two\r\n\r\nbody two\r\n";
        let s = split(mbox);
        assert_eq!(s.source, MessageSource::Mbox);
        assert_eq!(s.fields.len(), 1);
        assert_eq!(s.fields[0].text(), "one");
        assert_eq!(s.body.unwrap(), b"body one\r\n\r\n");
        assert_eq!(s.message, b"Subject: one\r\n\r\nbody one\r\n\r\n");
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_split_without_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let s = split(&bytes);
            for f in &s.fields {
                let _ = f.text();
            }
        }
    }
}
