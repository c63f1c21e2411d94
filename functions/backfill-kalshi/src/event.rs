use chrono::{DateTime, Utc};
use precog::domain::history::CandlePeriod;
use precog::domain::is_kalshi_ticker;
use precog::runner::{BadEvent, Event};
use serde::Deserialize;

/// `{}` backfills trades and 1-hour candles of every game series. Examples:
/// `{"series":["KXNFLGAME"],"settled_after":"2025-09-01T00:00:00Z","what":"trades"}`,
/// `{"tickers":["KXNFLGAME-25SEP04DALPHI-PHI"],"what":"candles","period":"1m"}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackfillEvent {
    /// The markets of these series (default: [`DEFAULT_SERIES`] when nothing is selected).
    #[serde(default)]
    pub series: Vec<String>,
    /// The markets of these events.
    #[serde(default)]
    pub events: Vec<String>,
    /// These markets; an unknown one fails the run naming it.
    #[serde(default)]
    pub tickers: Vec<String>,
    /// Only markets settled at or after this instant (series selections).
    pub settled_after: Option<DateTime<Utc>>,
    /// Only markets settled before this instant (series selections).
    pub settled_before: Option<DateTime<Utc>>,
    /// `trades`, `candles` or `both` (the default).
    #[serde(default)]
    pub what: What,
    /// Candle width: `1m`, `1h` (the default) or `1d`.
    #[serde(default)]
    pub period: CandlePeriod,
    /// After the crawl, replay the selected markets' stored 1-minute candles as
    /// `market_snapshots` rows with `source = 'backfill'` for the minutes before our own
    /// snapshots of them begin (needs `"period": "1m"` and candles in `what`).
    #[serde(default)]
    pub materialise_snapshots: bool,
    /// The most Kalshi requests this invocation may make; it stops cleanly (and resumes next
    /// time) when they are spent.
    pub max_requests: Option<u64>,
    /// The invocation's budget when not under Lambda (Lambda's own deadline caps it).
    pub max_seconds: Option<u64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum What {
    Trades,
    Candles,
    #[default]
    Both,
}

impl What {
    pub fn trades(self) -> bool {
        matches!(self, Self::Trades | Self::Both)
    }

    pub fn candles(self) -> bool {
        matches!(self, Self::Candles | Self::Both)
    }
}

/// The game series the project tracks: the leagues collect-espn follows.
pub const DEFAULT_SERIES: &[&str] = &[
    "KXNFLGAME",
    "KXNCAAFGAME",
    "KXNBAGAME",
    "KXWNBAGAME",
    "KXNCAAMBGAME",
    "KXNHLGAME",
    "KXMLBGAME",
];

/// A request cap high enough for a month of NFL games at Basic tier in one invocation's time.
pub const DEFAULT_MAX_REQUESTS: u64 = 20_000;

/// Which markets a run covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    Series(Vec<String>),
    Events(Vec<String>),
    Tickers(Vec<String>),
}

impl BackfillEvent {
    pub fn selection(&self) -> Selection {
        if !self.tickers.is_empty() {
            Selection::Tickers(self.tickers.clone())
        } else if !self.events.is_empty() {
            Selection::Events(self.events.clone())
        } else if !self.series.is_empty() {
            Selection::Series(self.series.clone())
        } else {
            Selection::Series(DEFAULT_SERIES.iter().map(|s| (*s).to_owned()).collect())
        }
    }

    /// The settled-time window, open ends filled in.
    pub fn settled_window(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if self.settled_after.is_none() && self.settled_before.is_none() {
            return None;
        }
        Some((
            self.settled_after.unwrap_or(DateTime::UNIX_EPOCH),
            self.settled_before.unwrap_or_else(Utc::now),
        ))
    }

    pub fn max_requests(&self) -> u64 {
        self.max_requests.unwrap_or(DEFAULT_MAX_REQUESTS)
    }
}

impl Event for BackfillEvent {
    fn validate(&self) -> Result<(), BadEvent> {
        let given = [
            ("series", &self.series),
            ("events", &self.events),
            ("tickers", &self.tickers),
        ];
        if given.iter().filter(|(_, v)| !v.is_empty()).count() > 1 {
            return Err(BadEvent::new(
                "tickers",
                "give one of `series`, `events` or `tickers`",
            ));
        }
        for (field, values) in given {
            if let Some(bad) = values.iter().find(|v| !is_kalshi_ticker(v)) {
                return Err(BadEvent::new(
                    field,
                    format!("`{bad}` is not a Kalshi ticker"),
                ));
            }
            if values.len() > 10_000 {
                return Err(BadEvent::new(field, "at most 10000 per invocation"));
            }
        }
        if let (Some(after), Some(before)) = (self.settled_after, self.settled_before) {
            if after >= before {
                return Err(BadEvent::new(
                    "settled_before",
                    "must be later than settled_after",
                ));
            }
        }
        if self.materialise_snapshots
            && (self.period != CandlePeriod::OneMinute || !self.what.candles())
        {
            return Err(BadEvent::new(
                "materialise_snapshots",
                "replays 1-minute candles: needs \"period\": \"1m\" and `what` candles or both",
            ));
        }
        if let Some(cap) = self.max_requests {
            if !(1..=1_000_000).contains(&cap) {
                return Err(BadEvent::new(
                    "max_requests",
                    "must be between 1 and 1000000",
                ));
            }
        }
        precog::runner::check_max_seconds(self.max_seconds)?;
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
            (json!({"events": ["kx game"]}), "events"),
            (json!({"period": "5m"}), "period"),
            (json!({"what": "quotes"}), "what"),
            (json!({"max_requests": 0}), "max_requests"),
            (
                json!({"settled_after": "2026-02-01T00:00:00Z", "settled_before": "2026-01-01T00:00:00Z"}),
                "settled_before",
            ),
            (json!({"settled_after": "last week"}), "settled_after"),
            (json!({"tikers": ["A"]}), "tikers"),
            (
                json!({"materialise_snapshots": true}),
                "materialise_snapshots",
            ),
            (
                json!({"materialise_snapshots": true, "period": "1m", "what": "trades"}),
                "materialise_snapshots",
            ),
        ];
        for (payload, field) in cases {
            let err = parse_event::<BackfillEvent>(payload.clone(), Trigger::Manual)
                .expect_err("refused");
            assert_eq!(err.field, field, "{payload}");
        }
    }

    #[test]
    fn an_empty_event_backfills_every_game_series_both_kinds_hourly() {
        let (event, _) = parse_event::<BackfillEvent>(json!({}), Trigger::Schedule).expect("valid");
        assert_eq!(
            event.selection(),
            Selection::Series(DEFAULT_SERIES.iter().map(|s| (*s).to_owned()).collect())
        );
        assert!(event.what.trades() && event.what.candles());
        assert_eq!(event.period, CandlePeriod::OneHour);
        assert_eq!(event.max_requests(), DEFAULT_MAX_REQUESTS);
    }
}
