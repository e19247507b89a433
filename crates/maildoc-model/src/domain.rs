//! The evidence of `maildoc domain`: what DNS (and the MTA-STS policy server) said
//! about a sending domain. Rules in `maildoc_diagnose::domain` read it; nothing here does I/O.

pub mod spf;

pub use spf::SpfEvidence;

use crate::{Finding, ResolveOutcome, Severity};
use serde::{Deserialize, Serialize};

/// The version of [`DomainReport`]'s JSON shape (2: a blocklist check's `source` is an
/// [`AddressOf`]).
pub const DOMAIN_REPORT_VERSION: u32 = 2;

/// One DNS lookup as asked and as answered. `records` holds the answers in presentation form
/// (TXT strings joined, host names without the final dot, addresses as text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsLookup {
    pub name: String,
    /// `TXT`, `MX`, `A/AAAA`, `PTR`, `TLSA`, `CNAME`.
    pub rtype: String,
    pub outcome: ResolveOutcome,
    #[serde(default)]
    pub records: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// The resolver set the AD bit: it says it validated the answer with DNSSEC.
    #[serde(default)]
    pub authentic_data: bool,
}

impl DnsLookup {
    /// The lookup got a definite "no such record" (NXDOMAIN or NODATA).
    pub fn is_absent(&self) -> bool {
        matches!(
            self.outcome,
            ResolveOutcome::NotFound | ResolveOutcome::NoAddress
        )
    }

    /// The lookup got no definite answer (SERVFAIL, timeout, resolver failure).
    pub fn is_inconclusive(&self) -> bool {
        !matches!(
            self.outcome,
            ResolveOutcome::Found | ResolveOutcome::NotFound | ResolveOutcome::NoAddress
        )
    }
}

/// Reverse DNS of one address: its PTR names and which of them lead back to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReverseDns {
    pub address: String,
    pub ptr: DnsLookup,
    /// The PTR names whose A/AAAA records include the address (forward-confirmed).
    #[serde(default)]
    pub confirmed: Vec<String>,
}

/// One MX host and what was found about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxHost {
    pub preference: u16,
    /// The exchange, lower case without the final dot; `.` for a null MX.
    pub exchange: String,
    /// The CNAME the exchange name points to, when it has one (RFC 2181 §10.3 forbids it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cname: Option<String>,
    pub addresses: DnsLookup,
    #[serde(default)]
    pub reverse: Vec<ReverseDns>,
    /// `_25._tcp.<exchange>` TLSA records as `usage selector matching hexdata`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlsa: Option<DnsLookup>,
}

/// What maildoc found when it checked a zone's DNSSEC one level down from its parent: the
/// parent's DS records, the zone's keys they match, and the signature over those keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DnssecStatus {
    /// No DS at the parent and no DNSKEY in the zone.
    Unsigned,
    /// The zone publishes DNSKEY records but the parent has no DS for them: validating
    /// resolvers treat the zone as unsigned (RFC 4033 §4.3).
    KeysWithoutDs,
    /// A DS at the parent matches a key of the zone, and that key's signature over the
    /// DNSKEY set verifies and is within its validity period.
    Secure,
    /// The parent's DS promises a signed zone that the keys or signatures do not deliver:
    /// validating resolvers answer SERVFAIL for the zone's names.
    Bogus,
    /// The check could not finish (a lookup failed, or an algorithm maildoc does not know).
    Unknown,
}

/// The DNSSEC check of one zone (the domain's, or an MX host's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnssecEvidence {
    pub zone: String,
    /// The DS records at the parent, as `key-tag algorithm digest-type`.
    pub ds: DnsLookup,
    pub status: DnssecStatus,
    /// Why the status is what it is, in maildoc's words (English, for the evidence).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// The logo and the mark certificate a BIMI record names, as fetched over HTTPS with strict
/// certificate verification.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BimiEvidence {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<BimiLogo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<MarkCertificate>,
}

