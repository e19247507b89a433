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
    /// Invisible characters ([`is_invisible`]) removed.
    Invisible,
}

/// The parts of a mail address limited in length: by RFC 5321 (§4.5.3.1), and a label of
/// the domain by RFC 1035 (§2.3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressPart {
    /// The part before the `@`: 64 octets.
    LocalPart,
    /// The domain: 255 octets.
    Domain,
    /// One label of the domain (between dots), in its ASCII form: 63 octets.
    Label,
    /// The whole address, `local@domain`: 254 octets (a path of 256 with its `<` and `>`).
    Address,
}

impl AddressPart {
    /// The longest the part may be, in octets.
    pub fn limit(self) -> usize {
        match self {
            AddressPart::LocalPart => 64,
            AddressPart::Domain => 255,
            AddressPart::Label => 63,
            AddressPart::Address => 254,
        }
    }

    /// Where the limit is written.
    pub fn rfc(self) -> &'static str {
        match self {
            AddressPart::LocalPart => "RFC 5321 §4.5.3.1.1",
            AddressPart::Domain => "RFC 5321 §4.5.3.1.2",
            AddressPart::Label => "RFC 1035 §2.3.4",
            AddressPart::Address => "RFC 5321 §4.5.3.1.3",
        }
    }

    /// `local-part`, `domain`, `label`, `address`.
    pub fn as_str(self) -> &'static str {
        match self {
            AddressPart::LocalPart => "local-part",
            AddressPart::Domain => "domain",
            AddressPart::Label => "label",
            AddressPart::Address => "address",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputError {
    Empty,
    NoAt,
    SeveralAts,
    EmptyLocalPart,
    BadDomain(String),
    BadLocalPart(String),
    /// A part longer than RFC 5321 allows: `octets` long, [`AddressPart::limit`] at most.
    TooLong {
        part: AddressPart,
        octets: usize,
    },
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
            InputError::TooLong { part, octets } => {
                let what = match part {
                    AddressPart::LocalPart => "the part before the @",
                    AddressPart::Domain => "the domain",
                    AddressPart::Label => "a part of the domain between dots",
                    AddressPart::Address => "the address",
                };
                write!(
                    f,
                    "{what} is {octets} bytes long; at most {} are allowed ({})",
                    part.limit(),
                    part.rfc()
                )
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

/// Characters nobody sees, which no address, host or user name can hold: every format
/// character (Unicode general category Cf: the soft hyphen, zero-width space and joiners,
/// direction marks and the bidi embeddings, overrides and isolates U+202A–U+202E and
/// U+2066–U+2069, the Arabic letter mark U+061C, the word joiner, the byte order mark, tag
/// characters, ...), every control character (Cc), and the other default-ignorable code
/// points (variation selectors, Hangul fillers, the combining grapheme joiner, ...).
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}'
            | '\u{070F}' | '\u{0890}'..='\u{0891}' | '\u{08E2}' | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}'
            | '\u{110BD}' | '\u{110CD}' | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}')
}

/// NFKC, invisible characters removed and trimming, recording what changed.
fn fold(text: &str) -> (String, Vec<NormalizationKind>) {
    let mut kinds = Vec::new();
    let mut nfkc: String = text.nfkc().collect();
    if nfkc != text {
        kinds.push(NormalizationKind::Nfkc);
    }
    if nfkc.chars().any(is_invisible) {
        kinds.push(NormalizationKind::Invisible);
        // What stood on either side of a removed character may now compose.
        nfkc = nfkc.chars().filter(|c| !is_invisible(*c)).nfkc().collect();
    }
    // NFKC turns U+3000 (ideographic space) into U+0020, so one trim catches both.
    let trimmed = nfkc.trim().to_string();
    if trimmed != nfkc {
        kinds.push(NormalizationKind::Trimmed);
    }
    (trimmed, kinds)
}

/// Why a domain has no ASCII form a host name can have.
enum DomainError {
    Empty,
    Space,
    NotDomain,
    EmptyLabel,
    /// A label this many octets long (in its ASCII form).
    LongLabel(usize),
    BadLabel(String),
}

