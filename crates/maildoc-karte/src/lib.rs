//! The karte file (メール設定カルテ): load it with clear errors (file, line, field, what is
//! wrong), check its version, turn it into the settings the lint and the check read, append
//! a check to its history, and save it atomically. The format is `docs/karte.md`; the types
//! are [`maildoc_model::karte`].
//!
//! A karte never holds a password: a key that would hold one is refused when loading, and
//! [`redact`] removes a known password from every field before saving.

mod error;
mod locate;

pub use error::{ErrorKind, LoadError, SaveError};
pub use maildoc_model::karte::*;

use maildoc_model::settings::{AccountSettings, ServerSetting};
use maildoc_model::{Protocol, Report, Severity, StepKind};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a value must look like, for people (`maildoc_report::karte` words each in ja and en).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expected {
    /// A port number, 1 to 65535.
    Port,
    /// A number of days, 1 or more.
    Days,
    /// A whole number.
    Number,
    /// `true` or `false`.
    Bool,
    /// Text in quotes.
    Text,
    /// Text that is not empty.
    NonEmpty,
    /// `imap`, `pop3` (or `smtp` where the table allows it).
    Protocol,
    /// `imap` or `pop3`: only incoming protocols.
    IncomingProtocol,
    /// `ssl`, `starttls` or `plain`.
    Security,
    /// A date (`2026-04-01`) or a date and time (`2026-04-01T09:30:00+09:00`).
    Date,
    /// `ok`, `warning` or `error`.
    Result,
    /// A mail address (the parser's reason).
    Address(String),
    /// A `[[sources]]` entry has exactly one of `url` and `document`.
    OneSource,
    /// Anything else: the parser's words.
    Other(String),
}

impl Expected {
    /// In English, for `Display` and logs.
    pub fn describe(&self) -> String {
        match self {
            Expected::Port => "a port number (1-65535)".into(),
            Expected::Days => "a number of days (1 or more)".into(),
            Expected::Number => "a whole number".into(),
            Expected::Bool => "true or false".into(),
            Expected::Text => "text in quotes".into(),
            Expected::NonEmpty => "text that is not empty".into(),
            Expected::Protocol => "imap, pop3 or smtp".into(),
            Expected::IncomingProtocol => "imap or pop3".into(),
            Expected::Security => "ssl, starttls or plain".into(),
            Expected::Date => "a date (2026-04-01) or date and time (RFC 3339)".into(),
            Expected::Result => "ok, warning or error".into(),
            Expected::Address(r) => format!("a mail address ({r})"),
            Expected::OneSource => "exactly one of url and document".into(),
            Expected::Other(r) => r.clone(),
        }
    }
}

/// The header maildoc writes at the top of every karte.
pub const HEADER: &str = "\
# maildoc メール設定カルテ / mail settings karte
# 形式 / format: docs/karte.md (karte_version 1)
# パスワードは絶対に書かないでください。 Never write a password in this file.
# maildoc karte check はこのファイルを書き直します (コメントは残りません)。
# maildoc karte check rewrites this file (comments are not kept).

";

/// Reads and checks a karte file.
pub fn load(path: &Path) -> Result<Karte, Box<LoadError>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Box::new(LoadError {
            path: path.to_path_buf(),
            line: None,
            column: None,
            kind: ErrorKind::Read(e.to_string()),
        })
    })?;
    parse(&text, path)
}

/// Parses and checks the text of a karte; `path` is only for the error.
pub fn parse(text: &str, path: &Path) -> Result<Karte, Box<LoadError>> {
    let err = |place: Option<(usize, usize)>, kind: ErrorKind| {
        Box::new(LoadError {
            path: path.to_path_buf(),
            line: place.map(|p| p.0),
            column: place.map(|p| p.1),
            kind,
        })
    };
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let place = e.span().map(|s| locate::line_col(text, s.start));
        err(place, ErrorKind::Syntax(e.message().trim().to_string()))
    })?;
    if let Some(key) = password_key(&table) {
        return Err(err(
            locate::key_anywhere(text, &key),
            ErrorKind::PasswordField(key),
        ));
    }
    let version_place = locate::key_anywhere(text, "karte_version");
    match table.get("karte_version") {
        None => return Err(err(None, ErrorKind::NotAKarte)),
        Some(toml::Value::Integer(v)) if *v > i64::from(KARTE_VERSION) => {
            return Err(err(version_place, ErrorKind::NewerVersion(*v)));
        }
        Some(toml::Value::Integer(v)) if *v >= 1 => {}
        Some(other) => {
            return Err(err(version_place, ErrorKind::BadVersion(other.to_string())));
        }
    }
    let karte: Karte = toml::from_str(text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        let ctx = locate::context(text, offset);
        let place = e.span().map(|s| locate::line_col(text, s.start));
        let message = e.message().trim().to_string();
        let kind = if let Some(name) = quoted_after(&message, "unknown field `") {
            ErrorKind::UnknownField {
                field: ctx.field(&name),
            }
        } else if let Some(name) = quoted_after(&message, "missing field `") {
            ErrorKind::MissingField {
                field: ctx.field(&name),
            }
        } else if let Some(key) = &ctx.key {
            let field = ctx.field(key);
            ErrorKind::BadValue {
                expected: expected_for(&field),
                field,
                detail: message,
            }
        } else {
            ErrorKind::Syntax(message)
        };
        err(place, kind)
    })?;
    validate(&karte, text).map_err(|(place, kind)| err(place, kind))?;
    Ok(karte)
}

