//! maildoc's history: every run's report kept, compared and aggregated, on SQLite (one file
//! in the user's data directory, the default) or PostgreSQL (a support team's shared store).
//!
//! The two databases are [`Backend`]s; every query above them is shared, and one
//! contract-test suite runs on both. A [`Store`] owns its connection on a thread of its own,
//! so the async doors never block on the database and a dropped future leaves the
//! transaction it started to finish or roll back on its own.
//!
//! What is stored is what the reports hold: addresses, host names, records, certificates,
//! finding codes. Never a password: the reports carry none (transcripts are redacted before
//! a report exists), and a PostgreSQL password in `--db` is used to connect, never stored
//! or shown.

pub mod backend;
mod history;
pub mod keyring;
mod location;
mod postgres;
mod schema;
mod sqlite;
mod watch;

pub use backend::{Backend, Dialect, Value};
pub use location::Location;
pub use schema::VERSION as SCHEMA_VERSION;

use maildoc_model::Severity;
use std::sync::mpsc;

/// What kind of job a run was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Check,
    Discover,
    Domain,
    /// A received message's headers read (`maildoc message`).
    Message,
    /// A test message sent and looked for (`maildoc roundtrip`).
    Roundtrip,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Check,
        Kind::Discover,
        Kind::Domain,
        Kind::Message,
        Kind::Roundtrip,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Check => "check",
            Kind::Discover => "discover",
            Kind::Domain => "domain",
            Kind::Message => "message",
            Kind::Roundtrip => "roundtrip",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Which door started a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Cli,
    Web,
    Watch,
    Triage,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Cli => "cli",
            Origin::Web => "web",
            Origin::Watch => "watch",
            Origin::Triage => "triage",
        }
    }

    fn parse(text: &str) -> Origin {
        match text {
            "web" => Origin::Web,
            "watch" => Origin::Watch,
            "triage" => Origin::Triage,
            _ => Origin::Cli,
        }
    }
}

/// A run to save.
#[derive(Clone, Debug)]
pub struct NewRun {
    pub kind: Kind,
    /// The address or domain checked, as the engine normalised it.
    pub subject: String,
    /// When the run started (Unix milliseconds) and how long it took.
    pub at_ms: i64,
    pub elapsed_ms: i64,
    pub origin: Origin,
    /// The most serious finding (`None`: no findings).
    pub worst: Option<Severity>,
    /// The finding codes, each once.
    pub codes: Vec<String>,
    /// A digest of what the run found (codes and facts, no timings): a run whose state
    /// equals the subject's previous run shares that run's report instead of storing a copy.
    pub state: String,
    /// The report's versioned JSON.
    pub report: String,
}

/// A saved run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub id: i64,
    pub kind: Kind,
    pub subject: String,
    pub at_ms: i64,
    pub elapsed_ms: i64,
    pub origin: Origin,
    pub worst: Option<Severity>,
    /// The finding codes, sorted.
    pub codes: Vec<String>,
    /// The report this run shows (shared with earlier runs when nothing changed).
    pub report_id: i64,
    /// The state of that report (see [`NewRun::state`]).
    pub state: String,
    /// This run stored a new report: it is the subject's first run, or something changed.
    pub changed: bool,
}

/// Which runs to list: newest first.
#[derive(Clone, Debug, Default)]
pub struct RunFilter {
    pub kind: Option<Kind>,
    pub subject: Option<String>,
    /// Only runs at or after this time (Unix milliseconds).
    pub since_ms: Option<i64>,
    /// Only runs with this finding code.
    pub code: Option<String>,
    /// At most this many (0: the default, 100).
    pub limit: u32,
}

/// Runs older than the retention, folded into one row per subject and day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Day {
    pub kind: Kind,
    pub subject: String,
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub runs: i64,
    pub worst: Option<Severity>,
    /// Every finding code seen that day, sorted.
    pub codes: Vec<String>,
}

/// A subject with runs: for an index of what has history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    pub kind: Kind,
    pub name: String,
    pub runs: i64,
    pub last: Run,
}

/// How long full runs are kept before they are folded into [`Day`] rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    pub full_days: u32,
}

impl Default for Retention {
    /// 90 days of full runs.
    fn default() -> Retention {
        Retention { full_days: 90 }
    }
}

/// What a prune removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub runs: u64,
    pub reports: u64,
}

/// A scheduled check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watch {
    pub id: i64,
    pub kind: Kind,
    pub subject: String,
    pub every_s: i64,
    /// Log in (only when a password source is configured for the account).
    pub login: bool,
    pub next_due_ms: i64,
    pub last_run_id: Option<i64>,
    pub created_ms: i64,
}

/// A watch's run as a round keeps it: the run, the alerts it raised (code and JSON
/// details), and when the watch runs next.
#[derive(Clone, Debug)]
pub struct Watched {
    pub run: NewRun,
    pub watch_id: i64,
    pub owner: String,
    pub next_due_ms: i64,
    pub alerts: Vec<(String, String)>,
}

