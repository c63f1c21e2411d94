//! Markets and their snapshots. One page of markets is written in one transaction: the catalog
//! version stored when new, a snapshot only when the quote or version changed since the market's
//! latest snapshot or that one is older than the heartbeat, and the catalog row upserted when its
//! facts changed. The page travels to PostgreSQL once, by COPY into the session's staging table,
//! and every write is a set-based statement over it (docs/storage.md, "The write path").

mod stage;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use sqlx::pool::PoolConnection;
use sqlx::{Acquire, PgConnection, PgPool, Postgres, Transaction};

use super::snapshot_split::{self, SnapshotParts};
use crate::domain::Market;

/// What one page write changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PageWrite {
    pub markets_changed: u64,
    pub snapshots_inserted: u64,
}

/// A connection that holds the staging table, kept for a run's page writes so the table is
/// created once, not on every page.
pub struct PageWriter {
    conn: PoolConnection<Postgres>,
}

/// One page's transaction on a [`PageWriter`]'s connection.
pub struct PageTransaction<'w> {
    tx: Transaction<'w, Postgres>,
}

impl PageWriter {
    /// Takes a connection from `pool` and creates its staging table.
    pub async fn acquire(pool: &PgPool) -> Result<Self, sqlx::Error> {
        let mut conn = pool.acquire().await?;
        // Outside any transaction, so a page that rolls back cannot take the table with it. The
        // connection may come back from the pool already holding it.
        // language=PostgreSQL
        sqlx::query!(
            "do $$ begin
               if to_regclass('pg_temp.market_snapshot_stage') is null then
                 create temporary table market_snapshot_stage
                     (like public.market_snapshot_stage) on commit delete rows;
               end if;
             end $$"
        )
        .execute(&mut *conn)
        .await?;
        Ok(Self { conn })
    }

    pub async fn begin(&mut self) -> Result<PageTransaction<'_>, sqlx::Error> {
        Ok(PageTransaction {
            tx: self.conn.begin().await?,
        })
    }
}

impl PageTransaction<'_> {
    /// The transaction, for the page's other writes (rejected records).
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Upserts the page's markets, stores new catalog versions and inserts the snapshots due,
    /// all observed at `observed_at`. `depth` holds order books for markets whose depth was
    /// fetched.
    pub async fn write_page(
        &mut self,
        page: &PreparedPage,
        depth: &HashMap<String, Box<RawValue>>,
        observed_at: DateTime<Utc>,
        heartbeat_minutes: u32,
    ) -> Result<PageWrite, sqlx::Error> {
        if page.markets.is_empty() {
            return Ok(PageWrite::default());
        }
        let conn = self.tx.acquire().await?;
        copy_to_stage(conn, page, depth).await?;
        store_new_versions(conn, page, observed_at).await?;
        let snapshots = insert_snapshots(conn, observed_at, heartbeat_minutes).await?;
        let markets_changed = if snapshots.catalog_due.is_empty() {
            0
        } else {
            upsert_markets(conn, &snapshots.catalog_due, observed_at).await?
        };
        let snapshots_inserted = snapshots.inserted;
        Ok(PageWrite {
            markets_changed,
            snapshots_inserted,
        })
    }
}

/// A page of markets made ready to write: one per ticker, in ticker order, each split into the
/// parts a snapshot stores. Only CPU work, so a collector prepares the next page while the
/// current one is written.
#[derive(Debug, Default)]
pub struct PreparedPage {
    markets: Vec<Market>,
    parts: Vec<SnapshotParts>,
}

impl PreparedPage {
    /// Fails only on a payload that is not a JSON object (parse_market already refuses those).
    pub fn new(mut markets: Vec<Market>) -> Result<Self, serde_json::Error> {
        // One row per ticker (a statement may not update a row twice), in ticker order so
        // concurrent invocations lock rows in the same order and cannot deadlock. The sort is
        // stable: a ticker listed twice keeps its first record.
        markets.sort_by(|a, b| a.ticker.cmp(&b.ticker));
        markets.dedup_by(|later, first| later.ticker == first.ticker);
        let parts = markets
            .iter()
            .map(snapshot_split::split)
            .collect::<Result<_, _>>()?;
        Ok(Self { markets, parts })
    }

