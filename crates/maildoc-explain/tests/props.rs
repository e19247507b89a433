//! `explain` never panics and stays bounded on any input.

use maildoc_explain::explain;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_text_is_explained_without_panicking(s in "\\PC{0,300}") {
        let e = explain(&s);
        prop_assert!(e.matches.len() <= 6);
        prop_assert!(e.suggestions.len() <= 3);
        prop_assert!(e.candidates.iter().all(|c| (1..=100).contains(&c.likelihood)));
    }

    #[test]
    fn smtp_like_text_is_explained_without_panicking(
        s in "([2-5][0-9]{2}[ -])?[245]\\.[0-9]{1,3}\\.[0-9]{1,4}[ a-zA-Z.:;<>@]{0,40}"
    ) {
        let e = explain(&s);
        prop_assert!(!e.unknown || e.statuses.is_empty());
    }
}

/// The text of every case of the corpus: error texts of each mail app, SMTP replies,
/// carriers' bounces and whole bounce messages.
fn corpus() -> Vec<String> {
    let files = [
        include_str!("corpus/android-gmail.txt"),
        include_str!("corpus/apple.txt"),
        include_str!("corpus/bounces.txt"),
        include_str!("corpus/carriers.txt"),
        include_str!("corpus/outlook-messages.txt"),
        include_str!("corpus/outlook.txt"),
        include_str!("corpus/smtp.txt"),
        include_str!("corpus/thunderbird.txt"),
        include_str!("corpus/windows-mail.txt"),
    ];
    let mut out = Vec::new();
    for file in files {
        for case in file.split("\n=== ").skip(1) {
            let text = case.split_once('\n').map_or("", |(_, t)| t);
            out.push(text.to_string());
        }
    }
    out
}

fn case() -> impl Strategy<Value = String> {
    prop::sample::select(corpus())
}

/// A case of the corpus cut about: lines dropped, doubled or swapped, characters replaced,
/// removed or inserted (NUL, controls, bidi, full-width, Japanese among them).
fn cut_case() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        3 => prop::sample::select(vec![
            '\0', '\u{7}', '\r', '\n', '\t', '\u{202e}', '\u{200b}', '\u{feff}', '５', '．', '：',
            'サ', 'ー', 'バ', '"', '\'', '<', '>', '(', ')', ';', ':', '.', '5', '0', ' ',
        ]),
        1 => any::<char>(),
    ];
    (
        case(),
        prop::collection::vec((any::<usize>(), 0u8..6, ch), 1..8),
    )
        .prop_map(|(text, edits)| {
            let mut text = text;
            for (at, how, c) in edits {
                let mut lines: Vec<&str> = text.lines().collect();
                let n = lines.len().max(1);
                let i = at % n;
                match how {
                    3 if i < lines.len() => {
                        lines.remove(i);
                    }
                    4 if i < lines.len() => lines.insert(i, lines[i]),
                    5 if i < lines.len() => {
                        let j = (at / 7) % n;
                        lines.swap(i, j);
                    }
                    _ => {
                        text = maildoc_testkit::mutate::edit_chars(&text, at, how, c);
                        continue;
                    }
                }
                text = lines.join("\n");
            }
            text
        })
}

/// What holds for every explanation: few matches and suggestions, likelihoods in percent,
/// key lines taken from the input (each once, at most 2,000 characters), statuses with
/// their codes in range.
fn bounded(input: &str, e: &maildoc_explain::Explanation) -> Result<(), TestCaseError> {
    prop_assert!(e.matches.len() <= 6);
    prop_assert!(e.suggestions.len() <= 3);
    prop_assert!(e.suggestions.iter().all(|s| s.similarity <= 100));
    prop_assert!(
        e.candidates
            .iter()
            .all(|c| (1..=100).contains(&c.likelihood))
    );
    for (i, line) in e.key_lines.iter().enumerate() {
        prop_assert!(line.chars().count() <= 2000);
        prop_assert!(!e.key_lines[..i].contains(line));
        let head: String = line.chars().take(40).collect();
        prop_assert!(input.contains(&head), "{:?} is not from the input", head);
    }
    for s in &e.statuses {
        prop_assert!(
            s.reply.is_none_or(|r| (200..=559).contains(&r)),
            "{:?}",
            s.reply
        );
        prop_assert!(s.enhanced.is_some() || s.reply.is_some());
        if s.enhanced.is_some() {
            prop_assert!(s.enhanced_parts().is_some(), "{:?}", s.enhanced);
        }
    }
    prop_assert_eq!(e.unknown, e.matches.is_empty() && e.statuses.is_empty());
    Ok(())
}

// `explain` reads every catalogue entry for each text (some milliseconds in a debug build):
// the cases are fewer than elsewhere.
proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any bytes a terminal or a clipboard may hand over (read as UTF-8 with replacement,
    /// NUL and control characters included), and the corpus cut about.
    #[test]
    fn any_bytes_and_cut_bounces_are_explained(
        text in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..400).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
            prop::collection::vec(prop_oneof![any::<u8>(), Just(b'\n'), Just(b'5'), Just(b'.'), Just(b' ')], 0..200)
                .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
            cut_case(),
        ],
    ) {
        let e = explain(&text);
        bounded(&text, &e)?;
        prop_assert!(serde_json::to_string(&e).is_ok());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A case pasted another way (CRLF line ends, indented, with blank lines between) means
    /// the same; with full-width digits and dots it has the same status codes.
    #[test]
    fn the_way_a_text_is_pasted_does_not_matter(
        text in case(),
        (crlf, indent, blank) in (any::<bool>(), "[ \t]{0,3}", any::<bool>()),
    ) {
        let end = if crlf { "\r\n" } else { "\n" };
        let pasted: String = text
            .lines()
            .map(|l| format!("{indent}{l}{indent}{end}{}", if blank { end } else { "" }))
            .collect();
        let e = explain(&text);
        prop_assert_eq!(&explain(&pasted), &e);
        let wide: String = text
            .chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32(u32::from(c) - u32::from('0') + 0xFF10).unwrap_or(c),
                '.' => '．',
                _ => c,
            })
            .collect();
        let codes = |e: &maildoc_explain::Explanation| {
            e.statuses.iter().map(|s| (s.reply, s.enhanced.clone())).collect::<Vec<_>>()
        };
        prop_assert_eq!(codes(&explain(&wide)), codes(&e));
    }
}

/// A paste far beyond what is read (a megabyte of bounces): explained as its first 64 Ki
/// characters are, in bounded time.
#[test]
fn a_huge_paste_is_read_up_to_its_limit() {
    let all = corpus().join("\n");
    let mut huge = String::new();
    while huge.len() < 1 << 20 {
        huge.push_str(&all);
        huge.push('\n');
    }
    let start = std::time::Instant::now();
    let e = explain(&huge);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    let head: String = huge.chars().take(64 * 1024).collect();
    assert_eq!(e, explain(&head));
    assert!(!e.unknown);
}