/// Something a watch raised: a state change worth telling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub id: i64,
    pub kind: Kind,
    pub subject: String,
    pub run_id: Option<i64>,
    pub at_ms: i64,
    /// What changed: `new-error`, `cert-expiring`, `listed`, `record-changed`, ...
    pub code: String,
    /// The details, as JSON.
    pub detail: String,
}

/// A store that cannot be used, or a request it could not carry out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// `--db` / `MAILDOC_DB` is neither `sqlite:PATH` nor `postgres://…`.
    Location { given: String },
    /// No home directory to keep the history in (and no `--db`).
    NoDataDir,
    /// The database could not be opened or reached.
    Open { location: String, detail: String },
    /// The disk (or the database's size limit) is full; nothing of the run was written.
    Full { location: String },
    /// The database was written by a newer maildoc.
    Newer { found: i64, known: i64 },
    /// Any other database error.
    Database { detail: String },
    /// The store did not answer in time (a database server that stalls).
    Stalled { seconds: u64 },
    /// The store's thread is gone.
    Gone,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Location { given } => write!(
                f,
                "{given:?} is not a history location (sqlite:PATH or postgres://...)"
            ),
            Error::NoDataDir => write!(f, "no home directory to keep the history in"),
            Error::Open { location, detail } => write!(f, "cannot open {location}: {detail}"),
            Error::Full { location } => write!(f, "{location}: the disk is full"),
            Error::Newer { found, known } => write!(
                f,
                "the history was written by a newer maildoc (schema {found}; this one knows {known})"
            ),
            Error::Database { detail } => write!(f, "history database: {detail}"),
            Error::Stalled { seconds } => {
                write!(f, "the history did not answer in {seconds} s")
            }
            Error::Gone => write!(f, "the history store stopped"),
        }
    }
}

impl std::error::Error for Error {}

type Job = Box<dyn FnOnce(&mut dyn Backend) + Send>;

/// How long a store may take to open, and to answer one request: a database server that
/// stalls costs a run its history, never the run itself.
const OPEN_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);
const REQUEST_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// The history store: a connection on its own thread. Cloning shares it.
#[derive(Clone, Debug)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    location: Location,
}

