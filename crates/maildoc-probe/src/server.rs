//! One server, start to end: DNS, TCP, TLS, greeting, then the protocol's session.

use crate::clock::{RunClock, StepTimer};
use crate::conn::{Conn, Stream};
use crate::context::ProbeContext;
use crate::record::{Record, redacted};
use crate::{imap, pop3, smtp, tcp, tls};
use maildoc_model::{
    ConnectOutcome, Endpoint, InvalidHostReason, Origin, Phase, ProbeDepth, Protocol,
    ResolveOutcome, Security, ServerEvidence, StepKind, TlsFailureKind, TlsHandshake, TlsMode,
};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpStream;

/// What the engine asks of one server.
#[derive(Clone, Debug)]
pub struct ServerPlan {
    pub id: String,
    pub endpoint: Endpoint,
    pub origin: Origin,
    pub depth: ProbeDepth,
}

/// Probes one server. Never fails: everything that happens is evidence.
pub async fn probe(plan: ServerPlan, ctx: &ProbeContext) -> ServerEvidence {
    let redactor = ctx.account.redactor();
    let watch = ctx.steps.clone().map(|sink| (sink, Arc::clone(&redactor)));
    let mut ev = Record::new(
        ServerEvidence::new(plan.id, plan.endpoint, plan.origin, plan.depth),
        watch,
    );
    let deadline = ctx.clock.deadline();
    let run = run(&mut ev, ctx);
    let phase_reached = match tokio::time::timeout_at(deadline, run).await {
        Ok(()) => None,
        Err(_) => Some(last_phase(&ev)),
    };
    if let Some(phase) = phase_reached {
        let at = ctx.clock.at_ms();
        ev.push(at, 0, StepKind::Deadline { phase });
    }
    redacted(ev.into_evidence(), &redactor)
}

fn last_phase(ev: &ServerEvidence) -> Phase {
    match ev.steps.last().map(|s| &s.kind) {
        None | Some(StepKind::Resolve { .. }) => Phase::Connect,
        Some(StepKind::Connect { .. }) => Phase::Greeting,
        Some(StepKind::Tls(_)) | Some(StepKind::Greeting { .. }) => Phase::Capabilities,
        Some(StepKind::Capabilities { .. }) | Some(StepKind::Starttls { .. }) => Phase::Login,
        _ => Phase::Mailbox,
    }
}

async fn run(ev: &mut Record, ctx: &ProbeContext) {
    let host = ev.endpoint.host.clone();
    if let Some(reason) = invalid_host(&host) {
        ev.push(ctx.clock.at_ms(), 0, StepKind::InvalidHost { host, reason });
        return;
    }
    let timer = StepTimer::start(&ctx.clock);
    let found = ctx.dns.resolve(&host, &ctx.clock).await;
    let outcome = found.outcome;
    ev.push(
        timer.at_ms(),
        timer.elapsed_ms(),
        StepKind::Resolve {
            host: host.clone(),
            outcome,
            addresses: found.addresses.clone(),
            detail: found.detail,
        },
    );
    if outcome != ResolveOutcome::Found {
        return;
    }
    let port = ev.endpoint.port;
    let addrs: Vec<SocketAddr> = found
        .addresses
        .iter()
        .map(|ip| SocketAddr::new(*ip, port))
        .collect();
    let Some((tcp, address)) = connect(ev, &addrs, &ctx.clock).await else {
        return;
    };
    if ev.depth == ProbeDepth::PortOnly {
        return;
    }
    let mut transcript = Vec::new();
    transcript.push(maildoc_model::TranscriptLine {
        at_ms: ctx.clock.at_ms(),
        dir: maildoc_model::Direction::Note,
        text: format!("connected to {address}"),
    });
    let conn = if ev.endpoint.security == Security::Tls {
        let mut hs = tls::handshake(
            tcp,
            &host,
            TlsMode::Implicit,
            &ctx.trust,
            &ctx.dns,
            ctx.now_unix,
            &ctx.clock,
        )
        .await;
        // A server that hung up on the hello without a word may speak only old TLS.
        if hs
            .evidence
            .failure
            .as_ref()
            .is_some_and(|f| f.kind == TlsFailureKind::Closed)
            && let (Some(tcp), _) = tcp::connect(&[address], &ctx.clock).await
            && let Some(legacy) = tls::legacy_only(tcp, &host, &ctx.clock).await
        {
            transcript.push(maildoc_model::TranscriptLine {
                at_ms: ctx.clock.at_ms(),
                dir: maildoc_model::Direction::Note,
                text: format!(
                    "the server hung up on the TLS hello; new connection to {address} to try an old-style hello"
                ),
            });
            hs.evidence.failure = Some(legacy);
        }
        let established = hs.evidence.handshake == TlsHandshake::Established;
        transcript.push(tls_note(&hs.evidence, ctx.clock.at_ms()));
        ev.push(
            hs.timer.at_ms(),
            hs.timer.elapsed_ms(),
            StepKind::Tls(Box::new(hs.evidence)),
        );
        match hs.stream {
            Some(s) if established => Conn::new(Stream::Tls(Box::new(s)), ctx, transcript),
            _ => {
                ev.transcript = transcript;
                return;
            }
        }
    } else {
        Conn::new(Stream::Plain(tcp), ctx, transcript)
    };
    let silent = match ev.endpoint.protocol {
        Protocol::Imap => imap::session(ev, conn, ctx).await,
        Protocol::Pop3 => pop3::session(ev, conn, ctx).await,
        Protocol::Smtp => smtp::session(ev, conn, ctx).await,
    };
    if silent == Greeted::Silent && ev.endpoint.security != Security::Tls {
        confirm_implicit_tls(ev, address, ctx).await;
    }
}

