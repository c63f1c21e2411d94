//! Kalshi's JSON exactly as docs/kalshi-api.md §3 describes it. Almost every field is optional:
//! Kalshi adds fields weekly and removes them with weeks' notice, and lists sometimes come back
//! `null`. Unknown fields are ignored here and kept in the raw payload we store.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// `GET /markets` and `GET /historical/markets`. Markets stay raw so one bad market can be
/// rejected on its own while the rest of the page is stored.
#[derive(Debug, Deserialize)]
pub struct MarketsPage {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub markets: Vec<Box<RawValue>>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// One market, as far as we read it.
#[derive(Debug, Deserialize)]
pub struct MarketWire {
    pub ticker: Option<String>,
    pub event_ticker: Option<String>,
    pub market_type: Option<String>,
    pub title: Option<String>,
    pub yes_sub_title: Option<String>,
    pub no_sub_title: Option<String>,
    pub status: Option<String>,
    pub open_time: Option<DateTime<Utc>>,
    pub close_time: Option<DateTime<Utc>>,
    pub expected_expiration_time: Option<DateTime<Utc>>,
    pub latest_expiration_time: Option<DateTime<Utc>>,
    pub updated_time: Option<DateTime<Utc>>,
    pub yes_bid_dollars: Option<String>,
    pub yes_ask_dollars: Option<String>,
    pub no_bid_dollars: Option<String>,
    pub no_ask_dollars: Option<String>,
    pub yes_bid_size_fp: Option<String>,
    pub yes_ask_size_fp: Option<String>,
    pub last_price_dollars: Option<String>,
    pub volume_fp: Option<String>,
    pub volume_24h_fp: Option<String>,
    pub open_interest_fp: Option<String>,
    pub notional_value_dollars: Option<String>,
    pub result: Option<String>,
    pub settlement_value_dollars: Option<String>,
    pub settlement_ts: Option<DateTime<Utc>>,
    pub expiration_value: Option<String>,
    pub strike_type: Option<String>,
    pub floor_strike: Option<serde_json::Number>,
    pub cap_strike: Option<serde_json::Number>,
}

/// `GET /events`.
#[derive(Debug, Deserialize)]
pub struct EventsPage {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub events: Vec<Box<RawValue>>,
    #[serde(default)]
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct EventWire {
    pub event_ticker: Option<String>,
    pub series_ticker: Option<String>,
    pub title: Option<String>,
    pub sub_title: Option<String>,
    pub mutually_exclusive: Option<bool>,
    pub strike_date: Option<DateTime<Utc>>,
    pub strike_period: Option<String>,
    pub fee_type_override: Option<String>,
    pub fee_multiplier_override: Option<serde_json::Number>,
    #[serde(default, deserialize_with = "flexible_time")]
    pub last_updated_ts: Option<DateTime<Utc>>,
}

/// `GET /series/{ticker}`.
#[derive(Debug, Deserialize)]
pub struct OneSeries {
    pub series: Box<RawValue>,
}

/// `GET /series` (no pagination in the spec).
#[derive(Debug, Deserialize)]
pub struct SeriesList {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub series: Vec<Box<RawValue>>,
}

#[derive(Debug, Deserialize)]
pub struct SeriesWire {
    pub ticker: Option<String>,
    pub title: Option<String>,
    pub category: Option<String>,
    pub frequency: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub tags: Vec<String>,
    pub fee_type: Option<String>,
    pub fee_multiplier: Option<serde_json::Number>,
    pub contract_url: Option<String>,
    #[serde(default, deserialize_with = "flexible_time")]
    pub last_updated_ts: Option<DateTime<Utc>>,
}

/// `GET /markets/orderbooks?tickers=A&tickers=B`.
#[derive(Debug, Deserialize)]
pub struct OrderbooksPage {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub orderbooks: Vec<OrderbookEntry>,
}

#[derive(Debug, Deserialize)]
pub struct OrderbookEntry {
    pub ticker: String,
    /// `{ "yes_dollars": [[price, count], …], "no_dollars": […] }`, bids only, best last. Kept
    /// as Kalshi sent it: it is stored verbatim as the snapshot's depth.
    pub orderbook_fp: Option<Box<RawValue>>,
}

/// Kalshi sometimes sends `null` where the spec promises a list.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// `last_updated_ts` is documented as a timestamp; accept RFC3339 or Unix seconds.
fn flexible_time<'de, D>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stamp {
        Text(DateTime<Utc>),
        Seconds(i64),
    }
    Ok(match Option::<Stamp>::deserialize(deserializer)? {
        None => None,
        Some(Stamp::Text(t)) => Some(t),
        Some(Stamp::Seconds(s)) => DateTime::from_timestamp(s, 0),
    })
}
