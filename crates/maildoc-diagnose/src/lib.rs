//! The rules of maildoc: pure functions from evidence to findings.
//!
//! [`diagnose`] reads what the probes recorded in a [`Report`] (`servers`, `target`,
//! `started_at_unix`) and returns [`Finding`]s keyed by stable codes. Rules do no I/O, read no
//! clock (the run's local time is `report.started_at_unix`) and write no human text: they only
//! fill `params`, which the knowledge base puts into its own words.
//!
//! One root cause gives one finding. Each server's steps are read only up to the first step
//! that ended the conversation (a DNS failure, a refused greeting, a failed handshake, a
//! dropped connection, ...), so a server whose host does not resolve gets one
//! DNS finding and nothing else. Companion servers (TCP-only probes of 587/465 beside a port
//! 25 endpoint) never get findings of their own; they only serve as evidence for
//! `port-25-blocked`.
//!
//! Output order: account-wide findings first, then each server in the report's order; within
//! a server, by area (tcp, tls, greeting, auth, mailbox, smtp, in the pipeline order below).
//! A (code, server) pair appears at most once: repeated observations are merged into one
//! finding with all their evidence.
//!
//! The settings lint ([`lint()`], module [`lint`]) judges the settings as typed, before or
//! without any probe; [`lint::merge`] joins its findings with those of [`diagnose`].

use maildoc_model::{Finding, Report};

pub use lint::lint;

mod alternatives;
mod auth;
mod clock;
mod dns;
pub mod domain;
mod fmt;
mod greeting;
mod hosting;
mod input;
pub mod karte;
pub mod lint;
mod mailbox;
pub mod message;
mod smtp;
mod tcp;
mod tls;
mod view;

#[cfg(test)]
mod fixtures;

/// Turns a report's evidence into findings. `report.findings` is ignored.
pub fn diagnose(report: &Report) -> Vec<Finding> {
    let ctx = view::Ctx::new(report);
    let mut findings = Vec::new();
    findings.extend(input::rules(&ctx));
    findings.extend(clock::rules(&ctx));
    findings.extend(dns::rules(&ctx));
    findings.extend(tcp::rules(&ctx));
    findings.extend(tls::rules(&ctx));
    findings.extend(greeting::rules(&ctx));
    findings.extend(auth::rules(&ctx));
    findings.extend(mailbox::rules(&ctx));
    findings.extend(smtp::rules(&ctx));
    findings.extend(alternatives::rules(&ctx));
    ctx.finish(alternatives::explains(
        &ctx,
        tls::client_cert_explains(findings),
    ))
}
