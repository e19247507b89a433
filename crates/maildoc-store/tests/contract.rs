//! One contract for both backends: each test below runs on a fresh SQLite file and on a
//! fresh database of the lab's real PostgreSQL.

// The contract's steps are plain async functions shared by the two backends' tests.
#![allow(clippy::unwrap_used)]

use maildoc_model::Severity;
use maildoc_store::{
    Error, Kind, Location, NewRun, Origin, Retention, RunFilter, SCHEMA_VERSION, Store, Watched,
};

const DAY: i64 = 86_400_000;
/// 2026-12-01T00:00:00Z
const NOW: i64 = 1_796_083_200_000;

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (store, _dir) = super::sqlite().await;
                    super::$name(store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                #[ignore = "needs the lab (PostgreSQL): lab/lab.sh start"]
                async fn $name() {
                    super::$name(super::postgres().await).await;
                }
            )*
        }
    };
}

contract!(
    saves_and_lists_runs_newest_first,
    an_unchanged_run_shares_the_previous_report,
    filters_by_kind_time_and_code,
    lists_subjects_by_their_last_run,
    prune_folds_old_runs_into_days_and_keeps_each_subjects_newest,
    a_watch_is_claimed_by_one_owner_at_a_time,
    two_stores_on_one_database_never_claim_a_watch_twice,
    alerts_are_kept_newest_first,
    opening_again_keeps_everything,
    a_batch_is_kept_in_order_in_one_transaction,
    a_watched_run_its_alerts_and_next_time_are_kept_together,
    a_renewed_lease_keeps_its_watch,
);

async fn sqlite() -> (Store, maildoc_testkit::scratch::Scratch) {
    let dir = maildoc_testkit::scratch::Scratch::new("store");
    let location = Location::Sqlite(dir.path("sub/history.sqlite3"));
    (Store::open(&location).await.unwrap(), dir)
}

