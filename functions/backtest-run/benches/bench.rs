//! Replay benchmark (README, "Benchmark"). Two phases, run as separate processes so each peak RSS
//! is its own:
//!
//! - `backtest-bench replay --rows 10000000`: synthetic snapshots across 1,000 markets generated
//!   chunk by chunk in memory and driven through one `threshold_hold` engine; times only the
//!   engine (snapshot events/s). Every market settles at the window's end (even markets YES), so
//!   the P&L is comparable with other tools (`compare.py`, same data, same signal).
//! - `backtest-bench e2e --rows 10000000`: the same shape stored in PostgreSQL (generated
//!   server-side once, reused), then a full `backtest()` from the database: stream, replay,
//!   metrics, storage.
//!
//! - `replay --game-states N`, `read`, `e2e-games`, `sweep`: the game-aware phases (games.rs).
//!
//! PostgreSQL is `DATABASE_URL` when set, else a local cluster under `--pg-dir`.

mod games;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use clap::{Parser, Subcommand};
use rust_decimal::Decimal;
use serde_json::json;

use backtest_run::engine::{Engine, Item, MarketMeta, Settings};
use backtest_run::fees::{FeeModel, FeeSchedule};
use backtest_run::game::GameLink;
use backtest_run::strategy::{Quote, Snapshot};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    phase: Phase,
    /// Snapshots in total.
    #[arg(long, global = true, default_value_t = 10_000_000)]
    rows: u64,
    /// Markets the snapshots are spread over.
    #[arg(long, global = true, default_value_t = 1000)]
    markets: u64,
    /// `series` (Kalshi's quadratic taker fee) or `zero` (to compare with tools without it).
    #[arg(long, global = true, default_value = "series")]
    fees: FeeModel,
    /// `replay`: game states merged in (0: snapshots only, through threshold_hold).
    #[arg(long, global = true, default_value_t = 0)]
    game_states: u64,
    /// `sweep`: games in the stored season.
    #[arg(long, global = true, default_value_t = 300)]
    games: i64,
    /// `read`: which stored data set (`BENCH`, snapshots only; `BGAME`, the season); default both.
    #[arg(long, global = true)]
    series: Option<String>,
    /// Local cluster directory when DATABASE_URL is not set.
    #[arg(long, global = true, default_value = "/tmp/precog-backtest-bench")]
    pg_dir: PathBuf,
}

#[derive(Subcommand)]
enum Phase {
    Replay,
    E2e,
    /// The window read alone (COPY + decode + merge) of both stored data sets.
    Read,
    E2eGames,
    Sweep,
}

pub(crate) fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default()
}

/// The synthetic YES bid of row `i`, in cents: a slow wave per market, 5..=93. The SQL generator
/// below computes the same value.
pub(crate) fn bid_cents(i: u64, markets: u64) -> i64 {
    let market = i % markets;
    let step = i / markets;
    5 + ((step / 7 + market * 13) % 89) as i64
}

pub(crate) fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn event_params() -> serde_json::Map<String, serde_json::Value> {
    json!({"side": "yes", "max_entry_price": "0.10", "contracts": 10})
        .as_object()
        .cloned()
        .unwrap_or_default()
}

/// An engine running `strategy` with `params`, the bench's cash and the default fill rules.
fn bench_engine(
    strategy: &str,
    params: serde_json::Map<String, serde_json::Value>,
    fees: FeeModel,
) -> anyhow::Result<Engine> {
    let strategy =
        backtest_run::strategies::build(strategy, backtest_run::params::Params::new(params))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Engine::new(
        strategy,
        Settings {
            starting_cash: Decimal::from(1_000_000),
            respect_top_of_book_size: true,
            fees,
            max_quote_age_seconds: 3900,
            limit_fills: Default::default(),
        },
    ))
}

