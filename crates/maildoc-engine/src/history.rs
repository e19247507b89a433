//! History: every run's report kept in the store, and what changed between two runs (the
//! findings that appeared or were resolved, and the facts that changed).
//!
//! The store ([`maildoc_store`]) keeps text; this module knows the reports: which subject a
//! run is of, its findings, its facts, and the digest that tells a run with nothing new
//! (stored as a small row pointing at the previous report) from one that changed.

mod facts;

pub use facts::{Fact, FactName, facts};
pub use maildoc_store::{
    Alert, Day, Error as StoreError, Kind, Location, NewRun, Origin, Pruned, Retention, Run,
    RunFilter, Store, Subject, Watch,
};

use crate::{Clock, Discovery};
use maildoc_model::domain::DomainReport;
use maildoc_model::message::{MessageReport, RoundtripReport};
use maildoc_model::{Code, Finding, Report, Severity};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A finding's identity between runs: its code, server, and the values that say what it
/// is of.
type FindingKey = (Code, Option<String>, Vec<(String, String)>);

/// The values of a finding that say what it is of (not how it stands: days left, details).
const IDENTITY_PARAMS: &[&str] = &["mx_host", "zone", "selector", "domain", "target"];

/// The version of [`Diff`]'s JSON shape.
pub const DIFF_VERSION: u32 = 1;

/// A report to keep, or one read back from the store.
#[derive(Clone, Debug, PartialEq)]
pub enum Snapshot {
    Check(Box<Report>),
    Discover(Box<Discovery>),
    Domain(Box<DomainReport>),
    Message(Box<MessageReport>),
    Roundtrip(Box<RoundtripReport>),
}

impl Snapshot {
    pub fn kind(&self) -> Kind {
        match self {
            Snapshot::Check(_) => Kind::Check,
            Snapshot::Discover(_) => Kind::Discover,
            Snapshot::Domain(_) => Kind::Domain,
            Snapshot::Message(_) => Kind::Message,
            Snapshot::Roundtrip(_) => Kind::Roundtrip,
        }
    }

    /// The address or domain the run was of, lower case (the domain is in A-labels already):
    /// for a message, its sender (the From address, else its domain, else the envelope
    /// sender); for a round trip, the account that sent.
    pub fn subject(&self) -> String {
        match self {
            Snapshot::Check(r) => r.target.address.to_lowercase(),
            Snapshot::Discover(d) => d.address.to_lowercase(),
            Snapshot::Domain(r) => r.domain.to_lowercase(),
            Snapshot::Message(r) => message_sender(r),
            Snapshot::Roundtrip(r) => r.from.to_lowercase(),
        }
    }

    /// The reports a triage gathered: its account check and its sender's domain check.
    pub fn of_triage(outcome: &crate::triage::Outcome) -> Vec<Snapshot> {
        let check = outcome.report.clone().map(|r| Snapshot::Check(Box::new(r)));
        let domain = outcome
            .domain_report
            .clone()
            .map(|r| Snapshot::Domain(Box::new(r)));
        check.into_iter().chain(domain).collect()
    }

    pub fn findings(&self) -> &[Finding] {
        match self {
            Snapshot::Check(r) => &r.findings,
            Snapshot::Discover(_) => &[],
            Snapshot::Domain(r) => &r.findings,
            Snapshot::Message(r) => &r.findings,
            Snapshot::Roundtrip(r) => &r.findings,
        }
    }

    /// The most serious finding's severity.
    pub fn worst(&self) -> Option<Severity> {
        self.findings().iter().map(|f| f.severity).min()
    }

    /// The report's own JSON.
    pub fn json(&self) -> String {
        let json = match self {
            Snapshot::Check(r) => serde_json::to_string(r),
            Snapshot::Discover(d) => serde_json::to_string(d),
            Snapshot::Domain(r) => serde_json::to_string(r),
            Snapshot::Message(r) => serde_json::to_string(r),
            Snapshot::Roundtrip(r) => serde_json::to_string(r),
        };
        json.unwrap_or_default()
    }

    /// Reads a stored report of `kind`.
    pub fn parse(kind: Kind, json: &str) -> Result<Snapshot, String> {
        let parsed = match kind {
            Kind::Check => serde_json::from_str(json).map(|r| Snapshot::Check(Box::new(r))),
            Kind::Discover => serde_json::from_str(json).map(|d| Snapshot::Discover(Box::new(d))),
            Kind::Domain => serde_json::from_str(json).map(|r| Snapshot::Domain(Box::new(r))),
            Kind::Message => serde_json::from_str(json).map(|r| Snapshot::Message(Box::new(r))),
            Kind::Roundtrip => serde_json::from_str(json).map(|r| Snapshot::Roundtrip(Box::new(r))),
        };
        parsed.map_err(|e| e.to_string())
    }

