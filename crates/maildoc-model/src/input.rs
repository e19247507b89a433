//! Input from people: mail addresses and host names as typed, with full-width characters,
//! IDN, stray spaces. Everything here is pure; every rewrite is reported so it can be shown.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// One rewrite maildoc made to what was typed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Normalization {
    /// `address`, `username`, `imap`, ...
    pub field: String,
    pub original: String,
    pub normalized: String,
    pub kinds: Vec<NormalizationKind>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NormalizationKind {
    /// Leading or trailing white space removed.
    Trimmed,
    /// Full-width or other compatibility characters folded (NFKC).
    Nfkc,
    /// An internationalized domain name converted to A-labels (punycode).
    Idna,
    /// Upper-case host letters folded to lower case.
    Lowercased,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputError {
    Empty,
    NoAt,
    SeveralAts,
    EmptyLocalPart,
    BadDomain(String),
    BadLocalPart(String),
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputError::Empty => write!(f, "the mail address is empty"),
            InputError::NoAt => write!(
                f,
                "a mail address needs an @ between the name and the domain"
            ),
            InputError::SeveralAts => write!(f, "a mail address has exactly one @"),
            InputError::EmptyLocalPart => write!(f, "nothing stands before the @"),
            InputError::BadDomain(why) => write!(f, "the domain is not usable: {why}"),
            InputError::BadLocalPart(why) => {
                write!(f, "the part before the @ is not usable: {why}")
            }
        }
    }
}

impl std::error::Error for InputError {}

/// A mail address, normalized.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub local: String,
    /// A-label (ASCII) form, lower case.
    pub domain: String,
    /// The domain as people read it (U-labels), when it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_unicode: Option<String>,
}

impl Address {
    pub fn full(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }
}

/// NFKC and trimming, recording what changed.
fn fold(text: &str) -> (String, Vec<NormalizationKind>) {
    let mut kinds = Vec::new();
    let nfkc: String = text.nfkc().collect();
    if nfkc != text {
        kinds.push(NormalizationKind::Nfkc);
    }
    // NFKC turns U+3000 (ideographic space) into U+0020, so one trim catches both.
    let trimmed = nfkc.trim().to_string();
    if trimmed != nfkc {
        kinds.push(NormalizationKind::Trimmed);
    }
    (trimmed, kinds)
}

/// Converts a domain or host name to its ASCII (A-label) form.
pub fn domain_to_ascii(domain: &str) -> Result<(String, bool), String> {
    if domain.is_empty() {
        return Err("it is empty".into());
    }
    if domain.chars().any(|c| c.is_whitespace()) {
        return Err("it contains a space".into());
    }
    let ascii =
        idna::domain_to_ascii(domain).map_err(|_| "it is not a valid domain name".to_string())?;
    let ascii = ascii.trim_end_matches('.').to_string();
    if ascii.is_empty() {
        return Err("it is empty".into());
    }
    for label in ascii.split('.') {
        if label.is_empty() {
            return Err("it has an empty part between dots".into());
        }
        if label.len() > 63 {
            return Err("one part between dots is longer than 63 characters".into());
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!("`{label}` has characters a host name cannot have"));
        }
    }
    if ascii.len() > 253 {
        return Err("it is longer than 253 characters".into());
    }
    let converted = ascii != domain.trim_end_matches('.');
    Ok((ascii, converted))
}

/// Parses a mail address as typed.
pub fn parse_address(input: &str) -> Result<(Address, Option<Normalization>), InputError> {
    let (folded, mut kinds) = fold(input);
    if folded.is_empty() {
        return Err(InputError::Empty);
    }
    let mut parts = folded.split('@');
    let (local, domain) = match (parts.next(), parts.next(), parts.next()) {
        (Some(l), Some(d), None) => (l, d),
        (Some(_), None, _) => return Err(InputError::NoAt),
        _ => return Err(InputError::SeveralAts),
    };
    if local.is_empty() {
        return Err(InputError::EmptyLocalPart);
    }
    if let Some(c) = local.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(InputError::BadLocalPart(format!("it contains {c:?}")));
    }
    let (ascii, converted) = domain_to_ascii(domain).map_err(InputError::BadDomain)?;
    if converted {
        if ascii.split('.').any(|l| l.starts_with("xn--")) {
            kinds.push(NormalizationKind::Idna);
        } else {
            kinds.push(NormalizationKind::Lowercased);
        }
    }
    let unicode = idna::domain_to_unicode(&ascii).0;
    let address = Address {
        local: local.to_string(),
        domain_unicode: (unicode != ascii).then_some(unicode),
        domain: ascii,
    };
    let normalized = address.full();
    let note = (!kinds.is_empty() && normalized != input).then(|| Normalization {
        field: "address".into(),
        original: input.to_string(),
        normalized,
        kinds,
    });
    Ok((address, note))
}

