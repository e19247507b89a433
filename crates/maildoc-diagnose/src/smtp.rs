//! Sending: the SMTP size limit, AUTH not offered, and the test envelope (MAIL FROM the own
//! address, RCPT TO the own address, RCPT TO an external address).
//!
//! The envelope is judged only when it was sent the way the user's mail app sends it: after
//! an accepted login, or without login because the app has SMTP authentication off
//! (`--smtp-auth none`). After a failed or skipped login its refusals are the consequence of
//! that, already reported.
//!
//! - MAIL FROM refused: `smtp-sender-rejected`, unless the reply demands authentication while
//!   the app does not authenticate: then `smtp-relay-denied` (turn SMTP auth on).
//! - RCPT TO the own address refused: `smtp-recipient-rejected` (a full mailbox belongs to the
//!   mailbox area; an authentication demand without auth is `smtp-relay-denied`).
//! - RCPT TO the external address refused as relaying ("relay", `5.7.1`, `5.7.0`, `550`,
//!   `554`, or an authentication demand): `smtp-relay-denied`. Refusals about the test address
//!   itself (`5.1.x` / `4.1.x`: it is at a reserved domain) say nothing and are ignored.
//! - A refused MAIL FROM ends the envelope: its RCPTs are not judged.
//! - RCPT TO the external address accepted without a login (authentication off in the app,
//!   or not offered at all): `smtp-open-relay`.
//! - On a connection the settings leave unencrypted, a refusal that asks for STARTTLS first
//!   (`530 5.7.0 Must issue a STARTTLS command first`) is the consequence of that, which the
//!   encryption area reports (`encryption-off`), and is not judged here.

use crate::fmt;
use crate::mailbox::says_mailbox_full;
use crate::view::{Ctx, ServerView, mentions};
use maildoc_model::{
    Code, CommandKind, Finding, LoginSkipReason, Protocol, ReplyOutcome, Security, Step, StepKind,
};

/// A SIZE below this (bytes) is `smtp-size-limit`: under 10 MB (decimal), a few photos no
/// longer fit. Postfix's default of 10240000 stays just above it.
const SMALL_SIZE: u64 = 10_000_000;

const AUTH_REQUIRED: &[&str] = &[
    "authentication required",
    "auth required",
    "authentication is required",
    "must authenticate",
    "not authenticated",
];

/// Words of a refusal that wants the connection encrypted first.
const TLS_REQUIRED: &[&str] = &["starttls", "encryption required", "tls required"];
/// Replies that refuse the sender address (often only at RCPT TO).
const SENDER_REFUSED: &[&str] = &[
    "sender address rejected",
    "not owned by user",
    "sender login mismatch",
    "sender rejected",
    "sender not allowed",
];

pub(crate) fn rules(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for sv in ctx
        .servers
        .iter()
        .filter(|s| s.protocol() == Protocol::Smtp)
    {
        size_limit(sv, &mut out);
        if let Some((step, LoginSkipReason::NotOffered)) = sv.login_skipped() {
            let finding = sv.finding(Code::SmtpAuthNotOffered).evidence(&step.id);
            out.push(match sv.capabilities() {
                Some((caps, _)) => finding.evidence(&caps.id),
                None => finding,
            });
        }
        envelope(sv, &mut out);
        open_relay(sv, &mut out);
    }
    out
}

/// `smtp-open-relay`: without a login, the server accepted the test recipient at an outside
/// (reserved) domain. No message follows: maildoc resets the envelope.
fn open_relay(sv: &ServerView<'_>, out: &mut Vec<Finding>) {
    if sv.logged_in() {
        return;
    }
    for step in sv.live {
        if let StepKind::Command {
            command: CommandKind::RcptExternal,
            argument,
            outcome: ReplyOutcome::Ok,
            reply,
            ..
        } = &step.kind
        {
            out.push(
                sv.finding(Code::SmtpOpenRelay)
                    .param("reply", reply)
                    .param("recipient", argument)
                    .evidence(&step.id),
            );
        }
    }
}

/// `SIZE n` with 0 < n < 10 MB: params `size` (`5 MB`) and `size_bytes`.
fn size_limit(sv: &ServerView<'_>, out: &mut Vec<Finding>) {
    let Some((step, items)) = sv.capabilities() else {
        return;
    };
    let size = items.iter().find_map(|item| {
        let mut words = item.split_whitespace();
        let keyword = words.next()?;
        if !keyword.eq_ignore_ascii_case("SIZE") {
            return None;
        }
        words.next()?.parse::<u64>().ok()
    });
    if let Some(size) = size.filter(|n| (1..SMALL_SIZE).contains(n)) {
        out.push(
            sv.finding(Code::SmtpSizeLimit)
                .param("size", fmt::bytes(size))
                .param("size_bytes", size)
                .evidence(&step.id),
        );
    }
}

