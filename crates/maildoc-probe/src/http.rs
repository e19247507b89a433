//! Minimal HTTP/1.0 GETs, bounded in size and time, resolving through the run's resolver:
//! over plain HTTP for a CA issuer certificate (AIA), and over HTTPS with strict certificate
//! verification for the settings files of discovery (autoconfig).

use crate::clock::RunClock;
use crate::dns::Dns;
use crate::tls::Trust;
use maildoc_model::ResolveOutcome;
use rustls::pki_types::ServerName;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_rustls::TlsConnector;

const FETCH_CAP: Duration = Duration::from_secs(4);
/// The longest an HTTPS exchange (handshake, request, answer) may take.
const HTTPS_CAP: Duration = Duration::from_secs(6);
const MAX_BODY: usize = 64 * 1024;
/// Room for the status line and headers besides the body.
const MAX_HEAD: usize = 8192;

/// A URL split into what the request needs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Url<'a> {
    host: &'a str,
    port: u16,
    authority: &'a str,
    path: &'a str,
}

fn parse_url<'a>(url: &'a str, scheme: &str, default_port: u16) -> Result<Url<'a>, String> {
    let rest = url
        .strip_prefix(scheme)
        .and_then(|r| r.strip_prefix("://"))
        .ok_or_else(|| format!("only {scheme}:// URLs are fetched"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (
            h,
            p.parse::<u16>()
                .map_err(|_| "a port that is no number".to_string())?,
        ),
        _ => (authority, default_port),
    };
    let host = host.trim_matches(['[', ']']);
    // The URL itself is never quoted back: it may hold credentials (user:token@host).
    if host.is_empty()
        || host.contains(['@', ' '])
        || authority.chars().any(char::is_control)
        || path.contains([' ', '\r', '\n'])
    {
        return Err("a host or path that cannot be used".to_string());
    }
    Ok(Url {
        host,
        port,
        authority,
        path,
    })
}

/// A TCP connection to the URL's host: its addresses through the run's resolver, tried in
/// turn under the run's clock.
async fn connect(
    u: &Url<'_>,
    dns: &Dns,
    clock: &RunClock,
) -> Result<tokio::net::TcpStream, String> {
    let found = dns.resolve(u.host, clock).await;
    let addrs: Vec<SocketAddr> = found
        .addresses
        .iter()
        .map(|ip| SocketAddr::new(*ip, u.port))
        .collect();
    if addrs.is_empty() {
        return Err(format!(
            "{} did not resolve: {:?} {}",
            u.host, found.outcome, found.detail
        ));
    }
    let (stream, attempts) = crate::tcp::connect(&addrs, clock).await;
    stream.ok_or_else(|| {
        let why = attempts
            .last()
            .map(|a| a.detail.clone())
            .unwrap_or_default();
        format!("could not connect to {}:{}: {why}", u.host, u.port)
    })
}

/// Fetches `url` (http only) and returns the body of a 200 answer.
pub async fn get(url: &str, dns: &Dns, clock: &RunClock) -> Result<Vec<u8>, String> {
    let u = parse_url(url, "http", 80)?;
    let mut stream = connect(&u, dns, clock).await?;
    let raw = tokio::time::timeout(clock.budget(FETCH_CAP), exchange(&mut stream, &u, MAX_BODY))
        .await
        .map_err(|_| "the issuer URL did not answer in time".to_string())?
        .map_err(|e| e.to_string())?;
    match parse_answer(&raw, MAX_BODY) {
        Answer::Ok(body) if !body.is_empty() => Ok(body),
        Answer::Ok(_) => Err("unusable body of 0 bytes".into()),
        Answer::Status(status, _) => Err(format!("HTTP status {status}")),
        Answer::TooLarge => Err(format!("a body larger than {MAX_BODY} bytes")),
        Answer::NotHttp => Err("not an HTTP answer".into()),
    }
}

