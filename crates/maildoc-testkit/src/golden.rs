//! Golden files: compare rendered output with a file byte for byte, or rewrite the file when
//! `MAILDOC_BLESS=1` is set. `refresh` is the command that refreshes it (shown on failure).

use std::path::Path;

pub fn compare(path: &Path, actual: &str, refresh: &str) {
    if std::env::var("MAILDOC_BLESS").as_deref() == Ok("1") {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        std::fs::write(path, actual).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with MAILDOC_BLESS=1 {refresh}",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .map(|i| i + 1)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()) + 1);
        panic!(
            "{} differs (first at line {line}); if the change is meant, refresh with \
             MAILDOC_BLESS=1 {refresh}\n--- rendered ---\n{actual}",
            path.display()
        );
    }
}
