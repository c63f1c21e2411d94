//! The replay: the selected markets' facts and game links up front (one row each), then two
//! streams from PostgreSQL, the markets' snapshots and their games' states, each in time order,
//! merged into one and interleaved with settlements, fed in chunks to every engine (a sweep's
//! engines in parallel threads). Never the whole history in memory: one chunk at a time.
//!
//! At one instant, settlements come first, then game states, then snapshots, then printed trades:
//! a snapshot sees a state observed at the same instant ("as of" includes an equal timestamp), a
//! state is shown each linked market's last snapshot stored before it, and a trade (read only
//! with `limit_fills: trades`) is checked against orders that rested before it.

mod markets;
pub mod read;

use std::iter::Peekable;
use std::sync::Arc;
use std::vec::IntoIter;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::sync::mpsc;

use crate::engine::{Engine, Item, MarketMeta, TradePrint};
use crate::event::Sources;
use crate::game::GameEvent;
use crate::strategy::Snapshot;
pub use markets::{games, load_markets, Selection};
use read::{SnapshotRow, StateRow, Window, CHUNK};

/// What a replay saw.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Coverage {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub snapshots: u64,
    /// Of those, `source = 'backfill'` (quotes materialised from Kalshi's candles).
    pub backfill_snapshots: u64,
    pub markets: usize,
    pub markets_without_snapshots: usize,
    /// Markets with a matched or verified game link.
    pub linked_markets: usize,
    pub games: usize,
    /// Game states merged into the stream (not counting each game's state at the window's start).
    pub game_states: u64,
    /// Of those, backfilled.
    pub backfill_game_states: u64,
    /// Printed trades read as fill evidence (`limit_fills: trades`).
    pub trade_prints: u64,
}

/// Which rows the replay reads.
#[derive(Debug, Clone, Copy)]
pub struct Data {
    pub window: Window,
    pub quotes: Sources,
    pub game_states: Sources,
    /// Read `kalshi_trades` as fill evidence.
    pub trades: bool,
}

/// One side of the merge: a channel of chunks and the chunk being taken from.
struct Feed<T> {
    rx: mpsc::Receiver<anyhow::Result<Vec<T>>>,
    rows: Peekable<IntoIter<T>>,
    done: bool,
}

impl<T> Feed<T> {
    fn new(rx: mpsc::Receiver<anyhow::Result<Vec<T>>>) -> Self {
        Self {
            rx,
            rows: Vec::new().into_iter().peekable(),
            done: false,
        }
    }

    fn closed() -> Self {
        let (_, rx) = mpsc::channel(1);
        Self {
            rx,
            rows: Vec::new().into_iter().peekable(),
            done: true,
        }
    }

    /// The next row's place, after waiting for a chunk if need be; `None` when exhausted.
    async fn peek(&mut self) -> anyhow::Result<Option<&T>> {
        while self.rows.peek().is_none() && !self.done {
            match self.rx.recv().await {
                Some(chunk) => self.rows = chunk?.into_iter().peekable(),
                None => self.done = true,
            }
        }
        Ok(self.rows.peek())
    }
}

/// What the merge keeps between chunks.
struct Merge<'a> {
    markets: &'a [MarketMeta],
    members: Vec<Vec<u32>>,
    /// The last snapshot of each linked market (of every market when trades are read).
    last: Vec<Option<Snapshot>>,
    keep_all: bool,
    pending: Peekable<IntoIter<(DateTime<Utc>, u32)>>,
    seen: Vec<bool>,
    coverage: Coverage,
}

impl Merge<'_> {
    fn snapshot(&mut self, (snapshot, backfilled): SnapshotRow, items: &mut Vec<Item>) {
        self.settle_until(snapshot.at, items);
        let m = snapshot.market as usize;
        if let Some(seen) = self.seen.get_mut(m) {
            *seen = true;
        }
        self.coverage.snapshots += 1;
        self.coverage.backfill_snapshots += u64::from(backfilled);
        if self.keep_all || self.markets.get(m).is_some_and(|meta| meta.game.is_some()) {
            self.last[m] = Some(snapshot.clone());
        }
        items.push(Item::Snapshot(snapshot));
    }

    fn state(&mut self, (game, state): StateRow, items: &mut Vec<Item>) {
        self.settle_until(state.observed_at, items);
        self.coverage.game_states += 1;
        self.coverage.backfill_game_states += u64::from(state.backfilled);
        let quotes = self
            .members
            .get(game as usize)
            .map(|ms| {
                ms.iter()
                    .filter_map(|&m| self.last.get(m as usize)?.clone())
                    .collect()
            })
            .unwrap_or_default();
        items.push(Item::Game(Arc::new(GameEvent {
            game,
            state,
            quotes,
        })));
    }

    fn trade(&mut self, mut print: TradePrint, items: &mut Vec<Item>) {
        self.settle_until(print.at, items);
        self.coverage.trade_prints += 1;
        print.quote = self.last.get(print.market as usize).cloned().flatten();
        items.push(Item::Trade(Box::new(print)));
    }

    fn settle_until(&mut self, at: DateTime<Utc>, items: &mut Vec<Item>) {
        while let Some((settle_at, market)) = self.pending.next_if(|(t, _)| *t <= at) {
            items.push(Item::Settle(market, settle_at));
        }
    }
}

