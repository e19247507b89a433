//! The rules of `maildoc domain`: pure functions from a [`DomainReport`]'s evidence
//! to findings about the sending domain's posture (MX, reverse DNS, DMARC, DKIM, MTA-STS,
//! TLS-RPT, TLSA) and the sender-requirements verdict. SPF comes from `maildoc_auth` and is
//! folded in through `DomainReport::spf_ok`.

pub mod dnsbl;
pub mod psl;
pub mod records;

use maildoc_model::domain::{
    BimiLogo, DmarcEvidence, DnssecEvidence, DnssecStatus, DomainReport, MarkCertificate,
    ReverseDns,
};
use maildoc_model::{CertInfo, Code, Finding, ResolveOutcome, Severity};
use records::DkimKey;

/// DKIM selectors tried besides the ones given. Selectors cannot be listed from DNS: a key
/// at another selector is simply not seen.
pub const COMMON_DKIM_SELECTORS: &[&str] = &[
    "default",
    "google",
    "selector1",
    "selector2",
    "k1",
    "s1",
    "s2",
    "dkim",
    "mail",
];

/// All findings for the report, in a stable order: MX and reverse DNS, DMARC, DKIM,
/// MTA-STS, TLS-RPT, TLSA, DNSSEC, BIMI, approved MX hosts, then the sender-requirements
/// verdict. `report.findings` may hold
/// the SPF findings of `maildoc_auth` already: the verdict reads them; they are not
/// returned again.
pub fn diagnose(report: &DomainReport) -> Vec<Finding> {
    let mut out = Vec::new();
    mx(report, &mut out);
    reverse(report, &mut out);
    dmarc(report, &mut out);
    let dkim_ok = dkim(report, &mut out);
    mta_sts(report, &mut out);
    tlsrpt(report, &mut out);
    tlsa(report, &mut out);
    dnssec(report, &mut out);
    bimi(report, &mut out);
    approved_mx(report, &mut out);
    approved_ns(report, &mut out);
    parked(report, &mut out);
    let verdict = requirements_finding(report, dkim_ok, &out);
    out.extend(verdict);
    blocklists(report, &mut out);
    mx_smtp(report, &mut out);
    out.extend(lookups_failed(report));
    out
}

/// DNSSEC, as checked one level down from each zone's parent: keys without a DS in the
/// domain's own zone (its owner can fix that), and a broken chain in the domain's zone or in
/// a zone its MX hosts live in (validating resolvers then cannot look those names up).
fn dnssec(report: &DomainReport, out: &mut Vec<Finding>) {
    let bogus = |d: &DnssecEvidence, whose: String| {
        Finding::new(Code::DnssecBogus)
            .param("dns_zone", &d.zone)
            .param("whose", whose)
            .param("detail", &d.detail)
            .evidence(&d.ds.name)
    };
    let own = report.dnssec.as_ref();
    if let Some(d) = own {
        match d.status {
            DnssecStatus::KeysWithoutDs => out.push(
                Finding::new(Code::DnssecDsMissing)
                    .param("dns_zone", &d.zone)
                    .evidence(&d.ds.name),
            ),
            DnssecStatus::Bogus => out.push(bogus(d, report.domain.clone())),
            _ => {}
        }
    }
    for d in &report.mx_dnssec {
        if d.status != DnssecStatus::Bogus || own.is_some_and(|o| o.zone == d.zone) {
            continue;
        }
        let hosts: Vec<&str> = report
            .mx_hosts
            .iter()
            .map(|h| h.exchange.as_str())
            .filter(|h| *h == d.zone || h.ends_with(&format!(".{}", d.zone)))
            .collect();
        out.push(bogus(d, hosts.join(", ")));
    }
}

/// Lookups that got no definite answer: the rules above say nothing about what they were
/// to show, so the report must not look clean.
fn lookups_failed(report: &DomainReport) -> Option<Finding> {
    let mut all: Vec<&maildoc_model::domain::DnsLookup> = vec![&report.mx, &report.dmarc.lookup];
    all.extend(&report.dmarc.org_lookup);
    all.extend(&report.dmarc.report_authorizations);
    for h in &report.mx_hosts {
        if h.exchange != "." {
            all.push(&h.addresses);
        }
        all.extend(h.reverse.iter().map(|r| &r.ptr));
    }
    all.extend(report.sending_ip.iter().map(|r| &r.ptr));
    all.extend(report.dkim.iter().map(|k| &k.lookup));
    all.push(&report.mta_sts.txt);
    all.push(&report.tlsrpt);
    all.extend(report.dnsbl.iter().map(|c| &c.query));
    let failed: Vec<&&maildoc_model::domain::DnsLookup> =
        all.iter().filter(|l| l.is_inconclusive()).collect();
    let first = failed.first()?;
    let mut names: Vec<&str> = failed.iter().take(5).map(|l| l.name.as_str()).collect();
    if failed.len() > 5 {
        names.push("...");
    }
    Some(
        Finding::new(Code::DomainLookupFailed)
            .param("domain", &report.domain)
            .param("names", names.join(", "))
            .param("detail", &first.detail),
    )
}

