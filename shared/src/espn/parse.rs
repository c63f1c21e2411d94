//! ESPN events read into the domain's two records (`crate::domain`): the game's facts and its
//! observed state. Reading follows reference/espn-api.md: home and away by `homeAway` (never by position), scores
//! from strings, finality from `completed` only, out-of-range downs as null, dates with or
//! without seconds. An event that cannot be read comes back as a [`Rejection`] with the reason.

use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use super::wire;
use crate::domain::{EspnEventId, Game, GameState, Status, Team, WinProbability};

/// An event kept aside with the reason it could not be read.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub espn_event_id: Option<String>,
    pub reason: String,
    pub raw: Value,
}

/// One scoreboard, read.
#[derive(Debug, Default)]
pub struct Parsed {
    pub games: Vec<(Game, GameState)>,
    pub rejected: Vec<Rejection>,
    /// How many events the response held (ESPN truncates silently; see §1.3).
    pub events_seen: usize,
}

/// Reads every event of a scoreboard for `league`; unreadable ones become rejections.
pub fn parse_scoreboard(league: &str, board: wire::Scoreboard) -> Parsed {
    let events = board.events.unwrap_or_default();
    let mut parsed = Parsed {
        events_seen: events.len(),
        ..Parsed::default()
    };
    for raw in events {
        match parse_event(league, &raw) {
            Ok(pair) => parsed.games.push(pair),
            Err(reason) => parsed.rejected.push(Rejection {
                espn_event_id: raw.get("id").and_then(id_string),
                reason,
                raw,
            }),
        }
    }
    parsed
}

/// One event into its game and state, or the reason it cannot be read.
pub fn parse_event(league: &str, raw: &Value) -> Result<(Game, GameState), String> {
    let event: wire::Event =
        serde_json::from_value(raw.clone()).map_err(|e| format!("event: {e}"))?;
    let id = event
        .id
        .as_ref()
        .and_then(id_string)
        .and_then(|id| EspnEventId::new(id).ok())
        .ok_or("event.id is missing or not an id")?;
    let raw_competition = event
        .competitions
        .as_ref()
        .and_then(|c| c.first())
        .ok_or("event.competitions is empty")?
        .clone();
    let competition: wire::Competition = serde_json::from_value(raw_competition.clone())
        .map_err(|e| format!("competitions[0]: {e}"))?;
    let competitors = competition.competitors.unwrap_or_default();
    let side = |which: &str| -> Result<&wire::Competitor, String> {
        let mut matching = competitors
            .iter()
            .filter(|c| c.home_away.as_deref() == Some(which));
        let first = matching
            .next()
            .ok_or_else(|| format!("competitors: no `{which}` competitor"))?;
        if matching.next().is_some() {
            return Err(format!("competitors: more than one `{which}` competitor"));
        }
        Ok(first)
    };
    let (home, away) = (side("home")?, side("away")?);
    let home_score = score(home).map_err(|e| format!("home score: {e}"))?;
    let away_score = score(away).map_err(|e| format!("away score: {e}"))?;
    // The competition's status is the one that moves; the event's duplicates it.
    let wire_status = competition
        .status
        .or(event.status)
        .ok_or("competitions[0].status is missing")?;
    let status_type = wire_status
        .status_type
        .as_ref()
        .ok_or("status.type is missing")?;
    let status = Status {
        type_id: status_type.id.as_ref().and_then(id_string),
        name: status_type.name.clone(),
        state: status_type.state.clone(),
        completed: status_type.completed,
        detail: status_type
            .detail
            .clone()
            .or_else(|| status_type.short_detail.clone()),
    };
    let start = competition
        .date
        .as_deref()
        .or(competition.start_date.as_deref())
        .or(event.date.as_deref());
    let game = Game {
        espn_event_id: id.clone(),
        league: league.to_owned(),
        season: event.season.as_ref().and_then(|s| int(s.year.as_ref())),
        season_type: event
            .season
            .as_ref()
            .and_then(|s| int(s.season_type.as_ref())),
        week: event.week.as_ref().and_then(|w| match w {
            wire::Week::Object { number } => int(number.as_ref()),
            wire::Week::Bare(n) => int(Some(n)),
        }),
        scheduled_start: start.and_then(parse_time),
        name: event.name,
        short_name: event.short_name,
        home: team(home),
        away: team(away),
        venue: competition.venue.and_then(|v| v.full_name),
        neutral_site: competition.neutral_site,
    };
    let situation = competition.situation;
    let last_play = situation.as_ref().and_then(|s| s.last_play.as_ref());
    let situation_int =
        |f: fn(&wire::Situation) -> Option<&Value>| situation.as_ref().and_then(|s| int(f(s)));
    let state = GameState {
        espn_event_id: id,
        status,
        period: int(wire_status.period.as_ref()),
        clock_seconds: wire_status.clock.as_ref().and_then(decimal),
        display_clock: wire_status.display_clock,
        home_score,
        away_score,
        possession_team_id: situation
            .as_ref()
            .and_then(|s| s.possession.as_ref())
            .and_then(id_string),
        // -1 and 0 mark dead balls (kickoffs, PATs): no down.
        down: situation_int(|s| s.down.as_ref()).filter(|d| (1..=4).contains(d)),
        distance: situation_int(|s| s.distance.as_ref()).filter(|d| (0..=100).contains(d)),
        yard_line: situation_int(|s| s.yard_line.as_ref()).filter(|y| (0..=100).contains(y)),
        is_red_zone: situation.as_ref().and_then(|s| s.is_red_zone),
        home_timeouts: situation_int(|s| s.home_timeouts.as_ref()).filter(|t| *t >= 0),
        away_timeouts: situation_int(|s| s.away_timeouts.as_ref()).filter(|t| *t >= 0),
        last_play_id: last_play.and_then(|p| p.id.as_ref()).and_then(id_string),
        last_play_text: last_play.and_then(|p| p.text.clone()),
        win_probability: last_play
            .and_then(|p| p.probability.as_ref())
            .and_then(|p| {
                let probability = WinProbability {
                    home: p.home_win_percentage.as_ref().and_then(decimal),
                    away: p.away_win_percentage.as_ref().and_then(decimal),
                    tie: p.tie_percentage.as_ref().and_then(decimal),
                    source: "scoreboard",
                };
                (probability.home.is_some() || probability.away.is_some()).then_some(probability)
            }),
        raw: raw_competition,
    };
    Ok((game, state))
}

