//! DMARC: the record that applies to the domain (its own or its organisational domain's),
//! its syntax and policy, and where its reports go.

use super::{DomainView, psl, records};
use maildoc_model::domain::{DmarcEvidence, DnsLookup};
use maildoc_model::{Code, Finding, ResolveOutcome};

/// The DMARC record that applies to the domain: (record domain, record text, from the
/// organisational domain), or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppliedDmarc<'a> {
    Record {
        record_domain: &'a str,
        record: &'a str,
        inherited: bool,
    },
    Missing,
    Multiple {
        record_domain: &'a str,
        count: usize,
    },
    /// A lookup failed (SERVFAIL, timeout): nothing can be said.
    Unknown,
}

pub fn applied_dmarc(d: &DmarcEvidence) -> AppliedDmarc<'_> {
    let pick = |lookup: &'_ DnsLookup| -> Vec<usize> {
        lookup
            .records
            .iter()
            .enumerate()
            .filter(|(_, r)| records::is_dmarc(r))
            .map(|(i, _)| i)
            .collect()
    };
    if d.lookup.is_inconclusive() {
        return AppliedDmarc::Unknown;
    }
    let own = pick(&d.lookup);
    let record_domain = d
        .lookup
        .name
        .strip_prefix("_dmarc.")
        .unwrap_or(&d.lookup.name);
    match own.len() {
        1 => {
            return AppliedDmarc::Record {
                record_domain,
                record: &d.lookup.records[own[0]],
                inherited: false,
            };
        }
        n if n > 1 => {
            return AppliedDmarc::Multiple {
                record_domain,
                count: n,
            };
        }
        _ => {}
    }
    let Some(org) = &d.org_lookup else {
        return AppliedDmarc::Missing;
    };
    if org.is_inconclusive() {
        return AppliedDmarc::Unknown;
    }
    let org_records = pick(org);
    let org_domain = org.name.strip_prefix("_dmarc.").unwrap_or(&org.name);
    match org_records.len() {
        0 => AppliedDmarc::Missing,
        1 => AppliedDmarc::Record {
            record_domain: org_domain,
            record: &org.records[org_records[0]],
            inherited: true,
        },
        n => AppliedDmarc::Multiple {
            record_domain: org_domain,
            count: n,
        },
    }
}

/// The DMARC record that applies to the domain, parsed: what the DMARC rules report on and
/// what BIMI, a parked domain and the sender requirements read.
pub(super) enum Applied<'a> {
    /// A lookup failed (SERVFAIL, timeout): nothing can be said.
    Unknown,
    Missing,
    Multiple {
        record_domain: &'a str,
        count: usize,
    },
    Invalid {
        record_domain: &'a str,
        detail: String,
    },
    Valid {
        record_domain: &'a str,
        record: &'a str,
        inherited: bool,
        parsed: records::Dmarc,
    },
}

impl<'a> Applied<'a> {
    pub(super) fn of(d: &'a DmarcEvidence) -> Self {
        match applied_dmarc(d) {
            AppliedDmarc::Unknown => Applied::Unknown,
            AppliedDmarc::Missing => Applied::Missing,
            AppliedDmarc::Multiple {
                record_domain,
                count,
            } => Applied::Multiple {
                record_domain,
                count,
            },
            AppliedDmarc::Record {
                record_domain,
                record,
                inherited,
            } => match records::parse_dmarc(record) {
                Ok(parsed) => Applied::Valid {
                    record_domain,
                    record,
                    inherited,
                    parsed,
                },
                Err(detail) => Applied::Invalid {
                    record_domain,
                    detail,
                },
            },
        }
    }

    /// The code of the finding that says no usable DMARC record applies; `None` when one
    /// applies or the lookups were inconclusive.
    pub(super) fn unusable(&self) -> Option<Code> {
        match self {
            Applied::Missing => Some(Code::DmarcMissing),
            Applied::Multiple { .. } => Some(Code::DmarcMultipleRecords),
            Applied::Invalid { .. } => Some(Code::DmarcInvalid),
            Applied::Unknown | Applied::Valid { .. } => None,
        }
    }

    /// The DMARC policy that applies to the domain itself and its pct (`p`, or `sp` when the
    /// organisational domain's record applies); `None` when no usable record applies.
    pub(super) fn policy(&self) -> Option<(&str, u8)> {
        match self {
            Applied::Valid {
                parsed, inherited, ..
            } => Some((policy_tag(parsed, *inherited).1, parsed.pct)),
            _ => None,
        }
    }
}

