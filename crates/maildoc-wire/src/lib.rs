//! The sans-I/O protocol grammar of maildoc: bytes in, events out.
//!
//! Nothing here opens a socket, reads a clock or logs. Every parser is bounded and never
//! panics, whatever a (possibly hostile) server sends:
//!
//! * [`line`](mod@line): CRLF framing with a line-length bound, and transcript-safe rendering;
//! * [`sniff`](mod@sniff): which protocol a peer speaks, and what its greeting means;
//! * [`smtp`], [`pop3`], [`imap`]: replies, capabilities and commands;
//! * [`secret`]: commands carrying credentials, redacted for transcripts;
//! * [`date`]: a date-time inside a greeting, for clock checks.

pub mod compose;
pub mod date;
pub mod imap;
pub mod line;
pub mod pop3;
pub mod secret;
pub mod smtp;
pub mod sniff;

pub use line::{LineBuffer, LineError, printable};
pub use secret::Secret;
pub use sniff::{classify_greeting, sniff};
