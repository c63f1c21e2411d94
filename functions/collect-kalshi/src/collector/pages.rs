//! Pages of markets: fetched and parsed ahead, written in one transaction each.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::Utc;
use precog::domain::Market;
use precog::kalshi::{CursorGuard, MarketsQuery, TICKERS_PER_REQUEST};
use serde_json::value::RawValue;

use super::writes::PageJob;
use super::{Collector, PageKind};
use crate::parsing::{parse_page, ParsedPage};
use crate::PassStats;

impl Collector<'_> {
    /// Follows the query's cursor to the end, storing each page as it arrives. The next page is
    /// fetched and parsed while the current one is written: at a rate limit the write then costs
    /// no wall time, and without one the database works while we parse. Pages whose write began
    /// are committed before this returns, even when a later page fails.
    pub(super) async fn collect(
        &mut self,
        query: MarketsQuery,
        kind: PageKind,
        seen: &mut HashSet<String>,
        stats: &mut PassStats,
    ) -> anyhow::Result<()> {
        let collected = self.collect_pages(query, kind, seen, stats).await;
        let written = self.finish_writes(stats).await;
        collected.and(written)
    }

    async fn collect_pages(
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

    /// Makes sure a page's events and series are stored, fetches depth when asked, and starts
    /// writing markets, snapshots and rejects in one transaction (`writes`); the caller waits for
    /// the writes with `finish_writes`.
    pub(super) async fn store_page(
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

        let job = PageJob {
            page: markets,
            depth,
            rejected,
            observed_at,
            heartbeat_minutes: self.event.heartbeat_minutes(),
            run_id: self.run.id,
        };
        self.writes.start(self.pool, job, self.run, stats).await
    }

    /// Waits for the pages being written: a pass's pages are committed when it returns.
    pub(super) async fn finish_writes(&mut self, stats: &mut PassStats) -> anyhow::Result<()> {
        self.writes.finish(self.run, stats).await
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
}
