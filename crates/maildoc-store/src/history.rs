//! Runs: saved, listed, folded into days after the retention. The SQL here is shared by
//! both backends (see `backend.rs` for the subset it keeps to).

use crate::backend::{Backend, Dialect, Row, Value, scalar, transaction};
use crate::{Day, Error, Kind, NewRun, Origin, Pruned, Retention, Run, RunFilter, Subject};
use std::collections::{BTreeMap, BTreeSet, HashMap};

const DAY_MS: i64 = 86_400_000;
const DEFAULT_LIMIT: u32 = 100;

pub fn save(db: &mut dyn Backend, run: &NewRun) -> Result<Run, Error> {
    transaction(db, |db| save_in(db, run))
}

/// Saves runs in one transaction: all of them or none.
pub fn save_all(db: &mut dyn Backend, runs: &[NewRun]) -> Result<Vec<Run>, Error> {
    transaction(db, |db| runs.iter().map(|run| save_in(db, run)).collect())
}

/// Saves a run inside the caller's transaction.
pub(crate) fn save_in(db: &mut dyn Backend, run: &NewRun) -> Result<Run, Error> {
    let subject_id = subject_id(db, run.kind, &run.subject)?;
    let previous = db
        .query(
            "SELECT r.report_id, p.state FROM runs r JOIN reports p ON p.id = r.report_id
             WHERE r.subject_id = $1 ORDER BY r.at_ms DESC, r.id DESC LIMIT 1",
            &[Value::Int(subject_id)],
        )?
        .into_iter()
        .next();
    let (report_id, changed) = match previous {
        Some(row) if row.get(1).is_some_and(|s| s.as_text() == run.state) => (row[0].int(), false),
        _ => {
            let id = insert_id(
                db,
                "INSERT INTO reports (subject_id, state, worst, json) VALUES ($1, $2, $3, $4) RETURNING id",
                &[
                    Value::Int(subject_id),
                    Value::from(run.state.as_str()),
                    Value::Int(crate::rank(run.worst)),
                    Value::from(run.report.as_str()),
                ],
            )?;
            let codes: BTreeSet<&str> = run.codes.iter().map(String::as_str).collect();
            for code in codes {
                db.execute(
                    "INSERT INTO report_codes (code, report_id) VALUES ($1, $2)",
                    &[Value::from(code), Value::Int(id)],
                )?;
            }
            (id, true)
        }
    };
    let id = insert_id(
        db,
        "INSERT INTO runs (subject_id, at_ms, elapsed_ms, origin, report_id, changed)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        &[
            Value::Int(subject_id),
            Value::Int(run.at_ms),
            Value::Int(run.elapsed_ms),
            Value::from(run.origin.as_str()),
            Value::Int(report_id),
            Value::Int(i64::from(changed)),
        ],
    )?;
    let mut codes: Vec<String> = run.codes.clone();
    codes.sort();
    codes.dedup();
    Ok(Run {
        id,
        kind: run.kind,
        subject: run.subject.clone(),
        at_ms: run.at_ms,
        elapsed_ms: run.elapsed_ms,
        origin: run.origin,
        worst: run.worst,
        codes,
        report_id,
        state: run.state.clone(),
        changed,
    })
}

/// The id of a subject, added when new.
pub fn subject_id(db: &mut dyn Backend, kind: Kind, name: &str) -> Result<i64, Error> {
    let params = [Value::from(kind.as_str()), Value::from(name)];
    db.execute(
        "INSERT INTO subjects (kind, name) VALUES ($1, $2) ON CONFLICT (kind, name) DO NOTHING",
        &params,
    )?;
    scalar(
        db,
        "SELECT id FROM subjects WHERE kind = $1 AND name = $2",
        &params,
    )?
    .and_then(|v| v.opt_int())
    .ok_or_else(|| Error::Database {
        detail: "a subject just added cannot be read back".into(),
    })
}

fn insert_id(db: &mut dyn Backend, sql: &str, params: &[Value]) -> Result<i64, Error> {
    scalar(db, sql, params)?
        .and_then(|v| v.opt_int())
        .ok_or_else(|| Error::Database {
            detail: "an insert returned no id".into(),
        })
}

const RUN_COLUMNS: &str =
    "SELECT r.id, s.kind, s.name, r.at_ms, r.elapsed_ms, r.origin, p.worst, r.report_id, r.changed, p.state
     FROM runs r JOIN subjects s ON s.id = r.subject_id JOIN reports p ON p.id = r.report_id";

