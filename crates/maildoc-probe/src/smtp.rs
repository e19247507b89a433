//! The SMTP session: greeting, EHLO, STARTTLS, AUTH, then a dry-run envelope (MAIL FROM,
//! RCPT TO the account's own address and an address at a reserved external domain), RSET and
//! QUIT. DATA is sent only for a message the run was asked to send ([`Delivery`]), and only
//! after a login the server accepted.

use crate::clock::StepTimer;
use crate::conn::{Conn, Failure, REPLY_CAP};
use crate::context::{Delivery, ProbeContext};
use crate::record::Record;
use crate::server::Greeted;
use crate::session::{self, Attempt, Stop};
use maildoc_model::{
    CommandKind, LoginOutcome, LoginSkipReason, Phase, ReplyOutcome, Security, StarttlsOutcome,
    StepKind, Trouble,
};
use maildoc_wire::smtp::{self, Ehlo, Reply, ReplyParser};

/// The external recipient of the relay test: a reserved domain (RFC 2606) that never
/// receives mail, so even a wrong server could deliver nothing.
pub const EXTERNAL_RECIPIENT: &str = "maildoc-relay-test@example.com";

async fn reply(conn: &mut Conn) -> Result<Reply, Failure> {
    let mut parser = ReplyParser::default();
    loop {
        let line = conn.read_line(REPLY_CAP).await?;
        match parser.push_line(&line) {
            Ok(Some(r)) => return Ok(r),
            Ok(None) => {}
            Err(e) => {
                return Err(Failure {
                    trouble: Trouble::Garbage,
                    detail: format!("not an SMTP reply ({e:?}): {line}"),
                });
            }
        }
    }
}

/// Sends a command and reads its reply. A `421` (RFC 5321 §3.8: the service is not
/// available and the server closes the connection) ends the session as trouble.
async fn command(conn: &mut Conn, line: &str) -> Result<Reply, Failure> {
    conn.send(line).await?;
    let r = reply(conn).await?;
    if r.code == 421 {
        return Err(Failure {
            trouble: Trouble::Unavailable,
            detail: r.first_line(),
        });
    }
    Ok(r)
}

pub async fn session(ev: &mut Record, mut conn: Conn, ctx: &ProbeContext) -> Greeted {
    let first = match session::greeting(ev, &mut conn, ev.endpoint.protocol).await {
        Ok(line) => line,
        Err(g) => {
            session::finish(ev, conn).await;
            return g;
        }
    };
    // A multi-line greeting ("220-"): read to its last line.
    if first.as_bytes().get(3) == Some(&b'-') {
        let mut parser = ReplyParser::default();
        let _ = parser.push_line(&first);
        loop {
            match conn.read_line(REPLY_CAP).await {
                Ok(line) => {
                    if !matches!(parser.push_line(&line), Ok(None)) {
                        break;
                    }
                }
                Err(f) => {
                    session::trouble(ev, &conn, Phase::Greeting, f);
                    session::finish(ev, conn).await;
                    return Greeted::Spoke;
                }
            }
        }
    }
    let result = run(ev, conn, ctx).await;
    session::conclude(ev, result).await
}

/// EHLO (HELO when EHLO is refused), recorded as Capabilities.
async fn ehlo(ev: &mut Record, conn: &mut Conn) -> Result<Ehlo, Failure> {
    let timer = StepTimer::start(conn.clock());
    let name = conn.ehlo_name();
    let mut r = command(conn, &smtp::ehlo(&name)).await?;
    if r.is_permanent() {
        r = command(conn, &smtp::helo(&name)).await?;
    }
    let parsed = if r.is_positive() {
        Ehlo::from_reply(&r)
    } else {
        Ehlo {
            domain: String::new(),
            keywords: Vec::new(),
        }
    };
    ev.push(
        timer.at_ms(),
        timer.elapsed_ms(),
        StepKind::Capabilities {
            items: parsed.items(),
            after_tls: conn.is_encrypted(),
            reply: Some(r.first_line()),
        },
    );
    Ok(parsed)
}

