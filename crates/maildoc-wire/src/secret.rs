//! The only place where passwords are formatted, and where they are found again.
//!
//! A command that carries a credential is built as a [`Secret`]: the exact bytes for the
//! socket, and the text for the transcript in which the password, and any base64 that
//! carries it, is replaced by `<redacted>`. `shown` is built from fixed text and never from
//! the password, so no later edit of a redaction rule can leak it.
//!
//! What a server sends back is another matter: a server may echo the password or the base64
//! it was sent in (`535 5.7.8 ... AHRhcm8A...`). A [`Redactor`] knows every form maildoc
//! sends a password in and replaces each of them in server text; the line framer applies it
//! to every line before anyone reads it ([`crate::line::LineBuffer::with_redactor`]).

use base64::Engine;
use base64::alphabet;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use std::borrow::Cow;
use std::fmt;

/// What replaces a credential in transcripts.
pub const REDACTED: &str = "<redacted>";

/// A command line carrying a credential.
///
/// `Debug` and `Display` show `shown` only. The `wire` bytes are overwritten with zeros when
/// the value is dropped (best effort: copies made by the caller are the caller's).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    /// The exact bytes to send, CRLF included.
    pub wire: Vec<u8>,
    /// The transcript text (no CRLF), with the credential replaced by `<redacted>`.
    pub shown: String,
}

impl Secret {
    pub fn new(wire: Vec<u8>, shown: impl Into<String>) -> Self {
        Secret {
            wire,
            shown: shown.into(),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("wire", &format_args!("<{} bytes>", self.wire.len()))
            .field("shown", &self.shown)
            .finish()
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.wire.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&self.wire);
    }
}

/// Base64 (standard alphabet, padded) as sent on the wire.
pub(crate) fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes base64 from a peer, with or without padding.
pub(crate) fn b64_decode(text: &str) -> Option<Vec<u8>> {
    LENIENT.decode(text.trim()).ok()
}

/// The SASL PLAIN message (RFC 4616) with an empty authorization identity, base64-encoded.
pub(crate) fn sasl_plain_b64(user: &str, pass: &str) -> String {
    let mut raw = Vec::with_capacity(user.len() + pass.len() + 2);
    raw.push(0);
    raw.extend_from_slice(user.as_bytes());
    raw.push(0);
    raw.extend_from_slice(pass.as_bytes());
    let out = b64(&raw);
    raw.iter_mut().for_each(|b| *b = 0);
    std::hint::black_box(&raw);
    out
}

/// `prefix` + base64 + CRLF on the wire, `shown_prefix` + `<redacted>` in the transcript.
pub(crate) fn line_with(prefix: &str, secret_part: &str, shown_prefix: &str) -> Secret {
    let mut wire = Vec::with_capacity(prefix.len() + secret_part.len() + 2);
    wire.extend_from_slice(prefix.as_bytes());
    wire.extend_from_slice(secret_part.as_bytes());
    wire.extend_from_slice(b"\r\n");
    Secret::new(wire, format!("{shown_prefix}{REDACTED}"))
}

/// A user name as shown next to a redacted password: itself, unless the password occurs in
/// it (then showing it would show the password).
pub(crate) fn shown_user<'a>(user: &'a str, pass: &str) -> &'a str {
    if !pass.is_empty() && user.contains(pass) {
        REDACTED
    } else {
        user
    }
}

/// The shortest form of a credential looked for in server text. Anything shorter (a
/// one-character password, or a base64 piece carrying fewer than three of its bytes) cannot
/// be told from ordinary words and codes, and replacing it would garble every reply.
pub const MIN_FORM: usize = 4;

/// Every form in which maildoc sends one password, to be found in what servers send back.
///
/// The forms: the password itself, as an IMAP quoted string (`\` and `"` escaped), with the
/// CR/LF/NUL that POP3 commands drop removed, as hex and percent-encoded; and in base64: the
/// password alone (AUTH LOGIN), the SASL PLAIN message `\0user\0password` for every user name
/// tried (AUTH PLAIN, AUTHENTICATE PLAIN), and the part of any base64 text that the
/// password's bytes alone decide, at each of the three offsets a password can have in a
/// longer message. The clear, quoted, hex and percent forms are matched ignoring ASCII case
/// (a server may upper-case what it echoes); base64 exactly.
///
/// `Debug` shows how many forms are known, never a form; the forms are overwritten with zeros
/// when the value is dropped.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Forms matched byte for byte.
    exact: Vec<Vec<u8>>,
    /// Forms matched ignoring ASCII case, stored in lower case.
    folded: Vec<Vec<u8>>,
}

impl Redactor {
    /// A redactor that finds nothing (no password in this run).
    pub fn none() -> Self {
        Redactor::default()
    }