/// DNS blocklists: one `dnsbl-listed` per address and zone that lists it; one
/// `dnsbl-query-refused` per zone that refused this resolver. NXDOMAIN/NODATA is "not
/// listed"; timeouts and SERVFAIL go to `domain-lookup-failed`.
fn blocklists(report: &DomainReport, out: &mut Vec<Finding>) {
    let mut refused: Vec<(&str, String, Vec<&str>)> = Vec::new();
    for c in &report.dnsbl {
        if c.query.outcome != ResolveOutcome::Found {
            continue;
        }
        match dnsbl::classify(&c.query.records) {
            Some(dnsbl::Verdict::Listed) => {
                let reason = c
                    .txt
                    .as_ref()
                    .map(|t| t.records.join(" / "))
                    .unwrap_or_default();
                out.push(
                    Finding::new(Code::DnsblListed)
                        .param("mx_host", &c.source)
                        .param("address", &c.address)
                        .param("zone", &c.zone)
                        .param("answer", c.query.records.join(", "))
                        .param(
                            "reason",
                            if reason.is_empty() {
                                "-".to_string()
                            } else {
                                reason
                            },
                        )
                        .evidence(&c.query.name),
                );
            }
            Some(dnsbl::Verdict::Refused) => {
                match refused.iter_mut().find(|(z, _, _)| *z == c.zone) {
                    Some((_, _, addrs)) => {
                        if !addrs.contains(&c.address.as_str()) {
                            addrs.push(&c.address);
                        }
                    }
                    None => refused.push((&c.zone, c.query.records.join(", "), vec![&c.address])),
                }
            }
            None => {}
        }
    }
    for (zone, answer, addrs) in refused {
        out.push(
            Finding::new(Code::DnsblQueryRefused)
                .param("zone", zone)
                .param("answer", answer)
                .param("addresses", addrs.join(", ")),
        );
    }
}

/// `--smtp`: STARTTLS and the certificate of each MX host on port 25. A server that could not
/// be reached, refused service (421) or went silent is inconclusive from this network (port
/// 25 is often blocked outbound), never a fault.
fn mx_smtp(report: &DomainReport, out: &mut Vec<Finding>) {
    use maildoc_model::{CertVerification, StarttlsOutcome, StepKind, TlsHandshake};
    for ev in &report.smtp {
        let host = &ev.endpoint.host;
        let mut starttls: Option<(StarttlsOutcome, &str)> = None;
        let mut tls = None;
        for step in &ev.steps {
            match &step.kind {
                StepKind::Starttls { outcome, reply } => starttls = Some((*outcome, reply)),
                StepKind::Tls(t) => tls = Some(t),
                _ => {}
            }
        }
        match (starttls, tls) {
            (Some((StarttlsOutcome::NotOffered | StarttlsOutcome::Refused, reply)), _) => {
                out.push(
                    Finding::new(Code::MxStarttlsMissing)
                        .param("mx_host", host)
                        .param("reply", if reply.is_empty() { "-" } else { reply }),
                );
            }
            (_, Some(t))
                if !matches!(
                    t.verification,
                    CertVerification::Valid | CertVerification::NotChecked
                ) =>
            {
                out.push(
                    Finding::new(Code::MxCertInvalid)
                        .param("mx_host", host)
                        .param("verification", format!("{:?}", t.verification))
                        .param("detail", t.verify_error.as_deref().unwrap_or("-")),
                );
            }
            (_, Some(t)) if t.handshake == TlsHandshake::Established => {}
            _ => {
                let detail = ev
                    .steps
                    .iter()
                    .rev()
                    .find_map(|s| match &s.kind {
                        StepKind::Connect { detail, .. } if !detail.is_empty() => {
                            Some(detail.clone())
                        }
                        StepKind::Greeting { text, outcome, .. } => {
                            Some(format!("{outcome:?}: {text}"))
                        }
                        StepKind::Tls(t) => t.failure.as_ref().map(|f| f.detail.clone()),
                        StepKind::Resolve { detail, .. } if !detail.is_empty() => {
                            Some(detail.clone())
                        }
                        StepKind::Deadline { phase } => Some(format!("deadline ({phase:?})")),
                        _ => None,
                    })
                    .unwrap_or_else(|| "-".to_string());
                out.push(
                    Finding::new(Code::MxSmtpInconclusive)
                        .param("mx_host", host)
                        .param("detail", detail),
                );
            }
        }
    }
}

fn mx(report: &DomainReport, out: &mut Vec<Finding>) {
    let domain = &report.domain;
    if report.mx.is_absent() {
        out.push(
            Finding::new(Code::MxMissing)
                .param("domain", domain)
                .evidence(&report.mx.name),
        );
        return;
    }
    if report.mx_hosts.iter().any(|h| h.exchange == ".") {
        out.push(
            Finding::new(Code::MxNull)
                .param("domain", domain)
                .evidence(&report.mx.name),
        );
        return;
    }
    let mut seen: Vec<&str> = Vec::new();
    let mut private_hosts: Vec<(&str, Vec<&str>)> = Vec::new();
    for host in &report.mx_hosts {
        let name = host.exchange.as_str();
        if seen.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            continue;
        }
        seen.push(name);
        let same: Vec<String> = report
            .mx_hosts
            .iter()
            .filter(|h| h.exchange.eq_ignore_ascii_case(name))
            .map(|h| h.preference.to_string())
            .collect();
        if same.len() > 1 {
            out.push(
                Finding::new(Code::MxDuplicateHost)
                    .param("domain", domain)
                    .param("mx_host", name)
                    .param("preferences", same.join(", "))
                    .evidence(&report.mx.name),
            );
        }
        // RFC 5321 §5.1: the MX data MUST be a domain name. Many servers (Postfix, Exim
        // without allow_mx_to_ip) refuse it; whether this resolver made an address of it
        // says nothing about them.
        if name.parse::<std::net::IpAddr>().is_ok() {
            out.push(
                Finding::new(Code::MxIpLiteral)
                    .param("domain", domain)
                    .param("mx_host", name)
                    .evidence(&report.mx.name),
            );
            continue;
        }
        if let Some(target) = &host.cname {
            out.push(
                Finding::new(Code::MxCname)
                    .param("domain", domain)
                    .param("mx_host", &host.exchange)
                    .param("target", target)
                    .evidence(&host.addresses.name),
            );
        }
        let a = &host.addresses;
        let private: Vec<&str> = a
            .records
            .iter()
            .filter(|r| r.parse().is_ok_and(|ip| !internet_reachable(ip)))
            .map(String::as_str)
            .collect();
        if !private.is_empty() {
            private_hosts.push((name, private));
        }
        if a.is_absent() || (a.outcome == ResolveOutcome::Found && a.records.is_empty()) {
            let detail = match a.outcome {
                ResolveOutcome::NotFound => "NXDOMAIN",
                _ => "NODATA",
            };
            out.push(
                Finding::new(Code::MxHostUnresolvable)
                    .param("domain", domain)
                    .param("mx_host", &host.exchange)
                    .param("detail", detail)
                    .evidence(&a.name),
            );
        }
    }
    // Senders on the internet cannot reach these addresses. An error when no MX host has an
    // address they can reach: then no mail arrives at all.
    let any_reachable = report.mx_hosts.iter().any(|h| {
        h.addresses
            .records
            .iter()
            .any(|r| r.parse().is_ok_and(internet_reachable))
    });
    for (host, addresses) in private_hosts {
        let f = Finding::new(Code::MxPrivateAddress)
            .param("domain", domain)
            .param("mx_host", host)
            .param("addresses", addresses.join(", "))
            .evidence(host);
        out.push(if any_reachable {
            f
        } else {
            f.severity(Severity::Error)
        });
    }
}

