use std::time::Duration;

use precog::domain::is_kalshi_ticker;
use precog::runner::{BadEvent, Event};
use serde::Deserialize;

/// `{}` collects every open market once. Examples:
/// `{"series":["KXNFLGAME"],"interval_seconds":10,"depth":true}` (a game window),
/// `{"tickers":["KXNFLGAME-26SEP13DALNYG-DAL"]}`,
/// `{"live_games":true,"interval_seconds":10,"depth":true}` (the markets of the games live now).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectEvent {
    /// Only the open markets of these series (instead of every open market).
    #[serde(default)]
    pub series: Vec<String>,
    /// Only these markets, whatever their status.
    #[serde(default)]
    pub tickers: Vec<String>,
    /// Only the markets linked to games ESPN shows live now (read from the database each pass);
    /// with none, one query and the invocation ends.
    #[serde(default)]
    pub live_games: bool,
    /// Repeat the pass this often until the deadline.
    pub interval_seconds: Option<u64>,
    /// The invocation's budget when not under Lambda (Lambda's own deadline caps it).
    pub max_seconds: Option<u64>,
    /// Also fetch each market's order book, stored as the snapshot's depth.
    #[serde(default)]
    pub depth: bool,
    /// Store an unchanged market's snapshot at least this often.
    pub heartbeat_minutes: Option<u32>,
    /// Re-link every game-series market to its ESPN game, not only what changed (after an
    /// alias fix; docs/linking.md).
    #[serde(default)]
    pub relink: bool,
}

pub const DEFAULT_HEARTBEAT_MINUTES: u32 = 60;

impl CollectEvent {
    pub fn interval(&self) -> Option<Duration> {
        self.interval_seconds.map(Duration::from_secs)
    }

    pub fn heartbeat_minutes(&self) -> u32 {
        self.heartbeat_minutes.unwrap_or(DEFAULT_HEARTBEAT_MINUTES)
    }
}

impl Event for CollectEvent {
    fn validate(&self) -> Result<(), BadEvent> {
        if !self.series.is_empty() && !self.tickers.is_empty() {
            return Err(BadEvent::new(
                "tickers",
                "give `series` or `tickers`, not both",
            ));
        }
        if self.live_games && !(self.series.is_empty() && self.tickers.is_empty()) {
            return Err(BadEvent::new(
                "live_games",
                "`live_games` chooses the markets itself: give it without `series` or `tickers`",
            ));
        }
        for (field, values) in [("series", &self.series), ("tickers", &self.tickers)] {
            if let Some(bad) = values.iter().find(|v| !is_kalshi_ticker(v)) {
                return Err(BadEvent::new(
                    field,
                    format!("`{bad}` is not a Kalshi ticker"),
                ));
            }
        }
        if self.tickers.len() > 10_000 {
            return Err(BadEvent::new(
                "tickers",
                "at most 10000 tickers per invocation",
            ));
        }
        if let Some(seconds) = self.interval_seconds {
            if !(1..=3600).contains(&seconds) {
                return Err(BadEvent::new(
                    "interval_seconds",
                    "must be between 1 and 3600",
                ));
            }
        }
        precog::runner::check_max_seconds(self.max_seconds)?;
        if let Some(minutes) = self.heartbeat_minutes {
            if !(1..=10_080).contains(&minutes) {
                return Err(BadEvent::new(
                    "heartbeat_minutes",
                    "must be between 1 and 10080",
                ));
            }
        }
        Ok(())
    }

    fn max_seconds(&self) -> Option<u64> {
        self.max_seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use precog::runner::{parse_event, Trigger};
    use serde_json::json;

    #[test]
    fn bad_events_name_their_field() {
        let cases = [
            (
                json!({"series": ["KXNFLGAME"], "tickers": ["A-1"]}),
                "tickers",
            ),
            (json!({"series": ["kxnfl game"]}), "series"),
            (json!({"interval_seconds": 0}), "interval_seconds"),
            (json!({"heartbeat_minutes": -5}), "heartbeat_minutes"),
            (json!({"depht": true}), "depht"),
            (
                json!({"live_games": true, "series": ["KXNFLGAME"]}),
                "live_games",
            ),
            (json!({"live_games": "yes"}), "live_games"),
            (json!({"max_seconds": "soon"}), "max_seconds"),
        ];
        for (payload, field) in cases {
            let err =
                parse_event::<CollectEvent>(payload.clone(), Trigger::Manual).expect_err("refused");
            assert_eq!(err.field, field, "{payload}");
        }
    }

    #[test]
    fn a_game_window_event_parses() {
        let (event, _) = parse_event::<CollectEvent>(
            json!({"series": ["KXNFLGAME"], "interval_seconds": 10, "depth": true}),
            Trigger::Schedule,
        )
        .expect("valid");
        assert_eq!(event.interval(), Some(Duration::from_secs(10)));
        assert_eq!(event.heartbeat_minutes(), DEFAULT_HEARTBEAT_MINUTES);
    }
}
