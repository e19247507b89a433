//! `karte check`: the servers a karte records are checked as `check` checks its flags (linted
//! as typed, probed under one deadline), the check goes into the karte's history, the password
//! is removed from any text field of the karte it was typed into, and the risks of the karte's
//! devices and settings join the findings.
//!
//! `karte new`: a new karte starts from a [`KarteDraft`], the servers given by hand or found
//! by discovery, and takes what the person gives besides ([`KarteGiven`]).

use crate::discover::{Recommendation, SourceKind};
use crate::{CheckOptions, Discovery, Env, Error, Event};
use maildoc_karte::Source;
use maildoc_model::provider::ProviderSource;
use maildoc_model::settings::{AccountSettings, ServerSetting};
use maildoc_model::{Finding, Protocol, Report};
use maildoc_probe::context::Password;
use std::time::Duration;

pub use maildoc_diagnose::karte::risks;
/// The karte file, for the doors that read, edit and write one.
pub use maildoc_karte::{
    Device, ErrorKind, Expected, IncomingServer, Karte, LoadError, OutgoingServer, load,
    now_rfc3339, parse, parse_device, parse_source, redact, save, to_toml,
};

/// What a karte check needs besides the karte.
#[derive(Clone, Debug)]
pub struct KarteCheckOptions {
    pub password: Option<Password>,
    /// Log in (a password was given and `--no-login` was not).
    pub login: bool,
    pub allow_plaintext_login: bool,
    /// The whole run's deadline.
    pub timeout: Duration,
}

/// A finished karte check.
#[derive(Clone, Debug)]
pub struct KarteChecked {
    /// The check, with the karte's risks among the findings.
    pub report: Report,
    /// The karte's text fields the password was removed from (`notes`, `devices[0].name`, ...).
    pub redacted: Vec<String>,
}

/// The check's settings from a karte: every incoming server and the outgoing one as
/// recorded, IMAP first, then POP3, then SMTP (as `check` takes its flags). The check logs in
/// with one user name ([`username_of`]) on every server.
pub fn settings_of(karte: &Karte) -> AccountSettings {
    let mut settings = maildoc_karte::to_account_settings(karte);
    settings.servers.sort_by_key(|s| s.protocol);
    for server in &mut settings.servers {
        server.username = None;
    }
    settings.username = username_of(karte);
    settings
}

/// The one user name the check logs in with: the first incoming server's, else the outgoing
/// server's.
pub fn username_of(karte: &Karte) -> Option<String> {
    karte
        .incoming
        .iter()
        .find_map(|s| s.username.clone())
        .or_else(|| karte.outgoing.as_ref().and_then(|o| o.username.clone()))
}

/// Checks the servers of `karte` and records the check in its history (the caller saves the
/// karte). Remote failures are evidence in the report; only input that cannot be used is an
/// error.
pub async fn check(
    env: &Env,
    karte: &mut Karte,
    opts: KarteCheckOptions,
    progress: impl FnMut(Event),
) -> Result<KarteChecked, Error> {
    let secret = opts.password.as_ref().map(|p| p.expose().to_string());
    let check = CheckOptions {
        settings: settings_of(karte),
        password: opts.password,
        login: opts.login,
        smtp_auth: karte.outgoing.as_ref().and_then(|o| o.auth) != Some(false),
        allow_plaintext_login: opts.allow_plaintext_login,
        timeout: opts.timeout,
    };
    let mut report = crate::check(env, check, progress).await?;
    // The history records the check (lint and servers); the risks follow from the file.
    maildoc_karte::append_history(karte, maildoc_karte::entry_from_report(&report));
    let redacted = secret
        .map(|s| maildoc_karte::redact(karte, &s))
        .unwrap_or_default();
    let risks: Vec<Finding> = risks(karte);
    report.findings.extend(risks);
    Ok(KarteChecked { report, redacted })
}

/// What a new karte starts from: its servers, the provider and where the settings came from,
/// given by hand ([`KarteDraft::from_servers`]) or found by discovery
/// ([`KarteDraft::from_discovery`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KarteDraft {
    pub incoming: Vec<IncomingServer>,
    pub outgoing: Option<OutgoingServer>,
    pub provider: Option<String>,
    pub sources: Vec<Source>,
}

