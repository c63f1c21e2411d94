//! Scoreboard bodies shaped like ESPN's (docs/espn-api.md §4), for tests to hand the fake.

use serde_json::{json, Value};

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

/// A live game's summary (§1.4) with its win-probability series (§5): one entry per play, home
/// probability and tie as numbers, `playId` the event id plus a play suffix, as strings.
pub fn summary_body(event_id: &str, home: &[f64]) -> Value {
    let series: Vec<Value> = home
        .iter()
        .enumerate()
        .map(|(i, p)| json!({"homeWinPercentage": p, "tiePercentage": 0.0, "playId": format!("{event_id}{}", i + 1)}))
        .collect();
    json!({
        "header": {"id": event_id, "season": {"year": 2026, "type": 2},
                   "competitions": [{"id": event_id, "status": {"type": {"id": "2", "name": "STATUS_IN_PROGRESS", "state": "in", "completed": false}}}]},
        "plays": [],
        "winprobability": series,
        "pickcenter": [],
        "meta": {"gp_topic": format!("gp-{event_id}"), "lastUpdatedAt": "2026-11-22T19:04Z", "gameState": "in"}
    })
}
