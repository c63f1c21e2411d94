//! backfill-kalshi over 1,000,000 trades (default) served in pages of 1,000 by a loopback fake
//! (10 markets, each straddling the cutoff: half its trades in the historical tier, half live),
//! into a throwaway local PostgreSQL, through the release binary exactly as a schedule runs it.
//! A second run over the same markets shows the cost of a crawl with nothing left to do.
//!
//!     cargo bench -p backfill-kalshi --bench crawl        # BENCH_TRADES=200000 for a quick run
//!
//! Prints time, trades written per second and the crawler's peak RSS.

use std::fmt::Write as _;
use std::process::Command;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::Router;
use serde_json::json;

const PAGE: usize = 1000;
const MARKETS: usize = 10;

struct Fake {
    per_market: usize,
}

fn ticker(m: usize) -> String {
    format!("KXBENCHGAME-26SEP06M{m:02}-A")
}

fn query_value(query: &Option<String>, key: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

async fn cutoff() -> String {
    json!({"market_settled_ts": "2026-09-01T00:00:00Z", "trades_created_ts": "2026-09-01T00:00:00Z",
           "orders_updated_ts": "2026-09-01T00:00:00Z", "market_positions_last_updated_ts": "2026-09-01T00:00:00Z"})
    .to_string()
}

async fn markets(RawQuery(query): RawQuery) -> String {
    let wanted = query_value(&query, "tickers").unwrap_or_default();
    let markets: Vec<_> = wanted
        .split(',')
        .filter(|t| !t.is_empty())
        .map(|t| {
            json!({"ticker": t, "event_ticker": t.rsplit_once('-').map_or(t, |(e, _)| e),
                   "market_type": "binary", "status": "finalized",
                   "open_time": "2026-08-01T00:00:00Z", "close_time": "2026-10-01T00:00:00Z",
                   "yes_bid_dollars": "0.0000", "yes_ask_dollars": "0.0000", "volume_fp": "1000000.00",
                   "result": "yes", "settlement_value_dollars": "1.0000",
                   "settlement_ts": "2026-10-01T00:05:00Z"})
        })
        .collect();
    json!({"markets": markets, "cursor": ""}).to_string()
}

async fn events(RawQuery(query): RawQuery) -> String {
    let events: Vec<_> = query_value(&query, "tickers")
        .unwrap_or_default()
        .split(',')
        .filter(|t| !t.is_empty())
        .map(|t| {
            json!({"event_ticker": t, "series_ticker": "KXBENCHGAME", "title": "Benchmark game",
                        "mutually_exclusive": true, "last_updated_ts": "2026-09-10T09:15:00Z"})
        })
        .collect();
    json!({"events": events, "cursor": ""}).to_string()
}

async fn one_series(Path(ticker): Path<String>) -> String {
    json!({"series": {"ticker": ticker, "title": "Benchmark series", "frequency": "custom",
                       "category": "Sports", "tags": [], "fee_type": "quadratic", "fee_multiplier": 1}})
    .to_string()
}

async fn historical_markets() -> String {
    json!({"markets": [], "cursor": ""}).to_string()
}

/// Renders one page of a market's trades as text: rendering 1,000 trades costs the fake well
/// under a millisecond, and nothing is held in memory between pages.
fn trades_page(fake: &Fake, query: &Option<String>, live: bool) -> String {
    let ticker = query_value(query, "ticker").unwrap_or_default();
    let half = fake.per_market / 2;
    let offset: usize = query_value(query, "cursor")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    // The historical tier holds the first half of a market's trades (before the cutoff).
    let (from, to) = if live {
        (half, fake.per_market)
    } else {
        (0, half)
    };
    let start = from + offset;
    let end = (start + PAGE).min(to);
    let mut body = String::with_capacity(PAGE * 330);
    body.push_str("{\"trades\":[");
    for k in start..end {
        if k > start {
            body.push(',');
        }
        // Before the cutoff for the first half, after it for the second; one trade a second.
        let at = chrono::DateTime::from_timestamp(1_788_220_800 - half as i64 + k as i64, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let yes = 100 + k % 9800;
        let _ = write!(
            body,
            r#"{{"trade_id":"{ticker}-{k}","ticker":"{ticker}","count_fp":"{}.{:02}","yes_price_dollars":"0.{yes:04}","no_price_dollars":"0.{:04}","taker_side":"yes","taker_outcome_side":"yes","taker_book_side":"bid","created_time":"{at}","is_block_trade":false}}"#,
            1 + k % 500,
            k % 100,
            10_000 - yes
        );
    }
    let cursor = if end < to {
        (end - from).to_string()
    } else {
        String::new()
    };
    let _ = write!(body, "],\"cursor\":\"{cursor}\"}}");
    body
}

async fn live_trades(State(fake): State<Arc<Fake>>, RawQuery(query): RawQuery) -> String {
    trades_page(&fake, &query, true)
}

async fn historical_trades(State(fake): State<Arc<Fake>>, RawQuery(query): RawQuery) -> String {
    trades_page(&fake, &query, false)
}

#[tokio::main]
async fn main() {
    let trades: usize = std::env::var("BENCH_TRADES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let fake = Arc::new(Fake {
        per_market: trades / MARKETS,
    });
    let app = Router::new()
        .route("/trade-api/v2/historical/cutoff", get(cutoff))
        .route("/trade-api/v2/markets", get(markets))
        .route("/trade-api/v2/historical/markets", get(historical_markets))
        .route("/trade-api/v2/markets/trades", get(live_trades))
        .route("/trade-api/v2/historical/trades", get(historical_trades))
        .route("/trade-api/v2/events", get(events))
        .route("/trade-api/v2/series/{ticker}", get(one_series))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!(
        "http://{}/trade-api/v2",
        listener.local_addr().expect("address")
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let db = precog::testing::test_db().await;
    let tickers: Vec<String> = (0..MARKETS).map(ticker).collect();
    let event = json!({"tickers": tickers, "what": "trades", "max_requests": 1_000_000, "max_seconds": 7200});

    println!(
        "backfill-kalshi over {trades} trades ({MARKETS} markets, pages of {PAGE}, both tiers), loopback fake, local PostgreSQL"
    );
    println!(
        "{:<26} {:>9} {:>12} {:>10} {:>9} {:>13}",
        "run", "time (s)", "trades new", "trades/s", "requests", "peak RSS (MB)"
    );
    for label in ["1: from nothing", "2: nothing left to do"] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_backfill-kalshi"));
        command
            .args(["--event", &event.to_string()])
            .env("DATABASE_URL", db.url_string())
            .env("PRECOG_ENV", "production")
            .env("KALSHI_API_BASE", &base)
            .env("KALSHI_REQUESTS_PER_SECOND", "1000")
            .env("RUST_LOG", "warn")
            .env_remove("AWS_LAMBDA_RUNTIME_API");
        let run = precog::testing::run_once_ok(command).await;
        let details = &run.summary["details"];
        let tier = |t: &str, k: &str| details[t][k].as_u64().unwrap_or(0);
        let new = tier("historical", "trades_new") + tier("live", "trades_new");
        let requests = tier("historical", "requests") + tier("live", "requests");
        println!(
            "{label:<26} {:>9.2} {new:>12} {:>10.0} {requests:>9} {:>13.1}",
            run.seconds,
            new as f64 / run.seconds,
            run.peak_rss_mb()
        );
    }
}
