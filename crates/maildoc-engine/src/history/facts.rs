//! The facts of a report that a later run may find changed: records, certificates, banners,
//! capabilities, quota, settings. Timings, addresses a name resolved to (they rotate) and
//! message counts (they change with every mail) are left out, so a run with nothing new has
//! the same facts as the one before.

use super::Snapshot;
use crate::discover::Recommendation;
use maildoc_model::domain::{DnsLookup, DomainReport};
use maildoc_model::evidence::{StepKind, TlsHandshake};
use maildoc_model::{ResolveOutcome, ServerEvidence};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a fact is about. The words for each are in the report crate's UI table
/// (`history-fact-<name>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FactName {
    /// A server's host, port and security, as checked.
    Server,
    /// The server's greeting, without the parts that change per connection.
    Banner,
    Capabilities,
    CapabilitiesAfterTls,
    TlsVersion,
    /// The leaf certificate's SHA-256.
    Certificate,
    CertificateExpiry,
    CertificateIssuer,
    /// Mailbox quota: the limit, and the share used in steps of 10 %.
    Quota,
    Provider,
    Incoming,
    Alternative,
    Outgoing,
    Mx,
    Spf,
    Dmarc,
    Dkim,
    MtaSts,
    MtaStsPolicy,
    TlsRpt,
    Tlsa,
    Ns,
    Bimi,
    /// Whether a blocklist lists an address: its answer (none: not listed).
    Dnsbl,
}

impl FactName {
    pub fn as_str(self) -> &'static str {
        match self {
            FactName::Server => "server",
            FactName::Banner => "banner",
            FactName::Capabilities => "capabilities",
            FactName::CapabilitiesAfterTls => "capabilities-after-tls",
            FactName::TlsVersion => "tls-version",
            FactName::Certificate => "certificate",
            FactName::CertificateExpiry => "certificate-expiry",
            FactName::CertificateIssuer => "certificate-issuer",
            FactName::Quota => "quota",
            FactName::Provider => "provider",
            FactName::Incoming => "incoming",
            FactName::Alternative => "alternative",
            FactName::Outgoing => "outgoing",
            FactName::Mx => "mx",
            FactName::Spf => "spf",
            FactName::Dmarc => "dmarc",
            FactName::Dkim => "dkim",
            FactName::MtaSts => "mta-sts",
            FactName::MtaStsPolicy => "mta-sts-policy",
            FactName::TlsRpt => "tls-rpt",
            FactName::Tlsa => "tlsa",
            FactName::Ns => "ns",
            FactName::Bimi => "bimi",
            FactName::Dnsbl => "dnsbl",
        }
    }

    pub const ALL: [FactName; 24] = [
        FactName::Server,
        FactName::Banner,
        FactName::Capabilities,
        FactName::CapabilitiesAfterTls,
        FactName::TlsVersion,
        FactName::Certificate,
        FactName::CertificateExpiry,
        FactName::CertificateIssuer,
        FactName::Quota,
        FactName::Provider,
        FactName::Incoming,
        FactName::Alternative,
        FactName::Outgoing,
        FactName::Mx,
        FactName::Spf,
        FactName::Dmarc,
        FactName::Dkim,
        FactName::MtaSts,
        FactName::MtaStsPolicy,
        FactName::TlsRpt,
        FactName::Tlsa,
        FactName::Ns,
        FactName::Bimi,
        FactName::Dnsbl,
    ];

    /// A change of this fact is worth an alert: the domain's mail records and keys.
    pub fn is_record(self) -> bool {
        matches!(
            self,
            FactName::Mx
                | FactName::Spf
                | FactName::Dmarc
                | FactName::Dkim
                | FactName::MtaSts
                | FactName::MtaStsPolicy
                | FactName::Tlsa
                | FactName::Ns
        )
    }
}

/// One fact: its name, what it is of (a server id, an MX host, a DKIM selector, a blocklist
/// and address; empty for the subject itself), and its value as text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Fact {
    pub name: FactName,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    pub value: String,
}

