//! The sending domain's posture: everything looked up at once under one deadline (MX hosts
//! with their addresses, reverse DNS, TLSA and DNSSEC; DMARC and its report destinations;
//! DKIM keys; BIMI; MTA-STS with its policy over HTTPS; TLS-RPT; the blocklists; SPF through
//! `maildoc_auth`; optionally port 25 of each MX host), then the rules of
//! `maildoc_diagnose::domain`. [`check`] looks at one domain, [`check_many`] at a stream of
//! them with bounded concurrency.
//!
//! Dropping the future (or the stream) stops the run: nothing is left running behind it.

mod bulk;
mod https;
mod records;
mod smtp;

use crate::{DomainPart, Env, Error, Event};
use futures_util::future::join_all;
use maildoc_diagnose::domain as rules;
use maildoc_model::domain::*;
use maildoc_probe::clock::RunClock;
use maildoc_probe::dns::Dns;
use maildoc_probe::spf_dns::SpfResolver;
use records::{dmarc, dnsbl, dnssec_evidence, lookup, mx_dnssec, mx_host, reverse, txt};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

pub use bulk::{BulkError, LineDone, Lines, check_lines, check_many};

/// A domain name ready to be looked up: trimmed, without a final dot or an address's local
/// part, in its ASCII form, lower case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainName(String);

impl DomainName {
    /// The domain of `input` as typed (`Example.JP.`, `taro@example.jp`, `例え.jp`), or why
    /// it is not a domain name.
    pub fn parse(input: &str) -> Result<DomainName, Error> {
        let not_one = |detail: String| Error::Domain {
            typed: input.to_string(),
            detail,
        };
        let t = input.trim().trim_end_matches('.');
        let t = t.rsplit_once('@').map_or(t, |(_, d)| d);
        let (ascii, _) = maildoc_model::input::domain_to_ascii(t).map_err(not_one)?;
        let ascii = ascii.to_ascii_lowercase();
        if !ascii.contains('.') {
            return Err(not_one(format!(
                "\"{}\" is not a domain name",
                input.trim()
            )));
        }
        Ok(DomainName(ascii))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What to look at besides the domain. Names are taken as given and normalised by the
/// check (trimmed, lower case, without the final dot).
#[derive(Clone, Debug)]
pub struct Options {
    /// DKIM selectors to look up besides the common ones.
    pub dkim_selectors: Vec<String>,
    /// An address the domain sends from: its reverse DNS, its blocklist listings, and
    /// whether SPF lets it send.
    pub sending_ip: Option<IpAddr>,
    /// The envelope sender whose SPF and DMARC alignment is judged with `sending_ip`.
    pub mail_from: Option<String>,
    /// The DNS blocklists to ask; the built-in ones by default, none when empty.
    pub dnsbl_zones: Vec<String>,
    /// The mail servers the domain should use (hosts, or domains whose hosts are all
    /// approved).
    pub approved_mx: Vec<String>,
    /// The name servers the domain should use.
    pub approved_ns: Vec<String>,
    /// The domain sends and receives no mail, and should say so.
    pub parked: bool,
    /// The BIMI selector to look up.
    pub bimi_selector: String,
    /// Connect to port 25 of each MX host (greeting, EHLO, STARTTLS, TLS, QUIT).
    pub smtp: bool,
    /// The check's deadline.
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            dkim_selectors: Vec::new(),
            sending_ip: None,
            mail_from: None,
            dnsbl_zones: rules::dnsbl::default_zones(),
            approved_mx: Vec::new(),
            approved_ns: Vec::new(),
            parked: false,
            bimi_selector: "default".into(),
            smtp: false,
            timeout: Duration::from_secs(15),
        }
    }
}

/// Names as given: trimmed, lower case, without the final dot, blanks left out.
fn host_list(given: &[String]) -> Vec<String> {
    given
        .iter()
        .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect()
}

