//! A Kalshi stand-in over real HTTP, serving bodies shaped like docs/kalshi-api.md: string
//! decimals, cursors (empty on the last page), `null` lists, 429 `{"error":"too many requests"}`,
//! and the faults a test scripts (statuses, slow answers, repeating cursors).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::config::KalshiMode;
use crate::http::RetryPolicy;
use crate::kalshi::KalshiSettings;

mod bodies;
mod paging;
pub use bodies::*;
use paging::{is_open, page, param, params};

/// Client settings aimed at a fake (or any loopback address): fast retries, a short timeout.
pub fn settings(base_url: &str) -> KalshiSettings {
    KalshiSettings {
        mode: KalshiMode::Demo,
        api_base: base_url.to_owned(),
        timeout: Duration::from_millis(500),
        requests_per_second: 500.0,
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
    }
}

/// What the fake does instead of answering normally.
#[derive(Debug, Clone)]
pub enum Fault {
    Status(u16),
    Delay(Duration),
}

#[derive(Default)]
struct Inner {
    markets: Vec<Value>,
    historical: Vec<Value>,
    events: HashMap<String, Value>,
    series: HashMap<String, Value>,
    orderbooks: HashMap<String, Value>,
    /// What `min_updated_ts` queries return: series and events Kalshi changed.
    changed_series: Vec<Value>,
    changed_events: Vec<Value>,
    /// Sports milestones (reference §3.9), served by `GET /milestones`.
    milestones: Vec<Value>,
    page_size: usize,
    /// Faults served, in order, to the next requests whose path ends with the key.
    faults: HashMap<String, VecDeque<Fault>>,
    /// A page (by cursor) that always answers 500.
    broken_cursor: Option<String>,
    /// Make every page hand back the same cursor.
    repeat_cursor: bool,
    requests: Vec<String>,
}

#[derive(Clone)]
pub struct FakeKalshi {
    inner: Arc<Mutex<Inner>>,
    pub base_url: String,
}

impl FakeKalshi {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            page_size: 1000,
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/trade-api/v2/markets", get(markets))
            .route("/trade-api/v2/historical/markets", get(historical_markets))
            .route("/trade-api/v2/markets/orderbooks", get(orderbooks))
            .route("/trade-api/v2/events", get(events))
            .route("/trade-api/v2/series", get(series_list))
            .route("/trade-api/v2/series/{ticker}", get(one_series))
            .route("/trade-api/v2/milestones", get(milestones))
            .with_state(inner.clone());
        let address = super::serve_loopback(app).await;
        Self {
            inner,
            base_url: format!("http://{address}/trade-api/v2"),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().expect("fake state"))
    }

    /// Adds markets, with their event and series, to the open set.
    pub fn add_markets(&self, markets: Vec<Value>) {
        self.with(|s| {
            for market in &markets {
                let event = market["event_ticker"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let series = event.split('-').next().unwrap_or_default().to_owned();
                s.events
                    .entry(event.clone())
                    .or_insert_with(|| event_json(&event, &series));
                s.series
                    .entry(series.clone())
                    .or_insert_with(|| series_json(&series));
            }
            s.markets.extend(markets);
        });
    }

    /// Changes one field of a market in place.
    pub fn set_field(&self, ticker: &str, field: &str, value: Value) {
        self.with(|s| {
            for market in s.markets.iter_mut().filter(|m| m["ticker"] == ticker) {
                market[field] = value.clone();
            }
        });
    }

    /// Moves a market out of the live tier into the historical one (past Kalshi's cutoff).
    pub fn archive(&self, ticker: &str) {
        self.with(|s| {
            if let Some(i) = s.markets.iter().position(|m| m["ticker"] == ticker) {
                let market = s.markets.remove(i);
                s.historical.push(market);
            }
        });
    }

    pub fn set_page_size(&self, size: usize) {
        self.with(|s| s.page_size = size);
    }

    pub fn set_orderbook(&self, ticker: &str, book: Value) {
        self.with(|s| {
            s.orderbooks.insert(ticker.to_owned(), book);
        });
    }

    pub fn set_series(&self, ticker: &str, series: Value) {
        self.with(|s| {
            s.series.insert(ticker.to_owned(), series);
        });
    }

    /// Changes a series upstream: served by `GET /series/{t}` and by `GET /series?min_updated_ts`.
    pub fn change_series(&self, series: Value) {
        self.with(|s| {
            let ticker = series["ticker"].as_str().unwrap_or_default().to_owned();
            s.series.insert(ticker, series.clone());
            s.changed_series.push(series);
        });
    }

    /// Changes an event upstream: served by `GET /events?tickers` and `GET /events?min_updated_ts`.
    pub fn change_event(&self, event: Value) {
        self.with(|s| {
            let ticker = event["event_ticker"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            s.events.insert(ticker, event.clone());
            s.changed_events.push(event);
        });
    }

    /// A milestone for a game event, shaped like reference §3.9/§8.
    pub fn add_milestone(&self, milestone: Value) {
        self.with(|s| s.milestones.push(milestone));
    }

    pub fn fail_next(&self, path_suffix: &str, faults: Vec<Fault>) {
        self.with(|s| {
            s.faults
                .entry(path_suffix.to_owned())
                .or_default()
                .extend(faults)
        });
    }

    pub fn break_page(&self, cursor: &str) {
        self.with(|s| s.broken_cursor = Some(cursor.to_owned()));
    }

    pub fn repeat_cursors(&self) {
        self.with(|s| s.repeat_cursor = true);
    }

    /// Every request so far, as `path?query`.
    pub fn requests(&self) -> Vec<String> {
        self.with(|s| s.requests.clone())
    }

    pub fn requests_to(&self, path: &str) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| r.split('?').next() == Some(path))
            .collect()
    }
}

