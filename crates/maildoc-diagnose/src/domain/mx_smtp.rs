//! The MX hosts over SMTP on port 25 (`--smtp`): STARTTLS and the certificate.

use super::DomainView;
use maildoc_model::{CertVerification, Code, Finding, StarttlsOutcome, StepKind, TlsHandshake};

/// `--smtp`: STARTTLS and the certificate of each MX host on port 25. A server that could not
/// be reached, refused service (421) or went silent is inconclusive from this network (port
/// 25 is often blocked outbound), never a fault.
pub(super) fn rules(v: &DomainView<'_>) -> Vec<Finding> {
    let report = v.report;
    let mut out = Vec::new();
    for ev in &report.smtp {
        let host = &ev.endpoint.host;
        let mut starttls: Option<(StarttlsOutcome, &str)> = None;
        let mut tls = None;
        for step in &ev.steps {
            match &step.kind {
                StepKind::Starttls { outcome, reply } => starttls = Some((*outcome, reply)),
                StepKind::Tls(t) => tls = Some(t),
                _ => {}
            }
        }
        match (starttls, tls) {
            (Some((StarttlsOutcome::NotOffered | StarttlsOutcome::Refused, reply)), _) => {
                out.push(
                    Finding::new(Code::MxStarttlsMissing)
                        .param("mx_host", host)
                        .param("reply", if reply.is_empty() { "-" } else { reply }),
                );
            }
            (_, Some(t))
                if !matches!(
                    t.verification,
                    CertVerification::Valid | CertVerification::NotChecked
                ) =>
            {
                out.push(
                    Finding::new(Code::MxCertInvalid)
                        .param("mx_host", host)
                        .param("verification", format!("{:?}", t.verification))
                        .param("detail", t.verify_error.as_deref().unwrap_or("-")),
                );
            }
            (_, Some(t)) if t.handshake == TlsHandshake::Established => {}
            _ => {
                let detail = ev
                    .steps
                    .iter()
                    .rev()
                    .find_map(|s| match &s.kind {
                        StepKind::Connect { detail, .. } if !detail.is_empty() => {
                            Some(detail.clone())
                        }
                        StepKind::Greeting { text, outcome, .. } => {
                            Some(format!("{outcome:?}: {text}"))
                        }
                        StepKind::Tls(t) => t.failure.as_ref().map(|f| f.detail.clone()),
                        StepKind::Resolve { detail, .. } if !detail.is_empty() => {
                            Some(detail.clone())
                        }
                        StepKind::Deadline { phase } => Some(format!("deadline ({phase:?})")),
                        _ => None,
                    })
                    .unwrap_or_else(|| "-".to_string());
                out.push(
                    Finding::new(Code::MxSmtpInconclusive)
                        .param("mx_host", host)
                        .param("detail", detail),
                );
            }
        }
    }
    out
}
