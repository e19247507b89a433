//! The settings lint in a check: the server flags exactly as typed become an
//! [`AccountSettings`], linted before any probe (so that no password goes to a server whose
//! name looks like a typo of a known one) and joined with the probe's findings afterwards
//! ([`maildoc_diagnose::lint::merge`]: one root cause, one finding).
//!
//! Only what was typed is linted: a check without server flags has no server settings of the
//! user's to judge (the servers come from the tables or from discovery), so only its address
//! and `--username` are looked at, for characters nobody sees.

use crate::CheckOptions;
use crate::plan::{self, Plan};
use maildoc_model::settings::{AccountSettings, ServerSetting};
use maildoc_model::{Code, Finding, Origin, Protocol, Report};
use std::collections::BTreeSet;

/// The lint's findings of one check, tied to the plan's server ids.
#[derive(Clone, Debug)]
pub(crate) struct Linted {
    findings: Vec<Finding>,
}

impl Linted {
    /// Whether the lint found this server's name to be a typo or look-alike of a known one.
    pub(crate) fn suspect_host(&self, id: &str) -> bool {
        self.findings.iter().any(|f| {
            matches!(f.code, Code::HostTypo | Code::HostLookAlike)
                && f.server.as_deref() == Some(id)
        })
    }

    /// `report.findings` with the lint's findings joined in.
    pub(crate) fn merge_into(self, report: &Report) -> Vec<Finding> {
        maildoc_diagnose::lint::merge(report, self.findings)
    }
}

/// The settings as typed: each `--imap`/`--pop3`/`--smtp` value with its host exactly as
/// typed (spaces at its ends included: `parse_server_spec` trims the whole value, so they
/// are put back), `--username` as typed for every server, and for SMTP whether the app
/// authenticates (`--smtp-auth`). Values that do not parse are left out (the plan refuses
/// them anyway).
pub fn settings_as_typed(opts: &CheckOptions) -> AccountSettings {
    let s = &opts.settings;
    let flags = [
        (Protocol::Imap, &s.imap),
        (Protocol::Pop3, &s.pop3),
        (Protocol::Smtp, &s.smtp),
    ];
    let servers = flags
        .into_iter()
        .flat_map(|(protocol, values)| values.iter().map(move |v| (protocol, v)))
        .filter_map(|(protocol, raw)| {
            let spec = plan::parse_server_spec(raw).ok()?;
            let lead = &raw[..raw.len() - raw.trim_start().len()];
            // Trailing spaces belong to the host only when nothing follows it.
            let trail = if spec.port.is_none() && spec.security.is_none() {
                &raw[raw.trim_end().len()..]
            } else {
                ""
            };
            Some(ServerSetting {
                protocol,
                host: format!("{lead}{}{trail}", spec.host),
                port: spec.port,
                security: spec.security,
                username: s.username.clone(),
                auth: (protocol == Protocol::Smtp).then_some(opts.smtp_auth),
            })
        })
        .collect();
    AccountSettings {
        address: s.address.clone(),
        servers,
    }
}

