//! Kalshi's past (reference/kalshi-api.md §3.6–3.8): printed trades, candlesticks and the
//! archived markets, from both tiers, plus the cutoff between the tiers. Requests go through the
//! client's one token bucket and retry policy like every other call.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::wire::MarketsPage;
use super::{KalshiClient, Parsed, Rejection, Result, MARKETS_PAGE_LIMIT};
use crate::domain::history::{Candle, CandlePeriod, Ohlc, TakerSide, Tier, Trade};
use crate::domain::{parse_count, parse_dollars, DecimalError};
use rust_decimal::Decimal;

/// The most trades one trades page returns.
pub const TRADES_PAGE_LIMIT: u32 = 1000;
/// The batch candlestick endpoint takes at most this many tickers …
pub const CANDLE_TICKERS_PER_REQUEST: usize = 100;
/// … and returns at most this many candles in all.
pub const CANDLES_PER_REQUEST: i64 = 10_000;

/// `GET /historical/cutoff`: everything older than these instants is only in the historical tier.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Cutoff {
    /// Markets settled before this are archived (`/historical/markets`).
    pub market_settled_ts: DateTime<Utc>,
    /// Trades created before this are only in `/historical/trades`.
    pub trades_created_ts: DateTime<Utc>,
}

/// `GET /markets/trades` and `GET /historical/trades`. Trades stay raw so one bad trade is
/// rejected on its own.
#[derive(Debug, Deserialize)]
pub struct TradesPage {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub trades: Vec<Box<RawValue>>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// `GET /markets/candlesticks` (batch).
#[derive(Debug, Deserialize)]
struct CandlesBatch {
    #[serde(default, deserialize_with = "null_as_empty")]
    markets: Vec<MarketCandles>,
}

#[derive(Debug, Deserialize)]
pub struct MarketCandles {
    pub market_ticker: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub candlesticks: Vec<Box<RawValue>>,
}

/// `GET /historical/markets/{ticker}/candlesticks`.
#[derive(Debug, Deserialize)]
struct HistoricalCandles {
    #[serde(default, deserialize_with = "null_as_empty")]
    candlesticks: Vec<Box<RawValue>>,
}

/// Which markets to list, in either tier.
#[derive(Debug, Clone)]
pub enum MarketFilter {
    Series(String),
    Event(String),
    /// At most [`super::TICKERS_PER_REQUEST`].
    Tickers(Vec<String>),
}

impl KalshiClient {
    /// The current boundary between the tiers.
    pub async fn historical_cutoff(&self) -> Result<Cutoff> {
        self.get("/historical/cutoff", &[]).await
    }

    /// One page of markets from `tier`. The historical tier takes one filter at a time, so the
    /// settled-time filter is only sent to the live tier.
    pub async fn markets_in(
        &self,
        tier: Tier,
        filter: &MarketFilter,
        settled: Option<(DateTime<Utc>, DateTime<Utc>)>,
        cursor: Option<&str>,
    ) -> Result<MarketsPage> {
        let mut params: Vec<(&str, String)> = vec![("limit", MARKETS_PAGE_LIMIT.to_string())];
        match filter {
            MarketFilter::Series(s) => params.push(("series_ticker", s.clone())),
            MarketFilter::Event(e) => params.push(("event_ticker", e.clone())),
            MarketFilter::Tickers(t) => params.push(("tickers", t.join(","))),
        }
        let path = match tier {
            Tier::Live => {
                if let (Some((from, to)), MarketFilter::Series(_)) = (settled, filter) {
                    params.push(("status", "settled".into()));
                    params.push(("min_settled_ts", from.timestamp().to_string()));
                    params.push(("max_settled_ts", to.timestamp().to_string()));
                }
                "/markets"
            }
            Tier::Historical => "/historical/markets",
        };
        if let Some(cursor) = cursor {
            params.push(("cursor", cursor.to_owned()));
        }
        self.get(path, &params).await
    }

    /// One page of a market's trades from `tier`, created in `[min_ts, max_ts]` (Unix seconds).
    pub async fn trades_page(
        &self,
        tier: Tier,
        ticker: &str,
        min_ts: i64,
        max_ts: i64,
        cursor: Option<&str>,
    ) -> Result<TradesPage> {
        let mut params: Vec<(&str, String)> = vec![
            ("limit", TRADES_PAGE_LIMIT.to_string()),
            ("ticker", ticker.to_owned()),
            ("min_ts", min_ts.to_string()),
            ("max_ts", max_ts.to_string()),
        ];
        if let Some(cursor) = cursor {
            params.push(("cursor", cursor.to_owned()));
        }
        let path = match tier {
            Tier::Live => "/markets/trades",
            Tier::Historical => "/historical/trades",
        };
        self.get(path, &params).await
    }

