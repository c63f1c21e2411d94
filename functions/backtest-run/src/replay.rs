//! The replay: the selected markets' facts up front (one row each), then their snapshots streamed
//! from PostgreSQL in time order, interleaved with settlements, fed in chunks to every engine (a
//! sweep's engines in parallel threads). Never the whole history in memory: one chunk at a time.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use rust_decimal::Decimal;
use sqlx::PgPool;
use tokio::sync::mpsc;

use crate::engine::{Engine, Item, MarketMeta};
use crate::fees::FeeSchedule;
use crate::strategy::{Quote, Snapshot};

/// Items handed to the engines at a time.
const CHUNK: usize = 8192;

/// Which markets, as the event named them.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub series: Vec<String>,
    pub events: Vec<String>,
    pub tickers: Vec<String>,
}

/// One selected market's facts and fee terms, as `load_markets` reads them.
struct MarketRow {
    ticker: String,
    result: Option<String>,
    determined_at: Option<DateTime<Utc>>,
    settlement_ts: Option<DateTime<Utc>>,
    settlement_value: Option<Decimal>,
    notional_value: Option<Decimal>,
    fee_type: Option<String>,
    fee_multiplier: Option<Decimal>,
    fee_type_override: Option<String>,
    fee_multiplier_override: Option<Decimal>,
}

/// The selected markets, sorted by ticker (their index is their position here).
pub async fn load_markets(pool: &PgPool, selection: &Selection) -> sqlx::Result<Vec<MarketMeta>> {
    // language=PostgreSQL
    let rows = sqlx::query_as!(
        MarketRow,
        r#"select m.ticker, nullif(m.result, '') as result, m.determined_at, m.settlement_ts,
                  m.settlement_value, m.notional_value,
                  s.fee_type as "fee_type?", s.fee_multiplier as "fee_multiplier?",
                  e.fee_type_override as "fee_type_override?",
                  e.fee_multiplier_override as "fee_multiplier_override?"
             from markets m
             left join events e on e.event_ticker = m.event_ticker
             left join series s on s.ticker = coalesce(m.series_ticker, e.series_ticker)
            where coalesce(m.series_ticker, e.series_ticker) = any($1)
               or m.event_ticker = any($2)
               or m.ticker = any($3)
            order by m.ticker"#,
        &selection.series,
        &selection.events,
        &selection.tickers
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(market_meta).collect())
}

fn market_meta(row: MarketRow) -> MarketMeta {
    let MarketRow {
        ticker,
        result,
        determined_at,
        settlement_ts,
        settlement_value,
        notional_value,
        fee_type,
        fee_multiplier,
        fee_type_override,
        fee_multiplier_override,
    } = row;
    let notional = notional_value.unwrap_or(Decimal::ONE);
    let yes_payout = match result.as_deref() {
        Some("yes") => Some(notional),
        Some("no") => Some(Decimal::ZERO),
        Some(_) => settlement_value,
        None => None,
    };
    // Results are known from the moment we saw them; positions are paid at settlement, but never
    // before we could have known the result (a late-seen result settles when seen).
    let determined_at = determined_at.or(settlement_ts);
    let settle_at = match (determined_at, settlement_ts) {
        (Some(d), Some(s)) => Some(d.max(s)),
        (d, _) => d,
    };
    MarketMeta {
        ticker,
        fees: FeeSchedule::resolve(
            fee_type,
            fee_multiplier,
            fee_type_override,
            fee_multiplier_override,
        ),
        result,
        determined_at,
        yes_payout: yes_payout.filter(|_| settle_at.is_some()),
        notional,
        settle_at,
    }
}

/// What a replay saw.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Coverage {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub snapshots: u64,
    pub markets: usize,
    pub markets_without_snapshots: usize,
}

