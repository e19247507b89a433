//! The autoconfig file a domain publishes (`config-v1.1.xml`, the Thunderbird format): its
//! incoming and outgoing servers. Pure; hostname, port and socketType may each be missing.

use maildoc_model::{Protocol, Security};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
struct ClientConfig {
    #[serde(rename = "emailProvider")]
    provider: EmailProvider,
}

#[derive(Debug, Deserialize)]
struct EmailProvider {
    #[serde(rename = "@id", default)]
    id: String,
    #[serde(rename = "displayName", default)]
    display_name: Option<String>,
    #[serde(rename = "incomingServer", default)]
    incoming: Vec<XmlServer>,
    #[serde(rename = "outgoingServer", default)]
    outgoing: Vec<XmlServer>,
}

#[derive(Debug, Deserialize)]
struct XmlServer {
    #[serde(rename = "@type", default)]
    kind: String,
    hostname: Option<String>,
    port: Option<String>,
    #[serde(rename = "socketType")]
    socket_type: Option<String>,
    username: Option<String>,
    #[serde(default)]
    authentication: Vec<String>,
}

/// One server of an autoconfig file, in the file's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigServer {
    pub protocol: Protocol,
    /// Lower case, `%EMAILDOMAIN%` filled in.
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// The user-name template (`%EMAILADDRESS%` when the file gives none).
    pub username: String,
    /// The first authentication the file names (`password-cleartext`, `OAuth2`, ...).
    pub authentication: Option<String>,
}

/// Why a server of a file was left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeftOutReason {
    /// Not IMAP, POP3 or SMTP (`exchange`, `ews`, ...).
    UnknownType,
    NoHost,
    /// A host name with spaces or an unfilled placeholder.
    BadHost,
    BadPort,
    BadSocketType,
}

/// A server of a file that could not be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftOut {
    /// The server's `type` (`imap`, `pop3`, `smtp`, `exchange`, ...).
    pub server_type: String,
    pub reason: LeftOutReason,
    /// The value in question (a host, a port, a socketType), when there is one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
}

/// What a file held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub id: String,
    pub name: Option<String>,
    pub servers: Vec<ConfigServer>,
    /// Servers that could not be used, and why.
    pub left_out: Vec<LeftOut>,
}

/// Parses an autoconfig document for an address at `domain`.
pub fn parse(xml: &str, domain: &str) -> Result<Config, String> {
    let config: ClientConfig = quick_xml::de::from_str(xml).map_err(|e| e.to_string())?;
    let p = config.provider;
    let mut servers = Vec::new();
    let mut left_out = Vec::new();
    let incoming = p.incoming.iter().map(|s| (true, s));
    let outgoing = p.outgoing.iter().map(|s| (false, s));
    for (is_incoming, s) in incoming.chain(outgoing) {
        match convert(s, is_incoming, domain) {
            Ok(server) => servers.push(server),
            Err(why) => left_out.push(why),
        }
    }
    Ok(Config {
        id: p.id,
        name: p
            .display_name
            .map(|n| n.replace("%EMAILDOMAIN%", domain).trim().to_string())
            .filter(|n| !n.is_empty()),
        servers,
        left_out,
    })
}

