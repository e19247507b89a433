//! The library API of maildoc: find the settings ([`discover`]), plan the servers, probe them
//! all at once under one deadline, apply the rules, and hand back a report.

pub mod discover;
pub mod domain;
mod env;
mod error;
mod event;
pub mod explain;
pub mod history;
pub mod karte;
mod lint;
pub mod message;
pub mod plan;
pub mod roundtrip;
pub mod send;
pub mod status;
pub mod triage;
pub mod watch;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use maildoc_model::report::SCHEMA_VERSION;
use maildoc_model::settings::AccountSettings;
use maildoc_model::{Report, ServerEvidence, TargetInfo};
use maildoc_probe::clock::RunClock;
use maildoc_probe::context::{Account, ProbeContext};
use maildoc_probe::server::{self, ServerPlan};
use std::time::Duration;

pub use discover::{DiscoverOptions, Discovery, discover};
pub use env::{Clock, Env};
pub use error::{Error, MAX_USERNAME, check_username};
pub use event::{DomainPart, Event, PlannedServer};
pub use maildoc_probe::context::Password;
pub use plan::Plan;

/// The least time left in the run for the other ports of a failed server to be tried.
const ALTERNATIVES_MIN_TIME: Duration = Duration::from_secs(2);

/// Everything a check needs besides the [`Env`].
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// The settings as typed: the address, the user name, and the servers to check (none:
    /// maildoc finds them). The servers are linted exactly as they are here.
    pub settings: AccountSettings,
    pub password: Option<Password>,
    pub login: bool,
    pub smtp_auth: bool,
    pub allow_plaintext_login: bool,
    /// The whole run's deadline.
    pub timeout: Duration,
}

/// Checks the address and user name as typed, as every job does before it starts (a door
/// can refuse them before it asks for a password), and gives the address as understood.
pub fn check_input(
    address: &str,
    username: Option<&str>,
) -> Result<maildoc_model::input::Address, Error> {
    plan::input(address, username).map(|i| i.address)
}

/// The account as the plan understood it.
fn account(plan: &Plan, opts: &CheckOptions) -> Account {
    Account {
        address: plan.address.full(),
        local_part: plan.address.local.clone(),
        username: plan.username.clone(),
        password: opts.password.clone(),
        login: opts.login,
        smtp_auth: opts.smtp_auth,
        allow_plaintext_login: opts.allow_plaintext_login,
        suspect_host: false,
    }
}

/// Runs a whole check. Remote failures are evidence in the report; only input that cannot
/// be used is an error. Each step of each server is told to `progress` as it is recorded;
/// dropping the future stops every probe.
pub async fn check(
    env: &Env,
    opts: CheckOptions,
    progress: impl FnMut(Event),
) -> Result<Report, Error> {
    run(env, opts, Mode::Check, progress).await
}

/// What a run does besides checking.
enum Mode {
    Check,
    /// Send a message through the account's first outgoing server (no other is probed).
    Deliver(std::sync::Arc<maildoc_probe::context::Delivery>),
    /// Look for a message in the account's first IMAP server, else its first POP3 server (no
    /// other is probed).
    Search(std::sync::Arc<maildoc_probe::context::MailboxSearch>),
}