    /// The forms of `password` sent under any of `user_names`.
    pub fn new(password: &str, user_names: &[&str]) -> Self {
        let mut r = Redactor::default();
        if password.is_empty() {
            return r;
        }
        let pass = password.as_bytes();
        let dropped: String = password
            .chars()
            .filter(|c| !matches!(c, '\r' | '\n' | '\0'))
            .collect();
        let mut quoted = String::with_capacity(password.len() + 2);
        for c in password.chars() {
            if matches!(c, '\\' | '"') {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        let hex: String = pass.iter().map(|b| format!("{b:02x}")).collect();
        let every_byte: String = pass.iter().map(|b| format!("%{b:02x}")).collect();
        let percent: String = pass
            .iter()
            .map(|&b| {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02x}")
                }
            })
            .collect();
        for form in [password, &dropped, &quoted, &hex, &every_byte, &percent] {
            r.add_folded(form.as_bytes());
        }
        r.add_exact(b64(pass).into_bytes());
        for user in user_names {
            r.add_exact(sasl_plain_b64(user, password).into_bytes());
        }
        for offset in 0..3 {
            r.add_exact(b64_core(pass, offset));
        }
        // Longest first, so that a form inside a longer one is replaced with it.
        r.exact.sort_by_key(|f| std::cmp::Reverse(f.len()));
        r.folded.sort_by_key(|f| std::cmp::Reverse(f.len()));
        r
    }

    fn add_exact(&mut self, form: Vec<u8>) {
        if form.len() >= MIN_FORM && !self.exact.contains(&form) {
            self.exact.push(form);
        }
    }

    fn add_folded(&mut self, form: &[u8]) {
        let form = form.to_ascii_lowercase();
        if form.len() >= MIN_FORM && !self.folded.contains(&form) {
            self.folded.push(form);
        }
    }

    /// Whether there is nothing to look for.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.folded.is_empty()
    }

    /// `bytes` with every form of the password replaced by [`REDACTED`].
    pub fn redact_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        if self.is_empty() || bytes.len() < MIN_FORM {
            return Cow::Borrowed(bytes);
        }
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for form in &self.exact {
            spans.extend(memchr::memmem::find_iter(bytes, form).map(|at| (at, at + form.len())));
        }
        if !self.folded.is_empty() {
            let lower = bytes.to_ascii_lowercase();
            for form in &self.folded {
                spans.extend(
                    memchr::memmem::find_iter(&lower, form).map(|at| (at, at + form.len())),
                );
            }
        }
        if spans.is_empty() {
            return Cow::Borrowed(bytes);
        }
        spans.sort_unstable();
        let mut out = Vec::with_capacity(bytes.len());
        let mut done = 0;
        let mut i = 0;
        while i < spans.len() {
            let (start, mut end) = spans[i];
            i += 1;
            while i < spans.len() && spans[i].0 <= end {
                end = end.max(spans[i].1);
                i += 1;
            }
            let start = start.max(done);
            out.extend_from_slice(&bytes[done..start]);
            out.extend_from_slice(REDACTED.as_bytes());
            done = end;
        }
        out.extend_from_slice(&bytes[done..]);
        Cow::Owned(out)
    }

    /// `text` with every form of the password replaced by [`REDACTED`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.redact_bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
        }
    }
}

/// The base64 characters that only `secret`'s bytes decide when it stands `offset` bytes
/// (mod 3) into a longer message: the characters whose six bits all fall inside it.
fn b64_core(secret: &[u8], offset: usize) -> Vec<u8> {
    let mut message = vec![0u8; offset];
    message.extend_from_slice(secret);
    let encoded = STANDARD.encode(&message);
    message.iter_mut().for_each(|b| *b = 0);
    let first = (8 * offset).div_ceil(6);
    let end = (8 * (offset + secret.len())) / 6;
    encoded.as_bytes()[first.min(end)..end].to_vec()
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Redactor(<{} forms>)",
            self.exact.len() + self.folded.len()
        )
    }
}