/// Whether senders on the internet can reach `ip`: not loopback, unspecified, RFC 1918
/// private, link-local, shared (100.64.0.0/10, RFC 6598), broadcast, multicast, "this
/// network" (0.0.0.0/8) or reserved (240.0.0.0/4); for IPv6 not loopback, unspecified,
/// unique-local (fc00::/7), link-local (fe80::/10) or multicast, and an IPv4-mapped address
/// as its IPv4 address. The documentation ranges count as reachable: they appear only in
/// examples and test zones.
fn internet_reachable(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_unspecified()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => internet_reachable(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80)
            }
        },
    }
}

/// One finding per address, even when several MX hosts share it.
fn reverse(report: &DomainReport, out: &mut Vec<Finding>) {
    let mut seen: Vec<String> = Vec::new();
    let mut check = |host: &str, r: &ReverseDns, out: &mut Vec<Finding>| {
        if seen.contains(&r.address) {
            return;
        }
        seen.push(r.address.clone());
        if r.ptr.is_absent() {
            out.push(
                Finding::new(Code::PtrMissing)
                    .param("mx_host", host)
                    .param("address", &r.address)
                    .evidence(&r.ptr.name),
            );
        } else if r.ptr.outcome == ResolveOutcome::Found && r.confirmed.is_empty() {
            out.push(
                Finding::new(Code::PtrMismatch)
                    .param("mx_host", host)
                    .param("address", &r.address)
                    .param("ptr_names", r.ptr.records.join(", "))
                    .evidence(&r.ptr.name),
            );
        }
    };
    for host in &report.mx_hosts {
        for r in &host.reverse {
            check(&host.exchange, r, out);
        }
    }
    if let Some(r) = &report.sending_ip {
        check("--ip", r, out);
    }
}

/// The DMARC record that applies to the domain: (record domain, record text, from the
/// organisational domain), or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppliedDmarc<'a> {
    Record {
        record_domain: &'a str,
        record: &'a str,
        inherited: bool,
    },
    Missing,
    Multiple {
        record_domain: &'a str,
        count: usize,
    },
    /// A lookup failed (SERVFAIL, timeout): nothing can be said.
    Unknown,
}

pub fn applied_dmarc(d: &DmarcEvidence) -> AppliedDmarc<'_> {
    let pick = |lookup: &'_ maildoc_model::domain::DnsLookup| -> Vec<usize> {
        lookup
            .records
            .iter()
            .enumerate()
            .filter(|(_, r)| records::is_dmarc(r))
            .map(|(i, _)| i)
            .collect()
    };
    if d.lookup.is_inconclusive() {
        return AppliedDmarc::Unknown;
    }
    let own = pick(&d.lookup);
    let record_domain = d
        .lookup
        .name
        .strip_prefix("_dmarc.")
        .unwrap_or(&d.lookup.name);
    match own.len() {
        1 => {
            return AppliedDmarc::Record {
                record_domain,
                record: &d.lookup.records[own[0]],
                inherited: false,
            };
        }
        n if n > 1 => {
            return AppliedDmarc::Multiple {
                record_domain,
                count: n,
            };
        }
        _ => {}
    }
    let Some(org) = &d.org_lookup else {
        return AppliedDmarc::Missing;
    };
    if org.is_inconclusive() {
        return AppliedDmarc::Unknown;
    }
    let org_records = pick(org);
    let org_domain = org.name.strip_prefix("_dmarc.").unwrap_or(&org.name);
    match org_records.len() {
        0 => AppliedDmarc::Missing,
        1 => AppliedDmarc::Record {
            record_domain: org_domain,
            record: &org.records[org_records[0]],
            inherited: true,
        },
        n => AppliedDmarc::Multiple {
            record_domain: org_domain,
            count: n,
        },
    }
}

/// The domains of the rua/ruf destinations of a DMARC record that lie outside the record
/// domain's organisational domain: they must authorise the reports (RFC 7489 §7.1).
pub fn external_report_destinations(record_domain: &str, record: &str) -> Vec<String> {
    let own_org = psl::org_domain(record_domain);
    report_destination_domains(record)
        .into_iter()
        .filter(|dest| psl::org_domain(dest) != own_org)
        .collect()
}

/// The domains of all rua/ruf destinations of a DMARC record, each once, lower case.
pub fn report_destination_domains(record: &str) -> Vec<String> {
    let Ok(parsed) = records::parse_dmarc(record) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for addr in parsed.rua.iter().chain(&parsed.ruf) {
        if let Some((_, dest)) = addr.rsplit_once('@') {
            let dest = dest.trim_end_matches('.').to_ascii_lowercase();
            if !out.contains(&dest) {
                out.push(dest);
            }
        }
    }
    out
}

