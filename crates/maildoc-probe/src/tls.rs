//! TLS with a recording verifier: the handshake goes on whatever the certificate, so the
//! chain, version and cipher can be shown; the verifier's verdict is kept as evidence. The
//! session layer never sends a password unless that verdict is `Valid`.

use crate::clock::{RunClock, StepTimer};
use crate::dns::Dns;
use crate::http;
use maildoc_model::{
    AiaFetch, AiaOutcome, CertProblem, CertVerification, Spoken, TlsEvidence, TlsFailure,
    TlsFailureKind, TlsHandshake, TlsMode,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// The longest a handshake may take.
pub const HANDSHAKE_CAP: Duration = Duration::from_secs(6);
/// How many of the peer's first bytes are kept to tell plaintext from TLS.
const KEEP_FIRST: usize = 512;

/// The trust anchors of a run: the built-in public roots, plus `--ca-file`.
#[derive(Clone, Debug)]
pub struct Trust {
    provider: Arc<CryptoProvider>,
    /// Public roots and the user's extra anchors: the verdict.
    combined: Arc<WebPkiServerVerifier>,
    /// Public roots only: tells a public chain from a private one.
    public: Arc<WebPkiServerVerifier>,
    /// The user's extra anchors (`--ca-file`) alone.
    extra: Arc<Vec<rustls::pki_types::CertificateDer<'static>>>,
}

/// Why the certificates to trust besides the public roots cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustError {
    /// The text is not PEM (the parser's words).
    NotPem(String),
    /// A certificate that rustls cannot use as a trust anchor (its words).
    Unusable(String),
    /// PEM without a single certificate.
    NoCertificate,
}

impl std::fmt::Display for TrustError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrustError::NotPem(e) => write!(f, "the CA file is not valid PEM: {e}"),
            TrustError::Unusable(e) => write!(f, "a certificate in the CA file is not usable: {e}"),
            TrustError::NoCertificate => f.write_str("the CA file holds no PEM certificate"),
        }
    }
}

impl std::error::Error for TrustError {}

impl Trust {
    /// `extra_pem` holds PEM certificates to trust besides the public roots.
    pub fn new(extra_pem: Option<&[u8]>) -> Result<Trust, TrustError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut public_roots = RootCertStore::empty();
        public_roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let mut combined_roots = public_roots.clone();
        let mut extra = Vec::new();
        if let Some(pem) = extra_pem {
            let mut reader = std::io::BufReader::new(pem);
            let mut added = 0usize;
            for cert in rustls_pemfile::certs(&mut reader) {
                let cert = cert.map_err(|e| TrustError::NotPem(e.to_string()))?;
                combined_roots
                    .add(cert.clone())
                    .map_err(|e| TrustError::Unusable(e.to_string()))?;
                extra.push(cert);
                added += 1;
            }
            if added == 0 {
                return Err(TrustError::NoCertificate);
            }
        }
        let build = |roots: RootCertStore| {
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                .build()
                .map_err(|e| TrustError::Unusable(e.to_string()))
        };
        Ok(Trust {
            combined: build(combined_roots)?,
            public: build(public_roots)?,
            provider,
            extra: Arc::new(extra),
        })
    }

    /// The anchors of `--ca-file`, for checks that do not use the public TLS roots (BIMI
    /// mark certificates).
    pub fn extra_roots(&self) -> &[rustls::pki_types::CertificateDer<'static>] {
        &self.extra
    }

    /// A client configuration that verifies as strictly as a browser: a certificate that
    /// does not verify against these anchors ends the handshake. For fetching settings over
    /// HTTPS, never for the mail servers' probes (those record the verdict and go on).
    pub fn strict_client_config(&self) -> Result<rustls::ClientConfig, String> {
        Ok(
            rustls::ClientConfig::builder_with_provider(Arc::clone(&self.provider))
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_webpki_verifier(Arc::clone(&self.combined))
                .with_no_client_auth(),
        )
    }
}

/// Notes whether the server asked for a client certificate (a CertificateRequest) and never
/// offers one: maildoc has none to give.
#[derive(Debug, Default)]
struct ClientCertAsked(AtomicBool);

