//! Name lookup: the Resolve step's outcome.

use crate::view::Ctx;
use maildoc_model::{Code, Finding, ResolveOutcome, StepKind};

pub(crate) fn rules(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for sv in &ctx.servers {
        for step in sv.live {
            let StepKind::Resolve {
                outcome, detail, ..
            } = &step.kind
            else {
                continue;
            };
            let code = match outcome {
                ResolveOutcome::Found => continue,
                ResolveOutcome::NotFound => Code::DnsHostNotFound,
                ResolveOutcome::NoAddress => Code::DnsNoAddress,
                ResolveOutcome::ServerFailure | ResolveOutcome::ResolverError => {
                    Code::DnsResolverFailure
                }
                ResolveOutcome::Timeout => Code::DnsTimeout,
            };
            out.push(sv.finding(code).param("detail", detail).evidence(&step.id));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use crate::fixtures::*;
    use maildoc_model::*;

    #[test]
    fn lookup_failures_and_nothing_after_them() {
        for (outcome, code) in [
            (ResolveOutcome::NotFound, "dns-host-not-found@imap"),
            (ResolveOutcome::NoAddress, "dns-no-address@imap"),
            (ResolveOutcome::ServerFailure, "dns-resolver-failure@imap"),
            (ResolveOutcome::ResolverError, "dns-resolver-failure@imap"),
            (ResolveOutcome::Timeout, "dns-timeout@imap"),
        ] {
            let imap = Srv::imap_ssl()
                .step(
                    20,
                    StepKind::Resolve {
                        host: "imap.example.jp".into(),
                        outcome,
                        addresses: vec![],
                        detail: "rcode".into(),
                    },
                )
                .step(
                    0,
                    StepKind::Deadline {
                        phase: Phase::Connect,
                    },
                );
            let f = run(vec![imap.build()]);
            assert_eq!(codes(&f), [code]);
            assert_eq!(f[0].params["detail"], "rcode");
            assert_eq!(f[0].evidence, ["imap.1"]);
        }
    }
}
