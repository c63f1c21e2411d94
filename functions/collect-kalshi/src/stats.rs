//! What a pass counted, reported in the invocation's summary.

/// Counts for one pass (and, summed, for an invocation).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct PassStats {
    pub pages: u64,
    pub markets_seen: u64,
    pub markets_changed: u64,
    pub snapshots_inserted: u64,
    pub rejected: u64,
    pub events_upserted: u64,
    pub series_upserted: u64,
    pub orderbooks: u64,
    /// Markets that left the open set, looked up to follow them to their result.
    pub settlement_lookups: u64,
    /// Of those, the ones found only in Kalshi's historical tier.
    pub settlement_archived: u64,
    /// `GET /series` list fetches (at most one per invocation, when many series are unknown).
    pub series_lists: u64,
    /// Seconds spent writing pages, from BEGIN to COMMIT: the database's share of a pass, apart
    /// from fetching and parsing (the bench divides rows by it).
    pub write_seconds: f64,
}

impl PassStats {
    pub fn add(&mut self, other: &PassStats) {
        self.pages += other.pages;
        self.markets_seen += other.markets_seen;
        self.markets_changed += other.markets_changed;
        self.snapshots_inserted += other.snapshots_inserted;
        self.rejected += other.rejected;
        self.events_upserted += other.events_upserted;
        self.series_upserted += other.series_upserted;
        self.orderbooks += other.orderbooks;
        self.settlement_lookups += other.settlement_lookups;
        self.settlement_archived += other.settlement_archived;
        self.series_lists += other.series_lists;
        self.write_seconds += other.write_seconds;
    }
}
