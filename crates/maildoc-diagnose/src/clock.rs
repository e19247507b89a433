//! clock-skew: this computer's clock against the dates servers give.
//!
//! The reference is a date a server put in its greeting (`Greeting.server_time`, typically an
//! SMTP banner). With several, the one closest to the local clock is used, so one server with
//! a wrong clock cannot accuse ours: the local clock is called wrong only when every greeting
//! date is more than [`MAX_SKEW`] away. The finding is account-wide.
//!
//! A clock skew found this way also clears certificates: a leaf that is valid at the
//! reference time gets no `cert-expired` / `cert-not-yet-valid` (see the tls area).
//!
//! Without any greeting date there is a weaker hint: when the leaves of at least two servers,
//! at least two different certificates, *all* look expired (or all not yet valid) and no
//! handshake verified cleanly, the clock is the likelier culprit. That gives a `clock-skew`
//! warning whose `reference_time` is the earliest `not_after` (the latest `not_before` for
//! not-yet-valid leaves): the real time cannot be later (earlier) than that. The certificate
//! findings stay, since this is only a hint.

use crate::fmt;
use crate::view::{Ctx, ServerView};
use maildoc_model::{
    CertProblem, CertVerification, Code, Finding, Severity, StepKind, TlsHandshake,
};

/// More than this many seconds between the local clock and the reference is a skew.
pub(crate) const MAX_SKEW: i64 = 300;

/// The local clock disagrees with a greeting date.
pub(crate) struct Skew {
    /// The server's time (Unix seconds).
    pub(crate) reference: i64,
    step_id: String,
    /// `SMTP greeting of smtp.example.jp`
    source: String,
    /// The protocol label and host of that greeting, for renderers that word it themselves.
    protocol: &'static str,
    host: String,
}