/// The DMARC rules.
pub(super) fn rules(v: &DomainView<'_>) -> Vec<Finding> {
    let report = v.report;
    let d = &report.dmarc;
    let mut out = Vec::new();
    match &v.dmarc {
        Applied::Unknown => {}
        Applied::Missing => out.push(
            Finding::new(Code::DmarcMissing)
                .param("domain", &report.domain)
                .param("org_domain", &d.org_domain)
                .evidence(&d.lookup.name),
        ),
        Applied::Multiple {
            record_domain,
            count,
        } => out.push(
            Finding::new(Code::DmarcMultipleRecords)
                .param("record_domain", record_domain)
                .param("count", count)
                .evidence(format!("_dmarc.{record_domain}")),
        ),
        Applied::Invalid {
            record_domain,
            detail,
        } => out.push(
            Finding::new(Code::DmarcInvalid)
                .param("record_domain", record_domain)
                .param("detail", detail)
                .evidence(format!("_dmarc.{record_domain}")),
        ),
        Applied::Valid {
            record_domain,
            record,
            inherited,
            parsed,
        } => {
            let (record_domain, record, inherited) = (*record_domain, *record, *inherited);
            let evidence = format!("_dmarc.{record_domain}");
            let removed: Vec<&str> = records::tag_list(record)
                .unwrap_or_default()
                .iter()
                .filter_map(|(t, _)| match t.as_str() {
                    "pct" => Some("pct="),
                    "rf" => Some("rf="),
                    "ri" => Some("ri="),
                    _ => None,
                })
                .collect();
            if !removed.is_empty() {
                out.push(
                    Finding::new(Code::DmarcRemovedTag)
                        .param("record_domain", record_domain)
                        .param("tags", removed.join(", "))
                        .evidence(&evidence),
                );
            }
            let lookup = if inherited {
                d.org_lookup.as_ref()
            } else {
                Some(&d.lookup)
            };
            let unrelated: Vec<String> = lookup
                .map(|l| {
                    l.records
                        .iter()
                        .filter(|r| !records::is_dmarc(r))
                        .map(|r| format!("\"{r}\""))
                        .collect()
                })
                .unwrap_or_default();
            if !unrelated.is_empty() {
                out.push(
                    Finding::new(Code::DmarcUnrelatedTxt)
                        .param("record_domain", record_domain)
                        .param("records", unrelated.join(", "))
                        .evidence(&evidence),
                );
            }
            let (tag, policy) = policy_tag(parsed, inherited);
            if policy == "none" {
                out.push(
                    Finding::new(Code::DmarcPolicyNone)
                        .param("record_domain", record_domain)
                        .param("tag", tag)
                        .evidence(&evidence),
                );
            }
            for dest in report_destination_domains(record) {
                if let Some(why) = undeliverable(d, &dest) {
                    out.push(
                        Finding::new(Code::DmarcReportUndeliverable)
                            .param("record_domain", record_domain)
                            .param("destination", &dest)
                            .param("detail", why)
                            .evidence(&dest),
                    );
                }
            }
            for dest in external_report_destinations(record_domain, record) {
                let name = report_authorization_name(record_domain, &dest);
                let Some(lookup) = d.report_authorizations.iter().find(|l| l.name == name) else {
                    continue;
                };
                let authorised = lookup.outcome == ResolveOutcome::Found
                    && lookup.records.iter().any(|r| records::is_dmarc(r));
                if !authorised && !lookup.is_inconclusive() {
                    out.push(
                        Finding::new(Code::DmarcRuaUnauthorized)
                            .param("record_domain", record_domain)
                            .param("destination", &dest)
                            .param("authorization_name", &name)
                            .evidence(&name),
                    );
                }
            }
        }
    }
    out
}

/// The domains of the rua/ruf destinations of a DMARC record that lie outside the record
/// domain's organisational domain: they must authorise the reports (RFC 7489 §7.1).
pub fn external_report_destinations(record_domain: &str, record: &str) -> Vec<String> {
    let own_org = psl::org_domain(record_domain);
    report_destination_domains(record)
        .into_iter()
        .filter(|dest| psl::org_domain(dest) != own_org)
        .collect()
}

/// The domains of all rua/ruf destinations of a DMARC record, each once, lower case.
pub fn report_destination_domains(record: &str) -> Vec<String> {
    let Ok(parsed) = records::parse_dmarc(record) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for addr in parsed.rua.iter().chain(&parsed.ruf) {
        if let Some((_, dest)) = addr.rsplit_once('@') {
            let dest = dest.trim_end_matches('.').to_ascii_lowercase();
            if !out.contains(&dest) {
                out.push(dest);
            }
        }
    }
    out
}

/// The name of the authorisation record of `dest` for reports about `record_domain`.
pub fn report_authorization_name(record_domain: &str, dest: &str) -> String {
    format!("{record_domain}._report._dmarc.{dest}")
}

/// Why mail to `dest` cannot be delivered, from its MX lookup and (when it has no MX) its
/// address lookup; `None` when it can, or when the lookups were inconclusive.
fn undeliverable(d: &DmarcEvidence, dest: &str) -> Option<String> {
    let mx = d.report_mx.iter().find(|l| l.name == dest)?;
    match mx.outcome {
        ResolveOutcome::NotFound => Some(format!("the domain {dest} does not exist (NXDOMAIN)")),
        ResolveOutcome::Found if mx.records.iter().all(|r| r.ends_with(" .")) => Some(format!(
            "{dest} publishes a null MX (RFC 7505): it accepts no mail"
        )),
        ResolveOutcome::NoAddress => {
            let a = d.report_addresses.iter().find(|l| l.name == dest)?;
            matches!(
                a.outcome,
                ResolveOutcome::NotFound | ResolveOutcome::NoAddress
            )
            .then(|| format!("{dest} has neither MX records nor an address"))
        }
        _ => None,
    }
}

/// The tag whose policy applies and its value: `sp` (when given) for a domain under the
/// organisational domain whose record it inherits, else `p`.
fn policy_tag(parsed: &records::Dmarc, inherited: bool) -> (&'static str, &str) {
    match (&parsed.sp, inherited) {
        (Some(sp), true) => ("sp", sp.as_str()),
        _ => ("p", parsed.p.as_str()),
    }
}