/// A refused envelope command.
struct Refusal<'a> {
    step: &'a Step,
    command: CommandKind,
    argument: &'a str,
    reply: &'a str,
    code: Option<u16>,
    status: Option<&'a str>,
}

impl Refusal<'_> {
    fn auth_required(&self) -> bool {
        self.code == Some(530)
            || self.status == Some("5.7.0")
            || mentions(self.reply, AUTH_REQUIRED)
    }

    fn relaying(&self) -> bool {
        mentions(self.reply, &["relay"])
            || matches!(self.status, Some("5.7.1" | "5.7.0"))
            || matches!(self.code, Some(550 | 554))
    }

    /// The refusal names the sender address, wherever it came (Postfix refuses a sender at
    /// RCPT TO unless `smtpd_delay_reject = no`).
    fn about_sender(&self) -> bool {
        mentions(self.reply, SENDER_REFUSED) || matches!(self.status, Some("5.1.7" | "5.1.8"))
    }

    /// The refusal asks for STARTTLS (encryption) first.
    fn tls_required(&self) -> bool {
        mentions(self.reply, TLS_REQUIRED) || self.status == Some("5.7.11")
    }

    /// The refusal is about the address itself (`5.1.x` bad mailbox / domain).
    fn about_address(&self) -> bool {
        self.status
            .is_some_and(|s| s.starts_with("5.1.") || s.starts_with("4.1."))
    }
}

