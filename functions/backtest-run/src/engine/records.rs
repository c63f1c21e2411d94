//! What the engine is given (markets, replay items, settings) and what it leaves behind (fills,
//! executions, refusals).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use crate::fees::{FeeModel, FeeSchedule, Liquidity};
use crate::game::{GameEvent, GameLink};
use crate::strategy::{Action, Side, Snapshot};

/// What the replay knows about a market before it starts (one row of `markets` and its fees).
#[derive(Debug, Clone)]
pub struct MarketMeta {
    pub ticker: String,
    pub fees: FeeSchedule,
    pub result: Option<String>,
    /// When we first saw the result: before this instant strategies must not know it.
    pub determined_at: Option<DateTime<Utc>>,
    /// What one YES contract pays at settlement (NO pays `notional − yes_payout`).
    pub yes_payout: Option<Decimal>,
    pub notional: Decimal,
    /// When open positions are paid: the settlement time, never before determination.
    pub settle_at: Option<DateTime<Utc>>,
    /// The game it is about, when a matched or verified link exists (usable from `knowable_at`).
    pub game: Option<GameLink>,
}

impl MarketMeta {
    pub(crate) fn visible_result(&self, now: DateTime<Utc>) -> Option<&str> {
        match self.determined_at {
            Some(at) if at <= now => self.result.as_deref(),
            _ => None,
        }
    }

    /// The link, if it could be known at `now`.
    pub(crate) fn link_at(&self, now: DateTime<Utc>) -> Option<&GameLink> {
        self.game.as_ref().filter(|link| link.knowable_at <= now)
    }

    pub(crate) fn payout(&self, side: Side) -> Option<Decimal> {
        let yes = self.yes_payout?;
        Some(match side {
            Side::Yes => yes,
            Side::No => self.notional - yes,
        })
    }
}

/// One step of the replay.
#[derive(Debug, Clone)]
pub enum Item {
    Snapshot(Snapshot),
    /// Market `0` settles at `1`: open positions there are paid.
    Settle(u32, DateTime<Utc>),
    /// A game's state changed (shared by every engine of a sweep).
    Game(Arc<GameEvent>),
    /// A trade Kalshi printed (only with `limit_fills: trades`).
    Trade(Box<TradePrint>),
}

/// One `kalshi_trades` row, as fill evidence for resting limit orders.
#[derive(Debug, Clone)]
pub struct TradePrint {
    pub market: u32,
    pub at: DateTime<Utc>,
    pub yes_price: Decimal,
    pub no_price: Decimal,
    pub count: Decimal,
    /// The market's last snapshot as of the trade (marks, ids, whether it was open).
    pub quote: Option<Snapshot>,
}

/// What fills a resting limit order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitFills {
    /// A later snapshot whose opposite touch is at or through the limit, up to the size shown.
    #[default]
    Touch,
    /// A trade Kalshi printed after the order rested, at or through the limit, up to its count.
    Trades,
}

impl Item {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Snapshot(s) => s.at,
            Self::Settle(_, at) => *at,
            Self::Game(event) => event.state.observed_at,
            Self::Trade(print) => print.at,
        }
    }
}

/// How orders fill.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub starting_cash: Decimal,
    /// Fill at most the top-of-book size when the snapshot records it.
    pub respect_top_of_book_size: bool,
    /// Each series' fee terms, or none.
    pub fees: FeeModel,
    /// A quote older than this at the instant of a game trigger is not tradable.
    pub max_quote_age_seconds: u64,
    /// What fills resting limit orders.
    pub limit_fills: LimitFills,
}

/// One fill, stored as a `trades` row.
#[derive(Debug, Clone, Serialize)]
pub struct Fill {
    pub market: u32,
    pub side: Side,
    pub action: Action,
    pub price: Decimal,
    pub contracts: Decimal,
    pub fee: Decimal,
    pub liquidity: Liquidity,
    pub at: DateTime<Utc>,
}

/// How a position ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExitKind {
    Sold,
    Settled,
    Open,
}

impl ExitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sold => "sold",
            Self::Settled => "settled",
            Self::Open => "open",
        }
    }
}

/// One position from entry to exit, stored as a `backtest_executions` row.
#[derive(Debug, Clone, Serialize)]
pub struct Execution {
    pub seq: u32,
    pub market: u32,
    pub side: Side,
    /// Contracts bought in total.
    pub contracts: Decimal,
    pub entry_time: DateTime<Utc>,
    /// Average entry price.
    pub entry_price: Decimal,
    pub entry_fee: Decimal,
    pub entry_snapshot_id: i64,
    pub entry_reason: Value,
    pub exit_kind: ExitKind,
    pub exit_time: Option<DateTime<Utc>>,
    /// Average exit price: sale, settlement payout, or the bid it was marked at while open.
    pub exit_price: Option<Decimal>,
    pub exit_fee: Decimal,
    pub exit_snapshot_id: Option<i64>,
    pub exit_reason: Option<Value>,
    pub gross_pnl: Decimal,
    pub fees: Decimal,
    pub pnl: Decimal,
    /// Whether the side bought won (settled positions only), for the Brier score.
    pub won: Option<bool>,
}

/// Why the book would not fill an order it was handed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NoSize,
    InsufficientCash,
    OppositePosition,
    NoPosition,
}

/// Orders the engine did not fill, by reason.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Refusals {
    pub market_not_open: u64,
    pub no_quote: u64,
    /// Orders placed on a game change whose market's last quote was older than the max age.
    pub stale_quote: u64,
    pub no_size: u64,
    pub insufficient_cash: u64,
    pub opposite_position: u64,
    pub no_position: u64,
    /// Limit orders (or what was left of them) that never filled: replaced by a newer order,
    /// dropped when their market closed or settled, or still resting at the window's end.
    pub limit_unfilled: u64,
}

impl Refusals {
    pub(crate) fn count(&mut self, refusal: Refusal) {
        let counter = match refusal {
            Refusal::NoSize => &mut self.no_size,
            Refusal::InsufficientCash => &mut self.insufficient_cash,
            Refusal::OppositePosition => &mut self.opposite_position,
            Refusal::NoPosition => &mut self.no_position,
        };
        *counter += 1;
    }
}
