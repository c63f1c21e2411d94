//! What every step of a crawl shares: the client, the request budget and deadline, the cutoff
//! (re-read while the crawl runs), and the counters the run's summary reports per tier.

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use precog::db::rejects::{self, NewRejected};
use precog::domain::history::Tier;
use precog::kalshi::history::Cutoff;
use precog::kalshi::{KalshiClient, Rejection};
use precog::runner::Run;
use serde::Serialize;
use serde_json::value::RawValue;
use sqlx::{PgConnection, PgPool};
use tokio::time::Instant;

/// Why a crawl stopped before the end: not a failure, the next invocation resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    #[error("the invocation's request cap is spent")]
    RequestCap,
    #[error("the invocation's deadline is near")]
    Deadline,
}

/// Counters for one tier.
#[derive(Debug, Default, Clone, Serialize)]
pub struct TierStats {
    pub requests: u64,
    pub pages: u64,
    pub trades_seen: u64,
    pub trades_new: u64,
    pub candles_seen: u64,
    pub candles_written: u64,
    pub rejected: u64,
}

/// What an invocation reports.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Stats {
    pub historical: TierStats,
    pub live: TierStats,
    /// Market listings and the cutoff.
    pub catalog_requests: u64,
    pub markets_selected: u64,
    /// Of those, the ones only the historical tier still serves.
    pub markets_archived: u64,
    pub catalog_markets_written: u64,
    /// `market_snapshots` rows replayed from 1-minute candles (`materialise_snapshots`).
    pub snapshots_materialised: u64,
    pub cutoff: Option<DateTime<Utc>>,
    pub cutoff_reads: u64,
    /// Times the cutoff was found to have moved during the crawl.
    pub cutoff_moves: u64,
    /// Set when the crawl stopped early; the next invocation continues from the watermarks.
    pub stopped: Option<Stop>,
    pub complete: bool,
}

impl Stats {
    pub fn tier(&mut self, tier: Tier) -> &mut TierStats {
        match tier {
            Tier::Historical => &mut self.historical,
            Tier::Live => &mut self.live,
        }
    }
}

/// Stop asking Kalshi for more when less than this is left before the deadline: one request
/// (with its retries) and the page's commit must fit.
pub const DEADLINE_SLACK: Duration = Duration::from_secs(2);

pub struct Crawl<'a> {
    pub pool: &'a PgPool,
    pub kalshi: &'a KalshiClient,
    pub run: &'a Run,
    pub stats: Stats,
    max_requests: u64,
    requests: u64,
    cutoff: Option<(Cutoff, Instant)>,
    cutoff_ttl: Duration,
}

impl<'a> Crawl<'a> {
    pub fn new(
        pool: &'a PgPool,
        kalshi: &'a KalshiClient,
        run: &'a Run,
        max_requests: u64,
        cutoff_ttl: Duration,
    ) -> Self {
        Self {
            pool,
            kalshi,
            run,
            stats: Stats::default(),
            max_requests,
            requests: 0,
            cutoff: None,
            cutoff_ttl,
        }
    }

    /// Accounts for one request to `tier` (`None`: the catalog), or says why not to make it.
    pub fn spend(&mut self, tier: Option<Tier>) -> Result<(), Stop> {
        if self.requests >= self.max_requests {
            return Err(Stop::RequestCap);
        }
        if self.run.remaining() < DEADLINE_SLACK {
            return Err(Stop::Deadline);
        }
        self.requests += 1;
        match tier {
            Some(tier) => self.stats.tier(tier).requests += 1,
            None => self.stats.catalog_requests += 1,
        }
        Ok(())
    }

    /// The boundary between the tiers, re-read when older than the TTL so a cutoff that moves
    /// during a long crawl moves the split of the markets still to come.
    pub async fn cutoff(&mut self) -> anyhow::Result<Cutoff> {
        if let Some((cutoff, read_at)) = &self.cutoff {
            if read_at.elapsed() < self.cutoff_ttl {
                return Ok(cutoff.clone());
            }
        }
        self.spend(None)?;
        let fresh = self
            .kalshi
            .historical_cutoff()
            .await
            .context("reading Kalshi's historical cutoff")?;
        self.stats.cutoff_reads += 1;
        if let Some((old, _)) = &self.cutoff {
            if old.trades_created_ts != fresh.trades_created_ts {
                tracing::info!(from = %old.trades_created_ts, to = %fresh.trades_created_ts, "the historical cutoff moved; splitting the remaining markets at the new one");
                self.stats.cutoff_moves += 1;
            }
        }
        self.stats.cutoff = Some(fresh.trades_created_ts);
        self.cutoff = Some((fresh.clone(), Instant::now()));
        Ok(fresh)
    }

    /// Keeps records that did not parse, raw, in the page's transaction.
    pub async fn reject(
        &mut self,
        conn: &mut PgConnection,
        source: &'static str,
        tier: Tier,
        rejected: Vec<(Rejection, Box<RawValue>)>,
    ) -> anyhow::Result<()> {
        if rejected.is_empty() {
            return Ok(());
        }
        let records: Vec<NewRejected> = rejected
            .into_iter()
            .map(|(why, raw)| {
                tracing::warn!(source, key = why.key.as_deref().unwrap_or(""), reason = %why, "rejected an upstream record");
                NewRejected {
                    source,
                    natural_key: why.key.clone(),
                    reason: why.to_string(),
                    raw: serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null),
                }
            })
            .collect();
        let n = records.len() as u64;
        rejects::upsert(conn, self.run.id, &records)
            .await
            .context("keeping rejected records")?;
        self.stats.tier(tier).rejected += n;
        self.run.add_rejected(n);
        Ok(())
    }
}

/// Splits parsed records from refusals.
pub fn split<T>(
    parsed: impl IntoIterator<Item = Result<T, (Rejection, Box<RawValue>)>>,
) -> (Vec<T>, Vec<(Rejection, Box<RawValue>)>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for item in parsed {
        match item {
            Ok(value) => good.push(value),
            Err(why) => bad.push(why),
        }
    }
    (good, bad)
}
