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
