//! maildoc's own stub DNS client for one server: queries over UDP on a few long-lived
//! sockets connected to the server, answers matched to their query by ID, and TCP when an
//! answer comes back truncated.
//!
//! Why not one socket per query (the usual stub's way): each costs a socket, a bind, an
//! epoll registration and a close, which in bulk runs was half of maildoc's CPU. What keeps
//! a forged answer out: each socket's port is the kernel's random choice, each query's ID
//! comes from a CSPRNG (rand's thread-local ChaCha, seeded and reseeded by the system), a
//! connected socket takes datagrams from the server only, and an answer counts only when
//! its question is the one asked.

use hickory_resolver::proto::op::Message;
use hickory_resolver::proto::rr::RecordType;
use maildoc_model::ResolveOutcome;
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{OnceCell, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Sockets per server: enough that no one socket's lock or queue is hot.
const SOCKETS: usize = 4;
/// How long an answer may take before the query is sent once more (UDP may lose it): well
/// beyond most round trips, so a slow server is rarely asked twice.
const RESEND_AFTER: std::time::Duration = std::time::Duration::from_millis(700);
/// The EDNS payload size asked for (the DNS flag day 2020 value): larger answers come
/// truncated and are asked again over TCP.
const PAYLOAD: u16 = 1232;

/// Why a query got no answer to read.
pub(crate) type Failure = (ResolveOutcome, String);

/// What the reader of a socket hands to the query waiting for an ID.
type Delivery = Result<Vec<u8>, String>;

/// One DNS server. The sockets are opened at the first query, on the runtime that asks.
#[derive(Debug)]
pub(crate) struct Client {
    server: SocketAddr,
    pool: OnceCell<Result<Pool, String>>,
    next: AtomicUsize,
}

#[derive(Debug)]
struct Pool {
    slots: Vec<Arc<Slot>>,
    readers: Vec<JoinHandle<()>>,
}

impl Drop for Pool {
    fn drop(&mut self) {
        for r in &self.readers {
            r.abort();
        }
    }
}

/// The queries waiting on a socket, by ID: each with a ticket of its own, since an ID is
/// free again (and may be taken by another query) as soon as its answer is handed over.
type Waiting = HashMap<u16, (u64, oneshot::Sender<Delivery>)>;

#[derive(Debug)]
struct Slot {
    socket: UdpSocket,
    pending: Mutex<Waiting>,
    tickets: AtomicU64,
}

impl Slot {
    fn pending(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Takes a query's ID back out of the table when the query ends unanswered (a timeout
/// drops the query's future), unless the ID already belongs to another query.
struct Registered<'a> {
    slot: &'a Slot,
    id: u16,
    ticket: u64,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        let mut pending = self.slot.pending();
        if pending
            .get(&self.id)
            .is_some_and(|(t, _)| *t == self.ticket)
        {
            pending.remove(&self.id);
        }
    }
}

impl Client {
    pub(crate) fn new(server: SocketAddr) -> Self {
        Client {
            server,
            pool: OnceCell::new(),
            next: AtomicUsize::new(0),
        }
    }

    /// The server asked.
    pub(crate) fn server(&self) -> SocketAddr {
        self.server
    }

    /// Asks `name` (a fully qualified name) for `rtype`, giving up at `until`; with
    /// `dnssec_ok`, the DO bit asks for the signatures too. One timer serves both the resend
    /// and the deadline.
    pub(crate) async fn query(
        &self,
        name: &str,
        rtype: RecordType,
        dnssec_ok: bool,
        until: Instant,
    ) -> Result<Message, Failure> {
        let pool = self
            .pool
            .get_or_init(|| open(self.server))
            .await
            .as_ref()
            .map_err(|e| (ResolveOutcome::ResolverError, e.clone()))?;
        let slot = &pool.slots[self.next.fetch_add(1, Ordering::Relaxed) % pool.slots.len()];
        let (tx, mut rx) = oneshot::channel();
        let ticket = slot.tickets.fetch_add(1, Ordering::Relaxed);
        let id = {
            let mut pending = slot.pending();
            let mut id: u16 = rand::random();
            while pending.contains_key(&id) {
                id = rand::random();
            }
            pending.insert(id, (ticket, tx));
            id
        };
        let _registered = Registered { slot, id, ticket };
        let request = request(id, name, rtype, dnssec_ok)?;
        slot.socket.send(&request).await.map_err(io_failure)?;
        // A datagram lost on the way (either way) costs one resend, not the whole attempt.
        let resend_at = Instant::now() + RESEND_AFTER;
        let timer = tokio::time::sleep_until(resend_at.min(until));
        tokio::pin!(timer);
        let mut resent = false;
        let got = loop {
            tokio::select! {
                biased;
                got = &mut rx => break got,
                () = &mut timer => {
                    if resent || resend_at >= until {
                        return Err((ResolveOutcome::Timeout, String::new()));
                    }
                    slot.socket.send(&request).await.map_err(io_failure)?;
                    resent = true;
                    timer.as_mut().reset(until);
                }
            }
        };
        let bytes = match got {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(e)) => return Err((ResolveOutcome::ResolverError, e)),
            Err(_) => {
                return Err((
                    ResolveOutcome::ResolverError,
                    "the DNS socket closed".into(),
                ));
            }
        };
        let answer = read_answer(&bytes, &request)?;
        if answer.metadata.truncation {
            return match tokio::time::timeout_at(until, self.query_tcp(&request)).await {
                Ok(answer) => answer,
                Err(_) => Err((ResolveOutcome::Timeout, String::new())),
            };
        }
        Ok(answer)
    }

    /// The same query (`request`, as sent over UDP) over TCP (RFC 7766), for an answer too
    /// large for UDP.
    async fn query_tcp(&self, request: &[u8]) -> Result<Message, Failure> {
        let mut stream = TcpStream::connect(self.server).await.map_err(io_failure)?;
        let len = u16::try_from(request.len())
            .map_err(|_| (ResolveOutcome::ResolverError, "query too long".to_string()))?;
        let mut framed = Vec::with_capacity(request.len() + 2);
        framed.extend_from_slice(&len.to_be_bytes());
        framed.extend_from_slice(request);
        stream.write_all(&framed).await.map_err(io_failure)?;
        let len = stream.read_u16().await.map_err(io_failure)?;
        let mut bytes = vec![0u8; usize::from(len)];
        stream.read_exact(&mut bytes).await.map_err(io_failure)?;
        read_answer(&bytes, request)
    }
}

