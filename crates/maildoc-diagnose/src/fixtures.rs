//! Hand-built evidence for the rule tests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::diagnose;
use maildoc_model::*;
use std::net::SocketAddr;

/// The run's local time: 2025-06-15 15:06:40 UTC.
pub(crate) const NOW: i64 = 1_750_000_000;
pub(crate) const DAY: i64 = 86_400;

/// A server under construction.
pub(crate) struct Srv {
    ev: ServerEvidence,
}

impl Srv {
    pub(crate) fn new(
        id: &str,
        protocol: Protocol,
        host: &str,
        port: u16,
        security: Security,
    ) -> Srv {
        Srv {
            ev: ServerEvidence::new(
                id,
                Endpoint::new(protocol, host, port, security),
                Origin::Flag,
                ProbeDepth::Full,
            ),
        }
    }

    pub(crate) fn imap_ssl() -> Srv {
        Srv::new(
            "imap",
            Protocol::Imap,
            "imap.example.jp",
            993,
            Security::Tls,
        )
    }

    pub(crate) fn imap_starttls() -> Srv {
        Srv::new(
            "imap",
            Protocol::Imap,
            "imap.example.jp",
            143,
            Security::Starttls,
        )
    }

    pub(crate) fn imap_plain() -> Srv {
        Srv::new(
            "imap",
            Protocol::Imap,
            "imap.example.jp",
            143,
            Security::Plain,
        )
    }

    pub(crate) fn pop3_ssl() -> Srv {
        Srv::new("pop3", Protocol::Pop3, "pop.example.jp", 995, Security::Tls)
    }

    pub(crate) fn smtp_submission() -> Srv {
        Srv::new(
            "smtp",
            Protocol::Smtp,
            "smtp.example.jp",
            587,
            Security::Starttls,
        )
    }

    pub(crate) fn smtp_ssl() -> Srv {
        Srv::new(
            "smtp",
            Protocol::Smtp,
            "smtp.example.jp",
            465,
            Security::Tls,
        )
    }

    /// A TCP-only companion probe beside a port 25 endpoint.
    pub(crate) fn companion(id: &str, host: &str, port: u16) -> Srv {
        Srv {
            ev: ServerEvidence::new(
                id,
                Endpoint::new(Protocol::Smtp, host, port, Security::Plain),
                Origin::Companion,
                ProbeDepth::PortOnly,
            ),
        }
    }

    pub(crate) fn origin(mut self, origin: Origin) -> Srv {
        self.ev.origin = origin;
        self
    }

    pub(crate) fn step(mut self, elapsed_ms: u64, kind: StepKind) -> Srv {
        self.ev.push(0, elapsed_ms, kind);
        self
    }

    pub(crate) fn resolved(self) -> Srv {
        let host = self.ev.endpoint.host.clone();
        self.step(
            12,
            StepKind::Resolve {
                host,
                outcome: ResolveOutcome::Found,
                addresses: vec!["192.0.2.1".parse().unwrap()],
                detail: String::new(),
            },
        )
    }

    pub(crate) fn connect_to(self, address: &str, outcome: ConnectOutcome) -> Srv {
        let address: SocketAddr = address.parse().unwrap();
        self.step(
            30,
            StepKind::Connect {
                address,
                outcome,
                detail: String::new(),
            },
        )
    }

    pub(crate) fn connect(self, outcome: ConnectOutcome) -> Srv {
        let address = format!("192.0.2.1:{}", self.ev.endpoint.port);
        self.connect_to(&address, outcome)
    }

    pub(crate) fn connected(self) -> Srv {
        self.connect(ConnectOutcome::Connected)
    }

    pub(crate) fn greeting_ms(
        self,
        elapsed_ms: u64,
        outcome: GreetingOutcome,
        text: &str,
        spoken: Option<Spoken>,
    ) -> Srv {
        self.step(
            elapsed_ms,
            StepKind::Greeting {
                outcome,
                text: text.into(),
                spoken,
                server_time: None,
            },
        )
    }

