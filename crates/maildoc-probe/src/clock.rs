//! The run's clock and deadline. Every network step asks it how long it may take.

use std::time::Duration;
use tokio::time::Instant;

/// The wall clock, in seconds since the Unix epoch (0 before it).
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// The start and the hard deadline of one run.
#[derive(Clone, Copy, Debug)]
pub struct RunClock {
    start: Instant,
    deadline: Instant,
}

impl RunClock {
    pub fn new(total: Duration) -> Self {
        let start = Instant::now();
        RunClock {
            start,
            deadline: start + total,
        }
    }

    /// The same run with an earlier deadline: at most `total` after the start. For a part
    /// of the run that must leave time for what follows (discovery before a check's probes).
    pub fn shortened(&self, total: Duration) -> Self {
        RunClock {
            start: self.start,
            deadline: self.deadline.min(self.start + total),
        }
    }

    /// Milliseconds since the run started.
    pub fn at_ms(&self) -> u64 {
        millis(self.start.elapsed())
    }

    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The whole run, start to deadline.
    pub fn total(&self) -> Duration {
        self.deadline.saturating_duration_since(self.start)
    }

    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// How long a step may take: its own cap, but never past the deadline.
    pub fn budget(&self, cap: Duration) -> Duration {
        cap.min(self.remaining())
    }

    pub fn expired(&self) -> bool {
        Instant::now() >= self.deadline
    }
}

/// Milliseconds in a duration, saturating.
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Measures one step.
#[derive(Debug)]
pub struct StepTimer {
    at_ms: u64,
    started: Instant,
}

impl StepTimer {
    pub fn start(clock: &RunClock) -> Self {
        StepTimer {
            at_ms: clock.at_ms(),
            started: Instant::now(),
        }
    }

    pub fn at_ms(&self) -> u64 {
        self.at_ms
    }

    pub fn elapsed_ms(&self) -> u64 {
        millis(self.started.elapsed())
    }
}
