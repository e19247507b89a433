//! The settings lint in a check: the check's settings, exactly as typed, are linted before any
//! probe (so that no password goes to a server whose name looks like a typo of a known one)
//! and joined with the probe's findings afterwards ([`maildoc_diagnose::lint::merge`]: one
//! root cause, one finding).
//!
//! Only what was typed is linted: a check without servers has no server settings of the
//! user's to judge (the servers come from the tables or from discovery), so only its address
//! and user name are looked at, for characters nobody sees.

use crate::CheckOptions;
use crate::plan::Plan;
use maildoc_model::{Code, Finding, Report};
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

/// Lints the settings as they are, with the provider of the address's domain and every
/// documented host name (retired ones left out, so that none is suggested). The lint names
/// each server as the plan does (`imap`, `imap-2`, ...: the protocol, counted in settings
/// order), so its findings carry the plan's ids.
pub(crate) fn run(opts: &CheckOptions, plan: &Plan) -> Linted {
    let settings = &opts.settings;
    if settings.servers.is_empty() {
        return Linted {
            findings: maildoc_diagnose::lint::typed_account(
                &settings.address,
                settings.username.as_deref(),
            ),
        };
    }
    let provider = maildoc_kb::providers::for_domain(&plan.address.domain);
    let retired: BTreeSet<&str> = maildoc_kb::providers::all()
        .iter()
        .flat_map(maildoc_kb::providers::retired_names)
        .collect();
    let known: Vec<&str> = maildoc_kb::providers::known_hosts()
        .into_iter()
        .filter(|h| !retired.contains(h))
        .collect();
    Linted {
        findings: maildoc_diagnose::lint(settings, provider, &known),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan;
    use maildoc_model::settings::{AccountSettings, ServerSetting};
    use maildoc_model::{Origin, Protocol};
    use std::time::Duration;

    /// The settings of `--imap`/`--pop3`/`--smtp` values, as the CLI makes them.
    fn opts(address: &str, flags: &[(Protocol, &str)], username: Option<&str>) -> CheckOptions {
        let servers = flags
            .iter()
            .map(|(p, t)| {
                let mut s = ServerSetting::parse(*p, t).unwrap_or_else(|e| panic!("{t}: {e}"));
                s.auth = (*p == Protocol::Smtp).then_some(false);
                s
            })
            .collect();
        CheckOptions {
            settings: AccountSettings {
                address: address.into(),
                username: username.map(str::to_string),
                servers,
            },
            password: None,
            login: false,
            smtp_auth: false,
            allow_plaintext_login: false,
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn findings_carry_the_plans_ids_and_mark_suspect_hosts() {
        let o = opts(
            "taro@gmail.com",
            &[
                (Protocol::Imap, "imap.gmail.com"),
                (Protocol::Imap, "imap.gmial.com"),
                (Protocol::Smtp, "smtp.gmail.com:25"),
                (Protocol::Smtp, "smtp.gmai1.com:587/ssl"),
            ],
            None,
        );
        let plan = plan::make(&o.settings).unwrap_or_else(|e| panic!("{e}"));
        let linted = run(&o, &plan);
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
        let ids: Vec<&str> = plan.servers.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            ["imap", "imap-2", "smtp", "smtp-2", "smtp-587", "smtp-465"]
        );
        assert!(linted.suspect_host("imap-2"));
        assert!(linted.suspect_host("smtp-2"));
        assert!(!linted.suspect_host("imap"));
        assert!(!linted.suspect_host("smtp"));
        // Companions (beside port 25) are not typed settings and get nothing.
        assert!(plan.servers.iter().any(|s| s.origin == Origin::Companion));
    }

    #[test]
    fn hosts_are_linted_as_typed() {
        let o = opts(
            "taro@example.jp",
            &[(Protocol::Imap, " imap.example.jp")],
            None,
        );
        let plan = plan::make(&o.settings).unwrap_or_else(|e| panic!("{e}"));
        let findings = run(&o, &plan).findings;
        let found: Vec<(Code, &str)> = findings
            .iter()
            .map(|f| (f.code, f.params["field"].as_str()))
            .collect();
        assert_eq!(found, [(Code::InvisibleCharacters, "host")]);
        // The plan probes the host without the space, and notes no normalization for it.
        assert_eq!(plan.servers[0].endpoint.host, "imap.example.jp");
        assert!(plan.normalizations.is_empty());
    }

    #[test]
    fn retired_settings_of_real_providers_name_the_replacement_and_the_date() {
        use maildoc_kb::{Lang, fill, finding_text};
        let cases = [
            // plala's per-subdomain hosts: the outgoing server of real configurations.
            (
                "taro@plala.or.jp",
                Protocol::Smtp,
                "violet.mail.plala.or.jp:587/plain",
                Code::HostRetired,
                ("secure.plala.or.jp", "587", "STARTTLS", "2022-11-19"),
            ),
            // goo's old hosts: the ISPDB's update.
            (
                "taro@goo.jp",
                Protocol::Pop3,
                "pop.mail.goo.ne.jp:110/plain",
                Code::HostRetired,
                ("pop.mail.goo.jp", "995", "SSL/TLS", "2025-03-31"),
            ),
            // BIGLOBE: the host stays, POP3 on 110 without SSL is gone.
            (
                "taro@biglobe.ne.jp",
                Protocol::Pop3,
                "mail.biglobe.ne.jp:110/plain",
                Code::SettingRetired,
                ("mail.biglobe.ne.jp", "995", "SSL/TLS", "2022-04-03"),
            ),
            // plala: submission on port 25 ended with OP25B.
            (
                "taro@plala.or.jp",
                Protocol::Smtp,
                "secure.plala.or.jp:25/starttls",
                Code::SettingRetired,
                ("secure.plala.or.jp", "587", "STARTTLS", "2006-07-26"),
            ),
        ];
        for (address, protocol, typed, code, (host, port, security, since)) in cases {
            let o = opts(address, &[(protocol, typed)], None);
            let plan = plan::make(&o.settings).unwrap_or_else(|e| panic!("{e}"));
            let findings = run(&o, &plan).findings;
            let f = findings
                .iter()
                .find(|f| f.code == code)
                .unwrap_or_else(|| panic!("{typed}: no {code}: {findings:#?}"));
            assert_eq!(f.params["suggestion"], host, "{typed}");
            assert_eq!(f.params["suggested_port"], port, "{typed}");
            assert_eq!(f.params["suggested_security"], security, "{typed}");
            assert_eq!(f.params["since"], since, "{typed}");
            // The words name the replacement and the date, in both languages.
            for lang in [Lang::Ja, Lang::En] {
                let text = finding_text(code, lang);
                let words = format!(
                    "{} {}",
                    fill(&text.cause, &f.params),
                    fill(&text.fix, &f.params)
                );
                for part in [host, port, security, since] {
                    assert!(words.contains(part), "{typed} {lang:?}: {part} in {words}");
                }
            }
        }
        // The current settings give nothing of the kind; a retired name is never suggested
        // as a typo fix for another.
        for (address, protocol, typed) in [
            ("taro@goo.jp", Protocol::Pop3, "pop.mail.goo.jp:995/ssl"),
            (
                "taro@biglobe.ne.jp",
                Protocol::Pop3,
                "mail.biglobe.ne.jp:995/ssl",
            ),
            (
                "taro@plala.or.jp",
                Protocol::Smtp,
                "secure.plala.or.jp:587/starttls",
            ),
            (
                "taro@goo.jp",
                Protocol::Pop3,
                "pop.mail.goo.ne.jq:110/plain",
            ),
        ] {
            let o = opts(address, &[(protocol, typed)], None);
            let plan = plan::make(&o.settings).unwrap_or_else(|e| panic!("{e}"));
            let findings = run(&o, &plan).findings;
            assert!(
                findings.iter().all(|f| !matches!(
                    f.code,
                    Code::HostRetired | Code::SettingRetired
                ) && f.params.get("suggestion").map(String::as_str)
                    != Some("pop.mail.goo.ne.jp")),
                "{typed}: {findings:#?}"
            );
        }
    }

    #[test]
    fn no_flags_only_the_address_and_user_name_as_typed() {
        let o = opts("taro@gmial.com", &[], Some("taro "));
        let plan = plan::make(&o.settings).unwrap_or_else(|e| panic!("{e}"));
        let findings = run(&o, &plan).findings;
        // No servers were typed, so no host is judged (gmial.com stays unremarked); the stray
        // space of the user name is.
        let found: Vec<(Code, &str)> = findings
            .iter()
            .map(|f| (f.code, f.params["field"].as_str()))
            .collect();
        assert_eq!(found, [(Code::InvisibleCharacters, "username")]);
    }
}
