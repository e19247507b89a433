//! Encryption: the TLS handshake, the certificate, STARTTLS, and settings without encryption.
//!
//! - A failed handshake on an SSL/TLS endpoint where the server spoke plaintext is a settings
//!   mix-up (`ssl-on-plaintext-port`, or `wrong-protocol-on-port` when another protocol
//!   answered), not a TLS problem.
//! - Certificates are judged only on established handshakes of the conversation itself (never
//!   on the extra handshake that confirms a silent plaintext port speaks TLS).
//! - An untrusted or self-signed certificate on a big public provider is taken as
//!   interception by security software or a proxy, and reported as that alone.
//! - A certificate for another name that belongs to a hosting company (`sv1234.xserver.jp`,
//!   `*.sakura.ne.jp`) while the host used is the customer's own (`mail.example.jp`) is
//!   `cert-for-hosting-server`, which says the name to use, instead of `cert-name-mismatch`
//!   (see [`crate::hosting`]).
//! - A server that asked for a client certificate and then ended the connection (in the
//!   handshake, or at its first read under TLS 1.3) is `client-cert-required`, which
//!   explains the dropped connection or failed handshake that follows.

use crate::auth::classify;
use crate::view::{Ctx, ServerView};
use crate::{fmt, hosting};
use maildoc_model::{
    AiaOutcome, CertInfo, CertProblem, CertVerification, Code, Finding, Origin, Protocol, Security,
    Spoken, StarttlsOutcome, Step, StepKind, TlsEvidence, TlsFailureKind, TlsHandshake, TlsMode,
};

/// Providers whose certificates always chain to a public root. A host equal to or under one
/// of these with an untrusted certificate is being intercepted.
const PUBLIC_PROVIDERS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "google.com",
    "outlook.com",
    "office365.com",
    "hotmail.com",
    "live.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "yahoo.co.jp",
    "yahoo.com",
    "aol.com",
    "softbank.jp",
    "spmode.ne.jp",
    "au.com",
    "ezweb.ne.jp",
    "docomo.ne.jp",
    "ocn.ne.jp",
    "nifty.com",
    "biglobe.ne.jp",
    "so-net.ne.jp",
    "plala.or.jp",
    "zoho.com",
    "gmx.com",
    "gmx.net",
    "mail.ru",
    "yandex.ru",
];

/// A certificate that expires within this many seconds gets `cert-expires-soon`.
const EXPIRES_SOON: i64 = 14 * fmt::DAY;

pub(crate) fn rules(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for sv in &ctx.servers {
        for step in sv.live {
            match &step.kind {
                StepKind::Tls(tls) if tls.handshake == TlsHandshake::Failed => {
                    out.push(failed_handshake(sv, step, tls));
                }
                StepKind::Tls(tls) => certificate(ctx, sv, step, tls, &mut out),
                StepKind::Starttls { outcome, reply }
                    if *outcome != StarttlsOutcome::Accepted
                        && sv.endpoint().security == Security::Starttls =>
                {
                    out.push(
                        sv.finding(Code::StarttlsNotOffered)
                            .evidence(&step.id)
                            .param("reply", reply),
                    );
                }
                _ => {}
            }
        }
        client_cert(sv, &mut out);
        unencrypted(sv, &mut out);
    }
    out
}

/// `client-cert-required`: a TLS step on which the server asked for a client certificate,
/// after which the protocol never spoke (no ready greeting, no capabilities).
fn client_cert(sv: &ServerView<'_>, out: &mut Vec<Finding>) {
    let asked =
        sv.live.iter().enumerate().find(
            |(_, step)| matches!(&step.kind, StepKind::Tls(tls) if tls.client_cert_requested),
        );
    let Some((i, step)) = asked else {
        return;
    };
    let spoke = sv.live[i + 1..].iter().any(|s| {
        matches!(
            s.kind,
            StepKind::Greeting {
                outcome: maildoc_model::GreetingOutcome::Ready,
                ..
            } | StepKind::Capabilities { .. }
        )
    });
    if !spoke {
        let finding = sv.finding(Code::ClientCertRequired).evidence(&step.id);
        out.push(match sv.live.get(i + 1) {
            Some(next) => finding.evidence(&next.id),
            None => finding,
        });
    }
}

