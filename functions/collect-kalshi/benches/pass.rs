//! One collect-kalshi pass over N open markets (default 100,000) served by a loopback fake, into
//! a throwaway local PostgreSQL (fsync off), through the release binary exactly as a schedule runs
//! it. Three passes: all new, unchanged (heartbeat not due), 10% of quotes changed.
//!
//!     cargo bench -p collect-kalshi --bench pass            # BENCH_MARKETS=20000 for a quick run
//!
//! Prints whole-pass time, rows written per second and the collector's peak RSS.

#![recursion_limit = "256"]

use std::process::Command;
use std::sync::{Arc, RwLock};

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

const PAGE: usize = 1000;
const MARKETS_PER_EVENT: usize = 10;
const EVENTS_PER_SERIES: usize = 100;

struct Fake {
    /// Pre-rendered `/markets` pages, so the fake costs nothing while the collector is timed.
    pages: Vec<String>,
}

fn market(i: usize, generation: usize) -> Value {
    let event = i / MARKETS_PER_EVENT;
    let series = event / EVENTS_PER_SERIES;
    // 10% of markets move their bid in every new generation.
    let bid = if i % 10 == 0 {
        1000 + (generation * 7 + i) % 8000
    } else {
        1000 + i % 8000
    };
    json!({
        "ticker": format!("KXBENCH{series}-26NOV21E{event}-M{i}"),
        "event_ticker": format!("KXBENCH{series}-26NOV21E{event}"),
        "market_type": "binary", "title": "Benchmark market", "subtitle": "",
        "yes_sub_title": "Yes side", "no_sub_title": "No side",
        "created_time": "2026-08-20T14:02:11.512043Z", "updated_time": "2026-09-10T09:15:00Z",
        "open_time": "2026-08-20T14:00:00Z", "close_time": "2026-12-27T17:00:00Z",
        "expected_expiration_time": "2026-12-28T03:00:00Z", "expiration_time": "2026-12-27T17:00:00Z",
        "latest_expiration_time": "2026-12-27T17:00:00Z", "settlement_timer_seconds": 300,
        "status": "active",
        "yes_bid_dollars": format!("0.{bid:04}"), "yes_bid_size_fp": "1250.00",
        "yes_ask_dollars": format!("0.{:04}", bid + 100), "yes_ask_size_fp": "830.50",
        "no_bid_dollars": format!("0.{:04}", 9900 - bid), "no_ask_dollars": format!("0.{:04}", 10000 - bid),
        "last_price_dollars": "0.5700", "previous_yes_bid_dollars": "0.5400",
        "previous_yes_ask_dollars": "0.5500", "previous_price_dollars": "0.5500",
        "volume_fp": "412390.00", "volume_24h_fp": "38120.50", "open_interest_fp": "201775.00",
        "notional_value_dollars": "1.0000", "liquidity_dollars": "0.0000", "result": "",
        "can_close_early": true, "expiration_value": "", "occurrence_datetime": null,
        "strike_type": "greater", "floor_strike": 53.5,
        "rules_primary": "If the benchmark value is above 53.5, the market resolves to Yes.",
        "rules_secondary": "", "price_level_structure": "linear_cent",
        "price_ranges": [{"start": "0.0000", "end": "1.0000", "step": "0.0100"}], "exchange_index": 0
    })
}

fn render(markets: usize, generation: usize) -> Vec<String> {
    (0..markets)
        .step_by(PAGE)
        .map(|start| {
            let end = (start + PAGE).min(markets);
            let page: Vec<Value> = (start..end).map(|i| market(i, generation)).collect();
            let cursor = if end < markets {
                format!("{end}")
            } else {
                String::new()
            };
            json!({"markets": page, "cursor": cursor}).to_string()
        })
        .collect()
}

fn query_value(query: &Option<String>, key: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

type Shared = Arc<RwLock<Fake>>;

async fn markets_page(State(fake): State<Shared>, RawQuery(query): RawQuery) -> String {
    let fake = fake.read().expect("fake");
    if query_value(&query, "tickers").is_some() {
        return json!({"markets": [], "cursor": ""}).to_string();
    }
    let index = query_value(&query, "cursor")
        .and_then(|c| c.parse::<usize>().ok())
        .map_or(0, |offset| offset / PAGE);
    fake.pages.get(index).cloned().unwrap_or_default()
}

async fn events(RawQuery(query): RawQuery) -> String {
    let events: Vec<Value> = query_value(&query, "tickers")
        .unwrap_or_default()
        .split(',')
        .filter(|t| !t.is_empty())
        .map(|t| {
            let series = t.split('-').next().unwrap_or_default();
            json!({"event_ticker": t, "series_ticker": series, "title": "Benchmark event",
                   "sub_title": "", "mutually_exclusive": false, "last_updated_ts": "2026-09-10T09:15:00Z"})
        })
        .collect();
    json!({"events": events, "cursor": ""}).to_string()
}

async fn one_series(Path(ticker): Path<String>) -> String {
    json!({"series": {"ticker": ticker, "title": "Benchmark series", "frequency": "daily",
                       "category": "Economics", "tags": [], "fee_type": "quadratic", "fee_multiplier": 1}})
    .to_string()
}

async fn series_list() -> String {
    json!({"series": []}).to_string()
}

#[tokio::main]
async fn main() {
    let markets: usize = std::env::var("BENCH_MARKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let fake = Arc::new(RwLock::new(Fake {
        pages: render(markets, 0),
    }));
    let app = Router::new()
        .route("/trade-api/v2/markets", get(markets_page))
        .route("/trade-api/v2/events", get(events))
        .route("/trade-api/v2/series", get(series_list))
        .route("/trade-api/v2/series/{ticker}", get(one_series))
        .with_state(fake.clone());
    let base = format!(
        "http://{}/trade-api/v2",
        precog::testing::serve_loopback(app).await
    );
    let db = precog::testing::test_db().await;

    println!("collect-kalshi pass over {markets} markets (pages of {PAGE}), loopback fake, local PostgreSQL");
    println!(
        "{:<28} {:>9} {:>13} {:>11} {:>13}",
        "pass", "time (s)", "rows written", "rows/s", "peak RSS (MB)"
    );
    for (label, generation) in [
        ("1: all new", 0),
        ("2: unchanged", 0),
        ("3: 10% quotes changed", 1),
    ] {
        fake.write().expect("fake").pages = render(markets, generation);
        let url = db.url_string();
        let base = base.clone();
        let mut command = Command::new(env!("CARGO_BIN_EXE_collect-kalshi"));
        command
            .args(["--event", "{}"])
            .env("DATABASE_URL", url)
            .env("PRECOG_ENV", "production")
            .env("KALSHI_API_BASE", base)
            .env("KALSHI_REQUESTS_PER_SECOND", "1000")
            .env("RUST_LOG", "warn")
            .env_remove("AWS_LAMBDA_RUNTIME_API");
        let run = precog::testing::run_once_ok(command).await;
        let (elapsed, rows, rss_mb) = (run.seconds, run.rows_written(), run.peak_rss_mb());
        println!(
            "{label:<28} {elapsed:>9.2} {rows:>13} {:>11.0} {rss_mb:>13.1}",
            rows as f64 / elapsed
        );
    }
}
