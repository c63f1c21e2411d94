//! read-api over real HTTP on loopback, against a real PostgreSQL with seeded data.

mod backtests;
mod catalog;
mod dashboard;
mod errors;
mod games;
mod health;
mod helpers;
mod history;
mod links;
mod markets;
mod openapi;
mod roles;
mod security;
mod sports_history;
mod trading;