impl ResolvesClientCert for ClientCertAsked {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.0.store(true, Ordering::Relaxed);
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

#[derive(Debug, Default)]
struct Recorded {
    chain: Vec<CertificateDer<'static>>,
    error: Option<rustls::Error>,
    public_ok: bool,
}

/// Verifies as a strict client would, records the verdict, and lets the handshake go on.
#[derive(Debug)]
struct RecordingVerifier {
    trust: Trust,
    recorded: Mutex<Recorded>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.trust.combined.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let public_ok = self
            .trust
            .public
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .is_ok();
        if let Ok(mut r) = self.recorded.lock() {
            r.chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
            r.error = verdict.err();
            r.public_ok = public_ok;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.trust
            .combined
            .verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.trust
            .combined
            .verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.trust.combined.supported_verify_schemes()
    }
}

/// A stream that keeps the first bytes the peer sent, to tell a plaintext greeting apart
/// from a TLS record when a handshake fails.
#[derive(Debug)]
pub struct FirstBytes<IO> {
    inner: IO,
    kept: Arc<Mutex<Vec<u8>>>,
}

impl<IO> FirstBytes<IO> {
    pub fn get_ref(&self) -> &IO {
        &self.inner
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for FirstBytes<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let (Poll::Ready(Ok(())), Ok(mut kept)) = (&poll, this.kept.lock()) {
            let room = KEEP_FIRST.saturating_sub(kept.len());
            let new = &buf.filled()[before..];
            kept.extend_from_slice(&new[..new.len().min(room)]);
        }
        poll
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for FirstBytes<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The result of a handshake: the stream when it completed, and the evidence either way.
#[derive(Debug)]
pub struct Handshake<IO> {
    pub stream: Option<TlsStream<FirstBytes<IO>>>,
    pub evidence: TlsEvidence,
    pub timer: StepTimer,
}

/// Runs a TLS handshake on `io` and records everything about it. `now_unix` is this
/// computer's clock, against which the leaf's dates are checked.
pub async fn handshake<IO>(
    io: IO,
    host: &str,
    mode: TlsMode,
    trust: &Trust,
    dns: &Dns,
    now_unix: i64,
    clock: &RunClock,
) -> Handshake<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let timer = StepTimer::start(clock);
    let asked = Arc::new(ClientCertAsked::default());
    let verifier = Arc::new(RecordingVerifier {
        trust: trust.clone(),
        recorded: Mutex::new(Recorded::default()),
    });
    let mut evidence = TlsEvidence {
        mode,
        server_name: host.to_string(),
        handshake: TlsHandshake::Failed,
        failure: None,
        version: None,
        cipher: None,
        chain: Vec::new(),
        verification: CertVerification::NotChecked,
        verify_error: None,
        leaf_problems: Vec::new(),
        aia: None,
        public_root: false,
        client_cert_requested: false,
    };
    let config = match rustls::ClientConfig::builder_with_provider(Arc::clone(&trust.provider))
        .with_safe_default_protocol_versions()
    {
        Ok(b) => b
            .dangerous()
            .with_custom_certificate_verifier(Arc::clone(&verifier) as Arc<dyn ServerCertVerifier>)
            .with_client_cert_resolver(Arc::clone(&asked) as Arc<dyn ResolvesClientCert>),
        Err(e) => {
            evidence.failure = Some(failure(TlsFailureKind::Other, e.to_string(), &[]));
            return Handshake {
                stream: None,
                evidence,
                timer,
            };
        }
    };
    let name = match ServerName::try_from(host.trim_matches(['[', ']']).to_string()) {
        Ok(n) => n,
        Err(e) => {
            evidence.failure = Some(failure(TlsFailureKind::Other, e.to_string(), &[]));
            return Handshake {
                stream: None,
                evidence,
                timer,
            };
        }
    };
    let connector = TlsConnector::from(Arc::new(config));
    let budget = clock.budget(HANDSHAKE_CAP);
    let kept = Arc::new(Mutex::new(Vec::new()));
    let io = FirstBytes {
        inner: io,
        kept: Arc::clone(&kept),
    };
    let result = tokio::time::timeout(budget, connector.connect(name.clone(), io)).await;
    let first_bytes = kept.lock().map(|k| k.clone()).unwrap_or_default();
    let stream = match result {
        Err(_) => {
            evidence.failure = Some(failure(
                TlsFailureKind::Timeout,
                format!("no TLS answer within {} ms", budget.as_millis()),
                &first_bytes,
            ));
            None
        }
        Ok(Err(e)) => {
            evidence.failure = Some(classify_failure(&e, &first_bytes));
            None
        }
        Ok(Ok(stream)) => {
            let (_, conn) = stream.get_ref();
            evidence.handshake = TlsHandshake::Established;
            evidence.version = conn.protocol_version().map(version_name);
            evidence.cipher = conn
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite()));
            Some(stream)
        }
    };
    evidence.client_cert_requested = asked.0.load(Ordering::Relaxed);
    let recorded = verifier
        .recorded
        .lock()
        .map(|mut r| std::mem::take(&mut *r))
        .unwrap_or_default();
    record_certificates(&mut evidence, &recorded, host, now_unix);
    if evidence.verification == CertVerification::UnknownIssuer {
        evidence.aia = Some(complete_via_aia(&recorded.chain, &name, trust, dns, clock).await);
    }
    Handshake {
        stream,
        evidence,
        timer,
    }
}