/// Why mail to `dest` cannot be delivered, from its MX lookup and (when it has no MX) its
/// address lookup; `None` when it can, or when the lookups were inconclusive.
fn undeliverable(d: &DmarcEvidence, dest: &str) -> Option<String> {
    let mx = d.report_mx.iter().find(|l| l.name == dest)?;
    match mx.outcome {
        ResolveOutcome::NotFound => Some(format!("the domain {dest} does not exist (NXDOMAIN)")),
        ResolveOutcome::Found if mx.records.iter().all(|r| r.ends_with(" .")) => Some(format!(
            "{dest} publishes a null MX (RFC 7505): it accepts no mail"
        )),
        ResolveOutcome::NoAddress => {
            let a = d.report_addresses.iter().find(|l| l.name == dest)?;
            matches!(
                a.outcome,
                ResolveOutcome::NotFound | ResolveOutcome::NoAddress
            )
            .then(|| format!("{dest} has neither MX records nor an address"))
        }
        _ => None,
    }
}

/// The DMARC policy that applies to the domain itself and its pct (`p`, or `sp` when the
/// organisational domain's record applies); `None` when no usable record applies.
fn applied_policy(d: &DmarcEvidence) -> Option<(String, u8)> {
    let AppliedDmarc::Record {
        record, inherited, ..
    } = applied_dmarc(d)
    else {
        return None;
    };
    let parsed = records::parse_dmarc(record).ok()?;
    let (_, policy) = policy_tag(&parsed, inherited);
    Some((policy.to_string(), parsed.pct))
}

/// The tag whose policy applies and its value: `sp` (when given) for a domain under the
/// organisational domain whose record it inherits, else `p`.
fn policy_tag(parsed: &records::Dmarc, inherited: bool) -> (&'static str, &str) {
    match (&parsed.sp, inherited) {
        (Some(sp), true) => ("sp", sp.as_str()),
        _ => ("p", parsed.p.as_str()),
    }
}

/// Whether `host` is one of `approved`, or lies under one of them (`google.com` approves
/// `aspmx.l.google.com`).
fn is_approved(host: &str, approved: &[String]) -> bool {
    approved
        .iter()
        .any(|a| host == a || host.ends_with(&format!(".{a}")))
}

/// `--approved-ns`: each name server of the zone must be approved.
fn approved_ns(report: &DomainReport, out: &mut Vec<Finding>) {
    let Some(ns) = report
        .ns
        .as_ref()
        .filter(|_| !report.approved_ns.is_empty())
    else {
        return;
    };
    for host in ns
        .records
        .iter()
        .filter(|h| !is_approved(h, &report.approved_ns))
    {
        out.push(
            Finding::new(Code::NsNotApproved)
                .param("domain", &report.domain)
                .param("ns_host", host)
                .param("approved", report.approved_ns.join(", "))
                .evidence(&ns.name),
        );
    }
}

/// `--parked`: a domain that sends and receives no mail should say so: SPF `v=spf1 -all`,
/// DMARC p=reject and sp=reject, and no MX but a null MX (RFC 7505).
fn parked(report: &DomainReport, out: &mut Vec<Finding>) {
    if !report.parked {
        return;
    }
    let mut problems: Vec<String> = Vec::new();
    let mail_hosts: Vec<&str> = report
        .mx_hosts
        .iter()
        .map(|h| h.exchange.as_str())
        .filter(|h| *h != ".")
        .collect();
    if !mail_hosts.is_empty() {
        problems.push(format!("MX records name {}", mail_hosts.join(", ")));
    } else if report.mx.outcome != ResolveOutcome::Found {
        problems.push("there is no null MX".into());
    }
    let spf: Vec<String> = report
        .spf
        .as_ref()
        .and_then(|v| v.get("records"))
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let locked_spf = |r: &String| r.split_whitespace().collect::<Vec<_>>() == ["v=spf1", "-all"];
    if spf.len() != 1 || !spf.iter().all(locked_spf) {
        problems.push(match spf.as_slice() {
            [] => "there is no SPF record".to_string(),
            records => format!(
                "the SPF record is {}, not \"v=spf1 -all\"",
                records.join(" and ")
            ),
        });
    }
    match applied_dmarc(&report.dmarc) {
        AppliedDmarc::Record { record, .. } => match records::parse_dmarc(record) {
            Ok(d) if d.p == "reject" && d.sp.as_deref().unwrap_or("reject") == "reject" => {}
            Ok(d) => problems.push(format!(
                "the DMARC policy is p={}{}, not p=reject with sp=reject",
                d.p,
                d.sp.map(|sp| format!(", sp={sp}")).unwrap_or_default()
            )),
            Err(_) => problems.push("the DMARC record is not valid".into()),
        },
        AppliedDmarc::Unknown => {}
        _ => problems.push("there is no usable DMARC record".into()),
    }
    if !problems.is_empty() {
        out.push(
            Finding::new(Code::ParkedDomainOpen)
                .param("domain", &report.domain)
                .param("detail", problems.join("; "))
                .evidence(&report.mx.name),
        );
    }
}

/// `--approved-mx`: each MX host must be one of the approved hosts, or lie under an approved
/// domain (`google.com` approves `aspmx.l.google.com`).
fn approved_mx(report: &DomainReport, out: &mut Vec<Finding>) {
    if report.approved_mx.is_empty() {
        return;
    }
    for host in &report.mx_hosts {
        let name = host.exchange.as_str();
        if name != "." && !is_approved(name, &report.approved_mx) {
            out.push(
                Finding::new(Code::MxNotApproved)
                    .param("domain", &report.domain)
                    .param("mx_host", name)
                    .param("approved", report.approved_mx.join(", "))
                    .evidence(&report.mx.name),
            );
        }
    }
}

