//! Settings of well-known providers, read from the embedded ISPDB excerpt.

use maildoc_model::{Protocol, Security};
use serde::Deserialize;

const FILES: &[(&str, &str)] = &[
    ("me.com", include_str!("../data/ispdb/me.com.xml")),
    (
        "googlemail.com",
        include_str!("../data/ispdb/googlemail.com.xml"),
    ),
    ("hotmail.com", include_str!("../data/ispdb/hotmail.com.xml")),
    (
        "office365.com",
        include_str!("../data/ispdb/office365.com.xml"),
    ),
    ("yahoo.co.jp", include_str!("../data/ispdb/yahoo.co.jp.xml")),
    (
        "i.softbank.jp",
        include_str!("../data/ispdb/i.softbank.jp.xml"),
    ),
];

#[derive(Debug, Deserialize)]
struct ClientConfig {
    #[serde(rename = "emailProvider")]
    provider: EmailProvider,
}

#[derive(Debug, Deserialize)]
struct EmailProvider {
    #[serde(rename = "@id")]
    id: String,
    #[serde(rename = "domain", default)]
    domains: Vec<String>,
    #[serde(rename = "displayName", default)]
    display_name: String,
    #[serde(rename = "incomingServer", default)]
    incoming: Vec<XmlServer>,
    #[serde(rename = "outgoingServer", default)]
    outgoing: Vec<XmlServer>,
}

#[derive(Debug, Deserialize)]
struct XmlServer {
    #[serde(rename = "@type")]
    kind: String,
    hostname: Option<String>,
    port: Option<u16>,
    #[serde(rename = "socketType")]
    socket_type: Option<String>,
    username: Option<String>,
}

/// One server of a provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderServer {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// The ISPDB user-name template (`%EMAILADDRESS%`, `%EMAILLOCALPART%`).
    pub username: String,
}

impl ProviderServer {
    /// The user name this server expects for an address.
    pub fn username_for(&self, address: &str, local: &str, domain: &str) -> String {
        // Two ISPDB files spell %EMAILADDRESS without its closing %.
        let t = self.username.replace("%EMAILADDRESS%", address);
        let t = t.replace("%EMAILADDRESS", address);
        let t = t.replace("%EMAILLOCALPART%", local);
        t.replace("%EMAILDOMAIN%", domain)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub domains: Vec<String>,
    pub servers: Vec<ProviderServer>,
}

fn convert(s: &XmlServer) -> Option<ProviderServer> {
    let protocol = match s.kind.as_str() {
        "imap" => Protocol::Imap,
        "pop3" => Protocol::Pop3,
        "smtp" => Protocol::Smtp,
        _ => return None,
    };
    let security = match s.socket_type.as_deref()? {
        "SSL" => Security::Tls,
        "STARTTLS" => Security::Starttls,
        "plain" => Security::Plain,
        _ => return None,
    };
    Some(ProviderServer {
        protocol,
        host: s.hostname.clone()?.to_ascii_lowercase(),
        port: s.port?,
        security,
        username: s
            .username
            .clone()
            .unwrap_or_else(|| "%EMAILADDRESS%".into()),
    })
}

/// Every embedded provider. A file that fails to parse is a build-time mistake; the tests
/// parse them all.
pub fn all() -> Vec<Provider> {
    FILES
        .iter()
        .filter_map(|(_, xml)| quick_xml::de::from_str::<ClientConfig>(xml).ok())
        .map(|c| Provider {
            id: c.provider.id,
            name: c.provider.display_name,
            domains: c
                .provider
                .domains
                .iter()
                .map(|d| d.trim().to_ascii_lowercase())
                .collect(),
            servers: c
                .provider
                .incoming
                .iter()
                .chain(&c.provider.outgoing)
                .filter_map(convert)
                .collect(),
        })
        .collect()
}

/// The provider whose mail domains include `domain`.
pub fn for_domain(domain: &str) -> Option<Provider> {
    let domain = domain.to_ascii_lowercase();
    all().into_iter().find(|p| p.domains.contains(&domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_file_parses_with_servers() {
        let all = all();
        assert_eq!(all.len(), FILES.len());
        for p in &all {
            assert!(!p.domains.is_empty(), "{}", p.id);
            assert!(
                p.servers.iter().any(|s| s.protocol == Protocol::Smtp),
                "{}",
                p.id
            );
            assert!(
                p.servers.iter().any(|s| s.protocol != Protocol::Smtp),
                "{}",
                p.id
            );
        }
    }

    #[test]
    fn known_providers_resolve() {
        let gmail = for_domain("gmail.com").unwrap_or_else(|| panic!("gmail"));
        let imap = gmail.servers.iter().find(|s| s.protocol == Protocol::Imap);
        assert_eq!(
            imap.map(|s| (s.host.as_str(), s.port, s.security)),
            Some(("imap.gmail.com", 993, Security::Tls))
        );
        let icloud = for_domain("icloud.com").unwrap_or_else(|| panic!("icloud"));
        let imap = icloud
            .servers
            .iter()
            .find(|s| s.protocol == Protocol::Imap)
            .unwrap_or_else(|| panic!("imap"));
        assert_eq!(imap.username_for("a@icloud.com", "a", "icloud.com"), "a");
        assert!(for_domain("outlook.com").is_some());
        assert!(for_domain("yahoo.co.jp").is_some());
        assert!(for_domain("i.softbank.jp").is_some());
        assert!(for_domain("example.jp").is_none());
    }
}
