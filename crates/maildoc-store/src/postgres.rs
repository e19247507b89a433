//! The shared backend: a PostgreSQL server, for a support team keeping one history.
//!
//! The connection's password is never sent in the clear to another machine: a server on
//! loopback or a Unix socket is reached as the URL says; any other server only over TLS
//! verified against the public roots, or the `sslrootcert` file's certificates when the URL
//! names one (`sslmode` other than `disable` is made `require`, so
//! a server without TLS is refused rather than silently used in the clear), unless the URL
//! itself says `sslmode=disable`.

use crate::Error;
use crate::backend::{Backend, Dialect, Row, Value};
use postgres::config::{Host, SslMode};
use postgres::types::{ToSql, Type};
use postgres::{Client, Config, NoTls};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

pub struct Postgres {
    client: Client,
    /// An error that did not come from the server (the connection broke, or could not be
    /// read): the connection is not used again.
    broken: bool,
}

impl Postgres {
    pub fn open(url: &str) -> Result<Postgres, Error> {
        let shown = crate::Location::Postgres(url.to_owned()).to_string();
        let fail = |detail: String| Error::Open {
            location: shown.clone(),
            detail,
        };
        let (url, root_file) = take_root_cert(url);
        let roots = match root_file {
            Some(path) => Some(read_roots(&path).map_err(|e| fail(format!("sslrootcert: {e}")))?),
            None => None,
        };
        let mut config: Config = url
            .parse()
            .map_err(|e: postgres::Error| fail(e.to_string()))?;
        // Every step bounded: the connection, a dead peer (keepalives, the TCP user timeout)
        // and each statement (the server's own timeout).
        config
            .connect_timeout(Duration::from_secs(10))
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            .tcp_user_timeout(Duration::from_secs(30))
            .options("-c statement_timeout=30000")
            .application_name("maildoc");
        let client = match (remote(&config), config.get_ssl_mode()) {
            (false, SslMode::Disable | SslMode::Prefer) | (true, SslMode::Disable) => {
                config.connect(NoTls)
            }
            _ => {
                config.ssl_mode(SslMode::Require);
                config.connect(tls(roots).map_err(fail)?)
            }
        }
        .map_err(|e| fail(connect_detail(&e)))?;
        Ok(Postgres {
            client,
            broken: false,
        })
    }
}

/// `sslrootcert=PATH`, as libpq names it, taken out of a URL (the client library does not
/// know it): the URL without it, and the path.
pub(crate) fn take_root_cert(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut path = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.split_once('=') {
            Some(("sslrootcert", value)) => {
                path = Some(percent_decode(value));
                false
            }
            _ => true,
        })
        .collect();
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, path)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The certificates of a PEM file, trusted instead of the public roots.
fn read_roots(path: &str) -> Result<rustls::RootCertStore, String> {
    let pem = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut &pem[..]) {
        let cert = cert.map_err(|e| format!("{path}: {e}"))?;
        roots.add(cert).map_err(|e| format!("{path}: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("{path}: no certificate in it"));
    }
    Ok(roots)
}

/// The TLS connector: the public roots (or the `sslrootcert` file's), ring, TLS 1.2 and 1.3.
fn tls(
    roots: Option<rustls::RootCertStore>,
) -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    let roots = roots.unwrap_or_else(|| {
        rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned())
    });
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// Whether the client would connect to another machine: a host name or address (or a
/// `hostaddr`, which wins over the name) that is not loopback.
fn remote(config: &Config) -> bool {
    config
        .get_hosts()
        .iter()
        .any(|h| matches!(h, Host::Tcp(name) if !is_loopback(name)))
        || config.get_hostaddrs().iter().any(|ip| !ip.is_loopback())
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A connection failure in words, with its causes (the TLS library's reason for a refused
/// certificate), without the URL (which holds the password).
fn connect_detail(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_owned();
    }
    let mut words = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        words.push_str(": ");
        words.push_str(&c.to_string());
        cause = c.source();
    }
    words
}