type Shared = Arc<Mutex<Inner>>;

/// Logs the request and serves a scripted fault if one is due.
async fn intercept(state: &Shared, path: &str, query: &Option<String>) -> Option<Response> {
    let fault = {
        let mut s = state.lock().expect("fake state");
        s.requests.push(match query {
            Some(q) => format!("{path}?{q}"),
            None => path.to_owned(),
        });
        let key = s
            .faults
            .keys()
            .find(|k| path.ends_with(k.as_str()))
            .cloned();
        key.and_then(|k| s.faults.get_mut(&k).and_then(VecDeque::pop_front))
    };
    match fault {
        Some(Fault::Status(429)) => Some(
            (
                StatusCode::TOO_MANY_REQUESTS,
                Json(json!({"error": "too many requests"})),
            )
                .into_response(),
        ),
        Some(Fault::Status(code)) => Some(
            (
                StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                Json(json!({"error": {"code": "internal_error", "message": "internal error"}})),
            )
                .into_response(),
        ),
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            None
        }
        None => None,
    }
}

async fn markets(State(state): State<Shared>, RawQuery(query): RawQuery) -> Response {
    if let Some(fault) = intercept(&state, "/trade-api/v2/markets", &query).await {
        return fault;
    }
    let params = params(&query);
    let s = state.lock().expect("fake state");
    if param(&params, "cursor").is_some() && param(&params, "cursor") == s.broken_cursor {
        return (StatusCode::INTERNAL_SERVER_ERROR, "upstream exploded").into_response();
    }
    let selected: Vec<Value> = if let Some(tickers) = param(&params, "tickers") {
        let wanted: Vec<&str> = tickers.split(',').collect();
        s.markets
            .iter()
            .filter(|m| wanted.contains(&m["ticker"].as_str().unwrap_or_default()))
            .cloned()
            .collect()
    } else {
        let series = param(&params, "series_ticker");
        s.markets
            .iter()
            .filter(|m| param(&params, "status").as_deref() != Some("open") || is_open(m))
            .filter(|m| {
                series.as_deref().is_none_or(|prefix| {
                    m["event_ticker"]
                        .as_str()
                        .unwrap_or_default()
                        .starts_with(prefix)
                })
            })
            .cloned()
            .collect()
    };
    let (markets, cursor) = page(selected, &params, s.page_size, s.repeat_cursor);
    Json(json!({ "markets": markets, "cursor": cursor })).into_response()
}

