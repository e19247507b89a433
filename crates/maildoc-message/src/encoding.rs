//! How the headers people read (Subject, From, To) are encoded: the charsets of their RFC
//! 2047 encoded words (`=?ISO-2022-JP?B?...?=`), words that cannot be decoded, and bytes
//! above 0x7F that declare no charset (raw Shift_JIS or EUC-JP: each app guesses). Raw
//! UTF-8 is allowed (RFC 6532) and noted without a problem.

use crate::split::Field;
use base64::Engine as _;
use maildoc_model::message::{EncodingNote, EncodingProblem};

/// The headers whose text a person reads.
pub const READ_BY_PEOPLE: &[&str] = &["Subject", "From", "To", "Cc", "Reply-To"];

/// The encoded words of a value: (charset, encoding letter, text).
fn encoded_words(value: &str) -> Vec<(&str, char, &str)> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find("=?") {
        let word = &rest[start + 2..];
        let mut pieces = word.splitn(3, '?');
        let (Some(charset), Some(enc), Some(tail)) = (pieces.next(), pieces.next(), pieces.next())
        else {
            break;
        };
        let Some(end) = tail.find("?=") else { break };
        let consumed = start + 2 + charset.len() + 1 + enc.len() + 1 + end + 2;
        let letter = enc.chars().next().unwrap_or(' ').to_ascii_uppercase();
        if enc.len() == 1 && (letter == 'B' || letter == 'Q') {
            // `charset*lang` (RFC 2231): the language is not part of the charset.
            let charset = charset.split('*').next().unwrap_or(charset);
            out.push((charset, letter, &tail[..end]));
        }
        rest = rest.get(consumed..).unwrap_or("");
    }
    out
}

/// The bytes of a Q-encoded word.
fn q_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(out)
}

/// The bytes an encoded word carries; None when its base64 or Q text is broken.
fn word_bytes(enc: char, text: &str) -> Option<Vec<u8>> {
    match enc {
        'B' => base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text.trim()))
            .ok(),
        _ => q_decode(text),
    }
}

/// Whether the bytes of adjacent words in one charset decode cleanly; None when the charset
/// is unknown. (Mail apps join such words first: a character may be split between two.)
fn decodes(charset: &str, bytes: &[u8]) -> Option<bool> {
    let encoding = encoding_rs::Encoding::for_label(charset.trim().as_bytes())?;
    let (_, _, had_errors) = encoding.decode(bytes);
    Some(!had_errors)
}

/// Bytes that declare no charset and are not UTF-8, read as the legacy Japanese charset
/// they decode in without error: EUC-JP first (its text is also valid Shift_JIS, as
/// half-width katakana; the reverse is rare), then Shift_JIS.
pub fn guess_legacy(raw: &[u8]) -> Option<(&'static str, String)> {
    if std::str::from_utf8(raw).is_ok() {
        return None;
    }
    [encoding_rs::EUC_JP, encoding_rs::SHIFT_JIS]
        .into_iter()
        .find_map(|e| {
            e.decode_without_bom_handling_and_without_replacement(raw)
                .map(|text| (e.name(), text.into_owned()))
        })
}

