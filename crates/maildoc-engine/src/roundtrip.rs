//! `maildoc roundtrip` as a library call: one test message sent through the account's own
//! outgoing server ([`crate::send`]), then looked for in the mailbox it was sent to (the same
//! account's, or another one's the caller can log in to) until it arrives or the deadline
//! passes: over IMAP in every folder, its arrival time the mailbox's (INTERNALDATE); over
//! POP3 (an account without IMAP) among the newest messages, one session per round (a POP3
//! session does not see mail that arrives during it), its arrival time the receiving
//! server's own Received header. The headers of the copy are read as `maildoc message` reads
//! them, and maildoc's copy is removed unless asked to keep it. The only job that delivers
//! mail to a mailbox, and only when run explicitly.

use crate::send::{SendOptions, send};
use crate::{CheckOptions, Env, Error, Event, Mode, Password};
use maildoc_model::message::{Arrival, ROUNDTRIP_SCHEMA_VERSION, RoundtripReport};
use maildoc_model::settings::AccountSettings;
use maildoc_probe::context::{MailboxSearch, Removed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct RoundtripOptions {
    /// The account that sends; its own mailbox is searched unless `to` names another.
    pub settings: AccountSettings,
    pub password: Password,
    /// Another account to send to, and its password to search its mailbox with.
    pub to: Option<(AccountSettings, Password)>,
    pub allow_plaintext_login: bool,
    /// Leave the test message in the mailbox.
    pub keep: bool,
    /// The whole run: sending, waiting and removing.
    pub timeout: Duration,
    /// How long to wait between two searches of every folder.
    pub every: Duration,
}

/// Folder names providers file spam under, for servers that do not mark the folder `\Junk`.
const JUNK_NAMES: &[&str] = &[
    "junk",
    "spam",
    "bulk",
    "junk e-mail",
    "junk email",
    "迷惑メール",
    "迷惑メールフォルダ",
];

fn is_junk(special_use: &[String], folder: &str) -> bool {
    special_use.iter().any(|f| f == "\\JUNK") || {
        let last = folder
            .rsplit(['/', '.'])
            .next()
            .unwrap_or(folder)
            .to_lowercase();
        JUNK_NAMES.contains(&last.as_str())
    }
}

/// The longest pause between two POP3 sessions of a search (the pause doubles from
/// [`RoundtripOptions::every`]): providers limit how often an account may log in.
const POP3_PAUSE_MAX: Duration = Duration::from_secs(15);
/// What a POP3 round needs at least: connecting, logging in and reading a few headers.
const POP3_ROUND: Duration = Duration::from_secs(5);

/// Whether a search session logged in and read the mailbox over POP3: another session may
/// then find what this one could not yet see.
fn pop3_read(report: &maildoc_model::Report) -> bool {
    report.servers.iter().any(|s| {
        s.endpoint.protocol == maildoc_model::Protocol::Pop3
            && s.steps
                .iter()
                .any(|st| matches!(st.kind, maildoc_model::StepKind::Mailbox { .. }))
    })
}

/// `07-Dec-2026 03:00:00 +0000` as Unix seconds.
fn internaldate(text: &str) -> Option<i64> {
    let spaced = text.trim().replacen('-', " ", 2);
    maildoc_message::date::parse(&spaced).map(|t| t.unix)
}

pub async fn roundtrip(
    env: &Env,
    opts: RoundtripOptions,
    mut progress: impl FnMut(Event),
) -> Result<RoundtripReport, Error> {
    let started = Instant::now();
    let address = crate::check_input(&opts.settings.address, opts.settings.username.as_deref())?;
    let (to_settings, to_password) = opts
        .to
        .clone()
        .unwrap_or_else(|| (opts.settings.clone(), opts.password.clone()));
    let recipient = crate::check_input(&to_settings.address, to_settings.username.as_deref())?;
    let token = crate::send::token();
    let message_id = format!("maildoc.roundtrip.{token}@{}", address.domain);
    let text = format!(
        "maildoc roundtrip: a test message to see that mail sent from this account arrives in it.\n\
         maildoc removes it when it has found it.\n\n\
         maildoc roundtrip: このアカウントから送ったメールが届くか確かめるテストメールです。\n\
         見つかったら maildoc が削除します。\n\n{token}\n"
    );
    let sent = send(
        env,
        SendOptions {
            settings: opts.settings.clone(),
            password: opts.password.clone(),
            allow_plaintext_login: opts.allow_plaintext_login,
            recipients: vec![recipient.full()],
            subject: format!("maildoc roundtrip {token}"),
            text,
            message_id: Some(message_id.clone()),
            timeout: opts.timeout,
        },
        &mut progress,
    )
    .await?;
    // The server took it when the session ended.
    let sent_at = env.clock.now().unix_timestamp();
    let waited = opts.timeout.saturating_sub(started.elapsed());
    let mut report = RoundtripReport {
        schema_version: ROUNDTRIP_SCHEMA_VERSION,
        maildoc_version: env!("CARGO_PKG_VERSION").to_owned(),
        from: address.full(),
        to: recipient.full(),
        message_id: message_id.clone(),
        waited_at_most_s: waited.as_secs(),
        accepted: sent.accepted.clone(),
        sent: sent.report,
        watched: None,
        arrival: None,
        received: None,
        findings: Vec::new(),
    };
    if report.accepted.is_some() {
        let search = Arc::new(MailboxSearch {
            message_id: format!("<{message_id}>"),
            delete: !opts.keep,
            every: opts.every,
            found: Mutex::new(None),
        });
        let mut check = CheckOptions {
            settings: to_settings,
            password: Some(to_password),
            login: true,
            smtp_auth: true,
            // The other account's password never goes over plaintext.
            allow_plaintext_login: opts.allow_plaintext_login && opts.to.is_none(),
            timeout: waited,
        };
        let mut pause = opts.every;
        let mut first = true;
        let watched = loop {
            // A later round's servers are the first round's: only their steps are news.
            let mut tell = |e: Event| {
                if first || !matches!(e, Event::Planned { .. } | Event::Discovering { .. }) {
                    progress(e);
                }
            };
            let watched = crate::run(
                env,
                check.clone(),
                Mode::Search(Arc::clone(&search)),
                &mut tell,
            )
            .await?;
            first = false;
            let found = search
                .found
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .is_some();
            let left = opts.timeout.saturating_sub(started.elapsed());
            if found || !pop3_read(&watched) || left < pause + POP3_ROUND {
                break watched;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(POP3_PAUSE_MAX);
            check.timeout = opts.timeout.saturating_sub(started.elapsed());
        };
        report.watched = Some(watched);
        // What the report says was waited: from the send to the last search.
        report.waited_at_most_s = started.elapsed().as_secs();
        let found = search
            .found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(found) = found {
            let left = opts.timeout.saturating_sub(started.elapsed());
            let received = if left.is_zero() {
                crate::message::analyze(found.message.as_bytes())
            } else {
                crate::message::check(env, found.message.as_bytes(), left).await
            };
            // The mailbox's time, else (POP3 has none) the newest Received header's: the
            // receiving server's clock when it took the message.
            let arrived = found
                .internaldate
                .as_deref()
                .and_then(internaldate)
                .or_else(|| received.hops.iter().rev().find_map(|h| h.time_unix));
            report.arrival = Some(Arrival {
                junk: is_junk(&found.special_use, &found.folder),
                folder: found.folder,
                internaldate: found.internaldate,
                seconds: arrived.map(|a| (a - sent_at).max(0)),
                removed: match found.removed {
                    Removed::Kept => "kept",
                    Removed::Expunged => "expunged",
                    Removed::MarkedDeleted => "marked-deleted",
                    Removed::Failed => "failed",
                }
                .to_owned(),
            });
            report.received = Some(received);
        }
    }
    let mut findings = maildoc_diagnose::message::roundtrip(&report);
    findings.extend(report.sent.findings.iter().cloned());
    if let Some(w) = &report.watched {
        findings.extend(w.findings.iter().cloned());
    }
    findings.sort_by_key(|f| f.severity);
    report.findings = findings;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_folders_by_flag_or_name_and_internaldates() {
        assert!(is_junk(&["\\JUNK".to_owned()], "Whatever"));
        assert!(is_junk(&[], "INBOX.Junk"));
        assert!(is_junk(&[], "[Gmail]/Spam"));
        assert!(is_junk(&[], "迷惑メール"));
        assert!(!is_junk(&[], "INBOX"));
        assert_eq!(
            internaldate("07-Dec-2026 03:00:00 +0000"),
            Some(1_796_612_400)
        );
        assert_eq!(
            internaldate(" 7-Dec-2026 12:00:00 +0900"),
            Some(1_796_612_400)
        );
        assert_eq!(internaldate("garbage"), None);
    }
}
