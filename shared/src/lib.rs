//! Precog's shared crate: everything more than one function needs.
#![forbid(unsafe_code)]

/// Typed configuration read once from the environment, validated at start.
pub mod config;
/// The database: pool, migrations, and one repository module per table group.
pub mod db;
/// The domain types: markets and quotes, games and their states, ids, prices, exact decimals.
pub mod domain;
/// ESPN's public site API: scoreboards and summaries read into games and game states.
pub mod espn;
/// Retrying HTTP for the upstream clients: backoff with jitter, a token bucket.
pub mod http;
/// The Kalshi REST client and its wire types.
pub mod kalshi;
/// Starting (or reusing) a local PostgreSQL cluster for development and tests.
pub mod pgcluster;
/// The runner: one handler, run under Lambda or once from the command line.
pub mod runner;
/// Passes repeated at an interval until an invocation's deadline.
pub mod schedule;
/// Tracing: JSON logs in production, readable ones in development.
pub mod telemetry;

/// Helpers for the functions' integration tests: a throwaway PostgreSQL per test binary and a
/// freshly migrated database per test.
#[cfg(feature = "testing")]
pub mod testing;
