//! `maildoc domain DOMAIN`: the sending domain's posture (issue 5). DNS (and the MTA-STS
//! policy over HTTPS) is read through maildoc-probe under one deadline, the rules of
//! `maildoc_diagnose::domain` turn the evidence into findings, and the knowledge base words
//! them. Exit codes as `check`: 0 nothing to fix, 1 problems, 2 cannot run, 3 usage.

use crate::args::{self, FormatArg, NetArgs};
use crate::{EXIT_CANNOT_RUN, EXIT_USAGE};
use clap::Args;
use futures_util::future::join_all;
use maildoc_diagnose::domain::{self as rules, AppliedDmarc, psl};
use maildoc_model::domain::*;
use maildoc_model::{Finding, ResolveOutcome, Severity};
use maildoc_probe::clock::RunClock;
use maildoc_probe::dns::{Dns, MxRecord, RecordLookup, Resolution};
use maildoc_probe::http::{FetchOutcome, get_https};
use maildoc_probe::spf_dns::SpfResolver;
use maildoc_probe::tls::Trust;
use maildoc_report::{Format, Lang, ui};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::process::ExitCode;

mod bulk;

/// The largest MTA-STS policy file read (RFC 8461 §3.3 suggests 64 KiB).
const MAX_POLICY: usize = 64 * 1024;

/// `maildoc domain`.
#[derive(Debug, Args)]
pub struct DomainArgs {
    #[arg(required_unless_present = "from", conflicts_with = "from")]
    pub domain: Option<String>,
    #[arg(long, value_name = "FILE|-")]
    pub from: Option<std::path::PathBuf>,
    #[arg(long, default_value_t = 32, value_name = "N", requires = "from")]
    pub concurrency: usize,
    #[arg(long, default_value_t = 500, value_name = "QUERIES")]
    pub rate: u32,
    #[arg(long = "dkim-selector", value_name = "SELECTOR")]
    pub dkim_selector: Vec<String>,
    #[arg(long, value_name = "IP")]
    pub ip: Option<IpAddr>,
    #[arg(long, value_name = "ADDRESS")]
    pub mail_from: Option<String>,
    #[arg(long = "dnsbl-zone", value_name = "ZONE")]
    pub dnsbl_zone: Vec<String>,
    #[arg(long = "approved-mx", value_name = "HOST")]
    pub approved_mx: Vec<String>,
    #[arg(long = "approved-ns", value_name = "HOST")]
    pub approved_ns: Vec<String>,
    #[arg(long)]
    pub parked: bool,
    #[arg(
        long = "bimi-selector",
        value_name = "SELECTOR",
        default_value = "default"
    )]
    pub bimi_selector: String,
    #[arg(long)]
    pub smtp: bool,
    #[command(flatten)]
    pub net: NetArgs,
    /// human when one domain is given, json (JSON Lines) with --from.
    #[arg(long, value_enum, value_name = "human|json|markdown")]
    pub format: Option<FormatArg>,
}

const HELP: &[(&str, &str)] = &[
    ("domain", "help-domain-domain"),
    ("from", "help-domain-from"),
    ("concurrency", "help-domain-concurrency"),
    ("rate", "help-domain-rate"),
    ("dkim_selector", "help-dkim-selector"),
    ("ip", "help-domain-ip"),
    ("mail_from", "help-mail-from"),
    ("dnsbl_zone", "help-dnsbl-zone"),
    ("approved_mx", "help-approved-mx"),
    ("approved_ns", "help-approved-ns"),
    ("parked", "help-parked"),
    ("bimi_selector", "help-bimi-selector"),
    ("smtp", "help-domain-smtp"),
    ("dns_server", "help-dns-server"),
    ("ca_file", "help-ca-file"),
    ("timeout", "help-timeout"),
    ("format", "help-domain-format"),
];

pub fn localize_help(cmd: clap::Command, lang: Lang) -> clap::Command {
    cmd.mut_subcommand("domain", |sub| {
        let sub = sub
            .about(ui::text("help-domain", lang))
            .after_help(ui::text("help-domain-after", lang));
        args::localize_args(sub, HELP, lang)
    })
}

