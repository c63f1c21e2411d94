//! The game a market is about, as a backtest may see it: the market's link (which game, which
//! side its YES is, the line, and from when the link could be known) and the game's state as
//! stored by collect-espn, one row of `game_states` each time it changed.
//!
//! What a strategy is shown of a game is always "as of" the instant it is called: the latest
//! state observed at or before it, through a link whose `knowable_at` is at or before it.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use precog::domain::{MarketKind, YesSide};

use crate::strategy::Snapshot;

/// A market's link to its game (a `game_links` row with status `matched` or `verified`).
#[derive(Debug, Clone)]
pub struct GameLink {
    /// Index of the game in the replay's list of games.
    pub game: u32,
    pub espn_event_id: String,
    pub kind: MarketKind,
    /// Which side YES is on, from ESPN's home/away (never the ticker's team order).
    pub yes_side: Option<YesSide>,
    /// Spread: points the YES team must win by; total: the total. Null for moneylines.
    pub line: Option<Decimal>,
    /// Before this instant the link did not exist for the backtest.
    pub knowable_at: DateTime<Utc>,
}

/// A team's side in its game.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TeamSide {
    Home,
    Away,
}

/// ESPN's game status, `status.type.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Pre,
    In,
    Post,
    Unknown,
}

impl Phase {
    pub fn parse(state: Option<&str>) -> Self {
        match state {
            Some("pre") => Self::Pre,
            Some("in") => Self::In,
            Some("post") => Self::Post,
            _ => Self::Unknown,
        }
    }
}

/// One stored state of a game (the typed columns of a `game_states` row).
#[derive(Debug, Clone, PartialEq)]
pub struct GameState {
    pub observed_at: DateTime<Utc>,
    pub phase: Phase,
    pub period: Option<i32>,
    /// Seconds on the game clock (counting down in football, basketball and hockey).
    pub clock_seconds: Option<Decimal>,
    pub display_clock: Option<String>,
    pub home_score: Option<i32>,
    pub away_score: Option<i32>,
    /// Who has the ball (football), from the possession team's id against the game's teams.
    pub possession: Option<TeamSide>,
    pub down: Option<i32>,
    pub distance: Option<i32>,
    /// ESPN's model's probability that the home team wins, as ESPN gave it at `observed_at`.
    pub home_win_probability: Option<Decimal>,
    pub away_win_probability: Option<Decimal>,
    /// A `source = 'backfill'` row (only replayed when the event asks).
    pub backfilled: bool,
}

/// A change of a game's state, merged into the replay stream at its `observed_at`.
#[derive(Debug, Clone)]
pub struct GameEvent {
    pub game: u32,
    pub state: GameState,
    /// The last stored snapshot, as of the state, of each market linked to the game that has
    /// one (its time is the quote's own; the engine decides whether it is fresh enough to trade).
    pub quotes: Vec<Snapshot>,
}

/// What a strategy sees of a market's game at one instant.
#[derive(Debug, Clone, Copy)]
pub struct GameView<'a> {
    /// Index of the game in the replay (the same for every market of the game).
    pub game: u32,
    pub espn_event_id: &'a str,
    pub kind: MarketKind,
    pub yes_side: Option<YesSide>,
    pub line: Option<Decimal>,
    /// The latest state observed at or before the instant.
    pub state: &'a GameState,
}

impl GameView<'_> {
    /// ESPN's probability that this market's YES wins, for a moneyline market: the home
    /// probability when YES is the home team, the away one (else 1 − home) when it is the away
    /// team. `None` for other kinds or without a probability.
    pub fn yes_win_probability(&self) -> Option<Decimal> {
        if self.kind != MarketKind::Moneyline {
            return None;
        }
        let home = self.state.home_win_probability;
        match self.yes_side? {
            YesSide::Home => home,
            YesSide::Away => self
                .state
                .away_win_probability
                .or(home.map(|h| Decimal::ONE - h)),
            YesSide::Over | YesSide::Under => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(home: Option<&str>, away: Option<&str>) -> GameState {
        GameState {
            observed_at: DateTime::from_timestamp(1_790_000_000, 0).expect("time"),
            phase: Phase::In,
            period: Some(1),
            clock_seconds: None,
            display_clock: None,
            home_score: Some(0),
            away_score: Some(0),
            possession: None,
            down: None,
            distance: None,
            home_win_probability: home.map(|s| s.parse().expect("decimal")),
            away_win_probability: away.map(|s| s.parse().expect("decimal")),
            backfilled: false,
        }
    }

    fn view(kind: MarketKind, side: YesSide, state: &GameState) -> GameView<'_> {
        GameView {
            game: 0,
            espn_event_id: "1",
            kind,
            yes_side: Some(side),
            line: None,
            state,
        }
    }

    #[test]
    fn yes_probability_follows_the_side_yes_is_on() {
        let s = state(Some("0.8"), Some("0.19"));
        let d = |v: &str| v.parse::<Decimal>().expect("decimal");
        assert_eq!(
            view(MarketKind::Moneyline, YesSide::Home, &s).yes_win_probability(),
            Some(d("0.8"))
        );
        assert_eq!(
            view(MarketKind::Moneyline, YesSide::Away, &s).yes_win_probability(),
            Some(d("0.19")),
            "ESPN's away probability (a tie takes the rest)"
        );
        let no_away = state(Some("0.8"), None);
        assert_eq!(
            view(MarketKind::Moneyline, YesSide::Away, &no_away).yes_win_probability(),
            Some(d("0.2"))
        );
        assert_eq!(
            view(MarketKind::Total, YesSide::Over, &s).yes_win_probability(),
            None
        );
        assert_eq!(
            view(MarketKind::Spread, YesSide::Home, &s).yes_win_probability(),
            None,
            "a win probability is not a cover probability"
        );
    }
}
