//! The IMAP session: greeting, CAPABILITY, STARTTLS, AUTHENTICATE PLAIN or LOGIN,
//! GETQUOTAROOT and STATUS of the INBOX, LOGOUT. A run that looks for a message it sent
//! ([`MailboxSearch`]) searches every folder for it instead, until it is found or the run's
//! deadline nears, read-only (EXAMINE), then removes only that message.

use crate::clock::StepTimer;
use crate::conn::{Conn, Failure, REPLY_CAP};
use crate::context::{FoundMessage, MailboxSearch, ProbeContext, Removed};
use crate::record::Record;
use crate::server::Greeted;
use crate::session::{self, Attempt, Stop};
use maildoc_model::{
    CommandKind, LoginOutcome, LoginSkipReason, Phase, ReplyOutcome, Security, StarttlsOutcome,
    StepKind, Trouble,
};
use maildoc_wire::imap::{self, ImapError, ImapStatus, Response, ResponseReader, Tagger};
use maildoc_wire::line::LineError;

/// The largest literal maildoc reads from a server.
const MAX_LITERAL: usize = 64 * 1024;

/// How a response is shown in the transcript.
fn render(r: &Response) -> String {
    match r {
        Response::Status {
            tag,
            status,
            code,
            text,
        } => {
            let code = code
                .as_ref()
                .map(|c| {
                    if c.args.is_empty() {
                        format!("[{}] ", c.name)
                    } else {
                        format!("[{} {}] ", c.name, c.args)
                    }
                })
                .unwrap_or_default();
            format!(
                "{} {} {code}{text}",
                tag.as_deref().unwrap_or("*"),
                status_name(*status)
            )
        }
        Response::Data { name, text } => format!("* {name} {text}"),
        Response::Continuation { text } => format!("+ {text}"),
    }
}

fn status_name(s: ImapStatus) -> &'static str {
    match s {
        ImapStatus::Ok => "OK",
        ImapStatus::No => "NO",
        ImapStatus::Bad => "BAD",
        ImapStatus::Bye => "BYE",
        ImapStatus::Preauth => "PREAUTH",
    }
}

/// Reads one response. The reader keeps no state between whole responses, so a fresh one
/// per call is fine: the bytes wait in `conn.buf`.
async fn response(conn: &mut Conn) -> Result<Response, Failure> {
    let mut reader = ResponseReader::new(MAX_LITERAL);
    let by = conn.answer_by(REPLY_CAP);
    loop {
        match reader.next(&mut conn.buf) {
            Ok(Some(r)) => {
                conn.log_received(&render(&r));
                return Ok(r);
            }
            Ok(None) => conn.fill(by).await?,
            Err(ImapError::Line(LineError::TooLong { len })) => {
                return Err(Failure {
                    trouble: Trouble::LineTooLong,
                    detail: format!("a line of more than {len} bytes"),
                });
            }
            Err(e) => {
                return Err(Failure {
                    trouble: Trouble::Garbage,
                    detail: format!("not an IMAP response: {e:?}"),
                });
            }
        }
    }
}

/// Reads until the tagged answer to `tag`; returns the untagged data seen on the way. A
/// continuation request is a fault here: nothing maildoc sends has more to give, and waiting
/// would only end at the deadline.
async fn until_tagged(conn: &mut Conn, tag: &str) -> Result<(Vec<Response>, Response), Failure> {
    let mut data = Vec::new();
    loop {
        let r = response(conn).await?;
        match &r {
            Response::Continuation { .. } => {
                return Err(Failure {
                    trouble: Trouble::Garbage,
                    detail: format!(
                        "the server asked for more where nothing was due: {}",
                        render(&r)
                    ),
                });
            }
            Response::Status { tag: Some(t), .. } if t == tag => return Ok((data, r)),
            Response::Status {
                tag: None,
                status: ImapStatus::Bye,
                ..
            } => {
                return Err(Failure {
                    trouble: Trouble::Closed,
                    detail: format!("the server said goodbye: {}", render(&r)),
                });
            }
            _ => data.push(r),
        }
    }
}

async fn command(
    conn: &mut Conn,
    tags: &mut Tagger,
    build: impl FnOnce(&str) -> String,
) -> Result<(Vec<Response>, Response), Failure> {
    let tag = tags.next();
    conn.send(&build(&tag)).await?;
    until_tagged(conn, &tag).await
}

