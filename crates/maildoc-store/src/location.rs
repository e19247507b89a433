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
            given: redact(t).into_owned(),
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
            Location::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Location({self})")
    }
}

/// A URL without the password of its user information (`postgres://user@host/db`), and
/// without a `password=` parameter.
fn redact(url: &str) -> std::borrow::Cow<'_, str> {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.into();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let mut out = url[..scheme_end].to_owned();
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            out.push_str(userinfo.split(':').next().unwrap_or(""));
            out.push_str(&rest[at..authority_end]);
        }
        None => out.push_str(&rest[..authority_end]),
    }
    let tail = &rest[authority_end..];
    match tail.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            let kept: Vec<&str> = query
                .split('&')
                .filter(|p| !p.to_ascii_lowercase().starts_with("password="))
                .collect();
            if !kept.is_empty() {
                out.push('?');
                out.push_str(&kept.join("&"));
            }
        }
        None => out.push_str(tail),
    }
    out.into()
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
        assert!(matches!(
            Location::parse("mysql://u:secret@h/db"),
            Err(Error::Location { given }) if given == "mysql://u@h/db"
        ));
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
                "postgres://db.example/maildoc?user=x&sslmode=require",
            ),
            ("postgres://u:p@h", "postgres://u@h"),
        ] {
            let loc = Location::parse(url).unwrap_or(Location::Sqlite("x".into()));
            assert_eq!(loc.to_string(), shown);
            assert!(!format!("{loc:?}").contains("s3c"));
        }
    }
}