/// The facts of a report, sorted.
pub fn facts(snapshot: &Snapshot) -> Vec<Fact> {
    let mut out = Facts(Vec::new());
    match snapshot {
        Snapshot::Check(report) => {
            if let Some(provider) = &report.target.provider {
                out.push(FactName::Provider, "", provider.clone());
            }
            for server in &report.servers {
                out.server(server);
            }
        }
        Snapshot::Discover(d) => {
            if let Some(p) = &d.provider {
                out.push(FactName::Provider, "", p.name.clone());
            }
            for (name, rec) in [
                (FactName::Incoming, &d.incoming),
                (FactName::Alternative, &d.alternative),
                (FactName::Outgoing, &d.outgoing),
            ] {
                if let Some(rec) = rec {
                    out.push(name, "", recommendation(rec));
                }
            }
        }
        Snapshot::Domain(report) => out.domain(report),
        // The servers the test message went out through and was looked for on; a message's
        // own changes are its findings.
        Snapshot::Roundtrip(r) => {
            for server in r
                .sent
                .servers
                .iter()
                .chain(r.watched.iter().flat_map(|w| &w.servers))
            {
                out.server(server);
            }
        }
        Snapshot::Message(_) => {}
    }
    out.0.sort();
    out.0
}

struct Facts(Vec<Fact>);

impl Facts {
    fn push(&mut self, name: FactName, scope: &str, value: String) {
        self.0.push(Fact {
            name,
            scope: scope.to_owned(),
            value,
        });
    }

    /// A lookup's records, sorted, when it got a definite answer (none: an empty value); a
    /// lookup that failed says nothing, so a passing DNS fault is not a change.
    fn lookup(&mut self, name: FactName, scope: &str, lookup: &DnsLookup) {
        if let Some(value) = records(lookup) {
            self.push(name, scope, value);
        }
    }

    fn server(&mut self, server: &ServerEvidence) {
        let id = server.id.as_str();
        self.push(FactName::Server, id, server.endpoint.describe());
        for step in &server.steps {
            match &step.kind {
                StepKind::Greeting { text, .. } if !text.is_empty() => {
                    self.set(FactName::Banner, id, banner(text));
                }
                StepKind::Capabilities {
                    items, after_tls, ..
                } => {
                    let mut items: Vec<&str> = items.iter().map(String::as_str).collect();
                    items.sort_unstable();
                    items.dedup();
                    let name = if *after_tls {
                        FactName::CapabilitiesAfterTls
                    } else {
                        FactName::Capabilities
                    };
                    // The first list on each side of TLS: IMAP repeats CAPABILITY after
                    // login with more in it, which is not a change of the server.
                    if !self.has(name, id) {
                        self.push(name, id, items.join(" "));
                    }
                }
                StepKind::Tls(tls) if tls.handshake == TlsHandshake::Established => {
                    if let Some(version) = &tls.version {
                        self.set(FactName::TlsVersion, id, version.clone());
                    }
                    if let Some(leaf) = tls.chain.first() {
                        self.set(FactName::Certificate, id, leaf.sha256.clone());
                        self.set(FactName::CertificateExpiry, id, leaf.not_after.clone());
                        self.set(FactName::CertificateIssuer, id, leaf.issuer.clone());
                    }
                }
                StepKind::Quota {
                    resource,
                    usage,
                    limit,
                    ..
                } if *limit > 0 => {
                    let band = (usage.saturating_mul(10) / limit).min(10) * 10;
                    self.set(FactName::Quota, id, format!("{resource} {limit}, {band}%+"));
                }
                _ => {}
            }
        }
    }

    fn has(&self, name: FactName, scope: &str) -> bool {
        self.0.iter().any(|f| f.name == name && f.scope == scope)
    }

    /// Sets a fact once per scope: the last value wins.
    fn set(&mut self, name: FactName, scope: &str, value: String) {
        match self
            .0
            .iter_mut()
            .find(|f| f.name == name && f.scope == scope)
        {
            Some(f) => f.value = value,
            None => self.push(name, scope, value),
        }
    }

