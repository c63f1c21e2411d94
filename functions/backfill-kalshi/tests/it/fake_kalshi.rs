//! A Kalshi stand-in over real HTTP serving both tiers around a cutoff, bodies shaped like
//! reference/kalshi-api.md §3.6–3.8 and §10.3: `GET /historical/cutoff`, markets from
//! `/markets` and `/historical/markets`, trades from `/markets/trades` (created at or after the
//! cutoff) and `/historical/trades` (before it), live candles in batch (`*_dollars`/`*_fp`) and
//! historical candles per market (fields without suffixes). The batch endpoint refuses more than
//! 100 tickers or 10,000 candles with a 400, as Kalshi documents the caps.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

#[derive(Default)]
struct Inner {
    live_markets: Vec<Value>,
    historical_markets: Vec<Value>,
    /// `trades_created_ts`: trades before it are only served by the historical tier.
    trades_cutoff: Option<DateTime<Utc>>,
    /// Cutoffs the next reads of `/historical/cutoff` move to, one per read.
    cutoff_moves: Vec<DateTime<Utc>>,
    /// The live tier also serves trades this long before the cutoff (archiving is not atomic).
    live_grace: chrono::Duration,
    /// Every trade, newest first (the order Kalshi is commonly seen to use).
    trades: Vec<Value>,
    /// Live-format candles per ticker.
    candles: HashMap<String, Vec<Value>>,
    trades_page_size: usize,
    trades_delay: Option<Duration>,
    /// Serve this many 503s on the next trade pages.
    trade_failures: u32,
    requests: Vec<String>,
}

#[derive(Clone)]
pub struct FakeKalshi {
    inner: Arc<Mutex<Inner>>,
    pub base_url: String,
}

type Shared = Arc<Mutex<Inner>>;

impl FakeKalshi {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            trades_page_size: 1000,
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/trade-api/v2/historical/cutoff", get(cutoff))
            .route("/trade-api/v2/markets", get(live_markets))
            .route("/trade-api/v2/historical/markets", get(historical_markets))
            .route("/trade-api/v2/markets/trades", get(live_trades))
            .route("/trade-api/v2/historical/trades", get(historical_trades))
            .route("/trade-api/v2/markets/candlesticks", get(batch_candles))
            .route(
                "/trade-api/v2/historical/markets/{ticker}/candlesticks",
                get(historical_candles),
            )
            .route("/trade-api/v2/events", get(events))
            .route("/trade-api/v2/series/{ticker}", get(one_series))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            inner,
            base_url: format!("http://{address}/trade-api/v2"),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().expect("fake state"))
    }

    pub fn set_cutoff(&self, trades_created: &str) {
        let at: DateTime<Utc> = trades_created.parse().expect("a time");
        self.with(|s| s.trades_cutoff = Some(at));
    }

    /// The cutoff moves to each of `to` in turn, one per read of `/historical/cutoff` after
    /// the next.
    pub fn move_cutoff_on_later_reads(&self, to: &[&str]) {
        let moves = to.iter().map(|t| t.parse().expect("a time")).collect();
        self.with(|s| s.cutoff_moves = moves);
    }

    /// Lets the live tier serve trades from `grace` before the cutoff as well.
    pub fn overlap_tiers(&self, grace: chrono::Duration) {
        self.with(|s| s.live_grace = grace);
    }

    pub fn add_live_market(&self, market: Value) {
        self.with(|s| s.live_markets.push(market));
    }

    pub fn add_historical_market(&self, market: Value) {
        self.with(|s| s.historical_markets.push(market));
    }

    /// Adds trades (any order); they are served newest first.
    pub fn add_trades(&self, trades: Vec<Value>) {
        self.with(|s| {
            s.trades.extend(trades);
            s.trades.sort_by(|a, b| {
                b["created_time"]
                    .as_str()
                    .cmp(&a["created_time"].as_str())
                    .then(b["trade_id"].as_str().cmp(&a["trade_id"].as_str()))
            });
        });
    }

    pub fn set_candles(&self, ticker: &str, candles: Vec<Value>) {
        self.with(|s| {
            s.candles.insert(ticker.to_owned(), candles);
        });
    }

    pub fn set_trades_page_size(&self, size: usize) {
        self.with(|s| s.trades_page_size = size);
    }

    pub fn slow_trade_pages(&self, delay: Duration) {
        self.with(|s| s.trades_delay = Some(delay));
    }

    pub fn fail_trade_pages(&self, times: u32) {
        self.with(|s| s.trade_failures = times);
    }

    pub fn requests_to(&self, path: &str) -> Vec<String> {
        self.with(|s| {
            s.requests
                .iter()
                .filter(|r| r.split('?').next() == Some(path))
                .cloned()
                .collect()
        })
    }

    pub fn clear_requests(&self) {
        self.with(|s| s.requests.clear());
    }
}

