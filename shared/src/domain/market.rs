//! Kalshi's catalog as we store it: series, events, markets and a market's quote at one instant.
//! The client (`crate::kalshi`) reads its wire types into these; the database writes these.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use super::{Price, Ticker};

/// The quoted values of a market at one instant: what a snapshot stores and compares.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Quote {
    pub status: String,
    pub yes_bid: Option<Price>,
    pub yes_ask: Option<Price>,
    pub no_bid: Option<Price>,
    pub no_ask: Option<Price>,
    pub yes_bid_size: Option<Decimal>,
    pub yes_ask_size: Option<Decimal>,
    pub last_price: Option<Price>,
    pub volume: Option<Decimal>,
    pub volume_24h: Option<Decimal>,
    pub open_interest: Option<Decimal>,
}

/// One market: its facts, its quote when read, and the record exactly as Kalshi sent it.
#[derive(Debug, Clone)]
pub struct Market {
    pub ticker: Ticker,
    pub event_ticker: String,
    pub market_type: String,
    pub title: Option<String>,
    pub yes_sub_title: Option<String>,
    pub no_sub_title: Option<String>,
    pub open_time: Option<DateTime<Utc>>,
    pub close_time: Option<DateTime<Utc>>,
    pub expected_expiration_time: Option<DateTime<Utc>>,
    pub latest_expiration_time: Option<DateTime<Utc>>,
    pub updated_time: Option<DateTime<Utc>>,
    /// Dollars; may exceed $1, so not a [`Price`].
    pub notional_value: Option<Decimal>,
    /// `None` until determined (Kalshi sends `""`).
    pub result: Option<String>,
    /// Dollars; scalar markets settle above $1, so not a [`Price`].
    pub settlement_value: Option<Decimal>,
    pub settlement_ts: Option<DateTime<Utc>>,
    pub expiration_value: Option<String>,
    pub strike_type: Option<String>,
    pub floor_strike: Option<Decimal>,
    pub cap_strike: Option<Decimal>,
    pub quote: Quote,
    pub raw: Box<RawValue>,
}

/// A series: the template a family of events shares (fees, category, tags).
#[derive(Debug, Clone)]
pub struct Series {
    pub ticker: String,
    pub title: Option<String>,
    pub category: Option<String>,
    pub frequency: Option<String>,
    pub tags: Vec<String>,
    pub fee_type: Option<String>,
    pub fee_multiplier: Option<Decimal>,
    pub contract_url: Option<String>,
    pub last_updated_ts: Option<DateTime<Utc>>,
    pub raw: Box<RawValue>,
}

/// An event: the real-world question its markets' outcomes answer.
#[derive(Debug, Clone)]
pub struct Event {
    pub event_ticker: String,
    pub series_ticker: String,
    pub title: Option<String>,
    pub sub_title: Option<String>,
    pub mutually_exclusive: Option<bool>,
    pub strike_date: Option<DateTime<Utc>>,
    pub strike_period: Option<String>,
    pub fee_type_override: Option<String>,
    pub fee_multiplier_override: Option<Decimal>,
    pub last_updated_ts: Option<DateTime<Utc>>,
    pub raw: Box<RawValue>,
}