/// BIMI: the record, DMARC at enforcement, the logo's SVG profile and the mark certificate.
/// Everything that keeps the logo from showing goes into one finding.
fn bimi(report: &DomainReport, out: &mut Vec<Finding>) {
    let Some(lookup) = &report.bimi else {
        return;
    };
    let found: Vec<&String> = lookup
        .records
        .iter()
        .filter(|r| records::is_bimi(r))
        .collect();
    let mut problems: Vec<String> = Vec::new();
    match found.as_slice() {
        [] => return,
        [one] => match records::parse_bimi(one) {
            Err(e) => problems.push(e),
            // Both empty: the domain declines to show a logo.
            Ok(r) if r.logo.is_empty() && r.certificate.is_empty() => return,
            Ok(r) if r.logo.is_empty() => problems.push("l= names no logo".into()),
            Ok(_) => {}
        },
        more => problems.push(format!("{} BIMI records at {}", more.len(), lookup.name)),
    }
    match applied_policy(&report.dmarc) {
        Some((p, 100)) if p == "quarantine" || p == "reject" => {}
        Some((p, pct)) => problems.push(format!(
            "the DMARC policy is p={p} with pct={pct}, and BIMI needs p=quarantine or p=reject at pct=100"
        )),
        None => problems.push("no usable DMARC record applies, and BIMI needs one at enforcement".into()),
    }
    let assets = report.bimi_assets.clone().unwrap_or_default();
    if let Some(logo) = &assets.logo {
        problems.extend(logo_problems(logo));
    }
    if let Some(cert) = &assets.certificate {
        problems.extend(certificate_problems(report, cert, assets.logo.as_ref()));
    }
    if !problems.is_empty() {
        out.push(
            Finding::new(Code::BimiInvalid)
                .param("domain", &report.domain)
                .param("detail", problems.join("; "))
                .evidence(&lookup.name),
        );
    }
}

/// What keeps a BIMI logo from the SVG Tiny Portable/Secure profile.
fn logo_problems(logo: &BimiLogo) -> Vec<String> {
    let url = &logo.url;
    if !logo.fetched {
        return vec![format!(
            "the logo {url} could not be fetched ({})",
            logo.detail
        )];
    }
    let Some(svg) = &logo.svg else {
        return vec![format!(
            "the logo {url} is not an SVG document ({})",
            logo.detail
        )];
    };
    let mut out = Vec::new();
    if svg.version.as_deref() != Some("1.2") {
        out.push(format!(
            "the logo's <svg> has version={}, not \"1.2\"",
            svg.version.as_deref().unwrap_or("(none)")
        ));
    }
    if svg.base_profile.as_deref() != Some("tiny-ps") {
        out.push(format!(
            "the logo's <svg> has baseProfile={}, not \"tiny-ps\"",
            svg.base_profile.as_deref().unwrap_or("(none)")
        ));
    }
    if !svg.has_title {
        out.push("the logo has no <title>".into());
    }
    if svg.root_position {
        out.push("the logo's <svg> element has x= or y=".into());
    }
    if logo.size > 32 * 1024 {
        out.push(format!("the logo is {} bytes, above 32 KB", logo.size));
    }
    out
}

/// What is wrong with a BIMI mark certificate, at the time of the report: its issuer (a Mark
/// Verifying Authority), dates, names and the logo it holds.
fn certificate_problems(
    report: &DomainReport,
    cert: &MarkCertificate,
    logo: Option<&BimiLogo>,
) -> Vec<String> {
    // Not fetched, or fetched but not a certificate: the detail says which.
    let Some(leaf) = cert.leaf.as_ref().filter(|_| cert.fetched) else {
        return vec![format!(
            "the mark certificate {} could not be read ({})",
            cert.url, cert.detail
        )];
    };
    let mut out = Vec::new();
    if !cert.issuer_verified {
        out.push(format!(
            "the mark certificate was not issued by a recognised Mark Verifying Authority ({})",
            cert.issuer_detail
        ));
    }
    out.extend(subject_problems(cert));
    // VMC requirements: no name constraints in a mark certificate, and no pilot identifier
    // in one issued from 2025-03-15 (Unix 1741996800) on.
    let has = |oid: &str| cert.extensions.iter().any(|e| e == oid);
    if has("2.5.29.30") {
        out.push("the mark certificate has a name constraints extension, which mark certificates may not".into());
    }
    if has("1.3.6.1.4.1.53087.4.1") && leaf.not_before_unix >= 1_741_996_800 {
        out.push("the mark certificate has the pilot identifier, which certificates issued from 2025-03-15 on may not".into());
    }
    let now = i64::try_from(report.started_at_unix).unwrap_or(i64::MAX);
    if leaf.not_after_unix < now {
        out.push(format!(
            "the mark certificate expired on {}",
            crate::fmt::date(leaf.not_after_unix)
        ));
    }
    if leaf.not_before_unix > now {
        out.push(format!(
            "the mark certificate is valid only from {}",
            crate::fmt::date(leaf.not_before_unix)
        ));
    }
    let names_domain = leaf.names.iter().any(|n| {
        n.eq_ignore_ascii_case(&report.domain) || n.eq_ignore_ascii_case(&report.dmarc.org_domain)
    });
    if !names_domain {
        out.push(format!(
            "the mark certificate names {}, not {}",
            if leaf.names.is_empty() {
                "no domain".to_string()
            } else {
                leaf.names.join(", ")
            },
            report.domain
        ));
    }
    match (&cert.logo_sha256, logo) {
        _ if !cert.logotype => {
            out.push("the mark certificate holds no logo (logotype extension)".into())
        }
        (Some(inside), Some(served)) if served.fetched && *inside != served.sha256 => {
            out.push("the logo in the mark certificate differs from the one at l=".into());
        }
        _ => {}
    }
    out
}

