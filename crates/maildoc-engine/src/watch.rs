//! Watches: scheduled checks of accounts and domains. A round claims the due watches with a
//! lease (two processes on one store never run one watch twice), checks them, keeps each run
//! in the history, and raises an alert when a run differs from the one before in a way a
//! person must hear about: a new error, a blocklist listing, a certificate about to expire, a
//! changed mail record, or a recovery.
//!
//! Each watch's next run is its period after this one plus a fixed share of up to a tenth of
//! the period, different for each watch, so a long list spreads over the hour instead of
//! arriving at once; account watches of one mail domain run one after another, never at once.

use crate::history::{
    Alert, Change, Changes, FactName, History, Kind, Origin, Run, RunFilter, Snapshot, StoreError,
    Watch, compare, facts, now_ms,
};
use crate::{CheckOptions, Env, Password};
use futures_util::StreamExt;
use maildoc_model::settings::AccountSettings;
use maildoc_model::{Code, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

pub use maildoc_store::keyring::{self, Keyring, Vault};

/// How a round runs.
#[derive(Clone, Debug)]
pub struct WatchOptions {
    /// This process's name in the leases (unique per process).
    pub owner: String,
    /// Each check's deadline.
    pub timeout: Duration,
    /// Checks at once.
    pub concurrency: usize,
    /// A certificate that expires within this many days raises an alert.
    pub cert_days: i64,
    /// Watches claimed per round at most.
    pub batch: u32,
    /// The passwords of account watches that log in, by address.
    pub passwords: Passwords,
    /// Where to look for a password not in `passwords`.
    pub keyring: Option<Keyring>,
}

impl WatchOptions {
    /// 15 s per check, 64 at once, certificates within 14 days, 20,000 watches a round.
    pub fn new(owner: String) -> WatchOptions {
        WatchOptions {
            owner,
            timeout: Duration::from_secs(15),
            concurrency: 64,
            cert_days: 14,
            batch: 20_000,
            passwords: Passwords::default(),
            keyring: None,
        }
    }
}

/// Passwords for account watches, by address (lower case). Never stored: the door reads
/// them from where the user keeps them each time it starts.
#[derive(Clone, Default)]
pub struct Passwords(HashMap<String, Password>);

impl Passwords {
    pub fn insert(&mut self, address: &str, password: Password) {
        self.0.insert(address.to_lowercase(), password);
    }

    pub fn get(&self, address: &str) -> Option<Password> {
        self.0.get(&address.to_lowercase()).cloned()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Passwords({} addresses)", self.0.len())
    }
}

/// What a round tells as it goes.
#[derive(Clone, Debug)]
pub enum WatchEvent {
    /// The due watches claimed.
    Claimed { watches: usize },
    /// A watch ran; its run and the alerts it raised.
    Ran {
        watch: Box<Watch>,
        run: Box<Run>,
        alerts: Vec<Alert>,
    },
}

/// What a round did.
#[derive(Clone, Debug, Default)]
pub struct Round {
    pub ran: usize,
    pub alerts: Vec<Alert>,
    /// Accounts that log in whose password a store could not give (locked, refused, no
    /// answer): they were checked without logging in.
    pub unread: Vec<(String, Vec<keyring::Skipped>)>,
}

/// What an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertCode {
    /// A finding of severity error that the run before did not have.
    NewError,
    /// A blocklist now lists an address of the domain.
    Listed,
    /// A server's certificate now expires within the warning days.
    CertExpiring,
    /// A mail record (MX, SPF, DMARC, DKIM, MTA-STS, TLSA, NS) changed.
    RecordChanged,
    /// The run before had errors; this one has none.
    Recovered,
}

impl AlertCode {
    pub const ALL: [AlertCode; 5] = [
        AlertCode::NewError,
        AlertCode::Listed,
        AlertCode::CertExpiring,
        AlertCode::RecordChanged,
        AlertCode::Recovered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertCode::NewError => "new-error",
            AlertCode::Listed => "listed",
            AlertCode::CertExpiring => "cert-expiring",
            AlertCode::RecordChanged => "record-changed",
            AlertCode::Recovered => "recovered",
        }
    }

    pub fn parse(text: &str) -> Option<AlertCode> {
        AlertCode::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// An alert before it is stored: its code and its details (JSON).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertDraft {
    pub code: AlertCode,
    pub detail: serde_json::Value,
}

