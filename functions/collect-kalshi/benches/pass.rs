//! One collect-kalshi pass over N open markets (default 100,000) served by a loopback fake, into
//! a throwaway local PostgreSQL (fsync off), through the release binary exactly as a schedule runs
//! it. Four passes: all new, unchanged (heartbeat not due), 10% of quotes changed, every quote
//! changed.
//!
//!     cargo bench -p collect-kalshi --bench pass            # BENCH_MARKETS=20000 for a quick run
//!
//! Prints whole-pass time, requests, rows written per second and the collector's peak RSS.
//!
//! The catalog's shape and the rate limit are settable, e.g. Kalshi's real catalog size on a cold
//! first pass at the production rate (one `GET /series`, events 200 a request):
//!
//!     BENCH_MARKETS_PER_EVENT=5 BENCH_SERIES=5000 BENCH_RATE=10 cargo bench -p collect-kalshi --bench pass
//!
//! `BENCH_LOG=/tmp/pass.log BENCH_RUST_LOG=debug` keeps the collector's log, spans' time.busy
//! included, to see where a pass spends its time.

#![recursion_limit = "256"]

use std::process::Command;
use std::sync::{Arc, RwLock};

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

const PAGE: usize = 1000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Fake {
    /// Pre-rendered `/markets` pages, so the fake costs nothing while the collector is timed.
    pages: Vec<String>,
    /// The `GET /series` body: every series.
    series_list: String,
    requests: u64,
}

#[derive(Clone, Copy)]
struct Shape {
    markets_per_event: usize,
    series: usize,
}

/// Market `i` in `generation`: from generation 1 on, every `moving`-th market's quote moves.
fn market(shape: Shape, i: usize, generation: usize, moving: usize) -> Value {
    let event = i / shape.markets_per_event;
    let series = event % shape.series;
    let bid = if i % moving == 0 {
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

fn series_json(ticker: &str) -> Value {
    json!({"ticker": ticker, "title": "Benchmark series", "frequency": "daily",
           "category": "Economics", "tags": ["Benchmark"], "fee_type": "quadratic", "fee_multiplier": 1,
           "settlement_sources": [{"name": "Benchmark source", "url": "https://example.com/source"}],
           "contract_url": "https://kalshi.com/contract.pdf", "contract_terms_url": "https://kalshi.com/terms.pdf",
           "product_metadata": null, "additional_prohibitions": [], "volume_fp": "1000.00",
           "last_updated_ts": "2026-09-01T00:00:00Z"})
}

fn render(shape: Shape, markets: usize, generation: usize, moving: usize) -> Vec<String> {
    (0..markets)
        .step_by(PAGE)
        .map(|start| {
            let end = (start + PAGE).min(markets);
            let page: Vec<Value> = (start..end)
                .map(|i| market(shape, i, generation, moving))
                .collect();
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
    fake.write().expect("fake").requests += 1;
    let fake = fake.read().expect("fake");
    if query_value(&query, "tickers").is_some() {
        return json!({"markets": [], "cursor": ""}).to_string();
    }
    let index = query_value(&query, "cursor")
        .and_then(|c| c.parse::<usize>().ok())
        .map_or(0, |offset| offset / PAGE);
    fake.pages.get(index).cloned().unwrap_or_default()
}

async fn events(State(fake): State<Shared>, RawQuery(query): RawQuery) -> String {
    fake.write().expect("fake").requests += 1;
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

async fn one_series(State(fake): State<Shared>, Path(ticker): Path<String>) -> String {
    fake.write().expect("fake").requests += 1;
    json!({ "series": series_json(&ticker) }).to_string()
}

async fn series_list(State(fake): State<Shared>, RawQuery(query): RawQuery) -> String {
    let mut fake = fake.write().expect("fake");
    fake.requests += 1;
    if query_value(&query, "min_updated_ts").is_some() {
        return json!({"series": []}).to_string();
    }
    fake.series_list.clone()
}

#[tokio::main]
async fn main() {
    let markets = env_usize("BENCH_MARKETS", 100_000);
    let shape = Shape {
        markets_per_event: env_usize("BENCH_MARKETS_PER_EVENT", 10).max(1),
        series: env_usize("BENCH_SERIES", 100).max(1),
    };
    let rate = env_usize("BENCH_RATE", 1000);
    let series: Vec<Value> = (0..shape.series)
        .map(|s| series_json(&format!("KXBENCH{s}")))
        .collect();
    let fake = Arc::new(RwLock::new(Fake {
        pages: render(shape, markets, 0, 1),
        series_list: json!({ "series": series }).to_string(),
        requests: 0,
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

    println!(
        "collect-kalshi pass over {markets} markets in {} events and {} series (pages of {PAGE}), \
         {rate} requests/s, loopback fake, local PostgreSQL",
        markets.div_ceil(shape.markets_per_event),
        shape.series.min(markets.div_ceil(shape.markets_per_event))
    );
    println!(
        "{:<28} {:>9} {:>9} {:>13} {:>11} {:>15} {:>13}",
        "pass", "time (s)", "requests", "rows written", "rows/s", "DB write (s)", "peak RSS (MB)"
    );
    for (label, generation, moving) in [
        ("1: all new", 0, 1),
        ("2: unchanged", 0, 1),
        ("3: 10% quotes changed", 1, 10),
        ("4: all quotes changed", 2, 1),
    ] {
        {
            let mut fake = fake.write().expect("fake");
            fake.pages = render(shape, markets, generation, moving);
            fake.requests = 0;
        }
        let url = db.url_string();
        let base = base.clone();
        let mut command = Command::new(env!("CARGO_BIN_EXE_collect-kalshi"));
        command
            .args(["--event", "{}"])
            .env("DATABASE_URL", url)
            .env("PRECOG_ENV", "production")
            .env("KALSHI_API_BASE", base)
            .env("KALSHI_REQUESTS_PER_SECOND", rate.to_string())
            .env(
                "RUST_LOG",
                std::env::var("BENCH_RUST_LOG").unwrap_or_else(|_| "warn".to_owned()),
            )
            .env_remove("AWS_LAMBDA_RUNTIME_API");
        // BENCH_LOG=FILE keeps the collector's log (JSON lines, with each span's time.busy) there.
        if let Ok(path) = std::env::var("BENCH_LOG") {
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .expect("BENCH_LOG file");
            command.stderr(log);
        }
        let run = precog::testing::run_once_ok(command).await;
        let (elapsed, rows, rss_mb) = (run.seconds, run.rows_written(), run.peak_rss_mb());
        let requests = fake.read().expect("fake").requests;
        // Time inside the page transactions, BEGIN to COMMIT (the summary's `write_seconds`).
        let writing = run.summary["details"]["write_seconds"]
            .as_f64()
            .unwrap_or(f64::NAN);
        println!(
            "{label:<28} {elapsed:>9.2} {requests:>9} {rows:>13} {:>11.0} {:>15} {rss_mb:>13.1}",
            rows as f64 / elapsed,
            format!("{writing:.2} ({:.0}/s)", rows as f64 / writing),
        );
    }
}
