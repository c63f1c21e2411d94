//! Which markets a run covers, looked up in both tiers, and recorded in the catalog: a market
//! archived before Precog ever saw it gets its `markets` row from `/historical/markets`, so every
//! endpoint about it answers.

use std::collections::{BTreeMap, HashMap};

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use precog::db::{catalog, markets};
use precog::domain::history::Tier;
use precog::domain::Market;
use precog::kalshi::history::MarketFilter;
use precog::kalshi::{parse_event, parse_market, parse_series, CursorGuard, TICKERS_PER_REQUEST};

use crate::crawl::{split, Crawl};
use crate::event::{BackfillEvent, Selection};

/// A market to crawl: its life span and the tier that serves it now.
#[derive(Debug, Clone)]
pub struct Target {
    pub ticker: String,
    /// `Historical` when only `/historical/markets` has it (settled before the market cutoff).
    pub served_by: Tier,
    pub open_time: Option<DateTime<Utc>>,
    pub close_time: Option<DateTime<Utc>>,
}

/// The markets `event` selects, in ticker order; each tier's listing is stored in the catalog as
/// it arrives. Fails naming the tickers Kalshi knows in neither tier.
pub async fn targets(crawl: &mut Crawl<'_>, event: &BackfillEvent) -> anyhow::Result<Vec<Target>> {
    let mut found: BTreeMap<String, Target> = BTreeMap::new();
    let window = event.settled_window();
    match event.selection() {
        Selection::Series(series) => {
            for s in series {
                for tier in [Tier::Historical, Tier::Live] {
                    list(
                        crawl,
                        tier,
                        &MarketFilter::Series(s.clone()),
                        window,
                        &mut found,
                    )
                    .await?;
                }
            }
        }
        Selection::Events(events) => {
            for e in events {
                for tier in [Tier::Historical, Tier::Live] {
                    list(
                        crawl,
                        tier,
                        &MarketFilter::Event(e.clone()),
                        None,
                        &mut found,
                    )
                    .await?;
                }
            }
        }
        Selection::Tickers(tickers) => {
            for chunk in tickers.chunks(TICKERS_PER_REQUEST) {
                let filter = MarketFilter::Tickers(chunk.to_vec());
                list(crawl, Tier::Live, &filter, None, &mut found).await?;
                let archived: Vec<String> = chunk
                    .iter()
                    .filter(|t| !found.contains_key(*t))
                    .cloned()
                    .collect();
                if !archived.is_empty() {
                    let filter = MarketFilter::Tickers(archived);
                    list(crawl, Tier::Historical, &filter, None, &mut found).await?;
                }
            }
            let unknown: Vec<&str> = tickers
                .iter()
                .filter(|t| !found.contains_key(*t))
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                bail!(
                    "tickers: Kalshi knows no market `{}` in either tier",
                    unknown.join("`, `")
                );
            }
        }
    }
    crawl.stats.markets_selected = found.len() as u64;
    crawl.stats.markets_archived = found
        .values()
        .filter(|t| t.served_by == Tier::Historical)
        .count() as u64;
    Ok(found.into_values().collect())
}

/// Pages one listing of `tier`, storing each page in the catalog in its own transaction.
async fn list(
    crawl: &mut Crawl<'_>,
    tier: Tier,
    filter: &MarketFilter,
    settled: Option<(DateTime<Utc>, DateTime<Utc>)>,
    found: &mut BTreeMap<String, Target>,
) -> anyhow::Result<()> {
    let mut cursors = CursorGuard::new("GET /markets (backfill)");
    let mut cursor: Option<String> = None;
    let mut writer = markets::PageWriter::acquire(crawl.pool).await?;
    loop {
        crawl.spend(None)?;
        let page = crawl
            .kalshi
            .markets_in(tier, filter, settled, cursor.as_deref())
            .await
            .with_context(|| format!("listing {tier} markets ({filter:?})"))?;
        let next = cursors.next(page.cursor)?;
        let (parsed, rejected) = split(page.markets.into_iter().map(parse_market));
        // The historical tier takes no settled-time filter alongside a series: apply it here.
        let parsed: Vec<Market> = parsed
            .into_iter()
            .filter(|m| match (settled, tier) {
                (Some((from, to)), Tier::Historical) => m
                    .settlement_ts
                    .or(m.close_time)
                    .is_some_and(|t| t >= from && t < to),
                _ => true,
            })
            // A market listed by both tiers (archived between two requests) is crawled once.
            .filter(|m| !found.contains_key(m.ticker.as_str()) || tier == Tier::Historical)
            .collect();
        // Events first: a market row takes its series from its event.
        complete_catalog(crawl, &parsed).await?;
        let page = markets::PreparedPage::new(parsed).context("splitting a page of markets")?;
        let mut tx = writer.begin().await?;
        let written = tx
            .write_page(&page, &HashMap::new(), Utc::now(), 60)
            .await
            .context("recording the selected markets in the catalog")?;
        crawl
            .reject(tx.conn(), "kalshi.market", tier, rejected)
            .await?;
        tx.commit().await?;
        let rows = written.markets_changed + written.snapshots_inserted;
        crawl.stats.catalog_markets_written += written.markets_changed;
        crawl.run.add_written(rows);
        for market in page.into_markets() {
            let ticker = market.ticker.into_string();
            found.insert(
                ticker.clone(),
                Target {
                    ticker,
                    served_by: tier,
                    open_time: market.open_time,
                    close_time: market.close_time,
                },
            );
        }
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(()),
        }
    }
}

/// The events and series of the selected markets that the catalog lacks (events are never
/// archived, so `GET /events` has them even for archived markets), so a backfilled market's
/// event and series endpoints answer too.
async fn complete_catalog(crawl: &mut Crawl<'_>, markets: &[Market]) -> anyhow::Result<()> {
    let mut wanted: Vec<String> = markets.iter().map(|m| m.event_ticker.clone()).collect();
    wanted.sort();
    wanted.dedup();
    let known = catalog::known_events(crawl.pool, &wanted).await?;
    let missing: Vec<String> = wanted.into_iter().filter(|e| !known.contains(e)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    // One request per 200 events.
    for _ in missing.chunks(200) {
        crawl.spend(None)?;
    }
    let raw = crawl
        .kalshi
        .events_by_tickers(&missing)
        .await
        .context("fetching the selected markets' events")?;
    let (events, mut rejected) = split(raw.into_iter().map(parse_event));
    let mut series_wanted: Vec<String> = events.iter().map(|e| e.series_ticker.clone()).collect();
    series_wanted.sort();
    series_wanted.dedup();
    let known = catalog::known_series(crawl.pool, &series_wanted).await?;
    let mut series = Vec::new();
    for ticker in series_wanted.iter().filter(|s| !known.contains(*s)) {
        crawl.spend(None)?;
        let one = crawl
            .kalshi
            .series(ticker)
            .await
            .with_context(|| format!("fetching series {ticker}"))?;
        if let Some(raw) = one {
            match parse_series(raw) {
                Ok(s) => series.push(s),
                Err(why) => rejected.push(why),
            }
        }
    }
    let mut tx = crawl.pool.begin().await?;
    let written = catalog::upsert_series(&mut tx, &series).await?
        + catalog::upsert_events(&mut tx, &events).await?;
    crawl
        .reject(&mut tx, "kalshi.event", Tier::Live, rejected)
        .await?;
    tx.commit().await?;
    crawl.run.add_written(written);
    Ok(())
}
