//! `karte check`: the servers a karte records are checked as `check` checks its flags (linted
//! as typed, probed under one deadline), the check goes into the karte's history, the password
//! is removed from any text field of the karte it was typed into, and the risks of the karte's
//! devices and settings join the findings.

use crate::{CheckOptions, Env, Error, Event};
use maildoc_karte::Karte;
use maildoc_model::settings::AccountSettings;
use maildoc_model::{Finding, Report};
use maildoc_probe::context::Password;
use std::time::Duration;

pub use maildoc_diagnose::karte::risks;

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
}