/// What the VMC requirements (section 7.1.4.2.2) ask of a mark certificate's subject: a
/// known markType and the fields every mark type and this one need.
fn subject_problems(cert: &MarkCertificate) -> Vec<String> {
    const ALL: &[&str] = &[
        "organizationName",
        "streetAddress",
        "countryName",
        "businessCategory",
        "serialNumber",
        "jurisdictionOfIncorporationCountryName",
    ];
    let by_type: &[&str] = match cert.mark_type.as_deref() {
        None => return vec!["the mark certificate's subject has no markType".into()],
        Some("Registered Mark" | "Modified Registered Mark") => {
            &["trademarkCountryOrRegionName", "trademarkIdentifier"]
        }
        Some("Government Mark") => &["statuteCountryName", "statuteCitation"],
        Some("Prior Use Mark") => &[],
        Some(other) => {
            return vec![format!(
                "the mark certificate's markType \"{other}\" is not one of Registered Mark, Government Mark, Prior Use Mark, Modified Registered Mark"
            )];
        }
    };
    let has = |f: &str| cert.subject_fields.iter().any(|s| s == f);
    let mut missing: Vec<&str> = ALL
        .iter()
        .chain(by_type)
        .copied()
        .filter(|f| !has(f))
        .collect();
    if !has("localityName") && !has("stateOrProvinceName") {
        missing.push("localityName or stateOrProvinceName");
    }
    if missing.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "the mark certificate's subject lacks {} (needed for a {} certificate)",
            missing.join(", "),
            cert.mark_type.as_deref().unwrap_or_default()
        )]
    }
}

/// The name of the authorisation record of `dest` for reports about `record_domain`.
pub fn report_authorization_name(record_domain: &str, dest: &str) -> String {
    format!("{record_domain}._report._dmarc.{dest}")
}

/// The DMARC rules. Returns whether a usable DMARC record applies; `None` when the lookups
/// were inconclusive.
fn dmarc(report: &DomainReport, out: &mut Vec<Finding>) -> Option<bool> {
    let d = &report.dmarc;
    match applied_dmarc(d) {
        AppliedDmarc::Unknown => None,
        AppliedDmarc::Missing => {
            out.push(
                Finding::new(Code::DmarcMissing)
                    .param("domain", &report.domain)
                    .param("org_domain", &d.org_domain)
                    .evidence(&d.lookup.name),
            );
            Some(false)
        }
        AppliedDmarc::Multiple {
            record_domain,
            count,
        } => {
            out.push(
                Finding::new(Code::DmarcMultipleRecords)
                    .param("record_domain", record_domain)
                    .param("count", count)
                    .evidence(format!("_dmarc.{record_domain}")),
            );
            Some(false)
        }
        AppliedDmarc::Record {
            record_domain,
            record,
            inherited,
        } => {
            let evidence = format!("_dmarc.{record_domain}");
            let parsed = match records::parse_dmarc(record) {
                Ok(p) => p,
                Err(detail) => {
                    out.push(
                        Finding::new(Code::DmarcInvalid)
                            .param("record_domain", record_domain)
                            .param("detail", detail)
                            .evidence(evidence),
                    );
                    return Some(false);
                }
            };
            let removed: Vec<&str> = records::tag_list(record)
                .unwrap_or_default()
                .iter()
                .filter_map(|(t, _)| match t.as_str() {
                    "pct" => Some("pct="),
                    "rf" => Some("rf="),
                    "ri" => Some("ri="),
                    _ => None,
                })
                .collect();
            if !removed.is_empty() {
                out.push(
                    Finding::new(Code::DmarcRemovedTag)
                        .param("record_domain", record_domain)
                        .param("tags", removed.join(", "))
                        .evidence(&evidence),
                );
            }
            let lookup = if inherited {
                d.org_lookup.as_ref()
            } else {
                Some(&d.lookup)
            };
            let unrelated: Vec<String> = lookup
                .map(|l| {
                    l.records
                        .iter()
                        .filter(|r| !records::is_dmarc(r))
                        .map(|r| format!("\"{r}\""))
                        .collect()
                })
                .unwrap_or_default();
            if !unrelated.is_empty() {
                out.push(
                    Finding::new(Code::DmarcUnrelatedTxt)
                        .param("record_domain", record_domain)
                        .param("records", unrelated.join(", "))
                        .evidence(&evidence),
                );
            }
            let (tag, policy) = policy_tag(&parsed, inherited);
            if policy == "none" {
                out.push(
                    Finding::new(Code::DmarcPolicyNone)
                        .param("record_domain", record_domain)
                        .param("tag", tag)
                        .evidence(&evidence),
                );
            }
            for dest in report_destination_domains(record) {
                if let Some(why) = undeliverable(d, &dest) {
                    out.push(
                        Finding::new(Code::DmarcReportUndeliverable)
                            .param("record_domain", record_domain)
                            .param("destination", &dest)
                            .param("detail", why)
                            .evidence(&dest),
                    );
                }
            }
            for dest in external_report_destinations(record_domain, record) {
                let name = report_authorization_name(record_domain, &dest);
                let Some(lookup) = d.report_authorizations.iter().find(|l| l.name == name) else {
                    continue;
                };
                let authorised = lookup.outcome == ResolveOutcome::Found
                    && lookup.records.iter().any(|r| records::is_dmarc(r));
                if !authorised && !lookup.is_inconclusive() {
                    out.push(
                        Finding::new(Code::DmarcRuaUnauthorized)
                            .param("record_domain", record_domain)
                            .param("destination", &dest)
                            .param("authorization_name", &name)
                            .evidence(&name),
                    );
                }
            }
            Some(true)
        }
    }
}

