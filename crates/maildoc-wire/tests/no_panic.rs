//! Whatever a server sends, nothing panics and nothing grows without bound.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_model::Protocol;
use maildoc_wire::imap::{self, ImapError, ResponseReader};
use maildoc_wire::line::{LineBuffer, LineError, printable};
use maildoc_wire::{date, pop3, smtp, sniff};
use proptest::prelude::*;

fn chunks() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..20)
}

/// Lines that look like protocol traffic more often than random bytes do.
fn wireish_line() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9]{3}[ -][ -~]{0,40}",
        "[0-9]{0,4}[ -]?[2-5]\\.[0-9]{1,4}\\.[0-9]{1,4}[ -~]{0,10}",
        "(\\+OK|-ERR|\\+)( \\[[A-Z/-]{0,10}\\]?)?[ -~]{0,30}",
        "\\.{0,2}[ -~]{0,20}",
        "(\\* |a[0-9] |\\+ ?)(OK|NO|BAD|BYE|PREAUTH|CAPABILITY|QUOTA|STATUS|LIST|[0-9]+ EXISTS)? ?(\\[[A-Z]{0,8}[ -~]{0,10}\\]?)?[ -~]{0,30}",
    ]
}

fn imapish_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            "(\\* |a1 |\\+ )?[ -~]{0,30}(~?\\{[0-9]{1,4}[+-]?\\})?\r\n"
                .prop_map(String::into_bytes),
            prop::collection::vec(any::<u8>(), 0..40),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

