//! A received message read as evidence, with no I/O: its header fields
//! ([`split`]), each Received header as a hop ([`received`], dates by [`date`]), what the
//! receivers reported ([`authres`]), what spam filters wrote ([`spam`]) and how the headers
//! people read are encoded ([`encoding`]). Nothing here judges: which hops the receiver's own
//! provider wrote, and what is wrong, are `maildoc_diagnose::message`'s.
//!
//! Anything is read without panic: bytes that are not UTF-8, a paste without a body, a header
//! block of thousands of fields (read up to [`split::MAX_FIELDS`]).

pub mod authres;
pub mod date;
pub mod encoding;
pub mod mbox;
pub mod received;
pub mod spam;
pub mod split;

use maildoc_model::message::{
    Hop, MESSAGE_SCHEMA_VERSION, MessageAuth, MessageReport, MessageSummary,
};

/// The most characters of a header kept as its raw text.
const RAW_MAX: usize = 2_000;

/// `input` with its line ends made CRLF when every one is a CR alone (files saved by the old
/// Mac OS, and some archives of them); any other input as it is.
pub fn with_line_feeds(input: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if input.contains(&b'\r') && !input.contains(&b'\n') {
        let mut out = Vec::with_capacity(input.len() + input.len() / 32);
        for &b in input {
            out.push(b);
            if b == b'\r' {
                out.push(b'\n');
            }
        }
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(input)
    }
}

/// The message itself within `input`: from its first header field to the end of its body,
/// without an mbox's `From ` line and the messages after it, a byte-order mark or the blank
/// lines of a paste.
pub fn message_bytes(input: &[u8]) -> &[u8] {
    split::split(input).message
}

/// The message's evidence; its findings are left empty.
pub fn read(input: &[u8]) -> MessageReport {
    let split = split::split(input);
    let mut hops = Vec::new();
    let mut reported = Vec::new();
    let mut spam = Vec::new();
    let mut encoding = Vec::new();
    for (index, field) in split.fields.iter().enumerate() {
        if field.is("Received") {
            hops.push((index, field.text()));
        } else if field.is("Authentication-Results") || field.is("ARC-Authentication-Results") {
            let mut r = authres::authentication_results(field.name, &field.text());
            r.header_index = index;
            reported.push(r);
        } else if field.is("Received-SPF") {
            let mut r = authres::received_spf(&field.text());
            r.header_index = index;
            reported.push(r);
        }
        if let Some(mut s) = spam::signal(field) {
            s.header_index = index;
            spam.push(s);
        }
        if encoding::READ_BY_PEOPLE.iter().any(|h| field.is(h))
            && let Some(note) = encoding::note(field)
        {
            encoding.push(note);
        }
    }
    let hops = hops_oldest_first(hops);
    let total_delay_s = {
        let times: Vec<i64> = hops.iter().filter_map(|h| h.time_unix).collect();
        match (times.first(), times.last()) {
            (Some(first), Some(last)) if times.len() > 1 => Some(last - first),
            _ => None,
        }
    };
    MessageReport {
        schema_version: MESSAGE_SCHEMA_VERSION,
        maildoc_version: env!("CARGO_PKG_VERSION").to_owned(),
        source: split.source,
        summary: summary(&split),
        hops,
        total_delay_s,
        trusted_from_hop: None,
        receiver: None,
        auth: MessageAuth {
            reported,
            ..MessageAuth::default()
        },
        spam,
        encoding,
        findings: Vec::new(),
    }
}

/// The Received headers (newest first, as they stand) as hops, oldest first, each with its
/// delay since the previous dated hop.
fn hops_oldest_first(fields: Vec<(usize, String)>) -> Vec<Hop> {
    let mut hops = Vec::with_capacity(fields.len());
    let mut previous: Option<i64> = None;
    for (number, (index, text)) in fields.into_iter().rev().enumerate() {
        let r = received::parse(&text);
        let with = r.with.as_deref().unwrap_or("").to_ascii_uppercase();
        let localhost = |name: &Option<String>| {
            name.as_deref().is_some_and(|n| {
                let n = n.trim_end_matches('.').to_ascii_lowercase();
                n == "localhost" || n.starts_with("localhost.")
            })
        };
        // A filter on the same host (amavis, a milter) takes the message `by localhost`,
        // however it names the client it got it from.
        let local = r.local_submission
            || r.from.is_none()
            || r.from_ip.is_some_and(received::is_internal)
            || (r.from_ip.is_none() && localhost(&r.from))
            || localhost(&r.by)
            || with.starts_with("LMTP")
            || with == "LOCAL"
            || with == "MAPI";
        let time_unix = r.time.map(|t| t.unix);
        let delay_s = match (previous, time_unix) {
            (Some(p), Some(t)) => Some(t - p),
            _ => None,
        };
        let clock_skew = delay_s.is_some_and(|d| d < -2);
        if time_unix.is_some() {
            previous = time_unix;
        }
        hops.push(Hop {
            number: number + 1,
            from: r.from,
            from_rdns: r.from_rdns,
            from_ip: r.from_ip.map(|a| a.to_string()),
            by: r.by,
            with: r.with,
            tls: r.tls,
            tls_detail: r.tls_detail,
            local,
            time_text: r.time_text,
            time: r.time.map(date::Time::rfc3339),
            time_unix,
            delay_s,
            clock_skew,
            raw: text
                .chars()
                .filter(|c| !c.is_control())
                .take(RAW_MAX)
                .collect(),
            header_index: index,
        });
    }
    hops
}