/// Drops what `client-cert-required` explains on the same server: the dropped connection,
/// the failed handshake, the garbled first read, the 421 that some servers send instead of
/// closing.
pub(crate) fn client_cert_explains(findings: Vec<Finding>) -> Vec<Finding> {
    let servers: Vec<Option<String>> = findings
        .iter()
        .filter(|f| f.code == Code::ClientCertRequired)
        .map(|f| f.server.clone())
        .collect();
    findings
        .into_iter()
        .filter(|f| {
            !(servers.contains(&f.server)
                && matches!(
                    f.code,
                    Code::ConnectionDropped
                        | Code::TlsHandshakeFailed
                        | Code::TlsLegacyOnly
                        | Code::GarbledResponse
                        | Code::ServerUnavailable
                ))
        })
        .collect()
}

/// `IMAP`, `POP3`, `SMTP`, `TLS`, `HTTP`, `unknown`: the `spoken` param.
pub(crate) fn spoken_label(spoken: Spoken) -> &'static str {
    match spoken {
        Spoken::Imap => "IMAP",
        Spoken::Pop3 => "POP3",
        Spoken::Smtp => "SMTP",
        Spoken::Tls => "TLS",
        Spoken::Http => "HTTP",
        Spoken::Unknown => "unknown",
    }
}

/// The mail protocol a peer spoke, if it spoke one.
pub(crate) fn spoken_protocol(spoken: Spoken) -> Option<Protocol> {
    match spoken {
        Spoken::Imap => Some(Protocol::Imap),
        Spoken::Pop3 => Some(Protocol::Pop3),
        Spoken::Smtp => Some(Protocol::Smtp),
        Spoken::Tls | Spoken::Http | Spoken::Unknown => None,
    }
}

/// Params `tls_port` and `plain_port` of the endpoint's protocol.
pub(crate) fn port_pair(sv: &ServerView<'_>, finding: Finding) -> Finding {
    let protocol = sv.protocol();
    finding
        .param("tls_port", protocol.implicit_tls_port())
        .param("plain_port", protocol.starttls_port())
}

/// A handshake that failed.
///
/// Plaintext instead of TLS on an implicit-TLS handshake: the port speaks plaintext first
/// (`ssl-on-plaintext-port`) unless another protocol (or HTTP) answered
/// (`wrong-protocol-on-port`). Old-TLS-only alerts are `tls-legacy-only`; everything else,
/// including plaintext after an accepted STARTTLS, is `tls-handshake-failed`.
fn failed_handshake(sv: &ServerView<'_>, step: &Step, tls: &TlsEvidence) -> Finding {
    let detail = tls.failure.as_ref().map_or("", |f| f.detail.as_str());
    if unanswered(tls) {
        return sv
            .finding(Code::ServerSlow)
            .param("seconds", fmt::seconds(step.elapsed_ms))
            .param("step", "tls")
            .evidence(&step.id);
    }
    let Some(failure) = &tls.failure else {
        return sv
            .finding(Code::TlsHandshakeFailed)
            .evidence(&step.id)
            .param("detail", detail);
    };
    match failure.kind {
        TlsFailureKind::NotTls if tls.mode == TlsMode::Implicit => {
            let spoken = failure.received_spoken.unwrap_or(Spoken::Unknown);
            let own = spoken == Spoken::Unknown || spoken_protocol(spoken) == Some(sv.protocol());
            let finding = if own {
                port_pair(sv, sv.finding(Code::SslOnPlaintextPort))
            } else if spoken == Spoken::Tls {
                sv.finding(Code::TlsHandshakeFailed).param("detail", detail)
            } else {
                sv.finding(Code::WrongProtocolOnPort)
                    .param("spoken", spoken_label(spoken))
                    .param("expected", sv.protocol().label())
            };
            match &failure.received_text {
                Some(text) => finding.param("received", text),
                None => finding,
            }
            .evidence(&step.id)
        }
        TlsFailureKind::ProtocolVersion
        | TlsFailureKind::HandshakeFailure
        | TlsFailureKind::PeerIncompatible => sv
            .finding(Code::TlsLegacyOnly)
            .evidence(&step.id)
            .param("detail", detail),
        _ => sv
            .finding(Code::TlsHandshakeFailed)
            .evidence(&step.id)
            .param("detail", detail),
    }
}

