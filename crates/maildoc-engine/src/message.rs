//! `maildoc message` as a library call: a received message (an .eml, an mbox, or a pasted
//! header block) read as evidence by `maildoc_message`, its DKIM signatures verified over its
//! bytes with the keys from DNS ([`check`]; [`analyze`] stays offline), the headers the
//! receiver's own provider wrote told from the rest, and the rules applied.
//!
//! The keys are fetched through the run's own resolver (its server, deadline and rate cap);
//! mail-auth only does the cryptography, from a cache filled with what was fetched, and its
//! own resolver has no server to ask.

use crate::Env;
use maildoc_model::ResolveOutcome;
use maildoc_model::message::{
    DkimVerdict, MessageReport, MessageSource, VerifiedDmarc, VerifiedSignature, VerifiedSpf,
};
use maildoc_probe::clock::RunClock;
use maildoc_probe::spf_dns::SpfResolver;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The largest message read, in bytes: a door refuses more before reading it all.
pub const MAX_INPUT: usize = 64 << 20;

/// The most signatures verified in one message.
const MAX_SIGNATURES: usize = 16;

/// The most headers one verified signature may sign (`h=`).
const MAX_SIGNED_HEADERS: usize = 100;

/// The messages of an mbox, read one at a time, each cut at `limit` bytes.
pub fn mbox<R: std::io::BufRead>(
    reader: R,
    limit: usize,
) -> impl Iterator<Item = std::io::Result<Vec<u8>>> {
    maildoc_message::mbox::Mbox::new(reader, limit)
}

/// The message's report without the network: its hops, what its receivers reported, spam
/// verdicts, encodings, and the findings, most severe first.
pub fn analyze(input: &[u8]) -> MessageReport {
    judge(maildoc_message::read(&maildoc_message::with_line_feeds(
        input,
    )))
}

/// [`analyze`], and the sender checked again with what DNS says now, within `timeout`: each
/// DKIM signature verified with its key, SPF for the address that handed the message to the
/// receiver, and DMARC for the From domain.
pub async fn check(env: &Env, input: &[u8], timeout: Duration) -> MessageReport {
    let input = maildoc_message::with_line_feeds(input);
    let input = input.as_ref();
    let mut report = maildoc_message::read(input);
    maildoc_diagnose::message::trust(&mut report);
    let message = maildoc_message::message_bytes(input);
    // One deadline for every lookup of the check.
    let clock = RunClock::new(timeout);
    report.auth.verified = verify_dkim(env, message, report.source, &clock).await;
    report.auth.verified_online = true;
    report.auth.spf = verify_spf(env, &report, &clock).await;
    report.auth.dmarc = verify_dmarc(env, &report, &clock).await;
    judged(report)
}

fn judge(mut report: MessageReport) -> MessageReport {
    maildoc_diagnose::message::trust(&mut report);
    judged(report)
}

/// The findings of a report already trusted, most severe first.
fn judged(mut report: MessageReport) -> MessageReport {
    let mut findings = maildoc_diagnose::message::diagnose(&report);
    findings.sort_by_key(|f| f.severity);
    report.findings = findings;
    report
}

/// mail-auth's record cache, filled by maildoc before it verifies.
#[derive(Default)]
struct Fetched(Mutex<HashMap<Box<str>, mail_auth::Txt>>);

impl Fetched {
    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, mail_auth::Txt>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl mail_auth::ResolverCache<Box<str>, mail_auth::Txt> for Fetched {
    fn get<Q>(&self, name: &Q) -> Option<mail_auth::Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.table().get(name).cloned()
    }

    fn remove<Q>(&self, name: &Q) -> Option<mail_auth::Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.table().remove(name)
    }

    fn insert(&self, key: Box<str>, value: mail_auth::Txt, _valid_until: Instant) {
        self.table().insert(key, value);
    }
}

fn algorithm(a: mail_auth::common::crypto::Algorithm) -> &'static str {
    use mail_auth::common::crypto::Algorithm;
    match a {
        Algorithm::RsaSha1 => "rsa-sha1",
        Algorithm::RsaSha256 => "rsa-sha256",
        Algorithm::Ed25519Sha256 => "ed25519-sha256",
    }
}

/// What the verifier said, as a verdict.
fn verdict(result: &mail_auth::DkimResult) -> (DkimVerdict, Option<String>) {
    use mail_auth::dkim::DkimError;
    use mail_auth::{DkimResult, Error};
    match result {
        DkimResult::Pass => (DkimVerdict::Pass, None),
        DkimResult::Fail(e)
        | DkimResult::PermError(e)
        | DkimResult::TempError(e)
        | DkimResult::Neutral(e) => {
            let v = match e {
                Error::Dkim(DkimError::FailedBodyHashMatch) => DkimVerdict::BodyModified,
                Error::Dkim(DkimError::SignatureExpired) => DkimVerdict::Expired,
                Error::Dkim(DkimError::RevokedPublicKey) => DkimVerdict::Revoked,
                Error::Crypto(_) | Error::Dkim(DkimError::FailedAuidMatch) => DkimVerdict::Fail,
                Error::Dns(_) => DkimVerdict::KeyUnavailable,
                _ => DkimVerdict::Unsupported,
            };
            (v, Some(e.to_string()))
        }
        DkimResult::None => (DkimVerdict::Unsupported, None),
    }
}