/// Returns whether a usable DKIM key was found at any selector.
fn dkim(report: &DomainReport, out: &mut Vec<Finding>) -> bool {
    let domain = &report.domain;
    let mut usable = false;
    let mut missing_given: Vec<&str> = Vec::new();
    for k in &report.dkim {
        let keys: Vec<&String> = k
            .lookup
            .records
            .iter()
            .filter(|r| records::is_dkim_key(r))
            .collect();
        if keys.is_empty() {
            if k.given && !k.lookup.is_inconclusive() {
                missing_given.push(&k.selector);
            }
            continue;
        }
        let key = records::parse_dkim_key(keys[0]);
        let sel = k.selector.as_str();
        let ev = k.lookup.name.as_str();
        match &key {
            DkimKey::Revoked { .. } => out.push(
                Finding::new(Code::DkimKeyRevoked)
                    .param("domain", domain)
                    .param("selector", sel)
                    .evidence(ev),
            ),
            DkimKey::Rsa { bits, .. } => {
                if *bits < 2048 {
                    let f = Finding::new(Code::DkimKeyWeak)
                        .param("domain", domain)
                        .param("selector", sel)
                        .param("bits", bits)
                        .evidence(ev);
                    // Below 1024 bits receivers treat the signature as absent (RFC 8301).
                    out.push(if *bits < 1024 {
                        f.severity(Severity::Error)
                    } else {
                        f
                    });
                }
                usable |= *bits >= 1024;
            }
            DkimKey::Ed25519 { .. } => usable = true,
            DkimKey::Unusable { detail, .. } => out.push(
                Finding::new(Code::DkimKeyInvalid)
                    .param("domain", domain)
                    .param("selector", sel)
                    .param("detail", detail)
                    .evidence(ev),
            ),
        }
        if key.testing() {
            out.push(
                Finding::new(Code::DkimTesting)
                    .param("domain", domain)
                    .param("selector", sel)
                    .evidence(ev),
            );
        }
    }
    let anything_found = report
        .dkim
        .iter()
        .any(|k| k.lookup.records.iter().any(|r| records::is_dkim_key(r)));
    if !missing_given.is_empty() {
        out.push(
            Finding::new(Code::DkimKeyMissing)
                .param("domain", domain)
                .param("selectors", missing_given.join(", ")),
        );
    } else if !anything_found && report.dkim.iter().all(|k| !k.lookup.is_inconclusive()) {
        let tried: Vec<&str> = report.dkim.iter().map(|k| k.selector.as_str()).collect();
        out.push(
            Finding::new(Code::DkimKeyMissing)
                .param("domain", domain)
                .param("selectors", tried.join(", ")),
        );
    }
    usable
}

fn mta_sts(report: &DomainReport, out: &mut Vec<Finding>) {
    let domain = &report.domain;
    let m = &report.mta_sts;
    let sts: Vec<&String> = m
        .txt
        .records
        .iter()
        .filter(|r| records::is_mta_sts(r))
        .collect();
    let invalid = |detail: String| {
        Finding::new(Code::MtaStsInvalid)
            .param("domain", domain)
            .param("detail", detail)
    };
    match sts.len() {
        0 => return, // no MTA-STS: optional
        1 => {}
        n => {
            out.push(
                invalid(format!("{n} MTA-STS records at {}", m.txt.name)).evidence(&m.txt.name),
            );
            return;
        }
    }
    if let Err(detail) = records::check_mta_sts_txt(sts[0]) {
        out.push(invalid(detail).evidence(&m.txt.name));
        return;
    }
    let Some(fetch) = &m.policy else {
        return;
    };
    if !fetch.fetched {
        out.push(invalid(format!("{}: {}", fetch.url, fetch.detail)).evidence(&fetch.url));
        return;
    }
    let policy = match records::parse_sts_policy(&fetch.body) {
        Ok(p) => p,
        Err(detail) => {
            out.push(invalid(format!("{}: {detail}", fetch.url)).evidence(&fetch.url));
            return;
        }
    };
    // RFC 8461 §3.3: the policy MUST be served as text/plain; a strict sender ignores it
    // otherwise, so the rest of it still counts but may not be applied.
    if fetch.content_type.as_deref() != Some("text/plain") {
        let served = fetch.content_type.as_deref().unwrap_or("no Content-Type");
        out.push(
            invalid(format!(
                "{}: served as {served}, not text/plain (RFC 8461 §3.3)",
                fetch.url
            ))
            .severity(Severity::Warning)
            .evidence(&fetch.url),
        );
    }
    if policy.mode == "none" {
        return;
    }
    for host in &report.mx_hosts {
        if host.exchange == "." {
            continue;
        }
        if !policy
            .mx
            .iter()
            .any(|p| records::sts_mx_matches(p, &host.exchange))
        {
            let f = Finding::new(Code::MtaStsMismatch)
                .param("domain", domain)
                .param("mx_host", &host.exchange)
                .param("patterns", policy.mx.join(", "))
                .evidence(&fetch.url);
            out.push(if policy.mode == "testing" {
                f.severity(Severity::Warning)
            } else {
                f
            });
        }
    }
}

