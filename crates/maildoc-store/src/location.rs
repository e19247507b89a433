//! Where the history lives: `sqlite:PATH` (default: `history.sqlite3` in the user's data
//! directory) or `postgres://…`. A location is shown without its password.

use crate::Error;
use std::path::PathBuf;

/// The environment variable that chooses the store when `--db` is not given.
pub const ENV: &str = "MAILDOC_DB";

#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    /// A PostgreSQL URL (`postgres://` or `postgresql://`), password included: used to
    /// connect, never shown.
    Postgres(String),
}

impl Location {
    /// Reads `sqlite:PATH`, a bare path ending in `.sqlite3`/`.sqlite`/`.db`, or a PostgreSQL
    /// URL.
    pub fn parse(text: &str) -> Result<Location, Error> {
        let t = text.trim();
        if let Some(path) = t
            .strip_prefix("sqlite://")
            .or_else(|| t.strip_prefix("sqlite:"))
        {
            if !path.is_empty() {
                return Ok(Location::Sqlite(PathBuf::from(path)));
            }
        } else if t.starts_with("postgres://") || t.starts_with("postgresql://") {
            return Ok(Location::Postgres(t.to_owned()));
        } else if [".sqlite3", ".sqlite", ".db"]
            .iter()
            .any(|e| t.ends_with(e))
        {
            return Ok(Location::Sqlite(PathBuf::from(t)));
        }
        Err(Error::Location {
            given: scheme_only(t),
        })
    }

    /// The store to use: `given` (`--db`), else `MAILDOC_DB`, else the default file.
    pub fn choose(given: Option<&str>) -> Result<Location, Error> {
        if let Some(text) = given {
            return Location::parse(text);
        }
        match std::env::var(ENV) {
            Ok(text) if !text.trim().is_empty() => Location::parse(&text),
            _ => Location::default_file(),
        }
    }

    /// `history.sqlite3` in the user's data directory (`$XDG_DATA_HOME/maildoc` or
    /// `~/.local/share/maildoc` on Linux, `~/Library/Application Support/maildoc` on macOS,
    /// `%APPDATA%\maildoc\data` on Windows).
    pub fn default_file() -> Result<Location, Error> {
        directories::ProjectDirs::from("", "", "maildoc")
            .map(|dirs| Location::Sqlite(dirs.data_dir().join("history.sqlite3")))
            .ok_or(Error::NoDataDir)
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Location::Postgres(url) => f.write_str(&shown(url)),
        }
    }
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Location({self})")
    }
}

/// A PostgreSQL URL as shown: rebuilt from what the client parsed of it (user, hosts,
/// ports, database), so no form of the password can come through; a URL the client cannot
/// read is shown as its scheme alone.
fn shown(url: &str) -> String {
    use postgres::config::Host;
    let (url, _) = crate::postgres::take_root_cert(url);
    let Ok(config) = url.parse::<postgres::Config>() else {
        return "postgres://…".to_owned();
    };
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let name = match host {
                Host::Tcp(name) if name.contains(':') => format!("[{name}]"),
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            };
            match ports.get(i).or(ports.first()) {
                Some(port) => format!("{name}:{port}"),
                None => name,
            }
        })
        .collect();
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let db = config
        .get_dbname()
        .map(|d| format!("/{d}"))
        .unwrap_or_default();
    format!("postgres://{user}{}{db}", hosts.join(","))
}

/// Text that is no location, shown as its scheme alone (what follows may hold a password).
fn scheme_only(text: &str) -> String {
    match text.find([':', '@', '/']) {
        Some(i) if i > 0 => format!("{}:…", &text[..i]),
        _ => "…".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_two_schemes_and_bare_files() {
        assert_eq!(
            Location::parse("sqlite:/tmp/h.sqlite3").ok(),
            Some(Location::Sqlite("/tmp/h.sqlite3".into()))
        );
        assert_eq!(
            Location::parse("/tmp/h.db").ok(),
            Some(Location::Sqlite("/tmp/h.db".into()))
        );
        assert!(matches!(
            Location::parse("postgresql://u:p@127.0.0.1/db"),
            Ok(Location::Postgres(_))
        ));
        for (typed, shown) in [
            ("mysql://u:secret@h/db", "mysql:…"),
            ("postgres:/u:secret@h", "postgres:…"),
            ("u:secret@host/db", "u:…"),
            (":secret", "…"),
        ] {
            assert!(
                matches!(Location::parse(typed), Err(Error::Location { ref given }) if given == shown),
                "{typed}"
            );
        }
        assert!(Location::parse("sqlite:").is_err());
    }

    #[test]
    fn a_postgres_location_is_shown_without_its_password() {
        for (url, shown) in [
            (
                "postgres://maildoc:s3cr%40t@127.0.0.1:5432/maildoc",
                "postgres://maildoc@127.0.0.1:5432/maildoc",
            ),
            (
                "postgres://db.example/maildoc?user=x&password=s3cret&sslmode=require",
                "postgres://x@db.example:5432/maildoc",
            ),
            ("postgres://u:p@h", "postgres://u@h:5432"),
            (
                "postgres://u:pa/s3c?r#et@db.example/x",
                "postgres://u@db.example:5432/x",
            ),
            (
                "postgres://db.example/x?user=u&pass%77ord=s3cret",
                "postgres://u@db.example:5432/x",
            ),
            (
                "postgres://u:s3cret@[::1]:5433/x",
                "postgres://u@[::1]:5433/x",
            ),
            ("postgres://u:s3cret@h/db?sslmode=bogus", "postgres://…"),
        ] {
            let loc = Location::Postgres(url.into());
            assert_eq!(loc.to_string(), shown, "{url}");
            assert!(!format!("{loc:?}").contains("s3c"), "{url}");
        }
    }
}
