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
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::pin::Pin;
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
}

impl Trust {
    /// `extra_pem` holds PEM certificates to trust besides the public roots.
    pub fn new(extra_pem: Option<&[u8]>) -> Result<Trust, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut public_roots = RootCertStore::empty();
        public_roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let mut combined_roots = public_roots.clone();
        if let Some(pem) = extra_pem {
            let mut reader = std::io::BufReader::new(pem);
            let mut added = 0usize;
            for cert in rustls_pemfile::certs(&mut reader) {
                let cert = cert.map_err(|e| format!("the CA file is not valid PEM: {e}"))?;
                combined_roots
                    .add(cert)
                    .map_err(|e| format!("a certificate in the CA file is not usable: {e}"))?;
                added += 1;
            }
            if added == 0 {
                return Err("the CA file holds no PEM certificate".into());
            }
        }
        let build = |roots: RootCertStore| {
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                .build()
                .map_err(|e| e.to_string())
        };
        Ok(Trust {
            combined: build(combined_roots)?,
            public: build(public_roots)?,
            provider,
        })
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
    };
    let config = match rustls::ClientConfig::builder_with_provider(Arc::clone(&trust.provider))
        .with_safe_default_protocol_versions()
    {
        Ok(b) => b
            .dangerous()
            .with_custom_certificate_verifier(Arc::clone(&verifier) as Arc<dyn ServerCertVerifier>)
            .with_no_client_auth(),
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

/// The first line of what the peer sent, printable.
fn first_line(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    maildoc_wire::line::printable(&bytes[..end], 200)
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
