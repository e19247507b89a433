//! The greeting: the first thing a server says (or does not say).
//!
//! - Silence on a plaintext-first setting, then an established implicit-TLS handshake on a
//!   new connection: the port wants TLS from the first byte (`plaintext-on-ssl-port`). Silence
//!   to which the TLS hello got no answer either (not a byte, in time) is a slow or stuck
//!   server, not the settings (`server-slow`): a TLS port answers a hello at once. Other
//!   silence is `no-greeting`.
//! - Another mail protocol (or HTTP) answering is `wrong-protocol-on-port`; TLS bytes are
//!   `plaintext-on-ssl-port`; bytes of no known protocol are `garbled-response`.
//! - A refusal is `server-unavailable`, or `too-many-connections` when it says so; so is a
//!   `421` later in the session (see `tcp`).

use crate::auth::TOO_MANY_CONNECTIONS;
use crate::tls::{port_pair, spoken_label, spoken_protocol};
use crate::view::{Ctx, ServerView, mentions};
use maildoc_model::{
    Code, Finding, GreetingOutcome, Security, Spoken, Step, StepKind, TlsHandshake, TlsMode,
};

pub(crate) fn rules(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for sv in &ctx.servers {
        for (i, step) in sv.live.iter().enumerate() {
            if let StepKind::Greeting {
                outcome,
                text,
                spoken,
                ..
            } = &step.kind
                && let Some(finding) = greeting(sv, i, step, *outcome, text, *spoken)
            {
                out.push(finding);
            }
        }
    }
    out
}

/// A server that refuses service, at the greeting or later (`reply` is what it said).
pub(crate) fn refused(sv: &ServerView<'_>, reply: &str) -> Finding {
    let code = if mentions(reply, TOO_MANY_CONNECTIONS) {
        Code::TooManyConnections
    } else {
        Code::ServerUnavailable
    };
    sv.finding(code).param("reply", reply)
}