/// TLS-RPT (RFC 8460 §3): senders keep the records beginning with `v=TLSRPTv1` and use one
/// only when exactly one is left and it is valid. A record meant as TLS-RPT that begins
/// otherwise (another version, spaces) is reported as invalid rather than missing.
fn tlsrpt(report: &DomainReport, out: &mut Vec<Finding>) {
    let t = &report.tlsrpt;
    if t.is_inconclusive() {
        return;
    }
    let invalid = |record: &str, detail: String| {
        Finding::new(Code::TlsrptInvalid)
            .param("domain", &report.domain)
            .param("record", record)
            .param("detail", detail)
            .evidence(&t.name)
    };
    let v1: Vec<&str> = t
        .records
        .iter()
        .map(String::as_str)
        .filter(|r| records::is_tlsrpt(r))
        .collect();
    match v1.as_slice() {
        [] => match t.records.iter().find(|r| records::looks_like_tlsrpt(r)) {
            Some(r) => {
                if let Err(detail) = records::parse_tlsrpt(r) {
                    out.push(invalid(r, detail));
                }
            }
            None => out.push(
                Finding::new(Code::TlsrptMissing)
                    .param("domain", &report.domain)
                    .evidence(&t.name),
            ),
        },
        [one] => {
            if let Err(detail) = records::parse_tlsrpt(one) {
                out.push(invalid(one, detail));
            }
        }
        many => out.push(invalid(
            &many.join(" | "),
            format!(
                "{} records at {} begin with v=TLSRPTv1; senders use none of them",
                many.len(),
                t.name
            ),
        )),
    }
}

/// The TLSA records of each MX host: a record of the wrong shape for SMTP, or (with `--smtp`,
/// when the host presented its certificates on port 25) no record matching them. One
/// finding per host; the mismatch wins. An error when the resolver validated the records
/// (AD bit): DANE senders then defer all mail to the host.
fn tlsa(report: &DomainReport, out: &mut Vec<Finding>) {
    let mut seen: Vec<&str> = Vec::new();
    for host in &report.mx_hosts {
        let Some(t) = host.tlsa.as_ref().filter(|t| !t.records.is_empty()) else {
            continue;
        };
        // A host named by two MX records is judged once.
        if seen.contains(&t.name.as_str()) {
            continue;
        }
        seen.push(&t.name);
        let malformed = t.records.iter().find_map(|r| records::check_tlsa(r).err());
        let mismatch = presented_chain(report, &host.exchange).and_then(|chain| {
            let verdicts: Vec<Option<bool>> = t
                .records
                .iter()
                .map(|r| records::tlsa_matches(r, chain))
                .collect();
            if verdicts.iter().any(|v| *v != Some(false)) {
                return None;
            }
            let mut detail = format!(
                "none of the {} TLSA records matches the certificates {} presented on port 25",
                t.records.len(),
                host.exchange
            );
            if let Some(leaf) = chain.first().filter(|l| !l.spki_sha256.is_empty()) {
                detail.push_str(&format!(
                    "; a DANE-EE record for its current key would be \"3 1 1 {}\"",
                    leaf.spki_sha256
                ));
            }
            Some(detail)
        });
        let is_mismatch = mismatch.is_some();
        if let Some(detail) = mismatch.or(malformed) {
            let f = Finding::new(Code::TlsaMismatch)
                .param("mx_host", &host.exchange)
                .param("detail", detail)
                .evidence(&t.name);
            out.push(if is_mismatch && t.authentic_data {
                f.severity(Severity::Error)
            } else {
                f
            });
        }
    }
}

/// The certificate chain `host` presented on port 25 (`--smtp`), when the handshake was
/// established.
fn presented_chain<'a>(report: &'a DomainReport, host: &str) -> Option<&'a [CertInfo]> {
    report
        .smtp
        .iter()
        .filter(|ev| ev.endpoint.host.eq_ignore_ascii_case(host))
        .flat_map(|ev| &ev.steps)
        .find_map(|step| match &step.kind {
            maildoc_model::StepKind::Tls(t)
                if t.handshake == maildoc_model::TlsHandshake::Established
                    && !t.chain.is_empty() =>
            {
                Some(t.chain.as_slice())
            }
            _ => None,
        })
}

/// The Gmail/Yahoo (2024) and Japanese carriers' sender requirements, as far as DNS shows
/// them: SPF or DKIM that can pass, a DMARC record, reverse DNS of the sending address, and
/// (with `--mail-from`) an envelope domain aligned with the domain. `missing` lists the codes
/// of the findings that stand in the way.
fn requirements_finding(
    report: &DomainReport,
    dkim_ok: bool,
    found: &[Finding],
) -> Option<Finding> {
    let mut missing: Vec<&str> = Vec::new();
    for f in found {
        let blocks = matches!(
            f.code,
            Code::DmarcMissing | Code::DmarcInvalid | Code::DmarcMultipleRecords
        ) || (f.code == Code::DkimKeyWeak && f.severity == Severity::Error)
            || (matches!(f.code, Code::PtrMissing | Code::PtrMismatch)
                && f.params.get("mx_host").map(String::as_str) == Some("--ip"));
        if blocks && !missing.contains(&f.code.as_str()) {
            missing.push(f.code.as_str());
        }
    }
    // SPF or DKIM: unmet only when SPF is known not to pass (from the SPF findings already in
    // `report.findings`, which `maildoc_auth` produced) and no usable DKIM key was seen.
    let spf_errors: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.code.as_str().starts_with("spf-") && f.severity == Severity::Error)
        .map(|f| f.code.as_str())
        .collect();
    let spf_fails =
        report.spf_ok == Some(false) || spf_errors.contains(&Code::SpfIpNotAuthorized.as_str());
    if !dkim_ok && spf_fails {
        if spf_errors.is_empty() {
            missing.push("spf-missing");
        }
        for code in spf_errors {
            if !missing.contains(&code) {
                missing.push(code);
            }
        }
        if !missing.contains(&"dkim-key-missing") {
            missing.push("dkim-key-missing");
        }
    }
    if let Some(from) = &report.mail_from {
        let from_domain = from.rsplit_once('@').map_or(from.as_str(), |(_, d)| d);
        if psl::org_domain(from_domain) != psl::org_domain(&report.domain) {
            missing.push("mail-from-not-aligned");
        }
    }
    if missing.is_empty() {
        return None;
    }
    Some(
        Finding::new(Code::SenderRequirementsUnmet)
            .param("domain", &report.domain)
            .param("missing", missing.join(", ")),
    )
}

#[cfg(test)]
mod tests;
