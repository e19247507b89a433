//! The POP3 session: greeting, CAPA, STLS, USER/PASS or AUTH PLAIN, STAT, QUIT. A round
//! trip's session ([`MailboxSearch`]) then looks for the test message among the newest
//! messages, reads it and marks it for deletion.

use crate::clock::StepTimer;
use crate::conn::{Conn, Failure, REPLY_CAP};
use crate::context::{FoundMessage, MailboxSearch, ProbeContext, Removed};
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
    let mut count = None;
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
                count = Some(messages);
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
    if let (Some(search), Some(count)) = (&ctx.search, count)
        && let Err(f) = find(ev, &mut conn, search, count).await
    {
        return Err((conn, Phase::Mailbox, f));
    }
    Ok(Some(quit(conn).await))
}

/// How many of the newest messages a round trip looks at: the test message is among the
/// last to arrive.
const LOOKED_AT: u64 = 16;
/// The largest message read whole (RETR); a larger one is read as its header.
const READ_WHOLE: u64 = 24 * 1024;

/// A command and its multi-line answer, whose lines (somebody's mail) are noted by count,
/// not recorded; `None` for an `-ERR`.
async fn message_text(conn: &mut Conn, command: &str) -> Result<Option<String>, Failure> {
    conn.send(command).await?;
    if status(conn).await?.status != Pop3Status::Ok {
        return Ok(None);
    }
    let mut collector = pop3::MultiLine::default();
    loop {
        let line = conn.read_message_line(REPLY_CAP).await?;
        if let Some(lines) = collector.push_line(&line) {
            conn.note(format!("[{} lines of the message, not shown]", lines.len()));
            let mut text = lines.join("\r\n");
            text.push_str("\r\n");
            return Ok(Some(text));
        }
    }
}

/// Looks at the newest messages' headers (`TOP n 0`) for the test message's Message-ID. A
/// POP3 session sees the mailbox as it was at login, so each round of the search is a
/// session of its own (the engine starts them). The message found is read whole when it is
/// small (`RETR`), else as its header, and removed unless kept: `DELE`, which the server
/// carries out at `QUIT`.
async fn find(
    ev: &mut Record,
    conn: &mut Conn,
    search: &MailboxSearch,
    count: u64,
) -> Result<(), Failure> {
    let timer = StepTimer::start(conn.clock());
    let oldest = count.saturating_sub(LOOKED_AT - 1).max(1);
    for n in (oldest..=count).rev() {
        let Some(header) = message_text(conn, &pop3::top(n, 0)).await? else {
            continue;
        };
        if !search.is_ours(&header) {
            continue;
        }
        command_step(ev, &timer, CommandKind::Search, "INBOX", true, "");
        let fetch = StepTimer::start(conn.clock());
        conn.send(&pop3::list_one(n)).await?;
        let listed = status(conn).await?;
        let size = (listed.status == Pop3Status::Ok)
            .then(|| pop3::parse_list_one(&listed.text))
            .flatten();
        let whole = match size {
            Some(size) if size < READ_WHOLE => message_text(conn, &pop3::retr(n)).await?,
            _ => None,
        };
        command_step(ev, &fetch, CommandKind::Fetch, &n.to_string(), true, "");
        let removed = if search.delete {
            let timer = StepTimer::start(conn.clock());
            conn.send(&pop3::dele(n)).await?;
            let r = status(conn).await?;
            let ok = r.status == Pop3Status::Ok;
            command_step(
                ev,
                &timer,
                CommandKind::Expunge,
                &n.to_string(),
                ok,
                &r.text,
            );
            if ok {
                Removed::Expunged
            } else {
                Removed::Failed
            }
        } else {
            Removed::Kept
        };
        let found = FoundMessage {
            folder_raw: "INBOX".to_owned(),
            folder: "INBOX".to_owned(),
            special_use: Vec::new(),
            uid: n,
            internaldate: None,
            message: whole.unwrap_or(header),
            removed,
        };
        *search
            .found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(found);
        return Ok(());
    }
    command_step(
        ev,
        &timer,
        CommandKind::Search,
        "INBOX",
        true,
        &format!("not among the newest {}", count.min(LOOKED_AT)),
    );
    Ok(())
}

fn command_step(
    ev: &mut Record,
    timer: &StepTimer,
    command: CommandKind,
    argument: &str,
    ok: bool,
    reply: &str,
) {
    ev.push(
        timer.at_ms(),
        timer.elapsed_ms(),
        StepKind::Command {
            command,
            argument: argument.to_owned(),
            outcome: if ok {
                ReplyOutcome::Ok
            } else {
                ReplyOutcome::PermFail
            },
            reply: reply.to_owned(),
            code: None,
            status: None,
        },
    );
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