pub fn run(args: DomainArgs, lang_flag: Option<&str>) -> ExitCode {
    let lang = crate::args::language(lang_flag);
    if let Some(problem) = args
        .mail_from
        .as_deref()
        .and_then(|from| crate::address::problem(from, lang))
    {
        return crate::usage(&problem);
    }
    let net = match args.net.checked(lang) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let trust = match Trust::new(net.ca_pem.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("maildoc: {e}");
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
    };
    let mut opts = Options {
        domain: String::new(),
        selectors: args.dkim_selector.clone(),
        ip: args.ip,
        mail_from: args.mail_from.clone(),
        dns_server: net.dns_server,
        smtp: args.smtp,
        approved_mx: host_list(&args.approved_mx),
        approved_ns: host_list(&args.approved_ns),
        parked: args.parked,
        bimi_selector: args.bimi_selector.trim().to_ascii_lowercase(),
        dnsbl_zones: if args.dnsbl_zone.is_empty() {
            rules::dnsbl::default_zones()
        } else {
            args.dnsbl_zone
                .iter()
                .map(|z| z.trim().trim_end_matches('.').to_ascii_lowercase())
                .filter(|z| !z.is_empty())
                .collect()
        },
    };
    let dns = || Dns::new(net.dns_server).with_rate_cap(args.rate);
    if let Some(from) = &args.from {
        if !matches!(args.format, None | Some(FormatArg::Json)) {
            eprintln!("maildoc: {}", ui::text("error-domain-bulk-format", lang));
            return ExitCode::from(EXIT_USAGE);
        }
        let bulk = bulk::Bulk {
            opts,
            concurrency: args.concurrency.max(1),
            timeout: net.timeout,
            lang,
        };
        return bulk.run(from, dns(), trust);
    }
    opts.domain = match normalize_domain(args.domain.as_deref().unwrap_or_default()) {
        Ok(d) => d,
        Err(detail) => {
            eprintln!(
                "maildoc: {}",
                ui::fill("error-domain", lang, &[("detail", &detail)])
            );
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let report = runtime.block_on(async {
        let clock = RunClock::new(net.timeout);
        check(&opts, &dns(), &trust, &clock).await
    });
    let format = match args.format.unwrap_or(FormatArg::Human) {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        FormatArg::Markdown => Format::Markdown,
    };
    let text = match format {
        Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default(),
        Format::Markdown => markdown(&report, lang),
        Format::Human => human(&report, lang),
    };
    crate::write_result(&text, report.has_problems())
}

/// A domain as typed: trimmed, without a final dot or a leading `@`/address part, in its
/// ASCII form.
pub(crate) fn normalize_domain(input: &str) -> Result<String, String> {
    let t = input.trim().trim_end_matches('.');
    let t = t.rsplit_once('@').map_or(t, |(_, d)| d);
    let (ascii, _) = maildoc_model::input::domain_to_ascii(t)?;
    let ascii = ascii.to_ascii_lowercase();
    if !ascii.contains('.') {
        return Err(format!("\"{}\" is not a domain name", input.trim()));
    }
    Ok(ascii)
}

/// Host names as given on the command line: trimmed, lower case, without the final dot.
fn host_list(given: &[String]) -> Vec<String> {
    given
        .iter()
        .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect()
}

/// What to look at.
#[derive(Clone, Debug)]
pub struct Options {
    pub domain: String,
    pub selectors: Vec<String>,
    pub ip: Option<IpAddr>,
    pub mail_from: Option<String>,
    pub dns_server: Option<std::net::SocketAddr>,
    /// The DNS blocklists to ask (`--dnsbl-zone`, else the built-in ones).
    pub dnsbl_zones: Vec<String>,
    /// `--approved-mx`: the mail servers the domain should use (hosts, or domains whose
    /// hosts are all approved), lower case without the final dot.
    pub approved_mx: Vec<String>,
    /// `--approved-ns`: the name servers the domain should use, in the same form.
    pub approved_ns: Vec<String>,
    /// `--parked`: the domain sends and receives no mail, and should say so.
    pub parked: bool,
    /// `--bimi-selector`: the BIMI selector to look up (`default`).
    pub bimi_selector: String,
    /// `--smtp`: connect to port 25 of each MX host.
    pub smtp: bool,
}

/// `--smtp`: each MX host on port 25 with maildoc-probe's SMTP session at
/// [`ProbeDepth::Transport`](maildoc_model::ProbeDepth::Transport): greeting, EHLO,
/// STARTTLS, TLS, QUIT; no login and no envelope (the server is another party's). All at
/// once, each under the run's deadline.
async fn mx_smtp(
    hosts: &[MxHost],
    domain: &str,
    dns: &Dns,
    trust: &Trust,
    clock: &RunClock,
) -> Vec<maildoc_model::ServerEvidence> {
    use maildoc_model::{Endpoint, Origin, ProbeDepth, Protocol, Security};
    use maildoc_probe::context::{Account, ProbeContext};
    use maildoc_probe::server::{ServerPlan, probe};
    let ctx = ProbeContext {
        account: Account {
            address: format!("postmaster@{domain}"),
            local_part: "postmaster".to_string(),
            username: String::new(),
            password: None,
            login: false,
            smtp_auth: false,
            allow_plaintext_login: false,
            suspect_host: false,
        },
        dns: dns.clone(),
        trust: trust.clone(),
        clock: *clock,
        now_unix: i64::try_from(maildoc_probe::clock::now_unix()).unwrap_or_default(),
    };
    let mut names: Vec<&str> = Vec::new();
    for h in hosts {
        if h.exchange != "." && !names.contains(&h.exchange.as_str()) {
            names.push(&h.exchange);
        }
    }
    join_all(names.iter().enumerate().map(|(i, host)| {
        probe(
            ServerPlan {
                id: format!("mx{}", i + 1),
                endpoint: Endpoint::new(Protocol::Smtp, *host, 25, Security::Starttls),
                origin: Origin::Flag,
                depth: ProbeDepth::Transport,
            },
            &ctx,
        )
    }))
    .await
}

/// How many blocklist queries are in flight at once.
const DNSBL_CONCURRENCY: usize = 16;

/// Each address (of the MX hosts and `--ip`) against each zone (IPv6 addresses only against
/// the zones that list IPv6): the A query, then the TXT query for the reason when the A
/// query answered. At most [`DNSBL_CONCURRENCY`] at
/// once, each under the run's clock.
async fn dnsbl(
    dns: &Dns,
    zones: &[String],
    addresses: Vec<(String, IpAddr)>,
    clock: &RunClock,
) -> Vec<DnsblCheck> {
    use futures_util::stream::{self, StreamExt};
    let mut seen: Vec<IpAddr> = Vec::new();
    let mut jobs: Vec<(String, IpAddr, String, String)> = Vec::new();
    for (source, ip) in addresses {
        if seen.contains(&ip) {
            continue;
        }
        seen.push(ip);
        for zone in zones {
            if ip.is_ipv4() || rules::dnsbl::lists_ipv6(zone) {
                let name = rules::dnsbl::query_name(ip, zone);
                jobs.push((source.clone(), ip, zone.clone(), name));
            }
        }
    }
    stream::iter(jobs)
        .map(|(source, ip, zone, name)| async move {
            let query = lookup(&name, "A", dns.a(&name, clock).await, |a| a.to_string());
            let txt = if query.outcome == ResolveOutcome::Found {
                Some(txt(dns, &name, clock).await)
            } else {
                None
            };
            DnsblCheck {
                address: ip.to_string(),
                source,
                zone,
                query,
                txt,
            }
        })
        .buffered(DNSBL_CONCURRENCY)
        .collect()
        .await
}

fn lookup<T>(
    name: &str,
    rtype: &str,
    l: RecordLookup<T>,
    show: impl Fn(&T) -> String,
) -> DnsLookup {
    DnsLookup {
        name: name.to_string(),
        rtype: rtype.to_string(),
        outcome: l.outcome,
        records: l.records.iter().map(show).collect(),
        detail: l.detail,
        authentic_data: l.authentic_data,
    }
}

/// The DNSSEC evidence of `zone` from the probe's check.
fn dnssec_evidence(zone: String, chain: maildoc_probe::dns::DnssecChain) -> DnssecEvidence {
    DnssecEvidence {
        ds: lookup(&zone, "DS", chain.ds, Clone::clone),
        zone,
        status: chain.status,
        detail: chain.detail,
    }
}

/// The DNSSEC check of each zone the MX hosts live in, each zone once, in the MX order.
async fn mx_dnssec(dns: &Dns, records: &[MxRecord], clock: &RunClock) -> Vec<DnssecEvidence> {
    let mut hosts: Vec<&str> = Vec::new();
    for r in records {
        if r.exchange != "." && !hosts.contains(&r.exchange.as_str()) {
            hosts.push(&r.exchange);
        }
    }
    let mut zones: Vec<String> = Vec::new();
    for zone in join_all(hosts.iter().map(|h| dns.zone_of(h, clock)))
        .await
        .into_iter()
        .flatten()
    {
        if !zones.contains(&zone) {
            zones.push(zone);
        }
    }
    join_all(zones.into_iter().map(|zone| async move {
        let chain = dns.dnssec(&zone, clock).await;
        dnssec_evidence(zone, chain)
    }))
    .await
}

async fn txt(dns: &Dns, name: &str, clock: &RunClock) -> DnsLookup {
    lookup(name, "TXT", dns.txt(name, clock).await, String::clone)
}

/// PTR of `ip`, and which PTR names resolve back to it.
async fn reverse(dns: &Dns, ip: IpAddr, clock: &RunClock) -> ReverseDns {
    let name = maildoc_probe::dns::reverse_name(ip);
    let ptr = lookup(&name, "PTR", dns.ptr(ip, clock).await, String::clone);
    let forwards = join_all(ptr.records.iter().map(|n| dns.resolve(n, clock))).await;
    let confirmed = ptr
        .records
        .iter()
        .zip(forwards)
        .filter(|(_, f)| f.addresses.contains(&ip))
        .map(|(n, _)| n.clone())
        .collect();
    ReverseDns {
        address: ip.to_string(),
        ptr,
        confirmed,
    }
}

/// The A and AAAA lookup of `name` as evidence.
fn addresses_lookup(name: &str, found: Resolution) -> DnsLookup {
    DnsLookup {
        name: name.to_string(),
        rtype: "A/AAAA".into(),
        outcome: found.outcome,
        records: found.addresses.iter().map(IpAddr::to_string).collect(),
        detail: found.detail,
        authentic_data: false,
    }
}

async fn mx_host(dns: &Dns, preference: u16, exchange: String, clock: &RunClock) -> MxHost {
    if exchange == "." {
        return MxHost {
            preference,
            exchange,
            cname: None,
            addresses: DnsLookup {
                name: ".".into(),
                rtype: "A/AAAA".into(),
                outcome: ResolveOutcome::NotFound,
                records: Vec::new(),
                detail: String::new(),
                authentic_data: false,
            },
            reverse: Vec::new(),
            tlsa: None,
        };
    }
    let tlsa_name = format!("_25._tcp.{exchange}");
    let (found, cname, tlsa) = tokio::join!(
        dns.resolve(&exchange, clock),
        dns.cname(&exchange, clock),
        dns.tlsa(&tlsa_name, clock)
    );
    let reverse = join_all(found.addresses.iter().map(|ip| reverse(dns, *ip, clock))).await;
    let tlsa = lookup(&tlsa_name, "TLSA", tlsa, |t| {
        format!("{} {} {} {}", t.usage, t.selector, t.matching, t.data_hex)
    });
    MxHost {
        preference,
        cname: cname.records.first().cloned(),
        addresses: addresses_lookup(&exchange, found),
        exchange,
        reverse,
        tlsa: (tlsa.outcome == ResolveOutcome::Found).then_some(tlsa),
    }
}

async fn dmarc(dns: &Dns, domain: &str, clock: &RunClock) -> DmarcEvidence {
    let org_domain = psl::org_domain(domain).unwrap_or_else(|| domain.to_string());
    let mut ev = DmarcEvidence {
        lookup: txt(dns, &format!("_dmarc.{domain}"), clock).await,
        org_domain: org_domain.clone(),
        org_lookup: None,
        report_authorizations: Vec::new(),
        report_mx: Vec::new(),
        report_addresses: Vec::new(),
    };
    let own = ev
        .lookup
        .records
        .iter()
        .any(|r| rules::records::is_dmarc(r));
    if !own && !ev.lookup.is_inconclusive() && org_domain != domain {
        ev.org_lookup = Some(txt(dns, &format!("_dmarc.{org_domain}"), clock).await);
    }
    let (names, destinations): (Vec<String>, Vec<String>) = match rules::applied_dmarc(&ev) {
        AppliedDmarc::Record {
            record_domain,
            record,
            ..
        } => (
            rules::external_report_destinations(record_domain, record)
                .iter()
                .map(|dest| rules::report_authorization_name(record_domain, dest))
                .collect(),
            rules::report_destination_domains(record),
        ),
        _ => (Vec::new(), Vec::new()),
    };
    let (authorizations, mail) = tokio::join!(
        join_all(names.iter().map(|n| txt(dns, n, clock))),
        join_all(destinations.iter().map(|d| report_mail(dns, d, clock)))
    );
    ev.report_authorizations = authorizations;
    for (mx, addresses) in mail {
        ev.report_mx.push(mx);
        ev.report_addresses.extend(addresses);
    }
    ev
}

/// Whether a report destination can take mail: its MX, and its address when it has none.
async fn report_mail(dns: &Dns, dest: &str, clock: &RunClock) -> (DnsLookup, Option<DnsLookup>) {
    let mx = lookup(dest, "MX", dns.mx(dest, clock).await, |r| {
        format!("{} {}", r.preference, r.exchange)
    });
    let addresses = if mx.outcome == ResolveOutcome::NoAddress {
        Some(addresses_lookup(dest, dns.resolve(dest, clock).await))
    } else {
        None
    };
    (mx, addresses)
}

/// The largest BIMI logo or mark certificate file read (a logo may be at most 32 KB; a
/// larger one is reported as such).
const MAX_BIMI_FILE: usize = 64 * 1024;

/// The BIMI record at `name` and, when it names them, its logo and mark certificate.
async fn bimi(
    dns: &Dns,
    trust: &Trust,
    name: &str,
    clock: &RunClock,
) -> (DnsLookup, Option<BimiEvidence>) {
    let record = txt(dns, name, clock).await;
    let found: Vec<&String> = record
        .records
        .iter()
        .filter(|r| rules::records::is_bimi(r))
        .collect();
    let parsed = match found.as_slice() {
        [one] => rules::records::parse_bimi(one).ok(),
        _ => None,
    };
    let Some(parsed) = parsed else {
        return (record, None);
    };
    if parsed.logo.is_empty() && parsed.certificate.is_empty() {
        return (record, None);
    }
    let logo = async {
        if parsed.logo.is_empty() {
            None
        } else {
            Some(bimi_logo(&parsed.logo, dns, trust, clock).await)
        }
    };
    let certificate = async {
        if parsed.certificate.is_empty() {
            None
        } else {
            Some(mark_certificate(&parsed.certificate, dns, trust, clock).await)
        }
    };
    let (logo, certificate) = tokio::join!(logo, certificate);
    (record, Some(BimiEvidence { logo, certificate }))
}

async fn bimi_logo(url: &str, dns: &Dns, trust: &Trust, clock: &RunClock) -> BimiLogo {
    let fetch = get_https(url, dns, trust, clock, MAX_BIMI_FILE).await;
    let mut logo = BimiLogo {
        url: url.to_string(),
        fetched: fetch.outcome == FetchOutcome::Fetched,
        detail: String::new(),
        content_type: fetch.content_type,
        size: fetch.body.len(),
        sha256: String::new(),
        svg: None,
    };
    if !logo.fetched {
        logo.detail = fetch_failure(&fetch.outcome, &fetch.detail);
        return logo;
    }
    logo.sha256 = maildoc_probe::bimi::sha256_hex(&fetch.body);
    match maildoc_probe::bimi::svg_facts(&fetch.body) {
        Ok(facts) => logo.svg = Some(facts),
        Err(e) => logo.detail = e,
    }
    logo
}

async fn mark_certificate(
    url: &str,
    dns: &Dns,
    trust: &Trust,
    clock: &RunClock,
) -> MarkCertificate {
    let fetch = get_https(url, dns, trust, clock, MAX_BIMI_FILE).await;
    if fetch.outcome != FetchOutcome::Fetched {
        return MarkCertificate::not_fetched(url, fetch_failure(&fetch.outcome, &fetch.detail));
    }
    maildoc_probe::bimi::mark_certificate(
        url,
        &fetch.body,
        trust.extra_roots(),
        maildoc_probe::clock::now_unix(),
    )
}

async fn mta_sts(dns: &Dns, trust: &Trust, domain: &str, clock: &RunClock) -> MtaStsEvidence {
    let txt = txt(dns, &format!("_mta-sts.{domain}"), clock).await;
    let announced = txt.records.iter().any(|r| rules::records::is_mta_sts(r));
    let policy = if announced {
        let url = format!("https://mta-sts.{domain}/.well-known/mta-sts.txt");
        let fetch = get_https(&url, dns, trust, clock, MAX_POLICY).await;
        let fetched = fetch.outcome == FetchOutcome::Fetched;
        Some(PolicyFetch {
            url,
            fetched,
            body: if fetched {
                String::from_utf8_lossy(&fetch.body).into_owned()
            } else {
                String::new()
            },
            content_type: fetch.content_type,
            detail: if fetched {
                String::new()
            } else {
                fetch_failure(&fetch.outcome, &fetch.detail)
            },
        })
    } else {
        None
    };
    MtaStsEvidence { txt, policy }
}

fn fetch_failure(outcome: &FetchOutcome, detail: &str) -> String {
    let what = match outcome {
        FetchOutcome::Unresolved(ResolveOutcome::NotFound) => {
            return "mta-sts host does not exist (NXDOMAIN)".to_string();
        }
        FetchOutcome::Unresolved(_) => return format!("mta-sts host has no address ({detail})"),
        FetchOutcome::CertificateInvalid => "the certificate did not verify".to_string(),
        FetchOutcome::Status(code) => format!("HTTP status {code}"),
        other => format!("{other:?}"),
    };
    if detail.is_empty() {
        what
    } else {
        format!("{what} ({detail})")
    }
}

/// Looks everything up (at once where possible) and runs the rules.
pub async fn check(opts: &Options, dns: &Dns, trust: &Trust, clock: &RunClock) -> DomainReport {
    let domain = opts.domain.as_str();
    let started_at_unix = maildoc_probe::clock::now_unix();
    let mut selectors: Vec<(String, bool)> = opts
        .selectors
        .iter()
        .map(|s| (s.trim().to_ascii_lowercase(), true))
        .filter(|(s, _)| !s.is_empty())
        .collect();
    for s in rules::COMMON_DKIM_SELECTORS {
        if !selectors.iter().any(|(g, _)| g == s) {
            selectors.push((s.to_string(), false));
        }
    }
    let mx_part = async {
        let mx = dns.mx(domain, clock).await;
        let hosts = join_all(
            mx.records
                .iter()
                .map(|r| mx_host(dns, r.preference, r.exchange.clone(), clock)),
        );
        let (hosts, zones) = tokio::join!(hosts, mx_dnssec(dns, &mx.records, clock));
        (
            lookup(domain, "MX", mx, |r| {
                format!("{} {}", r.preference, r.exchange)
            }),
            hosts,
            zones,
        )
    };
    let dkim_part = join_all(selectors.iter().map(|(s, given)| async move {
        DkimEvidence {
            selector: s.clone(),
            given: *given,
            lookup: txt(dns, &format!("{s}._domainkey.{domain}"), clock).await,
        }
    }));
    let ip_part = async {
        match opts.ip {
            Some(ip) => Some(reverse(dns, ip, clock).await),
            None => None,
        }
    };
    let tlsrpt_name = format!("_smtp._tls.{domain}");
    let spf_part = spf(opts, dns, clock, started_at_unix);
    let bimi_name = format!("{}._bimi.{domain}", opts.bimi_selector);
    // NS and DNSKEY records live at the top of the zone, which may be above the domain.
    let zone_part = async {
        let zone_and_keys = async {
            let zone = dns
                .zone_of(domain, clock)
                .await
                .unwrap_or_else(|| domain.to_string());
            let (ns, chain) =
                tokio::join!(dns.ns(&zone, clock), dns.dnssec_at(domain, &zone, clock));
            let dnskey = lookup(&zone, "DNSKEY", chain.dnskey.clone(), Clone::clone);
            (
                lookup(&zone, "NS", ns, Clone::clone),
                dnskey,
                dnssec_evidence(zone, chain),
            )
        };
        let ((ns, dnskey, dnssec), (bimi, bimi_assets)) =
            tokio::join!(zone_and_keys, bimi(dns, trust, &bimi_name, clock));
        (ns, dnskey, dnssec, bimi, bimi_assets)
    };
    let (
        (mx, mx_hosts, mx_dnssec),
        dmarc,
        dkim,
        mta_sts,
        tlsrpt,
        sending_ip,
        spf,
        (ns, dnskey, dnssec, bimi, bimi_assets),
    ) = tokio::join!(
        mx_part,
        dmarc(dns, domain, clock),
        dkim_part,
        mta_sts(dns, trust, domain, clock),
        txt(dns, &tlsrpt_name, clock),
        ip_part,
        spf_part,
        zone_part
    );
    // The blocklists need the MX addresses: they run once those are known, beside nothing
    // else (the rest is done by then).
    let mut addresses: Vec<(String, IpAddr)> = Vec::new();
    if let Some(ip) = opts.ip {
        addresses.push(("--ip".to_string(), ip));
    }
    for h in &mx_hosts {
        for r in &h.reverse {
            if let Ok(ip) = r.address.parse::<IpAddr>() {
                addresses.push((h.exchange.clone(), ip));
            }
        }
    }
    let smtp_part = async {
        if opts.smtp {
            mx_smtp(&mx_hosts, domain, dns, trust, clock).await
        } else {
            Vec::new()
        }
    };
    let (dnsbl, smtp) = tokio::join!(dnsbl(dns, &opts.dnsbl_zones, addresses, clock), smtp_part);
    let mut report = DomainReport {
        version: DOMAIN_REPORT_VERSION,
        domain: domain.to_string(),
        started_at_unix,
        dns_server: opts.dns_server.map(|s| s.to_string()),
        mail_from: opts.mail_from.clone(),
        ip: opts.ip.map(|ip| ip.to_string()),
        approved_mx: opts.approved_mx.clone(),
        approved_ns: opts.approved_ns.clone(),
        parked: opts.parked,
        mx,
        mx_hosts,
        dmarc,
        dkim,
        mta_sts,
        tlsrpt,
        ns: Some(ns),
        dnskey: Some(dnskey),
        dnssec: Some(dnssec),
        mx_dnssec,
        bimi: Some(bimi),
        bimi_assets,
        sending_ip,
        spf: serde_json::to_value(&spf).ok(),
        spf_ok: spf_usable(&spf),
        dnsbl,
        smtp,
        findings: Vec::new(),
    };
    // The SPF findings first, then the rules (whose sender-requirements verdict reads
    // `spf_ok`).
    report.findings = spf.findings.clone();
    let rules_found = rules::diagnose(&report);
    report.findings.extend(rules_found);
    report
}

/// The SPF analysis of `maildoc_auth` through the run's resolver; with `--ip`, whether mail
/// from that address (and `--mail-from`) would pass.
async fn spf(
    opts: &Options,
    dns: &Dns,
    clock: &RunClock,
    now: u64,
) -> maildoc_auth::spf::SpfReport {
    let resolver = SpfResolver::new(dns, clock);
    match opts.ip {
        Some(ip) => {
            let options = maildoc_auth::spf::CheckOptions {
                timestamp: now,
                ..Default::default()
            };
            maildoc_auth::spf::analyze_with_ip(
                &opts.domain,
                &resolver,
                ip,
                opts.mail_from.as_deref(),
                &options,
            )
            .await
        }
        None => maildoc_auth::spf::analyze(&opts.domain, &resolver).await,
    }
}

/// One `v=spf1` record and no SPF finding of error severity: SPF can pass. `None` when the
/// domain's TXT lookup got no definite answer.
fn spf_usable(spf: &maildoc_auth::spf::SpfReport) -> Option<bool> {
    use maildoc_auth::spf::DnsStatus;
    if matches!(spf.txt_status, DnsStatus::Timeout | DnsStatus::ServFail) {
        return None;
    }
    Some(spf_passable(spf))
}

fn spf_passable(spf: &maildoc_auth::spf::SpfReport) -> bool {
    spf.records.len() == 1
        && !spf.findings.iter().any(|f| {
            f.severity == Severity::Error && f.code != maildoc_model::Code::SpfIpNotAuthorized
        })
}

// ---------------------------------------------------------------------------------------
// Words

fn outcome_word(l: &DnsLookup, lang: Lang) -> String {
    let key = match l.outcome {
        ResolveOutcome::Found if l.records.is_empty() => "domain-outcome-nodata",
        ResolveOutcome::Found => {
            return l
                .records
                .iter()
                .map(|r| shorten(r, 100))
                .collect::<Vec<_>>()
                .join(" | ");
        }
        ResolveOutcome::NotFound => "domain-outcome-nxdomain",
        ResolveOutcome::NoAddress => "domain-outcome-nodata",
        ResolveOutcome::ServerFailure => "domain-outcome-servfail",
        ResolveOutcome::Timeout => "domain-outcome-timeout",
        ResolveOutcome::ResolverError => "domain-outcome-error",
    };
    ui::text(key, lang).to_string()
}

/// At most `max` characters of `s`, with an ellipsis when cut (long DKIM keys); the JSON
/// form keeps the whole record.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// The facts as (label, lines) sections, shared by the human and Markdown forms.
fn facts(r: &DomainReport, lang: Lang) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut mx = vec![format!("{} MX: {}", r.mx.name, outcome_word(&r.mx, lang))];
    for h in &r.mx_hosts {
        if h.exchange == "." {
            continue;
        }
        mx.push(format!(
            "{} → {}",
            h.exchange,
            outcome_word(&h.addresses, lang)
        ));
        if let Some(c) = &h.cname {
            mx.push(format!("  CNAME {c}"));
        }
        for rev in &h.reverse {
            mx.push(format!(
                "  {} PTR: {}{}",
                rev.address,
                outcome_word(&rev.ptr, lang),
                if rev.confirmed.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", ui::text("domain-fcrdns-ok", lang))
                }
            ));
        }
        if let Some(t) = &h.tlsa {
            mx.push(format!("  {} TLSA: {}", t.name, outcome_word(t, lang)));
        }
    }
    out.push(("MX".to_string(), mx));
    if let Some(rev) = &r.sending_ip {
        out.push((
            "--ip".to_string(),
            vec![format!(
                "{} PTR: {}{}",
                rev.address,
                outcome_word(&rev.ptr, lang),
                if rev.confirmed.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", ui::text("domain-fcrdns-ok", lang))
                }
            )],
        ));
    }
    let mut dmarc = vec![format!(
        "{}: {}",
        r.dmarc.lookup.name,
        outcome_word(&r.dmarc.lookup, lang)
    )];
    if let Some(o) = &r.dmarc.org_lookup {
        dmarc.push(format!("{}: {}", o.name, outcome_word(o, lang)));
    }
    for a in &r.dmarc.report_authorizations {
        dmarc.push(format!("{}: {}", a.name, outcome_word(a, lang)));
    }
    dmarc.push(ui::fill(
        "domain-org-domain",
        lang,
        &[("org", &r.dmarc.org_domain)],
    ));
    out.push(("DMARC".to_string(), dmarc));
    let mut dkim: Vec<String> = r
        .dkim
        .iter()
        .filter(|k| k.given || k.lookup.outcome == ResolveOutcome::Found)
        .map(|k| format!("{}: {}", k.lookup.name, outcome_word(&k.lookup, lang)))
        .collect();
    let tried: Vec<&str> = r
        .dkim
        .iter()
        .filter(|k| !k.given)
        .map(|k| k.selector.as_str())
        .collect();
    dkim.push(ui::fill(
        "domain-dkim-note",
        lang,
        &[("selectors", &tried.join(", "))],
    ));
    out.push(("DKIM".to_string(), dkim));
    let mut sts = vec![format!(
        "{}: {}",
        r.mta_sts.txt.name,
        outcome_word(&r.mta_sts.txt, lang)
    )];
    if let Some(p) = &r.mta_sts.policy {
        sts.push(if p.fetched {
            format!(
                "{}: {}",
                p.url,
                p.body.lines().collect::<Vec<_>>().join(" / ")
            )
        } else {
            format!("{}: {}", p.url, p.detail)
        });
    }
    out.push(("MTA-STS".to_string(), sts));
    out.push((
        "TLS-RPT".to_string(),
        vec![format!(
            "{}: {}",
            r.tlsrpt.name,
            outcome_word(&r.tlsrpt, lang)
        )],
    ));
    out.push((
        "SPF".to_string(),
        vec![match r.spf_ok {
            None => ui::text("domain-spf-not-checked", lang).to_string(),
            Some(true) => ui::text("domain-spf-ok", lang).to_string(),
            Some(false) => ui::text("domain-spf-problem", lang).to_string(),
        }],
    ));
    if !r.dnsbl.is_empty() {
        let count = |v: Option<rules::dnsbl::Verdict>, found: bool| {
            r.dnsbl
                .iter()
                .filter(|c| {
                    (c.query.outcome == ResolveOutcome::Found) == found
                        && (!found || rules::dnsbl::classify(&c.query.records) == v)
                })
                .count()
                .to_string()
        };
        let absent = r.dnsbl.iter().filter(|c| c.query.is_absent()).count();
        let failed = r.dnsbl.iter().filter(|c| c.query.is_inconclusive()).count();
        let mut zones: Vec<&str> = r.dnsbl.iter().map(|c| c.zone.as_str()).collect();
        zones.dedup();
        zones.sort_unstable();
        zones.dedup();
        out.push((
            "DNSBL".to_string(),
            vec![ui::fill(
                "domain-dnsbl-summary",
                lang,
                &[
                    ("queries", &r.dnsbl.len().to_string()),
                    ("zones", &zones.len().to_string()),
                    ("listed", &count(Some(rules::dnsbl::Verdict::Listed), true)),
                    (
                        "refused",
                        &count(Some(rules::dnsbl::Verdict::Refused), true),
                    ),
                    ("clean", &absent.to_string()),
                    ("failed", &failed.to_string()),
                ],
            )],
        ));
    }
    if !r.smtp.is_empty() {
        let lines = r
            .smtp
            .iter()
            .map(|ev| {
                let host = ev.endpoint.host.as_str();
                let code = r
                    .findings
                    .iter()
                    .find(|f| {
                        matches!(
                            f.code,
                            maildoc_model::Code::MxStarttlsMissing
                                | maildoc_model::Code::MxCertInvalid
                                | maildoc_model::Code::MxSmtpInconclusive
                                | maildoc_model::Code::TlsaMismatch
                        ) && f.params.get("mx_host").map(String::as_str) == Some(host)
                    })
                    .map(|f| f.code.as_str());
                match code {
                    None => ui::fill("domain-smtp-ok", lang, &[("host", host)]),
                    Some(c) => format!("{host}: {c}"),
                }
            })
            .collect();
        out.push(("SMTP (25)".to_string(), lines));
    }
    if let Some(ns) = &r.ns {
        out.push((
            "NS".to_string(),
            vec![format!("{}: {}", ns.name, outcome_word(ns, lang))],
        ));
    }
    if let Some(bimi) = &r.bimi {
        out.push((
            "BIMI".to_string(),
            vec![format!("{}: {}", bimi.name, outcome_word(bimi, lang))],
        ));
    }
    let mut dnssec = Vec::new();
    if let Some(d) = &r.dnssec {
        let keys = r.dnskey.as_ref().map(|k| k.records.join(", "));
        dnssec.push(dnssec_line(d, keys.as_deref().unwrap_or_default(), lang));
    }
    for d in &r.mx_dnssec {
        dnssec.push(format!("MX: {}", dnssec_line(d, "", lang)));
    }
    dnssec.push(
        ui::text(
            if r.dnssec_validated() {
                "domain-dnssec-validated"
            } else {
                "domain-dnssec-not-validated"
            },
            lang,
        )
        .to_string(),
    );
    out.push(("DNSSEC".to_string(), dnssec));
    out
}