    pub(crate) fn greeting(
        self,
        outcome: GreetingOutcome,
        text: &str,
        spoken: Option<Spoken>,
    ) -> Srv {
        self.greeting_ms(40, outcome, text, spoken)
    }

    /// A ready greeting that carries a date.
    pub(crate) fn greeting_at(self, text: &str, server_time: i64) -> Srv {
        let spoken = Spoken::from(self.ev.endpoint.protocol);
        self.step(
            40,
            StepKind::Greeting {
                outcome: GreetingOutcome::Ready,
                text: text.into(),
                spoken: Some(spoken),
                server_time: Some(server_time),
            },
        )
    }

    /// Resolved, connected and a ready greeting (no TLS).
    pub(crate) fn greeted(self) -> Srv {
        let spoken = Spoken::from(self.ev.endpoint.protocol);
        self.resolved()
            .connected()
            .greeting(GreetingOutcome::Ready, "ready", Some(spoken))
    }

    pub(crate) fn caps(self, items: &[&str], after_tls: bool) -> Srv {
        self.step(
            5,
            StepKind::Capabilities {
                items: items.iter().map(|s| s.to_string()).collect(),
                after_tls,
                reply: None,
            },
        )
    }

    pub(crate) fn tls(self, tls: TlsEvidence) -> Srv {
        self.step(80, StepKind::Tls(Box::new(tls)))
    }

    /// A healthy conversation up to login, with a valid certificate.
    pub(crate) fn up(self) -> Srv {
        let host = self.ev.endpoint.host.clone();
        let mode = match self.ev.endpoint.security {
            Security::Tls => TlsMode::Implicit,
            _ => TlsMode::Starttls,
        };
        self.up_with(tls_valid(&host, mode))
    }

    /// A conversation up to login with this handshake: implicit TLS or STARTTLS as the
    /// endpoint says (five steps for SSL/TLS, seven for STARTTLS).
    pub(crate) fn up_with(self, tls: TlsEvidence) -> Srv {
        let protocol = self.ev.endpoint.protocol;
        let spoken = Spoken::from(protocol);
        let (text, caps): (&str, &[&str]) = match protocol {
            Protocol::Imap => ("* OK IMAP ready", &["IMAP4rev1", "AUTH=PLAIN"]),
            Protocol::Pop3 => ("+OK POP3 ready", &["USER", "SASL PLAIN"]),
            Protocol::Smtp => (
                "220 smtp.example.jp ESMTP",
                &["PIPELINING", "SIZE 52428800", "AUTH PLAIN LOGIN"],
            ),
        };
        let connected = self.resolved().connected();
        match connected.ev.endpoint.security {
            Security::Tls => connected
                .tls(tls)
                .greeting(GreetingOutcome::Ready, text, Some(spoken))
                .caps(caps, true),
            _ => {
                let keyword = if protocol == Protocol::Pop3 {
                    "STLS"
                } else {
                    "STARTTLS"
                };
                let mut before: Vec<&str> = caps.to_vec();
                before.push(keyword);
                connected
                    .greeting(GreetingOutcome::Ready, text, Some(spoken))
                    .caps(&before, false)
                    .step(
                        5,
                        StepKind::Starttls {
                            outcome: StarttlsOutcome::Accepted,
                            reply: "OK Begin TLS".into(),
                        },
                    )
                    .tls(tls)
                    .caps(caps, true)
            }
        }
    }

    pub(crate) fn login_ms(self, elapsed_ms: u64, login: LoginEvidence) -> Srv {
        self.step(elapsed_ms, StepKind::Login(login))
    }

    pub(crate) fn login(self, login: LoginEvidence) -> Srv {
        self.login_ms(200, login)
    }

    pub(crate) fn skip(self, reason: LoginSkipReason) -> Srv {
        self.step(0, StepKind::LoginSkipped { reason })
    }

    pub(crate) fn command(
        self,
        command: CommandKind,
        argument: &str,
        outcome: ReplyOutcome,
        reply: &str,
        code: Option<u16>,
        status: Option<&str>,
    ) -> Srv {
        self.step(
            20,
            StepKind::Command {
                command,
                argument: argument.into(),
                outcome,
                reply: reply.into(),
                code,
                status: status.map(str::to_string),
            },
        )
    }

