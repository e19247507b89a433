//! TCP connections: every address of a host tried with a short stagger (Happy Eyeballs
//! style), so one filtered address does not make the user wait for the next.

use crate::clock::{RunClock, StepTimer};
use maildoc_model::ConnectOutcome;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// The longest one connection attempt may take.
pub const CONNECT_CAP: Duration = Duration::from_secs(6);
/// How long to wait before starting the next address.
const STAGGER: Duration = Duration::from_millis(250);

/// One connection attempt, as evidence.
#[derive(Debug)]
pub struct Attempt {
    pub address: SocketAddr,
    pub at_ms: u64,
    pub elapsed_ms: u64,
    pub outcome: ConnectOutcome,
    pub detail: String,
}

/// Connects to the first address that answers. Returns every attempt, in start order.
pub async fn connect(
    addresses: &[SocketAddr],
    clock: &RunClock,
) -> (Option<TcpStream>, Vec<Attempt>) {
    let budget = clock.budget(CONNECT_CAP);
    let give_up = tokio::time::Instant::now() + budget;
    let mut set = JoinSet::new();
    let mut started: Vec<(SocketAddr, StepTimer)> = Vec::new();
    let mut done: Vec<Option<(ConnectOutcome, String, u64)>> = Vec::new();
    let mut winner: Option<TcpStream> = None;
    let mut next = 0usize;
    let mut next_start = tokio::time::Instant::now();

    loop {
        if winner.is_none() && next < addresses.len() && tokio::time::Instant::now() >= next_start {
            let addr = addresses[next];
            let index = next;
            started.push((addr, StepTimer::start(clock)));
            done.push(None);
            set.spawn(async move {
                let r = tokio::time::timeout_at(give_up, TcpStream::connect(addr)).await;
                (index, r)
            });
            next += 1;
            next_start = tokio::time::Instant::now() + STAGGER;
        }
        if winner.is_some() || (set.is_empty() && next >= addresses.len()) {
            break;
        }
        let wait_until = if next < addresses.len() {
            next_start.min(give_up)
        } else {
            give_up
        };
        tokio::select! {
            joined = set.join_next(), if !set.is_empty() => {
                let Some(Ok((index, result))) = joined else { continue };
                let elapsed = started[index].1.elapsed_ms();
                match result {
                    Ok(Ok(stream)) => {
                        done[index] = Some((ConnectOutcome::Connected, String::new(), elapsed));
                        winner = Some(stream);
                    }
                    Ok(Err(e)) => {
                        let outcome = match e.kind() {
                            ErrorKind::ConnectionRefused => ConnectOutcome::Refused,
                            ErrorKind::TimedOut => ConnectOutcome::Timeout,
                            ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable
                            | ErrorKind::AddrNotAvailable => ConnectOutcome::Unreachable,
                            _ => ConnectOutcome::Other,
                        };
                        done[index] = Some((outcome, e.to_string(), elapsed));
                    }
                    Err(_) => {
                        done[index] = Some((
                            ConnectOutcome::Timeout,
                            format!("no answer within {} ms", elapsed),
                            elapsed,
                        ));
                    }
                }
                // A failed address lets the next one start at once.
                next_start = tokio::time::Instant::now();
            }
            _ = tokio::time::sleep_until(wait_until) => {
                if tokio::time::Instant::now() >= give_up {
                    break;
                }
            }
        }
    }
    set.abort_all();
    let attempts = started
        .into_iter()
        .zip(done)
        .map(|((address, timer), result)| {
            let (outcome, detail, elapsed_ms) = result.unwrap_or_else(|| {
                if winner.is_some() {
                    (
                        ConnectOutcome::Abandoned,
                        "another address answered first".into(),
                        timer.elapsed_ms(),
                    )
                } else {
                    (
                        ConnectOutcome::Timeout,
                        format!("no answer within {} ms", timer.elapsed_ms()),
                        timer.elapsed_ms(),
                    )
                }
            });
            Attempt {
                address,
                at_ms: timer.at_ms(),
                elapsed_ms,
                outcome,
                detail,
            }
        })
        .collect();
    (winner, attempts)
}
