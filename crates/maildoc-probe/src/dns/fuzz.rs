//! DNS answers as a broken or hostile server might send them, for the property tests of the
//! stub client and of the DNSSEC check: written record by record in wire form, then cut
//! about.

use proptest::prelude::*;

/// The length of the fixed DNS header.
const HEADER: usize = 12;

/// A name in wire form from its presentation form (`example.jp.`); no escapes.
pub(super) fn wire_name(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

/// One resource record of class IN.
pub(super) fn rr(owner: &[u8], rtype: u16, rdata: &[u8]) -> Vec<u8> {
    let mut out = owner.to_vec();
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&[0, 1, 0, 0, 0x0e, 0x10]);
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(rdata);
    out
}

/// A response with ID 0, `flags` (the header's third and fourth bytes), one question (its
/// wire form with type and class) and the records of the answer and authority sections.
pub(super) fn message(
    flags: [u8; 2],
    question: &[u8],
    answers: &[Vec<u8>],
    authorities: &[Vec<u8>],
) -> Vec<u8> {
    let mut out = vec![0, 0, flags[0], flags[1], 0, 1];
    out.extend_from_slice(&(answers.len() as u16).to_be_bytes());
    out.extend_from_slice(&(authorities.len() as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(question);
    for r in answers.iter().chain(authorities) {
        out.extend_from_slice(r);
    }
    out
}

/// Labels as a server may write them: host-name characters or any bytes.
fn labels() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            6 => "[a-zA-Z0-9_-]{1,20}".prop_map(String::into_bytes),
            1 => prop::collection::vec(any::<u8>(), 1..64),
        ],
        1..5,
    )
    .prop_map(|labels| {
        let mut out = Vec::new();
        for l in labels {
            out.push(l.len() as u8);
            out.extend(l);
        }
        out.push(0);
        out
    })
}

/// A name in an answer: a pointer to the question's name, labels of its own, labels ending
/// in that pointer, the root, a pointer anywhere (past the end, into itself), or junk.
fn name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        12 => Just(vec![0xc0, HEADER as u8]),
        6 => labels(),
        3 => labels().prop_map(|mut l| {
            l.pop();
            l.extend([0xc0, HEADER as u8]);
            l
        }),
        2 => Just(vec![0]),
        1 => any::<u16>().prop_map(|p| vec![0xc0 | ((p >> 8) as u8 & 0x3f), p as u8]),
        1 => prop::collection::vec(any::<u8>(), 0..8),
    ]
}

/// DNSSEC algorithm numbers: the ones in use, retired ones (RSA/MD5, DSA, GOST), and any.
pub(super) fn algorithm() -> impl Strategy<Value = u8> {
    prop_oneof![
        4 => prop::sample::select(vec![1u8, 3, 5, 6, 7, 8, 10, 12, 13, 14, 15, 16]),
        1 => any::<u8>(),
    ]
}