impl std::fmt::Display for DomainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DomainError::Empty => write!(f, "it is empty"),
            DomainError::Space => write!(f, "it contains a space"),
            DomainError::NotDomain => write!(f, "it is not a valid domain name"),
            DomainError::EmptyLabel => write!(f, "it has an empty part between dots"),
            DomainError::LongLabel(_) => {
                write!(f, "one part between dots is longer than 63 characters")
            }
            DomainError::BadLabel(label) => {
                write!(f, "`{label}` has characters a host name cannot have")
            }
        }
    }
}

/// The ASCII (A-label) form of a domain whose labels a host name can have, and whether it
/// differs from what was given; the total length is left to the caller.
fn ascii_labels(domain: &str) -> Result<(String, bool), DomainError> {
    if domain.is_empty() {
        return Err(DomainError::Empty);
    }
    if domain.chars().any(|c| c.is_whitespace()) {
        return Err(DomainError::Space);
    }
    let ascii = idna::domain_to_ascii(domain).map_err(|_| DomainError::NotDomain)?;
    let ascii = ascii.trim_end_matches('.').to_string();
    if ascii.is_empty() {
        return Err(DomainError::Empty);
    }
    for label in ascii.split('.') {
        if label.is_empty() {
            return Err(DomainError::EmptyLabel);
        }
        if label.len() > AddressPart::Label.limit() {
            return Err(DomainError::LongLabel(label.len()));
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(DomainError::BadLabel(label.to_string()));
        }
    }
    let converted = ascii != domain.trim_end_matches('.');
    Ok((ascii, converted))
}

