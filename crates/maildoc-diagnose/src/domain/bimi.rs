//! BIMI: the record, DMARC at enforcement, the logo's SVG profile and the mark certificate.

use super::{DomainView, records};
use maildoc_model::domain::{BimiLogo, DomainReport, MarkCertificate};
use maildoc_model::{Code, Finding};

/// BIMI: the record, DMARC at enforcement, the logo's SVG profile and the mark certificate.
/// Everything that keeps the logo from showing goes into one finding.
pub(super) fn rules(v: &DomainView<'_>) -> Vec<Finding> {
    let report = v.report;
    let mut out = Vec::new();
    let Some(lookup) = &report.bimi else {
        return out;
    };
    let found: Vec<&String> = lookup
        .records
        .iter()
        .filter(|r| records::is_bimi(r))
        .collect();
    let mut problems: Vec<String> = Vec::new();
    match found.as_slice() {
        [] => return out,
        [one] => match records::parse_bimi(one) {
            Err(e) => problems.push(e),
            // Both empty: the domain declines to show a logo.
            Ok(r) if r.logo.is_empty() && r.certificate.is_empty() => return out,
            Ok(r) if r.logo.is_empty() => problems.push("l= names no logo".into()),
            Ok(_) => {}
        },
        more => problems.push(format!("{} BIMI records at {}", more.len(), lookup.name)),
    }
    match v.dmarc.policy() {
        Some((p, 100)) if p == "quarantine" || p == "reject" => {}
        Some((p, pct)) => problems.push(format!(
            "the DMARC policy is p={p} with pct={pct}, and BIMI needs p=quarantine or p=reject at pct=100"
        )),
        None => problems.push("no usable DMARC record applies, and BIMI needs one at enforcement".into()),
    }
    let assets = report.bimi_assets.clone().unwrap_or_default();
    if let Some(logo) = &assets.logo {
        problems.extend(logo_problems(logo));
    }
    if let Some(cert) = &assets.certificate {
        problems.extend(certificate_problems(report, cert, assets.logo.as_ref()));
    }
    if !problems.is_empty() {
        out.push(
            Finding::new(Code::BimiInvalid)
                .param("domain", &report.domain)
                .param("detail", problems.join("; "))
                .evidence(&lookup.name),
        );
    }
    out
}

/// What keeps a BIMI logo from the SVG Tiny Portable/Secure profile.
fn logo_problems(logo: &BimiLogo) -> Vec<String> {
    let url = &logo.url;
    if !logo.fetched {
        return vec![format!(
            "the logo {url} could not be fetched ({})",
            logo.detail
        )];
    }
    let Some(svg) = &logo.svg else {
        return vec![format!(
            "the logo {url} is not an SVG document ({})",
            logo.detail
        )];
    };
    let mut out = Vec::new();
    if svg.version.as_deref() != Some("1.2") {
        out.push(format!(
            "the logo's <svg> has version={}, not \"1.2\"",
            svg.version.as_deref().unwrap_or("(none)")
        ));
    }
    if svg.base_profile.as_deref() != Some("tiny-ps") {
        out.push(format!(
            "the logo's <svg> has baseProfile={}, not \"tiny-ps\"",
            svg.base_profile.as_deref().unwrap_or("(none)")
        ));
    }
    if !svg.has_title {
        out.push("the logo has no <title>".into());
    }
    if svg.root_position {
        out.push("the logo's <svg> element has x= or y=".into());
    }
    if logo.size > 32 * 1024 {
        out.push(format!("the logo is {} bytes, above 32 KB", logo.size));
    }
    out
}

