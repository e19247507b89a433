//! Settings discovery: from a mail address to the settings a mail app needs, with every
//! source consulted, what it gave, and how long it took.
//!
//! The sources, all at once under the run's one deadline:
//!
//! 1. maildoc's provider tables (its own table and the Thunderbird ISPDB), by the domain: no
//!    network. When they know the provider's servers the answer is given at once and the
//!    network sources are not consulted (they are listed as skipped);
//! 2. the domain's autoconfig file, `https://autoconfig.<domain>/mail/config-v1.1.xml`, then
//!    `https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml`, fetched with strict
//!    certificate verification (a bad certificate is a failure, never accepted);
//! 3. RFC 6186 SRV records (`_imaps._tcp`, `_imap._tcp`, `_pop3s._tcp`, `_pop3._tcp`,
//!    `_submissions._tcp`, `_submission._tcp`);
//! 4. the MX, when it names a provider the tables know (a domain hosted at Google, ...);
//! 5. guessing: `imap.`/`pop3.`/`pop.`/`mail.`/the bare domain and `smtp.`/`mail.`/the bare
//!    domain, probed as `check` probes them but without logging in, SSL/TLS port before the
//!    STARTTLS port.
//!
//! Every candidate server is kept with its source and outcome. The recommendation takes, per
//! protocol, the best candidate: encrypted before plain, then by source in the order above
//! (within a source, in the source's own order); a guessed server counts only when it answered
//! with its protocol over encryption whose certificate verified. IMAP is recommended over
//! POP3, which is then the alternative. Discovery stops waiting as soon as no source still
//! running could change the recommendation.

pub mod autoconfig;

use crate::{Env, Error, Event};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use maildoc_kb::Lang;
use maildoc_kb::providers;
use maildoc_model::SettingsSource;
use maildoc_model::input::{self, Address, Normalization};
use maildoc_model::provider::{Grade, ProviderInfo, ProviderServer, ProviderSource, UsernameRule};
use maildoc_model::{
    CertVerification, ConnectOutcome, Endpoint, GreetingOutcome, Origin, ProbeDepth, Protocol,
    ResolveOutcome, Security, ServerEvidence, StarttlsOutcome, StepKind, TlsHandshake,
};
use maildoc_probe::clock::{RunClock, StepTimer};
use maildoc_probe::context::{Account, ProbeContext};
use maildoc_probe::dns::{MxRecord, RecordLookup, SrvRecord};
use maildoc_probe::http::{self, Fetch, FetchOutcome};
use maildoc_probe::server::{self, ServerPlan};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Bumped whenever the JSON shape of [`Discovery`] changes incompatibly.
pub const DISCOVERY_SCHEMA_VERSION: u32 = 1;

/// The largest autoconfig file fetched.
const AUTOCONFIG_MAX: usize = 128 * 1024;

/// The RFC 6186 services, in the order they are preferred (RFC 8314: implicit TLS first).
const SRV_SERVICES: [(&str, Protocol, Security); 6] = [
    ("_imaps._tcp", Protocol::Imap, Security::Tls),
    ("_imap._tcp", Protocol::Imap, Security::Starttls),
    ("_pop3s._tcp", Protocol::Pop3, Security::Tls),
    ("_pop3._tcp", Protocol::Pop3, Security::Starttls),
    ("_submissions._tcp", Protocol::Smtp, Security::Tls),
    ("_submission._tcp", Protocol::Smtp, Security::Starttls),
];

/// Source ranks: a lower rank wins.
const RANK_PROVIDER: u32 = 0;
const RANK_AUTOCONFIG: u32 = 100;
const RANK_SRV: u32 = 200;
const RANK_MX: u32 = 300;
const RANK_GUESS: u32 = 1000;

/// What discovery is given besides the [`Env`] and the address.
#[derive(Clone, Debug)]
pub struct DiscoverOptions {
    /// The whole run's deadline.
    pub timeout: Duration,
}

/// Where a candidate came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// maildoc's provider tables, by the address's domain.
    Provider,
    /// The domain's autoconfig file.
    Autoconfig,
    /// RFC 6186 SRV records.
    Srv,
    /// The MX names a provider the tables know.
    Mx,
    /// Common host names, probed.
    Guess,
}

impl From<SourceKind> for SettingsSource {
    fn from(kind: SourceKind) -> SettingsSource {
        match kind {
            SourceKind::Provider => SettingsSource::Provider,
            SourceKind::Autoconfig => SettingsSource::Autoconfig,
            SourceKind::Srv => SettingsSource::Srv,
            SourceKind::Mx => SettingsSource::Mx,
            SourceKind::Guess => SettingsSource::Guess,
        }
    }
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Provider => "provider",
            SourceKind::Autoconfig => "autoconfig",
            SourceKind::Srv => "srv",
            SourceKind::Mx => "mx",
            SourceKind::Guess => "guess",
        }
    }
}

/// What consulting a source gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceOutcome {
    /// The source gave servers.
    Found,
    /// The tables do not know the domain; the MX names no provider the tables know.
    NotListed,
    /// DNS: the name does not exist (NXDOMAIN).
    Nxdomain,
    /// DNS: the name exists without records of the type asked for (NODATA).
    Nodata,
    /// DNS: the server failed (SERVFAIL, REFUSED) or could not be used.
    DnsFailed,
    /// DNS: no answer in time.
    DnsTimeout,
    /// SRV: the record says the service is not offered (target `.`).
    NotOffered,
    /// HTTPS: no address accepted a connection.
    ConnectFailed,
    /// HTTPS: the server's certificate did not verify.
    CertificateInvalid,
    /// HTTPS: the TLS handshake failed.
    TlsFailed,
    /// HTTPS: a status other than 200 (see the detail).
    HttpStatus,
    /// The answer holds no usable settings (not a settings file, too large, no server).
    Invalid,
    /// No answer in time.
    Timeout,
    /// Guessing: no guessed server answered with verified encryption.
    NothingAnswered,
    /// Not consulted: maildoc's tables already know the provider's settings.
    Skipped,
    /// Stopped: sources ranked higher had already given the settings.
    NotNeeded,
    /// Stopped by the run's deadline.
    Deadline,
}

