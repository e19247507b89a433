//! Logging in: rejected logins classified by the server's words, and logins maildoc could not
//! try because of the server.
//!
//! A rejected login is read case-insensitively, most specific class first: app password,
//! OAuth, protocol disabled, too many connections, locked or throttled, server unavailable.
//! Anything else is an ordinary authentication failure: if the probe's second try with the
//! other user name form (full address / local part) got in, that is `auth-username-form`,
//! else `auth-failed`.
//!
//! A login without answer is named by what the probe ran into (the trouble it recorded right
//! after the login): no answer in time is `server-slow` (error), an answer that is no protocol
//! is `garbled-response`, anything else `connection-dropped`.

use crate::fmt;
use crate::view::{Ctx, ServerView, mentions};
use maildoc_model::{
    Code, Finding, LoginEvidence, LoginOutcome, LoginSkipReason, Phase, Severity, Step, StepKind,
    Trouble,
};

const APP_PASSWORD: &[&str] = &[
    "application-specific password",
    "app password",
    "app-specific password",
    "アプリパスワード",
    "534-5.7.9",
    "534 5.7.9",
];

const OAUTH: &[&str] = &[
    "web browser",
    "webloginrequired",
    "basic authentication is disabled",
    "basicauthblocked",
    "5.7.139",
    "oauth",
    "modern authentication",
];

const PROTOCOL_DISABLED: &[&str] = &[
    "not enabled for imap",
    "imap access is disabled",
    "pop3 access is disabled",
    "pop access",
    "imap is disabled",
    "access disabled for this protocol",
];

/// Words of a server that has too many connections open (also read in greetings).
pub(crate) const TOO_MANY_CONNECTIONS: &[&str] = &[
    "too many connections",
    "maximum number of connections",
    "connection limit",
    "too many simultaneous connections",
    "too many concurrent connections",
    "[inuse]",
    "[in-use]",
    "mailbox in use",
    "unable to lock maildrop",
];

const LOCKED: &[&str] = &[
    "too many login",
    "too many failed",
    "account locked",
    "locked",
    "temporarily blocked",
    "login-delay",
];

/// Words a server uses for a password over an unencrypted connection.
const ENCRYPTION_REQUIRED: &[&str] = &["privacyrequired", "encryption required"];

/// Mechanisms that need an OAuth token, not a password.
const OAUTH_MECHANISMS: &[&str] = &["XOAUTH2", "OAUTHBEARER", "XOAUTH"];

pub(crate) fn rules(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for sv in &ctx.servers {
        skipped(sv, &mut out);
        logins(sv, &mut out);
    }
    out
}

/// The class of a rejected login; `None` for an ordinary authentication failure.
///
/// Besides the listed words and codes: IMAP `[PRIVACYREQUIRED]`, SMTP `538` / `5.7.11` and
/// "encryption required" are `plaintext-login-disabled`; IMAP `INUSE` counts like POP3
/// `IN-USE`; `[LIMIT]` is about connections only when the text says "connection"; and the
/// vague "try again later" means throttling only when the status does not say the server
/// itself is unavailable (`UNAVAILABLE`, `SYS/TEMP`).
pub(crate) fn classify(login: &LoginEvidence) -> Option<Code> {
    let text = login.reply.to_lowercase();
    let status = login.status.as_deref().unwrap_or("").to_ascii_uppercase();
    let status_is = |names: &[&str]| names.contains(&status.as_str());
    let unavailable = status_is(&["UNAVAILABLE", "SYS/TEMP"]);
    if mentions(&text, APP_PASSWORD) || status_is(&["5.7.9"]) {
        return Some(Code::AppPasswordRequired);
    }
    if mentions(&text, OAUTH) || status_is(&["5.7.14", "5.7.139"]) {
        return Some(Code::OauthRequired);
    }
    if mentions(&text, PROTOCOL_DISABLED) {
        return Some(Code::ProtocolDisabled);
    }
    if mentions(&text, ENCRYPTION_REQUIRED)
        || status_is(&["PRIVACYREQUIRED", "5.7.11"])
        || login.code == Some(538)
    {
        return Some(Code::PlaintextLoginDisabled);
    }
    if mentions(&text, TOO_MANY_CONNECTIONS)
        || status_is(&["IN-USE", "INUSE"])
        || (status_is(&["LIMIT"]) && text.contains("connection"))
    {
        return Some(Code::TooManyConnections);
    }
    if mentions(&text, LOCKED)
        || status_is(&["LOGIN-DELAY", "LIMIT"])
        || (login.code == Some(454) && (status_is(&["4.7.0"]) || text.contains("4.7.0")))
        || (!unavailable && text.contains("try again later"))
    {
        return Some(Code::AccountLockedOrThrottled);
    }
    // IMAP's BYE in answer to a login is the server ending the session (shutting down,
    // overloaded), not a verdict on the password.
    let bye = login
        .reply
        .trim_start()
        .get(..5)
        .is_some_and(|head| head.eq_ignore_ascii_case("* BYE"));
    if unavailable || bye || login.code.is_some_and(|c| (400..500).contains(&c)) {
        return Some(Code::ServerUnavailable);
    }
    None
}

