//! ESPN's scoreboard as served (docs/espn-api.md §4). ESPN documents nothing and drops
//! blocks freely, so every field is optional, and scalars whose JSON type varies between captures
//! (scores as strings or objects, clocks as integers or floats) stay `Value` until
//! [`super::records`] reads them.

use serde::Deserialize;
use serde_json::Value;

/// The top of a scoreboard response. Events stay raw so one unreadable event can be kept aside
/// without losing the others.
#[derive(Debug, Deserialize)]
pub struct Scoreboard {
    #[serde(default)]
    pub events: Option<Vec<Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: Option<Value>,
    pub date: Option<String>,
    pub name: Option<String>,
    pub short_name: Option<String>,
    pub season: Option<Season>,
    pub week: Option<Week>,
    #[serde(default)]
    pub competitions: Option<Vec<Value>>,
    pub status: Option<Status>,
}

#[derive(Debug, Deserialize)]
pub struct Season {
    pub year: Option<Value>,
    #[serde(rename = "type")]
    pub season_type: Option<Value>,
}

/// `{number}` on the scoreboard; the summary sends a bare number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Week {
    Object { number: Option<Value> },
    Bare(Value),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Competition {
    pub id: Option<Value>,
    pub date: Option<String>,
    pub start_date: Option<String>,
    pub neutral_site: Option<bool>,
    pub venue: Option<Venue>,
    #[serde(default)]
    pub competitors: Option<Vec<Competitor>>,
    pub status: Option<Status>,
    pub situation: Option<Situation>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Venue {
    pub full_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Competitor {
    pub id: Option<Value>,
    pub home_away: Option<String>,
    pub team: Option<Team>,
    /// `"24"` on the scoreboard, `{value, displayValue}` on team schedules, absent pre-game.
    pub score: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Team {
    pub id: Option<Value>,
    pub abbreviation: Option<String>,
    pub display_name: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// Seconds left in the period: `617` or `617.0`, sometimes `null` after the final.
    pub clock: Option<Value>,
    pub display_clock: Option<String>,
    pub period: Option<Value>,
    #[serde(rename = "type")]
    pub status_type: Option<StatusType>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusType {
    pub id: Option<Value>,
    pub name: Option<String>,
    pub state: Option<String>,
    pub completed: Option<bool>,
    pub detail: Option<String>,
    pub short_detail: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Situation {
    pub last_play: Option<LastPlay>,
    pub down: Option<Value>,
    pub yard_line: Option<Value>,
    pub distance: Option<Value>,
    pub is_red_zone: Option<bool>,
    pub home_timeouts: Option<Value>,
    pub away_timeouts: Option<Value>,
    /// The possessing team's id (a string).
    pub possession: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct LastPlay {
    pub id: Option<Value>,
    pub text: Option<String>,
    pub probability: Option<Probability>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probability {
    pub home_win_percentage: Option<Value>,
    pub away_win_percentage: Option<Value>,
    pub tie_percentage: Option<Value>,
}

/// The part of `…/summary?event=` this collector reads: the per-play win-probability series.
#[derive(Debug, Deserialize)]
pub struct Summary {
    #[serde(default)]
    pub winprobability: Option<Vec<SummaryProbability>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryProbability {
    pub home_win_percentage: Option<Value>,
    pub tie_percentage: Option<Value>,
    pub play_id: Option<Value>,
}