/// One source consulted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub kind: SourceKind,
    /// The domain, URL or DNS name consulted.
    pub target: String,
    pub outcome: SourceOutcome,
    /// The details: the provider, the HTTP status, the DNS server's words, the MX hosts, ...
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// Milliseconds since the run started, and how long the source took.
    pub at_ms: u64,
    pub elapsed_ms: u64,
    /// Indexes into [`Discovery::candidates`].
    #[serde(default)]
    pub candidates: Vec<usize>,
    /// Autoconfig: the file's servers that could not be used, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<autoconfig::LeftOut>,
}

/// One server as a mail app holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Server {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// The user name for this address; `None` when it is not derived from the address (the
    /// rule and the provider's notes say what it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    pub username_rule: UsernameRule,
    /// The authentication an autoconfig file names (`password-cleartext`, `OAuth2`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<String>,
    /// From the provider tables: how sure they are of host, port and security (A the
    /// provider's page, B an open-source client's table, C a third party, D real
    /// configurations). C and D have been seen working but are not confirmed by the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<Grade>,
    /// From the provider tables: how sure they are of the user-name form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username_grade: Option<Grade>,
}

impl Server {
    pub fn endpoint(&self) -> Endpoint {
        Endpoint::new(self.protocol, self.host.clone(), self.port, self.security)
    }

    /// Whether the provider tables hold its host, port and security only from a third party
    /// or from real configurations (grade C or D): seen working, not confirmed.
    pub fn unconfirmed(&self) -> bool {
        self.grade.is_some_and(|g| !g.confirmed())
    }

    /// Whether the tables hold its user-name form only from grade C or D.
    pub fn username_unconfirmed(&self) -> bool {
        self.username_grade.is_some_and(|g| !g.confirmed())
    }
}

/// What became of a candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CandidateStatus {
    /// Published by the provider or the domain; not probed here (`maildoc check` tests it).
    Published,
    /// Not probed (yet).
    NotProbed,
    /// Answered in its protocol over encryption whose certificate verified.
    Answered,
    /// Answered over encryption, but the certificate did not verify.
    CertificateNotTrusted,
    /// Answered, but offers no encryption on this port (no STARTTLS).
    NoEncryption,
    /// Another protocol answered.
    OtherProtocol,
    /// The server greeted with a refusal.
    GreetingRefused,
    /// Connected, but no usable greeting.
    NoGreeting,
    /// The TLS handshake failed.
    TlsFailed,
    /// No address accepted a connection.
    ConnectFailed,
    /// The host name does not exist.
    Nxdomain,
    /// The host name has no address.
    Nodata,
    DnsFailed,
    DnsTimeout,
    /// Not needed: sources ranked higher had already given the settings.
    NotNeeded,
    /// Stopped by the run's deadline.
    Deadline,
}

/// How candidates compare: encrypted before plain, then by source, then by the source's
/// own order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rank {
    plain: bool,
    source: u32,
    order: u32,
}

/// A server some source proposed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    #[serde(flatten)]
    pub server: Server,
    pub source: SourceKind,
    /// Which part of the source: the provider's name, the URL, the SRV record's name, the
    /// guessed host.
    pub from: String,
    /// SRV priority and weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srv: Option<SrvOrder>,
    pub status: CandidateStatus,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
    /// What the probe saw (guessed servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<ServerEvidence>,
    #[serde(skip)]
    rank: Rank,
}

impl Candidate {
    /// Whether the recommendation may use it.
    pub fn usable(&self) -> bool {
        matches!(
            self.status,
            CandidateStatus::Published | CandidateStatus::Answered
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SrvOrder {
    pub priority: u16,
    pub weight: u16,
}

/// A recommended server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    #[serde(flatten)]
    pub server: Server,
    pub source: SourceKind,
    pub from: String,
    /// Index into [`Discovery::candidates`].
    pub candidate: usize,
}

/// How the provider was recognised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "by")]
pub enum FoundBy {
    /// The address's domain is one of the provider's mail domains.
    Domain,
    /// The domain's MX host is the provider's.
    Mx { exchange: String },
}

/// A provider note, in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: String,
    pub ja: String,
    pub en: String,
}

impl Note {
    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        }
    }
}

/// The provider the tables know for this address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundProvider {
    pub id: String,
    pub name: String,
    pub found_by: FoundBy,
    pub source: ProviderSource,
    /// The address cannot be used from a mail app at all (e.g. softbank.ne.jp is MMS).
    pub not_for_mail_apps: bool,
    pub notes: Vec<Note>,
    /// The provider's servers whose host name depends on the customer's contract (hosting
    /// companies): port, security, user name and grades are known, the host is to be copied
    /// from where the notes say (the control panel, the mail sent at sign-up).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_contract: Vec<ProviderServer>,
}

