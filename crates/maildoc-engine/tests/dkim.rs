//! DKIM signatures verified by `maildoc_engine::message::check` over a message's bytes, with
//! the key the lab's DNS serves (`sel1._domainkey.lab.example`, made fresh at each lab start):
//! a signature that holds, a body changed after signing, a signed header changed, a revoked
//! key, a key that is not there, and a paste with no body.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mail_auth::common::crypto::{RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use maildoc_engine::Env;
use maildoc_model::Code;
use maildoc_model::message::{DkimVerdict, MessageReport};
use maildoc_testkit::lab::Lab;
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use std::time::Duration;

const MESSAGE: &str = "From: Taro <taro@lab.example>\r\n\
To: hanako@lab.example\r\n\
Subject: =?UTF-8?B?44OG44K544OI?=\r\n\
Date: Mon, 07 Dec 2026 03:00:00 +0000\r\n\
Message-ID: <dkim-test@lab.example>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=UTF-8\r\n\
\r\n\
Hello from the lab.\r\n\
.A line that starts with a dot.\r\n";

/// `MESSAGE` signed by the lab's key under `selector`.
fn signed(lab: &Lab, selector: &str) -> String {
    sign(lab, selector, MESSAGE)
}

/// `message` signed by the lab's key (d=lab.example) under `selector`.
fn sign(lab: &Lab, selector: &str, message: &str) -> String {
    let pem = std::fs::read(lab.var("MAILDOC_LAB_DKIM_KEY")).unwrap();
    let der = PrivateKeyDer::from_pem_slice(&pem).unwrap();
    let key = RsaKey::<Sha256>::from_key_der(der).unwrap();
    let signature = DkimSigner::from_key(key)
        .domain(lab.var("MAILDOC_LAB_DKIM_DOMAIN"))
        .selector(selector)
        .headers(["From", "To", "Subject", "Date", "Message-ID"])
        .sign(message.as_bytes())
        .unwrap();
    format!("{}{message}", signature.to_header())
}

async fn check(lab: &Lab, message: &str) -> MessageReport {
    let dns = lab.dns().parse().unwrap();
    let env = Env::new(Some(dns), None).unwrap();
    maildoc_engine::message::check(&env, message.as_bytes(), Duration::from_secs(8)).await
}

fn verdicts(r: &MessageReport) -> Vec<DkimVerdict> {
    r.auth.verified.iter().map(|s| s.result).collect()
}

fn codes(r: &MessageReport) -> Vec<Code> {
    r.findings.iter().map(|f| f.code).collect()
}

#[tokio::test]
#[ignore = "needs the lab: lab/lab.sh start"]
async fn signatures_are_verified_with_the_key_in_the_labs_dns() {
    let lab = Lab::get();
    let selector = lab.var("MAILDOC_LAB_DKIM_SELECTOR");
    let good = signed(&lab, &selector);

    let r = check(&lab, &good).await;
    assert!(r.auth.verified_online);
    assert_eq!(verdicts(&r), [DkimVerdict::Pass]);
    assert_eq!(r.auth.verified[0].domain, "lab.example");
    assert_eq!(r.auth.verified[0].algorithm, "rsa-sha256");
    assert!(
        !codes(&r).contains(&Code::MessageDkimFail),
        "{:?}",
        codes(&r)
    );

    // In an mbox, after its From line and before the next message: the same message.
    let mbox = format!(
        "From taro@lab.example Mon Dec  7 03:00:00 2026\r\n{good}\r\nFrom x@lab.example Mon Dec  7 03:01:00 2026\r\nSubject: next\r\n\r\nanother\r\n"
    );
    assert_eq!(verdicts(&check(&lab, &mbox).await), [DkimVerdict::Pass]);

    // The body changed after signing: told apart from a broken signature.
    let r = check(
        &lab,
        &good.replace("Hello from the lab.", "Hello from a gateway."),
    )
    .await;
    assert_eq!(verdicts(&r), [DkimVerdict::BodyModified]);
    assert!(
        codes(&r).contains(&Code::MessageDkimBodyModified),
        "{:?}",
        codes(&r)
    );

    // A signed header changed: the signature itself fails.
    let r = check(
        &lab,
        &good.replace("To: hanako@lab.example", "To: jiro@lab.example"),
    )
    .await;
    assert_eq!(verdicts(&r), [DkimVerdict::Fail]);
    let fail = r
        .findings
        .iter()
        .find(|f| f.code == Code::MessageDkimFail)
        .unwrap();
    assert_eq!(fail.params["receiver"], "maildoc");

    // A revoked key, and a key that is not there: no pass, and no failure claimed for the
    // missing one.
    let r = check(&lab, &signed(&lab, "revoked")).await;
    assert_eq!(verdicts(&r), [DkimVerdict::Revoked]);
    let r = check(&lab, &signed(&lab, "nosuchselector")).await;
    assert_eq!(verdicts(&r), [DkimVerdict::KeyMissing]);
    assert!(
        !codes(&r).contains(&Code::MessageDkimFail),
        "{:?}",
        codes(&r)
    );

    // Only the headers: nothing can be verified.
    let head = good.split("\r\n\r\n").next().unwrap();
    let r = check(&lab, &format!("{head}\r\n")).await;
    assert_eq!(verdicts(&r), [DkimVerdict::NoBody]);
}

