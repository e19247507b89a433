//! From what the user typed to the list of servers to probe. Pure.

use crate::providers;
use maildoc_model::input::{self, Address, Normalization};
use maildoc_model::{Endpoint, Origin, ProbeDepth, Protocol, Security};

/// A server flag as typed: `HOST[:PORT][/ssl|/starttls|/plain]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSpec {
    pub host: String,
    pub port: Option<u16>,
    pub security: Option<Security>,
}

/// Parses `--imap` / `--pop3` / `--smtp` values. The host is kept as typed; it is checked
/// (and normalized) when the plan is made, so a host with `@` becomes a finding, not an error.
pub fn parse_server_spec(text: &str) -> Result<ServerSpec, String> {
    let folded: String = text.trim().chars().map(fold_delimiter).collect();
    let text = folded.as_str();
    let (rest, security) = match text.rsplit_once('/') {
        Some((rest, sec)) => match Security::parse(&input::normalize_text("security", sec).0) {
            Some(s) => (rest, Some(s)),
            None => {
                return Err(format!(
                    "`{sec}` is not a security setting: use /ssl, /starttls or /plain"
                ));
            }
        },
        None => (text, None),
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
    Ok(ServerSpec {
        host,
        port,
        security,
    })
}

fn parse_port(p: &str) -> Result<u16, String> {
    let folded: String = p.trim().chars().map(fold_digit).collect();
    match folded.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("`{p}` is not a port number (1-65535)")),
        Ok(n) => Ok(n),
    }
}

/// Full-width `：`, `／`, `［` and `］` typed on a Japanese keyboard: the spec's delimiters. The
/// host keeps its own full-width characters, so its normalization is still reported.
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

/// Fills in what the user left out: the security from the port, the port from the security.
pub fn complete(protocol: Protocol, spec: &ServerSpec) -> (u16, Security) {
    match (spec.port, spec.security) {
        (Some(p), Some(s)) => (p, s),
        (None, Some(s)) => (protocol.default_port(s), s),
        (Some(p), None) => {
            let s = if p == protocol.implicit_tls_port() {
                Security::Tls
            } else {
                Security::Starttls
            };
            (p, s)
        }
        (None, None) => (protocol.implicit_tls_port(), Security::Tls),
    }
}

/// One server to probe, with the user name it expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedServer {
    pub id: String,
    pub endpoint: Endpoint,
    pub origin: Origin,
    pub depth: ProbeDepth,
    pub username: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub address: Address,
    pub username: String,
    pub servers: Vec<PlannedServer>,
    /// `flags`, `provider` or `guess`.
    pub settings_source: String,
    pub provider: Option<String>,
    pub normalizations: Vec<Normalization>,
}

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub address: String,
    pub imap: Vec<String>,
    pub pop3: Vec<String>,
    pub smtp: Vec<String>,
    pub username: Option<String>,
}

/// A usage error: bad input that maildoc cannot even start from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanError(pub String);

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub fn make(settings: &Settings) -> Result<Plan, PlanError> {
    let (address, note) = input::parse_address(&settings.address)
        .map_err(|e| PlanError(format!("{e}: `{}`", settings.address)))?;
    let mut normalizations: Vec<Normalization> = note.into_iter().collect();
    let explicit_username = match &settings.username {
        Some(u) => {
            let (u, note) = input::normalize_text("username", u);
            normalizations.extend(note);
            if u.is_empty() {
                return Err(PlanError("the user name is empty".into()));
            }
            Some(u)
        }
        None => None,
    };
    let full = address.full();
    let default_username = explicit_username.clone().unwrap_or_else(|| full.clone());
    let mut servers = Vec::new();
    let flags = [
        (Protocol::Imap, &settings.imap),
        (Protocol::Pop3, &settings.pop3),
        (Protocol::Smtp, &settings.smtp),
    ];
    let any_flags = flags.iter().any(|(_, v)| !v.is_empty());
    let (settings_source, provider) = if any_flags {
        for (protocol, values) in flags {
            for value in values {
                let spec = parse_server_spec(value)
                    .map_err(|e| PlanError(format!("--{} {value}: {e}", protocol.as_str())))?;
                let (port, security) = complete(protocol, &spec);
                let host = match input::normalize_host(protocol.as_str(), &spec.host) {
                    Ok((h, note)) => {
                        normalizations.extend(note);
                        h
                    }
                    // Kept as typed: the probe reports it as a finding.
                    Err(_) => spec.host.trim().to_string(),
                };
                servers.push(PlannedServer {
                    id: String::new(),
                    endpoint: Endpoint::new(protocol, host, port, security),
                    origin: Origin::Flag,
                    depth: ProbeDepth::Full,
                    username: default_username.clone(),
                });
            }
        }
        ("flags".to_string(), None)
    } else if let Some(p) = providers::for_domain(&address.domain) {
        let incoming = p
            .servers
            .iter()
            .find(|s| s.protocol == Protocol::Imap)
            .or_else(|| p.servers.iter().find(|s| s.protocol == Protocol::Pop3));
        let outgoing = p.servers.iter().find(|s| s.protocol == Protocol::Smtp);
        for s in incoming.into_iter().chain(outgoing) {
            servers.push(PlannedServer {
                id: String::new(),
                endpoint: Endpoint::new(s.protocol, s.host.clone(), s.port, s.security),
                origin: Origin::Provider {
                    id: p.id.clone(),
                    name: p.name.clone(),
                },
                depth: ProbeDepth::Full,
                username: explicit_username
                    .clone()
                    .unwrap_or_else(|| s.username_for(&full, &address.local, &address.domain)),
            });
        }
        ("provider".to_string(), Some(p.name.clone()))
    } else {
        let d = &address.domain;
        let guesses = [
            (Protocol::Imap, format!("imap.{d}"), Security::Tls),
            (Protocol::Imap, format!("mail.{d}"), Security::Tls),
            (Protocol::Pop3, format!("pop.{d}"), Security::Tls),
            (Protocol::Smtp, format!("smtp.{d}"), Security::Starttls),
            (Protocol::Smtp, format!("mail.{d}"), Security::Starttls),
        ];
        for (protocol, host, security) in guesses {
            servers.push(PlannedServer {
                id: String::new(),
                endpoint: Endpoint::new(protocol, host, protocol.default_port(security), security),
                origin: Origin::Guess,
                depth: ProbeDepth::Full,
                username: default_username.clone(),
            });
        }
        ("guess".to_string(), None)
    };
    // Port 25 from a home connection is often blocked (OP25B): probe 587 and 465 of the
    // same host too, so a block can be told from a dead server.
    let companions: Vec<PlannedServer> = servers
        .iter()
        .filter(|s| s.endpoint.protocol == Protocol::Smtp && s.endpoint.port == 25)
        .flat_map(|s| {
            [(587, Security::Starttls), (465, Security::Tls)].map(|(port, security)| {
                PlannedServer {
                    id: String::new(),
                    endpoint: Endpoint::new(
                        Protocol::Smtp,
                        s.endpoint.host.clone(),
                        port,
                        security,
                    ),
                    origin: Origin::Companion,
                    depth: ProbeDepth::PortOnly,
                    username: s.username.clone(),
                }
            })
        })
        .collect();
    servers.extend(companions);
    assign_ids(&mut servers);
    Ok(Plan {
        address,
        username: default_username,
        servers,
        settings_source,
        provider,
        normalizations,
    })
}

