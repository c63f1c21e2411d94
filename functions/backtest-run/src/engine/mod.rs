//! One backtest's engine: the replay feeds it snapshots, game changes and settlements in time
//! order; it asks the strategy for orders, matches them against the book it was shown
//! (`matching`), keeps the books (`book`) and tracks performance (`performance`).

mod book;
mod matching;
mod performance;
mod records;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use crate::fees::Liquidity;
use crate::game::{GameEvent, GameView};
use crate::strategy::{Order, Snapshot, Strategy, Trigger, View};

use book::{Book, Terms};
use matching::Arrival;
pub use performance::Performance;
pub use records::{
    Execution, ExitKind, Fill, Item, LimitFills, MarketMeta, Refusal, Refusals, Settings,
    TradePrint,
};

/// One strategy instance's whole backtest state.
pub struct Engine {
    strategy: Box<dyn Strategy>,
    settings: Settings,
    book: Book,
    /// Limit orders waiting in the book, at most one per market, with when they began to rest.
    resting: FxHashMap<u32, (Order, DateTime<Utc>)>,
    /// Each game's latest state seen so far, by game index.
    games: Vec<Option<Arc<GameEvent>>>,
    max_quote_age: Duration,
    pub refusals: Refusals,
    pub performance: Performance,
}

impl Engine {
    pub fn new(strategy: Box<dyn Strategy>, settings: Settings) -> Self {
        let cash = settings.starting_cash;
        let max_quote_age = Duration::seconds(
            i64::try_from(settings.max_quote_age_seconds).unwrap_or(i64::MAX / 1000),
        );
        Self {
            games: Vec::new(),
            max_quote_age,
            strategy,
            settings,
            book: Book::new(cash),
            resting: FxHashMap::default(),
            refusals: Refusals::default(),
            performance: Performance::new(cash),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn equity(&self) -> Decimal {
        self.book.equity()
    }

    /// Every fill, in the order it happened.
    pub fn fills(&self) -> &[Fill] {
        &self.book.fills
    }

    /// Every position that ended (all of them once finished), in the order they were opened.
    pub fn executions(&self) -> &[Execution] {
        &self.book.executions
    }

    /// Starts the daily series at the window's first instant.
    pub fn begin(&mut self, at: DateTime<Utc>) {
        self.performance.begin(at, self.equity());
    }

    pub fn step(&mut self, item: &Item, markets: &[MarketMeta]) {
        self.performance.roll_days(item.at(), self.equity());
        match item {
            Item::Snapshot(snapshot) => self.on_snapshot(snapshot, markets),
            Item::Settle(market, at) => self.settle(*market, *at, markets),
            Item::Game(event) => self.on_game(event, markets),
            Item::Trade(print) => self.on_trade(print, markets),
        }
    }

    /// Records a game's state without calling the strategy: the state a game was in when the
    /// window opened (observed before it).
    pub fn know_game(&mut self, event: &Arc<GameEvent>) {
        let slot = event.game as usize;
        if self.games.len() <= slot {
            self.games.resize(slot + 1, None);
        }
        self.games[slot] = Some(Arc::clone(event));
    }

    /// The game of `meta` as of `now`: a link knowable by then and the game's latest state.
    fn game_view<'a>(
        games: &'a [Option<Arc<GameEvent>>],
        meta: &'a MarketMeta,
        now: DateTime<Utc>,
    ) -> Option<GameView<'a>> {
        let link = meta.link_at(now)?;
        let event = games.get(link.game as usize)?.as_ref()?;
        Some(GameView {
            game: link.game,
            espn_event_id: &link.espn_event_id,
            kind: link.kind,
            yes_side: link.yes_side,
            line: link.line,
            state: &event.state,
        })
    }

