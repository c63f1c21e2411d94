//! One invocation's passes: pages of markets (`pages`), the catalog they need (`catalog`), and
//! the settlement follow-up here.

mod catalog;
mod pages;
mod writes;

use std::collections::HashSet;

use anyhow::{bail, Context};
use precog::db::markets;
use precog::kalshi::{KalshiClient, MarketsQuery, TICKERS_PER_REQUEST};
use precog::runner::Run;
use sqlx::PgPool;

use crate::parsing::parse_page;
use crate::{CollectEvent, PassStats};

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
    /// The page writes in flight and their connections.
    writes: writes::PageWrites,
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
            writes: writes::PageWrites::default(),
        }
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
        let followed = self.settlement_pages(seen, stats).await;
        let written = self.finish_writes(stats).await;
        followed.and(written)
    }

    async fn settlement_pages(
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

    fn check_deadline(&self) -> anyhow::Result<()> {
        if self.run.remaining().is_zero() {
            bail!("the invocation's deadline arrived mid-pass");
        }
        Ok(())
    }
}
