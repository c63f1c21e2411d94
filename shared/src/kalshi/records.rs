//! Kalshi records as we store them: parsed from the wire once, here, where rejection happens.
//! Each keeps its raw JSON so the stored row is exactly what Kalshi sent.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use super::wire::{EventWire, MarketWire, SeriesWire};
use crate::domain::{parse_count, parse_dollars, DecimalError};

/// Why a record was refused; the text names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Rejection {
    pub field: String,
    pub message: String,
    /// The record's key, when it could be read.
    pub key: Option<String>,
}

/// A parsed record, or why it was refused together with the raw record to keep aside.
pub type Parsed<T> = Result<T, (Rejection, Box<RawValue>)>;

/// The quoted values of a market at one instant: what a snapshot stores and compares.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Quote {
    pub status: String,
    pub yes_bid: Option<Decimal>,
    pub yes_ask: Option<Decimal>,
    pub no_bid: Option<Decimal>,
    pub no_ask: Option<Decimal>,
    pub yes_bid_size: Option<Decimal>,
    pub yes_ask_size: Option<Decimal>,
    pub last_price: Option<Decimal>,
    pub volume: Option<Decimal>,
    pub volume_24h: Option<Decimal>,
    pub open_interest: Option<Decimal>,
}

#[derive(Debug, Clone)]
pub struct Market {
    pub ticker: String,
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
    pub notional_value: Option<Decimal>,
    /// `None` until determined (Kalshi sends `""`).
    pub result: Option<String>,
    pub settlement_value: Option<Decimal>,
    pub settlement_ts: Option<DateTime<Utc>>,
    pub expiration_value: Option<String>,
    pub strike_type: Option<String>,
    pub floor_strike: Option<Decimal>,
    pub cap_strike: Option<Decimal>,
    pub quote: Quote,
    pub raw: Box<RawValue>,
}

impl Market {
    /// Parses one market of a page; a refusal carries the ticker when it could be read.
    pub fn parse(raw: Box<RawValue>) -> Parsed<Self> {
        match Self::read(&raw) {
            Ok(market) => Ok(Self { raw, ..market }),
            Err(rejection) => Err((rejection, raw)),
        }
    }