    /// A game changed: every linked market with a quote is shown to the strategy at once, each
    /// with its last quote as of the state, stamped with the state's instant. Orders fill against
    /// that quote under the usual rules, unless it is older than the max quote age.
    fn on_game(&mut self, event: &Arc<GameEvent>, markets: &[MarketMeta]) {
        self.know_game(event);
        let now = event.state.observed_at;
        // (the quote stamped with the state's instant, whether it is fresh, the quote's own time)
        let mut stamped: Vec<(Snapshot, bool, DateTime<Utc>)> = Vec::new();
        for quote in &event.quotes {
            let Some(meta) = markets.get(quote.market as usize) else {
                continue;
            };
            if meta.link_at(now).is_none() {
                continue;
            }
            let fresh = now - quote.at <= self.max_quote_age;
            let mut snapshot = quote.clone();
            snapshot.at = now;
            snapshot.tradable = quote.tradable && fresh && meta.visible_result(now).is_none();
            stamped.push((snapshot, fresh, quote.at));
        }
        if stamped.is_empty() {
            return;
        }
        let orders = {
            let views: Vec<View<'_>> = stamped
                .iter()
                .filter_map(|(snapshot, _, quote_at)| {
                    let meta = markets.get(snapshot.market as usize)?;
                    Some(View {
                        ticker: &meta.ticker,
                        snapshot,
                        quote_at: *quote_at,
                        trigger: Trigger::Game,
                        position: self.book.position(snapshot.market),
                        result: meta.visible_result(now),
                        game: Self::game_view(&self.games, meta, now),
                        fees: &meta.fees,
                        fee_model: self.settings.fees,
                    })
                })
                .collect();
            self.strategy.on_game(&views)
        };
        for (i, order) in orders {
            let Some((snapshot, fresh, _)) = stamped.get(i) else {
                continue;
            };
            let Some(meta) = markets.get(snapshot.market as usize) else {
                continue;
            };
            if snapshot.tradable {
                self.execute(order, snapshot, meta);
            } else if !fresh {
                self.refusals.stale_quote += 1;
            } else {
                self.refusals.market_not_open += 1;
            }
        }
    }

    fn on_snapshot(&mut self, snapshot: &Snapshot, markets: &[MarketMeta]) {
        let Some(meta) = markets.get(snapshot.market as usize) else {
            return;
        };
        let marked_changed = self.book.mark(snapshot.market, &snapshot.quote);
        let result = meta.visible_result(snapshot.at);
        let open = snapshot.tradable && result.is_none();
        if !self.resting.is_empty() {
            if let Some((resting, since)) = self.resting.remove(&snapshot.market) {
                if open && self.settings.limit_fills == LimitFills::Trades {
                    // Only a printed trade fills it (`on_trade`), not the touch.
                    self.resting.insert(snapshot.market, (resting, since));
                } else if open {
                    self.fill_resting(resting, since, snapshot, meta);
                } else {
                    self.refusals.limit_unfilled += 1;
                }
            }
        }
        let order = self.strategy.on_snapshot(&View {
            ticker: &meta.ticker,
            snapshot,
            quote_at: snapshot.at,
            trigger: Trigger::Quote,
            position: self.book.position(snapshot.market),
            result,
            game: Self::game_view(&self.games, meta, snapshot.at),
            fees: &meta.fees,
            fee_model: self.settings.fees,
        });
        if let Some(order) = order {
            if open {
                self.execute(order, snapshot, meta);
            } else {
                self.refusals.market_not_open += 1;
            }
        } else if marked_changed {
            self.performance.observe(snapshot.at, self.equity(), false);
        }
    }

    /// A new order: it replaces any limit resting in its market, then takes or rests.
    fn execute(&mut self, order: Order, snapshot: &Snapshot, meta: &MarketMeta) {
        if self.resting.remove(&snapshot.market).is_some() {
            self.refusals.limit_unfilled += 1;
        }
        match matching::arrive(&order, &snapshot.quote) {
            Arrival::Rest => {
                self.resting.insert(snapshot.market, (order, snapshot.at));
            }
            Arrival::Take(price) => {
                self.fill(order, snapshot, meta, price, Liquidity::Taker);
            }
            Arrival::NoQuote => self.refusals.no_quote += 1,
        }
    }

