#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

const SYMPTOMS: &[&str] = &[
    "receive",
    "send",
    "both",
    "signin",
    "one-sender",
    "one-recipient",
    "notify-late",
];

fn t(symptom: &str) -> Triage {
    Triage::new(symptom).unwrap()
}

fn ids(t: &Triage) -> Vec<&'static str> {
    t.causes().iter().map(|(c, _)| c.id.as_str()).collect()
}

fn likelihood(t: &Triage, cause: &str) -> Likelihood {
    t.causes()
        .into_iter()
        .find(|(c, _)| c.id == cause)
        .map(|(_, l)| l)
        .unwrap_or_else(|| panic!("{cause} not in the table: {:?}", ids(t)))
}

/// Answers every question as asked, choosing with `pick`, and returns the ids asked.
fn walk(t: &mut Triage, mut pick: impl FnMut(&Question) -> String) -> Vec<String> {
    let mut asked = Vec::new();
    while let Some(q) = t.next_question() {
        assert!(asked.len() < 40, "the questions never end: {asked:?}");
        asked.push(q.id.clone());
        let v = pick(q);
        t.answer(&q.id, &v).unwrap();
    }
    asked
}

#[test]
fn data_is_complete_and_consistent() {
    assert_eq!(
        symptoms().iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        SYMPTOMS
    );
    assert!(all_causes().len() >= 20);
    let cause_ids: BTreeSet<&str> = all_causes().iter().map(|c| c.id.as_str()).collect();
    assert_eq!(cause_ids.len(), all_causes().len(), "duplicate cause id");
    for s in symptoms() {
        for lang in Lang::ALL {
            assert!(!s.text(*lang).trim().is_empty(), "{}", s.id);
        }
        assert!(!s.prior.is_empty(), "{}", s.id);
        for (c, p) in &s.prior {
            assert!(
                cause_ids.contains(c.as_str()),
                "{}: unknown cause {c}",
                s.id
            );
            assert!(*p > 0.0, "{}: {c}", s.id);
        }
        assert!(
            questions().iter().any(|q| q.applies_to(&s.id)),
            "{}: no question",
            s.id
        );
    }
    for c in all_causes() {
        for lang in Lang::ALL {
            assert!(!c.text(*lang).trim().is_empty(), "{}", c.id);
        }
        assert_eq!(c.ask_ja.is_empty(), c.ask_en.is_empty(), "{}: ask", c.id);
        assert_eq!(
            c.codes.is_empty(),
            c.area == Area::None,
            "{}: codes/area",
            c.id
        );
        assert!(
            symptoms().iter().any(|s| s.prior.contains_key(&c.id))
                || questions()
                    .iter()
                    .flat_map(|q| &q.answers)
                    .any(|a| a.add.contains_key(&c.id)),
            "{}: no symptom can reach it",
            c.id
        );
    }
    let mut qids = BTreeSet::new();
    for q in questions() {
        assert!(qids.insert(q.id.as_str()), "duplicate question {}", q.id);
        for lang in Lang::ALL {
            assert!(!q.text(*lang).trim().is_empty(), "{}", q.id);
        }
        for s in &q.symptoms {
            assert!(SYMPTOMS.contains(&s.as_str()), "{}: {s}", q.id);
        }
        for (k, v) in &q.when {
            if k == "symptom" {
                assert!(SYMPTOMS.contains(&v.as_str()), "{}: when {v}", q.id);
            } else {
                let dep = question(k).unwrap_or_else(|| panic!("{}: when {k}", q.id));
                assert!(question_index(k) < question_index(&q.id), "{}: order", q.id);
                assert!(dep.answer(v).is_some(), "{}: when {k}={v}", q.id);
            }
        }
        match q.kind {
            Kind::Text => assert!(q.answers.is_empty(), "{}", q.id),
            Kind::Choice => assert!(q.answers.len() >= 2, "{}", q.id),
        }
        for a in &q.answers {
            for lang in Lang::ALL {
                assert!(!a.text(*lang).trim().is_empty(), "{}={}", q.id, a.value);
            }
            for (c, f) in a.shift.iter().chain(&a.add) {
                assert!(cause_ids.contains(c.as_str()), "{}={}: {c}", q.id, a.value);
                assert!(*f >= 0.0, "{}={}: {c}", q.id, a.value);
            }
        }
    }
}