    /// Reads everything but the raw payload, which `parse` moves in without a copy.
    fn read(raw: &RawValue) -> Result<Self, Rejection> {
        let wire: MarketWire = from_raw(raw)?;
        let key = wire.ticker.clone().filter(|t| !t.trim().is_empty());
        let reject = |field: &str, message: String| Rejection {
            field: field.to_owned(),
            message,
            key: key.clone(),
        };
        let ticker = key
            .clone()
            .ok_or_else(|| reject("ticker", "missing or empty".into()))?;
        let event_ticker = wire
            .event_ticker
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| reject("event_ticker", "missing or empty".into()))?;
        let status = wire
            .status
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| reject("status", "missing or empty".into()))?;
        let dollars = |field: &str, value: Option<String>| -> Result<Option<Decimal>, Rejection> {
            value
                .map(|v| parse_dollars(&v))
                .transpose()
                .map_err(|e: DecimalError| reject(field, e.to_string()))
        };
        let count = |field: &str, value: Option<String>| -> Result<Option<Decimal>, Rejection> {
            value
                .map(|v| parse_count(&v))
                .transpose()
                .map_err(|e: DecimalError| reject(field, e.to_string()))
        };
        let quote = Quote {
            status,
            yes_bid: dollars("yes_bid_dollars", wire.yes_bid_dollars)?,
            yes_ask: dollars("yes_ask_dollars", wire.yes_ask_dollars)?,
            no_bid: dollars("no_bid_dollars", wire.no_bid_dollars)?,
            no_ask: dollars("no_ask_dollars", wire.no_ask_dollars)?,
            yes_bid_size: count("yes_bid_size_fp", wire.yes_bid_size_fp)?,
            yes_ask_size: count("yes_ask_size_fp", wire.yes_ask_size_fp)?,
            last_price: dollars("last_price_dollars", wire.last_price_dollars)?,
            volume: count("volume_fp", wire.volume_fp)?,
            volume_24h: count("volume_24h_fp", wire.volume_24h_fp)?,
            open_interest: count("open_interest_fp", wire.open_interest_fp)?,
        };
        // Notional and scalar settlement values are dollar amounts that may exceed $1.
        let amount = |field: &str, value: Option<String>| -> Result<Option<Decimal>, Rejection> {
            value
                .filter(|v| !v.is_empty())
                .map(|v| parse_count(&v))
                .transpose()
                .map_err(|e| reject(field, e.to_string()))
        };
        Ok(Self {
            ticker,
            event_ticker,
            market_type: wire.market_type.unwrap_or_else(|| "binary".to_owned()),
            title: wire.title,
            yes_sub_title: wire.yes_sub_title,
            no_sub_title: wire.no_sub_title,
            open_time: wire.open_time,
            close_time: wire.close_time,
            expected_expiration_time: wire.expected_expiration_time,
            latest_expiration_time: wire.latest_expiration_time,
            updated_time: wire.updated_time,
            notional_value: amount("notional_value_dollars", wire.notional_value_dollars)?,
            result: wire.result.filter(|r| !r.is_empty()),
            settlement_value: amount("settlement_value_dollars", wire.settlement_value_dollars)?,
            settlement_ts: wire.settlement_ts,
            expiration_value: wire.expiration_value.filter(|v| !v.is_empty()),
            strike_type: wire.strike_type,
            floor_strike: number(wire.floor_strike).map_err(|m| reject("floor_strike", m))?,
            cap_strike: number(wire.cap_strike).map_err(|m| reject("cap_strike", m))?,
            quote,
            raw: RawValue::NULL.to_owned(),
        })
    }
}

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

impl Series {
    pub fn parse(raw: Box<RawValue>) -> Parsed<Self> {
        match Self::read(&raw) {
            Ok(series) => Ok(Self { raw, ..series }),
            Err(rejection) => Err((rejection, raw)),
        }
    }

    fn read(raw: &RawValue) -> Result<Self, Rejection> {
        let wire: SeriesWire = from_raw(raw)?;
        let key = wire.ticker.clone().filter(|t| !t.is_empty());
        let reject = |field: &str, message: String| Rejection {
            field: field.into(),
            message,
            key: key.clone(),
        };
        Ok(Self {
            ticker: key
                .clone()
                .ok_or_else(|| reject("ticker", "missing or empty".into()))?,
            title: wire.title,
            category: wire.category,
            frequency: wire.frequency,
            tags: wire.tags,
            fee_type: wire.fee_type,
            fee_multiplier: number(wire.fee_multiplier).map_err(|m| reject("fee_multiplier", m))?,
            contract_url: wire.contract_url,
            last_updated_ts: wire.last_updated_ts,
            raw: RawValue::NULL.to_owned(),
        })
    }
}

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

impl Event {
    pub fn parse(raw: Box<RawValue>) -> Parsed<Self> {
        match Self::read(&raw) {
            Ok(event) => Ok(Self { raw, ..event }),
            Err(rejection) => Err((rejection, raw)),
        }
    }

    fn read(raw: &RawValue) -> Result<Self, Rejection> {
        let wire: EventWire = from_raw(raw)?;
        let key = wire.event_ticker.clone().filter(|t| !t.is_empty());
        let reject = |field: &str, message: String| Rejection {
            field: field.into(),
            message,
            key: key.clone(),
        };
        Ok(Self {
            event_ticker: key
                .clone()
                .ok_or_else(|| reject("event_ticker", "missing or empty".into()))?,
            series_ticker: wire
                .series_ticker
                .filter(|t| !t.is_empty())
                .ok_or_else(|| reject("series_ticker", "missing or empty".into()))?,
            title: wire.title,
            sub_title: wire.sub_title,
            mutually_exclusive: wire.mutually_exclusive,
            strike_date: wire.strike_date,
            strike_period: wire.strike_period,
            fee_type_override: wire.fee_type_override,
            fee_multiplier_override: number(wire.fee_multiplier_override)
                .map_err(|m| reject("fee_multiplier_override", m))?,
            last_updated_ts: wire.last_updated_ts,
            raw: RawValue::NULL.to_owned(),
        })
    }
}

