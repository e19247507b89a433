//! What a domain check fetches over HTTPS (strict verification): the MTA-STS policy, the
//! BIMI logo and mark certificate.

use super::records::txt;
use maildoc_diagnose::domain as rules;
use maildoc_model::ResolveOutcome;
use maildoc_model::domain::*;
use maildoc_probe::clock::RunClock;
use maildoc_probe::dns::Dns;
use maildoc_probe::http::{FetchOutcome, get_https};
use maildoc_probe::tls::Trust;

/// The largest MTA-STS policy file read (RFC 8461 §3.3 suggests 64 KiB).
const MAX_POLICY: usize = 64 * 1024;

/// The largest BIMI logo or mark certificate file read (a logo may be at most 32 KB; a
/// larger one is reported as such).
const MAX_BIMI_FILE: usize = 64 * 1024;

/// The BIMI record at `name` and, when it names them, its logo and mark certificate.
pub(super) async fn bimi(
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

/// The BIMI logo at `url`: its size, type, digest and the SVG facts the rules judge.
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

/// The mark certificate at `url`, read and verified against the run's trust anchors.
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

/// The `_mta-sts` record and, when it announces one, the policy over HTTPS.
pub(super) async fn mta_sts(
    dns: &Dns,
    trust: &Trust,
    domain: &str,
    clock: &RunClock,
) -> MtaStsEvidence {
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

/// Why a fetch got no file, in a few words.
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