/// Bench market `m`: even ones settle YES, odd ones NO, all at `end`.
fn bench_market(m: u64, end: DateTime<Utc>, game: Option<GameLink>) -> MarketMeta {
    MarketMeta {
        ticker: format!("BENCH-{m:04}"),
        fees: FeeSchedule::default(),
        result: Some(if m % 2 == 0 { "yes" } else { "no" }.to_owned()),
        determined_at: Some(end),
        yes_payout: Some(if m % 2 == 0 {
            Decimal::ONE
        } else {
            Decimal::ZERO
        }),
        notional: Decimal::ONE,
        settle_at: Some(end),
        game,
    }
}

fn replay(rows: u64, markets: u64, fees: FeeModel) -> anyhow::Result<serde_json::Value> {
    let end = t0() + Duration::seconds(rows.div_ceil(markets) as i64 * 60);
    let metas: Vec<MarketMeta> = (0..markets).map(|m| bench_market(m, end, None)).collect();
    let mut engines = vec![bench_engine("threshold_hold", event_params(), fees)?];
    engines[0].begin(t0());
    let mut engine_time = std::time::Duration::ZERO;
    let mut i = 0u64;
    let size = Some(Decimal::from(100));
    while i < rows {
        let n = (rows - i).min(8192);
        let chunk: Vec<Item> = (i..i + n)
            .map(|j| {
                let bid = Decimal::new(bid_cents(j, markets), 2);
                let ask = bid + Decimal::new(2, 2);
                Item::Snapshot(Snapshot {
                    id: j as i64,
                    market: (j % markets) as u32,
                    at: t0() + Duration::seconds((j / markets) as i64 * 60),
                    tradable: true,
                    quote: Quote {
                        yes_bid: Some(bid),
                        yes_ask: Some(ask),
                        no_bid: Some(Decimal::ONE - ask),
                        no_ask: Some(Decimal::ONE - bid),
                        yes_bid_size: size,
                        yes_ask_size: size,
                    },
                })
            })
            .collect();
        let started = Instant::now();
        backtest_run::replay::drive(&mut engines, &chunk, &metas);
        engine_time += started.elapsed();
        i += n;
    }
    let settlements: Vec<Item> = (0..markets as u32).map(|m| Item::Settle(m, end)).collect();
    backtest_run::replay::drive(&mut engines, &settlements, &metas);
    engines[0].finish(end);
    let m = backtest_run::metrics::compute(&engines[0], t0(), end);
    Ok(json!({
        "phase": "replay",
        "rows": rows,
        "markets": markets,
        "fees": fees,
        "engine_seconds": engine_time.as_secs_f64(),
        "snapshot_events_per_second": rows as f64 / engine_time.as_secs_f64(),
        "trades": m.trades,
        "gross_pnl": m.gross_pnl,
        "fees_paid": m.fees_paid,
        "net_pnl": m.net_pnl,
        "peak_rss_mib": peak_rss_mib(),
    }))
}

async fn connect(cli: &Cli) -> anyhow::Result<sqlx::PgPool> {
    let url = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            let cluster = precog::pgcluster::LocalCluster::ensure(&cli.pg_dir)
                .await
                .context("starting the bench cluster")?;
            cluster.database("backtest_bench").await?
        }
    };
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect(&url)
        .await?;
    precog::db::MIGRATOR.run(&pool).await?;
    Ok(pool)
}

