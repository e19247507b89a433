//! From what the user typed (and what discovery found) to the list of servers to probe. Pure.

use crate::Error;
use crate::discover::{self, CandidateStatus, Discovery, Recommendation, SourceKind};
use maildoc_model::input::{self, Address, Normalization};
use maildoc_model::settings::AccountSettings;
use maildoc_model::{
    Endpoint, Origin, ProbeDepth, Protocol, Security, ServerEvidence, SettingsSource,
};

/// One server to probe, with the user name it expects.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedServer {
    pub id: String,
    pub endpoint: Endpoint,
    pub origin: Origin,
    pub depth: ProbeDepth,
    pub username: String,
    /// What discovery's probe already saw of a guessed server that did not answer: it is
    /// reported as it is, not probed again.
    pub known: Option<Box<ServerEvidence>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub address: Address,
    pub username: String,
    pub servers: Vec<PlannedServer>,
    /// The flags, or where discovery found the settings.
    pub settings_source: SettingsSource,
    pub provider: Option<String>,
    pub normalizations: Vec<Normalization>,
    /// No server flags, and maildoc's tables do not know the settings: the servers here are
    /// the first guesses, and discovery should ask the network ([`from_discovery`]).
    pub discover: bool,
    /// The discovery the servers come from (none when they come from flags).
    pub found: Option<Box<Discovery>>,
}

/// The address and user name as understood.
pub(crate) struct Input {
    pub(crate) address: Address,
    normalizations: Vec<Normalization>,
    explicit_username: Option<String>,
}

pub(crate) fn input(address: &str, username: Option<&str>) -> Result<Input, Error> {
    let (address, note) = input::parse_address(address).map_err(|error| Error::Address {
        typed: address.to_string(),
        error,
    })?;
    let mut normalizations: Vec<Normalization> = note.into_iter().collect();
    let explicit_username = match username {
        Some(u) => {
            crate::error::check_username(u)?;
            let (u, note) = input::normalize_text("username", u);
            normalizations.extend(note);
            Some(u)
        }
        None => None,
    };
    Ok(Input {
        address,
        normalizations,
        explicit_username,
    })
}

/// The plan from the settings as typed: each server logs in with its own user name, else the
/// account's, else the address. Without servers the settings come from maildoc's tables (no
/// network); when they do not know them, the plan holds the first guesses and `discover` is
/// set.
pub fn make(settings: &AccountSettings) -> Result<Plan, Error> {
    let mut input = input(&settings.address, settings.username.as_deref())?;
    if settings.servers.is_empty() {
        let found = discover::tables(&input.address, Vec::new());
        let mut plan = build(input, &found);
        plan.discover = !found.settled_by_tables();
        return Ok(plan);
    }
    let full = input.address.full();
    let default_username = input.explicit_username.clone().unwrap_or(full);
    let mut servers = Vec::new();
    for setting in &settings.servers {
        let protocol = setting.protocol;
        let (port, security) = setting.completed();
        let typed = setting.trimmed_host();
        let host = match input::normalize_host(protocol.as_str(), typed) {
            Ok((h, note)) => {
                input.normalizations.extend(note);
                h
            }
            // Kept as typed: the probe reports it as a finding.
            Err(_) => typed.trim().to_string(),
        };
        let username = match &setting.username {
            Some(own) => {
                crate::error::check_username(own)?;
                input::normalize_text("username", own).0
            }
            None => default_username.clone(),
        };
        servers.push(PlannedServer {
            id: String::new(),
            endpoint: Endpoint::new(protocol, host, port, security),
            origin: Origin::Flag,
            depth: ProbeDepth::Full,
            username,
            known: None,
        });
    }
    Ok(finish(
        input.address,
        default_username,
        servers,
        SettingsSource::Flags,
        None,
        input.normalizations,
    ))
}

/// The plan of a check without server flags, from what discovery found: the recommended
/// incoming and outgoing servers. Where discovery recommends nothing, the guessed server of
/// each protocol that got furthest is kept: its evidence as it is when it did not answer at
/// all, probed again when it answered (a certificate that does not verify, no STARTTLS) or
/// when discovery ran out of time before it could.
pub fn from_discovery(settings: &AccountSettings, found: &Discovery) -> Result<Plan, Error> {
    Ok(build(
        input(&settings.address, settings.username.as_deref())?,
        found,
    ))
}