/// The password mechanisms a capability list offers, and the items that offer them:
/// IMAP `AUTH=XOAUTH2`, SMTP `AUTH XOAUTH2 OAUTHBEARER` (or `AUTH=...`), POP3 `SASL XOAUTH2`.
fn mechanisms(items: &[String]) -> (Vec<String>, Vec<&str>) {
    let mut mechanisms: Vec<String> = Vec::new();
    let mut sources = Vec::new();
    for item in items {
        let upper = item.to_ascii_uppercase();
        let Some(rest) = ["AUTH=", "AUTH ", "SASL "]
            .iter()
            .find_map(|prefix| upper.strip_prefix(prefix))
        else {
            continue;
        };
        sources.push(item.as_str());
        for mechanism in rest.split_whitespace() {
            if !mechanisms.iter().any(|m| m == mechanism) {
                mechanisms.push(mechanism.to_string());
            }
        }
    }
    (mechanisms, sources)
}

/// Logins the server made impossible: it refuses plaintext logins, or it offers only
/// mechanisms maildoc cannot use with a password (`oauth-required` when all of them are OAuth
/// ones, with the capability items as `reply`; else `auth-mechanism-unsupported`).
fn skipped(sv: &ServerView<'_>, out: &mut Vec<Finding>) {
    let Some((step, reason)) = sv.login_skipped() else {
        return;
    };
    let caps = sv.capabilities();
    let finding = match reason {
        LoginSkipReason::ServerRefusesPlaintext => sv.finding(Code::PlaintextLoginDisabled),
        LoginSkipReason::NoUsableMechanism => {
            let (mechanisms, sources) = mechanisms(caps.map_or(&[][..], |(_, items)| items));
            let oauth_only = !mechanisms.is_empty()
                && mechanisms
                    .iter()
                    .all(|m| OAUTH_MECHANISMS.contains(&m.as_str()));
            let listed = if mechanisms.is_empty() {
                "none".to_string()
            } else {
                mechanisms.join(", ")
            };
            if oauth_only {
                sv.finding(Code::OauthRequired)
                    .param("reply", sources.join(" "))
                    .param("mechanisms", listed)
            } else {
                sv.finding(Code::AuthMechanismUnsupported)
                    .param("mechanisms", listed)
            }
        }
        _ => return,
    };
    let finding = finding.evidence(&step.id);
    out.push(match caps {
        Some((caps_step, _)) => finding.evidence(&caps_step.id),
        None => finding,
    });
}

/// A finding of a classified rejection: params `reply`, and `username` where the code's
/// words use it (a server that is unavailable is so for every user name).
fn classified(sv: &ServerView<'_>, code: Code, login: &LoginEvidence) -> Finding {
    let finding = sv.finding(code).param("reply", &login.reply);
    if code.declares("username") {
        finding.param("username", &login.username)
    } else {
        finding
    }
}

fn auth_failed(sv: &ServerView<'_>, tried: &[(&Step, &LoginEvidence)]) -> Finding {
    let mut names: Vec<&str> = Vec::new();
    for (_, login) in tried {
        if !names.contains(&login.username.as_str()) {
            names.push(&login.username);
        }
    }
    let first = tried.first().map(|(_, login)| *login);
    let finding = sv
        .finding(Code::AuthFailed)
        .param("username", first.map_or("", |l| l.username.as_str()))
        .param("reply", first.map_or("", |l| l.reply.as_str()))
        .param("tried", names.join(", "));
    tried
        .iter()
        .fold(finding, |f, (step, _)| f.evidence(&step.id))
}

