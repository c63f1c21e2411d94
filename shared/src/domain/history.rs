//! Kalshi's past as we store it: printed trades and candlesticks, each marked with the API tier
//! it came from. Prices are exact dollars, counts exact (fractional) contracts.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// Which half of Kalshi's API served a record: the live endpoints, or the historical tier that
/// holds everything older than `GET /historical/cutoff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Historical,
    Live,
}

impl Tier {
    pub const BOTH: [Tier; 2] = [Tier::Historical, Tier::Live];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Historical => "historical",
            Self::Live => "live",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The side that took liquidity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakerSide {
    Yes,
    No,
}

impl TakerSide {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
        }
    }
}

/// One trade Kalshi printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    pub trade_id: String,
    pub ticker: String,
    pub created_time: DateTime<Utc>,
    pub yes_price: Decimal,
    pub no_price: Decimal,
    /// Contracts; fractional since March 2026.
    pub count: Decimal,
    pub taker_side: Option<TakerSide>,
    pub is_block_trade: Option<bool>,
    pub tier: Tier,
}

/// A candle's width: Kalshi serves 1-minute, 1-hour and 1-day candles only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CandlePeriod {
    OneMinute,
    #[default]
    OneHour,
    OneDay,
}

impl CandlePeriod {
    pub const ALL: [CandlePeriod; 3] = [Self::OneMinute, Self::OneHour, Self::OneDay];

    /// Kalshi's `period_interval`, in minutes.
    pub fn minutes(self) -> i64 {
        match self {
            Self::OneMinute => 1,
            Self::OneHour => 60,
            Self::OneDay => 1440,
        }
    }

    pub fn seconds(self) -> i64 {
        self.minutes() * 60
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OneMinute => "1m",
            Self::OneHour => "1h",
            Self::OneDay => "1d",
        }
    }

    /// The watermark kind for candles of this period.
    pub fn watermark_kind(self) -> &'static str {
        match self {
            Self::OneMinute => "candles_1m",
            Self::OneHour => "candles_1h",
            Self::OneDay => "candles_1d",
        }
    }
}

impl FromStr for CandlePeriod {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "1m" => Ok(Self::OneMinute),
            "1h" => Ok(Self::OneHour),
            "1d" => Ok(Self::OneDay),
            other => Err(format!("`{other}` is not a candle period (1m, 1h or 1d)")),
        }
    }
}

impl<'de> serde::Deserialize<'de> for CandlePeriod {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for CandlePeriod {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Open, high, low and close of one series within a candle; each null when Kalshi had none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ohlc {
    pub open: Option<Decimal>,
    pub high: Option<Decimal>,
    pub low: Option<Decimal>,
    pub close: Option<Decimal>,
}

/// One candlestick of one market.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candle {
    pub ticker: String,
    pub period: CandlePeriod,
    /// Inclusive end of the period.
    pub end_period: DateTime<Utc>,
    pub yes_bid: Ohlc,
    pub yes_ask: Ohlc,
    /// Trade prices; all null in a period without trades.
    pub price: Ohlc,
    pub price_mean: Option<Decimal>,
    pub price_previous: Option<Decimal>,
    pub volume: Option<Decimal>,
    pub open_interest: Option<Decimal>,
    pub tier: Tier,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_round_trip_and_refuse_others() {
        for period in CandlePeriod::ALL {
            assert_eq!(period.as_str().parse::<CandlePeriod>(), Ok(period));
        }
        assert!("5m".parse::<CandlePeriod>().is_err());
        assert_eq!(CandlePeriod::OneDay.seconds(), 86_400);
    }
}
