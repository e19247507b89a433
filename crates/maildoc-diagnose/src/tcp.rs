//! The connection: TCP connect outcomes, Outbound Port 25 Blocking, and what happens to an
//! established connection (drops, garbage, timeouts, slowness, the run's deadline).
//!
//! When no address connected, one finding names the most telling outcome, in this order:
//! refused (the host answered: the port is closed), timeout (filtered), unreachable (or
//! another local error). A port 25 SMTP server that times out while a companion probe of
//! the same host got through on 587 or 465 is `port-25-blocked` instead of `connect-timeout`.

use crate::fmt;
use crate::view::{Ctx, ServerView, phase_name};
use maildoc_model::Code;
use maildoc_model::{
    CommandKind, ConnectOutcome, Finding, GreetingOutcome, LoginOutcome, Phase, Protocol,
    ReplyOutcome, Severity, Step, StepKind, Trouble,
};
use std::net::SocketAddr;

/// A greeting slower than this (ms) is `server-slow`.
const SLOW_GREETING_MS: u64 = 3_000;
/// A successful login slower than this (ms) is `server-slow`.
const SLOW_LOGIN_MS: u64 = 5_000;

pub(crate) fn rules(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for sv in &ctx.servers {
        if let Some(finding) = connect(ctx, sv) {
            out.push(finding);
        }
        session(sv, &mut out);
    }
    out
}

fn connect(ctx: &Ctx<'_>, sv: &ServerView<'_>) -> Option<Finding> {
    let attempts: Vec<(&Step, SocketAddr, ConnectOutcome)> = sv
        .live
        .iter()
        .filter_map(|s| match &s.kind {
            StepKind::Connect {
                address, outcome, ..
            } => Some((s, *address, *outcome)),
            _ => None,
        })
        .collect();
    if attempts.iter().any(|a| a.2 == ConnectOutcome::Connected) {
        return None;
    }
    let tried: Vec<_> = attempts
        .iter()
        .filter(|a| a.2 != ConnectOutcome::Abandoned)
        .collect();
    let first = |outcomes: &[ConnectOutcome]| tried.iter().find(|a| outcomes.contains(&a.2));
    let (code, (_, address, _)) = if let Some(a) = first(&[ConnectOutcome::Refused]) {
        (Code::ConnectRefused, a)
    } else if let Some(a) = first(&[ConnectOutcome::Timeout]) {
        (Code::ConnectTimeout, a)
    } else {
        let a =
            first(&[ConnectOutcome::Unreachable]).or_else(|| first(&[ConnectOutcome::Other]))?;
        (Code::NetworkUnreachable, a)
    };
    let mut finding = sv.finding(code).param("address", address);
    for (step, ..) in &tried {
        finding = finding.evidence(&step.id);
    }
    if code == Code::ConnectTimeout
        && let Some(blocked) = port_25_blocked(ctx, sv, finding.clone())
    {
        return Some(blocked);
    }
    Some(finding)
}

/// `port-25-blocked` for an SMTP server on port 25 whose companions on the same host connected
/// on 587 or 465. Keeps the timeout's params and evidence, adds `open_ports` and the
/// companions' connect steps.
fn port_25_blocked(ctx: &Ctx<'_>, sv: &ServerView<'_>, timeout: Finding) -> Option<Finding> {
    let endpoint = sv.endpoint();
    if endpoint.protocol != Protocol::Smtp || endpoint.port != 25 {
        return None;
    }
    let mut ports: Vec<u16> = Vec::new();
    let mut evidence = Vec::new();
    for companion in &ctx.companions {
        let port = companion.endpoint.port;
        if !companion.endpoint.host.eq_ignore_ascii_case(&endpoint.host)
            || ![587, 465].contains(&port)
        {
            continue;
        }
        let connected = companion.steps.iter().find(|s| {
            matches!(
                s.kind,
                StepKind::Connect {
                    outcome: ConnectOutcome::Connected,
                    ..
                }
            )
        });
        if let Some(step) = connected {
            if !ports.contains(&port) {
                ports.push(port);
            }
            evidence.push(step.id.clone());
        }
    }
    if ports.is_empty() {
        return None;
    }
    let open: Vec<String> = ports.iter().map(u16::to_string).collect();
    let mut finding = Finding {
        code: Code::Port25Blocked,
        severity: Code::Port25Blocked.default_severity(),
        ..timeout
    }
    .param("open_ports", open.join(", "));
    for id in evidence {
        finding = finding.evidence(id);
    }
    Some(finding)
}