/// Everything discovery found. Its JSON form is versioned (`schema_version`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Discovery {
    pub schema_version: u32,
    pub maildoc_version: String,
    /// The address as understood (domain in A-labels).
    pub address: String,
    pub domain: String,
    #[serde(default)]
    pub normalizations: Vec<Normalization>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_server: Option<String>,
    pub elapsed_ms: u64,
    pub timeout_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<FoundProvider>,
    /// Incoming: IMAP when any source gave IMAP, else POP3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incoming: Option<Recommendation>,
    /// POP3 beside a recommended IMAP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative: Option<Recommendation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outgoing: Option<Recommendation>,
    pub sources: Vec<Source>,
    pub candidates: Vec<Candidate>,
}

impl Discovery {
    /// Both incoming and outgoing settings were found.
    pub fn found(&self) -> bool {
        self.incoming.is_some() && self.outgoing.is_some()
    }

    /// Where the recommended settings come from, as `check` reports it.
    pub fn settings_source(&self) -> SettingsSource {
        self.incoming
            .as_ref()
            .or(self.outgoing.as_ref())
            .map_or(SettingsSource::Guess, |r| r.source.into())
    }

    /// The best usable candidate of a protocol.
    fn best(&self, protocol: Protocol) -> Option<usize> {
        self.candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| c.server.protocol == protocol && c.usable())
            .min_by_key(|(_, c)| c.rank)
            .map(|(i, _)| i)
    }

    fn recommend(&mut self) {
        let not_for_apps = self.provider.as_ref().is_some_and(|p| p.not_for_mail_apps);
        let pick = |p| if not_for_apps { None } else { self.best(p) };
        let (imap, pop3, smtp) = (
            pick(Protocol::Imap),
            pick(Protocol::Pop3),
            pick(Protocol::Smtp),
        );
        let rec = |i: usize| {
            let c = &self.candidates[i];
            Recommendation {
                server: c.server.clone(),
                source: c.source,
                from: c.from.clone(),
                candidate: i,
            }
        };
        self.incoming = imap.or(pop3).map(rec);
        self.alternative = imap.and(pop3).map(rec);
        self.outgoing = smtp.map(rec);
    }

    /// The tables' answer is complete: the network need not be asked.
    pub fn settled_by_tables(&self) -> bool {
        self.provider.as_ref().is_some_and(|p| {
            p.found_by == FoundBy::Domain
                && (p.not_for_mail_apps || (self.incoming.is_some() && self.outgoing.is_some()))
        })
    }

    /// Candidates in the order they are preferred; the sources' indexes follow.
    fn sort_candidates(&mut self) {
        let mut order: Vec<usize> = (0..self.candidates.len()).collect();
        order.sort_by_key(|&i| (self.candidates[i].rank, i));
        let mut new_index = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        let mut taken: Vec<Option<Candidate>> = self.candidates.drain(..).map(Some).collect();
        self.candidates = order.iter().filter_map(|&i| taken[i].take()).collect();
        for s in &mut self.sources {
            for i in &mut s.candidates {
                *i = new_index[*i];
            }
        }
    }

    fn add(&mut self, source: usize, candidate: Candidate) -> usize {
        self.candidates.push(candidate);
        let index = self.candidates.len() - 1;
        if let Some(s) = self.sources.get_mut(source) {
            s.candidates.push(index);
        }
        index
    }
}

/// Discovers the settings of `address`. Remote failures are outcomes in the result; only
/// an address that cannot be used is an error. When the tables do not know the domain,
/// `progress` hears [`Event::Discovering`], then each source and each guessed server as it
/// is done.
pub async fn discover(
    env: &Env,
    address: &str,
    opts: &DiscoverOptions,
    mut progress: impl FnMut(Event) + Send,
) -> Result<Discovery, Error> {
    let (address, note) = input::parse_address(address).map_err(|error| Error::Address {
        typed: address.to_string(),
        error,
    })?;
    let ctx = ProbeContext {
        account: probe_account(&address),
        dns: env.dns.clone(),
        trust: env.trust.clone(),
        clock: RunClock::new(opts.timeout),
        now_unix: env.clock.now().unix_timestamp(),
        steps: None,
        delivery: None,
        search: None,
    };
    let mut d = tables(&address, note.into_iter().collect());
    d.timeout_ms = u64::try_from(opts.timeout.as_millis()).unwrap_or(u64::MAX);
    finish(&mut d, &address, &ctx, Need::All, &mut progress).await;
    Ok(d)
}

/// Discovery as a part of `check`: with the check's resolver, trust and clock, but no
/// password, and only as far as the check needs (no POP3 alternative beside IMAP).
pub(crate) async fn for_check(
    address: &Address,
    normalizations: Vec<Normalization>,
    check: &ProbeContext,
    budget: Duration,
) -> Discovery {
    let clock = check.clock.shortened(budget);
    let ctx = ProbeContext {
        account: probe_account(address),
        dns: check.dns.clone(),
        trust: check.trust.clone(),
        clock,
        now_unix: check.now_unix,
        steps: None,
        delivery: None,
        search: None,
    };
    let mut d = tables(address, normalizations);
    d.timeout_ms = maildoc_probe::clock::millis(budget);
    finish(&mut d, address, &ctx, Need::Check, &mut |_| {}).await;
    d
}

/// The account a guessed server is probed with: no password, no login.
fn probe_account(address: &Address) -> Account {
    Account {
        address: address.full(),
        local_part: address.local.clone(),
        username: address.full(),
        password: None,
        login: false,
        smtp_auth: true,
        allow_plaintext_login: false,
        suspect_host: false,
    }
}

