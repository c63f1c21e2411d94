//! `threshold_hold`: buy `contracts` of `side` at the ask the first time a market's ask for that
//! side is at or below `max_entry_price`, then hold to settlement. A favourite/long-shot probe.
//!
//! With `order: "limit"` it posts instead: a bid for `side` at `max_entry_price` from the first
//! tradable snapshot, filled as a maker when the ask later trades through it (or at once, as a
//! taker at the ask, if the ask is already there), so the same probe can be priced under each
//! series' maker fees.

use rust_decimal::Decimal;
use rustc_hash::FxHashSet;
use serde_json::json;

use crate::params::Params;
use crate::strategy::{Action, Order, OrderType, Side, Strategy, View};
use precog::runner::BadEvent;

pub const NAME: &str = "threshold_hold";

pub fn build(params: &mut Params) -> Result<Box<dyn Strategy>, BadEvent> {
    let side = match params.choice("side", None, &["yes", "no"])?.as_str() {
        "yes" => Side::Yes,
        _ => Side::No,
    };
    let max_entry_price =
        params.decimal_in("max_entry_price", None, Decimal::ZERO, Decimal::ONE)?;
    let contracts = Decimal::from(params.positive_integer("contracts", Some(1))?);
    let post = params.choice("order", Some("market"), &["market", "limit"])? == "limit";
    Ok(Box::new(ThresholdHold {
        side,
        max_entry_price,
        contracts,
        post,
        entered: FxHashSet::default(),
    }))
}

struct ThresholdHold {
    side: Side,
    max_entry_price: Decimal,
    contracts: Decimal,
    post: bool,
    /// Markets already tried: one entry per market, whether or not it filled in full.
    entered: FxHashSet<u32>,
}

impl Strategy for ThresholdHold {
    fn on_snapshot(&mut self, view: &View<'_>) -> Option<Order> {
        let snapshot = view.snapshot;
        if !snapshot.tradable || view.position.is_some() || self.entered.contains(&snapshot.market) {
            return None;
        }
        let (order_type, reason) = if self.post {
            (
                OrderType::Limit(self.max_entry_price),
                json!({"signal": "post_at_max_entry_price", "max_entry_price": self.max_entry_price}),
            )
        } else {
            let ask = snapshot.quote.ask(self.side)?;
            if ask > self.max_entry_price {
                return None;
            }
            (
                OrderType::Market,
                json!({"signal": "ask_at_or_below", "ask": ask, "max_entry_price": self.max_entry_price}),
            )
        };
        self.entered.insert(snapshot.market);
        Some(Order {
            side: self.side,
            action: Action::Buy,
            contracts: self.contracts,
            order_type,
            reason,
        })
    }
}