pub fn runs(db: &mut dyn Backend, filter: &RunFilter) -> Result<Vec<Run>, Error> {
    let limit = if filter.limit == 0 {
        DEFAULT_LIMIT
    } else {
        filter.limit
    };
    // Only the conditions asked for, so that each can use its index (a condition such as
    // `$1 = '' OR s.kind = $1` would make every query a scan).
    let mut conditions = Vec::new();
    let mut params = Vec::new();
    let mut param = |value: Value| {
        params.push(value);
        format!("${}", params.len())
    };
    if let Some(subject) = &filter.subject {
        conditions.push(format!("s.name = {}", param(Value::from(subject.as_str()))));
    }
    if let Some(kind) = filter.kind {
        conditions.push(format!("s.kind = {}", param(Value::from(kind.as_str()))));
    }
    if let Some(since) = filter.since_ms {
        conditions.push(format!("r.at_ms >= {}", param(Value::Int(since))));
    }
    if let Some(code) = &filter.code {
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM report_codes c WHERE c.report_id = r.report_id AND c.code = {})",
            param(Value::from(code.as_str()))
        ));
    }
    let limit = param(Value::Int(i64::from(limit)));
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let sql = format!("{RUN_COLUMNS} {filter} ORDER BY r.at_ms DESC, r.id DESC LIMIT {limit}");
    let rows = db.query(&sql, &params)?;
    with_codes(db, rows)
}

pub fn run(db: &mut dyn Backend, id: i64) -> Result<Option<Run>, Error> {
    let rows = db.query(&format!("{RUN_COLUMNS} WHERE r.id = $1"), &[Value::Int(id)])?;
    Ok(with_codes(db, rows)?.pop())
}

/// Reads run rows and the codes of their reports (each report's once).
fn with_codes(db: &mut dyn Backend, rows: Vec<Row>) -> Result<Vec<Run>, Error> {
    let mut codes: HashMap<i64, Vec<String>> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut v = row.into_iter();
        let mut next = || v.next().unwrap_or(Value::Null);
        let id = next().int();
        let kind = Kind::parse(&next().text()).unwrap_or(Kind::Check);
        let subject = next().text();
        let at_ms = next().int();
        let elapsed_ms = next().int();
        let origin = Origin::parse(&next().text());
        let worst = crate::severity(next().int());
        let report_id = next().int();
        let changed = next().int() != 0;
        let state = next().text();
        let codes = match codes.get(&report_id) {
            Some(c) => c.clone(),
            None => {
                let c = report_codes(db, report_id)?;
                codes.insert(report_id, c.clone());
                c
            }
        };
        out.push(Run {
            id,
            kind,
            subject,
            at_ms,
            elapsed_ms,
            origin,
            worst,
            codes,
            report_id,
            state,
            changed,
        });
    }
    Ok(out)
}

fn report_codes(db: &mut dyn Backend, report_id: i64) -> Result<Vec<String>, Error> {
    Ok(db
        .query(
            "SELECT code FROM report_codes WHERE report_id = $1 ORDER BY code",
            &[Value::Int(report_id)],
        )?
        .into_iter()
        .filter_map(|row| row.into_iter().next().map(Value::text))
        .collect())
}

pub fn report(db: &mut dyn Backend, run_id: i64) -> Result<Option<String>, Error> {
    Ok(scalar(
        db,
        "SELECT p.json FROM runs r JOIN reports p ON p.id = r.report_id WHERE r.id = $1",
        &[Value::Int(run_id)],
    )?
    .map(Value::text))
}

/// At most this many subjects in the index.
const SUBJECTS_SHOWN: i64 = 500;

pub fn subjects(db: &mut dyn Backend) -> Result<Vec<Subject>, Error> {
    let rows = db.query(
        "SELECT s.id, COUNT(*), MAX(r.at_ms) FROM subjects s JOIN runs r ON r.subject_id = s.id
         GROUP BY s.id ORDER BY MAX(r.at_ms) DESC LIMIT $1",
        &[Value::Int(SUBJECTS_SHOWN)],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let (id, count) = (row[0].int(), row[1].int());
        let last = db.query(
            &format!(
                "{RUN_COLUMNS} WHERE r.subject_id = $1 ORDER BY r.at_ms DESC, r.id DESC LIMIT 1"
            ),
            &[Value::Int(id)],
        )?;
        if let Some(last) = with_codes(db, last)?.pop() {
            out.push(Subject {
                kind: last.kind,
                name: last.subject.clone(),
                runs: count,
                last,
            });
        }
    }
    Ok(out)
}

pub fn days(
    db: &mut dyn Backend,
    kind: Option<Kind>,
    subject: Option<&str>,
) -> Result<Vec<Day>, Error> {
    let mut conditions = Vec::new();
    let mut params = Vec::new();
    if let Some(subject) = subject {
        params.push(Value::from(subject));
        conditions.push(format!("s.name = ${}", params.len()));
    }
    if let Some(kind) = kind {
        params.push(Value::from(kind.as_str()));
        conditions.push(format!("s.kind = ${}", params.len()));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let rows = db.query(
        &format!(
            "SELECT s.kind, s.name, d.day, d.runs, d.worst, d.codes FROM days d
             JOIN subjects s ON s.id = d.subject_id {filter}
             ORDER BY d.day DESC, s.name LIMIT 1000"
        ),
        &params,
    )?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut v = row.into_iter();
            let mut next = || v.next().unwrap_or(Value::Null);
            Day {
                kind: Kind::parse(&next().text()).unwrap_or(Kind::Check),
                subject: next().text(),
                day: next().int(),
                runs: next().int(),
                worst: crate::severity(next().int()),
                codes: split_codes(&next().text()),
            }
        })
        .collect())
}

