//! Sender authentication for `maildoc domain`: SPF (RFC 7208), with a parser that says where a
//! record is broken and an evaluator that records how it reached its verdict.
//!
//! No sockets here: DNS comes through the [`spf::SpfDns`] trait, which `maildoc-probe`
//! implements with a real resolver and the tests implement with in-memory zones.

pub mod spf;
