//! How the rules see a report: the servers worth judging, each cut at the step that ended its
//! conversation, plus the shared helpers every area uses.

use crate::clock::{self, Skew};
use maildoc_model::{
    Code, ConnectOutcome, Endpoint, Finding, GreetingOutcome, LoginOutcome, LoginSkipReason,
    Origin, Phase, ProbeDepth, Protocol, ReplyOutcome, Report, ServerEvidence, StarttlsOutcome,
    Step, StepKind, TlsHandshake,
};

/// Everything the areas read.
pub(crate) struct Ctx<'a> {
    pub(crate) report: &'a Report,
    /// Full probes of configured servers, in report order.
    pub(crate) servers: Vec<ServerView<'a>>,
    /// TCP-only companion probes (587/465 beside port 25). Evidence only, never judged.
    pub(crate) companions: Vec<&'a ServerEvidence>,
    /// Other standard ports tried for a server that failed at the door, without a password.
    /// Judged only as what they tell of that server (see `alternatives`).
    pub(crate) alternatives: Vec<&'a ServerEvidence>,
    /// Whether any server gave a date in its greeting.
    pub(crate) has_reference_time: bool,
    /// This computer's clock disagrees with a server's greeting date.
    pub(crate) skew: Option<Skew>,
}

/// One judged server.
pub(crate) struct ServerView<'a> {
    pub(crate) ev: &'a ServerEvidence,
    /// Position in `report.servers`.
    pub(crate) rank: usize,
    /// The steps rules read: all of them up to and including the first step that ended the
    /// conversation (see [`live_len`]). Nothing after such a step is judged, so one root
    /// cause gives one finding.
    pub(crate) live: &'a [Step],
}

/// Whether a server is judged: a full probe of a configured server (not a companion, not
/// another port tried for one).
fn judged(ev: &ServerEvidence) -> bool {
    ev.depth == ProbeDepth::Full
        && !matches!(ev.origin, Origin::Companion | Origin::Alternative { .. })
}

/// How many leading steps count. The conversation ends (inclusively) at:
/// an unusable host; a failed lookup; the last connect attempt when none connected; a failed
/// TLS handshake; any greeting but a ready one; a STARTTLS that was not offered or refused;
/// trouble on the connection (except while logging out); a login or command without answer.
fn live_len(steps: &[Step]) -> usize {
    let mut seen_connect = false;
    let mut connected = false;
    for (i, step) in steps.iter().enumerate() {
        if let StepKind::Connect { outcome, .. } = &step.kind {
            seen_connect = true;
            connected |= *outcome == ConnectOutcome::Connected;
            continue;
        }
        if seen_connect && !connected {
            return i;
        }
        let ends = match &step.kind {
            StepKind::InvalidHost { .. } => true,
            StepKind::Resolve { outcome, .. } => *outcome != maildoc_model::ResolveOutcome::Found,
            StepKind::Tls(tls) => tls.handshake == TlsHandshake::Failed,
            StepKind::Greeting { outcome, .. } => *outcome != GreetingOutcome::Ready,
            StepKind::Starttls { outcome, .. } => *outcome != StarttlsOutcome::Accepted,
            StepKind::Trouble { phase, .. } => *phase != Phase::Logout,
            StepKind::Login(login) => login.outcome == LoginOutcome::NoAnswer,
            StepKind::Command { outcome, .. } => *outcome == ReplyOutcome::NoAnswer,
            _ => false,
        };
        if ends {
            return i + 1;
        }
    }
    steps.len()
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(report: &'a Report) -> Self {
        let mut servers = Vec::new();
        let mut companions = Vec::new();
        let mut alternatives = Vec::new();
        for (rank, ev) in report.servers.iter().enumerate() {
            if judged(ev) {
                let live = &ev.steps[..live_len(&ev.steps)];
                servers.push(ServerView { ev, rank, live });
            } else if matches!(ev.origin, Origin::Alternative { .. }) {
                alternatives.push(ev);
            } else {
                companions.push(ev);
            }
        }
        let (has_reference_time, skew) = clock::greeting_skew(&servers, report.started_at_unix);
        Ctx {
            report,
            servers,
            companions,
            alternatives,
            has_reference_time,
            skew,
        }
    }

    pub(crate) fn now(&self) -> i64 {
        self.report.started_at_unix
    }

    /// Merges repeated (code, server) findings and puts them in output order: account-wide
    /// first, then by server in report order, keeping the areas' order within a server.
    ///
    /// A merged finding keeps the first one's params unless a later one is more serious, whose
    /// severity and params then win; evidence is the union, in order.
    pub(crate) fn finish(&self, findings: Vec<Finding>) -> Vec<Finding> {
        let mut out: Vec<Finding> = Vec::new();
        for finding in findings {
            let same = out.iter_mut().find(|f| {
                f.server.is_some() && f.code == finding.code && f.server == finding.server
            });
            match same {
                Some(kept) => {
                    let mut evidence = std::mem::take(&mut kept.evidence);
                    if finding.severity < kept.severity {
                        kept.severity = finding.severity;
                        kept.params = finding.params;
                    }
                    for id in finding.evidence {
                        if !evidence.contains(&id) {
                            evidence.push(id);
                        }
                    }
                    kept.evidence = evidence;
                }
                None => out.push(finding),
            }
        }
        let rank = |f: &Finding| match &f.server {
            None => 0,
            Some(id) => self
                .servers
                .iter()
                .find(|s| &s.ev.id == id)
                .map_or(usize::MAX, |s| s.rank + 1),
        };
        out.sort_by_key(rank);
        out
    }
}

