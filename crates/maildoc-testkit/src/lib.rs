//! Test-only kit: the lab of real servers started by `lab/lab.sh`, hostile in-process
//! servers for misbehaviour real servers will not produce, a delaying TCP proxy, the edits
//! property tests make to real inputs, and scratch directories.
//! Everything here listens on and connects to loopback only.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

pub mod golden;
pub mod hostile;
pub mod http;
pub mod lab;
pub mod mutate;
pub mod proxy;
pub mod reports;
pub mod scratch;
pub mod webdriver;