/// Streams the window's snapshots through every engine. `deadline_left` is checked per chunk.
pub async fn run(
    pool: &PgPool,
    markets: &[MarketMeta],
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    engines: &mut [Engine],
    out_of_time: impl Fn() -> bool,
) -> anyhow::Result<Coverage> {
    let tickers: Vec<String> = markets.iter().map(|m| m.ticker.clone()).collect();
    let (tx, mut rx) = mpsc::channel::<anyhow::Result<Vec<Item>>>(4);
    let reader = tokio::spawn(read(pool.clone(), tickers, start, end, tx));

    let mut settlements: Vec<(DateTime<Utc>, u32)> = markets
        .iter()
        .enumerate()
        .filter(|(_, m)| m.yes_payout.is_some())
        .filter_map(|(i, m)| Some((m.settle_at?, u32::try_from(i).ok()?)))
        .filter(|(at, _)| start.is_none_or(|s| *at >= s) && end.is_none_or(|e| *at < e))
        .collect();
    settlements.sort();
    let mut pending = settlements.into_iter().peekable();

    let mut seen = vec![false; markets.len()];
    let mut snapshots = 0u64;
    let mut first: Option<DateTime<Utc>> = start;
    let mut last: Option<DateTime<Utc>> = None;
    let mut begun = false;
    while let Some(chunk) = rx.recv().await {
        let chunk = chunk?;
        if out_of_time() {
            reader.abort();
            anyhow::bail!(
                "out of time after {snapshots} snapshots; narrow the window or the sweep"
            );
        }
        let mut items = Vec::with_capacity(chunk.len() + 8);
        for item in chunk {
            let at = item.at();
            while let Some((settle_at, market)) = pending.next_if(|(t, _)| *t <= at) {
                items.push(Item::Settle(market, settle_at));
            }
            if let Item::Snapshot(s) = &item {
                seen[s.market as usize] = true;
                snapshots += 1;
            }
            items.push(item);
        }
        if let Some(item) = items.first() {
            let at = *first.get_or_insert(item.at());
            if !begun {
                engines.iter_mut().for_each(|e| e.begin(at));
                begun = true;
            }
        }
        last = items.last().map(Item::at).or(last);
        drive(engines, &items, markets);
    }
    reader.await??;
    // Settlements after the last snapshot but inside the window.
    let tail: Vec<Item> = pending.map(|(at, m)| Item::Settle(m, at)).collect();
    let start = first
        .or(tail.first().map(Item::at))
        .unwrap_or_else(Utc::now);
    if !begun {
        engines.iter_mut().for_each(|e| e.begin(start));
    }
    drive(engines, &tail, markets);
    let end = end.or(tail.last().map(Item::at)).or(last).unwrap_or(start);
    engines.iter_mut().for_each(|e| e.finish(end));
    Ok(Coverage {
        start,
        end,
        snapshots,
        markets: markets.len(),
        markets_without_snapshots: seen.iter().filter(|s| !**s).count(),
    })
}

/// Every engine steps through the chunk; a sweep's engines split across the machine's cores.
pub fn drive(engines: &mut [Engine], items: &[Item], markets: &[MarketMeta]) {
    if items.is_empty() {
        return;
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if engines.len() < 2 || threads < 2 {
        for engine in engines.iter_mut() {
            items.iter().for_each(|item| engine.step(item, markets));
        }
        return;
    }
    let per_thread = engines.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for group in engines.chunks_mut(per_thread) {
            scope.spawn(move || {
                for engine in group {
                    items.iter().for_each(|item| engine.step(item, markets));
                }
            });
        }
    });
}

async fn read(
    pool: PgPool,
    tickers: Vec<String>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    tx: mpsc::Sender<anyhow::Result<Vec<Item>>>,
) -> anyhow::Result<()> {
    let index: rustc_hash::FxHashMap<&str, u32> = tickers
        .iter()
        .enumerate()
        .filter_map(|(i, t)| Some((t.as_str(), u32::try_from(i).ok()?)))
        .collect();
    // language=PostgreSQL
    let mut rows = sqlx::query!(
        r#"select id, ticker, observed_at,
                  coalesce(status in ('active', 'open'), false) as "tradable!",
                  yes_bid, yes_ask, no_bid, no_ask, yes_bid_size, yes_ask_size
             from market_snapshots
            where ticker = any($1)
              and ($2::timestamptz is null or observed_at >= $2)
              and ($3::timestamptz is null or observed_at < $3)
            order by observed_at, ticker, source"#,
        &tickers,
        start,
        end
    )
    .fetch(&pool);
    let mut chunk = Vec::with_capacity(CHUNK);
    loop {
        let row = match rows.try_next().await {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(e) => {
                let _ = tx.send(Err(e.into())).await;
                return Ok(());
            }
        };
        let Some(&market) = index.get(row.ticker.as_str()) else {
            continue;
        };
        chunk.push(Item::Snapshot(Snapshot {
            id: row.id,
            market,
            at: row.observed_at,
            tradable: row.tradable,
            quote: Quote {
                yes_bid: row.yes_bid,
                yes_ask: row.yes_ask,
                no_bid: row.no_bid,
                no_ask: row.no_ask,
                yes_bid_size: row.yes_bid_size,
                yes_ask_size: row.yes_ask_size,
            },
        }));
        if chunk.len() == CHUNK {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
            if tx.send(Ok(full)).await.is_err() {
                return Ok(());
            }
        }
    }
    if !chunk.is_empty() {
        let _ = tx.send(Ok(chunk)).await;
    }
    Ok(())
}
