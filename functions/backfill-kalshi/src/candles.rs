//! Candlesticks of the selected markets. Markets the live tier serves are fetched through the
//! batch endpoint, up to 100 tickers and 10,000 candles a request (markets with close windows
//! share a request); archived markets through the historical endpoint, whose candles name their
//! fields differently (the parser maps both). Each request commits with the watermarks of the
//! markets it covered.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use precog::db::history::{self as store, Advance};
use precog::domain::history::{CandlePeriod, Tier};
use precog::kalshi::history::{
    parse_candle, WithRaw, CANDLES_PER_REQUEST, CANDLE_TICKERS_PER_REQUEST,
};

use crate::crawl::{split, Crawl};
use crate::select::Target;

/// One market's window still to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Want {
    pub ticker: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Candles of `[start, end]` at `period`, the most one market can return in that window.
fn candles_in(start: DateTime<Utc>, end: DateTime<Utc>, period: CandlePeriod) -> i64 {
    (end - start).num_seconds().max(0) / period.seconds() + 1
}

/// One request: tickers sharing a window small enough that all their candles fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub tickers: Vec<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Packs windows into requests of at most 100 tickers and 10,000 candles (counted over the
/// request's whole window, the worst case); a window too long for one request is cut in pieces.
pub fn batches(mut wants: Vec<Want>, period: CandlePeriod) -> Vec<Batch> {
    let most = Duration::seconds(period.seconds() * (CANDLES_PER_REQUEST - 1));
    wants.sort_by(|a, b| (a.start, &a.ticker).cmp(&(b.start, &b.ticker)));
    let mut out: Vec<Batch> = Vec::new();
    let mut current: Option<Batch> = None;
    for want in wants {
        if candles_in(want.start, want.end, period) > CANDLES_PER_REQUEST {
            let mut from = want.start;
            while from <= want.end {
                let to = (from + most).min(want.end);
                out.push(Batch {
                    tickers: vec![want.ticker.clone()],
                    start: from,
                    end: to,
                });
                from = to + Duration::seconds(1);
            }
            continue;
        }
        if let Some(batch) = current.as_mut() {
            let start = batch.start.min(want.start);
            let end = batch.end.max(want.end);
            let n = batch.tickers.len() as i64 + 1;
            if batch.tickers.len() < CANDLE_TICKERS_PER_REQUEST
                && n * candles_in(start, end, period) <= CANDLES_PER_REQUEST
            {
                batch.tickers.push(want.ticker);
                batch.start = start;
                batch.end = end;
                continue;
            }
        }
        out.extend(current.take());
        current = Some(Batch {
            tickers: vec![want.ticker],
            start: want.start,
            end: want.end,
        });
    }
    out.extend(current);
    out
}

pub async fn crawl(
    crawl: &mut Crawl<'_>,
    targets: &[Target],
    period: CandlePeriod,
) -> anyhow::Result<()> {
    let kind = period.watermark_kind();
    let tickers: Vec<String> = targets.iter().map(|t| t.ticker.clone()).collect();
    let marks = store::watermarks(crawl.pool, &tickers, kind)
        .await
        .context("reading the candle watermarks")?;
    let now = Utc::now();
    let step = Duration::seconds(period.seconds());
    let mut wants = [Vec::new(), Vec::new()];
    for target in targets {
        let Some(open) = target.open_time else {
            continue;
        };
        let end = target.close_time.map_or(now, |c| c.min(now));
        let covered = marks
            .get(&(target.ticker.clone(), target.served_by))
            .and_then(|m| m.covered_through);
        // The last stored candle may have been of a period in progress: fetch it again.
        let start = covered.map_or(open, |c| (c - step).max(open));
        if covered.is_some_and(|c| c >= end) || start > end {
            continue;
        }
        let slot = usize::from(target.served_by == Tier::Live);
        wants[slot].push(Want {
            ticker: target.ticker.clone(),
            start,
            end,
        });
    }
    let [archived, live] = wants;
    // The historical endpoint takes one market a request; long windows are still cut.
    for batch in archived
        .into_iter()
        .flat_map(|want| batches(vec![want], period))
    {
        let ticker = &batch.tickers[0];
        crawl.spend(Some(Tier::Historical))?;
        let raw = crawl
            .kalshi
            .historical_candlesticks(
                ticker,
                batch.start.timestamp(),
                batch.end.timestamp(),
                period,
            )
            .await
            .with_context(|| format!("fetching historical candles of {ticker}"))?;
        let parsed = raw
            .into_iter()
            .map(|r| parse_candle(r, ticker, period, Tier::Historical));
        let (candles, rejected) = split(parsed);
        let ends = vec![(ticker.clone(), batch.end)];
        commit(crawl, Tier::Historical, period, candles, rejected, &ends).await?;
    }
    for batch in batches(live, period) {
        crawl.spend(Some(Tier::Live))?;
        let markets = crawl
            .kalshi
            .candlesticks_batch(
                &batch.tickers,
                batch.start.timestamp(),
                batch.end.timestamp(),
                period,
            )
            .await
            .with_context(|| format!("fetching candles of {}", batch.tickers.join(",")))?;
        let parsed = markets.into_iter().flat_map(|m| {
            let ticker = m.market_ticker;
            m.candlesticks
                .into_iter()
                .map(move |r| parse_candle(r, &ticker, period, Tier::Live))
        });
        let (candles, rejected) = split(parsed);
        let ends: Vec<(String, DateTime<Utc>)> = batch
            .tickers
            .iter()
            .map(|t| (t.clone(), batch.end))
            .collect();
        commit(crawl, Tier::Live, period, candles, rejected, &ends).await?;
    }
    Ok(())
}

