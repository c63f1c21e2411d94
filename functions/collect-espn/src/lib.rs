//! `collect-espn`: one pass reads each requested league's ESPN scoreboard for the US-Eastern day,
//! reads the summaries of live games whose win probability lives there (within ESPN's request
//! budget), upserts the games and stores every game state that changed; while any of those games
//! is live the pass repeats every `live_interval_seconds` until the deadline.
#![forbid(unsafe_code)]

/// One pass over the requested leagues.
mod collector;
/// The event a schedule or a person sends.
mod event;
/// Which live games' summaries a pass reads, within ESPN's request budget.
mod summaries;

use std::collections::HashSet;
use std::sync::Mutex;

use anyhow::Context;
use precog::config::ConfigError;
use precog::espn::{EspnClient, EspnSettings};
use precog::runner::{Function, NoArgs, Run, Setup};
use precog::schedule::Passes;
use sqlx::PgPool;

pub use collector::PassStats;
pub use event::CollectEvent;

pub struct CollectEspn {
    pool: PgPool,
    espn: EspnClient,
    /// Status names outside ESPN's known set, logged once per process rather than every pass.
    unknown_statuses: Mutex<HashSet<String>>,
    /// The win probabilities read from summaries, and when: the cadence outlives an invocation
    /// when the process does (a warm Lambda environment).
    summary_memory: Mutex<summaries::Memory>,
}

impl CollectEspn {
    pub fn new(pool: PgPool, espn: EspnClient) -> Self {
        Self {
            pool,
            espn,
            unknown_statuses: Mutex::new(HashSet::new()),
            summary_memory: Mutex::new(summaries::Memory::default()),
        }
    }

    /// Reads ESPN's settings from the environment; the pool and client live for the process.
    pub fn build(setup: Setup<NoArgs>) -> Result<Self, ConfigError> {
        let settings = EspnSettings::from_env(&setup.env)?;
        let espn = settings.client().map_err(|e| {
            ConfigError::new("ESPN_API_BASE", format!("building the HTTP client: {e}"))
        })?;
        Ok(Self::new(setup.pool, espn))
    }
}

/// What an invocation reports: the passes it made, their totals, and the last pass's live games.
#[derive(Debug, Default, serde::Serialize)]
pub struct Details {
    pub passes: u32,
    pub live_games: u64,
    #[serde(flatten)]
    pub totals: PassStats,
    /// The game linker's counts for the pass's games (docs/linking.md).
    pub linking: precog::linking::LinkStats,
}

impl Function for CollectEspn {
    const NAME: &'static str = "collect-espn";
    type Event = CollectEvent;
    type Details = Details;

    /// A run over a subset of leagues locks separately from the scheduled all-league run; both
    /// write idempotently, so overlapping is harmless, only wasteful.
    fn lock_key(event: &CollectEvent) -> String {
        match &event.leagues {
            Some(_) => format!("{}/leagues:{}", Self::NAME, event.leagues().join(",")),
            None => Self::NAME.to_owned(),
        }
    }

    async fn handle(&self, event: CollectEvent, run: &Run) -> anyhow::Result<Details> {
        let mut details = Details::default();
        let collector = collector::Collector {
            pool: &self.pool,
            espn: &self.espn,
            event: &event,
            run,
            unknown_statuses: &self.unknown_statuses,
            summary_memory: &self.summary_memory,
        };
        let interval = event.live_interval();
        let mut passes = Passes::new(run.deadline());
        while passes.next().await {
            let stats = collector.pass().await?;
            details.passes += 1;
            details.live_games = stats.live_games;
            details.totals.add(&stats);
            if stats.live_games > 0 {
                passes.repeat_after(interval);
            }
        }
        // The games are committed; now tie them to the Kalshi markets already stored.
        let options = precog::linking::LinkOptions {
            relink: event.relink,
        };
        details.linking = precog::linking::run(&self.pool, None, run.id, options)
            .await
            .context("linking games to markets")?;
        Ok(details)
    }
}