async fn e2e(cli: &Cli) -> anyhow::Result<serde_json::Value> {
    let pool = connect(cli).await?;
    let have: i64 = sqlx::query_scalar(
        "select count(*) from market_snapshots where ticker like 'BENCH-%' and source = 'rest'",
    )
    .fetch_one(&pool)
    .await?;
    let loaded = Instant::now();
    if have != cli.rows as i64 {
        eprintln!("loading {} synthetic snapshots (once)…", cli.rows);
        sqlx::query("delete from market_snapshots where ticker like 'BENCH-%'")
            .execute(&pool)
            .await?;
        sqlx::query("delete from markets where ticker like 'BENCH-%'")
            .execute(&pool)
            .await?;
        sqlx::query("insert into series (ticker, fee_type, fee_multiplier, raw) values ('BENCH', 'quadratic', 1, '{}') on conflict do nothing")
            .execute(&pool)
            .await?;
        let last = t0() + Duration::seconds((cli.rows / cli.markets) as i64 * 60);
        // Every tenth market settles half-way through; the rest just after the window.
        sqlx::query(
            "insert into markets (ticker, event_ticker, series_ticker, market_type, status, result,
                                  settlement_ts, determined_at, notional_value, raw)
             select format('BENCH-%s', lpad(m::text, 4, '0')), 'BENCH-EV', 'BENCH', 'binary', 'finalized',
                    case when m % 2 = 0 then 'yes' else 'no' end,
                    case when m % 10 = 0 then $1 + ($2 - $1) / 2 else $2 + interval '1 minute' end,
                    case when m % 10 = 0 then $1 + ($2 - $1) / 2 else $2 + interval '1 minute' end,
                    1, '{}'
               from generate_series(0, $3 - 1) m",
        )
        .bind(t0())
        .bind(last)
        .bind(cli.markets as i64)
        .execute(&pool)
        .await?;
        sqlx::query(
            "insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask,
                                           no_bid, no_ask, yes_bid_size, yes_ask_size, raw)
             select format('BENCH-%s', lpad((i % $2)::text, 4, '0')),
                    $3 + make_interval(mins => (i / $2)::int), 'rest', 'active',
                    b / 100.0, (b + 2) / 100.0, (98 - b) / 100.0, (100 - b) / 100.0, 100, 100, '{}'
               from (select i, 5 + ((i / $2) / 7 + (i % $2) * 13) % 89 as b
                       from generate_series(0::bigint, $1 - 1) i) g",
        )
        .bind(cli.rows as i64)
        .bind(cli.markets as i64)
        .bind(t0())
        .execute(&pool)
        .await?;
        sqlx::query("vacuum analyze market_snapshots")
            .execute(&pool)
            .await?;
        eprintln!("loaded in {:.1}s", loaded.elapsed().as_secs_f64());
    }
    let event: backtest_run::BacktestEvent = serde_json::from_value(json!({
        "strategy": "threshold_hold", "series": ["BENCH"], "params": event_params(),
        "starting_cash": "1000000",
    }))?;
    let run_id = uuid::Uuid::new_v4();
    sqlx::query("insert into collection_runs (id, function, trigger, started_at, status) values ($1, 'backtest-bench', 'manual', now(), 'running')")
        .bind(run_id)
        .execute(&pool)
        .await?;
    let started = Instant::now();
    let details = backtest_run::backtest(&pool, &event, run_id, None, || false).await?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(json!({
        "phase": "e2e",
        "rows": details.coverage.snapshots,
        "markets": details.coverage.markets,
        "seconds": seconds,
        "snapshots_per_second": details.coverage.snapshots as f64 / seconds,
        "trades": details.results.first().map(|r| r.trades),
        "net_pnl": details.results.first().map(|r| r.net_pnl),
        "peak_rss_mib": peak_rss_mib(),
    }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let report = match cli.phase {
        Phase::Replay if cli.game_states > 0 => {
            games::replay(cli.rows, cli.markets, cli.game_states, cli.fees)?
        }
        Phase::Replay => replay(cli.rows, cli.markets, cli.fees)?,
        Phase::E2e => e2e(&cli).await?,
        Phase::Read => {
            let pool = connect(&cli).await?;
            let mut reads = Vec::new();
            for series in ["BENCH", "BGAME"] {
                if cli.series.as_deref().is_none_or(|s| s == series) {
                    reads.push(games::read(&pool, series).await?);
                }
            }
            json!(reads)
        }
        Phase::E2eGames => games::e2e(&connect(&cli).await?, cli.rows).await?,
        Phase::Sweep => games::sweep(&connect(&cli).await?, cli.games).await?,
    };
    println!("{report}");
    Ok(())
}
