//! A zone's DNSSEC, checked one level down from its parent: the parent's DS records, the
//! zone's keys they vouch for (RFC 4034 §5), and a signature by such a key over the zone's
//! DNSKEY set (RFC 4035 §5.3), within its validity period.
//!
//! This is not a validator from the root: the DS records are taken as the resolver gives
//! them. It answers what senders ask when mail is refused or delayed: is the zone signed,
//! and would a validating resolver accept its keys?

use super::{Dns, RecordLookup, classify};
use crate::clock::RunClock;
use hickory_resolver::proto::dnssec::Verifier;
use hickory_resolver::proto::dnssec::rdata::{DNSKEY, DNSSECRData, DS, RRSIG};
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
/// A signature by an algorithm maildoc cannot check is not one that verifies.
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
        let checkable = zone_keys
            .iter()
            .filter(|k| signed_with(sig, k) && k.algorithm().is_supported());
        for key in checkable {
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
    let (ds_outcome, ds_data, ds_detail, ds_ad) = classify(ds_answer, zone, RecordType::DS);
    let (key_outcome, _, key_detail, key_ad) =
        classify(key_answer.clone(), zone, RecordType::DNSKEY);
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
            if !key.algorithm().is_supported() {
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

#[cfg(test)]
mod props {
    use super::*;
    use crate::dns::fuzz;
    use proptest::prelude::*;

    const ZONE: &str = "example.jp.";
    const NOW: u64 = 1_795_299_123;

    /// The key tag of a DNSKEY's data (RFC 4034 appendix B).
    fn key_tag(rdata: &[u8]) -> u16 {
        let mut ac: u32 = 0;
        for (i, b) in rdata.iter().enumerate() {
            ac += u32::from(*b) << if i % 2 == 0 { 8 } else { 0 };
        }
        ac += ac >> 16;
        (ac & 0xffff) as u16
    }

    fn question(rtype: u16) -> Vec<u8> {
        let mut q = fuzz::wire_name(ZONE);
        q.extend_from_slice(&rtype.to_be_bytes());
        q.extend_from_slice(&[0, 1]);
        q
    }

    /// An RRSIG's data over records of `covered` by a key (`tag`, `alg`), valid from
    /// `inception` to `expiration`, signed by the zone with `signature`.
    fn rrsig(
        covered: u16,
        alg: u8,
        tag: u16,
        (inception, expiration): (u32, u32),
        signature: &[u8],
    ) -> Vec<u8> {
        let mut out = covered.to_be_bytes().to_vec();
        out.extend([alg, 2]);
        out.extend(3600u32.to_be_bytes());
        out.extend(expiration.to_be_bytes());
        out.extend(inception.to_be_bytes());
        out.extend(tag.to_be_bytes());
        out.extend(fuzz::wire_name(ZONE));
        out.extend_from_slice(signature);
        out
    }

    /// A validity period around `NOW`, or one that has ended or not begun.
    fn period() -> impl Strategy<Value = (u32, u32)> {
        let now = NOW as u32;
        prop_oneof![
            3 => (1u32..1_000_000, 1u32..1_000_000).prop_map(move |(a, b)| (now - a, now + b)),
            1 => any::<(u32, u32)>(),
        ]
    }

    /// A zone's DS answer and DNSKEY answer: keys of any algorithm and any bytes, DS
    /// records whose digests match them (or not), and signatures over the keys by them
    /// (their tags right or wrong) that are random bytes; with the keys' data.
    fn chain() -> impl Strategy<Value = (Vec<u8>, Vec<u8>, Vec<Vec<u8>>)> {
        let key = (
            prop_oneof![Just(257u16), Just(256), any::<u16>()],
            fuzz::algorithm(),
            prop::collection::vec(any::<u8>(), 0..300),
        );
        // Which key, the digest type, whether the digest is right, the algorithm named
        // (the key's, or another).
        let ds = (
            any::<usize>(),
            prop_oneof![3 => Just(2u8), 1 => 0u8..6],
            any::<bool>(),
            prop_oneof![3 => Just(None), 1 => fuzz::algorithm().prop_map(Some)],
        );
        let sig = (
            any::<usize>(),
            prop_oneof![3 => Just(true), 1 => Just(false)],
            prop::collection::vec(any::<u8>(), 0..300),
            period(),
        );
        (
            prop::collection::vec(key, 1..3),
            prop::collection::vec(ds, 0..3),
            prop::collection::vec(sig, 0..3),
            prop_oneof![6 => Just(0u8), 1 => Just(3u8), 1 => Just(2u8)],
        )
            .prop_map(|(keys, ds, sigs, ds_rcode)| {
                let keys: Vec<Vec<u8>> = keys
                    .into_iter()
                    .map(|(flags, alg, public)| {
                        let mut k = flags.to_be_bytes().to_vec();
                        k.extend([3, alg]);
                        k.extend(public);
                        k
                    })
                    .collect();
                let at_question = [0xc0, 12];
                let owner = fuzz::wire_name(ZONE);
                let ds_records: Vec<Vec<u8>> = ds
                    .iter()
                    .map(|&(which, digest_type, right, named)| {
                        let k = &keys[which % keys.len()];
                        let data = [owner.as_slice(), k].concat();
                        let digest = match (digest_type, right) {
                            (1, true) => {
                                ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &data)
                                    .as_ref()
                                    .to_vec()
                            }
                            (2, true) => ring::digest::digest(&ring::digest::SHA256, &data)
                                .as_ref()
                                .to_vec(),
                            (4, true) => ring::digest::digest(&ring::digest::SHA384, &data)
                                .as_ref()
                                .to_vec(),
                            _ => data.iter().take(32).copied().collect(),
                        };
                        let mut r = key_tag(k).to_be_bytes().to_vec();
                        r.extend([named.unwrap_or(k[3]), digest_type]);
                        r.extend(digest);
                        fuzz::rr(&at_question, 43, &r)
                    })
                    .collect();
                let rcode_answers = if ds_rcode == 0 {
                    ds_records
                } else {
                    Vec::new()
                };
                let ds_answer =
                    fuzz::message([0x81, 0x80 | ds_rcode], &question(43), &rcode_answers, &[]);
                let mut key_records: Vec<Vec<u8>> =
                    keys.iter().map(|k| fuzz::rr(&at_question, 48, k)).collect();
                for (which, right_tag, signature, times) in sigs {
                    let k = &keys[which % keys.len()];
                    let tag = if right_tag {
                        key_tag(k)
                    } else {
                        key_tag(k).wrapping_add(1)
                    };
                    key_records.push(fuzz::rr(
                        &at_question,
                        46,
                        &rrsig(48, k[3], tag, times, &signature),
                    ));
                }
                let key_answer = fuzz::message([0x81, 0x80], &question(48), &key_records, &[]);
                (ds_answer, key_answer, keys)
            })
    }

    /// The answer of a DNSKEY query: `key` (flags 257, protocol 3, `alg`, `public`) and a
    /// signature by it over the key set; with the key's data.
    fn signed_keys(alg: u8, public: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let key = [&[1, 1, 3, alg][..], public].concat();
        let now = NOW as u32;
        let sig = rrsig(48, alg, key_tag(&key), (now - 1, now + 1), &[0; 64]);
        let at_question = [0xc0, 12];
        let records = [
            fuzz::rr(&at_question, 48, &key),
            fuzz::rr(&at_question, 46, &sig),
        ];
        (
            fuzz::message([0x81, 0x80], &question(48), &records, &[]),
            key,
        )
    }

    /// A signature by an algorithm hickory cannot check (Ed448 here) over records below
    /// the top once made the check panic in debug builds (hickory asserts the algorithm is
    /// supported); it is a signature that does not verify.
    #[test]
    fn a_signature_by_an_algorithm_that_cannot_be_checked_does_not_verify() {
        let (key_answer, key) = signed_keys(16, &[]);
        let owner = fuzz::wire_name("mail.example.jp");
        let now = NOW as u32;
        let records = [
            fuzz::rr(
                &owner,
                15,
                &[&[0, 0][..], &fuzz::wire_name("a.example.jp")].concat(),
            ),
            fuzz::rr(
                &owner,
                46,
                &rrsig(15, 16, key_tag(&key), (now - 1, now + 1), &[]),
            ),
        ];
        let question = [owner.as_slice(), &[0, 15, 0, 1]].concat();
        let answer = Message::from_vec(&fuzz::message([0x81, 0x80], &question, &records, &[]));
        let keys = Message::from_vec(&key_answer);
        let (Ok(answer), Ok(keys)) = (answer, keys) else {
            panic!("the answers do not read");
        };
        assert_eq!(
            signed_data_problem("mail.example.jp", RecordType::MX, &answer, &keys, NOW).as_deref(),
            Some(
                "the signature over the MX records of mail.example.jp does not verify with the zone's keys"
            )
        );
    }

    /// A DS record naming RSA/SHA-256 that vouches for a DSA key (a retired algorithm
    /// hickory knows but cannot check) once made the check panic in debug builds; the
    /// chain is bogus, and says why.
    #[test]
    fn a_key_of_a_retired_algorithm_under_a_ds_of_another_cannot_be_checked() {
        let (key_answer, key) = signed_keys(3, &[7; 40]);
        let digest = ring::digest::digest(
            &ring::digest::SHA256,
            &[fuzz::wire_name(ZONE).as_slice(), &key].concat(),
        );
        let ds = [&key_tag(&key).to_be_bytes()[..], &[8, 2], digest.as_ref()].concat();
        let ds_answer = fuzz::message(
            [0x81, 0x80],
            &question(43),
            &[fuzz::rr(&[0xc0, 12], 43, &ds)],
            &[],
        );
        let chain = judge(ZONE, read(&ds_answer), &read(&key_answer), NOW);
        assert_eq!(
            (chain.status, chain.detail.as_str()),
            (DnssecStatus::Bogus, "algorithm 3 cannot be checked")
        );
    }

    /// As the client hands answers over: read, or why not.
    fn read(bytes: &[u8]) -> Answer {
        Message::from_vec(bytes).map_err(|e| (ResolveOutcome::ResolverError, e.to_string()))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Keys the parent vouches for, signed with random bytes, and the same answers cut
        /// about: the check never calls the zone secure and always says why.
        #[test]
        fn random_signatures_are_never_secure(
            (ds_answer, key_answer, _) in chain(),
            cut in prop::option::of((fuzz::answer([0, 0], question(43), 43), fuzz::answer([0, 0], question(48), 48))),
        ) {
            let (ds_answer, key_answer) = cut.unwrap_or((ds_answer, key_answer));
            let chain = judge(ZONE, read(&ds_answer), &read(&key_answer), NOW);
            prop_assert_ne!(chain.status, DnssecStatus::Secure, "{}", chain.detail);
            prop_assert!(!chain.detail.is_empty());
        }

        /// Records below the zone's top, signed with random bytes by one of the zone's keys
        /// (or not signed): a problem whenever the name has records of the type, none
        /// when it has not.
        #[test]
        fn records_below_the_top_need_a_signature_that_verifies(
            (_, key_answer, keys_data) in chain(),
            mx in prop::collection::vec((any::<u16>(), "[a-z]{1,8}"), 0..3),
            sigs in prop::collection::vec((any::<usize>(), prop::collection::vec(any::<u8>(), 0..300), period()), 0..3),
        ) {
            let name = "mail.example.jp";
            let owner = fuzz::wire_name(name);
            let mut records: Vec<Vec<u8>> = mx
                .iter()
                .map(|(pref, host)| {
                    let mut data = pref.to_be_bytes().to_vec();
                    data.extend(fuzz::wire_name(&format!("{host}.example.jp")));
                    fuzz::rr(&owner, 15, &data)
                })
                .collect();
            for (which, signature, times) in &sigs {
                let k = &keys_data[which % keys_data.len()];
                records.push(fuzz::rr(&owner, 46, &rrsig(15, k[3], key_tag(k), *times, signature)));
            }
            let mut q = owner.clone();
            q.extend([0, 15, 0, 1]);
            let Ok(answer) = Message::from_vec(&fuzz::message([0x81, 0x80], &q, &records, &[])) else {
                return Ok(());
            };
            let Ok(keys) = Message::from_vec(&key_answer) else { return Ok(()) };
            let problem = signed_data_problem(name, RecordType::MX, &answer, &keys, NOW);
            prop_assert_eq!(problem.is_some(), !mx.is_empty());
        }
    }
}