/// A check, or one of the other [`Mode`]s on the same plan and probes.
async fn run(
    env: &Env,
    opts: CheckOptions,
    mode: Mode,
    mut progress: impl FnMut(Event),
) -> Result<Report, Error> {
    let mut plan = plan::make(&opts.settings)?;
    let clock = RunClock::new(opts.timeout);
    let now = env.clock.now();
    let (steps, mut told) = tokio::sync::mpsc::unbounded_channel();
    let mut ctx = ProbeContext {
        account: account(&plan, &opts),
        dns: env.dns.clone(),
        trust: env.trust.clone(),
        clock,
        now_unix: now.unix_timestamp(),
        steps: Some(steps),
        delivery: None,
        search: None,
    };
    if plan.discover {
        // Discovery may take half of the run: the probes of what it finds need the rest.
        progress(Event::Discovering {
            domain: plan.address.domain.clone(),
        });
        let found = discover::for_check(
            &plan.address,
            plan.normalizations.clone(),
            &ctx,
            opts.timeout / 2,
        )
        .await;
        plan = plan::from_discovery(&opts.settings, &found)?;
        ctx.account = account(&plan, &opts);
    }
    let discovered = plan
        .found
        .as_deref()
        .map(discovery_findings)
        .unwrap_or_default();
    if plan
        .found
        .as_ref()
        .and_then(|f| f.provider.as_ref())
        .is_some_and(|p| p.not_for_mail_apps)
    {
        // No server to knock on: guesses would only add noise to the one true answer.
        plan.servers.clear();
    }
    // One message, through one server: the first of the protocols the mode needs, in the
    // order given (a search prefers IMAP, which sees every folder, to POP3).
    use maildoc_model::Protocol;
    let only: &[Protocol] = match &mode {
        Mode::Check => &[],
        Mode::Deliver(_) => &[Protocol::Smtp],
        Mode::Search(_) => &[Protocol::Imap, Protocol::Pop3],
    };
    if !only.is_empty() {
        let first = only.iter().find_map(|protocol| {
            plan.servers
                .iter()
                .position(|s| s.endpoint.protocol == *protocol)
        });
        plan.servers = first
            .map(|i| plan.servers.swap_remove(i))
            .into_iter()
            .collect();
    }
    let checking = matches!(mode, Mode::Check);
    match mode {
        Mode::Check => {}
        Mode::Deliver(d) => ctx.delivery = Some(d),
        Mode::Search(s) => ctx.search = Some(s),
    }
    // The settings as typed, linted before any probe: no password goes to a server whose
    // name looks like a typo of a known one.
    let linted = lint::run(&opts, &plan);
    progress(Event::Planned {
        servers: plan
            .servers
            .iter()
            .map(|s| PlannedServer {
                id: s.id.clone(),
                endpoint: s.endpoint.clone(),
            })
            .collect(),
    });
    let started_at = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    // The report without its servers: each server is judged alone as it ends (its dot), the
    // whole report once all have.
    let shell = Report {
        schema_version: SCHEMA_VERSION,
        maildoc_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at,
        started_at_unix: now.unix_timestamp(),
        elapsed_ms: 0,
        timeout_ms: u64::try_from(opts.timeout.as_millis()).unwrap_or(u64::MAX),
        target: TargetInfo {
            address: plan.address.full(),
            username: plan.username.clone(),
            login: opts.login,
            smtp_auth: opts.smtp_auth,
            allow_plaintext_login: opts.allow_plaintext_login,
            dns_server: env.dns_server().map(|s| s.to_string()),
            settings_source: plan.settings_source,
            provider: plan.provider.clone(),
            normalizations: plan.normalizations.clone(),
        },
        servers: Vec::new(),
        findings: Vec::new(),
    };
    let done = |ev: &ServerEvidence| Event::ServerDone {
        status: judged_alone(&shell, ev),
        evidence: Box::new(ev.clone()),
    };
    let mut servers: Vec<Option<ServerEvidence>> = plan
        .servers
        .iter()
        .map(|s| s.known.as_deref().cloned())
        .collect();
    for ev in servers.iter().flatten() {
        progress(done(ev));
    }
    // One server's probe, owning what it needs.
    let start = |index: usize, s: &plan::PlannedServer| {
        let mut ctx = ctx.clone();
        ctx.account.username = s.username.clone();
        ctx.account.suspect_host = linted.suspect_host(&s.id);
        if matches!(s.origin, maildoc_model::Origin::Alternative { .. }) {
            // Another port is tried without the password.
            ctx.account.password = None;
            ctx.account.login = false;
        }
        let server_plan = ServerPlan {
            id: s.id.clone(),
            endpoint: s.endpoint.clone(),
            origin: s.origin.clone(),
            depth: s.depth,
        };
        async move { (index, server::probe(server_plan, &ctx).await) }
    };
    // All probes run at once on this task: they wait on the network, not the CPU.
    let mut running: FuturesUnordered<_> = plan
        .servers
        .iter()
        .enumerate()
        .filter(|(_, s)| s.known.is_none())
        .map(|(index, s)| start(index, s))
        .collect();
    // Every probe stops itself at the deadline; the extra second only guards against a
    // probe that could not be polled in time.
    let hard_stop = clock.deadline() + Duration::from_secs(1);
    loop {
        let next = tokio::select! {
            Some((server, step)) = told.recv() => {
                progress(Event::Step { server, step });
                continue;
            }
            next = tokio::time::timeout_at(hard_stop, running.next()) => next,
        };
        let Ok(Some((index, ev))) = next else { break };
        // The steps of this server were sent before it finished: tell them first.
        while let Ok((server, step)) = told.try_recv() {
            progress(Event::Step { server, step });
        }
        progress(done(&ev));
        // A server that failed at the door: its other standard ports, at once, within the
        // same deadline (a search or a delivery needs the configured server alone), when
        // there is still time for them to show something rather than to run out of it.
        let others = if checking && clock.remaining() >= ALTERNATIVES_MIN_TIME {
            plan::alternatives(&ev, &plan.servers)
        } else {
            Vec::new()
        };
        if !others.is_empty() {
            progress(Event::Alternatives {
                of: ev.id.clone(),
                servers: others
                    .iter()
                    .map(|s| PlannedServer {
                        id: s.id.clone(),
                        endpoint: s.endpoint.clone(),
                    })
                    .collect(),
            });
            for s in others {
                let index = plan.servers.len();
                running.push(start(index, &s));
                plan.servers.push(s);
                servers.push(None);
            }
        }
        if let Some(slot) = servers.get_mut(index) {
            *slot = Some(ev);
        }
    }
    let servers: Vec<ServerEvidence> = servers
        .into_iter()
        .zip(&plan.servers)
        .map(|(ev, p)| {
            ev.unwrap_or_else(|| {
                let mut ev = ServerEvidence::new(
                    p.id.clone(),
                    p.endpoint.clone(),
                    p.origin.clone(),
                    p.depth,
                );
                ev.push(
                    clock.at_ms(),
                    0,
                    maildoc_model::StepKind::Deadline {
                        phase: maildoc_model::Phase::Connect,
                    },
                );
                ev
            })
        })
        .collect();
    let mut report = Report {
        elapsed_ms: clock.at_ms(),
        servers,
        ..shell
    };
    report.findings = maildoc_diagnose::diagnose(&report);
    report.findings = linted.merge_into(&report);
    report.findings.extend(discovered);
    Ok(report)
}