#[test]
fn unknown_inputs_are_errors() {
    assert_eq!(
        Triage::new("nope").err(),
        Some(TriageError::UnknownSymptom("nope".into()))
    );
    let mut tr = t("receive");
    assert_eq!(
        tr.answer("nope", "yes"),
        Err(TriageError::UnknownQuestion("nope".into()))
    );
    assert_eq!(
        tr.answer("internet", "maybe"),
        Err(TriageError::UnknownAnswer(
            "internet".into(),
            "maybe".into()
        ))
    );
    assert_eq!(
        tr.answer("appears-on-open", "yes"),
        Err(TriageError::NotForSymptom("appears-on-open".into()))
    );
    assert!(tr.answer("error", "anything at all").is_ok());
    for e in [
        TriageError::UnknownSymptom("x".into()),
        TriageError::UnknownAnswer("internet".into(), "x".into()),
    ] {
        assert!(e.to_string().contains("one of"));
    }
}

/// Every symptom, every combination of answers: the questions end, each question is asked
/// once, the table is sorted and never empty, and an `end` answer stops the questions.
#[test]
fn every_path_of_every_symptom_terminates_with_a_sorted_table() {
    fn explore(tr: Triage, depth: usize, paths: &mut usize) {
        assert!(depth < 20);
        let causes = tr.causes();
        assert!(!causes.is_empty());
        for w in causes.windows(2) {
            assert!(w[0].1 <= w[1].1, "unsorted: {:?}", ids(&tr));
        }
        let Some(q) = tr.next_question() else {
            *paths += 1;
            return;
        };
        let values: Vec<String> = match q.kind {
            Kind::Text => vec![String::new(), "someone@example.com".into()],
            Kind::Choice => q.answers.iter().map(|a| a.value.clone()).collect(),
        };
        for v in values {
            let mut next = tr.clone();
            next.answer(&q.id, &v).unwrap();
            assert!(next.next_question().map(|n| n.id != q.id).unwrap_or(true));
            if q.answer(&v).is_some_and(|a| a.end) {
                assert!(next.next_question().is_none());
                assert!(next.ended());
            }
            explore(next, depth + 1, paths);
        }
    }
    for s in SYMPTOMS {
        let mut paths = 0;
        explore(t(s), 0, &mut paths);
        assert!(paths >= 4, "{s}: {paths} paths");
    }
}

#[test]
fn receive_path_sudden_webmail_works_points_at_the_app_side() {
    let mut tr = t("receive");
    let asked = walk(&mut tr, |q| {
        match q.id.as_str() {
            "internet" => "yes",
            "address" => "taro@example.jp",
            "outage" => "no",
            "other-addresses" => "none",
            "since" => "from-start",
            "webmail" => "works",
            "scope" => "all",
            _ => "",
        }
        .to_string()
    });
    assert_eq!(
        asked,
        [
            "internet",
            "address",
            "outage",
            "other-addresses",
            "since",
            "webmail",
            "error",
            "scope"
        ]
    );
    assert_eq!(tr.causes()[0].0.id, "settings-wrong");
    assert_eq!(likelihood(&tr, "no-internet"), Likelihood::RuledOut);
    assert_eq!(likelihood(&tr, "provider-outage"), Likelihood::Unlikely);
    assert_eq!(
        tr.checks_to_run(),
        [Check::Account {
            address: "taro@example.jp".into(),
            status: CheckStatus::Ready
        }]
    );
}

#[test]
fn receive_some_mail_from_one_sender_asks_for_the_sender_and_lists_the_domain_check() {
    let mut tr = t("receive");
    for (q, v) in [
        ("internet", "yes"),
        ("scope", "some"),
        ("one-sender", "yes"),
        ("sender", "info@Shop.Example"),
        ("sender-spam", "no"),
    ] {
        tr.answer(q, v).unwrap();
    }
    assert_eq!(tr.causes()[0].0.id, "sender-auth");
    assert!(tr.checks_to_run().contains(&Check::SenderDomain {
        domain: "shop.example".into(),
        status: CheckStatus::Ready
    }));
    assert_eq!(likelihood(&tr, "auth-failed"), Likelihood::Unlikely);
    let mut found = tr.clone();
    found.record_sender_check(crate::SenderCheckOutcome {
        codes: vec![Code::DmarcMissing],
        conclusive: true,
    });
    assert_eq!(likelihood(&found, "sender-auth"), Likelihood::Confirmed);
    assert!(found.checks_to_run().contains(&Check::SenderDomain {
        domain: "shop.example".into(),
        status: CheckStatus::Done
    }));
    let mut clean = tr.clone();
    clean.record_sender_check(crate::SenderCheckOutcome {
        codes: vec![Code::MtaStsInvalid],
        conclusive: true,
    });
    assert_eq!(likelihood(&clean, "sender-auth"), Likelihood::Unlikely);
    let mut unsure = tr;
    unsure.record_sender_check(crate::SenderCheckOutcome {
        codes: Vec::new(),
        conclusive: false,
    });
    assert_eq!(likelihood(&unsure, "sender-auth"), Likelihood::Likely);
}