fn build(input: Input, found: &Discovery) -> Plan {
    let full = input.address.full();
    let username_for = |server: &discover::Server| {
        input
            .explicit_username
            .clone()
            .or_else(|| server.username.clone())
            .unwrap_or_else(|| full.clone())
    };
    let mut servers = Vec::new();
    let roles: [(Option<&Recommendation>, &[Protocol]); 2] = [
        (found.incoming.as_ref(), &[Protocol::Imap, Protocol::Pop3]),
        (found.outgoing.as_ref(), &[Protocol::Smtp]),
    ];
    for (recommended, protocols) in roles {
        if let Some(r) = recommended {
            servers.push(PlannedServer {
                id: String::new(),
                endpoint: r.server.endpoint(),
                origin: origin(r.source, &r.from, found),
                depth: ProbeDepth::Full,
                username: username_for(&r.server),
                known: None,
            });
            continue;
        }
        for protocol in protocols {
            servers.push(fallback(*protocol, found, &input.address, &username_for));
        }
    }
    let provider = found.provider.as_ref().map(|p| p.name.clone());
    let not_for_apps = found.provider.as_ref().is_some_and(|p| p.not_for_mail_apps);
    let settings_source = if found.incoming.is_some() || found.outgoing.is_some() {
        found.settings_source()
    } else if not_for_apps {
        SettingsSource::Provider
    } else {
        SettingsSource::Guess
    };
    let default_username = input.explicit_username.clone().unwrap_or(full);
    let mut plan = finish(
        input.address,
        default_username,
        servers,
        settings_source,
        provider,
        input.normalizations,
    );
    plan.found = Some(Box::new(found.clone()));
    plan
}

fn origin(source: SourceKind, from: &str, found: &Discovery) -> Origin {
    match source {
        SourceKind::Provider | SourceKind::Mx => match &found.provider {
            Some(p) => Origin::Provider {
                id: p.id.clone(),
                name: p.name.clone(),
            },
            None => Origin::Guess,
        },
        SourceKind::Autoconfig => Origin::Autoconfig {
            url: from.to_string(),
        },
        SourceKind::Srv => Origin::Srv {
            name: from.to_string(),
        },
        SourceKind::Guess => Origin::Guess,
    }
}

/// The guessed server of a protocol that got furthest; the first guess when none was probed.
fn fallback(
    protocol: Protocol,
    found: &Discovery,
    address: &Address,
    username_for: &dyn Fn(&discover::Server) -> String,
) -> PlannedServer {
    let furthest = found
        .candidates
        .iter()
        .filter(|c| c.source == SourceKind::Guess && c.server.protocol == protocol)
        .enumerate()
        .max_by_key(|(i, c)| (progress(c.status), std::cmp::Reverse(*i)))
        .map(|(_, c)| c);
    let Some(c) = furthest else {
        let (_, host, port, security) = discover::guesses(&address.domain)
            .into_iter()
            .find(|g| g.0 == protocol)
            .unwrap_or((protocol, address.domain.clone(), 0, Security::Tls));
        let port = if port == 0 {
            protocol.implicit_tls_port()
        } else {
            port
        };
        let server = discover::Server {
            protocol,
            host,
            port,
            security,
            username: Some(address.full()),
            username_rule: maildoc_model::provider::UsernameRule::Address,
            authentication: None,
            grade: None,
            username_grade: None,
        };
        return PlannedServer {
            id: String::new(),
            endpoint: server.endpoint(),
            origin: Origin::Guess,
            depth: ProbeDepth::Full,
            username: username_for(&server),
            known: None,
        };
    };
    // It answered, or discovery's part of the run ended before it could: the check's own
    // probe has more to say.
    let answered = matches!(
        c.status,
        CandidateStatus::CertificateNotTrusted
            | CandidateStatus::NoEncryption
            | CandidateStatus::Deadline
    );
    PlannedServer {
        id: String::new(),
        endpoint: c.server.endpoint(),
        origin: Origin::Guess,
        depth: ProbeDepth::Full,
        username: username_for(&c.server),
        known: if answered {
            None
        } else {
            c.evidence.clone().map(Box::new)
        },
    }
}

/// How far a probe of a guessed server got: the one that got furthest explains most.
fn progress(status: CandidateStatus) -> u8 {
    match status {
        CandidateStatus::Answered | CandidateStatus::Published => 9,
        CandidateStatus::CertificateNotTrusted | CandidateStatus::NoEncryption => 8,
        CandidateStatus::OtherProtocol | CandidateStatus::GreetingRefused => 7,
        CandidateStatus::NoGreeting | CandidateStatus::TlsFailed => 6,
        CandidateStatus::Deadline => 5,
        CandidateStatus::ConnectFailed => 4,
        CandidateStatus::DnsTimeout | CandidateStatus::DnsFailed => 3,
        CandidateStatus::Nodata => 2,
        CandidateStatus::Nxdomain => 1,
        CandidateStatus::NotProbed | CandidateStatus::NotNeeded => 0,
    }
}

