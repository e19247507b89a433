//! A delaying TCP proxy and a delaying UDP relay, to make a loopback server look far away
//! (this kernel has no `sch_netem`). Every chunk read from one side is stamped with the time
//! it was read and written to the other side one fixed one-way delay later, in order. Each
//! direction of each connection has its own reader and writer, so a chunk waiting out its
//! delay never holds back reading, the other direction, or another connection: the delay
//! adds latency, not serialisation.
//!
//! A new connection reaches the target one delay after it was accepted (the client's last
//! handshake packet travelling to the server), so the server's first words arrive a full
//! round trip after the client's connect returned, as they would over a real path. The TCP
//! handshake itself is completed by the kernel at once and is not delayed.
//!
//! Loopback only: both the listening and the target address must be in 127.0.0.0/8 (or
//! `::1`). Bounded: at most `Limits::max_connections` connections (UDP: clients), and
//! everything stops after `Limits::max_lifetime`, when [`DelayProxy::stop`] is called, or
//! when the handle is dropped.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::{Instant, sleep_until, timeout_at};

/// Chunks in flight per direction before the reader waits for the writer.
const QUEUE_CHUNKS: usize = 1024;
/// The largest chunk read at once.
const CHUNK: usize = 16 * 1024;
/// A UDP client that sends nothing for this long is forgotten.
const UDP_IDLE: Duration = Duration::from_secs(30);

/// How much a proxy or relay may do before it stops by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Connections accepted (UDP: distinct client addresses) over the whole lifetime;
    /// after that the TCP listener is closed and further UDP clients are ignored.
    pub max_connections: u64,
    /// Everything, open connections included, is stopped this long after the start.
    pub max_lifetime: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 256,
            max_lifetime: Duration::from_secs(300),
        }
    }
}

/// What a proxy has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// TCP connections accepted, or UDP clients seen.
    pub connections: u64,
    /// Bytes read from either side (held for the delay).
    pub bytes_in: u64,
    /// Bytes written to either side (their delay served).
    pub bytes_out: u64,
}

#[derive(Debug, Default)]
struct Counters {
    connections: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> ProxyStats {
        ProxyStats {
            connections: self.connections.load(Ordering::Relaxed),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
        }
    }
}

fn loopback_only(addr: SocketAddr, what: &str) -> io::Result<()> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{what} {addr} is not a loopback address"),
        ))
    }
}

/// A running delaying TCP proxy. Stops when dropped.
#[derive(Debug)]
pub struct DelayProxy {
    local: SocketAddr,
    target: SocketAddr,
    counters: Arc<Counters>,
    task: JoinHandle<()>,
}