/// Cipher suites an old server knows: ECDHE, DHE and RSA key exchange with AES-GCM and
/// AES-CBC, 3DES, and the renegotiation SCSV.
const LEGACY_SUITES: &[u16] = &[
    0xc02b, 0xc02f, 0xc02c, 0xc030, 0xc009, 0xc013, 0xc00a, 0xc014, 0x0033, 0x0039, 0x009c, 0x009d,
    0x002f, 0x0035, 0x000a, 0x00ff,
];

/// A TLS 1.2 ClientHello in the old style: no `supported_versions` extension, so the server
/// picks any version up to TLS 1.2 it speaks, and the CBC suites of that time.
fn legacy_client_hello(host: &str) -> Vec<u8> {
    fn put16(out: &mut Vec<u8>, n: usize) {
        out.extend_from_slice(&u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes());
    }
    fn extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
        out.extend_from_slice(&kind.to_be_bytes());
        put16(out, data.len());
        out.extend_from_slice(data);
    }
    let mut exts = Vec::new();
    if host
        .trim_matches(['[', ']'])
        .parse::<std::net::IpAddr>()
        .is_err()
    {
        let name = host.as_bytes();
        let mut sni = Vec::new();
        put16(&mut sni, name.len() + 3);
        sni.push(0);
        put16(&mut sni, name.len());
        sni.extend_from_slice(name);
        extension(&mut exts, 0x0000, &sni);
    }
    // supported_groups: secp256r1, secp384r1, x25519; ec_point_formats: uncompressed.
    extension(&mut exts, 0x000a, &[0, 6, 0, 0x17, 0, 0x18, 0, 0x1d]);
    extension(&mut exts, 0x000b, &[1, 0]);
    // signature_algorithms: ECDSA, RSA-PSS and RSA PKCS#1 with SHA-256/384/512, then SHA-1.
    let schemes: &[u16] = &[
        0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201,
    ];
    let mut sig = Vec::new();
    put16(&mut sig, schemes.len() * 2);
    for scheme in schemes {
        sig.extend_from_slice(&scheme.to_be_bytes());
    }
    extension(&mut exts, 0x000d, &sig);

    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[0x4d; 32]); // random: never used, the handshake is not finished
    body.push(0); // no session id
    put16(&mut body, LEGACY_SUITES.len() * 2);
    for suite in LEGACY_SUITES {
        body.extend_from_slice(&suite.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // null compression only
    put16(&mut body, exts.len());
    body.extend_from_slice(&exts);

    let mut handshake = vec![0x01, 0];
    put16(&mut handshake, body.len());
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16, 0x03, 0x01];
    put16(&mut record, handshake.len());
    record.extend_from_slice(&handshake);
    record
}

/// The protocol version of a ServerHello at the start of `bytes`, if they hold one.
fn server_hello_version(bytes: &[u8]) -> Option<u16> {
    match bytes {
        // handshake record, ServerHello, 3 bytes of length, then server_version.
        [0x16, _, _, _, _, 0x02, _, _, _, major, minor, ..] => {
            Some(u16::from_be_bytes([*major, *minor]))
        }
        _ => None,
    }
}

/// Whether a server that closed the connection on our hello speaks only TLS below 1.2.
///
/// A server pinned to TLS 1.0/1.1 by a current OpenSSL reads the `supported_versions`
/// extension every modern hello carries, finds no version in common, and (Dovecot for one)
/// hangs up without a word. On a fresh connection `io`, an old-style hello gets its real
/// answer: a ServerHello with the highest version it speaks. Returns the failure to record
/// when that version is below TLS 1.2.
pub async fn legacy_only<IO>(mut io: IO, host: &str, clock: &RunClock) -> Option<TlsFailure>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let budget = clock.budget(HANDSHAKE_CAP);
    let exchange = async {
        io.write_all(&legacy_client_hello(host)).await?;
        io.flush().await?;
        let mut got = Vec::new();
        let mut chunk = [0u8; 512];
        while got.len() < 11 {
            let n = io.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            got.extend_from_slice(&chunk[..n]);
        }
        Ok::<_, std::io::Error>(got)
    };
    let got = tokio::time::timeout(budget, exchange).await.ok()?.ok()?;
    let _ = tokio::time::timeout(Duration::from_millis(300), io.shutdown()).await;
    let version = server_hello_version(&got)?;
    let name = match version {
        0x0300 => "SSL 3.0".to_string(),
        0x0301 => "TLS 1.0".to_string(),
        0x0302 => "TLS 1.1".to_string(),
        _ => return None,
    };
    Some(TlsFailure {
        kind: TlsFailureKind::PeerIncompatible,
        detail: format!("the server speaks {name} at most (it hung up on a TLS 1.2/1.3 hello)"),
        received_text: None,
        received_spoken: None,
    })
}

fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3".into(),
        rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2".into(),
        rustls::ProtocolVersion::TLSv1_1 => "TLS 1.1".into(),
        rustls::ProtocolVersion::TLSv1_0 => "TLS 1.0".into(),
        other => format!("{other:?}"),
    }
}

fn failure(kind: TlsFailureKind, detail: String, first_bytes: &[u8]) -> TlsFailure {
    let spoken = maildoc_wire::sniff::sniff(first_bytes);
    let plaintext = !first_bytes.is_empty() && spoken != Spoken::Tls;
    TlsFailure {
        kind,
        detail,
        received_text: plaintext.then(|| first_line(first_bytes)),
        received_spoken: plaintext.then_some(spoken),
    }
}

/// The first line of what the peer sent, printable, without its line end.
fn first_line(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let line = bytes[..end].strip_suffix(b"\r").unwrap_or(&bytes[..end]);
    maildoc_wire::line::printable(line, 200)
        .trim_end()
        .to_string()
}

fn classify_failure(e: &std::io::Error, first_bytes: &[u8]) -> TlsFailure {
    let spoken = maildoc_wire::sniff::sniff(first_bytes);
    if !first_bytes.is_empty() && spoken != Spoken::Tls {
        return failure(
            TlsFailureKind::NotTls,
            format!("the server sent plaintext instead of TLS ({e})"),
            first_bytes,
        );
    }
    let tls_error = e.get_ref().and_then(|x| x.downcast_ref::<rustls::Error>());
    let kind = match tls_error {
        Some(rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion)) => {
            TlsFailureKind::ProtocolVersion
        }
        Some(rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure)) => {
            TlsFailureKind::HandshakeFailure
        }
        Some(rustls::Error::AlertReceived(_)) => TlsFailureKind::Alert,
        Some(rustls::Error::PeerIncompatible(_)) => TlsFailureKind::PeerIncompatible,
        Some(_) => TlsFailureKind::Other,
        None => match e.kind() {
            std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::BrokenPipe => TlsFailureKind::Closed,
            _ => TlsFailureKind::Other,
        },
    };
    failure(kind, e.to_string(), first_bytes)
}

fn record_certificates(evidence: &mut TlsEvidence, recorded: &Recorded, host: &str, now_unix: i64) {
    evidence.chain = recorded
        .chain
        .iter()
        .filter_map(|c| crate::cert::describe(c.as_ref()))
        .collect();
    let Some(leaf) = evidence.chain.first() else {
        return;
    };
    evidence.public_root = recorded.public_ok;
    evidence.verify_error = recorded.error.as_ref().map(|e| e.to_string());
    evidence.verification = match &recorded.error {
        None => CertVerification::Valid,
        Some(rustls::Error::InvalidCertificate(ce)) => match ce {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                CertVerification::Expired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                CertVerification::NotYetValid
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                CertVerification::NameMismatch
            }
            CertificateError::UnknownIssuer if leaf.self_signed && evidence.chain.len() == 1 => {
                CertVerification::SelfSigned
            }
            CertificateError::UnknownIssuer => CertVerification::UnknownIssuer,
            _ => CertVerification::Invalid,
        },
        Some(_) => CertVerification::Invalid,
    };
    let mut problems = Vec::new();
    if leaf.not_after_unix < now_unix {
        problems.push(CertProblem::Expired);
    }
    if leaf.not_before_unix > now_unix {
        problems.push(CertProblem::NotYetValid);
    }
    if !crate::cert::matches_host(&leaf.names, host) {
        problems.push(CertProblem::NameMismatch);
    }
    if leaf.self_signed {
        problems.push(CertProblem::SelfSigned);
    }
    evidence.leaf_problems = problems;
}

