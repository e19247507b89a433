//! What spam filters wrote into the message: SpamAssassin and Rspamd, Microsoft's
//! Exchange Online Protection, the Japanese providers' headers (OCN, BIGLOBE, hosters'
//! `X-Spam-Result`/`X-MD-Class`), and the subject tags some of them add (`[meiwaku]`).

use crate::split::Field;
use maildoc_model::message::{SpamSignal, SpamVerdict};

/// The value cut to 200 characters, as shown.
fn shown(value: &str) -> String {
    let mut out: String = value.chars().take(200).collect();
    if out.len() < value.len() {
        out.push('…');
    }
    out
}

/// `key:value` pairs of a `;`-separated report (Microsoft's).
fn fields_of(value: &str) -> Vec<(String, String)> {
    value
        .split(';')
        .filter_map(|p| {
            let (k, v) = p.split_once(':')?;
            Some((k.trim().to_ascii_uppercase(), v.trim().to_ascii_uppercase()))
        })
        .collect()
}

fn yes_no(value: &str) -> Option<SpamVerdict> {
    let first = value
        .split(|c: char| c == ',' || c.is_whitespace())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match first.as_str() {
        "yes" | "true" | "spam" => Some(SpamVerdict::Spam),
        "no" | "false" | "ok" | "ham" | "normal" | "clean" => Some(SpamVerdict::NotSpam),
        _ => None,
    }
}

/// `score=7.3` in SpamAssassin's status.
fn score_of(value: &str) -> Option<String> {
    value
        .split(|c: char| c.is_whitespace() || c == ',')
        .find_map(|w| w.strip_prefix("score=").or_else(|| w.strip_prefix("hits=")))
        .map(str::to_owned)
}

/// Subject tags filters add; compared without case.
const SUBJECT_TAGS: &[&str] = &[
    "[meiwaku]",
    "[spam]",
    "[spam-mail]",
    "[suspected spam]",
    "***spam***",
    "【迷惑メール】",
    "[迷惑メール]",
];