impl Drop for Redactor {
    fn drop(&mut self) {
        for form in self.exact.iter_mut().chain(self.folded.iter_mut()) {
            form.iter_mut().for_each(|b| *b = 0);
        }
        std::hint::black_box(&self.exact);
        std::hint::black_box(&self.folded);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn debug_hides_wire() {
        let s = line_with("PASS ", "hunter2", "PASS ");
        assert_eq!(s.wire, b"PASS hunter2\r\n");
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(dbg.contains("PASS <redacted>"));
        assert!(dbg.contains("<14 bytes>"));
        assert_eq!(s.to_string(), "PASS <redacted>");
        let alt = format!("{s:#?}");
        assert!(!alt.contains("hunter2"));
    }

    #[test]
    fn sasl_plain() {
        assert_eq!(
            sasl_plain_b64("tim", "tanstaaftanstaaf"),
            "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
        );
        assert_eq!(
            b64_decode("AHRpbQB0YW5zdGFhZnRhbnN0YWFm").unwrap(),
            b"\0tim\0tanstaaftanstaaf"
        );
        assert_eq!(b64_decode("VXNlcm5hbWU6").unwrap(), b"Username:");
        assert_eq!(b64_decode("YQ").unwrap(), b"a");
        assert_eq!(b64_decode("YQ==").unwrap(), b"a");
        assert!(b64_decode("!!").is_none());
    }

    #[test]
    fn user_containing_password_is_hidden() {
        assert_eq!(shown_user("joe@example.com", "hunter2"), "joe@example.com");
        assert_eq!(shown_user("joe", "jo"), REDACTED);
        assert_eq!(shown_user("joe", ""), "joe");
    }

    fn redactor() -> Redactor {
        Redactor::new("Pa55\"w0rd ü", &["taro@example.jp", "taro"])
    }

    #[test]
    fn every_form_sent_is_found_in_an_echo() {
        let r = redactor();
        let pass = "Pa55\"w0rd ü";
        let echoes = [
            format!("-ERR wrong password {pass} for taro"),
            format!("a1 NO LOGIN failed: {}", pass.to_ascii_uppercase()),
            r#"L1 NO [AUTHENTICATIONFAILED] "Pa55\"w0rd ü" rejected"#.to_string(),
            format!("535 5.7.8 {} rejected", b64(pass.as_bytes())),
            format!("535 5.7.8 {} rejected", sasl_plain_b64("taro", pass)),
            format!("535 5.7.8 {}", sasl_plain_b64("taro@example.jp", pass)),
            "535 hex 50613535227730726420c3bc".to_string(),
            "535 HEX 50613535227730726420C3BC".to_string(),
            "535 url Pa55%22w0rd%20%C3%BC".to_string(),
        ];
        for echo in &echoes {
            let shown = r.redact(echo);
            assert!(shown.contains(REDACTED), "{echo} -> {shown}");
            assert!(
                !shown.contains("w0rd") && !shown.contains("W0RD"),
                "{shown}"
            );
            assert!(
                !shown.contains("773072") && !shown.contains("%22w0"),
                "{shown}"
            );
        }
    }

    #[test]
    fn text_without_the_password_is_left_alone() {
        let r = redactor();
        let line = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] Dovecot ready.";
        assert!(matches!(r.redact(line), Cow::Borrowed(_)));
        assert!(matches!(Redactor::none().redact(line), Cow::Borrowed(_)));
        assert!(Redactor::none().is_empty());
        assert!(Redactor::new("", &["taro"]).is_empty());
    }

    #[test]
    fn debug_shows_no_form() {
        let dbg = format!("{:?}", redactor());
        assert!(
            dbg.starts_with("Redactor(<") && !dbg.contains("Pa55"),
            "{dbg}"
        );
    }

    #[test]
    fn short_passwords_are_not_looked_for() {
        let r = Redactor::new("OK1", &["taro"]);
        assert_eq!(r.redact("a1 OK1 done"), "a1 OK1 done");
        // The AUTH PLAIN message is long enough to be found all the same.
        let blob = sasl_plain_b64("taro", "OK1");
        assert_eq!(r.redact(&format!("535 {blob}")), format!("535 {REDACTED}"));
    }

    #[test]
    fn overlapping_forms_become_one_marker() {
        let r = Redactor::new("abcdabcd", &[]);
        assert_eq!(r.redact("x abcdabcdABCDABCD y"), format!("x {REDACTED} y"));
        assert_eq!(
            r.redact("abcdabcd-ABCDABCD"),
            format!("{REDACTED}-{REDACTED}")
        );
    }

    /// The base64 pieces left around a redaction, decoded from any starting character,
    /// never hold the password.
    fn leaves_no_decodable_password(shown: &str, pass: &[u8]) -> bool {
        shown
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/'))
            .all(|run| {
                (0..4).all(|skip| {
                    let piece = run.get(skip..).unwrap_or("");
                    let piece = &piece[..piece.len() / 4 * 4];
                    LENIENT
                        .decode(piece)
                        .map(|bytes| !bytes.windows(pass.len()).any(|w| w == pass))
                        .unwrap_or(true)
                })
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        #[test]
        fn base64_of_any_message_around_the_password_is_cut(
            pass in "[ -~]{4,40}",
            before in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..12),
            after in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..12),
        ) {
            let r = Redactor::new(&pass, &["taro"]);
            let mut message = before.clone();
            message.extend_from_slice(pass.as_bytes());
            message.extend_from_slice(&after);
            let echo = format!("535 5.7.8 {} rejected", b64(&message));
            let shown = r.redact(&echo);
            proptest::prop_assert!(shown.contains(REDACTED), "{}", shown);
            proptest::prop_assert!(leaves_no_decodable_password(&shown, pass.as_bytes()), "{}", shown);
        }

        #[test]
        fn redaction_never_panics_and_removes_the_clear_form(
            pass in "\\PC{4,24}",
            text in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            at in 0usize..200,
        ) {
            let r = Redactor::new(&pass, &["taro", "taro@example.jp"]);
            let mut bytes = text.clone();
            let at = at.min(bytes.len());
            bytes.splice(at..at, pass.bytes());
            let shown = r.redact_bytes(&bytes);
            proptest::prop_assert!(!shown.windows(pass.len()).any(|w| w == pass.as_bytes()));
        }
    }
}
