//! Credentials reach the wire exactly and the transcript never.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use maildoc_wire::secret::Secret;
use maildoc_wire::{imap, pop3, smtp};
use proptest::prelude::*;

/// Every rendering of a secret a log could see.
fn renderings(s: &Secret) -> Vec<String> {
    vec![
        s.shown.clone(),
        s.to_string(),
        format!("{s:?}"),
        format!("{s:#?}"),
    ]
}

fn all_secrets(user: &str, pass: &str) -> Vec<Secret> {
    let (_, ir) = imap::authenticate_plain("a7", user, pass, true);
    let (_, two_step) = imap::authenticate_plain("a7", user, pass, false);
    vec![
        smtp::auth_plain(user, pass),
        smtp::auth_login_pass(pass),
        pop3::pass(pass),
        pop3::auth_plain(user, pass),
        imap::login("a7", user, pass),
        ir.unwrap(),
        two_step.unwrap(),
    ]
}

/// Base64 strings that carry the password: of the password alone, of the SASL PLAIN
/// message, and of every 3-byte-aligned window around the password in it.
fn carriers(user: &str, pass: &str) -> Vec<String> {
    let mut out = vec![
        STANDARD.encode(pass),
        STANDARD.encode(format!("\0{user}\0{pass}")),
    ];
    let blob = STANDARD.encode(format!("\0{user}\0{pass}"));
    // Any 8-character piece of the encoded password region identifies it.
    let pass_offset = user.len() + 2;
    let start = pass_offset / 3 * 4;
    let region = &blob[start.min(blob.len())..];
    if region.len() >= 8 {
        out.push(region[..8].to_owned());
    }
    out
}

const TEMPLATES: &str =
    "a7 LOGIN AUTHENTICATE PLAIN AUTH PLAIN PASS <redacted> Secret wire shown bytes";

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn transcripts_never_show_the_password(
        user in "[ -~]{0,30}",
        pass in prop_oneof!["[ -~]{6,40}", "\\PC{6,20}"],
    ) {
        prop_assume!(!TEMPLATES.contains(pass.as_str()));
        for s in all_secrets(&user, &pass) {
            for text in renderings(&s) {
                prop_assert!(!text.contains(pass.as_str()), "{text}");
                for c in carriers(&user, &pass) {
                    prop_assert!(!text.contains(c.as_str()), "{text} carries {c}");
                }
            }
        }
    }

    #[test]
    fn sasl_plain_on_the_wire_is_exact(user in "\\PC{0,30}", pass in "\\PC{0,30}") {
        let expected = STANDARD.encode(format!("\0{user}\0{pass}"));
        let s = smtp::auth_plain(&user, &pass);
        prop_assert_eq!(s.wire.clone(), format!("AUTH PLAIN {expected}\r\n").into_bytes());
        let s = pop3::auth_plain(&user, &pass);
        prop_assert_eq!(s.wire.clone(), format!("AUTH PLAIN {expected}\r\n").into_bytes());
        let (first, s) = imap::authenticate_plain("a1", &user, &pass, true);
        prop_assert_eq!(first, "");
        prop_assert_eq!(s.unwrap().wire.clone(), format!("a1 AUTHENTICATE PLAIN {expected}\r\n").into_bytes());
        let (first, s) = imap::authenticate_plain("a1", &user, &pass, false);
        prop_assert_eq!(first, "a1 AUTHENTICATE PLAIN\r\n");
        prop_assert_eq!(s.unwrap().wire.clone(), format!("{expected}\r\n").into_bytes());
        let s = smtp::auth_login_pass(&pass);
        prop_assert_eq!(s.wire.clone(), format!("{}\r\n", STANDARD.encode(&pass)).into_bytes());
    }

    #[test]
    fn quoted_login_round_trips(user in "[ -~]{0,30}", pass in "[ -~]{0,30}") {
        prop_assert!(!imap::login_needs_literal(&user, &pass));
        let s = imap::login("a1", &user, &pass);
        let wire = String::from_utf8(s.wire.clone()).unwrap();
        let rest = wire.strip_prefix("a1 LOGIN ").unwrap().strip_suffix("\r\n").unwrap();
        let (u, p) = unquote_two(rest);
        prop_assert_eq!(u, user);
        prop_assert_eq!(p, pass.clone());
        let s = pop3::pass(&pass);
        prop_assert_eq!(s.wire.clone(), format!("PASS {pass}\r\n").into_bytes());
    }
}

/// Reads two IMAP quoted strings separated by a space.
fn unquote_two(s: &str) -> (String, String) {
    let mut out = Vec::new();
    let mut chars = s.chars();
    for _ in 0..2 {
        assert_eq!(chars.next(), Some('"'));
        let mut v = String::new();
        loop {
            match chars.next().unwrap() {
                '\\' => v.push(chars.next().unwrap()),
                '"' => break,
                c => v.push(c),
            }
        }
        out.push(v);
        let _ = chars.next();
    }
    (out.remove(0), out.remove(0))
}

#[test]
fn fixed_examples() {
    let s = smtp::auth_plain("joe@example.com", "Tr0ub4dor&3");
    assert_eq!(
        s.wire,
        b"AUTH PLAIN AGpvZUBleGFtcGxlLmNvbQBUcjB1YjRkb3ImMw==\r\n"
    );
    assert_eq!(s.shown, "AUTH PLAIN <redacted>");
    let s = imap::login("a1", "joe@example.com", "Tr0ub4dor&3");
    assert_eq!(s.wire, b"a1 LOGIN \"joe@example.com\" \"Tr0ub4dor&3\"\r\n");
    assert_eq!(s.shown, "a1 LOGIN \"joe@example.com\" <redacted>");
    let s = pop3::pass("Tr0ub4dor&3");
    assert_eq!(s.wire, b"PASS Tr0ub4dor&3\r\n");
    assert_eq!(s.shown, "PASS <redacted>");
    for s in all_secrets("joe", "Tr0ub4dor&3") {
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("Tr0ub4dor"), "{dbg}");
        assert!(!dbg.contains("VHIwdWI0ZG9yJjM"), "{dbg}");
    }
}

#[test]
fn user_that_contains_the_password_is_hidden_too() {
    let s = imap::login("a1", "joe.secret@example.com", "secret");
    assert!(!s.shown.contains("secret"));
}
