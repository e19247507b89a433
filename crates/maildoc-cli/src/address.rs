//! The mail address as typed, checked before anything runs: every command that takes one
//! refuses an address that cannot be used (exit code 3), in the run's language, before any
//! password prompt or probe.

use maildoc_model::input::{self, InputError};
use maildoc_report::{Lang, ui};

/// At most this many characters of what was typed are repeated in a message.
const SHOWN: usize = 80;
/// The longest user name maildoc takes, in bytes: a little more than the longest mail
/// address (254). No protocol sets a limit, but nothing longer is a user name anybody has.
pub const MAX_USERNAME: usize = 256;

/// The words of the usage error for `typed`, in `lang`; `None` when it can be used.
pub fn problem(typed: &str, lang: Lang) -> Option<String> {
    input::parse_address(typed)
        .err()
        .map(|e| words(&e, typed, lang))
}

/// The words of the usage error for a user name longer than [`MAX_USERNAME`]; `None` when
/// there is none or it can be used.
pub fn username_problem(typed: Option<&str>, lang: Lang) -> Option<String> {
    let length = typed?.len();
    (length > MAX_USERNAME).then(|| {
        ui::fill(
            "error-username-too-long",
            lang,
            &[
                ("length", &length.to_string()),
                ("limit", &MAX_USERNAME.to_string()),
            ],
        )
    })
}

/// The words of the usage error `e` about the address `typed`, in `lang`.
pub fn words(e: &InputError, typed: &str, lang: Lang) -> String {
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
        e => {
            let mut shown: String = typed.chars().take(SHOWN).collect();
            if shown.len() < typed.len() {
                shown.push('…');
            }
            ui::fill(
                "error-input",
                lang,
                &[("detail", &format!("{e}: `{shown}`"))],
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maildoc_model::input::AddressPart;

    #[test]
    fn a_user_name_longer_than_any_address_is_refused() {
        assert_eq!(username_problem(None, Lang::En), None);
        assert_eq!(
            username_problem(Some(&"u".repeat(MAX_USERNAME)), Lang::En),
            None
        );
        let long = "u".repeat(100_000);
        for lang in [Lang::Ja, Lang::En] {
            let words = username_problem(Some(&long), lang).unwrap_or_default();
            assert!(words.contains("100000") && words.contains("256"), "{words}");
            assert!(!words.contains("uuuu"), "{words}");
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
            let e = InputError::TooLong { part, octets: 300 };
            for lang in [Lang::Ja, Lang::En] {
                let m = words(&e, "", lang);
                assert!(!m.contains('?') && !m.contains('{'), "{m}");
                assert!(m.contains("300") && m.contains(&part.limit().to_string()));
                assert!(m.contains(part.rfc()), "{m}");
            }
        }
        let local = format!("{}@example.jp", "x".repeat(100 * 1024));
        assert_eq!(
            problem(&local, Lang::En).as_deref(),
            Some(
                "The part of the address before the @ is 102400 bytes long; mail allows at most \
                 64 (RFC 5321 §4.5.3.1.1). Check what was typed or pasted."
            )
        );
        assert_eq!(problem("taro@example.jp", Lang::Ja), None);
    }

    #[test]
    fn a_long_address_is_not_repeated_whole() {
        let typed = "x".repeat(100 * 1024);
        let m = problem(&typed, Lang::En).unwrap_or_default();
        assert!(m.contains("needs an @") && m.ends_with("…`"), "{m}");
        assert!(m.len() < 300, "{}", m.len());
    }
}