/// A handshake to which the server sent nothing at all before the time ran out: the server
/// is slow or stuck (a plaintext port would have greeted, a TLS port answered the hello).
pub(crate) fn unanswered(tls: &TlsEvidence) -> bool {
    tls.handshake == TlsHandshake::Failed
        && tls
            .failure
            .as_ref()
            .is_some_and(|f| f.kind == TlsFailureKind::Timeout && f.received_text.is_none())
}

/// Whether a host is (under) a big public provider.
fn public_provider(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    PUBLIC_PROVIDERS.iter().any(|domain| {
        host == *domain
            || host
                .strip_suffix(domain)
                .is_some_and(|rest| rest.ends_with('.'))
    })
}

/// A leaf value for a param, `?` when the server sent no certificate.
fn leaf_param(leaf: Option<&CertInfo>, value: impl Fn(&CertInfo) -> String) -> String {
    leaf.map_or_else(|| "?".to_string(), value)
}

/// Findings about the certificate of an established handshake, one per code.
fn certificate(
    ctx: &Ctx<'_>,
    sv: &ServerView<'_>,
    step: &Step,
    tls: &TlsEvidence,
    out: &mut Vec<Finding>,
) {
    let leaf = tls.chain.first();
    let verdict = tls.verification;
    let problem = |p: CertProblem| tls.leaf_problems.contains(&p);
    let issuer = leaf_param(leaf, |c| c.issuer.clone());
    let chain_completes = tls
        .aia
        .as_ref()
        .is_some_and(|aia| aia.outcome == AiaOutcome::Completes);
    // A self-signed leaf is often reported as an unknown issuer by the verifier: say
    // self-signed then, not both.
    let self_signed = verdict == CertVerification::SelfSigned
        || (verdict != CertVerification::Valid
            && (problem(CertProblem::SelfSigned)
                || (leaf.is_some_and(|c| c.self_signed) && tls.chain.len() == 1)));
    let unknown_issuer =
        !self_signed && verdict == CertVerification::UnknownIssuer && !chain_completes;

    let finding = |code: Code| sv.finding(code).evidence(&step.id);

    if (self_signed || unknown_issuer)
        && (public_provider(&sv.endpoint().host) || matches!(sv.ev.origin, Origin::Provider { .. }))
    {
        // What looks wrong with this certificate is the interceptor's doing.
        out.push(finding(Code::TlsInterceptionSuspected).param("issuer", issuer));
        return;
    }

    let now = ctx.now();
    let mut judged = false;
    // With a clock skew, a leaf valid at the server's time is fine: the clock is wrong.
    let valid_at_reference = ctx.skew.as_ref().is_some_and(|skew| {
        leaf.is_some_and(|c| {
            c.not_before_unix <= skew.reference && skew.reference <= c.not_after_unix
        })
    });
    if (verdict == CertVerification::Expired || problem(CertProblem::Expired))
        && !valid_at_reference
    {
        judged = true;
        out.push(
            finding(Code::CertExpired)
                .param(
                    "not_after",
                    leaf_param(leaf, |c| fmt::date(c.not_after_unix)),
                )
                .param(
                    "days",
                    leaf_param(leaf, |c| {
                        (now.saturating_sub(c.not_after_unix).div_euclid(fmt::DAY))
                            .max(0)
                            .to_string()
                    }),
                ),
        );
    }
    if (verdict == CertVerification::NotYetValid || problem(CertProblem::NotYetValid))
        && !valid_at_reference
    {
        judged = true;
        out.push(
            finding(Code::CertNotYetValid)
                .param(
                    "not_before",
                    leaf_param(leaf, |c| fmt::date(c.not_before_unix)),
                )
                .param(
                    "days",
                    leaf_param(leaf, |c| {
                        (c.not_before_unix.saturating_sub(now).div_euclid(fmt::DAY))
                            .max(0)
                            .to_string()
                    }),
                ),
        );
    }
    if verdict == CertVerification::NameMismatch || problem(CertProblem::NameMismatch) {
        judged = true;
        let names = leaf.map_or(&[][..], |c| c.names.as_slice());
        // Shared hosting: the certificate names the hosting company's server. One root cause,
        // one finding: this replaces `cert-name-mismatch` and says which name to use.
        let code = match hosting::hosting_name(&sv.endpoint().host, names) {
            Some(h) => finding(Code::CertForHostingServer)
                .param("hosting_domain", h.domain)
                .param("suggestion", h.suggestion),
            None => finding(Code::CertNameMismatch),
        };
        out.push(
            code.param("names", leaf_param(leaf, |c| c.names.join(", ")))
                .param("server_name", &tls.server_name),
        );
    }
    if self_signed {
        judged = true;
        out.push(
            finding(Code::CertSelfSigned).param("subject", leaf_param(leaf, |c| c.subject.clone())),
        );
    } else if unknown_issuer {
        judged = true;
        out.push(finding(Code::CertUnknownIssuer).param("issuer", issuer));
    } else if verdict == CertVerification::UnknownIssuer {
        judged = true;
        let url = tls.aia.as_ref().map_or("", |aia| aia.url.as_str());
        out.push(
            finding(Code::CertChainIncomplete)
                .param("issuer", issuer)
                .param("aia_url", url),
        );
    }
    if verdict == CertVerification::Valid
        && let Some(leaf) = leaf
    {
        let left = leaf.not_after_unix.saturating_sub(now);
        if 0 < left && left < EXPIRES_SOON {
            out.push(
                finding(Code::CertExpiresSoon)
                    .param("not_after", fmt::date(leaf.not_after_unix))
                    .param("days", left.div_euclid(fmt::DAY)),
            );
        }
    }
    if verdict == CertVerification::Invalid && !judged {
        // The verifier refused the certificate for a reason of its own: to the mail app that
        // is a failed handshake.
        out.push(
            finding(Code::TlsHandshakeFailed)
                .param("detail", tls.verify_error.as_deref().unwrap_or("")),
        );
    }
}