fn io_failure(e: std::io::Error) -> Failure {
    (ResolveOutcome::ResolverError, e.to_string())
}

/// The length of the fixed DNS header (RFC 1035 §4.1.1).
const HEADER: usize = 12;

/// A query with recursion desired, EDNS(0) with [`PAYLOAD`], and the AD bit set to ask a
/// validating resolver to say whether it validated the answer (RFC 6840 §5.7); with
/// `dnssec_ok`, the DO bit (RFC 3225) asks for the RRSIG records as well. `name` is a
/// fully qualified name in presentation form (`\.` and `\DDD` escapes are read); it is
/// written as given, without hickory's message building, since this is done for every query.
fn request(id: u16, name: &str, rtype: RecordType, dnssec_ok: bool) -> Result<Vec<u8>, Failure> {
    let not_a_name = |why: &str| {
        (
            ResolveOutcome::ResolverError,
            format!("not a DNS name: {name} ({why})"),
        )
    };
    let mut m = Vec::with_capacity(HEADER + name.len() + 2 + 4 + 11);
    m.extend_from_slice(&id.to_be_bytes());
    // RD (recursion desired) and AD; one question, one additional record (the OPT).
    m.extend_from_slice(&[0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 1]);
    let labels = labels(name).map_err(not_a_name)?;
    for label in &labels {
        let len = u8::try_from(label.len())
            .ok()
            .filter(|l| (1..=63).contains(l))
            .ok_or_else(|| not_a_name("a label is empty or longer than 63 bytes"))?;
        m.push(len);
        m.extend_from_slice(label);
    }
    m.push(0);
    if m.len() - HEADER > 255 {
        return Err(not_a_name("longer than 255 bytes"));
    }
    m.extend_from_slice(&u16::from(rtype).to_be_bytes());
    m.extend_from_slice(&[0, 1]); // class IN
    // OPT (RFC 6891): root owner, type 41, the payload size as class, then as TTL the
    // extended rcode and version 0 and the flags (DO or none), no options.
    m.extend_from_slice(&[0, 0, 41]);
    m.extend_from_slice(&PAYLOAD.to_be_bytes());
    let flags: u8 = if dnssec_ok { 0x80 } else { 0 };
    m.extend_from_slice(&[0, 0, flags, 0, 0, 0]);
    Ok(m)
}