    /// A resting limit order meets a new snapshot of its market: it fills at its price when the
    /// opposite touch has traded through it; what the shown size left over keeps resting.
    fn fill_resting(
        &mut self,
        order: Order,
        since: DateTime<Utc>,
        snapshot: &Snapshot,
        meta: &MarketMeta,
    ) {
        let Some(limit) = matching::resting_fill(&order, &snapshot.quote) else {
            self.resting.insert(snapshot.market, (order, since));
            return;
        };
        let (wanted, rest) = (order.contracts, order.clone());
        let filled = self.fill(order, snapshot, meta, limit, Liquidity::Maker);
        self.keep_resting(snapshot.market, rest, wanted, filled, since);
    }

    /// After a resting order's fill of `filled` of its `wanted` contracts: a partial fill keeps
    /// the remainder resting from the same instant; a refused one ends the order, counted.
    fn keep_resting(
        &mut self,
        market: u32,
        order: Order,
        wanted: Decimal,
        filled: Decimal,
        since: DateTime<Utc>,
    ) {
        if filled > Decimal::ZERO && filled < wanted {
            let remainder = Order {
                contracts: wanted - filled,
                ..order
            };
            self.resting.insert(market, (remainder, since));
        } else if filled < wanted {
            self.refusals.limit_unfilled += 1;
        }
    }

    /// With `limit_fills: trades`, a trade Kalshi printed in a market with a resting limit order:
    /// if it printed after the order began to rest, at or through its limit, the order fills at
    /// its limit, as a maker, up to the trade's count; the rest keeps resting.
    fn on_trade(&mut self, print: &TradePrint, markets: &[MarketMeta]) {
        if self.settings.limit_fills != LimitFills::Trades {
            return;
        }
        let Some((order, since)) = self.resting.remove(&print.market) else {
            return;
        };
        let limit = matching::printed_through(&order, print.yes_price, print.no_price);
        let (Some(limit), Some(meta), Some(quote)) = (
            limit.filter(|_| print.at > since),
            markets.get(print.market as usize),
            print.quote.as_ref(),
        ) else {
            self.resting.insert(print.market, (order, since));
            return;
        };
        // The trade's count bounds the fill, not the sizes shown in the last snapshot.
        let mut snapshot = quote.clone();
        snapshot.at = print.at;
        snapshot.quote.yes_bid_size = None;
        snapshot.quote.yes_ask_size = None;
        let wanted = order.contracts;
        let take = wanted.min(print.count);
        let rest = order.clone();
        let filled = self.fill(
            Order {
                contracts: take,
                ..order
            },
            &snapshot,
            meta,
            limit,
            Liquidity::Maker,
        );
        self.keep_resting(print.market, rest, wanted, filled, since);
    }

    /// Fills `order` at `price`; returns the contracts filled (zero when refused).
    fn fill(
        &mut self,
        order: Order,
        snapshot: &Snapshot,
        meta: &MarketMeta,
        price: Decimal,
        liquidity: Liquidity,
    ) -> Decimal {
        let terms = Terms {
            price,
            liquidity,
            fees: self.settings.fees,
            schedule: &meta.fees,
            respect_size: self.settings.respect_top_of_book_size,
        };
        let was_flat = self.book.is_flat();
        match self.book.fill(order, snapshot, &terms) {
            Ok(contracts) => {
                self.performance
                    .exposure(was_flat, self.book.is_flat(), snapshot.at);
                self.performance.observe(snapshot.at, self.equity(), true);
                contracts
            }
            Err(refusal) => {
                self.refusals.count(refusal);
                Decimal::ZERO
            }
        }
    }

    fn settle(&mut self, market: u32, at: DateTime<Utc>, markets: &[MarketMeta]) {
        let Some(meta) = markets.get(market as usize) else {
            return;
        };
        if self.resting.remove(&market).is_some() {
            self.refusals.limit_unfilled += 1;
        }
        let was_flat = self.book.is_flat();
        if self.book.settle(market, at, meta) {
            self.performance.exposure(was_flat, self.book.is_flat(), at);
            self.performance.observe(at, self.equity(), true);
        }
    }

    /// Closes the books at the window's end: open positions are reported marked at their bid.
    pub fn finish(&mut self, end: DateTime<Utc>) {
        self.refusals.limit_unfilled += self.resting.drain().count() as u64;
        self.performance.finish(end, self.equity());
        self.book.close_open();
    }
}
