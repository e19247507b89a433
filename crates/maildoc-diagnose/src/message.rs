//! The rules over a received message's evidence (`maildoc message`).
//!
//! First which headers to believe ([`trust`]): the hops the receiver's own provider added are
//! the newest ones whose `by` host is in the receiver's organisational domain (and the local
//! hand-offs among them); every header below the oldest of them was there before the message
//! reached the receiver, and could have been written by anybody, the sender included. Of the
//! Authentication-Results above that line, only those with the receiver's authserv-id (the
//! topmost one's, RFC 8601 §5) count. Then the findings ([`diagnose`]), from the trusted
//! reports only.

use crate::domain::psl::org_domain;
use maildoc_model::message::{DkimVerdict, EncodingProblem, HopTls, MessageReport, SpamVerdict};
use maildoc_model::{Code, Finding};

/// The most findings of one hop code: a header of thousands of hops says it all in a few.
const MAX_PER_CODE: usize = 5;

/// A total delay from this many seconds on is worth a finding.
const SLOW_TOTAL_S: i64 = 600;

/// Providers that name their servers under more than one registered domain: each group is
/// one receiver (Exchange Online hands a message from `*.mail.protection.outlook.com` to
/// `*.outlook.office365.com` and on to `*.prod.outlook.com`).
const ONE_PROVIDER: &[&[&str]] = &[
    &[
        "outlook.com",
        "office365.com",
        "exchangelabs.com",
        "hotmail.com",
        "live.com",
    ],
    &["google.com", "gmail.com", "googlemail.com"],
    &["yahoo.com", "yahoodns.net", "yahoo.net"],
];

/// The organisational domain of a host name (none for an address or a bare name), one name
/// for each provider of [`ONE_PROVIDER`].
fn org_of(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.');
    if !host.contains('.') || host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return None;
    }
    let org = org_domain(&host.to_ascii_lowercase())?;
    Some(
        ONE_PROVIDER
            .iter()
            .find(|group| group.contains(&org.as_str()))
            .map_or(org, |group| group[0].to_owned()),
    )
}

/// Microsoft's own filter headers, which Exchange Online writes at the bottom of the header
/// and removes from what arrives from outside (its header firewall).
const MICROSOFT_HEADERS: &[&str] = &[
    "x-ms-exchange-organization-",
    "x-forefront-antispam-report",
    "x-microsoft-antispam",
];

