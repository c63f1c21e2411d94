//! The markets of the games live now: what the `live_games` scope polls. Read from the database
//! (collect-espn keeps `games.status_state`, the linker keeps `game_links`), so a day without a
//! live game costs this one query and no Kalshi request.

use sqlx::PgPool;

/// A game still `in` whose last stored state is older than this is treated as not live: its
/// collector stopped, and polling its markets forever would only hide that.
pub const STALE_AFTER_HOURS: i32 = 3;

/// Tickers of the matched or verified markets linked to games ESPN shows live (`status_state =
/// 'in'`, not completed, a state stored within [`STALE_AFTER_HOURS`]), sorted.
pub async fn linked_tickers(pool: &PgPool) -> sqlx::Result<Vec<String>> {
    // language=PostgreSQL
    sqlx::query_scalar!(
        "select l.ticker
           from games g
           join game_links l on l.espn_event_id = g.espn_event_id
          where g.status_state = 'in'
            and g.completed is not true
            and g.last_state_at > now() - make_interval(hours => $1)
            and l.status in ('matched', 'verified')
          order by l.ticker",
        STALE_AFTER_HOURS,
    )
    .fetch_all(pool)
    .await
}