/// The BIMI logo (`l=`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BimiLogo {
    pub url: String,
    pub fetched: bool,
    /// Why it was not fetched, or why it is not an SVG document.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Size in bytes as served.
    #[serde(default)]
    pub size: usize,
    /// SHA-256 of the file as served, lower-case hex.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sha256: String,
    /// What its `<svg>` root says; `None` when it is not an SVG document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub svg: Option<SvgFacts>,
}

/// The parts of an SVG file the SVG Tiny Portable/Secure profile of BIMI cares about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SvgFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_profile: Option<String>,
    /// A `<title>` element directly inside `<svg>`.
    pub has_title: bool,
    /// `x=` or `y=` on the `<svg>` element (not allowed).
    pub root_position: bool,
}

/// The mark certificate (`a=`, a VMC or CMC): its leaf certificate's facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkCertificate {
    pub url: String,
    pub fetched: bool,
    /// Why it was not fetched or could not be read.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// The leaf (the first certificate of the PEM file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaf: Option<crate::CertInfo>,
    /// Whether the leaf carries the logotype extension (RFC 3709) that holds the logo.
    #[serde(default)]
    pub logotype: bool,
    /// SHA-256 of the SVG logo embedded in the logotype extension (after gunzip).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_sha256: Option<String>,
    /// The names of the leaf's subject attributes (as the VMC requirements name them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject_fields: Vec<String>,
    /// The subject's markType (Registered Mark, Government Mark, Prior Use Mark, Modified
    /// Registered Mark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_type: Option<String>,
    /// The OIDs of the leaf's extensions, dotted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<String>,
    /// Whether the chain leads to a Mark Verifying Authority's root (or one of `--ca-file`)
    /// for the BIMI key usage. Checked at a time within the leaf's validity, so that an
    /// expired certificate reads as expired, not as untrusted.
    #[serde(default)]
    pub issuer_verified: bool,
    /// Why the issuer check failed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub issuer_detail: String,
}

impl MarkCertificate {
    /// A mark certificate file that could not be fetched from `url`, and why.
    pub fn not_fetched(url: &str, detail: String) -> Self {
        MarkCertificate {
            url: url.to_string(),
            fetched: false,
            detail,
            leaf: None,
            logotype: false,
            logo_sha256: None,
            subject_fields: Vec::new(),
            mark_type: None,
            extensions: Vec::new(),
            issuer_verified: false,
            issuer_detail: String::new(),
        }
    }
}

/// DMARC: the domain's record, the organisational domain's when the domain has none, and
/// the external report destinations' authorisation records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcEvidence {
    pub lookup: DnsLookup,
    /// The organisational domain (Public Suffix List, RFC 7489 §3.2).
    pub org_domain: String,
    /// `_dmarc.<org domain>`, looked up when the domain is not its own organisational domain
    /// and has no record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_lookup: Option<DnsLookup>,
    /// `<record domain>._report._dmarc.<destination>` for each rua/ruf destination outside the
    /// organisational domain (RFC 7489 §7.1).
    #[serde(default)]
    pub report_authorizations: Vec<DnsLookup>,
    /// The MX records of each rua/ruf destination domain, and the addresses of those without
    /// MX (RFC 5321 §5.1: mail then goes to the domain's own address): can they take mail?
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub report_mx: Vec<DnsLookup>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub report_addresses: Vec<DnsLookup>,
}

/// One DKIM selector's key record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimEvidence {
    pub selector: String,
    /// Given with `--dkim-selector` (true) or one of the common selectors tried (false).
    pub given: bool,
    pub lookup: DnsLookup,
}

/// The MTA-STS policy file fetched over HTTPS with strict certificate verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyFetch {
    pub url: String,
    /// Whether the file was received (HTTP 200 over a verified connection).
    pub fetched: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
    /// The media type the file was served as (RFC 8461 §3.3 requires `text/plain`); `None`
    /// when it was not fetched or came without a Content-Type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtaStsEvidence {
    pub txt: DnsLookup,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyFetch>,
}

