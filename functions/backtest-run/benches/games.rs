//! The game-aware phases of the benchmark (issue 11):
//!
//! - `replay --game-states N`: the in-memory replay with N game states merged into the snapshots
//!   (two markets per game, states spread evenly in time) through one `espn_edge` engine.
//! - `read`: the window read alone (binary COPY, decode, merge; no engine) for the stored
//!   snapshot-only data set and the season below.
//! - `e2e-games --rows N`: a season shaped like the real thing stored in PostgreSQL (games of
//!   1,260 states, one every 10 s; two moneyline markets a game quoted every 10 s, the price
//!   following ESPN's probability 5 minutes late), then a full `espn_edge` backtest.
//! - `sweep --games 300`: the same season with 300 games, a 27-combination `espn_edge` sweep.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::Duration;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;

use backtest_run::engine::{Item, MarketMeta};
use backtest_run::fees::FeeModel;
use backtest_run::game::{GameEvent, GameLink, GameState, Phase};
use backtest_run::strategy::{Quote, Snapshot};
use precog::domain::{MarketKind, YesSide};

use crate::{bench_engine, bench_market, bid_cents, peak_rss_mib, t0};

/// States per game in the stored season (3.5 hours, one every 10 s).
pub const STATES_PER_GAME: i64 = 1260;