fn drain_lines(buf: &mut LineBuffer, max_line: usize) {
    loop {
        match buf.next_line() {
            Ok(Some(l)) => assert!(l.chars().count() <= max_line),
            Ok(None) => break,
            Err(LineError::TooLong { len }) => {
                assert!(len > max_line);
                assert!(buf.next_line().is_err(), "keeps refusing");
                break;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn line_buffer_is_bounded(parts in chunks(), max_line in 0usize..200, takes in prop::collection::vec(0usize..50, 0..5)) {
        let mut buf = LineBuffer::new(max_line);
        for (i, part) in parts.iter().enumerate() {
            buf.push(part);
            if let Some(&n) = takes.get(i) {
                let _ = buf.take_exact(n);
            }
            drain_lines(&mut buf, max_line);
            // After draining: at most one partial line (plus its CR).
            prop_assert!(!buf.buffered().contains(&b'\n'));
            prop_assert!(buf.buffered().len() <= max_line + 1);
        }
    }

    #[test]
    fn printable_is_printable(bytes in prop::collection::vec(any::<u8>(), 0..200), max in 0usize..100) {
        let p = printable(&bytes, max);
        prop_assert!(p.chars().count() <= max + 1);
        prop_assert!(!p.chars().any(char::is_control));
    }

    #[test]
    fn sniff_and_classify(bytes in prop::collection::vec(any::<u8>(), 0..64), line in wireish_line()) {
        let _ = sniff::sniff(&bytes);
        for p in [Protocol::Imap, Protocol::Pop3, Protocol::Smtp] {
            let _ = sniff::classify_greeting(p, &line);
            let _ = sniff::classify_greeting(p, &String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn smtp_parser(lines in prop::collection::vec(wireish_line(), 0..40)) {
        let mut p = smtp::ReplyParser::default();
        for l in &lines {
            if let Ok(Some(r)) = p.push_line(l) {
                prop_assert!(r.lines.len() <= smtp::MAX_REPLY_LINES);
                let _ = (r.text(), r.message(), r.first_line(), r.to_string());
                let _ = (r.is_positive(), r.is_transient(), r.is_permanent());
                let _ = smtp::decode_334(&r);
                let e = smtp::Ehlo::from_reply(&r);
                let _ = (e.size(), e.auth_mechanisms(), e.starttls(), e.items(), e.has("AUTH"));
            }
        }
    }

    #[test]
    fn smtp_reply_of_many_lines(n in 0usize..400) {
        let mut p = smtp::ReplyParser::default();
        let mut done = None;
        for _ in 0..n {
            match p.push_line("250-x") {
                Ok(None) => {}
                Ok(Some(_)) => unreachable!(),
                Err(e) => { done = Some(e); break; }
            }
        }
        if n > smtp::MAX_REPLY_LINES {
            prop_assert_eq!(done, Some(smtp::SmtpError::TooManyLines));
        } else {
            prop_assert!(done.is_none());
        }
    }

    #[test]
    fn pop3_parsers(lines in prop::collection::vec(wireish_line(), 0..40)) {
        let mut m = pop3::MultiLine::default();
        for l in &lines {
            let _ = pop3::parse_status(l);
            let _ = pop3::is_continuation(l);
            let _ = pop3::parse_stat(l);
            let _ = pop3::parse_list_one(l);
            if let Some(got) = m.push_line(l) {
                prop_assert!(got.len() <= pop3::MAX_MULTILINE);
                let caps = pop3::parse_capa(&got);
                let _ = (pop3::capa_has(&caps, "STLS"), pop3::sasl_mechanisms(&caps));
            }
        }
        let caps = pop3::parse_capa(&lines);
        let _ = (pop3::capa_has(&caps, "SASL"), pop3::sasl_mechanisms(&caps));
    }

    #[test]
    fn imap_reader_random_bytes(parts in chunks(), max_literal in 0usize..64, max_line in 0usize..128) {
        read_imap(&parts, max_literal, max_line);
    }

    #[test]
    fn imap_reader_imapish(stream in imapish_bytes(), split in 1usize..17, max_literal in 0usize..2000) {
        let parts: Vec<Vec<u8>> = stream.chunks(split).map(<[u8]>::to_vec).collect();
        read_imap(&parts, max_literal, 200);
    }

    #[test]
    fn imap_text_parsers(text in prop_oneof![
        any::<String>(),
        "(\"[ -~]{0,8}\"|[A-Za-z]{0,8}|\"\") ?\\(?([A-Za-z]{1,8} [0-9]{1,20} ?){0,4}\\)?",
    ]) {
        let _ = imap::parse_capabilities(&text);
        let _ = imap::parse_quota(&text);
        let _ = imap::parse_quotaroot(&text);
        let _ = imap::parse_status_data(&text);
        let _ = imap::parse_response(&text);
    }

    #[test]
    fn dates(text in prop_oneof![
        any::<String>(),
        "((Mon|Sun|Xyz),? )?[0-9]{1,3} (Jan|Feb|Nov|Dec|Foo) [0-9]{1,5} [0-9]{1,3}:[0-9]{1,3}(:[0-9]{1,3})? ([+-][0-9]{4,5}|GMT|UT|EST|PDT|Z|QQ)[ -~]{0,5}",
    ]) {
        if let Some(t) = date::find_date(&text) {
            // Years 1900..=9999, offsets within a day.
            prop_assert!((-2_208_988_800 - 86_400..=253_402_300_800 + 86_400).contains(&t));
        }
    }

    #[test]
    fn commands_stay_one_line(s in any::<String>()) {
        for wire in [
            smtp::ehlo(&s), smtp::helo(&s), smtp::mail_from(&s), smtp::rcpt_to(&s),
            pop3::user(&s), imap::capability(&s), imap::getquotaroot("a1", &s),
            imap::status("a1", &s, &[s.as_str(), "MESSAGES"]), imap::logout(&s),
            smtp::auth_login_user(&s),
        ] {
            prop_assert!(wire.ends_with("\r\n"));
            prop_assert_eq!(wire.matches('\n').count(), 1);
            prop_assert_eq!(wire.matches('\r').count(), 1);
            prop_assert!(!wire.contains('\0'));
        }
        for secret in [
            pop3::pass(&s), imap::login("a1", &s, &s), smtp::auth_plain(&s, &s),
            pop3::auth_plain(&s, &s), smtp::auth_login_pass(&s),
        ] {
            prop_assert!(secret.wire.ends_with(b"\r\n"));
            prop_assert_eq!(secret.wire.iter().filter(|&&b| b == b'\n').count(), 1);
            prop_assert_eq!(secret.wire.iter().filter(|&&b| b == b'\r').count(), 1);
        }
    }
}

fn read_imap(parts: &[Vec<u8>], max_literal: usize, max_line: usize) {
    let mut buf = LineBuffer::new(max_line);
    let mut reader = ResponseReader::new(max_literal);
    for part in parts {
        buf.push(part);
        loop {
            match reader.next(&mut buf) {
                Ok(Some(resp)) => {
                    if let imap::Response::Data { text, .. } = &resp {
                        let _ = imap::parse_quota(text);
                        let _ = imap::parse_quotaroot(text);
                        let _ = imap::parse_status_data(text);
                        let _ = imap::parse_capabilities(text);
                    }
                }
                Ok(None) => break,
                Err(ImapError::Line(_)) => return,
                Err(ImapError::LiteralTooLarge(n)) => {
                    assert!(n > 0);
                }
                Err(ImapError::Malformed(m)) => {
                    assert!(m.chars().count() <= 201);
                }
            }
        }
        // A partial line or a partial literal, at most.
        assert!(
            buf.buffered().len() <= (max_line + 1).max(max_literal),
            "buffered {} bytes",
            buf.buffered().len()
        );
    }
}

#[test]
fn megabyte_line_is_too_long() {
    let mut buf = LineBuffer::new(8192);
    buf.push(&vec![b'A'; 1 << 20]);
    assert!(buf.buffered().len() <= 8192);
    assert_eq!(buf.next_line(), Err(LineError::TooLong { len: 1 << 20 }));
    // And through the IMAP reader, fed in socket-sized chunks.
    let mut buf = LineBuffer::new(8192);
    let mut reader = ResponseReader::new(1 << 20);
    let mut refused = false;
    for _ in 0..256 {
        buf.push(&[b'*'; 4096]);
        assert!(buf.buffered().len() <= 8192);
        if matches!(
            reader.next(&mut buf),
            Err(ImapError::Line(LineError::TooLong { .. }))
        ) {
            refused = true;
        }
    }
    assert!(refused);
}

#[test]
fn huge_literal_is_refused() {
    let mut buf = LineBuffer::new(8192);
    let mut reader = ResponseReader::new(1 << 20);
    buf.push(b"* 1 FETCH (BODY[] {999999999}\r\n");
    assert_eq!(
        reader.next(&mut buf),
        Err(ImapError::LiteralTooLarge(999_999_999))
    );
}
