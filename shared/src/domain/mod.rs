//! Domain types parsed from the wire, never floats.

mod decimal;
/// Game links: status, market kind, YES side.
pub mod link;

pub use decimal::{parse_count, parse_dollars, DecimalError};
pub use link::{LinkStatus, MarketKind, YesSide};
