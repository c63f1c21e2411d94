//! One backtest's book: cash, positions, fills and executions, and the equity it tracks as the
//! replay feeds it snapshots and settlements in time order.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use serde::Serialize;
use serde_json::Value;

use crate::fees::{FeeSchedule, Liquidity};
use crate::strategy::{Action, Order, OrderType, PositionView, Side, Snapshot, Strategy, View};

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
}

impl MarketMeta {
    fn visible_result(&self, now: DateTime<Utc>) -> Option<&str> {
        match self.determined_at {
            Some(at) if at <= now => self.result.as_deref(),
            _ => None,
        }
    }

    fn payout(&self, side: Side) -> Option<Decimal> {
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
}

impl Item {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Snapshot(s) => s.at,
            Self::Settle(_, at) => *at,
        }
    }
}

/// How orders fill.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub starting_cash: Decimal,
    /// Fill at most the top-of-book size when the snapshot records it.
    pub respect_top_of_book_size: bool,
    /// `series` (each series' fee terms) or `zero`.
    pub fees: String,
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

/// Orders the engine did not fill, by reason.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Refusals {
    pub market_not_open: u64,
    pub no_quote: u64,
    pub no_size: u64,
    pub insufficient_cash: u64,
    pub opposite_position: u64,
    pub no_position: u64,
    /// Limit orders (or what was left of them) that never filled: replaced by a newer order,
    /// dropped when their market closed or settled, or still resting at the window's end.
    pub limit_unfilled: u64,
}

/// One strategy instance's whole backtest state.
pub struct Engine {
    strategy: Box<dyn Strategy>,
    settings: Settings,
    zero_fees: FeeSchedule,
    cash: Decimal,
    /// Keyed by market index; Fx because SipHash on a u32 was a visible share of a replay step.
    positions: FxHashMap<u32, Position>,
    /// Limit orders waiting in the book, at most one per market.
    resting: FxHashMap<u32, Order>,
    /// Σ open contracts × mark, kept incrementally.
    marked: Decimal,
    next_seq: u32,
    pub executions: Vec<Execution>,
    pub fills: Vec<Fill>,
    pub refusals: Refusals,
    /// Equity at the end of each UTC day seen (for Sharpe/Sortino).
    pub daily: Vec<(NaiveDate, Decimal)>,
    /// Equity after each fill or settlement (for the curve and drawdown).
    pub curve: Vec<(DateTime<Utc>, Decimal)>,
    day: Option<NaiveDate>,
    /// The first instant after `day`: until then a step has no day to roll.
    day_ends: Option<DateTime<Utc>>,
    peak: Decimal,
    peak_at: Option<DateTime<Utc>>,
    pub max_drawdown: Decimal,
    pub max_drawdown_pct: Decimal,
    pub max_drawdown_duration_secs: i64,
    exposed_since: Option<DateTime<Utc>>,
    pub exposed_secs: i64,
}

