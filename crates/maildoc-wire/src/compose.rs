//! A plain-text message as maildoc sends it (a watch's alerts by mail): RFC 5322 headers, a
//! subject that is not ASCII as RFC 2047 encoded words, the text as UTF-8 in base64 lines, and
//! the SMTP DATA framing (CRLF line ends, dot-stuffing, the final dot).
//!
//! Nothing given can add a header: line breaks in a subject or an address are folded into
//! spaces before anything is written, and every line stays within RFC 5322's 78 characters.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;

/// A message to compose.
#[derive(Clone, Debug)]
pub struct Outgoing<'a> {
    pub from: &'a str,
    pub to: &'a [String],
    pub subject: &'a str,
    pub text: &'a str,
    /// Without the angle brackets: `token@domain`.
    pub message_id: &'a str,
    pub date: OffsetDateTime,
    /// `Auto-Submitted: auto-generated` (RFC 3834): the message is a machine's, so
    /// vacation responders do not answer it.
    pub auto_submitted: bool,
}

/// The longest raw slice of the subject in one encoded word: its base64 (56 characters)
/// with `=?UTF-8?B?` and `?=` makes 68, under RFC 2047's 75, and the first line with
/// `Subject: ` stays within 78.
const WORD_BYTES: usize = 42;

/// The message: headers and body, CRLF line ends, all ASCII.
pub fn compose(m: &Outgoing<'_>) -> Vec<u8> {
    let mut out = String::new();
    header(&mut out, "Date", &rfc5322_date(m.date));
    header(&mut out, "From", &address(m.from));
    let to: Vec<String> = m.to.iter().map(|a| address(a)).collect();
    header(&mut out, "To", &to.join(",\r\n "));
    out.push_str("Subject:");
    out.push_str(&subject(one_line(m.subject).trim()));
    out.push_str("\r\n");
    header(
        &mut out,
        "Message-ID",
        &format!("<{}>", address(m.message_id)),
    );
    if m.auto_submitted {
        header(&mut out, "Auto-Submitted", "auto-generated");
    }
    header(&mut out, "MIME-Version", "1.0");
    header(&mut out, "Content-Type", "text/plain; charset=UTF-8");
    header(&mut out, "Content-Transfer-Encoding", "base64");
    out.push_str("\r\n");
    let text = m
        .text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n");
    let encoded = STANDARD.encode(text.as_bytes());
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn header(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push_str(": ");
    out.push_str(value);
    out.push_str("\r\n");
}

/// Line breaks and other control characters as spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// An address as a header may carry it: one line, no brackets or separators of its own.
fn address(text: &str) -> String {
    one_line(text)
        .chars()
        .filter(|c| !matches!(c, '<' | '>' | ',' | ';' | '"' | ' '))
        .collect()
}

/// The subject after `Subject:`: as it is when it is printable ASCII that fits, else encoded
/// words of whole characters, one a line.
fn subject(text: &str) -> String {
    if text.len() <= 66 && text.bytes().all(|b| (0x20..0x7f).contains(&b)) && !text.contains("=?") {
        return format!(" {text}");
    }
    let mut words = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        if i + c.len_utf8() - start > WORD_BYTES {
            words.push(&text[start..end]);
            start = i;
        }
        end = i + c.len_utf8();
    }
    if end > start {
        words.push(&text[start..end]);
    }
    words
        .iter()
        .map(|w| format!(" =?UTF-8?B?{}?=", STANDARD.encode(w.as_bytes())))
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// `Mon, 07 Dec 2026 03:12:10 +0000`.
fn rfc5322_date(t: OffsetDateTime) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let offset = t.offset().whole_minutes();
    let sign = if offset < 0 { '-' } else { '+' };
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        DAYS[usize::from(t.weekday().number_days_from_monday())],
        t.day(),
        MONTHS[usize::from(u8::from(t.month()) - 1)],
        t.year(),
        t.hour(),
        t.minute(),
        t.second(),
        offset.unsigned_abs() / 60,
        offset.unsigned_abs() % 60,
    )
}