/// What the person gives a new karte besides its servers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KarteGiven {
    pub display_name: Option<String>,
    /// The provider's name; none: the draft's.
    pub provider: Option<String>,
    pub changed_by: Option<String>,
    /// The POP3 servers leave the mail on the server this many days (none or 0: as drafted).
    pub leave_on_server_days: Option<u32>,
    /// Whether the outgoing server authenticates; none: the draft's, else it does.
    pub smtp_auth: Option<bool>,
    pub devices: Vec<Device>,
    /// Where the settings came from, after the draft's (each source once).
    pub sources: Vec<Source>,
}

impl KarteDraft {
    /// The servers given by hand: the IMAP and POP3 servers in order, and the first SMTP
    /// server, each with its port and security completed, all with `username`.
    pub fn from_servers(servers: &[ServerSetting], username: Option<&str>) -> KarteDraft {
        let mut incoming = Vec::new();
        let mut outgoing = None;
        for s in servers {
            let (port, security) = s.completed();
            let host = s.trimmed_host().to_string();
            let username = username.map(str::to_string);
            match s.protocol {
                Protocol::Imap | Protocol::Pop3 => incoming.push(IncomingServer {
                    protocol: s.protocol,
                    host,
                    port: Some(port),
                    security: Some(security),
                    username,
                    leave_on_server: None,
                    leave_on_server_days: None,
                }),
                Protocol::Smtp if outgoing.is_none() => {
                    outgoing = Some(OutgoingServer {
                        host,
                        port: Some(port),
                        security: Some(security),
                        username,
                        auth: None,
                    });
                }
                Protocol::Smtp => {}
            }
        }
        KarteDraft {
            incoming,
            outgoing,
            provider: None,
            sources: Vec::new(),
        }
    }

    /// What discovery recommends: the incoming server and its POP3 alternative, the outgoing
    /// server (which authenticates), the provider's name, and where each server came from.
    /// `username`, when given, is every server's user name.
    pub fn from_discovery(d: &Discovery, username: Option<&str>) -> KarteDraft {
        let mut incoming = Vec::new();
        let mut sources: Vec<Source> = Vec::new();
        for rec in [&d.incoming, &d.alternative].into_iter().flatten() {
            incoming.push(IncomingServer {
                protocol: rec.server.protocol,
                host: rec.server.host.clone(),
                port: Some(rec.server.port),
                security: Some(rec.server.security),
                username: rec.server.username.clone(),
                leave_on_server: None,
                leave_on_server_days: None,
            });
            let s = discovered_source(d, rec);
            if !sources.contains(&s) {
                sources.push(s);
            }
        }
        let mut outgoing = d.outgoing.as_ref().map(|rec| {
            let s = discovered_source(d, rec);
            if !sources.contains(&s) {
                sources.push(s);
            }
            OutgoingServer {
                host: rec.server.host.clone(),
                port: Some(rec.server.port),
                security: Some(rec.server.security),
                username: rec.server.username.clone(),
                auth: Some(true),
            }
        });
        if let Some(username) = username {
            for s in &mut incoming {
                s.username = Some(username.to_string());
            }
            if let Some(o) = &mut outgoing {
                o.username = Some(username.to_string());
            }
        }
        KarteDraft {
            incoming,
            outgoing,
            provider: d.provider.as_ref().map(|p| p.name.clone()),
            sources,
        }
    }

    /// Whether the draft has any server.
    pub fn has_servers(&self) -> bool {
        !self.incoming.is_empty() || self.outgoing.is_some()
    }

