//! `collect-kalshi`: one pass snapshots every open Kalshi market (or the series/tickers the event
//! names) into PostgreSQL, follows markets that left the open set until their result is final,
//! and with `interval_seconds` repeats the pass until the deadline.
#![forbid(unsafe_code)]

/// One pass: pages of markets, the catalog they need, depth, settlement follow-up.
mod collector;
/// The event a schedule or a person sends.
mod event;

use precog::config::ConfigError;
use precog::kalshi::{KalshiClient, KalshiSettings};
use precog::runner::{Function, NoArgs, Run, Setup};
use precog::schedule::Passes;
use sqlx::PgPool;

pub use collector::PassStats;
pub use event::CollectEvent;

pub struct CollectKalshi {
    pool: PgPool,
    kalshi: KalshiClient,
}

impl CollectKalshi {
    pub fn new(pool: PgPool, kalshi: KalshiClient) -> Self {
        Self { pool, kalshi }
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

/// What an invocation reports: the passes it made and their totals.
#[derive(Debug, Default, serde::Serialize)]
pub struct Details {
    pub passes: u32,
    #[serde(flatten)]
    pub totals: PassStats,
}

impl Function for CollectKalshi {
    const NAME: &'static str = "collect-kalshi";
    type Event = CollectEvent;
    type Details = Details;

    /// The full pass, each series selection and ticker look-ups lock separately, so a game-window
    /// loop does not make the 5-minute pass skip; their writes are idempotent upserts either way.
    fn lock_key(event: &CollectEvent) -> String {
        if !event.series.is_empty() {
            format!("{}/series:{}", Self::NAME, event.series.join(","))
        } else if !event.tickers.is_empty() {
            format!("{}/tickers", Self::NAME)
        } else {
            Self::NAME.to_owned()
        }
    }

    async fn handle(&self, event: CollectEvent, run: &Run) -> anyhow::Result<Details> {
        let mut details = Details::default();
        let mut collector = collector::Collector::new(&self.pool, &self.kalshi, &event, run);
        let refreshed = collector.refresh_changed_catalog().await?;
        details.totals.add(&refreshed);
        let mut passes = Passes::new(run.deadline());
        while passes.next().await {
            let stats = collector.pass().await?;
            details.passes += 1;
            details.totals.add(&stats);
            if let Some(interval) = event.interval() {
                passes.repeat_after(interval);
            }
        }
        Ok(details)
    }
}