#[tokio::test]
#[ignore = "needs the lab: lab/lab.sh start"]
async fn offline_verifies_nothing() {
    let lab = Lab::get();
    let good = signed(&lab, &lab.var("MAILDOC_LAB_DKIM_SELECTOR"));
    let r = maildoc_engine::message::analyze(good.as_bytes());
    assert!(!r.auth.verified_online);
    assert!(r.auth.verified.is_empty());
}

/// A message from good.posture.lab.example (SPF `ip4:192.0.2.60 -all`, DMARC `p=reject`) as
/// the receiver mx.lab.example took it from `ip`, signed by lab.example (aligned with it,
/// relaxed) or not.
fn delivered(lab: &Lab, ip: &str, signed: bool) -> String {
    let message = MESSAGE.replace(
        "Taro <taro@lab.example>",
        "Info <info@good.posture.lab.example>",
    );
    let message = if signed {
        sign(lab, &lab.var("MAILDOC_LAB_DKIM_SELECTOR"), &message)
    } else {
        message
    };
    format!(
        "Return-Path: <bounce@good.posture.lab.example>\r\n\
         Received: from out.good.posture.lab.example (out.good.posture.lab.example [{ip}]) by mx.lab.example with ESMTPS id 1; Mon, 07 Dec 2026 03:00:01 +0000\r\n{message}"
    )
}

#[tokio::test]
#[ignore = "needs the lab: lab/lab.sh start"]
async fn spf_and_dmarc_are_evaluated_again_for_the_entry_hop() {
    let lab = Lab::get();
    let r = check(&lab, &delivered(&lab, "192.0.2.60", true)).await;
    let spf = r.auth.spf.as_ref().unwrap();
    assert_eq!(
        (spf.result.as_str(), spf.domain.as_str()),
        ("pass", "good.posture.lab.example")
    );
    let dmarc = r.auth.dmarc.as_ref().unwrap();
    assert_eq!(dmarc.result, "pass");
    assert_eq!(dmarc.policy.as_deref(), Some("reject"));
    assert!(dmarc.spf_aligned && dmarc.dkim_aligned, "{dmarc:?}");
    assert!(
        !codes(&r).contains(&Code::MessageDmarcFail),
        "{:?}",
        codes(&r)
    );

    // From an address the domain does not list, unsigned: both fail, in maildoc's name.
    let r = check(&lab, &delivered(&lab, "192.0.2.61", false)).await;
    assert_eq!(r.auth.spf.as_ref().unwrap().result, "fail");
    assert_eq!(r.auth.dmarc.as_ref().unwrap().result, "fail");
    let dmarc = r
        .findings
        .iter()
        .find(|f| f.code == Code::MessageDmarcFail)
        .unwrap();
    assert_eq!(dmarc.params["receiver"], "maildoc");
    assert_eq!(dmarc.params["policy"], "reject");
    assert!(codes(&r).contains(&Code::MessageSpfFail), "{:?}", codes(&r));

    // Signed, from the wrong address: SPF fails, DMARC holds through DKIM.
    let r = check(&lab, &delivered(&lab, "192.0.2.61", true)).await;
    assert_eq!(r.auth.dmarc.as_ref().unwrap().result, "pass");
    assert!(
        !codes(&r).contains(&Code::MessageDmarcFail),
        "{:?}",
        codes(&r)
    );
    assert!(codes(&r).contains(&Code::MessageSpfFail), "{:?}", codes(&r));
}
