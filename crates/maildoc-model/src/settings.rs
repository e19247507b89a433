//! An account's settings as a mail app holds them: what the settings lint reads, what
//! discovery recommends and what a karte records. Host and user name are kept as typed.

use crate::endpoint::{Protocol, Security};
use crate::input;
use serde::{Deserialize, Serialize};

/// One server as set in a mail app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSetting {
    pub protocol: Protocol,
    /// Exactly as typed (the lint looks at stray spaces, `@`, full-width characters).
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<Security>,
    /// The user name of this server, when it has one of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// SMTP only: whether the app authenticates ("outgoing server requires authentication").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<bool>,
}

/// The settings of one account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSettings {
    pub address: String,
    /// The user name of every server that has none of its own (none: the one the settings
    /// source documents, else the address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    pub servers: Vec<ServerSetting>,
}

/// A server's text that is not `HOST[:PORT][/ssl|/starttls|/plain]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingError {
    pub protocol: Protocol,
    /// The text as given.
    pub value: String,
    /// Why it is not a setting.
    pub detail: String,
}

impl std::fmt::Display for SettingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--{} {}: {}",
            self.protocol.as_str(),
            self.value,
            self.detail
        )
    }
}

impl std::error::Error for SettingError {}

impl AccountSettings {
    /// The settings of `address` as every door takes them (the CLI's flags, the web form's
    /// fields): the account's user name, each server's text
    /// (`HOST[:PORT][/ssl|/starttls|/plain]`, host exactly as typed) in the order given, and
    /// for SMTP whether the app authenticates (`smtp_auth`).
    pub fn from_texts(
        address: &str,
        username: Option<String>,
        servers: &[(Protocol, &str)],
        smtp_auth: bool,
    ) -> Result<AccountSettings, SettingError> {
        let mut parsed = Vec::new();
        for &(protocol, value) in servers {
            let mut server =
                ServerSetting::parse(protocol, value).map_err(|detail| SettingError {
                    protocol,
                    value: value.to_string(),
                    detail,
                })?;
            server.auth = (protocol == Protocol::Smtp).then_some(smtp_auth);
            parsed.push(server);
        }
        Ok(AccountSettings {
            address: address.to_string(),
            username,
            servers: parsed,
        })
    }

    /// The user name typed for `server`: its own, else the account's.
    pub fn username_for<'a>(&'a self, server: &'a ServerSetting) -> Option<&'a str> {
        server.username.as_deref().or(self.username.as_deref())
    }
}

impl ServerSetting {
    /// A server flag, `HOST[:PORT][/ssl|/starttls|/plain]`, as `protocol`'s setting. The host
    /// is kept exactly as typed, spaces at the ends of the value included: it is judged (and
    /// normalized) later, so a host with `@` becomes a finding, not an error. Full-width
    /// delimiters and digits typed on a Japanese keyboard are read as their ASCII forms.
    pub fn parse(protocol: Protocol, text: &str) -> Result<ServerSetting, String> {
        let folded: String = text.trim().chars().map(fold_delimiter).collect();
        let value = folded.as_str();
        let (rest, security) = match value.rsplit_once('/') {
            Some((rest, sec)) => match Security::parse(&input::normalize_text("security", sec).0) {
                Some(s) => (rest, Some(s)),
                None => {
                    return Err(format!(
                        "`{sec}` is not a security setting: use /ssl, /starttls or /plain"
                    ));
                }
            },
            None => (value, None),
        };
        let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
            // [IPv6]:port
            match inner.split_once(']') {
                Some((ip, tail)) => {
                    let port = match tail.strip_prefix(':') {
                        Some(p) => Some(parse_port(p)?),
                        None if tail.is_empty() => None,
                        None => return Err(format!("unexpected `{tail}` after the address")),
                    };
                    (ip.to_string(), port)
                }
                None => return Err("a `[` without its `]`".into()),
            }
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') => (h.to_string(), Some(parse_port(p)?)),
                _ => (rest.to_string(), None),
            }
        };
        if host.trim().is_empty() {
            return Err("the host name is missing".into());
        }
        // The spaces around the whole value belong to the host: the leading ones always, the
        // trailing ones when nothing follows it.
        let lead = &text[..text.len() - text.trim_start().len()];
        let trail = if port.is_none() && security.is_none() {
            &text[text.trim_end().len()..]
        } else {
            ""
        };
        Ok(ServerSetting {
            protocol,
            host: format!("{lead}{host}{trail}"),
            port,
            security,
            username: None,
            auth: None,
        })
    }

    /// The host without the spaces around the value it was typed in: the leading ones, and
    /// the trailing ones when no port or security follows. Spaces before a port stay, for the
    /// host's normalization to report.
    pub fn trimmed_host(&self) -> &str {
        let host = self.host.trim_start();
        if self.port.is_none() && self.security.is_none() {
            host.trim_end()
        } else {
            host
        }
    }

    /// Port and security as mail apps fill in what was left out: the security from the port,
    /// the port from the security.
    pub fn completed(&self) -> (u16, Security) {
        let protocol = self.protocol;
        match (self.port, self.security) {
            (Some(p), Some(s)) => (p, s),
            (None, Some(s)) => (protocol.default_port(s), s),
            (Some(p), None) if p == protocol.implicit_tls_port() => (p, Security::Tls),
            (Some(p), None) => (p, Security::Starttls),
            (None, None) => (protocol.implicit_tls_port(), Security::Tls),
        }
    }
}

