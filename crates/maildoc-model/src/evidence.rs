//! Evidence: what the probes saw, step by step, with timings and transcripts.
//!
//! A refused port, an expired certificate or a `-ERR` is evidence, never a Rust error. Every
//! step has an id (`imap.3`) that findings link to.

use crate::endpoint::{Endpoint, Origin, Role};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};

/// Everything recorded about one server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerEvidence {
    /// `imap`, `pop3`, `smtp`, `smtp-587`, ...
    pub id: String,
    pub role: Role,
    pub endpoint: Endpoint,
    pub origin: Origin,
    /// What was asked of this server.
    pub depth: ProbeDepth,
    pub steps: Vec<Step>,
    pub transcript: Vec<TranscriptLine>,
}

impl ServerEvidence {
    pub fn new(
        id: impl Into<String>,
        endpoint: Endpoint,
        origin: Origin,
        depth: ProbeDepth,
    ) -> Self {
        ServerEvidence {
            id: id.into(),
            role: endpoint.protocol.role(),
            endpoint,
            origin,
            depth,
            steps: Vec::new(),
            transcript: Vec::new(),
        }
    }

    /// Appends a step and returns its id.
    pub fn push(&mut self, at_ms: u64, elapsed_ms: u64, kind: StepKind) -> String {
        let id = format!("{}.{}", self.id, self.steps.len() + 1);
        self.steps.push(Step {
            id: id.clone(),
            at_ms,
            elapsed_ms,
            kind,
        });
        id
    }

