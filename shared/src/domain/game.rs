//! ESPN's games as we store them: the game's facts, and its state as observed at one moment.
//! The client (`crate::espn`) reads ESPN's events into these; the database writes them.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use super::EspnEventId;

/// The game's facts, upserted as they change.
#[derive(Debug, Clone, PartialEq)]
pub struct Game {
    pub espn_event_id: EspnEventId,
    pub league: String,
    pub season: Option<i32>,
    pub season_type: Option<i32>,
    pub week: Option<i32>,
    pub scheduled_start: Option<DateTime<Utc>>,
    pub name: Option<String>,
    pub short_name: Option<String>,
    pub home: Team,
    pub away: Team,
    pub venue: Option<String>,
    pub neutral_site: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Team {
    pub id: Option<String>,
    pub abbreviation: Option<String>,
    pub name: Option<String>,
}

/// ESPN's status type. Liveness is `state == "in"`; finality is `completed == true`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Status {
    pub type_id: Option<String>,
    pub name: Option<String>,
    pub state: Option<String>,
    pub completed: Option<bool>,
    pub detail: Option<String>,
}

/// Status names seen in ESPN's feeds (§3); anything else is stored and logged.
pub const KNOWN_STATUS_NAMES: &[&str] = &[
    "STATUS_SCHEDULED",
    "STATUS_IN_PROGRESS",
    "STATUS_FINAL",
    "STATUS_CANCELED",
    "STATUS_CANCELLED",
    "STATUS_POSTPONED",
    "STATUS_SUSPENDED",
    "STATUS_DELAYED",
    "STATUS_RAIN_DELAY",
    "STATUS_END_PERIOD",
    "STATUS_HALFTIME",
    "STATUS_FORFEIT",
    "STATUS_OVERTIME",
    "STATUS_SHOOTOUT",
    "STATUS_FINAL_OT",
    "STATUS_FINAL_PEN",
    "STATUS_ABANDONED",
    "STATUS_TBD",
];

impl Status {
    /// In play, halftime and period breaks included.
    pub fn is_live(&self) -> bool {
        self.state.as_deref() == Some("in")
    }

    /// Played to the end. Postponed and canceled games are `post` but not final.
    pub fn is_final(&self) -> bool {
        self.completed == Some(true)
    }

    pub fn is_known(&self) -> bool {
        self.name
            .as_deref()
            .is_none_or(|name| KNOWN_STATUS_NAMES.contains(&name))
    }
}

/// ESPN's win probability (0–1) and where it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct WinProbability {
    pub home: Option<Decimal>,
    pub away: Option<Decimal>,
    pub tie: Option<Decimal>,
    /// `scoreboard` (the live situation's last play) or `summary` (the per-play series).
    pub source: &'static str,
}

/// The game as seen at one moment. Whether it changed since the last stored state is decided
/// where it is stored (`crate::db::games`), over every stored column but the raw payload.
#[derive(Debug, Clone)]
pub struct GameState {
    pub espn_event_id: EspnEventId,
    pub status: Status,
    pub period: Option<i32>,
    pub clock_seconds: Option<Decimal>,
    pub display_clock: Option<String>,
    pub home_score: Option<i32>,
    pub away_score: Option<i32>,
    pub possession_team_id: Option<String>,
    pub down: Option<i32>,
    pub distance: Option<i32>,
    pub yard_line: Option<i32>,
    pub is_red_zone: Option<bool>,
    pub home_timeouts: Option<i32>,
    pub away_timeouts: Option<i32>,
    pub last_play_id: Option<String>,
    pub last_play_text: Option<String>,
    pub win_probability: Option<WinProbability>,
    /// The competition object as served.
    pub raw: Value,
}