const DAY_MS: i64 = 86_400_000;

/// The alerts of a run (`after`, at `now_ms`) against the run before it (`before`, with its
/// time), when there was one.
pub fn alerts(
    before: Option<(&Snapshot, i64)>,
    after: &Snapshot,
    now_ms: i64,
    cert_days: i64,
) -> Vec<AlertDraft> {
    let mut out = Vec::new();
    let changes = match before {
        Some((b, _)) => compare(b, after),
        None => Changes {
            appeared: after
                .findings()
                .iter()
                .map(|f| crate::history::FindingRef {
                    code: f.code,
                    severity: f.severity,
                    server: f.server.clone(),
                    params: f.params.clone(),
                })
                .collect(),
            ..Changes::default()
        },
    };
    for f in changes
        .appeared
        .iter()
        .filter(|f| f.severity == Severity::Error)
    {
        let code = if f.code == Code::DnsblListed {
            AlertCode::Listed
        } else {
            AlertCode::NewError
        };
        out.push(AlertDraft {
            code,
            detail: serde_json::json!({
                "finding": f.code,
                "server": f.server,
                "params": f.params,
            }),
        });
    }
    let expiring = |snapshot: &Snapshot, at_ms: i64| -> BTreeMap<String, (String, i64)> {
        facts(snapshot)
            .into_iter()
            .filter(|f| f.name == FactName::CertificateExpiry)
            .filter_map(|f| {
                let end = time::OffsetDateTime::parse(
                    &f.value,
                    &time::format_description::well_known::Rfc3339,
                )
                .ok()?;
                let left_ms = i64::try_from(end.unix_timestamp_nanos() / 1_000_000)
                    .ok()?
                    .saturating_sub(at_ms);
                (left_ms >= 0 && left_ms <= cert_days.saturating_mul(DAY_MS))
                    .then_some((f.scope, (f.value, left_ms / DAY_MS)))
            })
            .collect()
    };
    let was = before.map(|(b, at)| expiring(b, at)).unwrap_or_default();
    for (server, (not_after, days)) in expiring(after, now_ms) {
        if !was.contains_key(&server) {
            out.push(AlertDraft {
                code: AlertCode::CertExpiring,
                detail: serde_json::json!({
                    "server": server,
                    "not_after": not_after,
                    "days": days,
                }),
            });
        }
    }
    let records: Vec<&Change> = changes
        .changed
        .iter()
        .filter(|c| c.fact.is_record())
        .collect();
    if !records.is_empty() {
        out.push(AlertDraft {
            code: AlertCode::RecordChanged,
            detail: serde_json::json!({ "changes": records }),
        });
    }
    if let Some((b, _)) = before
        && b.worst() == Some(Severity::Error)
        && after.worst() != Some(Severity::Error)
    {
        out.push(AlertDraft {
            code: AlertCode::Recovered,
            detail: serde_json::json!({}),
        });
    }
    out
}

/// A watch's period as typed (`30m`, `1h`, `1d`, `90s`), in seconds: from a minute to a
/// year.
pub fn parse_every(text: &str) -> Option<i64> {
    let t = text.trim();
    let unit = t.chars().last()?;
    let n: i64 = t[..t.len() - unit.len_utf8()].parse().ok()?;
    let secs = match unit {
        's' => n,
        'm' => n.checked_mul(60)?,
        'h' => n.checked_mul(3_600)?,
        'd' => n.checked_mul(86_400)?,
        _ => return None,
    };
    (60..=366 * 86_400).contains(&secs).then_some(secs)
}

/// When a watch runs next: its period after `now_ms`, plus its own share of up to a tenth
/// of the period (fixed per watch, so the watches of a long list stay spread out).
pub fn next_due(watch: &Watch, now_ms: i64) -> i64 {
    let period = watch.every_s.max(60).saturating_mul(1000);
    let spread = (period / 10).max(1);
    // A fixed mix of the id (Knuth's multiplicative hash) picks the share.
    let share = (watch.id as u64).wrapping_mul(2_654_435_761) % spread as u64;
    now_ms.saturating_add(period).saturating_add(share as i64)
}