/// `imap`, `imap-2`, ...; companions are named by their port: `smtp-587`.
fn assign_ids(servers: &mut [PlannedServer]) {
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for s in servers.iter_mut() {
        let base = if s.depth == ProbeDepth::PortOnly {
            format!("{}-{}", s.endpoint.protocol.as_str(), s.endpoint.port)
        } else {
            s.endpoint.protocol.as_str().to_string()
        };
        let n = counts.entry(base.clone()).or_insert(0);
        *n += 1;
        s.id = if *n == 1 { base } else { format!("{base}-{n}") };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(t: &str) -> ServerSpec {
        parse_server_spec(t).unwrap_or_else(|e| panic!("{t}: {e}"))
    }

    #[test]
    fn server_specs() {
        assert_eq!(
            spec("imap.example.jp"),
            ServerSpec {
                host: "imap.example.jp".into(),
                port: None,
                security: None
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
        assert!(parse_server_spec("mail.example.jp:99999").is_err());
        assert!(parse_server_spec("mail.example.jp/tls13").is_err());
        assert!(parse_server_spec(":993").is_err());
        // A mail address in the host field is kept for the probe to report.
        assert_eq!(spec("taro@example.jp:993").host, "taro@example.jp");
    }

    #[test]
    fn completion_follows_clients() {
        let s = |port, security| ServerSpec {
            host: "h".into(),
            port,
            security,
        };
        assert_eq!(
            complete(Protocol::Imap, &s(None, None)),
            (993, Security::Tls)
        );
        assert_eq!(
            complete(Protocol::Smtp, &s(None, Some(Security::Starttls))),
            (587, Security::Starttls)
        );
        assert_eq!(
            complete(Protocol::Pop3, &s(Some(995), None)),
            (995, Security::Tls)
        );
        assert_eq!(
            complete(Protocol::Pop3, &s(Some(110), None)),
            (110, Security::Starttls)
        );
    }

    #[test]
    fn port_25_gets_companions_and_ids_are_unique() {
        let plan = make(&Settings {
            address: "taro@example.jp".into(),
            smtp: vec!["smtp.example.jp:25/plain".into()],
            imap: vec!["imap.example.jp".into(), "mail.example.jp".into()],
            ..Settings::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<&str> = plan.servers.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["imap", "imap-2", "smtp", "smtp-587", "smtp-465"]);
        assert_eq!(plan.settings_source, "flags");
    }

    #[test]
    fn providers_and_guesses() {
        let plan = make(&Settings {
            address: "someone@icloud.com".into(),
            ..Settings::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.settings_source, "provider");
        let imap = &plan.servers[0];
        assert_eq!(imap.endpoint.host, "imap.mail.me.com");
        assert_eq!(imap.username, "someone");
        assert_eq!(plan.servers[1].username, "someone@icloud.com");
        let plan = make(&Settings {
            address: "info@日本語.jp".into(),
            ..Settings::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.settings_source, "guess");
        assert!(
            plan.servers
                .iter()
                .all(|s| s.endpoint.host.ends_with("xn--wgv71a119e.jp"))
        );
        assert_eq!(plan.normalizations.len(), 1);
        let plan = make(&Settings {
            address: "taro@example.jp".into(),
            imap: vec!["ｉｍａｐ．ｅｘａｍｐｌｅ．ｊｐ：９９３".into()],
            ..Settings::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.servers[0].endpoint.host, "imap.example.jp");
        assert_eq!(plan.servers[0].endpoint.port, 993);
        assert_eq!(plan.normalizations[0].field, "imap");
        assert_eq!(
            plan.normalizations[0].original,
            "ｉｍａｐ．ｅｘａｍｐｌｅ．ｊｐ"
        );
    }

    #[test]
    fn bad_addresses_are_plan_errors() {
        assert!(
            make(&Settings {
                address: "no-at-sign".into(),
                ..Settings::default()
            })
            .is_err()
        );
        assert!(
            make(&Settings {
                address: "a@b@c".into(),
                ..Settings::default()
            })
            .is_err()
        );
    }
}
