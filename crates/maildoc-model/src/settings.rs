//! An account's settings as a mail app holds them: what the settings lint reads, what
//! discovery recommends and what a karte records. Host and user name are kept as typed.

use crate::endpoint::{Protocol, Security};
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
    pub servers: Vec<ServerSetting>,
}
