//! What a peer speaks and what its greeting means, decided by its first bytes alone; dates
//! in greetings read back as written.

use maildoc_model::{GreetingOutcome, Protocol, Spoken};
use maildoc_wire::{date, sniff};
use proptest::prelude::*;
use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

const PROTOCOLS: [Protocol; 3] = [Protocol::Imap, Protocol::Pop3, Protocol::Smtp];

/// `word` with the case of each letter chosen by `mask`.
fn mixed_case(word: &str, mask: &[bool]) -> String {
    word.chars()
        .zip(mask.iter().cycle())
        .map(|(c, &upper)| {
            if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// A greeting line of some protocol: (the line, what it speaks, whether it is ready).
fn greeting() -> impl Strategy<Value = (String, Spoken, bool)> {
    let mask = prop::collection::vec(any::<bool>(), 1..8);
    let sep = prop_oneof![Just(" "), Just("["), Just("\t"), Just("\r\n")];
    let text = "[ -~]{0,40}";
    prop_oneof![
        (
            prop_oneof![Just("OK"), Just("PREAUTH"), Just("BYE")],
            mask.clone(),
            sep.clone(),
            text
        )
            .prop_map(|(word, mask, sep, text)| (
                format!("* {}{sep}{text}", mixed_case(word, &mask)),
                Spoken::Imap,
                word != "BYE"
            )),
        (
            prop_oneof![Just("+OK"), Just("-ERR")],
            mask.clone(),
            sep.clone(),
            text
        )
            .prop_map(|(word, mask, sep, text)| (
                format!("{}{sep}{text}", mixed_case(word, &mask)),
                Spoken::Pop3,
                word == "+OK"
            )),
        (
            prop_oneof![Just(220u16), 100u16..1000],
            prop_oneof![Just(" "), Just("-"), Just("\r\n")],
            text
        )
            .prop_map(|(code, sep, text)| (
                format!("{code}{sep}{text}"),
                Spoken::Smtp,
                code == 220
            )),
        (mask, text).prop_map(|(mask, text)| (
            format!("{}{text}", mixed_case("HTTP/", &mask)),
            Spoken::Http,
            false
        )),
    ]
}

/// A local date and time with a zone, as Unix seconds and the words of RFC 5322.
#[derive(Clone, Debug)]
struct Written {
    text: String,
    unix: i64,
}

fn written_date() -> impl Strategy<Value = Written> {
    (
        1900i32..=9999,
        1u8..=12,
        1u8..=31,
        (0u8..24, 0u8..60, 0u8..=60, any::<bool>()),
        -(23 * 60 + 59)..=(23i32 * 60 + 59),
        (
            any::<bool>(),
            any::<bool>(),
            0usize..7,
            any::<bool>(),
            0u8..3,
        ),
    )
        .prop_filter_map(
            "a day the month has",
            |(year, month, day, (h, m, s, with_seconds), offset_min, style)| {
                let (day_name, lower, weekday, comma, year_form) = style;
                let month = Month::try_from(month).ok()?;
                let date = Date::from_calendar_date(year, month, day).ok()?;
                let s = if with_seconds { s } else { 0 };
                let time = Time::from_hms(h, m, s.min(59)).ok()?;
                let offset = UtcOffset::from_whole_seconds(offset_min * 60).ok()?;
                let unix = PrimitiveDateTime::new(date, time)
                    .assume_offset(offset)
                    .unix_timestamp();
                // Two- and three-digit years stand for 1950-2049 and 1900-2899.
                let year_word = match year_form {
                    1 if (1950..2050).contains(&year) => format!("{:02}", year % 100),
                    2 if year < 2900 => format!("{:03}", year - 1900),
                    _ => year.to_string(),
                };
                let clock = if with_seconds {
                    format!("{h:02}:{m:02}:{s:02}")
                } else {
                    format!("{h:02}:{m:02}")
                };
                let zone = match offset_min {
                    0 if lower => "gmt".to_string(),
                    -300 if lower => "EST".to_string(),
                    -420 if lower => "pdt".to_string(),
                    n => format!(
                        "{}{:02}{:02}",
                        if n < 0 { '-' } else { '+' },
                        n.abs() / 60,
                        n.abs() % 60
                    ),
                };
                let month_name = &format!("{month:?}")[..3];
                let month_name = if lower {
                    month_name.to_ascii_lowercase()
                } else {
                    month_name.to_string()
                };
                let day_word = if day_name {
                    let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
                    format!("{}{} ", names[weekday], if comma { "," } else { "" })
                } else {
                    String::new()
                };
                Some(Written {
                    text: format!("{day_word}{day} {month_name} {year_word} {clock} {zone}"),
                    unix,
                })
            },
        )
}

/// Greetings a date is found in, before and after it.
fn surroundings() -> impl Strategy<Value = (&'static str, &'static str)> {
    (
        prop_oneof![
            Just(""),
            Just("220 mx.example ESMTP Sendmail 8.17.1/8.17.1; "),
            Just("220 EX01.corp.example Microsoft ESMTP MAIL Service ready at "),
            Just("* OK [CAPABILITY IMAP4rev1] ready ("),
            Just("+OK POP3 <1896.697170952@dbc.mtview.ca.us> "),
        ],
        prop_oneof![Just(""), Just(" (UTC)"), Just(";"), Just(" ready\r\n")],
    )
}

/// One change to a string: a character replaced, removed or inserted.
fn mutate(s: &str, at: usize, how: u8, c: char) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let i = at % (chars.len() + 1);
    match how % 3 {
        0 if i < chars.len() => chars[i] = c,
        1 if i < chars.len() => {
            chars.remove(i);
        }
        _ => chars.insert(i, c),
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Exactly the bytes of a TLS alert or handshake record header are TLS, whatever
    /// follows; a greeting that starts with one is another protocol for every port.
    #[test]
    fn tls_is_its_record_header(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            (prop_oneof![Just(0x15u8), Just(0x16)], 0u8..8, prop::collection::vec(any::<u8>(), 0..64))
                .prop_map(|(kind, minor, tail)| [vec![kind, 0x03, minor], tail].concat()),
        ],
    ) {
        let header = bytes.len() >= 3
            && matches!(bytes[0], 0x15 | 0x16)
            && bytes[1] == 0x03
            && bytes[2] <= 0x04;
        prop_assert_eq!(sniff::sniff(&bytes) == Spoken::Tls, header);
        if header {
            let line = String::from_utf8_lossy(&bytes);
            for p in PROTOCOLS {
                prop_assert_eq!(
                    sniff::classify_greeting(p, &line),
                    (GreetingOutcome::OtherProtocol, Spoken::Tls)
                );
            }
        }
    }

    /// A greeting is judged by its keyword or code, in any case, whatever text follows;
    /// on another protocol's port it is that other protocol.
    #[test]
    fn greetings_are_classified((line, spoken, ready) in greeting()) {
        prop_assert_eq!(sniff::sniff(line.as_bytes()), spoken);
        for p in PROTOCOLS {
            let want = if Spoken::from(p) == spoken {
                if ready { GreetingOutcome::Ready } else { GreetingOutcome::Refused }
            } else {
                GreetingOutcome::OtherProtocol
            };
            prop_assert_eq!(sniff::classify_greeting(p, &line), (want, spoken));
        }
    }

    /// For any line: the classification names what `sniff` names, and garbage is exactly
    /// what no protocol speaks.
    #[test]
    fn classification_agrees_with_sniffing(
        line in prop_oneof![
            any::<String>(),
            "[*+-]?[ -~]{0,6}",
            "(\\* |\\+|-)?[A-Za-z]{0,8}[ \\[\\t]?[ -~]{0,10}",
            "[0-9]{2,4}[ -]?[ -~]{0,10}",
        ],
    ) {
        let spoken = sniff::sniff(line.as_bytes());
        for p in PROTOCOLS {
            let (outcome, said) = sniff::classify_greeting(p, &line);
            prop_assert_eq!(said, spoken);
            prop_assert_eq!(outcome == GreetingOutcome::Garbage, spoken == Spoken::Unknown);
            prop_assert_eq!(
                outcome == GreetingOutcome::OtherProtocol,
                spoken != Spoken::Unknown && spoken != Spoken::from(p)
            );
        }
    }

    /// A date written in any of the accepted forms, inside a real greeting, reads back as
    /// the moment it names.
    #[test]
    fn written_dates_read_back(w in written_date(), (before, after) in surroundings()) {
        let greeting = format!("{before}{}{after}", w.text);
        prop_assert_eq!(date::find_date(&greeting), Some(w.unix), "{}", greeting);
    }

    /// One character changed anywhere in a dated greeting: no panic, and a date found is
    /// still between 1900 and 9999.
    #[test]
    fn mutated_dates_stay_in_range(
        w in written_date(),
        (before, after) in surroundings(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<char>()), 1..4),
    ) {
        let mut greeting = format!("{before}{}{after}", w.text);
        for (at, how, c) in edits {
            greeting = mutate(&greeting, at, how, c);
        }
        if let Some(t) = date::find_date(&greeting) {
            prop_assert!((-2_208_988_800 - 86_400..=253_402_300_800 + 86_400).contains(&t));
        }
    }
}
