//! Why a job could not start, in the user's language: the words of [`maildoc_engine::Error`]
//! for every door.

use crate::{Lang, ui};
use maildoc_engine::Error;
use maildoc_model::input::InputError;

/// At most this many characters of what was typed are repeated in a message.
const SHOWN: usize = 80;

/// The words of `e` in `lang`.
pub fn words(e: &Error, lang: Lang) -> String {
    match e {
        Error::Address { typed, error } => address(error, typed, lang),
        Error::UsernameEmpty => ui::text("error-username-empty", lang).to_string(),
        Error::UsernameTooLong { length } => ui::fill(
            "error-username-too-long",
            lang,
            &[
                ("length", &length.to_string()),
                ("limit", &maildoc_engine::MAX_USERNAME.to_string()),
            ],
        ),
        Error::Domain { detail, .. } => ui::fill("error-domain", lang, &[("detail", detail)]),
        Error::CaFile(t) => ui::fill("error-ca-file", lang, &[("detail", &t.to_string())]),
    }
}

/// What was typed, cut to [`SHOWN`] characters.
fn shown(typed: &str) -> String {
    let mut shown: String = typed.chars().take(SHOWN).collect();
    if shown.len() < typed.len() {
        shown.push('…');
    }
    shown
}

fn address(e: &InputError, typed: &str, lang: Lang) -> String {
    let why = |key: &str, detail: &str| {
        ui::fill(key, lang, &[("detail", detail), ("typed", &shown(typed))])
    };
    match e {
        InputError::TooLong { part, octets } => ui::fill(
            "error-address-too-long",
            lang,
            &[
                (
                    "part",
                    ui::text(&format!("input-part-{}", part.as_str()), lang),
                ),
                ("length", &octets.to_string()),
                ("limit", &part.limit().to_string()),
                ("rfc", part.rfc()),
            ],
        ),
        InputError::Empty => ui::text("error-address-empty", lang).to_string(),
        InputError::NoAt => why("error-address-no-at", ""),
        InputError::SeveralAts => why("error-address-several-ats", ""),
        InputError::EmptyLocalPart => why("error-address-empty-local-part", ""),
        InputError::BadDomain(detail) => why("error-address-bad-domain", detail),
        InputError::BadLocalPart(detail) => why("error-address-bad-local-part", detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maildoc_engine::domain::DomainName;
    use maildoc_engine::{Env, MAX_USERNAME, check_input};
    use maildoc_model::input::AddressPart;

    fn both(e: &Error) -> [String; 2] {
        [words(e, Lang::Ja), words(e, Lang::En)].map(|m| {
            assert!(
                !m.contains('{') && !m.contains('}'),
                "a placeholder left: {m}"
            );
            m
        })
    }

    #[test]
    fn every_way_an_address_fails_in_both_languages() {
        for typed in [
            "",
            "taro.example.jp",
            "taro@@example.jp",
            "@example.jp",
            "taro@exa mple",
            "ta ro@example.jp",
        ] {
            let e = check_input(typed, None).unwrap_err();
            let [ja, en] = both(&e);
            assert_ne!(ja, en);
            if !typed.is_empty() {
                assert!(ja.contains(typed) && en.contains(typed), "{ja} / {en}");
            }
        }
    }

    #[test]
    fn every_limit_in_both_languages() {
        for part in [
            AddressPart::LocalPart,
            AddressPart::Domain,
            AddressPart::Label,
            AddressPart::Address,
        ] {
            let e = Error::Address {
                typed: String::new(),
                error: InputError::TooLong { part, octets: 300 },
            };
            for m in both(&e) {
                assert!(m.contains("300") && m.contains(&part.limit().to_string()));
                assert!(m.contains(part.rfc()), "{m}");
            }
        }
        let local = format!("{}@example.jp", "x".repeat(100 * 1024));
        assert_eq!(
            words(&check_input(&local, None).unwrap_err(), Lang::En),
            "The part of the address before the @ is 102400 bytes long; mail allows at most \
             64 (RFC 5321 §4.5.3.1.1). Check what was typed or pasted."
        );
    }

    #[test]
    fn a_long_input_is_not_repeated_whole() {
        let typed = "x".repeat(100 * 1024);
        for m in both(&check_input(&typed, None).unwrap_err()) {
            assert!(m.contains("xxx…"), "{m}");
            assert!(m.len() < 400, "{}", m.len());
        }
        let long = "u".repeat(100_000);
        let e = check_input("taro@example.jp", Some(&long)).unwrap_err();
        assert_eq!(e, Error::UsernameTooLong { length: 100_000 });
        for m in both(&e) {
            assert!(
                m.contains("100000") && m.contains(&MAX_USERNAME.to_string()),
                "{m}"
            );
            assert!(!m.contains("uuuu"), "{m}");
        }
    }

    #[test]
    fn the_other_errors_in_both_languages() {
        let empty = check_input("taro@example.jp", Some("\u{200b} ")).unwrap_err();
        assert_eq!(empty, Error::UsernameEmpty);
        let domain = DomainName::parse("localhost").unwrap_err();
        let ca = Env::new(None, Some(b"not a certificate")).unwrap_err();
        for e in [empty, domain, ca] {
            let [ja, en] = both(&e);
            assert_ne!(ja, en, "{e:?}");
        }
    }
}