    /// Candles ending in `[start_ts, end_ts]` for up to [`CANDLE_TICKERS_PER_REQUEST`] live markets
    /// (comma-separated, not repeated). The caller keeps the total under [`CANDLES_PER_REQUEST`].
    pub async fn candlesticks_batch(
        &self,
        tickers: &[String],
        start_ts: i64,
        end_ts: i64,
        period: CandlePeriod,
    ) -> Result<Vec<MarketCandles>> {
        let params: Vec<(&str, String)> = vec![
            ("market_tickers", tickers.join(",")),
            ("start_ts", start_ts.to_string()),
            ("end_ts", end_ts.to_string()),
            ("period_interval", period.minutes().to_string()),
        ];
        let batch: CandlesBatch = self.get("/markets/candlesticks", &params).await?;
        Ok(batch.markets)
    }

    /// Candles of one archived market (no series in the path; fields named without suffixes).
    pub async fn historical_candlesticks(
        &self,
        ticker: &str,
        start_ts: i64,
        end_ts: i64,
        period: CandlePeriod,
    ) -> Result<Vec<Box<RawValue>>> {
        let params: Vec<(&str, String)> = vec![
            ("start_ts", start_ts.to_string()),
            ("end_ts", end_ts.to_string()),
            ("period_interval", period.minutes().to_string()),
        ];
        let page: HistoricalCandles = self
            .get(
                &format!("/historical/markets/{ticker}/candlesticks"),
                &params,
            )
            .await?;
        Ok(page.candlesticks)
    }
}

/// One trade as served (§3.6); everything optional so a missing field is named, not guessed.
#[derive(Debug, Deserialize)]
struct TradeWire {
    trade_id: Option<String>,
    ticker: Option<String>,
    count_fp: Option<String>,
    yes_price_dollars: Option<String>,
    no_price_dollars: Option<String>,
    taker_outcome_side: Option<String>,
    /// Deprecated in favour of `taker_outcome_side`; read when that is absent.
    taker_side: Option<String>,
    created_time: Option<DateTime<Utc>>,
    is_block_trade: Option<bool>,
}

/// A parsed record with the JSON it came from, which is stored beside it.
pub type WithRaw<T> = (T, Box<RawValue>);

/// Parses one trade of a page served by `tier`; a refusal names the field and keeps the id.
pub fn parse_trade(raw: Box<RawValue>, tier: Tier) -> Parsed<WithRaw<Trade>> {
    match read_trade(&raw, tier) {
        Ok(trade) => Ok((trade, raw)),
        Err(rejection) => Err((rejection, raw)),
    }
}

fn read_trade(raw: &RawValue, tier: Tier) -> Result<Trade, Rejection> {
    let wire: TradeWire = from_raw(raw)?;
    let key = wire.trade_id.clone().filter(|t| !t.trim().is_empty());
    let reject = |field: &str, message: String| Rejection {
        field: field.to_owned(),
        message,
        key: key.clone(),
    };
    let required = |field: &str, value: Option<String>| {
        value
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| reject(field, "missing or empty".into()))
    };
    let trade_id = required("trade_id", wire.trade_id.clone())?;
    let ticker = required("ticker", wire.ticker)?;
    let price = |field: &str, value: Option<String>| {
        dollars_exact(&required(field, value)?).map_err(|e| reject(field, e.to_string()))
    };
    let yes_price = price("yes_price_dollars", wire.yes_price_dollars)?;
    let no_price = price("no_price_dollars", wire.no_price_dollars)?;
    let count = parse_count(&required("count_fp", wire.count_fp)?)
        .map_err(|e| reject("count_fp", e.to_string()))?;
    if count.is_zero() {
        return Err(reject("count_fp", "a trade of zero contracts".into()));
    }
    let created_time = wire
        .created_time
        .ok_or_else(|| reject("created_time", "missing".into()))?;
    let taker_side =
        match (wire.taker_outcome_side, wire.taker_side) {
            (Some(side), _) => Some(taker(&side).ok_or_else(|| {
                reject("taker_outcome_side", format!("`{side}` is not yes or no"))
            })?),
            (None, Some(side)) => taker(&side),
            (None, None) => None,
        };
    Ok(Trade {
        trade_id,
        ticker,
        created_time,
        yes_price,
        no_price,
        count,
        taker_side,
        is_block_trade: wire.is_block_trade,
        tier,
    })
}