/// What a field must hold, from its key.
pub fn expected_for(field: &str) -> Expected {
    let key = field.rsplit('.').next().unwrap_or(field);
    match key {
        "port" => Expected::Port,
        "leave_on_server_days" | "delete_after_days" => Expected::Days,
        "quota_used_kib" | "quota_limit_kib" | "karte_version" => Expected::Number,
        "leave_on_server" | "deletes_from_server" | "auth" | "login" => Expected::Bool,
        "protocol" if field.starts_with("incoming") || field.starts_with("devices") => {
            Expected::IncomingProtocol
        }
        "protocol" => Expected::Protocol,
        "security" => Expected::Security,
        "at" | "last_changed" => Expected::Date,
        "result" => Expected::Result,
        _ => Expected::Text,
    }
}

fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    rest.split_once('`').map(|(name, _)| name.to_string())
}

/// A key anywhere in the file that would hold a password.
fn password_key(table: &toml::Table) -> Option<String> {
    fn is_password(key: &str) -> bool {
        let k = key.to_lowercase();
        [
            "password",
            "passwd",
            "passwort",
            "pwd",
            "パスワード",
            "暗証",
        ]
        .iter()
        .any(|w| k.contains(w))
            || k == "pass"
            || k == "pw"
    }
    fn walk(v: &toml::Value) -> Option<String> {
        match v {
            toml::Value::Table(t) => walk_table(t),
            toml::Value::Array(a) => a.iter().find_map(walk),
            _ => None,
        }
    }
    fn walk_table(t: &toml::Table) -> Option<String> {
        t.iter().find_map(|(k, v)| {
            if is_password(k) {
                Some(k.clone())
            } else {
                walk(v)
            }
        })
    }
    walk_table(table)
}

type Problem = (Option<(usize, usize)>, ErrorKind);

fn bad(text: &str, table: &str, index: Option<usize>, key: &str, expected: Expected) -> Problem {
    let field = match index {
        Some(i) => format!("{table}[{}].{key}", i + 1),
        None => format!("{table}.{key}"),
    };
    (
        locate::key_in(text, table, index, key),
        ErrorKind::BadValue {
            field,
            expected,
            detail: String::new(),
        },
    )
}

/// Checks what TOML and serde cannot: addresses, empty names, incoming protocols, ports,
/// days, dates, sources.
fn validate(k: &Karte, text: &str) -> Result<(), Problem> {
    if let Err(e) = maildoc_model::input::parse_address(&k.account.address) {
        return Err(bad(
            text,
            "account",
            None,
            "address",
            Expected::Address(e.to_string()),
        ));
    }
    if let Some(t) = &k.account.last_changed
        && !is_time(t)
    {
        return Err(bad(text, "account", None, "last_changed", Expected::Date));
    }
    for (i, s) in k.incoming.iter().enumerate() {
        if s.protocol == Protocol::Smtp {
            return Err(bad(
                text,
                "incoming",
                Some(i),
                "protocol",
                Expected::IncomingProtocol,
            ));
        }
        if s.host.trim().is_empty() {
            return Err(bad(text, "incoming", Some(i), "host", Expected::NonEmpty));
        }
        if s.port == Some(0) {
            return Err(bad(text, "incoming", Some(i), "port", Expected::Port));
        }
        if s.leave_on_server_days == Some(0) {
            return Err(bad(
                text,
                "incoming",
                Some(i),
                "leave_on_server_days",
                Expected::Days,
            ));
        }
    }
    if let Some(o) = &k.outgoing {
        if o.host.trim().is_empty() {
            return Err(bad(text, "outgoing", None, "host", Expected::NonEmpty));
        }
        if o.port == Some(0) {
            return Err(bad(text, "outgoing", None, "port", Expected::Port));
        }
    }
    for (i, d) in k.devices.iter().enumerate() {
        if d.name.trim().is_empty() {
            return Err(bad(text, "devices", Some(i), "name", Expected::NonEmpty));
        }
        if d.protocol == Protocol::Smtp {
            return Err(bad(
                text,
                "devices",
                Some(i),
                "protocol",
                Expected::IncomingProtocol,
            ));
        }
        if d.delete_after_days == Some(0) {
            return Err(bad(
                text,
                "devices",
                Some(i),
                "delete_after_days",
                Expected::Days,
            ));
        }
    }
    for (i, s) in k.sources.iter().enumerate() {
        let given = |v: &Option<String>| v.as_deref().is_some_and(|t| !t.trim().is_empty());
        if given(&s.url) == given(&s.document) {
            let key = if s.url.is_some() { "url" } else { "document" };
            return Err(bad(text, "sources", Some(i), key, Expected::OneSource));
        }
    }
    for (i, h) in k.history.iter().enumerate() {
        if !is_time(&h.at) {
            return Err(bad(text, "history", Some(i), "at", Expected::Date));
        }
    }
    Ok(())
}

