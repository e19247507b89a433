//! Tests of the knowledge base data and API. Panicking with a message is how they fail.
#![allow(clippy::panic)]

use super::*;
use std::collections::BTreeSet;

fn raw() -> RawData {
    match parse_all() {
        Ok(raw) => raw,
        Err(e) => panic!("the data does not parse: {e}"),
    }
}

fn raw_text(entry: &RawEntry, lang: Lang) -> Option<&RawText> {
    match lang {
        Lang::Ja => entry.ja.as_ref(),
        Lang::En => entry.en.as_ref(),
    }
}

/// Every text of the data file: (code, lang, field name, text).
fn all_texts() -> Vec<(Code, Lang, String, String)> {
    let mut out = Vec::new();
    for &code in Code::ALL {
        for &lang in Lang::ALL {
            let t = finding_text(code, lang);
            out.push((code, lang, "title".into(), t.title.clone()));
            out.push((code, lang, "cause".into(), t.cause.clone()));
            out.push((code, lang, "fix".into(), t.fix.clone()));
            for (client, text) in &t.clients {
                out.push((
                    code,
                    lang,
                    format!("clients.{}", client.key()),
                    text.clone(),
                ));
            }
        }
    }
    out
}

fn is_japanese(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x309F   // hiragana
        | 0x30A0..=0x30FF // katakana
        | 0x4E00..=0x9FFF // CJK ideographs
        | 0x3000..=0x303F // CJK punctuation
        | 0xFF00..=0xFFEF // full-width forms
    )
}

#[test]
fn every_code_has_japanese_and_english() {
    let raw = raw();
    for &code in Code::ALL {
        let entry = raw
            .get(code.as_str())
            .unwrap_or_else(|| panic!("{code}: missing from data/findings.toml"));
        for &lang in Lang::ALL {
            let t = raw_text(entry, lang)
                .unwrap_or_else(|| panic!("{code}: no `{}` text", lang.as_str()));
            for (field, text) in [("title", &t.title), ("cause", &t.cause), ("fix", &t.fix)] {
                assert!(
                    !text.trim().is_empty(),
                    "{code}.{}: empty {field}",
                    lang.as_str()
                );
            }
            assert!(
                !t.title.contains('\n'),
                "{code}.{}: the title must be one line",
                lang.as_str()
            );
            // What the library serves is the data, not the fallback.
            assert_eq!(finding_text(code, lang).title, t.title.trim());
        }
    }
}

#[test]
fn no_unknown_codes_in_the_data() {
    for name in raw().keys() {
        assert!(
            Code::parse(name).is_some(),
            "data/findings.toml has `{name}`, which is not a code"
        );
    }
}

#[test]
fn clients_are_known_and_the_same_in_both_languages() {
    for (name, entry) in raw() {
        let keys = |lang: Lang| -> BTreeSet<String> {
            raw_text(&entry, lang)
                .map(|t| t.clients.keys().cloned().collect())
                .unwrap_or_default()
        };
        let (ja, en) = (keys(Lang::Ja), keys(Lang::En));
        assert_eq!(ja, en, "{name}: client keys differ between ja and en");
        for key in &ja {
            assert!(
                Client::parse(key).is_some(),
                "{name}: unknown client `{key}`"
            );
        }
        for &lang in Lang::ALL {
            if let Some(t) = raw_text(&entry, lang) {
                for (key, text) in &t.clients {
                    assert!(!text.trim().is_empty(), "{name}.{lang:?}.{key}: empty");
                }
            }
        }
    }
}

#[test]
fn placeholders_are_allowed_for_their_code() {
    for (code, lang, field, text) in all_texts() {
        let allowed = placeholders(code);
        for name in placeholders_in(&text) {
            assert!(
                allowed.contains(&name),
                "{code}.{}.{field}: placeholder {{{name}}} is not a param of this code \
                 (allowed: {allowed:?})",
                lang.as_str()
            );
        }
    }
}

#[test]
fn filling_every_param_leaves_no_braces() {
    for (code, lang, field, text) in all_texts() {
        let params: BTreeMap<String, String> = placeholders(code)
            .into_iter()
            .map(|p| (p.to_string(), "X".to_string()))
            .collect();
        let filled = fill(&text, &params);
        assert!(
            !filled.contains('{') && !filled.contains('}'),
            "{code}.{}.{field}: stray brace after filling: {filled}",
            lang.as_str()
        );
    }
}