fn taker(side: &str) -> Option<TakerSide> {
    match side {
        "yes" => Some(TakerSide::Yes),
        "no" => Some(TakerSide::No),
        _ => None,
    }
}

/// One candle as either tier serves it: the live tier says `open_dollars` and `volume_fp`, the
/// historical tier `open` and `volume` (§3.7); serde's aliases read both into one shape.
#[derive(Debug, Deserialize)]
struct CandleWire {
    end_period_ts: Option<i64>,
    yes_bid: Option<OhlcWire>,
    yes_ask: Option<OhlcWire>,
    price: Option<OhlcWire>,
    #[serde(alias = "volume")]
    volume_fp: Option<String>,
    #[serde(alias = "open_interest")]
    open_interest_fp: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct OhlcWire {
    #[serde(alias = "open")]
    open_dollars: Option<String>,
    #[serde(alias = "high")]
    high_dollars: Option<String>,
    #[serde(alias = "low")]
    low_dollars: Option<String>,
    #[serde(alias = "close")]
    close_dollars: Option<String>,
    #[serde(alias = "mean")]
    mean_dollars: Option<String>,
    #[serde(alias = "previous")]
    previous_dollars: Option<String>,
}

/// Parses one candle of `ticker` served by `tier`.
pub fn parse_candle(
    raw: Box<RawValue>,
    ticker: &str,
    period: CandlePeriod,
    tier: Tier,
) -> Parsed<WithRaw<Candle>> {
    match read_candle(&raw, ticker, period, tier) {
        Ok(candle) => Ok((candle, raw)),
        Err(mut rejection) => {
            rejection.key = Some(ticker.to_owned());
            Err((rejection, raw))
        }
    }
}

fn read_candle(
    raw: &RawValue,
    ticker: &str,
    period: CandlePeriod,
    tier: Tier,
) -> Result<Candle, Rejection> {
    let wire: CandleWire = from_raw(raw)?;
    let reject = |field: &str, message: String| Rejection {
        field: field.to_owned(),
        message,
        key: Some(ticker.to_owned()),
    };
    let end_period = wire
        .end_period_ts
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .ok_or_else(|| reject("end_period_ts", "missing or out of range".into()))?;
    let dollars = |field: String, value: Option<String>| {
        value
            .filter(|v| !v.is_empty())
            .map(|v| dollars_exact(&v).map_err(|e| reject(&field, e.to_string())))
            .transpose()
    };
    let ohlc = |name: &str, wire: Option<OhlcWire>| -> Result<(Ohlc, OhlcWire), Rejection> {
        let mut wire = wire.unwrap_or_default();
        let ohlc = Ohlc {
            open: dollars(format!("{name}.open"), wire.open_dollars.take())?,
            high: dollars(format!("{name}.high"), wire.high_dollars.take())?,
            low: dollars(format!("{name}.low"), wire.low_dollars.take())?,
            close: dollars(format!("{name}.close"), wire.close_dollars.take())?,
        };
        Ok((ohlc, wire))
    };
    let (yes_bid, _) = ohlc("yes_bid", wire.yes_bid)?;
    let (yes_ask, _) = ohlc("yes_ask", wire.yes_ask)?;
    let (price, rest) = ohlc("price", wire.price)?;
    let count = |field: &str, value: Option<String>| {
        value
            .filter(|v| !v.is_empty())
            .map(|v| parse_count(&v).map_err(|e| reject(field, e.to_string())))
            .transpose()
    };
    Ok(Candle {
        ticker: ticker.to_owned(),
        period,
        end_period,
        yes_bid,
        yes_ask,
        price,
        price_mean: dollars("price.mean".into(), rest.mean_dollars)?,
        price_previous: dollars("price.previous".into(), rest.previous_dollars)?,
        volume: count("volume", wire.volume_fp)?,
        open_interest: count("open_interest", wire.open_interest_fp)?,
        tier,
    })
}

/// A dollar price in $0..$1, kept as the plain decimal the domain types hold.
fn dollars_exact(raw: &str) -> Result<Decimal, DecimalError> {
    parse_dollars(raw).map(Decimal::from)
}

/// Deserialises a wire struct, naming the field when a value has the wrong type.
fn from_raw<'a, T: Deserialize<'a>>(raw: &'a RawValue) -> Result<T, Rejection> {
    let mut deserializer = serde_json::Deserializer::from_str(raw.get());
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| Rejection {
        field: e.path().to_string(),
        message: e.into_inner().to_string(),
        key: None,
    })
}