/// A new database in the lab's PostgreSQL for each test.
async fn postgres() -> Store {
    let url = maildoc_testkit::lab::Lab::get().var("MAILDOC_LAB_PG_URL");
    let name = format!("contract_{}_{}", std::process::id(), unique());
    let admin = url.clone();
    let create = format!("CREATE DATABASE {name}");
    tokio::task::spawn_blocking(move || {
        let mut client = ::postgres::Client::connect(&admin, ::postgres::NoTls).unwrap();
        client.batch_execute(&create).unwrap();
    })
    .await
    .unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    Store::open(&Location::Postgres(format!("{base}/{name}")))
        .await
        .unwrap()
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn run(kind: Kind, subject: &str, at_ms: i64, codes: &[&str], json: &str) -> NewRun {
    NewRun {
        kind,
        subject: subject.into(),
        at_ms,
        elapsed_ms: 1234,
        origin: Origin::Cli,
        worst: if codes.is_empty() {
            None
        } else {
            Some(Severity::Warning)
        },
        codes: codes.iter().map(|c| c.to_string()).collect(),
        state: format!("{codes:?}"),
        report: json.into(),
    }
}

async fn saves_and_lists_runs_newest_first(store: Store) {
    let a = store
        .save(run(
            Kind::Check,
            "taro@example.jp",
            NOW - 2000,
            &["b-code", "a-code"],
            "{\"n\":1}",
        ))
        .await
        .unwrap();
    store
        .save(run(
            Kind::Domain,
            "example.jp",
            NOW - 1000,
            &[],
            "{\"n\":2}",
        ))
        .await
        .unwrap();
    let c = store
        .save(run(Kind::Check, "taro@example.jp", NOW, &[], "{\"n\":3}"))
        .await
        .unwrap();
    assert_eq!(a.codes, ["a-code", "b-code"]);
    assert!(a.changed && c.changed);

    let runs = store
        .runs(RunFilter {
            subject: Some("taro@example.jp".into()),
            ..RunFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), [c.id, a.id]);
    assert_eq!(runs[1], a);
    assert_eq!(runs[1].worst, Some(Severity::Warning));
    assert_eq!(runs[0].worst, None);
    assert_eq!(store.run(a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(store.run(-5).await.unwrap(), None);
    assert_eq!(
        store.report(a.id).await.unwrap().as_deref(),
        Some("{\"n\":1}")
    );
    assert_eq!(store.runs(RunFilter::default()).await.unwrap().len(), 3);
}

async fn an_unchanged_run_shares_the_previous_report(store: Store) {
    let first = store
        .save(run(
            Kind::Domain,
            "example.jp",
            NOW - 3000,
            &["spf-missing"],
            "{\"first\":true}",
        ))
        .await
        .unwrap();
    let same = store
        .save(run(
            Kind::Domain,
            "example.jp",
            NOW - 2000,
            &["spf-missing"],
            "{\"second\":true}",
        ))
        .await
        .unwrap();
    let other = store
        .save(run(
            Kind::Domain,
            "example.jp",
            NOW - 1000,
            &[],
            "{\"third\":true}",
        ))
        .await
        .unwrap();
    assert!(!same.changed);
    assert_eq!(same.report_id, first.report_id);
    assert_eq!(same.codes, ["spf-missing"]);
    assert_eq!(
        store.report(same.id).await.unwrap().as_deref(),
        Some("{\"first\":true}")
    );
    assert!(other.changed);
    assert_ne!(other.report_id, first.report_id);
    // The same state as two runs ago is a change from the last run: a new report.
    let back = store
        .save(run(
            Kind::Domain,
            "example.jp",
            NOW,
            &["spf-missing"],
            "{\"fourth\":true}",
        ))
        .await
        .unwrap();
    assert!(back.changed);
    // Another subject with the same state does not share.
    let elsewhere = store
        .save(run(
            Kind::Domain,
            "example.com",
            NOW,
            &["spf-missing"],
            "{}",
        ))
        .await
        .unwrap();
    assert!(elsewhere.changed);
}

async fn filters_by_kind_time_and_code(store: Store) {
    store
        .save(run(
            Kind::Check,
            "a@example.jp",
            NOW - 3 * DAY,
            &["auth-failed"],
            "{}",
        ))
        .await
        .unwrap();
    store
        .save(run(
            Kind::Check,
            "a@example.jp",
            NOW - DAY,
            &["cert-expired"],
            "{}",
        ))
        .await
        .unwrap();
    store
        .save(run(Kind::Discover, "a@example.jp", NOW, &[], "{}"))
        .await
        .unwrap();
    let list = |filter: RunFilter| {
        let store = store.clone();
        async move {
            store
                .runs(filter)
                .await
                .unwrap()
                .iter()
                .map(|r| (r.kind, r.codes.join(",")))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(RunFilter {
            kind: Some(Kind::Check),
            ..RunFilter::default()
        })
        .await,
        [
            (Kind::Check, "cert-expired".to_string()),
            (Kind::Check, "auth-failed".to_string())
        ]
    );
    assert_eq!(
        list(RunFilter {
            since_ms: Some(NOW - 2 * DAY),
            ..RunFilter::default()
        })
        .await
        .len(),
        2
    );
    assert_eq!(
        list(RunFilter {
            code: Some("auth-failed".into()),
            ..RunFilter::default()
        })
        .await,
        [(Kind::Check, "auth-failed".to_string())]
    );
    assert_eq!(
        list(RunFilter {
            limit: 1,
            ..RunFilter::default()
        })
        .await,
        [(Kind::Discover, String::new())]
    );
}

async fn lists_subjects_by_their_last_run(store: Store) {
    store
        .save(run(Kind::Domain, "old.example", NOW - DAY, &[], "{}"))
        .await
        .unwrap();
    store
        .save(run(Kind::Check, "new@example.jp", NOW - 10, &[], "{}"))
        .await
        .unwrap();
    let last = store
        .save(run(Kind::Check, "new@example.jp", NOW, &["x"], "{}"))
        .await
        .unwrap();
    let subjects = store.subjects().await.unwrap();
    assert_eq!(subjects.len(), 2);
    assert_eq!(subjects[0].name, "new@example.jp");
    assert_eq!(subjects[0].runs, 2);
    assert_eq!(subjects[0].last, last);
    assert_eq!(subjects[1].kind, Kind::Domain);
}

async fn prune_folds_old_runs_into_days_and_keeps_each_subjects_newest(store: Store) {
    let day_100 = NOW - 100 * DAY;
    for (at, codes) in [
        (day_100 + 1000, &["a"][..]),
        (day_100 + 2000, &["b"][..]),
        (NOW - 95 * DAY, &[][..]),
        (NOW - DAY, &["c"][..]),
    ] {
        store
            .save(run(Kind::Domain, "example.jp", at, codes, "{}"))
            .await
            .unwrap();
    }
    // Checked once, long ago: its only run stays.
    let lonely = store
        .save(run(Kind::Domain, "once.example", day_100, &["z"], "{}"))
        .await
        .unwrap();

    let pruned = store.prune(NOW, Retention { full_days: 90 }).await.unwrap();
    assert_eq!(pruned.runs, 3);
    assert_eq!(pruned.reports, 3);
    let left = store.runs(RunFilter::default()).await.unwrap();
    assert_eq!(left.len(), 2);
    assert_eq!(left[0].codes, ["c"]);
    assert_eq!(left[1], lonely);
    let days = store
        .days(Some(Kind::Domain), Some("example.jp".into()))
        .await
        .unwrap();
    assert_eq!(
        days.iter()
            .map(|d| (d.day, d.runs, d.codes.join(",")))
            .collect::<Vec<_>>(),
        [
            ((NOW - 95 * DAY) / DAY, 1, String::new()),
            (day_100 / DAY, 2, "a,b".to_string())
        ]
    );
    assert_eq!(days[1].worst, Some(Severity::Warning));
    assert_eq!(days[0].worst, None);

    // A later prune adds to a day already folded.
    store
        .save(run(
            Kind::Domain,
            "example.jp",
            day_100 + 3000,
            &["d"],
            "{}",
        ))
        .await
        .unwrap();
    store
        .save(run(Kind::Domain, "example.jp", NOW, &[], "{}"))
        .await
        .unwrap();
    let again = store.prune(NOW, Retention { full_days: 90 }).await.unwrap();
    assert_eq!(again.runs, 1);
    let days = store.days(None, None).await.unwrap();
    let d100 = days.iter().find(|d| d.day == day_100 / DAY).unwrap();
    assert_eq!((d100.runs, d100.codes.join(",")), (3, "a,b,d".to_string()));
    // Nothing old: nothing to do.
    assert_eq!(
        store
            .prune(NOW, Retention { full_days: 90 })
            .await
            .unwrap()
            .runs,
        0
    );
}

async fn a_watch_is_claimed_by_one_owner_at_a_time(store: Store) {
    let w = store
        .add_watch(Kind::Domain, "example.jp".into(), 3600, false, NOW)
        .await
        .unwrap();
    assert_eq!((w.every_s, w.next_due_ms, w.last_run_id), (3600, NOW, None));
    let claimed = store.claim_due("a".into(), NOW, 60_000, 10).await.unwrap();
    assert_eq!(claimed, std::slice::from_ref(&w));
    assert!(
        store
            .claim_due("b".into(), NOW + 1, 60_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Only the owner finishes it.
    store
        .finish_watch(w.id, "b".into(), Some(7), NOW + 5)
        .await
        .unwrap();
    assert!(
        store
            .claim_due("b".into(), NOW + 10, 60_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .finish_watch(w.id, "a".into(), Some(7), NOW + 3_600_000)
        .await
        .unwrap();
    assert!(
        store
            .claim_due("b".into(), NOW + 10, 60_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let due = store
        .claim_due("b".into(), NOW + 3_600_000, 60_000, 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].last_run_id, Some(7));
    // A lease that ran out (its owner died) can be claimed again.
    let later = NOW + 3_600_000 + 60_001;
    assert_eq!(
        store
            .claim_due("c".into(), later, 60_000, 10)
            .await
            .unwrap()
            .len(),
        1
    );

    // Adding again changes the schedule, not the watch.
    let again = store
        .add_watch(Kind::Domain, "example.jp".into(), 600, true, NOW)
        .await
        .unwrap();
    assert_eq!((again.id, again.every_s, again.login), (w.id, 600, true));
    store
        .add_watch(Kind::Check, "taro@example.jp".into(), 3600, false, NOW)
        .await
        .unwrap();
    let all = store.watches().await.unwrap();
    assert_eq!(
        all.iter().map(|w| w.kind).collect::<Vec<_>>(),
        [Kind::Check, Kind::Domain]
    );
    assert!(
        store
            .remove_watch(Kind::Domain, "example.jp".into())
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_watch(Kind::Domain, "example.jp".into())
            .await
            .unwrap()
    );
    assert_eq!(store.watches().await.unwrap().len(), 1);
}

async fn two_stores_on_one_database_never_claim_a_watch_twice(store: Store) {
    let other = Store::open(store.location()).await.unwrap();
    for i in 0..40 {
        store
            .add_watch(Kind::Domain, format!("d{i}.example"), 3600, false, NOW)
            .await
            .unwrap();
    }
    let claim = |s: Store, owner: &'static str| async move {
        let mut got = Vec::new();
        for step in 0..20 {
            got.extend(
                s.claim_due(owner.into(), NOW + step, 600_000, 3)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|w| w.id),
            );
        }
        got
    };
    let (a, b) = tokio::join!(
        tokio::spawn(claim(store.clone(), "a")),
        tokio::spawn(claim(other, "b"))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut all: Vec<i64> = a.iter().chain(&b).copied().collect();
    all.sort();
    let n = all.len();
    all.dedup();
    assert_eq!(all.len(), n, "a watch was claimed twice: {a:?} / {b:?}");
    assert_eq!(n, 40);
}

async fn alerts_are_kept_newest_first(store: Store) {
    let mut raised = Vec::new();
    for (kind, subject, at, code, detail) in [
        (
            Kind::Domain,
            "example.jp",
            NOW - 10,
            "record-changed",
            "{\"record\":\"spf\"}",
        ),
        (Kind::Check, "taro@example.jp", NOW, "cert-expiring", "{}"),
    ] {
        let w = store
            .add_watch(kind, subject.into(), 3600, false, at)
            .await
            .unwrap();
        store.claim_due("a".into(), at, 60_000, 10).await.unwrap();
        let mut saved = store
            .save_watched(vec![Watched {
                run: run(kind, subject, at, &[], "{}"),
                watch_id: w.id,
                owner: "a".into(),
                next_due_ms: at + 3_600_000,
                alerts: vec![(code.into(), detail.into())],
            }])
            .await
            .unwrap();
        raised.push(saved.remove(0));
    }
    let all = store.alerts(0, 10).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], raised[1].1[0]);
    assert_eq!(all[1].detail, "{\"record\":\"spf\"}");
    assert_eq!(all[1].run_id, Some(raised[0].0.id));
    assert_eq!(all[1].kind, Kind::Domain);
    assert_eq!(store.alerts(NOW - 5, 10).await.unwrap(), [all[0].clone()]);
}

async fn opening_again_keeps_everything(store: Store) {
    let saved = store
        .save(run(Kind::Check, "taro@example.jp", NOW, &["x"], "{}"))
        .await
        .unwrap();
    let location = store.location().clone();
    drop(store);
    let reopened = Store::open(&location).await.unwrap();
    assert_eq!(reopened.run(saved.id).await.unwrap(), Some(saved));
}

/// The server closes the store's connection (a restart does the same): a request may fail
/// with it, the next ones work on a new connection.
#[tokio::test]
#[ignore = "needs the lab (PostgreSQL): lab/lab.sh start"]
async fn a_closed_postgresql_connection_is_opened_again() {
    let store = postgres().await;
    store
        .save(run(Kind::Check, "taro@example.jp", NOW, &[], "{}"))
        .await
        .unwrap();
    let Location::Postgres(url) = store.location().clone() else {
        unreachable!("a PostgreSQL store")
    };
    tokio::task::spawn_blocking(move || {
        let mut client = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
        let closed = client
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND application_name = 'maildoc' AND pid <> pg_backend_pid()",
                &[],
            )
            .unwrap();
        assert_eq!(closed.len(), 1, "the store's one connection");
    })
    .await
    .unwrap();
    let _ = store.runs(RunFilter::default()).await;
    assert_eq!(store.runs(RunFilter::default()).await.unwrap().len(), 1);
}

/// PostgreSQL over TLS, verified against the lab's CA (`sslrootcert`) by the name in the
/// URL: it works; without the CA (the public roots only) the same server is refused, and the
/// error holds no password.
#[tokio::test]
#[ignore = "needs the lab (PostgreSQL): lab/lab.sh start"]
async fn postgresql_over_tls_is_verified() {
    let url = maildoc_testkit::lab::Lab::get().var("MAILDOC_LAB_PG_TLS_URL");
    let store = Store::open(&Location::Postgres(url.clone())).await.unwrap();
    let kept = store
        .save(run(Kind::Domain, "tls.example", NOW, &[], "{}"))
        .await
        .unwrap();
    assert_eq!(store.run(kept.id).await.unwrap(), Some(kept));
    let untrusted: String = url
        .split('&')
        .filter(|p| !p.starts_with("sslrootcert="))
        .collect::<Vec<_>>()
        .join("&");
    let refused = Store::open(&Location::Postgres(untrusted))
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Error::Open { detail, .. } if detail.to_lowercase().contains("certificate")),
        "{refused:?}"
    );
    assert!(
        !refused
            .to_string()
            .contains(&maildoc_testkit::lab::Lab::get().var("MAILDOC_LAB_PG_PASSWORD"))
    );
}

#[tokio::test]
async fn a_newer_schema_is_refused_not_changed() {
    let dir = maildoc_testkit::scratch::Scratch::new("store-newer");
    let path = dir.path("h.sqlite3");
    drop(Store::open(&Location::Sqlite(path.clone())).await.unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO maildoc_schema (version, applied_ms) VALUES (?1, 0)",
        [SCHEMA_VERSION + 1],
    )
    .unwrap();
    drop(conn);
    assert_eq!(
        Store::open(&Location::Sqlite(path)).await.unwrap_err(),
        Error::Newer {
            found: SCHEMA_VERSION + 1,
            known: SCHEMA_VERSION
        }
    );
}

#[tokio::test]
async fn a_store_that_cannot_be_opened_says_where() {
    let dir = maildoc_testkit::scratch::Scratch::new("store-blocked");
    let file = dir.path("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let err = Store::open(&Location::Sqlite(file.join("h.sqlite3")))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Open { location, .. } if location.contains("not-a-dir")),
        "{err:?}"
    );
    // A PostgreSQL server that is not there: the error names it without the password.
    let err = Store::open(&Location::Postgres(
        "postgres://maildoc:s3cret-pw@127.0.0.1:1/maildoc".into(),
    ))
    .await
    .unwrap_err();
    assert!(!err.to_string().contains("s3cret-pw"), "{err}");
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
}

async fn a_batch_is_kept_in_order_in_one_transaction(store: Store) {
    let batch = vec![
        run(Kind::Domain, "a.example", NOW, &["x"], "{\"a\":1}"),
        run(Kind::Domain, "a.example", NOW + 1, &["x"], "{\"a\":2}"),
        run(Kind::Domain, "b.example", NOW, &[], "{}"),
    ];
    let kept = store.save_all(batch).await.unwrap();
    assert_eq!(
        kept.iter()
            .map(|r| (r.subject.as_str(), r.changed))
            .collect::<Vec<_>>(),
        [
            ("a.example", true),
            ("a.example", false),
            ("b.example", true)
        ]
    );
    assert_eq!(kept[0].report_id, kept[1].report_id);
    assert!(store.save_all(Vec::new()).await.unwrap().is_empty());
    assert_eq!(store.runs(RunFilter::default()).await.unwrap().len(), 3);
}

async fn a_watched_run_its_alerts_and_next_time_are_kept_together(store: Store) {
    let w = store
        .add_watch(Kind::Domain, "example.jp".into(), 3600, false, NOW)
        .await
        .unwrap();
    store.claim_due("a".into(), NOW, 60_000, 10).await.unwrap();
    let saved = store
        .save_watched(vec![Watched {
            run: run(Kind::Domain, "example.jp", NOW, &["mx-missing"], "{}"),
            watch_id: w.id,
            owner: "a".into(),
            next_due_ms: NOW + 3_600_000,
            alerts: vec![
                ("new-error".into(), "{\"finding\":\"mx-missing\"}".into()),
                ("record-changed".into(), "{}".into()),
            ],
        }])
        .await
        .unwrap();
    let (kept, alerts) = &saved[0];
    assert_eq!(kept.subject, "example.jp");
    assert_eq!(alerts.len(), 2);
    assert!(
        alerts
            .iter()
            .all(|a| a.run_id == Some(kept.id) && a.at_ms == NOW)
    );
    assert_eq!(store.alerts(0, 10).await.unwrap().len(), 2);
    let watch = store.watches().await.unwrap().remove(0);
    assert_eq!(
        (watch.next_due_ms, watch.last_run_id),
        (NOW + 3_600_000, Some(kept.id))
    );
    // Its lease is given back: due again at its time, to anyone.
    assert_eq!(
        store
            .claim_due("b".into(), NOW + 3_600_000, 60_000, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn a_renewed_lease_keeps_its_watch(store: Store) {
    store
        .add_watch(Kind::Domain, "example.jp".into(), 3600, false, NOW)
        .await
        .unwrap();
    assert_eq!(
        store
            .claim_due("a".into(), NOW, 1_000, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    store.renew_leases("a".into(), NOW + 10_000).await.unwrap();
    assert!(
        store
            .claim_due("b".into(), NOW + 2_000, 1_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .claim_due("b".into(), NOW + 10_001, 1_000, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}
