//! Kalshi's wire records read into the domain's (`crate::domain`) once, here, where rejection
//! happens. Each keeps its raw JSON so the stored row is exactly what Kalshi sent.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::value::RawValue;

use super::wire::{EventWire, MarketWire, SeriesWire};
use crate::domain::{
    parse_count, parse_dollars, DecimalError, Event, Market, Price, Quote, Series, Ticker,
};

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

/// Parses one market of a page; a refusal carries the ticker when it could be read.
pub fn parse_market(raw: Box<RawValue>) -> Parsed<Market> {
    match read_market(&raw) {
        Ok(market) => Ok(Market { raw, ..market }),
        Err(rejection) => Err((rejection, raw)),
    }
}

/// Reads everything but the raw payload, which `parse_market` moves in without a copy.
fn read_market(raw: &RawValue) -> Result<Market, Rejection> {
    let wire: MarketWire = from_raw(raw)?;
    let key = wire.ticker.clone().filter(|t| !t.trim().is_empty());
    let reject = |field: &str, message: String| Rejection {
        field: field.to_owned(),
        message,
        key: key.clone(),
    };
    let ticker = key
        .clone()
        .and_then(|t| Ticker::new(t).ok())
        .ok_or_else(|| reject("ticker", "missing or empty".into()))?;
    let event_ticker = wire
        .event_ticker
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| reject("event_ticker", "missing or empty".into()))?;
    let status = wire
        .status
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| reject("status", "missing or empty".into()))?;
    let dollars = |field: &str, value: Option<String>| -> Result<Option<Price>, Rejection> {
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
    Ok(Market {
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

/// Parses one series; a refusal carries the ticker when it could be read.
pub fn parse_series(raw: Box<RawValue>) -> Parsed<Series> {
    match read_series(&raw) {
        Ok(series) => Ok(Series { raw, ..series }),
        Err(rejection) => Err((rejection, raw)),
    }
}

fn read_series(raw: &RawValue) -> Result<Series, Rejection> {
    let wire: SeriesWire = from_raw(raw)?;
    let key = wire.ticker.clone().filter(|t| !t.is_empty());
    let reject = |field: &str, message: String| Rejection {
        field: field.into(),
        message,
        key: key.clone(),
    };
    Ok(Series {
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

/// Parses one event; a refusal carries the event ticker when it could be read.
pub fn parse_event(raw: Box<RawValue>) -> Parsed<Event> {
    match read_event(&raw) {
        Ok(event) => Ok(Event { raw, ..event }),
        Err(rejection) => Err((rejection, raw)),
    }
}

fn read_event(raw: &RawValue) -> Result<Event, Rejection> {
    let wire: EventWire = from_raw(raw)?;
    let key = wire.event_ticker.clone().filter(|t| !t.is_empty());
    let reject = |field: &str, message: String| Rejection {
        field: field.into(),
        message,
        key: key.clone(),
    };
    Ok(Event {
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
        let market = parse_market(raw(
            r#"{"ticker":"T-1","event_ticker":"E-1","status":"active","yes_bid_dollars":"0.0150",
                "yes_ask_dollars":"0.0200","yes_bid_size_fp":"12.50","volume_fp":"0.00",
                "result":"","floor_strike":53.5,"brand_new_field":{"x":1}}"#,
        ))
        .expect("valid market");
        assert_eq!(
            market.quote.yes_bid.map(Price::get),
            Some(Decimal::new(150, 4))
        );
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
            let (rejection, kept) = parse_market(raw(json)).expect_err(json);
            assert_eq!(rejection.field, field, "{json}");
            assert_eq!(rejection.key.as_deref(), key, "{json}");
            assert_eq!(kept.get(), json);
        }
    }

    #[test]
    fn series_fee_multiplier_is_exact() {
        let series = parse_series(raw(
            r#"{"ticker":"KXNFLGAME","fee_type":"quadratic","fee_multiplier":0.5,"tags":null}"#,
        ))
        .expect("valid");
        assert_eq!(series.fee_multiplier, Some(Decimal::new(5, 1)));
        assert!(series.tags.is_empty());
    }
}
