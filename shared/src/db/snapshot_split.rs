//! The collector's side of the snapshot layout (migrations/20261201000400_storage.sql): a market
//! payload split into the typed quote, the catalog body (stored once per version in
//! `market_versions`) and whatever neither reproduces exactly (`extra`), computed here while the
//! page is in memory so PostgreSQL never parses the ~1.3 KB payload of an unchanged catalog.
//!
//! The rules are the SQL trigger's (`market_snapshots_split_raw`), so `market_snapshot_raw(s)`
//! rebuilds the payload either way:
//! - the quote keys ([`QUOTE_KEYS`]) go to typed columns; a quote value is reproduced only when
//!   the column prints back the very JSON string sent (`"0.5600"` does; `"007.00"`, `"-0.00"`,
//!   `"1e-2"`, a JSON null or number do not), otherwise it is kept in `extra` as sent;
//! - every other top-level field is the body, written as a canonical text (keys sorted, values
//!   as Kalshi sent them) whose md5 names the version;
//! - a quote column holding a value the payload did not carry is listed in `missing`.

use std::collections::BTreeMap;

use md5::{Digest, Md5};
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::domain::{Market, Price};

/// The payload fields a snapshot keeps as typed columns, in the order of
/// `market_snapshot_quote_keys()`.
pub const QUOTE_KEYS: [&str; 14] = [
    "status",
    "yes_bid_dollars",
    "yes_ask_dollars",
    "no_bid_dollars",
    "no_ask_dollars",
    "yes_bid_size_fp",
    "yes_ask_size_fp",
    "last_price_dollars",
    "volume_fp",
    "volume_24h_fp",
    "open_interest_fp",
    "previous_yes_bid_dollars",
    "previous_yes_ask_dollars",
    "previous_price_dollars",
];

/// One market's snapshot, split. Numbers are the text PostgreSQL parses into NUMERIC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotParts {
    /// The 14 quote columns, in [`QUOTE_KEYS`] order (`status` first, never null).
    pub quote: [Option<String>; 14],
    /// The body's canonical text, a JSON object.
    pub body: String,
    /// md5 of `body`, as `market_versions.body_md5`.
    pub body_md5: Uuid,
    /// Quote fields not reproduced by the columns, as a JSON object text; `None` when none.
    pub extra: Option<String>,
    /// Quote keys whose column has a value the payload did not carry; `None` when none.
    pub missing: Option<Vec<&'static str>>,
}

/// Splits `market.raw`. Fails only when the payload is not a JSON object.
pub fn split(market: &Market) -> Result<SnapshotParts, serde_json::Error> {
    let fields: BTreeMap<String, &RawValue> = serde_json::from_str(market.raw.get())?;
    let q = &market.quote;
    let price = |p: Option<Price>| p.map(|p| p.get().to_string());
    let count = |c: Option<Decimal>| c.map(|c| c.to_string());
    // The typed values parse_market read from the payload, then the previous_* prices, which
    // only snapshots keep: taken when they are a plain fixed-point string.
    let mut quote: [Option<String>; 14] = [
        Some(q.status.clone()),
        price(q.yes_bid),
        price(q.yes_ask),
        price(q.no_bid),
        price(q.no_ask),
        count(q.yes_bid_size),
        count(q.yes_ask_size),
        price(q.last_price),
        count(q.volume),
        count(q.volume_24h),
        count(q.open_interest),
        None,
        None,
        None,
    ];
    for (column, key) in quote.iter_mut().zip(QUOTE_KEYS).skip(11) {
        *column = fields
            .get(key)
            .and_then(|v| json_string(v))
            .filter(|s| is_fixed_point(s));
    }

    let mut extra: Vec<(&str, &RawValue)> = Vec::new();
    let mut missing = Vec::new();
    for (key, column) in QUOTE_KEYS.iter().zip(&quote) {
        match (fields.get(*key), column) {
            (Some(sent), Some(typed)) => {
                let reproduced = json_string(sent).is_some_and(|s| {
                    &s == typed && (*key == "status" || prints_back_as_numeric(&s))
                });
                if !reproduced {
                    extra.push((key, sent));
                }
            }
            (Some(sent), None) => extra.push((key, sent)),
            (None, Some(_)) => missing.push(*key),
            (None, None) => {}
        }
    }

    let body = object_text(
        fields
            .iter()
            .filter(|(key, _)| !QUOTE_KEYS.contains(&key.as_str()))
            .map(|(key, value)| (key.as_str(), *value)),
    );
    let body_md5 = Uuid::from_bytes(Md5::digest(body.as_bytes()).into());
    Ok(SnapshotParts {
        quote,
        body,
        body_md5,
        extra: (!extra.is_empty()).then(|| object_text(extra.into_iter())),
        missing: (!missing.is_empty()).then_some(missing),
    })
}