/// The message as DATA sends it: every line end CRLF, a line that starts with `.` given
/// another (RFC 5321 §4.5.2), and the closing `.` line.
pub fn data_block(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 64 + 5);
    let mut line_start = true;
    let mut i = 0;
    while i < message.len() {
        let b = message[i];
        if line_start && b == b'.' {
            out.push(b'.');
        }
        match b {
            b'\r' if message.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 1;
                line_start = true;
            }
            b'\r' | b'\n' => {
                out.extend_from_slice(b"\r\n");
                line_start = true;
            }
            _ => {
                out.push(b);
                line_start = false;
            }
        }
        i += 1;
    }
    if !line_start {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn message(subject: &str, text: &str, to: &[String]) -> String {
        let date = OffsetDateTime::from_unix_timestamp(1_796_612_970).unwrap();
        let bytes = compose(&Outgoing {
            from: "watch@example.jp",
            to,
            subject,
            text,
            message_id: "a1b2@example.jp",
            date,
            auto_submitted: true,
        });
        String::from_utf8(bytes).unwrap()
    }

    fn body(m: &str) -> String {
        let (_, b) = m.split_once("\r\n\r\n").unwrap();
        let joined: String = b.split("\r\n").collect();
        String::from_utf8(STANDARD.decode(joined).unwrap()).unwrap()
    }

    fn decoded_subject(m: &str) -> String {
        let head = m.split_once("\r\n\r\n").unwrap().0;
        let start = head.find("Subject:").unwrap() + "Subject:".len();
        let mut value = String::new();
        for (i, line) in head[start..].split("\r\n").enumerate() {
            if i > 0 && !line.starts_with(' ') {
                break;
            }
            value.push_str(line);
        }
        let mut out = Vec::new();
        let words: Vec<&str> = value.split_whitespace().collect();
        if !words.iter().all(|w| w.starts_with("=?UTF-8?B?")) {
            return value.strip_prefix(' ').unwrap_or(&value).to_owned();
        }
        for w in words {
            let b64 = w.trim_start_matches("=?UTF-8?B?").trim_end_matches("?=");
            out.extend(STANDARD.decode(b64).unwrap());
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_japanese_alert_is_encoded_whole_and_reads_back() {
        let to = vec!["taro@example.jp".to_owned(), "hanako@example.jp".to_owned()];
        let subject = "maildoc: 3 件の通知 (example.jp の証明書があと 5 日で期限切れ、ほか)";
        let text = "example.jp: 証明書があと 5 日で期限切れ\n.a line that starts with a dot\n";
        let m = message(subject, text, &to);
        assert!(m.is_ascii());
        assert!(
            m.starts_with("Date: Mon, 07 Dec 2026 03:09:30 +0000\r\n"),
            "{m}"
        );
        assert!(
            m.contains("\r\nTo: taro@example.jp,\r\n hanako@example.jp\r\n"),
            "{m}"
        );
        assert!(m.contains("\r\nMessage-ID: <a1b2@example.jp>\r\n"));
        assert!(m.contains("\r\nAuto-Submitted: auto-generated\r\n"));
        assert_eq!(decoded_subject(&m), subject);
        assert_eq!(body(&m), text.replace('\n', "\r\n"));
        assert!(m.split("\r\n").all(|l| l.len() <= 78), "{m}");
    }

    #[test]
    fn nothing_given_can_add_a_header() {
        let to = vec!["a@example.jp>\r\nBcc: evil@example.com".to_owned()];
        let m = message("hi\r\nBcc: evil@example.com", "x", &to);
        let head = m.split_once("\r\n\r\n").unwrap().0;
        assert!(!head.split("\r\n").any(|l| l.starts_with("Bcc")), "{head}");
    }

    #[test]
    fn data_is_dot_stuffed_with_crlf_and_the_final_dot() {
        assert_eq!(
            data_block(b"a\n.b\r\n..c\rd"),
            b"a\r\n..b\r\n...c\r\nd\r\n.\r\n"
        );
        assert_eq!(data_block(b".\r\n"), b"..\r\n.\r\n");
        assert_eq!(data_block(b""), b".\r\n");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]
        #[test]
        fn any_subject_and_text_make_ascii_lines_that_read_back(
            subject in "\\PC{0,120}",
            text in "\\PC{0,300}",
        ) {
            let to = vec!["taro@example.jp".to_owned()];
            let m = message(&subject, &text, &to);
            proptest::prop_assert!(m.is_ascii());
            proptest::prop_assert!(m.split("\r\n").all(|l| l.len() <= 78));
            let expected = one_line(&subject);
            proptest::prop_assert_eq!(decoded_subject(&m), expected.trim());
            let block = data_block(m.as_bytes());
            // No line of the framed message is a lone dot before the end.
            let lines: Vec<&[u8]> = block.split(|b| *b == b'\n').collect();
            let dots = lines.iter().filter(|l| **l == b".\r").count();
            proptest::prop_assert_eq!(dots, 1);
        }
    }
}