/// Marks what the receiver's own provider wrote: the oldest hop it added, and the reports
/// and spam verdicts above that line.
///
/// From the newest hop down, the hops are the receiver's while their `by` host is in the
/// receiver's organisational domain (the first such domain met), or a local hand-off; a hop
/// by a bare host name that is not local is the receiver's entry, and nothing below it is.
pub fn trust(report: &mut MessageReport) {
    let mut receiver: Option<String> = None;
    let mut oldest_ours = None;
    for i in (0..report.hops.len()).rev() {
        let hop = &report.hops[i];
        let by_org = hop.by.as_deref().and_then(org_of);
        match (&receiver, by_org) {
            (None, Some(org)) => {
                receiver = Some(org);
                oldest_ours = Some(i);
            }
            (Some(r), Some(org)) if *r == org => oldest_ours = Some(i),
            (_, None) if hop.local => oldest_ours = Some(i),
            (None, None) => {
                oldest_ours = Some(i);
                break;
            }
            _ => break,
        }
    }
    report.trusted_from_hop = oldest_ours.map(|i| report.hops[i].number);
    report.receiver = receiver;
    report.total_delay_s = total_delay(report);
    // Reports: what stands above the newest hop the receiver did not add was written after
    // the message reached the receiver (some receivers put their reports below their own
    // Received header, none below another's). With no such hop, everything is the receiver's.
    let line = match oldest_ours {
        Some(0) => usize::MAX,
        Some(i) => report.hops[i - 1].header_index,
        None => report.hops.last().map_or(usize::MAX, |h| h.header_index),
    };
    // Filter verdicts: only above the receiver's entry hop (a sender's own headers sit
    // between that and the sender's newest hop).
    let entry_line = oldest_ours.map_or(line, |i| report.hops[i].header_index);
    let receiver_id = report
        .auth
        .reported
        .iter()
        .filter(|r| r.header_index < line && r.header != "Received-SPF")
        .min_by_key(|r| r.header_index)
        .map(|r| r.authserv_id.clone());
    let receiver = report.receiver.clone();
    let ours = |id: &Option<String>| {
        id.as_deref()
            .and_then(org_of)
            .is_some_and(|org| receiver.as_deref() == Some(org.as_str()))
    };
    // Below every Received header: appended by a filter (a milter, Rspamd) after delivery.
    let bottom = report.hops.iter().map(|h| h.header_index).max();
    for r in &mut report.auth.reported {
        // Microsoft writes no authserv-id: then the receiver's reports are those without one.
        let above = r.header_index < line
            && (r.header == "Received-SPF"
                || receiver_id.as_ref().is_some_and(|id| *id == r.authserv_id)
                || ours(&r.authserv_id));
        let appended = receiver_id.is_none()
            && bottom.is_some_and(|b| r.header_index > b)
            && r.header == "Authentication-Results"
            && ours(&r.authserv_id);
        r.trusted = above || appended;
    }
    let microsoft = report.receiver.as_deref() == Some("outlook.com");
    for s in &mut report.spam {
        let name = s.header.to_ascii_lowercase();
        s.trusted = s.header_index < entry_line
            || (microsoft && MICROSOFT_HEADERS.iter().any(|m| name.starts_with(m)));
    }
    // A subject tag is the receiver's filter rewriting the subject in place: believed when
    // the same filter also left a header of its own.
    let filter_spoke = report
        .spam
        .iter()
        .any(|s| s.trusted && !s.header.eq_ignore_ascii_case("Subject"));
    for s in &mut report.spam {
        if s.header.eq_ignore_ascii_case("Subject") {
            s.trusted = filter_spoke;
        }
    }
}

/// Which hops can be read as a route: the receiver's own, and below them each hop down to
/// the first that is plainly made up (spam often adds an invented route beneath the real
/// one), which ends it: nothing is concluded from that hop or the ones below it.
fn linked(report: &MessageReport) -> Vec<bool> {
    let line = report.trusted_from_hop.unwrap_or(1);
    let mut out = vec![false; report.hops.len()];
    let mut real = true;
    for i in (0..report.hops.len()).rev() {
        let hop = &report.hops[i];
        real &= hop.number >= line || !made_up(hop);
        out[i] = real;
    }
    out
}

/// A hop no MTA wrote: a date where the sender's address belongs (`from relay
/// ([Thu, 28 Sep 2023 05:27:01 -0700])`), a template's slip no server makes. (An odd
/// protocol word says nothing: Yahoo! JAPAN writes `with NNFMP`.)
fn made_up(hop: &maildoc_model::message::Hop) -> bool {
    const DAYS: [&str; 7] = ["mon,", "tue,", "wed,", "thu,", "fri,", "sat,", "sun,"];
    let raw = hop.raw.to_ascii_lowercase();
    raw.match_indices("([")
        .any(|(at, _)| DAYS.iter().any(|d| raw[at + 2..].starts_with(d)))
}

/// The newest route hop's time minus the oldest's; none with fewer than two dated hops, or
/// when the clocks disagree so much that it would be negative.
fn total_delay(report: &MessageReport) -> Option<i64> {
    let linked = linked(report);
    let times: Vec<i64> = report
        .hops
        .iter()
        .zip(&linked)
        .filter(|(_, l)| **l)
        .filter_map(|(h, _)| h.time_unix)
        .collect();
    match (times.first(), times.last()) {
        (Some(first), Some(last)) if times.len() > 1 && last >= first => Some(last - first),
        _ => None,
    }
}

/// The domain of an address or a bare domain (`a@example.jp`, `@example.jp`, `example.jp`).
fn domain_of(value: &str) -> String {
    value
        .rsplit('@')
        .next()
        .unwrap_or(value)
        .trim_matches(|c| c == '<' || c == '>')
        .to_ascii_lowercase()
}

