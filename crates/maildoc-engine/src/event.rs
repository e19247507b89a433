//! What a job tells a progress display while it runs: typed events, owned and serializable,
//! so that a door can draw them on a terminal or forward them to a web page as they come.

use crate::discover::{CandidateStatus, SourceKind, SourceOutcome};
use maildoc_model::{Endpoint, ServerEvidence, ServerStatus, Step};
use serde::Serialize;

/// One thing that happened during a job, in the order it happened.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// The tables do not know the settings of `domain`: discovery asks the network.
    Discovering { domain: String },
    /// Discovery has heard from one of its sources (an autoconfig file, an SRV record, the
    /// MX records), as the report will hold it.
    DiscoverySource {
        kind: SourceKind,
        target: String,
        outcome: SourceOutcome,
        elapsed_ms: u64,
    },
    /// Discovery has tried one guessed server.
    DiscoveryGuess {
        endpoint: Endpoint,
        status: CandidateStatus,
    },
    /// The servers about to be checked, in the report's order.
    Planned { servers: Vec<PlannedServer> },
    /// The other standard ports of a server that failed (its id `of`), about to be tried too.
    Alternatives {
        of: String,
        servers: Vec<PlannedServer>,
    },
    /// One server has done one step (the step as the report will hold it).
    Step { server: String, step: Step },
    /// One server is done: its whole evidence, and its dot judged on its own (the report's
    /// dot, over every server, may differ where a rule compares servers).
    ServerDone {
        evidence: Box<ServerEvidence>,
        status: ServerStatus,
    },
    /// One part of a domain check is done.
    DomainPart {
        domain: String,
        part: DomainPart,
        elapsed_ms: u64,
    },
}

/// A server as planned: the id its steps and evidence carry, and where it is.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedServer {
    pub id: String,
    pub endpoint: Endpoint,
}

/// The parts of a domain check, each looked up at once with the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DomainPart {
    /// MX records, the hosts' addresses, reverse DNS, TLSA and DNSSEC.
    Mx,
    Spf,
    Dmarc,
    Dkim,
    MtaSts,
    TlsRpt,
    /// NS, DNSKEY, the DNSSEC chain and BIMI.
    Zone,
    /// The reverse DNS of the sending address.
    SendingIp,
    /// The DNS blocklists.
    Dnsbl,
    /// Port 25 of each MX host.
    Smtp,
}
