//! Domain types parsed from the wire, never floats.

mod decimal;
/// Kalshi's printed trades and candlesticks, marked with the tier that served them.
pub mod history;

pub use decimal::{parse_count, parse_dollars, DecimalError};