/// What is wrong with a BIMI mark certificate, at the time of the report: its issuer (a Mark
/// Verifying Authority), dates, names and the logo it holds.
fn certificate_problems(
    report: &DomainReport,
    cert: &MarkCertificate,
    logo: Option<&BimiLogo>,
) -> Vec<String> {
    // Not fetched, or fetched but not a certificate: the detail says which.
    let Some(leaf) = cert.leaf.as_ref().filter(|_| cert.fetched) else {
        return vec![format!(
            "the mark certificate {} could not be read ({})",
            cert.url, cert.detail
        )];
    };
    let mut out = Vec::new();
    if !cert.issuer_verified {
        out.push(format!(
            "the mark certificate was not issued by a recognised Mark Verifying Authority ({})",
            cert.issuer_detail
        ));
    }
    out.extend(subject_problems(cert));
    // VMC requirements: no name constraints in a mark certificate, and no pilot identifier
    // in one issued from 2025-03-15 (Unix 1741996800) on.
    let has = |oid: &str| cert.extensions.iter().any(|e| e == oid);
    if has("2.5.29.30") {
        out.push("the mark certificate has a name constraints extension, which mark certificates may not".into());
    }
    if has("1.3.6.1.4.1.53087.4.1") && leaf.not_before_unix >= 1_741_996_800 {
        out.push("the mark certificate has the pilot identifier, which certificates issued from 2025-03-15 on may not".into());
    }
    let now = i64::try_from(report.started_at_unix).unwrap_or(i64::MAX);
    if leaf.not_after_unix < now {
        out.push(format!(
            "the mark certificate expired on {}",
            crate::fmt::date(leaf.not_after_unix)
        ));
    }
    if leaf.not_before_unix > now {
        out.push(format!(
            "the mark certificate is valid only from {}",
            crate::fmt::date(leaf.not_before_unix)
        ));
    }
    let names_domain = leaf.names.iter().any(|n| {
        n.eq_ignore_ascii_case(&report.domain) || n.eq_ignore_ascii_case(&report.dmarc.org_domain)
    });
    if !names_domain {
        out.push(format!(
            "the mark certificate names {}, not {}",
            if leaf.names.is_empty() {
                "no domain".to_string()
            } else {
                leaf.names.join(", ")
            },
            report.domain
        ));
    }
    match (&cert.logo_sha256, logo) {
        _ if !cert.logotype => {
            out.push("the mark certificate holds no logo (logotype extension)".into())
        }
        (Some(inside), Some(served)) if served.fetched && *inside != served.sha256 => {
            out.push("the logo in the mark certificate differs from the one at l=".into());
        }
        _ => {}
    }
    out
}

/// What the VMC requirements (section 7.1.4.2.2) ask of a mark certificate's subject: a
/// known markType and the fields every mark type and this one need.
fn subject_problems(cert: &MarkCertificate) -> Vec<String> {
    const ALL: &[&str] = &[
        "organizationName",
        "streetAddress",
        "countryName",
        "businessCategory",
        "serialNumber",
        "jurisdictionOfIncorporationCountryName",
    ];
    let by_type: &[&str] = match cert.mark_type.as_deref() {
        None => return vec!["the mark certificate's subject has no markType".into()],
        Some("Registered Mark" | "Modified Registered Mark") => {
            &["trademarkCountryOrRegionName", "trademarkIdentifier"]
        }
        Some("Government Mark") => &["statuteCountryName", "statuteCitation"],
        Some("Prior Use Mark") => &[],
        Some(other) => {
            return vec![format!(
                "the mark certificate's markType \"{other}\" is not one of Registered Mark, Government Mark, Prior Use Mark, Modified Registered Mark"
            )];
        }
    };
    let has = |f: &str| cert.subject_fields.iter().any(|s| s == f);
    let mut missing: Vec<&str> = ALL
        .iter()
        .chain(by_type)
        .copied()
        .filter(|f| !has(f))
        .collect();
    if !has("localityName") && !has("stateOrProvinceName") {
        missing.push("localityName or stateOrProvinceName");
    }
    if missing.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "the mark certificate's subject lacks {} (needed for a {} certificate)",
            missing.join(", "),
            cert.mark_type.as_deref().unwrap_or_default()
        )]
    }
}