/// `YYYY-MM-DD`, a local date and time, or RFC 3339.
pub fn is_time(text: &str) -> bool {
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    let t = text.trim();
    time::OffsetDateTime::parse(t, &Rfc3339).is_ok()
        || time::Date::parse(t, format_description!("[year]-[month]-[day]")).is_ok()
        || time::PrimitiveDateTime::parse(
            t,
            format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        )
        .is_ok()
}

/// The karte as the text maildoc writes: the header, then the TOML.
pub fn to_toml(karte: &Karte) -> String {
    let body = toml::to_string(karte).unwrap_or_default();
    format!("{HEADER}{body}")
}

/// Writes the karte atomically: to a temporary file beside it, flushed to disk, then
/// renamed over the old one (whose permissions it keeps). A crash leaves the old file or
/// the new one, never half of either.
pub fn save(path: &Path, karte: &Karte) -> Result<(), SaveError> {
    write_atomically(path, to_toml(karte).as_bytes())
}

/// How [`write_atomically`] writes to a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteMode {
    /// A new or regular file: a temporary file beside it, renamed over it.
    Replace(PathBuf),
    /// Something that is not a regular file (`/dev/stdout`, a pipe): written in place, never
    /// replaced.
    InPlace(PathBuf),
}

/// Decides how to write `path`: through a symbolic link to the file it names (the link
/// stays), atomically for regular files, in place for devices and pipes; a directory is an
/// error.
pub fn write_mode(path: &Path) -> Result<WriteMode, String> {
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).map_err(|e| e.to_string())?
        }
        _ => path.to_path_buf(),
    };
    match std::fs::metadata(&target) {
        Ok(m) if m.is_dir() => Err("it is a directory".into()),
        Ok(m) if !m.is_file() => Ok(WriteMode::InPlace(target)),
        _ => Ok(WriteMode::Replace(target)),
    }
}

/// Writes `bytes` to `path` atomically (see [`save`] and [`write_mode`]).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SaveError> {
    let fail = |detail: String| SaveError {
        path: path.to_path_buf(),
        detail,
    };
    let path = match write_mode(path).map_err(fail)? {
        WriteMode::InPlace(target) => {
            return std::fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .and_then(|mut f| f.write_all(bytes))
                .map_err(|e| fail(e.to_string()));
        }
        WriteMode::Replace(target) => target,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| fail("not a file name".into()))?
        .to_string_lossy()
        .to_string();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        if let Ok(meta) = std::fs::metadata(&path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, &path)?;
        // The rename itself is durable once the directory is.
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e.to_string())
    })
}

/// The settings the lint reads: every incoming server, then the outgoing one.
pub fn to_account_settings(karte: &Karte) -> AccountSettings {
    let mut servers: Vec<ServerSetting> = karte
        .incoming
        .iter()
        .map(|s| ServerSetting {
            protocol: s.protocol,
            host: s.host.clone(),
            port: s.port,
            security: s.security,
            username: s.username.clone(),
            auth: None,
        })
        .collect();
    if let Some(o) = &karte.outgoing {
        servers.push(ServerSetting {
            protocol: Protocol::Smtp,
            host: o.host.clone(),
            port: o.port,
            security: o.security,
            username: o.username.clone(),
            auth: o.auth,
        });
    }
    AccountSettings {
        address: karte.account.address.clone(),
        username: None,
        servers,
    }
}