#[test]
fn send_path_from_start_all_mail_points_at_settings_and_smtp_auth() {
    let mut tr = t("send");
    let asked = walk(&mut tr, |q| {
        match q.id.as_str() {
            "internet" | "outage" => "yes",
            _ => "",
        }
        .to_string()
    });
    // The provider announces an outage: that ends the questions.
    assert_eq!(asked, ["internet", "address", "outage"]);
    assert_eq!(tr.causes()[0].0.id, "provider-outage");

    let mut tr = t("send");
    for (q, v) in [
        ("internet", "yes"),
        ("outage", "no"),
        ("since", "from-start"),
        ("scope", "all"),
    ] {
        tr.answer(q, v).unwrap();
    }
    let top: Vec<&str> = ids(&tr).into_iter().take(3).collect();
    assert!(top.contains(&"settings-wrong"), "{top:?}");
    assert!(top.contains(&"smtp-auth-off"), "{top:?}");
    assert!(top.contains(&"port25-blocked"), "{top:?}");
}

#[test]
fn send_some_mail_asks_about_bounces() {
    let mut tr = t("send");
    tr.answer("scope", "some").unwrap();
    tr.answer("outage", "no").unwrap();
    assert!(tr.unanswered().iter().any(|q| q.id == "bounce"));
    let mut asked = Vec::new();
    while let Some(q) = tr.next_question() {
        asked.push(q.id.clone());
        let v = q
            .answers
            .first()
            .map(|a| a.value.clone())
            .unwrap_or_default();
        tr.answer(&q.id, &v).unwrap();
    }
    assert!(asked.contains(&"bounce".to_string()), "{asked:?}");
    assert!(ids(&tr).contains(&"recipient-address"));
}

#[test]
fn both_without_internet_stops_at_once() {
    let mut tr = t("both");
    tr.answer("internet", "no").unwrap();
    assert!(tr.next_question().is_none());
    assert_eq!(
        tr.causes()[0],
        (cause("no-internet").unwrap(), Likelihood::Likely)
    );
}

#[test]
fn both_other_addresses_fail_points_at_the_device() {
    let mut tr = t("both");
    for (q, v) in [
        ("internet", "yes"),
        ("outage", "no"),
        ("other-addresses", "no"),
    ] {
        tr.answer(q, v).unwrap();
    }
    assert_eq!(tr.causes()[0].0.id, "device-app");
}

#[test]
fn signin_webmail_works_suggests_an_app_password() {
    let mut tr = t("signin");
    for (q, v) in [
        ("internet", "yes"),
        ("since", "from-start"),
        ("webmail", "works"),
    ] {
        tr.answer(q, v).unwrap();
    }
    assert_eq!(tr.causes()[0].0.id, "app-password");
    let mut tr = t("signin");
    for (q, v) in [
        ("internet", "yes"),
        ("since", "sudden"),
        ("webmail", "fails"),
    ] {
        tr.answer(q, v).unwrap();
    }
    let top: Vec<&str> = ids(&tr).into_iter().take(2).collect();
    assert!(
        top.contains(&"auth-failed") && top.contains(&"account-locked"),
        "{top:?}"
    );
}

#[test]
fn one_sender_path_spam_folder_ends_and_carrier_address_raises_the_carrier_filter() {
    let mut tr = t("one-sender");
    let first = tr.next_question().map(|q| q.id.clone());
    assert_eq!(first.as_deref(), Some("address"));
    tr.answer("address", "hanako@docomo.ne.jp").unwrap();
    tr.answer("sender-spam", "no").unwrap();
    tr.answer("sender-others", "yes").unwrap();
    assert_eq!(tr.causes()[0].0.id, "carrier-filter");
    let mut tr = t("one-sender");
    tr.answer("address", "hanako@example.jp").unwrap();
    assert_eq!(likelihood(&tr, "carrier-filter"), Likelihood::Unlikely);
    tr.answer("sender-spam", "found").unwrap();
    assert!(tr.next_question().is_none());
    assert_eq!(tr.causes()[0].0.id, "spam-folder");
}

