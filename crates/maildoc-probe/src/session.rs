//! Pieces every protocol session shares: the greeting, the STARTTLS upgrade, and the login
//! loop that tries the other user-name form at most once.

use crate::clock::StepTimer;
use crate::conn::{Conn, Failure, Stream};
use crate::context::{Password, ProbeContext};
use crate::record::Record;
use crate::server::{Greeted, tls_note};
use crate::tls;
use maildoc_model::{
    CertVerification, GreetingOutcome, LoginEvidence, LoginOutcome, LoginSkipReason, Phase,
    Protocol, Spoken, StarttlsOutcome, StepKind, TlsHandshake, TlsMode, Trouble, UsernameForm,
};
use std::time::Duration;

/// How long a server may take to greet before it counts as silent, at least: a third of the
/// run's time (5 s with the default 15 s), so that a longer `--timeout` waits longer for a
/// slow server and still leaves time for what follows a silence.
pub const GREETING_CAP: Duration = Duration::from_secs(5);
/// The same, on a port that speaks TLS from the first byte while the settings say otherwise.
pub const SILENT_TLS_PORT_CAP: Duration = Duration::from_secs(2);

/// Records a failure on an established connection.
pub fn trouble(ev: &mut Record, conn: &Conn, phase: Phase, f: Failure) {
    ev.push(
        conn.clock().at_ms(),
        0,
        StepKind::Trouble {
            phase,
            trouble: f.trouble,
            detail: f.detail,
        },
    );
}

/// Why a session stopped early: the connection, the phase and what went wrong.
pub type Stop = (Conn, Phase, Failure);

/// Ends a protocol session after its greeting: records the trouble that stopped it, if any,
/// and keeps the transcript. `Ok(None)` means the connection was already consumed (a failed
/// STARTTLS handshake recorded its own evidence).
pub async fn conclude(ev: &mut Record, result: Result<Option<Conn>, Stop>) -> Greeted {
    match result {
        Ok(Some(conn)) => finish(ev, conn).await,
        Ok(None) => {}
        Err((conn, phase, f)) => {
            trouble(ev, &conn, phase, f);
            finish(ev, conn).await;
        }
    }
    Greeted::Spoke
}

/// Ends a session: keeps the transcript.
pub async fn finish(ev: &mut Record, mut conn: Conn) {
    conn.shutdown().await;
    ev.transcript.append(&mut conn.transcript);
}

/// Reads the first line and records the Greeting step. `Ok(line)` when the server is ready.
/// For SMTP the caller reads any continuation lines.
pub async fn greeting(
    ev: &mut Record,
    conn: &mut Conn,
    protocol: Protocol,
) -> Result<String, Greeted> {
    let timer = StepTimer::start(conn.clock());
    // On the implicit-TLS port of the protocol a silent server is almost surely waiting for
    // a ClientHello: do not make the user wait the full greeting time to find out.
    let cap = if ev.endpoint.security != maildoc_model::Security::Tls
        && ev.endpoint.port == protocol.implicit_tls_port()
    {
        SILENT_TLS_PORT_CAP
    } else {
        GREETING_CAP.max(conn.clock().total() / 3)
    };
    let read = conn.read_line(cap).await;
    if let Err(f) = &read
        && f.trouble == Trouble::Timeout
        && maildoc_wire::sniff::sniff(conn.buf.buffered()) == Spoken::from(protocol)
    {
        // The right protocol, too slowly to finish its first line in time.
        trouble(ev, conn, Phase::Greeting, f.clone());
        return Err(Greeted::Spoke);
    }
    let (outcome, text, spoken) = match &read {
        Ok(line) => {
            let (outcome, spoken) = maildoc_wire::sniff::classify_greeting(protocol, line);
            (outcome, line.clone(), Some(spoken))
        }
        Err(f) => {
            let outcome = match f.trouble {
                Trouble::Timeout if conn.buf.buffered().is_empty() => GreetingOutcome::Silent,
                Trouble::LineTooLong => GreetingOutcome::TooLong,
                Trouble::Timeout => GreetingOutcome::Garbage,
                _ => GreetingOutcome::Closed,
            };
            let spoken = (!conn.buf.buffered().is_empty())
                .then(|| maildoc_wire::sniff::sniff(conn.buf.buffered()));
            (outcome, f.detail.clone(), spoken)
        }
    };
    let server_time = read
        .as_ref()
        .ok()
        .and_then(|l| maildoc_wire::date::find_date(l));
    let shown = maildoc_wire::line::printable(text.as_bytes(), 300);
    ev.push(
        timer.at_ms(),
        timer.elapsed_ms(),
        StepKind::Greeting {
            outcome,
            text: shown,
            spoken: spoken.filter(|s| *s != Spoken::Unknown || outcome == GreetingOutcome::Garbage),
            server_time,
        },
    );
    match (outcome, read) {
        (GreetingOutcome::Ready, Ok(line)) => Ok(line),
        (GreetingOutcome::Silent, _) => Err(Greeted::Silent),
        _ => Err(Greeted::Spoke),
    }
}