    /// When the run started (Unix milliseconds); a discovery and a message, which record no
    /// time, are dated by the clock.
    fn at_ms(&self, clock: Clock) -> i64 {
        match self {
            Snapshot::Check(r) => r.started_at_unix.saturating_mul(1000),
            Snapshot::Domain(r) => i64::try_from(r.started_at_unix)
                .unwrap_or(i64::MAX / 1000)
                .saturating_mul(1000),
            Snapshot::Roundtrip(r) => r.sent.started_at_unix.saturating_mul(1000),
            Snapshot::Discover(_) | Snapshot::Message(_) => now_ms(clock),
        }
    }

    fn elapsed_ms(&self) -> i64 {
        let ms = match self {
            Snapshot::Check(r) => r.elapsed_ms,
            Snapshot::Discover(d) => d.elapsed_ms,
            Snapshot::Roundtrip(r) => r.waited_at_most_s.saturating_mul(1000),
            Snapshot::Domain(_) | Snapshot::Message(_) => 0,
        };
        i64::try_from(ms).unwrap_or(i64::MAX)
    }

    /// The findings as compared between runs: by code, server and what the finding is of
    /// (the MX host, blocklist, DKIM selector, ... in its values), so that a second listing
    /// is a finding of its own.
    fn finding_keys(&self) -> BTreeMap<FindingKey, &Finding> {
        self.findings()
            .iter()
            .map(|f| {
                let of: Vec<(String, String)> = IDENTITY_PARAMS
                    .iter()
                    .filter_map(|k| f.params.get(*k).map(|v| ((*k).to_owned(), v.clone())))
                    .collect();
                ((f.code, f.server.clone(), of), f)
            })
            .collect()
    }

    /// A digest of the findings and facts: equal for two runs that found the same. The
    /// banner is left out: large providers name the backend or a session in it on every
    /// connection (a diff still shows it when something else changed).
    fn state(&self) -> String {
        let keys: Vec<_> = self
            .finding_keys()
            .into_iter()
            .map(|(key, f)| (key, f.severity))
            .collect();
        let facts: Vec<Fact> = facts(self)
            .into_iter()
            .filter(|f| f.name != FactName::Banner)
            .collect();
        // Each message is a run of its own, never "the same as before" another message.
        let identity = match self {
            Snapshot::Message(r) => r.summary.message_id.clone(),
            Snapshot::Roundtrip(r) => Some(r.message_id.clone()),
            _ => None,
        };
        let text = match identity {
            Some(id) => serde_json::to_string(&(keys, facts, id)),
            None => serde_json::to_string(&(keys, facts)),
        }
        .unwrap_or_default();
        let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
        digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The run to save.
    pub fn to_run(&self, clock: Clock, origin: Origin) -> maildoc_store::NewRun {
        let codes: BTreeSet<String> = self
            .findings()
            .iter()
            .map(|f| f.code.as_str().to_owned())
            .collect();
        maildoc_store::NewRun {
            kind: self.kind(),
            subject: self.subject(),
            at_ms: self.at_ms(clock),
            elapsed_ms: self.elapsed_ms(),
            origin,
            worst: self.worst(),
            codes: codes.into_iter().collect(),
            state: self.state(),
            report: self.json(),
        }
    }
}

/// Whom a message is from, as its history subject: the From address, else its domain, else
/// the envelope sender, lower case; `-` for a message that names none.
fn message_sender(report: &MessageReport) -> String {
    let s = &report.summary;
    let from = s.from.as_deref().and_then(|f| {
        let inner = f.rsplit_once('<').map_or(f, |(_, rest)| rest);
        let address = inner.trim().trim_end_matches('>').trim();
        address.contains('@').then_some(address)
    });
    from.or(s.from_domain.as_deref())
        .or(s.return_path.as_deref().filter(|r| !r.is_empty()))
        .unwrap_or("-")
        .to_lowercase()
}

/// A finding as compared between two runs (with the values its words fill in).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRef {
    pub code: Code,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

/// A fact both runs saw, with different values (an empty value: none, e.g. no record).
/// A fact only one run saw (a lookup that failed, a server that did not answer) is not a
/// change: the findings tell that.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub fact: FactName,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    pub before: String,
    pub after: String,
}

/// What changed from one report to another.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    pub appeared: Vec<FindingRef>,
    pub resolved: Vec<FindingRef>,
    pub changed: Vec<Change>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.appeared.is_empty() && self.resolved.is_empty() && self.changed.is_empty()
    }
}