/// `{"k":v,...}` from entries in the order given, values verbatim.
fn object_text<'a>(entries: impl Iterator<Item = (&'a str, &'a RawValue)>) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in entries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        // A String always serializes.
        out.push_str(&serde_json::to_string(key).unwrap_or_default());
        out.push(':');
        out.push_str(value.get());
    }
    out.push('}');
    out
}

/// The value as a Rust string when it is a JSON string.
fn json_string(value: &RawValue) -> Option<String> {
    serde_json::from_str::<String>(value.get()).ok()
}

/// `-?[0-9]+(\.[0-9]+)?`: what `kalshi_fixed_point()` accepts.
fn is_fixed_point(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && fraction.is_none_or(all_digits)
}

/// Whether NUMERIC's output of `s` is `s` itself: a fixed-point string without leading zeros and
/// without a negative zero (PostgreSQL prints `007.00` as `7.00` and `-0.00` as `0.00`).
fn prints_back_as_numeric(s: &str) -> bool {
    if !is_fixed_point(s) {
        return false;
    }
    let unsigned = s.strip_prefix('-');
    let digits = unsigned.unwrap_or(s);
    let whole = digits.split('.').next().unwrap_or_default();
    let leading_zero = whole.len() > 1 && whole.starts_with('0');
    let negative_zero = unsigned.is_some() && digits.bytes().all(|b| b == b'0' || b == b'.');
    !leading_zero && !negative_zero
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kalshi::parse_market;

    fn market(raw: &str) -> Market {
        let raw = RawValue::from_string(raw.to_owned()).expect("json");
        match parse_market(raw) {
            Ok(m) => m,
            Err((why, _)) => panic!("parse: {why:?}"),
        }
    }

    #[test]
    fn numeric_text_that_prints_back() {
        for s in ["0", "0.5600", "12.50", "-3.1", "100", "0.000100"] {
            assert!(prints_back_as_numeric(s), "{s}");
        }
        for s in [
            "007.00", "-0.00", "-0", "1e-2", "0.", ".5", "", "1.0E+2", " 1",
        ] {
            assert!(!prints_back_as_numeric(s), "{s}");
        }
    }

    #[test]
    fn quote_fields_leave_the_body_and_only_unreproducible_ones_stay_as_sent() {
        let m = market(
            r#"{"ticker":"T-1","event_ticker":"E-1","status":"active","yes_bid_dollars":"0.0150",
                "volume_fp":"007.00","no_bid_dollars":null,"previous_price_dollars":"1e-2",
                "previous_yes_bid_dollars":"0.5400","b":{"x": [1, 2.50]},"a":53.50}"#,
        );
        let parts = split(&m).expect("object");
        assert_eq!(
            parts.body,
            r#"{"a":53.50,"b":{"x": [1, 2.50]},"event_ticker":"E-1","ticker":"T-1"}"#
        );
        assert_eq!(
            parts.extra.as_deref(),
            Some(r#"{"no_bid_dollars":null,"volume_fp":"007.00","previous_price_dollars":"1e-2"}"#)
        );
        assert_eq!(parts.missing, None);
        assert_eq!(parts.quote[0].as_deref(), Some("active"));
        assert_eq!(parts.quote[1].as_deref(), Some("0.0150"));
        assert_eq!(parts.quote[8].as_deref(), Some("7.00"));
        assert_eq!(parts.quote[11].as_deref(), Some("0.5400"));
        assert_eq!(parts.quote[13], None);
        assert_eq!(
            parts.body_md5,
            Uuid::from_bytes(Md5::digest(parts.body.as_bytes()).into())
        );
    }

    #[test]
    fn the_same_catalog_with_another_quote_is_the_same_version() {
        let a = market(
            r#"{"ticker":"T","event_ticker":"E","status":"active","yes_bid_dollars":"0.10","title":"x"}"#,
        );
        let b = market(
            r#"{"title":"x","yes_bid_dollars":"0.20","status":"closed","event_ticker":"E","ticker":"T"}"#,
        );
        let c = market(r#"{"ticker":"T","event_ticker":"E","status":"active","title":"y"}"#);
        let [a, b, c] = [a, b, c].map(|m| split(&m).expect("object"));
        assert_eq!(a.body_md5, b.body_md5);
        assert_ne!(a.body_md5, c.body_md5);
        assert_eq!(a.extra, None);
    }
}
