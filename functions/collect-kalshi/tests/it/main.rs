#![recursion_limit = "256"]
//! collect-kalshi against a fake Kalshi over loopback HTTP and a real PostgreSQL.

mod fake_kalshi;
mod helpers;
// The ESPN fake of collect-espn's tests, for the end-to-end linking tests.
#[path = "../../../collect-espn/tests/it/fake_espn.rs"]
mod fake_espn;

mod binary;
mod collection;
mod faults;
mod lambda;
mod linking;
mod settlement;
