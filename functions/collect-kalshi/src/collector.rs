use std::collections::{HashMap, HashSet};

use anyhow::{bail, Context};
use chrono::Utc;
use precog::db::rejects::NewRejected;
use precog::db::{catalog, markets, rejects};
use precog::domain::{Event, Market, Series};
use precog::kalshi::{
    parse_event, parse_series, series_list, CursorGuard, KalshiClient, MarketsQuery,
    TICKERS_PER_REQUEST,
};
use precog::runner::{Function, Run};
use serde_json::value::RawValue;
use sqlx::PgPool;

use crate::parsing::{parse_all, parse_page, rejection, ParsedPage};
use crate::{CollectEvent, CollectKalshi, PassStats};

/// The state of one invocation's passes: the catalog entries already known, so each event and
/// series is fetched once, and only when new.
pub(crate) struct Collector<'a> {
    pool: &'a PgPool,
    kalshi: &'a KalshiClient,
    event: &'a CollectEvent,
    run: &'a Run,
    known_events: HashSet<String>,
    known_series: HashSet<String>,
    /// Whether this invocation already read Kalshi's whole series list.
    series_list_read: bool,
    /// The connection pages are written on, taken at the first page.
    writer: Option<markets::PageWriter>,
}

/// From this many unknown series on one page, one `GET /series` (the whole list, ~19 MB for
/// Kalshi's catalog) is cheaper than a request per series: a first deploy, or a restore from an
/// old backup, meets thousands.
const SERIES_LIST_THRESHOLD: usize = 10;
/// Series parsed and upserted per transaction while the list is read.
const SERIES_BATCH: usize = 500;

/// How a page of markets came to us: only the open-set pages may fetch depth.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PageKind {
    Collection,
    Settlement,
}

impl<'a> Collector<'a> {
    pub(crate) fn new(
        pool: &'a PgPool,
        kalshi: &'a KalshiClient,
        event: &'a CollectEvent,
        run: &'a Run,
    ) -> Self {
        Self {
            pool,
            kalshi,
            event,
            run,
            known_events: HashSet::new(),
            known_series: HashSet::new(),
            series_list_read: false,
            writer: None,
        }
    }

    /// Re-fetches the series and events Kalshi changed since our last successful run. On the
    /// first run everything is new and is fetched as markets reference it.
    pub(crate) async fn refresh_changed_catalog(&mut self) -> anyhow::Result<PassStats> {
        let mut stats = PassStats::default();
        let Some(since) = catalog::last_refresh(self.pool, CollectKalshi::NAME).await? else {
            return Ok(stats);
        };
        // A minute of overlap covers clock skew between Kalshi and us.
        let since = since - chrono::Duration::minutes(1);
        let series_raw = self
            .kalshi
            .series_updated_since(since)
            .await
            .context("fetching changed series")?;
        let events_raw = self
            .kalshi
            .events_updated_since(since)
            .await
            .context("fetching changed events")?;
        let (series, mut rejected) = parse_all(series_raw, parse_series, "kalshi.series");
        let (events, more) = parse_all(events_raw, parse_event, "kalshi.event");
        rejected.extend(more);
        // Only refresh what we track; the rest arrives when a market references it.
        let tracked = catalog::known_series(
            self.pool,
            &series.iter().map(|s| s.ticker.clone()).collect::<Vec<_>>(),
        )
        .await?;
        let series: Vec<Series> = series
            .into_iter()
            .filter(|s| tracked.contains(&s.ticker))
            .collect();
        let known = catalog::known_events(
            self.pool,
            &events
                .iter()
                .map(|e| e.event_ticker.clone())
                .collect::<Vec<_>>(),
        )
        .await?;
        let events: Vec<Event> = events
            .into_iter()
            .filter(|e| known.contains(&e.event_ticker))
            .collect();
        self.store_catalog(&series, &events, &rejected, &mut stats)
            .await?;
        Ok(stats)
    }

