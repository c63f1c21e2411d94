//! A page of markets as COPY text for the session's `market_snapshot_stage` (declared in
//! migrations/20261201000700_write_path.sql; the columns below are in its order).

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;

use crate::db::snapshot_split::SnapshotParts;
use crate::domain::Market;

/// The COPY statement the rows of [`push_row`] are written for.
pub(super) const COPY_STAGE: &str = "copy market_snapshot_stage (ticker, event_ticker, market_type,
    title, yes_sub_title, no_sub_title, open_time, close_time, expected_expiration_time,
    latest_expiration_time, updated_time, notional_value, result, settlement_value, settlement_ts,
    expiration_value, strike_type, floor_strike, cap_strike, status, yes_bid, yes_ask, no_bid,
    no_ask, yes_bid_size, yes_ask_size, last_price, volume, volume_24h, open_interest,
    previous_yes_bid, previous_yes_ask, previous_price, depth, body_md5, extra, missing)
    from stdin";

/// Appends one market's stage row to `out`, in COPY's text format.
pub(super) fn push_row(
    out: &mut Vec<u8>,
    market: &Market,
    parts: &SnapshotParts,
    depth: Option<&str>,
) {
    let mut row = Row { out, first: true };
    row.text(Some(market.ticker.as_str()));
    row.text(Some(&market.event_ticker));
    row.text(Some(&market.market_type));
    row.text(market.title.as_deref());
    row.text(market.yes_sub_title.as_deref());
    row.text(market.no_sub_title.as_deref());
    for time in [
        market.open_time,
        market.close_time,
        market.expected_expiration_time,
        market.latest_expiration_time,
        market.updated_time,
    ] {
        row.time(time);
    }
    row.number(market.notional_value);
    row.text(market.result.as_deref());
    row.number(market.settlement_value);
    row.time(market.settlement_ts);
    row.text(market.expiration_value.as_deref());
    row.text(market.strike_type.as_deref());
    row.number(market.floor_strike);
    row.number(market.cap_strike);
    for value in &parts.quote {
        row.text(value.as_deref());
    }
    row.text(depth);
    row.text(Some(&parts.body_md5.to_string()));
    row.text(parts.extra.as_deref());
    // Quote key names need no quoting inside an array literal.
    let missing = parts
        .missing
        .as_ref()
        .map(|keys| format!("{{{}}}", keys.join(",")));
    row.text(missing.as_deref());
    out.push(b'\n');
}

struct Row<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl Row<'_> {
    /// A field: `\N` for null; backslash and the delimiters escaped.
    fn text(&mut self, value: Option<&str>) {
        if !std::mem::take(&mut self.first) {
            self.out.push(b'\t');
        }
        let Some(value) = value else {
            self.out.extend_from_slice(b"\\N");
            return;
        };
        for &byte in value.as_bytes() {
            match byte {
                b'\\' => self.out.extend_from_slice(b"\\\\"),
                b'\n' => self.out.extend_from_slice(b"\\n"),
                b'\r' => self.out.extend_from_slice(b"\\r"),
                b'\t' => self.out.extend_from_slice(b"\\t"),
                _ => self.out.push(byte),
            }
        }
    }

    fn time(&mut self, value: Option<DateTime<Utc>>) {
        let text = value.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        self.text(text.as_deref());
    }

    fn number(&mut self, value: Option<Decimal>) {
        self.text(value.map(|n| n.to_string()).as_deref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_escaped_and_nulls_marked() {
        let mut out = Vec::new();
        let mut row = Row {
            out: &mut out,
            first: true,
        };
        row.text(Some("a\tb\\c\nd\re"));
        row.text(None);
        row.number(Some(Decimal::new(5600, 4)));
        row.time(DateTime::from_timestamp(0, 0));
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "a\\tb\\\\c\\nd\\re\t\\N\t0.5600\t1970-01-01T00:00:00Z"
        );
    }
}
