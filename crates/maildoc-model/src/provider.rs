//! What maildoc knows about a mail provider: its servers, the user-name form it expects,
//! settings it no longer accepts, how sure maildoc is of each value, and where that knowledge
//! came from. Texts about a provider (notes people must read) live in the knowledge base,
//! keyed by `note` ids.

use crate::endpoint::{Protocol, Security};
use serde::{Deserialize, Serialize};

/// The user name a server expects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum UsernameRule {
    /// The whole mail address.
    Address,
    /// The part before `@`.
    LocalPart,
    /// Something that is not derived from the address (e.g. docomo's d-account ID): the
    /// value names it for people.
    Other(String),
}

/// How sure maildoc is of a value, by the kind of source it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Grade {
    /// The provider's own page, or an archive of it.
    A,
    /// An open-source mail client's provider table (the Thunderbird ISPDB, FairEmail, K-9,
    /// Delta Chat).
    B,
    /// A third-party article or table.
    C,
    /// Real configurations in public code: seen working at some date, nothing official.
    D,
}

impl Grade {
    /// Whether the value is settled: from the provider or a maintained client table. C and D
    /// values have been seen working but are not confirmed by the provider, and are shown so.
    pub fn confirmed(self) -> bool {
        matches!(self, Grade::A | Grade::B)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderServer {
    pub protocol: Protocol,
    /// `None` when the host depends on the customer's contract (hosting companies).
    pub host: Option<String>,
    pub port: u16,
    pub security: Security,
    pub username: UsernameRule,
    /// How sure the host, port and security are.
    pub grade: Grade,
    /// How sure the user-name form is.
    pub username_grade: Grade,
}

/// A setting a provider no longer accepts: an old host name, or an old port and security on
/// its current hosts (e.g. POP3 on 110 without encryption).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiredSetting {
    /// The old host name; `*.parent` stands for every name under `parent`. `None`: any host.
    pub host: Option<String>,
    /// Only for this protocol; `None`: any.
    pub protocol: Option<Protocol>,
    /// Only on this port; `None`: any.
    pub port: Option<u16>,
    /// Only with this security; `None`: any.
    pub security: Option<Security>,
    /// When it ended, or when the sources found it out of use (`2022-04-03`, `2019-10`).
    pub since: String,
    /// How sure maildoc is of it.
    pub grade: Grade,
}

impl RetiredSetting {
    /// Whether a setting of `protocol` at `host:port` with `security` is this retired one.
    /// `host` is compared in ASCII lower case.
    pub fn matches(&self, protocol: Protocol, host: &str, port: u16, security: Security) -> bool {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        let host_matches = match self.host.as_deref() {
            None => true,
            Some(pattern) => match pattern.strip_prefix("*.") {
                Some(parent) => host
                    .strip_suffix(parent)
                    .and_then(|head| head.strip_suffix('.'))
                    .is_some_and(|head| !head.is_empty()),
                None => host == pattern,
            },
        };
        host_matches
            && self.protocol.is_none_or(|p| p == protocol)
            && self.port.is_none_or(|p| p == port)
            && self.security.is_none_or(|s| s == security)
    }

    /// Whether it names an old host (not only an old port or security).
    pub fn is_host(&self) -> bool {
        self.host.is_some()
    }
}

/// Where the provider's settings come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum ProviderSource {
    /// The Thunderbird ISPDB snapshot (file name).
    Ispdb { file: String },
    /// maildoc's own table, written from the provider's public help pages (URL).
    Table { url: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderInfo {
    pub id: String,
    pub name: String,
    pub source: ProviderSource,
    /// Mail domains served.
    pub domains: Vec<String>,
    /// MX host suffixes that identify the provider (`aspmx.l.google.com` → Google).
    #[serde(default)]
    pub mx_suffixes: Vec<String>,
    pub servers: Vec<ProviderServer>,
    /// Settings the provider no longer accepts: old host names, old ports and security.
    #[serde(default)]
    pub retired: Vec<RetiredSetting>,
    /// Knowledge-base note ids people must read (e.g. "softbank-mms-only").
    #[serde(default)]
    pub notes: Vec<String>,
    /// The domains cannot be used from a mail app at all (e.g. softbank.ne.jp is MMS).
    #[serde(default)]
    pub not_for_mail_apps: bool,
}
