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

/// A scoreboard document around `events` (§1.3 top-level keys).
pub fn board(league: &str, events: Vec<Value>) -> Value {
    let slug = league.rsplit('/').next().unwrap_or(league);
    json!({
        "leagues": [{"id": "28", "uid": "s:20~l:28", "name": league, "abbreviation": slug.to_uppercase(),
                     "slug": slug, "season": {"year": 2026, "type": {"id": "2", "type": 2, "name": "Regular Season"}},
                     "calendarType": "list", "calendarIsWhitelist": true, "calendar": []}],
        "season": {"type": 2, "year": 2026},
        "week": {"number": 12},
        "events": events
    })
}

/// A team in an event.
#[derive(Clone, Copy)]
pub struct Side<'a> {
    pub id: &'a str,
    pub abbreviation: &'a str,
    pub name: &'a str,
    /// `None` leaves `score` out, as some pre-game captures do.
    pub score: Option<&'a str>,
}

pub const CLE: Side = Side {
    id: "5",
    abbreviation: "CLE",
    name: "Cleveland Browns",
    score: Some("10"),
};
pub const GB: Side = Side {
    id: "9",
    abbreviation: "GB",
    name: "Green Bay Packers",
    score: Some("13"),
};

pub fn side<'a>(id: &'a str, abbreviation: &'a str, score: &'a str) -> Side<'a> {
    Side {
        id,
        abbreviation,
        name: abbreviation,
        score: Some(score),
    }
}

fn competitor(side: Side, home_away: &str, order: u32, winner: Option<bool>) -> Value {
    let mut c = json!({
        "id": side.id, "uid": format!("s:20~l:28~t:{}", side.id), "type": "team", "order": order,
        "homeAway": home_away,
        "team": {"id": side.id, "uid": format!("s:20~l:28~t:{}", side.id), "location": side.name,
                 "abbreviation": side.abbreviation, "displayName": side.name,
                 "shortDisplayName": side.name, "color": "472a08", "isActive": true},
        "linescores": [],
        "records": [{"name": "overall", "abbreviation": "Game", "type": "total", "summary": "1-1"}]
    });
    if let Some(score) = side.score {
        c["score"] = json!(score);
    }
    if let Some(winner) = winner {
        c["winner"] = json!(winner);
    }
    c
}

/// A scoreboard event (§8), home listed first like ESPN's captures.
pub fn event(id: &str, status: Value, home: Side, away: Side, situation: Option<Value>) -> Value {
    let final_ = status["type"]["completed"] == json!(true);
    let winner = |me: Side, them: Side| {
        final_.then(|| {
            me.score.and_then(|s| s.parse::<i32>().ok())
                > them.score.and_then(|s| s.parse::<i32>().ok())
        })
    };
    let mut competition = json!({
        "id": id, "uid": format!("s:20~l:28~e:{id}~c:{id}"), "date": "2026-11-22T18:00Z",
        "attendance": 0, "type": {"id": "1", "abbreviation": "STD"}, "timeValid": true,
        "neutralSite": false, "conferenceCompetition": false, "playByPlayAvailable": true,
        "venue": {"id": "3653", "fullName": format!("{} Stadium", home.name),
                  "address": {"city": "Somewhere", "state": "OH"}, "indoor": false},
        "competitors": [competitor(home, "home", 0, winner(home, away)),
                        competitor(away, "away", 1, winner(away, home))],
        "notes": [],
        "status": status.clone(),
        "broadcasts": [{"market": "national", "names": ["FOX"]}],
        "broadcast": "FOX",
        "format": {"regulation": {"periods": 4}},
        "startDate": "2026-11-22T18:00Z"
    });
    if let Some(situation) = situation {
        competition["situation"] = situation;
    }
    json!({
        "id": id, "uid": format!("s:20~l:28~e:{id}"), "date": "2026-11-22T18:00Z",
        "name": format!("{} at {}", away.name, home.name),
        "shortName": format!("{} @ {}", away.abbreviation, home.abbreviation),
        "season": {"year": 2026, "type": 2, "slug": "regular-season"},
        "week": {"number": 12},
        "competitions": [competition],
        "status": status
    })
}

