//! What a peer speaks, from its first bytes, and what its greeting means.

use maildoc_model::{GreetingOutcome, Protocol, Spoken};

/// Guesses the protocol from the first bytes a peer sent.
///
/// * a TLS record header (`0x15` alert or `0x16` handshake, then `0x03 0x00..=0x04`) → `Tls`;
/// * `* OK`, `* PREAUTH`, `* BYE` → `Imap`;
/// * `+OK`, `-ERR` → `Pop3`;
/// * three digits followed by a space, `-` or the end of the line → `Smtp`;
/// * `HTTP/` (or an HTML document) → `Http`;
/// * anything else → `Unknown`.
///
/// Keywords are matched without regard to case, as the protocols do.
pub fn sniff(first_bytes: &[u8]) -> Spoken {
    let b = first_bytes;
    if b.len() >= 3 && matches!(b[0], 0x15 | 0x16) && b[1] == 0x03 && b[2] <= 0x04 {
        return Spoken::Tls;
    }
    if imap_status(b).is_some() {
        return Spoken::Imap;
    }
    if pop3_status(b).is_some() {
        return Spoken::Pop3;
    }
    if smtp_code(b).is_some() {
        return Spoken::Smtp;
    }
    if starts_with_ci(b, b"HTTP/")
        || starts_with_ci(b, b"<!DOCTYPE HTML")
        || starts_with_ci(b, b"<HTML")
    {
        return Spoken::Http;
    }
    Spoken::Unknown
}