/// A claimed watch as its check ended: its report, or `None` when its subject cannot be
/// checked any more (an address maildoc now refuses).
type Checked = (Watch, Option<Snapshot>);

/// Runs kept per transaction.
const CHUNK: usize = 500;

/// Runs the due watches once: claims them, checks them (`opts.concurrency` at once), and
/// keeps each run with its alerts and its watch's next time, 500 to a transaction. The
/// checks go on while a chunk is written (the writing runs beside them, not between them),
/// and the leases are renewed as the round goes, so a long round keeps its watches.
pub async fn run_round(
    env: &Env,
    history: &History,
    opts: &WatchOptions,
    mut progress: impl FnMut(WatchEvent),
) -> Result<Round, StoreError> {
    let store = history.store();
    let lease = i64::try_from(opts.timeout.as_millis())
        .unwrap_or(i64::MAX)
        .saturating_mul(4)
        .max(600_000);
    let due = store
        .claim_due(opts.owner.clone(), now_ms(env.clock()), lease, opts.batch)
        .await?;
    progress(WatchEvent::Claimed { watches: due.len() });
    let (domains, accounts): (Vec<Watch>, Vec<Watch>) =
        due.into_iter().partition(|w| w.kind == Kind::Domain);
    // Every password the round needs, looked up once, off the async threads (a store may
    // take seconds).
    let logins: Vec<String> = accounts
        .iter()
        .filter(|w| w.login)
        .map(|w| w.subject.clone())
        .collect();
    let lookup = opts.clone();
    let looked_up = tokio::task::spawn_blocking(move || {
        logins
            .into_iter()
            .map(|address| {
                let found = password_for(&lookup, &address);
                (address, found)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    let mut passwords = Passwords::default();
    let mut unread = Vec::new();
    for (address, (password, skipped)) in looked_up {
        match password {
            Some(p) => passwords.insert(&address, p),
            None if skipped.iter().any(|s| s.why != keyring::Why::Absent) => {
                unread.push((address, skipped));
            }
            None => {}
        }
    }
    let passwords = &passwords;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Checked>(CHUNK * 2);

    let produce = async move {
        let domain_opts = crate::domain::Options {
            timeout: opts.timeout,
            ..crate::domain::Options::default()
        };
        let inputs = futures_util::stream::iter(domains.into_iter().map(|w| {
            let text = w.subject.clone();
            (w, text)
        }));
        let mut results = std::pin::pin!(crate::domain::check_many(
            env,
            inputs,
            &domain_opts,
            opts.concurrency,
            |_, _| {}
        ));
        while let Some((watch, outcome)) = results.next().await {
            let snapshot = outcome.ok().map(|r| Snapshot::Domain(Box::new(r)));
            if tx.send((watch, snapshot)).await.is_err() {
                return;
            }
        }
        // Accounts: one mail domain's in turn, the domains at once.
        let mut by_domain: BTreeMap<String, Vec<Watch>> = BTreeMap::new();
        for w in accounts {
            let domain = w.subject.rsplit('@').next().unwrap_or_default().to_owned();
            by_domain.entry(domain).or_default().push(w);
        }
        let groups = futures_util::stream::iter(by_domain.into_values())
            .map(|group| {
                let tx = tx.clone();
                async move {
                    for watch in group {
                        let password = passwords.get(&watch.subject).filter(|_| watch.login);
                        let snapshot = check_account(env, opts, &watch, password).await;
                        if tx.send((watch, snapshot)).await.is_err() {
                            return;
                        }
                    }
                }
            })
            .buffer_unordered(opts.concurrency.max(1));
        groups.for_each(|()| async {}).await;
    };

    let write = async {
        let mut round = Round::default();
        let mut chunk: Vec<(Watch, Snapshot)> = Vec::new();
        let mut renewed = now_ms(env.clock());
        while let Some((watch, snapshot)) = rx.recv().await {
            match snapshot {
                Some(s) => chunk.push((watch, s)),
                None => {
                    let next = next_due(&watch, now_ms(env.clock()));
                    store
                        .finish_watch(watch.id, opts.owner.clone(), None, next)
                        .await?;
                }
            }
            if chunk.len() >= CHUNK {
                keep(
                    env,
                    history,
                    opts,
                    std::mem::take(&mut chunk),
                    &mut round,
                    &mut progress,
                )
                .await?;
            }
            let now = now_ms(env.clock());
            if now - renewed > lease / 3 {
                store
                    .renew_leases(opts.owner.clone(), now.saturating_add(lease))
                    .await?;
                renewed = now;
            }
        }
        keep(env, history, opts, chunk, &mut round, &mut progress).await?;
        Ok(round)
    };
    let ((), round) = futures_util::future::join(produce, write).await;
    round.map(|r| Round { unread, ..r })
}

/// An account watch's check: without a login unless its password is at hand.
async fn check_account(
    env: &Env,
    opts: &WatchOptions,
    watch: &Watch,
    password: Option<Password>,
) -> Option<Snapshot> {
    let check = CheckOptions {
        settings: AccountSettings {
            address: watch.subject.clone(),
            username: None,
            servers: Vec::new(),
        },
        login: password.is_some(),
        password,
        smtp_auth: true,
        allow_plaintext_login: false,
        timeout: opts.timeout,
    };
    crate::check(env, check, |_| {})
        .await
        .ok()
        .map(|r| Snapshot::Check(Box::new(r)))
}

/// An account's password: from the passwords given, else from the keyring; and the stores
/// that could not be asked. Blocking (a store may take seconds): not on an async thread.
pub fn password_for(
    opts: &WatchOptions,
    address: &str,
) -> (Option<Password>, Vec<keyring::Skipped>) {
    if let Some(p) = opts.passwords.get(address) {
        return (Some(p), Vec::new());
    }
    let Some(keyring) = &opts.keyring else {
        return (None, Vec::new());
    };
    let found = keyring.find(address);
    (found.password.map(|(p, _)| Password::new(p)), found.skipped)
}

/// Where a round's alerts are mailed: the sending account (its outgoing server when one is
/// named) and the recipients.
#[derive(Clone, Debug)]
pub struct AlertMail {
    pub account: AccountSettings,
    pub to: Vec<String>,
}

/// Why the alerts could not be mailed before anything was sent.
#[derive(Clone, Debug)]
pub enum MailError {
    /// No password of the sending account at hand; the stores that could not be asked.
    NoPassword(Vec<keyring::Skipped>),
    /// An address that cannot be used.
    Input(crate::Error),
}

/// Mails `text` under `subject` through the alerts' account, logged in with its password
/// from the passwords given or the keyring. What the server did is in the [`send::Sent`].
///
/// [`send::Sent`]: crate::send::Sent
pub async fn mail_alerts(
    env: &Env,
    opts: &WatchOptions,
    mail: &AlertMail,
    subject: String,
    text: String,
) -> Result<crate::send::Sent, MailError> {
    let (lookup, address) = (opts.clone(), mail.account.address.clone());
    let (password, skipped) = tokio::task::spawn_blocking(move || password_for(&lookup, &address))
        .await
        .unwrap_or_default();
    let password = password.ok_or(MailError::NoPassword(skipped))?;
    let send = crate::send::SendOptions {
        settings: mail.account.clone(),
        password,
        allow_plaintext_login: false,
        recipients: mail.to.clone(),
        subject,
        text,
        message_id: None,
        timeout: opts.timeout,
    };
    crate::send::send(env, send, |_| {})
        .await
        .map_err(MailError::Input)
}

/// Keeps a chunk of runs: each compared with its subject's previous run for the alerts
/// first, then every run, alert and next time in one transaction, so a crash loses no alert
/// of a run that was kept.
async fn keep(
    env: &Env,
    history: &History,
    opts: &WatchOptions,
    chunk: Vec<(Watch, Snapshot)>,
    round: &mut Round,
    progress: &mut impl FnMut(WatchEvent),
) -> Result<(), StoreError> {
    if chunk.is_empty() {
        return Ok(());
    }
    let store = history.store();
    let clock = env.clock();
    let now = now_ms(clock);
    let mut items = Vec::with_capacity(chunk.len());
    for (watch, snapshot) in &chunk {
        let run = snapshot.to_run(clock, Origin::Watch);
        let previous = store
            .runs(RunFilter {
                kind: Some(watch.kind),
                subject: Some(watch.subject.clone()),
                limit: 1,
                ..RunFilter::default()
            })
            .await?
            .into_iter()
            .next();
        // The same state as before is compared with itself at the earlier time: only a
        // certificate that has come closer to its end can raise an alert.
        let old = match &previous {
            Some(p) if p.state != run.state => history.snapshot(p.id).await.ok().map(|(_, s)| s),
            _ => None,
        };
        let before = match (&previous, &old) {
            (Some(p), Some(s)) => Some((s, p.at_ms)),
            (Some(p), None) => Some((snapshot, p.at_ms)),
            (None, _) => None,
        };
        let drafts = alerts(before, snapshot, now, opts.cert_days);
        items.push(maildoc_store::Watched {
            run,
            watch_id: watch.id,
            owner: opts.owner.clone(),
            next_due_ms: next_due(watch, now),
            alerts: drafts
                .into_iter()
                .map(|d| (d.code.as_str().to_owned(), d.detail.to_string()))
                .collect(),
        });
    }
    let saved = store.save_watched(items).await?;
    for ((watch, _), (run, alerts)) in chunk.into_iter().zip(saved) {
        round.ran += 1;
        round.alerts.extend(alerts.iter().cloned());
        progress(WatchEvent::Ran {
            watch: Box::new(watch),
            run: Box::new(run),
            alerts,
        });
    }
    Ok(())
}

/// Posts `body` to a webhook (ntfy-compatible: the title and priority as headers) with
/// strict HTTPS, within `timeout`.
pub async fn post_webhook(
    env: &Env,
    url: &str,
    title: &str,
    urgent: bool,
    body: &str,
    timeout: Duration,
) -> Result<u16, String> {
    let clock = maildoc_probe::clock::RunClock::new(timeout);
    let priority = if urgent { "high" } else { "default" };
    let title: String = title
        .chars()
        .filter(|c| c.is_ascii() && !c.is_control())
        .collect();
    maildoc_probe::http::post(
        url,
        &[("Title", &title), ("Priority", priority), ("Tags", "email")],
        body,
        &env.dns,
        &env.trust,
        &clock,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use maildoc_model::Finding;
    use maildoc_model::domain::DomainReport;

    const DOMAIN: &str = include_str!("../../maildoc-diagnose/tests/fixtures/domain/spf-pass.json");

    fn domain(edit: impl FnOnce(&mut DomainReport)) -> Snapshot {
        let mut report: DomainReport = serde_json::from_str(DOMAIN).unwrap();
        edit(&mut report);
        Snapshot::Domain(Box::new(report))
    }

    fn codes(drafts: &[AlertDraft]) -> Vec<AlertCode> {
        drafts.iter().map(|d| d.code).collect()
    }

    #[test]
    fn a_new_error_a_listing_a_changed_record_and_a_recovery_each_raise_an_alert() {
        let healthy = domain(|_| {});
        let broken = domain(|r| {
            r.findings
                .push(Finding::new(Code::MxMissing).severity(Severity::Error));
            r.findings.push(
                Finding::new(Code::DnsblListed)
                    .param("zone", "zen.example")
                    .param("address", "192.0.2.60"),
            );
            r.findings.push(Finding::new(Code::DmarcPolicyNone));
            if let Some(spf) = r.spf.as_mut() {
                spf.records = vec!["v=spf1 -all".into()];
            }
        });
        let raised = alerts(Some((&healthy, 0)), &broken, 0, 14);
        assert_eq!(
            codes(&raised),
            [
                AlertCode::NewError,
                AlertCode::Listed,
                AlertCode::RecordChanged
            ]
        );
        assert_eq!(raised[0].detail["finding"], "mx-missing");
        assert_eq!(raised[1].detail["params"]["zone"], "zen.example");
        assert_eq!(raised[2].detail["changes"][0]["fact"], "spf");
        // Nothing new: nothing to tell; back to health: a recovery (and the record again).
        assert!(alerts(Some((&broken, 0)), &broken, 0, 14).is_empty());
        assert_eq!(
            codes(&alerts(Some((&broken, 0)), &healthy, 0, 14)),
            [AlertCode::RecordChanged, AlertCode::Recovered]
        );
        // The first run of a watch tells its errors.
        assert_eq!(
            codes(&alerts(None, &broken, 0, 14)),
            [AlertCode::NewError, AlertCode::Listed]
        );
    }

    #[test]
    fn a_period_is_typed_as_a_number_and_a_unit() {
        assert_eq!(parse_every("1h"), Some(3_600));
        assert_eq!(parse_every("30m"), Some(1_800));
        assert_eq!(parse_every("2d"), Some(172_800));
        assert_eq!(parse_every("90s"), Some(90));
        assert_eq!(parse_every("10s"), None, "at least a minute");
        assert_eq!(parse_every("400d"), None, "at most a year");
        assert_eq!(parse_every("h"), None);
        assert_eq!(parse_every(""), None);
        assert_eq!(parse_every("1x"), None);
        assert_eq!(parse_every("1時"), None);
        assert_eq!(parse_every("１h"), None);
    }

    #[test]
    fn a_second_listing_is_a_listing_of_its_own() {
        let listed = |zones: &[&str]| {
            domain(|r| {
                for zone in zones {
                    r.findings.push(
                        Finding::new(Code::DnsblListed)
                            .param("mx_host", "mx1.posture.lab.example")
                            .param("zone", *zone),
                    );
                }
            })
        };
        let one = listed(&["zen.example"]);
        let two = listed(&["zen.example", "bl.example"]);
        let raised = alerts(Some((&one, 0)), &two, 0, 14);
        assert_eq!(codes(&raised), [AlertCode::Listed]);
        assert_eq!(raised[0].detail["params"]["zone"], "bl.example");
    }

    #[test]
    fn a_certificate_alerts_once_when_it_comes_within_the_warning_days() {
        let mut smtp = maildoc_model::ServerEvidence::new(
            "mx1",
            maildoc_model::Endpoint::new(
                maildoc_model::Protocol::Smtp,
                "mx1.example.jp",
                25,
                maildoc_model::Security::Starttls,
            ),
            maildoc_model::Origin::Flag,
            maildoc_model::ProbeDepth::Transport,
        );
        let tls: maildoc_model::evidence::TlsEvidence = serde_json::from_value(serde_json::json!({
            "mode": "starttls", "server_name": "mx1.example.jp", "handshake": "established",
            "chain": [{
                "subject": "CN=mx1", "issuer": "CN=CA", "serial": "1",
                "not_before": "2026-01-01T00:00:00Z", "not_after": "2026-12-21T00:00:00Z",
                "not_before_unix": 0, "not_after_unix": 0, "names": [], "self_signed": false,
                "sha256": "aa"
            }],
            "verification": "valid", "leaf_problems": [], "public_root": true,
            "client_cert_requested": false
        }))
        .unwrap();
        smtp.push(0, 1, maildoc_model::StepKind::Tls(Box::new(tls)));
        let with_cert = domain(|r| r.smtp = vec![smtp]);
        let day = |d: i64| 1_796_083_200_000 + d * DAY_MS; // 2026-12-01 + d days
        // 20 days left: outside 14. 13 days left: inside, and it was not: an alert.
        assert!(alerts(Some((&with_cert, day(0))), &with_cert, day(0), 14).is_empty());
        let near = alerts(Some((&with_cert, day(0))), &with_cert, day(7), 14);
        assert_eq!(codes(&near), [AlertCode::CertExpiring]);
        assert_eq!(near[0].detail["server"], "mx1");
        assert_eq!(near[0].detail["days"], 13);
        // The next run, still inside: told already.
        assert!(alerts(Some((&with_cert, day(7))), &with_cert, day(8), 14).is_empty());
    }

    #[test]
    fn the_next_run_is_a_period_on_with_a_fixed_share_of_a_tenth() {
        let watch = |id: i64| Watch {
            id,
            kind: Kind::Domain,
            subject: "example.jp".into(),
            every_s: 3600,
            login: false,
            next_due_ms: 0,
            last_run_id: None,
            created_ms: 0,
        };
        let shares: Vec<i64> = (1..200)
            .map(|id| next_due(&watch(id), 0) - 3_600_000)
            .collect();
        assert!(shares.iter().all(|s| (0..360_000).contains(s)));
        assert_eq!(next_due(&watch(7), 0), next_due(&watch(7), 0));
        // Spread: the shares fill the tenth, not one corner of it.
        let (min, max) = (shares.iter().min().unwrap(), shares.iter().max().unwrap());
        assert!(max - min > 300_000, "{min}..{max}");
    }
}
