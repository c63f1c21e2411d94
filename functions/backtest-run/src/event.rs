//! The event: which strategy with which parameters (lists sweep), over which markets and window,
//! with how much cash and which fill/fee settings. Everything is checked, strategies included,
//! before the runner writes anything.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use precog::runner::{BadEvent, Event};

use crate::engine::LimitFills;
use crate::fees::FeeModel;
use crate::params::{expand, Params};
use crate::strategies;

/// The most combinations one invocation runs; more is refused up front (split the sweep).
pub const MAX_COMBINATIONS: usize = 256;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestEvent {
    /// A strategy's name (see `src/strategies/`).
    pub strategy: String,
    /// The strategy's parameters; a list sweeps that parameter.
    #[serde(default)]
    pub params: Map<String, Value>,
    /// Market selection: exactly one of series, events or tickers.
    #[serde(default)]
    pub series: Vec<String>,
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default)]
    pub tickers: Vec<String>,
    /// Window, inclusive start and exclusive end; default all stored snapshots.
    #[serde(default)]
    pub start: Option<DateTime<Utc>>,
    #[serde(default)]
    pub end: Option<DateTime<Utc>>,
    /// Dollars; default 1000.
    #[serde(default = "default_cash")]
    pub starting_cash: Decimal,
    /// `series` (default: each series' fee_type/fee_multiplier) or `zero`.
    #[serde(default)]
    pub fees: FeeModel,
    /// Fill at most the top-of-book size when stored (default true).
    #[serde(default = "default_true")]
    pub respect_top_of_book_size: bool,
    #[serde(default)]
    pub max_seconds: Option<u64>,
    /// Which snapshots to replay: `live` (default: what collect-kalshi saw), `backfill` (quotes
    /// materialised from Kalshi's candles, `source = 'backfill'`) or `both`.
    #[serde(default)]
    pub quotes: Sources,
    /// Which game states strategies may see: `live` (default: what collect-espn saw as it
    /// happened), `backfill` (reconstructed after the game) or `both`.
    #[serde(default)]
    pub game_states: Sources,
    /// A quote older than this (seconds) at a game change is not tradable. Default 3,900 (65
    /// minutes): the as-of rule's max age, one collect-kalshi heartbeat plus margin.
    #[serde(default = "default_max_quote_age")]
    pub max_quote_age_seconds: u64,
    /// What fills a resting limit order: `touch` (default: a later snapshot's opposite touch at
    /// or through the limit, up to the size shown) or `trades` (a trade Kalshi printed after the
    /// order rested, at or through the limit, up to the traded count; from `kalshi_trades`).
    #[serde(default)]
    pub limit_fills: LimitFills,
}

/// Live rows, backfilled rows, or both (`source` of `market_snapshots` and `game_states`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sources {
    #[default]
    Live,
    Backfill,
    Both,
}

impl Sources {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Backfill => "backfill",
            Self::Both => "both",
        }
    }

    /// The values of `source = 'backfill'` to read.
    pub fn backfill_flags(self) -> Vec<bool> {
        match self {
            Self::Live => vec![false],
            Self::Backfill => vec![true],
            Self::Both => vec![false, true],
        }
    }
}

/// 65 minutes (see `max_quote_age_seconds`).
pub const DEFAULT_MAX_QUOTE_AGE_SECONDS: u64 = 3900;

fn default_max_quote_age() -> u64 {
    DEFAULT_MAX_QUOTE_AGE_SECONDS
}

fn default_cash() -> Decimal {
    Decimal::from(1000)
}

fn default_true() -> bool {
    true
}

impl BacktestEvent {
    /// The parameter combinations, each checked by building its strategy.
    pub fn combinations(&self) -> Result<Vec<Map<String, Value>>, BadEvent> {
        let combos = expand(&self.params, MAX_COMBINATIONS)?;
        for combo in &combos {
            strategies::build(&self.strategy, Params::new(combo.clone()))?;
        }
        Ok(combos)
    }

    /// The selection as stored with each result.
    pub fn selection(&self) -> Value {
        if !self.series.is_empty() {
            serde_json::json!({ "series": self.series })
        } else if !self.events.is_empty() {
            serde_json::json!({ "events": self.events })
        } else {
            serde_json::json!({ "tickers": self.tickers })
        }
    }
}

impl Event for BacktestEvent {
    fn validate(&self) -> Result<(), BadEvent> {
        let given = [&self.series, &self.events, &self.tickers]
            .iter()
            .filter(|v| !v.is_empty())
            .count();
        if given != 1 {
            return Err(BadEvent::new(
                "series",
                "give exactly one market selection: series, events or tickers",
            ));
        }
        if let (Some(start), Some(end)) = (self.start, self.end) {
            if end <= start {
                return Err(BadEvent::new(
                    "end",
                    format!("{end} is not after start {start}"),
                ));
            }
        }
        if self.starting_cash <= Decimal::ZERO {
            return Err(BadEvent::new("starting_cash", "must be positive"));
        }
        if self.max_quote_age_seconds == 0 {
            return Err(BadEvent::new("max_quote_age_seconds", "must be at least 1"));
        }
        if self.max_seconds == Some(0) {
            return Err(BadEvent::new("max_seconds", "must be at least 1"));
        }
        self.combinations().map(|_| ())
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

    fn refused(payload: Value) -> BadEvent {
        parse_event::<BacktestEvent>(payload, Trigger::Manual).expect_err("refused")
    }

    #[test]
    fn bad_events_are_refused_naming_the_field() {
        let base = json!({"strategy": "threshold_hold", "tickers": ["T"],
                          "params": {"side": "yes", "max_entry_price": 0.2}});
        parse_event::<BacktestEvent>(base.clone(), Trigger::Manual).expect("valid");
        let cases = [
            (json!({"strategy": "nope", "tickers": ["T"]}), "strategy"),
            (
                json!({"strategy": "threshold_hold", "tickers": ["T"], "params": {"side": "yes", "max_entry_price": 0.2, "colour": 1}}),
                "params.colour",
            ),
            (
                json!({"strategy": "threshold_hold", "tickers": ["T"], "params": {"side": "maybe", "max_entry_price": 0.2}}),
                "params.side",
            ),
            (
                json!({"strategy": "threshold_hold", "tickers": ["T"], "params": {"side": "yes", "max_entry_price": 1.5}}),
                "params.max_entry_price",
            ),
            (
                json!({"strategy": "threshold_hold", "params": {"side": "yes", "max_entry_price": 0.2}}),
                "series",
            ),
            (
                json!({"strategy": "threshold_hold", "tickers": ["T"], "params": {"side": "yes", "max_entry_price": 0.2},
                    "start": "2026-11-02T00:00:00Z", "end": "2026-11-01T00:00:00Z"}),
                "end",
            ),
            (
                json!({"strategy": "threshold_hold", "tickers": ["T"], "params": {"side": "yes", "max_entry_price": 0.2}, "fees": "none"}),
                "fees",
            ),
            (
                json!({"strategy": "threshold_hold", "tickers": ["T"], "params": {"side": "yes", "max_entry_price": 0.2}, "speed": 1}),
                "speed",
            ),
            (
                json!({"strategy": "espn_edge", "tickers": ["T"], "quotes": "candles"}),
                "quotes",
            ),
            (
                json!({"strategy": "espn_edge", "tickers": ["T"], "max_quote_age_seconds": 0}),
                "max_quote_age_seconds",
            ),
        ];
        for (payload, field) in cases {
            assert_eq!(refused(payload.clone()).field, field, "for {payload}");
        }
    }
}
