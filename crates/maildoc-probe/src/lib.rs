//! The probes of maildoc: the only crate that opens sockets. Every probe records what
//! happened as evidence; a remote failure is never a Rust error.

pub mod bimi;
pub mod cert;
pub mod clock;
pub mod conn;
pub mod context;
pub mod dns;
pub mod http;
pub mod imap;
pub mod pop3;
pub mod record;
pub mod server;
pub mod session;
pub mod smtp;
pub mod spf_dns;
pub mod tcp;
pub mod tls;
