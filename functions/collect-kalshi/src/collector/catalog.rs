//! The series and events a page's markets need, fetched once and only when new.

use anyhow::Context;
use precog::db::rejects::NewRejected;
use precog::db::{catalog, rejects};
use precog::domain::{Event, Market, Series};
use precog::kalshi::{parse_event, parse_series, series_list};
use precog::runner::Function;
use serde_json::value::RawValue;

use super::{Collector, SERIES_BATCH, SERIES_LIST_THRESHOLD};
use crate::parsing::{parse_all, rejection};
use crate::{CollectKalshi, PassStats};

impl Collector<'_> {
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

    /// Fetches and stores the events (and their series) of `markets` that we have not seen yet.
    pub(super) async fn ensure_catalog(
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
}
