//! `maildoc_engine::message::analyze` over a set of messages shaped like those in the wild
//! (Gmail receiving from a shop's Postfix, Exchange Online filing a spoof as junk, a Japanese
//! ISP with SpamAssassin and a raw Shift_JIS subject, a mailing list that breaks DKIM, a
//! message the lab's Postfix delivered to its Dovecot, Exchange Online delivering a bulk
//! message to the inbox under a made-up route, and clocks that disagree in a file saved with
//! the old Mac's CR line ends), each beside the facts expected of it
//! (`NAME.expected.json`): the hops, their encryption and delays, which hop the receiver's
//! provider wrote from, what it reported, the spam verdicts and the finding codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_model::message::{HopTls, MessageReport};
use serde_json::{Value, json};
use std::path::Path;

fn facts(r: &MessageReport) -> Value {
    let tls: Vec<&str> = r
        .hops
        .iter()
        .map(|h| match (h.local, h.tls) {
            (true, _) => "local",
            (false, HopTls::Tls) => "tls",
            (false, HopTls::None) => "none",
            (false, HopTls::Unknown) => "unknown",
        })
        .collect();
    let mut auth: Vec<String> = r
        .auth
        .reported
        .iter()
        .filter(|a| a.trusted)
        .flat_map(|a| {
            a.results
                .iter()
                .map(|x| format!("{}={}", x.method, x.result))
        })
        .collect();
    auth.sort();
    auth.dedup();
    let spam: Vec<Value> = r
        .spam
        .iter()
        .filter(|s| s.trusted)
        .map(|s| serde_json::to_value(s.verdict).unwrap())
        .collect();
    json!({
        "source": r.source,
        "subject": r.summary.subject,
        "hops": r.hops.len(),
        "tls": tls,
        "delays": r.hops.iter().map(|h| h.delay_s).collect::<Vec<_>>(),
        "total_delay_s": r.total_delay_s,
        "trusted_from_hop": r.trusted_from_hop,
        "receiver": r.receiver,
        "auth": auth,
        "spam": spam,
        "codes": r.findings.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(),
    })
}

#[test]
fn each_message_gives_the_facts_expected_of_it() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/messages");
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.to_string_lossy().ends_with(".expected.json") {
            continue;
        }
        let expected_path = path.with_extension("expected.json");
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
        let report = maildoc_engine::message::analyze(&std::fs::read(&path).unwrap());
        assert_eq!(facts(&report), expected, "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 5, "{checked} messages");
}

#[test]
fn a_message_cut_anywhere_or_sent_with_lf_gives_no_panic_and_the_same_route() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/messages");
    let bytes = std::fs::read(dir.join("gmail-from-a-shop.eml")).unwrap();
    let lf: Vec<u8> = bytes.iter().copied().filter(|b| *b != b'\r').collect();
    let with_crlf = maildoc_engine::message::analyze(&bytes);
    let with_lf = maildoc_engine::message::analyze(&lf);
    assert_eq!(facts(&with_crlf), facts(&with_lf));
    for cut in (0..bytes.len()).step_by(37) {
        let _ = maildoc_engine::message::analyze(&bytes[..cut]);
    }
}

#[test]
fn what_the_sender_wrote_below_the_receivers_entry_is_not_believed() {
    // The receiver names itself by a bare host name. The sender's server wrote a not-spam
    // verdict of its own, and a passing Authentication-Results below its own hop. (One
    // between the two hops, with the receiver's authserv-id, is believed: RFC 8601 has the
    // receiver remove such headers that come from outside, and Gmail writes its own there.)
    let text = "Received: from mail.sender.example.co.jp (mail.sender.example.co.jp [198.51.100.7]) by mx with ESMTP id 1; Mon, 07 Dec 2026 03:00:05 +0000\r\n\
X-Spam-Flag: NO\r\n\
Received: from [192.0.2.10] (pc.example.net [192.0.2.10]) by mail.sender.example.co.jp with ESMTPSA id 2; Mon, 07 Dec 2026 03:00:00 +0000\r\n\
Authentication-Results: mx; dmarc=pass header.from=bank.example.co.jp\r\n\
From: notice@bank.example.co.jp\r\n\
Subject: [meiwaku] hello\r\n";
    let r = maildoc_engine::message::analyze(text.as_bytes());
    assert_eq!(r.trusted_from_hop, Some(2));
    assert!(r.auth.reported.iter().all(|a| !a.trusted), "{:?}", r.auth);
    assert!(r.spam.iter().all(|s| !s.trusted), "{:?}", r.spam);
    let codes: Vec<&str> = r.findings.iter().map(|f| f.code.as_str()).collect();
    assert!(codes.contains(&"message-no-auth"), "{codes:?}");
    assert!(!codes.contains(&"message-marked-spam"), "{codes:?}");
    // The hop into the receiver (plain ESMTP from 198.51.100.7) crossed the network without
    // TLS; the submission (ESMTPSA) did not.
    let unencrypted: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code.as_str() == "message-unencrypted-hop")
        .map(|f| f.params["hop"].as_str())
        .collect();
    assert_eq!(unencrypted, ["2"]);
    assert_eq!(r.hops[0].from_ip.as_deref(), Some("192.0.2.10"));
}
