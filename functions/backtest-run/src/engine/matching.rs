//! Order matching against one snapshot's top of book: what a new order does on arrival and
//! whether a resting limit order is reached (see `OrderType::Limit` for the model).

use rust_decimal::Decimal;

use crate::strategy::{Action, Order, OrderType, Quote, Side};

/// What a newly arrived order does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Takes liquidity now at this price (the ask to buy, the bid to sell).
    Take(Decimal),
    /// A limit the touch has not reached: it waits in the book.
    Rest,
    /// Nothing to take on that side.
    NoQuote,
}

/// The price an order would take now: the ask to buy, the bid to sell.
pub fn touch(order: &Order, quote: &Quote) -> Option<Decimal> {
    match order.action {
        Action::Buy => quote.ask(order.side),
        Action::Sell => quote.bid(order.side),
    }
}

/// Whether `touch` has reached `limit` from the order's side.
pub fn reaches(action: Action, touch: Option<Decimal>, limit: Decimal) -> bool {
    touch.is_some_and(|touch| match action {
        Action::Buy => touch <= limit,
        Action::Sell => touch >= limit,
    })
}

/// A new order meets the book: a market order, or a limit that already crosses, takes at the
/// touch (as a taker, like Kalshi's matching engine); any other limit rests.
pub fn arrive(order: &Order, quote: &Quote) -> Arrival {
    let touch = touch(order, quote);
    match order.order_type {
        OrderType::Limit(limit) if !reaches(order.action, touch, limit) => Arrival::Rest,
        _ => touch.map_or(Arrival::NoQuote, Arrival::Take),
    }
}

/// The price a resting order fills at on this snapshot (its limit, as a maker), or `None` while
/// the opposite touch has not traded through it.
pub fn resting_fill(order: &Order, quote: &Quote) -> Option<Decimal> {
    match order.order_type {
        OrderType::Limit(limit) if reaches(order.action, touch(order, quote), limit) => Some(limit),
        _ => None,
    }
}

/// The price a resting order fills at on a printed trade (its limit), when the trade printed at
/// or through it: a buy needs its side's price at or below the limit, a sell at or above.
pub fn printed_through(order: &Order, yes_price: Decimal, no_price: Decimal) -> Option<Decimal> {
    let OrderType::Limit(limit) = order.order_type else {
        return None;
    };
    let price = match order.side {
        Side::Yes => yes_price,
        Side::No => no_price,
    };
    let through = match order.action {
        Action::Buy => price <= limit,
        Action::Sell => price >= limit,
    };
    through.then_some(limit)
}