/// Normalizes a host name as typed into a server field. `field` names it in the note.
pub fn normalize_host(field: &str, input: &str) -> Result<(String, Option<Normalization>), String> {
    let (folded, mut kinds) = fold(input);
    let (ascii, converted) = domain_to_ascii(&folded)?;
    if converted {
        if ascii.split('.').any(|l| l.starts_with("xn--")) {
            kinds.push(NormalizationKind::Idna);
        } else {
            kinds.push(NormalizationKind::Lowercased);
        }
    }
    let note = (!kinds.is_empty() && ascii != input).then(|| Normalization {
        field: field.to_string(),
        original: input.to_string(),
        normalized: ascii.clone(),
        kinds,
    });
    Ok((ascii, note))
}

/// Folds a free-text field (user name) the way the host fields are folded, minus IDN.
pub fn normalize_text(field: &str, input: &str) -> (String, Option<Normalization>) {
    let (folded, kinds) = fold(input);
    let note = (!kinds.is_empty()).then(|| Normalization {
        field: field.to_string(),
        original: input.to_string(),
        normalized: folded.clone(),
        kinds,
    });
    (folded, note)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> (Address, Option<Normalization>) {
        match parse_address(input) {
            Ok(v) => v,
            Err(e) => panic!("{input}: {e}"),
        }
    }

    #[test]
    fn plain_address_is_untouched() {
        let (a, note) = ok("taro@example.jp");
        assert_eq!(a.full(), "taro@example.jp");
        assert_eq!(a.domain_unicode, None);
        assert_eq!(note, None);
    }

    #[test]
    fn idn_domain_becomes_a_labels_and_says_so() {
        let (a, note) = ok("info@日本語.jp");
        assert_eq!(a.domain, "xn--wgv71a119e.jp");
        assert_eq!(a.domain_unicode.as_deref(), Some("日本語.jp"));
        let note = note.unwrap_or_else(|| panic!("no note"));
        assert_eq!(note.kinds, vec![NormalizationKind::Idna]);
    }

    #[test]
    fn full_width_and_spaces_are_folded() {
        let (a, note) = ok("　ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ ");
        assert_eq!(a.full(), "taro@example.jp");
        let kinds = note.map(|n| n.kinds).unwrap_or_default();
        assert!(kinds.contains(&NormalizationKind::Nfkc));
        assert!(kinds.contains(&NormalizationKind::Trimmed));
    }

    #[test]
    fn upper_case_domain_is_lowered() {
        let (a, note) = ok("Taro@Example.JP");
        assert_eq!(a.full(), "Taro@example.jp");
        assert!(note.is_some());
    }

    #[test]
    fn malformed_addresses_are_clear_errors() {
        assert_eq!(parse_address(""), Err(InputError::Empty));
        assert_eq!(parse_address("   "), Err(InputError::Empty));
        assert_eq!(parse_address("taro.example.jp"), Err(InputError::NoAt));
        assert_eq!(parse_address("a@b@c.jp"), Err(InputError::SeveralAts));
        assert_eq!(
            parse_address("@example.jp"),
            Err(InputError::EmptyLocalPart)
        );
        assert!(matches!(
            parse_address("taro@"),
            Err(InputError::BadDomain(_))
        ));
        assert!(matches!(
            parse_address("taro@exa mple.jp"),
            Err(InputError::BadDomain(_))
        ));
        assert!(matches!(
            parse_address("ta ro@example.jp"),
            Err(InputError::BadLocalPart(_))
        ));
        assert!(matches!(
            parse_address("taro@example..jp"),
            Err(InputError::BadDomain(_))
        ));
    }

    #[test]
    fn host_normalization() {
        assert_eq!(
            normalize_host("imap", "imap.example.jp"),
            Ok(("imap.example.jp".into(), None))
        );
        let (h, note) = normalize_host("imap", "ｉｍａｐ．例え.jp").unwrap_or_default();
        assert!(h.starts_with("imap.xn--"));
        assert!(note.is_some());
        assert!(normalize_host("imap", "taro@example.jp").is_err());
        assert!(normalize_host("imap", "").is_err());
    }
}