/// The phase a command belongs to.
fn command_phase(command: CommandKind) -> Phase {
    match command {
        CommandKind::Getquotaroot
        | CommandKind::Status
        | CommandKind::Stat
        | CommandKind::List
        | CommandKind::Search
        | CommandKind::Fetch
        | CommandKind::Expunge => Phase::Mailbox,
        CommandKind::MailFrom
        | CommandKind::RcptOwn
        | CommandKind::RcptExternal
        | CommandKind::Rcpt
        | CommandKind::Data
        | CommandKind::EndOfData => Phase::Envelope,
    }
}

fn slow(sv: &ServerView<'_>, step: &Step, phase: Phase, severity: Severity) -> Finding {
    sv.finding(Code::ServerSlow)
        .severity(severity)
        .param("seconds", fmt::seconds(step.elapsed_ms))
        .param("step", phase_name(phase))
        .evidence(&step.id)
}

/// The established connection. Trouble while logging out is ignored: many servers close
/// abruptly after LOGOUT/QUIT. A slow login counts only when it succeeded, since servers
/// delay failed logins on purpose. The deadline's `check-incomplete` appears only when
/// nothing ended the conversation before it (it is then the last live step).
fn session(sv: &ServerView<'_>, out: &mut Vec<Finding>) {
    for step in sv.live {
        let finding = match &step.kind {
            StepKind::Greeting {
                outcome: GreetingOutcome::Ready,
                ..
            } if step.elapsed_ms > SLOW_GREETING_MS => {
                slow(sv, step, Phase::Greeting, Severity::Warning)
            }
            StepKind::Login(login)
                if login.outcome == LoginOutcome::Accepted && step.elapsed_ms > SLOW_LOGIN_MS =>
            {
                slow(sv, step, Phase::Login, Severity::Warning)
            }
            StepKind::Trouble {
                phase,
                trouble,
                detail,
            } if *phase != Phase::Logout => match trouble {
                Trouble::Timeout => slow(sv, step, *phase, Severity::Error),
                Trouble::Closed | Trouble::Io => sv
                    .finding(Code::ConnectionDropped)
                    .param("step", phase_name(*phase))
                    .param("detail", detail)
                    .evidence(&step.id),
                Trouble::Unavailable => crate::greeting::refused(sv, detail).evidence(&step.id),
                Trouble::Garbage | Trouble::LineTooLong | Trouble::Oversized => sv
                    .finding(Code::GarbledResponse)
                    .param("step", phase_name(*phase))
                    .param("detail", detail)
                    .evidence(&step.id),
            },
            StepKind::Command {
                command,
                outcome: ReplyOutcome::NoAnswer,
                ..
            } => sv
                .finding(Code::ConnectionDropped)
                .param("step", phase_name(command_phase(*command)))
                .evidence(&step.id),
            StepKind::Deadline { phase } => sv
                .finding(Code::CheckIncomplete)
                .param("step", phase_name(*phase))
                .evidence(&step.id),
            _ => continue,
        };
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use crate::fixtures::*;
    use maildoc_model::*;

    #[test]
    fn connect_outcomes() {
        let imap = Srv::imap_ssl()
            .resolved()
            .connect_to("[2001:db8::1]:993", ConnectOutcome::Unreachable)
            .connect_to("192.0.2.1:993", ConnectOutcome::Refused);
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["connect-refused@imap"]);
        assert_eq!(f[0].params["address"], "192.0.2.1:993");
        assert_eq!(f[0].evidence, ["imap.2", "imap.3"]);

        let imap = Srv::imap_ssl()
            .resolved()
            .connect_to("[2001:db8::1]:993", ConnectOutcome::Unreachable)
            .connect_to("192.0.2.1:993", ConnectOutcome::Timeout)
            .step(
                0,
                StepKind::Deadline {
                    phase: Phase::Connect,
                },
            );
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["connect-timeout@imap"]);
        assert_eq!(f[0].params["address"], "192.0.2.1:993");

        let imap = Srv::imap_ssl()
            .resolved()
            .connect_to("[2001:db8::1]:993", ConnectOutcome::Unreachable);
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["network-unreachable@imap"]);
        assert_eq!(f[0].params["address"], "[2001:db8::1]:993");

        // Another address connected: the failed one does not matter.
        let imap = Srv::imap_ssl()
            .resolved()
            .connect_to("[2001:db8::1]:993", ConnectOutcome::Timeout)
            .connect_to("192.0.2.1:993", ConnectOutcome::Connected)
            .tls(tls_valid("imap.example.jp", TlsMode::Implicit))
            .greeting(GreetingOutcome::Ready, "* OK", Some(Spoken::Imap));
        assert!(run(vec![imap.build()]).is_empty());
    }

    fn smtp25() -> Srv {
        Srv::new(
            "smtp",
            Protocol::Smtp,
            "smtp.example.jp",
            25,
            Security::Plain,
        )
        .resolved()
        .connect_to("192.0.2.25:25", ConnectOutcome::Timeout)
    }

    #[test]
    fn port_25_blocked_instead_of_timeout() {
        let c587 = Srv::companion("smtp-587", "smtp.example.jp", 587)
            .resolved()
            .connect_to("192.0.2.25:587", ConnectOutcome::Connected);
        let c465 = Srv::companion("smtp-465", "smtp.example.jp", 465)
            .resolved()
            .connect_to("192.0.2.25:465", ConnectOutcome::Connected);
        let f = run(vec![smtp25().build(), c587.build(), c465.build()]);
        assert_eq!(codes(&f), ["port-25-blocked@smtp"]);
        assert_eq!(f[0].params["open_ports"], "587, 465");
        assert_eq!(f[0].params["address"], "192.0.2.25:25");
        assert_eq!(f[0].evidence, ["smtp.2", "smtp-587.2", "smtp-465.2"]);
        assert_eq!(f[0].severity, Severity::Error);

        // Companions blocked too: a plain timeout. Companions never get findings.
        let c587 = Srv::companion("smtp-587", "smtp.example.jp", 587)
            .resolved()
            .connect_to("192.0.2.25:587", ConnectOutcome::Timeout);
        let c465 = Srv::companion("smtp-465", "smtp.example.jp", 465)
            .resolved()
            .connect_to("192.0.2.25:465", ConnectOutcome::Refused);
        let f = run(vec![smtp25().build(), c587.build(), c465.build()]);
        assert_eq!(codes(&f), ["connect-timeout@smtp"]);
    }

    #[test]
    fn companions_are_never_judged() {
        let c587 = Srv::companion("smtp-587", "smtp.example.jp", 587).step(
            0,
            StepKind::Resolve {
                host: "smtp.example.jp".into(),
                outcome: ResolveOutcome::NotFound,
                addresses: vec![],
                detail: "NXDOMAIN".into(),
            },
        );
        assert!(run(vec![c587.build()]).is_empty());
    }

    #[test]
    fn troubles_on_the_connection() {
        let trouble = |phase, trouble| {
            Srv::imap_ssl().up().step(
                1_500,
                StepKind::Trouble {
                    phase,
                    trouble,
                    detail: "what happened".into(),
                },
            )
        };
        let f = run(vec![trouble(Phase::Login, Trouble::Closed).build()]);
        assert_eq!(codes(&f), ["connection-dropped@imap"]);
        assert_eq!(f[0].params["step"], "login");
        let f = run(vec![trouble(Phase::Mailbox, Trouble::Garbage).build()]);
        assert_eq!(codes(&f), ["garbled-response@imap"]);
        assert_eq!(f[0].params["detail"], "what happened");
        let f = run(vec![trouble(Phase::Login, Trouble::Timeout).build()]);
        assert_eq!(codes(&f), ["server-slow@imap"]);
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].params["seconds"], "1.5");
        assert!(run(vec![trouble(Phase::Logout, Trouble::Closed).build()]).is_empty());
    }

    #[test]
    fn slow_greeting_and_login() {
        let imap = Srv::imap_ssl()
            .resolved()
            .connected()
            .tls(tls_valid("imap.example.jp", TlsMode::Implicit))
            .greeting_ms(3_240, GreetingOutcome::Ready, "* OK", Some(Spoken::Imap));
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["server-slow@imap"]);
        assert_eq!(f[0].params["seconds"], "3.2");
        assert_eq!(f[0].params["step"], "greeting");
        assert_eq!(f[0].severity, Severity::Warning);

        let mut ok = login_ev(
            "taro",
            UsernameForm::AsGiven,
            LoginOutcome::Accepted,
            "OK",
            None,
            None,
        );
        let imap = Srv::imap_ssl().up().login_ms(7_000, ok.clone());
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["server-slow@imap"]);
        assert_eq!(f[0].params["step"], "login");
        // A slow rejection is the server's deliberate delay.
        ok.outcome = LoginOutcome::Rejected;
        let imap = Srv::imap_ssl().up().login_ms(7_000, ok);
        assert_eq!(codes(&run(vec![imap.build()])), ["auth-failed@imap"]);
    }

    #[test]
    fn deadline_is_check_incomplete() {
        let imap = Srv::imap_ssl().up().step(
            0,
            StepKind::Deadline {
                phase: Phase::Login,
            },
        );
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["check-incomplete@imap"]);
        assert_eq!(f[0].params["step"], "login");
        assert_eq!(f[0].severity, Severity::Warning);
    }
}