impl Backend for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, Error> {
        let owned = bind(params);
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|p| p.as_ref()).collect();
        let done = self.client.execute(sql, &refs);
        done.map_err(|e| self.failed(e))
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error> {
        let owned = bind(params);
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|p| p.as_ref()).collect();
        let rows = self.client.query(sql, &refs);
        let rows = rows.map_err(|e| self.failed(e))?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| read(row, i))
                    .collect::<Result<Row, Error>>()
            })
            .collect()
    }

    fn begin(&mut self) -> Result<(), Error> {
        self.batch("BEGIN")
    }

    fn commit(&mut self) -> Result<(), Error> {
        self.batch("COMMIT")
    }

    fn rollback(&mut self) -> Result<(), Error> {
        self.batch("ROLLBACK")
    }

    fn batch(&mut self, sql: &str) -> Result<(), Error> {
        let done = self.client.batch_execute(sql);
        done.map_err(|e| self.failed(e))
    }

    fn is_closed(&self) -> bool {
        self.broken || self.client.is_closed()
    }
}

impl Postgres {
    /// An error in the store's words. One the server did not send, or one that ends the
    /// session (FATAL or PANIC, an administrator's shutdown or a connection exception:
    /// SQLSTATE classes 57 and 08, as when the server terminates the backend), marks the
    /// connection broken, so the store opens a new one before its next request.
    fn failed(&mut self, e: postgres::Error) -> Error {
        let ends_session = e.as_db_error().is_none_or(|d| {
            let class = d.code().code().get(..2).unwrap_or_default();
            matches!(d.severity(), "FATAL" | "PANIC") || class == "57" || class == "08"
        });
        if ends_session {
            self.broken = true;
        }
        error(e)
    }
}

fn bind(params: &[Value]) -> Vec<Box<dyn ToSql + Sync>> {
    params
        .iter()
        .map(|v| -> Box<dyn ToSql + Sync> {
            match v {
                Value::Int(i) => Box::new(*i),
                Value::Text(s) => Box::new(s.clone()),
                Value::Null => Box::new(None::<i64>),
            }
        })
        .collect()
}

fn read(row: &postgres::Row, i: usize) -> Result<Value, Error> {
    let ty = row.columns()[i].type_();
    let value = if *ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i).map(Value::from)
    } else if *ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(i)
            .map(|v| Value::from(v.map(i64::from)))
    } else if *ty == Type::TEXT || *ty == Type::VARCHAR || *ty == Type::NAME {
        row.try_get::<_, Option<String>>(i)
            .map(|v| v.map_or(Value::Null, Value::Text))
    } else if *ty == Type::BOOL {
        row.try_get::<_, Option<bool>>(i)
            .map(|v| Value::from(v.map(i64::from)))
    } else {
        // pg_advisory_xact_lock's void and the like: nothing to read.
        return Ok(Value::Null);
    };
    value.map_err(error)
}

/// A full disk is its own error; the location is filled in above.
fn error(e: postgres::Error) -> Error {
    match e.code() {
        Some(code) if *code == postgres::error::SqlState::DISK_FULL => Error::Full {
            location: String::new(),
        },
        _ => Error::Database {
            detail: match e.as_db_error() {
                Some(db) => db.message().to_owned(),
                None => e.to_string(),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_machine_is_one_named_or_addressed_off_loopback() {
        let remote = |url: &str| remote(&url.parse::<Config>().unwrap());
        assert!(!remote("postgres://u@127.0.0.1/db"));
        assert!(!remote("postgres://u@localhost/db"));
        assert!(!remote("postgres://u@[::1]/db"));
        assert!(!remote("postgres:///db?host=/run/postgresql"));
        assert!(remote("postgres://u@db.example/db"));
        assert!(remote("postgres://u@localhost/db?hostaddr=203.0.113.5"));
        assert!(remote("postgres:///db?hostaddr=203.0.113.5"));
        // A name with a loopback hostaddr is checked by its name: TLS.
        assert!(remote("postgres://u@pg.lab.example/db?hostaddr=127.0.2.44"));
    }

    #[test]
    fn sslrootcert_is_taken_out_of_the_url() {
        assert_eq!(
            take_root_cert("postgres://u@h/db?sslmode=require&sslrootcert=%2Ftmp%2Fca.pem&x=1"),
            (
                "postgres://u@h/db?sslmode=require&x=1".to_owned(),
                Some("/tmp/ca.pem".to_owned())
            )
        );
        assert_eq!(
            take_root_cert("postgres://u@h/db?sslrootcert=/ca.pem"),
            ("postgres://u@h/db".to_owned(), Some("/ca.pem".to_owned()))
        );
        assert_eq!(
            take_root_cert("postgres://u@h/db"),
            ("postgres://u@h/db".to_owned(), None)
        );
    }
}
