//! What was typed: rewrites maildoc made (`input-normalized`) and host fields that hold no
//! host name at all (`host-looks-like-address`).

use crate::view::Ctx;
use maildoc_model::{Code, Finding, InvalidHostReason, StepKind};

pub(crate) fn rules(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out: Vec<Finding> = ctx
        .report
        .target
        .normalizations
        .iter()
        .map(|n| {
            Finding::new(Code::InputNormalized)
                .param("field", &n.field)
                .param("original", &n.original)
                .param("normalized", &n.normalized)
        })
        .collect();
    for sv in &ctx.servers {
        for step in sv.live {
            if let StepKind::InvalidHost { reason, .. } = &step.kind {
                out.push(
                    sv.finding(Code::HostLooksLikeAddress)
                        .param("reason", reason_name(*reason))
                        .evidence(&step.id),
                );
            }
        }
    }
    out
}

/// The `reason` param: `contains-at`, `bad-characters`, `empty`.
fn reason_name(reason: InvalidHostReason) -> &'static str {
    match reason {
        InvalidHostReason::ContainsAt => "contains-at",
        InvalidHostReason::BadCharacters => "bad-characters",
        InvalidHostReason::Empty => "empty",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use crate::fixtures::*;
    use maildoc_model::input::{Normalization, NormalizationKind};
    use maildoc_model::*;

    #[test]
    fn one_info_finding_per_normalization() {
        let mut r = report(vec![]);
        for (field, original, normalized) in [
            ("address", "ｔａｒｏ＠example.jp", "taro@example.jp"),
            ("imap", "ｉｍａｐ.example.jp", "imap.example.jp"),
        ] {
            r.target.normalizations.push(Normalization {
                field: field.into(),
                original: original.into(),
                normalized: normalized.into(),
                kinds: vec![NormalizationKind::Nfkc],
            });
        }
        let f = crate::diagnose(&r);
        assert_eq!(codes(&f), ["input-normalized", "input-normalized"]);
        assert_eq!(f[0].severity, Severity::Info);
        assert_eq!(f[0].params["field"], "address");
        assert_eq!(f[0].params["original"], "ｔａｒｏ＠example.jp");
        assert_eq!(f[1].params["normalized"], "imap.example.jp");
        assert_eq!(f[1].server, None);
    }

    #[test]
    fn a_mail_address_in_the_host_field() {
        let imap = Srv::new(
            "imap",
            Protocol::Imap,
            "taro@example.jp",
            993,
            Security::Tls,
        )
        .step(
            0,
            StepKind::InvalidHost {
                host: "taro@example.jp".into(),
                reason: InvalidHostReason::ContainsAt,
            },
        );
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["host-looks-like-address@imap"]);
        assert_eq!(f[0].params["host"], "taro@example.jp");
        assert_eq!(f[0].params["reason"], "contains-at");
    }
}
