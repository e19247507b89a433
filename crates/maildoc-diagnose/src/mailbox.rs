//! The mailbox: quota use (IMAP QUOTA), and an own mailbox the SMTP server calls full.
//!
//! Per server, the fullest STORAGE or MESSAGE quota gives at most one finding: over quota
//! (usage at or above the limit) or near quota (90 % or more). `used`/`limit` are sizes for
//! STORAGE (`2.5 GB`) and counts for MESSAGE; `resource` says which.
//!
//! An SMTP server that refuses RCPT TO the own address as full (`5.2.2`, `4.2.2`, "quota",
//! "mailbox full") gives `mailbox-over-quota` with `used`, `limit` and `percent` set to `?`
//! (unknown) and the server's `reply`. It is left out when an incoming server's quota already
//! says the mailbox is over quota: one full mailbox, one finding.
//!
//! An incoming server that took the login and then refused to open the mailbox (IMAP `STATUS
//! INBOX`, POP3 `STAT` answered `NO`/`-ERR`) gives what its reply says: the server unavailable
//! (`[SERVERBUG]`, "internal error"), too many connections (`[INUSE]`, "in use"), or the
//! mailbox over quota. A mail app could not read mail there, whatever the login said.

use crate::fmt;
use crate::view::{Ctx, mentions};
use maildoc_model::{Code, CommandKind, Finding, Protocol, ReplyOutcome, Step, StepKind};

/// Share of the limit (percent) from which a mailbox is nearly full.
const NEAR_PERCENT: u128 = 90;

const FULL_WORDS: &[&str] = &["quota", "mailbox full", "mailbox is full"];

pub(crate) fn rules(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for sv in &ctx.servers {
        // (level: 2 over, 1 near; step; resource; usage; limit)
        let mut fullest: Option<(u8, &Step, &str, u64, u64)> = None;
        for step in sv.live {
            let StepKind::Quota {
                resource,
                usage,
                limit,
                ..
            } = &step.kind
            else {
                continue;
            };
            let storage = resource.eq_ignore_ascii_case("STORAGE");
            if (!storage && !resource.eq_ignore_ascii_case("MESSAGE")) || *limit == 0 {
                continue;
            }
            let level = if usage >= limit {
                2
            } else if u128::from(*usage) * 100 >= NEAR_PERCENT * u128::from(*limit) {
                1
            } else {
                0
            };
            if level > 0 && fullest.is_none_or(|(best, ..)| level > best) {
                fullest = Some((level, step, resource, *usage, *limit));
            }
        }
        let Some((level, step, resource, usage, limit)) = fullest else {
            continue;
        };
        let code = if level == 2 {
            Code::MailboxOverQuota
        } else {
            Code::MailboxNearQuota
        };
        let (used, limit_text) = if resource.eq_ignore_ascii_case("STORAGE") {
            (fmt::kib(usage), fmt::kib(limit))
        } else {
            (usage.to_string(), limit.to_string())
        };
        let percent = u128::from(usage) * 100 / u128::from(limit);
        out.push(
            sv.finding(code)
                .param("used", used)
                .param("limit", limit_text)
                .param("percent", percent)
                .param("resource", resource.to_ascii_uppercase())
                .evidence(&step.id),
        );
    }
    for sv in ctx
        .servers
        .iter()
        .filter(|s| s.protocol() != Protocol::Smtp)
    {
        let refused = sv.live.iter().find_map(|step| match &step.kind {
            StepKind::Command {
                command: CommandKind::Status | CommandKind::Stat,
                outcome: ReplyOutcome::PermFail | ReplyOutcome::TempFail,
                reply,
                ..
            } => Some((step, reply)),
            _ => None,
        });
        let Some((step, reply)) = refused else {
            continue;
        };
        let full = out
            .iter()
            .any(|f| f.code == Code::MailboxOverQuota && f.server.as_deref() == Some(&sv.ev.id));
        if full {
            continue;
        }
        let finding = if mentions(reply, &["overquota", "over quota", "quota exceeded"]) {
            sv.finding(Code::MailboxOverQuota)
                .param("used", "?")
                .param("limit", "?")
                .param("percent", "?")
                .param("reply", reply)
        } else {
            crate::greeting::refused(sv, reply)
        };
        out.push(finding.evidence(&step.id));
    }
    let quota_says_full = out.iter().any(|f| f.code == Code::MailboxOverQuota);
    if !quota_says_full {
        for sv in ctx
            .servers
            .iter()
            .filter(|s| s.protocol() == Protocol::Smtp)
        {
            for step in sv.live {
                if let StepKind::Command {
                    command: CommandKind::RcptOwn,
                    reply,
                    ..
                } = &step.kind
                    && says_mailbox_full(&step.kind)
                {
                    out.push(
                        sv.finding(Code::MailboxOverQuota)
                            .param("used", "?")
                            .param("limit", "?")
                            .param("percent", "?")
                            .param("reply", reply)
                            .evidence(&step.id),
                    );
                }
            }
        }
    }
    out
}

