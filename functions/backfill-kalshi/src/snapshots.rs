//! Quotes for the time before our own collection began: each selected market's stored 1-minute
//! candles become `market_snapshots` rows with `source = 'backfill'` (see
//! [`precog::db::history::materialise_snapshots`] for the exact rule), so a backtest asked to
//! use backfilled quotes can replay a window Precog never saw. One transaction per market.

use anyhow::Context;
use precog::db::history as store;

use crate::crawl::{Crawl, Stop};
use crate::select::Target;

pub async fn materialise(crawl: &mut Crawl<'_>, targets: &[Target]) -> anyhow::Result<()> {
    for target in targets {
        if crawl.run.remaining() < crate::crawl::DEADLINE_SLACK {
            return Err(Stop::Deadline.into());
        }
        let mut tx = crawl.pool.begin().await?;
        let written = store::materialise_snapshots(&mut tx, &target.ticker)
            .await
            .with_context(|| format!("replaying {}'s candles as snapshots", target.ticker))?;
        tx.commit().await?;
        crawl.run.add_written(written);
        crawl.stats.snapshots_materialised += written;
    }
    Ok(())
}