/// One zone's DNSSEC status in words; `keys` lists the zone's DNSKEY records when known.
fn dnssec_line(d: &DnssecEvidence, keys: &str, lang: Lang) -> String {
    let key = match d.status {
        DnssecStatus::Unsigned => "domain-dnssec-unsigned",
        DnssecStatus::KeysWithoutDs => "domain-dnssec-keys-without-ds",
        DnssecStatus::Secure => "domain-dnssec-secure",
        DnssecStatus::Bogus => "domain-dnssec-bogus",
        DnssecStatus::Unknown => "domain-dnssec-unknown",
    };
    let mut line = ui::fill(key, lang, &[("zone", &d.zone), ("detail", &d.detail)]);
    if !keys.is_empty() {
        line.push_str(&format!(" (DNSKEY: {keys})"));
    }
    line
}

struct Block {
    severity: Severity,
    code: String,
    title: String,
    cause: String,
    fix: String,
}

fn blocks(r: &DomainReport, lang: Lang) -> Vec<Block> {
    let mut sorted: Vec<&Finding> = r.findings.iter().collect();
    sorted.sort_by_key(|f| f.severity);
    sorted
        .into_iter()
        .map(|f| {
            let text = maildoc_kb::finding_text(f.code, lang);
            let params: BTreeMap<String, String> = f.params.clone();
            Block {
                severity: f.severity,
                code: f.code.as_str().to_string(),
                title: maildoc_kb::fill(&text.title, &params),
                cause: maildoc_kb::fill(&text.cause, &params),
                fix: maildoc_kb::fill(&text.fix, &params),
            }
        })
        .collect()
}