fn split_codes(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

/// The runs a prune folds: older than the cutoff, and not the subject's newest run (the
/// newest is kept whatever its age, so there is always a last run to compare with).
const FOLDED: &str = "r.at_ms < $1 AND r.at_ms < (SELECT MAX(x.at_ms) FROM runs x WHERE x.subject_id = r.subject_id)";

pub fn prune(db: &mut dyn Backend, now_ms: i64, retention: Retention) -> Result<Pruned, Error> {
    let cutoff = now_ms.saturating_sub(i64::from(retention.full_days) * DAY_MS);
    transaction(db, |db| {
        // One prune at a time: two would fold the same runs twice. (SQLite's write lock,
        // taken at BEGIN, already serialises them.)
        if db.dialect() == Dialect::Postgres {
            db.query("SELECT pg_advisory_xact_lock(713002027)", &[])?;
        }
        let rows = db.query(
            &format!(
                "SELECT r.id, r.subject_id, r.at_ms, p.worst, r.report_id FROM runs r
                 JOIN reports p ON p.id = r.report_id WHERE {FOLDED}"
            ),
            &[Value::Int(cutoff)],
        )?;
        if rows.is_empty() {
            return Ok(Pruned::default());
        }
        // (subject, day) -> (runs, worst, codes)
        let mut folded: BTreeMap<(i64, i64), (i64, i64, BTreeSet<String>)> = BTreeMap::new();
        let mut codes: HashMap<i64, Vec<String>> = HashMap::new();
        let mut ids = Vec::with_capacity(rows.len());
        for row in &rows {
            let (id, subject, at, worst, report) = (
                row[0].int(),
                row[1].int(),
                row[2].int(),
                row[3].int(),
                row[4].int(),
            );
            ids.push(id);
            if let std::collections::hash_map::Entry::Vacant(e) = codes.entry(report) {
                e.insert(report_codes(db, report)?);
            }
            let day =
                folded
                    .entry((subject, at.div_euclid(DAY_MS)))
                    .or_insert((0, 0, BTreeSet::new()));
            day.0 += 1;
            day.1 = day.1.max(worst);
            day.2
                .extend(codes.get(&report).into_iter().flatten().cloned());
        }
        for ((subject, day), (runs, worst, day_codes)) in folded {
            // A day already folded by an earlier prune (its other runs) is merged.
            let before = db
                .query(
                    "SELECT runs, worst, codes FROM days WHERE subject_id = $1 AND day = $2",
                    &[Value::Int(subject), Value::Int(day)],
                )?
                .into_iter()
                .next();
            let (mut runs, mut worst, mut day_codes) = (runs, worst, day_codes);
            if let Some(before) = before {
                runs += before[0].int();
                worst = worst.max(before[1].int());
                day_codes.extend(split_codes(before[2].as_text()));
            }
            let joined = day_codes.into_iter().collect::<Vec<_>>().join(" ");
            db.execute(
                "INSERT INTO days (subject_id, day, runs, worst, codes) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (subject_id, day) DO UPDATE
                 SET runs = excluded.runs, worst = excluded.worst, codes = excluded.codes",
                &[
                    Value::Int(subject),
                    Value::Int(day),
                    Value::Int(runs),
                    Value::Int(worst),
                    Value::Text(joined),
                ],
            )?;
        }
        // Exactly the runs folded, whatever was saved meanwhile.
        let mut runs = 0;
        for chunk in ids.chunks(500) {
            let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let params: Vec<Value> = chunk.iter().map(|id| Value::Int(*id)).collect();
            runs += db.execute(
                &format!("DELETE FROM runs WHERE id IN ({})", list.join(", ")),
                &params,
            )?;
        }
        db.execute(
            "DELETE FROM report_codes WHERE NOT EXISTS (SELECT 1 FROM runs WHERE runs.report_id = report_codes.report_id)",
            &[],
        )?;
        let reports = db.execute(
            "DELETE FROM reports WHERE NOT EXISTS (SELECT 1 FROM runs WHERE runs.report_id = reports.id)",
            &[],
        )?;
        db.execute("DELETE FROM alerts WHERE at_ms < $1", &[Value::Int(cutoff)])?;
        Ok(Pruned { runs, reports })
    })
}
