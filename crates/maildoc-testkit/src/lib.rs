//! Test-only kit: the lab of real servers started by `lab/lab.sh`, hostile in-process
//! servers for misbehaviour real servers will not produce, a DNS server with a few MX records
//! (`zone`), a delaying TCP proxy, the edits property tests make to real inputs, and scratch
//! directories.
//! Everything here listens on and connects to loopback only.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

pub mod golden;
pub mod hostile;
pub mod http;
pub mod lab;
pub mod mutate;
pub mod proxy;
pub mod reports;
pub mod scratch;
pub mod webdriver;
pub mod zone;

/// The history store the `maildoc` binaries of the tests keep their runs in (`MAILDOC_DB`):
/// one SQLite file under the temporary directory, shared by every test process (SQLite lets
/// them write in turn), so no test writes to the user's data directory.
pub fn history_db() -> String {
    static DB: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DB.get_or_init(|| {
        let dir = std::env::temp_dir().join("maildoc-test-history");
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot make {}: {e}", dir.display()));
        format!("sqlite:{}", dir.join("history.sqlite3").display())
    })
    .clone()
}
