//! What is wrong with a karte file, with where: the file, the line and column, the field.
//! The words for people are in the UI table (`maildoc-report/data/ui-karte.toml`); the
//! `Display` form here is English, for logs and tests.

use std::path::PathBuf;

/// A karte that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub path: PathBuf,
    /// 1-based line and column, when the problem has a place in the file.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub kind: ErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file cannot be read (the OS error).
    Read(String),
    /// Not valid TOML (the parser's message).
    Syntax(String),
    /// No `karte_version`: not a karte.
    NotAKarte,
    /// `karte_version` is not a whole number of at least 1.
    BadVersion(String),
    /// Written by a newer maildoc: the file's version.
    NewerVersion(i64),
    /// A key that would hold a password (the key as written).
    PasswordField(String),
    /// A key the format does not have (`devices[2].colour`).
    UnknownField { field: String },
    /// A required key is missing (`incoming[1].host`).
    MissingField { field: String },
    /// A value that cannot be used: the field, what it must hold, and the parser's own
    /// words (English; empty when maildoc's own check refused it).
    BadValue {
        field: String,
        expected: crate::Expected,
        detail: String,
    },
}

impl LoadError {
    /// `path:line:column` (as far as known).
    pub fn place(&self) -> String {
        let mut s = self.path.display().to_string();
        if let Some(l) = self.line {
            s.push_str(&format!(":{l}"));
            if let Some(c) = self.column {
                s.push_str(&format!(":{c}"));
            }
        }
        s
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: ", self.place())?;
        match &self.kind {
            ErrorKind::Read(e) => write!(f, "cannot read the file: {e}"),
            ErrorKind::Syntax(e) => write!(f, "not valid TOML: {e}"),
            ErrorKind::NotAKarte => f.write_str("not a maildoc karte (no karte_version)"),
            ErrorKind::BadVersion(v) => write!(f, "karte_version `{v}` is not a version"),
            ErrorKind::NewerVersion(v) => write!(
                f,
                "karte version {v} is newer than this maildoc reads ({})",
                maildoc_model::karte::KARTE_VERSION
            ),
            ErrorKind::PasswordField(k) => {
                write!(f, "`{k}`: a karte never holds a password; remove this line")
            }
            ErrorKind::UnknownField { field } => write!(f, "unknown field `{field}`"),
            ErrorKind::MissingField { field } => write!(f, "missing field `{field}`"),
            ErrorKind::BadValue {
                field,
                expected,
                detail,
            } => {
                write!(f, "`{field}`: expected {}", expected.describe())?;
                if !detail.is_empty() {
                    write!(f, " ({detail})")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for LoadError {}

/// A karte that could not be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaveError {
    pub path: PathBuf,
    pub detail: String,
}

impl std::fmt::Display for SaveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.detail)
    }
}

impl std::error::Error for SaveError {}
