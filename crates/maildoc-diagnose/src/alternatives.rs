//! Other ports, Connection-Doctor style: when a server failed at the door (connecting, TLS,
//! the greeting, STARTTLS), the engine tries the other standard ports of its protocol on the
//! same host without a password (IMAP 993/143, POP3 995/110, SMTP 465/587/25). What they
//! showed concludes:
//!
//! - one of them is encrypted (SSL/TLS, or STARTTLS taken up) with a valid certificate and a
//!   ready greeting: `use-other-port`, naming it;
//! - else, one of them (or the server itself) answers only without encryption (no STARTTLS
//!   offered): `plaintext-only-server` for it, which also says what `starttls-not-offered`
//!   would on the same server;
//! - else (none answers, or none usefully): nothing more.

use crate::view::{Ctx, ServerView};
use maildoc_model::{
    CertVerification, Code, Finding, GreetingOutcome, Origin, Security, ServerEvidence, Severity,
    StarttlsOutcome, StepKind, TlsHandshake,
};

pub(crate) fn rules(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for sv in &ctx.servers {
        let tried: Vec<&ServerEvidence> = ctx
            .alternatives
            .iter()
            .copied()
            .filter(|a| matches!(&a.origin, Origin::Alternative { of } if *of == sv.ev.id))
            .collect();
        if tried.is_empty() {
            continue;
        }
        if let Some(good) = tried.iter().find(|a| encrypted_and_verified(a)) {
            let e = &good.endpoint;
            let mut finding = sv
                .finding(Code::UseOtherPort)
                .param("alt_port", e.port)
                .param("alt_security", e.security.label());
            // What failed on the port set, then what the other port showed.
            for step in sv.ev.steps.last().into_iter().chain(&good.steps) {
                finding = finding.evidence(&step.id);
            }
            out.push(finding);
            continue;
        }
        let own = plaintext_only(sv.ev).then_some(sv.ev);
        if let Some(plain) = own.or_else(|| tried.iter().copied().find(|a| plaintext_only(a))) {
            let view = ServerView {
                ev: plain,
                rank: sv.rank,
                live: &plain.steps,
            };
            let mut finding = view.finding(Code::PlaintextOnlyServer);
            if plain.id != sv.ev.id {
                // Said of the server set, whose port cannot work: the only port that answers
                // is unencrypted, which makes it an error, not a warning about a risk taken.
                finding.server = Some(sv.ev.id.clone());
                finding.severity = Severity::Error;
            }
            let failed = (plain.id != sv.ev.id).then(|| sv.ev.steps.last()).flatten();
            for step in failed
                .into_iter()
                .chain(&plain.steps)
                .chain(tried.iter().flat_map(|a| &a.steps))
            {
                finding = finding.evidence(&step.id);
            }
            out.push(finding);
        }
    }
    out
}

/// Drops what is said better elsewhere on the same server: `starttls-not-offered` where
/// `plaintext-only-server` says no port of it is encrypted; `use-other-port` where a wrong
/// pairing of port and encryption (`ssl-on-plaintext-port`, `plaintext-on-ssl-port`) already
/// names the setting that works; and the refused or timed-out connection of a server whose
/// other ports concluded (`use-other-port`, `plaintext-only-server`): what they showed is the
/// answer, and "check the port" is not.
pub(crate) fn explains(ctx: &Ctx<'_>, findings: Vec<Finding>) -> Vec<Finding> {
    let servers_with = |code: Code| -> Vec<Option<String>> {
        findings
            .iter()
            .filter(|f| f.code == code)
            .map(|f| f.server.clone())
            .collect()
    };
    let plain = servers_with(Code::PlaintextOnlyServer);
    let mut paired = servers_with(Code::SslOnPlaintextPort);
    paired.extend(servers_with(Code::PlaintextOnSslPort));
    // The servers whose other ports concluded (the conclusions are said of the server set).
    let concluded: Vec<Option<String>> = findings
        .iter()
        .filter(|f| {
            (f.code == Code::UseOtherPort && !paired.contains(&f.server))
                || (f.code == Code::PlaintextOnlyServer
                    && ctx.alternatives.iter().any(|a| {
                        matches!(&a.origin, Origin::Alternative { of } if Some(of) == f.server.as_ref())
                    }))
        })
        .map(|f| f.server.clone())
        .collect();
    findings
        .into_iter()
        .filter(|f| match f.code {
            Code::StarttlsNotOffered => !plain.contains(&f.server),
            Code::UseOtherPort => !paired.contains(&f.server),
            Code::ConnectRefused | Code::ConnectTimeout => !concluded.contains(&f.server),
            _ => true,
        })
        .collect()
}

/// The server spoke its protocol over an encrypted connection with a valid certificate: after
/// the handshake it greeted or listed its capabilities, and nothing went wrong (a server
/// that asks for a client certificate and then answers 421 does not count).
fn encrypted_and_verified(ev: &ServerEvidence) -> bool {
    let Some(at) = ev.steps.iter().position(|s| {
        matches!(&s.kind, StepKind::Tls(tls)
            if tls.handshake == TlsHandshake::Established
                && tls.verification == CertVerification::Valid)
    }) else {
        return false;
    };
    let greeted = ev.steps.iter().any(|s| {
        matches!(&s.kind, StepKind::Greeting { outcome, .. } if *outcome == GreetingOutcome::Ready)
    });
    let spoke_after = ev.steps[at + 1..].iter().any(|s| {
        matches!(&s.kind,
            StepKind::Greeting { outcome, .. } if *outcome == GreetingOutcome::Ready)
            || matches!(s.kind, StepKind::Capabilities { .. })
    });
    let trouble = ev
        .steps
        .iter()
        .any(|s| matches!(s.kind, StepKind::Trouble { .. }));
    let upgraded = ev.endpoint.security == Security::Tls
        || ev.steps.iter().any(|s| {
            matches!(&s.kind, StepKind::Starttls { outcome, .. }
                if *outcome == StarttlsOutcome::Accepted)
        });
    greeted && spoke_after && !trouble && upgraded
}