/// The last entry of a summary's `winprobability` series (away = 1 − home − tie), if any.
pub fn summary_win_probability(summary: &wire::Summary) -> Option<WinProbability> {
    let last = summary.winprobability.as_ref()?.last()?;
    let home = last.home_win_percentage.as_ref().and_then(decimal)?;
    let tie = last
        .tie_percentage
        .as_ref()
        .and_then(decimal)
        .unwrap_or(Decimal::ZERO);
    Some(WinProbability {
        home: Some(home),
        away: Some((Decimal::ONE - home - tie).max(Decimal::ZERO)),
        tie: Some(tie),
        source: "summary",
    })
}

fn team(competitor: &wire::Competitor) -> Team {
    let team = competitor.team.as_ref();
    Team {
        id: team
            .and_then(|t| t.id.as_ref())
            .or(competitor.id.as_ref())
            .and_then(id_string),
        abbreviation: team.and_then(|t| t.abbreviation.clone()),
        name: team.and_then(|t| t.display_name.clone().or_else(|| t.name.clone())),
    }
}

/// `"24"`, `24`, or `{value, displayValue}`; absent (pre-game) is `None`, garbage is an error.
fn score(competitor: &wire::Competitor) -> Result<Option<i32>, String> {
    let value = match &competitor.score {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(o)) => match o.get("value").or_else(|| o.get("displayValue")) {
            None | Some(Value::Null) => return Ok(None),
            Some(v) => v,
        },
        Some(v) => v,
    };
    if value.as_str().is_some_and(|s| s.trim().is_empty()) {
        return Ok(None);
    }
    int(Some(value))
        .filter(|s| *s >= 0)
        .map(Some)
        .ok_or_else(|| format!("`{value}` is not a score"))
}

/// Ids come as strings (`"401547417"`); accept numbers too.
fn id_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An integer from `3`, `3.0` or `"3"`.
fn int(value: Option<&Value>) -> Option<i32> {
    let d = decimal(value?)?;
    if d.fract() != Decimal::ZERO {
        return None;
    }
    i32::try_from(d.mantissa() / 10i128.pow(d.scale())).ok()
}

/// A number exactly as its JSON text (`617.0`, `0.3871`, `"7"`).
fn decimal(value: &Value) -> Option<Decimal> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return None,
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
        .map(|d| d.normalize())
}