pub fn diagnose(report: &MessageReport) -> Vec<Finding> {
    let mut out = Vec::new();
    hops(report, &mut out);
    auth(report, &mut out);
    verified(report, &mut out);
    rechecked(report, &mut out);
    // Exchange says where it delivered: a message scored as spam that it still put in the
    // inbox (a safe sender, a rule) was not filed as spam.
    let delivered_to_inbox = report.spam.iter().any(|s| {
        s.trusted
            && s.verdict == SpamVerdict::NotSpam
            && s.header
                .eq_ignore_ascii_case("X-Microsoft-Antispam-Mailbox-Delivery")
    });
    for s in report
        .spam
        .iter()
        .filter(|s| s.trusted && s.verdict == SpamVerdict::Spam && !delivered_to_inbox)
        .take(1)
    {
        out.push(
            Finding::new(Code::MessageMarkedSpam)
                .param("header", &s.header)
                .param("verdict", s.score.as_deref().unwrap_or(&s.value)),
        );
    }
    for note in &report.encoding {
        if let Some(problem) = note.problem {
            let problem = match problem {
                EncodingProblem::Undeclared8bit => "undeclared-8bit",
                EncodingProblem::UnknownCharset => "unknown-charset",
                EncodingProblem::BadEncodedWord => "bad-encoded-word",
            };
            out.push(
                Finding::new(Code::MessageEncodingBroken)
                    .param("header", &note.header)
                    .param("problem", problem),
            );
        }
    }
    out
}

fn hops(report: &MessageReport, out: &mut Vec<Finding>) {
    let linked = linked(report);
    let joined: Vec<&maildoc_model::message::Hop> = report
        .hops
        .iter()
        .zip(&linked)
        .filter(|(_, l)| **l)
        .map(|(h, _)| h)
        .collect();
    if let Some(total) = report.total_delay_s.filter(|t| *t >= SLOW_TOTAL_S) {
        // A wait just before a clock that runs behind is that clock's error as likely as a
        // wait: when the longest is such a one, how long the message waited is not known.
        let uncertain = |n: usize| {
            report
                .hops
                .iter()
                .any(|h| h.number == n + 1 && h.clock_skew)
        };
        let slowest = joined
            .iter()
            .filter(|h| !h.clock_skew && h.delay_s.is_some_and(|d| d > 0))
            .max_by_key(|h| h.delay_s.unwrap_or(i64::MIN));
        let known = !slowest.is_some_and(|h| uncertain(h.number) || h.delay_s.unwrap_or(0) > total);
        if known {
            let mut f =
                Finding::new(Code::MessageDelayed).param("total_seconds", total.to_string());
            if let Some(slowest) = slowest {
                // The wait was in the queue of the host that handed the message over: the
                // previous hop's receiver, or this hop's sender.
                let holder = report
                    .hops
                    .iter()
                    .find(|h| h.number + 1 == slowest.number)
                    .and_then(|h| h.by.as_deref())
                    .or(slowest.from_rdns.as_deref())
                    .or(slowest.from.as_deref())
                    .unwrap_or("?");
                f = f
                    .param("slowest_hop", slowest.number.to_string())
                    .param("slowest_by", holder)
                    .param(
                        "slowest_seconds",
                        slowest.delay_s.unwrap_or_default().to_string(),
                    );
            }
            out.push(f);
        }
    }
    unencrypted_and_skew(&joined, out);
}

/// The clocks that run behind and the unencrypted hops, of the hops that join up.
fn unencrypted_and_skew(joined: &[&maildoc_model::message::Hop], out: &mut Vec<Finding>) {
    for h in joined.iter().filter(|h| h.clock_skew).take(MAX_PER_CODE) {
        out.push(
            Finding::new(Code::MessageHopClockSkew)
                .param("hop", h.number.to_string())
                .param("by", h.by.as_deref().unwrap_or("?"))
                .param(
                    "skew_seconds",
                    h.delay_s.unwrap_or_default().unsigned_abs().to_string(),
                ),
        );
    }
    let mut unencrypted = 0;
    for h in joined {
        if unencrypted == MAX_PER_CODE {
            break;
        }
        let smtp = h.with.as_deref().is_some_and(|w| {
            let w = w.to_ascii_uppercase();
            w.contains("SMTP") && !w.starts_with("LMTP")
        });
        // A hand-off between two servers of one organisation is its internal traffic (the
        // sender's name as the receiver found it, not the name it gave).
        let sender = h.from_rdns.as_deref().and_then(org_of);
        let internal = sender.is_some() && sender == h.by.as_deref().and_then(org_of);
        if h.tls == HopTls::None && !h.local && !internal && smtp {
            let from = h
                .from_rdns
                .as_deref()
                .or(h.from.as_deref())
                .or(h.from_ip.as_deref())
                .unwrap_or("?");
            unencrypted += 1;
            out.push(
                Finding::new(Code::MessageUnencryptedHop)
                    .param("hop", h.number.to_string())
                    .param("from", from)
                    .param("by", h.by.as_deref().unwrap_or("?")),
            );
        }
    }
}