async fn capability(
    ev: &mut Record,
    conn: &mut Conn,
    tags: &mut Tagger,
) -> Result<Vec<String>, Failure> {
    let timer = StepTimer::start(conn.clock());
    let (data, _) = command(conn, tags, imap::capability).await?;
    let items: Vec<String> = data
        .iter()
        .filter_map(|r| match r {
            Response::Data { name, text } if name == "CAPABILITY" => {
                Some(imap::parse_capabilities(text))
            }
            _ => None,
        })
        .flatten()
        .collect();
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

fn has(caps: &[String], atom: &str) -> bool {
    caps.iter().any(|c| c.eq_ignore_ascii_case(atom))
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
    let mut tags = Tagger::default();
    let mut caps = match capability(ev, &mut conn, &mut tags).await {
        Ok(c) => c,
        Err(f) => return Err((conn, Phase::Capabilities, f)),
    };
    if ev.endpoint.security == Security::Starttls {
        if !has(&caps, "STARTTLS") {
            session::starttls_step(ev, &conn, StarttlsOutcome::NotOffered, "", None);
            return Ok(Some(logout(conn, &mut tags).await));
        }
        let timer = StepTimer::start(conn.clock());
        let go_ahead = match command(&mut conn, &mut tags, imap::starttls).await {
            Ok((
                _,
                r @ Response::Status {
                    status: ImapStatus::Ok,
                    ..
                },
            )) => render(&r),
            Ok((_, r)) => {
                session::starttls_step(
                    ev,
                    &conn,
                    StarttlsOutcome::Refused,
                    &render(&r),
                    Some(&timer),
                );
                return Ok(Some(logout(conn, &mut tags).await));
            }
            Err(f) => return Err((conn, Phase::Starttls, f)),
        };
        conn = match session::upgrade(ev, conn, ctx, &timer, &go_ahead).await {
            Some(c) => c,
            None => return Ok(None),
        };
        caps = match capability(ev, &mut conn, &mut tags).await {
            Ok(c) => c,
            Err(f) => return Err((conn, Phase::Capabilities, f)),
        };
    }
    let encrypted = conn.is_encrypted();
    let login_disabled = has(&caps, "LOGINDISABLED");
    if !encrypted && login_disabled {
        session::skip_login(ev, &conn, LoginSkipReason::ServerRefusesPlaintext);
        return Ok(Some(logout(conn, &mut tags).await));
    }
    let password = match ctx
        .account
        .may_send_password(encrypted, session::cert_trusted(ev))
    {
        Ok(p) => p.clone(),
        Err(reason) => {
            session::skip_login(ev, &conn, reason);
            return Ok(Some(logout(conn, &mut tags).await));
        }
    };
    let sasl_ir = has(&caps, "SASL-IR");
    let mut login_tags = Tagger::default();
    let accepted = if has(&caps, "AUTH=PLAIN") {
        session::login(
            ev,
            &mut conn,
            ctx,
            "AUTHENTICATE PLAIN",
            &password,
            async move |c, user, pass| {
                let tag = format!("L{}", login_tags.next());
                authenticate_plain(c, &tag, user, pass.expose(), sasl_ir).await
            },
        )
        .await
    } else if !login_disabled {
        session::login(
            ev,
            &mut conn,
            ctx,
            "LOGIN",
            &password,
            async move |c, user, pass| {
                let tag = format!("L{}", login_tags.next());
                c.send_secret(&imap::login(&tag, user, pass.expose()))
                    .await?;
                let (_, tagged) = until_tagged(c, &tag).await?;
                Ok(attempt(&tagged))
            },
        )
        .await
    } else {
        session::skip_login(ev, &conn, LoginSkipReason::NoUsableMechanism);
        return Ok(Some(logout(conn, &mut tags).await));
    };
    match accepted {
        Ok(true) => {}
        Ok(false) => return Ok(Some(logout(conn, &mut tags).await)),
        Err(f) => return Err((conn, Phase::Login, f)),
    }
    if let Some(search) = &ctx.search {
        // Servers name their extensions in full only once logged in.
        let caps = match capability(ev, &mut conn, &mut tags).await {
            Ok(c) => c,
            Err(f) => return Err((conn, Phase::Mailbox, f)),
        };
        let uidplus = has(&caps, "UIDPLUS");
        if let Err(f) = find(ev, &mut conn, &mut tags, search, uidplus).await {
            return Err((conn, Phase::Mailbox, f));
        }
        return Ok(Some(logout(conn, &mut tags).await));
    }
    if let Err(f) = mailbox(ev, &mut conn, &mut tags).await {
        return Err((conn, Phase::Mailbox, f));
    }
    Ok(Some(logout(conn, &mut tags).await))
}

/// The most folders searched.
const MAX_FOLDERS: usize = 100;

/// What is left of the run when the search stops: time to fetch, remove and log out.
const SEARCH_RESERVE: std::time::Duration = std::time::Duration::from_secs(3);

fn step(
    ev: &mut Record,
    timer: &StepTimer,
    command: CommandKind,
    argument: String,
    tagged: &Response,
) {
    let mut kind = command_step(command, tagged);
    if let StepKind::Command { argument: a, .. } = &mut kind {
        *a = argument;
    }
    ev.push(timer.at_ms(), timer.elapsed_ms(), kind);
}

/// Folders where a copy of the message is not an arrival: what the account sent, drafted or
/// threw away, and Gmail's every-message view.
fn not_an_arrival(flags: &[String], name: &str) -> bool {
    const FLAGS: &[&str] = &["\\SENT", "\\DRAFTS", "\\TRASH", "\\ALL"];
    const NAMES: &[&str] = &[
        "sent",
        "sent items",
        "sent messages",
        "sent mail",
        "drafts",
        "trash",
        "deleted items",
        "deleted messages",
        "all mail",
        "送信済み",
        "送信済みメール",
        "送信済みアイテム",
        "下書き",
        "ゴミ箱",
        "削除済みアイテム",
    ];
    let readable = imap::decode_mailbox_name(name);
    let last = readable
        .rsplit(['/', '.'])
        .next()
        .unwrap_or(&readable)
        .to_lowercase();
    flags.iter().any(|f| FLAGS.contains(&f.as_str())) || NAMES.contains(&last.as_str())
}

/// The UIDVALIDITY an EXAMINE or SELECT answered with.
fn uidvalidity(data: &[Response]) -> Option<String> {
    data.iter().find_map(|r| match r {
        Response::Status {
            tag: None,
            code: Some(code),
            ..
        } if code.name == "UIDVALIDITY" => Some(code.args.clone()),
        _ => None,
    })
}

fn ok(r: &Response) -> bool {
    matches!(
        r,
        Response::Status {
            status: ImapStatus::Ok,
            ..
        }
    )
}

/// The FETCH answer for `uid` among the untagged data (not an unsolicited one for another
/// message).
fn fetched(data: &[Response], uid: u64) -> Option<imap::Fetched> {
    data.iter().find_map(|r| match r {
        Response::Data { name, text } if name == "FETCH" => {
            imap::parse_fetch(text).filter(|f| f.uid == Some(uid))
        }
        _ => None,
    })
}

/// Lists the folders (INBOX first, then the junk folders, then the rest; never the sent,
/// drafts, trash or all-mail folders), then searches them for the message's Message-ID,
/// round after round, until it is found or the deadline nears. The inbox and the junk
/// folders are searched every round, the others every fifth, so a long wait over many
/// folders stays within the session's byte budget.
async fn find(
    ev: &mut Record,
    conn: &mut Conn,
    tags: &mut Tagger,
    search: &MailboxSearch,
    uidplus: bool,
) -> Result<(), Failure> {
    let timer = StepTimer::start(conn.clock());
    let (data, tagged) = command(conn, tags, imap::list_all).await?;
    let mut folders: Vec<(Vec<String>, String)> = data
        .iter()
        .filter_map(|r| match r {
            Response::Data { name, text } if name == "LIST" => imap::parse_list(text),
            _ => None,
        })
        .filter(|(flags, name)| {
            !flags
                .iter()
                .any(|f| f == "\\NOSELECT" || f == "\\NONEXISTENT")
                && !not_an_arrival(flags, name)
        })
        .collect();
    let rank = |(flags, name): &(Vec<String>, String)| {
        if name.eq_ignore_ascii_case("INBOX") {
            0
        } else if flags.iter().any(|f| f == "\\JUNK") {
            1
        } else {
            2
        }
    };
    folders.sort_by_key(rank);
    folders.truncate(MAX_FOLDERS);
    step(
        ev,
        &timer,
        CommandKind::List,
        folders.len().to_string(),
        &tagged,
    );
    if folders.is_empty() {
        folders.push((Vec::new(), "INBOX".to_owned()));
    }
    let left = |conn: &Conn| conn.clock().remaining() > SEARCH_RESERVE;
    for round in 0usize.. {
        for (flags, folder) in &folders {
            if !left(conn) {
                return Ok(());
            }
            let every_round = rank(&(flags.clone(), folder.clone())) < 2;
            if !every_round && round % 5 != 0 {
                continue;
            }
            let (examined, selected) =
                command(conn, tags, |t| imap::select(t, folder, true)).await?;
            if !ok(&selected) {
                continue;
            }
            let validity = uidvalidity(&examined);
            let search_timer = StepTimer::start(conn.clock());
            let (data, searched) = command(conn, tags, |t| {
                imap::uid_search_message_id(t, &search.message_id)
            })
            .await?;
            let uids: Vec<u64> = data
                .iter()
                .filter_map(|r| match r {
                    Response::Data { name, text } if name == "SEARCH" => {
                        Some(imap::parse_search(text))
                    }
                    _ => None,
                })
                .flatten()
                .take(16)
                .collect();
            for uid in uids {
                let (data, _) = command(conn, tags, |t| imap::uid_fetch_size(t, uid)).await?;
                let Some(sized) = fetched(&data, uid) else {
                    continue;
                };
                // The whole message when it surely fits what maildoc reads, else its header.
                let whole = sized.size.is_some_and(|s| s < (MAX_LITERAL / 2) as u64);
                let timer = StepTimer::start(conn.clock());
                let (data, tagged) =
                    command(conn, tags, |t| imap::uid_fetch_message(t, uid, whole)).await?;
                let message = fetched(&data, uid)
                    .and_then(|f| f.header)
                    .unwrap_or_default();
                // SEARCH HEADER matches a substring: only a copy whose Message-ID is ours.
                if !search.is_ours(&message) {
                    continue;
                }
                let readable = imap::decode_mailbox_name(folder);
                step(
                    ev,
                    &search_timer,
                    CommandKind::Search,
                    readable.clone(),
                    &searched,
                );
                step(ev, &timer, CommandKind::Fetch, uid.to_string(), &tagged);
                let removed = if search.delete {
                    remove(ev, conn, tags, folder, uid, uidplus, validity.as_deref()).await?
                } else {
                    Removed::Kept
                };
                let found = FoundMessage {
                    folder_raw: folder.clone(),
                    folder: readable,
                    special_use: flags.clone(),
                    uid,
                    internaldate: sized.internaldate,
                    message,
                    removed,
                };
                *search
                    .found
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(found);
                return Ok(());
            }
        }
        if conn.clock().remaining() <= SEARCH_RESERVE + search.every {
            return Ok(());
        }
        tokio::time::sleep(search.every).await;
    }
    Ok(())
}

/// Marks the message deleted and expunges it by its UID; without UIDPLUS it stays marked.
/// Nothing is changed unless the folder opens read-write with the UIDVALIDITY the search saw.
async fn remove(
    ev: &mut Record,
    conn: &mut Conn,
    tags: &mut Tagger,
    folder: &str,
    uid: u64,
    uidplus: bool,
    validity: Option<&str>,
) -> Result<Removed, Failure> {
    let timer = StepTimer::start(conn.clock());
    let (opened, selected) = command(conn, tags, |t| imap::select(t, folder, false)).await?;
    let read_only = matches!(
        &selected,
        Response::Status { code: Some(code), .. } if code.name == "READ-ONLY"
    );
    if !ok(&selected) || read_only || uidvalidity(&opened).as_deref() != validity {
        step(ev, &timer, CommandKind::Expunge, uid.to_string(), &selected);
        return Ok(Removed::Failed);
    }
    let (_, stored) = command(conn, tags, |t| imap::uid_store_deleted(t, uid)).await?;
    if !ok(&stored) {
        step(ev, &timer, CommandKind::Expunge, uid.to_string(), &stored);
        return Ok(Removed::Failed);
    }
    if !uidplus {
        step(ev, &timer, CommandKind::Expunge, uid.to_string(), &stored);
        return Ok(Removed::MarkedDeleted);
    }
    let (_, expunged) = command(conn, tags, |t| imap::uid_expunge(t, uid)).await?;
    step(ev, &timer, CommandKind::Expunge, uid.to_string(), &expunged);
    Ok(if ok(&expunged) {
        Removed::Expunged
    } else {
        Removed::Failed
    })
}

async fn authenticate_plain(
    c: &mut Conn,
    tag: &str,
    user: &str,
    pass: &str,
    sasl_ir: bool,
) -> Result<Attempt, Failure> {
    let (first, secret) = imap::authenticate_plain(tag, user, pass, sasl_ir);
    match secret {
        // SASL-IR: the whole command carries the secret.
        Some(secret) if sasl_ir => c.send_secret(&secret).await?,
        Some(secret) => {
            c.send(&first).await?;
            match response(c).await? {
                Response::Continuation { .. } => c.send_secret(&secret).await?,
                other => return Ok(attempt(&other)),
            }
        }
        None => c.send(&first).await?,
    }
    let (_, tagged) = until_tagged(c, tag).await?;
    Ok(attempt(&tagged))
}

fn attempt(r: &Response) -> Attempt {
    let (status, code) = match r {
        Response::Status { status, code, .. } => (*status, code.as_ref().map(|c| c.name.clone())),
        _ => (ImapStatus::Bad, None),
    };
    let accepted = status == ImapStatus::Ok;
    let retryable =
        status == ImapStatus::No && matches!(code.as_deref(), None | Some("AUTHENTICATIONFAILED"));
    Attempt {
        outcome: if accepted {
            LoginOutcome::Accepted
        } else {
            LoginOutcome::Rejected
        },
        reply: render(r),
        status: code,
        code: None,
        retryable,
    }
}

/// GETQUOTAROOT INBOX and STATUS INBOX. A server without the QUOTA extension answers BAD or
/// NO, which is recorded and harmless.
async fn mailbox(ev: &mut Record, conn: &mut Conn, tags: &mut Tagger) -> Result<(), Failure> {
    let timer = StepTimer::start(conn.clock());
    let (data, tagged) = command(conn, tags, |t| imap::getquotaroot(t, "INBOX")).await?;
    ev.push(
        timer.at_ms(),
        timer.elapsed_ms(),
        command_step(CommandKind::Getquotaroot, &tagged),
    );
    for r in &data {
        if let Response::Data { name, text } = r
            && name == "QUOTA"
            && let Some(q) = imap::parse_quota(text)
        {
            for (resource, usage, limit) in q.resources {
                ev.push(
                    timer.at_ms(),
                    timer.elapsed_ms(),
                    StepKind::Quota {
                        root: q.root.clone(),
                        resource,
                        usage,
                        limit,
                    },
                );
            }
        }
    }
    let timer = StepTimer::start(conn.clock());
    let (data, tagged) = command(conn, tags, |t| imap::status(t, "INBOX", &["MESSAGES"])).await?;
    ev.push(
        timer.at_ms(),
        timer.elapsed_ms(),
        command_step(CommandKind::Status, &tagged),
    );
    let messages = data.iter().find_map(|r| match r {
        Response::Data { name, text } if name == "STATUS" => imap::parse_status_data(text)
            .and_then(|(_, items)| {
                items
                    .into_iter()
                    .find(|(k, _)| k == "MESSAGES")
                    .map(|(_, v)| v)
            }),
        _ => None,
    });
    if messages.is_some() {
        ev.push(
            timer.at_ms(),
            timer.elapsed_ms(),
            StepKind::Mailbox {
                messages,
                octets: None,
            },
        );
    }
    Ok(())
}

fn command_step(command: CommandKind, tagged: &Response) -> StepKind {
    let (outcome, status) = match tagged {
        Response::Status { status, code, .. } => (
            match status {
                ImapStatus::Ok => ReplyOutcome::Ok,
                ImapStatus::No if code.as_ref().is_some_and(|c| c.name == "UNAVAILABLE") => {
                    ReplyOutcome::TempFail
                }
                _ => ReplyOutcome::PermFail,
            },
            code.as_ref().map(|c| c.name.clone()),
        ),
        _ => (ReplyOutcome::NoAnswer, None),
    };
    StepKind::Command {
        command,
        argument: "INBOX".into(),
        outcome,
        reply: render(tagged),
        code: None,
        status,
    }
}

async fn logout(mut conn: Conn, tags: &mut Tagger) -> Conn {
    let _ = command(&mut conn, tags, imap::logout).await;
    conn
}

#[cfg(test)]
mod search_tests {
    use super::*;

    #[test]
    fn sent_drafts_trash_and_all_mail_are_not_arrivals() {
        let flags = |f: &[&str]| f.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(not_an_arrival(&flags(&["\\SENT"]), "Whatever"));
        assert!(not_an_arrival(&[], "Sent Items"));
        assert!(not_an_arrival(&[], "[Gmail]/All Mail"));
        assert!(not_an_arrival(&[], "INBOX.Trash"));
        // 送信済みメール in modified UTF-7.
        assert!(not_an_arrival(&[], "&kAFP4W4IMH8w4TD8MOs-"));
        assert!(!not_an_arrival(&flags(&["\\JUNK"]), "Junk"));
        assert!(!not_an_arrival(&[], "INBOX"));
    }
}