/// Returns whether any greeting gave a date, and the skew when even the closest date is more
/// than [`MAX_SKEW`] away from `now`.
pub(crate) fn greeting_skew(servers: &[ServerView<'_>], now: i64) -> (bool, Option<Skew>) {
    let mut closest: Option<(i64, Skew)> = None;
    for sv in servers {
        for step in sv.live {
            let StepKind::Greeting {
                server_time: Some(time),
                ..
            } = &step.kind
            else {
                continue;
            };
            let gap = now.saturating_sub(*time).saturating_abs();
            if closest.as_ref().is_none_or(|(best, _)| gap < *best) {
                let source = format!(
                    "{} greeting of {}",
                    sv.protocol().label(),
                    sv.endpoint().host
                );
                let skew = Skew {
                    reference: *time,
                    step_id: step.id.clone(),
                    source,
                    protocol: sv.protocol().label(),
                    host: sv.endpoint().host.clone(),
                };
                closest = Some((gap, skew));
            }
        }
    }
    match closest {
        None => (false, None),
        Some((gap, skew)) => (true, (gap > MAX_SKEW).then_some(skew)),
    }
}

pub(crate) fn rules(ctx: &Ctx<'_>) -> Vec<Finding> {
    if let Some(skew) = &ctx.skew {
        let finding = skew_finding(ctx.now(), skew.reference, &skew.source)
            .param("reference_kind", "greeting")
            .param("reference_protocol", skew.protocol)
            .param("reference_host", &skew.host)
            .evidence(&skew.step_id);
        return vec![finding];
    }
    if ctx.has_reference_time {
        return Vec::new();
    }
    certificate_hint(ctx).into_iter().collect()
}

/// Params: `local_time`, `reference_time`, `difference` (and the same in seconds,
/// `difference_seconds`), `reference`, and `direction` (`ahead` when the local clock is later
/// than the reference, else `behind`).
fn skew_finding(now: i64, reference: i64, source: &str) -> Finding {
    Finding::new(Code::ClockSkew)
        .param("local_time", fmt::date_time(now))
        .param("reference_time", fmt::date_time(reference))
        .param("difference", fmt::duration(now.saturating_sub(reference)))
        .param(
            "difference_seconds",
            now.saturating_sub(reference).saturating_abs(),
        )
        .param("reference", source)
        .param(
            "direction",
            if now > reference { "ahead" } else { "behind" },
        )
}

/// The weaker hint from certificates, when no greeting gave a date.
fn certificate_hint(ctx: &Ctx<'_>) -> Option<Finding> {
    let mut steps = Vec::new();
    let mut servers = Vec::new();
    let mut certs = Vec::new();
    let (mut all_expired, mut all_not_yet) = (true, true);
    let (mut earliest_end, mut latest_start) = (i64::MAX, i64::MIN);
    for sv in &ctx.servers {
        for step in sv.live {
            let StepKind::Tls(tls) = &step.kind else {
                continue;
            };
            if tls.handshake != TlsHandshake::Established {
                continue;
            }
            if tls.verification == CertVerification::Valid {
                return None;
            }
            let Some(leaf) = tls.chain.first() else {
                continue;
            };
            all_expired &= tls.verification == CertVerification::Expired
                || tls.leaf_problems.contains(&CertProblem::Expired);
            all_not_yet &= tls.verification == CertVerification::NotYetValid
                || tls.leaf_problems.contains(&CertProblem::NotYetValid);
            earliest_end = earliest_end.min(leaf.not_after_unix);
            latest_start = latest_start.max(leaf.not_before_unix);
            steps.push(step.id.as_str());
            servers.push(sv.ev.id.as_str());
            certs.push((
                leaf.sha256.as_str(),
                leaf.serial.as_str(),
                leaf.subject.as_str(),
            ));
        }
    }
    servers.sort_unstable();
    servers.dedup();
    certs.sort_unstable();
    certs.dedup();
    if servers.len() < 2 || certs.len() < 2 {
        return None;
    }
    let reference = if all_expired {
        earliest_end
    } else if all_not_yet {
        latest_start
    } else {
        return None;
    };
    let finding = steps.into_iter().fold(
        skew_finding(ctx.now(), reference, "certificates of several servers")
            .param("reference_kind", "certificates")
            .severity(Severity::Warning),
        Finding::evidence,
    );
    Some(finding)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use crate::fixtures::*;
    use maildoc_model::*;

    fn smtp_with_date(time: i64) -> Srv {
        Srv::smtp_submission().resolved().connected().greeting_at(
            "220 smtp.example.jp ESMTP Sun, 15 Jun 2025 12:01:40 +0000",
            time,
        )
    }

    #[test]
    fn greeting_date_far_from_local_clock_is_clock_skew() {
        let f = run(vec![smtp_with_date(NOW - (3 * 3_600 + 5 * 60)).build()]);
        assert_eq!(codes(&f), ["clock-skew"]);
        let skew = &f[0];
        assert_eq!(skew.server, None);
        assert_eq!(skew.severity, Severity::Error);
        assert_eq!(skew.evidence, ["smtp.3"]);
        assert_eq!(skew.params["local_time"], "2025-06-15 15:06:40 UTC");
        assert_eq!(skew.params["reference_time"], "2025-06-15 12:01:40 UTC");
        assert_eq!(skew.params["difference"], "3 hours 5 minutes");
        assert_eq!(skew.params["reference"], "SMTP greeting of smtp.example.jp");
        assert_eq!(skew.params["direction"], "ahead");
    }

    #[test]
    fn small_differences_and_one_wrong_server_are_no_skew() {
        assert!(run(vec![smtp_with_date(NOW + 200).build()]).is_empty());
        // The IMAP server's clock is off, the SMTP server agrees with ours.
        let imap = Srv::imap_starttls()
            .resolved()
            .connected()
            .greeting_at("* OK ready", NOW - 5 * DAY);
        assert!(run(vec![imap.build(), smtp_with_date(NOW + 10).build()]).is_empty());
    }

    #[test]
    fn clock_skew_clears_certificates_valid_at_the_reference_time() {
        // Local clock is 10 days ahead; the leaf ran out 2 days ago by the local clock but is
        // valid at the server's time.
        let mut tls = tls_valid("imap.example.jp", TlsMode::Implicit);
        tls.verification = CertVerification::Expired;
        tls.chain[0].not_before_unix = NOW - 90 * DAY;
        tls.chain[0].not_after_unix = NOW - 2 * DAY;
        let imap = Srv::imap_ssl().up_with(tls.clone());
        let f = run(vec![imap.build(), smtp_with_date(NOW - 10 * DAY).build()]);
        assert_eq!(codes(&f), ["clock-skew"]);
        assert_eq!(f[0].params["difference"], "10 days");

        // Expired also at the server's time: the certificate really is expired.
        let imap = Srv::imap_ssl().up_with(tls);
        let f = run(vec![imap.build(), smtp_with_date(NOW - DAY).build()]);
        assert_eq!(codes(&f), ["clock-skew", "cert-expired@imap"]);
    }

    #[test]
    fn several_expired_certificates_without_a_date_hint_at_the_clock() {
        let expired = |host: &str, end: i64, sha: &str| {
            let mut tls = tls_valid(host, TlsMode::Implicit);
            tls.verification = CertVerification::Expired;
            tls.chain[0].not_after_unix = end;
            tls.chain[0].sha256 = sha.into();
            tls
        };
        let imap = Srv::imap_ssl().up_with(expired("imap.example.jp", NOW - 3 * DAY, "aa"));
        let smtp = Srv::smtp_ssl().up_with(expired("smtp.example.jp", NOW - 5 * DAY, "bb"));
        let f = run(vec![imap.build(), smtp.build()]);
        assert_eq!(
            codes(&f),
            ["clock-skew", "cert-expired@imap", "cert-expired@smtp"]
        );
        let skew = &f[0];
        assert_eq!(skew.severity, Severity::Warning);
        assert_eq!(skew.params["reference"], "certificates of several servers");
        assert_eq!(skew.params["reference_time"], "2025-06-10 15:06:40 UTC");
        assert_eq!(skew.params["difference"], "5 days");
        assert_eq!(skew.evidence, ["imap.3", "smtp.3"]);

        // One certificate shared by both hosts that really expired: no clock hint.
        let imap = Srv::imap_ssl().up_with(expired("imap.example.jp", NOW - 3 * DAY, "aa"));
        let smtp = Srv::smtp_ssl().up_with(expired("imap.example.jp", NOW - 3 * DAY, "aa"));
        let f = run(vec![imap.build(), smtp.build()]);
        assert!(!codes(&f).contains(&"clock-skew".to_string()));

        // A clean handshake elsewhere: the clock is fine.
        let imap = Srv::imap_ssl().up_with(expired("imap.example.jp", NOW - 3 * DAY, "aa"));
        let pop = Srv::pop3_ssl().up_with(expired("pop.example.jp", NOW - 3 * DAY, "cc"));
        let smtp = Srv::smtp_ssl().up();
        let f = run(vec![imap.build(), pop.build(), smtp.build()]);
        assert!(!codes(&f).contains(&"clock-skew".to_string()));
    }
}