/// The server greeted without encryption and offers no STARTTLS.
fn plaintext_only(ev: &ServerEvidence) -> bool {
    ev.endpoint.security != Security::Tls
        && ev.steps.iter().any(|s| {
            matches!(&s.kind, StepKind::Starttls { outcome, .. }
                if *outcome == StarttlsOutcome::NotOffered)
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use crate::fixtures::*;
    use maildoc_model::*;

    /// Another port of `imap.example.jp`, tried for the server `imap`.
    fn alt(id: &str, port: u16, security: Security) -> Srv {
        Srv::new(id, Protocol::Imap, "imap.example.jp", port, security)
            .origin(Origin::Alternative { of: "imap".into() })
    }

    fn no_starttls(srv: Srv) -> Srv {
        srv.resolved()
            .connected()
            .greeting(GreetingOutcome::Ready, "* OK ready", Some(Spoken::Imap))
            .caps(&["IMAP4rev1", "AUTH=PLAIN"], false)
            .step(
                1,
                StepKind::Starttls {
                    outcome: StarttlsOutcome::NotOffered,
                    reply: String::new(),
                },
            )
    }

    #[test]
    fn a_refused_port_beside_one_that_works_encrypted_says_use_it() {
        let refused = Srv::imap_ssl().resolved().connect(ConnectOutcome::Refused);
        let works = alt("imap-143", 143, Security::Starttls).up();
        let f = run(vec![refused.build(), works.build()]);
        // The port that works is the answer; "check the port" is not.
        assert_eq!(codes(&f), ["use-other-port@imap"]);
        assert_eq!(f[0].params["alt_port"], "143");
        assert_eq!(f[0].params["alt_security"], "STARTTLS");
        assert_eq!(f[0].evidence[0], "imap.2", "the refused connection first");
        assert!(f[0].evidence.iter().any(|e| e.starts_with("imap-143.")));
    }

    #[test]
    fn a_port_that_takes_tls_and_then_turns_the_client_away_is_no_way_out() {
        // 993 refused; 143 takes STARTTLS, asks for a client certificate, then answers 421.
        let refused = Srv::imap_ssl().resolved().connect(ConnectOutcome::Refused);
        let mut tls = tls_valid("imap.example.jp", TlsMode::Starttls);
        tls.client_cert_requested = true;
        let turned_away = alt("imap-143", 143, Security::Starttls)
            .resolved()
            .connected()
            .greeting(GreetingOutcome::Ready, "* OK ready", Some(Spoken::Imap))
            .caps(&["IMAP4rev1", "STARTTLS"], false)
            .step(
                1,
                StepKind::Starttls {
                    outcome: StarttlsOutcome::Accepted,
                    reply: "a2 OK Begin TLS".into(),
                },
            )
            .tls(tls)
            .step(
                1,
                StepKind::Trouble {
                    phase: Phase::Capabilities,
                    trouble: Trouble::Unavailable,
                    detail: "* BYE No client certificate".into(),
                },
            );
        let f = run(vec![refused.build(), turned_away.build()]);
        assert_eq!(codes(&f), ["connect-refused@imap"]);
    }

    #[test]
    fn a_wrong_pairing_names_the_fix_itself() {
        // SSL/TLS set on 143: the server answered in plain text; 993 works.
        let paired = Srv::new(
            "imap",
            Protocol::Imap,
            "imap.example.jp",
            143,
            Security::Tls,
        )
        .resolved()
        .connected()
        .tls(not_tls(Spoken::Imap, "* OK IMAP ready"));
        let works = alt("imap-993", 993, Security::Tls).up();
        let f = run(vec![paired.build(), works.build()]);
        assert!(
            !codes(&f).contains(&"use-other-port@imap".to_string()),
            "{f:?}"
        );
    }

    #[test]
    fn when_only_plaintext_answers_the_server_cannot_be_used_safely() {
        // 993 refused, 143 answers without STARTTLS.
        let refused = Srv::imap_ssl().resolved().connect(ConnectOutcome::Refused);
        let plain = no_starttls(alt("imap-143", 143, Security::Starttls));
        let f = run(vec![refused.build(), plain.build()]);
        assert_eq!(codes(&f), ["plaintext-only-server@imap"]);
        assert_eq!(f[0].params["port"], "143");
        assert_eq!(f[0].severity, Severity::Error, "the port set cannot work");
        assert_eq!(f[0].evidence[0], "imap.2", "the refused connection first");

        // 143 configured without STARTTLS on offer, 993 refused: it says more than
        // starttls-not-offered, which it replaces.
        let own = no_starttls(Srv::imap_starttls());
        let refused = alt("imap-993", 993, Security::Tls)
            .resolved()
            .connect(ConnectOutcome::Refused);
        let f = run(vec![own.build(), refused.build()]);
        assert_eq!(codes(&f), ["plaintext-only-server@imap"]);
    }

    #[test]
    fn alternatives_that_do_not_answer_add_nothing() {
        let refused = Srv::imap_ssl().resolved().connect(ConnectOutcome::Refused);
        let also = alt("imap-143", 143, Security::Starttls)
            .resolved()
            .connect(ConnectOutcome::Refused);
        let f = run(vec![refused.build(), also.build()]);
        assert_eq!(codes(&f), ["connect-refused@imap"]);
    }
}