/// Adds the port-25 companions and the ids.
fn finish(
    address: Address,
    username: String,
    mut servers: Vec<PlannedServer>,
    settings_source: SettingsSource,
    provider: Option<String>,
    normalizations: Vec<Normalization>,
) -> Plan {
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
                    known: None,
                }
            })
        })
        .collect();
    servers.extend(companions);
    assign_ids(&mut servers);
    Plan {
        address,
        username,
        servers,
        settings_source,
        provider,
        normalizations,
        discover: false,
        found: None,
    }
}

/// The standard ports of a protocol, each with its encryption.
fn standard_ports(protocol: Protocol) -> &'static [(u16, Security)] {
    match protocol {
        Protocol::Imap => &[(993, Security::Tls), (143, Security::Starttls)],
        Protocol::Pop3 => &[(995, Security::Tls), (110, Security::Starttls)],
        Protocol::Smtp => &[
            (465, Security::Tls),
            (587, Security::Starttls),
            (25, Security::Starttls),
        ],
    }
}

/// Whether a server's conversation failed where another port could have gone on: its host
/// was found, but connecting, TLS, the greeting or STARTTLS failed.
fn failed_at_the_door(ev: &ServerEvidence) -> bool {
    use maildoc_model::{
        ConnectOutcome, GreetingOutcome, ResolveOutcome, StarttlsOutcome, StepKind, TlsHandshake,
    };
    let resolved = ev.steps.iter().any(|s| {
        matches!(&s.kind, StepKind::Resolve { outcome, .. } if *outcome == ResolveOutcome::Found)
    });
    let connected = ev.steps.iter().any(|s| {
        matches!(&s.kind, StepKind::Connect { outcome, .. } if *outcome == ConnectOutcome::Connected)
    });
    let stopped = ev.steps.iter().any(|s| match &s.kind {
        StepKind::Tls(tls) => tls.handshake == TlsHandshake::Failed,
        StepKind::Greeting { outcome, .. } => *outcome != GreetingOutcome::Ready,
        StepKind::Starttls { outcome, .. } => *outcome != StarttlsOutcome::Accepted,
        _ => false,
    });
    resolved && (!connected || stopped)
}