/// Compares two reports of one subject.
pub fn compare(before: &Snapshot, after: &Snapshot) -> Changes {
    let (b, a) = (before.finding_keys(), after.finding_keys());
    let refs = |from: &BTreeMap<FindingKey, &Finding>, other: &BTreeMap<FindingKey, &Finding>| {
        let mut v: Vec<FindingRef> = from
            .iter()
            .filter(|(k, _)| !other.contains_key(*k))
            .map(|(_, f)| FindingRef {
                code: f.code,
                severity: f.severity,
                server: f.server.clone(),
                params: f.params.clone(),
            })
            .collect();
        v.sort_by(|x, y| (x.severity, x.code, &x.server).cmp(&(y.severity, y.code, &y.server)));
        v
    };
    let keyed = |s: &Snapshot| -> BTreeMap<(FactName, String), String> {
        facts(s)
            .into_iter()
            .map(|f| ((f.name, f.scope), f.value))
            .collect()
    };
    let (fb, fa) = (keyed(before), keyed(after));
    let changed = fb
        .iter()
        .filter_map(|(key, old)| {
            let new = fa.get(key)?;
            (old != new).then(|| Change {
                fact: key.0,
                scope: key.1.clone(),
                before: old.clone(),
                after: new.clone(),
            })
        })
        .collect();
    Changes {
        appeared: refs(&a, &b),
        resolved: refs(&b, &a),
        changed,
    }
}

/// A run as a diff names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRef {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub at_ms: i64,
    pub worst: Option<Severity>,
    pub codes: Vec<String>,
}

impl From<&Run> for RunRef {
    fn from(run: &Run) -> RunRef {
        RunRef {
            id: run.id,
            at: rfc3339(run.at_ms),
            at_ms: run.at_ms,
            worst: run.worst,
            codes: run.codes.clone(),
        }
    }
}

/// Unix milliseconds as RFC 3339 (UTC, seconds).
pub fn rfc3339(at_ms: i64) -> String {
    maildoc_probe::cert::rfc3339(at_ms.div_euclid(1000))
}

/// `maildoc history --diff`: what changed between two runs of one subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diff {
    pub version: u32,
    pub kind: String,
    pub subject: String,
    pub from: RunRef,
    pub to: RunRef,
    #[serde(flatten)]
    pub changes: Changes,
}

/// Why a diff (or a report) could not be given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryError {
    Store(StoreError),
    /// No runs of this subject.
    NoRuns {
        subject: String,
    },
    /// Only one run: nothing to compare with.
    OneRun {
        subject: String,
    },
    /// No run with this id (of this subject).
    NoSuchRun {
        id: i64,
    },
    /// Two runs of different subjects or kinds.
    Unrelated {
        from: i64,
        to: i64,
    },
    /// A stored report this maildoc cannot read.
    Unreadable {
        id: i64,
        detail: String,
    },
}

impl From<StoreError> for HistoryError {
    fn from(e: StoreError) -> HistoryError {
        HistoryError::Store(e)
    }
}

impl std::fmt::Display for HistoryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HistoryError::Store(e) => e.fmt(f),
            HistoryError::NoRuns { subject } => write!(f, "no runs of {subject} in the history"),
            HistoryError::OneRun { subject } => {
                write!(f, "only one run of {subject}: nothing to compare with")
            }
            HistoryError::NoSuchRun { id } => write!(f, "no run {id} in the history"),
            HistoryError::Unrelated { from, to } => {
                write!(f, "runs {from} and {to} are not of the same subject")
            }
            HistoryError::Unreadable { id, detail } => {
                write!(f, "the report of run {id} cannot be read: {detail}")
            }
        }
    }
}

impl std::error::Error for HistoryError {}

/// The history a door keeps: the store and how long full runs stay.
#[derive(Clone, Debug)]
pub struct History {
    store: Store,
    retention: Retention,
}

