//! Test-only kit: the lab of real servers started by `lab/lab.sh`, hostile in-process
//! servers for misbehaviour real servers will not produce, and a delaying TCP proxy.
//! Everything here listens on and connects to loopback only.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

pub mod golden;
pub mod hostile;
pub mod lab;
pub mod proxy;