fn params(query: &Option<String>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn param(params: &[(String, String)], key: &str) -> Option<String> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

fn log(state: &Shared, path: &str, query: &Option<String>) {
    state
        .lock()
        .expect("fake state")
        .requests
        .push(match query {
            Some(q) => format!("{path}?{q}"),
            None => path.to_owned(),
        });
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": {"code": "bad_request", "message": message}})),
    )
        .into_response()
}

/// Pages `items` by offset cursors (`c<offset>`), empty on the last page.
fn page(items: Vec<Value>, params: &[(String, String)], max: usize) -> (Vec<Value>, String) {
    let limit = param(params, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(100)
        .min(max);
    let offset = param(params, "cursor")
        .and_then(|c| c.trim_start_matches('c').parse::<usize>().ok())
        .unwrap_or(0);
    let end = (offset + limit).min(items.len());
    let slice = items
        .get(offset..end)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    let cursor = if end < items.len() {
        format!("c{end}")
    } else {
        String::new()
    };
    (slice, cursor)
}

async fn cutoff(State(state): State<Shared>, RawQuery(query): RawQuery) -> Response {
    log(&state, "/trade-api/v2/historical/cutoff", &query);
    let mut s = state.lock().expect("fake state");
    let at = s
        .trades_cutoff
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
    // This read answers with the current cutoff; the next one sees the move.
    if !s.cutoff_moves.is_empty() {
        let next = s.cutoff_moves.remove(0);
        s.trades_cutoff = Some(next);
    }
    Json(json!({
        "market_settled_ts": at,
        "trades_created_ts": at,
        "orders_updated_ts": at,
        "market_positions_last_updated_ts": at
    }))
    .into_response()
}

fn select_markets(markets: &[Value], params: &[(String, String)]) -> Vec<Value> {
    let tickers: Option<Vec<String>> =
        param(params, "tickers").map(|t| t.split(',').map(str::to_owned).collect());
    let series = param(params, "series_ticker");
    let event = param(params, "event_ticker");
    markets
        .iter()
        .filter(|m| {
            let ticker = m["ticker"].as_str().unwrap_or_default();
            let event_ticker = m["event_ticker"].as_str().unwrap_or_default();
            tickers
                .as_ref()
                .is_none_or(|t| t.iter().any(|x| x == ticker))
                && series
                    .as_deref()
                    .is_none_or(|s| event_ticker.split('-').next() == Some(s))
                && event.as_deref().is_none_or(|e| event_ticker == e)
        })
        .cloned()
        .collect()
}

/// Events of every market the fake knows, in either tier (Kalshi never archives events).
async fn events(State(state): State<Shared>, RawQuery(query): RawQuery) -> Response {
    log(&state, "/trade-api/v2/events", &query);
    let params = params(&query);
    let wanted: Vec<String> = param(&params, "tickers")
        .map(|t| t.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let s = state.lock().expect("fake state");
    let mut known: Vec<&str> = s
        .live_markets
        .iter()
        .chain(&s.historical_markets)
        .filter_map(|m| m["event_ticker"].as_str())
        .filter(|e| wanted.iter().any(|w| w == e))
        .collect();
    known.sort_unstable();
    known.dedup();
    let events: Vec<Value> = known
        .iter()
        .map(|e| {
            json!({
                "event_ticker": e,
                "series_ticker": e.split('-').next().unwrap_or_default(),
                "sub_title": "On Sep 13, 2026",
                "title": "Dallas at New York G",
                "collateral_return_type": "",
                "mutually_exclusive": true,
                "strike_date": null,
                "strike_period": "",
                "available_on_brokers": false,
                "product_metadata": null,
                "settlement_sources": [{"name": "ESPN", "url": "https://www.espn.com"}],
                "last_updated_ts": "2026-09-10T09:15:00Z",
                "exchange_index": 0
            })
        })
        .collect();
    Json(json!({ "events": events, "milestones": null, "cursor": "" })).into_response()
}

async fn one_series(
    State(state): State<Shared>,
    Path(ticker): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    log(&state, &format!("/trade-api/v2/series/{ticker}"), &query);
    Json(json!({"series": {
        "ticker": ticker,
        "frequency": "custom",
        "title": "Pro football game",
        "category": "Sports",
        "tags": ["Football"],
        "settlement_sources": [{"name": "ESPN", "url": "https://www.espn.com"}],
        "contract_url": "https://kalshi.com/contract.pdf",
        "fee_type": "quadratic",
        "fee_multiplier": 1,
        "volume_fp": "1000.00",
        "last_updated_ts": "2026-09-01T00:00:00Z",
        "exchange_index": 0
    }}))
    .into_response()
}

async fn live_markets(State(state): State<Shared>, RawQuery(query): RawQuery) -> Response {
    log(&state, "/trade-api/v2/markets", &query);
    let params = params(&query);
    let s = state.lock().expect("fake state");
    let (markets, cursor) = page(select_markets(&s.live_markets, &params), &params, 1000);
    Json(json!({ "markets": markets, "cursor": cursor })).into_response()
}

async fn historical_markets(State(state): State<Shared>, RawQuery(query): RawQuery) -> Response {
    log(&state, "/trade-api/v2/historical/markets", &query);
    let params = params(&query);
    let filters = ["tickers", "series_ticker", "event_ticker"]
        .iter()
        .filter(|f| param(&params, f).is_some())
        .count();
    if filters > 1 {
        return bad_request("filters are mutually exclusive");
    }
    let s = state.lock().expect("fake state");
    let (markets, cursor) = page(
        select_markets(&s.historical_markets, &params),
        &params,
        1000,
    );
    Json(json!({ "markets": markets, "cursor": cursor })).into_response()
}

async fn trades(state: Shared, path: &str, query: Option<String>, live: bool) -> Response {
    log(&state, path, &query);
    let (delay, fail) = {
        let mut s = state.lock().expect("fake state");
        let fail = s.trade_failures > 0;
        s.trade_failures = s.trade_failures.saturating_sub(1);
        (s.trades_delay, fail)
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if fail {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({"error": {"code": "service_unavailable", "message": "service_unavailable"}}),
            ),
        )
            .into_response();
    }
    let params = params(&query);
    let seconds = |key: &str| param(&params, key).and_then(|v| v.parse::<i64>().ok());
    let (Some(min_ts), Some(max_ts)) = (seconds("min_ts"), seconds("max_ts")) else {
        return bad_request("min_ts and max_ts are expected by this fake");
    };
    let ticker = param(&params, "ticker");
    let s = state.lock().expect("fake state");
    let Some(cutoff) = s.trades_cutoff else {
        return bad_request("no cutoff set");
    };
    let selected: Vec<Value> = s
        .trades
        .iter()
        .filter(|t| {
            let created: DateTime<Utc> = t["created_time"]
                .as_str()
                .and_then(|c| c.parse().ok())
                .unwrap_or(DateTime::UNIX_EPOCH);
            let in_tier = if live {
                created >= cutoff - s.live_grace
            } else {
                created < cutoff
            };
            in_tier
                && ticker.as_deref().is_none_or(|x| t["ticker"] == x)
                && created.timestamp() >= min_ts
                && created.timestamp() <= max_ts
        })
        .cloned()
        .collect();
    let (trades, cursor) = page(selected, &params, s.trades_page_size);
    Json(json!({ "trades": trades, "cursor": cursor })).into_response()
}

async fn live_trades(State(state): State<Shared>, RawQuery(query): RawQuery) -> Response {
    trades(state, "/trade-api/v2/markets/trades", query, true).await
}

async fn historical_trades(State(state): State<Shared>, RawQuery(query): RawQuery) -> Response {
    trades(state, "/trade-api/v2/historical/trades", query, false).await
}

fn candles_between(candles: &[Value], params: &[(String, String)]) -> Option<Vec<Value>> {
    let seconds = |key: &str| param(params, key).and_then(|v| v.parse::<i64>().ok());
    let (start, end) = (seconds("start_ts")?, seconds("end_ts")?);
    let period = seconds("period_interval").filter(|p| [1, 60, 1440].contains(p))?;
    Some(
        candles
            .iter()
            .filter(|c| {
                let t = c["end_period_ts"].as_i64().unwrap_or_default();
                t >= start && t <= end && (t % (period * 60)) == 0
            })
            .cloned()
            .collect(),
    )
}

async fn batch_candles(State(state): State<Shared>, RawQuery(query): RawQuery) -> Response {
    log(&state, "/trade-api/v2/markets/candlesticks", &query);
    let params = params(&query);
    let tickers: Vec<String> = param(&params, "market_tickers")
        .map(|t| t.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    if tickers.is_empty() || tickers.len() > 100 {
        return bad_request("market_tickers: 1 to 100 tickers");
    }
    let seconds = |key: &str| param(&params, key).and_then(|v| v.parse::<i64>().ok());
    let (Some(start), Some(end), Some(period)) = (
        seconds("start_ts"),
        seconds("end_ts"),
        seconds("period_interval"),
    ) else {
        return bad_request("start_ts, end_ts and period_interval are required");
    };
    // Kalshi counts the candles the window can hold for every ticker.
    let per_ticker = (end - start) / (period * 60) + 1;
    if per_ticker * tickers.len() as i64 > 10_000 {
        return bad_request("more than 10000 candles requested");
    }
    let s = state.lock().expect("fake state");
    let markets: Vec<Value> = tickers
        .iter()
        .filter(|t| s.live_markets.iter().any(|m| m["ticker"] == t.as_str()))
        .map(|t| {
            let all = s.candles.get(t).cloned().unwrap_or_default();
            json!({
                "market_ticker": t,
                "candlesticks": candles_between(&all, &params).unwrap_or_default()
            })
        })
        .collect();
    Json(json!({ "markets": markets })).into_response()
}

async fn historical_candles(
    State(state): State<Shared>,
    Path(ticker): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    log(
        &state,
        &format!("/trade-api/v2/historical/markets/{ticker}/candlesticks"),
        &query,
    );
    let params = params(&query);
    let s = state.lock().expect("fake state");
    if !s.historical_markets.iter().any(|m| m["ticker"] == ticker) {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": {"code": "not_found", "message": "not found"}})),
        )
            .into_response();
    }
    let all = s.candles.get(&ticker).cloned().unwrap_or_default();
    let Some(candles) = candles_between(&all, &params) else {
        return bad_request("start_ts, end_ts and period_interval are required");
    };
    let renamed: Vec<Value> = candles.iter().map(historical_candle).collect();
    Json(json!({ "ticker": ticker, "candlesticks": renamed })).into_response()
}

/// The historical tier's names: `open` for `open_dollars`, `volume` for `volume_fp`, … and no
/// `min`/`max` in `price`.
fn historical_candle(live: &Value) -> Value {
    let ohlc = |v: &Value, with_extra: bool| {
        let mut out = json!({
            "open": v["open_dollars"], "low": v["low_dollars"],
            "high": v["high_dollars"], "close": v["close_dollars"]
        });
        if with_extra {
            out["mean"] = v["mean_dollars"].clone();
            out["previous"] = v["previous_dollars"].clone();
        }
        out
    };
    json!({
        "end_period_ts": live["end_period_ts"],
        "yes_bid": ohlc(&live["yes_bid"], false),
        "yes_ask": ohlc(&live["yes_ask"], false),
        "price": ohlc(&live["price"], true),
        "volume": live["volume_fp"],
        "open_interest": live["open_interest_fp"],
    })
}

/// A trade shaped like reference/kalshi-api.md §10.3.
pub fn trade_json(id: &str, ticker: &str, created: &str, yes_price: &str, count: &str) -> Value {
    let yes: rust_decimal::Decimal = yes_price.parse().expect("a price");
    let no = rust_decimal::Decimal::ONE - yes;
    let side = if id.len() % 2 == 0 { "yes" } else { "no" };
    json!({
        "trade_id": id,
        "ticker": ticker,
        "count_fp": count,
        "yes_price_dollars": yes_price,
        "no_price_dollars": format!("{no:.4}"),
        "taker_side": side,
        "taker_outcome_side": side,
        "taker_book_side": if side == "yes" { "bid" } else { "ask" },
        "created_time": created,
        "is_block_trade": false
    })
}

/// A live-format candle (§3.7) ending at `end` (Unix seconds).
pub fn candle_json(end: i64, bid: &str, ask: &str, trade: Option<&str>, volume: &str) -> Value {
    json!({
        "end_period_ts": end,
        "yes_bid": {"open_dollars": bid, "low_dollars": bid, "high_dollars": bid, "close_dollars": bid},
        "yes_ask": {"open_dollars": ask, "low_dollars": ask, "high_dollars": ask, "close_dollars": ask},
        "price": {"open_dollars": trade, "low_dollars": trade, "high_dollars": trade,
                  "close_dollars": trade, "mean_dollars": trade, "previous_dollars": trade,
                  "min_dollars": trade, "max_dollars": trade},
        "volume_fp": volume,
        "open_interest_fp": "1500.00"
    })
}

/// A market shaped like reference/kalshi-api.md §10.1, trading from `open` to `close`.
pub fn market_json(ticker: &str, status: &str, open: &str, close: &str) -> Value {
    let event_ticker = ticker.rsplit_once('-').map_or(ticker, |(e, _)| e);
    let settled = status == "finalized";
    json!({
        "ticker": ticker,
        "event_ticker": event_ticker,
        "market_type": "binary",
        "title": "Dallas at New York G Winner?",
        "subtitle": "",
        "yes_sub_title": "Dallas",
        "no_sub_title": "Dallas",
        "created_time": open,
        "updated_time": close,
        "open_time": open,
        "close_time": close,
        "expected_expiration_time": close,
        "expiration_time": close,
        "latest_expiration_time": close,
        "settlement_timer_seconds": 300,
        "status": status,
        "yes_bid_dollars": if settled { "0.0000" } else { "0.5600" },
        "yes_bid_size_fp": "1250.00",
        "yes_ask_dollars": if settled { "0.0000" } else { "0.5700" },
        "yes_ask_size_fp": "830.00",
        "no_bid_dollars": "0.4300",
        "no_ask_dollars": "0.4400",
        "last_price_dollars": "0.5700",
        "volume_fp": "412390.00",
        "volume_24h_fp": "38120.50",
        "open_interest_fp": "201775.00",
        "notional_value_dollars": "1.0000",
        "liquidity_dollars": "0.0000",
        "result": if settled { "yes" } else { "" },
        "settlement_value_dollars": if settled { Some("1.0000") } else { None },
        "settlement_ts": if settled { Some(close) } else { None },
        "can_close_early": true,
        "expiration_value": "",
        "strike_type": "structured",
        "custom_strike": { "football_team": "6f1c2d3e-0000-4000-8000-00000000da11" },
        "rules_primary": "If Dallas wins the game, then the market resolves to Yes.",
        "rules_secondary": "",
        "price_level_structure": "linear_cent",
        "price_ranges": [ { "start": "0.0000", "end": "1.0000", "step": "0.0100" } ],
        "exchange_index": 0
    })
}
