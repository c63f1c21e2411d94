//! One invocation, however it was started: parse, lock, ledger, deadline, summary.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use futures::FutureExt;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use tokio::time::Instant;
use tracing::Instrument;
use uuid::Uuid;

use super::event::{parse_event, BadEvent, Event, Trigger};
use crate::db::runs::{self, NewRun, RunOutcome, RunStatus};
use crate::failure::{FailureKind, RunnerFault};

/// A scheduled function: a name, an event type, and a handler that does not know how it runs.
pub trait Function: Send + Sync + 'static {
    /// The name in `collection_runs`, the advisory-lock key and the log span.
    const NAME: &'static str;
    /// The time budget when neither Lambda nor the event sets one.
    const DEFAULT_MAX_SECONDS: u64 = 270;

    type Event: Event;
    /// What the function reports beyond the ledger's counters (pages, passes, …).
    type Details: Serialize + Send;

    /// Does the work. Count rows through [`Run::add_written`] / [`Run::add_rejected`] as they are
    /// committed, so a run that fails half-way still reports what it stored.
    fn handle(
        &self,
        event: Self::Event,
        run: &Run,
    ) -> impl Future<Output = anyhow::Result<Self::Details>> + Send;

    /// The advisory-lock key: invocations with the same key never overlap. Defaults to the name;
    /// a function whose events cover disjoint scopes (a game-window loop beside the 5-minute
    /// pass) can lock per scope.
    fn lock_key(event: &Self::Event) -> String {
        let _ = event;
        Self::NAME.to_owned()
    }
}

/// What a handler knows about its invocation.
#[derive(Debug)]
pub struct Run {
    pub id: Uuid,
    pub trigger: Trigger,
    pub started_at: DateTime<Utc>,
    deadline: Instant,
    written: AtomicU64,
    rejected: AtomicU64,
}

impl Run {
    /// When the handler must have finished its work: the budget less a margin to commit and report.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    pub fn add_written(&self, rows: u64) {
        self.written.fetch_add(rows, Ordering::Relaxed);
    }

    pub fn add_rejected(&self, rows: u64) {
        self.rejected.fetch_add(rows, Ordering::Relaxed);
    }

    pub fn rows_written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    pub fn rows_rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }
}

/// The one JSON document an invocation reports (stdout in once mode, the Lambda response).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub run_id: Uuid,
    pub function: &'static str,
    pub trigger: Trigger,
    pub status: RunStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub rows_written: u64,
    pub rows_rejected: u64,
    /// The error with its whole chain of causes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What kind of failure, when the run failed: upstream, database, bad_input or bug.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_kind: Option<FailureKind>,
    /// The process's peak resident memory so far (Linux), for sizing Lambda memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_kb: Option<u64>,
    pub details: Value,
}

/// How an invocation ended, for the caller to translate once (exit code, Lambda error).
#[derive(Debug)]
pub enum Report {
    /// Ran to the end, or was skipped because another invocation holds the lock.
    Completed(Summary),
    /// Failed; the ledger says why (when the database could be reached at all).
    Failed(Summary),
    /// The event was refused before anything was written.
    Refused(BadEvent),
}

/// Runs one invocation of `function`. `lambda_deadline` is the Lambda context's deadline.
pub async fn invoke<F: Function>(
    function: &F,
    pool: &PgPool,
    payload: Value,
    default_trigger: Trigger,
    lambda_deadline: Option<SystemTime>,
) -> Report {
    let (event, trigger) = match parse_event::<F::Event>(payload, default_trigger) {
        Ok(parsed) => parsed,
        Err(bad) => return Report::Refused(bad),
    };
    let budget = budget(
        event.max_seconds().unwrap_or(F::DEFAULT_MAX_SECONDS),
        lambda_deadline,
    );
    let start = Instant::now();
    let run = Run {
        id: Uuid::new_v4(),
        trigger,
        started_at: Utc::now(),
        deadline: start + budget.saturating_sub(margin(budget)),
        written: AtomicU64::new(0),
        rejected: AtomicU64::new(0),
    };
    let span = tracing::info_span!("invocation", function = F::NAME, run_id = %run.id, trigger = trigger.as_str());
    async {
        let result = guarded(
            function,
            event,
            &run,
            pool,
            start + budget.saturating_sub(budget / 50),
        )
        .await;
        let (status, error, failure_kind, details) = match result {
            Ok(Guarded::Done(details)) => (RunStatus::Ok, None, None, details),
            Ok(Guarded::Skipped) => (RunStatus::Skipped, None, None, Value::Null),
            Err(error) => (
                RunStatus::Failed,
                Some(format!("{error:#}")),
                Some(FailureKind::of(&error)),
                Value::Null,
            ),
        };
        let summary = Summary {
            run_id: run.id,
            function: F::NAME,
            trigger,
            status,
            started_at: run.started_at,
            finished_at: Utc::now(),
            duration_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
            rows_written: run.rows_written(),
            rows_rejected: run.rows_rejected(),
            error,
            failure_kind,
            peak_rss_kb: peak_rss_kb(),
            details,
        };
        match status {
            RunStatus::Failed => {
                tracing::error!(
                    error = summary.error.as_deref().unwrap_or(""),
                    failure_kind = summary.failure_kind.map(FailureKind::as_str),
                    rows_written = summary.rows_written,
                    "invocation failed"
                );
                Report::Failed(summary)
            }
            _ => {
                tracing::info!(
                    status = status.as_str(),
                    rows_written = summary.rows_written,
                    rows_rejected = summary.rows_rejected,
                    "invocation finished"
                );
                Report::Completed(summary)
            }
        }
    }
    .instrument(span)
    .await
}