async fn verify_dkim(
    env: &Env,
    input: &[u8],
    source: MessageSource,
    clock: &RunClock,
) -> Vec<VerifiedSignature> {
    let Some(mut message) = mail_auth::AuthenticatedMessage::parse(input) else {
        return Vec::new();
    };
    // Each signature costs a verification over its signed headers: a bounded number, each
    // with a sane list of headers.
    message
        .dkim_headers
        .retain(|h| h.header.h.len() <= MAX_SIGNED_HEADERS);
    message.dkim_headers.truncate(MAX_SIGNATURES);
    let signatures: Vec<&mail_auth::dkim::Signature> = message
        .dkim_headers
        .iter()
        .map(|h| &h.header)
        .take(MAX_SIGNATURES)
        .collect();
    if source == MessageSource::Headers {
        return signatures
            .iter()
            .map(|s| VerifiedSignature {
                domain: s.d.clone(),
                selector: s.s.clone(),
                algorithm: algorithm(s.a).to_owned(),
                result: DkimVerdict::NoBody,
                detail: None,
            })
            .collect();
    }
    // Each key once, all at once, within the run's deadline.
    let mut names: Vec<String> = signatures
        .iter()
        .map(|s| format!("{}._domainkey.{}", s.s, s.d).to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    let lookups =
        futures_util::future::join_all(names.iter().map(|name| env.dns.txt(name, clock))).await;
    let fetched = Fetched::default();
    let mut unfetched: HashMap<String, (DkimVerdict, String)> = HashMap::new();
    let until = Instant::now() + Duration::from_secs(60);
    for (name, lookup) in names.iter().zip(lookups) {
        let key = format!("{name}.").into_boxed_str();
        let record = lookup
            .records
            .iter()
            .find(|r| r.to_ascii_lowercase().contains("p="))
            .or(lookup.records.first());
        match (lookup.outcome, record) {
            (ResolveOutcome::Found, Some(text)) => {
                let parsed: mail_auth::Txt = <mail_auth::common::verify::DomainKey as mail_auth::common::parse::TxtRecordParser>::parse(text.as_bytes()).into();
                mail_auth::ResolverCache::insert(&fetched, key, parsed, until);
            }
            (ResolveOutcome::Found | ResolveOutcome::NotFound | ResolveOutcome::NoAddress, _) => {
                unfetched.insert(
                    name.clone(),
                    (DkimVerdict::KeyMissing, "no key in DNS".to_owned()),
                );
                mail_auth::ResolverCache::insert(
                    &fetched,
                    key,
                    mail_auth::Txt::Error(mail_auth::Error::ParseError),
                    until,
                );
            }
            (outcome, _) => {
                let detail = if lookup.detail.is_empty() {
                    format!("{outcome:?}")
                } else {
                    lookup.detail.clone()
                };
                unfetched.insert(name.clone(), (DkimVerdict::KeyUnavailable, detail));
                mail_auth::ResolverCache::insert(
                    &fetched,
                    key,
                    mail_auth::Txt::Error(mail_auth::Error::ParseError),
                    until,
                );
            }
        }
    }
    // A resolver with no server: everything it is asked is already in the cache.
    let empty =
        mail_auth::hickory_resolver::config::ResolverConfig::from_parts(None, vec![], vec![]);
    let Ok(authenticator) = mail_auth::MessageAuthenticator::new(empty, Default::default()) else {
        return Vec::new();
    };
    let outputs = authenticator
        .verify_dkim(mail_auth::Parameters::new(&message).with_txt_cache(&fetched))
        .await;
    outputs
        .iter()
        .filter_map(|o| {
            let s = o.signature()?;
            let name = format!("{}._domainkey.{}", s.s, s.d).to_ascii_lowercase();
            let (result, detail) = match unfetched.get(&name) {
                Some((v, d)) => (*v, Some(d.clone())),
                None => verdict(o.result()),
            };
            Some(VerifiedSignature {
                domain: s.d.clone(),
                selector: s.s.clone(),
                algorithm: algorithm(s.a).to_owned(),
                result,
                detail,
            })
        })
        .collect()
}

/// SPF evaluated again for the address that handed the message to the receiver (its entry
/// hop), with the envelope sender (Return-Path, else what the receiver reported), by maildoc's
/// own evaluator through the run's resolver. None when the entry is a local hand-off or its
/// address is not recorded.
async fn verify_spf(env: &Env, report: &MessageReport, clock: &RunClock) -> Option<VerifiedSpf> {
    let entry = report
        .trusted_from_hop
        .and_then(|n| report.hops.iter().find(|h| h.number == n))?;
    // A submission (ESMTPA, ESMTPSA: RFC 3848's A) is a user logging in, not a server SPF
    // speaks about.
    let authenticated = entry
        .with
        .as_deref()
        .is_some_and(|w| w.to_ascii_uppercase().ends_with('A'));
    if entry.local || authenticated {
        return None;
    }
    let ip: std::net::IpAddr = entry.from_ip.as_deref()?.parse().ok()?;
    let reported = report
        .auth
        .reported
        .iter()
        .filter(|r| r.trusted)
        .flat_map(|r| &r.results)
        .find_map(|x| x.props.get("smtp.mailfrom"));
    let mail_from = report
        .summary
        .return_path
        .clone()
        .or_else(|| reported.cloned())?;
    let helo = entry.from.clone().unwrap_or_default();
    // A bounce (empty sender) is checked for its HELO name.
    let (sender, domain) = match mail_from.rsplit_once('@') {
        Some((_, d)) if !d.is_empty() => (mail_from.clone(), d.to_ascii_lowercase()),
        _ => (format!("postmaster@{helo}"), helo.to_ascii_lowercase()),
    };
    if domain.is_empty() {
        return None;
    }
    let resolver = SpfResolver::new(&env.dns, clock);
    let options = maildoc_auth::spf::CheckOptions {
        timestamp: u64::try_from(env.clock.now().unix_timestamp()).unwrap_or(0),
        ..Default::default()
    };
    let outcome =
        maildoc_auth::spf::check_host(&resolver, ip, &domain, &sender, &helo, &options).await;
    Some(VerifiedSpf {
        ip: ip.to_string(),
        helo: entry.from.clone(),
        mail_from,
        domain,
        result: outcome.result.as_str().to_owned(),
        reason: outcome.reason,
    })
}

/// Whether `domain` is aligned with `from`: the same name (strict) or the same organisational
/// domain (relaxed).
fn aligned(domain: &str, from: &str, strict: bool) -> bool {
    let (d, f) = (domain.to_ascii_lowercase(), from.to_ascii_lowercase());
    if strict {
        return d == f;
    }
    let org = maildoc_diagnose::domain::psl::org_domain;
    d == f || org(&d).is_some_and(|o| Some(o) == org(&f))
}

/// DMARC evaluated again: the record of the From domain (else of its organisational domain),
/// and whether SPF (as maildoc evaluated it) or a DKIM signature (as maildoc verified it)
/// passed for an aligned domain.
async fn verify_dmarc(
    env: &Env,
    report: &MessageReport,
    clock: &RunClock,
) -> Option<VerifiedDmarc> {
    use maildoc_diagnose::domain::records::{is_dmarc, parse_dmarc};
    let from = report.summary.from_domain.clone()?;
    let org = maildoc_diagnose::domain::psl::org_domain(&from).unwrap_or_else(|| from.clone());
    let mut candidates = vec![from.clone()];
    if org != from {
        candidates.push(org);
    }
    let mut record = None;
    let mut unavailable = false;
    for domain in &candidates {
        let lookup = env.dns.txt(&format!("_dmarc.{domain}"), clock).await;
        match lookup.outcome {
            ResolveOutcome::Found => {
                if let Some(text) = lookup.records.iter().find(|t| is_dmarc(t)) {
                    record = Some((domain.clone(), parse_dmarc(text).ok()));
                    break;
                }
            }
            ResolveOutcome::NotFound | ResolveOutcome::NoAddress => {}
            _ => unavailable = true,
        }
    }
    let spf_domain = report
        .auth
        .spf
        .as_ref()
        .filter(|s| s.result == "pass")
        .map(|s| s.domain.clone());
    let dkim_domains: Vec<&str> = report
        .auth
        .verified
        .iter()
        .filter(|s| s.result == DkimVerdict::Pass)
        .map(|s| s.domain.as_str())
        .collect();
    let (strict_spf, strict_dkim) = match &record {
        Some((_, Some(d))) => (d.aspf == 's', d.adkim == 's'),
        _ => (false, false),
    };
    let spf_aligned = spf_domain
        .as_deref()
        .is_some_and(|d| aligned(d, &from, strict_spf));
    let dkim_aligned = dkim_domains.iter().any(|d| aligned(d, &from, strict_dkim));
    // Fail only when something was judged: SPF evaluated, or a signature verified to a verdict.
    let judged = report.auth.spf.is_some()
        || report.auth.verified.iter().any(|s| {
            !matches!(
                s.result,
                DkimVerdict::KeyMissing
                    | DkimVerdict::KeyUnavailable
                    | DkimVerdict::NoBody
                    | DkimVerdict::Unsupported
            )
        });
    let (record_domain, policy, result) = match record {
        Some((domain, None)) => (Some(domain), None, "permerror"),
        Some((domain, Some(parsed))) => {
            let policy = if domain == from {
                parsed.p
            } else {
                parsed.sp.unwrap_or(parsed.p)
            };
            let result = if spf_aligned || dkim_aligned {
                "pass"
            } else if judged {
                "fail"
            } else {
                "unknown"
            };
            (Some(domain), Some(policy), result)
        }
        None if unavailable => (None, None, "temperror"),
        None => (None, None, "none"),
    };
    Some(VerifiedDmarc {
        from_domain: from,
        record_domain,
        policy,
        result: result.to_owned(),
        spf_aligned,
        dkim_aligned,
    })
}
