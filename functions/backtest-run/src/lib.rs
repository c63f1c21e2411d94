//! `backtest-run`: replays stored Kalshi snapshots through a strategy (or a sweep of its
//! parameters) with Kalshi's fees and settlement, and stores each backtest as data.
#![forbid(unsafe_code)]

/// PostgreSQL's binary COPY format, decoded.
pub mod copy;
/// Cash, positions, fills and executions of one backtest.
pub mod engine;
/// The event a person or schedule sends.
pub mod event;
/// Kalshi's trading fee.
pub mod fees;
/// The game a market is about, as of an instant.
pub mod game;
/// Metrics and their conventions.
pub mod metrics;
/// Strategy parameters and sweeps.
pub mod params;
/// The `--plot` picture.
pub mod plot;
/// Markets and snapshots from PostgreSQL into the engines.
pub mod replay;
/// The rows a backtest leaves behind.
pub mod store;
/// The registry of strategies (one file each).
pub mod strategies;
/// The trait strategies implement and what they see.
pub mod strategy;

use std::path::PathBuf;

use precog::config::ConfigError;
use precog::runner::{Function, Run, Setup};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

pub use event::BacktestEvent;

/// The code's git commit, baked in by build.rs.
pub const VERSION: &str = env!("BACKTEST_GIT_COMMIT");

/// Once-mode flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// Draw the equity curve and drawdown to this PNG (the best-ranked combination of a sweep).
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

pub struct BacktestRun {
    pool: PgPool,
    plot: Option<PathBuf>,
}

impl BacktestRun {
    pub fn new(pool: PgPool, plot: Option<PathBuf>) -> Self {
        Self { pool, plot }
    }

    pub fn build(setup: Setup<Args>) -> Result<Self, ConfigError> {
        Ok(Self::new(setup.pool, setup.args.plot))
    }
}

/// One combination's headline, in the summary, best first.
#[derive(Debug, Clone, Serialize)]
pub struct Ranked {
    pub rank: usize,
    pub id: Uuid,
    pub params: Value,
    pub net_pnl: Decimal,
    pub fees_paid: Decimal,
    pub trades: usize,
    pub sharpe: Option<Decimal>,
    pub max_drawdown: Decimal,
    pub win_rate: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Details {
    pub strategy: String,
    pub version: &'static str,
    pub combinations: usize,
    /// Which snapshots and game states were replayed (`live`, `backfill`, `both`).
    pub quotes: event::Sources,
    pub game_states: event::Sources,
    #[serde(flatten)]
    pub coverage: replay::Coverage,
    pub results: Vec<Ranked>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plot: Option<String>,
}

impl Function for BacktestRun {
    const NAME: &'static str = "backtest-run";
    type Event = BacktestEvent;
    type Details = Details;

    /// Backtests only read shared data and write their own rows: different backtests run
    /// side by side; only the very same event waits for itself.
    fn lock_key(event: &BacktestEvent) -> String {
        format!(
            "{}/{}/{}/{}/{:?}/{:?}/{}/{}/{}/{:?}",
            Self::NAME,
            event.strategy,
            Value::Object(event.params.clone()),
            event.selection(),
            event.start,
            event.end,
            event.quotes.as_str(),
            event.game_states.as_str(),
            event.max_quote_age_seconds,
            event.limit_fills
        )
    }

    async fn handle(&self, event: BacktestEvent, run: &Run) -> anyhow::Result<Details> {
        let details = backtest(&self.pool, &event, run.id, self.plot.as_deref(), || {
            run.remaining().is_zero()
        })
        .await?;
        run.add_written(details.results.len() as u64);
        Ok(details)
    }
}

/// The whole backtest: build every combination, replay once for all, store each, rank.
pub async fn backtest(
    pool: &PgPool,
    event: &BacktestEvent,
    run_id: Uuid,
    plot: Option<&std::path::Path>,
    out_of_time: impl Fn() -> bool,
) -> anyhow::Result<Details> {
    use anyhow::Context;

    let combos = event.combinations()?;
    let settings = engine::Settings {
        starting_cash: event.starting_cash,
        respect_top_of_book_size: event.respect_top_of_book_size,
        fees: event.fees,
        max_quote_age_seconds: event.max_quote_age_seconds,
        limit_fills: event.limit_fills,
    };
    let mut engines = Vec::with_capacity(combos.len());
    for combo in &combos {
        let strategy = strategies::build(&event.strategy, params::Params::new(combo.clone()))?;
        engines.push(engine::Engine::new(strategy, settings.clone()));
    }
    let selection = replay::Selection {
        series: event.series.clone(),
        events: event.events.clone(),
        tickers: event.tickers.clone(),
    };
    let markets = replay::load_markets(pool, &selection)
        .await
        .context("loading the selected markets")?;
    let data = replay::Data {
        window: replay::read::Window {
            start: event.start,
            end: event.end,
        },
        quotes: event.quotes,
        game_states: event.game_states,
        trades: event.limit_fills == engine::LimitFills::Trades,
    };
    let coverage = replay::run(pool, &markets, data, &mut engines, out_of_time)
        .await
        .context("replaying snapshots and game states")?;

    let mut scored: Vec<(usize, metrics::Metrics)> = engines
        .iter()
        .enumerate()
        .map(|(i, e)| (i, metrics::compute(e, coverage.start, coverage.end)))
        .collect();
    // Best net P&L first; ties keep the sweep's order, so the ranking is deterministic.
    scored.sort_by(|a, b| b.1.net_pnl.cmp(&a.1.net_pnl).then(a.0.cmp(&b.0)));

    let selection_json = event.selection();
    let mut results = Vec::with_capacity(scored.len());
    for (rank0, (i, m)) in scored.iter().enumerate() {
        let id = Uuid::new_v4();
        let params = Value::Object(combos[*i].clone());
        let header = store::Header {
            id,
            run_id,
            strategy: &event.strategy,
            version: VERSION,
            params: &params,
            selection: &selection_json,
            start: event.start,
            end: event.end,
            rank: rank0 + 1,
            coverage: &coverage,
            quotes: event.quotes,
            game_states: event.game_states,
        };
        store::save(pool, &header, &engines[*i], m, &markets)
            .await
            .context("storing a backtest")?;
        results.push(Ranked {
            rank: rank0 + 1,
            id,
            params,
            net_pnl: m.net_pnl,
            fees_paid: m.fees_paid,
            trades: m.trades,
            sharpe: m.sharpe,
            max_drawdown: m.max_drawdown,
            win_rate: m.win_rate,
        });
    }
    let plotted = match (plot, scored.first()) {
        (Some(path), Some((best, _))) => {
            let title = format!(
                "{} {}",
                event.strategy,
                Value::Object(combos[*best].clone())
            );
            plot::draw(path, &title, &store::equity_curve(&engines[*best]))
                .context("drawing the plot")?;
            Some(path.display().to_string())
        }
        _ => None,
    };
    Ok(Details {
        strategy: event.strategy.clone(),
        version: VERSION,
        combinations: combos.len(),
        quotes: event.quotes,
        game_states: event.game_states,
        coverage,
        results,
        plot: plotted,
    })
}
