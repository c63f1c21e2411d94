//! `fade_overreaction` (seeds): when a market's YES mid moves more than `threshold` within
//! `window_minutes`, buy the other side of the move (a jump up buys NO, a drop buys YES); sell when
//! the position's bid has reverted by `take_profit` above its entry, after `max_hold_minutes`, or
//! hold to settlement.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use serde_json::json;

use crate::params::Params;
use crate::strategy::{Action, Order, OrderType, Side, Strategy, View};
use precog::runner::BadEvent;

pub const NAME: &str = "fade_overreaction";

pub fn build(params: &mut Params) -> Result<Box<dyn Strategy>, BadEvent> {
    let threshold = params.decimal_in("threshold", Some(Decimal::new(10, 2)), Decimal::ZERO, Decimal::ONE)?;
    let window = params.positive_integer("window_minutes", Some(60))?;
    let take_profit =
        params.decimal_in("take_profit", Some(Decimal::new(5, 2)), Decimal::ZERO, Decimal::ONE)?;
    let max_hold = params.positive_integer("max_hold_minutes", Some(24 * 60))?;
    let contracts = Decimal::from(params.positive_integer("contracts", Some(10))?);
    let minutes = |m: u64| Duration::minutes(i64::try_from(m).unwrap_or(i64::MAX / 60_000));
    Ok(Box::new(FadeOverreaction {
        threshold,
        window: minutes(window),
        take_profit,
        max_hold: minutes(max_hold),
        contracts,
        history: FxHashMap::default(),
    }))
}

struct FadeOverreaction {
    threshold: Decimal,
    window: Duration,
    take_profit: Decimal,
    max_hold: Duration,
    contracts: Decimal,
    /// Per market, the YES mids seen within the last `window`.
    history: FxHashMap<u32, VecDeque<(DateTime<Utc>, Decimal)>>,
}

impl Strategy for FadeOverreaction {
    fn on_snapshot(&mut self, view: &View<'_>) -> Option<Order> {
        let snapshot = view.snapshot;
        if let Some(position) = view.position {
            if !snapshot.tradable {
                return None;
            }
            let bid = snapshot.quote.bid(position.side)?;
            let reason = if bid >= position.entry_price + self.take_profit {
                json!({"signal": "take_profit", "bid": bid, "entry_price": position.entry_price})
            } else if snapshot.at - position.opened_at >= self.max_hold {
                json!({"signal": "max_hold", "bid": bid, "held_minutes": (snapshot.at - position.opened_at).num_minutes()})
            } else {
                return None;
            };
            return Some(Order {
                side: position.side,
                action: Action::Sell,
                contracts: position.contracts,
                order_type: OrderType::Market,
                reason,
            });
        }
        let mid = snapshot.quote.yes_mid()?;
        let history = self.history.entry(snapshot.market).or_default();
        while history
            .front()
            .is_some_and(|(t, _)| snapshot.at - *t > self.window)
        {
            history.pop_front();
        }
        history.push_back((snapshot.at, mid));
        if !snapshot.tradable {
            return None;
        }
        let (since, from) = *history.front()?;
        let moved = mid - from;
        let side = if moved > self.threshold {
            Side::No
        } else if -moved > self.threshold {
            Side::Yes
        } else {
            return None;
        };
        // The move is consumed: the next signal needs a new one.
        history.clear();
        Some(Order {
            side,
            action: Action::Buy,
            contracts: self.contracts,
            order_type: OrderType::Market,
            reason: json!({"signal": "overreaction", "from_mid": from, "to_mid": mid, "since": since, "moved": moved}),
        })
    }
}
