//! Risk rules across the devices of a karte. Pure: they read the karte only (its devices,
//! its POP3 server's `leave_on_server`, its history), never a clock or the network.
//!
//! What a POP3 device does with the server's copy is [`Karte::retention`]: the device's own
//! `deletes_from_server` (with `delete_after_days`), else the POP3 server's
//! `leave_on_server` (with `leave_on_server_days`), else unknown. Unknown never fires a rule.
//!
//! - `karte-pop3-removes-imap-mail`: a POP3 device removes the server's copy (at once or
//!   after days) while at least one device reads the account over IMAP. One finding per such
//!   POP3 device; `imap_devices` lists the IMAP devices.
//! - `karte-pop3-single-copy`: a POP3 device removes the server's copy (at once or after
//!   days) and no `backup` is noted for it (missing or blank). One finding per device.
//! - `karte-pop3-several-deleting`: two or more POP3 devices remove the server's copy and at
//!   least one removes it at once (when all of them wait some days, each still downloads
//!   every message first). One finding for the account; `devices` lists them.
//! - `karte-imap-quota-unchecked`: IMAP is in use ([`Karte::uses_imap`]: a device on IMAP,
//!   or with no devices listed an IMAP incoming server) and no history entry has a quota
//!   reading ([`maildoc_model::karte::HistoryEntry::has_quota_reading`]: a limit above zero,
//!   recorded by a check that logged in and read IMAP QUOTA, or noted by hand). So an empty
//!   history, checks with `--no-login` only, or a server that never reported its quota all
//!   give it. `checks` is the number of history entries.
//!
//! Device names in `device` / `devices` / `imap_devices` are as written in the karte, lists
//! joined with `, `.

use maildoc_model::karte::{Karte, Retention};
use maildoc_model::{Code, Finding, Protocol};

