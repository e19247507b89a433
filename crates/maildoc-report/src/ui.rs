//! The words of maildoc's own screens, in Japanese and English, from `data/ui.toml`.

use maildoc_kb::Lang;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug, serde::Deserialize)]
struct Entry {
    ja: String,
    en: String,
}

/// The data files, one per area; a key may appear in one file only (a test checks).
const FILES: &[&str] = &[
    include_str!("../data/ui.toml"),
    include_str!("../data/ui-discover.toml"),
    include_str!("../data/ui-karte.toml"),
    include_str!("../data/ui-explain.toml"),
    include_str!("../data/ui-triage.toml"),
    include_str!("../data/ui-domain.toml"),
    include_str!("../data/ui-web.toml"),
    include_str!("../data/ui-history.toml"),
    include_str!("../data/ui-message.toml"),
];

fn table() -> &'static BTreeMap<String, Entry> {
    static TABLE: OnceLock<BTreeMap<String, Entry>> = OnceLock::new();
    TABLE.get_or_init(|| {
        FILES
            .iter()
            .flat_map(|f| toml::from_str::<BTreeMap<String, Entry>>(f).unwrap_or_default())
            .collect()
    })
}

/// The text of `key`; the key itself if it were missing (the tests make sure it is not).
pub fn text(key: &str, lang: Lang) -> &'static str {
    match table().get(key) {
        Some(e) => match lang {
            Lang::Ja => e.ja.as_str(),
            Lang::En => e.en.as_str(),
        },
        None => "?",
    }
}

/// The text of `key` with `{name}` placeholders filled.
pub fn fill(key: &str, lang: Lang, args: &[(&str, &str)]) -> String {
    let params: BTreeMap<String, String> = args
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    maildoc_kb::fill(text(key, lang), &params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages() {
        let mut total = 0;
        for file in FILES {
            let raw: toml::Table = toml::from_str(file).unwrap_or_else(|e| panic!("{e}"));
            total += raw.len();
        }
        assert!(total > 20);
        assert_eq!(
            total,
            table().len(),
            "an entry lacks ja or en, or a key is in two files"
        );
        for (key, e) in table() {
            assert!(!e.ja.trim().is_empty() && !e.en.trim().is_empty(), "{key}");
            let ja_places = maildoc_kb::placeholders_in(&e.ja);
            let en_places = maildoc_kb::placeholders_in(&e.en);
            let mut a = ja_places.clone();
            let mut b = en_places.clone();
            a.sort();
            b.sort();
            assert_eq!(a, b, "{key}: placeholders differ between ja and en");
        }
        assert_eq!(text("no-such-key", Lang::En), "?");
    }
}