/// A login that got no answer. The trouble behind it is the step the probe recorded right
/// after the login (it lies past the end of the live steps, and says nothing new).
fn no_answer(sv: &ServerView<'_>, step: &Step) -> Finding {
    let trouble = sv
        .ev
        .steps
        .iter()
        .skip_while(|s| s.id != step.id)
        .nth(1)
        .and_then(|s| match &s.kind {
            StepKind::Trouble {
                phase: Phase::Login,
                trouble,
                detail,
            } => Some((s, *trouble, detail.as_str())),
            _ => None,
        });
    match trouble {
        Some((trouble_step, Trouble::Timeout, _)) => sv
            .finding(Code::ServerSlow)
            .severity(Severity::Error)
            .param("seconds", fmt::seconds(step.elapsed_ms))
            .param("step", "login")
            .evidence(&step.id)
            .evidence(&trouble_step.id),
        Some((trouble_step, Trouble::Unavailable, detail)) => crate::greeting::refused(sv, detail)
            .evidence(&step.id)
            .evidence(&trouble_step.id),
        Some((
            trouble_step,
            Trouble::Garbage | Trouble::LineTooLong | Trouble::Oversized,
            detail,
        )) => sv
            .finding(Code::GarbledResponse)
            .param("step", "login")
            .param("detail", detail)
            .evidence(&step.id)
            .evidence(&trouble_step.id),
        _ => sv
            .finding(Code::ConnectionDropped)
            .param("step", "login")
            .evidence(&step.id),
    }
}

