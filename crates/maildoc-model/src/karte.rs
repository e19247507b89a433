//! The karte (メール設定カルテ): the record of one account's settings, the devices that use
//! it, where the settings came from, and the history of checks. It never holds a password.
//!
//! The file format is TOML, versioned by `karte_version`, documented in `docs/karte.md`;
//! `maildoc-karte` loads, checks and saves it. These are only the types and the facts that
//! follow from them (what a device does with the mail on the server).

use crate::endpoint::{Protocol, Security};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The version of the file format this maildoc reads and writes.
pub const KARTE_VERSION: u32 = 1;

/// One account's karte.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Karte {
    pub karte_version: u32,
    pub account: KarteAccount,
    /// The incoming servers the devices use (an IMAP and a POP3 server may both be listed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incoming: Vec<IncomingServer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outgoing: Option<OutgoingServer>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<Device>,
    /// Where the settings came from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    /// The checks, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KarteAccount {
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The provider as people call it ("So-net", "さくらのメールボックス").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// When the settings last changed: `YYYY-MM-DD` or RFC 3339 (a TOML date is fine too).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_time"
    )]
    pub last_changed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// An incoming server as set in the mail apps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomingServer {
    /// `imap` or `pop3`.
    pub protocol: Protocol,
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "security_words"
    )]
    pub security: Option<Security>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// POP3: whether the apps leave a copy of each message on the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_on_server: Option<bool>,
    /// POP3: the copy on the server is removed after this many days (none: kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_on_server_days: Option<u32>,
}

/// The outgoing (SMTP) server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutgoingServer {
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "security_words"
    )]
    pub security: Option<Security>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// "The outgoing server requires authentication".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<bool>,
}

/// A device (phone, PC) and the app on it that reads this account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub name: String,
    /// A mail-app key of the knowledge base (`iphone`, `outlook`, `thunderbird`, ...) or
    /// the app's name as people call it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// `imap` or `pop3`.
    pub protocol: Protocol,
    /// POP3: whether this app removes mail from the server (overrides the incoming server's
    /// `leave_on_server`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletes_from_server: Option<bool>,
    /// POP3, with `deletes_from_server = true`: removed after this many days, not at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_after_days: Option<u32>,
    /// Where this device's mail is backed up, as people say it ("Time Machine", "USB disk").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// Where the settings came from: a web page or a paper document (exactly one of the two).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A contract document or letter ("登録内容のお知らせ 2019-04").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The overall result of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckResult {
    Ok,
    Warning,
    Error,
}

impl CheckResult {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckResult::Ok => "ok",
            CheckResult::Warning => "warning",
            CheckResult::Error => "error",
        }
    }
}

/// One check of the account: by `maildoc karte check`, or noted by hand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryEntry {
    /// When the check started (RFC 3339; a TOML date-time is fine too).
    #[serde(deserialize_with = "time")]
    pub at: String,
    pub result: CheckResult,
    /// The finding codes of the check (kept as text: a newer maildoc may know more codes).
    #[serde(default)]
    pub codes: Vec<String>,
    /// Whether the check logged in (with `--no-login` it did not, so no quota was read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<bool>,
    /// The servers checked, as `protocol host:port security`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<String>,
    /// The IMAP quota read during the check, in KiB: the evidence of a quota check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_used_kib: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_limit_kib: Option<u64>,
    /// `maildoc 0.1.0`, or who checked by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl HistoryEntry {
    /// Whether this entry shows how full the mailbox is: a quota limit was recorded.
    pub fn has_quota_reading(&self) -> bool {
        self.quota_limit_kib.is_some_and(|l| l > 0)
    }

    /// The recorded quota use in percent, when known.
    pub fn quota_percent(&self) -> Option<u64> {
        match (self.quota_used_kib, self.quota_limit_kib) {
            (Some(u), Some(l)) if l > 0 => Some(u.saturating_mul(100) / l),
            _ => None,
        }
    }
}

/// What a device does with the mail on the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retention {
    /// IMAP: the mail stays on the server, and every device sees the same mailbox.
    Synced,
    /// POP3, leaving a copy on the server for good.
    Keeps,
    /// POP3, removing the server's copy this many days after downloading.
    DeletesAfterDays(u32),
    /// POP3, removing the server's copy as soon as it is downloaded.
    DeletesAtOnce,
    /// POP3, and the karte does not say.
    Unknown,
}

impl Retention {
    /// The server's copy goes away, at once or after some days.
    pub fn deletes(self) -> bool {
        matches!(
            self,
            Retention::DeletesAfterDays(_) | Retention::DeletesAtOnce
        )
    }
}

impl Karte {
    /// A new, empty karte for an address.
    pub fn new(address: impl Into<String>) -> Karte {
        Karte {
            karte_version: KARTE_VERSION,
            account: KarteAccount {
                address: address.into(),
                ..KarteAccount::default()
            },
            incoming: Vec::new(),
            outgoing: None,
            devices: Vec::new(),
            sources: Vec::new(),
            history: Vec::new(),
        }
    }

    /// The first incoming server of a protocol.
    pub fn incoming_server(&self, protocol: Protocol) -> Option<&IncomingServer> {
        self.incoming.iter().find(|s| s.protocol == protocol)
    }