/// Whether a capability list offers STARTTLS (IMAP, SMTP) or STLS (POP3).
pub(crate) fn offers_starttls(protocol: Protocol, items: &[String]) -> bool {
    let keyword = match protocol {
        Protocol::Imap | Protocol::Smtp => "STARTTLS",
        Protocol::Pop3 => "STLS",
    };
    items.iter().any(|item| {
        item.split_whitespace()
            .next()
            .is_some_and(|word| word.eq_ignore_ascii_case(keyword))
    })
}

/// Settings without encryption: `encryption-off` when the server offers STARTTLS/STLS,
/// `plaintext-only-server` when it does not. Needs a capability list. When the server refuses
/// the plaintext login (before or in answer to it), `plaintext-login-disabled` (auth area)
/// says it all and this is quiet.
fn unencrypted(sv: &ServerView<'_>, out: &mut Vec<Finding>) {
    use maildoc_model::LoginSkipReason::ServerRefusesPlaintext;
    if sv.endpoint().security != Security::Plain {
        return;
    }
    let refused_before = sv
        .login_skipped()
        .is_some_and(|(_, reason)| reason == ServerRefusesPlaintext);
    let refused_in_answer = sv.live.iter().any(|s| {
        matches!(&s.kind, StepKind::Login(login)
            if classify(login) == Some(Code::PlaintextLoginDisabled))
    });
    if refused_before || refused_in_answer {
        return;
    }
    let Some((step, items)) = sv.capabilities() else {
        return;
    };
    let code = if offers_starttls(sv.protocol(), items) {
        Code::EncryptionOff
    } else {
        Code::PlaintextOnlyServer
    };
    out.push(sv.finding(code).evidence(&step.id));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::public_provider;
    use crate::fixtures::*;
    use maildoc_model::*;

    fn failed(kind: TlsFailureKind) -> TlsEvidence {
        let mut tls = not_tls(Spoken::Unknown, "");
        tls.failure = Some(TlsFailure {
            kind,
            detail: "alert".into(),
            received_text: None,
            received_spoken: None,
        });
        tls
    }

    #[test]
    fn a_demanded_client_certificate_explains_the_drop() {
        let mut asked = tls_valid("imap.example.jp", TlsMode::Implicit);
        asked.client_cert_requested = true;
        // TLS 1.3: the handshake completes, the server hangs up at the first read.
        let imap = Srv::imap_ssl()
            .resolved()
            .connected()
            .tls(asked.clone())
            .greeting(
                GreetingOutcome::Closed,
                "received fatal alert: CertificateRequired",
                None,
            );
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["client-cert-required@imap"]);
        assert_eq!(f[0].evidence, ["imap.3", "imap.4"]);
        // TLS 1.2: the handshake itself fails.
        let mut failed12 = failed(TlsFailureKind::HandshakeFailure);
        failed12.client_cert_requested = true;
        let imap = Srv::imap_ssl().resolved().connected().tls(failed12);
        assert_eq!(
            codes(&run(vec![imap.build()])),
            ["client-cert-required@imap"]
        );
        // Asked, but the server went on without one: nothing to say.
        let imap = Srv::imap_ssl().resolved().connected().tls(asked).greeted();
        assert!(codes(&run(vec![imap.build()])).is_empty());
    }

    #[test]
    fn ssl_on_a_plaintext_port() {
        let imap = Srv::new(
            "imap",
            Protocol::Imap,
            "imap.example.jp",
            143,
            Security::Tls,
        )
        .resolved()
        .connected()
        .tls(not_tls(Spoken::Imap, "* OK IMAP ready"));
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["ssl-on-plaintext-port@imap"]);
        let p = &f[0].params;
        assert_eq!(p["tls_port"], "993");
        assert_eq!(p["plain_port"], "143");
        assert_eq!(p["server"], "IMAP imap.example.jp:143 SSL/TLS");
        assert_eq!(p["protocol"], "IMAP");
        assert_eq!(p["host"], "imap.example.jp");
        assert_eq!(p["port"], "143");
        assert_eq!(p["security"], "SSL/TLS");
        assert_eq!(f[0].evidence, ["imap.3"]);

        // "SSL on 587": SMTP answers in plaintext.
        let smtp = Srv::new(
            "smtp",
            Protocol::Smtp,
            "smtp.example.jp",
            587,
            Security::Tls,
        )
        .resolved()
        .connected()
        .tls(not_tls(Spoken::Smtp, "220 smtp.example.jp ESMTP"));
        let f = run(vec![smtp.build()]);
        assert_eq!(codes(&f), ["ssl-on-plaintext-port@smtp"]);
        assert_eq!(f[0].params["tls_port"], "465");
        assert_eq!(f[0].params["plain_port"], "587");
    }

    #[test]
    fn another_protocol_on_an_ssl_setting() {
        let imap = Srv::new(
            "imap",
            Protocol::Imap,
            "mail.example.jp",
            110,
            Security::Tls,
        )
        .resolved()
        .connected()
        .tls(not_tls(Spoken::Pop3, "+OK POP3 ready"));
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["wrong-protocol-on-port@imap"]);
        assert_eq!(f[0].params["spoken"], "POP3");
        assert_eq!(f[0].params["expected"], "IMAP");
    }

    #[test]
    fn failed_handshakes() {
        for (kind, code) in [
            (TlsFailureKind::ProtocolVersion, "tls-legacy-only@imap"),
            (TlsFailureKind::HandshakeFailure, "tls-legacy-only@imap"),
            (TlsFailureKind::PeerIncompatible, "tls-legacy-only@imap"),
            (TlsFailureKind::Alert, "tls-handshake-failed@imap"),
            (TlsFailureKind::Closed, "tls-handshake-failed@imap"),
        ] {
            let imap = Srv::imap_ssl().resolved().connected().tls(failed(kind));
            let f = run(vec![imap.build()]);
            assert_eq!(codes(&f), [code], "{kind:?}");
            assert_eq!(f[0].params["detail"], "alert");
        }
        // Not a byte back before the time ran out: a slow server, not the settings.
        let imap = Srv::imap_ssl()
            .resolved()
            .connected()
            .tls(failed(TlsFailureKind::Timeout));
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["server-slow@imap"]);
        assert_eq!(f[0].params["step"], "tls");
    }

    #[test]
    fn starttls_not_offered_stops_there() {
        let smtp = Srv::smtp_submission()
            .resolved()
            .connected()
            .greeting(GreetingOutcome::Ready, "220 hi", Some(Spoken::Smtp))
            .caps(&["PIPELINING", "AUTH PLAIN"], false)
            .step(
                0,
                StepKind::Starttls {
                    outcome: StarttlsOutcome::NotOffered,
                    reply: String::new(),
                },
            )
            .skip(LoginSkipReason::Unencrypted);
        let f = run(vec![smtp.build()]);
        assert_eq!(codes(&f), ["starttls-not-offered@smtp"]);
        assert_eq!(f[0].evidence, ["smtp.5"]);
    }

    #[test]
    fn encryption_off_and_plaintext_only() {
        let on = Srv::imap_plain()
            .greeted()
            .caps(&["IMAP4rev1", "STARTTLS", "AUTH=PLAIN"], false)
            .skip(LoginSkipReason::Unencrypted);
        assert_eq!(codes(&run(vec![on.build()])), ["encryption-off@imap"]);
        let pop = Srv::new(
            "pop3",
            Protocol::Pop3,
            "pop.example.jp",
            110,
            Security::Plain,
        )
        .greeted()
        .caps(&["USER", "UIDL"], false)
        .skip(LoginSkipReason::Unencrypted);
        assert_eq!(
            codes(&run(vec![pop.build()])),
            ["plaintext-only-server@pop3"]
        );
        // The server refuses the plaintext login: that one finding says it.
        let disabled = Srv::imap_plain()
            .greeted()
            .caps(&["IMAP4rev1", "STARTTLS", "LOGINDISABLED"], false)
            .skip(LoginSkipReason::ServerRefusesPlaintext);
        assert_eq!(
            codes(&run(vec![disabled.build()])),
            ["plaintext-login-disabled@imap"]
        );
        // ... also when it says so in answer to the login (--allow-plaintext-login).
        let mut login = login_ev(
            "taro",
            UsernameForm::AsGiven,
            LoginOutcome::Rejected,
            "a1 NO [PRIVACYREQUIRED] Plaintext authentication disallowed",
            Some("PRIVACYREQUIRED"),
            None,
        );
        login.encrypted = false;
        let answered = Srv::imap_plain()
            .greeted()
            .caps(&["IMAP4rev1", "STARTTLS", "AUTH=PLAIN"], false)
            .login(login);
        let f = run(vec![answered.build()]);
        assert_eq!(codes(&f), ["plaintext-login-disabled@imap"]);
        assert_eq!(
            f[0].params["reply"],
            "a1 NO [PRIVACYREQUIRED] Plaintext authentication disallowed"
        );
    }

    #[test]
    fn certificate_problems() {
        let mut tls = tls_valid("imap.example.jp", TlsMode::Implicit);
        tls.verification = CertVerification::Expired;
        tls.leaf_problems = vec![CertProblem::Expired, CertProblem::NameMismatch];
        tls.chain[0].not_after_unix = NOW - 3 * DAY - 100;
        tls.chain[0].names = vec!["*.hosting.example".into(), "hosting.example".into()];
        let f = run(vec![Srv::imap_ssl().up_with(tls).build()]);
        assert_eq!(codes(&f), ["cert-expired@imap", "cert-name-mismatch@imap"]);
        assert_eq!(f[0].params["not_after"], "2025-06-12");
        assert_eq!(f[0].params["days"], "3");
        assert_eq!(f[1].params["names"], "*.hosting.example, hosting.example");
        assert_eq!(f[0].evidence, ["imap.3"]);

        let mut tls = tls_valid("imap.example.jp", TlsMode::Implicit);
        tls.verification = CertVerification::NotYetValid;
        tls.chain[0].not_before_unix = NOW + 2 * DAY;
        let f = run(vec![Srv::imap_ssl().up_with(tls).build()]);
        assert_eq!(codes(&f), ["cert-not-yet-valid@imap"]);
        assert_eq!(f[0].params["not_before"], "2025-06-17");

        let mut tls = tls_valid("imap.example.jp", TlsMode::Implicit);
        tls.chain[0].not_after_unix = NOW + 5 * DAY + 10;
        let f = run(vec![Srv::imap_ssl().up_with(tls).build()]);
        assert_eq!(codes(&f), ["cert-expires-soon@imap"]);
        assert_eq!(f[0].params["days"], "5");
        assert_eq!(f[0].params["not_after"], "2025-06-20");
        assert_eq!(f[0].severity, Severity::Warning);
    }

    #[test]
    fn a_hosting_companys_certificate_names_the_server_to_use() {
        // mail.example.jp on an Xserver machine: the certificate is the server's own.
        let mut tls = tls_valid("mail.example.jp", TlsMode::Implicit);
        tls.verification = CertVerification::NameMismatch;
        tls.chain[0].names = vec!["*.xserver.jp".into(), "sv1234.xserver.jp".into()];
        let imap = Srv::new(
            "imap",
            Protocol::Imap,
            "mail.example.jp",
            993,
            Security::Tls,
        )
        .up_with(tls.clone());
        let f = run(vec![imap.build()]);
        // One root cause, one finding: not also cert-name-mismatch.
        assert_eq!(codes(&f), ["cert-for-hosting-server@imap"]);
        let p = &f[0].params;
        assert_eq!(p["suggestion"], "sv1234.xserver.jp");
        assert_eq!(p["hosting_domain"], "xserver.jp");
        assert_eq!(p["names"], "*.xserver.jp, sv1234.xserver.jp");
        assert_eq!(p["server_name"], "mail.example.jp");
        assert_eq!(f[0].evidence, ["imap.3"]);
        assert_eq!(f[0].severity, Severity::Error);

        // Only a wildcard: the pattern is the suggestion. Other problems stay their own.
        tls.chain[0].names = vec!["*.sakura.ne.jp".into(), "sakura.ne.jp".into()];
        tls.leaf_problems = vec![CertProblem::Expired, CertProblem::NameMismatch];
        tls.chain[0].not_after_unix = NOW - DAY;
        let smtp = Srv::new(
            "smtp",
            Protocol::Smtp,
            "mail.example.jp",
            587,
            Security::Starttls,
        )
        .up_with(tls.clone());
        let f = run(vec![smtp.build()]);
        assert_eq!(
            codes(&f),
            ["cert-expired@smtp", "cert-for-hosting-server@smtp"]
        );
        assert_eq!(f[1].params["suggestion"], "*.sakura.ne.jp");

        // A hoster's own host with another server's certificate is a plain mismatch.
        let mut tls = tls_valid("sv999.xserver.jp", TlsMode::Implicit);
        tls.verification = CertVerification::NameMismatch;
        tls.chain[0].names = vec!["sv1234.xserver.jp".into()];
        let imap = Srv::new(
            "imap",
            Protocol::Imap,
            "sv999.xserver.jp",
            993,
            Security::Tls,
        )
        .up_with(tls);
        assert_eq!(codes(&run(vec![imap.build()])), ["cert-name-mismatch@imap"]);
    }

    #[test]
    fn self_signed_unknown_issuer_and_incomplete_chain() {
        let mut tls = tls_valid("imap.example.jp", TlsMode::Implicit);
        tls.verification = CertVerification::UnknownIssuer;
        tls.chain[0].self_signed = true;
        tls.chain[0].issuer = "CN=mail.local".into();
        tls.chain[0].subject = "CN=mail.local".into();
        let f = run(vec![Srv::imap_ssl().up_with(tls).build()]);
        assert_eq!(codes(&f), ["cert-self-signed@imap"]);
        assert_eq!(f[0].params["subject"], "CN=mail.local");

        let mut tls = tls_valid("imap.example.jp", TlsMode::Implicit);
        tls.verification = CertVerification::UnknownIssuer;
        tls.aia = Some(AiaFetch {
            url: "http://r11.i.lencr.org/".into(),
            outcome: AiaOutcome::FetchFailed,
            detail: String::new(),
        });
        let f = run(vec![Srv::imap_ssl().up_with(tls.clone()).build()]);
        assert_eq!(codes(&f), ["cert-unknown-issuer@imap"]);
        assert_eq!(f[0].params["issuer"], "CN=R11, O=Let's Encrypt, C=US");

        if let Some(aia) = tls.aia.as_mut() {
            aia.outcome = AiaOutcome::Completes;
        }
        let f = run(vec![Srv::imap_ssl().up_with(tls).build()]);
        assert_eq!(codes(&f), ["cert-chain-incomplete@imap"]);
        assert_eq!(f[0].params["aia_url"], "http://r11.i.lencr.org/");
        assert_eq!(f[0].severity, Severity::Warning);
    }

    #[test]
    fn untrusted_certificates_at_public_providers_are_interception() {
        let mut tls = tls_valid("imap.gmail.com", TlsMode::Implicit);
        tls.verification = CertVerification::UnknownIssuer;
        tls.chain[0].issuer = "CN=Antivirus Web Shield Root".into();
        let gmail = Srv::new("imap", Protocol::Imap, "imap.gmail.com", 993, Security::Tls)
            .up_with(tls.clone());
        let f = run(vec![gmail.build()]);
        assert_eq!(codes(&f), ["tls-interception-suspected@imap"]);
        assert_eq!(f[0].params["issuer"], "CN=Antivirus Web Shield Root");
        assert_eq!(f[0].severity, Severity::Warning);

        // A provider from the provider table counts too, whatever its host.
        let isp = Srv::imap_ssl()
            .origin(Origin::Provider {
                id: "example".into(),
                name: "Example ISP".into(),
            })
            .up_with(tls);
        assert_eq!(
            codes(&run(vec![isp.build()])),
            ["tls-interception-suspected@imap"]
        );

        assert!(public_provider("smtp.mail.yahoo.co.jp"));
        assert!(public_provider("GMAIL.COM."));
        assert!(!public_provider("notgmail.com"));
        assert!(!public_provider("gmail.com.evil.example"));
    }

    #[test]
    fn the_confirming_handshake_of_a_silent_port_is_not_judged() {
        let mut tls = tls_valid("imap.example.jp", TlsMode::Implicit);
        tls.verification = CertVerification::Expired;
        let imap = Srv::imap_starttls()
            .resolved()
            .connected()
            .greeting(GreetingOutcome::Silent, "", None)
            .tls(tls);
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["plaintext-on-ssl-port@imap"]);
    }
}
