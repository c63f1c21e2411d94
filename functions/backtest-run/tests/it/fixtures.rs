//! A tiny stored history: series, events, markets and snapshots written as collect-kalshi would.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

pub fn t0() -> DateTime<Utc> {
    "2026-11-01T12:00:00Z".parse().expect("time")
}

pub fn at(minutes: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(minutes)
}

pub fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

pub async fn series(pool: &PgPool, ticker: &str, fee_type: &str, multiplier: &str) {
    sqlx::query(
        "insert into series (ticker, fee_type, fee_multiplier, raw) values ($1, $2, $3, '{}')",
    )
    .bind(ticker)
    .bind(fee_type)
    .bind(d(multiplier))
    .execute(pool)
    .await
    .expect("series");
}

pub struct Market<'a> {
    pub ticker: &'a str,
    pub series: &'a str,
    pub result: Option<&'a str>,
    pub settlement_ts: Option<DateTime<Utc>>,
    pub determined_at: Option<DateTime<Utc>>,
}

pub async fn market(pool: &PgPool, m: Market<'_>) {
    let event = format!("{}-EV", m.series);
    sqlx::query(
        "insert into events (event_ticker, series_ticker, raw) values ($1, $2, '{}')
         on conflict do nothing",
    )
    .bind(&event)
    .bind(m.series)
    .execute(pool)
    .await
    .expect("event");
    sqlx::query(
        "insert into markets (ticker, event_ticker, series_ticker, market_type, status, result,
                              settlement_ts, determined_at, notional_value, raw)
         values ($1, $2, $3, 'binary', $4, $5, $6, $7, 1, '{}')",
    )
    .bind(m.ticker)
    .bind(&event)
    .bind(m.series)
    .bind(if m.result.is_some() {
        "finalized"
    } else {
        "active"
    })
    .bind(m.result)
    .bind(m.settlement_ts)
    .bind(m.determined_at)
    .execute(pool)
    .await
    .expect("market");
}

/// One snapshot: YES bid/ask and their sizes (`None` = not recorded).
pub async fn snapshot(
    pool: &PgPool,
    ticker: &str,
    observed_at: DateTime<Utc>,
    status: &str,
    bid_ask: (&str, &str),
    sizes: Option<(&str, &str)>,
) {
    sqlx::query(
        "insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask,
                                       no_bid, no_ask, yes_bid_size, yes_ask_size, raw)
         values ($1, $2, 'rest', $3, $4, $5, 1 - $5, 1 - $4, $6, $7, '{}')",
    )
    .bind(ticker)
    .bind(observed_at)
    .bind(status)
    .bind(d(bid_ask.0))
    .bind(d(bid_ask.1))
    .bind(sizes.map(|s| d(s.0)))
    .bind(sizes.map(|s| d(s.1)))
    .execute(pool)
    .await
    .expect("snapshot");
}

/// The history the scenarios share (all in series S1, quadratic fees, multiplier 1):
/// - A: YES ask 0.45 (size 100) at t0, settles YES at t0+2h, seen determined then.
/// - B: YES ask 0.30 with only 50 offered at t0+30m; result NO, settled by Kalshi at t0+1h but
///   first seen determined at t0+5h, after the window: it must stay open, marked at its bid.
/// - C: in the series, never snapshotted.
pub async fn history(pool: &PgPool) {
    series(pool, "S1", "quadratic", "1").await;
    market(
        pool,
        Market {
            ticker: "A",
            series: "S1",
            result: Some("yes"),
            settlement_ts: Some(at(120)),
            determined_at: Some(at(120)),
        },
    )
    .await;
    market(
        pool,
        Market {
            ticker: "B",
            series: "S1",
            result: Some("no"),
            settlement_ts: Some(at(60)),
            determined_at: Some(at(300)),
        },
    )
    .await;
    market(
        pool,
        Market {
            ticker: "C",
            series: "S1",
            result: Some("yes"),
            settlement_ts: Some(at(120)),
            determined_at: Some(at(120)),
        },
    )
    .await;
    snapshot(
        pool,
        "A",
        at(0),
        "active",
        ("0.40", "0.45"),
        Some(("100", "100")),
    )
    .await;
    snapshot(
        pool,
        "B",
        at(30),
        "active",
        ("0.28", "0.30"),
        Some(("80", "50")),
    )
    .await;
    snapshot(
        pool,
        "A",
        at(60),
        "active",
        ("0.48", "0.50"),
        Some(("100", "100")),
    )
    .await;
    snapshot(
        pool,
        "B",
        at(180),
        "active",
        ("0.28", "0.31"),
        Some(("80", "50")),
    )
    .await;
}

pub fn threshold_event(params: Value) -> Value {
    json!({
        "strategy": "threshold_hold",
        "series": ["S1"],
        "params": params,
        "start": at(-60),
        "end": at(240),
        "starting_cash": "1000",
    })
}

pub fn parse(event: Value) -> backtest_run::BacktestEvent {
    precog::runner::parse_event(event, precog::runner::Trigger::Manual)
        .expect("valid event")
        .0
}

/// A ledger row the results can point at, as the runner would have written.
pub async fn ledger_run(pool: &PgPool) -> Uuid {
    let id = Uuid::new_v4();
    sqlx::query(
        "insert into collection_runs (id, function, trigger, started_at, status)
         values ($1, 'backtest-run', 'manual', now(), 'running')",
    )
    .bind(id)
    .execute(pool)
    .await
    .expect("run");
    id
}