/// The findings of `r`, most severe first, each as `title (code)` for `maildoc triage`'s
/// summary.
pub(crate) fn finding_lines(r: &DomainReport, lang: Lang) -> Vec<String> {
    blocks(r, lang)
        .into_iter()
        .map(|b| format!("[{}] {} ({})", b.severity.as_str(), b.title, b.code))
        .collect()
}

fn verdict(r: &DomainReport, lang: Lang) -> String {
    let unmet = r
        .findings
        .iter()
        .any(|f| f.code == maildoc_model::Code::SenderRequirementsUnmet);
    let key = match (unmet, r.spf_ok.is_some()) {
        (true, _) => "domain-verdict-unmet",
        (false, true) => "domain-verdict-met",
        (false, false) => "domain-verdict-met-without-spf",
    };
    ui::text(key, lang).to_string()
}

pub fn human(r: &DomainReport, lang: Lang) -> String {
    let mut s = ui::fill("domain-title", lang, &[("domain", &r.domain)]);
    s.push('\n');
    if let Some(server) = &r.dns_server {
        s.push_str(&ui::fill("domain-dns-server", lang, &[("server", server)]));
        s.push('\n');
    }
    for (label, lines) in facts(r, lang) {
        s.push_str(&format!("\n{label}\n"));
        for l in lines {
            s.push_str(&format!("  {l}\n"));
        }
    }
    let bs = blocks(r, lang);
    s.push('\n');
    if bs.is_empty() {
        s.push_str(ui::text("domain-no-findings", lang));
        s.push('\n');
    } else {
        s.push_str(&ui::fill(
            "domain-findings",
            lang,
            &[("count", &bs.len().to_string())],
        ));
        s.push('\n');
        for b in &bs {
            s.push_str(&format!(
                "\n[{}] {} ({})\n  {}: {}\n  {}: {}\n",
                maildoc_report::severity_word(b.severity, lang),
                b.title,
                b.code,
                ui::text("cause", lang),
                b.cause,
                ui::text("fix", lang),
                b.fix
            ));
        }
    }
    s.push('\n');
    s.push_str(&verdict(r, lang));
    s.push('\n');
    s
}