    pub fn markets(&self) -> &[Market] {
        &self.markets
    }

    pub fn into_markets(self) -> Vec<Market> {
        self.markets
    }
}

/// The page into the staging table: typed text, no payload (PostgreSQL parses a catalog body
/// only when its version is new, see [`store_new_versions`]).
async fn copy_to_stage(
    conn: &mut PgConnection,
    page: &PreparedPage,
    depth: &HashMap<String, Box<RawValue>>,
) -> Result<(), sqlx::Error> {
    let mut rows = Vec::with_capacity(page.markets.len() * 512);
    for (market, parts) in page.markets.iter().zip(&page.parts) {
        let book = depth.get(market.ticker.as_str()).map(|d| d.get());
        stage::push_row(&mut rows, market, parts, book);
    }
    let mut copy = conn.copy_in_raw(stage::COPY_STAGE).await?;
    copy.send(rows).await?;
    copy.finish().await?;
    Ok(())
}

/// Catalog versions not stored yet (every market on a first pass, a changed one later): only
/// their bodies are sent and parsed.
async fn store_new_versions(
    conn: &mut PgConnection,
    page: &PreparedPage,
    observed_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    // language=PostgreSQL
    let unknown = sqlx::query!(
        "select st.ticker, st.body_md5 from market_snapshot_stage st
          where not exists (select 1 from market_versions v
                             where v.ticker = st.ticker and v.body_md5 = st.body_md5)"
    )
    .fetch_all(&mut *conn)
    .await?;
    if unknown.is_empty() {
        return Ok(());
    }
    let bodies: HashMap<&str, &str> = page
        .markets
        .iter()
        .zip(&page.parts)
        .map(|(m, p)| (m.ticker.as_str(), p.body.as_str()))
        .collect();
    let texts: Vec<&str> = unknown
        .iter()
        .map(|v| bodies.get(v.ticker.as_str()).copied().unwrap_or("{}"))
        .collect();
    let (tickers, hashes): (Vec<String>, Vec<uuid::Uuid>) =
        unknown.into_iter().map(|v| (v.ticker, v.body_md5)).unzip();
    // language=PostgreSQL
    sqlx::query!(
        "insert into market_versions (ticker, body_md5, body, first_observed_at)
         select v.ticker, v.body_md5, v.body::jsonb, $4
           from unnest($1::text[], $2::uuid[], $3::text[]) as v(ticker, body_md5, body)
         on conflict (ticker, body_md5) do nothing",
        &tickers,
        &hashes,
        &texts as _,
        observed_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The catalog rows of `tickers` (staged markets that may be new or changed, see
/// [`insert_snapshots`]) that are new or whose facts changed. Quotes change every pass and live in
/// market_snapshots; the catalog row (and its copy of the payload) is rewritten only when the
/// market's own facts change.
async fn upsert_markets(
    conn: &mut PgConnection,
    tickers: &[String],
    observed_at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    // language=PostgreSQL
    let result = sqlx::query!(
        "insert into markets (ticker, event_ticker, series_ticker, market_type, title, yes_sub_title,
                              no_sub_title, status, open_time, close_time, expected_expiration_time,
                              latest_expiration_time, updated_time, notional_value, result,
                              settlement_value, settlement_ts, expiration_value, strike_type,
                              floor_strike, cap_strike, raw, determined_at, last_snapshot_at)
         select st.ticker, st.event_ticker,
                (select e.series_ticker from events e where e.event_ticker = st.event_ticker),
                st.market_type, st.title,
                st.yes_sub_title, st.no_sub_title, st.status, st.open_time, st.close_time,
                st.expected_expiration_time, st.latest_expiration_time, st.updated_time,
                st.notional_value, st.result, st.settlement_value, st.settlement_ts,
                st.expiration_value, st.strike_type, st.floor_strike, st.cap_strike,
                -- The payload as received, rebuilt as market_snapshot_raw() does (its version
                -- was stored just before); only for the rows the filter lets through.
                (select v.body from market_versions v
                  where v.ticker = st.ticker and v.body_md5 = st.body_md5)
                || (market_snapshot_quote_json(st.status, st.yes_bid, st.yes_ask, st.no_bid,
                        st.no_ask, st.yes_bid_size, st.yes_ask_size, st.last_price, st.volume,
                        st.volume_24h, st.open_interest, st.previous_yes_bid,
                        st.previous_yes_ask, st.previous_price)
                    - coalesce(st.missing, '{}'::text[]))
                || coalesce(st.extra, '{}'::jsonb),
                case when st.result is not null then $1::timestamptz end,
                -- A new market's first snapshot was just written, in this transaction. Updates
                -- leave the pointer alone (the snapshot insert moved it).
                $1::timestamptz
           from market_snapshot_stage st
           left join markets m on m.ticker = st.ticker
          -- Filter before the insert so unchanged rows cost no JSON and no conflict path.
          where st.ticker = any($2)
            and (m.ticker is null
             or (m.status, m.result, m.close_time, m.updated_time, m.settlement_value,
                 m.settlement_ts, m.expiration_value, m.latest_expiration_time,
                 m.expected_expiration_time)
                is distinct from
                (st.status, st.result, st.close_time, st.updated_time, st.settlement_value,
                 st.settlement_ts, st.expiration_value, st.latest_expiration_time,
                 st.expected_expiration_time)
             or (m.series_ticker is null
                 and exists (select from events e
                              where e.event_ticker = st.event_ticker and e.series_ticker is not null)))
          order by st.ticker
         on conflict (ticker) do update set
                event_ticker = excluded.event_ticker,
                series_ticker = coalesce(excluded.series_ticker, markets.series_ticker),
                market_type = excluded.market_type, title = excluded.title,
                yes_sub_title = excluded.yes_sub_title, no_sub_title = excluded.no_sub_title,
                status = excluded.status, open_time = excluded.open_time,
                close_time = excluded.close_time,
                expected_expiration_time = excluded.expected_expiration_time,
                latest_expiration_time = excluded.latest_expiration_time,
                updated_time = excluded.updated_time, notional_value = excluded.notional_value,
                result = excluded.result, settlement_value = excluded.settlement_value,
                settlement_ts = excluded.settlement_ts, expiration_value = excluded.expiration_value,
                strike_type = excluded.strike_type, floor_strike = excluded.floor_strike,
                cap_strike = excluded.cap_strike, raw = excluded.raw,
                determined_at = coalesce(markets.determined_at, excluded.determined_at),
                updated_at = now()
          -- Another writer may have changed the row since the filter read it.
          where (markets.status, markets.result, markets.close_time, markets.updated_time,
                 markets.settlement_value, markets.settlement_ts, markets.expiration_value,
                 markets.latest_expiration_time, markets.expected_expiration_time)
                is distinct from
                (excluded.status, excluded.result, excluded.close_time, excluded.updated_time,
                 excluded.settlement_value, excluded.settlement_ts, excluded.expiration_value,
                 excluded.latest_expiration_time, excluded.expected_expiration_time)
             or (markets.series_ticker is null and excluded.series_ticker is not null)",
        observed_at,
        tickers,
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

/// What the snapshot statement did, and which staged markets need their catalog row looked at.
struct SnapshotsWritten {
    inserted: u64,
    catalog_due: Vec<String>,
}

/// The snapshots due, decided and written in one statement over the staging table, which also
/// moves `markets.last_snapshot_at` and names the markets whose catalog row may have to change.
///
/// A snapshot is due when the market has no `rest` snapshot within the heartbeat, or its quote
/// (depth only when fetched) or catalog version differs from the latest one's, so each payload
/// Kalshi changed is kept. The latest is found through the
/// primary key, newest first, within the heartbeat: a bounded probe that on TimescaleDB stays in
/// the newest, uncompressed chunks.
///
/// A market's catalog facts are its payload minus the quote plus its status, so they can only
/// have changed when its version or status differs from its latest snapshot's, or when there is
/// no latest snapshot (a new market, or the heartbeat); only those markets, and any whose row
/// the pointer update did not find, go to [`upsert_markets`]. Unchanged markets cost no probe of
/// `markets` beyond the pointer update.
async fn insert_snapshots(
    conn: &mut PgConnection,
    observed_at: DateTime<Utc>,
    heartbeat_minutes: u32,
) -> Result<SnapshotsWritten, sqlx::Error> {
    // A subquery row, not the hypertable's whole row: TimescaleDB 2.28 cannot build whole-row
    // values of compressed chunks.
    // language=PostgreSQL
    let written = sqlx::query!(
        r#"with staged as (
             select st.*, v.id as version_id,
                    (last.observed_at is null or last.version_id <> v.id
                     or last.status is distinct from st.status) as catalog_due,
                    (last.observed_at is null or last.version_id <> v.id
                     or (last.status, last.yes_bid, last.yes_ask, last.no_bid, last.no_ask,
                         last.yes_bid_size, last.yes_ask_size, last.last_price, last.volume,
                         last.volume_24h, last.open_interest)
                        is distinct from
                        (st.status, st.yes_bid, st.yes_ask, st.no_bid, st.no_ask, st.yes_bid_size,
                         st.yes_ask_size, st.last_price, st.volume, st.volume_24h,
                         st.open_interest)
                     or (st.depth is not null and last.depth is distinct from st.depth)) as due
               from market_snapshot_stage st
               -- Stored just before; a missing one fails loudly on version_id's NOT NULL.
               left join market_versions v on v.ticker = st.ticker and v.body_md5 = st.body_md5
               left join lateral (
                   select ms.observed_at, ms.version_id, ms.status, ms.yes_bid, ms.yes_ask,
                          ms.no_bid, ms.no_ask, ms.yes_bid_size, ms.yes_ask_size, ms.last_price,
                          ms.volume, ms.volume_24h, ms.open_interest, ms.depth
                     from market_snapshots ms
                    where ms.ticker = st.ticker and ms.source = 'rest'
                      and ms.observed_at > $1::timestamptz - make_interval(mins => $2::int)
                    order by ms.observed_at desc
                    limit 1
               ) last on true
         ),
         inserted as (
             insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask,
                                           no_bid, no_ask, yes_bid_size, yes_ask_size, last_price,
                                           volume, volume_24h, open_interest, previous_yes_bid,
                                           previous_yes_ask, previous_price, depth, version_id,
                                           extra, missing)
             select s.ticker, $1, 'rest', s.status, s.yes_bid, s.yes_ask, s.no_bid, s.no_ask,
                    s.yes_bid_size, s.yes_ask_size, s.last_price, s.volume, s.volume_24h,
                    s.open_interest, s.previous_yes_bid, s.previous_yes_ask, s.previous_price,
                    s.depth, s.version_id, s.extra, s.missing
               from staged s
              where s.due
             on conflict (ticker, observed_at, source) do nothing
             returning ticker
         ),
         moved as (
             -- Never back: a concurrent pass may have written a later snapshot already.
             update markets m set last_snapshot_at = greatest(m.last_snapshot_at, $1)
               from inserted i
              where m.ticker = i.ticker
             returning m.ticker
         )
         select (select count(*) from inserted) as "inserted!",
                array(select s.ticker from staged s where s.catalog_due
                      union
                      select i.ticker from inserted i
                       where not exists (select from moved m where m.ticker = i.ticker))
                  as "catalog_due!""#,
        observed_at,
        i32::try_from(heartbeat_minutes).unwrap_or(i32::MAX),
    )
    .fetch_one(conn)
    .await?;
    Ok(SnapshotsWritten {
        inserted: u64::try_from(written.inserted).unwrap_or(0),
        catalog_due: written.catalog_due,
    })
}

/// Markets not yet final, to follow until Kalshi reports their result; limited to `series` when given.
pub async fn unsettled(
    pool: &PgPool,
    series: Option<&[String]>,
) -> Result<Vec<String>, sqlx::Error> {
    // language=PostgreSQL
    sqlx::query_scalar!(
        "select ticker from markets
          where status <> 'finalized' and ($1::text[] is null or series_ticker = any($1))
          order by ticker",
        series as _,
    )
    .fetch_all(pool)
    .await
}
