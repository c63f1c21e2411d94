//! One module per resource, each with its own `router()`; [`api`] merges them. A new resource
//! (the backtest results, for one) is a module and one `.merge` line here.

use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

/// Stored backtests (backtest-run): headlines, and one with its curve and executions.
pub mod backtests;
/// Kalshi events and series, with fee parameters.
pub mod catalog;
/// ESPN games with their latest state, and one game's state history.
pub mod games;
/// `/health`: database reachability and per-function staleness.
pub mod health;
/// A market's printed trades and candlesticks (backfill-kalshi).
pub mod history;
/// Games meet markets: a game's linked markets and timeline, a market's game, the link list.
pub mod links;
/// Markets with their latest snapshot, and one market's history.
pub mod markets;
/// The `collection_runs` ledger.
pub mod runs;
/// Sports history (load-history): past games, their lines and Elo.
pub mod sports_history;
/// Trades and positions by execution environment.
pub mod trading;

/// Every resource's routes, merged.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(health::router())
        .merge(markets::router())
        .merge(catalog::router())
        .merge(games::router())
        .merge(runs::router())
        .merge(trading::router())
        .merge(backtests::router())
        .merge(links::router())
        .merge(history::router())
        .merge(sports_history::router())
}