/// Whether a refused RCPT TO says the mailbox is full.
pub(crate) fn says_mailbox_full(kind: &StepKind) -> bool {
    let StepKind::Command {
        outcome,
        reply,
        status,
        ..
    } = kind
    else {
        return false;
    };
    matches!(outcome, ReplyOutcome::PermFail | ReplyOutcome::TempFail)
        && (matches!(status.as_deref(), Some("5.2.2" | "4.2.2")) || mentions(reply, FULL_WORDS))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use crate::fixtures::*;
    use maildoc_model::*;

    #[test]
    fn a_mailbox_the_server_will_not_open_after_the_login_is_not_fine() {
        let imap = logged_in_imap().command(
            CommandKind::Status,
            "INBOX",
            ReplyOutcome::PermFail,
            "a3 NO [SERVERBUG] Internal error occurred. Refer to server log for more information.",
            None,
            Some("SERVERBUG"),
        );
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["server-unavailable@imap"]);
        assert!(f[0].params["reply"].contains("SERVERBUG"));
        let imap = logged_in_imap().command(
            CommandKind::Status,
            "INBOX",
            ReplyOutcome::PermFail,
            "a3 NO [INUSE] Mailbox in use",
            None,
            Some("INUSE"),
        );
        assert_eq!(
            codes(&run(vec![imap.build()])),
            ["too-many-connections@imap"]
        );
    }

    fn quota(srv: Srv, resource: &str, usage: u64, limit: u64) -> Srv {
        srv.step(
            0,
            StepKind::Quota {
                root: String::new(),
                resource: resource.into(),
                usage,
                limit,
            },
        )
    }

    fn logged_in_imap() -> Srv {
        Srv::imap_ssl().up().login(login_ev(
            "taro",
            UsernameForm::AsGiven,
            LoginOutcome::Accepted,
            "OK",
            None,
            None,
        ))
    }

    #[test]
    fn quota_levels() {
        let imap = quota(logged_in_imap(), "STORAGE", 943_719, 1_048_576);
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["mailbox-near-quota@imap"]);
        assert_eq!(f[0].params["used"], "921.6 MB");
        assert_eq!(f[0].params["limit"], "1.0 GB");
        assert_eq!(f[0].params["percent"], "90");
        assert_eq!(f[0].evidence, ["imap.7"]);

        let imap = quota(logged_in_imap(), "STORAGE", 100, 1_048_576);
        assert!(run(vec![imap.build()]).is_empty());

        // Storage nearly full but the message count is over: one finding, the worse one.
        let imap = quota(
            quota(logged_in_imap(), "STORAGE", 960_000, 1_048_576),
            "MESSAGE",
            10_000,
            10_000,
        );
        let f = run(vec![imap.build()]);
        assert_eq!(codes(&f), ["mailbox-over-quota@imap"]);
        assert_eq!(f[0].params["used"], "10000");
        assert_eq!(f[0].params["percent"], "100");
        assert_eq!(f[0].params["resource"], "MESSAGE");
    }

    fn smtp_full() -> Srv {
        Srv::smtp_submission()
            .up()
            .login(login_ev(
                "taro",
                UsernameForm::AsGiven,
                LoginOutcome::Accepted,
                "235 ok",
                None,
                Some(235),
            ))
            .command(
                CommandKind::MailFrom,
                "taro@example.jp",
                ReplyOutcome::Ok,
                "250 ok",
                Some(250),
                None,
            )
            .command(
                CommandKind::RcptOwn,
                "taro@example.jp",
                ReplyOutcome::PermFail,
                "552 5.2.2 Mailbox full",
                Some(552),
                Some("5.2.2"),
            )
    }

    #[test]
    fn smtp_says_the_own_mailbox_is_full() {
        let f = run(vec![smtp_full().build()]);
        assert_eq!(codes(&f), ["mailbox-over-quota@smtp"]);
        assert_eq!(f[0].params["used"], "?");
        assert_eq!(f[0].params["reply"], "552 5.2.2 Mailbox full");

        // The quota already said so: no second finding.
        let imap = quota(logged_in_imap(), "STORAGE", 2_000_000, 1_048_576);
        let f = run(vec![imap.build(), smtp_full().build()]);
        assert_eq!(codes(&f), ["mailbox-over-quota@imap"]);
    }
}