async fn run(ev: &mut Record, mut conn: Conn, ctx: &ProbeContext) -> Result<Option<Conn>, Stop> {
    let mut caps = match ehlo(ev, &mut conn).await {
        Ok(c) => c,
        Err(f) => return Err((conn, Phase::Capabilities, f)),
    };
    if ev.endpoint.security == Security::Starttls {
        if !caps.starttls() {
            session::starttls_step(ev, &conn, StarttlsOutcome::NotOffered, "", None);
            return Ok(Some(quit(conn).await));
        }
        let timer = StepTimer::start(conn.clock());
        let go_ahead = match command(&mut conn, &smtp::starttls()).await {
            Ok(r) if r.code == 220 => r.first_line(),
            Ok(r) => {
                session::starttls_step(
                    ev,
                    &conn,
                    StarttlsOutcome::Refused,
                    &r.first_line(),
                    Some(&timer),
                );
                return Ok(Some(quit(conn).await));
            }
            Err(f) => return Err((conn, Phase::Starttls, f)),
        };
        conn = match session::upgrade(ev, conn, ctx, &timer, &go_ahead).await {
            Some(c) => c,
            None => return Ok(None),
        };
        caps = match ehlo(ev, &mut conn).await {
            Ok(c) => c,
            Err(f) => return Err((conn, Phase::Capabilities, f)),
        };
    }
    // Another party's mail server: nothing past TLS (no AUTH, no MAIL FROM/RCPT TO).
    if ev.depth == maildoc_model::ProbeDepth::Transport {
        return Ok(Some(quit(conn).await));
    }
    let login = match authenticate(ev, &mut conn, ctx, &caps).await {
        Ok(l) => l,
        Err(f) => return Err((conn, Phase::Login, f)),
    };
    if let Some(delivery) = &ctx.delivery {
        if matches!(login, Login::Accepted)
            && let Err(f) = deliver(ev, &mut conn, ctx, delivery).await
        {
            return Err((conn, Phase::Envelope, f));
        }
        return Ok(Some(quit(conn).await));
    }
    let (mail, rcpt_external) = match login {
        Login::Accepted => (true, true),
        Login::Skipped(LoginSkipReason::SmtpAuthOff | LoginSkipReason::NotOffered) => (true, true),
        Login::Skipped(LoginSkipReason::NotRequested) => (true, false),
        _ => (false, false),
    };
    if mail && let Err(f) = envelope(ev, &mut conn, ctx, rcpt_external).await {
        return Err((conn, Phase::Envelope, f));
    }
    Ok(Some(quit(conn).await))
}

enum Login {
    Accepted,
    Rejected,
    Skipped(LoginSkipReason),
}

async fn authenticate(
    ev: &mut Record,
    conn: &mut Conn,
    ctx: &ProbeContext,
    caps: &Ehlo,
) -> Result<Login, Failure> {
    let skip = |ev: &mut Record, conn: &Conn, reason| {
        session::skip_login(ev, conn, reason);
        Ok(Login::Skipped(reason))
    };
    if !ctx.account.smtp_auth {
        return skip(ev, conn, LoginSkipReason::SmtpAuthOff);
    }
    let encrypted = conn.is_encrypted();
    let mechs = caps.auth_mechanisms();
    if mechs.is_empty() {
        let reason = if !encrypted && caps.starttls() {
            LoginSkipReason::ServerRefusesPlaintext
        } else {
            LoginSkipReason::NotOffered
        };
        return skip(ev, conn, reason);
    }
    let password = match ctx
        .account
        .may_send_password(encrypted, session::cert_trusted(ev))
    {
        Ok(p) => p.clone(),
        Err(reason) => return skip(ev, conn, reason),
    };
    let accepted = if mechs.iter().any(|m| m == "PLAIN") {
        session::login(
            ev,
            conn,
            ctx,
            "AUTH PLAIN",
            &password,
            async |c, user, pass| {
                c.send_secret(&smtp::auth_plain(user, pass.expose()))
                    .await?;
                Ok(attempt(verdict(c).await?))
            },
        )
        .await?
    } else if mechs.iter().any(|m| m == "LOGIN") {
        session::login(
            ev,
            conn,
            ctx,
            "AUTH LOGIN",
            &password,
            async |c, user, pass| {
                let r = command(c, &smtp::auth_login_start()).await?;
                if r.code != 334 {
                    return Ok(attempt(r));
                }
                let r = command(c, &smtp::auth_login_user(user)).await?;
                if r.code != 334 {
                    return Ok(attempt(r));
                }
                c.send_secret(&smtp::auth_login_pass(pass.expose())).await?;
                Ok(attempt(verdict(c).await?))
            },
        )
        .await?
    } else {
        return skip(ev, conn, LoginSkipReason::NoUsableMechanism);
    };
    Ok(if accepted {
        Login::Accepted
    } else {
        Login::Rejected
    })
}

