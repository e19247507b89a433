//! Watches (scheduled checks) and the alerts they raise. A due watch is claimed with a
//! lease by one process at a time, so two `maildoc serve` on one database never run the
//! same watch twice: the claim is one conditional UPDATE, which both databases carry out
//! for one writer only.

use crate::backend::{Backend, Row, Value, transaction};
use crate::history::{save_in, subject_id};
use crate::{Alert, Error, Kind, Run, Watch, Watched};

const WATCH_COLUMNS: &str =
    "SELECT w.id, s.kind, s.name, w.every_s, w.login, w.next_due_ms, w.last_run_id, w.created_ms
     FROM watches w JOIN subjects s ON s.id = w.subject_id";

pub fn add(
    db: &mut dyn Backend,
    kind: Kind,
    subject: &str,
    every_s: i64,
    login: bool,
    now_ms: i64,
) -> Result<Watch, Error> {
    transaction(db, |db| {
        let sid = subject_id(db, kind, subject)?;
        db.execute(
            "INSERT INTO watches (subject_id, every_s, login, next_due_ms, lease_owner, lease_until_ms, created_ms)
             VALUES ($1, $2, $3, $4, '', 0, $4)
             ON CONFLICT (subject_id) DO UPDATE
             SET every_s = excluded.every_s, login = excluded.login, next_due_ms = excluded.next_due_ms",
            &[
                Value::Int(sid),
                Value::Int(every_s),
                Value::Int(i64::from(login)),
                Value::Int(now_ms),
            ],
        )?;
        let rows = db.query(
            &format!("{WATCH_COLUMNS} WHERE w.subject_id = $1"),
            &[Value::Int(sid)],
        )?;
        rows.into_iter()
            .next()
            .map(watch)
            .ok_or_else(|| Error::Database {
                detail: "a watch just added cannot be read back".into(),
            })
    })
}

pub fn list(db: &mut dyn Backend) -> Result<Vec<Watch>, Error> {
    Ok(db
        .query(&format!("{WATCH_COLUMNS} ORDER BY s.kind, s.name"), &[])?
        .into_iter()
        .map(watch)
        .collect())
}

pub fn remove(db: &mut dyn Backend, kind: Kind, subject: &str) -> Result<bool, Error> {
    Ok(db.execute(
        "DELETE FROM watches WHERE subject_id = (SELECT id FROM subjects WHERE kind = $1 AND name = $2)",
        &[Value::from(kind.as_str()), Value::from(subject)],
    )? > 0)
}

pub fn claim_due(
    db: &mut dyn Backend,
    owner: &str,
    now_ms: i64,
    lease_ms: i64,
    limit: u32,
) -> Result<Vec<Watch>, Error> {
    let due = db.query(
        &format!(
            "{WATCH_COLUMNS} WHERE w.next_due_ms <= $1 AND w.lease_until_ms <= $1
             ORDER BY w.next_due_ms, w.id LIMIT $2"
        ),
        &[Value::Int(now_ms), Value::Int(i64::from(limit))],
    )?;
    let mut claimed = Vec::with_capacity(due.len());
    for row in due {
        let w = watch(row);
        // Another process may have claimed it since the SELECT: the condition is checked
        // again on the row itself, under its lock.
        let won = db.execute(
            "UPDATE watches SET lease_owner = $1, lease_until_ms = $2
             WHERE id = $3 AND next_due_ms <= $4 AND lease_until_ms <= $4",
            &[
                Value::from(owner),
                Value::Int(now_ms.saturating_add(lease_ms)),
                Value::Int(w.id),
                Value::Int(now_ms),
            ],
        )?;
        if won == 1 {
            claimed.push(w);
        }
    }
    Ok(claimed)
}

