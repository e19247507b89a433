//! A provider's status (`maildoc status`): what its own feed says now, or "unknown" when the
//! feed cannot be read. Never "down" on a fetch that failed. Its JSON form is versioned.

use serde::{Deserialize, Serialize};

/// Bumped whenever the JSON shape changes incompatibly.
pub const STATUS_SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReport {
    pub schema_version: u32,
    pub maildoc_version: String,
    /// The provider's id and name.
    pub provider: String,
    pub name: String,
    /// The page where the provider posts its notices.
    pub page: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<String>,
    pub state: FeedState,
    /// The incidents or notices the feed has now, newest first.
    pub incidents: Vec<Incident>,
    /// Why the feed could not be read (for `unknown`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What the feed says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeedState {
    /// The feed was read and has nothing ongoing for mail.
    Normal,
    /// The feed has incidents ongoing for mail.
    Incidents,
    /// The feed lists recent notices (it has no state of its own: docomo's network feed).
    Notices,
    /// The feed could not be read or understood: nothing can be said.
    Unknown,
    /// The provider publishes no feed maildoc reads: only its page.
    NoFeed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub title: String,
    /// The provider's own word for it (`SERVICE_DISRUPTION`, `ongoing`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// RFC 3339 or as the feed writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    pub ongoing: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}
