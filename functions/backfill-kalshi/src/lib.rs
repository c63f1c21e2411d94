//! `backfill-kalshi`: Kalshi's history from day one. Reads the cutoff between Kalshi's live and
//! historical tiers, lists the selected markets in both (recording archived ones in the catalog),
//! then pages every printed trade and the candlesticks of each market into PostgreSQL, one
//! transaction per page with its watermark. A crash, the deadline or the request cap stops it
//! between pages; the next invocation resumes there.
#![forbid(unsafe_code)]

/// Candlesticks: the batch endpoint for live markets, one request per window for archived ones.
mod candles;
/// The crawl's shared state: request cap, deadline, cutoff, counters per tier.
mod crawl;
/// The event a schedule or a person sends.
mod event;
/// The markets a run covers, from both tiers, recorded in the catalog.
mod select;
/// 1-minute candles replayed as `source = 'backfill'` snapshots, before our own began.
mod snapshots;
/// Printed trades, split across the cutoff.
mod trades;

use std::time::Duration;

use precog::config::ConfigError;
use precog::kalshi::{KalshiClient, KalshiSettings};
use precog::runner::{Function, NoArgs, Run, Setup};
use sqlx::PgPool;

pub use crawl::{Stats, Stop, TierStats};
pub use event::{BackfillEvent, What, DEFAULT_MAX_REQUESTS, DEFAULT_SERIES};
pub use trades::OVERLAP;

/// How often a running crawl re-reads the cutoff.
pub const CUTOFF_TTL: Duration = Duration::from_secs(300);

pub struct BackfillKalshi {
    pool: PgPool,
    kalshi: KalshiClient,
    cutoff_ttl: Duration,
}

impl BackfillKalshi {
    pub fn new(pool: PgPool, kalshi: KalshiClient) -> Self {
        Self {
            pool,
            kalshi,
            cutoff_ttl: CUTOFF_TTL,
        }
    }

    /// Re-reads the cutoff this often instead (tests move it mid-crawl).
    pub fn with_cutoff_ttl(mut self, ttl: Duration) -> Self {
        self.cutoff_ttl = ttl;
        self
    }

    /// Reads Kalshi's settings from the environment; the pool and client live for the process.
    pub fn build(setup: Setup<NoArgs>) -> Result<Self, ConfigError> {
        let settings = KalshiSettings::from_env(&setup.env)?;
        let kalshi = settings.client().map_err(|e| {
            ConfigError::new("KALSHI_API_BASE", format!("building the HTTP client: {e}"))
        })?;
        Ok(Self::new(setup.pool, kalshi))
    }
}

impl Function for BackfillKalshi {
    const NAME: &'static str = "backfill-kalshi";
    /// A crawl is resumable, so a long budget only saves invocations.
    const DEFAULT_MAX_SECONDS: u64 = 840;
    type Event = BackfillEvent;
    type Details = Stats;

    async fn handle(&self, event: BackfillEvent, run: &Run) -> anyhow::Result<Stats> {
        let mut crawl = crawl::Crawl::new(
            &self.pool,
            &self.kalshi,
            run,
            event.max_requests(),
            self.cutoff_ttl,
        );
        match steps(&mut crawl, &event).await {
            Ok(()) => crawl.stats.complete = true,
            Err(e) => match e.downcast_ref::<Stop>() {
                Some(stop) => {
                    tracing::info!(reason = %stop, "stopping early; the next run resumes from the watermarks");
                    crawl.stats.stopped = Some(*stop);
                }
                None => return Err(e),
            },
        }
        Ok(crawl.stats)
    }
}

async fn steps(crawl: &mut crawl::Crawl<'_>, event: &BackfillEvent) -> anyhow::Result<()> {
    crawl.cutoff().await?;
    let targets = select::targets(crawl, event).await?;
    if event.what.trades() {
        trades::crawl(crawl, &targets).await?;
    }
    if event.what.candles() {
        candles::crawl(crawl, &targets, event.period).await?;
    }
    if event.materialise_snapshots {
        snapshots::materialise(crawl, &targets).await?;
    }
    Ok(())
}
