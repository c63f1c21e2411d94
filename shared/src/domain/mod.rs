//! Domain types parsed from the wire, never floats.

mod decimal;

pub use decimal::{parse_count, parse_dollars, DecimalError};