/// The signal one field gives, if it is a filter's.
pub fn signal(field: &Field<'_>) -> Option<SpamSignal> {
    let value = field.text();
    let name = field.name.to_ascii_lowercase();
    let (verdict, score) = match name.as_str() {
        "x-spam-flag" | "x-spam" | "x-spam-result" | "x-md-class" => (yes_no(&value)?, None),
        "x-spam-status" => (
            yes_no(&value).unwrap_or(SpamVerdict::Info),
            score_of(&value),
        ),
        "x-spam-level" => (
            SpamVerdict::Info,
            Some(value.chars().filter(|c| *c == '*').count().to_string()),
        ),
        "x-spam-score" | "x-rspamd-score" | "x-ocn-spam-check" | "x-mimecast-spam-score" => {
            (SpamVerdict::Info, Some(value.clone()))
        }
        "x-spamd-result" => (
            yes_no(value.trim_start_matches("default:").trim()).unwrap_or(SpamVerdict::Info),
            None,
        ),
        "x-biglobe-spamcheck"
        | "x-spam-report"
        | "x-ironport-anti-spam-result"
        | "x-tm-as-result"
        | "x-spamexperts-class" => {
            let spam = value.to_ascii_lowercase().contains("spam")
                && !value.to_ascii_lowercase().contains("not spam");
            let v = if name == "x-spamexperts-class" && spam {
                SpamVerdict::Spam
            } else {
                SpamVerdict::Info
            };
            (v, None)
        }
        "x-ms-exchange-organization-scl" => {
            let scl: i32 = value.trim().parse().ok()?;
            let v = if scl >= 5 {
                SpamVerdict::Spam
            } else {
                SpamVerdict::NotSpam
            };
            (v, Some(format!("SCL {scl}")))
        }
        "x-forefront-antispam-report" => {
            let f = fields_of(&value);
            let get = |k: &str| f.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
            let spam_sfv = matches!(get("SFV"), Some("SPM" | "SKS" | "BLK"));
            let spam_cat = get("CAT").is_some_and(|c| {
                matches!(
                    c,
                    "SPM"
                        | "HSPM"
                        | "PHSH"
                        | "HPHSH"
                        | "HPHISH"
                        | "BULK"
                        | "SPOOF"
                        | "MALW"
                        | "DIMP"
                        | "GIMP"
                        | "UIMP"
                )
            });
            let v = if spam_sfv || spam_cat {
                SpamVerdict::Spam
            } else if get("SFV") == Some("NSPM") {
                SpamVerdict::NotSpam
            } else {
                SpamVerdict::Info
            };
            (v, get("SCL").map(|s| format!("SCL {s}")))
        }
        "x-microsoft-antispam-mailbox-delivery" => {
            let lower = value.to_ascii_lowercase();
            let v = if lower.contains("dest:j") || lower.contains("rf:junkemail") {
                SpamVerdict::Spam
            } else if lower.contains("dest:i") {
                SpamVerdict::NotSpam
            } else {
                SpamVerdict::Info
            };
            (v, None)
        }
        "x-microsoft-antispam" => {
            let f = fields_of(&value);
            let bcl = f
                .iter()
                .find(|(k, _)| k == "BCL")
                .map(|(_, v)| format!("BCL {v}"));
            (SpamVerdict::Info, Some(bcl?))
        }
        "subject" => {
            let lower = value.to_lowercase();
            let tag = SUBJECT_TAGS.iter().find(|t| lower.contains(*t))?;
            return Some(SpamSignal {
                header: field.name.to_owned(),
                value: (*tag).to_owned(),
                verdict: SpamVerdict::Spam,
                score: None,
                trusted: false,
                header_index: 0,
            });
        }
        _ => return None,
    };
    Some(SpamSignal {
        header: field.name.to_owned(),
        value: shown(&value),
        verdict,
        score,
        trusted: false,
        header_index: 0,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn read(name: &str, value: &str) -> Option<SpamSignal> {
        signal(&Field {
            name,
            value: value.as_bytes(),
        })
    }

    #[test]
    fn the_verdicts_filters_write() {
        let v = |n, t| read(n, t).map(|s| (s.verdict, s.score));
        assert_eq!(
            v(
                "X-Spam-Status",
                "Yes, score=7.3 required=5.0 tests=BAYES_99"
            ),
            Some((SpamVerdict::Spam, Some("7.3".into())))
        );
        assert_eq!(v("X-Spam-Flag", "NO"), Some((SpamVerdict::NotSpam, None)));
        assert_eq!(
            v(
                "X-Forefront-Antispam-Report",
                "CIP:192.0.2.1;CTRY:JP;LANG:ja;SCL:5;SRV:;IPV:NLI;SFV:SPM;H:a.example;PTR:;CAT:SPM;SFS:(13230040)"
            ),
            Some((SpamVerdict::Spam, Some("SCL 5".into())))
        );
        assert_eq!(
            v("X-MS-Exchange-Organization-SCL", "1"),
            Some((SpamVerdict::NotSpam, Some("SCL 1".into())))
        );
        assert_eq!(
            v(
                "X-Microsoft-Antispam-Mailbox-Delivery",
                "ucf:0;jmr:1;auth:0;dest:J;ENG:(910001)"
            ),
            Some((SpamVerdict::Spam, None))
        );
        assert_eq!(
            v("X-OCN-SPAM-CHECK", "100.00%"),
            Some((SpamVerdict::Info, Some("100.00%".into())))
        );
        assert_eq!(
            v("Subject", "[meiwaku] 当選のお知らせ").unwrap().0,
            SpamVerdict::Spam
        );
        assert_eq!(v("Subject", "会議のお知らせ"), None);
        assert_eq!(v("X-Mailer", "Thunderbird"), None);
    }
}
