#![recursion_limit = "256"]
//! backfill-kalshi against a fake Kalshi serving both tiers over loopback HTTP, and a real
//! PostgreSQL.

mod fake_kalshi;
mod helpers;

mod candles;
mod crash;
mod trades;