async fn historical_markets(State(state): State<Shared>, RawQuery(query): RawQuery) -> Response {
    if let Some(fault) = intercept(&state, "/trade-api/v2/historical/markets", &query).await {
        return fault;
    }
    let params = params(&query);
    let s = state.lock().expect("fake state");
    let wanted: Vec<String> = param(&params, "tickers")
        .map(|t| t.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let markets: Vec<Value> = s
        .historical
        .iter()
        .filter(|m| wanted.iter().any(|w| m["ticker"] == w.as_str()))
        .cloned()
        .collect();
    Json(json!({ "markets": markets, "cursor": "" })).into_response()
}

async fn orderbooks(State(state): State<Shared>, RawQuery(query): RawQuery) -> Response {
    if let Some(fault) = intercept(&state, "/trade-api/v2/markets/orderbooks", &query).await {
        return fault;
    }
    let params = params(&query);
    let s = state.lock().expect("fake state");
    let books: Vec<Value> = params
        .iter()
        .filter(|(k, _)| k == "tickers")
        .filter_map(|(_, ticker)| {
            s.orderbooks
                .get(ticker)
                .map(|book| json!({ "ticker": ticker, "orderbook_fp": book }))
        })
        .collect();
    Json(json!({ "orderbooks": books })).into_response()
}

async fn events(State(state): State<Shared>, RawQuery(query): RawQuery) -> Response {
    if let Some(fault) = intercept(&state, "/trade-api/v2/events", &query).await {
        return fault;
    }
    let params = params(&query);
    let s = state.lock().expect("fake state");
    let events: Vec<Value> = match param(&params, "tickers") {
        Some(tickers) => tickers
            .split(',')
            .filter_map(|t| s.events.get(t).cloned())
            .collect(),
        None if param(&params, "min_updated_ts").is_some() => s.changed_events.clone(),
        None => Vec::new(),
    };
    Json(json!({ "events": events, "milestones": null, "cursor": "" })).into_response()
}

async fn series_list(State(state): State<Shared>, RawQuery(query): RawQuery) -> Response {
    if let Some(fault) = intercept(&state, "/trade-api/v2/series", &query).await {
        return fault;
    }
    let s = state.lock().expect("fake state");
    if param(&params(&query), "min_updated_ts").is_some() {
        if !s.changed_series.is_empty() {
            return Json(json!({ "series": s.changed_series })).into_response();
        }
        // Kalshi sometimes sends `null` for an empty list.
        return Json(json!({ "series": null })).into_response();
    }
    if let Some(category) = param(&params(&query), "category") {
        let mut listed: Vec<Value> = s
            .series
            .values()
            .filter(|v| v["category"] == category.as_str())
            .cloned()
            .collect();
        listed.sort_by_key(|v| v["ticker"].as_str().unwrap_or_default().to_owned());
        return Json(json!({ "series": listed })).into_response();
    }
    // No filter: the whole catalog, in one response, as Kalshi serves it.
    let mut all: Vec<&Value> = s.series.values().collect();
    all.sort_by_key(|v| v["ticker"].as_str().unwrap_or_default().to_owned());
    Json(json!({ "series": all })).into_response()
}

/// `GET /milestones`: one page (`limit` is required by Kalshi; refused without it, as Kalshi does).
async fn milestones(State(state): State<Shared>, RawQuery(query): RawQuery) -> Response {
    if let Some(fault) = intercept(&state, "/trade-api/v2/milestones", &query).await {
        return fault;
    }
    let params = params(&query);
    if param(&params, "limit").is_none() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"code": "bad_request", "message": "limit is required"}})),
        )
            .into_response();
    }
    let s = state.lock().expect("fake state");
    let (page, cursor) = page(s.milestones.clone(), &params, 500, false);
    Json(json!({ "milestones": page, "cursor": cursor })).into_response()
}

async fn one_series(
    State(state): State<Shared>,
    Path(ticker): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let path = format!("/trade-api/v2/series/{ticker}");
    if let Some(fault) = intercept(&state, &path, &query).await {
        return fault;
    }
    let s = state.lock().expect("fake state");
    match s.series.get(&ticker) {
        Some(series) => Json(json!({ "series": series })).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": {"code": "not_found", "message": "not found"}})),
        )
            .into_response(),
    }
}