/// Why `text` reads as advice to accept a bad certificate or to weaken encryption, if it does.
fn unsafe_advice(text: &str) -> Option<String> {
    // Phrases that are never acceptable.
    const NEVER: &[&str] = &[
        "trust anyway",
        "connect anyway",
        "continue anyway",
        "proceed anyway",
        "accept anyway",
        "allow insecure",
        "less secure apps",
        "とりあえず",
        "安全性の低いアプリ",
        "警告を無視して",
    ];
    // Phrases that may only appear in a sentence that forbids them.
    const ONLY_FORBIDDEN: &[&str] = &[
        "ignore the warning",
        "ignore the certificate",
        "accept the certificate",
        "accept that certificate",
        "trust the certificate",
        "trust this certificate",
        "accept all certificates",
        "verify certificate",
        "turn off certificate",
        "disable certificate",
        "turn encryption off",
        "turn off encryption",
        "choose \"none\"",
        "old tls versions",
        "証明書を信頼",
        "証明書を受け入れ",
        "証明書を許可",
        "証明書をインストール",
        "警告を無視",
        "すべての証明書を承認",
        "証明書を検証しない",
        "証明書の確認をオフ",
        "暗号化を「なし」",
        "古い tls",
    ];
    const NEGATIONS: &[&str] = &["do not", "don't", "never", "ないでください", "しないで"];
    let lower = text.to_lowercase();
    if let Some(phrase) = NEVER.iter().find(|p| lower.contains(*p)) {
        return Some(format!("contains `{phrase}`"));
    }
    for sentence in lower.split(['。', '\n']).flat_map(|s| s.split(". ")) {
        for phrase in ONLY_FORBIDDEN {
            if sentence.contains(phrase) && !NEGATIONS.iter().any(|n| sentence.contains(n)) {
                return Some(format!(
                    "`{phrase}` outside a sentence that forbids it: {sentence}"
                ));
            }
        }
    }
    None
}

#[test]
fn the_unsafe_advice_check_works() {
    for bad in [
        "If the warning appears, accept the certificate.",
        "Turn off encryption for now.",
        "Tap Trust anyway.",
        "「すべての証明書を承認」を選びます。",
        "警告が出たら証明書を信頼してください。",
        "古い TLS を有効にします。",
    ] {
        assert!(unsafe_advice(bad).is_some(), "not caught: {bad}");
    }
    for good in [
        "Do not accept the certificate in your mail app. Tell your provider.",
        "「すべての証明書を承認」と付いた項目は選ばないでください。",
        "メールアプリで証明書を受け入れないでください。",
        "The certificate expired.",
    ] {
        assert_eq!(unsafe_advice(good), None, "{good}");
    }
}

#[test]
fn no_advice_to_accept_bad_certificates_or_weaken_encryption() {
    for (code, lang, field, text) in all_texts() {
        if let Some(why) = unsafe_advice(&text) {
            panic!("{code}.{}.{field}: {why}", lang.as_str());
        }
    }
}

#[test]
fn japanese_texts_are_japanese_and_english_texts_are_ascii() {
    for (code, lang, field, text) in all_texts() {
        match lang {
            Lang::Ja => assert!(
                text.chars().any(is_japanese),
                "{code}.ja.{field}: no Japanese characters"
            ),
            Lang::En => {
                assert!(
                    !text.chars().any(is_japanese),
                    "{code}.en.{field}: contains Japanese characters"
                );
                let non_ascii = text.chars().filter(|c| !c.is_ascii()).count();
                assert!(
                    non_ascii * 50 <= text.chars().count(),
                    "{code}.en.{field}: too many non-ASCII characters"
                );
            }
        }
    }
}

#[test]
fn no_exclamation_marks() {
    for (code, lang, field, text) in all_texts() {
        let text = text.replace("Yahoo!", "Yahoo");
        assert!(
            !text.contains('!') && !text.contains('！'),
            "{code}.{}.{field}: exclamation mark",
            lang.as_str()
        );
    }
}

#[test]
fn auth_texts_say_the_other_user_name_form_is_tried_only_once() {
    for code in [Code::AuthFailed, Code::AuthUsernameForm] {
        let en = finding_text(code, Lang::En);
        let ja = finding_text(code, Lang::Ja);
        assert!(
            format!("{} {}", en.cause, en.fix).contains("only once"),
            "{code}.en"
        );
        assert!(
            format!("{}{}", ja.cause, ja.fix).contains("1 回だけ"),
            "{code}.ja"
        );
    }
}