/// What maildoc's own verification found: nothing when any signature passed (DKIM holds);
/// a changed body for each domain whose body hash failed; a signature that does not verify,
/// when no receiver said so already. A key that could not be fetched is no verdict.
fn verified(report: &MessageReport, out: &mut Vec<Finding>) {
    let v = &report.auth.verified;
    if v.iter().any(|s| s.result == DkimVerdict::Pass) {
        return;
    }
    // A domain the receiver's own check passed: what changed since (a key rotated, a copy
    // altered after delivery) is not the sender's failure.
    let passed: Vec<String> = report
        .auth
        .reported
        .iter()
        .filter(|r| r.trusted)
        .flat_map(|r| &r.results)
        .filter(|x| x.method == "dkim" && x.result == "pass")
        .filter_map(|x| x.props.get("header.d").or_else(|| x.props.get("header.i")))
        .map(|d| domain_of(d))
        .collect();
    let v: Vec<_> = v
        .iter()
        .filter(|s| !passed.contains(&s.domain.to_ascii_lowercase()))
        .collect();
    let mut domains: Vec<&str> = Vec::new();
    for s in v.iter().filter(|s| s.result == DkimVerdict::BodyModified) {
        if !domains.contains(&s.domain.as_str()) {
            domains.push(&s.domain);
            out.push(
                Finding::new(Code::MessageDkimBodyModified)
                    .param("domain", &s.domain)
                    .param("selector", &s.selector),
            );
        }
    }
    if !out.iter().any(|f| f.code == Code::MessageDkimFail)
        && let Some(s) = v.iter().find(|s| s.result == DkimVerdict::Fail)
    {
        out.push(
            Finding::new(Code::MessageDkimFail)
                .param("result", "fail")
                .param("domain", &s.domain)
                .param("receiver", "maildoc"),
        );
    }
}

/// SPF and DMARC as maildoc evaluated them, for a method no receiver reported: a failure is
/// said in maildoc's name. (Where a receiver reported, its verdict at delivery counts; DNS may
/// have changed since.)
fn rechecked(report: &MessageReport, out: &mut Vec<Finding>) {
    let reported = |method: &str| {
        report
            .auth
            .reported
            .iter()
            .filter(|r| r.trusted)
            .flat_map(|r| &r.results)
            .any(|x| x.method == method)
    };
    let has = |out: &[Finding], code: Code| out.iter().any(|f| f.code == code);
    if let Some(spf) = &report.auth.spf
        && matches!(spf.result.as_str(), "fail" | "softfail" | "permerror")
        && !reported("spf")
        && !has(out, Code::MessageSpfFail)
    {
        out.push(
            Finding::new(Code::MessageSpfFail)
                .param("result", &spf.result)
                .param("domain", &spf.domain)
                .param("ip", &spf.ip)
                .param("receiver", "maildoc"),
        );
    }
    if let Some(d) = &report.auth.dmarc
        && d.result == "fail"
        && !reported("dmarc")
        && !has(out, Code::MessageDmarcFail)
    {
        out.push(
            Finding::new(Code::MessageDmarcFail)
                .param("result", "fail")
                .param("domain", &d.from_domain)
                .param("policy", d.policy.as_deref().unwrap_or("?"))
                .param("receiver", "maildoc"),
        );
        let spf_pass = report
            .auth
            .spf
            .as_ref()
            .filter(|s| s.result == "pass")
            .map(|s| s.domain.clone());
        let dkim_pass = report
            .auth
            .verified
            .iter()
            .find(|s| s.result == DkimVerdict::Pass)
            .map(|s| s.domain.clone());
        if (spf_pass.is_some() || dkim_pass.is_some()) && !has(out, Code::MessageNotAligned) {
            out.push(
                Finding::new(Code::MessageNotAligned)
                    .param("from_domain", &d.from_domain)
                    .param("spf_domain", spf_pass.unwrap_or_else(|| "-".to_owned()))
                    .param("dkim_domain", dkim_pass.unwrap_or_else(|| "-".to_owned()))
                    .param("receiver", "maildoc"),
            );
        }
    }
}