    pub(crate) fn build(self) -> ServerEvidence {
        self.ev
    }
}

pub(crate) fn login_ev(
    username: &str,
    form: UsernameForm,
    outcome: LoginOutcome,
    reply: &str,
    status: Option<&str>,
    code: Option<u16>,
) -> LoginEvidence {
    LoginEvidence {
        username: username.into(),
        form,
        mechanism: "AUTHENTICATE PLAIN".into(),
        outcome,
        reply: reply.into(),
        status: status.map(str::to_string),
        code,
        encrypted: true,
    }
}

/// A leaf for `host`, valid from 30 days ago to 60 days ahead.
pub(crate) fn leaf(host: &str) -> CertInfo {
    CertInfo {
        subject: format!("CN={host}"),
        issuer: "CN=R11, O=Let's Encrypt, C=US".into(),
        serial: "04:aa".into(),
        not_before: String::new(),
        not_after: String::new(),
        not_before_unix: NOW - 30 * DAY,
        not_after_unix: NOW + 60 * DAY,
        names: vec![host.into()],
        self_signed: false,
        sha256: format!("sha-{host}"),
        sha512: String::new(),
        spki_sha256: String::new(),
        spki_sha512: String::new(),
        aia_issuers: vec!["http://r11.i.lencr.org/".into()],
    }
}

/// A TLS hello answered in plain text: what an SSL/TLS client sees on a plaintext port.
pub(crate) fn not_tls(spoken: Spoken, text: &str) -> TlsEvidence {
    let mut tls = tls_valid("imap.example.jp", TlsMode::Implicit);
    tls.handshake = TlsHandshake::Failed;
    tls.chain.clear();
    tls.verification = CertVerification::NotChecked;
    tls.failure = Some(TlsFailure {
        kind: TlsFailureKind::NotTls,
        detail: "received plaintext".into(),
        received_text: Some(text.into()),
        received_spoken: Some(spoken),
    });
    tls
}

/// An established handshake with a valid certificate for `host`.
pub(crate) fn tls_valid(host: &str, mode: TlsMode) -> TlsEvidence {
    TlsEvidence {
        mode,
        server_name: host.into(),
        handshake: TlsHandshake::Established,
        failure: None,
        version: Some("TLSv1.3".into()),
        cipher: Some("TLS13_AES_256_GCM_SHA384".into()),
        chain: vec![leaf(host)],
        verification: CertVerification::Valid,
        verify_error: None,
        leaf_problems: vec![],
        aia: None,
        public_root: true,
        client_cert_requested: false,
    }
}

pub(crate) fn report(servers: Vec<ServerEvidence>) -> Report {
    Report {
        schema_version: report::SCHEMA_VERSION,
        maildoc_version: "0.1.0".into(),
        started_at: "2025-06-15T15:06:40Z".into(),
        started_at_unix: NOW,
        elapsed_ms: 1_000,
        timeout_ms: 30_000,
        target: TargetInfo {
            address: "taro@example.jp".into(),
            username: "taro".into(),
            login: true,
            smtp_auth: true,
            allow_plaintext_login: false,
            dns_server: None,
            settings_source: maildoc_model::SettingsSource::Flags,
            provider: None,
            normalizations: vec![],
        },
        servers,
        findings: vec![],
    }
}

pub(crate) fn run(servers: Vec<ServerEvidence>) -> Vec<Finding> {
    diagnose(&report(servers))
}

/// `code@server`, or `code` for account-wide findings.
pub(crate) fn codes(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| match &f.server {
            Some(server) => format!("{}@{server}", f.code),
            None => f.code.to_string(),
        })
        .collect()
}

/// The finding with this code about this server.
pub(crate) fn find<'a>(findings: &'a [Finding], code: &str, server: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.code.as_str() == code && f.server.as_deref() == Some(server))
        .unwrap_or_else(|| panic!("no {code}@{server} in {:?}", codes(findings)))
}