    /// The new karte of `address`: the draft's servers and sources with what the person gave.
    pub fn into_karte(self, address: &str, given: KarteGiven) -> Karte {
        let mut karte = Karte::new(address);
        karte.account.display_name = given.display_name;
        karte.account.provider = given.provider.or(self.provider);
        karte.account.changed_by = given.changed_by;
        karte.incoming = self.incoming;
        if let Some(days) = given.leave_on_server_days.filter(|d| *d > 0) {
            for s in karte
                .incoming
                .iter_mut()
                .filter(|s| s.protocol == Protocol::Pop3)
            {
                s.leave_on_server = Some(true);
                s.leave_on_server_days = Some(days);
            }
        }
        karte.outgoing = self.outgoing;
        if let Some(o) = &mut karte.outgoing {
            o.auth = given.smtp_auth.or(o.auth).or(Some(true));
        }
        karte.devices = given.devices;
        karte.sources = self.sources;
        for s in given.sources {
            if !karte.sources.contains(&s) {
                karte.sources.push(s);
            }
        }
        karte
    }
}

/// Where a discovered server came from, as a karte source: the provider table's page, the
/// ISPDB file, the autoconfig URL, or what discovery consulted.
fn discovered_source(d: &Discovery, rec: &Recommendation) -> Source {
    if rec.source == SourceKind::Provider
        && let Some(p) = &d.provider
    {
        return match &p.source {
            ProviderSource::Table { url } => Source {
                url: Some(url.clone()),
                note: Some(p.name.clone()),
                ..Source::default()
            },
            ProviderSource::Ispdb { file } => Source {
                document: Some(format!("Thunderbird ISPDB: {file}")),
                note: Some(p.name.clone()),
                ..Source::default()
            },
        };
    }
    let from = rec.from.trim();
    if from.starts_with("https://") || from.starts_with("http://") {
        Source {
            url: Some(from.to_string()),
            note: Some(format!("maildoc discover ({})", rec.source.as_str())),
            ..Source::default()
        }
    } else {
        Source {
            document: Some(format!(
                "maildoc discover ({}): {from}",
                rec.source.as_str()
            )),
            ..Source::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maildoc_karte::{IncomingServer, OutgoingServer};
    use maildoc_model::{Protocol, Security};

    #[test]
    fn settings_from_a_karte() {
        let mut k = Karte::new("taro@example.jp");
        k.incoming.push(IncomingServer {
            protocol: Protocol::Pop3,
            host: "::1".into(),
            port: None,
            security: None,
            username: None,
            leave_on_server: None,
            leave_on_server_days: None,
        });
        k.incoming.push(IncomingServer {
            protocol: Protocol::Imap,
            host: " imap.example.jp".into(),
            port: Some(993),
            security: Some(Security::Tls),
            username: Some("taro".into()),
            leave_on_server: None,
            leave_on_server_days: None,
        });
        k.outgoing = Some(OutgoingServer {
            host: "smtp.example.jp".into(),
            port: Some(587),
            security: Some(Security::Starttls),
            username: Some("taro@example.jp".into()),
            auth: Some(true),
        });
        let s = settings_of(&k);
        let servers: Vec<(Protocol, &str, Option<u16>)> = s
            .servers
            .iter()
            .map(|s| (s.protocol, s.host.as_str(), s.port))
            .collect();
        assert_eq!(
            servers,
            [
                (Protocol::Imap, " imap.example.jp", Some(993)),
                (Protocol::Pop3, "::1", None),
                (Protocol::Smtp, "smtp.example.jp", Some(587)),
            ]
        );
        // One user name for the account, none of the servers' own.
        assert_eq!(s.username.as_deref(), Some("taro"));
        assert!(s.servers.iter().all(|s| s.username.is_none()));
        assert_eq!(s.servers[2].auth, Some(true));
        assert_eq!(username_of(&k).as_deref(), Some("taro"));
    }

    fn setting(protocol: Protocol, text: &str) -> ServerSetting {
        ServerSetting::parse(protocol, text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_draft_from_servers_given_by_hand() {
        let servers = [
            setting(Protocol::Imap, " imap.example.jp "),
            setting(Protocol::Pop3, "pop.example.jp:110/plain"),
            setting(Protocol::Smtp, "smtp.example.jp"),
            setting(Protocol::Smtp, "smtp2.example.jp"),
        ];
        let d = KarteDraft::from_servers(&servers, Some("taro"));
        let incoming: Vec<(Protocol, &str, Option<u16>, Option<Security>)> = d
            .incoming
            .iter()
            .map(|s| (s.protocol, s.host.as_str(), s.port, s.security))
            .collect();
        assert_eq!(
            incoming,
            [
                (
                    Protocol::Imap,
                    "imap.example.jp",
                    Some(993),
                    Some(Security::Tls)
                ),
                (
                    Protocol::Pop3,
                    "pop.example.jp",
                    Some(110),
                    Some(Security::Plain)
                ),
            ]
        );
        let o = d.outgoing.clone().unwrap_or_else(|| panic!("no outgoing"));
        assert_eq!(o.host, "smtp.example.jp");
        assert_eq!((o.username.as_deref(), o.auth), (Some("taro"), None));
        assert!(
            d.incoming
                .iter()
                .all(|s| s.username.as_deref() == Some("taro"))
        );
        assert_eq!((&d.provider, d.sources.len()), (&None, 0));
        assert!(d.has_servers());
        assert!(!KarteDraft::from_servers(&[], None).has_servers());
    }

    #[test]
    fn a_draft_from_the_provider_tables() {
        let address =
            crate::check_input("taro@docomo.ne.jp", None).unwrap_or_else(|e| panic!("{e:?}"));
        let discovery = crate::discover::tables(&address, Vec::new());
        let d = KarteDraft::from_discovery(&discovery, None);
        assert_eq!(d.provider.as_deref(), Some("docomo (ドコモメール)"));
        assert_eq!(d.incoming.len(), 1);
        assert_eq!(d.incoming[0].host, "imap.spmode.ne.jp");
        let o = d.outgoing.clone().unwrap_or_else(|| panic!("no outgoing"));
        assert_eq!((o.host.as_str(), o.auth), ("smtp.spmode.ne.jp", Some(true)));
        // Both servers come from the same table page: one source.
        assert_eq!(d.sources.len(), 1, "{:?}", d.sources);
        assert!(d.sources[0].url.is_some() && d.sources[0].note == d.provider);
        let d = KarteDraft::from_discovery(&discovery, Some("d-account"));
        assert_eq!(d.incoming[0].username.as_deref(), Some("d-account"));
        assert_eq!(
            d.outgoing.and_then(|o| o.username).as_deref(),
            Some("d-account")
        );
    }

    #[test]
    fn a_new_karte_takes_the_draft_and_what_was_given() {
        let servers = [
            setting(Protocol::Pop3, "pop.example.jp"),
            setting(Protocol::Imap, "imap.example.jp"),
            setting(Protocol::Smtp, "smtp.example.jp"),
        ];
        let mut draft = KarteDraft::from_servers(&servers, None);
        draft.provider = Some("Example".into());
        draft.sources = vec![maildoc_karte::parse_source("https://example.jp/help")];
        let given = KarteGiven {
            display_name: Some("太郎".into()),
            changed_by: Some("IT".into()),
            leave_on_server_days: Some(14),
            sources: vec![
                maildoc_karte::parse_source("https://example.jp/help"),
                maildoc_karte::parse_source("登録内容のお知らせ"),
            ],
            ..KarteGiven::default()
        };
        let k = draft.clone().into_karte("taro@example.jp", given);
        assert_eq!(k.account.address, "taro@example.jp");
        assert_eq!(k.account.display_name.as_deref(), Some("太郎"));
        assert_eq!(k.account.provider.as_deref(), Some("Example"));
        assert_eq!(k.account.changed_by.as_deref(), Some("IT"));
        let pop = &k.incoming[0];
        assert_eq!(
            (pop.leave_on_server, pop.leave_on_server_days),
            (Some(true), Some(14))
        );
        assert_eq!(k.incoming[1].leave_on_server, None);
        assert_eq!(k.outgoing.as_ref().and_then(|o| o.auth), Some(true));
        assert_eq!(k.sources.len(), 2);
        let given = KarteGiven {
            provider: Some("Other".into()),
            leave_on_server_days: Some(0),
            smtp_auth: Some(false),
            ..KarteGiven::default()
        };
        let k = draft.into_karte("taro@example.jp", given);
        assert_eq!(k.account.provider.as_deref(), Some("Other"));
        assert_eq!(k.incoming[0].leave_on_server, None);
        assert_eq!(k.outgoing.and_then(|o| o.auth), Some(false));
    }
}