pub fn markdown(r: &DomainReport, lang: Lang) -> String {
    let mut s = format!(
        "# {}\n\n",
        ui::fill("domain-title", lang, &[("domain", &r.domain)])
    );
    if let Some(server) = &r.dns_server {
        s.push_str(&ui::fill("domain-dns-server", lang, &[("server", server)]));
        s.push_str("\n\n");
    }
    s.push_str(&format!("**{}**\n", verdict(r, lang)));
    let bs = blocks(r, lang);
    s.push_str(&format!(
        "\n## {}\n",
        if bs.is_empty() {
            ui::text("domain-no-findings", lang).to_string()
        } else {
            ui::fill("domain-findings", lang, &[("count", &bs.len().to_string())])
        }
    ));
    for b in &bs {
        s.push_str(&format!(
            "\n### {}: {} (`{}`)\n\n**{}**: {}\n\n**{}**: {}\n",
            maildoc_report::severity_word(b.severity, lang),
            b.title,
            b.code,
            ui::text("cause", lang),
            b.cause,
            ui::text("fix", lang),
            b.fix
        ));
    }
    s.push_str(&format!("\n## {}\n", ui::text("domain-records", lang)));
    for (label, lines) in facts(r, lang) {
        s.push_str(&format!("\n### {label}\n\n"));
        for l in lines {
            s.push_str(&format!("- `{}`\n", l.replace('`', "'")));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_records_are_shortened_on_screen_only() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcd", 3), "abc…");
        assert_eq!(shorten("あいうえ", 2), "あい…");
    }

    #[test]
    fn domains_are_normalized() {
        assert_eq!(
            normalize_domain(" Example.JP. ").as_deref(),
            Ok("example.jp")
        );
        assert_eq!(
            normalize_domain("taro@example.jp").as_deref(),
            Ok("example.jp")
        );
        assert!(normalize_domain("localhost").is_err());
        assert!(normalize_domain("").is_err());
        assert_eq!(normalize_domain("例え.jp").as_deref(), Ok("xn--r8jz45g.jp"));
    }

    #[test]
    fn help_and_screen_words_exist_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for (_, key) in HELP {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
            for key in [
                "help-domain",
                "help-domain-after",
                "error-domain",
                "domain-title",
                "domain-dns-server",
                "domain-findings",
                "domain-no-findings",
                "domain-records",
                "domain-org-domain",
                "domain-dkim-note",
                "domain-fcrdns-ok",
                "domain-spf-not-checked",
                "domain-spf-ok",
                "domain-spf-problem",
                "domain-dnssec-validated",
                "domain-dnssec-not-validated",
                "domain-verdict-unmet",
                "domain-verdict-met",
                "domain-verdict-met-without-spf",
                "domain-outcome-nxdomain",
                "domain-outcome-nodata",
                "domain-outcome-servfail",
                "domain-outcome-timeout",
                "domain-outcome-error",
            ] {
                assert_ne!(ui::text(key, lang), "?", "{key}");
                assert_ne!(ui::text(key, lang), key, "{key}");
            }
        }
    }
}