/// Subject, From, To, Date and Message-ID, decoded (encoded words, legacy charsets).
fn summary(split: &split::Split<'_>) -> MessageSummary {
    let parsed = mail_parser::MessageParser::new().parse_headers(split.head);
    let mut s = MessageSummary::default();
    if let Some(m) = &parsed {
        s.subject = m.subject().map(str::to_owned);
        let person = |a: Option<&mail_parser::Address<'_>>| {
            let first = a?.first()?;
            let address = first.address().unwrap_or_default();
            Some(match first.name() {
                Some(name) if !name.is_empty() => format!("{name} <{address}>"),
                _ => address.to_owned(),
            })
        };
        s.from = person(m.from());
        s.from_domain = m
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .and_then(|a| a.rsplit_once('@'))
            .map(|(_, d)| d.trim_end_matches('>').to_ascii_lowercase());
        s.to = person(m.to());
        s.message_id = m.message_id().map(str::to_owned);
    }
    // Raw legacy bytes (no charset declared): read as the apps most likely read them.
    for (name, slot) in [("Subject", &mut s.subject), ("From", &mut s.from)] {
        if let Some(field) = split.fields.iter().find(|f| f.is(name))
            && let Some((_, text)) = encoding::guess_legacy(field.value)
        {
            *slot = Some(split::unfold(&text));
        }
    }
    if let Some(field) = split.fields.iter().find(|f| f.is("Return-Path")) {
        let text = field.text();
        s.return_path = Some(
            text.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned(),
        );
    }
    if let Some(field) = split.fields.iter().find(|f| f.is("Date")) {
        let text = field.text();
        if let Some(t) = date::parse(&text) {
            s.date_time = Some(t.rfc3339());
            s.date_unix = Some(t.unix);
        }
        s.date = Some(text);
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use maildoc_model::message::{HopTls, MessageSource};

    const MESSAGE: &str = "Return-Path: <taro@example.jp>\r\n\
Delivered-To: hanako@example.net\r\n\
Received: from mx.example.net by mbox.example.net with LMTP id abc; Mon, 07 Dec 2026 03:05:10 +0000\r\n\
Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=taro@example.jp; dkim=pass header.d=example.jp; dmarc=pass header.from=example.jp\r\n\
Received: from smtp.example.jp (smtp.example.jp [198.51.100.7])\r\n\
\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n\
\tby mx.example.net (Postfix) with ESMTPS id 4XYZ for <hanako@example.net>;\r\n\
\tMon, 07 Dec 2026 03:05:09 +0000 (UTC)\r\n\
Received: from [192.0.2.10] (unknown [192.0.2.10])\r\n\
\tby smtp.example.jp (Postfix) with ESMTPSA id 1ABC;\r\n\
\tMon,  7 Dec 2026 12:00:00 +0900 (JST)\r\n\
From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <taro@example.jp>\r\n\
To: hanako@example.net\r\n\
Subject: =?UTF-8?B?44OG44K544OI?=\r\n\
Date: Mon, 7 Dec 2026 11:59:58 +0900\r\n\
Message-ID: <abc@example.jp>\r\n\
X-Spam-Status: No, score=-0.1 required=5.0\r\n\
\r\n\
body\r\n";

    #[test]
    fn a_delivered_message_reads_as_hops_reports_and_signals() {
        let r = read(MESSAGE.as_bytes());
        assert_eq!(r.source, MessageSource::Message);
        assert_eq!(r.summary.subject.as_deref(), Some("テスト"));
        assert_eq!(r.summary.from.as_deref(), Some("山田 <taro@example.jp>"));
        assert_eq!(r.summary.from_domain.as_deref(), Some("example.jp"));
        assert_eq!(r.summary.date_time.as_deref(), Some("2026-12-07T02:59:58Z"));
        assert_eq!(r.hops.len(), 3);
        let first = &r.hops[0];
        assert_eq!(first.number, 1);
        assert_eq!(first.by.as_deref(), Some("smtp.example.jp"));
        assert_eq!(first.from_ip.as_deref(), Some("192.0.2.10"));
        assert_eq!(first.tls, HopTls::Tls);
        assert!(!first.local);
        let second = &r.hops[1];
        assert_eq!(second.delay_s, Some(309));
        assert_eq!(second.tls, HopTls::Tls);
        assert!(r.hops[2].local, "LMTP");
        assert_eq!(r.hops[2].delay_s, Some(1));
        assert_eq!(r.total_delay_s, Some(310));
        assert_eq!(r.auth.reported.len(), 1);
        assert_eq!(r.auth.reported[0].results.len(), 3);
        assert_eq!(r.spam.len(), 1);
        let charsets: Vec<&str> = r
            .encoding
            .iter()
            .flat_map(|n| n.charsets.iter().map(String::as_str))
            .collect();
        assert_eq!(charsets, ["ISO-2022-JP", "UTF-8"]);
    }

    #[test]
    fn a_clock_behind_is_skew_not_delay() {
        let text = "Received: from b.example (b.example [198.51.100.2]) by c.example with ESMTP; Mon, 07 Dec 2026 03:00:00 +0000\n\
Received: from a.example (a.example [198.51.100.1]) by b.example with ESMTP; Mon, 07 Dec 2026 03:10:00 +0000\n\
Subject: x\n";
        let r = read(text.as_bytes());
        assert_eq!(r.source, MessageSource::Headers);
        assert_eq!(r.hops[1].delay_s, Some(-600));
        assert!(r.hops[1].clock_skew);
        assert_eq!(r.hops[1].tls, HopTls::None);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_read_without_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000)) {
            let _ = read(&bytes);
        }

        #[test]
        fn mangled_messages_read_without_panic(cut in 0usize..1200, insert in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..20)) {
            let mut bytes = MESSAGE.as_bytes().to_vec();
            let at = cut.min(bytes.len());
            bytes.splice(at..at, insert);
            let _ = read(&bytes);
        }
    }
}
