//! `collect-kalshi`: one pass snapshots every open Kalshi market (or the series/tickers the event
//! names) into PostgreSQL, follows markets that left the open set until their result is final,
//! and with `interval_seconds` repeats the pass until the deadline.
#![forbid(unsafe_code)]

/// One pass: pages of markets, the catalog they need, depth, settlement follow-up.
mod collector;
/// The event a schedule or a person sends.
mod event;
/// The `live_games` scope: which markets are about games live now.
pub mod live;
/// Raw records into domain values or kept-aside rejects.
mod parsing;
/// A pass's counts.
mod stats;

use anyhow::Context;
use precog::config::ConfigError;
use precog::kalshi::{KalshiClient, KalshiSettings};
use precog::runner::{Function, NoArgs, Run, Setup};
use precog::schedule::Passes;
use sqlx::PgPool;

pub use event::CollectEvent;
pub use stats::PassStats;

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
    /// With `live_games`: the markets linked to live games at the last look (0: nothing live,
    /// and the invocation ended after that one query).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_markets: Option<usize>,
    #[serde(flatten)]
    pub totals: PassStats,
    /// The game linker's counts for the pass's markets (docs/linking.md).
    pub linking: precog::linking::LinkStats,
}

impl Function for CollectKalshi {
    const NAME: &'static str = "collect-kalshi";
    type Event = CollectEvent;
    type Details = Details;

    /// The full pass, each series selection and ticker look-ups lock separately, so a game-window
    /// loop does not make the 5-minute pass skip; their writes are idempotent upserts either way.
    fn lock_key(event: &CollectEvent) -> String {
        if event.live_games {
            format!("{}/live", Self::NAME)
        } else if !event.series.is_empty() {
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
        if !event.live_games {
            let refreshed = collector.refresh_changed_catalog().await?;
            details.totals.add(&refreshed);
        }
        let mut passes = Passes::new(run.deadline());
        while passes.next().await {
            let stats = if event.live_games {
                // Re-read each pass: games go live and end while the loop runs.
                let tickers = live::linked_tickers(&self.pool)
                    .await
                    .context("reading the markets of live games")?;
                details.live_markets = Some(tickers.len());
                if tickers.is_empty() {
                    break;
                }
                collector.pass_tickers(&tickers).await?
            } else {
                collector.pass().await?
            };
            details.passes += 1;
            details.totals.add(&stats);
            if let Some(interval) = event.interval() {
                passes.repeat_after(interval);
            }
        }
        // The markets are committed; now tie the game series' markets to their ESPN games. Not in
        // the live scope: it polls markets already linked, and with nothing live it must cost one
        // query (the 5-minute pass links).
        if !event.live_games {
            let options = precog::linking::LinkOptions {
                relink: event.relink,
            };
            details.linking = precog::linking::run(&self.pool, Some(&self.kalshi), run.id, options)
                .await
                .context("linking games to markets")?;
        }
        Ok(details)
    }
}