impl DelayProxy {
    /// Listens on `listen` (port 0 picks one) and forwards every connection to `target`,
    /// holding each chunk for `one_way` in each direction. Must be called inside a Tokio
    /// runtime, which then serves the proxy.
    pub async fn start(
        listen: SocketAddr,
        target: SocketAddr,
        one_way: Duration,
        limits: Limits,
    ) -> io::Result<DelayProxy> {
        loopback_only(listen, "listen address")?;
        loopback_only(target, "target")?;
        let listener = TcpListener::bind(listen).await?;
        let local = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let task = tokio::spawn(accept_loop(
            listener,
            target,
            one_way,
            limits,
            Arc::clone(&counters),
        ));
        Ok(DelayProxy {
            local,
            target,
            counters,
            task,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub fn target(&self) -> SocketAddr {
        self.target
    }

    pub fn stats(&self) -> ProxyStats {
        self.counters.snapshot()
    }

    /// Closes the listener and every open connection.
    pub fn stop(self) {
        // Drop aborts the task, which owns the listener and every connection.
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Accepts a connection while a listener is left; pending for ever when none is.
async fn accept_from(listener: &Option<TcpListener>) -> io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

async fn accept_loop(
    listener: TcpListener,
    target: SocketAddr,
    one_way: Duration,
    limits: Limits,
    counters: Arc<Counters>,
) {
    let end = Instant::now() + limits.max_lifetime;
    let mut listener = Some(listener);
    // Owned here: when this task ends or is aborted, every connection goes with it.
    let mut conns = JoinSet::new();
    let mut accepted = 0u64;
    loop {
        tokio::select! {
            got = accept_from(&listener) => {
                match got {
                    Ok((client, _)) => {
                        accepted += 1;
                        counters.connections.fetch_add(1, Ordering::Relaxed);
                        if accepted >= limits.max_connections {
                            // Later connects are refused rather than left waiting.
                            listener = None;
                        }
                        let counters = Arc::clone(&counters);
                        conns.spawn(timeout_at(end, relay(client, target, one_way, counters)));
                    }
                    // E.g. out of file descriptors: do not spin.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            () = sleep_until(end) => break,
        }
    }
}

/// One chunk, or the end of one direction, and when it may be delivered.
#[derive(Debug)]
enum Held {
    Data(Instant, Vec<u8>),
    Eof(Instant),
}

/// One connection: both directions at once, each with its own delay queue.
async fn relay(client: TcpStream, target: SocketAddr, one_way: Duration, counters: Arc<Counters>) {
    let accepted = Instant::now();
    let _ = client.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (to_server, for_server) = mpsc::channel(QUEUE_CHUNKS);
    let (to_client, for_client) = mpsc::channel(QUEUE_CHUNKS);
    // The client may speak first (a TLS ClientHello): read it from the start.
    let client_to_queue = read_side(client_read, to_server, one_way, &counters);
    let server_side = async {
        // The connection reaches the server one delay after the client's connect returned.
        sleep_until(accepted + one_way).await;
        let Ok(server) = TcpStream::connect(target).await else {
            // The client sees the connection close; `to_client` is dropped here.
            drop(to_client);
            drop(for_server);
            return;
        };
        let _ = server.set_nodelay(true);
        let (server_read, server_write) = server.into_split();
        tokio::join!(
            write_side(for_server, server_write, &counters),
            read_side(server_read, to_client, one_way, &counters),
        );
    };
    let queue_to_client = write_side(for_client, client_write, &counters);
    tokio::join!(client_to_queue, server_side, queue_to_client);
}

/// Reads chunks as they come and queues each with its delivery time.
async fn read_side<R: AsyncRead + Unpin>(
    mut from: R,
    queue: mpsc::Sender<Held>,
    one_way: Duration,
    counters: &Counters,
) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        match from.read(&mut buf).await {
            Ok(0) => {
                let _ = queue.send(Held::Eof(Instant::now() + one_way)).await;
                return;
            }
            Ok(n) => {
                let due = Instant::now() + one_way;
                counters.bytes_in.fetch_add(n as u64, Ordering::Relaxed);
                let chunk = buf.get(..n).unwrap_or_default().to_vec();
                if queue.send(Held::Data(due, chunk)).await.is_err() {
                    return;
                }
            }
            // A reset: nothing more comes; the writer closes its side.
            Err(_) => return,
        }
    }
}

/// Writes each queued chunk when its delay is served, in order; passes the end on.
async fn write_side<W: AsyncWrite + Unpin>(
    mut queue: mpsc::Receiver<Held>,
    mut to: W,
    counters: &Counters,
) {
    while let Some(held) = queue.recv().await {
        match held {
            Held::Data(due, bytes) => {
                sleep_until(due).await;
                if to.write_all(&bytes).await.is_err() {
                    return;
                }
                counters
                    .bytes_out
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            }
            Held::Eof(due) => {
                sleep_until(due).await;
                break;
            }
        }
    }
    let _ = to.shutdown().await;
}

/// A running delaying UDP relay (for DNS). Stops when dropped.
#[derive(Debug)]
pub struct DelayUdpRelay {
    local: SocketAddr,
    target: SocketAddr,
    counters: Arc<Counters>,
    task: JoinHandle<()>,
}

impl DelayUdpRelay {
    /// Receives datagrams on `listen` and sends each to `target` one delay later, from a
    /// socket of its own per client; answers go back to the client one delay later, from
    /// `listen`.
    pub async fn start(
        listen: SocketAddr,
        target: SocketAddr,
        one_way: Duration,
        limits: Limits,
    ) -> io::Result<DelayUdpRelay> {
        loopback_only(listen, "listen address")?;
        loopback_only(target, "target")?;
        let socket = Arc::new(UdpSocket::bind(listen).await?);
        let local = socket.local_addr()?;
        let counters = Arc::new(Counters::default());
        let task = tokio::spawn(udp_loop(
            socket,
            target,
            one_way,
            limits,
            Arc::clone(&counters),
        ));
        Ok(DelayUdpRelay {
            local,
            target,
            counters,
            task,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub fn target(&self) -> SocketAddr {
        self.target
    }

    pub fn stats(&self) -> ProxyStats {
        self.counters.snapshot()
    }

    /// Closes the socket and forgets every client.
    pub fn stop(self) {}
}

impl Drop for DelayUdpRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Datagram = (Instant, Vec<u8>);

async fn udp_loop(
    socket: Arc<UdpSocket>,
    target: SocketAddr,
    one_way: Duration,
    limits: Limits,
    counters: Arc<Counters>,
) {
    let end = Instant::now() + limits.max_lifetime;
    let mut tasks = JoinSet::new();
    // Answers to every client leave through one queue, in the order they came.
    let (answers, mut answer_queue) = mpsc::channel::<(Datagram, SocketAddr)>(QUEUE_CHUNKS);
    {
        let socket = Arc::clone(&socket);
        let counters = Arc::clone(&counters);
        tasks.spawn(async move {
            while let Some(((due, bytes), client)) = answer_queue.recv().await {
                sleep_until(due).await;
                if socket.send_to(&bytes, client).await.is_ok() {
                    counters
                        .bytes_out
                        .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                }
            }
        });
    }
    let local_ip = socket.local_addr().map_or(target.ip(), |a| a.ip());
    let mut clients: HashMap<SocketAddr, mpsc::Sender<Datagram>> = HashMap::new();
    let mut seen = 0u64;
    let mut buf = vec![0u8; 65_536];
    loop {
        let got = tokio::select! {
            got = socket.recv_from(&mut buf) => got,
            () = sleep_until(end) => break,
        };
        let Ok((n, client)) = got else { continue };
        let due = Instant::now() + one_way;
        let mut bytes = buf.get(..n).unwrap_or_default().to_vec();
        counters.bytes_in.fetch_add(n as u64, Ordering::Relaxed);
        if let Some(queue) = clients.get(&client) {
            match queue.try_send((due, bytes)) {
                // Full: dropped, as on a congested path (DNS asks again).
                Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => continue,
                // Its tasks ended (idle): start again below.
                Err(mpsc::error::TrySendError::Closed((_, b))) => {
                    bytes = b;
                    clients.remove(&client);
                }
            }
        }
        if seen >= limits.max_connections {
            continue;
        }
        // A socket of its own per client, on the relay's address.
        let Ok(upstream) = UdpSocket::bind(SocketAddr::new(local_ip, 0)).await else {
            continue;
        };
        if upstream.connect(target).await.is_err() {
            continue;
        }
        seen += 1;
        counters.connections.fetch_add(1, Ordering::Relaxed);
        let upstream = Arc::new(upstream);
        let (queue, mut pending) = mpsc::channel::<Datagram>(QUEUE_CHUNKS);
        let _ = queue.try_send((due, bytes));
        clients.insert(client, queue);
        // Client to target: each datagram after its delay.
        let up = Arc::clone(&upstream);
        let c = Arc::clone(&counters);
        tasks.spawn(async move {
            while let Ok(Some((due, bytes))) = tokio::time::timeout(UDP_IDLE, pending.recv()).await
            {
                sleep_until(due).await;
                if up.send(&bytes).await.is_ok() {
                    c.bytes_out.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                }
            }
        });
        // Target to client: stamped when received, sent back by the answer queue.
        let answers = answers.clone();
        let c = Arc::clone(&counters);
        tasks.spawn(async move {
            let mut buf = vec![0u8; 65_536];
            while let Ok(Ok(n)) = tokio::time::timeout(UDP_IDLE, upstream.recv(&mut buf)).await {
                let due = Instant::now() + one_way;
                c.bytes_in.fetch_add(n as u64, Ordering::Relaxed);
                let bytes = buf.get(..n).unwrap_or_default().to_vec();
                if answers.send(((due, bytes), client)).await.is_err() {
                    return;
                }
            }
        });
        // Reap finished tasks so the set does not grow for ever.
        while tasks.try_join_next().is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: &str = "127.0.0.1:0";

    fn any() -> SocketAddr {
        ANY.parse().unwrap()
    }

    /// An echo server on loopback: every byte back, then a close when the client closes.
    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind(ANY).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut r, mut w) = s.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                    let _ = w.shutdown().await;
                });
            }
        });
        addr
    }

    /// A server that only counts what it receives and never answers.
    async fn sink_server() -> (SocketAddr, Arc<AtomicU64>) {
        let listener = TcpListener::bind(ANY).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let got = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&got);
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        counter.fetch_add(n as u64, Ordering::Relaxed);
                    }
                });
            }
        });
        (addr, got)
    }

    /// Waits (bounded by `tokio::test`'s own run, and by a cap here) until `cond` holds.
    async fn eventually(mut cond: impl FnMut() -> bool) -> bool {
        let give_up = Instant::now() + Duration::from_secs(10);
        while Instant::now() < give_up {
            if cond() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        cond()
    }

    #[tokio::test]
    async fn bytes_arrive_intact_and_in_order_both_ways() {
        let echo = echo_server().await;
        let proxy = DelayProxy::start(any(), echo, Duration::from_millis(5), Limits::default())
            .await
            .unwrap();
        let mut client = TcpStream::connect(proxy.local_addr()).await.unwrap();
        // Many small writes, each distinct: any reordering or loss shows.
        let mut sent = Vec::new();
        for i in 0..300u32 {
            let piece = format!("chunk {i:05} {}\n", "x".repeat((i % 37) as usize));
            client.write_all(piece.as_bytes()).await.unwrap();
            sent.extend_from_slice(piece.as_bytes());
        }
        // And one large write, split into many chunks on the way.
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        client.write_all(&big).await.unwrap();
        sent.extend_from_slice(&big);
        // Half-close: the end must travel through too, after the data.
        client.shutdown().await.unwrap();
        let mut back = Vec::new();
        client.read_to_end(&mut back).await.unwrap();
        assert_eq!(back.len(), sent.len());
        assert!(back == sent, "the bytes came back changed or reordered");
        let stats = proxy.stats();
        assert_eq!(stats.connections, 1);
        assert_eq!(stats.bytes_in, 2 * sent.len() as u64);
        assert!(eventually(|| proxy.stats().bytes_out == 2 * sent.len() as u64).await);
    }

    #[tokio::test]
    async fn connections_do_not_share_a_queue() {
        let echo = echo_server().await;
        let proxy = DelayProxy::start(any(), echo, Duration::from_millis(5), Limits::default())
            .await
            .unwrap();
        let mut tasks = JoinSet::new();
        for c in 0..8u8 {
            let addr = proxy.local_addr();
            tasks.spawn(async move {
                let mut s = TcpStream::connect(addr).await.unwrap();
                let mine: Vec<u8> = (0..5000u32).map(|i| c.wrapping_add(i as u8)).collect();
                s.write_all(&mine).await.unwrap();
                s.shutdown().await.unwrap();
                let mut back = Vec::new();
                s.read_to_end(&mut back).await.unwrap();
                back == mine
            });
        }
        while let Some(ok) = tasks.join_next().await {
            assert!(ok.unwrap(), "a connection got bytes that were not its own");
        }
        assert_eq!(proxy.stats().connections, 8);
    }

    #[tokio::test]
    async fn chunks_are_held_for_the_delay_and_stop_drops_them() {
        let (sink, received) = sink_server().await;
        // A delay far longer than the test: what was read must be held, not forwarded.
        let proxy = DelayProxy::start(any(), sink, Duration::from_secs(3600), Limits::default())
            .await
            .unwrap();
        let mut client = TcpStream::connect(proxy.local_addr()).await.unwrap();
        client.write_all(b"hello, far away\r\n").await.unwrap();
        assert!(
            eventually(|| proxy.stats().bytes_in == 17).await,
            "the proxy never read what the client sent"
        );
        assert_eq!(proxy.stats().bytes_out, 0);
        assert_eq!(received.load(Ordering::Relaxed), 0);
        // Stopping closes the client's connection: its read ends.
        proxy.stop();
        let mut buf = [0u8; 16];
        let end = tokio::time::timeout(Duration::from_secs(10), client.read(&mut buf)).await;
        assert!(
            matches!(end, Ok(Ok(0)) | Ok(Err(_))),
            "the connection stayed open after stop: {end:?}"
        );
        assert_eq!(received.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn the_connection_cap_closes_the_listener() {
        let echo = echo_server().await;
        let limits = Limits {
            max_connections: 1,
            ..Limits::default()
        };
        let proxy = DelayProxy::start(any(), echo, Duration::from_millis(1), limits)
            .await
            .unwrap();
        let mut first = TcpStream::connect(proxy.local_addr()).await.unwrap();
        first.write_all(b"one").await.unwrap();
        let mut buf = [0u8; 3];
        first.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"one");
        assert!(
            eventually(|| std::net::TcpStream::connect(proxy.local_addr()).is_err()).await,
            "a second connection was still accepted"
        );
    }

    #[tokio::test]
    async fn refuses_addresses_off_loopback() {
        let echo = echo_server().await;
        let far: SocketAddr = "192.0.2.1:993".parse().unwrap();
        let d = Duration::from_millis(1);
        assert!(
            DelayProxy::start(any(), far, d, Limits::default())
                .await
                .is_err()
        );
        assert!(
            DelayProxy::start(far, echo, d, Limits::default())
                .await
                .is_err()
        );
        assert!(
            DelayUdpRelay::start(any(), far, d, Limits::default())
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn udp_datagrams_are_relayed_both_ways() {
        // A UDP echo server that prefixes its answers.
        let server = UdpSocket::bind(ANY).await.unwrap();
        let server_addr = server.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = server.recv_from(&mut buf).await {
                let mut answer = b"re:".to_vec();
                answer.extend_from_slice(&buf[..n]);
                let _ = server.send_to(&answer, from).await;
            }
        });
        let relay = DelayUdpRelay::start(
            any(),
            server_addr,
            Duration::from_millis(5),
            Limits::default(),
        )
        .await
        .unwrap();
        let client = UdpSocket::bind(ANY).await.unwrap();
        client.connect(relay.local_addr()).await.unwrap();
        for i in 0..5u8 {
            client.send(&[b'q', b'0' + i]).await.unwrap();
        }
        let mut answers = Vec::new();
        let mut buf = [0u8; 512];
        for _ in 0..5 {
            let n = tokio::time::timeout(Duration::from_secs(10), client.recv(&mut buf))
                .await
                .unwrap()
                .unwrap();
            answers.push(buf[..n].to_vec());
        }
        // Datagrams may be reordered on a real path, but not by the relay.
        let expected: Vec<Vec<u8>> = (0..5u8)
            .map(|i| vec![b'r', b'e', b':', b'q', b'0' + i])
            .collect();
        assert_eq!(answers, expected);
        // The answers came from the relay's own address, as a DNS client expects.
        let stats = relay.stats();
        assert_eq!(stats.connections, 1);
        assert_eq!(stats.bytes_in, 5 * 2 + 5 * 5);
    }
}
