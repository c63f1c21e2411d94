//! The one small trait every strategy implements, and what it is shown.
//!
//! A strategy sees one market at a time, at the instant of one stored snapshot: that snapshot's
//! quote (the book as we last saw it), its own position there, and the market's result only once
//! we had seen it determined. It answers with at most one order; the engine fills it at the
//! touch (buy at the ask, sell at the bid), bounded by top-of-book size and cash, and charges the
//! series' fee. Positions still open when a market settles are paid by the engine.
//!
//! A market linked to an ESPN game also shows the game's state as of the instant (`View::game`),
//! and a strategy that implements `on_game` is called when the game changes, not only when the
//! quote does.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::fees::{FeeModel, FeeSchedule, Liquidity};
use crate::game::GameView;

/// Which contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Yes,
    No,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
        }
    }

    pub fn other(self) -> Self {
        match self {
            Self::Yes => Self::No,
            Self::No => Self::Yes,
        }
    }
}

/// Buy opens or adds to a position; sell reduces it (no shorting: buy the other side instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Buy,
    Sell,
}

/// The top of the book at one snapshot, in dollars and contracts. `None` is an empty side.
/// Read from the `market_snapshots` columns of the same names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quote {
    pub yes_bid: Option<Decimal>,
    pub yes_ask: Option<Decimal>,
    pub no_bid: Option<Decimal>,
    pub no_ask: Option<Decimal>,
    pub yes_bid_size: Option<Decimal>,
    pub yes_ask_size: Option<Decimal>,
}

impl Quote {
    /// What buying `side` costs now. A NO ask is a YES bid seen from the other side (1 − bid).
    pub fn ask(&self, side: Side) -> Option<Decimal> {
        match side {
            Side::Yes => self.yes_ask.or(self.no_bid.map(|b| Decimal::ONE - b)),
            Side::No => self.no_ask.or(self.yes_bid.map(|b| Decimal::ONE - b)),
        }
    }

    /// What selling `side` receives now.
    pub fn bid(&self, side: Side) -> Option<Decimal> {
        match side {
            Side::Yes => self.yes_bid.or(self.no_ask.map(|a| Decimal::ONE - a)),
            Side::No => self.no_bid.or(self.yes_ask.map(|a| Decimal::ONE - a)),
        }
    }

    /// Contracts available at the ask, when known. Buying NO takes the YES bids.
    pub fn ask_size(&self, side: Side) -> Option<Decimal> {
        match side {
            Side::Yes => self.yes_ask_size,
            Side::No => self.yes_bid_size,
        }
    }

    /// Contracts wanted at the bid, when known. Selling NO hits the YES asks.
    pub fn bid_size(&self, side: Side) -> Option<Decimal> {
        match side {
            Side::Yes => self.yes_bid_size,
            Side::No => self.yes_ask_size,
        }
    }

    /// The YES mid, when both sides are quoted.
    pub fn yes_mid(&self) -> Option<Decimal> {
        Some((self.ask(Side::Yes)? + self.bid(Side::Yes)?) / Decimal::TWO)
    }
}

/// One stored snapshot as the replay hands it on.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub id: i64,
    /// Index of the market in the run's selection.
    pub market: u32,
    pub at: DateTime<Utc>,
    /// Kalshi said the market was open for trading.
    pub tradable: bool,
    pub quote: Quote,
}

/// The strategy's own position in the market it is looking at.
#[derive(Debug, Clone)]
pub struct PositionView {
    pub side: Side,
    pub contracts: Decimal,
    pub entry_price: Decimal,
    pub opened_at: DateTime<Utc>,
}

/// What called the strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// A new stored snapshot of this market.
    Quote,
    /// A change of the linked game's state; the quote is the market's last one as of then.
    Game,
}

/// Everything a strategy may know at one instant about one market.
#[derive(Debug)]
pub struct View<'a> {
    pub ticker: &'a str,
    /// The quote as of the instant. `snapshot.at` is the instant itself (for a game trigger, the
    /// state's `observed_at`, which is what an order placed now is stamped with); the quote's
    /// own time is `quote_at`. `snapshot.tradable` is false when the market is not open or the
    /// quote is older than the backtest's `max_quote_age_seconds`.
    pub snapshot: &'a Snapshot,
    pub quote_at: DateTime<Utc>,
    pub trigger: Trigger,
    pub position: Option<&'a PositionView>,
    /// `Some("yes"|"no"|…)` only after the instant we first saw the market determined.
    pub result: Option<&'a str>,
    /// The linked game as of the instant: `None` without a matched/verified link knowable by
    /// then, or before the game's first state.
    pub game: Option<GameView<'a>>,
    /// The fee terms an order here would pay.
    pub fees: &'a FeeSchedule,
    pub fee_model: FeeModel,
}

impl View<'_> {
    /// The taker fee of `contracts` at `price` in this market (zero under `fees: "zero"`).
    pub fn taker_fee(&self, price: Decimal, contracts: Decimal) -> Decimal {
        self.fee_model
            .fee(self.fees, price, contracts, Liquidity::Taker)
    }
}

/// How an order meets the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderType {
    /// Cross the spread now: buy at the ask, sell at the bid, as a taker.
    #[default]
    Market,
    /// Post at this price. One that already crosses the touch takes at the touch (as a taker,
    /// like Kalshi's matching engine); otherwise it rests and fills at its price, as a maker, at
    /// the first later snapshot whose opposite touch reaches it (ask ≤ limit for a buy, bid ≥ limit
    /// for a sell), up to the size shown there; the rest keeps resting. An opposite touch at the
    /// limit means every order at that price was taken, so queue position does not flatter the
    /// fill; a dip between two snapshots is missed, which errs against the strategy. The order's
    /// own effect on the book is not modelled.
    Limit(Decimal),
}

/// What a strategy asks for.
#[derive(Debug, Clone)]
pub struct Order {
    pub side: Side,
    pub action: Action,
    pub contracts: Decimal,
    pub order_type: OrderType,
    /// Why, stored with the execution (`entry_reason` / `exit_reason`).
    pub reason: serde_json::Value,
}

/// A trading rule. One value per backtest; it keeps whatever per-market state it needs.
pub trait Strategy: Send + Sync {
    /// Called for every snapshot of every selected market, in time order. An order replaces a
    /// limit order still resting in that market.
    fn on_snapshot(&mut self, view: &View<'_>) -> Option<Order>;

    /// Called when a game's state changes, once with the views of all its linked markets that
    /// have a quote (each as of the state): a strategy can compare them and trade any of them.
    /// Answers (index into `views`, order) pairs. By default a strategy does not look at games
    /// and is not called.
    fn on_game(&mut self, views: &[View<'_>]) -> Vec<(usize, Order)> {
        let _ = views;
        Vec::new()
    }
}