/// `2025-09-21T17:00Z` (ESPN's minute precision), RFC 3339, or `…T17:00+00:00`.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Some(naive) = text.strip_suffix('Z') {
        for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S%.f"] {
            if let Ok(t) = NaiveDateTime::parse_from_str(naive, format) {
                return Some(t.and_utc());
            }
        }
    }
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M%:z")
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(competitors: Value, status: Value, situation: Option<Value>) -> Value {
        let mut competition = json!({
            "id": "401", "date": "2025-09-21T17:00Z", "competitors": competitors, "status": status,
            "venue": {"fullName": "Somewhere"}
        });
        if let Some(s) = situation {
            competition["situation"] = s;
        }
        json!({"id": "401", "date": "2025-09-21T17:00Z", "season": {"year": 2025, "type": 2},
               "week": {"number": 3}, "competitions": [competition]})
    }

    fn pair() -> Value {
        json!([
            {"homeAway": "away", "score": "13", "team": {"id": "9", "abbreviation": "GB", "displayName": "Green Bay Packers"}},
            {"homeAway": "home", "score": "10", "team": {"id": "5", "abbreviation": "CLE", "displayName": "Cleveland Browns"}}
        ])
    }

    fn live() -> Value {
        json!({"clock": 617, "displayClock": "10:17", "period": 3,
               "type": {"id": "2", "name": "STATUS_IN_PROGRESS", "state": "in", "completed": false}})
    }

    #[test]
    fn home_and_away_come_from_home_away_not_from_order() {
        let (game, state) =
            parse_event("football/nfl", &event(pair(), live(), None)).expect("reads");
        assert_eq!(game.home.abbreviation.as_deref(), Some("CLE"));
        assert_eq!(game.away.abbreviation.as_deref(), Some("GB"));
        assert_eq!((state.home_score, state.away_score), (Some(10), Some(13)));
        assert_eq!(game.week, Some(3));
        assert_eq!(state.clock_seconds, Some(Decimal::from(617)));
    }

    #[test]
    fn dead_ball_downs_are_null_and_probabilities_are_exact() {
        let situation = json!({"down": -1, "distance": 10, "yardLine": 35,
            "lastPlay": {"id": "77", "text": "Kickoff", "probability": {"homeWinPercentage": 0.3871, "awayWinPercentage": 0.6129, "tiePercentage": 0.0}}});
        let (_, state) =
            parse_event("football/nfl", &event(pair(), live(), Some(situation))).expect("reads");
        assert_eq!(state.down, None);
        assert_eq!(state.yard_line, Some(35));
        let wp = state.win_probability.expect("probability");
        assert_eq!(wp.home, Decimal::from_str("0.3871").ok());
        assert_eq!(wp.source, "scoreboard");
    }

    #[test]
    fn postponed_is_post_but_not_final_and_unknown_names_are_flagged() {
        let status = json!({"clock": 0.0, "period": 0, "type": {"id": "6", "name": "STATUS_POSTPONED", "state": "post", "completed": false}});
        let (_, state) = parse_event("football/nfl", &event(pair(), status, None)).expect("reads");
        assert!(!state.status.is_final() && !state.status.is_live() && state.status.is_known());
        let odd = json!({"type": {"id": "99", "name": "STATUS_SOMETHING_NEW", "state": "in"}});
        let (_, state) = parse_event("football/nfl", &event(pair(), odd, None)).expect("reads");
        assert!(!state.status.is_known() && state.status.is_live());
    }

    #[test]
    fn unreadable_events_say_why() {
        let one_side = json!([{"homeAway": "home", "score": "1"}]);
        let err = parse_event("hockey/nhl", &event(one_side, live(), None)).expect_err("refused");
        assert!(err.contains("away"), "{err}");
        let bad_score =
            json!([{"homeAway": "home", "score": "ten"}, {"homeAway": "away", "score": "1"}]);
        let err = parse_event("hockey/nhl", &event(bad_score, live(), None)).expect_err("refused");
        assert!(err.contains("home score"), "{err}");
        assert!(parse_event("hockey/nhl", &json!({"competitions": []})).is_err());
    }

    #[test]
    fn times_with_and_without_seconds_parse() {
        let expected = parse_time("2025-09-21T17:00:00Z").expect("rfc3339");
        for text in [
            "2025-09-21T17:00Z",
            "2025-09-21T17:00:00+00:00",
            "2025-09-21T13:00-04:00",
        ] {
            assert_eq!(parse_time(text), Some(expected), "{text}");
        }
        assert_eq!(parse_time("next week"), None);
    }

    #[test]
    fn summary_series_gives_away_as_the_rest() {
        let summary: wire::Summary = serde_json::from_value(json!({"winprobability": [
            {"homeWinPercentage": 0.5, "tiePercentage": 0.0, "playId": "1"},
            {"homeWinPercentage": 0.25, "tiePercentage": 0.05, "playId": "2"}]}))
        .expect("summary");
        let wp = summary_win_probability(&summary).expect("series");
        assert_eq!(wp.away, Decimal::from_str("0.70").ok());
        let empty: wire::Summary =
            serde_json::from_value(json!({"winprobability": []})).expect("summary");
        assert!(summary_win_probability(&empty).is_none());
    }
}