    /// What a device does with the mail on the server. For POP3 the device's own
    /// `deletes_from_server` wins; otherwise the POP3 server's `leave_on_server` (and days).
    pub fn retention(&self, device: &Device) -> Retention {
        if device.protocol != Protocol::Pop3 {
            return Retention::Synced;
        }
        match device.deletes_from_server {
            Some(true) => match device.delete_after_days {
                Some(d) if d > 0 => Retention::DeletesAfterDays(d),
                _ => Retention::DeletesAtOnce,
            },
            Some(false) => Retention::Keeps,
            None => match self.incoming_server(Protocol::Pop3) {
                Some(s) => match (s.leave_on_server, s.leave_on_server_days) {
                    (Some(false), _) => Retention::DeletesAtOnce,
                    (Some(true), Some(d)) if d > 0 => Retention::DeletesAfterDays(d),
                    (Some(true), _) => Retention::Keeps,
                    (None, _) => Retention::Unknown,
                },
                None => Retention::Unknown,
            },
        }
    }

    /// Whether IMAP is in use: a device on IMAP, or (with no devices listed) an IMAP
    /// incoming server.
    pub fn uses_imap(&self) -> bool {
        if self.devices.is_empty() {
            self.incoming.iter().any(|s| s.protocol == Protocol::Imap)
        } else {
            self.devices.iter().any(|d| d.protocol == Protocol::Imap)
        }
    }
}

/// `ssl`, `starttls`, `plain` as people write them (`SSL/TLS`, `tls`, `none` are read too).
mod security_words {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<Security>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(sec) => s.serialize_str(sec.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Security>, D::Error> {
        let text = String::deserialize(d)?;
        Security::parse(text.trim()).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a security setting: use ssl, starttls or plain"
            ))
        })
    }
}

/// A time written as a string or as a TOML date / date-time, kept as its text.
struct TimeText;

impl<'de> serde::de::Visitor<'de> for TimeText {
    type Value = String;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a date (2026-04-01) or a date and time (2026-04-01T09:30:00+09:00)")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }

    // TOML dates and times arrive as a one-entry map holding their text.
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<String, A::Error> {
        match map.next_entry::<String, String>()? {
            Some((_, text)) => Ok(text),
            None => Err(serde::de::Error::custom("an empty date")),
        }
    }
}

fn time<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_any(TimeText)
}

fn opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    time(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(protocol: Protocol, deletes: Option<bool>, days: Option<u32>) -> Device {
        Device {
            name: "d".into(),
            app: None,
            protocol,
            deletes_from_server: deletes,
            delete_after_days: days,
            backup: None,
            notes: None,
        }
    }

    fn pop3(leave: Option<bool>, days: Option<u32>) -> IncomingServer {
        IncomingServer {
            protocol: Protocol::Pop3,
            host: "pop.example.jp".into(),
            port: None,
            security: None,
            username: None,
            leave_on_server: leave,
            leave_on_server_days: days,
        }
    }

    #[test]
    fn retention_follows_the_device_then_the_server() {
        let mut k = Karte::new("taro@example.jp");
        assert_eq!(
            k.retention(&device(Protocol::Imap, Some(true), None)),
            Retention::Synced
        );
        assert_eq!(
            k.retention(&device(Protocol::Pop3, None, None)),
            Retention::Unknown
        );
        k.incoming.push(pop3(Some(true), Some(14)));
        assert_eq!(
            k.retention(&device(Protocol::Pop3, None, None)),
            Retention::DeletesAfterDays(14)
        );
        assert_eq!(
            k.retention(&device(Protocol::Pop3, Some(false), None)),
            Retention::Keeps
        );
        assert_eq!(
            k.retention(&device(Protocol::Pop3, Some(true), None)),
            Retention::DeletesAtOnce
        );
        assert_eq!(
            k.retention(&device(Protocol::Pop3, Some(true), Some(7))),
            Retention::DeletesAfterDays(7)
        );
        k.incoming[0] = pop3(Some(false), None);
        assert_eq!(
            k.retention(&device(Protocol::Pop3, None, None)),
            Retention::DeletesAtOnce
        );
        k.incoming[0] = pop3(Some(true), None);
        assert_eq!(
            k.retention(&device(Protocol::Pop3, None, None)),
            Retention::Keeps
        );
        assert!(Retention::DeletesAfterDays(1).deletes());
        assert!(!Retention::Keeps.deletes() && !Retention::Unknown.deletes());
    }

    #[test]
    fn quota_readings() {
        let mut e = HistoryEntry {
            at: "2026-11-20T10:00:00Z".into(),
            result: CheckResult::Ok,
            codes: Vec::new(),
            login: Some(true),
            servers: Vec::new(),
            quota_used_kib: Some(512),
            quota_limit_kib: None,
            by: None,
            note: None,
        };
        assert!(!e.has_quota_reading());
        assert_eq!(e.quota_percent(), None);
        e.quota_limit_kib = Some(2048);
        assert!(e.has_quota_reading());
        assert_eq!(e.quota_percent(), Some(25));
        e.quota_limit_kib = Some(0);
        assert!(!e.has_quota_reading());
    }
}
