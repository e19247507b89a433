//! The language of a page: `?lang=` (or the form's `lang` field), then the browser's
//! Accept-Language, then `--lang`.

use crate::App;
use axum::http::{HeaderMap, header};
use maildoc_report::Lang;

/// The language `query`'s `lang=` names, else the first of Accept-Language's that maildoc
/// speaks (by weight), else the app's.
pub(crate) fn of_request(app: &App, headers: &HeaderMap, query: Option<&str>) -> Lang {
    query
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("lang=")))
        .and_then(Lang::parse)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(accepted)
        })
        .unwrap_or(app.0.config.lang)
}

/// The language of a form: its `lang` field, else as for any request.
pub(crate) fn of_form(app: &App, headers: &HeaderMap, field: Option<&str>) -> Lang {
    field
        .and_then(Lang::parse)
        .unwrap_or_else(|| of_request(app, headers, None))
}

/// The first language of an Accept-Language value that maildoc speaks, by weight (`q`), in
/// the order given among equal weights; `q=0` means "not this one".
fn accepted(value: &str) -> Option<Lang> {
    let mut best: Option<(u16, Lang)> = None;
    for item in value.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let weight = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(1000, |q| {
                q.trim()
                    .parse::<f32>()
                    .map_or(0, |q| (q.clamp(0.0, 1.0) * 1000.0) as u16)
            });
        let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
        let Some(lang) = Lang::parse(&primary) else {
            continue;
        };
        if weight > 0 && best.is_none_or(|(w, _)| weight > w) {
            best = Some((weight, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_by_weight() {
        assert_eq!(accepted("ja-JP,ja;q=0.9,en;q=0.8"), Some(Lang::Ja));
        assert_eq!(accepted("en-US,en;q=0.9,ja;q=0.8"), Some(Lang::En));
        assert_eq!(accepted("fr, en;q=0.5, ja;q=0.7"), Some(Lang::Ja));
        assert_eq!(accepted("ja;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(accepted("fr, de"), None);
        assert_eq!(accepted(""), None);
        assert_eq!(accepted("*;q=bogus,ja;q=2"), Some(Lang::Ja));
    }
}
