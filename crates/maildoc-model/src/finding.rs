//! A finding: what the rules concluded, with a stable code and links to the evidence.

use crate::{Code, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// The server id this finding concerns (`imap`, `smtp`, ...); none for account-wide findings.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub server: Option<String>,
    /// Ids of the steps that show it.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Values the knowledge base text fills in (`{host}`, `{days}`, ...).
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

impl Finding {
    pub fn new(code: Code) -> Self {
        Finding {
            code,
            severity: code.default_severity(),
            server: None,
            evidence: Vec::new(),
            params: BTreeMap::new(),
        }
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn server(mut self, id: impl Into<String>) -> Self {
        self.server = Some(id.into());
        self
    }

    pub fn evidence(mut self, id: impl Into<String>) -> Self {
        let id = id.into();
        if !self.evidence.contains(&id) {
            self.evidence.push(id);
        }
        self
    }

    /// Sets the param `key`, which the code's registry row must declare (checked in debug
    /// builds, so that every test run catches a param no text can use).
    pub fn param(mut self, key: &str, value: impl ToString) -> Self {
        debug_assert!(
            self.code.declares(key),
            "{}: the param `{key}` is not declared in the code registry",
            self.code
        );
        self.params.insert(key.to_string(), value.to_string());
        self
    }
}