/// Looks everything up (at once where possible) under a deadline of `opts.timeout`, and
/// runs the rules. Whatever the DNS servers and web servers do, the report is the evidence
/// and its findings. Each part is told to `progress` as it is done.
pub async fn check(
    env: &Env,
    domain: &DomainName,
    opts: &Options,
    progress: impl FnMut(Event) + Send,
) -> DomainReport {
    let clock = RunClock::new(opts.timeout);
    let (dns, trust, clock) = (&env.dns, &env.trust, &clock);
    let domain = domain.as_str();
    let started_at_unix = u64::try_from(env.clock.now().unix_timestamp()).unwrap_or(0);
    // The parts run at once on this task, each telling its end between two awaits (the lock
    // is never held across one).
    let progress = Mutex::new(progress);
    let tell = |part: DomainPart| {
        let mut progress = progress.lock().unwrap_or_else(PoisonError::into_inner);
        (*progress)(Event::DomainPart {
            domain: domain.to_string(),
            part,
            elapsed_ms: clock.at_ms(),
        });
    };
    let tell: &(dyn Fn(DomainPart) + Sync) = &tell;
    let mut selectors: Vec<(String, bool)> = opts
        .dkim_selectors
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
        match opts.sending_ip {
            Some(ip) => Some(reverse(dns, ip, clock).await),
            None => None,
        }
    };
    let tlsrpt_name = format!("_smtp._tls.{domain}");
    let spf_part = spf(domain, opts, dns, clock, started_at_unix);
    let bimi_name = format!(
        "{}._bimi.{domain}",
        opts.bimi_selector.trim().to_ascii_lowercase()
    );
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
            tokio::join!(zone_and_keys, https::bimi(dns, trust, &bimi_name, clock));
        (ns, dnskey, dnssec, bimi, bimi_assets)
    };
    let (
        (mx, mx_hosts, mx_dnssec),
        dmarc,
        dkim,
        mta_sts,
        tlsrpt,
        sending_ip,
        mut spf,
        (ns, dnskey, dnssec, bimi, bimi_assets),
    ) = tokio::join!(
        told(mx_part, DomainPart::Mx, tell),
        told(dmarc(dns, domain, clock), DomainPart::Dmarc, tell),
        told(dkim_part, DomainPart::Dkim, tell),
        told(
            https::mta_sts(dns, trust, domain, clock),
            DomainPart::MtaSts,
            tell
        ),
        told(txt(dns, &tlsrpt_name, clock), DomainPart::TlsRpt, tell),
        told(ip_part, DomainPart::SendingIp, tell),
        told(spf_part, DomainPart::Spf, tell),
        told(zone_part, DomainPart::Zone, tell)
    );
    // The blocklists need the MX addresses: they run once those are known, beside nothing
    // else (the rest is done by then).
    let mut addresses: Vec<(AddressOf, IpAddr)> = Vec::new();
    if let Some(ip) = opts.sending_ip {
        addresses.push((AddressOf::SendingIp, ip));
    }
    for h in &mx_hosts {
        for r in &h.reverse {
            if let Ok(ip) = r.address.parse::<IpAddr>() {
                addresses.push((AddressOf::Mx(h.exchange.clone()), ip));
            }
        }
    }
    let smtp_part = async {
        if opts.smtp {
            smtp::mx_smtp(&mx_hosts, domain, env, clock).await
        } else {
            Vec::new()
        }
    };
    let zones = host_list(&opts.dnsbl_zones);
    let (dnsbl, smtp) = tokio::join!(
        told(
            dnsbl(dns, &zones, addresses, clock),
            DomainPart::Dnsbl,
            tell
        ),
        told(smtp_part, DomainPart::Smtp, tell)
    );
    // The SPF findings are kept beside their evidence too, as the report's JSON has them.
    spf.findings = rules::spf::findings(&spf);
    let spf_ok = rules::spf::usable(&spf);
    let mut report = DomainReport {
        version: DOMAIN_REPORT_VERSION,
        domain: domain.to_string(),
        started_at_unix,
        dns_server: dns.server().map(|s| s.to_string()),
        mail_from: opts.mail_from.clone(),
        ip: opts.sending_ip.map(|ip| ip.to_string()),
        approved_mx: host_list(&opts.approved_mx),
        approved_ns: host_list(&opts.approved_ns),
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
        spf: Some(spf),
        spf_ok,
        dnsbl,
        smtp,
        findings: Vec::new(),
    };
    report.findings = rules::diagnose(&report);
    report
}

/// `work`, then `tell` that `part` is done.
async fn told<T>(
    work: impl Future<Output = T>,
    part: DomainPart,
    tell: &(dyn Fn(DomainPart) + Sync),
) -> T {
    let done = work.await;
    tell(part);
    done
}

/// The SPF analysis of `maildoc_auth` through the run's resolver; with a sending address,
/// whether mail from it (and the envelope sender) would pass.
async fn spf(domain: &str, opts: &Options, dns: &Dns, clock: &RunClock, now: u64) -> SpfEvidence {
    let resolver = SpfResolver::new(dns, clock);
    match opts.sending_ip {
        Some(ip) => {
            let options = maildoc_auth::spf::CheckOptions {
                timestamp: now,
                ..Default::default()
            };
            maildoc_auth::spf::analyze_with_ip(
                domain,
                &resolver,
                ip,
                opts.mail_from.as_deref(),
                &options,
            )
            .await
        }
        None => maildoc_auth::spf::analyze(domain, &resolver).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalized() {
        let parse = |s: &str| DomainName::parse(s).map(|d| d.as_str().to_string());
        assert_eq!(parse(" Example.JP. ").as_deref(), Ok("example.jp"));
        assert_eq!(parse("taro@example.jp").as_deref(), Ok("example.jp"));
        assert!(parse("localhost").is_err());
        assert!(parse("").is_err());
        assert_eq!(parse("例え.jp").as_deref(), Ok("xn--r8jz45g.jp"));
    }

    #[test]
    fn names_are_taken_as_given_and_normalized() {
        let given = [" MX1.Example.JP. ".to_string(), "  ".to_string()];
        assert_eq!(host_list(&given), vec!["mx1.example.jp"]);
    }
}