#[test]
fn one_recipient_path_no_bounce_points_at_filters_and_own_domain() {
    let mut tr = t("one-recipient");
    let asked = walk(&mut tr, |q| match q.id.as_str() {
        "bounce" => "no".into(),
        "since" => "sudden".into(),
        "scope" => "some".into(),
        _ => String::new(),
    });
    assert!(asked.contains(&"bounce".to_string()), "{asked:?}");
    let top: Vec<&str> = ids(&tr).into_iter().take(3).collect();
    assert!(top.contains(&"own-domain-auth"), "{top:?}");
    assert!(tr.checks_to_run().is_empty());
}

#[test]
fn notify_late_path_appears_on_open_points_at_push_settings() {
    let mut tr = t("notify-late");
    let asked = walk(&mut tr, |q| match q.id.as_str() {
        "internet" => "yes".into(),
        "outage" => "no".into(),
        "appears-on-open" => "yes".into(),
        "since" => "from-start".into(),
        "webmail" => "works".into(),
        _ => String::new(),
    });
    assert!(asked.contains(&"appears-on-open".to_string()));
    assert!(!asked.contains(&"error".to_string()));
    assert_eq!(tr.causes()[0].0.id, "push-setting");
}

#[test]
fn questions_that_no_longer_narrow_are_skipped() {
    // Once `scope = some` rules the login causes nearly out, `webmail` still matters for the
    // spam folder; but after `internet = yes` the internet question is never asked again,
    // and a symptom without a cause a question moves does not get the question.
    let mut tr = t("receive");
    tr.answer("internet", "yes").unwrap();
    assert_ne!(tr.next_question().map(|q| q.id.as_str()), Some("internet"));
    let tr = t("one-recipient");
    assert!(
        questions()
            .iter()
            .filter(|q| !q.applies_to("one-recipient"))
            .all(|q| tr.next_question().map(|n| n.id != q.id).unwrap_or(true))
    );
}

#[test]
fn a_check_confirms_or_rules_out_causes_with_codes() {
    let mut tr = t("receive");
    tr.answer("address", "taro@example.jp").unwrap();
    tr.record_check(CheckOutcome {
        codes: vec![Code::AuthFailed],
        areas: vec![Area::Incoming, Area::Outgoing, Area::Login],
    });
    assert_eq!(
        tr.causes()[0],
        (cause("auth-failed").unwrap(), Likelihood::Confirmed)
    );
    assert_eq!(likelihood(&tr, "mailbox-full"), Likelihood::Unlikely);
    // Causes without codes are untouched by a check.
    assert_eq!(likelihood(&tr, "provider-outage"), Likelihood::Possible);
    assert!(matches!(
        tr.checks_to_run()[0],
        Check::Account {
            status: CheckStatus::Done,
            ..
        }
    ));
}

#[test]
fn an_explanation_raises_the_causes_of_its_codes() {
    let mut tr = t("both");
    let before = tr.causes().iter().position(|(c, _)| c.id == "cert-problem");
    tr.apply_explanation(&[(Code::CertExpired, 0.9)]);
    let after = tr.causes().iter().position(|(c, _)| c.id == "cert-problem");
    assert!(after < before, "{before:?} -> {after:?}");
    assert_eq!(tr.causes()[0].0.id, "cert-problem");
}

#[test]
fn answering_again_replaces_and_order_does_not_matter() {
    let mut a = t("receive");
    a.answer("since", "sudden").unwrap();
    a.answer("webmail", "fails").unwrap();
    let mut b = t("receive");
    b.answer("webmail", "fails").unwrap();
    b.answer("since", "from-start").unwrap();
    b.answer("since", "sudden").unwrap();
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(b.answers().len(), 2);
    assert_eq!(b.answers()[0].0.id, "since");
}

#[test]
fn open_questions_are_those_still_worth_asking() {
    let mut tr = t("receive");
    assert_eq!(
        tr.open_questions().first().map(|q| q.id.as_str()),
        Some("internet")
    );
    tr.answer("scope", "all").unwrap();
    let open: Vec<&str> = tr.open_questions().iter().map(|q| q.id.as_str()).collect();
    assert!(
        !open.contains(&"scope") && !open.contains(&"one-sender"),
        "{open:?}"
    );
    tr.answer("internet", "no").unwrap();
    assert!(tr.open_questions().is_empty());
}

