//! An ESPN stand-in over real HTTP, serving scoreboards shaped like docs/espn-api.md §4:
//! string ids and scores, minute-precision dates, `situation` only while live, clocks as integers
//! or floats. Like Akamai in front of ESPN, it answers a bare 403 (empty body, `Server:
//! AkamaiGHost`) to a User-Agent that is empty or does not begin with a known HTTP-library token,
//! and it serves scripted faults (403 throttling, 5xx) before answering normally.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::espn::EspnSettings;
use crate::http::RetryPolicy;

mod bodies;
pub use bodies::*;

/// Client settings aimed at a fake: fast retries, a short timeout.
pub fn settings(base_url: &str, user_agent: &str) -> EspnSettings {
    EspnSettings {
        api_base: base_url.to_owned(),
        user_agent: user_agent.to_owned(),
        timeout: Duration::from_millis(1000),
        requests_per_second: 500.0,
        scoreboard_limit: 300,
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
    }
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub query: HashMap<String, String>,
    pub user_agent: String,
    /// When it arrived (request-rate checks).
    pub at: std::time::Instant,
}

#[derive(Default)]
struct Inner {
    /// Per league slug, the scoreboards to serve in turn; the last one stays.
    scoreboards: HashMap<String, VecDeque<Value>>,
    /// Per event id, the summary body.
    summaries: HashMap<String, Value>,
    /// Statuses served, in order, to the next requests (whatever their path).
    faults: VecDeque<u16>,
    requests: Vec<Seen>,
}

#[derive(Clone)]
pub struct FakeEspn {
    inner: Arc<Mutex<Inner>>,
    pub base_url: String,
}

impl FakeEspn {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route(
                "/apis/site/v2/sports/{sport}/{league}/scoreboard",
                get(scoreboard),
            )
            .route(
                "/apis/site/v2/sports/{sport}/{league}/summary",
                get(summary),
            )
            .with_state(inner.clone());
        let address = super::serve_loopback(app).await;
        Self {
            inner,
            base_url: format!("http://{address}"),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().expect("fake state"))
    }

    /// Serves these events for `league` from now on.
    pub fn set_events(&self, league: &str, events: Vec<Value>) {
        self.set_sequence(league, vec![events]);
    }

    /// Serves these slates in turn, one per request, then keeps serving the last.
    pub fn set_sequence(&self, league: &str, slates: Vec<Vec<Value>>) {
        let boards = slates
            .into_iter()
            .map(|events| board(league, events))
            .collect();
        self.with(|s| s.scoreboards.insert(league.to_owned(), boards));
    }

    pub fn set_summary(&self, event_id: &str, body: Value) {
        self.with(|s| s.summaries.insert(event_id.to_owned(), body));
    }

    pub fn fail_next(&self, statuses: &[u16]) {
        self.with(|s| s.faults.extend(statuses));
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.with(|s| s.requests.clone())
    }
}

/// Akamai's filter as observed in 2026 (§4): library tokens pass, browsers and bare tokens do not.
fn user_agent_passes(user_agent: &str) -> bool {
    [
        "curl/",
        "python-requests/",
        "python-httpx/",
        "Go-http-client/",
        "okhttp/",
        "axios/",
    ]
    .iter()
    .any(|token| user_agent.starts_with(token))
}

fn akamai_403() -> Response {
    (StatusCode::FORBIDDEN, [("server", "AkamaiGHost")], "").into_response()
}

fn record(
    state: &Mutex<Inner>,
    path: String,
    query: HashMap<String, String>,
    headers: &HeaderMap,
) -> Option<Response> {
    let user_agent = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut s = state.lock().expect("fake state");
    s.requests.push(Seen {
        path,
        query,
        user_agent: user_agent.clone(),
        at: std::time::Instant::now(),
    });
    if !user_agent_passes(&user_agent) {
        return Some(akamai_403());
    }
    match s.faults.pop_front() {
        Some(403) => Some(akamai_403()),
        Some(status) => Some(
            (
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "upstream trouble",
            )
                .into_response(),
        ),
        None => None,
    }
}

async fn scoreboard(
    State(state): State<Arc<Mutex<Inner>>>,
    Path((sport, league)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let slug = format!("{sport}/{league}");
    if let Some(refusal) = record(
        &state,
        format!("{slug}/scoreboard"),
        query.clone(),
        &headers,
    ) {
        return refusal;
    }
    // The range form is refused since September 2026 (§1.3).
    if query.get("dates").is_some_and(|d| d.contains('-')) {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"code": 400, "message": "Failed to get events endpoint."})),
        )
            .into_response();
    }
    let mut s = state.lock().expect("fake state");
    let body = match s.scoreboards.get_mut(&slug) {
        Some(boards) if boards.len() > 1 => boards.pop_front(),
        Some(boards) => boards.front().cloned(),
        None => None,
    }
    .unwrap_or_else(|| board(&slug, vec![]));
    axum::Json(body).into_response()
}

async fn summary(
    State(state): State<Arc<Mutex<Inner>>>,
    Path((sport, league)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = record(
        &state,
        format!("{sport}/{league}/summary"),
        query.clone(),
        &headers,
    ) {
        return refusal;
    }
    let id = query.get("event").cloned().unwrap_or_default();
    let s = state.lock().expect("fake state");
    let body = s
        .summaries
        .get(&id)
        .cloned()
        .unwrap_or_else(|| json!({"winprobability": []}));
    axum::Json(body).into_response()
}