/// Asks the network unless the tables have answered, then recommends.
async fn finish(
    d: &mut Discovery,
    address: &Address,
    ctx: &ProbeContext,
    need: Need,
    progress: &mut (dyn FnMut(Event) + Send),
) {
    d.dns_server = ctx.dns.server().map(|s| s.to_string());
    if d.settled_by_tables() {
        skip_network(d, &address.domain);
    } else {
        progress(Event::Discovering {
            domain: address.domain.clone(),
        });
        network(d, address, ctx, need, progress).await;
        d.sort_candidates();
        d.recommend();
    }
    d.elapsed_ms = ctx.clock.at_ms();
}

/// What the embedded tables alone say about an address: no network. When they know the
/// provider's servers, this is the whole answer.
pub fn tables(address: &Address, normalizations: Vec<Normalization>) -> Discovery {
    let full = address.full();
    let mut d = Discovery {
        schema_version: DISCOVERY_SCHEMA_VERSION,
        maildoc_version: env!("CARGO_PKG_VERSION").to_string(),
        address: full.clone(),
        domain: address.domain.clone(),
        normalizations,
        dns_server: None,
        elapsed_ms: 0,
        timeout_ms: 0,
        provider: None,
        incoming: None,
        alternative: None,
        outgoing: None,
        sources: Vec::new(),
        candidates: Vec::new(),
    };
    let info = providers::for_domain(&address.domain);
    d.sources.push(Source {
        kind: SourceKind::Provider,
        target: address.domain.clone(),
        outcome: if info.is_some() {
            SourceOutcome::Found
        } else {
            SourceOutcome::NotListed
        },
        detail: info.map(provider_detail).unwrap_or_default(),
        at_ms: 0,
        elapsed_ms: 0,
        candidates: Vec::new(),
        left_out: Vec::new(),
    });
    if let Some(p) = info {
        d.provider = Some(found_provider(p, FoundBy::Domain));
        add_provider_servers(&mut d, 0, p, SourceKind::Provider, RANK_PROVIDER, &full);
        d.recommend();
    }
    d
}

fn provider_detail(p: &ProviderInfo) -> String {
    match &p.source {
        ProviderSource::Ispdb { file } => format!("{} (ISPDB {file})", p.name),
        ProviderSource::Table { url } => format!("{} ({url})", p.name),
    }
}

fn found_provider(p: &ProviderInfo, found_by: FoundBy) -> FoundProvider {
    FoundProvider {
        per_contract: p
            .servers
            .iter()
            .filter(|s| s.host.is_none())
            .cloned()
            .collect(),
        id: p.id.clone(),
        name: p.name.clone(),
        found_by,
        source: p.source.clone(),
        not_for_mail_apps: p.not_for_mail_apps,
        notes: p
            .notes
            .iter()
            .map(|id| Note {
                id: id.clone(),
                ja: providers::note(id, Lang::Ja)
                    .unwrap_or_default()
                    .to_string(),
                en: providers::note(id, Lang::En)
                    .unwrap_or_default()
                    .to_string(),
            })
            .collect(),
    }
}

/// The provider's servers whose host is known, as published candidates.
fn add_provider_servers(
    d: &mut Discovery,
    source: usize,
    p: &ProviderInfo,
    kind: SourceKind,
    rank: u32,
    address: &str,
) {
    for (order, s) in p.servers.iter().enumerate() {
        let Some(host) = providers::host_for(s, address) else {
            continue;
        };
        let candidate = Candidate {
            server: Server {
                protocol: s.protocol,
                host,
                port: s.port,
                security: s.security,
                username: providers::username_for(s, address),
                username_rule: s.username.clone(),
                authentication: None,
                grade: Some(s.grade),
                username_grade: Some(s.username_grade),
            },
            source: kind,
            from: p.name.clone(),
            srv: None,
            status: CandidateStatus::Published,
            detail: String::new(),
            at_ms: None,
            elapsed_ms: None,
            evidence: None,
            rank: rank_of(s.security, rank, order),
        };
        d.add(source, candidate);
    }
}

fn rank_of(security: Security, source: u32, order: usize) -> Rank {
    Rank {
        plain: security == Security::Plain,
        source,
        order: u32::try_from(order).unwrap_or(u32::MAX),
    }
}

/// The autoconfig URLs of a domain, in the order they are preferred.
pub fn autoconfig_urls(domain: &str) -> [String; 2] {
    [
        format!("https://autoconfig.{domain}/mail/config-v1.1.xml"),
        format!("https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml"),
    ]
}

/// The guessed servers of a domain, in the order they are preferred: per protocol, host by
/// host, the SSL/TLS port before the STARTTLS port.
pub fn guesses(domain: &str) -> Vec<(Protocol, String, u16, Security)> {
    let hosts: [(Protocol, &[&str]); 3] = [
        (Protocol::Imap, &["imap.", "mail.", ""]),
        (Protocol::Pop3, &["pop3.", "pop.", "mail.", ""]),
        (Protocol::Smtp, &["smtp.", "mail.", ""]),
    ];
    let mut out = Vec::new();
    for (protocol, prefixes) in hosts {
        for prefix in prefixes {
            for security in [Security::Tls, Security::Starttls] {
                out.push((
                    protocol,
                    format!("{prefix}{domain}"),
                    protocol.default_port(security),
                    security,
                ));
            }
        }
    }
    out
}

