//! Where providers say whether their mail works: their status or notice pages, and the feeds
//! maildoc reads (`data/status.toml`).

use crate::Lang;
use serde::Deserialize;
use std::sync::OnceLock;

/// A provider's status page and feed.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct StatusSource {
    /// The id in the provider table.
    pub provider: String,
    pub page: String,
    #[serde(default)]
    pub page_ja: Option<String>,
    #[serde(default)]
    pub feed: Option<String>,
    /// `apple`, `google`, `rss` or `statuspage`, with a feed.
    #[serde(default)]
    pub format: Option<String>,
    /// The mail services' names in the feed.
    #[serde(default)]
    pub services: Vec<String>,
}

impl StatusSource {
    /// The page in `lang` where the provider has one, else its page.
    pub fn page_for(&self, lang: Lang) -> &str {
        match (lang, &self.page_ja) {
            (Lang::Ja, Some(ja)) => ja,
            _ => &self.page,
        }
    }
}

#[derive(Deserialize)]
struct Table {
    status: Vec<StatusSource>,
}

/// Every provider with a status page, in file order.
pub fn all() -> &'static [StatusSource] {
    static TABLE: OnceLock<Vec<StatusSource>> = OnceLock::new();
    TABLE.get_or_init(|| {
        toml::from_str::<Table>(include_str!("../data/status.toml"))
            .map(|t| t.status)
            .unwrap_or_default()
    })
}

/// The status source of a provider id.
pub fn for_provider(id: &str) -> Option<&'static StatusSource> {
    all().iter().find(|s| s.provider == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_names_a_known_provider_and_a_usable_feed() {
        assert!(all().len() >= 10);
        for s in all() {
            assert!(
                crate::providers::all().iter().any(|p| p.id == s.provider),
                "{}",
                s.provider
            );
            assert!(s.page.starts_with("https://"), "{}", s.provider);
            match (&s.feed, s.format.as_deref()) {
                (None, None) => {}
                (Some(feed), Some("apple" | "google" | "rss" | "statuspage")) => {
                    assert!(feed.starts_with("https://"), "{}", s.provider);
                }
                other => panic!("{}: feed and format go together: {other:?}", s.provider),
            }
        }
        assert_eq!(for_provider("gmail").map(|s| s.services.len()), Some(1));
        assert!(
            for_provider("icloud")
                .unwrap_or_else(|| unreachable!())
                .page_for(Lang::Ja)
                .contains("/jp/")
        );
    }
}
