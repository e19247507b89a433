//! The report: one run's target, evidence and findings. Its JSON form is versioned.

use crate::code::Severity;
use crate::evidence::ServerEvidence;
use crate::finding::Finding;
use crate::input::Normalization;
use serde::{Deserialize, Serialize};

/// Bumped whenever the JSON shape changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub maildoc_version: String,
    /// This computer's clock when the run started (RFC 3339, UTC), and as Unix seconds.
    pub started_at: String,
    pub started_at_unix: i64,
    pub elapsed_ms: u64,
    pub timeout_ms: u64,
    pub target: TargetInfo,
    pub servers: Vec<ServerEvidence>,
    pub findings: Vec<Finding>,
}

/// What was checked, as maildoc understood the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetInfo {
    pub address: String,
    /// The user name used for login (never the password).
    pub username: String,
    pub login: bool,
    pub smtp_auth: bool,
    pub allow_plaintext_login: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_server: Option<String>,
    /// Where the server settings came from.
    pub settings_source: SettingsSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default)]
    pub normalizations: Vec<Normalization>,
}

/// Where a check's server settings came from: the flags (or a karte), or what discovery
/// recommended and which of its sources found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SettingsSource {
    /// `--imap`, `--pop3`, `--smtp` (or the servers a karte records).
    Flags,
    /// maildoc's provider tables, by the address's domain.
    Provider,
    /// The MX names a provider the tables know.
    Mx,
    /// The domain's autoconfig file.
    Autoconfig,
    /// RFC 6186 SRV records.
    Srv,
    /// Common host names, probed (also: nothing was found).
    Guess,
}

impl SettingsSource {
    /// The name in the JSON: `flags`, `provider`, `mx`, `autoconfig`, `srv`, `guess`.
    pub fn as_str(self) -> &'static str {
        match self {
            SettingsSource::Flags => "flags",
            SettingsSource::Provider => "provider",
            SettingsSource::Mx => "mx",
            SettingsSource::Autoconfig => "autoconfig",
            SettingsSource::Srv => "srv",
            SettingsSource::Guess => "guess",
        }
    }
}

/// The dot a server gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerStatus {
    Ok,
    Warning,
    Error,
}

impl Report {
    /// The worst severity among a server's findings decides its dot.
    pub fn server_status(&self, server_id: &str) -> ServerStatus {
        let worst = self
            .findings
            .iter()
            .filter(|f| f.server.as_deref() == Some(server_id))
            .map(|f| f.severity)
            .min();
        match worst {
            Some(Severity::Error) => ServerStatus::Error,
            Some(Severity::Warning) => ServerStatus::Warning,
            Some(Severity::Info) | None => ServerStatus::Ok,
        }
    }

    /// True when some finding needs attention (an error or a warning).
    pub fn has_problems(&self) -> bool {
        self.findings.iter().any(|f| f.severity != Severity::Info)
    }

    /// Findings, most serious first, in a stable order.
    pub fn sorted_findings(&self) -> Vec<&Finding> {
        let mut v: Vec<&Finding> = self.findings.iter().collect();
        v.sort_by(|a, b| (a.severity, &a.server, a.code).cmp(&(b.severity, &b.server, b.code)));
        v
    }
}