/// The network sources, listed as not consulted.
fn skip_network(d: &mut Discovery, domain: &str) {
    let mut targets: Vec<(SourceKind, String)> = autoconfig_urls(domain)
        .into_iter()
        .map(|u| (SourceKind::Autoconfig, u))
        .collect();
    targets.extend(
        SRV_SERVICES
            .iter()
            .map(|(service, _, _)| (SourceKind::Srv, format!("{service}.{domain}"))),
    );
    targets.push((SourceKind::Mx, domain.to_string()));
    targets.push((SourceKind::Guess, domain.to_string()));
    for (kind, target) in targets {
        d.sources.push(Source {
            kind,
            target,
            outcome: SourceOutcome::Skipped,
            detail: String::new(),
            at_ms: 0,
            elapsed_ms: 0,
            candidates: Vec::new(),
            left_out: Vec::new(),
        });
    }
}

/// Which protocols discovery must settle before it may stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    /// `discover`: IMAP, POP3 (also as the alternative) and SMTP.
    All,
    /// `check`: IMAP and SMTP, POP3 only when there is no IMAP.
    Check,
}

/// A source still to be heard from.
#[derive(Debug)]
struct Contributor {
    rank: u32,
    protocols: &'static [Protocol],
    /// Its entry in `sources`.
    source: usize,
    /// A guess: its candidate.
    candidate: Option<usize>,
    done: bool,
}

const ALL: &[Protocol] = &[Protocol::Imap, Protocol::Pop3, Protocol::Smtp];
const IMAP: &[Protocol] = &[Protocol::Imap];
const POP3: &[Protocol] = &[Protocol::Pop3];
const SMTP: &[Protocol] = &[Protocol::Smtp];

fn only(protocol: Protocol) -> &'static [Protocol] {
    match protocol {
        Protocol::Imap => IMAP,
        Protocol::Pop3 => POP3,
        Protocol::Smtp => SMTP,
    }
}

/// What a finished source brought back.
#[derive(Debug)]
enum Done {
    Autoconfig(Fetch, StepTimer, u64),
    Srv(RecordLookup<SrvRecord>, StepTimer, u64),
    Mx(RecordLookup<MxRecord>, StepTimer, u64),
    Guess(Box<ServerEvidence>),
}

fn source(kind: SourceKind, target: String, at_ms: u64) -> Source {
    Source {
        kind,
        target,
        outcome: SourceOutcome::Deadline,
        detail: String::new(),
        at_ms,
        elapsed_ms: 0,
        candidates: Vec::new(),
        left_out: Vec::new(),
    }
}

/// Consults every network source at once and waits until the recommendation is settled,
/// every source has answered, or the deadline has passed.
async fn network(
    d: &mut Discovery,
    address: &Address,
    ctx: &ProbeContext,
    need: Need,
    progress: &mut (dyn FnMut(Event) + Send),
) {
    let domain = address.domain.clone();
    let clock = ctx.clock;
    let start = clock.at_ms();
    let mut contributors: Vec<Contributor> = Vec::new();
    let mut running: FuturesUnordered<BoxFuture<'_, (usize, Done)>> = FuturesUnordered::new();

    for (i, url) in autoconfig_urls(&domain).into_iter().enumerate() {
        d.sources
            .push(source(SourceKind::Autoconfig, url.clone(), start));
        contributors.push(Contributor {
            rank: RANK_AUTOCONFIG + u32::try_from(i).unwrap_or(0) * 10,
            protocols: ALL,
            source: d.sources.len() - 1,
            candidate: None,
            done: false,
        });
        let c = contributors.len() - 1;
        running.push(Box::pin(async move {
            let timer = StepTimer::start(&clock);
            let fetch = http::get_https(&url, &ctx.dns, &ctx.trust, &clock, AUTOCONFIG_MAX).await;
            let elapsed = timer.elapsed_ms();
            (c, Done::Autoconfig(fetch, timer, elapsed))
        }));
    }
    for (i, (service, protocol, _)) in SRV_SERVICES.iter().enumerate() {
        let name = format!("{service}.{domain}");
        d.sources.push(source(SourceKind::Srv, name.clone(), start));
        contributors.push(Contributor {
            rank: RANK_SRV + u32::try_from(i).unwrap_or(0) * 10,
            protocols: only(*protocol),
            source: d.sources.len() - 1,
            candidate: None,
            done: false,
        });
        let c = contributors.len() - 1;
        running.push(Box::pin(async move {
            let timer = StepTimer::start(&clock);
            let lookup = ctx.dns.srv(&name, &clock).await;
            let elapsed = timer.elapsed_ms();
            (c, Done::Srv(lookup, timer, elapsed))
        }));
    }
    d.sources
        .push(source(SourceKind::Mx, domain.clone(), start));
    contributors.push(Contributor {
        rank: RANK_MX,
        protocols: ALL,
        source: d.sources.len() - 1,
        candidate: None,
        done: false,
    });
    {
        let c = contributors.len() - 1;
        let domain = domain.clone();
        running.push(Box::pin(async move {
            let timer = StepTimer::start(&clock);
            let lookup = ctx.dns.mx(&domain, &clock).await;
            let elapsed = timer.elapsed_ms();
            (c, Done::Mx(lookup, timer, elapsed))
        }));
    }
    d.sources
        .push(source(SourceKind::Guess, domain.clone(), start));
    let guess_source = d.sources.len() - 1;
    let full = address.full();
    for (i, (protocol, host, port, security)) in guesses(&domain).into_iter().enumerate() {
        let rank = RANK_GUESS + u32::try_from(i).unwrap_or(0);
        let candidate = d.add(
            guess_source,
            Candidate {
                server: Server {
                    protocol,
                    host: host.clone(),
                    port,
                    security,
                    username: Some(full.clone()),
                    username_rule: UsernameRule::Address,
                    authentication: None,
                    grade: None,
                    username_grade: None,
                },
                source: SourceKind::Guess,
                from: host.clone(),
                srv: None,
                status: CandidateStatus::NotProbed,
                detail: String::new(),
                at_ms: None,
                elapsed_ms: None,
                evidence: None,
                rank: Rank {
                    plain: false,
                    source: rank,
                    order: 0,
                },
            },
        );
        contributors.push(Contributor {
            rank,
            protocols: only(protocol),
            source: guess_source,
            candidate: Some(candidate),
            done: false,
        });
        let c = contributors.len() - 1;
        let plan = ServerPlan {
            id: format!("guess-{}", i + 1),
            endpoint: Endpoint::new(protocol, host, port, security),
            origin: Origin::Guess,
            depth: ProbeDepth::Full,
        };
        running.push(Box::pin(async move {
            (c, Done::Guess(Box::new(server::probe(plan, ctx).await)))
        }));
    }

    // Every source stops itself at the deadline; the margin only guards against one that
    // could not be polled in time.
    let hard_stop = clock.deadline() + Duration::from_millis(500);
    while !settled(d, &contributors, need) {
        let Ok(Some((c, done))) = tokio::time::timeout_at(hard_stop, running.next()).await else {
            break;
        };
        contributors[c].done = true;
        let (source, rank) = (contributors[c].source, contributors[c].rank);
        match done {
            Done::Autoconfig(fetch, timer, elapsed) => {
                autoconfig_done(d, source, rank, fetch, address, &timer, elapsed);
            }
            Done::Srv(lookup, timer, elapsed) => {
                srv_done(d, source, rank, lookup, &full, &timer, elapsed);
            }
            Done::Mx(lookup, timer, elapsed) => {
                mx_done(d, source, lookup, &full, &timer, elapsed);
            }
            Done::Guess(ev) => {
                if let Some(i) = contributors[c].candidate {
                    guess_done(&mut d.candidates[i], *ev);
                    let guess = &d.candidates[i];
                    progress(Event::DiscoveryGuess {
                        endpoint: guess.server.endpoint(),
                        status: guess.status,
                    });
                }
                continue;
            }
        }
        if let Some(s) = d.sources.get(source) {
            progress(Event::DiscoverySource {
                kind: s.kind,
                target: s.target.clone(),
                outcome: s.outcome,
                elapsed_ms: s.elapsed_ms,
            });
        }
    }
    drop(running);
    let stopped = if clock.expired() {
        SourceOutcome::Deadline
    } else {
        SourceOutcome::NotNeeded
    };
    for c in contributors.iter().filter(|c| !c.done) {
        match c.candidate {
            Some(i) => {
                d.candidates[i].status = if stopped == SourceOutcome::Deadline {
                    CandidateStatus::Deadline
                } else {
                    CandidateStatus::NotNeeded
                };
            }
            None => {
                if let Some(s) = d.sources.get_mut(c.source) {
                    s.outcome = stopped;
                    s.elapsed_ms = clock.at_ms().saturating_sub(s.at_ms);
                }
            }
        }
    }
    summarize_guesses(d, guess_source, start);
}

