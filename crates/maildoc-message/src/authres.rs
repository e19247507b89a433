//! What receivers reported of a message's authentication: Authentication-Results (RFC 8601),
//! ARC-Authentication-Results (RFC 8617, with its `i=` instance) and Received-SPF (RFC 7208
//! §9.1). Read tolerantly: comments dropped, quoted values kept whole, unknown methods kept.

use maildoc_model::message::{AuthResult, ReportedAuth};

/// The value split at `;` outside quotes, each part without its comments, and the comments.
fn parts_with_comments(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut part = String::new();
    let mut comments = String::new();
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for c in value.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                part.push(c);
            } else {
                comments.push(c);
            }
            continue;
        }
        match c {
            '\\' if quoted || depth > 0 => escaped = true,
            '"' if depth == 0 => {
                quoted = !quoted;
                part.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => {
                depth -= 1;
                part.push(' ');
                comments.push(' ');
            }
            ';' if !quoted && depth == 0 => {
                out.push((std::mem::take(&mut part), std::mem::take(&mut comments)));
            }
            _ if depth > 0 => comments.push(c),
            _ => part.push(c),
        }
    }
    out.push((part, comments));
    out.into_iter()
        .map(|(p, c)| (crate::split::unfold(&p), crate::split::unfold(&c)))
        .filter(|(p, _)| !p.is_empty())
        .collect()
}

/// The value without comments, split at `;` outside quotes.
fn parts(value: &str) -> Vec<String> {
    parts_with_comments(value)
        .into_iter()
        .map(|(p, _)| p)
        .collect()
}

/// A DMARC result's policy from its comment (`(p=REJECT sp=NONE dis=NONE)`, as Gmail and
/// OpenDMARC write it) when no property carries it.
fn dmarc_policy(result: &mut AuthResult, comments: &str) {
    if result.method != "dmarc" || result.props.contains_key("policy.dmarc") {
        return;
    }
    let policy = comments
        .split_whitespace()
        .find_map(|w| w.strip_prefix("p=").or_else(|| w.strip_prefix("P=")))
        .map(|p| {
            p.trim_matches(|c: char| !c.is_ascii_alphabetic())
                .to_ascii_lowercase()
        });
    if let Some(p) = policy.filter(|p| !p.is_empty()) {
        result.props.insert("policy.dmarc".to_owned(), p);
    }
}

/// `key=value` words of a part, a quoted value kept whole (without its quotes).
fn pairs(part: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = part.trim();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim();
        let key = key.rsplit(char::is_whitespace).next().unwrap_or(key);
        let after = rest[eq + 1..].trim_start();
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            match q.find('"') {
                Some(end) => (&q[..end], &q[end + 1..]),
                None => (q, ""),
            }
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        out.push((key.to_ascii_lowercase(), value.to_owned()));
        rest = next.trim_start();
    }
    out
}

fn result_of(part: &str) -> Option<AuthResult> {
    let pairs = pairs(part);
    let ((method, result), rest) = pairs.split_first()?;
    let method = method.split('/').next().unwrap_or(method).to_owned();
    if method.is_empty() || method.contains('.') {
        return None;
    }
    let mut r = AuthResult {
        method,
        result: result.to_ascii_lowercase(),
        reason: None,
        props: Default::default(),
    };
    for (key, value) in rest {
        if key == "reason" {
            r.reason = Some(value.clone());
        } else {
            r.props.insert(key.clone(), value.clone());
        }
    }
    Some(r)
}

/// An Authentication-Results or ARC-Authentication-Results value.
pub fn authentication_results(header: &str, value: &str) -> ReportedAuth {
    let mut report = results_without_policy(header, value);
    // The comments, in the same order as the results they follow.
    let commented: Vec<(String, String)> = parts_with_comments(value);
    for r in &mut report.results {
        if let Some((_, comments)) = commented.iter().find(|(p, _)| {
            p.starts_with(&format!("{}=", r.method)) || p.contains(&format!(" {}=", r.method))
        }) {
            dmarc_policy(r, comments);
        }
    }
    report
}