/// The history entry of a check: its time, result (the worst finding), codes, whether it
/// logged in, the servers and the IMAP storage quota it read.
pub fn entry_from_report(report: &Report) -> HistoryEntry {
    let worst = report.findings.iter().map(|f| f.severity).min();
    let result = match worst {
        Some(Severity::Error) => CheckResult::Error,
        Some(Severity::Warning) => CheckResult::Warning,
        Some(Severity::Info) | None => CheckResult::Ok,
    };
    let mut codes: Vec<maildoc_model::Code> = report.findings.iter().map(|f| f.code).collect();
    codes.sort();
    codes.dedup();
    let quota = report
        .servers
        .iter()
        .filter(|s| s.endpoint.protocol == Protocol::Imap)
        .flat_map(|s| &s.steps)
        .find_map(|step| match &step.kind {
            StepKind::Quota {
                resource,
                usage,
                limit,
                ..
            } if resource.eq_ignore_ascii_case("STORAGE") && *limit > 0 => Some((*usage, *limit)),
            _ => None,
        });
    HistoryEntry {
        at: whole_seconds(&report.started_at),
        result,
        codes: codes.iter().map(|c| c.as_str().to_string()).collect(),
        login: Some(report.target.login),
        servers: report
            .servers
            .iter()
            .filter(|s| s.depth == maildoc_model::ProbeDepth::Full)
            .map(|s| {
                format!(
                    "{} {}:{}/{}",
                    s.endpoint.protocol.as_str(),
                    s.endpoint.host,
                    s.endpoint.port,
                    s.endpoint.security.as_str()
                )
            })
            .collect(),
        quota_used_kib: quota.map(|q| q.0),
        quota_limit_kib: quota.map(|q| q.1),
        by: Some(format!("maildoc {}", report.maildoc_version)),
        note: None,
    }
}

/// An RFC 3339 time without its fraction of a second (as people read it on paper).
pub fn whole_seconds(text: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    match time::OffsetDateTime::parse(text, &Rfc3339) {
        Ok(t) => t
            .replace_nanosecond(0)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| text.to_string()),
        Err(_) => text.to_string(),
    }
}

/// Appends a check to the history (oldest first).
pub fn append_history(karte: &mut Karte, entry: HistoryEntry) {
    karte.history.push(entry);
}

/// A device from text, `NAME:APP:PROTOCOL[:delete|:keep]` (full-width colons are read too):
/// `delete` or `keep` says whether a POP3 device deletes the mail from the server, and the
/// name may hold colons itself. The text back when it is not a device.
pub fn parse_device(text: &str) -> Result<Device, String> {
    let folded: String = text
        .chars()
        .map(|c| if c == '：' { ':' } else { c })
        .collect();
    let mut parts: Vec<&str> = folded.split(':').collect();
    let deletes = match parts.last().map(|s| s.trim().to_ascii_lowercase()) {
        Some(s) if s == "delete" => {
            parts.pop();
            Some(true)
        }
        Some(s) if s == "keep" => {
            parts.pop();
            Some(false)
        }
        _ => None,
    };
    let protocol = match parts.pop().map(|s| s.trim().to_ascii_lowercase()) {
        Some(p) if p == "imap" => Protocol::Imap,
        Some(p) if p == "pop3" || p == "pop" => Protocol::Pop3,
        _ => return Err(text.to_string()),
    };
    let app = parts.pop().map(|s| s.trim().to_string());
    let name = parts.join(":").trim().to_string();
    if name.is_empty() {
        return Err(text.to_string());
    }
    Ok(Device {
        name,
        app: app.filter(|a| !a.is_empty()),
        protocol,
        deletes_from_server: if protocol == Protocol::Pop3 {
            deletes
        } else {
            None
        },
        delete_after_days: None,
        backup: None,
        notes: None,
    })
}

/// A source from text: a web page when it starts with `http://` or `https://`, else a
/// document.
pub fn parse_source(text: &str) -> Source {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        Source {
            url: Some(t.to_string()),
            ..Source::default()
        }
    } else {
        Source {
            document: Some(t.to_string()),
            ..Source::default()
        }
    }
}

/// Now, in RFC 3339 (UTC, whole seconds), as a karte records when it was last changed.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// What [`redact`] puts where the password was.
pub const REDACTED: &str = "********";

/// Removes `secret` from every text of the karte, in case someone typed the password into a
/// field. Returns the fields it was found in. Secrets shorter than 4 characters are not
/// searched for (they would match ordinary words).
pub fn redact(karte: &mut Karte, secret: &str) -> Vec<String> {
    if secret.chars().count() < 4 {
        return Vec::new();
    }
    let Ok(mut value) = toml::Value::try_from(&*karte) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    scrub(&mut value, secret, String::new(), &mut found);
    if !found.is_empty()
        && let Ok(clean) = value.try_into::<Karte>()
    {
        *karte = clean;
    }
    found
}

fn scrub(v: &mut toml::Value, secret: &str, path: String, found: &mut Vec<String>) {
    match v {
        toml::Value::String(s) if s.contains(secret) => {
            *s = s.replace(secret, REDACTED);
            found.push(path);
        }
        toml::Value::Array(a) => {
            for (i, item) in a.iter_mut().enumerate() {
                scrub(item, secret, format!("{path}[{}]", i + 1), found);
            }
        }
        toml::Value::Table(t) => {
            for (k, item) in t.iter_mut() {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                scrub(item, secret, p, found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