fn parse_port(p: &str) -> Result<u16, String> {
    let folded: String = p.trim().chars().map(fold_digit).collect();
    match folded.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("`{p}` is not a port number (1-65535)")),
        Ok(n) => Ok(n),
    }
}

/// Full-width `：`, `／`, `［` and `］` typed on a Japanese keyboard: the value's delimiters.
/// The host keeps its own full-width characters, so its normalization is still reported.
fn fold_delimiter(c: char) -> char {
    match c {
        '：' => ':',
        '／' => '/',
        '［' => '[',
        '］' => ']',
        other => other,
    }
}

/// Full-width digits (０-９) typed on a Japanese keyboard.
fn fold_digit(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(protocol: Protocol, t: &str) -> ServerSetting {
        ServerSetting::parse(protocol, t).unwrap_or_else(|e| panic!("{t}: {e}"))
    }

    fn spec(t: &str) -> ServerSetting {
        parsed(Protocol::Imap, t)
    }

    #[test]
    fn server_flags() {
        assert_eq!(
            spec("imap.example.jp"),
            ServerSetting {
                protocol: Protocol::Imap,
                host: "imap.example.jp".into(),
                port: None,
                security: None,
                username: None,
                auth: None,
            }
        );
        assert_eq!(spec("imap.example.jp:143/starttls").port, Some(143));
        assert_eq!(
            spec("imap.example.jp:143/starttls").security,
            Some(Security::Starttls)
        );
        assert_eq!(spec("smtp.example.jp/ssl").security, Some(Security::Tls));
        assert_eq!(spec("[::1]:993/ssl").host, "::1");
        assert_eq!(spec("mail.example.jp:９９３").port, Some(993));
        // Full width throughout: delimiters and security fold, the host is kept as typed.
        let wide = spec("ｍａｉｌ．ｅｘａｍｐｌｅ．ｊｐ：９９３／ＳＳＬ");
        assert_eq!(wide.host, "ｍａｉｌ．ｅｘａｍｐｌｅ．ｊｐ");
        assert_eq!(wide.port, Some(993));
        assert_eq!(wide.security, Some(Security::Tls));
        let bad = |t: &str| ServerSetting::parse(Protocol::Imap, t).err();
        assert_eq!(
            bad("mail.example.jp:99999").as_deref(),
            Some("`99999` is not a port number (1-65535)")
        );
        assert_eq!(
            bad("mail.example.jp/tls13").as_deref(),
            Some("`tls13` is not a security setting: use /ssl, /starttls or /plain")
        );
        assert_eq!(bad(":993").as_deref(), Some("the host name is missing"));
        // A mail address in the host field is kept for the probe to report.
        assert_eq!(spec("taro@example.jp:993").host, "taro@example.jp");
    }

    #[test]
    fn hosts_keep_their_spaces() {
        let hosts = [
            (" imap.example.jp ", " imap.example.jp ", "imap.example.jp"),
            (
                "pop.example.jp :995/ssl",
                "pop.example.jp ",
                "pop.example.jp ",
            ),
            (
                "smtp.example.jp:587/starttls ",
                "smtp.example.jp",
                "smtp.example.jp",
            ),
            (
                " smtp.example.jp:587",
                " smtp.example.jp",
                "smtp.example.jp",
            ),
        ];
        for (typed, host, trimmed) in hosts {
            let s = spec(typed);
            assert_eq!(s.host, host, "{typed:?}");
            assert_eq!(s.trimmed_host(), trimmed, "{typed:?}");
        }
    }

    #[test]
    fn completion_follows_clients() {
        let s = |protocol, port, security| ServerSetting {
            protocol,
            host: "h".into(),
            port,
            security,
            username: None,
            auth: None,
        };
        assert_eq!(
            s(Protocol::Imap, None, None).completed(),
            (993, Security::Tls)
        );
        assert_eq!(
            s(Protocol::Smtp, None, Some(Security::Starttls)).completed(),
            (587, Security::Starttls)
        );
        assert_eq!(
            s(Protocol::Pop3, Some(995), None).completed(),
            (995, Security::Tls)
        );
        assert_eq!(
            s(Protocol::Pop3, Some(110), None).completed(),
            (110, Security::Starttls)
        );
    }
}