impl Engine {
    pub fn new(strategy: Box<dyn Strategy>, settings: Settings) -> Self {
        let cash = settings.starting_cash;
        Self {
            strategy,
            settings,
            zero_fees: FeeSchedule::zero(),
            cash,
            positions: FxHashMap::default(),
            resting: FxHashMap::default(),
            marked: Decimal::ZERO,
            next_seq: 0,
            executions: Vec::new(),
            fills: Vec::new(),
            refusals: Refusals::default(),
            daily: Vec::new(),
            curve: Vec::new(),
            day: None,
            day_ends: None,
            peak: cash,
            peak_at: None,
            max_drawdown: Decimal::ZERO,
            max_drawdown_pct: Decimal::ZERO,
            max_drawdown_duration_secs: 0,
            exposed_since: None,
            exposed_secs: 0,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn equity(&self) -> Decimal {
        self.cash + self.marked
    }

    /// Starts the daily series at the window's first instant.
    pub fn begin(&mut self, at: DateTime<Utc>) {
        self.day = Some(at.date_naive());
        self.peak_at = Some(at);
        self.curve.push((at, self.equity()));
    }

    pub fn step(&mut self, item: &Item, markets: &[MarketMeta]) {
        let now = item.at();
        self.roll_days(now);
        match item {
            Item::Snapshot(snapshot) => self.on_snapshot(snapshot, markets),
            Item::Settle(market, at) => self.settle(*market, *at, markets),
        }
    }

    fn on_snapshot(&mut self, snapshot: &Snapshot, markets: &[MarketMeta]) {
        let Some(meta) = markets.get(snapshot.market as usize) else {
            return;
        };
        let mut marked_changed = false;
        if let Some(position) = self.positions.get_mut(&snapshot.market) {
            if let Some(bid) = snapshot.quote.bid(position.view.side) {
                if bid != position.mark {
                    self.marked += position.view.contracts * (bid - position.mark);
                    position.mark = bid;
                    marked_changed = true;
                }
            }
        }
        let result = meta.visible_result(snapshot.at);
        let open = snapshot.tradable && result.is_none();
        if !self.resting.is_empty() {
            if let Some(resting) = self.resting.remove(&snapshot.market) {
                if open {
                    self.fill_resting(resting, snapshot, meta);
                } else {
                    self.refusals.limit_unfilled += 1;
                }
            }
        }
        let order = {
            let view = View {
                ticker: &meta.ticker,
                snapshot,
                position: self.positions.get(&snapshot.market).map(|p| &p.view),
                result,
            };
            self.strategy.on_snapshot(&view)
        };
        if let Some(order) = order {
            if open {
                self.execute(order, snapshot, meta);
            } else {
                self.refusals.market_not_open += 1;
            }
        } else if marked_changed {
            self.observe(snapshot.at, false);
        }
    }

    fn fee_schedule<'a>(&'a self, meta: &'a MarketMeta) -> &'a FeeSchedule {
        if self.settings.fees == "zero" {
            &self.zero_fees
        } else {
            &meta.fees
        }
    }

    fn bounded(&self, wanted: Decimal, size: Option<Decimal>) -> Decimal {
        match size {
            Some(size) if self.settings.respect_top_of_book_size => wanted.min(size),
            _ => wanted,
        }
    }

    /// The price an order would take at now: the ask to buy, the bid to sell.
    fn touch(order: &Order, snapshot: &Snapshot) -> Option<Decimal> {
        match order.action {
            Action::Buy => snapshot.quote.ask(order.side),
            Action::Sell => snapshot.quote.bid(order.side),
        }
    }

    /// Whether `touch` has reached `limit` from the order's side.
    fn reaches(action: Action, touch: Option<Decimal>, limit: Decimal) -> bool {
        touch.is_some_and(|touch| match action {
            Action::Buy => touch <= limit,
            Action::Sell => touch >= limit,
        })
    }

    fn execute(&mut self, order: Order, snapshot: &Snapshot, meta: &MarketMeta) {
        if self.resting.remove(&snapshot.market).is_some() {
            self.refusals.limit_unfilled += 1;
        }
        let touch = Self::touch(&order, snapshot);
        match order.order_type {
            OrderType::Limit(limit) if !Self::reaches(order.action, touch, limit) => {
                self.resting.insert(snapshot.market, order);
            }
            _ => match touch {
                Some(price) => {
                    self.fill(order, snapshot, meta, price, Liquidity::Taker);
                }
                None => self.refusals.no_quote += 1,
            },
        }
    }

    /// A resting limit order meets a new snapshot of its market: it fills at its price when the
    /// opposite touch has traded through it; what the shown size left over keeps resting.
    fn fill_resting(&mut self, order: Order, snapshot: &Snapshot, meta: &MarketMeta) {
        let OrderType::Limit(limit) = order.order_type else {
            return;
        };
        if !Self::reaches(order.action, Self::touch(&order, snapshot), limit) {
            self.resting.insert(snapshot.market, order);
            return;
        }
        let (wanted, rest) = (order.contracts, order.clone());
        let filled = self.fill(order, snapshot, meta, limit, Liquidity::Maker);
        if filled > Decimal::ZERO && filled < wanted {
            self.resting.insert(
                snapshot.market,
                Order {
                    contracts: wanted - filled,
                    ..rest
                },
            );
        } else if filled < wanted {
            self.refusals.limit_unfilled += 1;
        }
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
        match order.action {
            Action::Buy => self.buy(order, snapshot, meta, price, liquidity),
            Action::Sell => self.sell(order, snapshot, meta, price, liquidity),
        }
    }

    fn buy(
        &mut self,
        order: Order,
        snapshot: &Snapshot,
        meta: &MarketMeta,
        price: Decimal,
        liquidity: Liquidity,
    ) -> Decimal {
        if let Some(position) = self.positions.get(&snapshot.market) {
            if position.view.side != order.side {
                self.refusals.opposite_position += 1;
                return Decimal::ZERO;
            }
        }
        let contracts = self.bounded(order.contracts, snapshot.quote.ask_size(order.side));
        if contracts <= Decimal::ZERO {
            self.refusals.no_size += 1;
            return Decimal::ZERO;
        }
        let fee = self.fee_schedule(meta).fee(price, contracts, liquidity);
        let cost = price * contracts + fee;
        if cost > self.cash {
            self.refusals.insufficient_cash += 1;
            return Decimal::ZERO;
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
                if self.positions.is_empty() {
                    self.exposed_since = Some(snapshot.at);
                }
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
        self.fills.push(Fill {
            market: snapshot.market,
            side: order.side,
            action: Action::Buy,
            price,
            contracts,
            fee,
            liquidity,
            at: snapshot.at,
        });
        self.observe(snapshot.at, true);
        contracts
    }

    fn sell(
        &mut self,
        order: Order,
        snapshot: &Snapshot,
        meta: &MarketMeta,
        price: Decimal,
        liquidity: Liquidity,
    ) -> Decimal {
        let held = match self.positions.get(&snapshot.market) {
            Some(p) if p.view.side == order.side => p.view.contracts,
            _ => {
                self.refusals.no_position += 1;
                return Decimal::ZERO;
            }
        };
        let contracts = self.bounded(
            order.contracts.min(held),
            snapshot.quote.bid_size(order.side),
        );
        if contracts <= Decimal::ZERO {
            self.refusals.no_size += 1;
            return Decimal::ZERO;
        }
        let fee = self.fee_schedule(meta).fee(price, contracts, liquidity);
        self.cash += price * contracts - fee;
        let Some(position) = self.positions.get_mut(&snapshot.market) else {
            return Decimal::ZERO;
        };
        self.marked -= contracts * position.mark;
        position.view.contracts -= contracts;
        position.sold += contracts;
        position.proceeds += price * contracts;
        position.exit_fee += fee;
        position.exit_snapshot_id = Some(snapshot.id);
        position.exit_reason = Some(order.reason);
        self.fills.push(Fill {
            market: snapshot.market,
            side: order.side,
            action: Action::Sell,
            price,
            contracts,
            fee,
            liquidity,
            at: snapshot.at,
        });
        if position.view.contracts <= Decimal::ZERO {
            self.close(snapshot.market, ExitKind::Sold, snapshot.at, None);
        }
        self.observe(snapshot.at, true);
        contracts
    }

    fn settle(&mut self, market: u32, at: DateTime<Utc>, markets: &[MarketMeta]) {
        let Some(meta) = markets.get(market as usize) else {
            return;
        };
        if self.resting.remove(&market).is_some() {
            self.refusals.limit_unfilled += 1;
        }
        let Some(position) = self.positions.get_mut(&market) else {
            return;
        };
        let Some(payout) = meta.payout(position.view.side) else {
            return;
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
        self.observe(at, true);
    }

    fn close(&mut self, market: u32, kind: ExitKind, at: DateTime<Utc>, won: Option<bool>) {
        let Some(position) = self.positions.remove(&market) else {
            return;
        };
        self.executions
            .push(execution(market, position, kind, Some(at), won));
        if self.positions.is_empty() {
            if let Some(since) = self.exposed_since.take() {
                self.exposed_secs += (at - since).num_seconds();
            }
        }
    }

    /// Records equity after a change: drawdown always, the curve when cash moved.
    fn observe(&mut self, at: DateTime<Utc>, to_curve: bool) {
        let equity = self.equity();
        if to_curve {
            self.curve.push((at, equity));
        }
        if equity >= self.peak {
            self.peak = equity;
            self.peak_at = Some(at);
        } else {
            let drawdown = self.peak - equity;
            if drawdown > self.max_drawdown {
                self.max_drawdown = drawdown;
                if self.peak > Decimal::ZERO {
                    self.max_drawdown_pct = drawdown / self.peak;
                }
            }
            if let Some(peak_at) = self.peak_at {
                self.max_drawdown_duration_secs = self
                    .max_drawdown_duration_secs
                    .max((at - peak_at).num_seconds());
            }
        }
    }

    fn roll_days(&mut self, now: DateTime<Utc>) {
        if self.day_ends.is_some_and(|ends| now < ends) {
            return;
        }
        let today = now.date_naive();
        self.day_ends = today
            .succ_opt()
            .and_then(|next| next.and_hms_opt(0, 0, 0))
            .map(|midnight| midnight.and_utc());
        let Some(mut day) = self.day else {
            self.day = Some(today);
            return;
        };
        let equity = self.equity();
        while day < today {
            self.daily.push((day, equity));
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        self.day = Some(day);
    }

    /// Closes the books at the window's end: open positions are reported marked at their bid.
    pub fn finish(&mut self, end: DateTime<Utc>) {
        self.refusals.limit_unfilled += self.resting.drain().count() as u64;
        self.roll_days(end);
        if let Some(day) = self.day {
            self.daily.push((day, self.equity()));
        }
        self.observe(end, true);
        if let Some(since) = self.exposed_since.take() {
            self.exposed_secs += (end - since).num_seconds();
        }
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