/// Lints what was typed, with the provider of the address's domain and every documented
/// host name (retired ones left out, so that none is suggested), and ties the findings to the
/// plan's ids of the flag servers (in the order they were typed).
pub(crate) fn run(opts: &CheckOptions, plan: &Plan) -> Linted {
    let settings = settings_as_typed(opts);
    if settings.servers.is_empty() {
        return Linted {
            findings: maildoc_diagnose::lint::typed_account(
                &settings.address,
                opts.settings.username.as_deref(),
            ),
        };
    }
    let provider = maildoc_kb::providers::for_domain(&plan.address.domain);
    let retired: BTreeSet<&str> = maildoc_kb::providers::all()
        .iter()
        .flat_map(|p| p.retired_hosts.iter().map(String::as_str))
        .collect();
    let known: Vec<&str> = maildoc_kb::providers::known_hosts()
        .into_iter()
        .filter(|h| !retired.contains(h))
        .collect();
    let mut findings = maildoc_diagnose::lint(&settings, provider, &known);
    // The lint names servers the way the plan does; map by position all the same.
    let lint_ids = maildoc_diagnose::lint::server_ids(&settings);
    let plan_ids: Vec<&str> = plan
        .servers
        .iter()
        .filter(|s| s.origin == Origin::Flag)
        .map(|s| s.id.as_str())
        .collect();
    for f in &mut findings {
        let position = f
            .server
            .as_ref()
            .and_then(|id| lint_ids.iter().position(|l| l == id));
        f.server = position
            .and_then(|i| plan_ids.get(i))
            .map(|id| id.to_string());
    }
    Linted { findings }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;
    use maildoc_model::Security;
    use std::time::Duration;

    fn opts(settings: Settings, smtp_auth: bool) -> CheckOptions {
        CheckOptions {
            settings,
            password: None,
            login: false,
            smtp_auth,
            allow_plaintext_login: false,
            dns_server: None,
            ca_pem: None,
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn flags_become_settings_as_typed() {
        let o = opts(
            Settings {
                address: "taro@example.jp".into(),
                imap: vec![
                    " imap.example.jp ".into(),
                    "ｉｍａｐ．ｅｘａｍｐｌｅ．ｊｐ：９９３".into(),
                ],
                pop3: vec!["pop.example.jp :995/ssl".into()],
                smtp: vec!["smtp.example.jp:587/starttls ".into()],
                username: Some("taro@example.jp ".into()),
            },
            false,
        );
        let s = settings_as_typed(&o);
        let hosts: Vec<&str> = s.servers.iter().map(|s| s.host.as_str()).collect();
        assert_eq!(
            hosts,
            [
                " imap.example.jp ",
                "ｉｍａｐ．ｅｘａｍｐｌｅ．ｊｐ",
                "pop.example.jp ",
                "smtp.example.jp"
            ]
        );
        assert_eq!(s.servers[1].port, Some(993));
        assert_eq!(s.servers[1].security, None);
        assert_eq!(s.servers[2].security, Some(Security::Tls));
        assert_eq!(s.servers[3].auth, Some(false));
        assert_eq!(s.servers[0].auth, None);
        assert!(
            s.servers
                .iter()
                .all(|s| s.username.as_deref() == Some("taro@example.jp "))
        );
    }

    #[test]
    fn findings_carry_the_plans_ids_and_mark_suspect_hosts() {
        let settings = Settings {
            address: "taro@gmail.com".into(),
            imap: vec!["imap.gmail.com".into(), "imap.gmial.com".into()],
            smtp: vec!["smtp.gmail.com:25".into(), "smtp.gmai1.com:587/ssl".into()],
            ..Settings::default()
        };
        let plan = plan::make(&settings).unwrap_or_else(|e| panic!("{e}"));
        let linted = run(&opts(settings, false), &plan);
        let got: Vec<(String, Code)> = linted
            .findings
            .iter()
            .map(|f| (f.server.clone().unwrap_or_default(), f.code))
            .collect();
        assert_eq!(
            got,
            [
                ("imap-2".to_string(), Code::HostTypo),
                ("smtp".to_string(), Code::SmtpAuthOff),
                ("smtp-2".to_string(), Code::HostLookAlike),
                ("smtp-2".to_string(), Code::SslOnPlaintextPort),
                ("smtp-2".to_string(), Code::SmtpAuthOff),
            ]
        );
        assert!(linted.suspect_host("imap-2"));
        assert!(linted.suspect_host("smtp-2"));
        assert!(!linted.suspect_host("imap"));
        assert!(!linted.suspect_host("smtp"));
        // Companions (beside port 25) are not typed settings and get nothing.
        assert!(plan.servers.iter().any(|s| s.origin == Origin::Companion));
    }

    #[test]
    fn no_flags_only_the_address_and_user_name_as_typed() {
        let settings = Settings {
            address: "taro@gmial.com".into(),
            username: Some("taro ".into()),
            ..Settings::default()
        };
        let plan = plan::make(&settings).unwrap_or_else(|e| panic!("{e}"));
        let findings = run(&opts(settings, false), &plan).findings;
        // No servers were typed, so no host is judged (gmial.com stays unremarked); the stray
        // space of the user name is.
        let found: Vec<(Code, &str)> = findings
            .iter()
            .map(|f| (f.code, f.params["field"].as_str()))
            .collect();
        assert_eq!(found, [(Code::InvisibleCharacters, "username")]);
    }
}