/// Whether waiting longer could change the recommendation. For `discover`, which shows
/// every source with its outcome, the cheap sources (autoconfig, SRV, MX: one lookup or
/// fetch each) are always heard out; only guesses, which probe servers, are cut short.
fn settled(d: &Discovery, contributors: &[Contributor], need: Need) -> bool {
    if need == Need::All
        && contributors
            .iter()
            .any(|c| !c.done && c.candidate.is_none())
    {
        return false;
    }
    let one = |protocol: Protocol| {
        let best = d.best(protocol).map(|i| d.candidates[i].rank);
        let pending = contributors
            .iter()
            .filter(|c| !c.done && c.protocols.contains(&protocol))
            .map(|c| Rank {
                plain: false,
                source: c.rank,
                order: 0,
            })
            .min();
        match (best, pending) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(b), Some(p)) => b < p,
        }
    };
    let imap = one(Protocol::Imap);
    let pop3 = match need {
        Need::All => one(Protocol::Pop3),
        Need::Check => imap && (d.best(Protocol::Imap).is_some() || one(Protocol::Pop3)),
    };
    imap && pop3 && one(Protocol::Smtp)
}

fn dns_outcome(outcome: ResolveOutcome) -> SourceOutcome {
    match outcome {
        ResolveOutcome::Found => SourceOutcome::Found,
        ResolveOutcome::NotFound => SourceOutcome::Nxdomain,
        ResolveOutcome::NoAddress => SourceOutcome::Nodata,
        ResolveOutcome::ServerFailure | ResolveOutcome::ResolverError => SourceOutcome::DnsFailed,
        ResolveOutcome::Timeout => SourceOutcome::DnsTimeout,
    }
}

fn finish_source(
    s: &mut Source,
    outcome: SourceOutcome,
    detail: String,
    timer: &StepTimer,
    elapsed: u64,
) {
    s.outcome = outcome;
    s.detail = detail;
    s.at_ms = timer.at_ms();
    s.elapsed_ms = elapsed;
}

