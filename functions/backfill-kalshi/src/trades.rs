//! Every printed trade of the selected markets, from both tiers. Each market's life is split at
//! the cutoff's `trades_created_ts` (never at its close time: a long-lived market has trades on
//! both sides), with an overlap where both tiers are asked; `trade_id` makes the overlap and any
//! re-fetch harmless. Each page commits with its watermark, so a crash resumes at the next page.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use precog::db::history::{self as store, Advance, OpenWindow, Watermark};
use precog::domain::history::Tier;
use precog::http::FetchError;
use precog::kalshi::history::{parse_trade, Cutoff};
use precog::kalshi::{CursorGuard, Error as KalshiError};

use crate::crawl::{split, Crawl};
use crate::select::Target;

pub const KIND: &str = "trades";

/// Both tiers are asked for this long on either side of the cutoff: the cutoff has sub-second
/// precision, the filters whole seconds, and the archive job is not atomic.
pub const OVERLAP: Duration = Duration::hours(1);

/// Markets without an open time start here (Kalshi's first markets).
fn epoch() -> DateTime<Utc> {
    DateTime::from_timestamp(1_609_459_200, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

/// The part of a market's life `tier` may hold trades for, or `None` when it holds none.
pub fn span(
    target: &Target,
    tier: Tier,
    cutoff: &Cutoff,
    now: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = target.open_time.unwrap_or_else(epoch);
    let end = target.close_time.map_or(now, |close| close.min(now));
    let c = cutoff.trades_created_ts;
    let (from, to) = match tier {
        Tier::Historical => (start, end.min(c + OVERLAP)),
        Tier::Live => (start.max(c - OVERLAP), end),
    };
    (from < to).then_some((from, to))
}

pub async fn crawl(crawl: &mut Crawl<'_>, targets: &[Target]) -> anyhow::Result<()> {
    let tickers: Vec<String> = targets.iter().map(|t| t.ticker.clone()).collect();
    let mut marks = store::watermarks(crawl.pool, &tickers, KIND)
        .await
        .context("reading the trade watermarks")?;
    for target in targets {
        let cutoff = crawl.cutoff().await?;
        for tier in Tier::BOTH {
            let mark = marks
                .remove(&(target.ticker.clone(), tier))
                .unwrap_or_default();
            let Some(span) = span(target, tier, &cutoff, Utc::now()) else {
                continue;
            };
            market(crawl, &target.ticker, tier, span, mark).await?;
        }
    }
    Ok(())
}

/// Pages one market's trades in one tier from where its watermark stands.
async fn market(
    crawl: &mut Crawl<'_>,
    ticker: &str,
    tier: Tier,
    span: (DateTime<Utc>, DateTime<Utc>),
    mark: Watermark,
) -> anyhow::Result<()> {
    let mut cursors = CursorGuard::new("GET trades");
    let (window, mut cursor) = match mark.open_window {
        Some(open) => {
            // Resuming: the stored cursor counts as seen, so Kalshi handing it back is a loop.
            cursors.next(Some(open.cursor.clone()))?;
            ((open.start, open.end), Some(open.cursor))
        }
        None => {
            let from = mark.covered_through.map_or(span.0, |c| c.max(span.0));
            if from >= span.1 {
                return Ok(());
            }
            ((from, span.1), None)
        }
    };
    loop {
        crawl.spend(Some(tier))?;
        let min_ts = window.0.timestamp();
        // Whole seconds, rounded up so the window's last instant is inside.
        let max_ts = window.1.timestamp() + i64::from(window.1.timestamp_subsec_nanos() > 0);
        let page = match crawl
            .kalshi
            .trades_page(tier, ticker, min_ts, max_ts, cursor.as_deref())
            .await
        {
            Ok(page) => page,
            // A cursor kept from an earlier run may have expired: page the window again from its
            // start (trade ids make the repeat harmless).
            Err(KalshiError::Fetch(e)) if cursor.is_some() && is_bad_request(&e) => {
                tracing::warn!(ticker, %tier, error = %e, "a stored cursor was refused; re-paging its window");
                store::drop_window(crawl.pool, ticker, tier, KIND).await?;
                cursor = None;
                cursors = CursorGuard::new("GET trades");
                continue;
            }
            Err(e) => {
                return Err(e).with_context(|| format!("fetching {tier} trades of {ticker}"));
            }
        };
        let next = cursors.next(page.cursor)?;
        let (trades, rejected) = split(page.trades.into_iter().map(|raw| parse_trade(raw, tier)));
        let seen = trades.len() as u64;
        let advance = match &next {
            Some(next) => Advance::NextPage(OpenWindow {
                start: window.0,
                end: window.1,
                cursor: next.clone(),
            }),
            None => Advance::Covered(window.1),
        };
        let mut tx = crawl.pool.begin().await?;
        let new = store::insert_trades(&mut tx, &trades)
            .await
            .context("storing trades")?;
        crawl
            .reject(&mut tx, "kalshi.trade", tier, rejected)
            .await?;
        store::advance(&mut tx, ticker, tier, KIND, &advance, new).await?;
        tx.commit().await.context("committing a page of trades")?;
        crawl.run.add_written(new);
        let stats = crawl.stats.tier(tier);
        stats.pages += 1;
        stats.trades_seen += seen;
        stats.trades_new += new;
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(()),
        }
    }
}

fn is_bad_request(e: &FetchError) -> bool {
    e.status().map(|s| s.as_u16()) == Some(400)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("a time")
    }

    fn target(open: &str, close: &str) -> Target {
        Target {
            ticker: "KX-1".into(),
            served_by: Tier::Live,
            open_time: Some(at(open)),
            close_time: Some(at(close)),
        }
    }

    fn cutoff(trades: &str) -> Cutoff {
        Cutoff {
            market_settled_ts: at(trades),
            trades_created_ts: at(trades),
        }
    }

    #[test]
    fn a_market_is_split_at_the_trade_cutoff_with_an_overlap_not_at_its_close() {
        let now = at("2026-12-01T00:00:00Z");
        let c = cutoff("2026-09-01T00:00:00Z");
        // Long-lived: opened before the cutoff, closes after it. Both tiers, overlapping.
        let long = target("2026-06-01T00:00:00Z", "2026-11-01T00:00:00Z");
        assert_eq!(
            span(&long, Tier::Historical, &c, now),
            Some((at("2026-06-01T00:00:00Z"), at("2026-09-01T01:00:00Z")))
        );
        assert_eq!(
            span(&long, Tier::Live, &c, now),
            Some((at("2026-08-31T23:00:00Z"), at("2026-11-01T00:00:00Z")))
        );
        // Closed well before the cutoff: historical only.
        let old = target("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z");
        assert_eq!(span(&old, Tier::Live, &c, now), None);
        // Opened after the cutoff: live only; an open market's span ends now.
        let new = target("2026-10-01T00:00:00Z", "2027-01-01T00:00:00Z");
        assert_eq!(span(&new, Tier::Historical, &c, now), None);
        assert_eq!(span(&new, Tier::Live, &c, now).map(|s| s.1), Some(now));
    }
}