fn results_without_policy(header: &str, value: &str) -> ReportedAuth {
    let mut parts = parts(value).into_iter();
    let mut instance = None;
    let mut first = parts.next().unwrap_or_default();
    // ARC: `i=1; authserv-id; ...`
    if let Some(i) = first
        .strip_prefix("i=")
        .or_else(|| first.strip_prefix("i ="))
    {
        instance = i.trim().parse().ok();
        first = parts.next().unwrap_or_default();
    }
    // The authserv-id, then an optional version; a result may follow on the same part when
    // the `;` was left out.
    // Microsoft writes no authserv-id: the first part is already a result.
    if first
        .split_whitespace()
        .next()
        .is_some_and(|w| w.contains('='))
    {
        let results = std::iter::once(first)
            .chain(parts)
            .filter(|p| p != "none")
            .filter_map(|p| result_of(&p))
            .collect();
        return ReportedAuth {
            header: header.to_owned(),
            authserv_id: None,
            trusted: false,
            instance,
            results,
            header_index: 0,
        };
    }
    let mut words = first.split_whitespace();
    let authserv_id = words.next().map(str::to_owned);
    let rest: Vec<&str> = words
        .skip_while(|w| w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    let mut results: Vec<AuthResult> = Vec::new();
    if !rest.is_empty() {
        results.extend(result_of(&rest.join(" ")));
    }
    results.extend(parts.filter(|p| p != "none").filter_map(|p| result_of(&p)));
    ReportedAuth {
        header: header.to_owned(),
        authserv_id,
        trusted: false,
        instance,
        results,
        header_index: 0,
    }
}

/// A Received-SPF value: `pass (comment) client-ip=...; envelope-from=...; helo=...`.
pub fn received_spf(value: &str) -> ReportedAuth {
    let text = parts(value).join("; ");
    let result = text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_end_matches(';')
        .to_ascii_lowercase();
    let mut props = std::collections::BTreeMap::new();
    let mut receiver = None;
    for (key, v) in pairs(text.split_once(char::is_whitespace).map_or("", |(_, r)| r)) {
        let v = v.trim_end_matches(';').to_owned();
        match key.as_str() {
            "client-ip" => {
                props.insert("smtp.remote-ip".to_owned(), v);
            }
            "envelope-from" => {
                props.insert(
                    "smtp.mailfrom".to_owned(),
                    v.trim_matches(|c| c == '<' || c == '>').to_owned(),
                );
            }
            "helo" => {
                props.insert("smtp.helo".to_owned(), v);
            }
            "receiver" => receiver = Some(v),
            _ => {}
        }
    }
    ReportedAuth {
        header: "Received-SPF".to_owned(),
        authserv_id: receiver,
        trusted: false,
        instance: None,
        results: if result.is_empty() {
            Vec::new()
        } else {
            vec![AuthResult {
                method: "spf".to_owned(),
                result,
                reason: None,
                props,
            }]
        },
        header_index: 0,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn gmail_style_results_with_comments_and_props() {
        let a = authentication_results(
            "Authentication-Results",
            "mx.google.com;\r\n       dkim=pass header.i=@example.jp header.s=s1 header.b=abc;\r\n       spf=pass (google.com: domain of a@example.jp designates 198.51.100.7 as permitted sender) smtp.mailfrom=a@example.jp;\r\n       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.jp",
        );
        assert_eq!(a.authserv_id.as_deref(), Some("mx.google.com"));
        let methods: Vec<(&str, &str)> = a
            .results
            .iter()
            .map(|r| (r.method.as_str(), r.result.as_str()))
            .collect();
        assert_eq!(
            methods,
            [("dkim", "pass"), ("spf", "pass"), ("dmarc", "pass")]
        );
        assert_eq!(a.results[0].props["header.i"], "@example.jp");
        assert_eq!(a.results[1].props["smtp.mailfrom"], "a@example.jp");
        assert_eq!(a.results[2].props["header.from"], "example.jp");
        assert_eq!(a.results[2].props["policy.dmarc"], "reject");
    }

    #[test]
    fn arc_instance_version_reason_and_none() {
        let a = authentication_results(
            "ARC-Authentication-Results",
            "i=2; mx.example.net 1; dkim=fail reason=\"signature verification failed; body hash\" header.d=list.example",
        );
        assert_eq!(a.instance, Some(2));
        assert_eq!(a.authserv_id.as_deref(), Some("mx.example.net"));
        assert_eq!(
            a.results[0].reason.as_deref(),
            Some("signature verification failed; body hash")
        );
        let none = authentication_results("Authentication-Results", "mx.example.net; none");
        assert!(none.results.is_empty());
        // Microsoft: no authserv-id, results from the first part on, plain keys kept.
        let ms = authentication_results(
            "Authentication-Results",
            "spf=fail (sender IP is 198.51.100.66) smtp.mailfrom=bank.example.co.jp; dkim=none (message not signed) header.d=none;dmarc=fail action=quarantine header.from=bank.example.co.jp;compauth=fail reason=000",
        );
        assert_eq!(ms.authserv_id, None);
        let methods: Vec<&str> = ms.results.iter().map(|r| r.method.as_str()).collect();
        assert_eq!(methods, ["spf", "dkim", "dmarc", "compauth"]);
        assert_eq!(ms.results[2].props["action"], "quarantine");
    }

    #[test]
    fn received_spf_becomes_an_spf_result() {
        let a = received_spf(
            "softfail (mx.example.jp: transitioning domain of a@example.com does not designate 192.0.2.9 as permitted sender) client-ip=192.0.2.9; envelope-from=<a@example.com>; helo=h.example.com; receiver=mx.example.jp;",
        );
        assert_eq!(a.authserv_id.as_deref(), Some("mx.example.jp"));
        assert_eq!(a.results[0].result, "softfail");
        assert_eq!(a.results[0].props["smtp.mailfrom"], "a@example.com");
        assert_eq!(a.results[0].props["smtp.remote-ip"], "192.0.2.9");
    }

    proptest::proptest! {
        #[test]
        fn any_text_reads_without_panic(text in "\\PC{0,200}") {
            let _ = authentication_results("Authentication-Results", &text);
            let _ = received_spf(&text);
        }
    }
}