/// Classifies a greeting line for the protocol that was expected on the port.
///
/// * IMAP: `* OK` and `* PREAUTH` → `Ready`, `* BYE` → `Refused`;
/// * POP3: `+OK` → `Ready`, `-ERR` → `Refused`;
/// * SMTP: `220` → `Ready`; any other code (`421`, `554` "no service", …) → `Refused`;
/// * another protocol's greeting (TLS and HTTP included) → `OtherProtocol` with what it spoke;
/// * anything else → `Garbage` with `Spoken::Unknown`.
///
/// `Silent`, `Closed` and `TooLong` are for the caller to decide: they are not about the text.
pub fn classify_greeting(expected: Protocol, first_line: &str) -> (GreetingOutcome, Spoken) {
    let bytes = first_line.as_bytes();
    let spoken = sniff(bytes);
    let outcome = match (expected, spoken) {
        (_, Spoken::Unknown) => GreetingOutcome::Garbage,
        (Protocol::Imap, Spoken::Imap) => match imap_status(bytes) {
            Some(ImapGreeting::Bye) => GreetingOutcome::Refused,
            _ => GreetingOutcome::Ready,
        },
        (Protocol::Pop3, Spoken::Pop3) => match pop3_status(bytes) {
            Some(true) => GreetingOutcome::Ready,
            _ => GreetingOutcome::Refused,
        },
        (Protocol::Smtp, Spoken::Smtp) => match smtp_code(bytes) {
            Some(220) => GreetingOutcome::Ready,
            _ => GreetingOutcome::Refused,
        },
        _ => GreetingOutcome::OtherProtocol,
    };
    (outcome, spoken)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ImapGreeting {
    Ok,
    Preauth,
    Bye,
}

fn imap_status(b: &[u8]) -> Option<ImapGreeting> {
    let rest = b.strip_prefix(b"* ")?;
    for (word, kind) in [
        (&b"OK"[..], ImapGreeting::Ok),
        (b"PREAUTH", ImapGreeting::Preauth),
        (b"BYE", ImapGreeting::Bye),
    ] {
        if starts_with_ci(rest, word) && word_ends(&rest[word.len()..]) {
            return Some(kind);
        }
    }
    None
}

/// `Some(true)` for `+OK`, `Some(false)` for `-ERR`.
fn pop3_status(b: &[u8]) -> Option<bool> {
    if starts_with_ci(b, b"+OK") && word_ends(&b[3..]) {
        return Some(true);
    }
    if starts_with_ci(b, b"-ERR") && word_ends(&b[4..]) {
        return Some(false);
    }
    None
}

fn smtp_code(b: &[u8]) -> Option<u16> {
    if b.len() < 3 || !b[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    match b.get(3) {
        None | Some(b' ' | b'-' | b'\r' | b'\n') => {}
        _ => return None,
    }
    Some(
        b[..3]
            .iter()
            .fold(0u16, |n, d| n * 10 + u16::from(d - b'0')),
    )
}

/// A keyword ends at the end of input, a space, a bracket or the line terminator.
fn word_ends(rest: &[u8]) -> bool {
    matches!(
        rest.first(),
        None | Some(b' ' | b'[' | b'\r' | b'\n' | b'\t')
    )
}

fn starts_with_ci(b: &[u8], prefix: &[u8]) -> bool {
    b.len() >= prefix.len() && b[..prefix.len()].eq_ignore_ascii_case(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs() {
        assert_eq!(sniff(b"\x16\x03\x01\x00\x2a"), Spoken::Tls);
        assert_eq!(sniff(b"\x15\x03\x03\x00\x02\x02\x46"), Spoken::Tls);
        assert_eq!(sniff(b"\x16\x03\x05"), Spoken::Unknown);
        assert_eq!(sniff(b"\x16\x03"), Spoken::Unknown);
        assert_eq!(
            sniff(b"* OK [CAPABILITY IMAP4rev1 SASL-IR] Dovecot ready.\r\n"),
            Spoken::Imap
        );
        assert_eq!(
            sniff(b"* PREAUTH IMAP4rev1 server logged in as joe"),
            Spoken::Imap
        );
        assert_eq!(sniff(b"* BYE Too many connections"), Spoken::Imap);
        assert_eq!(sniff(b"* ok lower case"), Spoken::Imap);
        assert_eq!(sniff(b"* OKAY"), Spoken::Unknown);
        assert_eq!(sniff(b"+OK Dovecot ready."), Spoken::Pop3);
        assert_eq!(sniff(b"+OK"), Spoken::Pop3);
        assert_eq!(sniff(b"-ERR [SYS/TEMP] try later"), Spoken::Pop3);
        assert_eq!(sniff(b"220 mx.google.com ESMTP"), Spoken::Smtp);
        assert_eq!(sniff(b"220-smtp.example.com ESMTP Exim"), Spoken::Smtp);
        assert_eq!(sniff(b"554\r\n"), Spoken::Smtp);
        assert_eq!(sniff(b"2200 no"), Spoken::Unknown);
        assert_eq!(sniff(b"HTTP/1.1 400 Bad Request\r\n"), Spoken::Http);
        assert_eq!(sniff(b"<html><body>"), Spoken::Http);
        assert_eq!(sniff(b"SSH-2.0-OpenSSH_9.6"), Spoken::Unknown);
        assert_eq!(sniff(b""), Spoken::Unknown);
        assert_eq!(sniff(b"*"), Spoken::Unknown);
    }

    #[test]
    fn greetings() {
        use GreetingOutcome::*;
        let dovecot = "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED] Dovecot (Debian) ready.";
        assert_eq!(
            classify_greeting(Protocol::Imap, dovecot),
            (Ready, Spoken::Imap)
        );
        assert_eq!(
            classify_greeting(Protocol::Imap, "* PREAUTH ready"),
            (Ready, Spoken::Imap)
        );
        assert_eq!(
            classify_greeting(Protocol::Imap, "* BYE [UNAVAILABLE] Server shutting down"),
            (Refused, Spoken::Imap)
        );
        assert_eq!(
            classify_greeting(Protocol::Pop3, "+OK Dovecot (Debian) ready."),
            (Ready, Spoken::Pop3)
        );
        assert_eq!(
            classify_greeting(Protocol::Pop3, "-ERR [SYS/TEMP] Server busy"),
            (Refused, Spoken::Pop3)
        );
        assert_eq!(
            classify_greeting(
                Protocol::Smtp,
                "220 smtp.gmail.com ESMTP a1sm1234567 - gsmtp"
            ),
            (Ready, Spoken::Smtp)
        );
        assert_eq!(
            classify_greeting(
                Protocol::Smtp,
                "421 4.3.2 Service not available, closing transmission channel"
            ),
            (Refused, Spoken::Smtp)
        );
        assert_eq!(
            classify_greeting(Protocol::Smtp, "554 5.7.1 You are not allowed to connect."),
            (Refused, Spoken::Smtp)
        );
        assert_eq!(
            classify_greeting(Protocol::Imap, "+OK POP3 ready"),
            (OtherProtocol, Spoken::Pop3)
        );
        assert_eq!(
            classify_greeting(Protocol::Pop3, "220 mail.example.com ESMTP"),
            (OtherProtocol, Spoken::Smtp)
        );
        assert_eq!(
            classify_greeting(Protocol::Smtp, "* OK IMAP ready"),
            (OtherProtocol, Spoken::Imap)
        );
        assert_eq!(
            classify_greeting(Protocol::Smtp, "\u{16}\u{3}\u{1}\u{0}"),
            (OtherProtocol, Spoken::Tls)
        );
        assert_eq!(
            classify_greeting(Protocol::Imap, "HTTP/1.0 408 Request Time-out"),
            (OtherProtocol, Spoken::Http)
        );
        assert_eq!(
            classify_greeting(Protocol::Smtp, "SSH-2.0-OpenSSH_8.9"),
            (Garbage, Spoken::Unknown)
        );
        assert_eq!(
            classify_greeting(Protocol::Pop3, ""),
            (Garbage, Spoken::Unknown)
        );
    }
}