fn auth(report: &MessageReport, out: &mut Vec<Finding>) {
    // The receiver's Authentication-Results say what it found at delivery; its ARC copies
    // (of this delivery or an earlier one, before a forward) count only without them.
    let trusted: Vec<_> = report.auth.reported.iter().filter(|r| r.trusted).collect();
    let delivery = trusted
        .iter()
        .any(|r| r.header.eq_ignore_ascii_case("Authentication-Results"));
    let trusted: Vec<_> = trusted
        .into_iter()
        .filter(|r| !delivery || !r.header.eq_ignore_ascii_case("ARC-Authentication-Results"))
        .collect();
    if trusted.iter().all(|r| r.results.is_empty()) {
        if !report.hops.is_empty() {
            out.push(Finding::new(Code::MessageNoAuth));
        }
        return;
    }
    let fallback = report.receiver.as_deref().unwrap_or("?");
    let results: Vec<(&str, &maildoc_model::message::AuthResult)> = trusted
        .iter()
        .flat_map(|r| {
            let id = r.authserv_id.as_deref().unwrap_or(fallback);
            r.results.iter().map(move |x| (id, x))
        })
        .collect();
    // Each method's verdict is the newest report's that has it (a message delivered twice
    // to one provider, before and after a forward, carries both deliveries' reports), an
    // Authentication-Results before a Received-SPF, which says less.
    let newest = |method: &str| {
        let has = |r: &&&maildoc_model::message::ReportedAuth| {
            r.results.iter().any(|x| x.method == method)
        };
        let by_age = |r: &&&maildoc_model::message::ReportedAuth| r.header_index;
        trusted
            .iter()
            .filter(|r| r.header != "Received-SPF")
            .filter(has)
            .min_by_key(by_age)
            .or_else(|| trusted.iter().filter(has).min_by_key(by_age))
    };
    let find = |method: &str, results_of: &[&str]| {
        let r = newest(method)?;
        let id = r.authserv_id.as_deref().unwrap_or(fallback);
        r.results
            .iter()
            .find(|x| x.method == method && results_of.contains(&x.result.as_str()))
            .map(|x| (id, x))
    };
    let prop = |r: &maildoc_model::message::AuthResult, keys: &[&str]| {
        keys.iter()
            .find_map(|k| r.props.get(*k))
            .map(|v| domain_of(v))
            .unwrap_or_default()
    };
    let spf_pass = find("spf", &["pass"]);
    let dkim_pass = find("dkim", &["pass"]);
    if let Some((id, r)) = find("spf", &["fail", "softfail", "permerror"]) {
        // The connecting address: from this result, another trusted report (Received-SPF's
        // client-ip), or the hop by which the message entered the receiver.
        let ip_of = |r: &maildoc_model::message::AuthResult| {
            r.props
                .get("smtp.remote-ip")
                .or_else(|| r.props.get("smtp.client-ip"))
                .cloned()
        };
        let entry = report
            .trusted_from_hop
            .and_then(|n| report.hops.iter().find(|h| h.number == n))
            .and_then(|h| h.from_ip.clone());
        let ip = ip_of(r)
            .or_else(|| results.iter().find_map(|(_, x)| ip_of(x)))
            .or(entry)
            .unwrap_or_else(|| "?".to_owned());
        out.push(
            Finding::new(Code::MessageSpfFail)
                .param("result", &r.result)
                .param("domain", prop(r, &["smtp.mailfrom", "smtp.helo"]))
                .param("ip", ip)
                .param("receiver", id),
        );
    }
    if dkim_pass.is_none()
        && let Some((id, r)) = find("dkim", &["fail", "permerror"])
    {
        out.push(
            Finding::new(Code::MessageDkimFail)
                .param("result", &r.result)
                .param("domain", prop(r, &["header.d", "header.i"]))
                .param("receiver", id),
        );
    }
    if let Some((id, r)) = find("dmarc", &["fail"]) {
        let from = prop(r, &["header.from"]);
        let policy = r
            .props
            .get("policy.dmarc")
            .or_else(|| r.props.get("policy.published-domain-policy"))
            .or_else(|| r.props.get("action"))
            .map_or("?", String::as_str);
        out.push(
            Finding::new(Code::MessageDmarcFail)
                .param("result", &r.result)
                .param("domain", &from)
                .param("policy", policy)
                .param("receiver", id),
        );
        if spf_pass.is_some() || dkim_pass.is_some() {
            out.push(
                Finding::new(Code::MessageNotAligned)
                    .param("from_domain", &from)
                    .param(
                        "spf_domain",
                        spf_pass
                            .map_or_else(|| "-".to_owned(), |(_, r)| prop(r, &["smtp.mailfrom"])),
                    )
                    .param(
                        "dkim_domain",
                        dkim_pass.map_or_else(
                            || "-".to_owned(),
                            |(_, r)| prop(r, &["header.d", "header.i"]),
                        ),
                    )
                    .param("receiver", id),
            );
        }
    }
}

