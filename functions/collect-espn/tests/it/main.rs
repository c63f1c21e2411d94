#![recursion_limit = "256"]
//! collect-espn against a fake ESPN over loopback HTTP and a real PostgreSQL.

mod helpers;

mod binary;
mod collection;
mod faults;
mod live_loop;
mod summaries;