impl Store {
    /// Opens (creating when needed) the store at `location` and brings its schema up to
    /// date.
    pub async fn open(location: &Location) -> Result<Store, Error> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (opened, ready) = tokio::sync::oneshot::channel();
        let loc = location.clone();
        std::thread::Builder::new()
            .name("maildoc-store".into())
            .spawn(move || {
                let mut db = match open_backend(&loc) {
                    Ok(db) => {
                        let _ = opened.send(Ok(()));
                        db
                    }
                    Err(e) => {
                        let _ = opened.send(Err(e));
                        return;
                    }
                };
                // Runs each job in turn until every Store clone is dropped; the connection
                // closes on this thread. A connection the server closed (a restart, an
                // idle timeout) is opened again before the next job; until that works,
                // each job gets the error of the closed one.
                while let Ok(job) = queue.recv() {
                    if db.is_closed()
                        && let Ok(fresh) = open_backend(&loc)
                    {
                        db = fresh;
                    }
                    job(db.as_mut());
                }
            })
            .map_err(|e| Error::Open {
                location: location.to_string(),
                detail: e.to_string(),
            })?;
        tokio::time::timeout(OPEN_LIMIT, ready)
            .await
            .map_err(|_| Error::Stalled {
                seconds: OPEN_LIMIT.as_secs(),
            })?
            .map_err(|_| Error::Gone)??;
        Ok(Store {
            jobs,
            location: location.clone(),
        })
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Runs `work` on the store's thread.
    async fn with<R: Send + 'static>(
        &self,
        work: impl FnOnce(&mut dyn Backend) -> Result<R, Error> + Send + 'static,
    ) -> Result<R, Error> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |db| {
                let _ = done.send(work(db));
            }))
            .map_err(|_| Error::Gone)?;
        tokio::time::timeout(REQUEST_LIMIT, result)
            .await
            .map_err(|_| Error::Stalled {
                seconds: REQUEST_LIMIT.as_secs(),
            })?
            .map_err(|_| Error::Gone)?
    }

    /// Saves a run in one transaction: its report is stored only when its state differs
    /// from the subject's previous run.
    pub async fn save(&self, run: NewRun) -> Result<Run, Error> {
        let location = self.location.to_string();
        self.with(move |db| history::save(db, &run))
            .await
            .map_err(|e| e.at(&location))
    }

    /// Saves runs in one transaction (a bulk domain run, a round of watches): all or none.
    pub async fn save_all(&self, runs: Vec<NewRun>) -> Result<Vec<Run>, Error> {
        let location = self.location.to_string();
        self.with(move |db| history::save_all(db, &runs))
            .await
            .map_err(|e| e.at(&location))
    }

    /// Runs, newest first.
    pub async fn runs(&self, filter: RunFilter) -> Result<Vec<Run>, Error> {
        self.with(move |db| history::runs(db, &filter)).await
    }

    /// One run by its id.
    pub async fn run(&self, id: i64) -> Result<Option<Run>, Error> {
        self.with(move |db| history::run(db, id)).await
    }

    /// The report (JSON) a run shows.
    pub async fn report(&self, run_id: i64) -> Result<Option<String>, Error> {
        self.with(move |db| history::report(db, run_id)).await
    }

    /// Every subject with runs, the most recently run first.
    pub async fn subjects(&self) -> Result<Vec<Subject>, Error> {
        self.with(history::subjects).await
    }

    /// The folded days of a subject (or of every subject), newest first.
    pub async fn days(
        &self,
        kind: Option<Kind>,
        subject: Option<String>,
    ) -> Result<Vec<Day>, Error> {
        self.with(move |db| history::days(db, kind, subject.as_deref()))
            .await
    }

    /// Folds the runs older than the retention into days and removes them and the reports
    /// no run shows any more.
    pub async fn prune(&self, now_ms: i64, retention: Retention) -> Result<Pruned, Error> {
        self.with(move |db| history::prune(db, now_ms, retention))
            .await
    }

    /// Adds a watch (or changes the schedule of the subject's watch); it is due at once.
    pub async fn add_watch(
        &self,
        kind: Kind,
        subject: String,
        every_s: i64,
        login: bool,
        now_ms: i64,
    ) -> Result<Watch, Error> {
        self.with(move |db| watch::add(db, kind, &subject, every_s, login, now_ms))
            .await
    }

    /// Every watch, by subject.
    pub async fn watches(&self) -> Result<Vec<Watch>, Error> {
        self.with(watch::list).await
    }

    /// Removes a subject's watch; false when there was none.
    pub async fn remove_watch(&self, kind: Kind, subject: String) -> Result<bool, Error> {
        self.with(move |db| watch::remove(db, kind, &subject)).await
    }

    /// Claims up to `limit` due watches for `owner` until `now_ms + lease_ms`: a watch
    /// claimed by one process is not claimed by another until the lease ends or the watch
    /// is finished.
    pub async fn claim_due(
        &self,
        owner: String,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<Watch>, Error> {
        self.with(move |db| watch::claim_due(db, &owner, now_ms, lease_ms, limit))
            .await
    }

    /// Extends the leases of the watches `owner` holds to `until_ms` (a long round renews
    /// them as it goes, so no other process takes them meanwhile).
    pub async fn renew_leases(&self, owner: String, until_ms: i64) -> Result<(), Error> {
        self.with(move |db| watch::renew(db, &owner, until_ms))
            .await
    }

    /// Keeps a round's runs of watches in one transaction: each run, its alerts and its
    /// watch's next time, all or none.
    pub async fn save_watched(&self, items: Vec<Watched>) -> Result<Vec<(Run, Vec<Alert>)>, Error> {
        let location = self.location.to_string();
        self.with(move |db| watch::save_watched(db, &items))
            .await
            .map_err(|e| e.at(&location))
    }

    /// Records a claimed watch's run and schedules its next one.
    pub async fn finish_watch(
        &self,
        id: i64,
        owner: String,
        run_id: Option<i64>,
        next_due_ms: i64,
    ) -> Result<(), Error> {
        self.with(move |db| watch::finish(db, id, &owner, run_id, next_due_ms))
            .await
    }

    /// Alerts at or after `since_ms`, newest first.
    pub async fn alerts(&self, since_ms: i64, limit: u32) -> Result<Vec<Alert>, Error> {
        self.with(move |db| watch::alerts(db, since_ms, limit))
            .await
    }
}

impl Error {
    /// A full disk is said with the store's location.
    fn at(self, location: &str) -> Error {
        match self {
            Error::Full { location: l } if l.is_empty() => Error::Full {
                location: location.to_owned(),
            },
            e => e,
        }
    }
}

fn open_backend(location: &Location) -> Result<Box<dyn Backend>, Error> {
    let mut db: Box<dyn Backend> = match location {
        Location::Sqlite(path) => Box::new(sqlite::Sqlite::open(path)?),
        Location::Postgres(url) => Box::new(postgres::Postgres::open(url)?),
    };
    schema::migrate(db.as_mut()).map_err(|e| e.at(&location.to_string()))?;
    Ok(db)
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The rank of a worst severity, as stored (higher is worse).
fn rank(worst: Option<Severity>) -> i64 {
    match worst {
        None => 0,
        Some(Severity::Info) => 1,
        Some(Severity::Warning) => 2,
        Some(Severity::Error) => 3,
    }
}

fn severity(rank: i64) -> Option<Severity> {
    match rank {
        1 => Some(Severity::Info),
        2 => Some(Severity::Warning),
        3 => Some(Severity::Error),
        _ => None,
    }
}