/// The note for one field that people read; none when it is plain ASCII.
pub fn note(field: &Field<'_>) -> Option<EncodingNote> {
    let raw = field.value;
    let text = String::from_utf8_lossy(raw);
    let words = encoded_words(&text);
    let mut charsets: Vec<String> = Vec::new();
    let mut problem = None;
    // Runs of words in one charset, their bytes joined.
    let mut runs: Vec<(&str, Vec<u8>)> = Vec::new();
    for (charset, enc, word) in &words {
        let name = (*charset).to_owned();
        if !charsets.iter().any(|c| c.eq_ignore_ascii_case(&name)) {
            charsets.push(name);
        }
        let Some(bytes) = word_bytes(*enc, word) else {
            problem.get_or_insert(EncodingProblem::BadEncodedWord);
            continue;
        };
        match runs.last_mut() {
            Some((cs, joined)) if cs.eq_ignore_ascii_case(charset) => joined.extend(bytes),
            _ => runs.push((charset, bytes)),
        }
    }
    for (charset, bytes) in &runs {
        match decodes(charset, bytes) {
            None => problem = Some(EncodingProblem::UnknownCharset),
            Some(false) => {
                problem.get_or_insert(EncodingProblem::BadEncodedWord);
            }
            Some(true) => {}
        }
    }
    if raw.iter().any(|b| *b >= 0x80) {
        if std::str::from_utf8(raw).is_ok() {
            charsets.push("UTF-8 (raw)".to_owned());
        } else {
            problem = Some(EncodingProblem::Undeclared8bit);
            charsets.push(match guess_legacy(raw) {
                Some((name, _)) => format!("8-bit (undeclared; reads as {name})"),
                None => "8-bit (undeclared)".to_owned(),
            });
        }
    }
    if charsets.is_empty() {
        return None;
    }
    Some(EncodingNote {
        header: field.name.to_owned(),
        charsets,
        problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(value: &[u8]) -> Option<EncodingNote> {
        note(&Field {
            name: "Subject",
            value,
        })
    }

    #[test]
    fn japanese_subjects_as_they_come() {
        // 「テスト」 in ISO-2022-JP, base64.
        let n = read(b" =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=").unwrap_or_else(|| unreachable!());
        assert_eq!(n.charsets, ["ISO-2022-JP"]);
        assert_eq!(n.problem, None);
        let n = read(b" =?shift_jis?B?g2WDWINn?= =?UTF-8?Q?=E3=83=86?=")
            .unwrap_or_else(|| unreachable!());
        assert_eq!(n.charsets, ["shift_jis", "UTF-8"]);
        assert_eq!(n.problem, None);
        // Raw Shift_JIS bytes with no charset declared.
        let n = read(b" \x83\x65\x83\x58\x83\x67").unwrap_or_else(|| unreachable!());
        assert_eq!(n.problem, Some(EncodingProblem::Undeclared8bit));
        // Raw UTF-8 is noted, not a problem.
        assert_eq!(read("テスト".as_bytes()).and_then(|n| n.problem), None);
        assert_eq!(read(b" plain ascii"), None);
    }

    #[test]
    fn a_character_split_between_two_words_decodes_and_euc_jp_reads_as_itself() {
        // 「テスト」 in UTF-8, its first character split between two words.
        let split = read(b" =?UTF-8?B?44OG4w==?= =?UTF-8?B?grnjg4g=?=");
        assert_eq!(split.and_then(|n| n.problem), None);
        let euc = "テスト".as_bytes().to_vec();
        let (encoded, _, _) = encoding_rs::EUC_JP.encode("テスト");
        assert_ne!(euc, encoded.to_vec());
        assert_eq!(
            guess_legacy(&encoded),
            Some(("EUC-JP", "テスト".to_owned()))
        );
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("見積もりの件");
        assert_eq!(guess_legacy(&sjis).map(|g| g.0), Some("Shift_JIS"));
    }

    #[test]
    fn words_that_cannot_be_decoded() {
        let unknown = read(b" =?X-UNKNOWN-CS?B?YWJj?=").and_then(|n| n.problem);
        assert_eq!(unknown, Some(EncodingProblem::UnknownCharset));
        let bad = read(b" =?UTF-8?B?!!!not base64?=").and_then(|n| n.problem);
        assert_eq!(bad, Some(EncodingProblem::BadEncodedWord));
        // Bytes ISO-2022-JP does not allow (8-bit, after a JIS escape).
        let broken = read(b" =?ISO-2022-JP?B?GyRCgIA=?=").and_then(|n| n.problem);
        assert_eq!(broken, Some(EncodingProblem::BadEncodedWord));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_read_without_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = read(&bytes);
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let _ = encoded_words(&text);
        }
    }
}
