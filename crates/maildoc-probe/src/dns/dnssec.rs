//! A zone's DNSSEC, checked one level down from its parent: the parent's DS records, the
//! zone's keys they vouch for (RFC 4034 §5), and a signature by such a key over the zone's
//! DNSKEY set (RFC 4035 §5.3), within its validity period.
//!
//! This is not a validator from the root: the DS records are taken as the resolver gives
//! them. It answers what senders ask when mail is refused or delayed: is the zone signed,
//! and would a validating resolver accept its keys?

use super::{Dns, RecordLookup, classify};
use crate::clock::RunClock;
use hickory_resolver::proto::dnssec::rdata::{DNSKEY, DNSSECRData, DS, RRSIG};
use hickory_resolver::proto::dnssec::{Algorithm, Verifier};
use hickory_resolver::proto::op::Message;
use hickory_resolver::proto::rr::{DNSClass, Name, RData, Record, RecordType};
use maildoc_model::ResolveOutcome;
use maildoc_model::domain::DnssecStatus;

/// What the check found: the DS and DNSKEY lookups (as `key-tag algorithm digest-type` and
/// `flags 3 algorithm`), the verdict and why.
#[derive(Clone, Debug, PartialEq)]
pub struct DnssecChain {
    pub ds: RecordLookup<String>,
    pub dnskey: RecordLookup<String>,
    pub status: DnssecStatus,
    pub detail: String,
}

impl Dns {
    /// Checks `zone` (the top of a zone, as [`Dns::zone_of`] finds it) from its parent's DS
    /// records down to the signature over its keys.
    pub async fn dnssec(&self, zone: &str, clock: &RunClock) -> DnssecChain {
        self.dnssec_at(zone, zone, clock).await
    }

    /// The same for `name`'s zone; when `name` lies below the top of `zone`, a secure chain
    /// must also carry on to `name` itself: the signature over its records (MX, else TXT,
    /// else A: the first of them it has) must verify with the zone's keys.
    pub async fn dnssec_at(&self, name: &str, zone: &str, clock: &RunClock) -> DnssecChain {
        let below = async {
            if name
                .trim_end_matches('.')
                .eq_ignore_ascii_case(zone.trim_end_matches('.'))
            {
                return None;
            }
            let mut last = None;
            for rtype in [RecordType::MX, RecordType::TXT, RecordType::A] {
                let answer = self.exchange(name, rtype, true, clock).await;
                let has_data = answer
                    .as_ref()
                    .is_ok_and(|m| m.answers.iter().any(|r| r.record_type() == rtype));
                last = Some((rtype, answer));
                if has_data {
                    break;
                }
            }
            last
        };
        let (ds_answer, key_answer, below) = tokio::join!(
            self.exchange(zone, RecordType::DS, true, clock),
            self.exchange(zone, RecordType::DNSKEY, true, clock),
            below
        );
        let now = crate::clock::now_unix();
        let mut chain = judge(zone, ds_answer, &key_answer, now);
        if let (DnssecStatus::Secure, Some((rtype, Ok(answer))), Ok(keys)) =
            (chain.status, below, &key_answer)
            && let Some(why) = signed_data_problem(name, rtype, &answer, keys, now)
        {
            chain.status = DnssecStatus::Bogus;
            chain.detail = why;
        }
        chain
    }
}

/// Whether the `rtype` records of `name` (below the zone's top) fail to carry a valid
/// signature by one of the zone's keys; `None` when they verify, or when there are none.
fn signed_data_problem(
    name: &str,
    rtype: RecordType,
    answer: &Message,
    keys: &Message,
    now: u64,
) -> Option<String> {
    // Only the name's own records (not those at the end of a CNAME, in another zone).
    let asked = Name::from_ascii(format!("{}.", name.trim_end_matches('.'))).ok()?;
    let data: Vec<Record> = answer
        .answers
        .iter()
        .filter(|r| r.record_type() == rtype && r.name == asked)
        .cloned()
        .collect();
    let owner = data.first()?.name.clone();
    let signatures: Vec<&RRSIG> = answer
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::RRSIG(sig))
                if sig.input().type_covered == rtype && r.name == asked =>
            {
                Some(sig)
            }
            _ => None,
        })
        .collect();
    let zone_keys: Vec<&DNSKEY> = keys
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::DNSKEY(k)) => Some(k),
            _ => None,
        })
        .collect();
    if signatures.is_empty() {
        return Some(format!(
            "the {rtype} records of {name} carry no signature, in a signed zone"
        ));
    }
    for sig in signatures {
        for key in zone_keys.iter().filter(|k| signed_with(sig, k)) {
            if key
                .verify_rrsig(&owner, DNSClass::IN, sig, data.iter())
                .is_ok()
                && in_period(sig, now)
            {
                return None;
            }
        }
    }
    Some(format!(
        "the signature over the {rtype} records of {name} does not verify with the zone's keys"
    ))
}

