//! The domain: what Precog stores and reasons about, independent of how an upstream API spells
//! it (`crate::kalshi`, `crate::espn` read their wire types into these) and of how the database
//! stores it (`crate::db` writes these).

mod decimal;
mod eastern;
mod game;
/// Kalshi's printed trades and candlesticks, marked with the tier that served them.
pub mod history;
mod ids;
/// Game links: status, market kind, YES side.
pub mod link;
mod market;
mod price;
/// Sports history (issue 14): past games, lines and Elo from public files, and our Elo.
pub mod sports_history;

pub use decimal::{parse_count, parse_dollars, DecimalError};
pub use eastern::{eastern_date, eastern_day_start};
pub use game::{Game, GameState, Status, Team, WinProbability, KNOWN_STATUS_NAMES};
pub use ids::{is_kalshi_ticker, BlankId, EspnEventId, Ticker};
pub use link::{LinkStatus, MarketKind, YesSide};
pub use market::{Event, Market, Quote, Series};
pub use price::{Price, PriceOutOfRange};