/// The STARTTLS handshake after the server agreed (`timer` started before the command,
/// `reply` is the server's go-ahead). Returns the encrypted connection, or `None` (with the
/// evidence recorded) when the handshake failed.
pub async fn upgrade(
    ev: &mut Record,
    conn: Conn,
    ctx: &ProbeContext,
    timer: &StepTimer,
    reply: &str,
) -> Option<Conn> {
    starttls_step(ev, &conn, StarttlsOutcome::Accepted, reply, Some(timer));
    let (tcp, mut transcript) = conn.into_plain()?;
    let hs = tls::handshake(
        tcp,
        &ev.endpoint.host.clone(),
        TlsMode::Starttls,
        &ctx.trust,
        &ctx.dns,
        ctx.now_unix,
        &ctx.clock,
    )
    .await;
    transcript.push(tls_note(&hs.evidence, ctx.clock.at_ms()));
    let established = hs.evidence.handshake == TlsHandshake::Established;
    ev.push(
        hs.timer.at_ms(),
        hs.timer.elapsed_ms(),
        StepKind::Tls(Box::new(hs.evidence)),
    );
    match hs.stream {
        Some(s) if established => Some(Conn::new(Stream::Tls(Box::new(s)), ctx, transcript)),
        _ => {
            ev.transcript.append(&mut transcript);
            None
        }
    }
}

/// Records the STARTTLS step: not offered (no command was sent, so no `timer`), refused or
/// accepted (timed from before the command).
pub fn starttls_step(
    ev: &mut Record,
    conn: &Conn,
    outcome: StarttlsOutcome,
    reply: &str,
    timer: Option<&StepTimer>,
) {
    let (at_ms, elapsed_ms) =
        timer.map_or((conn.clock().at_ms(), 0), |t| (t.at_ms(), t.elapsed_ms()));
    ev.push(
        at_ms,
        elapsed_ms,
        StepKind::Starttls {
            outcome,
            reply: reply.to_string(),
        },
    );
}

/// Whether the certificate of the current TLS connection verified.
pub fn cert_trusted(ev: &maildoc_model::ServerEvidence) -> bool {
    ev.steps
        .iter()
        .rev()
        .find_map(|s| match &s.kind {
            StepKind::Tls(t) if t.handshake == TlsHandshake::Established => Some(t.verification),
            _ => None,
        })
        .is_some_and(|v| v == CertVerification::Valid)
}

pub fn skip_login(ev: &mut Record, conn: &Conn, reason: LoginSkipReason) {
    ev.push(conn.clock().at_ms(), 0, StepKind::LoginSkipped { reason });
}

/// What one login attempt got back.
#[derive(Debug)]
pub struct Attempt {
    pub outcome: LoginOutcome,
    pub reply: String,
    pub status: Option<String>,
    pub code: Option<u16>,
    /// An ordinary "wrong user name or password": the other form may be tried once.
    pub retryable: bool,
}

/// Whether a refusal names a reason that another user-name form cannot cure (an app
/// password, a web sign-in, a lock-out). Then the second try would only add a failed login.
fn names_another_reason(reply: &str) -> bool {
    const HINTS: &[&str] = &[
        "application-specific",
        "app password",
        "app-specific",
        "web browser",
        "weblogin",
        "basic authentication",
        "oauth",
        "locked",
        "too many",
        "try again later",
        "not enabled for",
    ];
    let reply = reply.to_ascii_lowercase();
    HINTS.iter().any(|h| reply.contains(h))
}

/// Logs in with the user name as given; on an ordinary rejection, tries the other form
/// (address vs local part) once, and never more: repeated failures can lock an account.
/// Returns whether a login was accepted, or the failure that ended the connection.
pub async fn login(
    ev: &mut Record,
    conn: &mut Conn,
    ctx: &ProbeContext,
    mechanism: &str,
    password: &Password,
    mut attempt: impl AsyncFnMut(&mut Conn, &str, &Password) -> Result<Attempt, Failure>,
) -> Result<bool, Failure> {
    let first = ctx.account.username.clone();
    let mut tries = vec![(first, UsernameForm::AsGiven)];
    let mut i = 0;
    while i < tries.len() {
        let (user, form) = tries[i].clone();
        let timer = StepTimer::start(conn.clock());
        let (got, failure) = match attempt(conn, &user, password).await {
            Ok(a) => (a, None),
            Err(f) => (
                Attempt {
                    outcome: LoginOutcome::NoAnswer,
                    reply: f.detail.clone(),
                    status: None,
                    code: None,
                    retryable: false,
                },
                Some(f),
            ),
        };
        let encrypted = conn.is_encrypted();
        let rejected = got.outcome == LoginOutcome::Rejected;
        let retryable = got.retryable && !names_another_reason(&got.reply);
        ev.push(
            timer.at_ms(),
            timer.elapsed_ms(),
            StepKind::Login(LoginEvidence {
                username: user,
                form,
                mechanism: mechanism.to_string(),
                outcome: got.outcome,
                reply: got.reply,
                status: got.status,
                code: got.code,
                encrypted,
            }),
        );
        if let Some(f) = failure {
            return Err(f);
        }
        if got.outcome == LoginOutcome::Accepted {
            return Ok(true);
        }
        if rejected
            && retryable
            && i == 0
            && let Some((other, other_form)) = ctx.account.other_username()
        {
            conn.note(format!(
                "login refused; trying the other user name form `{other}` once (more tries could lock the account)"
            ));
            tries.push((other, other_form));
        }
        i += 1;
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::names_another_reason;

    #[test]
    fn refusals_that_another_user_name_cannot_cure() {
        assert!(names_another_reason(
            "-ERR [AUTH] Application-specific password required"
        ));
        assert!(names_another_reason(
            "534-5.7.9 Please log in with your web browser and then try again"
        ));
        assert!(names_another_reason("a1 NO [ALERT] Account locked"));
        assert!(!names_another_reason(
            "a1 NO [AUTHENTICATIONFAILED] Authentication failed."
        ));
        assert!(!names_another_reason(
            "535 5.7.8 Error: authentication failed: (reason unavailable)"
        ));
    }
}
