//! The default backend: one SQLite file (bundled SQLite), in WAL mode so readers do not wait
//! for a writer, created with permissions for its owner only.

use crate::Error;
use crate::backend::{Backend, Dialect, Row, Value};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use std::path::Path;
use std::time::Duration;

pub struct Sqlite {
    conn: Connection,
}

impl Sqlite {
    pub fn open(path: &Path) -> Result<Sqlite, Error> {
        let fail = |detail: String| Error::Open {
            location: format!("sqlite:{}", path.display()),
            detail,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(|e| fail(e.to_string()))?;
        restrict_to_owner(path);
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(|e| fail(e.to_string()))?;
        conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
            .map_err(|e| fail(e.to_string()))?;
        // A small page cache: a door keeps a few runs, and a check's memory stays low.
        conn.execute_batch(
            "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-256;",
        )
        .map_err(|e| fail(e.to_string()))?;
        Ok(Sqlite { conn })
    }

    /// The connection itself, for tests that need a pragma the store does not set.
    #[cfg(test)]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

impl Backend for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, Error> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(error)?;
        let n = stmt
            .execute(rusqlite::params_from_iter(params))
            .map_err(error)?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(error)?;
        let columns = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(error)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(error)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(error)? {
                    ValueRef::Integer(n) => Value::Int(n),
                    ValueRef::Real(f) => Value::Int(f as i64),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        Value::Text(String::from_utf8_lossy(t).into_owned())
                    }
                    ValueRef::Null => Value::Null,
                });
            }
            out.push(values);
        }
        Ok(out)
    }

    fn begin(&mut self) -> Result<(), Error> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(error)
    }

    fn commit(&mut self) -> Result<(), Error> {
        self.conn.execute_batch("COMMIT").map_err(error)
    }

    fn rollback(&mut self) -> Result<(), Error> {
        self.conn.execute_batch("ROLLBACK").map_err(error)
    }

    fn batch(&mut self, sql: &str) -> Result<(), Error> {
        self.conn.execute_batch(sql).map_err(error)
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Int(i) => ToSqlOutput::from(*i),
            Value::Text(s) => ToSqlOutput::from(s.as_str()),
            Value::Null => ToSqlOutput::from(rusqlite::types::Null),
        })
    }
}

/// A full disk (or database size limit) is its own error; the location is filled in above.
fn error(e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => Error::Full {
            location: String::new(),
        },
        _ => Error::Database {
            detail: e.to_string(),
        },
    }
}

#[cfg(unix)]
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// The history holds addresses and host names: readable by its owner only. A file that
/// cannot be changed (not ours) is left as it is.
#[cfg(unix)]
fn restrict_to_owner(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}

#[cfg(not(unix))]
fn restrict_to_owner(_: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Kind, NewRun, Origin, RunFilter, history};

    fn run(at_ms: i64, report: String) -> NewRun {
        NewRun {
            kind: Kind::Domain,
            subject: "example.jp".into(),
            at_ms,
            elapsed_ms: 1,
            origin: Origin::Cli,
            worst: None,
            codes: vec!["spf-missing".into()],
            state: format!("state-{at_ms}"),
            report,
        }
    }

    /// A disk that fills up mid-run: the run is not saved at all, the earlier history is
    /// whole, and the error says the disk is full. (SQLite's page limit stands in for the
    /// disk: it fails the same way, with SQLITE_FULL.)
    #[test]
    fn a_full_disk_loses_nothing_and_says_so() {
        let dir = maildoc_testkit::scratch::Scratch::new("store-full");
        let mut db = Sqlite::open(&dir.path("h.sqlite3")).unwrap();
        crate::schema::migrate(&mut db).unwrap();
        let kept = history::save(&mut db, &run(1, "{}".into())).unwrap();
        let pages: i64 = db
            .connection()
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        db.connection()
            .query_row(
                &format!("PRAGMA max_page_count = {}", pages + 2),
                [],
                |_| Ok(()),
            )
            .unwrap();
        let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(200_000));
        let err = history::save(&mut db, &run(2, big)).unwrap_err();
        assert!(matches!(err, Error::Full { .. }), "{err:?}");
        let runs = history::runs(&mut db, &RunFilter::default()).unwrap();
        assert_eq!(runs, [kept]);
        assert_eq!(
            db.query("SELECT COUNT(*) FROM reports", &[]).unwrap(),
            [[Value::Int(1)]]
        );
        // Once there is room again, saving works.
        db.connection()
            .query_row("PRAGMA max_page_count = 1000000", [], |_| Ok(()))
            .unwrap();
        history::save(&mut db, &run(3, "{}".into())).unwrap();
    }
}
