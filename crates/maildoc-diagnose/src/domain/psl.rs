//! The organisational domain of RFC 7489 §3.2 from the Public Suffix List (embedded copy in
//! `data/public-suffix-list/`, MPL-2.0, see its SOURCE.md).

use std::collections::HashSet;
use std::sync::OnceLock;

const LIST: &str = include_str!("../../data/public-suffix-list/public_suffix_list.dat");

struct Rules {
    normal: HashSet<String>,
    wildcard: HashSet<String>,
    exception: HashSet<String>,
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut r = Rules {
            normal: HashSet::new(),
            wildcard: HashSet::new(),
            exception: HashSet::new(),
        };
        for line in LIST.lines() {
            let rule = line.split_whitespace().next().unwrap_or_default();
            if rule.is_empty() || rule.starts_with("//") {
                continue;
            }
            let (set, body) = if let Some(b) = rule.strip_prefix('!') {
                (&mut r.exception, b)
            } else if let Some(b) = rule.strip_prefix("*.") {
                (&mut r.wildcard, b)
            } else {
                (&mut r.normal, rule)
            };
            if let Ok(ascii) = idna::domain_to_ascii(body) {
                set.insert(ascii);
            }
        }
        r
    })
}

/// The public suffix of `domain` (lower-case ASCII, no final dot), with the implicit `*` rule.
fn public_suffix_len(labels: &[&str]) -> usize {
    let r = rules();
    let mut best = 1; // the implicit "*" rule
    for start in 0..labels.len() {
        let candidate = labels[start..].join(".");
        let n = labels.len() - start;
        if r.exception.contains(&candidate) {
            return n - 1; // an exception wins outright
        }
        if r.normal.contains(&candidate) {
            best = best.max(n);
        }
        if start > 0 && r.wildcard.contains(&candidate) {
            best = best.max(n + 1);
        }
    }
    best
}

/// The organisational (registrable) domain of `domain`: the public suffix plus one label.
/// `None` for a public suffix itself, an empty name or one with an empty label. Non-ASCII
/// names are converted to their A-label form first.
pub fn org_domain(domain: &str) -> Option<String> {
    let ascii = idna::domain_to_ascii(domain.trim_end_matches('.')).ok()?;
    if ascii.is_empty() || ascii.starts_with('.') {
        return None;
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    if labels.iter().any(|l| l.is_empty()) {
        return None;
    }
    let suffix = public_suffix_len(&labels);
    if suffix >= labels.len() {
        return None;
    }
    Some(labels[labels.len() - suffix - 1..].join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The PSL project's own test vectors (`test_psl.txt`, CC0).
    #[test]
    fn the_list_projects_test_vectors_pass() {
        let data = include_str!("../../data/public-suffix-list/test_psl.txt");
        let mut ran = 0;
        for line in data.lines() {
            let Some(args) = line
                .trim()
                .strip_prefix("checkPublicSuffix(")
                .and_then(|l| l.strip_suffix(");"))
            else {
                continue;
            };
            let (input, expected) = args.split_once(", ").unwrap_or(("", ""));
            let unquote = |s: &str| -> Option<String> {
                (s != "null").then(|| s.trim_matches('\'').to_string())
            };
            let (Some(input), expected) = (unquote(input), unquote(expected)) else {
                continue; // a null input
            };
            // Mixed-case inputs are expected back in lower case, like ours.
            let expected = expected.map(|e| idna::domain_to_ascii(&e).unwrap_or(e));
            assert_eq!(org_domain(&input), expected, "{input}");
            ran += 1;
        }
        assert!(ran > 60, "only {ran} vectors ran");
    }

    #[test]
    fn japanese_second_level_domains() {
        assert_eq!(
            org_domain("mail.example.co.jp").as_deref(),
            Some("example.co.jp")
        );
        assert_eq!(org_domain("a.b.example.jp").as_deref(), Some("example.jp"));
        assert_eq!(org_domain("co.jp"), None);
        assert_eq!(
            org_domain("x.posture.lab.example").as_deref(),
            Some("lab.example")
        );
    }
}