type Answer = Result<Message, (ResolveOutcome, String)>;

/// The verdict from the two answers at `now` (Unix seconds); apart for tests.
fn judge(zone: &str, ds_answer: Answer, key_answer: &Answer, now: u64) -> DnssecChain {
    let owner = Name::from_ascii(format!("{}.", zone.trim_end_matches('.'))).unwrap_or_default();
    let key_set: Vec<Record> = match &key_answer {
        Ok(m) => m
            .answers
            .iter()
            .filter(|r| r.record_type() == RecordType::DNSKEY)
            .cloned()
            .collect(),
        Err(_) => Vec::new(),
    };
    let signatures: Vec<RRSIG> = match &key_answer {
        Ok(m) => m
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::DNSSEC(DNSSECRData::RRSIG(sig))
                    if sig.input().type_covered == RecordType::DNSKEY =>
                {
                    Some(sig.clone())
                }
                _ => None,
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let (ds_outcome, ds_data, ds_detail, ds_ad) = classify(ds_answer, RecordType::DS);
    let (key_outcome, _, key_detail, key_ad) = classify(key_answer.clone(), RecordType::DNSKEY);
    let ds: Vec<DS> = ds_data
        .into_iter()
        .filter_map(|d| match d {
            RData::DNSSEC(DNSSECRData::DS(ds)) => Some(ds),
            _ => None,
        })
        .collect();
    let keys: Vec<&DNSKEY> = key_set
        .iter()
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::DNSKEY(k)) => Some(k),
            _ => None,
        })
        .collect();
    let ds_lookup = RecordLookup {
        outcome: super::found_or(ds_outcome, ds.is_empty()),
        records: ds
            .iter()
            .map(|d| {
                format!(
                    "{} {} {}",
                    d.key_tag(),
                    u8::from(d.algorithm()),
                    u8::from(d.digest_type())
                )
            })
            .collect(),
        detail: ds_detail,
        authentic_data: ds_ad,
    };
    let key_lookup = RecordLookup {
        outcome: super::found_or(key_outcome, keys.is_empty()),
        records: keys
            .iter()
            .map(|k| format!("{} 3 {}", k.flags(), u8::from(k.algorithm())))
            .collect(),
        detail: key_detail,
        authentic_data: key_ad,
    };
    let found = Keys {
        lookup: &key_lookup,
        keys: &keys,
        set: &key_set,
        signatures: &signatures,
    };
    let (status, detail) = verdict(&owner, &ds_lookup, &ds, &found, now);
    DnssecChain {
        ds: ds_lookup,
        dnskey: key_lookup,
        status,
        detail,
    }
}

/// Whether `sig` names `key` as its signer (key tag and algorithm).
fn signed_with(sig: &RRSIG, key: &DNSKEY) -> bool {
    key.calculate_key_tag().ok() == Some(sig.input().key_tag)
        && key.algorithm() == sig.input().algorithm
}

/// Whether `now` lies within a signature's validity period (RFC 4034 §3.1.5: serial number
/// arithmetic on 32-bit times, so that the times wrap around in 2106).
fn in_period(sig: &RRSIG, now: u64) -> bool {
    let now = now as u32; // the low 32 bits, as RFC 4034 counts
    let inception = sig.input().sig_inception.get();
    let expiration = sig.input().sig_expiration.get();
    now.wrapping_sub(inception) as i32 >= 0 && expiration.wrapping_sub(now) as i32 >= 0
}