/// The servers to try for a configured server that failed at the door
/// ([`failed_at_the_door`]): the other standard ports of its protocol on the same host, each
/// probed without a password (`ProbeDepth::Transport`), as a mail app's connection doctor
/// tries them. None that the plan already probes (a port-25 companion, a configured server).
pub fn alternatives(failed: &ServerEvidence, planned: &[PlannedServer]) -> Vec<PlannedServer> {
    let judged = failed.depth == ProbeDepth::Full
        && matches!(
            failed.origin,
            Origin::Flag
                | Origin::Provider { .. }
                | Origin::Autoconfig { .. }
                | Origin::Srv { .. }
                | Origin::Guess
        );
    if !judged || !failed_at_the_door(failed) {
        return Vec::new();
    }
    let endpoint = &failed.endpoint;
    let mut taken: Vec<String> = planned.iter().map(|s| s.id.clone()).collect();
    let Some(username) = planned
        .iter()
        .find(|s| s.id == failed.id)
        .map(|s| s.username.clone())
    else {
        return Vec::new();
    };
    standard_ports(endpoint.protocol)
        .iter()
        .filter(|(port, _)| {
            *port != endpoint.port
                && !planned.iter().any(|s| {
                    s.endpoint.host.eq_ignore_ascii_case(&endpoint.host) && s.endpoint.port == *port
                })
        })
        .map(|&(port, security)| {
            let base = format!("{}-{port}", endpoint.protocol.as_str());
            let mut id = base.clone();
            let mut n = 1;
            while taken.contains(&id) {
                n += 1;
                id = format!("{base}-{n}");
            }
            taken.push(id.clone());
            PlannedServer {
                id,
                endpoint: Endpoint::new(endpoint.protocol, endpoint.host.clone(), port, security),
                origin: Origin::Alternative {
                    of: failed.id.clone(),
                },
                depth: ProbeDepth::Transport,
                username: username.clone(),
                known: None,
            }
        })
        .collect()
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
        if let Some(ev) = &mut s.known {
            ev.id = s.id.clone();
            for (i, step) in ev.steps.iter_mut().enumerate() {
                step.id = format!("{}.{}", s.id, i + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maildoc_model::settings::ServerSetting;

    fn flags(address: &str, flags: &[(Protocol, &str)]) -> AccountSettings {
        AccountSettings {
            address: address.into(),
            username: None,
            servers: flags
                .iter()
                .map(|(p, t)| ServerSetting::parse(*p, t).unwrap_or_else(|e| panic!("{t}: {e}")))
                .collect(),
        }
    }

    #[test]
    fn port_25_gets_companions_and_ids_are_unique() {
        let plan = make(&flags(
            "taro@example.jp",
            &[
                (Protocol::Imap, "imap.example.jp"),
                (Protocol::Imap, "mail.example.jp"),
                (Protocol::Smtp, "smtp.example.jp:25/plain"),
            ],
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<&str> = plan.servers.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["imap", "imap-2", "smtp", "smtp-587", "smtp-465"]);
        assert_eq!(plan.settings_source, SettingsSource::Flags);
    }

    #[test]
    fn a_server_that_failed_at_the_door_gets_its_other_standard_ports() {
        use maildoc_model::{ConnectOutcome, ResolveOutcome, StepKind};
        let plan = make(&flags(
            "taro@example.jp",
            &[(Protocol::Smtp, "smtp.example.jp:465/ssl")],
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let mut ev = ServerEvidence::new(
            "smtp",
            plan.servers[0].endpoint.clone(),
            Origin::Flag,
            ProbeDepth::Full,
        );
        ev.push(
            0,
            1,
            StepKind::Resolve {
                host: "smtp.example.jp".into(),
                outcome: ResolveOutcome::Found,
                addresses: vec![std::net::IpAddr::from([192, 0, 2, 1])],
                detail: String::new(),
            },
        );
        let refused = StepKind::Connect {
            address: std::net::SocketAddr::from(([192, 0, 2, 1], 465)),
            outcome: ConnectOutcome::Refused,
            detail: String::new(),
        };
        ev.push(1, 1, refused);
        let alternatives = alternatives(&ev, &plan.servers);
        let tried: Vec<(&str, u16)> = alternatives
            .iter()
            .map(|s| (s.id.as_str(), s.endpoint.port))
            .collect();
        assert_eq!(tried, [("smtp-587", 587), ("smtp-25", 25)]);
        assert_eq!(alternatives[0].depth, ProbeDepth::Transport);
        assert_eq!(
            alternatives[0].origin,
            Origin::Alternative { of: "smtp".into() }
        );
        // A host that was not found has no other port worth trying.
        let mut unknown = ServerEvidence::new(
            "smtp",
            plan.servers[0].endpoint.clone(),
            Origin::Flag,
            ProbeDepth::Full,
        );
        unknown.push(
            0,
            1,
            StepKind::Resolve {
                host: "smtp.example.jp".into(),
                outcome: ResolveOutcome::NotFound,
                addresses: Vec::new(),
                detail: String::new(),
            },
        );
        assert!(super::alternatives(&unknown, &plan.servers).is_empty());
        // A port the plan probes already is not tried again (port 25's companions).
        let with_25 = make(&flags(
            "taro@example.jp",
            &[
                (Protocol::Smtp, "smtp.example.jp:465/ssl"),
                (Protocol::Smtp, "smtp.example.jp:25/plain"),
            ],
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(super::alternatives(&ev, &with_25.servers).is_empty());
    }

    #[test]
    fn each_server_logs_in_with_its_own_user_name_else_the_accounts() {
        let mut settings = flags(
            "taro@example.jp",
            &[
                (Protocol::Imap, "imap.example.jp"),
                (Protocol::Smtp, "smtp.example.jp"),
            ],
        );
        settings.servers[1].username = Some(" smtp-user\u{200b}".into());
        let plan = make(&settings).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.servers[0].username, "taro@example.jp");
        assert_eq!(plan.servers[1].username, "smtp-user");
        settings.username = Some("acct".into());
        let plan = make(&settings).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.username, "acct");
        assert_eq!(plan.servers[0].username, "acct");
        assert_eq!(plan.servers[1].username, "smtp-user");
        settings.servers[1].username = Some("u".repeat(300));
        assert_eq!(
            make(&settings).err(),
            Some(Error::UsernameTooLong { length: 300 })
        );
        settings.username = Some("\u{200b}".into());
        assert_eq!(make(&settings).err(), Some(Error::UsernameEmpty));
    }

    #[test]
    fn providers_and_guesses() {
        let plan = make(&flags("someone@icloud.com", &[])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.settings_source, SettingsSource::Provider);
        let imap = &plan.servers[0];
        assert_eq!(imap.endpoint.host, "imap.mail.me.com");
        assert_eq!(imap.username, "someone");
        assert_eq!(plan.servers[1].username, "someone@icloud.com");
        let plan = make(&flags("info@日本語.jp", &[])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.settings_source, SettingsSource::Guess);
        assert!(
            plan.servers
                .iter()
                .all(|s| s.endpoint.host.ends_with("xn--wgv71a119e.jp"))
        );
        assert_eq!(plan.normalizations.len(), 1);
        let plan = make(&flags(
            "taro@example.jp",
            &[(Protocol::Imap, "ｉｍａｐ．ｅｘａｍｐｌｅ．ｊｐ：９９３")],
        ))
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
    fn discovered_settings_become_the_plan() {
        let settings = flags("taro@example.jp", &[]);
        let offline = make(&settings).unwrap_or_else(|e| panic!("{e}"));
        assert!(offline.discover, "the tables do not know example.jp");
        let json = r#"{
          "schema_version": 1, "maildoc_version": "0", "address": "taro@example.jp",
          "domain": "example.jp", "elapsed_ms": 10, "timeout_ms": 7500,
          "incoming": {"protocol": "imap", "host": "imap.example.jp", "port": 993,
            "security": "tls", "username": "taro", "username_rule": {"kind": "local-part"},
            "source": "autoconfig", "from": "https://autoconfig.example.jp/mail/config-v1.1.xml",
            "candidate": 0},
          "sources": [],
          "candidates": [
            {"protocol": "smtp", "host": "smtp.example.jp", "port": 465, "security": "tls",
             "username_rule": {"kind": "address"}, "source": "guess", "from": "smtp.example.jp",
             "status": "nxdomain",
             "evidence": {"id": "guess-15", "role": "outgoing",
               "endpoint": {"protocol": "smtp", "host": "smtp.example.jp", "port": 465, "security": "tls"},
               "origin": {"kind": "guess"}, "depth": "full", "transcript": [],
               "steps": [{"id": "guess-15.1", "at_ms": 3, "elapsed_ms": 2, "step": "resolve",
                 "host": "smtp.example.jp", "outcome": "not-found", "addresses": [], "detail": "NXDOMAIN"}]}},
            {"protocol": "smtp", "host": "mail.example.jp", "port": 465, "security": "tls",
             "username_rule": {"kind": "address"}, "source": "guess", "from": "mail.example.jp",
             "status": "certificate-not-trusted"}
          ]
        }"#;
        let found: Discovery = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"));
        let plan = from_discovery(&settings, &found).unwrap_or_else(|e| panic!("{e}"));
        assert!(!plan.discover);
        assert_eq!(plan.settings_source, SettingsSource::Autoconfig);
        let imap = &plan.servers[0];
        assert_eq!(imap.endpoint.host, "imap.example.jp");
        assert_eq!(imap.username, "taro");
        assert_eq!(
            imap.origin,
            Origin::Autoconfig {
                url: "https://autoconfig.example.jp/mail/config-v1.1.xml".into()
            }
        );
        // No SMTP was found: the guess that got furthest (it answered, with a certificate
        // that does not verify) is probed again by the check.
        let smtp = &plan.servers[1];
        assert_eq!(smtp.endpoint.host, "mail.example.jp");
        assert!(smtp.known.is_none());

        // Only a guess that did not answer: its evidence stands, under the plan's id.
        let mut found = found;
        found.candidates.truncate(1);
        let plan = from_discovery(&settings, &found).unwrap_or_else(|e| panic!("{e}"));
        let smtp = &plan.servers[1];
        assert_eq!(smtp.id, "smtp");
        let known = smtp
            .known
            .as_ref()
            .unwrap_or_else(|| panic!("known evidence"));
        assert_eq!(known.id, "smtp");
        assert_eq!(known.steps[0].id, "smtp.1");

        // An explicit user name wins over the discovered one.
        let plan = from_discovery(
            &AccountSettings {
                username: Some("t.yamada".into()),
                ..settings.clone()
            },
            &found,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.servers[0].username, "t.yamada");
    }

    #[test]
    fn bad_addresses_are_plan_errors() {
        assert!(make(&flags("no-at-sign", &[])).is_err());
        assert!(make(&flags("a@b@c", &[])).is_err());
    }
}
