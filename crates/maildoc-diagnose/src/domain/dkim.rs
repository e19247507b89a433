//! DKIM keys at the selectors given and the common ones: revoked, weak, unusable, in test
//! mode, or none found.

use super::DomainView;
use super::records::{self, DkimKey};
use maildoc_model::domain::{DkimEvidence, DomainReport};
use maildoc_model::{Code, Finding, Severity};

/// RSA keys shorter than this receivers treat as absent (RFC 8301).
const MIN_RSA_BITS: u32 = 1024;

/// The key at a selector that publishes one (its first key record).
pub(super) struct Selector<'a> {
    evidence: &'a DkimEvidence,
    pub(super) key: DkimKey,
}

/// The key of each selector that publishes one, in the report's order.
pub(super) fn selectors(report: &DomainReport) -> Vec<Selector<'_>> {
    report
        .dkim
        .iter()
        .filter_map(|k| {
            let key = k.lookup.records.iter().find(|r| records::is_dkim_key(r))?;
            Some(Selector {
                evidence: k,
                key: records::parse_dkim_key(key),
            })
        })
        .collect()
}

/// Whether receivers can verify signatures made with `key`.
pub(super) fn usable(key: &DkimKey) -> bool {
    match key {
        DkimKey::Rsa { bits, .. } => *bits >= MIN_RSA_BITS,
        DkimKey::Ed25519 { .. } => true,
        DkimKey::Revoked { .. } | DkimKey::Unusable { .. } => false,
    }
}

/// Whether `key` is an RSA key so short that receivers treat its signatures as absent.
pub(super) fn too_short(key: &DkimKey) -> bool {
    matches!(key, DkimKey::Rsa { bits, .. } if *bits < MIN_RSA_BITS)
}

pub(super) fn rules(v: &DomainView<'_>) -> Vec<Finding> {
    let report = v.report;
    let domain = &report.domain;
    let mut out = Vec::new();
    for Selector { evidence: k, key } in &v.dkim {
        let sel = k.selector.as_str();
        let ev = k.lookup.name.as_str();
        match key {
            DkimKey::Revoked { .. } => out.push(
                Finding::new(Code::DkimKeyRevoked)
                    .param("domain", domain)
                    .param("selector", sel)
                    .evidence(ev),
            ),
            DkimKey::Rsa { bits, .. } if *bits < 2048 => {
                let f = Finding::new(Code::DkimKeyWeak)
                    .param("domain", domain)
                    .param("selector", sel)
                    .param("bits", bits)
                    .evidence(ev);
                out.push(if too_short(key) {
                    f.severity(Severity::Error)
                } else {
                    f
                });
            }
            DkimKey::Rsa { .. } | DkimKey::Ed25519 { .. } => {}
            DkimKey::Unusable { detail, .. } => out.push(
                Finding::new(Code::DkimKeyInvalid)
                    .param("domain", domain)
                    .param("selector", sel)
                    .param("detail", detail)
                    .evidence(ev),
            ),
        }
        if key.testing() {
            out.push(
                Finding::new(Code::DkimTesting)
                    .param("domain", domain)
                    .param("selector", sel)
                    .evidence(ev),
            );
        }
    }
    let missing_given: Vec<&str> = report
        .dkim
        .iter()
        .filter(|k| k.given && !k.lookup.is_inconclusive())
        .filter(|k| !k.lookup.records.iter().any(|r| records::is_dkim_key(r)))
        .map(|k| k.selector.as_str())
        .collect();
    if !missing_given.is_empty() {
        out.push(
            Finding::new(Code::DkimKeyMissing)
                .param("domain", domain)
                .param("selectors", missing_given.join(", ")),
        );
    } else if v.dkim.is_empty() && report.dkim.iter().all(|k| !k.lookup.is_inconclusive()) {
        let tried: Vec<&str> = report.dkim.iter().map(|k| k.selector.as_str()).collect();
        out.push(
            Finding::new(Code::DkimKeyMissing)
                .param("domain", domain)
                .param("selectors", tried.join(", ")),
        );
    }
    out
}
