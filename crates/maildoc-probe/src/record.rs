//! The evidence of one server while it is recorded: each step goes into the evidence and,
//! when somebody watches the run, out to them at once, with the password redacted.

use maildoc_model::{ServerEvidence, Step, StepKind};
use maildoc_wire::secret::Redactor;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// Where the steps of a run go as they are recorded: the server's id and the step.
pub type StepSink = tokio::sync::mpsc::UnboundedSender<(String, Step)>;

/// One server's evidence being recorded. Reads as the evidence itself; [`Record::push`]
/// also tells the watcher.
#[derive(Debug)]
pub struct Record {
    ev: ServerEvidence,
    watch: Option<(StepSink, Arc<Redactor>)>,
}

impl Record {
    pub(crate) fn new(ev: ServerEvidence, watch: Option<(StepSink, Arc<Redactor>)>) -> Record {
        Record { ev, watch }
    }

    /// Appends a step, tells the watcher, and returns the step's id.
    pub fn push(&mut self, at_ms: u64, elapsed_ms: u64, kind: StepKind) -> String {
        let id = self.ev.push(at_ms, elapsed_ms, kind);
        if let (Some((sink, redactor)), Some(step)) = (&self.watch, self.ev.steps.last()) {
            // A watcher that has gone away only stops hearing: the probe goes on.
            let _ = sink.send((self.ev.id.clone(), redacted(step.clone(), redactor)));
        }
        id
    }

    pub(crate) fn into_evidence(self) -> ServerEvidence {
        self.ev
    }
}

impl Deref for Record {
    type Target = ServerEvidence;

    fn deref(&self) -> &ServerEvidence {
        &self.ev
    }
}

impl DerefMut for Record {
    fn deref_mut(&mut self) -> &mut ServerEvidence {
        &mut self.ev
    }
}

/// `value` with the password replaced in every text field. Lines from the server were
/// redacted as they were read; this also reaches what a server can say outside them (a
/// plaintext answer where TLS was expected, the names in a certificate), since a server
/// that saw the password on one connection can send it back on the next.
pub(crate) fn redacted<T: Serialize + DeserializeOwned>(value: T, redactor: &Redactor) -> T {
    if redactor.is_empty() {
        return value;
    }
    let Ok(mut json) = serde_json::to_value(&value) else {
        return value;
    };
    if !redact_strings(&mut json, redactor) {
        return value;
    }
    serde_json::from_value(json).unwrap_or(value)
}

/// Redacts every string in `value`; whether any changed.
fn redact_strings(value: &mut serde_json::Value, redactor: &Redactor) -> bool {
    match value {
        serde_json::Value::String(s) => match redactor.redact(s) {
            std::borrow::Cow::Owned(clean) => {
                *s = clean;
                true
            }
            std::borrow::Cow::Borrowed(_) => false,
        },
        serde_json::Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, v| redact_strings(v, redactor) | changed),
        serde_json::Value::Object(map) => map
            .values_mut()
            .fold(false, |changed, v| redact_strings(v, redactor) | changed),
        _ => false,
    }
}