    fn domain(&mut self, report: &DomainReport) {
        if report.mx.outcome == ResolveOutcome::Found || report.mx.is_absent() {
            let mut mx: Vec<String> = report
                .mx_hosts
                .iter()
                .map(|h| format!("{} {}", h.preference, h.exchange))
                .collect();
            mx.sort();
            self.push(FactName::Mx, "", mx.join("\n"));
        }
        for host in &report.mx_hosts {
            if let Some(tlsa) = &host.tlsa {
                self.lookup(FactName::Tlsa, &host.exchange, tlsa);
            }
        }
        if let Some(spf) = &report.spf {
            let mut records = spf.records.clone();
            records.sort();
            self.push(FactName::Spf, "", records.join("\n"));
        }
        self.lookup(FactName::Dmarc, "", &report.dmarc.lookup);
        for dkim in &report.dkim {
            self.lookup(FactName::Dkim, &dkim.selector, &dkim.lookup);
        }
        self.lookup(FactName::MtaSts, "", &report.mta_sts.txt);
        if let Some(policy) = report.mta_sts.policy.as_ref().filter(|p| p.fetched) {
            self.push(FactName::MtaStsPolicy, "", policy.body.trim().to_owned());
        }
        self.lookup(FactName::TlsRpt, "", &report.tlsrpt);
        if let Some(ns) = &report.ns {
            self.lookup(FactName::Ns, "", ns);
        }
        if let Some(bimi) = &report.bimi {
            self.lookup(FactName::Bimi, "", bimi);
        }
        // By blocklist and whose address (the MX host's name, or the sending address): the
        // addresses an MX name resolves to rotate. Listed when any address is; not listed
        // when every answer says so; unknown otherwise.
        let mut lists: BTreeMap<String, Vec<&DnsLookup>> = BTreeMap::new();
        for check in &report.dnsbl {
            let of = check.source.name(&report.domain);
            lists
                .entry(format!("{} {of}", check.zone))
                .or_default()
                .push(&check.query);
        }
        for (scope, answers) in lists {
            let listed: Vec<String> = answers
                .iter()
                .filter(|a| a.outcome == ResolveOutcome::Found)
                .flat_map(|a| a.records.iter().cloned())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            if !listed.is_empty() {
                self.push(FactName::Dnsbl, &scope, listed.join(" "));
            } else if answers.iter().all(|a| a.is_absent()) {
                self.push(FactName::Dnsbl, &scope, String::new());
            }
        }
        for server in &report.smtp {
            self.server(server);
        }
    }
}

fn records(lookup: &DnsLookup) -> Option<String> {
    if lookup.outcome == ResolveOutcome::Found {
        let mut r = lookup.records.clone();
        r.sort();
        Some(r.join("\n"))
    } else if lookup.is_absent() {
        Some(String::new())
    } else {
        None
    }
}

fn recommendation(rec: &Recommendation) -> String {
    rec.server.endpoint().describe()
}

/// A greeting without what changes per connection: an APOP challenge or session id in
/// angle brackets, and the date and time some servers add after a `;`.
fn banner(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0u32;
    for c in text.chars() {
        match c {
            '<' => depth += 1,
            '>' if depth > 0 => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let out = match out.split_once(';') {
        Some((head, tail)) if tail.chars().any(|c| c.is_ascii_digit()) => head.to_owned(),
        _ => out,
    };
    out.split_whitespace()
        .filter(|w| !is_time(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `12:34:56` or `12:34`.
fn is_time(word: &str) -> bool {
    let parts: Vec<&str> = word.split(':').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_banner_keeps_what_names_the_server_and_drops_what_changes() {
        assert_eq!(
            banner("+OK Dovecot ready. <1896.697170952@dbc.mtview.ca.us>"),
            "+OK Dovecot ready."
        );
        assert_eq!(
            banner(
                "220 mx.example.jp ESMTP Sendmail 8.15.2/8.15.2; Mon, 7 Dec 2026 09:00:01 +0900"
            ),
            "220 mx.example.jp ESMTP Sendmail 8.15.2/8.15.2"
        );
        assert_eq!(
            banner("* OK IMAP ready 10:42:07 today"),
            "* OK IMAP ready today"
        );
        assert_eq!(banner("220 mail; ESMTP"), "220 mail; ESMTP");
    }
}