/// Deserialises a wire struct, naming the field when a value has the wrong type.
fn from_raw<'a, T: serde::Deserialize<'a>>(raw: &'a RawValue) -> Result<T, Rejection> {
    let mut deserializer = serde_json::Deserializer::from_str(raw.get());
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| Rejection {
        field: e.path().to_string(),
        message: e.into_inner().to_string(),
        key: None,
    })
}

/// A JSON number (Kalshi sends doubles for strikes and fee multipliers) as an exact decimal of
/// the digits it was written with.
fn number(value: Option<serde_json::Number>) -> Result<Option<Decimal>, String> {
    value
        .map(|n| {
            let text = n.to_string();
            Decimal::from_str(&text)
                .or_else(|_| Decimal::from_scientific(&text))
                .map_err(|_| format!("`{text}` is not a representable decimal"))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).expect("valid JSON")
    }

    #[test]
    fn a_market_with_sub_penny_prices_and_fractional_sizes_parses_exactly() {
        let market = Market::parse(raw(
            r#"{"ticker":"T-1","event_ticker":"E-1","status":"active","yes_bid_dollars":"0.0150",
                "yes_ask_dollars":"0.0200","yes_bid_size_fp":"12.50","volume_fp":"0.00",
                "result":"","floor_strike":53.5,"brand_new_field":{"x":1}}"#,
        ))
        .expect("valid market");
        assert_eq!(market.quote.yes_bid, Some(Decimal::new(150, 4)));
        assert_eq!(
            market.quote.yes_bid.map(|d| d.to_string()).as_deref(),
            Some("0.0150")
        );
        assert_eq!(market.quote.yes_bid_size, Some(Decimal::new(1250, 2)));
        assert_eq!(market.quote.no_bid, None);
        assert_eq!(market.result, None);
        assert_eq!(market.floor_strike, Some(Decimal::new(535, 1)));
        assert!(market.raw.get().contains("brand_new_field"));
    }

    #[test]
    fn refusals_name_the_field_and_keep_the_ticker() {
        let cases = [
            (r#"{"event_ticker":"E","status":"active"}"#, "ticker", None),
            (
                r#"{"ticker":"T","event_ticker":"E","status":"active","yes_bid_dollars":"0.5x"}"#,
                "yes_bid_dollars",
                Some("T"),
            ),
            (
                r#"{"ticker":"T","event_ticker":"E","status":"active","volume_fp":"-3.00"}"#,
                "volume_fp",
                Some("T"),
            ),
            (
                r#"{"ticker":"T","event_ticker":"E","status":"active","yes_ask_dollars":0.5}"#,
                "yes_ask_dollars",
                None,
            ),
            (
                r#"{"ticker":"T","event_ticker":"E","status":"active","close_time":"tomorrow"}"#,
                "close_time",
                None,
            ),
        ];
        for (json, field, key) in cases {
            let (rejection, kept) = Market::parse(raw(json)).expect_err(json);
            assert_eq!(rejection.field, field, "{json}");
            assert_eq!(rejection.key.as_deref(), key, "{json}");
            assert_eq!(kept.get(), json);
        }
    }

    #[test]
    fn series_fee_multiplier_is_exact() {
        let series = Series::parse(raw(
            r#"{"ticker":"KXNFLGAME","fee_type":"quadratic","fee_multiplier":0.5,"tags":null}"#,
        ))
        .expect("valid");
        assert_eq!(series.fee_multiplier, Some(Decimal::new(5, 1)));
        assert!(series.tags.is_empty());
    }
}