/// Why an HTTPS fetch gave a document or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FetchOutcome {
    /// HTTP 200 with a body.
    Fetched,
    /// The URL cannot be fetched at all.
    BadUrl,
    /// The host did not resolve: NXDOMAIN, NODATA, a DNS failure or a DNS timeout.
    Unresolved(ResolveOutcome),
    /// No address of the host accepted a connection.
    ConnectFailed,
    /// The server's certificate did not verify (wrong name, expired, unknown issuer, ...).
    CertificateInvalid,
    /// The TLS handshake failed for another reason.
    TlsFailed,
    /// An HTTP status other than 200 (redirects are not followed).
    Status(u16),
    /// The answer is not HTTP, or the connection broke.
    NotHttp,
    /// The body is larger than allowed.
    TooLarge,
    /// No complete answer in time.
    Timeout,
}

/// One HTTPS fetch, as evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct Fetch {
    pub outcome: FetchOutcome,
    /// The address that answered, when one did.
    pub address: Option<SocketAddr>,
    /// What went wrong, in the libraries' words; the Location of a redirect.
    pub detail: String,
    /// The body of a 200 answer.
    pub body: Vec<u8>,
    /// The media type of a 200 answer's Content-Type, lower case, without parameters
    /// (`text/plain`); `None` when the header is missing.
    pub content_type: Option<String>,
}

impl Fetch {
    fn failed(outcome: FetchOutcome, address: Option<SocketAddr>, detail: String) -> Fetch {
        Fetch {
            outcome,
            address,
            detail,
            body: Vec::new(),
            content_type: None,
        }
    }
}

/// Fetches an `https://` URL with strict certificate verification against the run's trust
/// anchors: a certificate that does not verify is a recorded failure, never accepted. At most
/// `max_body` bytes of body; bounded by the run's deadline.
pub async fn get_https(
    url: &str,
    dns: &Dns,
    trust: &Trust,
    clock: &RunClock,
    max_body: usize,
) -> Fetch {
    let u = match parse_url(url, "https", 443) {
        Ok(u) => u,
        Err(e) => return Fetch::failed(FetchOutcome::BadUrl, None, e),
    };
    let name = match ServerName::try_from(u.host.to_string()) {
        Ok(n) => n,
        Err(e) => return Fetch::failed(FetchOutcome::BadUrl, None, e.to_string()),
    };
    let config = match trust.strict_client_config() {
        Ok(c) => c,
        Err(e) => return Fetch::failed(FetchOutcome::TlsFailed, None, e),
    };
    let found = dns.resolve(u.host, clock).await;
    if found.outcome != ResolveOutcome::Found || found.addresses.is_empty() {
        let outcome = match found.outcome {
            ResolveOutcome::Found => ResolveOutcome::NoAddress,
            other => other,
        };
        return Fetch::failed(FetchOutcome::Unresolved(outcome), None, found.detail);
    }
    let addrs: Vec<SocketAddr> = found
        .addresses
        .iter()
        .map(|ip| SocketAddr::new(*ip, u.port))
        .collect();
    let (stream, attempts) = crate::tcp::connect(&addrs, clock).await;
    let Some(stream) = stream else {
        let why = attempts
            .last()
            .map(|a| a.detail.clone())
            .unwrap_or_default();
        return Fetch::failed(
            FetchOutcome::ConnectFailed,
            None,
            format!("could not connect to {}:{}: {why}", u.host, u.port),
        );
    };
    let address = stream.peer_addr().ok();
    let connector = TlsConnector::from(Arc::new(config));
    let work = async {
        let mut tls = match connector.connect(name, stream).await {
            Ok(t) => t,
            Err(e) => return Err(tls_failure(&e)),
        };
        let raw = exchange(&mut tls, &u, max_body)
            .await
            .map_err(|e| (FetchOutcome::NotHttp, e.to_string()))?;
        let _ = tokio::time::timeout(Duration::from_millis(200), tls.shutdown()).await;
        Ok(raw)
    };
    let raw = match tokio::time::timeout(clock.budget(HTTPS_CAP), work).await {
        Err(_) => {
            return Fetch::failed(
                FetchOutcome::Timeout,
                address,
                format!("no complete answer from {} in time", u.authority),
            );
        }
        Ok(Err((outcome, detail))) => return Fetch::failed(outcome, address, detail),
        Ok(Ok(raw)) => raw,
    };
    match parse_answer(&raw, max_body) {
        Answer::Ok(body) => Fetch {
            outcome: FetchOutcome::Fetched,
            address,
            detail: String::new(),
            content_type: media_type(&raw),
            body,
        },
        Answer::Status(status, location) => Fetch::failed(
            FetchOutcome::Status(status),
            address,
            location
                .map(|l| format!("Location: {l}"))
                .unwrap_or_default(),
        ),
        Answer::TooLarge => Fetch::failed(
            FetchOutcome::TooLarge,
            address,
            format!("a body larger than {max_body} bytes"),
        ),
        Answer::NotHttp => {
            Fetch::failed(FetchOutcome::NotHttp, address, "not an HTTP answer".into())
        }
    }
}