    /// One pass over the event's markets, then the settlement follow-up.
    pub(crate) async fn pass(&mut self) -> anyhow::Result<PassStats> {
        let mut stats = PassStats::default();
        let mut seen = HashSet::new();
        if !self.event.tickers.is_empty() {
            let tickers = self.event.tickers.clone();
            return self.pass_tickers(&tickers).await;
        }
        if self.event.series.is_empty() {
            self.collect(
                MarketsQuery::Open,
                PageKind::Collection,
                &mut seen,
                &mut stats,
            )
            .await?;
        } else {
            for series in &self.event.series {
                self.collect(
                    MarketsQuery::OpenInSeries(series.clone()),
                    PageKind::Collection,
                    &mut seen,
                    &mut stats,
                )
                .await?;
            }
        }
        self.follow_settlement(&mut seen, &mut stats).await?;
        Ok(stats)
    }

    /// One pass over named markets, looked up whatever their status (which already follows them
    /// to their result), with depth when the event asks.
    pub(crate) async fn pass_tickers(&mut self, tickers: &[String]) -> anyhow::Result<PassStats> {
        let mut stats = PassStats::default();
        let mut seen = HashSet::new();
        for chunk in tickers.chunks(TICKERS_PER_REQUEST) {
            self.collect(
                MarketsQuery::Tickers(chunk.to_vec()),
                PageKind::Collection,
                &mut seen,
                &mut stats,
            )
            .await?;
        }
        Ok(stats)
    }

    /// Markets we hold that are not final and were not in this pass's open set: look them up by
    /// ticker, then in the historical tier for those Kalshi has archived.
    async fn follow_settlement(
        &mut self,
        seen: &mut HashSet<String>,
        stats: &mut PassStats,
    ) -> anyhow::Result<()> {
        let scope = (!self.event.series.is_empty()).then_some(self.event.series.as_slice());
        let pending: Vec<String> = markets::unsettled(self.pool, scope)
            .await?
            .into_iter()
            .filter(|t| !seen.contains(t))
            .collect();
        for chunk in pending.chunks(TICKERS_PER_REQUEST) {
            stats.settlement_lookups += chunk.len() as u64;
            self.collect(
                MarketsQuery::Tickers(chunk.to_vec()),
                PageKind::Settlement,
                seen,
                stats,
            )
            .await?;
            let archived: Vec<String> = chunk
                .iter()
                .filter(|t| !seen.contains(*t))
                .cloned()
                .collect();
            if archived.is_empty() {
                continue;
            }
            self.check_deadline()?;
            let raw = self
                .kalshi
                .historical_markets(&archived)
                .await
                .context("looking up archived markets")?;
            stats.settlement_archived += raw.len() as u64;
            stats.pages += 1;
            self.store_page(parse_page(raw)?, PageKind::Settlement, seen, stats)
                .await?;
        }
        Ok(())
    }

    /// Follows the query's cursor to the end, storing each page as it arrives. The next page is
    /// fetched and parsed while the current one is written: at a rate limit the write then costs
    /// no wall time, and without one the database works while we parse.
    async fn collect(
        &mut self,
        query: MarketsQuery,
        kind: PageKind,
        seen: &mut HashSet<String>,
        stats: &mut PassStats,
    ) -> anyhow::Result<()> {
        let kalshi = self.kalshi;
        let fetch = |cursor: Option<String>, pages: u64| {
            let query = &query;
            async move {
                let page = kalshi
                    .markets_page(query, cursor.as_deref())
                    .await
                    .with_context(|| format!("fetching markets ({query:?}) after {pages} pages"))?;
                // On a blocking thread: the parse is CPU work that would otherwise hold up
                // the page being written on this task.
                let raw = page.markets;
                let parsed = tokio::task::spawn_blocking(move || parse_page(raw))
                    .await
                    .context("parsing a page of markets")??;
                Ok::<_, anyhow::Error>((page.cursor, parsed))
            }
        };
        let mut cursors = CursorGuard::new("GET /markets");
        self.check_deadline()?;
        let (mut cursor, mut page) = fetch(None, stats.pages).await?;
        loop {
            stats.pages += 1;
            let following = match cursors.next(cursor)? {
                Some(next) => {
                    self.check_deadline()?;
                    Some(fetch(Some(next), stats.pages))
                }
                None => None,
            };
            let (stored, fetched) = tokio::join!(self.store_page(page, kind, seen, stats), async {
                match following {
                    Some(fetching) => fetching.await.map(Some),
                    None => Ok(None),
                }
            });
            stored?;
            match fetched? {
                Some((next_cursor, next_page)) => (cursor, page) = (next_cursor, next_page),
                None => return Ok(()),
            }
        }
    }