/// The dot of `ev` judged on its own (the rules over a report of this server alone): what a
/// display shows as soon as the server is done. The report's own dot, over every server,
/// may differ where a rule compares servers.
fn judged_alone(shell: &Report, ev: &ServerEvidence) -> maildoc_model::ServerStatus {
    let mut alone = Report {
        servers: vec![ev.clone()],
        ..shell.clone()
    };
    alone.findings = maildoc_diagnose::diagnose(&alone);
    alone.server_status(&ev.id)
}

/// What discovery itself says, as account-wide findings: an address that no mail app can
/// use, or a role for which no source gave settings.
fn discovery_findings(found: &Discovery) -> Vec<maildoc_model::Finding> {
    use maildoc_model::{Code, Finding};
    if let Some(p) = found.provider.as_ref().filter(|p| p.not_for_mail_apps) {
        return vec![
            Finding::new(Code::ProviderNotForMailApps)
                .param("provider", &p.name)
                .param("domain", &found.domain),
        ];
    }
    let missing: Vec<&str> = [
        (found.incoming.is_none(), "IMAP/POP3"),
        (found.outgoing.is_none(), "SMTP"),
    ]
    .into_iter()
    .filter_map(|(missing, label)| missing.then_some(label))
    .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    vec![
        Finding::new(Code::SettingsNotFound)
            .param("domain", &found.domain)
            .param("missing", missing.join(", ")),
    ]
}
