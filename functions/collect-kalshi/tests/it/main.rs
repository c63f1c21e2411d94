#![recursion_limit = "256"]
//! collect-kalshi against a fake Kalshi over loopback HTTP and a real PostgreSQL.

mod helpers;

mod binary;
mod collection;
mod faults;
mod lambda;
mod linking;
mod live;
mod settlement;
mod storage;