    /// Makes sure a page's events and series are stored, fetches depth when asked, and writes
    /// markets, snapshots and rejects in one transaction.
    async fn store_page(
        &mut self,
        page: ParsedPage,
        kind: PageKind,
        seen: &mut HashSet<String>,
        stats: &mut PassStats,
    ) -> anyhow::Result<()> {
        let observed_at = Utc::now();
        let ParsedPage { markets, rejected } = page;
        stats.markets_seen += markets.markets().len() as u64;
        seen.extend(markets.markets().iter().map(|m| m.ticker.to_string()));
        self.ensure_catalog(markets.markets(), stats).await?;
        let depth = if self.event.depth && kind == PageKind::Collection {
            self.order_books(markets.markets(), stats).await?
        } else {
            HashMap::new()
        };

        let writer = match &mut self.writer {
            Some(writer) => writer,
            None => self
                .writer
                .insert(markets::PageWriter::acquire(self.pool).await?),
        };
        let writing = std::time::Instant::now();
        let mut tx = writer.begin().await?;
        let written = tx
            .write_page(
                &markets,
                &depth,
                observed_at,
                self.event.heartbeat_minutes(),
            )
            .await
            .context("writing a page of markets")?;
        rejects::upsert(tx.conn(), self.run.id, &rejected)
            .await
            .context("keeping rejected markets")?;
        tx.commit().await?;
        stats.write_seconds += writing.elapsed().as_secs_f64();

        stats.markets_changed += written.markets_changed;
        stats.snapshots_inserted += written.snapshots_inserted;
        stats.rejected += rejected.len() as u64;
        self.run
            .add_written(written.markets_changed + written.snapshots_inserted);
        self.run.add_rejected(rejected.len() as u64);
        Ok(())
    }

    /// Fetches and stores the events (and their series) of `markets` that we have not seen yet.
    async fn ensure_catalog(
        &mut self,
        markets: &[Market],
        stats: &mut PassStats,
    ) -> anyhow::Result<()> {
        let mut wanted: Vec<String> = markets
            .iter()
            .map(|m| m.event_ticker.clone())
            .filter(|e| !self.known_events.contains(e))
            .collect();
        wanted.sort();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(());
        }
        let stored = catalog::known_events(self.pool, &wanted).await?;
        let missing: Vec<String> = wanted
            .iter()
            .filter(|e| !stored.contains(*e))
            .cloned()
            .collect();
        // Whether or not Kalshi returns them, don't ask again in this invocation.
        self.known_events.extend(wanted);
        if missing.is_empty() {
            return Ok(());
        }
        let raw = self
            .kalshi
            .events_by_tickers(&missing)
            .await
            .context("fetching new events")?;
        let (events, mut rejected) = parse_all(raw, parse_event, "kalshi.event");

