//! Triage's jobs under the questions: the error text goes through `explain` into the causes,
//! and the account check's report and the sender's domain check are folded into them. Asking
//! the questions is the caller's.

use crate::domain::DomainName;
use crate::{CheckOptions, Env, Error, Event};
use maildoc_model::Code;
use maildoc_triage::{Check, CheckStatus, SenderCheckOutcome, TriageError};

/// The questions, causes and their state, for the doors that ask them.
pub use maildoc_triage::{
    CheckNote, Kind, Outcome, Question, SenderCheckNote, Triage, questions, symptoms,
};
use std::time::Duration;

/// Records an answer. The `error` answer also goes through `maildoc_explain::explain`: its
/// candidate codes raise the causes naming them and are kept for the summary.
pub fn answer(outcome: &mut Outcome, id: &str, value: &str) -> Result<(), TriageError> {
    outcome.triage.answer(id, value)?;
    if id == "error" {
        outcome.explained = explain_into(&mut outcome.triage, value);
    }
    Ok(())
}

/// What `explain` makes of the error text: candidate codes with their likelihood (percent).
/// Empty text explains nothing.
fn explain_candidates(text: &str) -> Option<Vec<(Code, u8)>> {
    if text.trim().is_empty() {
        return None;
    }
    let e = maildoc_explain::explain(text);
    Some(
        e.candidates
            .iter()
            .map(|c| (c.code, c.likelihood))
            .collect(),
    )
}

/// Feeds the error text through `explain` into the causes; returns the candidates.
fn explain_into(triage: &mut Triage, text: &str) -> Option<Vec<(Code, u8)>> {
    let candidates = explain_candidates(text)?;
    let scaled: Vec<(Code, f64)> = candidates
        .iter()
        .map(|(c, l)| (*c, f64::from(*l) / 100.0))
        .collect();
    triage.apply_explanation(&scaled);
    Some(candidates)
}

/// Runs the account check and folds its report into the outcome: the codes it finds confirm
/// causes, a clean look at an area makes that area's causes unlikely. When the check cannot
/// run, it is noted as failed and the error handed back.
pub async fn check(
    env: &Env,
    outcome: &mut Outcome,
    opts: CheckOptions,
    progress: impl FnMut(Event),
) -> Result<(), Error> {
    match crate::check(env, opts, progress).await {
        Ok(report) => {
            outcome.record_account_check(report);
            Ok(())
        }
        Err(e) => {
            outcome.check_note = Some(CheckNote::Failed);
            Err(e)
        }
    }
}

/// The sender's domain to check, when a sender is known and its domain has neither been
/// checked nor noted. With `skip`, the check is noted as skipped instead; a sender's domain
/// that is not a domain name is noted as failed. Either way, none is due then.
pub fn sender_check_due(outcome: &mut Outcome, skip: bool) -> Option<DomainName> {
    let domain = sender_domain_due(outcome)?;
    if skip {
        outcome.domain_note = Some(SenderCheckNote::Skipped);
        return None;
    }
    match DomainName::parse(&domain) {
        Ok(domain) => Some(domain),
        Err(_) => {
            outcome.domain_note = Some(SenderCheckNote::Failed);
            None
        }
    }
}

/// The sender's domain as given, when its check is due: a sender is known and its domain
/// has neither been checked nor noted. Changes nothing ([`sender_check_due`] notes).
pub fn sender_domain_due(outcome: &Outcome) -> Option<String> {
    if outcome.domain_report.is_some() || outcome.domain_note.is_some() {
        return None;
    }
    outcome
        .triage
        .checks_to_run()
        .into_iter()
        .find_map(|c| match c {
            Check::SenderDomain {
                domain,
                status: CheckStatus::Ready,
            } => Some(domain),
            _ => None,
        })
}

