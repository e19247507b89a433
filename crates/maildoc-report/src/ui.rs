//! The words of maildoc's own screens, in Japanese and English, from `data/ui.toml`.

use maildoc_kb::Lang;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug, serde::Deserialize)]
struct Entry {
    ja: String,
    en: String,
}

fn table() -> &'static BTreeMap<String, Entry> {
    static TABLE: OnceLock<BTreeMap<String, Entry>> = OnceLock::new();
    TABLE.get_or_init(|| toml::from_str(include_str!("../data/ui.toml")).unwrap_or_default())
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
        let raw: toml::Table = toml::from_str(include_str!("../data/ui.toml")).unwrap_or_default();
        assert!(raw.len() > 20);
        assert_eq!(raw.len(), table().len(), "an entry lacks ja or en");
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