/// The largest body [`post`] sends.
pub const MAX_POST: usize = 16 * 1024;

/// Posts `body` (UTF-8 text) to an `http://` or `https://` URL, with `headers` (names and
/// values without line breaks), and gives the status of the answer: an alert to a webhook
/// such as ntfy. HTTPS is verified strictly against the trust anchors; the whole exchange is
/// bounded by `clock`.
pub async fn post(
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
    dns: &Dns,
    trust: &Trust,
    clock: &RunClock,
) -> Result<u16, String> {
    let (u, secure) = if url.starts_with("https://") {
        (parse_url(url, "https", 443)?, true)
    } else {
        (parse_url(url, "http", 80)?, false)
    };
    if body.len() > MAX_POST {
        return Err(format!("a body larger than {MAX_POST} bytes"));
    }
    let mut request = format!(
        "POST {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: maildoc\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
        u.path,
        u.authority,
        body.len()
    );
    for (name, value) in headers {
        if name.contains([':', '\r', '\n']) || value.contains(['\r', '\n']) {
            return Err(format!("a header that cannot be sent: {name}"));
        }
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut request = request.into_bytes();
    request.extend_from_slice(body.as_bytes());

    let mut stream = connect(&u, dns, clock).await?;
    let work = async {
        if secure {
            let name = ServerName::try_from(u.host.to_string()).map_err(|e| e.to_string())?;
            let config = trust.strict_client_config()?;
            let mut tls = TlsConnector::from(Arc::new(config))
                .connect(name, stream)
                .await
                .map_err(|e| tls_failure(&e).1)?;
            send_and_read(&mut tls, &request, MAX_HEAD).await
        } else {
            send_and_read(&mut stream, &request, MAX_HEAD).await
        }
        .map_err(|e| e.to_string())
    };
    let raw = tokio::time::timeout(clock.budget(HTTPS_CAP), work)
        .await
        .map_err(|_| format!("no answer from {} in time", u.authority))??;
    status_of(&raw).ok_or_else(|| "not an HTTP answer".to_string())
}

/// The status code of an answer's status line.
fn status_of(raw: &[u8]) -> Option<u16> {
    let line = raw.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split_whitespace();
    parts.next().filter(|v| v.starts_with("HTTP/"))?;
    parts.next()?.parse().ok()
}

fn tls_failure(e: &std::io::Error) -> (FetchOutcome, String) {
    let tls_error = e.get_ref().and_then(|x| x.downcast_ref::<rustls::Error>());
    match tls_error {
        Some(rustls::Error::InvalidCertificate(_)) => {
            (FetchOutcome::CertificateInvalid, e.to_string())
        }
        _ => (FetchOutcome::TlsFailed, e.to_string()),
    }
}

/// Sends the request and reads the answer: to the end of the stream, to the end of a
/// Content-Length body, or until it is too large to be wanted.
async fn exchange<S>(stream: &mut S, u: &Url<'_>, max_body: usize) -> std::io::Result<Vec<u8>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let request = format!(
        "GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: maildoc\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        u.path, u.authority
    );
    send_and_read(stream, request.as_bytes(), max_body).await
}

/// Sends a whole request and reads the answer (see [`exchange`]).
async fn send_and_read<S>(
    stream: &mut S,
    request: &[u8],
    max_body: usize,
) -> std::io::Result<Vec<u8>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    stream.write_all(request).await?;
    stream.flush().await?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(n) => n,
            // A TLS peer that closes without close_notify: what arrived is the answer.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => 0,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&chunk[..n]);
        if raw.len() > max_body + MAX_HEAD {
            break;
        }
        if let Some((head_end, Some(length))) = head_and_length(&raw)
            && raw.len() >= head_end + length
        {
            break;
        }
    }
    Ok(raw)
}