/// Kalshi sometimes sends `null` where the spec promises a list.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).expect("valid JSON")
    }

    #[test]
    fn a_trade_keeps_sub_penny_prices_and_fractional_counts() {
        let (trade, _) = parse_trade(
            raw(
                r#"{"trade_id":"t-1","ticker":"KX-1","count_fp":"3.50","yes_price_dollars":"0.5625",
                    "no_price_dollars":"0.4375","taker_side":"no","taker_outcome_side":"no",
                    "taker_book_side":"ask","created_time":"2026-09-12T18:40:55.004121Z",
                    "is_block_trade":false}"#,
            ),
            Tier::Historical,
        )
        .expect("valid");
        assert_eq!(trade.yes_price.to_string(), "0.5625");
        assert_eq!(trade.count, Decimal::new(350, 2));
        assert_eq!(trade.taker_side, Some(TakerSide::No));
        assert_eq!(trade.tier, Tier::Historical);
    }

    #[test]
    fn a_bad_trade_is_refused_naming_the_field_and_keeping_its_id() {
        let cases = [
            (
                r#"{"trade_id":"t","ticker":"K","count_fp":"1.00","yes_price_dollars":"57","no_price_dollars":"0.43","created_time":"2026-09-12T18:40:55Z"}"#,
                "yes_price_dollars",
            ),
            (
                r#"{"trade_id":"t","ticker":"K","count":25,"yes_price_dollars":"0.57","no_price_dollars":"0.43","created_time":"2026-09-12T18:40:55Z"}"#,
                "count_fp",
            ),
            (
                r#"{"trade_id":"t","ticker":"K","count_fp":"1.00","yes_price_dollars":"0.57","no_price_dollars":"0.43","created_time":"yesterday"}"#,
                "created_time",
            ),
            (
                r#"{"trade_id":"t","ticker":"K","count_fp":"1.00","yes_price_dollars":"0.57","no_price_dollars":"0.43","created_time":"2026-09-12T18:40:55Z","taker_outcome_side":"up"}"#,
                "taker_outcome_side",
            ),
        ];
        for (json, field) in cases {
            let (why, _) = parse_trade(raw(json), Tier::Live).expect_err(json);
            assert_eq!(why.field, field, "{json}");
        }
    }

    #[test]
    fn live_and_historical_candles_map_to_the_same_candle() {
        let (live, _) = parse_candle(
            raw(r#"{"end_period_ts":1789238460,
                    "yes_bid":{"open_dollars":"0.5500","low_dollars":"0.5400","high_dollars":"0.5650","close_dollars":"0.5600"},
                    "yes_ask":{"open_dollars":"0.5600","low_dollars":"0.5500","high_dollars":"0.5750","close_dollars":"0.5700"},
                    "price":{"open_dollars":null,"low_dollars":null,"high_dollars":null,"close_dollars":null,
                             "mean_dollars":null,"previous_dollars":"0.5600","min_dollars":null,"max_dollars":null},
                    "volume_fp":"0.00","open_interest_fp":"201775.50"}"#),
            "KX-1",
            CandlePeriod::OneMinute,
            Tier::Live,
        )
        .expect("live");
        let (historical, _) = parse_candle(
            raw(r#"{"end_period_ts":1789238460,
                    "yes_bid":{"open":"0.5500","low":"0.5400","high":"0.5650","close":"0.5600"},
                    "yes_ask":{"open":"0.5600","low":"0.5500","high":"0.5750","close":"0.5700"},
                    "price":{"open":null,"low":null,"high":null,"close":null,"mean":null,"previous":"0.5600"},
                    "volume":"0.00","open_interest":"201775.50"}"#),
            "KX-1",
            CandlePeriod::OneMinute,
            Tier::Historical,
        )
        .expect("historical");
        assert_eq!(
            Candle {
                tier: Tier::Live,
                ..historical
            },
            live
        );
        assert_eq!(live.yes_bid.high, Some(Decimal::new(5650, 4)));
        assert_eq!(live.price_previous, Some(Decimal::new(5600, 4)));
        assert_eq!(live.open_interest, Some(Decimal::new(20177550, 2)));
    }
}