fn convert(s: &XmlServer, incoming: bool, domain: &str) -> Result<ConfigServer, LeftOut> {
    let server_type = s.kind.trim().to_ascii_lowercase();
    let left_out = |reason, value: &str| LeftOut {
        server_type: server_type.clone(),
        reason,
        value: value.to_string(),
    };
    let protocol = match (incoming, server_type.as_str()) {
        (true, "imap") => Protocol::Imap,
        (true, "pop3") => Protocol::Pop3,
        (false, "smtp") => Protocol::Smtp,
        _ => return Err(left_out(LeftOutReason::UnknownType, "")),
    };
    let host = s
        .hostname
        .as_deref()
        .map(|h| {
            h.replace("%EMAILDOMAIN%", domain)
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|h| !h.is_empty())
        .ok_or_else(|| left_out(LeftOutReason::NoHost, ""))?;
    if host.contains('%') || host.contains(char::is_whitespace) {
        return Err(left_out(LeftOutReason::BadHost, &host));
    }
    let port = match s.port.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(left_out(LeftOutReason::BadPort, p)),
            Ok(n) => Some(n),
        },
    };
    let security = match s.socket_type.as_deref().map(str::trim) {
        Some(t) if t.eq_ignore_ascii_case("ssl") || t.eq_ignore_ascii_case("tls") => {
            Some(Security::Tls)
        }
        Some(t) if t.eq_ignore_ascii_case("starttls") => Some(Security::Starttls),
        Some(t) if t.eq_ignore_ascii_case("plain") => Some(Security::Plain),
        None | Some("") => None,
        Some(other) => return Err(left_out(LeftOutReason::BadSocketType, other)),
    };
    let (port, security) = match (port, security) {
        (Some(p), Some(s)) => (p, s),
        (None, Some(s)) => (protocol.default_port(s), s),
        (Some(p), None) if p == protocol.implicit_tls_port() => (p, Security::Tls),
        (Some(p), None) => (p, Security::Starttls),
        (None, None) => (protocol.implicit_tls_port(), Security::Tls),
    };
    Ok(ConfigServer {
        protocol,
        host,
        port,
        security,
        username: s
            .username
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .unwrap_or("%EMAILADDRESS%")
            .to_string(),
        authentication: s
            .authentication
            .iter()
            .map(|a| a.trim().to_string())
            .find(|a| !a.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_file() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.jp">
    <domain>example.jp</domain>
    <displayName>Example %EMAILDOMAIN%</displayName>
    <incomingServer type="imap">
      <hostname>IMAP.%EMAILDOMAIN%</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.example.jp</hostname>
      <port>110</port>
      <socketType>STARTTLS</socketType>
      <pop3><leaveMessagesOnServer>true</leaveMessagesOnServer></pop3>
    </incomingServer>
    <incomingServer type="exchange"><hostname>ews.example.jp</hostname></incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.jp</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
    <documentation url="https://example.jp/help"><descr lang="ja">設定</descr></documentation>
  </emailProvider>
</clientConfig>"#;
        let c = parse(xml, "example.jp").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.id, "example.jp");
        assert_eq!(c.name.as_deref(), Some("Example example.jp"));
        let got: Vec<(Protocol, &str, u16, Security, &str)> = c
            .servers
            .iter()
            .map(|s| {
                (
                    s.protocol,
                    s.host.as_str(),
                    s.port,
                    s.security,
                    s.username.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    Protocol::Imap,
                    "imap.example.jp",
                    993,
                    Security::Tls,
                    "%EMAILLOCALPART%"
                ),
                (
                    Protocol::Pop3,
                    "pop.example.jp",
                    110,
                    Security::Starttls,
                    "%EMAILADDRESS%"
                ),
                (
                    Protocol::Smtp,
                    "smtp.example.jp",
                    587,
                    Security::Starttls,
                    "%EMAILADDRESS%"
                ),
            ]
        );
        assert_eq!(c.servers[0].authentication.as_deref(), Some("OAuth2"));
        assert_eq!(
            c.left_out,
            [LeftOut {
                server_type: "exchange".into(),
                reason: LeftOutReason::UnknownType,
                value: String::new()
            }]
        );
    }

    #[test]
    fn missing_port_or_security_is_completed_and_missing_host_is_skipped() {
        let xml = r#"<clientConfig><emailProvider id="x">
            <incomingServer type="imap"><hostname>imap.x.jp</hostname></incomingServer>
            <incomingServer type="pop3"><hostname>pop.x.jp</hostname><port>995</port></incomingServer>
            <incomingServer type="imap"><port>993</port></incomingServer>
            <outgoingServer type="smtp"><hostname>smtp.x.jp</hostname><socketType>STARTTLS</socketType></outgoingServer>
            <outgoingServer type="smtp"><hostname>smtp2.x.jp</hostname><port>none</port></outgoingServer>
        </emailProvider></clientConfig>"#;
        let c = parse(xml, "x.jp").unwrap_or_else(|e| panic!("{e}"));
        let got: Vec<(u16, Security)> = c.servers.iter().map(|s| (s.port, s.security)).collect();
        assert_eq!(
            got,
            [
                (993, Security::Tls),
                (995, Security::Tls),
                (587, Security::Starttls)
            ]
        );
        let reasons: Vec<LeftOutReason> = c.left_out.iter().map(|l| l.reason).collect();
        assert_eq!(reasons, [LeftOutReason::NoHost, LeftOutReason::BadPort]);
        assert_eq!(c.left_out[1].value, "none");
    }

    #[test]
    fn not_a_config() {
        assert!(parse("<html><body>Not found</body></html>", "x.jp").is_err());
        assert!(parse("", "x.jp").is_err());
        assert!(parse("{\"json\": true}", "x.jp").is_err());
    }
}