/// The same event with its competitors listed away first.
pub fn away_first(mut event: Value) -> Value {
    if let Some(list) = event["competitions"][0]["competitors"].as_array_mut() {
        list.reverse();
    }
    event
}

#[allow(clippy::too_many_arguments)]
fn status(
    clock: Value,
    display: &str,
    period: u32,
    id: &str,
    name: &str,
    state: &str,
    completed: bool,
    detail: &str,
) -> Value {
    json!({"clock": clock, "displayClock": display, "period": period,
           "type": {"id": id, "name": name, "state": state, "completed": completed,
                    "description": detail, "detail": detail, "shortDetail": detail}})
}

/// In progress; `clock` as ESPN sent it (`617` or `617.0`).
pub fn live(clock: Value, display: &str, period: u32) -> Value {
    status(
        clock,
        display,
        period,
        "2",
        "STATUS_IN_PROGRESS",
        "in",
        false,
        &format!("{display} - 3rd Quarter"),
    )
}

pub fn halftime() -> Value {
    status(
        json!(0.0),
        "0:00",
        2,
        "23",
        "STATUS_HALFTIME",
        "in",
        false,
        "Halftime",
    )
}

pub fn final_(overtime: bool) -> Value {
    let mut s = status(
        json!(0.0),
        "0:00",
        if overtime { 5 } else { 4 },
        "3",
        "STATUS_FINAL",
        "post",
        true,
        if overtime { "Final/OT" } else { "Final" },
    );
    if overtime {
        s["type"]["altDetail"] = json!("OT");
    }
    s
}

pub fn postponed() -> Value {
    status(
        json!(0.0),
        "0:00",
        0,
        "6",
        "STATUS_POSTPONED",
        "post",
        false,
        "Postponed",
    )
}

pub fn scheduled() -> Value {
    status(
        json!(0),
        "0:00",
        0,
        "1",
        "STATUS_SCHEDULED",
        "pre",
        false,
        "Sun, November 22nd at 1:00 PM EST",
    )
}

/// A live football situation (§2.6) with ESPN's win probability on the last play.
pub fn situation(
    possession: &str,
    down: i32,
    distance: i32,
    yard_line: i32,
    home_wp: f64,
) -> Value {
    json!({
        "$ref": "http://sports.core.api.espn.pvt/v2/sports/football/leagues/nfl/events/1/competitions/1/situation?lang=en&region=us",
        "lastPlay": {
            "id": format!("4017000011{down}{distance}{yard_line}"),
            "type": {"id": "24", "text": "Pass Reception", "abbreviation": "REC"},
            "text": "(10:17) (Shotgun) J.Love pass short right to R.Doubs to CLE 38 for 7 yards (G.Newsome).",
            "scoreValue": 0, "team": {"id": possession},
            "probability": {"tiePercentage": 0.0, "homeWinPercentage": home_wp,
                            "awayWinPercentage": 1.0 - home_wp, "secondsLeft": 0},
            "drive": {"description": "5 plays, 38 yards, 2:41", "start": {"yardLine": 76, "text": "GB 24"},
                      "timeElapsed": {"displayValue": "2:41"}},
            "start": {"yardLine": 45, "team": {"id": possession}},
            "end": {"yardLine": yard_line, "team": {"id": possession}},
            "statYardage": 7
        },
        "down": down, "yardLine": yard_line, "distance": distance,
        "downDistanceText": format!("{down} & {distance} at CLE {yard_line}"),
        "shortDownDistanceText": format!("{down} & {distance}"),
        "possessionText": format!("CLE {yard_line}"),
        "isRedZone": yard_line <= 20,
        "homeTimeouts": 3, "awayTimeouts": 2,
        "possession": possession
    })
}

/// Between plays: the situation without possession or the down texts (§2.6 absence rules).
pub fn situation_between_plays() -> Value {
    json!({"down": -1, "yardLine": 35, "distance": 10, "homeTimeouts": 3, "awayTimeouts": 3,
           "lastPlay": {"id": "40170000119", "text": "Kickoff", "type": {"id": "53", "text": "Kickoff"}}})
}