#[test]
fn allowed_params_have_no_duplicates_or_server_params() {
    for &code in Code::ALL {
        let specific = allowed_params(code);
        let set: BTreeSet<_> = specific.iter().collect();
        assert_eq!(set.len(), specific.len(), "{code}: duplicate param");
        for p in specific {
            assert!(!SERVER_PARAMS.contains(p), "{code}: {p} is a server param");
            assert!(is_placeholder_name(p), "{code}: bad param name {p}");
        }
    }
    assert!(!placeholders(Code::InputNormalized).contains(&"host"));
    assert!(placeholders(Code::CertExpired).contains(&"host"));
}

#[test]
fn fill_replaces_known_placeholders_only() {
    let mut params = BTreeMap::new();
    params.insert("host".to_string(), "imap.example.jp".to_string());
    params.insert("port".to_string(), "993".to_string());
    assert_eq!(
        fill("{host}:{port} {missing} {Host} {} { x } {{host}}", &params),
        "imap.example.jp:993 {missing} {Host} {} { x } {imap.example.jp}"
    );
    assert_eq!(fill("no braces", &params), "no braces");
    assert_eq!(fill("open { at end", &params), "open { at end");
    assert_eq!(fill("ends with {", &params), "ends with {");
    assert_eq!(
        fill("日本語 {host} です", &params),
        "日本語 imap.example.jp です"
    );
    assert_eq!(placeholders_in("a {b} {c_d} {E} {}"), vec!["b", "c_d"]);
}

#[test]
fn languages_parse() {
    assert_eq!(Lang::parse("ja"), Some(Lang::Ja));
    assert_eq!(Lang::parse("ja_JP.UTF-8"), Some(Lang::Ja));
    assert_eq!(Lang::parse("ja-JP"), Some(Lang::Ja));
    assert_eq!(Lang::parse("JA"), Some(Lang::Ja));
    assert_eq!(Lang::parse("en"), Some(Lang::En));
    assert_eq!(Lang::parse("en_US.UTF-8"), Some(Lang::En));
    assert_eq!(Lang::parse("C"), None);
    assert_eq!(Lang::parse("fr_FR"), None);
    assert_eq!(Lang::parse(""), None);
    assert_eq!(Lang::from_env_lang("ja_JP.eucJP"), Lang::Ja);
    assert_eq!(Lang::from_env_lang("ja:en"), Lang::Ja);
    assert_eq!(Lang::from_env_lang("C.UTF-8"), Lang::En);
    assert_eq!(Lang::from_env_lang("de_DE"), Lang::En);
    assert_eq!(Lang::from_env_lang(""), Lang::En);
    for &lang in Lang::ALL {
        assert_eq!(Lang::parse(lang.as_str()), Some(lang));
    }
}

#[test]
fn clients_round_trip() {
    for &client in Client::ALL {
        assert_eq!(Client::parse(client.key()), Some(client));
        assert!(!client.label(Lang::Ja).is_empty());
        assert!(!client.label(Lang::En).is_empty());
    }
    assert_eq!(Client::parse("nokia"), None);
}

#[test]
fn missing_data_falls_back_to_a_generic_text() {
    let kb = build(RawData::new());
    for &code in Code::ALL {
        for &lang in Lang::ALL {
            let t = kb.get(&(code, lang));
            assert!(t.is_some_and(|t| t.title.contains(code.as_str()) && !t.fix.is_empty()));
        }
    }
    assert!(parse_raw("[cert-expired.fr]\ntitle = \"x\"").is_err());
}

#[test]
fn markdown_is_deterministic_and_complete() {
    let md = findings_markdown();
    assert_eq!(md, findings_markdown());
    for &code in Code::ALL {
        assert!(md.contains(&format!("\n## {}\n", code.as_str())), "{code}");
    }
}

#[test]
fn docs_findings_md_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/findings.md");
    let expected = findings_markdown();
    if std::env::var("MAILDOC_BLESS").as_deref() == Ok("1") {
        if let Err(e) = std::fs::write(&path, &expected) {
            panic!("cannot write {}: {e}", path.display());
        }
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "{} is out of date; run `MAILDOC_BLESS=1 cargo test -p maildoc-kb`",
        path.display()
    );
}
