//! What maildoc knows about a mail provider: its servers, the user-name form it expects,
//! host names it no longer documents, and where that knowledge came from. Texts about a
//! provider (notes people must read) live in the knowledge base, keyed by `note` ids.

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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderServer {
    pub protocol: Protocol,
    /// `None` when the host depends on the customer's contract (hosting companies).
    pub host: Option<String>,
    pub port: u16,
    pub security: Security,
    pub username: UsernameRule,
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
    /// Host names the provider used to document and no longer does.
    #[serde(default)]
    pub retired_hosts: Vec<String>,
    /// Knowledge-base note ids people must read (e.g. "softbank-mms-only").
    #[serde(default)]
    pub notes: Vec<String>,
    /// The domains cannot be used from a mail app at all (e.g. softbank.ne.jp is MMS).
    #[serde(default)]
    pub not_for_mail_apps: bool,
}