/// The labels of a name in presentation form (the final dot optional; `.` is the root).
fn labels(name: &str) -> Result<Vec<Vec<u8>>, &'static str> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut label: Vec<u8> = Vec::new();
    let mut bytes = name.bytes();
    let mut ended = false;
    while let Some(b) = bytes.next() {
        ended = false;
        match b {
            b'.' => {
                out.push(std::mem::take(&mut label));
                ended = true;
            }
            b'\\' => match bytes.next() {
                Some(d) if d.is_ascii_digit() => {
                    let digits = [Some(d), bytes.next(), bytes.next()];
                    let mut value: u16 = 0;
                    for digit in digits {
                        match digit {
                            Some(x) if x.is_ascii_digit() => {
                                value = value * 10 + u16::from(x - b'0')
                            }
                            _ => return Err("a \\DDD escape needs three digits"),
                        }
                    }
                    label.push(u8::try_from(value).map_err(|_| "a \\DDD escape above 255")?);
                }
                Some(c) => label.push(c),
                None => return Err("a lone backslash at the end"),
            },
            _ => label.push(b),
        }
    }
    if !ended && !label.is_empty() {
        out.push(label);
    }
    if out.len() == 1 && out[0].is_empty() {
        out.clear(); // the root
    }
    Ok(out)
}

/// Decodes an answer and checks that it answers the question asked: the question section
/// must be the request's, names compared without regard to ASCII case.
fn read_answer(bytes: &[u8], request: &[u8]) -> Result<Message, Failure> {
    let question = request.get(HEADER..request.len() - 11).unwrap_or_default();
    let answered = bytes.len() >= HEADER + question.len()
        && bytes[2] & 0x80 != 0
        && bytes[4..6] == [0, 1]
        && bytes[HEADER..HEADER + question.len()].eq_ignore_ascii_case(question);
    if !answered {
        return Err((
            ResolveOutcome::ResolverError,
            "the DNS server answered another question".into(),
        ));
    }
    Message::from_vec(bytes).map_err(|e| {
        (
            ResolveOutcome::ResolverError,
            format!("an answer that is not DNS: {e}"),
        )
    })
}

/// Opens the sockets to `server` and starts a reader for each.
async fn open(server: SocketAddr) -> Result<Pool, String> {
    let local: SocketAddr = if server.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let mut slots = Vec::with_capacity(SOCKETS);
    let mut readers = Vec::with_capacity(SOCKETS);
    for _ in 0..SOCKETS {
        let socket = UdpSocket::bind(local).await.map_err(|e| e.to_string())?;
        socket.connect(server).await.map_err(|e| e.to_string())?;
        let slot = Arc::new(Slot {
            socket,
            pending: Mutex::new(HashMap::new()),
            tickets: AtomicU64::new(0),
        });
        readers.push(tokio::spawn(read_loop(Arc::clone(&slot))));
        slots.push(slot);
    }
    Ok(Pool { slots, readers })
}