        let mut series_wanted: Vec<String> = events
            .iter()
            .map(|e| e.series_ticker.clone())
            .filter(|s| !self.known_series.contains(s))
            .collect();
        series_wanted.sort();
        series_wanted.dedup();
        let stored = catalog::known_series(self.pool, &series_wanted).await?;
        let mut unknown: Vec<&String> = series_wanted
            .iter()
            .filter(|s| !stored.contains(*s))
            .collect();
        if unknown.len() >= SERIES_LIST_THRESHOLD && !self.series_list_read {
            self.read_series_list(stats).await?;
            // Whatever the list did not have, Kalshi does not know: no per-series look-ups.
            unknown.clear();
        }
        let mut series = Vec::new();
        for ticker in unknown {
            if let Some(raw) = self
                .kalshi
                .series(ticker)
                .await
                .context("fetching a new series")?
            {
                match parse_series(raw) {
                    Ok(s) => series.push(s),
                    Err((why, raw)) => rejected.push(rejection("kalshi.series", why, &raw)),
                }
            }
        }
        self.known_series.extend(series_wanted);
        self.store_catalog(&series, &events, &rejected, stats).await
    }

    /// Reads `GET /series` once and stores every series in it, in batches, so memory holds the
    /// body and one batch, never the parsed list.
    async fn read_series_list(&mut self, stats: &mut PassStats) -> anyhow::Result<()> {
        self.check_deadline()?;
        let body = self
            .kalshi
            .all_series_body()
            .await
            .context("fetching the series list")?;
        self.series_list_read = true;
        stats.series_lists += 1;
        // Walked on a blocking thread; each batch is stored while the next is read.
        let (sender, mut batches) = tokio::sync::mpsc::channel::<Vec<Box<RawValue>>>(1);
        let walker = tokio::task::spawn_blocking(move || {
            series_list::for_each_batch(&body, SERIES_BATCH, &mut |batch| {
                // A closed channel means the storing side failed; its error is reported.
                let _ = sender.blocking_send(batch);
            })
        });
        while let Some(batch) = batches.recv().await {
            let (series, rejected) = parse_all(batch, parse_series, "kalshi.series");
            self.known_series
                .extend(series.iter().map(|s| s.ticker.clone()));
            self.store_catalog(&series, &[], &rejected, stats).await?;
        }
        let listed = walker
            .await
            .context("reading the series list")?
            .context("decoding GET /series")?;
        tracing::info!(listed, "read Kalshi's series list");
        Ok(())
    }

    async fn store_catalog(
        &self,
        series: &[Series],
        events: &[Event],
        rejected: &[NewRejected],
        stats: &mut PassStats,
    ) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await?;
        let series_written = catalog::upsert_series(&mut tx, series)
            .await
            .context("upserting series")?;
        let events_written = catalog::upsert_events(&mut tx, events)
            .await
            .context("upserting events")?;
        rejects::upsert(&mut tx, self.run.id, rejected).await?;
        tx.commit().await?;
        stats.series_upserted += series_written;
        stats.events_upserted += events_written;
        stats.rejected += rejected.len() as u64;
        self.run.add_written(series_written + events_written);
        self.run.add_rejected(rejected.len() as u64);
        Ok(())
    }

    /// Order books for the page's markets, 100 tickers a request.
    async fn order_books(
        &self,
        markets: &[Market],
        stats: &mut PassStats,
    ) -> anyhow::Result<HashMap<String, Box<RawValue>>> {
        let tickers: Vec<String> = markets.iter().map(|m| m.ticker.to_string()).collect();
        let mut books = HashMap::with_capacity(tickers.len());
        for chunk in tickers.chunks(TICKERS_PER_REQUEST) {
            self.check_deadline()?;
            let entries = self
                .kalshi
                .orderbooks(chunk)
                .await
                .context("fetching order books")?;
            for entry in entries {
                if let Some(book) = entry.orderbook_fp {
                    books.insert(entry.ticker, book);
                }
            }
        }
        stats.orderbooks += books.len() as u64;
        Ok(books)
    }

    fn check_deadline(&self) -> anyhow::Result<()> {
        if self.run.remaining().is_zero() {
            bail!("the invocation's deadline arrived mid-pass");
        }
        Ok(())
    }
}