/// One address looked up on one DNS blocklist (RFC 5782): the A query of the reversed
/// octets (IPv4) or nibbles (IPv6) under the zone and, when it answered, the TXT query for
/// the reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsblCheck {
    /// The address checked, as text.
    pub address: String,
    /// Whose address it is.
    pub source: AddressOf,
    pub zone: String,
    pub query: DnsLookup,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txt: Option<DnsLookup>,
}

/// Whose address a blocklist check is of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddressOf {
    /// An MX host's (its name).
    Mx(String),
    /// The address the domain sends from, as the check was given it.
    SendingIp,
}

impl AddressOf {
    /// The name the address goes by in a finding: the MX host's, or for the sending
    /// address the domain (`domain`) it sends for.
    pub fn name<'a>(&'a self, domain: &'a str) -> &'a str {
        match self {
            AddressOf::Mx(host) => host,
            AddressOf::SendingIp => domain,
        }
    }
}

/// Everything `maildoc domain` found about one domain, and the findings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DomainReport {
    pub version: u32,
    pub domain: String,
    pub started_at_unix: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// `--approved-mx`: the mail servers the domain should use (hosts, or domains whose
    /// hosts are all approved).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approved_mx: Vec<String>,
    /// `--approved-ns`: the name servers the domain should use, in the same form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approved_ns: Vec<String>,
    /// `--parked`: the domain sends and receives no mail.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub parked: bool,
    pub mx: DnsLookup,
    #[serde(default)]
    pub mx_hosts: Vec<MxHost>,
    pub dmarc: DmarcEvidence,
    #[serde(default)]
    pub dkim: Vec<DkimEvidence>,
    pub mta_sts: MtaStsEvidence,
    pub tlsrpt: DnsLookup,
    /// The domain's NS records: the servers that answer for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ns: Option<DnsLookup>,
    /// The domain's DNSKEY records: published keys mean the zone is signed (DNSSEC), whether
    /// or not the resolver validated the answers (`authentic_data`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dnskey: Option<DnsLookup>,
    /// The DNSSEC chain of the domain's zone, checked from the parent's DS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dnssec: Option<DnssecEvidence>,
    /// The DNSSEC chain of each zone the MX hosts live in (each zone once).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mx_dnssec: Vec<DnssecEvidence>,
    /// The BIMI record (`default._bimi.<domain>`): the brand logo some mailboxes show when
    /// DMARC passes at an enforcing policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bimi: Option<DnsLookup>,
    /// The logo and mark certificate of the BIMI record, when it names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bimi_assets: Option<BimiEvidence>,
    /// Reverse DNS of the sending address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending_ip: Option<ReverseDns>,
    /// The SPF record tree and, with a sending address, its evaluation, when SPF was checked.
    /// Written with its keys in alphabetical order.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "spf::serialize_sorted"
    )]
    pub spf: Option<SpfEvidence>,
    /// Whether the domain publishes a usable SPF record; `None` when SPF was not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spf_ok: Option<bool>,
    /// The DNS blocklist lookups of the MX hosts' addresses and the sending address (IPv6
    /// ones only on the lists that list IPv6).
    #[serde(default)]
    pub dnsbl: Vec<DnsblCheck>,
    /// With `--smtp`: each MX host on port 25 (greeting, EHLO, STARTTLS, TLS, QUIT).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub smtp: Vec<crate::ServerEvidence>,
    #[serde(default)]
    pub findings: Vec<Finding>,
}

impl DomainReport {
    /// Any finding that is not merely informational.
    pub fn has_problems(&self) -> bool {
        self.findings.iter().any(|f| f.severity != Severity::Info)
    }

    /// Whether every answer that carried records had the resolver's AD bit.
    pub fn dnssec_validated(&self) -> bool {
        self.mx.outcome == ResolveOutcome::Found && self.mx.authentic_data
    }
}