/// One request's candles, rejects and watermarks in one transaction.
async fn commit(
    crawl: &mut Crawl<'_>,
    tier: Tier,
    period: CandlePeriod,
    candles: Vec<WithRaw<precog::domain::history::Candle>>,
    rejected: Vec<(precog::kalshi::Rejection, Box<serde_json::value::RawValue>)>,
    covered: &[(String, DateTime<Utc>)],
) -> anyhow::Result<()> {
    let seen = candles.len() as u64;
    let mut tx = crawl.pool.begin().await?;
    let written = store::upsert_candles(&mut tx, &candles)
        .await
        .context("storing candles")?;
    crawl
        .reject(&mut tx, "kalshi.candle", tier, rejected)
        .await?;
    for (ticker, through) in covered {
        let rows = candles.iter().filter(|(c, _)| &c.ticker == ticker).count() as u64;
        store::advance(
            &mut tx,
            ticker,
            tier,
            period.watermark_kind(),
            &Advance::Covered(*through),
            rows,
        )
        .await?;
    }
    tx.commit().await.context("committing candles")?;
    crawl.run.add_written(written);
    let stats = crawl.stats.tier(tier);
    stats.pages += 1;
    stats.candles_seen += seen;
    stats.candles_written += written;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("a time")
    }

    fn want(ticker: &str, start: &str, end: &str) -> Want {
        Want {
            ticker: ticker.into(),
            start: at(start),
            end: at(end),
        }
    }

    #[test]
    fn a_week_of_one_minute_candles_is_cut_into_requests_of_at_most_ten_thousand() {
        let week = want("KX-1", "2026-09-07T00:00:00Z", "2026-09-14T00:00:00Z");
        let out = batches(vec![week], CandlePeriod::OneMinute);
        assert_eq!(out.len(), 2, "{out:?}");
        for b in &out {
            assert!(candles_in(b.start, b.end, CandlePeriod::OneMinute) <= CANDLES_PER_REQUEST);
        }
        assert_eq!(out[0].start, at("2026-09-07T00:00:00Z"));
        assert_eq!(out[1].end, at("2026-09-14T00:00:00Z"));
        assert!(out[1].start > out[0].end);
    }

    #[test]
    fn close_windows_share_requests_within_both_caps() {
        // 250 game markets of one Sunday, hourly: 100 tickers per request at most.
        let wants: Vec<Want> = (0..250)
            .map(|i| {
                want(
                    &format!("KX-{i:03}"),
                    "2026-09-13T12:00:00Z",
                    "2026-09-14T06:00:00Z",
                )
            })
            .collect();
        let out = batches(wants, CandlePeriod::OneHour);
        assert_eq!(out.len(), 3);
        assert!(out
            .iter()
            .all(|b| b.tickers.len() <= CANDLE_TICKERS_PER_REQUEST));
        // The same Sunday by the minute: 1,081 candles each, so 9 markets a request.
        let wants: Vec<Want> = (0..20)
            .map(|i| {
                want(
                    &format!("KX-{i:03}"),
                    "2026-09-13T12:00:00Z",
                    "2026-09-14T06:00:00Z",
                )
            })
            .collect();
        let out = batches(wants, CandlePeriod::OneMinute);
        assert_eq!(
            out.iter().map(|b| b.tickers.len()).collect::<Vec<_>>(),
            vec![9, 9, 2]
        );
    }
}
