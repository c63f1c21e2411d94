//! The books of one backtest: cash, open positions marked at their bid, every fill, and each
//! position's execution once it ends. Pure accounting: the engine decides what to fill and when.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use serde_json::Value;

use super::records::{Execution, ExitKind, Fill, MarketMeta, Refusal};
use crate::fees::{FeeModel, FeeSchedule, Liquidity};
use crate::strategy::{Action, Order, PositionView, Quote, Snapshot};

/// How one order is to be filled: at which price, taking or making, under which fees.
pub struct Terms<'a> {
    pub price: Decimal,
    pub liquidity: Liquidity,
    pub fees: FeeModel,
    pub schedule: &'a FeeSchedule,
    /// Fill at most the top-of-book size when the snapshot records it.
    pub respect_size: bool,
}

impl Terms<'_> {
    fn fee(&self, contracts: Decimal) -> Decimal {
        self.fees
            .fee(self.schedule, self.price, contracts, self.liquidity)
    }

    fn bounded(&self, wanted: Decimal, size: Option<Decimal>) -> Decimal {
        match size {
            Some(size) if self.respect_size => wanted.min(size),
            _ => wanted,
        }
    }
}

struct Position {
    view: PositionView,
    seq: u32,
    bought: Decimal,
    cost: Decimal,
    entry_fee: Decimal,
    entry_snapshot_id: i64,
    entry_reason: Value,
    sold: Decimal,
    proceeds: Decimal,
    exit_fee: Decimal,
    exit_snapshot_id: Option<i64>,
    exit_reason: Option<Value>,
    /// The bid it is marked at (last seen); zero until one is seen.
    mark: Decimal,
}

pub struct Book {
    cash: Decimal,
    /// Keyed by market index; Fx because SipHash on a u32 was a visible share of a replay step.
    positions: FxHashMap<u32, Position>,
    /// Σ open contracts × mark, kept incrementally.
    marked: Decimal,
    next_seq: u32,
    pub executions: Vec<Execution>,
    pub fills: Vec<Fill>,
}

impl Book {
    pub fn new(cash: Decimal) -> Self {
        Self {
            cash,
            positions: FxHashMap::default(),
            marked: Decimal::ZERO,
            next_seq: 0,
            executions: Vec::new(),
            fills: Vec::new(),
        }
    }

    /// Cash plus open positions at their marks.
    pub fn equity(&self) -> Decimal {
        self.cash + self.marked
    }

    /// No open position anywhere.
    pub fn is_flat(&self) -> bool {
        self.positions.is_empty()
    }

    pub fn position(&self, market: u32) -> Option<&PositionView> {
        self.positions.get(&market).map(|p| &p.view)
    }

    /// Marks the position in `market` at the bid `quote` shows for its side; whether it moved.
    pub fn mark(&mut self, market: u32, quote: &Quote) -> bool {
        let Some(position) = self.positions.get_mut(&market) else {
            return false;
        };
        match quote.bid(position.view.side) {
            Some(bid) if bid != position.mark => {
                self.marked += position.view.contracts * (bid - position.mark);
                position.mark = bid;
                true
            }
            _ => false,
        }
    }

    /// Fills `order` on `terms`; returns the contracts filled.
    pub fn fill(
        &mut self,
        order: Order,
        snapshot: &Snapshot,
        terms: &Terms<'_>,
    ) -> Result<Decimal, Refusal> {
        match order.action {
            Action::Buy => self.buy(order, snapshot, terms),
            Action::Sell => self.sell(order, snapshot, terms),
        }
    }

    fn buy(
        &mut self,
        order: Order,
        snapshot: &Snapshot,
        terms: &Terms<'_>,
    ) -> Result<Decimal, Refusal> {
        if self
            .position(snapshot.market)
            .is_some_and(|p| p.side != order.side)
        {
            return Err(Refusal::OppositePosition);
        }
        let contracts = terms.bounded(order.contracts, snapshot.quote.ask_size(order.side));
        if contracts <= Decimal::ZERO {
            return Err(Refusal::NoSize);
        }
        let (price, fee) = (terms.price, terms.fee(contracts));
        let cost = price * contracts + fee;
        if cost > self.cash {
            return Err(Refusal::InsufficientCash);
        }
        self.cash -= cost;
        let bid = snapshot.quote.bid(order.side).unwrap_or(Decimal::ZERO);
        match self.positions.get_mut(&snapshot.market) {
            Some(position) => {
                position.bought += contracts;
                position.cost += price * contracts;
                position.entry_fee += fee;
                position.view.contracts += contracts;
                position.view.entry_price = position.cost / position.bought;
                self.marked +=
                    position.view.contracts * (bid - position.mark) + contracts * position.mark;
                position.mark = bid;
            }
            None => {
                let seq = self.next_seq;
                self.next_seq += 1;
                self.marked += contracts * bid;
                self.positions.insert(
                    snapshot.market,
                    Position {
                        view: PositionView {
                            side: order.side,
                            contracts,
                            entry_price: price,
                            opened_at: snapshot.at,
                        },
                        seq,
                        bought: contracts,
                        cost: price * contracts,
                        entry_fee: fee,
                        entry_snapshot_id: snapshot.id,
                        entry_reason: order.reason,
                        sold: Decimal::ZERO,
                        proceeds: Decimal::ZERO,
                        exit_fee: Decimal::ZERO,
                        exit_snapshot_id: None,
                        exit_reason: None,
                        mark: bid,
                    },
                );
            }
        }
        self.record(snapshot, order.side, Action::Buy, contracts, fee, terms);
        Ok(contracts)
    }

