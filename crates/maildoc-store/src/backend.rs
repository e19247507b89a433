//! The one trait a database implements: run a statement, run a query, in transactions.
//!
//! Every query the store makes is written once (in `history.rs` and `watch.rs`) in the SQL
//! that SQLite and PostgreSQL share: `$1`-style parameters, numbered in the order they first
//! appear; `INSERT … RETURNING`; `ON CONFLICT … DO UPDATE`; integers and text only. What
//! differs (the column types of the schema, how to open, how to begin a transaction) lives
//! in the backends.

use crate::Error;

/// A value bound to a parameter or read from a column. The schema has only integers and
/// text; a missing integer is [`Value::Null`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    Text(String),
    Null,
}

impl Value {
    /// The integer, or 0 for text and null (the schema never mixes them in one column).
    pub fn int(&self) -> i64 {
        match self {
            Value::Int(i) => *i,
            Value::Text(_) | Value::Null => 0,
        }
    }

    /// The integer, or `None` for null.
    pub fn opt_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Text(_) | Value::Null => None,
        }
    }

    /// The text, or an empty string.
    pub fn as_text(&self) -> &str {
        match self {
            Value::Text(s) => s,
            Value::Int(_) | Value::Null => "",
        }
    }

    /// The text, or an empty string.
    pub fn text(self) -> String {
        match self {
            Value::Text(s) => s,
            Value::Int(_) | Value::Null => String::new(),
        }
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl From<Option<i64>> for Value {
    fn from(i: Option<i64>) -> Value {
        i.map_or(Value::Null, Value::Int)
    }
}

/// A row as read: one value per selected column.
pub type Row = Vec<Value>;

/// Which SQL dialect a backend speaks, for the few statements that differ (the schema).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A connection to one database. Implemented by the SQLite and the PostgreSQL backend;
/// everything above it is shared, and one contract-test suite runs on both.
pub trait Backend: Send {
    fn dialect(&self) -> Dialect;

    /// Runs a statement that returns no rows; gives the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, Error>;

    /// Runs a query and reads every row.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error>;

    /// Starts a transaction that will write (SQLite takes its write lock at once, so two
    /// writers wait for each other instead of failing halfway).
    fn begin(&mut self) -> Result<(), Error>;

    fn commit(&mut self) -> Result<(), Error>;

    fn rollback(&mut self) -> Result<(), Error>;

    /// Runs a script of statements without parameters (the schema's migrations).
    fn batch(&mut self, sql: &str) -> Result<(), Error>;

    /// The connection is gone (the server closed it); a file never is.
    fn is_closed(&self) -> bool {
        false
    }
}

/// Runs `work` in one transaction: committed when it succeeds, rolled back otherwise, so a
/// failure (or a full disk) leaves no half-written run.
pub fn transaction<R>(
    db: &mut dyn Backend,
    work: impl FnOnce(&mut dyn Backend) -> Result<R, Error>,
) -> Result<R, Error> {
    db.begin()?;
    match work(db) {
        Ok(r) => match db.commit() {
            Ok(()) => Ok(r),
            Err(e) => {
                // A COMMIT that failed (a full disk shows here, when the log is written) can
                // leave the transaction open; every later BEGIN would fail.
                let _ = db.rollback();
                Err(e)
            }
        },
        Err(e) => {
            // The error that made the work fail is the one to report; a failed rollback
            // (the connection is gone) changes nothing the database will keep.
            let _ = db.rollback();
            Err(e)
        }
    }
}

/// The first row's first value, or `None` when there is no row.
pub fn scalar(db: &mut dyn Backend, sql: &str, params: &[Value]) -> Result<Option<Value>, Error> {
    Ok(db
        .query(sql, params)?
        .into_iter()
        .next()
        .and_then(|row| row.into_iter().next()))
}