fn logins(sv: &ServerView<'_>, out: &mut Vec<Finding>) {
    let logins: Vec<(&Step, &LoginEvidence)> = sv
        .live
        .iter()
        .filter_map(|s| match &s.kind {
            StepKind::Login(login) => Some((s, login)),
            _ => None,
        })
        .collect();
    let Some(&(first_step, first)) = logins.first() else {
        return;
    };
    let unanswered = |step: &Step| no_answer(sv, step);
    match first.outcome {
        LoginOutcome::Accepted => return,
        LoginOutcome::NoAnswer => {
            out.push(unanswered(first_step));
            return;
        }
        LoginOutcome::Rejected => {}
    }
    if let Some(code) = classify(first) {
        out.push(classified(sv, code, first).evidence(&first_step.id));
        return;
    }
    let Some(&(second_step, second)) = logins.get(1) else {
        out.push(auth_failed(sv, &logins[..1]));
        return;
    };
    match second.outcome {
        LoginOutcome::Accepted => out.push(
            sv.finding(Code::AuthUsernameForm)
                .param("username", &first.username)
                .param("working_username", &second.username)
                .param("reply", &first.reply)
                .evidence(&first_step.id)
                .evidence(&second_step.id),
        ),
        LoginOutcome::NoAnswer => {
            out.push(auth_failed(sv, &logins[..1]));
            out.push(unanswered(second_step));
        }
        LoginOutcome::Rejected => match classify(second) {
            Some(code) => out.push(
                classified(sv, code, second)
                    .evidence(&first_step.id)
                    .evidence(&second_step.id),
            ),
            None => out.push(auth_failed(sv, &logins[..2])),
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::classify;
    use crate::fixtures::*;
    use maildoc_model::*;

    fn rejected(reply: &str, status: Option<&str>, code: Option<u16>) -> LoginEvidence {
        login_ev(
            "taro",
            UsernameForm::AsGiven,
            LoginOutcome::Rejected,
            reply,
            status,
            code,
        )
    }

    /// Reply, status, SMTP code, and the class wanted.
    type Case<'a> = (&'a str, Option<&'a str>, Option<u16>, Option<Code>);

    #[test]
    fn rejected_logins_are_classified_by_their_words() {
        let cases: &[Case<'_>] = &[
            (
                "NO [ALERT] Application-specific password required: https://support.google.com/accounts/answer/185833 (Failure)",
                Some("ALERT"),
                None,
                Some(Code::AppPasswordRequired),
            ),
            (
                "534-5.7.9 Application-specific password required.",
                Some("5.7.9"),
                Some(534),
                Some(Code::AppPasswordRequired),
            ),
            (
                "NO アプリパスワードが必要です",
                None,
                None,
                Some(Code::AppPasswordRequired),
            ),
            (
                "534-5.7.14 Please log in via your web browser",
                Some("5.7.14"),
                Some(534),
                Some(Code::OauthRequired),
            ),
            (
                "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
                Some("5.7.139"),
                Some(535),
                Some(Code::OauthRequired),
            ),
            (
                "NO [ALERT] Your account is not enabled for IMAP use.",
                Some("ALERT"),
                None,
                Some(Code::ProtocolDisabled),
            ),
            (
                "-ERR POP access is disabled for this account",
                None,
                None,
                Some(Code::ProtocolDisabled),
            ),
            (
                "NO [LIMIT] Too many simultaneous connections",
                Some("LIMIT"),
                None,
                Some(Code::TooManyConnections),
            ),
            (
                "-ERR [IN-USE] mailbox in use",
                Some("IN-USE"),
                None,
                Some(Code::TooManyConnections),
            ),
            (
                "NO [LIMIT] Login rate exceeded",
                Some("LIMIT"),
                None,
                Some(Code::AccountLockedOrThrottled),
            ),
            (
                "454 4.7.0 Too many login attempts, please try again later.",
                Some("4.7.0"),
                Some(454),
                Some(Code::AccountLockedOrThrottled),
            ),
            (
                "-ERR [LOGIN-DELAY] wait",
                Some("LOGIN-DELAY"),
                None,
                Some(Code::AccountLockedOrThrottled),
            ),
            (
                "NO Account locked",
                None,
                None,
                Some(Code::AccountLockedOrThrottled),
            ),
            (
                "NO [UNAVAILABLE] Temporary failure, try again later",
                Some("UNAVAILABLE"),
                None,
                Some(Code::ServerUnavailable),
            ),
            (
                "-ERR [SYS/TEMP] backend down",
                Some("SYS/TEMP"),
                None,
                Some(Code::ServerUnavailable),
            ),
            (
                "451 4.3.0 Temporary failure",
                Some("4.3.0"),
                Some(451),
                Some(Code::ServerUnavailable),
            ),
            (
                "* BYE Server shutting down",
                None,
                None,
                Some(Code::ServerUnavailable),
            ),
            (
                "NO [PRIVACYREQUIRED] Use TLS",
                Some("PRIVACYREQUIRED"),
                None,
                Some(Code::PlaintextLoginDisabled),
            ),
            (
                "NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)",
                Some("AUTHENTICATIONFAILED"),
                None,
                None,
            ),
            (
                "535 5.7.8 Error: authentication failed",
                Some("5.7.8"),
                Some(535),
                None,
            ),
            (
                "-ERR [AUTH] Authentication failed.",
                Some("AUTH"),
                None,
                None,
            ),
        ];
        for (reply, status, code, want) in cases {
            assert_eq!(classify(&rejected(reply, *status, *code)), *want, "{reply}");
        }
    }

    #[test]
    fn classified_rejection_carries_the_reply() {
        let imap = Srv::imap_ssl().up().login(rejected(
            "NO [ALERT] Application-specific password required",
            Some("ALERT"),
            None,
        ));
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["app-password-required@imap"]);
        assert_eq!(
            f[0].params["reply"],
            "NO [ALERT] Application-specific password required"
        );
        assert_eq!(f[0].evidence, ["imap.6"]);
    }

    #[test]
    fn other_username_form_that_works_is_not_auth_failed() {
        let imap = Srv::imap_ssl()
            .up()
            .login(rejected(
                "NO [AUTHENTICATIONFAILED] Invalid",
                Some("AUTHENTICATIONFAILED"),
                None,
            ))
            .login(login_ev(
                "taro@example.jp",
                UsernameForm::FullAddress,
                LoginOutcome::Accepted,
                "OK logged in",
                None,
                None,
            ));
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["auth-username-form@imap"]);
        assert_eq!(f[0].params["username"], "taro");
        assert_eq!(f[0].params["working_username"], "taro@example.jp");
        assert_eq!(f[0].evidence, ["imap.6", "imap.7"]);
    }

    #[test]
    fn both_forms_rejected_is_auth_failed_with_everything_tried() {
        let pop = Srv::pop3_ssl()
            .up()
            .login(rejected(
                "-ERR [AUTH] Authentication failed.",
                Some("AUTH"),
                None,
            ))
            .login(login_ev(
                "taro@example.jp",
                UsernameForm::FullAddress,
                LoginOutcome::Rejected,
                "-ERR [AUTH] Authentication failed.",
                Some("AUTH"),
                None,
            ));
        let f = run(vec![pop.build()]);
        assert_eq!(codes(&f), ["auth-failed@pop3"]);
        assert_eq!(f[0].params["username"], "taro");
        assert_eq!(f[0].params["tried"], "taro, taro@example.jp");
        assert_eq!(f[0].params["reply"], "-ERR [AUTH] Authentication failed.");

        let single = Srv::pop3_ssl()
            .up()
            .login(rejected("-ERR nope", None, None));
        let f = run(vec![single.build()]);
        assert_eq!(codes(&f), ["auth-failed@pop3"]);
        assert_eq!(f[0].params["tried"], "taro");
    }

    #[test]
    fn login_without_answer_is_a_dropped_connection() {
        let imap = Srv::imap_ssl().up().login(login_ev(
            "taro",
            UsernameForm::AsGiven,
            LoginOutcome::NoAnswer,
            "",
            None,
            None,
        ));
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["connection-dropped@imap"]);
        assert_eq!(f[0].params["step"], "login");
    }

    #[test]
    fn login_without_answer_is_named_by_its_trouble() {
        let silent = login_ev(
            "taro",
            UsernameForm::AsGiven,
            LoginOutcome::NoAnswer,
            "no answer within 10.0 s",
            None,
            None,
        );
        let trouble = |trouble, detail: &str| StepKind::Trouble {
            phase: Phase::Login,
            trouble,
            detail: detail.into(),
        };
        let imap = Srv::imap_ssl()
            .up()
            .login_ms(10_000, silent.clone())
            .step(0, trouble(Trouble::Timeout, "no answer within 10.0 s"));
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["server-slow@imap"]);
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].params["step"], "login");
        assert_eq!(f[0].params["seconds"], "10.0");
        assert_eq!(f[0].evidence, ["imap.6", "imap.7"]);

        let imap = Srv::imap_ssl()
            .up()
            .login(silent.clone())
            .step(0, trouble(Trouble::Garbage, "not an IMAP response"));
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["garbled-response@imap"]);
        assert_eq!(f[0].params["detail"], "not an IMAP response");

        let imap = Srv::imap_ssl().up().login(silent).step(
            0,
            trouble(Trouble::Closed, "the server closed the connection"),
        );
        assert_eq!(codes(&run(vec![imap.build()])), ["connection-dropped@imap"]);
    }

    #[test]
    fn oauth_only_mechanisms() {
        let imap = Srv::imap_ssl()
            .resolved()
            .connected()
            .tls(tls_valid("imap.example.jp", TlsMode::Implicit))
            .greeting(GreetingOutcome::Ready, "* OK", Some(Spoken::Imap))
            .caps(
                &[
                    "IMAP4rev1",
                    "AUTH=XOAUTH2",
                    "AUTH=OAUTHBEARER",
                    "LOGINDISABLED",
                ],
                true,
            )
            .skip(LoginSkipReason::NoUsableMechanism);
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["oauth-required@imap"]);
        assert_eq!(f[0].params["reply"], "AUTH=XOAUTH2 AUTH=OAUTHBEARER");
        assert_eq!(f[0].params["mechanisms"], "XOAUTH2, OAUTHBEARER");
        assert_eq!(f[0].evidence, ["imap.6", "imap.5"]);

        let smtp = Srv::smtp_ssl()
            .resolved()
            .connected()
            .tls(tls_valid("smtp.example.jp", TlsMode::Implicit))
            .greeting(GreetingOutcome::Ready, "220 hi", Some(Spoken::Smtp))
            .caps(&["PIPELINING", "AUTH GSSAPI XOAUTH2"], true)
            .skip(LoginSkipReason::NoUsableMechanism);
        let f = run(vec![smtp.build()]);
        assert_eq!(codes(&f), ["auth-mechanism-unsupported@smtp"]);
        assert_eq!(f[0].params["mechanisms"], "GSSAPI, XOAUTH2");
    }
}
