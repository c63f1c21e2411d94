//! Hand-computed backtests on the real PostgreSQL harness, and the built binary.

mod binary;
mod candles;
mod fixtures;
mod games;
mod scenarios;