enum Guarded {
    Done(Value),
    Skipped,
}

/// Lock, ledger row, the handler under a hard timeout, ledger completion.
async fn guarded<F: Function>(
    function: &F,
    event: F::Event,
    run: &Run,
    pool: &PgPool,
    hard_deadline: Instant,
) -> anyhow::Result<Guarded> {
    use anyhow::Context;

    let lock_key = F::lock_key(&event);
    let mut new_run = NewRun {
        id: run.id,
        function: F::NAME,
        trigger: run.trigger.as_str(),
        started_at: run.started_at,
        status: RunStatus::Running,
    };
    let Some(lock) = runs::try_lock(pool, &lock_key)
        .await
        .context("taking the function's lock")?
    else {
        new_run.status = RunStatus::Skipped;
        runs::insert(pool, &new_run)
            .await
            .context("recording the skipped run")?;
        tracing::info!("another invocation holds the lock; skipped");
        return Ok(Guarded::Skipped);
    };
    runs::insert(pool, &new_run)
        .await
        .context("recording the run's start")?;

    let work = AssertUnwindSafe(function.handle(event, run)).catch_unwind();
    let result: anyhow::Result<Value> = match tokio::time::timeout_at(hard_deadline, work).await {
        Err(_elapsed) => Err(RunnerFault::Deadline.into()),
        Ok(Err(panic)) => Err(RunnerFault::Panic(panic_message(&panic)).into()),
        Ok(Ok(Err(error))) => Err(error),
        Ok(Ok(Ok(details))) => serde_json::to_value(details).context("serialising the summary"),
    };
    let (status, error, failure_kind, details) = match &result {
        Ok(details) => (RunStatus::Ok, None, None, details.clone()),
        Err(error) => (
            RunStatus::Failed,
            Some(format!("{error:#}")),
            Some(FailureKind::of(error)),
            Value::Null,
        ),
    };
    runs::finish(
        pool,
        run.id,
        &RunOutcome {
            status,
            rows_written: run.rows_written(),
            rows_rejected: run.rows_rejected(),
            error: error.as_deref(),
            failure_kind: failure_kind.map(FailureKind::as_str),
            summary: &details,
        },
    )
    .await
    .context("recording the run's end")?;
    if let Err(e) = lock.release().await {
        tracing::warn!(error = %e, "releasing the function's lock; it goes with the connection");
    }
    result.map(Guarded::Done)
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic".to_owned())
}

/// `VmHWM` from /proc/self/status: the high-water mark of resident memory.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The invocation's budget: the event's (or default) seconds, capped by Lambda's deadline.
fn budget(max_seconds: u64, lambda_deadline: Option<SystemTime>) -> Duration {
    let own = Duration::from_secs(max_seconds);
    match lambda_deadline.and_then(|d| d.duration_since(SystemTime::now()).ok()) {
        Some(lambda_left) => own.min(lambda_left),
        None => own,
    }
}

/// Time kept back to commit the last batch and write the ledger: 5%, between 1 and 10 seconds.
fn margin(budget: Duration) -> Duration {
    (budget / 20)
        .clamp(Duration::from_secs(1), Duration::from_secs(10))
        .min(budget / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_deadline_caps_the_budget() {
        let in_ten = SystemTime::now() + Duration::from_secs(10);
        assert!(budget(300, Some(in_ten)) <= Duration::from_secs(10));
        assert_eq!(budget(300, None), Duration::from_secs(300));
    }

    #[test]
    fn margin_is_bounded() {
        assert_eq!(margin(Duration::from_secs(300)), Duration::from_secs(10));
        assert_eq!(margin(Duration::from_secs(60)), Duration::from_secs(3));
        assert_eq!(margin(Duration::from_secs(1)), Duration::from_millis(500));
    }
}
