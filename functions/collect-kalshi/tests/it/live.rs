//! The `live_games` scope: exactly the markets linked to games ESPN shows live now, with depth;
//! with nothing live, one database query and no Kalshi request.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{spawn_app, TestApp};
use precog::testing::fake_kalshi::market_json;

const LIVE_HOME: &str = "KXNFLGAME-26SEP13DALNYG-NYG";
const LIVE_AWAY: &str = "KXNFLGAME-26SEP13DALNYG-DAL";
const FINAL_GAME: &str = "KXNBAGAME-26SEP12NYKBOS-BOS";
const UNMATCHED: &str = "KXNFLGAME-26SEP13XXXYYY-XXX";

/// Four markets upstream; one game live, one final; links for three markets (one unmatched).
async fn arrange(app: &TestApp, live: bool) {
    app.kalshi.add_markets(vec![
        market_json(LIVE_HOME, "KXNFLGAME-26SEP13DALNYG", "0.4300", "0.4400"),
        market_json(LIVE_AWAY, "KXNFLGAME-26SEP13DALNYG", "0.5600", "0.5700"),
        market_json(FINAL_GAME, "KXNBAGAME-26SEP12NYKBOS", "0.9900", "1.0000"),
        market_json(UNMATCHED, "KXNFLGAME-26SEP13XXXYYY", "0.5000", "0.5100"),
        market_json(
            "KXHIGHNY-26NOV21-B53.5",
            "KXHIGHNY-26NOV21",
            "0.1000",
            "0.1100",
        ),
    ]);
    app.kalshi.set_orderbook(
        LIVE_HOME,
        json!({"yes_dollars": [["0.4300", "10.00"]], "no_dollars": [["0.5600", "4.00"]]}),
    );
    let state = if live { "in" } else { "pre" };
    sqlx::query(
        "insert into games (espn_event_id, league, status_state, completed, last_state_at)
         values ('401', 'football/nfl', $1, false, now() - interval '20 seconds'),
                ('402', 'basketball/nba', 'post', true, now() - interval '1 hour')",
    )
    .bind(state)
    .execute(&app.db.pool)
    .await
    .expect("games");
    sqlx::query(
        "insert into game_links (ticker, event_ticker, series_ticker, league, kind, espn_event_id,
                                 yes_side, status, reason, evidence, knowable_at, matcher_version)
         select t, split_part(t, '-', 1) || '-' || split_part(t, '-', 2), split_part(t, '-', 1),
                lg, 'moneyline', g, side, st, 'test', '{}', now() - interval '1 day', 1
           from (values ($1, 'football/nfl', '401', 'home', 'matched'),
                        ($2, 'football/nfl', '401', 'away', 'verified'),
                        ($3, 'basketball/nba', '402', 'home', 'matched'),
                        ($4, 'football/nfl', null, null, 'unmatched'))
                as v(t, lg, g, side, st)",
    )
    .bind(LIVE_HOME)
    .bind(LIVE_AWAY)
    .bind(FINAL_GAME)
    .bind(UNMATCHED)
    .execute(&app.db.pool)
    .await
    .expect("links");
}

#[tokio::test]
async fn with_no_live_game_the_scope_makes_no_request_and_exits_at_once() {
    let app = spawn_app().await;
    arrange(&app, false).await;

    let started = Instant::now();
    let summary = app
        .run_ok(
            json!({"live_games": true, "interval_seconds": 1, "depth": true, "max_seconds": 30}),
        )
        .await;

    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no loop without a live game"
    );
    assert_eq!(summary.details["passes"], 0, "{summary:?}");
    assert_eq!(summary.details["live_markets"], 0, "{summary:?}");
    assert_eq!(app.kalshi.requests(), Vec::<String>::new());
    assert_eq!(app.count("select count(*) from market_snapshots").await, 0);
}

#[tokio::test]
async fn the_scope_polls_exactly_the_markets_of_live_games_with_depth() {
    let app = spawn_app().await;
    arrange(&app, true).await;

    let summary = app.run_ok(json!({"live_games": true, "depth": true})).await;

    assert_eq!(summary.details["passes"], 1, "{summary:?}");
    assert_eq!(summary.details["live_markets"], 2, "{summary:?}");
    let requests = app.kalshi.requests_to("/trade-api/v2/markets");
    assert_eq!(requests.len(), 1, "{requests:?}");
    let mut asked: Vec<String> = url::form_urlencoded::parse(
        requests[0]
            .split_once('?')
            .map_or("", |(_, q)| q)
            .as_bytes(),
    )
    .filter(|(k, _)| k == "tickers")
    .flat_map(|(_, v)| v.split(',').map(str::to_owned).collect::<Vec<_>>())
    .collect();
    asked.sort();
    assert_eq!(asked, [LIVE_AWAY, LIVE_HOME]);
    let stored: Vec<String> =
        sqlx::query_scalar("select ticker from market_snapshots order by ticker")
            .fetch_all(&app.db.pool)
            .await
            .expect("snapshots");
    assert_eq!(stored, [LIVE_AWAY, LIVE_HOME]);
    assert_eq!(
        app.count(&format!(
            "select count(*) from market_snapshots where ticker = '{LIVE_HOME}' and depth is not null"
        ))
        .await,
        1,
        "depth fetched"
    );
    assert_eq!(
        app.kalshi
            .requests_to("/trade-api/v2/markets/orderbooks")
            .len(),
        1
    );
}

#[tokio::test]
async fn a_game_left_live_by_a_stopped_collector_is_not_polled() {
    let app = spawn_app().await;
    arrange(&app, true).await;
    sqlx::query(
        "update games set last_state_at = now() - interval '4 hours' where espn_event_id = '401'",
    )
    .execute(&app.db.pool)
    .await
    .expect("ageing the game");

    let summary = app.run_ok(json!({"live_games": true})).await;

    assert_eq!(summary.details["live_markets"], 0, "{summary:?}");
    assert_eq!(app.kalshi.requests(), Vec::<String>::new());
}