fn params(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// ESPN's home probability in the in-memory replay: a slow wave per game.
fn home_probability(game: u64, step: u64) -> Decimal {
    Decimal::new(5 + ((step / 3 + game * 17) % 90) as i64, 2)
}

pub fn replay(rows: u64, markets: u64, states: u64, fees: FeeModel) -> anyhow::Result<Value> {
    let steps = rows.div_ceil(markets);
    let games = markets / 2;
    let end = t0() + Duration::seconds(steps as i64 * 60);
    let metas: Vec<MarketMeta> = (0..markets)
        .map(|m| {
            let link = GameLink {
                game: (m / 2) as u32,
                espn_event_id: format!("G{}", m / 2),
                kind: MarketKind::Moneyline,
                yes_side: Some(if m % 2 == 0 {
                    YesSide::Home
                } else {
                    YesSide::Away
                }),
                line: None,
                knowable_at: t0() - Duration::hours(1),
            };
            bench_market(m, end, Some(link))
        })
        .collect();
    let mut engines = vec![bench_engine(
        "espn_edge",
        params(json!({"min_edge": "0.05", "contracts": 10})),
        fees,
    )?];
    engines[0].begin(t0());
    let per_step = states / steps.max(1);
    let size = Some(Decimal::from(100));
    let mut last: Vec<Option<Snapshot>> = vec![None; markets as usize];
    let mut engine_time = std::time::Duration::ZERO;
    let (mut chunk, mut events, mut merged) = (Vec::with_capacity(8192), 0u64, 0u64);
    let mut g = 0u64;
    for step in 0..steps {
        let at = t0() + Duration::seconds(step as i64 * 60);
        for m in 0..markets {
            let j = step * markets + m;
            if j >= rows {
                break;
            }
            let bid = Decimal::new(bid_cents(j, markets), 2);
            let ask = bid + Decimal::new(2, 2);
            let snapshot = Snapshot {
                id: j as i64,
                market: m as u32,
                at,
                tradable: true,
                quote: Quote {
                    yes_bid: Some(bid),
                    yes_ask: Some(ask),
                    no_bid: Some(Decimal::ONE - ask),
                    no_ask: Some(Decimal::ONE - bid),
                    yes_bid_size: size,
                    yes_ask_size: size,
                },
            };
            last[m as usize] = Some(snapshot.clone());
            chunk.push(Item::Snapshot(snapshot));
        }
        for k in 0..per_step {
            let game = g % games;
            g += 1;
            let observed_at =
                at + Duration::milliseconds(((k + 1) * 59_000 / (per_step + 1)) as i64);
            let quotes = [2 * game, 2 * game + 1]
                .iter()
                .filter_map(|&m| last[m as usize].clone())
                .collect();
            chunk.push(Item::Game(Arc::new(GameEvent {
                game: game as u32,
                state: GameState {
                    observed_at,
                    phase: Phase::In,
                    period: Some(1 + (step * 4 / steps) as i32),
                    clock_seconds: Some(Decimal::from(900 - (step % 900) as i64)),
                    display_clock: None,
                    home_score: Some(0),
                    away_score: Some(0),
                    possession: None,
                    down: None,
                    distance: None,
                    home_win_probability: Some(home_probability(game, step)),
                    away_win_probability: None,
                    backfilled: false,
                },
                quotes,
            })));
            merged += 1;
        }
        if chunk.len() >= 8192 || step + 1 == steps {
            events += chunk.len() as u64;
            let started = Instant::now();
            backtest_run::replay::drive(&mut engines, &chunk, &metas);
            engine_time += started.elapsed();
            chunk.clear();
        }
    }
    let settlements: Vec<Item> = (0..markets as u32).map(|m| Item::Settle(m, end)).collect();
    backtest_run::replay::drive(&mut engines, &settlements, &metas);
    engines[0].finish(end);
    let m = backtest_run::metrics::compute(&engines[0], t0(), end);
    Ok(json!({
        "phase": "replay",
        "strategy": "espn_edge",
        "rows": rows,
        "game_states": merged,
        "markets": markets,
        "fees": fees,
        "engine_seconds": engine_time.as_secs_f64(),
        "events_per_second": events as f64 / engine_time.as_secs_f64(),
        "trades": m.trades,
        "net_pnl": m.net_pnl,
        "peak_rss_mib": peak_rss_mib(),
    }))
}

/// Stores a season of `games` games (unless already stored): see the module's comment.
pub async fn season(pool: &PgPool, games: i64) -> anyhow::Result<()> {
    let want = games * 2 * STATES_PER_GAME;
    let have: i64 = sqlx::query_scalar(
        "select count(*) from market_snapshots where ticker like 'BG-%' and source = 'rest'",
    )
    .fetch_one(pool)
    .await?;
    if have == want {
        return Ok(());
    }
    let loaded = Instant::now();
    eprintln!("storing a season of {games} games ({want} snapshots)…");
    for statement in [
        "delete from market_snapshots where ticker like 'BG-%'",
        "delete from game_states where espn_event_id like 'BG-%'",
        "delete from game_links where ticker like 'BG-%'",
        "delete from markets where ticker like 'BG-%'",
        "delete from games where espn_event_id like 'BG-%'",
        "insert into series (ticker, fee_type, fee_multiplier, raw)
         values ('BGAME', 'quadratic', 1, '{}') on conflict do nothing",
    ] {
        sqlx::query(statement).execute(pool).await?;
    }
    // Game g starts at t0 + 3 h × g; state k at + 10 s × k; ESPN's home probability is a wave.
    let start = t0();
    sqlx::query(
        "insert into games (espn_event_id, league, scheduled_start, home_team_id, away_team_id,
                            status_state, completed, first_seen_at)
         select 'BG-' || g, 'football/nfl', $1 + g * interval '3 hours', 'H' || g, 'A' || g,
                'post', true, $1 - interval '1 day'
           from generate_series(0, $2 - 1) g",
    )
    .bind(start)
    .bind(games)
    .execute(pool)
    .await?;
    sqlx::query(
        "insert into game_states (espn_event_id, observed_at, status_state, period, clock_seconds,
                                  display_clock, home_score, away_score, home_win_probability,
                                  away_win_probability, win_probability_source, raw)
         select 'BG-' || g, $1 + g * interval '3 hours' + k * interval '10 seconds', 'in',
                1 + (k * 4) / $3, 900 - (k % ($3 / 4)) * 900 / ($3 / 4), null, 0, 0,
                p, 1 - p, 'scoreboard', '{}'
           from generate_series(0, $2 - 1) g, generate_series(0, $3 - 1) k,
                lateral (select round((0.5 + 0.45 * sin(k / 150.0 + g))::numeric, 3) as p) x",
    )
    .bind(start)
    .bind(games)
    .bind(STATES_PER_GAME)
    .execute(pool)
    .await?;
    // Home wins when ESPN's last probability is above one half; settled an hour after the end.
    sqlx::query(
        "insert into markets (ticker, event_ticker, series_ticker, market_type, status, result,
                              settlement_ts, determined_at, notional_value, raw)
         select format('BG-%s-%s', g, side), 'BG-EV', 'BGAME', 'binary', 'finalized',
                case when (sin(($3 - 1) / 150.0 + g) > 0) = (side = 'H') then 'yes' else 'no' end,
                $1 + g * interval '3 hours' + $3 * interval '10 seconds' + interval '1 hour',
                $1 + g * interval '3 hours' + $3 * interval '10 seconds' + interval '1 hour',
                1, '{}'
           from generate_series(0, $2 - 1) g, (values ('H'), ('A')) s (side)",
    )
    .bind(start)
    .bind(games)
    .bind(STATES_PER_GAME)
    .execute(pool)
    .await?;
    sqlx::query(
        "insert into game_links (ticker, event_ticker, series_ticker, league, kind, espn_event_id,
                                 yes_side, status, reason, evidence, knowable_at, matcher_version)
         select format('BG-%s-%s', g, side), 'BG-EV', 'BGAME', 'football/nfl', 'moneyline',
                'BG-' || g, case when side = 'H' then 'home' else 'away' end, 'matched', 'bench',
                '{}', $1 - interval '1 day', 1
           from generate_series(0, $2 - 1) g, (values ('H'), ('A')) s (side)",
    )
    .bind(start)
    .bind(games)
    .execute(pool)
    .await?;
    // Each market quoted 5 s after each state, at ESPN's probability of 5 minutes earlier.
    sqlx::query(
        "insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask,
                                       no_bid, no_ask, yes_bid_size, yes_ask_size, raw)
         select format('BG-%s-%s', g, side),
                $1 + g * interval '3 hours' + k * interval '10 seconds' + interval '5 seconds',
                'rest', 'active', mid - 0.01, mid + 0.01, 0.99 - mid, 1.01 - mid, 100, 100, '{}'
           from generate_series(0, $2 - 1) g, generate_series(0, $3 - 1) k,
                (values ('H'), ('A')) s (side),
                lateral (select round((0.5 + 0.45 * sin(greatest(k - 30, 0) / 150.0 + g))::numeric, 2) as p) x,
                lateral (select least(greatest(case when side = 'H' then p else 1 - p end, 0.02), 0.98) as mid) y",
    )
    .bind(start)
    .bind(games)
    .bind(STATES_PER_GAME)
    .execute(pool)
    .await?;
    sqlx::query("vacuum analyze market_snapshots")
        .execute(pool)
        .await?;
    sqlx::query("vacuum analyze game_states")
        .execute(pool)
        .await?;
    eprintln!("stored in {:.1}s", loaded.elapsed().as_secs_f64());
    Ok(())
}

