//! load-history against a real PostgreSQL, with fixture files shaped like the upstream ones.

mod cbbd;
mod elo;
mod espn_schedule;
mod fivethirtyeight;
mod helpers;
mod nflverse;
