//! Triage's jobs under the questions: the error text goes through `explain` into the causes,
//! and the account check's report is folded into them. Asking the questions is the caller's.

use crate::{CheckOptions, Env, Error, Event};
use maildoc_model::Code;
use maildoc_triage::{CheckNote, Outcome, Triage, TriageError};

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
}