/// Converts a domain or host name to its ASCII (A-label) form.
pub fn domain_to_ascii(domain: &str) -> Result<(String, bool), String> {
    let (ascii, converted) = ascii_labels(domain).map_err(|e| e.to_string())?;
    if ascii.len() > 253 {
        return Err("it is longer than 253 characters".into());
    }
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
    let too_long = |part: AddressPart, octets: usize| {
        (octets > part.limit()).then_some(InputError::TooLong { part, octets })
    };
    if let Some(e) = too_long(AddressPart::LocalPart, local.len()) {
        return Err(e);
    }
    if let Some(c) = local.chars().find(|c| c.is_whitespace()) {
        return Err(InputError::BadLocalPart(format!("it contains {c:?}")));
    }
    // The ASCII form has at least as many octets as the domain has characters: a domain of
    // more characters than the limit is too long without converting it.
    if domain.chars().count() > AddressPart::Domain.limit() {
        return Err(InputError::TooLong {
            part: AddressPart::Domain,
            octets: domain.len(),
        });
    }
    let (ascii, converted) = ascii_labels(domain).map_err(|e| match e {
        DomainError::LongLabel(octets) => InputError::TooLong {
            part: AddressPart::Label,
            octets,
        },
        e => InputError::BadDomain(e.to_string()),
    })?;
    if let Some(e) = too_long(AddressPart::Domain, ascii.len())
        .or_else(|| too_long(AddressPart::Address, local.len() + 1 + ascii.len()))
    {
        return Err(e);
    }
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
    fn rfc_5321_limits() {
        let too_long = |input: &str| match parse_address(input) {
            Err(InputError::TooLong { part, octets }) => (part, octets),
            other => panic!("{input:.80}: {other:?}"),
        };
        let label = "a".repeat(63);
        // At the limits: 64 octets before the @, a 63-octet label, 254 octets in all.
        let local = "l".repeat(64);
        let domain = format!("{label}.{label}.{}.jp", "b".repeat(58));
        let at_limit = format!("{local}@{domain}");
        assert_eq!(at_limit.len(), 254);
        assert_eq!(ok(&at_limit).0.full(), at_limit);
        // One over each.
        assert_eq!(
            too_long(&format!("{}@example.jp", "l".repeat(65))),
            (AddressPart::LocalPart, 65)
        );
        assert_eq!(
            too_long(&format!("taro@{label}a.example.jp")),
            (AddressPart::Label, 64)
        );
        assert_eq!(
            too_long(&format!("{at_limit}p")),
            (AddressPart::Address, 255)
        );
        // Octets, not characters: 22 kana are 66 octets.
        assert_eq!(
            too_long(&format!("{}@example.jp", "あ".repeat(22))),
            (AddressPart::LocalPart, 66)
        );
        // A domain longer than 255 octets, as typed or in its ASCII form.
        let long = [label.as_str(); 5].join(".");
        assert_eq!(too_long(&format!("t@{long}")), (AddressPart::Domain, 319));
        let idn = ["日本語の長いラベル"; 12].join(".");
        let (part, octets) = too_long(&format!("t@{idn}"));
        assert_eq!(part, AddressPart::Domain);
        assert!(octets > 255 && idn.chars().count() <= 255, "{octets}");
        // 100 KB before the @: refused at once, not converted or probed.
        let huge = format!("{}@example.jp", "x".repeat(100 * 1024));
        let started = std::time::Instant::now();
        assert_eq!(too_long(&huge), (AddressPart::LocalPart, 100 * 1024));
        let huge_domain = format!("taro@{}.jp", "例".repeat(100 * 1024));
        assert_eq!(
            too_long(&huge_domain),
            (AddressPart::Domain, 3 * 100 * 1024 + 3)
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(
            InputError::TooLong {
                part: AddressPart::LocalPart,
                octets: 65
            }
            .to_string(),
            "the part before the @ is 65 bytes long; at most 64 are allowed (RFC 5321 §4.5.3.1.1)"
        );
    }

    #[test]
    fn invisible_characters() {
        for c in [
            '\u{202A}',
            '\u{202B}',
            '\u{202C}',
            '\u{202D}',
            '\u{202E}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{200E}',
            '\u{200F}',
            '\u{061C}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{180E}',
            '\u{E0041}',
            '\u{FE0F}',
            '\u{3164}',
            '\u{0000}',
            '\u{0009}',
            '\u{001B}',
            '\u{007F}',
            '\u{0085}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", u32::from(c));
        }
        for c in [
            'a', '@', '.', ' ', '\u{3000}', '\u{00A0}', 'あ', '例', '😀', 'é',
        ] {
            assert!(!is_invisible(c), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn invisible_characters_are_removed_with_a_note() {
        for typed in [
            "ta\u{202E}ro@example.jp",
            "\u{2067}taro\u{2069}@example.jp",
            "taro\u{200B}@exa\u{200D}mple.jp",
            "taro@example.jp\u{FEFF}",
            "ta\u{0001}ro@example.jp\u{061C}",
        ] {
            let (a, note) = ok(typed);
            assert_eq!(a.full(), "taro@example.jp", "{typed:?}");
            let note = note.unwrap_or_else(|| panic!("no note for {typed:?}"));
            assert_eq!(note.field, "address");
            assert_eq!(note.original, typed);
            assert!(
                note.kinds.contains(&NormalizationKind::Invisible),
                "{typed:?}"
            );
        }
        // Nothing but invisible characters before the @.
        assert_eq!(
            parse_address("\u{200B}@example.jp"),
            Err(InputError::EmptyLocalPart)
        );
        // Removing one lets its neighbours compose: e + U+200B + combining acute is é.
        assert_eq!(ok("caf\u{65}\u{200B}\u{301}@example.jp").0.local, "café");
        let (u, note) = normalize_text("username", "ta\u{202E}ro ");
        assert_eq!(u, "taro");
        let kinds = note.map(|n| n.kinds).unwrap_or_default();
        assert_eq!(
            kinds,
            [NormalizationKind::Invisible, NormalizationKind::Trimmed]
        );
        let (h, note) = normalize_host("imap", "imap.example.jp\u{202E}").unwrap_or_default();
        assert_eq!(h, "imap.example.jp");
        assert_eq!(
            note.map(|n| n.kinds).unwrap_or_default(),
            [NormalizationKind::Invisible]
        );
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