/// Whether the server said anything at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Greeted {
    Spoke,
    Silent,
}

/// A host field that cannot be a host name.
fn invalid_host(host: &str) -> Option<InvalidHostReason> {
    if host.trim().is_empty() {
        Some(InvalidHostReason::Empty)
    } else if host.contains('@') {
        Some(InvalidHostReason::ContainsAt)
    } else if maildoc_model::input::domain_to_ascii(host).is_err()
        && host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_err()
    {
        Some(InvalidHostReason::BadCharacters)
    } else {
        None
    }
}

async fn connect(
    ev: &mut Record,
    addrs: &[SocketAddr],
    clock: &RunClock,
) -> Option<(TcpStream, SocketAddr)> {
    let (stream, attempts) = tcp::connect(addrs, clock).await;
    let mut connected = None;
    for a in attempts {
        if a.outcome == ConnectOutcome::Connected {
            connected = Some(a.address);
        }
        ev.push(
            a.at_ms,
            a.elapsed_ms,
            StepKind::Connect {
                address: a.address,
                outcome: a.outcome,
                detail: a.detail,
            },
        );
    }
    Some((stream?, connected?))
}

/// A plaintext endpoint whose server stayed silent: try TLS from the first byte on a new
/// connection. If that works, the port expects implicit TLS.
async fn confirm_implicit_tls(ev: &mut Record, address: SocketAddr, ctx: &ProbeContext) {
    let (stream, attempts) = tcp::connect(&[address], &ctx.clock).await;
    let Some(tcp) = stream else {
        if let Some(a) = attempts.into_iter().next() {
            ev.push(
                a.at_ms,
                a.elapsed_ms,
                StepKind::Connect {
                    address: a.address,
                    outcome: a.outcome,
                    detail: a.detail,
                },
            );
        }
        return;
    };
    let host = ev.endpoint.host.clone();
    let hs = tls::handshake(
        tcp,
        &host,
        TlsMode::Implicit,
        &ctx.trust,
        &ctx.dns,
        ctx.now_unix,
        &ctx.clock,
    )
    .await;
    let note = tls_note(&hs.evidence, 0);
    ev.transcript.push(maildoc_model::TranscriptLine {
        at_ms: ctx.clock.at_ms(),
        dir: maildoc_model::Direction::Note,
        text: format!(
            "new connection to {address} to try TLS from the first byte: {}",
            note.text
        ),
    });
    ev.push(
        hs.timer.at_ms(),
        hs.timer.elapsed_ms(),
        StepKind::Tls(Box::new(hs.evidence)),
    );
    if let Some(mut s) = hs.stream {
        use tokio::io::AsyncWriteExt;
        let _ = tokio::time::timeout(std::time::Duration::from_millis(300), s.shutdown()).await;
    }
}

/// A transcript note summing up a handshake.
pub fn tls_note(t: &maildoc_model::TlsEvidence, at_ms: u64) -> maildoc_model::TranscriptLine {
    let text = match t.handshake {
        TlsHandshake::Established => format!(
            "TLS established: {} {}; certificate {:?} for {}",
            t.version.as_deref().unwrap_or("?"),
            t.cipher.as_deref().unwrap_or("?"),
            t.verification,
            t.chain
                .first()
                .map(|c| c.names.join(", "))
                .unwrap_or_default()
        ),
        TlsHandshake::Failed => format!(
            "TLS failed: {}",
            t.failure.as_ref().map(|f| f.detail.as_str()).unwrap_or("?")
        ),
    };
    maildoc_model::TranscriptLine {
        at_ms,
        dir: maildoc_model::Direction::Note,
        text,
    }
}
