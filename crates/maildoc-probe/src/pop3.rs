//! The POP3 session: greeting, CAPA, STLS, USER/PASS or AUTH PLAIN, STAT, QUIT.

use crate::clock::StepTimer;
use crate::conn::{Conn, Failure, REPLY_CAP};
use crate::context::ProbeContext;
use crate::record::Record;
use crate::server::Greeted;
use crate::session::{self, Attempt, Stop};
use maildoc_model::{
    CommandKind, LoginOutcome, LoginSkipReason, Phase, ReplyOutcome, StarttlsOutcome, StepKind,
    Trouble,
};
use maildoc_wire::pop3::{self, Pop3Reply, Pop3Status};

async fn status(conn: &mut Conn) -> Result<Pop3Reply, Failure> {
    let line = conn.read_line(REPLY_CAP).await?;
    pop3::parse_status(&line).map_err(|_| Failure {
        trouble: Trouble::Garbage,
        detail: format!("not a POP3 status line: {line}"),
    })
}

/// CAPA; an `-ERR` (old servers) gives an empty list.
async fn capa(ev: &mut Record, conn: &mut Conn) -> Result<Vec<String>, Failure> {
    let timer = StepTimer::start(conn.clock());
    conn.send(&pop3::capa()).await?;
    let first = status(conn).await?;
    let mut items = Vec::new();
    if first.status == Pop3Status::Ok {
        let mut collector = pop3::MultiLine::default();
        loop {
            let line = conn.read_line(REPLY_CAP).await?;
            if let Some(lines) = collector.push_line(&line) {
                items = pop3::parse_capa(&lines);
                break;
            }
        }
    }
    ev.push(
        timer.at_ms(),
        timer.elapsed_ms(),
        StepKind::Capabilities {
            items: items.clone(),
            after_tls: conn.is_encrypted(),
            reply: None,
        },
    );
    Ok(items)
}

pub async fn session(ev: &mut Record, mut conn: Conn, ctx: &ProbeContext) -> Greeted {
    if let Err(g) = session::greeting(ev, &mut conn, ev.endpoint.protocol).await {
        session::finish(ev, conn).await;
        return g;
    }
    let result = run(ev, conn, ctx).await;
    session::conclude(ev, result).await
}

async fn run(ev: &mut Record, mut conn: Conn, ctx: &ProbeContext) -> Result<Option<Conn>, Stop> {
    let mut caps = match capa(ev, &mut conn).await {
        Ok(c) => c,
        Err(f) => return Err((conn, Phase::Capabilities, f)),
    };
    if ev.endpoint.security == maildoc_model::Security::Starttls {
        if !pop3::capa_has(&caps, "STLS") {
            session::starttls_step(ev, &conn, StarttlsOutcome::NotOffered, "", None);
            return Ok(Some(quit(conn).await));
        }
        let timer = StepTimer::start(conn.clock());
        if let Err(f) = conn.send(&pop3::stls()).await {
            return Err((conn, Phase::Starttls, f));
        }
        let go_ahead = match status(&mut conn).await {
            Ok(r) if r.status == Pop3Status::Ok => format!("+OK {}", r.text).trim().to_string(),
            Ok(r) => {
                session::starttls_step(ev, &conn, StarttlsOutcome::Refused, &r.text, Some(&timer));
                return Ok(Some(quit(conn).await));
            }
            Err(f) => return Err((conn, Phase::Starttls, f)),
        };
        conn = match session::upgrade(ev, conn, ctx, &timer, &go_ahead).await {
            Some(c) => c,
            None => return Ok(None),
        };
        caps = match capa(ev, &mut conn).await {
            Ok(c) => c,
            Err(f) => return Err((conn, Phase::Capabilities, f)),
        };
    }
    let encrypted = conn.is_encrypted();
    let sasl = pop3::sasl_mechanisms(&caps);
    let user_pass = caps.is_empty() || pop3::capa_has(&caps, "USER");
    if !encrypted && !caps.is_empty() && !user_pass && sasl.is_empty() {
        session::skip_login(ev, &conn, LoginSkipReason::ServerRefusesPlaintext);
        return Ok(Some(quit(conn).await));
    }
    let password = match ctx
        .account
        .may_send_password(encrypted, session::cert_trusted(ev))
    {
        Ok(p) => p.clone(),
        Err(reason) => {
            session::skip_login(ev, &conn, reason);
            return Ok(Some(quit(conn).await));
        }
    };
    let plain = sasl.iter().any(|m| m == "PLAIN");
    let accepted = if user_pass {
        session::login(
            ev,
            &mut conn,
            ctx,
            "USER/PASS",
            &password,
            async |c, user, pass| {
                c.send(&pop3::user(user)).await?;
                let r = status(c).await?;
                if r.status == Pop3Status::Err {
                    return Ok(attempt(r));
                }
                c.send_secret(&pop3::pass(pass.expose())).await?;
                Ok(attempt(status(c).await?))
            },
        )
        .await
    } else if plain {
        session::login(
            ev,
            &mut conn,
            ctx,
            "AUTH PLAIN",
            &password,
            async |c, user, pass| {
                c.send_secret(&pop3::auth_plain(user, pass.expose()))
                    .await?;
                Ok(attempt(status(c).await?))
            },
        )
        .await
    } else {
        session::skip_login(ev, &conn, LoginSkipReason::NoUsableMechanism);
        return Ok(Some(quit(conn).await));
    };
    match accepted {
        Ok(true) => {}
        Ok(false) => return Ok(Some(quit(conn).await)),
        Err(f) => return Err((conn, Phase::Login, f)),
    }
    let timer = StepTimer::start(conn.clock());
    if let Err(f) = conn.send(&pop3::stat()).await {
        return Err((conn, Phase::Mailbox, f));
    }
    match status(&mut conn).await {
        Ok(r) => {
            let ok = r.status == Pop3Status::Ok;
            ev.push(
                timer.at_ms(),
                timer.elapsed_ms(),
                StepKind::Command {
                    command: CommandKind::Stat,
                    argument: String::new(),
                    outcome: if ok {
                        ReplyOutcome::Ok
                    } else {
                        ReplyOutcome::PermFail
                    },
                    reply: r.text.clone(),
                    code: None,
                    status: r.code.clone(),
                },
            );
            if let Some((messages, octets)) = ok.then(|| pop3::parse_stat(&r.text)).flatten() {
                ev.push(
                    timer.at_ms(),
                    timer.elapsed_ms(),
                    StepKind::Mailbox {
                        messages: Some(messages),
                        octets: Some(octets),
                    },
                );
            }
        }
        Err(f) => return Err((conn, Phase::Mailbox, f)),
    }
    Ok(Some(quit(conn).await))
}

fn attempt(r: Pop3Reply) -> Attempt {
    let ok = r.status == Pop3Status::Ok;
    let retryable = !ok && matches!(r.code.as_deref(), None | Some("AUTH"));
    Attempt {
        outcome: if ok {
            LoginOutcome::Accepted
        } else {
            LoginOutcome::Rejected
        },
        reply: format!("{} {}", if ok { "+OK" } else { "-ERR" }, r.text)
            .trim()
            .to_string(),
        status: r.code,
        code: None,
        retryable,
    }
}

async fn quit(mut conn: Conn) -> Conn {
    if conn.send(&pop3::quit()).await.is_ok() {
        let _ = status(&mut conn).await;
    }
    conn
}
