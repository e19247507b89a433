//! `maildoc message` as a library call: a received message (an .eml, an mbox, or a pasted
//! header block) read as evidence by `maildoc_message`, the headers the receiver's own provider
//! wrote told from the rest, and the rules applied. Nothing here touches the network.

use maildoc_model::message::MessageReport;

/// The largest message read, in bytes: a door refuses more before reading it all.
pub const MAX_INPUT: usize = 64 << 20;

/// The message's report: its hops, what its receivers reported, spam verdicts, encodings,
/// and the findings, most severe first.
pub fn analyze(input: &[u8]) -> MessageReport {
    let mut report = maildoc_message::read(input);
    maildoc_diagnose::message::trust(&mut report);
    let mut findings = maildoc_diagnose::message::diagnose(&report);
    findings.sort_by_key(|f| f.severity);
    report.findings = findings;
    report
}