impl History {
    /// Opens the store at `location` (migrating it when needed).
    pub async fn open(location: &Location, retention: Retention) -> Result<History, StoreError> {
        Ok(History {
            store: Store::open(location).await?,
            retention,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Saves a run.
    pub async fn keep(
        &self,
        clock: Clock,
        snapshot: &Snapshot,
        origin: Origin,
    ) -> Result<Run, StoreError> {
        self.store.save(snapshot.to_run(clock, origin)).await
    }

    /// Saves runs made with [`Snapshot::to_run`] in one transaction (a bulk run's batch).
    pub async fn keep_all(&self, runs: Vec<NewRun>) -> Result<Vec<Run>, StoreError> {
        self.store.save_all(runs).await
    }

    /// Folds the runs older than the retention into days (a door does this once per
    /// process or per watch round, not per run).
    pub async fn prune(&self, clock: Clock) -> Result<Pruned, StoreError> {
        self.store.prune(now_ms(clock), self.retention).await
    }

    /// Runs, newest first.
    pub async fn runs(&self, filter: RunFilter) -> Result<Vec<Run>, StoreError> {
        self.store.runs(filter).await
    }

    /// A run and its report.
    pub async fn snapshot(&self, id: i64) -> Result<(Run, Snapshot), HistoryError> {
        let run = self
            .store
            .run(id)
            .await?
            .ok_or(HistoryError::NoSuchRun { id })?;
        let json = self
            .store
            .report(id)
            .await?
            .ok_or(HistoryError::NoSuchRun { id })?;
        let snapshot = Snapshot::parse(run.kind, &json)
            .map_err(|detail| HistoryError::Unreadable { id, detail })?;
        Ok((run, snapshot))
    }

    /// What changed between two runs of `subject`: `from` and `to` when given (in either
    /// order; the older is `from`), else the subject's last two runs of the kind of its last
    /// run.
    pub async fn diff(
        &self,
        subject: &str,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Diff, HistoryError> {
        let (a, b) = match (from, to) {
            (Some(a), Some(b)) => (a, b),
            (one, None) | (None, one) => {
                let latest = self
                    .store
                    .runs(RunFilter {
                        subject: Some(subject.to_owned()),
                        limit: 1,
                        ..RunFilter::default()
                    })
                    .await?;
                let Some(last) = latest.first() else {
                    return Err(HistoryError::NoRuns {
                        subject: subject.to_owned(),
                    });
                };
                match one {
                    Some(a) => (a, last.id),
                    None => {
                        let two = self
                            .store
                            .runs(RunFilter {
                                kind: Some(last.kind),
                                subject: Some(subject.to_owned()),
                                limit: 2,
                                ..RunFilter::default()
                            })
                            .await?;
                        match two.as_slice() {
                            [newer, older] => (older.id, newer.id),
                            _ => {
                                return Err(HistoryError::OneRun {
                                    subject: subject.to_owned(),
                                });
                            }
                        }
                    }
                }
            }
        };
        let (ra, sa) = self.snapshot(a).await?;
        let (rb, sb) = self.snapshot(b).await?;
        if ra.kind != rb.kind || ra.subject != rb.subject || ra.subject != subject {
            return Err(HistoryError::Unrelated { from: a, to: b });
        }
        let ((from, before), (to, after)) = if (ra.at_ms, ra.id) <= (rb.at_ms, rb.id) {
            ((ra, sa), (rb, sb))
        } else {
            ((rb, sb), (ra, sa))
        };
        let changes = if from.report_id == to.report_id {
            Changes::default()
        } else {
            compare(&before, &after)
        };
        Ok(Diff {
            version: DIFF_VERSION,
            kind: from.kind.as_str().to_owned(),
            subject: from.subject.clone(),
            from: RunRef::from(&from),
            to: RunRef::from(&to),
            changes,
        })
    }
}

/// One run of a timeline, with what changed since the run of the same kind before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineRun {
    pub run: Run,
    /// `None` for the oldest run shown (nothing before it to compare with).
    pub changes: Option<Changes>,
}

impl History {
    /// The last `limit` runs of `subject`, newest first, each with what changed since the
    /// run of the same kind before it. A report that cannot be read back (written by an
    /// older maildoc) shows no changes rather than failing the whole timeline.
    pub async fn timeline(
        &self,
        subject: &str,
        limit: u32,
    ) -> Result<Vec<TimelineRun>, StoreError> {
        let runs = self
            .store
            .runs(RunFilter {
                subject: Some(subject.to_owned()),
                limit: limit.saturating_add(1),
                ..RunFilter::default()
            })
            .await?;
        let mut snapshots: BTreeMap<i64, Option<Snapshot>> = BTreeMap::new();
        for run in &runs {
            if let std::collections::btree_map::Entry::Vacant(e) = snapshots.entry(run.report_id) {
                let json = self.store.report(run.id).await?;
                e.insert(json.and_then(|j| Snapshot::parse(run.kind, &j).ok()));
            }
        }
        let mut out = Vec::with_capacity(runs.len());
        for (i, run) in runs.iter().enumerate().take(limit as usize) {
            let before = runs[i + 1..].iter().find(|r| r.kind == run.kind);
            let changes = before.map(|b| {
                if b.report_id == run.report_id {
                    return Changes::default();
                }
                let read = |id: i64| snapshots.get(&id).and_then(Option::as_ref);
                match (read(b.report_id), read(run.report_id)) {
                    (Some(old), Some(new)) => compare(old, new),
                    _ => Changes::default(),
                }
            });
            out.push(TimelineRun {
                run: run.clone(),
                changes,
            });
        }
        Ok(out)
    }
}

/// The clock's now, in Unix milliseconds.
pub fn now_ms(clock: Clock) -> i64 {
    i64::try_from(clock.now().unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}