async fn run_event(pool: &PgPool, event: Value) -> anyhow::Result<(f64, backtest_run::Details)> {
    let event: backtest_run::BacktestEvent = serde_json::from_value(event)?;
    let run_id = uuid::Uuid::new_v4();
    sqlx::query(
        "insert into collection_runs (id, function, trigger, started_at, status)
         values ($1, 'backtest-bench', 'manual', now(), 'running')",
    )
    .bind(run_id)
    .execute(pool)
    .await?;
    let started = Instant::now();
    let details = backtest_run::backtest(pool, &event, run_id, None, || false).await?;
    Ok((started.elapsed().as_secs_f64(), details))
}

/// The window read alone: COPY, decode and merge, no engine.
pub async fn read(pool: &PgPool, series: &str) -> anyhow::Result<Value> {
    let selection = backtest_run::replay::Selection {
        series: vec![series.to_owned()],
        ..Default::default()
    };
    let markets = backtest_run::replay::load_markets(pool, &selection)
        .await
        .context("markets")?;
    let data = backtest_run::replay::Data {
        window: backtest_run::replay::read::Window {
            start: None,
            end: None,
        },
        quotes: backtest_run::event::Sources::Live,
        game_states: backtest_run::event::Sources::Live,
        trades: false,
    };
    let started = Instant::now();
    let coverage = backtest_run::replay::run(pool, &markets, data, &mut [], || false).await?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(json!({
        "phase": "read",
        "series": series,
        "snapshots": coverage.snapshots,
        "game_states": coverage.game_states,
        "seconds": seconds,
        "rows_per_second": (coverage.snapshots + coverage.game_states) as f64 / seconds,
    }))
}

pub async fn e2e(pool: &PgPool, rows: u64) -> anyhow::Result<Value> {
    let games = rows.div_ceil(2 * STATES_PER_GAME as u64) as i64;
    season(pool, games).await?;
    let read = read(pool, "BGAME").await?;
    let (seconds, details) = run_event(
        pool,
        json!({"strategy": "espn_edge", "series": ["BGAME"],
               "params": {"min_edge": "0.04", "contracts": 10}, "starting_cash": "100000"}),
    )
    .await?;
    Ok(json!({
        "phase": "e2e-games",
        "games": games,
        "snapshots": details.coverage.snapshots,
        "game_states": details.coverage.game_states,
        "seconds": seconds,
        "read_seconds": read["seconds"],
        "events_per_second": (details.coverage.snapshots + details.coverage.game_states) as f64 / seconds,
        "trades": details.results.first().map(|r| r.trades),
        "net_pnl": details.results.first().map(|r| r.net_pnl),
        "peak_rss_mib": peak_rss_mib(),
    }))
}

pub async fn sweep(pool: &PgPool, games: i64) -> anyhow::Result<Value> {
    season(pool, games).await?;
    let (seconds, details) = run_event(
        pool,
        json!({"strategy": "espn_edge", "series": ["BGAME"],
               "params": {"min_edge": ["0.02", "0.04", "0.06"], "take_profit": ["0.05", "0.10", "0.20"],
                          "exit_edge": ["-0.02", "0", "0.02"], "contracts": 10},
               "starting_cash": "100000"}),
    )
    .await?;
    let best = details.results.first();
    Ok(json!({
        "phase": "sweep",
        "games": games,
        "combinations": details.combinations,
        "snapshots": details.coverage.snapshots,
        "game_states": details.coverage.game_states,
        "seconds": seconds,
        "best": best.map(|r| json!({"params": r.params, "net_pnl": r.net_pnl, "trades": r.trades})),
        "peak_rss_mib": peak_rss_mib(),
    }))
}
