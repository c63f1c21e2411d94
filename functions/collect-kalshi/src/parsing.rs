//! Pages of raw Kalshi records into domain values, the unreadable ones set aside for
//! `rejected_records` with their reason.

use anyhow::Context;
use precog::db::markets::PreparedPage;
use precog::db::rejects::NewRejected;
use precog::kalshi::{parse_market, Parsed, Rejection};
use serde_json::value::RawValue;

/// Parses every record, setting aside the ones that do not parse, with their reason.
pub(crate) fn parse_all<T>(
    raw: Vec<Box<RawValue>>,
    parse: fn(Box<RawValue>) -> Parsed<T>,
    source: &'static str,
) -> (Vec<T>, Vec<NewRejected>) {
    let mut parsed = Vec::with_capacity(raw.len());
    let mut rejected = Vec::new();
    for record in raw {
        match parse(record) {
            Ok(value) => parsed.push(value),
            Err((why, raw)) => rejected.push(rejection(source, why, &raw)),
        }
    }
    (parsed, rejected)
}

pub(crate) fn rejection(source: &'static str, why: Rejection, raw: &RawValue) -> NewRejected {
    tracing::warn!(source, key = why.key.as_deref().unwrap_or(""), reason = %why, "rejected an upstream record");
    NewRejected {
        source,
        natural_key: why.key.clone(),
        reason: why.to_string(),
        raw: serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null),
    }
}

/// A page of markets, parsed and made ready to write, and the records that did not parse.
pub(crate) struct ParsedPage {
    pub markets: PreparedPage,
    pub rejected: Vec<NewRejected>,
}

pub(crate) fn parse_page(raw: Vec<Box<RawValue>>) -> anyhow::Result<ParsedPage> {
    let (markets, rejected) = parse_all(raw, parse_market, "kalshi.market");
    let markets = PreparedPage::new(markets).context("splitting a page of markets")?;
    Ok(ParsedPage { markets, rejected })
}