/// The zone's side of the answer: the DNSKEY lookup, its keys, the whole DNSKEY set as
/// records (what the signatures cover) and the signatures over it.
struct Keys<'a> {
    lookup: &'a RecordLookup<String>,
    keys: &'a [&'a DNSKEY],
    set: &'a [Record],
    signatures: &'a [RRSIG],
}

fn verdict(
    owner: &Name,
    ds_lookup: &RecordLookup<String>,
    ds: &[DS],
    found: &Keys<'_>,
    now: u64,
) -> (DnssecStatus, String) {
    use DnssecStatus::{Bogus, KeysWithoutDs, Secure, Unknown, Unsigned};
    let Keys {
        lookup: key_lookup,
        keys,
        set: key_set,
        signatures,
    } = found;
    let lookup_failed = |what: &str, l: &RecordLookup<String>| {
        (Unknown, format!("the {what} lookup failed: {}", l.detail))
    };
    match ds_lookup.outcome {
        ResolveOutcome::Found => {}
        ResolveOutcome::NotFound | ResolveOutcome::NoAddress => {
            return match key_lookup.outcome {
                ResolveOutcome::Found => (
                    KeysWithoutDs,
                    format!(
                        "the zone publishes {} DNSKEY record(s) but its parent has no DS record for it",
                        keys.len()
                    ),
                ),
                ResolveOutcome::NotFound | ResolveOutcome::NoAddress => {
                    (Unsigned, "no DS record at the parent and no DNSKEY".into())
                }
                _ => lookup_failed("DNSKEY", key_lookup),
            };
        }
        _ => return lookup_failed("DS", ds_lookup),
    }
    match key_lookup.outcome {
        ResolveOutcome::Found => {}
        ResolveOutcome::NotFound | ResolveOutcome::NoAddress => {
            return (
                Bogus,
                "the parent has DS records but the zone publishes no DNSKEY".into(),
            );
        }
        ResolveOutcome::ServerFailure => {
            return (
                Bogus,
                format!(
                    "the parent has DS records and the DNSKEY lookup failed ({}): a validating resolver rejects the zone",
                    key_lookup.detail
                ),
            );
        }
        _ => return lookup_failed("DNSKEY", key_lookup),
    }
    let known: Vec<&DS> = ds.iter().filter(|d| d.algorithm().is_supported()).collect();
    if known.is_empty() {
        return (
            Unknown,
            "the DS records use algorithms maildoc cannot check".into(),
        );
    }
    let vouched: Vec<&DNSKEY> = keys
        .iter()
        .copied()
        .filter(|k| known.iter().any(|d| d.covers(owner, k).unwrap_or(false)))
        .collect();
    if vouched.is_empty() {
        let tags: Vec<String> = ds.iter().map(|d| d.key_tag().to_string()).collect();
        return (
            Bogus,
            format!(
                "no DNSKEY of the zone matches the parent's DS record(s) (key tag {})",
                tags.join(", ")
            ),
        );
    }
    let mut why = "no signature over the DNSKEY records by a key the DS vouches for".to_string();
    for sig in signatures.iter() {
        for key in vouched.iter().filter(|k| signed_with(sig, k)) {
            if matches!(key.algorithm(), Algorithm::Unknown(_)) {
                why = format!("algorithm {} cannot be checked", u8::from(key.algorithm()));
                continue;
            }
            match key.verify_rrsig(owner, DNSClass::IN, sig, key_set.iter()) {
                Ok(()) if in_period(sig, now) => {
                    return (
                        Secure,
                        format!(
                            "DS → DNSKEY key tag {} → signature over the DNSKEY records verifies",
                            sig.input().key_tag
                        ),
                    );
                }
                Ok(()) => {
                    why = format!(
                        "the signature by key tag {} over the DNSKEY records is outside its validity period",
                        sig.input().key_tag
                    );
                }
                Err(e) => {
                    why = format!(
                        "the signature by key tag {} over the DNSKEY records does not verify ({e})",
                        sig.input().key_tag
                    );
                }
            }
        }
    }
    (Bogus, why)
}
