//! The shared vocabulary of maildoc.
//!
//! Probes produce [`evidence`], rules turn evidence into [`finding`]s keyed by a stable
//! [`Code`], and renderers turn a [`report::Report`] into words. Nothing here does I/O.

pub mod code;
pub mod domain;
pub mod endpoint;
pub mod evidence;
pub mod finding;
pub mod input;
pub mod karte;
pub mod message;
pub mod provider;
pub mod report;
pub mod settings;
pub mod status;

pub use code::{Area, Code, SERVER_PARAMS, Scope, Severity};
pub use endpoint::{Endpoint, Origin, Protocol, Role, Security};
pub use evidence::*;
pub use finding::Finding;
pub use report::{Report, ServerStatus, SettingsSource, TargetInfo};
