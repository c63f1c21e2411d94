//! `load-history`: sports history for training (issue 14). Loads public files — nflverse NFL
//! games with closing lines, CollegeBasketballData lines, sportsdataverse ESPN schedules,
//! FiveThirtyEight Elo — into `historical_games`, `historical_odds` and `historical_elo`, and
//! computes Elo the same way where the files stop. docs/sports-history.md has the rules.
#![forbid(unsafe_code)]

/// `{"compute_elo": …}`: FiveThirtyEight's Elo over stored games.
pub mod compute;
/// The event: a file to load, or a computation.
pub mod event;
/// Typed values out of a row's text.
mod fields;
/// The file: bytes, digest, columns, rows.
pub mod input;
/// The load pipeline shared by every file kind.
pub mod load;
/// One module per file kind.
mod sources;

use precog::config::ConfigError;
use precog::runner::{Function, NoArgs, Run, Setup};
use serde::Serialize;
use sqlx::PgPool;

pub use compute::ComputeSummary;
pub use event::{HistoryEvent, Job, Location, SourceKind};
pub use load::LoadSummary;

pub struct LoadHistory {
    pool: PgPool,
    client: reqwest::Client,
}

impl LoadHistory {
    pub fn new(pool: PgPool) -> Result<Self, ConfigError> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("precog-load-history/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                ConfigError::new("load-history", format!("building the HTTP client: {e}"))
            })?;
        Ok(Self { pool, client })
    }

    pub fn build(setup: Setup<NoArgs>) -> Result<Self, ConfigError> {
        Self::new(setup.pool)
    }
}

/// What a run reports: a load or a computation.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Details {
    Load(LoadSummary),
    ComputeElo(ComputeSummary),
}

impl Function for LoadHistory {
    const NAME: &'static str = "load-history";
    /// Whole files; nflverse's is a few seconds' work.
    const DEFAULT_MAX_SECONDS: u64 = 600;
    type Event = HistoryEvent;
    type Details = Details;

    async fn handle(&self, event: HistoryEvent, run: &Run) -> anyhow::Result<Details> {
        match event.job()? {
            Job::Load {
                kind,
                location,
                league,
            } => load::run(&self.pool, &self.client, run, kind, &location, &league)
                .await
                .map(Details::Load),
            Job::ComputeElo {
                league,
                seasons,
                params,
            } => compute::run(&self.pool, run, &league, &seasons, params)
                .await
                .map(Details::ComputeElo),
        }
    }
}