fn autoconfig_done(
    d: &mut Discovery,
    source: usize,
    rank: u32,
    fetch: Fetch,
    address: &Address,
    timer: &StepTimer,
    elapsed: u64,
) {
    let url = d.sources[source].target.clone();
    let (outcome, detail) = match fetch.outcome {
        FetchOutcome::Fetched => (SourceOutcome::Found, String::new()),
        FetchOutcome::BadUrl => (SourceOutcome::Invalid, fetch.detail.clone()),
        FetchOutcome::Unresolved(r) => (dns_outcome(r), fetch.detail.clone()),
        FetchOutcome::ConnectFailed => (SourceOutcome::ConnectFailed, fetch.detail.clone()),
        FetchOutcome::CertificateInvalid => {
            (SourceOutcome::CertificateInvalid, fetch.detail.clone())
        }
        FetchOutcome::TlsFailed => (SourceOutcome::TlsFailed, fetch.detail.clone()),
        FetchOutcome::Status(code) => (
            SourceOutcome::HttpStatus,
            format!("HTTP {code} {}", fetch.detail).trim().to_string(),
        ),
        FetchOutcome::NotHttp | FetchOutcome::TooLarge => {
            (SourceOutcome::Invalid, fetch.detail.clone())
        }
        FetchOutcome::Timeout => (SourceOutcome::Timeout, fetch.detail.clone()),
    };
    if outcome != SourceOutcome::Found {
        finish_source(&mut d.sources[source], outcome, detail, timer, elapsed);
        return;
    }
    let text = String::from_utf8_lossy(&fetch.body);
    let config = match autoconfig::parse(&text, &address.domain) {
        Ok(c) => c,
        Err(e) => {
            let detail = format!("not a settings file: {e}");
            finish_source(
                &mut d.sources[source],
                SourceOutcome::Invalid,
                detail,
                timer,
                elapsed,
            );
            return;
        }
    };
    // Encrypted before plain within the file too (see `Rank`); otherwise the file's order.
    for (order, s) in config.servers.iter().enumerate() {
        let (username_rule, username) = username_template(&s.username, address);
        let candidate = Candidate {
            server: Server {
                protocol: s.protocol,
                host: s.host.clone(),
                port: s.port,
                security: s.security,
                username,
                username_rule,
                authentication: s.authentication.clone(),
                grade: None,
                username_grade: None,
            },
            source: SourceKind::Autoconfig,
            from: url.clone(),
            srv: None,
            status: CandidateStatus::Published,
            detail: String::new(),
            at_ms: None,
            elapsed_ms: None,
            evidence: None,
            rank: rank_of(s.security, rank, order),
        };
        d.add(source, candidate);
    }
    let outcome = if config.servers.is_empty() {
        SourceOutcome::Invalid
    } else {
        SourceOutcome::Found
    };
    let s = &mut d.sources[source];
    finish_source(s, outcome, config.name.unwrap_or_default(), timer, elapsed);
    s.left_out = config.left_out;
}

/// An autoconfig user-name template as a rule, and its value for the address.
fn username_template(template: &str, address: &Address) -> (UsernameRule, Option<String>) {
    let full = address.full();
    match template {
        "%EMAILADDRESS%" | "%EMAILADDRESS" => (UsernameRule::Address, Some(full)),
        "%EMAILLOCALPART%" => (UsernameRule::LocalPart, Some(address.local.clone())),
        other => {
            let value = other
                .replace("%EMAILADDRESS%", &full)
                .replace("%EMAILADDRESS", &full)
                .replace("%EMAILLOCALPART%", &address.local)
                .replace("%EMAILDOMAIN%", &address.domain);
            (UsernameRule::Other(other.to_string()), Some(value))
        }
    }
}

fn srv_done(
    d: &mut Discovery,
    source: usize,
    rank: u32,
    lookup: RecordLookup<SrvRecord>,
    address: &str,
    timer: &StepTimer,
    elapsed: u64,
) {
    let service = SRV_SERVICES
        .iter()
        .find(|(name, _, _)| d.sources[source].target.starts_with(&format!("{name}.")))
        .copied();
    let Some((_, protocol, security)) = service else {
        return;
    };
    let offered: Vec<&SrvRecord> = lookup
        .records
        .iter()
        .filter(|r| r.target != "." && r.port != 0)
        .collect();
    let records: Vec<String> = lookup
        .records
        .iter()
        .map(|r| format!("{} {} {} {}", r.priority, r.weight, r.port, r.target))
        .collect();
    let (outcome, detail) = match lookup.outcome {
        ResolveOutcome::Found if offered.is_empty() => {
            (SourceOutcome::NotOffered, records.join(", "))
        }
        ResolveOutcome::Found => (SourceOutcome::Found, records.join(", ")),
        other => (dns_outcome(other), lookup.detail.clone()),
    };
    for (order, r) in offered.iter().enumerate() {
        let candidate = Candidate {
            server: Server {
                protocol,
                host: r.target.clone(),
                port: r.port,
                security,
                username: Some(address.to_string()),
                username_rule: UsernameRule::Address,
                authentication: None,
                grade: None,
                username_grade: None,
            },
            source: SourceKind::Srv,
            from: d.sources[source].target.clone(),
            srv: Some(SrvOrder {
                priority: r.priority,
                weight: r.weight,
            }),
            status: CandidateStatus::Published,
            detail: String::new(),
            at_ms: None,
            elapsed_ms: None,
            evidence: None,
            rank: rank_of(security, rank, order),
        };
        d.add(source, candidate);
    }
    finish_source(&mut d.sources[source], outcome, detail, timer, elapsed);
}