fn u16s(n: &[u16]) -> Vec<u8> {
    n.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// The data of a record of type `rtype`, of the right shape or nearly.
fn rdata(rtype: u16) -> BoxedStrategy<Vec<u8>> {
    let bytes = |r: std::ops::Range<usize>| prop::collection::vec(any::<u8>(), r);
    match rtype {
        1 => bytes(4..5).boxed(),
        28 => bytes(16..17).boxed(),
        2 | 5 | 12 => name().boxed(),
        15 => (any::<u16>(), name())
            .prop_map(|(p, n)| [u16s(&[p]), n].concat())
            .boxed(),
        16 => prop::collection::vec(bytes(0..80), 0..4)
            .prop_map(|strings| {
                strings
                    .into_iter()
                    .flat_map(|s| {
                        let mut one = vec![s.len() as u8];
                        one.extend(s);
                        one
                    })
                    .collect()
            })
            .boxed(),
        33 => (any::<[u16; 3]>(), name())
            .prop_map(|(n, target)| [u16s(&n), target].concat())
            .boxed(),
        52 => (0u8..5, 0u8..3, 0u8..4, bytes(0..70))
            .prop_map(|(u, s, m, d)| [vec![u, s, m], d].concat())
            .boxed(),
        6 => (name(), name(), bytes(20..21))
            .prop_map(|(m, r, n)| [m, r, n].concat())
            .boxed(),
        43 => (any::<u16>(), algorithm(), 0u8..6, bytes(0..70))
            .prop_map(|(tag, alg, digest, d)| [u16s(&[tag]), vec![alg, digest], d].concat())
            .boxed(),
        48 => (
            prop_oneof![Just(256u16), Just(257), any::<u16>()],
            prop_oneof![Just(3u8), any::<u8>()],
            algorithm(),
            bytes(0..300),
        )
            .prop_map(|(flags, protocol, alg, key)| {
                [u16s(&[flags]), vec![protocol, alg], key].concat()
            })
            .boxed(),
        46 => (
            prop_oneof![Just(48u16), Just(15), Just(16), Just(1), any::<u16>()],
            algorithm(),
            any::<u8>(),
            any::<[u32; 3]>(),
            any::<u16>(),
            name(),
            bytes(0..300),
        )
            .prop_map(|(covered, alg, labels, times, tag, signer, sig)| {
                let mut out = u16s(&[covered]);
                out.extend([alg, labels]);
                out.extend(times.iter().flat_map(|t| t.to_be_bytes()));
                out.extend(u16s(&[tag]));
                out.extend(signer);
                out.extend(sig);
                out
            })
            .boxed(),
        _ => bytes(0..40).boxed(),
    }
}

/// A record for an answer to a question of type `rtype`: of that type mostly, else of any
/// type the client reads; its length field now and then wrong.
fn record(rtype: u16) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => Just(rtype),
        1 => prop::sample::select(vec![1u16, 28, 2, 5, 12, 15, 16, 33, 52, 6, 43, 48, 46, 41, 255]),
        1 => any::<u16>(),
    ]
    .prop_flat_map(|t| {
        (
            Just(t),
            name(),
            rdata(t),
            prop_oneof![20 => Just(0i32), 1 => -3i32..4],
        )
    })
    .prop_map(|(t, owner, data, skew)| {
        let mut r = rr(&owner, t, &data);
        if skew != 0 {
            let at = owner.len() + 8;
            let len = (data.len() as i32 + skew).clamp(0, 0xffff) as u16;
            r[at..at + 2].copy_from_slice(&len.to_be_bytes());
        }
        r
    })
}

/// One change to a message: a byte replaced, inserted or removed after the question (where
/// the records are) or anywhere, or the message cut short.
#[derive(Clone, Copy, Debug)]
enum Edit {
    Deep(usize, u8),
    Anywhere(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Cut(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Edit::Deep(a, b)),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Edit::Anywhere(a, b)),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Edit::Insert(a, b)),
        1 => any::<usize>().prop_map(Edit::Remove),
        1 => any::<usize>().prop_map(Edit::Cut),
    ]
}

fn apply(mut m: Vec<u8>, deep: usize, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = m.len();
        let past = |at: usize| deep + at % (len.saturating_sub(deep) + 1);
        match *e {
            Edit::Deep(at, b) if past(at) < len => m[past(at)] = b,
            Edit::Anywhere(at, b) if len > 0 => m[at % len] = b,
            Edit::Insert(at, b) => m.insert(past(at).min(len), b),
            Edit::Remove(at) if past(at) < len => {
                m.remove(past(at));
            }
            Edit::Cut(at) => m.truncate(at % (len + 1)),
            _ => {}
        }
    }
    m
}

/// An answer with `id` to `question` (the question section: name, type, class): any
/// response code (mostly NOERROR and NXDOMAIN), the TC and AD bits, records of `rtype` and
/// others in the answer and authority sections; intact or cut about.
pub(super) fn answer(id: [u8; 2], question: Vec<u8>, rtype: u16) -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![6 => Just(0u8), 2 => Just(3u8), 1 => 0u8..16],
        prop_oneof![9 => Just(false), 1 => Just(true)],
        any::<bool>(),
        prop::collection::vec(record(rtype), 0..5),
        prop::collection::vec(record(6), 0..2),
        prop_oneof![3 => Just(Vec::new()), 2 => prop::collection::vec(edit(), 1..4)],
    )
        .prop_map(move |(rcode, tc, ad, answers, authorities, edits)| {
            let flags = [
                0x81 | if tc { 0x02 } else { 0 },
                0x80 | if ad { 0x20 } else { 0 } | rcode,
            ];
            let mut m = message(flags, &question, &answers, &authorities);
            m[..2].copy_from_slice(&id);
            apply(m, HEADER + question.len(), &edits)
        })
}