fn greeting(
    sv: &ServerView<'_>,
    index: usize,
    step: &Step,
    outcome: GreetingOutcome,
    text: &str,
    spoken: Option<Spoken>,
) -> Option<Finding> {
    let finding = match outcome {
        GreetingOutcome::Ready => return None,
        GreetingOutcome::Refused => refused(sv, text),
        GreetingOutcome::Silent => {
            // The probe's extra implicit-TLS handshake, right after the silent greeting.
            let confirmed = sv
                .ev
                .steps
                .get(index + 1)
                .and_then(|next| match &next.kind {
                    StepKind::Tls(tls)
                        if tls.mode == TlsMode::Implicit
                            && tls.handshake == TlsHandshake::Established
                            && sv.endpoint().security != Security::Tls =>
                    {
                        Some(next)
                    }
                    _ => None,
                });
            // The same extra handshake, which got nothing back in time.
            let unanswered = sv.ev.steps.get(index + 1).filter(
                |next| matches!(&next.kind, StepKind::Tls(tls) if crate::tls::unanswered(tls)),
            );
            // On an SSL/TLS port: the handshake before the silence worked, so the pairing
            // of port and encryption is right.
            let handshake_done = sv.ev.steps[..index].iter().rev().find(|s| {
                matches!(&s.kind, StepKind::Tls(tls)
                    if tls.mode == TlsMode::Implicit && tls.handshake == TlsHandshake::Established)
            });
            match (confirmed, unanswered.or(handshake_done)) {
                (Some(tls_step), _) => port_pair(sv, sv.finding(Code::PlaintextOnSslPort))
                    .evidence(&step.id)
                    .evidence(&tls_step.id),
                (None, Some(tls_step)) => sv
                    .finding(Code::ServerSlow)
                    .param("seconds", crate::fmt::seconds(step.elapsed_ms))
                    .param("step", "greeting")
                    .evidence(&tls_step.id),
                (None, None) => sv.finding(Code::NoGreeting),
            }
        }
        GreetingOutcome::OtherProtocol => {
            let spoken = spoken.unwrap_or(Spoken::Unknown);
            let other = spoken_protocol(spoken).is_some_and(|p| p != sv.protocol());
            if spoken == Spoken::Tls && sv.endpoint().security != Security::Tls {
                port_pair(sv, sv.finding(Code::PlaintextOnSslPort))
            } else if other || spoken == Spoken::Http {
                sv.finding(Code::WrongProtocolOnPort)
                    .param("spoken", spoken_label(spoken))
                    .param("expected", sv.protocol().label())
                    .param("reply", text)
            } else {
                sv.finding(Code::GarbledResponse)
                    .param("detail", text)
                    .param("step", "greeting")
            }
        }
        GreetingOutcome::Closed => sv
            .finding(Code::ConnectionDropped)
            .param("step", "greeting"),
        GreetingOutcome::Garbage | GreetingOutcome::TooLong => sv
            .finding(Code::GarbledResponse)
            .param("detail", text)
            .param("step", "greeting"),
    };
    Some(finding.evidence(&step.id))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use crate::fixtures::*;
    use maildoc_model::*;

    fn greeted(srv: Srv, outcome: GreetingOutcome, text: &str, spoken: Option<Spoken>) -> Srv {
        srv.resolved().connected().greeting(outcome, text, spoken)
    }

    #[test]
    fn silent_port_that_speaks_tls_is_plaintext_on_ssl_port() {
        // "STARTTLS set on 465".
        let smtp = greeted(
            Srv::new(
                "smtp",
                Protocol::Smtp,
                "smtp.example.jp",
                465,
                Security::Starttls,
            ),
            GreetingOutcome::Silent,
            "",
            None,
        )
        .tls(tls_valid("smtp.example.jp", TlsMode::Implicit));
        let f = run(vec![smtp.build()]);
        assert_eq!(codes(&f), ["plaintext-on-ssl-port@smtp"]);
        assert_eq!(f[0].params["tls_port"], "465");
        assert_eq!(f[0].params["plain_port"], "587");
        assert_eq!(f[0].evidence, ["smtp.3", "smtp.4"]);

        // Silent, and TLS does not work either: just silence.
        let mut tls = tls_valid("smtp.example.jp", TlsMode::Implicit);
        tls.handshake = TlsHandshake::Failed;
        let smtp = greeted(Srv::smtp_submission(), GreetingOutcome::Silent, "", None).tls(tls);
        assert_eq!(codes(&run(vec![smtp.build()])), ["no-greeting@smtp"]);
        let smtp = greeted(Srv::smtp_submission(), GreetingOutcome::Silent, "", None);
        assert_eq!(codes(&run(vec![smtp.build()])), ["no-greeting@smtp"]);

        // Silent, and the TLS hello got no answer either: a slow server on a right pairing.
        let mut tls = tls_valid("smtp.example.jp", TlsMode::Implicit);
        tls.handshake = TlsHandshake::Failed;
        tls.failure = Some(TlsFailure {
            kind: TlsFailureKind::Timeout,
            detail: "no TLS answer within 6000 ms".into(),
            received_text: None,
            received_spoken: None,
        });
        let smtp = greeted(Srv::smtp_submission(), GreetingOutcome::Silent, "", None).tls(tls);
        let f = run(vec![smtp.build()]);
        assert_eq!(codes(&f), ["server-slow@smtp"]);
        assert_eq!(f[0].params["step"], "greeting");
    }

    #[test]
    fn silence_after_a_working_handshake_on_an_ssl_port_is_a_slow_server() {
        let imap = Srv::imap_ssl()
            .resolved()
            .connected()
            .tls(tls_valid("imap.example.jp", TlsMode::Implicit))
            .greeting(GreetingOutcome::Silent, "", None);
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["server-slow@imap"]);
        assert_eq!(f[0].params["step"], "greeting");
        assert_eq!(f[0].evidence, ["imap.3", "imap.4"]);
    }

    #[test]
    fn other_protocols_in_the_greeting() {
        let imap = greeted(
            Srv::imap_starttls(),
            GreetingOutcome::OtherProtocol,
            "+OK Dovecot ready.",
            Some(Spoken::Pop3),
        );
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["wrong-protocol-on-port@imap"]);
        assert_eq!(f[0].params["spoken"], "POP3");
        assert_eq!(f[0].params["expected"], "IMAP");

        let imap = greeted(
            Srv::imap_plain(),
            GreetingOutcome::OtherProtocol,
            "",
            Some(Spoken::Tls),
        );
        assert_eq!(
            codes(&run(vec![imap.build()])),
            ["plaintext-on-ssl-port@imap"]
        );

        let imap = greeted(
            Srv::imap_plain(),
            GreetingOutcome::OtherProtocol,
            "\u{1}\u{2}zz",
            Some(Spoken::Unknown),
        );
        assert_eq!(codes(&run(vec![imap.build()])), ["garbled-response@imap"]);
    }

    #[test]
    fn refused_closed_and_garbage_greetings() {
        let smtp = greeted(
            Srv::smtp_submission(),
            GreetingOutcome::Refused,
            "421 4.7.0 Too many connections from your IP",
            Some(Spoken::Smtp),
        );
        let f = run(vec![smtp.build()]);
        assert_eq!(codes(&f), ["too-many-connections@smtp"]);
        assert_eq!(
            f[0].params["reply"],
            "421 4.7.0 Too many connections from your IP"
        );

        let pop = greeted(
            Srv::pop3_ssl(),
            GreetingOutcome::Refused,
            "-ERR [SYS/TEMP] maintenance",
            Some(Spoken::Pop3),
        );
        let f = run(vec![pop.build()]);
        assert_eq!(codes(&f), ["server-unavailable@pop3"]);
        assert_eq!(f[0].params["reply"], "-ERR [SYS/TEMP] maintenance");

        let imap = greeted(Srv::imap_starttls(), GreetingOutcome::Closed, "", None);
        assert_eq!(codes(&run(vec![imap.build()])), ["connection-dropped@imap"]);
        let imap = greeted(Srv::imap_starttls(), GreetingOutcome::TooLong, "AAAA", None);
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["garbled-response@imap"]);
        assert_eq!(f[0].params["detail"], "AAAA");
    }
}