#[test]
fn carrier_addresses() {
    assert!(is_carrier_address("a@docomo.ne.jp"));
    assert!(is_carrier_address("a@EZWEB.ne.jp"));
    assert!(is_carrier_address("a@i.softbank.jp"));
    assert!(!is_carrier_address("a@notdocomo.ne.jp.example"));
    assert!(!is_carrier_address("a@example.jp"));
}

/// A check report of `address` that probed these protocols and found these codes.
fn report(
    address: &str,
    protocols: &[maildoc_model::Protocol],
    login: bool,
    codes: &[Code],
) -> maildoc_model::Report {
    use maildoc_model::{
        Endpoint, Finding, Origin, ProbeDepth, Security, ServerEvidence, TargetInfo,
    };
    maildoc_model::Report {
        schema_version: maildoc_model::report::SCHEMA_VERSION,
        maildoc_version: "0.0.0".into(),
        started_at: "2026-11-22T00:00:00Z".into(),
        started_at_unix: 1_795_305_600,
        elapsed_ms: 1,
        timeout_ms: 15_000,
        target: TargetInfo {
            address: address.into(),
            username: address.into(),
            login,
            smtp_auth: true,
            allow_plaintext_login: false,
            dns_server: None,
            settings_source: maildoc_model::SettingsSource::Flags,
            provider: None,
            normalizations: Vec::new(),
        },
        servers: protocols
            .iter()
            .map(|&p| {
                ServerEvidence::new(
                    p.as_str(),
                    Endpoint::new(p, "mail.example.jp", 993, Security::Tls),
                    Origin::Flag,
                    ProbeDepth::Full,
                )
            })
            .collect(),
        findings: codes.iter().map(|&c| Finding::new(c)).collect(),
    }
}

#[test]
fn a_check_report_says_which_areas_it_looked_at() {
    use maildoc_model::Protocol::{Imap, Pop3, Smtp};
    let all = report("taro@example.jp", &[Imap, Smtp], true, &[Code::AuthFailed]);
    assert_eq!(
        CheckOutcome::from_report(&all),
        CheckOutcome {
            codes: vec![Code::AuthFailed],
            areas: vec![Area::Incoming, Area::Outgoing, Area::Login],
        }
    );
    let pop_only = report("taro@example.jp", &[Pop3], false, &[]);
    assert_eq!(
        CheckOutcome::from_report(&pop_only),
        CheckOutcome {
            codes: vec![],
            areas: vec![Area::Incoming],
        }
    );
    let smtp_only = report("taro@example.jp", &[Smtp], false, &[]);
    assert_eq!(
        CheckOutcome::from_report(&smtp_only).areas,
        vec![Area::Outgoing]
    );
    assert!(
        CheckOutcome::from_report(&report("taro@example.jp", &[], false, &[]))
            .areas
            .is_empty()
    );
}

#[test]
fn the_account_check_is_due_once_and_folds_into_the_causes() {
    let mut o = Outcome::new(t("signin"));
    assert_eq!(o.account_check_due(), None);
    o.triage.answer("address", "taro@example.jp").unwrap();
    assert_eq!(o.account_check_due().as_deref(), Some("taro@example.jp"));
    o.record_account_check(report(
        "taro@example.jp",
        &[maildoc_model::Protocol::Imap],
        true,
        &[Code::AuthFailed],
    ));
    assert_eq!(o.account_check_due(), None);
    assert_eq!(o.check_note, None);
    assert_eq!(likelihood(&o.triage, "auth-failed"), Likelihood::Confirmed);
    assert!(o.report.is_some());
}

#[test]
fn a_check_without_login_is_noted_and_a_given_up_check_is_not_due() {
    let mut o = Outcome::new(t("receive"));
    o.triage.answer("address", "taro@example.jp").unwrap();
    o.record_account_check(report(
        "taro@example.jp",
        &[maildoc_model::Protocol::Imap],
        false,
        &[],
    ));
    assert_eq!(o.check_note, Some(CheckNote::NoLogin));
    let mut skipped = Outcome::new(t("receive"));
    skipped.triage.answer("address", "taro@example.jp").unwrap();
    skipped.check_note = Some(CheckNote::Skipped);
    assert_eq!(skipped.account_check_due(), None);
    assert!(skipped.report.is_none());
}