/// When the issuer is unknown, fetch it from the leaf's AIA URL and verify again: if the
/// chain then verifies, the server only forgot to send its intermediate certificate.
async fn complete_via_aia(
    chain: &[CertificateDer<'static>],
    name: &ServerName<'static>,
    trust: &Trust,
    dns: &Dns,
    clock: &RunClock,
) -> AiaFetch {
    let Some(leaf) = chain.first() else {
        return AiaFetch {
            url: String::new(),
            outcome: AiaOutcome::NoUrl,
            detail: "no certificate".into(),
        };
    };
    let Some(url) = crate::cert::describe(leaf.as_ref())
        .and_then(|c| c.aia_issuers.into_iter().find(|u| u.starts_with("http://")))
    else {
        return AiaFetch {
            url: String::new(),
            outcome: AiaOutcome::NoUrl,
            detail: "the certificate names no http caIssuers URL".into(),
        };
    };
    let body = match http::get(&url, dns, clock).await {
        Ok(body) => body,
        Err(e) => {
            return AiaFetch {
                url,
                outcome: AiaOutcome::FetchFailed,
                detail: e,
            };
        }
    };
    let fetched: Vec<CertificateDer<'static>> = if body.starts_with(b"-----BEGIN") {
        rustls_pemfile::certs(&mut std::io::BufReader::new(body.as_slice()))
            .filter_map(Result::ok)
            .collect()
    } else {
        vec![CertificateDer::from(body)]
    };
    let mut intermediates: Vec<CertificateDer<'static>> = fetched;
    intermediates.extend(chain.iter().skip(1).cloned());
    let verdict =
        trust
            .combined
            .verify_server_cert(leaf, &intermediates, name, &[], UnixTime::now());
    match verdict {
        Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => AiaFetch {
            url,
            outcome: AiaOutcome::DoesNotComplete,
            detail: "the fetched issuer does not lead to a trusted root".into(),
        },
        Err(e) => AiaFetch {
            url,
            outcome: AiaOutcome::Completes,
            detail: format!("with the fetched issuer the chain is complete, but: {e}"),
        },
        Ok(_) => AiaFetch {
            url,
            outcome: AiaOutcome::Completes,
            detail: "with the fetched issuer the chain verifies".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{first_line, legacy_client_hello, server_hello_version};

    #[test]
    fn first_line_drops_the_line_end() {
        assert_eq!(
            first_line(b"220 mail.example.jp ESMTP\r\n250 more"),
            "220 mail.example.jp ESMTP"
        );
        assert_eq!(first_line(b"+OK ready\n"), "+OK ready");
        assert_eq!(first_line(b"* OK no line end"), "* OK no line end");
        // A CR inside the line is shown, not dropped.
        assert_eq!(first_line(b"a\rb\r\n"), "a\\x0db");
    }

    #[test]
    fn old_style_hello_is_well_formed() {
        let hello = legacy_client_hello("legacy.example.jp");
        // Record header: handshake, TLS 1.0 record version, length of the rest.
        assert_eq!(&hello[..3], &[0x16, 0x03, 0x01]);
        assert_eq!(
            usize::from(u16::from_be_bytes([hello[3], hello[4]])),
            hello.len() - 5
        );
        // ClientHello whose length covers the rest, client_version TLS 1.2.
        assert_eq!(hello[5], 0x01);
        let len = usize::from(hello[6]) << 16 | usize::from(hello[7]) << 8 | usize::from(hello[8]);
        assert_eq!(len, hello.len() - 9);
        assert_eq!(&hello[9..11], &[0x03, 0x03]);
        // SNI for a host name, none for an address.
        assert!(hello.windows(17).any(|w| w == b"legacy.example.jp"));
        let no_sni = legacy_client_hello("192.0.2.1");
        assert!(!no_sni.windows(9).any(|w| w == b"192.0.2.1"));
        assert_eq!(legacy_client_hello("[2001:db8::1]").len(), no_sni.len());
    }

    #[test]
    fn server_hello_versions() {
        let hello = |major, minor| vec![0x16, 3, 1, 0, 80, 0x02, 0, 0, 76, major, minor, 0];
        assert_eq!(server_hello_version(&hello(3, 1)), Some(0x0301));
        assert_eq!(server_hello_version(&hello(3, 3)), Some(0x0303));
        // An alert, or too little to tell.
        assert_eq!(server_hello_version(&[0x15, 3, 1, 0, 2, 2, 70]), None);
        assert_eq!(server_hello_version(&[0x16, 3, 1]), None);
    }
}