/// Where the head ends (after the blank line), and the Content-Length if given.
fn head_and_length(raw: &[u8]) -> Option<(usize, Option<usize>)> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let length = header(&head, "content-length").and_then(|v| v.parse::<usize>().ok());
    Some((split + 4, length))
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().skip(1).find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

/// The media type of an answer's Content-Type header: `Text/Plain; charset=utf-8` is
/// `text/plain`.
fn media_type(raw: &[u8]) -> Option<String> {
    let (head_end, _) = head_and_length(raw)?;
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let value = header(&head, "content-type")?;
    let media = value.split(';').next().unwrap_or_default().trim();
    Some(media.to_ascii_lowercase())
}

#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Ok(Vec<u8>),
    Status(u16, Option<String>),
    TooLarge,
    NotHttp,
}

fn parse_answer(raw: &[u8], max_body: usize) -> Answer {
    let Some((head_end, length)) = head_and_length(raw) else {
        return if raw.len() > max_body {
            Answer::TooLarge
        } else {
            Answer::NotHttp
        };
    };
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let mut status_line = head.lines().next().unwrap_or_default().split_whitespace();
    if !status_line.next().unwrap_or_default().starts_with("HTTP/") {
        return Answer::NotHttp;
    }
    let Some(status) = status_line.next().and_then(|s| s.parse::<u16>().ok()) else {
        return Answer::NotHttp;
    };
    if status != 200 {
        return Answer::Status(status, header(&head, "location"));
    }
    let mut body = raw[head_end..].to_vec();
    if body.len() > max_body || length.is_some_and(|l| l > max_body) {
        return Answer::TooLarge;
    }
    if let Some(l) = length {
        if body.len() < l {
            return Answer::NotHttp;
        }
        body.truncate(l);
    }
    Answer::Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio::net::TcpListener;

    /// A test CA and a leaf for 127.0.0.1 signed by it: (CA PEM, leaf chain, leaf key).
    fn pki() -> (String, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let ca_key = rcgen::KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let mut ca_params =
            rcgen::CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| panic!("{e}"));
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key)
            .unwrap_or_else(|e| panic!("{e}"));
        let leaf_key = rcgen::KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
            .and_then(|p| p.signed_by(&leaf_key, &ca))
            .unwrap_or_else(|e| panic!("{e}"));
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        (ca.pem(), vec![leaf.der().clone()], key)
    }

    /// An HTTPS server on 127.0.0.1 that answers `/config.xml` with a small document and
    /// anything else with 404, for `connections` connections. Returns its port.
    async fn server(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        connections: usize,
    ) -> u16 {
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|e| panic!("{e}"))
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap_or_else(|e| panic!("{e}"));
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        tokio::spawn(async move {
            for _ in 0..connections {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    continue;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let answer: &[u8] = if request.starts_with(b"GET /config.xml ") {
                    b"HTTP/1.0 200 OK\r\nContent-Length: 9\r\n\r\n<config/>"
                } else {
                    b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                };
                let _ = tls.write_all(answer).await;
                let _ = tls.shutdown().await;
            }
        });
        port
    }

    #[tokio::test]
    async fn https_verifies_strictly() {
        let (ca_pem, chain, key) = pki();
        let port = server(chain, key, 3).await;
        // An address literal needs no DNS; the resolver given is never asked.
        let dns = Dns::new(Some(SocketAddr::from(([127, 0, 0, 1], 9))));
        let clock = RunClock::new(Duration::from_secs(10));
        let trusted = Trust::new(Some(ca_pem.as_bytes())).unwrap_or_else(|e| panic!("{e}"));
        let url = format!("https://127.0.0.1:{port}/config.xml");

        let f = get_https(&url, &dns, &trusted, &clock, 1024).await;
        assert_eq!(f.outcome, FetchOutcome::Fetched, "{}", f.detail);
        assert_eq!(f.body, b"<config/>");

        let missing = format!("https://127.0.0.1:{port}/other.xml");
        let f = get_https(&missing, &dns, &trusted, &clock, 1024).await;
        assert_eq!(f.outcome, FetchOutcome::Status(404), "{}", f.detail);

        // Without the test CA the certificate does not verify: a failure, never accepted.
        let public_only = Trust::new(None).unwrap_or_else(|e| panic!("{e}"));
        let f = get_https(&url, &dns, &public_only, &clock, 1024).await;
        assert_eq!(f.outcome, FetchOutcome::CertificateInvalid, "{}", f.detail);
        assert!(f.body.is_empty());
    }

    #[test]
    fn urls() {
        let u = parse_url(
            "https://autoconfig.example.jp/mail/config-v1.1.xml",
            "https",
            443,
        );
        assert_eq!(
            u,
            Ok(Url {
                host: "autoconfig.example.jp",
                port: 443,
                authority: "autoconfig.example.jp",
                path: "/mail/config-v1.1.xml",
            })
        );
        let u = parse_url("https://[::1]:8443", "https", 443);
        assert_eq!(u.map(|u| (u.host, u.port, u.path)), Ok(("::1", 8443, "/")));
        assert!(parse_url("http://example.jp/", "https", 443).is_err());
        assert!(parse_url("https://a@b/", "https", 443).is_err());
        assert!(parse_url("https://example.jp:x/", "https", 443).is_err());
        // A URL with credentials is refused without being quoted back.
        for bad in [
            "https://user:t0ken-s3cret@ntfy.example/topic",
            "https://ntfy.example:t0ken-s3cret/topic",
            "https://ntfy.example\r\nX-Injected: t0ken-s3cret/topic",
        ] {
            let e = parse_url(bad, "https", 443).err().unwrap_or_default();
            assert!(!e.is_empty() && !e.contains("t0ken-s3cret"), "{bad}: {e}");
        }
    }

    #[test]
    fn answers() {
        let ok = b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(parse_answer(ok, 100), Answer::Ok(b"hello".to_vec()));
        let no_length = b"HTTP/1.1 200 OK\r\n\r\n<xml/>";
        assert_eq!(parse_answer(no_length, 100), Answer::Ok(b"<xml/>".to_vec()));
        assert_eq!(media_type(no_length), None);
        let typed = b"HTTP/1.1 200 OK\r\nContent-Type: Text/Plain ; charset=utf-8\r\n\r\nx";
        assert_eq!(media_type(typed).as_deref(), Some("text/plain"));
        let moved = b"HTTP/1.1 301 Moved\r\nLocation: https://other.example/\r\n\r\n";
        assert_eq!(
            parse_answer(moved, 100),
            Answer::Status(301, Some("https://other.example/".into()))
        );
        assert_eq!(
            parse_answer(b"HTTP/1.1 404 Not Found\r\n\r\n", 100),
            Answer::Status(404, None)
        );
        let big = b"HTTP/1.0 200 OK\r\nContent-Length: 500\r\n\r\nabc";
        assert_eq!(parse_answer(big, 100), Answer::TooLarge);
        let short = b"HTTP/1.0 200 OK\r\nContent-Length: 50\r\n\r\nabc";
        assert_eq!(parse_answer(short, 100), Answer::NotHttp);
        assert_eq!(parse_answer(b"* OK IMAP ready\r\n", 100), Answer::NotHttp);
        assert_eq!(
            parse_answer(b"SSH-2.0-OpenSSH\r\n\r\nxx", 100),
            Answer::NotHttp
        );
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    /// An answer as a web server writes it: (bytes, status, Content-Length as written,
    /// Location, body).
    fn written() -> impl Strategy<Value = (Vec<u8>, u16, Option<String>, Option<String>, Vec<u8>)> {
        (
            "HTTP/1\\.[01]",
            prop_oneof![3 => Just(200u16), 1 => 100u16..600],
            "[ -~]{0,12}",
            prop::option::of(prop_oneof![
                (0usize..300).prop_map(|n| n.to_string()),
                Just("18446744073709551616".to_string()),
                "[ -~]{0,6}",
            ]),
            prop::option::of("https?://[a-z.]{1,12}/[ -~]{0,8}"),
            prop::collection::vec(("[A-Za-z-]{1,12}", "[ -~]{0,12}"), 0..3),
            prop::collection::vec(any::<u8>(), 0..300),
            any::<bool>(),
        )
            .prop_map(
                |(version, status, reason, length, location, extra, body, upper)| {
                    let name = |n: &str| {
                        if upper {
                            n.to_ascii_uppercase()
                        } else {
                            n.to_string()
                        }
                    };
                    let mut head = format!("{version} {status} {reason}\r\n");
                    for (k, v) in &extra {
                        let taken = ["content-length", "location"]
                            .contains(&k.to_ascii_lowercase().as_str());
                        if !taken {
                            head.push_str(&format!("{k}: {v}\r\n"));
                        }
                    }
                    if let Some(l) = &length {
                        head.push_str(&format!("{}: {l}\r\n", name("Content-Length")));
                    }
                    if let Some(l) = &location {
                        head.push_str(&format!("{}:  {l} \r\n", name("Location")));
                    }
                    head.push_str("\r\n");
                    let raw = [head.into_bytes(), body.clone()].concat();
                    (raw, status, length, location, body)
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Any bytes: a body handed over is at most `max_body` bytes and comes from after
        /// the head; anything else is a status, too large or not HTTP.
        #[test]
        fn any_bytes_give_a_bounded_answer(
            raw in prop_oneof![
                prop::collection::vec(any::<u8>(), 0..400),
                written().prop_map(|(raw, ..)| raw),
            ],
            cut in any::<usize>(),
            max_body in 0usize..300,
        ) {
            let raw = &raw[..cut % (raw.len() + 1)];
            if let Answer::Ok(body) = parse_answer(raw, max_body) {
                prop_assert!(body.len() <= max_body);
                let head_end = head_and_length(raw).map(|(end, _)| end).unwrap_or(usize::MAX);
                prop_assert_eq!(raw.get(head_end..head_end + body.len()), Some(body.as_slice()));
            }
            let _ = media_type(raw);
        }

        /// A written answer reads back: its status and Location, or its body cut at its
        /// Content-Length; too large past `max_body`, not HTTP when shorter than it says.
        #[test]
        fn written_answers_read_back(
            (raw, status, length, location, body) in written(),
            max_body in 0usize..300,
        ) {
            let length = length.and_then(|l| l.trim().parse::<usize>().ok());
            let want = if status != 200 {
                Answer::Status(status, location.map(|l| l.trim().to_string()))
            } else if body.len() > max_body || length.is_some_and(|l| l > max_body) {
                Answer::TooLarge
            } else {
                match length {
                    Some(l) if body.len() < l => Answer::NotHttp,
                    Some(l) => Answer::Ok(body[..l].to_vec()),
                    None => Answer::Ok(body),
                }
            };
            prop_assert_eq!(parse_answer(&raw, max_body), want);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// A server that never stops sending (an endless head, an endless body, or more
        /// than its Content-Length): what is read stays within `max_body` and the room for
        /// the head, plus one read.
        #[test]
        fn reading_an_endless_answer_is_bounded(
            (raw, ..) in written(),
            head_only in any::<bool>(),
            max_body in 0usize..2000,
        ) {
            let url = parse_url("https://example.jp/config.xml", "https", 443);
            let Ok(url) = url else { return Err(TestCaseError::fail("the URL")) };
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            let Ok(runtime) = runtime else { return Err(TestCaseError::fail("a runtime")) };
            let got = runtime.block_on(async {
                let (mut client, mut server) = tokio::io::duplex(16 * 1024);
                let sending = tokio::spawn(async move {
                    let mut request = [0u8; 512];
                    let _ = server.read(&mut request).await;
                    let first: &[u8] = if head_only { b"HTTP/1.0 200 OK\r\nX: " } else { &raw };
                    if server.write_all(first).await.is_err() {
                        return;
                    }
                    while server.write_all(&[b'a'; 1000]).await.is_ok() {}
                });
                let got = exchange(&mut client, &url, max_body).await;
                drop(client);
                let _ = sending.await;
                got
            });
            let got = match got {
                Ok(g) => g,
                Err(e) => return Err(TestCaseError::fail(e.to_string())),
            };
            prop_assert!(got.len() <= max_body + MAX_HEAD + 4096, "{} bytes", got.len());
        }
    }
}