    /// Steps of one kind, in order.
    pub fn steps_where<'a, T: 'a>(
        &'a self,
        pick: impl Fn(&'a StepKind) -> Option<T> + 'a,
    ) -> impl Iterator<Item = (&'a Step, T)> + 'a {
        self.steps
            .iter()
            .filter_map(move |s| pick(&s.kind).map(|t| (s, t)))
    }
}

/// How far a server is probed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeDepth {
    /// DNS, TCP, TLS, greeting, capabilities, login and mailbox checks.
    Full,
    /// DNS and TCP only: a companion port that tells a blocked port apart.
    PortOnly,
    /// DNS, TCP, greeting, capabilities, STARTTLS and TLS, then QUIT: no login and no
    /// envelope (another party's mail server, `maildoc domain --smtp`).
    Transport,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    /// Milliseconds since the run started.
    pub at_ms: u64,
    pub elapsed_ms: u64,
    #[serde(flatten)]
    pub kind: StepKind,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum StepKind {
    /// The host field could not be used as a host name at all.
    InvalidHost {
        host: String,
        reason: InvalidHostReason,
    },
    /// A and AAAA lookups.
    Resolve {
        host: String,
        outcome: ResolveOutcome,
        addresses: Vec<IpAddr>,
        /// The resolver's own words (rcode, error).
        detail: String,
    },
    Connect {
        address: SocketAddr,
        outcome: ConnectOutcome,
        detail: String,
    },
    /// The first thing the server said (or did not say).
    Greeting {
        outcome: GreetingOutcome,
        /// The greeting text (first line, truncated to a sane length).
        text: String,
        /// Which protocol the greeting looks like.
        spoken: Option<Spoken>,
        /// A date the server gave in its greeting (Unix seconds), for clock checks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        server_time: Option<i64>,
    },
    /// IMAP CAPABILITY, POP3 CAPA, SMTP EHLO keywords; `after_tls` tells which side of TLS.
    Capabilities {
        items: Vec<String>,
        after_tls: bool,
        /// For SMTP, the EHLO reply code (a HELO fallback is recorded here too).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply: Option<String>,
    },
    /// The STARTTLS / STLS command.
    Starttls {
        outcome: StarttlsOutcome,
        reply: String,
    },
    Tls(Box<TlsEvidence>),
    Login(LoginEvidence),
    LoginSkipped {
        reason: LoginSkipReason,
    },
    /// IMAP GETQUOTAROOT: storage in KiB, message counts when given.
    Quota {
        root: String,
        resource: String,
        usage: u64,
        limit: u64,
    },
    /// IMAP STATUS INBOX or POP3 STAT.
    Mailbox {
        messages: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        octets: Option<u64>,
    },
    /// A command the server answered that is not a login (quota, status, MAIL, RCPT, ...).
    Command {
        command: CommandKind,
        /// The argument shown (an address for MAIL/RCPT).
        argument: String,
        outcome: ReplyOutcome,
        reply: String,
        /// SMTP reply code, when SMTP.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<u16>,
        /// RFC 3463 enhanced status code (`5.7.1`), or an IMAP/POP3 response code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    },
    /// Something went wrong on an established connection.
    Trouble {
        phase: Phase,
        trouble: Trouble,
        detail: String,
    },
    /// The run's deadline stopped this server's probe.
    Deadline {
        phase: Phase,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InvalidHostReason {
    /// Contains `@`: a mail address typed into the host field.
    ContainsAt,
    /// Contains spaces or characters no host name has.
    BadCharacters,
    Empty,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResolveOutcome {
    Found,
    /// NXDOMAIN.
    NotFound,
    /// NOERROR without an address (NODATA).
    NoAddress,
    /// SERVFAIL, REFUSED and other rcodes.
    ServerFailure,
    Timeout,
    /// The resolver could not be set up or used at all.
    ResolverError,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectOutcome {
    Connected,
    Refused,
    Timeout,
    Unreachable,
    Other,
    /// Another address connected first; this attempt was dropped.
    Abandoned,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GreetingOutcome {
    /// A normal, positive greeting in the expected protocol.
    Ready,
    /// A greeting that refuses service (`421`, `* BYE`, `-ERR`, `554`).
    Refused,
    /// A greeting of another protocol (see `spoken`).
    OtherProtocol,
    /// Silence until the step timeout.
    Silent,
    /// The connection closed before a full line.
    Closed,
    /// Bytes that are no protocol's greeting.
    Garbage,
    /// A line longer than any protocol allows.
    TooLong,
}

/// What a peer's first bytes look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Spoken {
    Imap,
    Pop3,
    Smtp,
    Tls,
    Http,
    Unknown,
}

impl From<crate::Protocol> for Spoken {
    /// What a server of the protocol speaks.
    fn from(protocol: crate::Protocol) -> Spoken {
        match protocol {
            crate::Protocol::Imap => Spoken::Imap,
            crate::Protocol::Pop3 => Spoken::Pop3,
            crate::Protocol::Smtp => Spoken::Smtp,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StarttlsOutcome {
    /// The server did not list STARTTLS/STLS; the command was not sent.
    NotOffered,
    /// The server agreed; TLS follows.
    Accepted,
    /// The server refused the command.
    Refused,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    Implicit,
    Starttls,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TlsEvidence {
    pub mode: TlsMode,
    /// The name sent in SNI and checked against the certificate.
    pub server_name: String,
    pub handshake: TlsHandshake,
    /// Why the handshake failed, in the TLS library's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<TlsFailure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    /// The chain as the server sent it, leaf first.
    pub chain: Vec<CertInfo>,
    /// The verdict of certificate verification against the trust anchors.
    pub verification: CertVerification,
    /// The verification error, as the TLS library put it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_error: Option<String>,
    /// Extra checks on the leaf, independent of the verifier's first error.
    pub leaf_problems: Vec<CertProblem>,
    /// When the issuer was unknown: the try to fetch it from the leaf's AIA URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aia: Option<AiaFetch>,
    /// Whether the root of the chain is a public CA (in the built-in root list).
    pub public_root: bool,
    /// Whether the server asked for a client certificate (maildoc never sends one).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub client_cert_requested: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsHandshake {
    Established,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsFailure {
    pub kind: TlsFailureKind,
    pub detail: String,
    /// Plaintext the server sent instead of a TLS record (its greeting), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_spoken: Option<Spoken>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsFailureKind {
    /// The server answered with plaintext, not TLS.
    NotTls,
    /// Alert protocol_version: the server wants an older TLS.
    ProtocolVersion,
    /// Alert handshake_failure: no common cipher suite.
    HandshakeFailure,
    /// Another alert from the server.
    Alert,
    /// The server offered only TLS versions below 1.2.
    PeerIncompatible,
    /// The server closed the connection during the handshake.
    Closed,
    Timeout,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertVerification {
    Valid,
    Expired,
    NotYetValid,
    NameMismatch,
    /// Self-signed leaf, not a trust anchor.
    SelfSigned,
    /// The chain leads to an issuer that is not trusted.
    UnknownIssuer,
    /// The verifier rejected the certificate for another reason.
    Invalid,
    /// No certificate was seen (the handshake did not get that far).
    NotChecked,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertProblem {
    Expired,
    NotYetValid,
    NameMismatch,
    SelfSigned,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
    pub not_before_unix: i64,
    pub not_after_unix: i64,
    /// DNS names from subjectAltName (and the CN when there is no SAN).
    pub names: Vec<String>,
    pub self_signed: bool,
    /// SHA-256 of the certificate (DER), lower-case hex.
    pub sha256: String,
    /// SHA-512 of the certificate, and SHA-256/512 of its SubjectPublicKeyInfo: the digests
    /// TLSA records (RFC 6698) publish, compared by `maildoc domain --smtp`. Empty in reports
    /// written before they were recorded.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sha512: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub spki_sha256: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub spki_sha512: String,
    /// caIssuers URLs from the Authority Information Access extension.
    #[serde(default)]
    pub aia_issuers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AiaFetch {
    pub url: String,
    pub outcome: AiaOutcome,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AiaOutcome {
    /// The fetched issuer completes the chain to a trusted root.
    Completes,
    /// Fetched, but the chain still does not verify.
    DoesNotComplete,
    /// The URL could not be fetched.
    FetchFailed,
    /// The leaf names no AIA issuer URL.
    NoUrl,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginEvidence {
    /// The user name sent (never the password).
    pub username: String,
    pub form: UsernameForm,
    /// `LOGIN`, `AUTHENTICATE PLAIN`, `USER/PASS`, `AUTH PLAIN`, `AUTH LOGIN`.
    pub mechanism: String,
    pub outcome: LoginOutcome,
    /// The server's answer (its first line).
    pub reply: String,
    /// IMAP `[AUTHENTICATIONFAILED]`, POP3 `[AUTH]`, SMTP `5.7.8`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// The connection was encrypted when the password was sent.
    pub encrypted: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UsernameForm {
    /// As given with --username (or the address when none was given).
    AsGiven,
    /// The whole address, tried after the local part failed.
    FullAddress,
    /// The part before `@`, tried after the address failed.
    LocalPart,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoginOutcome {
    Accepted,
    Rejected,
    /// No usable answer (closed, timeout, garbage).
    NoAnswer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoginSkipReason {
    /// --no-login.
    NotRequested,
    /// --smtp-auth none: the client does not authenticate.
    SmtpAuthOff,
    /// The password would cross the network unencrypted (no --allow-plaintext-login).
    Unencrypted,
    /// The server says it refuses logins on this unencrypted connection.
    ServerRefusesPlaintext,
    /// The server offers no mechanism maildoc can use with a password.
    NoUsableMechanism,
    /// The server offers no authentication at all.
    NotOffered,
    /// The certificate did not verify: a password is never sent over such a connection,
    /// because whoever holds that certificate could read it.
    CertificateNotTrusted,
    /// TLS could not be set up, so the session stopped before login.
    NoTls,
    /// The settings lint found the host name to be a typo or look-alike of a known server
    /// name (`host-typo`, `host-look-alike`): the server may belong to someone else, so no
    /// password goes there.
    SuspectHost,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommandKind {
    Getquotaroot,
    Status,
    Stat,
    MailFrom,
    /// RCPT TO the account's own address.
    RcptOwn,
    /// RCPT TO an address at a reserved external domain.
    RcptExternal,
    /// RCPT TO a recipient of a message being sent.
    Rcpt,
    /// DATA, before a message being sent.
    Data,
    /// The end of a message being sent: the server's verdict on it.
    EndOfData,
    /// LIST: the account's folders.
    List,
    /// A search of one folder for a message sent.
    Search,
    /// FETCH of the message found.
    Fetch,
    /// The message found marked deleted and expunged.
    Expunge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplyOutcome {
    Ok,
    /// 4xx, NO, -ERR [SYS/TEMP].
    TempFail,
    /// 5xx, NO, BAD, -ERR.
    PermFail,
    NoAnswer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Connect,
    Tls,
    Greeting,
    Capabilities,
    Starttls,
    Login,
    Mailbox,
    Envelope,
    Logout,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trouble {
    Timeout,
    Closed,
    Garbage,
    LineTooLong,
    /// More lines or bytes than one reply or one session may have: the server went on and on.
    Oversized,
    /// The server said it is closing the connection (SMTP `421`); the detail is its reply.
    Unavailable,
    Io,
}

/// One line of a protocol transcript. Secrets are redacted before a line is ever built.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptLine {
    /// Milliseconds since the run started.
    pub at_ms: u64,
    pub dir: Direction,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    /// Client to server.
    #[serde(rename = "C")]
    Sent,
    /// Server to client.
    #[serde(rename = "S")]
    Received,
    /// maildoc's own note (connected, TLS established, ...).
    #[serde(rename = "*")]
    Note,
}

impl Direction {
    pub fn marker(self) -> &'static str {
        match self {
            Direction::Sent => "C:",
            Direction::Received => "S:",
            Direction::Note => "*",
        }
    }
}
