//! One Received header as a hop: who handed the message over (`from`, the name it gave, the
//! name and address the receiver saw), who took it (`by`), how (`with`), whether TLS was
//! used, and when. The formats in the wild vary (Postfix, Exim, Sendmail, qmail, Exchange,
//! Gmail): clauses may be missing, the date may lack its `;`, a version number may look like
//! an address. Only a bracketed address, or a comment that is only an address, is taken as
//! the sending host's address.

use crate::date::{self, Time};
use maildoc_model::message::HopTls;
use std::net::IpAddr;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Received {
    pub from: Option<String>,
    pub from_rdns: Option<String>,
    pub from_ip: Option<IpAddr>,
    pub by: Option<String>,
    pub with: Option<String>,
    pub tls: HopTls,
    pub tls_detail: Option<String>,
    /// qmail's `invoked by uid`, Postfix's `from userid`: a program on the host handed the
    /// message over, not the network.
    pub local_submission: bool,
    pub time_text: Option<String>,
    pub time: Option<Time>,
}

/// A word or a comment of the header, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Comment(String),
}

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut comment = String::new();
    let mut depth = 0usize;
    let flush = |word: &mut String, out: &mut Vec<Token>| {
        if !word.is_empty() {
            out.push(Token::Word(std::mem::take(word)));
        }
    };
    for c in text.chars() {
        if depth > 0 {
            match c {
                '(' => {
                    depth += 1;
                    comment.push(c);
                }
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        out.push(Token::Comment(std::mem::take(&mut comment)));
                    } else {
                        comment.push(c);
                    }
                }
                _ => comment.push(c),
            }
            continue;
        }
        match c {
            '(' => {
                flush(&mut word, &mut out);
                depth = 1;
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    if depth > 0 && !comment.is_empty() {
        out.push(Token::Comment(comment));
    }
    out
}

/// The date and the text before it: after the last `;` when that reads as a date, else from
/// the first weekday or `YYYY-MM-DD` word on that reads as one.
fn split_date(text: &str) -> (&str, Option<(String, Time)>) {
    if let Some(i) = text.rfind(';') {
        let after = text[i + 1..].trim();
        if let Some(t) = date::parse(after) {
            return (&text[..i], Some((after.to_owned(), t)));
        }
    }
    let mut at = 0;
    for word in text.split_inclusive(char::is_whitespace) {
        let w = word.trim();
        let looks = w.len() >= 3
            && (["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                .iter()
                .any(|d| w.to_ascii_lowercase().starts_with(d))
                || (w.len() >= 10
                    && w.as_bytes()[4] == b'-'
                    && w.as_bytes()[..4].iter().all(u8::is_ascii_digit)));
        if looks && let Some(t) = date::parse(&text[at..]) {
            let before = text[..at].trim_end_matches([' ', ';']);
            return (before, Some((text[at..].trim().to_owned(), t)));
        }
        at += word.len();
    }
    (text, None)
}

fn ip(text: &str) -> Option<IpAddr> {
    let t = text
        .trim()
        .trim_start_matches("IPv6:")
        .trim_start_matches("ipv6:");
    t.parse().ok()
}

/// The address in a comment: `[192.0.2.1]` anywhere but in Exim's `helo=` (what the client
/// claimed, not where it connected from), qmail's `user@192.0.2.1`, or the comment being an
/// address.
fn comment_ip(comment: &str) -> Option<IpAddr> {
    let seen = comment
        .to_ascii_lowercase()
        .find("helo=")
        .map_or(comment, |h| &comment[..h]);
    if let (Some(open), Some(close)) = (seen.find('['), seen.find(']'))
        && open < close
        && let Some(a) = ip(&seen[open + 1..close])
    {
        return Some(a);
    }
    seen.split_whitespace()
        .find_map(|w| w.split_once('@').and_then(|(_, a)| ip(a)))
        .or_else(|| ip(comment))
        // Yahoo! JAPAN: `(192.0.2.1 with )`, the address then words.
        .or_else(|| seen.split_whitespace().next().and_then(ip))
}

/// A host name as written in a comment: the first word, when it has a dot and is not an
/// address or a keyword.
fn comment_host(comment: &str) -> Option<String> {
    let first = comment.split_whitespace().next()?;
    let first = first.trim_end_matches([',', ';']);
    let lower = first.to_ascii_lowercase();
    if first.starts_with('[')
        || first.contains('@')
        || ip(first).is_some()
        || !first.contains('.')
        || ["helo", "ehlo", "unknown", "may", "using"]
            .iter()
            .any(|k| lower.starts_with(k))
    {
        return None;
    }
    Some(first.to_owned())
}

/// Whether a comment says TLS was used (in the forms MTAs write it: Postfix's `using TLSv1.3
/// with cipher`, Gmail's and Exchange's `version=TLS1_3 cipher=`, `(TLS)`), and what it says.
/// A host name with `ssl` in it says nothing.
fn tls_comment(comment: &str) -> Option<String> {
    let lower = comment.to_ascii_lowercase();
    let says = [
        "using tls",
        "version=tls",
        "cipher=",
        "with cipher",
        "tlsv1",
        "tls1_",
        "tls1.",
        "google transport security",
    ]
    .iter()
    .any(|p| lower.contains(p))
        || lower.trim() == "tls";
    let denies = lower.contains("no tls") || lower.contains("not using tls");
    (says && !denies).then(|| crate::split::unfold(comment))
}

/// Whether the words after `with` say the session was encrypted: MessageLabs writes the
/// cipher and then `encrypted SMTP`.
fn encrypted_words(clauses: &str) -> bool {
    clauses.to_ascii_lowercase().contains(" encrypted smtp")
}

/// The protocol's word on TLS: `ESMTPS` and the like used it, `SMTP`/`ESMTP` did not;
/// IronPort writes `ESMTP/TLS/<cipher>`.
fn with_tls(with: &str) -> HopTls {
    let w = with.to_ascii_uppercase();
    if w.split('/')
        .skip(1)
        .any(|part| part == "TLS" || part.starts_with("TLSV"))
    {
        return HopTls::Tls;
    }
    match w.as_str() {
        "ESMTPS" | "ESMTPSA" | "SMTPS" | "LMTPS" | "UTF8SMTPS" | "UTF8SMTPSA" | "UTF8LMTPS"
        | "HTTPS" => HopTls::Tls,
        "SMTP" | "ESMTP" | "ESMTPA" | "UTF8SMTP" | "UTF8SMTPA" => HopTls::None,
        _ => HopTls::Unknown,
    }
}

pub fn parse(value: &str) -> Received {
    let text = crate::split::unfold(value);
    let (clauses, dated) = split_date(&text);
    let mut r = Received {
        time_text: dated.as_ref().map(|(t, _)| t.clone()),
        time: dated.map(|(_, t)| t),
        ..Received::default()
    };
    let mut clause = String::new();
    let mut expect_value = false;
    // An address given as the HELO name (`from [192.0.2.1]`): only when the receiver's own
    // record of the address (in the comment) is missing.
    let mut literal_ip = None;
    for token in tokens(clauses) {
        match token {
            Token::Word(w) => {
                let lower = w.to_ascii_lowercase();
                if matches!(
                    lower.as_str(),
                    "from" | "by" | "with" | "id" | "for" | "via"
                ) {
                    clause = lower;
                    expect_value = true;
                    continue;
                }
                let after_from = clause == "from" && r.from.is_some();
                if !(expect_value || after_from) {
                    continue;
                }
                if !expect_value {
                    // ZoneMTA, fetchmail: `from name [192.0.2.1]`, the address the receiver
                    // saw as a word of its own.
                    if let Some(a) = w
                        .strip_prefix('[')
                        .and_then(|x| x.strip_suffix(']'))
                        .and_then(ip)
                    {
                        r.from_ip = r.from_ip.or(Some(a));
                    }
                    continue;
                }
                expect_value = false;
                let v = w.trim_end_matches(';').to_owned();
                match clause.as_str() {
                    "from" => {
                        // `from [192.0.2.1]`, and Yahoo's `from 192.0.2.1 (EHLO name)`.
                        literal_ip = w
                            .strip_prefix('[')
                            .and_then(|x| x.split(']').next())
                            .map_or_else(|| ip(&v), ip);
                        r.from = Some(v);
                    }
                    "by" => r.by = Some(v),
                    "with" => {
                        // A comment may already have said TLS: the protocol word only adds.
                        r.tls = match (r.tls, with_tls(&v)) {
                            (HopTls::Tls, _) | (_, HopTls::Tls) => HopTls::Tls,
                            (_, said) => said,
                        };
                        r.with = Some(v);
                    }
                    _ => {}
                }
            }
            Token::Comment(c) => {
                let lower = c.to_ascii_lowercase();
                if lower.contains("invoked by uid")
                    || lower.contains("from userid")
                    || lower.contains("invoked from network") && r.from.is_none()
                {
                    r.local_submission |= !lower.contains("invoked from network");
                }
                // `from (unknown [192.0.2.4])`: no name given, only the receiver's record.
                if clause == "from" && r.from.is_none() && expect_value {
                    r.from_ip = r.from_ip.or_else(|| comment_ip(&c));
                }
                if clause == "from" && r.from.is_some() {
                    r.from_ip = r.from_ip.or_else(|| comment_ip(&c));
                    if r.from_rdns.is_none() {
                        r.from_rdns = comment_host(&c);
                    }
                    // Exim: `helo=name` inside the comment.
                    if let Some(h) = lower.find("helo=") {
                        let helo: String = c[h + 5..]
                            .chars()
                            .take_while(|ch| !ch.is_whitespace() && *ch != ')')
                            .collect();
                        if !helo.is_empty() && r.from.as_deref().is_some_and(|f| f.starts_with('['))
                        {
                            r.from = Some(helo);
                        }
                    }
                }
                // The sender's host name and address say nothing of TLS.
                let host_comment = clause == "from" && comment_ip(&c).is_some();
                if !host_comment && let Some(detail) = tls_comment(&c) {
                    r.tls = HopTls::Tls;
                    r.tls_detail.get_or_insert(detail);
                }
            }
        }
    }
    r.from_ip = r.from_ip.or(literal_ip);
    if r.tls != HopTls::Tls && encrypted_words(clauses) {
        r.tls = HopTls::Tls;
        r.tls_detail = r.with.clone();
    }
    // Exchange writes `with Microsoft SMTP Server (version=TLS1_2, cipher=...)` when the
    // session was encrypted; without that comment, it was not.
    if r.with.as_deref() == Some("Microsoft") && clauses.contains("Microsoft SMTP Server") {
        r.with = Some("Microsoft SMTP Server".to_owned());
        if r.tls == HopTls::Unknown {
            r.tls = HopTls::None;
        }
    }
    r
}

/// Whether an address is this host's own or a private network's: a hand-off inside one
/// provider, not across the internet.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_loopback() || a.is_private() || a.is_link_local(),
        IpAddr::V6(a) => {
            a.is_loopback()
                || (a.segments()[0] & 0xfe00) == 0xfc00
                || (a.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn postfix_with_tls_in_a_comment() {
        let r = parse(
            "from mail-a.example.com (mail-a.example.com [198.51.100.7])\r\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n\t(No client certificate requested)\r\n\tby mx.example.jp (Postfix) with ESMTPS id 4ABC;\r\n\tMon,  7 Dec 2026 12:00:05 +0900 (JST)",
        );
        assert_eq!(r.from.as_deref(), Some("mail-a.example.com"));
        assert_eq!(r.from_rdns.as_deref(), Some("mail-a.example.com"));
        assert_eq!(r.from_ip, Some("198.51.100.7".parse().unwrap()));
        assert_eq!(r.by.as_deref(), Some("mx.example.jp"));
        assert_eq!(r.with.as_deref(), Some("ESMTPS"));
        assert_eq!(r.tls, HopTls::Tls);
        assert!(r.tls_detail.unwrap().starts_with("using TLSv1.3"));
        assert_eq!(r.time.unwrap().unix, 1_796_612_405);
    }

    #[test]
    fn gmail_first_hop_has_no_from() {
        let r = parse(
            "by 2002:a05:6a20:1234:b0:1a2:3b4:5c6 with SMTP id x12csp1234pzb;\r\n        Mon, 7 Dec 2026 03:00:00 -0800 (PST)",
        );
        assert_eq!(r.from, None);
        assert_eq!(r.by.as_deref(), Some("2002:a05:6a20:1234:b0:1a2:3b4:5c6"));
        assert_eq!(r.tls, HopTls::None);
        assert_eq!(r.time.unwrap().offset_min, -480);
    }

    #[test]
    fn exchange_version_numbers_are_not_addresses() {
        let r = parse(
            "from TY2PR01MB1234.jpnprd01.prod.outlook.com (2603:1096:404:1::12) by OS3PR01MB5678.jpnprd01.prod.outlook.com with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.6002.33; Mon, 7 Dec 2026 03:00:01 +0000",
        );
        assert_eq!(r.from_ip, Some("2603:1096:404:1::12".parse().unwrap()));
        assert_eq!(r.with.as_deref(), Some("Microsoft SMTP Server"));
        assert_eq!(r.tls, HopTls::Tls);
        assert!(r.tls_detail.unwrap().contains("version=TLS1_2"));
        // Without the version comment, Exchange took the message unencrypted.
        let r = parse(
            "from EX01.corp.example (10.0.0.5) by EX02.corp.example (10.0.0.6) with Microsoft SMTP Server id 15.1.225.42 via Frontend Transport; Mon, 7 Dec 2026 03:00:01 +0000",
        );
        assert_eq!(r.from_ip, Some("10.0.0.5".parse().unwrap()));
        assert!(is_internal(r.from_ip.unwrap()));
        assert_eq!(r.tls, HopTls::None);
    }

    #[test]
    fn the_forms_of_exim_zonemta_qmail_and_messagelabs() {
        // Exim: the bracketed address is where the client connected from; `helo=` is only
        // what it claimed.
        let r = parse(
            "from [110.174.147.37] (port=52874 helo=[192.168.100.126]) by mx.example.net with esmtp (Exim 4.96); Mon, 07 Dec 2026 03:00:00 +0000",
        );
        assert_eq!(r.from_ip, Some("110.174.147.37".parse().unwrap()));
        assert_eq!(r.from.as_deref(), Some("[192.168.100.126]"));
        // ZoneMTA and fetchmail: the address as a word of its own.
        let r = parse(
            "from foo [127.0.0.1] by srs3.zonevs.eu (ZoneMTA Forwarder) with ESMTP id 1; Mon, 07 Dec 2026 03:00:00 +0000",
        );
        assert_eq!(r.from_ip, Some("127.0.0.1".parse().unwrap()));
        // No name, only the receiver's record.
        let r = parse(
            "from (unknown [192.0.2.4]) by mpps.example.co.jp with smtp; Mon, 07 Dec 2026 03:00:00 +0000",
        );
        assert_eq!(r.from_ip, Some("192.0.2.4".parse().unwrap()));
        // qmail: the address after the login name.
        let r = parse(
            "from unknown (HELO localhost) (someone@219.133.84.88 with login) by smtp011.mail.yahoo.com with SMTP; 9 Jun 2008 19:24:02 -0000",
        );
        assert_eq!(r.from_ip, Some("219.133.84.88".parse().unwrap()));
        // MessageLabs: the cipher, then `encrypted SMTP`.
        let r = parse(
            "from mail.example.jp (mail.example.jp [198.51.100.20]) by server-0.tower-0.messagelabs.com with DHE-RSA-AES256-GCM-SHA384 encrypted SMTP; Mon, 07 Dec 2026 03:00:00 +0000",
        );
        assert_eq!(r.tls, HopTls::Tls);
        // Yahoo: the address as the `from` word; Yahoo! JAPAN: the address, then words.
        let r = parse(
            "from 44.232.64.129 (EHLO mail.example.net) by 10.197.37.10 with SMTPs; Mon, 07 Dec 2026 03:00:00 +0000",
        );
        assert_eq!(r.from_ip, Some("44.232.64.129".parse().unwrap()));
        let r = parse(
            "from mail.example.jp (192.0.2.32 with ) by mta.mail.yahoo.co.jp with NNFMP; Mon, 07 Dec 2026 03:00:00 +0000",
        );
        assert_eq!(r.from_ip, Some("192.0.2.32".parse().unwrap()));
        // qmail's `(user@address)` is not a host name.
        let r = parse(
            "from unknown (root@130.183.70.10) by mx.example.de with SMTP; 7 Dec 2026 03:00:00 -0000",
        );
        assert_eq!(r.from_rdns, None);
        assert_eq!(r.from_ip, Some("130.183.70.10".parse().unwrap()));
        // IronPort: the protocol, TLS and the cipher in one word.
        let r = parse(
            "from a.example (a.example [198.51.100.8]) by esa.example.com with ESMTP/TLS/ECDHE-RSA-AES256-GCM-SHA384; Mon, 07 Dec 2026 03:00:00 +0000",
        );
        assert_eq!(r.tls, HopTls::Tls);
    }

    #[test]
    fn exim_helo_and_qmail_without_clauses() {
        let r = parse(
            "from [192.0.2.44] (helo=sender.example.org) by mail.example.net with esmtp (Exim 4.96) (envelope-from <a@example.org>) id 1abc; Mon, 07 Dec 2026 03:00:00 +0000",
        );
        assert_eq!(r.from.as_deref(), Some("sender.example.org"));
        assert_eq!(r.from_ip, Some("192.0.2.44".parse().unwrap()));
        assert_eq!(r.tls, HopTls::None);
        let r = parse("(qmail 10876 invoked by uid 89); 7 Dec 2026 03:00:00 -0000");
        assert!(r.local_submission);
        assert_eq!(r.from, None);
        assert!(r.time.is_some());
    }

    #[test]
    fn the_receivers_record_wins_and_a_host_name_says_nothing_of_tls() {
        let r = parse(
            "from [192.168.1.2] (p1.isp.example.ne.jp [203.0.113.5]) by smtp.isp.example.ne.jp with ESMTPA; Mon, 07 Dec 2026 03:00:00 +0000",
        );
        assert_eq!(r.from_ip, Some("203.0.113.5".parse().unwrap()));
        assert_eq!(r.tls, HopTls::None);
        let r = parse(
            "from smtp-ssl.example.jp (smtp-ssl.example.jp [198.51.100.7]) (envelope-from <tls@example.jp>) by mx.example.jp with ESMTP; Mon, 07 Dec 2026 03:00:00 +0000",
        );
        assert_eq!(r.tls, HopTls::None);
        let r = parse(
            "from a.example (a.example [198.51.100.8]) (using TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)) by b.example with ESMTP; Mon, 07 Dec 2026 03:00:00 +0000",
        );
        assert_eq!(
            r.tls,
            HopTls::Tls,
            "a TLS comment before a plain protocol word"
        );
    }

    #[test]
    fn a_long_header_of_weekdays_is_read_in_linear_time() {
        // Each weekday tries a date from there on: only a short window of it, or this would
        // read 50,000 × 200 KB.
        let text = "Mon ".repeat(50_000);
        assert!(parse(&text).time.is_none());
    }

    #[test]
    fn a_date_without_its_semicolon_is_found() {
        let r =
            parse("from a.example by b.example with SMTP id 123 Mon, 7 Dec 2026 03:00:00 +0000");
        assert_eq!(r.time.unwrap().unix, 1_796_612_400);
        assert_eq!(r.by.as_deref(), Some("b.example"));
        let r = parse(
            "from a.example by b.example with SMTP id 123 2026-12-07 03:00:00.61 +0000 UTC m=+5.7",
        );
        assert_eq!(r.time.unwrap().unix, 1_796_612_400);
    }

    proptest::proptest! {
        #[test]
        fn any_text_reads_without_panic(text in "\\PC{0,200}") {
            let _ = parse(&text);
        }
    }
}