pub fn renew(db: &mut dyn Backend, owner: &str, until_ms: i64) -> Result<(), Error> {
    db.execute(
        "UPDATE watches SET lease_until_ms = $1 WHERE lease_owner = $2 AND lease_until_ms > 0",
        &[Value::Int(until_ms), Value::from(owner)],
    )?;
    Ok(())
}

/// Keeps watches' runs, their alerts and their next times in one transaction.
pub fn save_watched(
    db: &mut dyn Backend,
    items: &[Watched],
) -> Result<Vec<(Run, Vec<Alert>)>, Error> {
    transaction(db, |db| {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let run = save_in(db, &item.run)?;
            let mut alerts = Vec::with_capacity(item.alerts.len());
            for (code, detail) in &item.alerts {
                alerts.push(insert_alert(
                    db,
                    run.kind,
                    &run.subject,
                    Some(run.id),
                    run.at_ms,
                    code,
                    detail,
                )?);
            }
            finish(
                db,
                item.watch_id,
                &item.owner,
                Some(run.id),
                item.next_due_ms,
            )?;
            out.push((run, alerts));
        }
        Ok(out)
    })
}

pub fn finish(
    db: &mut dyn Backend,
    id: i64,
    owner: &str,
    run_id: Option<i64>,
    next_due_ms: i64,
) -> Result<(), Error> {
    db.execute(
        "UPDATE watches SET last_run_id = COALESCE($1, last_run_id), next_due_ms = $2,
                lease_owner = '', lease_until_ms = 0
         WHERE id = $3 AND lease_owner = $4",
        &[
            Value::from(run_id),
            Value::Int(next_due_ms),
            Value::Int(id),
            Value::from(owner),
        ],
    )?;
    Ok(())
}

fn watch(row: Row) -> Watch {
    let mut v = row.into_iter();
    let mut next = || v.next().unwrap_or(Value::Null);
    Watch {
        id: next().int(),
        kind: Kind::parse(&next().text()).unwrap_or(Kind::Check),
        subject: next().text(),
        every_s: next().int(),
        login: next().int() != 0,
        next_due_ms: next().int(),
        last_run_id: next().opt_int(),
        created_ms: next().int(),
    }
}

/// Inserts an alert inside the caller's transaction.
fn insert_alert(
    db: &mut dyn Backend,
    kind: Kind,
    subject: &str,
    run_id: Option<i64>,
    at_ms: i64,
    code: &str,
    detail: &str,
) -> Result<Alert, Error> {
    let sid = subject_id(db, kind, subject)?;
    let id = crate::backend::scalar(
        db,
        "INSERT INTO alerts (subject_id, run_id, at_ms, code, detail) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        &[
            Value::Int(sid),
            Value::from(run_id),
            Value::Int(at_ms),
            Value::from(code),
            Value::from(detail),
        ],
    )?
    .map_or(0, |v| v.int());
    Ok(Alert {
        id,
        kind,
        subject: subject.to_owned(),
        run_id,
        at_ms,
        code: code.to_owned(),
        detail: detail.to_owned(),
    })
}

pub fn alerts(db: &mut dyn Backend, since_ms: i64, limit: u32) -> Result<Vec<Alert>, Error> {
    Ok(db
        .query(
            "SELECT a.id, s.kind, s.name, a.run_id, a.at_ms, a.code, a.detail FROM alerts a
             JOIN subjects s ON s.id = a.subject_id WHERE a.at_ms >= $1
             ORDER BY a.at_ms DESC, a.id DESC LIMIT $2",
            &[Value::Int(since_ms), Value::Int(i64::from(limit.max(1)))],
        )?
        .into_iter()
        .map(|row| {
            let mut v = row.into_iter();
            let mut next = || v.next().unwrap_or(Value::Null);
            Alert {
                id: next().int(),
                kind: Kind::parse(&next().text()).unwrap_or(Kind::Check),
                subject: next().text(),
                run_id: next().opt_int(),
                at_ms: next().int(),
                code: next().text(),
                detail: next().text(),
            }
        })
        .collect())
}