fn mx_done(
    d: &mut Discovery,
    source: usize,
    lookup: RecordLookup<MxRecord>,
    address: &str,
    timer: &StepTimer,
    elapsed: u64,
) {
    let hosts: Vec<String> = lookup
        .records
        .iter()
        .map(|r| format!("{} {}", r.preference, r.exchange))
        .collect();
    if lookup.outcome != ResolveOutcome::Found {
        let outcome = dns_outcome(lookup.outcome);
        finish_source(
            &mut d.sources[source],
            outcome,
            lookup.detail,
            timer,
            elapsed,
        );
        return;
    }
    let known = lookup
        .records
        .iter()
        .find_map(|r| providers::for_mx(&r.exchange).map(|p| (r, p)));
    let Some((record, p)) = known else {
        let detail = hosts.join(", ");
        finish_source(
            &mut d.sources[source],
            SourceOutcome::NotListed,
            detail,
            timer,
            elapsed,
        );
        return;
    };
    let detail = format!("{} → {}", record.exchange, provider_detail(p));
    if d.provider.is_none() {
        d.provider = Some(found_provider(
            p,
            FoundBy::Mx {
                exchange: record.exchange.clone(),
            },
        ));
    }
    add_provider_servers(d, source, p, SourceKind::Mx, RANK_MX, address);
    finish_source(
        &mut d.sources[source],
        SourceOutcome::Found,
        detail,
        timer,
        elapsed,
    );
}

fn guess_done(c: &mut Candidate, ev: ServerEvidence) {
    let (status, detail) = judge(&ev);
    c.status = status;
    c.detail = detail;
    let start = ev.steps.first().map(|s| s.at_ms);
    let end = ev.steps.iter().map(|s| s.at_ms + s.elapsed_ms).max();
    c.at_ms = start;
    c.elapsed_ms = start.zip(end).map(|(s, e)| e.saturating_sub(s));
    c.evidence = Some(ev);
}

/// What a probe of a guessed server says about it.
pub fn judge(ev: &ServerEvidence) -> (CandidateStatus, String) {
    let mut connected = false;
    let mut connect_detail = String::new();
    let mut greeted = false;
    let mut verification: Option<CertVerification> = None;
    for step in &ev.steps {
        match &step.kind {
            StepKind::InvalidHost { host, .. } => {
                return (CandidateStatus::DnsFailed, host.clone());
            }
            StepKind::Resolve {
                outcome, detail, ..
            } => {
                let status = match outcome {
                    ResolveOutcome::Found => continue,
                    ResolveOutcome::NotFound => CandidateStatus::Nxdomain,
                    ResolveOutcome::NoAddress => CandidateStatus::Nodata,
                    ResolveOutcome::Timeout => CandidateStatus::DnsTimeout,
                    ResolveOutcome::ServerFailure | ResolveOutcome::ResolverError => {
                        CandidateStatus::DnsFailed
                    }
                };
                return (status, detail.clone());
            }
            StepKind::Connect {
                outcome, detail, ..
            } => {
                if *outcome == ConnectOutcome::Connected {
                    connected = true;
                } else if *outcome != ConnectOutcome::Abandoned {
                    connect_detail = detail.clone();
                }
            }
            StepKind::Tls(t) => {
                if t.handshake == TlsHandshake::Failed {
                    let detail = t.failure.as_ref().map(|f| f.detail.clone());
                    return (CandidateStatus::TlsFailed, detail.unwrap_or_default());
                }
                verification = Some(t.verification);
            }
            StepKind::Greeting { outcome, text, .. } => match outcome {
                GreetingOutcome::Ready => greeted = true,
                GreetingOutcome::OtherProtocol => {
                    return (CandidateStatus::OtherProtocol, text.clone());
                }
                GreetingOutcome::Refused => {
                    return (CandidateStatus::GreetingRefused, text.clone());
                }
                _ => return (CandidateStatus::NoGreeting, text.clone()),
            },
            StepKind::Starttls { outcome, reply } => match outcome {
                StarttlsOutcome::Accepted => {}
                StarttlsOutcome::NotOffered | StarttlsOutcome::Refused => {
                    return (CandidateStatus::NoEncryption, reply.clone());
                }
            },
            StepKind::Deadline { .. } if !(greeted && verification.is_some()) => {
                return (CandidateStatus::Deadline, String::new());
            }
            _ => {}
        }
    }
    if !connected {
        return (CandidateStatus::ConnectFailed, connect_detail);
    }
    match (greeted, verification) {
        (false, _) => (CandidateStatus::NoGreeting, String::new()),
        (true, Some(CertVerification::Valid)) => (CandidateStatus::Answered, String::new()),
        (true, Some(v)) => (CandidateStatus::CertificateNotTrusted, format!("{v:?}")),
        (true, None) => (CandidateStatus::NoEncryption, String::new()),
    }
}

/// The guess source's outcome and timing, from its candidates.
fn summarize_guesses(d: &mut Discovery, source: usize, start: u64) {
    let statuses: Vec<CandidateStatus> = d.sources[source]
        .candidates
        .iter()
        .map(|&i| d.candidates[i].status)
        .collect();
    let end = d.sources[source]
        .candidates
        .iter()
        .filter_map(|&i| {
            let c = &d.candidates[i];
            c.at_ms.zip(c.elapsed_ms).map(|(a, e)| a + e)
        })
        .max()
        .unwrap_or(start);
    let answered = statuses
        .iter()
        .filter(|s| **s == CandidateStatus::Answered)
        .count();
    let probed = statuses
        .iter()
        .filter(|s| {
            !matches!(
                s,
                CandidateStatus::NotNeeded | CandidateStatus::NotProbed | CandidateStatus::Deadline
            )
        })
        .count();
    let s = &mut d.sources[source];
    s.elapsed_ms = end.saturating_sub(start);
    s.detail = format!("{answered}/{probed}");
    s.outcome = if answered > 0 {
        SourceOutcome::Found
    } else if statuses.contains(&CandidateStatus::Deadline) {
        SourceOutcome::Deadline
    } else if probed == 0 {
        SourceOutcome::NotNeeded
    } else {
        SourceOutcome::NothingAnswered
    };
}

#[cfg(test)]
mod tests;