/// A test message taking this long to reach its own mailbox is worth a finding.
const SLOW_ROUNDTRIP_S: i64 = 60;

/// The round trip's own findings: not arrived, arrived in the spam folder, arrived late.
/// (What the outgoing server said, and what the copy's headers show, are judged by the check
/// and message rules.)
pub fn roundtrip(r: &maildoc_model::message::RoundtripReport) -> Vec<Finding> {
    let mut out = Vec::new();
    if r.accepted.is_none() {
        return out;
    }
    let Some(arrival) = &r.arrival else {
        // Only when the mailbox could be searched (its folders listed over IMAP, its newest
        // messages read over POP3): a login that failed is the check's finding.
        let searched = r.watched.as_ref().is_some_and(|w| {
            w.servers.iter().flat_map(|s| &s.steps).any(|step| {
                matches!(
                    step.kind,
                    maildoc_model::StepKind::Command {
                        command: maildoc_model::CommandKind::List
                            | maildoc_model::CommandKind::Search,
                        ..
                    }
                )
            })
        });
        if searched {
            out.push(
                Finding::new(Code::RoundtripNotDelivered)
                    .param("to", &r.to)
                    .param("seconds", r.waited_at_most_s.to_string()),
            );
        }
        return out;
    };
    if arrival.junk {
        out.push(
            Finding::new(Code::RoundtripInJunk)
                .param("to", &r.to)
                .param("folder", &arrival.folder),
        );
    }
    if let Some(took) = arrival.seconds.filter(|s| *s >= SLOW_ROUNDTRIP_S) {
        out.push(
            Finding::new(Code::RoundtripSlow)
                .param("to", &r.to)
                .param("took_seconds", took.to_string()),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn judged(text: &str) -> (MessageReport, Vec<Code>) {
        let mut r = maildoc_message_fixture(text);
        trust(&mut r);
        let codes = diagnose(&r).iter().map(|f| f.code).collect();
        (r, codes)
    }

    /// The evidence as the message crate reads it (built here by hand so the rules are
    /// tested on their own).
    fn maildoc_message_fixture(text: &str) -> MessageReport {
        serde_json::from_str(text).unwrap()
    }

    fn hop(number: usize, by: &str, extra: &str) -> String {
        format!(
            r#"{{"number":{number},"by":"{by}","tls":"tls","local":false,"clock_skew":false,"raw":""{extra}}}"#
        )
    }

    #[test]
    fn only_the_receivers_own_reports_count() {
        // Hop 2 (index 3) was added by example.net, the receiver; hop 1 by the sender's side.
        // The forged Authentication-Results below the line (index 5) says dmarc=pass; the
        // receiver's says fail.
        let text = format!(
            r#"{{"schema_version":1,"maildoc_version":"t","source":"message","summary":{{}},
            "hops":[{},{}],
            "auth":{{"reported":[
              {{"header":"Authentication-Results","authserv_id":"mx.example.net","trusted":false,"results":[
                {{"method":"spf","result":"pass","props":{{"smtp.mailfrom":"bounce@mailer.example.com"}}}},
                {{"method":"dmarc","result":"fail","props":{{"header.from":"example.jp","policy.dmarc":"reject"}}}}]}},
              {{"header":"Authentication-Results","authserv_id":"mx.example.net","trusted":false,"results":[
                {{"method":"dmarc","result":"pass"}}]}}]}},
            "spam":[],"encoding":[],"findings":[]}}"#,
            hop(1, "smtp.example.com", ""),
            hop(2, "mx1.example.net", "")
        );
        let mut r = maildoc_message_fixture(&text);
        r.auth.reported[0].header_index = 1;
        r.auth.reported[1].header_index = 6;
        r.hops[0].header_index = 5;
        r.hops[1].header_index = 3;
        trust(&mut r);
        assert_eq!(r.trusted_from_hop, Some(2));
        assert!(r.auth.reported[0].trusted);
        assert!(!r.auth.reported[1].trusted, "below the line");
        let codes: Vec<Code> = diagnose(&r).iter().map(|f| f.code).collect();
        assert_eq!(codes, [Code::MessageDmarcFail, Code::MessageNotAligned]);
    }

    #[test]
    fn of_two_deliveries_by_one_provider_the_newest_report_counts() {
        // A message forwarded from one mailbox to another at the same provider carries the
        // first delivery's report (SPF passed for the shop) below the second's (SPF neutral
        // for the forwarder's envelope): the verdict is the second's.
        let text = format!(
            r#"{{"schema_version":1,"maildoc_version":"t","source":"message","summary":{{}},
            "hops":[{},{}],
            "auth":{{"reported":[
              {{"header":"Authentication-Results","authserv_id":"mx.google.com","trusted":false,"results":[
                {{"method":"dkim","result":"pass","props":{{"header.i":"@forwarder.example"}}}},
                {{"method":"spf","result":"neutral","props":{{"smtp.mailfrom":"a+caf@forwarder.example"}}}},
                {{"method":"dmarc","result":"fail","props":{{"header.from":"shop.example.jp","policy.dmarc":"reject"}}}}]}},
              {{"header":"Received-SPF","trusted":false,"results":[
                {{"method":"spf","result":"pass","props":{{"smtp.remote-ip":"203.0.113.5"}}}}]}},
              {{"header":"Authentication-Results","authserv_id":"mx.google.com","trusted":false,"results":[
                {{"method":"spf","result":"pass","props":{{"smtp.mailfrom":"news@shop.example.jp"}}}},
                {{"method":"dmarc","result":"pass","props":{{"header.from":"shop.example.jp"}}}}]}}]}},
            "spam":[],"encoding":[],"findings":[]}}"#,
            hop(1, "mx.google.com", ""),
            hop(2, "mx.google.com", "")
        );
        let mut r = maildoc_message_fixture(&text);
        for (i, at) in [1, 4, 5].into_iter().enumerate() {
            r.auth.reported[i].header_index = at;
        }
        r.hops[0].header_index = 6;
        r.hops[1].header_index = 2;
        trust(&mut r);
        assert!(r.auth.reported.iter().all(|a| a.trusted));
        let findings = diagnose(&r);
        let not_aligned = findings
            .iter()
            .find(|f| f.code == Code::MessageNotAligned)
            .unwrap();
        assert_eq!(not_aligned.params["spf_domain"], "-");
        assert_eq!(not_aligned.params["dkim_domain"], "forwarder.example");
    }

    #[test]
    fn a_report_a_filter_appended_below_every_hop_is_the_receivers() {
        // Rspamd appends its Authentication-Results at the bottom of the header, with the
        // receiving host as its authserv-id; a report from another host there is not taken.
        let text = format!(
            r#"{{"schema_version":1,"maildoc_version":"t","source":"message","summary":{{}},
            "hops":[{},{}],
            "auth":{{"reported":[
              {{"header":"Authentication-Results","authserv_id":"mail.receiver.example","trusted":false,"results":[
                {{"method":"dmarc","result":"fail","props":{{"header.from":"outlook.com","policy.dmarc":"none"}}}}]}},
              {{"header":"Authentication-Results","authserv_id":"mx.elsewhere.example","trusted":false,"results":[
                {{"method":"dmarc","result":"pass"}}]}}]}},
            "spam":[],"encoding":[],"findings":[]}}"#,
            hop(
                1,
                "list.freebsd.example",
                r#","from":"a.example","from_rdns":"a.example","with":"ESMTP","tls":"none""#
            )
            .replace(r#""tls":"tls","#, ""),
            hop(2, "mail.receiver.example", "")
        );
        let mut r = maildoc_message_fixture(&text);
        r.auth.reported[0].header_index = 9;
        r.auth.reported[1].header_index = 10;
        r.hops[0].header_index = 1;
        r.hops[1].header_index = 0;
        trust(&mut r);
        assert!(r.auth.reported[0].trusted);
        assert!(!r.auth.reported[1].trusted);
        let codes: Vec<Code> = diagnose(&r).iter().map(|f| f.code).collect();
        assert!(codes.contains(&Code::MessageDmarcFail), "{codes:?}");
        assert!(!codes.contains(&Code::MessageNoAuth), "{codes:?}");
    }

    #[test]
    fn a_hand_off_inside_one_organisation_is_not_an_unencrypted_hop() {
        let text = format!(
            r#"{{"schema_version":1,"maildoc_version":"t","source":"headers","summary":{{}},
            "hops":[{},{}],
            "auth":{{"reported":[]}},"spam":[],"encoding":[],"findings":[]}}"#,
            hop(1, "sdl99w.sdl.hitachi.example.jp", r#","from":"mailb","from_rdns":"sdl99b.yrl.hitachi.example.jp","with":"ESMTP","tls":"none""#)
                .replace(r#""tls":"tls","#, ""),
            hop(2, "mx.receiver.example", r#","from":"mail7.hitachi.example.jp","from_rdns":"mail7.hitachi.example.jp","with":"ESMTP","tls":"none""#)
                .replace(r#""tls":"tls","#, ""),
        );
        let (_, codes) = judged(&text);
        let unencrypted = codes
            .iter()
            .filter(|c| **c == Code::MessageUnencryptedHop)
            .count();
        assert_eq!(
            unencrypted, 1,
            "only the hop between organisations: {codes:?}"
        );
    }

    #[test]
    fn providers_under_several_domains_are_one_receiver() {
        assert_eq!(
            org_of("TYAPR01CA0042.outlook.office365.com").as_deref(),
            Some("outlook.com")
        );
        assert_eq!(
            org_of("OS1PEPF00001234.mail.protection.outlook.com").as_deref(),
            Some("outlook.com")
        );
        assert_eq!(
            org_of("mail-sor-f41.google.com.").as_deref(),
            Some("google.com")
        );
        assert_eq!(org_of("mx.example.co.jp").as_deref(), Some("example.co.jp"));
    }

    #[test]
    fn no_report_at_all_and_slow_hops() {
        let text = format!(
            r#"{{"schema_version":1,"maildoc_version":"t","source":"headers","summary":{{}},
            "hops":[{},{}],"total_delay_s":1800,
            "auth":{{"reported":[]}},"spam":[],"encoding":[],"findings":[]}}"#,
            hop(
                1,
                "a.example.com",
                r#","with":"ESMTP","tls":"none","from":"x.example.org","time_unix":0"#
            )
            .replace(r#""tls":"tls","#, ""),
            hop(2, "b.example.net", r#","delay_s":1800,"time_unix":1800"#)
        );
        let (_, codes) = judged(&text);
        assert_eq!(
            codes,
            [
                Code::MessageDelayed,
                Code::MessageUnencryptedHop,
                Code::MessageNoAuth
            ]
        );
    }
}
