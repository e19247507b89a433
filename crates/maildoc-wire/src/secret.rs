//! The only place where passwords are formatted.
//!
//! A command that carries a credential is built as a [`Secret`]: the exact bytes for the
//! socket, and the text for the transcript in which the password, and any base64 that
//! carries it, is replaced by `<redacted>`. `shown` is built from fixed text and never from
//! the password, so no later edit of a redaction rule can leak it.

use base64::Engine;
use base64::alphabet;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
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
}
