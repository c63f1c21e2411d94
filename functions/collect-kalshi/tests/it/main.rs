#![recursion_limit = "256"]
//! collect-kalshi against a fake Kalshi over loopback HTTP and a real PostgreSQL.

mod fake_kalshi;
mod helpers;

mod binary;
mod collection;
mod faults;
mod lambda;
mod settlement;
mod storage;
