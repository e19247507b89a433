//! What every job of a run shares: one resolver (its sockets and its query-rate cap), the
//! trust anchors of every TLS connection, and the wall clock the evidence is dated by.

use crate::Error;
use maildoc_probe::dns::Dns;
use maildoc_probe::tls::Trust;
use std::net::SocketAddr;
use time::OffsetDateTime;

/// The computer's time, or a fixed one (for evidence that must come out the same on every
/// run: a certificate judged on a given day, a report compared with a saved one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    #[default]
    System,
    /// Always this time (Unix seconds).
    Fixed(i64),
}

impl Clock {
    pub fn now(self) -> OffsetDateTime {
        match self {
            Clock::System => OffsetDateTime::now_utc(),
            Clock::Fixed(unix) => {
                OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
            }
        }
    }
}

/// The shared part of every job: build it once per process (or per door) and hand it to
/// each call.
#[derive(Clone, Debug)]
pub struct Env {
    pub(crate) dns: Dns,
    pub(crate) trust: Trust,
    pub(crate) clock: Clock,
}

impl Env {
    /// The system's DNS servers, or `dns_server`; the public roots, and the PEM
    /// certificates of `ca_pem` besides them; the computer's clock. An error when `ca_pem`
    /// holds no usable certificate.
    pub fn new(dns_server: Option<SocketAddr>, ca_pem: Option<&[u8]>) -> Result<Env, Error> {
        Ok(Env {
            dns: Dns::new(dns_server),
            trust: Trust::new(ca_pem).map_err(Error::CaFile)?,
            clock: Clock::System,
        })
    }

    /// The same, sending at most `per_second` DNS queries a second in all (0: no cap).
    pub fn with_rate_cap(self, per_second: u32) -> Env {
        Env {
            dns: self.dns.with_rate_cap(per_second),
            ..self
        }
    }

    /// The same, dating the evidence by `clock`.
    pub fn with_clock(self, clock: Clock) -> Env {
        Env { clock, ..self }
    }

    /// The same servers, trust anchors, clock and rate cap, with sockets of its own: for a
    /// thread (and an async runtime) of its own.
    pub fn with_own_sockets(&self) -> Env {
        Env {
            dns: self.dns.with_own_sockets(),
            ..self.clone()
        }
    }

    /// The clock that dates the evidence.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// The DNS server given instead of the system's.
    pub fn dns_server(&self) -> Option<SocketAddr> {
        self.dns.server()
    }
}