/// The risk findings of a karte, in the order of the rules above.
pub fn risks(karte: &Karte) -> Vec<Finding> {
    let mut out = Vec::new();
    let pop3_deleting: Vec<(&str, Retention)> = karte
        .devices
        .iter()
        .filter(|d| d.protocol == Protocol::Pop3)
        .map(|d| (d.name.as_str(), karte.retention(d)))
        .filter(|(_, r)| r.deletes())
        .collect();
    let imap_devices: Vec<&str> = karte
        .devices
        .iter()
        .filter(|d| d.protocol == Protocol::Imap)
        .map(|d| d.name.as_str())
        .collect();
    if !imap_devices.is_empty() {
        for (name, _) in &pop3_deleting {
            out.push(
                Finding::new(Code::KartePop3RemovesImapMail)
                    .param("device", name)
                    .param("imap_devices", imap_devices.join(", ")),
            );
        }
    }
    for device in karte
        .devices
        .iter()
        .filter(|d| d.protocol == Protocol::Pop3 && karte.retention(d).deletes())
    {
        let backed_up = device
            .backup
            .as_deref()
            .is_some_and(|b| !b.trim().is_empty());
        if !backed_up {
            out.push(Finding::new(Code::KartePop3SingleCopy).param("device", &device.name));
        }
    }
    if pop3_deleting.len() >= 2
        && pop3_deleting
            .iter()
            .any(|(_, r)| *r == Retention::DeletesAtOnce)
    {
        let names: Vec<&str> = pop3_deleting.iter().map(|(n, _)| *n).collect();
        out.push(Finding::new(Code::KartePop3SeveralDeleting).param("devices", names.join(", ")));
    }
    if karte.uses_imap() && !karte.history.iter().any(|h| h.has_quota_reading()) {
        out.push(Finding::new(Code::KarteImapQuotaUnchecked).param("checks", karte.history.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use maildoc_model::karte::{CheckResult, Device, HistoryEntry, IncomingServer};

    fn device(name: &str, protocol: Protocol, deletes: Option<bool>) -> Device {
        Device {
            name: name.into(),
            app: None,
            protocol,
            deletes_from_server: deletes,
            delete_after_days: None,
            backup: None,
            notes: None,
        }
    }

    fn backed_up(mut d: Device) -> Device {
        d.backup = Some("Time Machine".into());
        d
    }

    fn after_days(mut d: Device, days: u32) -> Device {
        d.delete_after_days = Some(days);
        d
    }

    fn entry(quota: Option<(u64, u64)>) -> HistoryEntry {
        HistoryEntry {
            at: "2026-11-20T10:00:00Z".into(),
            result: CheckResult::Ok,
            codes: Vec::new(),
            login: Some(quota.is_some()),
            servers: Vec::new(),
            quota_used_kib: quota.map(|q| q.0),
            quota_limit_kib: quota.map(|q| q.1),
            by: None,
            note: None,
        }
    }

    fn karte(devices: Vec<Device>) -> Karte {
        let mut k = Karte::new("taro@example.jp");
        k.devices = devices;
        // A quota reading, so that only the rule under test speaks.
        k.history.push(entry(Some((100, 1000))));
        k
    }

    fn codes(k: &Karte) -> Vec<Code> {
        risks(k).iter().map(|f| f.code).collect()
    }

    #[test]
    fn pop3_deleting_while_others_use_imap() {
        let k = karte(vec![
            backed_up(device("PC", Protocol::Pop3, Some(true))),
            device("iPhone", Protocol::Imap, None),
            device("iPad", Protocol::Imap, None),
        ]);
        let f = risks(&k);
        assert_eq!(codes(&k), [Code::KartePop3RemovesImapMail]);
        assert_eq!(f[0].params["device"], "PC");
        assert_eq!(f[0].params["imap_devices"], "iPhone, iPad");
        assert_eq!(f[0].server, None);
        // Removing after some days still empties the IMAP devices.
        let k = karte(vec![
            backed_up(after_days(device("PC", Protocol::Pop3, Some(true)), 14)),
            device("iPhone", Protocol::Imap, None),
        ]);
        assert_eq!(codes(&k), [Code::KartePop3RemovesImapMail]);
        // Keeping a copy, or no IMAP device: nothing vanishes.
        let k = karte(vec![
            device("PC", Protocol::Pop3, Some(false)),
            device("iPhone", Protocol::Imap, None),
        ]);
        assert!(codes(&k).is_empty());
        let k = karte(vec![backed_up(device("PC", Protocol::Pop3, Some(true)))]);
        assert!(codes(&k).is_empty());
        // Unknown retention fires nothing.
        let k = karte(vec![
            device("PC", Protocol::Pop3, None),
            device("iPhone", Protocol::Imap, None),
        ]);
        assert!(codes(&k).is_empty());
    }

    #[test]
    fn pop3_without_server_copy_or_backup() {
        let k = karte(vec![device("PC", Protocol::Pop3, Some(true))]);
        let f = risks(&k);
        assert_eq!(codes(&k), [Code::KartePop3SingleCopy]);
        assert_eq!(f[0].params["device"], "PC");
        // A blank backup note is no backup.
        let mut d = device("PC", Protocol::Pop3, Some(true));
        d.backup = Some("  ".into());
        assert_eq!(codes(&karte(vec![d])), [Code::KartePop3SingleCopy]);
        // A backup noted, or the server keeps a copy: nothing.
        let k = karte(vec![backed_up(device("PC", Protocol::Pop3, Some(true)))]);
        assert!(codes(&k).is_empty());
        let k = karte(vec![device("PC", Protocol::Pop3, Some(false))]);
        assert!(codes(&k).is_empty());
        // The POP3 server's leave_on_server = false applies to a device that does not say.
        let mut k = karte(vec![device("PC", Protocol::Pop3, None)]);
        k.incoming.push(IncomingServer {
            protocol: Protocol::Pop3,
            host: "pop.example.jp".into(),
            port: Some(995),
            security: None,
            username: None,
            leave_on_server: Some(false),
            leave_on_server_days: None,
        });
        assert_eq!(codes(&k), [Code::KartePop3SingleCopy]);
    }

    #[test]
    fn several_pop3_devices_deleting() {
        let k = karte(vec![
            backed_up(device("PC", Protocol::Pop3, Some(true))),
            backed_up(after_days(device("Laptop", Protocol::Pop3, Some(true)), 7)),
        ]);
        let f = risks(&k);
        assert_eq!(codes(&k), [Code::KartePop3SeveralDeleting]);
        assert_eq!(f[0].params["devices"], "PC, Laptop");
        // All waiting some days: each device still downloads every message.
        let k = karte(vec![
            backed_up(after_days(device("PC", Protocol::Pop3, Some(true)), 14)),
            backed_up(after_days(device("Laptop", Protocol::Pop3, Some(true)), 7)),
        ]);
        assert!(codes(&k).is_empty());
        // One deleting device and one keeping: not "several deleting".
        let k = karte(vec![
            backed_up(device("PC", Protocol::Pop3, Some(true))),
            device("Laptop", Protocol::Pop3, Some(false)),
        ]);
        assert!(codes(&k).is_empty());
    }

    #[test]
    fn imap_without_a_quota_check() {
        let mut k = karte(vec![device("iPhone", Protocol::Imap, None)]);
        assert!(codes(&k).is_empty());
        // No history at all.
        k.history.clear();
        let f = risks(&k);
        assert_eq!(codes(&k), [Code::KarteImapQuotaUnchecked]);
        assert_eq!(f[0].params["checks"], "0");
        // Checks without a quota reading (no login, or no QUOTA on the server).
        k.history.push(entry(None));
        k.history.push(entry(None));
        assert_eq!(risks(&k)[0].params["checks"], "2");
        // One reading anywhere in the history is enough.
        k.history.push(entry(Some((10, 100))));
        assert!(codes(&k).is_empty());
        // A limit of zero is no reading.
        k.history.pop();
        k.history.push(entry(Some((10, 0))));
        assert_eq!(codes(&k), [Code::KarteImapQuotaUnchecked]);
        // POP3 only: the rule does not apply.
        let mut k = karte(vec![device("PC", Protocol::Pop3, Some(false))]);
        k.history.clear();
        assert!(codes(&k).is_empty());
        // No devices listed: an IMAP incoming server means IMAP is in use.
        let mut k = karte(Vec::new());
        k.history.clear();
        assert!(codes(&k).is_empty());
        k.incoming.push(IncomingServer {
            protocol: Protocol::Imap,
            host: "imap.example.jp".into(),
            port: None,
            security: None,
            username: None,
            leave_on_server: None,
            leave_on_server_days: None,
        });
        assert_eq!(codes(&k), [Code::KarteImapQuotaUnchecked]);
    }

    #[test]
    fn every_risk_at_once_in_rule_order() {
        let mut k = karte(vec![
            device("PC", Protocol::Pop3, Some(true)),
            device("Laptop", Protocol::Pop3, Some(true)),
            device("iPhone", Protocol::Imap, None),
        ]);
        k.history.clear();
        assert_eq!(
            codes(&k),
            [
                Code::KartePop3RemovesImapMail,
                Code::KartePop3RemovesImapMail,
                Code::KartePop3SingleCopy,
                Code::KartePop3SingleCopy,
                Code::KartePop3SeveralDeleting,
                Code::KarteImapQuotaUnchecked,
            ]
        );
        for f in risks(&k) {
            assert_eq!(f.severity, f.code.default_severity());
            let allowed = ["device", "imap_devices", "devices", "checks"];
            assert!(f.params.keys().all(|p| allowed.contains(&p.as_str())));
        }
    }
}
