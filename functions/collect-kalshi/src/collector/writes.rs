//! Page writes in flight: up to [`PAGE_WRITERS`] at once, each in its own transaction on its own
//! connection. The database then works on one page while the next is fetched and prepared and,
//! with a core to spare, on two pages at once (README, collect-kalshi's "Benchmark").
//!
//! Pages of one pass hold different markets, except when Kalshi's open set shifts under the
//! cursor and a market is listed twice. Two writes of one market then take its `markets` row in
//! turn: each page locks its rows in ticker order, so the second waits and cannot deadlock.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Utc};
use precog::db::markets::{PageWrite, PageWriter, PreparedPage};
use precog::db::rejects::{self, NewRejected};
use precog::runner::Run;
use serde_json::value::RawValue;
use sqlx::PgPool;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::PassStats;

/// Connections writing pages at once. Two keep a database core busy while the collector parses,
/// and use a second one when there is one; more would mostly wait on each other's locks and
/// on the pool (4 connections per process).
pub(super) const PAGE_WRITERS: usize = 2;

/// One page to write: markets, snapshots and rejects, in one transaction.
pub(super) struct PageJob {
    pub page: PreparedPage,
    pub depth: HashMap<String, Box<RawValue>>,
    pub rejected: Vec<NewRejected>,
    pub observed_at: DateTime<Utc>,
    pub heartbeat_minutes: u32,
    pub run_id: Uuid,
}

struct Finished {
    writer: PageWriter,
    written: PageWrite,
    rejected: u64,
    seconds: f64,
}

#[derive(Default)]
pub(super) struct PageWrites {
    idle: Vec<PageWriter>,
    running: JoinSet<anyhow::Result<Finished>>,
}

impl PageWrites {
    /// Starts writing `job`, first waiting for a running write when every writer is busy.
    pub(super) async fn start(
        &mut self,
        pool: &PgPool,
        job: PageJob,
        run: &Run,
        stats: &mut PassStats,
    ) -> anyhow::Result<()> {
        let writer = match self.idle.pop() {
            Some(writer) => writer,
            // Every writer is idle or running: a failed write's was dropped with it.
            None if self.running.len() < PAGE_WRITERS => PageWriter::acquire(pool).await?,
            None => self
                .join_one(run, stats)
                .await?
                .context("no write running")?,
        };
        self.running.spawn(write(writer, job));
        Ok(())
    }

    /// Waits for every running write; its counts go to `stats` and the run.
    pub(super) async fn finish(&mut self, run: &Run, stats: &mut PassStats) -> anyhow::Result<()> {
        while let Some(writer) = self.join_one(run, stats).await? {
            self.idle.push(writer);
        }
        Ok(())
    }

    /// The next write to end, counted; its writer is free again. `None` when none runs.
    async fn join_one(
        &mut self,
        run: &Run,
        stats: &mut PassStats,
    ) -> anyhow::Result<Option<PageWriter>> {
        let Some(joined) = self.running.join_next().await else {
            return Ok(None);
        };
        // A failed write's connection is dropped (its transaction rolls back); a later page
        // may open another.
        let done = joined.context("a page write stopped")??;
        stats.write_seconds += done.seconds;
        stats.markets_changed += done.written.markets_changed;
        stats.snapshots_inserted += done.written.snapshots_inserted;
        stats.rejected += done.rejected;
        run.add_written(done.written.markets_changed + done.written.snapshots_inserted);
        run.add_rejected(done.rejected);
        Ok(Some(done.writer))
    }
}

async fn write(mut writer: PageWriter, job: PageJob) -> anyhow::Result<Finished> {
    let started = Instant::now();
    let mut tx = writer.begin().await?;
    let written = tx
        .write_page(
            &job.page,
            &job.depth,
            job.observed_at,
            job.heartbeat_minutes,
        )
        .await
        .context("writing a page of markets")?;
    rejects::upsert(tx.conn(), job.run_id, &job.rejected)
        .await
        .context("keeping rejected markets")?;
    tx.commit().await?;
    Ok(Finished {
        seconds: started.elapsed().as_secs_f64(),
        writer,
        written,
        rejected: job.rejected.len() as u64,
    })
}