/// The server's verdict on credentials already sent in full. Another `334` would ask for
/// more than the mechanism has: a fault, not a refusal of the password.
async fn verdict(c: &mut Conn) -> Result<Reply, Failure> {
    let r = reply(c).await?;
    if r.code == 334 {
        return Err(Failure {
            trouble: Trouble::Garbage,
            detail: format!(
                "the server asked for more after the password: {}",
                r.first_line()
            ),
        });
    }
    Ok(r)
}

fn attempt(r: Reply) -> Attempt {
    let accepted = r.code == 235;
    Attempt {
        outcome: if accepted {
            LoginOutcome::Accepted
        } else {
            LoginOutcome::Rejected
        },
        reply: r.first_line(),
        status: r.enhanced.clone(),
        code: Some(r.code),
        retryable: r.code == 535,
    }
}

fn outcome(r: &Reply) -> ReplyOutcome {
    if r.is_positive() {
        ReplyOutcome::Ok
    } else if r.is_transient() {
        ReplyOutcome::TempFail
    } else {
        ReplyOutcome::PermFail
    }
}

async fn envelope(
    ev: &mut Record,
    conn: &mut Conn,
    ctx: &ProbeContext,
    external: bool,
) -> Result<(), Failure> {
    let address = ctx.account.address.clone();
    let mut steps = vec![
        (
            CommandKind::MailFrom,
            smtp::mail_from(&address),
            address.clone(),
        ),
        (
            CommandKind::RcptOwn,
            smtp::rcpt_to(&address),
            address.clone(),
        ),
    ];
    if external {
        steps.push((
            CommandKind::RcptExternal,
            smtp::rcpt_to(EXTERNAL_RECIPIENT),
            EXTERNAL_RECIPIENT.to_string(),
        ));
    }
    for (kind, line, argument) in steps {
        let r = step(ev, conn, kind, &line, argument).await?;
        if kind == CommandKind::MailFrom && outcome(&r) != ReplyOutcome::Ok {
            break;
        }
    }
    let _ = command(conn, &smtp::rset()).await;
    Ok(())
}

/// Sends a command of the envelope and records its reply as a step.
async fn step(
    ev: &mut Record,
    conn: &mut Conn,
    kind: CommandKind,
    line: &str,
    argument: String,
) -> Result<Reply, Failure> {
    let timer = StepTimer::start(conn.clock());
    let r = command(conn, line).await?;
    record(ev, &timer, kind, argument, &r);
    Ok(r)
}

fn record(ev: &mut Record, timer: &StepTimer, kind: CommandKind, argument: String, r: &Reply) {
    // DATA's go-ahead is 354, an intermediate reply.
    let o = if kind == CommandKind::Data && r.code == 354 {
        ReplyOutcome::Ok
    } else {
        outcome(r)
    };
    ev.push(
        timer.at_ms(),
        timer.elapsed_ms(),
        StepKind::Command {
            command: kind,
            argument,
            outcome: o,
            reply: r.first_line(),
            code: Some(r.code),
            status: r.enhanced.clone(),
        },
    );
}

/// Sends the message: MAIL FROM the account, RCPT TO each recipient, DATA, the message
/// (shown in the transcript by its size only), and the server's verdict. A refusal before
/// the message ends the envelope with RSET.
async fn deliver(
    ev: &mut Record,
    conn: &mut Conn,
    ctx: &ProbeContext,
    delivery: &Delivery,
) -> Result<(), Failure> {
    let from = ctx.account.address.clone();
    let mut taken = step(
        ev,
        conn,
        CommandKind::MailFrom,
        &smtp::mail_from(&from),
        from,
    )
    .await?
    .is_positive();
    if taken {
        let mut recipients = 0;
        for to in &delivery.recipients {
            let r = step(ev, conn, CommandKind::Rcpt, &smtp::rcpt_to(to), to.clone()).await?;
            recipients += usize::from(r.is_positive());
        }
        taken = recipients > 0;
    }
    if taken {
        let r = step(ev, conn, CommandKind::Data, &smtp::data(), String::new()).await?;
        taken = r.code == 354;
    }
    if !taken {
        let _ = command(conn, &smtp::rset()).await;
        return Ok(());
    }
    let block = maildoc_wire::compose::data_block(&delivery.message);
    let size = format!("{} bytes", delivery.message.len());
    let timer = StepTimer::start(conn.clock());
    conn.send_block(&block, format!("(the message: {size})"))
        .await?;
    let r = reply(conn).await?;
    record(ev, &timer, CommandKind::EndOfData, size, &r);
    Ok(())
}

async fn quit(mut conn: Conn) -> Conn {
    let _ = command(&mut conn, &smtp::quit()).await;
    conn
}
