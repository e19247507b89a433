//! A few words per server for its line in the summary: how far it got.

use crate::ui;
use maildoc_kb::Lang;
use maildoc_model::{
    CertVerification, ConnectOutcome, GreetingOutcome, LoginOutcome, ResolveOutcome,
    ServerEvidence, StarttlsOutcome, StepKind, TlsHandshake,
};

/// `now_unix` is the run's clock reading, for the days left on the certificate.
pub fn summary(ev: &ServerEvidence, now_unix: i64, lang: Lang) -> Vec<String> {
    let mut facts: Vec<String> = Vec::new();
    let mut connected = false;
    let mut login: Option<&'static str> = None;
    let mut mailbox: Vec<String> = Vec::new();
    for step in &ev.steps {
        match &step.kind {
            StepKind::InvalidHost { .. } => facts.push(ui::text("fact-invalid-host", lang).into()),
            StepKind::Resolve { outcome, .. } if *outcome != ResolveOutcome::Found => {
                facts.push(ui::text("fact-dns-failed", lang).into());
            }
            StepKind::Connect { outcome, .. } if *outcome == ConnectOutcome::Connected => {
                connected = true;
            }
            StepKind::Greeting { outcome, .. } if *outcome == GreetingOutcome::Silent => {
                facts.push(ui::text("fact-no-greeting", lang).into());
            }
            StepKind::Tls(t) => match t.handshake {
                TlsHandshake::Established => {
                    if let Some(v) = &t.version {
                        facts.push(ui::fill("fact-tls", lang, &[("version", v)]));
                    }
                    let valid = t.verification == CertVerification::Valid;
                    match t.chain.first() {
                        Some(leaf) if valid => {
                            let days = (leaf.not_after_unix - now_unix).div_euclid(86_400);
                            facts.push(ui::fill(
                                "fact-cert-ok-days",
                                lang,
                                &[("days", &days.to_string())],
                            ));
                        }
                        _ => facts.push(
                            ui::text(
                                if valid {
                                    "fact-cert-ok"
                                } else {
                                    "fact-cert-bad"
                                },
                                lang,
                            )
                            .into(),
                        ),
                    }
                }
                TlsHandshake::Failed => facts.push(ui::text("fact-tls-failed", lang).into()),
            },
            StepKind::Login(l) => {
                login = Some(match l.outcome {
                    LoginOutcome::Accepted => "fact-login-ok",
                    _ if login == Some("fact-login-ok") => "fact-login-ok",
                    _ => "fact-login-failed",
                });
            }
            // Another port is tried without the password: not logging in is the point.
            StepKind::LoginSkipped { .. }
                if !matches!(ev.origin, maildoc_model::Origin::Alternative { .. }) =>
            {
                login = Some("fact-login-skipped");
            }
            StepKind::Starttls { outcome, .. } if *outcome != StarttlsOutcome::Accepted => {
                facts.push(ui::text("fact-no-starttls", lang).into());
            }
            StepKind::Mailbox {
                messages: Some(n), ..
            } => mailbox.push(ui::fill(
                "fact-messages",
                lang,
                &[("count", &n.to_string())],
            )),
            StepKind::Quota { usage, limit, .. } if *limit > 0 => {
                let percent = usage.saturating_mul(100) / limit;
                mailbox.push(ui::fill(
                    "fact-quota",
                    lang,
                    &[("percent", &percent.to_string())],
                ));
            }
            StepKind::Deadline { .. } => facts.push(ui::text("fact-deadline", lang).into()),
            _ => {}
        }
    }
    let has_connect = ev
        .steps
        .iter()
        .any(|s| matches!(s.kind, StepKind::Connect { .. }));
    if has_connect && !connected {
        facts.push(ui::text("fact-connect-failed", lang).into());
    } else if connected && ev.depth == maildoc_model::ProbeDepth::PortOnly {
        facts.push(ui::text("fact-connected", lang).into());
    }
    if let Some(key) = login {
        facts.push(ui::text(key, lang).into());
    }
    facts.extend(mailbox);
    facts
}