fn envelope(sv: &ServerView<'_>, out: &mut Vec<Finding>) {
    let anonymous = matches!(sv.login_skipped(), Some((_, LoginSkipReason::SmtpAuthOff)));
    if !anonymous && !sv.logged_in() {
        return;
    }
    let unencrypted = sv.endpoint().security == Security::Plain;
    for step in sv.live {
        let StepKind::Command {
            command,
            argument,
            outcome: ReplyOutcome::PermFail | ReplyOutcome::TempFail,
            reply,
            code,
            status,
        } = &step.kind
        else {
            continue;
        };
        let refusal = Refusal {
            step,
            command: *command,
            argument,
            reply,
            code: *code,
            status: status.as_deref(),
        };
        if unencrypted && refusal.tls_required() {
            if refusal.command == CommandKind::MailFrom {
                return;
            }
            continue;
        }
        if refusal.command != CommandKind::MailFrom && refusal.about_sender() {
            let sender = sv
                .live
                .iter()
                .find_map(|s| match &s.kind {
                    StepKind::Command {
                        command: CommandKind::MailFrom,
                        argument,
                        ..
                    } => Some(argument.as_str()),
                    _ => None,
                })
                .unwrap_or_default();
            out.push(
                sv.finding(Code::SmtpSenderRejected)
                    .param("reply", refusal.reply)
                    .param("address", sender)
                    .evidence(&step.id),
            );
            return;
        }
        let relay_denied = || {
            sv.finding(Code::SmtpRelayDenied)
                .param("reply", refusal.reply)
                .evidence(&refusal.step.id)
        };
        match refusal.command {
            CommandKind::MailFrom => {
                out.push(if anonymous && refusal.auth_required() {
                    relay_denied()
                } else {
                    sv.finding(Code::SmtpSenderRejected)
                        .param("reply", refusal.reply)
                        .param("address", refusal.argument)
                        .evidence(&step.id)
                });
                return;
            }
            CommandKind::RcptOwn => {
                if says_mailbox_full(&step.kind) {
                    continue;
                }
                out.push(if anonymous && refusal.auth_required() {
                    relay_denied()
                } else {
                    sv.finding(Code::SmtpRecipientRejected)
                        .param("reply", refusal.reply)
                        .param("address", refusal.argument)
                        .evidence(&step.id)
                });
            }
            CommandKind::RcptExternal => {
                if (anonymous && refusal.auth_required())
                    || (refusal.relaying() && !refusal.about_address())
                {
                    out.push(relay_denied());
                }
            }
            CommandKind::Rcpt => out.push(
                sv.finding(Code::SmtpSendRecipientRefused)
                    .param("reply", refusal.reply)
                    .param("address", refusal.argument)
                    .evidence(&step.id),
            ),
            CommandKind::Data | CommandKind::EndOfData => {
                out.push(
                    sv.finding(Code::SmtpSendRefused)
                        .param("reply", refusal.reply)
                        .evidence(&step.id),
                );
                return;
            }
            CommandKind::Getquotaroot
            | CommandKind::Status
            | CommandKind::Stat
            | CommandKind::List
            | CommandKind::Search
            | CommandKind::Fetch
            | CommandKind::Expunge => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use crate::fixtures::*;
    use maildoc_model::*;

    const ME: &str = "taro@example.jp";
    const THEM: &str = "maildoc-test@example.invalid";

    fn logged_in() -> Srv {
        Srv::smtp_submission().up().login(login_ev(
            ME,
            UsernameForm::AsGiven,
            LoginOutcome::Accepted,
            "235 2.7.0 ok",
            Some("2.7.0"),
            Some(235),
        ))
    }

    fn auth_off() -> Srv {
        Srv::smtp_submission()
            .up()
            .skip(LoginSkipReason::SmtpAuthOff)
    }

    fn ok(srv: Srv, kind: CommandKind, arg: &str) -> Srv {
        srv.command(
            kind,
            arg,
            ReplyOutcome::Ok,
            "250 ok",
            Some(250),
            Some("2.1.0"),
        )
    }

    fn no(srv: Srv, kind: CommandKind, arg: &str, reply: &str, code: u16, status: &str) -> Srv {
        let outcome = if code >= 500 {
            ReplyOutcome::PermFail
        } else {
            ReplyOutcome::TempFail
        };
        srv.command(kind, arg, outcome, reply, Some(code), Some(status))
    }

    #[test]
    fn relay_denied_after_login() {
        let smtp = no(
            ok(
                ok(logged_in(), CommandKind::MailFrom, ME),
                CommandKind::RcptOwn,
                ME,
            ),
            CommandKind::RcptExternal,
            THEM,
            "554 5.7.1 Relay access denied",
            554,
            "5.7.1",
        );
        let f = run(vec![smtp.build()]);
        assert_eq!(codes(&f), ["smtp-relay-denied@smtp"]);
        assert_eq!(f[0].params["reply"], "554 5.7.1 Relay access denied");
        assert_eq!(f[0].evidence, ["smtp.11"]);
    }

    #[test]
    fn auth_required_without_smtp_auth_is_relay_denied() {
        let smtp = no(
            auth_off(),
            CommandKind::MailFrom,
            ME,
            "530 5.7.0 Authentication required",
            530,
            "5.7.0",
        );
        let f = run(vec![smtp.build()]);
        assert_eq!(codes(&f), ["smtp-relay-denied@smtp"]);

        let smtp = no(
            ok(
                ok(auth_off(), CommandKind::MailFrom, ME),
                CommandKind::RcptOwn,
                ME,
            ),
            CommandKind::RcptExternal,
            THEM,
            "530 5.7.0 Authentication required",
            530,
            "5.7.0",
        );
        assert_eq!(codes(&run(vec![smtp.build()])), ["smtp-relay-denied@smtp"]);
    }

    #[test]
    fn starttls_demand_on_an_unencrypted_connection_is_not_relay_denied() {
        let plain = || {
            Srv::new(
                "smtp",
                Protocol::Smtp,
                "smtp.example.jp",
                587,
                Security::Plain,
            )
            .resolved()
            .connected()
            .greeting(GreetingOutcome::Ready, "220 hi", Some(Spoken::Smtp))
            .caps(&["PIPELINING", "STARTTLS"], false)
            .skip(LoginSkipReason::SmtpAuthOff)
        };
        let smtp = no(
            plain(),
            CommandKind::MailFrom,
            ME,
            "530 5.7.0 Must issue a STARTTLS command first",
            530,
            "5.7.0",
        );
        // The settings turn encryption off; that is the whole story.
        assert_eq!(codes(&run(vec![smtp.build()])), ["encryption-off@smtp"]);

        let smtp = no(
            ok(
                ok(plain(), CommandKind::MailFrom, ME),
                CommandKind::RcptOwn,
                ME,
            ),
            CommandKind::RcptExternal,
            THEM,
            "530 5.7.0 Must issue a STARTTLS command first",
            530,
            "5.7.0",
        );
        assert_eq!(codes(&run(vec![smtp.build()])), ["encryption-off@smtp"]);

        // After STARTTLS the same words would be the server's own confusion: still judged.
        let smtp = no(
            auth_off(),
            CommandKind::MailFrom,
            ME,
            "530 5.7.0 Must issue a STARTTLS command first",
            530,
            "5.7.0",
        );
        assert_eq!(codes(&run(vec![smtp.build()])), ["smtp-relay-denied@smtp"]);
    }

    #[test]
    fn sender_and_recipient_rejected() {
        let smtp = no(
            logged_in(),
            CommandKind::MailFrom,
            ME,
            "553 5.7.1 Sender address rejected: not owned by user",
            553,
            "5.7.1",
        );
        // Nothing after a refused MAIL FROM is judged.
        let smtp = no(
            smtp,
            CommandKind::RcptExternal,
            THEM,
            "503 5.5.1 need MAIL",
            503,
            "5.5.1",
        );
        let f = run(vec![smtp.build()]);
        assert_eq!(codes(&f), ["smtp-sender-rejected@smtp"]);
        assert_eq!(f[0].params["address"], ME);
        assert_eq!(
            f[0].params["reply"],
            "553 5.7.1 Sender address rejected: not owned by user"
        );

        let smtp = no(
            ok(logged_in(), CommandKind::MailFrom, ME),
            CommandKind::RcptOwn,
            ME,
            "550 5.1.1 User unknown",
            550,
            "5.1.1",
        );
        let f = run(vec![smtp.build()]);
        assert_eq!(codes(&f), ["smtp-recipient-rejected@smtp"]);
        assert_eq!(f[0].severity, Severity::Warning);
    }

    #[test]
    fn a_sender_refused_at_rcpt_is_the_sender_not_the_relay() {
        // Postfix with smtpd_delay_reject = yes: MAIL FROM passes, the sender is refused at
        // the first RCPT TO.
        let reply = "553 5.7.1 <taro@outside.test>: Sender address rejected: not owned by user taro@example.jp";
        let smtp = no(
            ok(logged_in(), CommandKind::MailFrom, "taro@outside.test"),
            CommandKind::RcptOwn,
            ME,
            reply,
            553,
            "5.7.1",
        );
        let smtp = no(smtp, CommandKind::RcptExternal, THEM, reply, 553, "5.7.1");
        let f = run(vec![smtp.build()]);
        assert_eq!(codes(&f), ["smtp-sender-rejected@smtp"]);
        assert_eq!(f[0].params["address"], "taro@outside.test");
    }

    #[test]
    fn envelope_is_not_judged_after_a_failed_or_skipped_login() {
        let smtp = no(
            Srv::smtp_submission()
                .up()
                .skip(LoginSkipReason::NotRequested),
            CommandKind::MailFrom,
            ME,
            "530 5.7.0 Authentication required",
            530,
            "5.7.0",
        );
        assert!(run(vec![smtp.build()]).is_empty());
        // The bad test domain is not a relay problem.
        let smtp = no(
            ok(
                ok(logged_in(), CommandKind::MailFrom, ME),
                CommandKind::RcptOwn,
                ME,
            ),
            CommandKind::RcptExternal,
            THEM,
            "550 5.1.2 Bad destination domain",
            550,
            "5.1.2",
        );
        assert!(run(vec![smtp.build()]).is_empty());
    }

    #[test]
    fn an_outside_recipient_taken_without_a_login_is_an_open_relay() {
        for skipped in [LoginSkipReason::SmtpAuthOff, LoginSkipReason::NotOffered] {
            let smtp = ok(
                ok(
                    ok(
                        Srv::smtp_submission().up().skip(skipped),
                        CommandKind::MailFrom,
                        ME,
                    ),
                    CommandKind::RcptOwn,
                    ME,
                ),
                CommandKind::RcptExternal,
                THEM,
            );
            let f = run(vec![smtp.build()]);
            let relay: Vec<_> = f.iter().filter(|f| f.code == Code::SmtpOpenRelay).collect();
            assert_eq!(relay.len(), 1, "{skipped:?}: {:?}", codes(&f));
            assert_eq!(relay[0].params["recipient"], THEM);
            assert_eq!(relay[0].severity, Severity::Error);
        }
        // After a login, relaying is what the server is for.
        let smtp = ok(
            ok(
                ok(logged_in(), CommandKind::MailFrom, ME),
                CommandKind::RcptOwn,
                ME,
            ),
            CommandKind::RcptExternal,
            THEM,
        );
        assert!(run(vec![smtp.build()]).is_empty());
    }

    #[test]
    fn size_limit_and_auth_not_offered() {
        let smtp = Srv::smtp_ssl()
            .resolved()
            .connected()
            .tls(tls_valid("smtp.example.jp", TlsMode::Implicit))
            .greeting(GreetingOutcome::Ready, "220 hi", Some(Spoken::Smtp))
            .caps(&["PIPELINING", "SIZE 5242880", "8BITMIME"], true)
            .skip(LoginSkipReason::NotOffered);
        let f = run(vec![smtp.build()]);
        assert_eq!(
            codes(&f),
            ["smtp-size-limit@smtp", "smtp-auth-not-offered@smtp"]
        );
        assert_eq!(f[0].params["size"], "5 MB");
        assert_eq!(f[0].params["size_bytes"], "5242880");
        assert_eq!(f[1].evidence, ["smtp.6", "smtp.5"]);

        for size in ["SIZE 0", "SIZE 52428800", "SIZE 10240000", "SIZE"] {
            let smtp = Srv::smtp_ssl()
                .resolved()
                .connected()
                .tls(tls_valid("smtp.example.jp", TlsMode::Implicit))
                .greeting(GreetingOutcome::Ready, "220 hi", Some(Spoken::Smtp))
                .caps(&["PIPELINING", size], true);
            assert!(run(vec![smtp.build()]).is_empty(), "{size}");
        }
    }
}