/// Hands each datagram to the query waiting for its ID; drops the rest. A socket error (an
/// ICMP "port unreachable" shows as "connection refused" on a connected socket) fails the
/// queries waiting on that socket, since it cannot say which one it was for.
async fn read_loop(slot: Arc<Slot>) {
    let mut buf = vec![0u8; 65_535];
    loop {
        match slot.socket.recv(&mut buf).await {
            Ok(n) if n >= 12 => {
                let id = u16::from_be_bytes([buf[0], buf[1]]);
                let waiting = slot.pending().remove(&id);
                if let Some((_, tx)) = waiting {
                    let _ = tx.send(Ok(buf[..n].to_vec()));
                }
            }
            Ok(_) => {}
            Err(e) => {
                let failed: Vec<_> = slot.pending().drain().map(|(_, (_, tx))| tx).collect();
                for tx in failed {
                    let _ = tx.send(Err(e.to_string()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    /// A server on loopback that sends every query back as its own (empty) answer.
    fn echo_server() -> SocketAddr {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let addr = socket.local_addr().expect("addr");
        std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while let Ok((n, peer)) = socket.recv_from(&mut buf) {
                if n > 3 {
                    buf[2] |= 0x80;
                    let _ = socket.send_to(&buf[..n], peer);
                }
            }
        });
        addr
    }

    /// A query that got its answer leaves alone a newer query that took the same ID since
    /// (it once took the newer query out of the table, which then failed).
    #[tokio::test]
    async fn a_finished_query_leaves_a_newer_query_with_its_id_alone() {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let slot = Slot {
            socket,
            pending: Mutex::new(HashMap::new()),
            tickets: AtomicU64::new(0),
        };
        let (old_tx, _old_rx) = oneshot::channel();
        slot.pending().insert(42, (0, old_tx));
        let old = Registered {
            slot: &slot,
            id: 42,
            ticket: 0,
        };
        // The reader hands the answer over, and a newer query takes the free ID.
        let _ = slot.pending().remove(&42);
        let (new_tx, _new_rx) = oneshot::channel();
        slot.pending().insert(42, (1, new_tx));
        drop(old);
        assert!(slot.pending().get(&42).is_some_and(|(t, _)| *t == 1));
        // A query that ends unanswered takes its own ID out.
        let new = Registered {
            slot: &slot,
            id: 42,
            ticket: 1,
        };
        drop(new);
        assert!(slot.pending().is_empty());
    }

    /// Many queries at once on few sockets: IDs are freed and taken again all the time, and
    /// every query must still get the answer to its own question.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_query_gets_its_answer_while_ids_are_reused() {
        let client = Client::new(echo_server());
        let names: Vec<String> = (0..20_000).map(|i| format!("q{i}.example.")).collect();
        let failures = futures_util::stream::iter(&names)
            .map(|name| {
                let until = Instant::now() + std::time::Duration::from_secs(5);
                let ask = client.query(name, RecordType::TXT, false, until);
                async move {
                    match ask.await {
                        Ok(answer) => answer.queries[0].name().to_ascii() != *name,
                        Err(_) => true,
                    }
                }
            })
            .buffer_unordered(64)
            .filter(|failed| std::future::ready(*failed))
            .count()
            .await;
        assert_eq!(failures, 0);
    }

    /// The query as hickory's message builder writes it, for comparison.
    fn hickory_request(id: u16, name: &str, rtype: RecordType, dnssec_ok: bool) -> Vec<u8> {
        use hickory_resolver::proto::op::{Edns, MessageType, OpCode, Query};
        use hickory_resolver::proto::rr::Name;
        let mut m = Message::new(id, MessageType::Query, OpCode::Query);
        m.metadata.recursion_desired = true;
        m.metadata.authentic_data = true;
        let qname = Name::from_ascii(name).unwrap_or_default();
        m.add_query(Query::query(qname, rtype));
        let mut edns = Edns::new();
        edns.set_max_payload(PAYLOAD);
        edns.set_dnssec_ok(dnssec_ok);
        m.set_edns(edns);
        m.to_vec().unwrap_or_default()
    }

    #[test]
    fn queries_are_written_as_hickory_writes_them() {
        for (name, rtype) in [
            ("example.jp.", RecordType::MX),
            ("_dmarc.Example.JP.", RecordType::TXT),
            ("selector1._domainkey.xn--wgv71a119e.jp.", RecordType::TXT),
            ("4.3.2.1.in-addr.arpa.", RecordType::PTR),
            ("_25._tcp.mx.example.jp.", RecordType::TLSA),
            ("a\\.b.example.", RecordType::A),
            (".", RecordType::NS),
        ] {
            for dnssec_ok in [false, true] {
                let ours = request(0x1234, name, rtype, dnssec_ok).unwrap_or_default();
                assert!(!ours.is_empty(), "{name}");
                assert_eq!(
                    ours,
                    hickory_request(0x1234, name, rtype, dnssec_ok),
                    "{name} {dnssec_ok}"
                );
            }
        }
        // A \DDD escape is one byte (hickory does not read these).
        let spaced = request(1, "sp\\032ace.example.", RecordType::A, false).unwrap_or_default();
        assert_eq!(spaced.get(12..19), Some(&b"\x06sp ace"[..]));
    }

    #[test]
    fn names_that_cannot_be_asked_are_refused() {
        let long_label = format!("{}.example.", "a".repeat(64));
        let long_name = format!("{}example.", "abcdefghi.".repeat(26));
        for name in [
            "a..example.",
            long_label.as_str(),
            long_name.as_str(),
            "bad\\9.example.",
            "bad\\999.example.",
            "end\\",
        ] {
            assert!(request(1, name, RecordType::A, false).is_err(), "{name}");
        }
        let longest = format!("{}example.", "abcdefghi.".repeat(24));
        assert!(request(1, &longest, RecordType::A, false).is_ok());
    }

    #[tokio::test]
    async fn an_answer_to_another_question_is_refused() {
        let client = Client::new(echo_server());
        let asked = request(7, "a.example.", RecordType::A, false).unwrap_or_default();
        let answer_to = |name: &str, rtype: RecordType| {
            let mut answer = request(7, name, rtype, false).unwrap_or_default();
            answer[2] |= 0x80;
            answer
        };
        assert!(read_answer(&answer_to("b.example.", RecordType::A), &asked).is_err());
        assert!(
            read_answer(&answer_to("A.EXAMPLE.", RecordType::A), &asked).is_ok(),
            "names ignore case"
        );
        assert!(read_answer(&answer_to("a.example.", RecordType::TXT), &asked).is_err());
        assert!(read_answer(&asked, &asked).is_err(), "a query is no answer");
        let until = Instant::now() + std::time::Duration::from_secs(5);
        assert!(
            client
                .query("ok.example.", RecordType::A, false, until)
                .await
                .is_ok()
        );
    }

    /// A server that never answers: the query is sent twice (once more after
    /// RESEND_AFTER) and gives up at its deadline, with one timer for both.
    #[tokio::test]
    async fn an_unanswered_query_is_sent_again_then_times_out_at_its_deadline() {
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        silent
            .set_read_timeout(Some(std::time::Duration::from_secs(3)))
            .expect("timeout");
        let client = Client::new(silent.local_addr().expect("addr"));
        let start = Instant::now();
        let until = start + RESEND_AFTER + std::time::Duration::from_millis(300);
        let got = client
            .query("quiet.example.", RecordType::A, false, until)
            .await;
        assert!(matches!(got, Err((ResolveOutcome::Timeout, _))));
        assert!(start.elapsed() >= RESEND_AFTER + std::time::Duration::from_millis(300));
        let mut buf = [0u8; 512];
        let first = silent.recv(&mut buf).map(|n| buf[..n].to_vec());
        let second = silent.recv(&mut buf).map(|n| buf[..n].to_vec());
        assert!(
            first.is_ok() && first.ok() == second.ok(),
            "the same query twice"
        );
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::dns::{classify, fuzz, host_of};
    use hickory_resolver::proto::rr::RData;
    use proptest::prelude::*;

    const TYPES: [RecordType; 10] = [
        RecordType::A,
        RecordType::AAAA,
        RecordType::MX,
        RecordType::TXT,
        RecordType::SRV,
        RecordType::CNAME,
        RecordType::PTR,
        RecordType::NS,
        RecordType::TLSA,
        RecordType::SOA,
    ];

    /// Names as a user, a record or a PTR answer may hand them over: host names, escapes,
    /// empty labels, overlong labels, any text.
    fn any_name() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => "([a-zA-Z0-9_-]{1,12}\\.){1,4}",
            2 => "(([a-zA-Z0-9_-]{0,70})|\\\\[0-9]{0,4}|\\\\[.\\\\ ]|\\.){0,10}",
            1 => any::<String>(),
        ]
    }

    /// A query for a host name, then an answer to it, intact or cut about.
    fn exchange() -> impl Strategy<Value = (RecordType, Vec<u8>, Vec<u8>)> {
        (
            prop::sample::select(TYPES.to_vec()),
            "([a-z0-9-]{1,12}\\.){1,3}",
            any::<u16>(),
        )
            .prop_filter_map("a name that can be asked", |(rtype, name, id)| {
                request(id, &name, rtype, false).ok().map(|q| (rtype, q))
            })
            .prop_flat_map(|(rtype, q)| {
                let answers = prop_oneof![
                    8 => fuzz::answer([q[0], q[1]], q[HEADER..q.len() - 11].to_vec(), u16::from(rtype)),
                    1 => prop::collection::vec(any::<u8>(), 0..120),
                ];
                (Just(rtype), Just(q), answers)
            })
    }

    /// The names of a record as the lookups print them.
    fn names_of(data: &RData) -> Vec<String> {
        match data {
            RData::MX(mx) => vec![host_of(&mx.exchange.to_ascii())],
            RData::SRV(srv) => vec![host_of(&srv.target.to_ascii())],
            RData::CNAME(c) => vec![host_of(&c.0.to_ascii())],
            RData::PTR(p) => vec![host_of(&p.0.to_ascii())],
            RData::NS(ns) => vec![host_of(&ns.0.to_ascii())],
            RData::TXT(txt) => txt
                .txt_data
                .iter()
                .map(|part| String::from_utf8_lossy(part).into_owned())
                .collect(),
            _ => Vec::new(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Any name: a query that hickory reads back as one question for that name and
        /// type (labels of 1 to 63 bytes, 255 in all), or a refusal; never a panic.
        #[test]
        fn names_make_a_query_or_a_refusal(
            name in any_name(),
            rtype in prop::sample::select(TYPES.to_vec()),
            dnssec_ok in any::<bool>(),
        ) {
            match request(0x4d44, &name, rtype, dnssec_ok) {
                Ok(q) => {
                    prop_assert!(q.len() <= HEADER + 255 + 4 + 11);
                    let m = match Message::from_vec(&q) {
                        Ok(m) => m,
                        Err(e) => return Err(TestCaseError::fail(format!("{name:?}: {e}"))),
                    };
                    prop_assert_eq!(m.queries.len(), 1);
                    prop_assert_eq!(m.queries[0].query_type(), rtype);
                    let written = labels(&name).map(|l| l.len()).unwrap_or(usize::MAX);
                    prop_assert_eq!(m.queries[0].name().iter().count(), written);
                }
                Err((outcome, detail)) => {
                    prop_assert_eq!(outcome, ResolveOutcome::ResolverError);
                    prop_assert!(detail.starts_with("not a DNS name"));
                }
            }
        }

        /// An answer is read only when it is a response to the question asked (names
        /// compared without regard to case); what is read is classified (found only with
        /// records of the type asked for) and its names printed, without a panic.
        #[test]
        fn answers_are_read_only_for_their_question((rtype, q, answer) in exchange()) {
            let question = &q[HEADER..q.len() - 11];
            let answers_it = answer.len() >= HEADER + question.len()
                && answer[2] & 0x80 != 0
                && answer[4..6] == [0, 1]
                && answer[HEADER..HEADER + question.len()].eq_ignore_ascii_case(question);
            let read = read_answer(&answer, &q);
            if !answers_it {
                prop_assert!(read.is_err());
            }
            let Ok(message) = read else { return Ok(()) };
            for r in message.answers.iter().chain(&message.authorities) {
                let _ = host_of(&r.name.to_ascii());
                let _ = names_of(&r.data);
            }
            let (outcome, data, _, _) = classify(Ok(message), "x.example.jp", rtype);
            prop_assert_eq!(outcome == ResolveOutcome::Found, !data.is_empty());
            prop_assert!(data.iter().all(|d| d.record_type() == rtype));
        }
    }
}
