//! What is probed: a protocol on a host and port, with the security the user (or a provider
//! table, or a guess) says it uses.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Imap,
    Pop3,
    Smtp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Imap => "imap",
            Protocol::Pop3 => "pop3",
            Protocol::Smtp => "smtp",
        }
    }

    /// The name people see in their mail app.
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Imap => "IMAP",
            Protocol::Pop3 => "POP3",
            Protocol::Smtp => "SMTP",
        }
    }

    pub fn role(self) -> Role {
        match self {
            Protocol::Imap | Protocol::Pop3 => Role::Incoming,
            Protocol::Smtp => Role::Outgoing,
        }
    }

    /// The port that speaks TLS from the first byte (implicit TLS).
    pub fn implicit_tls_port(self) -> u16 {
        match self {
            Protocol::Imap => 993,
            Protocol::Pop3 => 995,
            Protocol::Smtp => 465,
        }
    }

    /// The port that speaks plaintext first and offers STARTTLS.
    pub fn starttls_port(self) -> u16 {
        match self {
            Protocol::Imap => 143,
            Protocol::Pop3 => 110,
            Protocol::Smtp => 587,
        }
    }

    /// The port a client uses when only the security is given.
    pub fn default_port(self, security: Security) -> u16 {
        match security {
            Security::Tls => self.implicit_tls_port(),
            Security::Starttls | Security::Plain => self.starttls_port(),
        }
    }
}

/// How the connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte ("SSL/TLS" in mail apps).
    Tls,
    /// Plaintext greeting, then STARTTLS / STLS.
    Starttls,
    /// No encryption.
    Plain,
}

impl Security {
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Tls => "ssl",
            Security::Starttls => "starttls",
            Security::Plain => "plain",
        }
    }

    /// The name mail apps show for this setting.
    pub fn label(self) -> &'static str {
        match self {
            Security::Tls => "SSL/TLS",
            Security::Starttls => "STARTTLS",
            Security::Plain => "none",
        }
    }

    /// Parses the spelling used in `--imap HOST:PORT/ssl`.
    pub fn parse(s: &str) -> Option<Security> {
        match s.to_ascii_lowercase().as_str() {
            "ssl" | "tls" | "ssl/tls" | "implicit" => Some(Security::Tls),
            "starttls" | "stls" => Some(Security::Starttls),
            "plain" | "none" | "off" => Some(Security::Plain),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Incoming,
    Outgoing,
}

/// A server the account uses.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Endpoint {
    pub protocol: Protocol,
    /// The host as probed: ASCII (IDN converted to A-labels).
    pub host: String,
    pub port: u16,
    pub security: Security,
}

impl Endpoint {
    pub fn new(protocol: Protocol, host: impl Into<String>, port: u16, security: Security) -> Self {
        Endpoint {
            protocol,
            host: host.into(),
            port,
            security,
        }
    }

    /// `IMAP imap.example.jp:993 SSL/TLS`
    pub fn describe(&self) -> String {
        format!(
            "{} {}:{} {}",
            self.protocol.label(),
            self.host,
            self.port,
            self.security.label()
        )
    }
}

/// Where an endpoint's settings came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Origin {
    /// Given on the command line.
    Flag,
    /// From a table of known providers (maildoc's own table or the ISPDB snapshot), found by
    /// the address's domain or by its MX.
    Provider { id: String, name: String },
    /// Published by the domain in an autoconfig file (the URL it came from).
    Autoconfig { url: String },
    /// Published by the domain in an RFC 6186 SRV record (the record's name).
    Srv { name: String },
    /// A common host name guessed from the domain.
    Guess,
    /// Added by maildoc to tell a blocked port apart (e.g. 587/465 beside port 25).
    Companion,
    /// Another standard port of the same protocol and host, tried by maildoc (without a
    /// password) because the server `of` (its id) failed at connecting, TLS or the greeting.
    Alternative { of: String },
}