impl<'a> ServerView<'a> {
    pub(crate) fn endpoint(&self) -> &'a Endpoint {
        &self.ev.endpoint
    }

    pub(crate) fn protocol(&self) -> Protocol {
        self.ev.endpoint.protocol
    }

    /// A finding about this server with the common params: `server`, `protocol`, `host`,
    /// `port`, `security`.
    pub(crate) fn finding(&self, code: Code) -> Finding {
        let e = self.endpoint();
        Finding::new(code)
            .server(&self.ev.id)
            .param("server", e.describe())
            .param("protocol", e.protocol.label())
            .param("host", &e.host)
            .param("port", e.port)
            .param("security", e.security.label())
    }

    /// The last capability list before the conversation ended (the one after TLS when there
    /// is one).
    pub(crate) fn capabilities(&self) -> Option<(&'a Step, &'a [String])> {
        let mut found: Option<(&'a Step, &'a [String], bool)> = None;
        for step in self.live {
            if let StepKind::Capabilities {
                items, after_tls, ..
            } = &step.kind
            {
                // A later list replaces an earlier one, except that one from before TLS never
                // replaces one from after TLS.
                if found.is_none_or(|(_, _, prev_after_tls)| *after_tls || !prev_after_tls) {
                    found = Some((step, items, *after_tls));
                }
            }
        }
        found.map(|(step, items, _)| (step, items))
    }

    /// Why login was skipped, if it was.
    pub(crate) fn login_skipped(&self) -> Option<(&'a Step, LoginSkipReason)> {
        self.live.iter().find_map(|s| match &s.kind {
            StepKind::LoginSkipped { reason } => Some((s, *reason)),
            _ => None,
        })
    }

    /// Whether some login was accepted.
    pub(crate) fn logged_in(&self) -> bool {
        self.live
            .iter()
            .any(|s| matches!(&s.kind, StepKind::Login(l) if l.outcome == LoginOutcome::Accepted))
    }
}

/// Whether `text` contains one of `needles` (given in lower case), ignoring case.
pub(crate) fn mentions(text: &str, needles: &[&str]) -> bool {
    let text = text.to_lowercase();
    needles.iter().any(|n| text.contains(n))
}

/// The kebab-case name of a phase, as used in the `step` param.
pub(crate) fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Connect => "connect",
        Phase::Tls => "tls",
        Phase::Greeting => "greeting",
        Phase::Capabilities => "capabilities",
        Phase::Starttls => "starttls",
        Phase::Login => "login",
        Phase::Mailbox => "mailbox",
        Phase::Envelope => "envelope",
        Phase::Logout => "logout",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use crate::fixtures::*;
    use maildoc_model::*;

    #[test]
    fn repeated_findings_merge_and_order_follows_the_report() {
        // A trouble step and a login without answer both say "dropped": one finding.
        let smtp = Srv::smtp_submission().up().step(
            1,
            StepKind::Trouble {
                phase: Phase::Login,
                trouble: Trouble::Closed,
                detail: "eof".into(),
            },
        );
        let imap = Srv::imap_ssl().resolved().connect(ConnectOutcome::Refused);
        let mut r = report(vec![smtp.build(), imap.build()]);
        r.target.normalizations.push(input::Normalization {
            field: "address".into(),
            original: "ｔａｒｏ@example.jp".into(),
            normalized: "taro@example.jp".into(),
            kinds: vec![input::NormalizationKind::Nfkc],
        });
        let f = crate::diagnose(&r);
        assert_eq!(
            codes(&f),
            [
                "input-normalized",
                "connection-dropped@smtp",
                "connect-refused@imap"
            ]
        );
    }

    #[test]
    fn merging_keeps_the_more_serious_severity() {
        // Slow greeting (warning) and a timeout later (error) give one error.
        let imap = Srv::imap_ssl()
            .resolved()
            .connected()
            .tls(tls_valid("imap.example.jp", TlsMode::Implicit))
            .greeting_ms(
                4_000,
                GreetingOutcome::Ready,
                "* OK ready",
                Some(Spoken::Imap),
            )
            .step(
                30_000,
                StepKind::Trouble {
                    phase: Phase::Capabilities,
                    trouble: Trouble::Timeout,
                    detail: "read timed out".into(),
                },
            );
        let f = run(vec![imap.build()]);
        let slow = find(&f, "server-slow", "imap");
        assert_eq!(slow.severity, Severity::Error);
        assert_eq!(slow.params["step"], "capabilities");
        assert_eq!(slow.params["seconds"], "30.0");
        assert_eq!(slow.evidence, ["imap.4", "imap.5"]);
        assert_eq!(f.len(), 1);
    }
}