    fn sell(
        &mut self,
        order: Order,
        snapshot: &Snapshot,
        terms: &Terms<'_>,
    ) -> Result<Decimal, Refusal> {
        let held = match self.position(snapshot.market) {
            Some(p) if p.side == order.side => p.contracts,
            _ => return Err(Refusal::NoPosition),
        };
        let contracts = terms.bounded(
            order.contracts.min(held),
            snapshot.quote.bid_size(order.side),
        );
        if contracts <= Decimal::ZERO {
            return Err(Refusal::NoSize);
        }
        let (price, fee) = (terms.price, terms.fee(contracts));
        self.cash += price * contracts - fee;
        let Some(position) = self.positions.get_mut(&snapshot.market) else {
            return Err(Refusal::NoPosition);
        };
        self.marked -= contracts * position.mark;
        position.view.contracts -= contracts;
        position.sold += contracts;
        position.proceeds += price * contracts;
        position.exit_fee += fee;
        position.exit_snapshot_id = Some(snapshot.id);
        position.exit_reason = Some(order.reason);
        let closed = position.view.contracts <= Decimal::ZERO;
        self.record(snapshot, order.side, Action::Sell, contracts, fee, terms);
        if closed {
            self.close(snapshot.market, ExitKind::Sold, snapshot.at, None);
        }
        Ok(contracts)
    }

    fn record(
        &mut self,
        snapshot: &Snapshot,
        side: crate::strategy::Side,
        action: Action,
        contracts: Decimal,
        fee: Decimal,
        terms: &Terms<'_>,
    ) {
        self.fills.push(Fill {
            market: snapshot.market,
            side,
            action,
            price: terms.price,
            contracts,
            fee,
            liquidity: terms.liquidity,
            at: snapshot.at,
        });
    }

    /// Pays the open position in `market` at its settlement payout; whether one was paid.
    pub fn settle(&mut self, market: u32, at: DateTime<Utc>, meta: &MarketMeta) -> bool {
        let Some(position) = self.positions.get_mut(&market) else {
            return false;
        };
        let Some(payout) = meta.payout(position.view.side) else {
            return false;
        };
        let contracts = position.view.contracts;
        self.marked -= contracts * position.mark;
        self.cash += contracts * payout;
        position.sold += contracts;
        position.proceeds += contracts * payout;
        position.view.contracts = Decimal::ZERO;
        position.exit_reason =
            Some(serde_json::json!({"signal": "settlement", "result": meta.result}));
        let won = payout > Decimal::ZERO;
        self.close(market, ExitKind::Settled, at, Some(won));
        true
    }

    fn close(&mut self, market: u32, kind: ExitKind, at: DateTime<Utc>, won: Option<bool>) {
        if let Some(position) = self.positions.remove(&market) {
            self.executions
                .push(execution(market, position, kind, Some(at), won));
        }
    }

    /// At the window's end: positions still open are reported marked at their bid, and the
    /// executions put in the order the positions were opened.
    pub fn close_open(&mut self) {
        let mut open: Vec<(u32, Position)> = self.positions.drain().collect();
        open.sort_by_key(|(_, p)| p.seq);
        for (market, mut position) in open {
            let contracts = position.view.contracts;
            position.sold += contracts;
            position.proceeds += contracts * position.mark;
            self.executions
                .push(execution(market, position, ExitKind::Open, None, None));
        }
        self.executions.sort_by_key(|e| e.seq);
    }
}

fn execution(
    market: u32,
    p: Position,
    kind: ExitKind,
    at: Option<DateTime<Utc>>,
    won: Option<bool>,
) -> Execution {
    let gross_pnl = p.proceeds - p.cost;
    let fees = p.entry_fee + p.exit_fee;
    Execution {
        seq: p.seq,
        market,
        side: p.view.side,
        contracts: p.bought,
        entry_time: p.view.opened_at,
        entry_price: p.cost / p.bought,
        entry_fee: p.entry_fee,
        entry_snapshot_id: p.entry_snapshot_id,
        entry_reason: p.entry_reason,
        exit_kind: kind,
        exit_time: at,
        exit_price: (p.sold > Decimal::ZERO).then(|| p.proceeds / p.sold),
        exit_fee: p.exit_fee,
        exit_snapshot_id: p.exit_snapshot_id,
        exit_reason: p.exit_reason,
        gross_pnl,
        fees,
        pnl: gross_pnl - fees,
        won,
    }
}