/// Runs `maildoc domain`'s check of the sender's domain ([`sender_check_due`]) and folds it
/// into the outcome: its sender-authentication codes confirm that cause, a conclusive look
/// that finds none makes it unlikely. No DNS blocklist is asked: the sender's MX addresses
/// say nothing about whether its mail gets through to this mailbox.
pub async fn check_sender_domain(
    env: &Env,
    outcome: &mut Outcome,
    domain: &DomainName,
    timeout: Duration,
    progress: impl FnMut(Event) + Send,
) {
    let opts = crate::domain::Options {
        dnsbl_zones: Vec::new(),
        timeout,
        ..Default::default()
    };
    let report = crate::domain::check(env, domain, &opts, progress).await;
    outcome.triage.record_sender_check(SenderCheckOutcome {
        codes: report.findings.iter().map(|f| f.code).collect(),
        conclusive: report.spf_ok.is_some() && !report.dmarc.lookup.is_inconclusive(),
    });
    outcome.domain_report = Some(report);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use maildoc_model::Protocol;
    use maildoc_model::settings::{AccountSettings, ServerSetting};
    use maildoc_probe::context::Password;
    use maildoc_testkit::hostile::{Behaviour, Hostile, Script};
    use maildoc_triage::{Area, CheckOutcome, Likelihood};
    use std::time::Duration;

    const ADDRESS: &str = "taro@hostile.test";

    /// An IMAP server that greets, and refuses every login.
    fn refusing_imap() -> Hostile {
        Hostile::start(Behaviour::Script(
            Duration::ZERO,
            Script::imap("IMAP4rev1").on(
                "* LOGIN",
                &["{tag} NO [AUTHENTICATIONFAILED] Authentication failed."],
            ),
        ))
    }

    fn options(imap: String, password: Option<&str>) -> CheckOptions {
        CheckOptions {
            settings: AccountSettings {
                address: ADDRESS.into(),
                username: None,
                servers: vec![ServerSetting::parse(Protocol::Imap, &imap).unwrap()],
            },
            login: password.is_some(),
            password: password.map(|p| Password::new(p.into())),
            smtp_auth: false,
            allow_plaintext_login: true,
            timeout: Duration::from_secs(10),
        }
    }

    fn env() -> Env {
        Env::new(None, None).unwrap()
    }

    fn outcome(symptom: &str) -> Outcome {
        let mut o = Outcome::new(Triage::new(symptom).unwrap());
        answer(&mut o, "address", ADDRESS).unwrap();
        o
    }

    fn likelihood(o: &Outcome, cause: &str) -> Likelihood {
        o.triage
            .causes()
            .into_iter()
            .find(|(c, _)| c.id == cause)
            .map(|(_, l)| l)
            .unwrap_or_else(|| panic!("{cause} not in the table"))
    }

    #[tokio::test]
    async fn a_refused_login_confirms_the_cause() {
        let server = refusing_imap();
        let mut o = outcome("signin");
        assert_eq!(o.account_check_due().as_deref(), Some(ADDRESS));
        check(
            &env(),
            &mut o,
            options(server.spec("plain"), Some("Not-The-Password-1")),
            |_| {},
        )
        .await
        .unwrap();
        let report = o.report.as_ref().unwrap();
        assert!(
            report.findings.iter().any(|f| f.code == Code::AuthFailed),
            "{:?}",
            report.findings
        );
        assert_eq!(o.check_note, None);
        assert_eq!(likelihood(&o, "auth-failed"), Likelihood::Confirmed);
        assert_eq!(o.triage.causes()[0].0.id, "auth-failed");
        assert_eq!(o.account_check_due(), None);
    }

    #[tokio::test]
    async fn a_check_without_password_looks_at_incoming_only_and_says_so() {
        let server = refusing_imap();
        let mut o = outcome("receive");
        check(&env(), &mut o, options(server.spec("plain"), None), |_| {})
            .await
            .unwrap();
        assert_eq!(o.check_note, Some(CheckNote::NoLogin));
        let report = o.report.as_ref().unwrap();
        assert_eq!(
            CheckOutcome::from_report(report).areas,
            vec![Area::Incoming]
        );
        let codes: Vec<Code> = report.findings.iter().map(|f| f.code).collect();
        assert_eq!(codes, vec![Code::PlaintextOnlyServer]);
        // The server answered, so it is not out of reach; the login was not tried, so a wrong
        // password stays possible.
        assert_eq!(likelihood(&o, "server-unreachable"), Likelihood::Unlikely);
        assert_ne!(likelihood(&o, "auth-failed"), Likelihood::Unlikely);
    }

    #[tokio::test]
    async fn a_check_that_cannot_start_is_noted_as_failed() {
        let mut o = outcome("receive");
        let mut opts = options("imap.example.jp".into(), None);
        opts.settings.address = "not an address".into();
        let err = check(&env(), &mut o, opts, |_| {}).await.unwrap_err();
        assert!(matches!(err, Error::Address { .. }), "{err:?}");
        assert_eq!(o.check_note, Some(CheckNote::Failed));
        assert!(o.report.is_none());
        assert_eq!(o.account_check_due(), None);
    }

    #[test]
    fn the_error_text_is_explained_into_the_causes() {
        let mut o = outcome("signin");
        answer(
            &mut o,
            "error",
            "535 5.7.8 Error: authentication failed: authentication failure",
        )
        .unwrap();
        let explained = o.explained.clone().unwrap();
        assert!(
            explained
                .iter()
                .any(|(c, l)| *c == Code::AuthFailed && *l > 0),
            "{explained:?}"
        );
        assert_eq!(o.triage.causes()[0].0.id, "auth-failed");
        answer(&mut o, "error", "  ").unwrap();
        assert_eq!(o.explained, None);
        assert!(answer(&mut o, "no-such-question", "x").is_err());
    }

    /// An outcome of the path that asks for the sender, with `sender` answered.
    fn with_sender(sender: &str) -> Outcome {
        let mut o = outcome("receive");
        for (q, v) in [
            ("internet", "yes"),
            ("scope", "some"),
            ("one-sender", "yes"),
            ("sender", sender),
            ("sender-spam", "no"),
        ] {
            answer(&mut o, q, v).unwrap();
        }
        o
    }

    #[test]
    fn the_sender_check_is_due_once_a_sender_is_known() {
        let mut o = outcome("receive");
        assert_eq!(sender_check_due(&mut o, false), None);
        let mut o = with_sender("info@Shop.Example");
        let due = sender_check_due(&mut o, false).unwrap();
        assert_eq!(due.as_str(), "shop.example");
        assert_eq!(o.domain_note, None);
        // Skipped: noted, and not due again.
        assert_eq!(sender_check_due(&mut o, true), None);
        assert_eq!(o.domain_note, Some(SenderCheckNote::Skipped));
        assert_eq!(sender_check_due(&mut o, false), None);
        // A sender whose domain is not a domain name.
        let mut o = with_sender("info@localhost");
        assert_eq!(sender_check_due(&mut o, false), None);
        assert_eq!(o.domain_note, Some(SenderCheckNote::Failed));
    }

    #[tokio::test]
    async fn a_sender_check_that_learns_nothing_leaves_the_cause_likely() {
        let dns = maildoc_testkit::hostile::dns(maildoc_testkit::hostile::DnsBehaviour::ServFail);
        let env = Env::new(Some(dns), None).unwrap();
        let mut o = with_sender("info@shop.example");
        let domain = sender_check_due(&mut o, false).unwrap();
        let mut parts = Vec::new();
        check_sender_domain(&env, &mut o, &domain, Duration::from_secs(5), |e| {
            parts.push(e)
        })
        .await;
        let report = o.domain_report.as_ref().unwrap();
        assert_eq!(report.domain, "shop.example");
        assert!(!parts.is_empty());
        assert_eq!(o.domain_note, None);
        assert_eq!(likelihood(&o, "sender-auth"), Likelihood::Likely);
        assert_eq!(sender_check_due(&mut o, false), None);
        assert!(o.triage.checks_to_run().contains(&Check::SenderDomain {
            domain: "shop.example".into(),
            status: CheckStatus::Done,
        }));
    }

    #[tokio::test]
    #[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
    async fn a_sender_check_asks_no_blocklist() {
        let lab = maildoc_testkit::lab::Lab::get();
        let ca = std::fs::read(lab.ca()).unwrap();
        let env = Env::new(Some(lab.dns().parse().unwrap()), Some(&ca)).unwrap();
        let mut o = with_sender("info@good.posture.lab.example");
        let domain = sender_check_due(&mut o, false).unwrap();
        let mut parts = Vec::new();
        check_sender_domain(&env, &mut o, &domain, Duration::from_secs(10), |e| {
            parts.push(e)
        })
        .await;
        let report = o.domain_report.as_ref().unwrap();
        assert!(!report.mx_hosts.is_empty(), "{report:?}");
        assert!(report.dnsbl.is_empty(), "{:?}", report.dnsbl);
        // A conclusive look: the cause is confirmed or unlikely, no longer merely likely.
        assert_ne!(likelihood(&o, "sender-auth"), Likelihood::Likely);
    }
}