/// Streams the window's snapshots and game states through every engine. `out_of_time` is checked
/// per chunk.
pub async fn run(
    pool: &PgPool,
    markets: &[MarketMeta],
    data: Data,
    engines: &mut [Engine],
    out_of_time: impl Fn() -> bool,
) -> anyhow::Result<Coverage> {
    let Window { start, end } = data.window;
    let tickers: Vec<String> = markets.iter().map(|m| m.ticker.clone()).collect();
    let (game_ids, members) = games(markets);

    // The state each game was in when the window opened.
    if let (Some(start), false) = (start, game_ids.is_empty()) {
        for (game, state) in read::states_before(pool, &game_ids, start, data.game_states).await? {
            let event = Arc::new(GameEvent {
                game,
                state,
                quotes: Vec::new(),
            });
            engines.iter_mut().for_each(|e| e.know_game(&event));
        }
    }

    let index: rustc_hash::FxHashMap<String, u32> = tickers
        .iter()
        .enumerate()
        .filter_map(|(i, t)| Some((t.clone(), u32::try_from(i).ok()?)))
        .collect();
    let mut trades = if data.trades {
        let statement = read::trade_statement(pool, &tickers, data.window).await?;
        let (tx, rx) = mpsc::channel(4);
        let index = index.clone();
        tokio::spawn(read::stream(pool.clone(), statement, tx, move |f| {
            read::trade_row(f, &index)
        }));
        Feed::new(rx)
    } else {
        Feed::closed()
    };
    let statement = read::snapshot_statement(pool, &tickers, data.window, data.quotes).await?;
    let (tx, rx) = mpsc::channel(4);
    let snapshot_reader = tokio::spawn(read::stream(pool.clone(), statement, tx, move |f| {
        read::snapshot_row(f, &index)
    }));
    let mut snapshots = Feed::new(rx);
    let mut states = if game_ids.is_empty() {
        Feed::closed()
    } else {
        let statement =
            read::state_statement(pool, &game_ids, data.window, data.game_states).await?;
        let (tx, rx) = mpsc::channel(4);
        tokio::spawn(read::stream(pool.clone(), statement, tx, read::state_row));
        Feed::new(rx)
    };

    let mut settlements: Vec<(DateTime<Utc>, u32)> = markets
        .iter()
        .enumerate()
        .filter(|(_, m)| m.yes_payout.is_some())
        .filter_map(|(i, m)| Some((m.settle_at?, u32::try_from(i).ok()?)))
        .filter(|(at, _)| start.is_none_or(|s| *at >= s) && end.is_none_or(|e| *at < e))
        .collect();
    settlements.sort();
    let mut merge = Merge {
        markets,
        last: vec![None; markets.len()],
        keep_all: data.trades,
        members,
        pending: settlements.into_iter().peekable(),
        seen: vec![false; markets.len()],
        coverage: Coverage {
            start: start.unwrap_or_else(Utc::now),
            end: end.unwrap_or_else(Utc::now),
            snapshots: 0,
            backfill_snapshots: 0,
            markets: markets.len(),
            markets_without_snapshots: 0,
            linked_markets: markets.iter().filter(|m| m.game.is_some()).count(),
            games: game_ids.len(),
            game_states: 0,
            backfill_game_states: 0,
            trade_prints: 0,
        },
    };

    let mut first: Option<DateTime<Utc>> = start;
    let mut last: Option<DateTime<Utc>> = None;
    let mut begun = false;
    let mut items: Vec<Item> = Vec::with_capacity(CHUNK + 8);
    loop {
        // States before snapshots before trades at the same instant.
        let next = [
            states.peek().await?.map(|(_, s)| s.observed_at),
            snapshots.peek().await?.map(|(s, _)| s.at),
            trades.peek().await?.map(|t| t.at),
        ];
        let Some(which) = (0..3)
            .filter(|&i| next[i].is_some())
            .min_by_key(|&i| (next[i], i))
        else {
            break;
        };
        match which {
            0 => {
                if let Some(row) = states.rows.next() {
                    merge.state(row, &mut items);
                }
            }
            1 => {
                if let Some(row) = snapshots.rows.next() {
                    merge.snapshot(row, &mut items);
                }
            }
            _ => {
                if let Some(print) = trades.rows.next() {
                    merge.trade(print, &mut items);
                }
            }
        }
        if items.len() >= CHUNK {
            if out_of_time() {
                snapshot_reader.abort();
                anyhow::bail!(
                    "out of time after {} snapshots; narrow the window or the sweep",
                    merge.coverage.snapshots
                );
            }
            step(engines, &items, markets, &mut first, &mut begun);
            last = items.last().map(Item::at).or(last);
            items.clear();
        }
    }
    snapshot_reader.await?;
    if !items.is_empty() {
        step(engines, &items, markets, &mut first, &mut begun);
        last = items.last().map(Item::at).or(last);
    }
    // Settlements after the last event but inside the window.
    let tail: Vec<Item> = merge
        .pending
        .by_ref()
        .map(|(at, m)| Item::Settle(m, at))
        .collect();
    let start = first
        .or(tail.first().map(Item::at))
        .unwrap_or_else(Utc::now);
    if !begun {
        engines.iter_mut().for_each(|e| e.begin(start));
    }
    drive(engines, &tail, markets);
    let end = end.or(tail.last().map(Item::at)).or(last).unwrap_or(start);
    engines.iter_mut().for_each(|e| e.finish(end));
    let mut coverage = merge.coverage;
    coverage.start = start;
    coverage.end = end;
    coverage.markets_without_snapshots = merge.seen.iter().filter(|s| !**s).count();
    Ok(coverage)
}

/// Begins the engines at the first item if not yet begun, then drives them through `items`.
fn step(
    engines: &mut [Engine],
    items: &[Item],
    markets: &[MarketMeta],
    first: &mut Option<DateTime<Utc>>,
    begun: &mut bool,
) {
    if let Some(item) = items.first() {
        let at = *first.get_or_insert(item.at());
        if !*begun {
            engines.iter_mut().for_each(|e| e.begin(at));
            *begun = true;
        }
    }
    drive(engines, items, markets);
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
