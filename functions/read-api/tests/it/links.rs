//! Games meet markets over HTTP, and the as-of SQL functions behind them (issue 10 test case 10).

use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{spawn, TestApp};

const GAME: &str = "401999010";
const HOME: &str = "KXNFLGAME-26NOV20DALHOU-HOU";
const AWAY: &str = "KXNFLGAME-26NOV20DALHOU-DAL";
const SPREAD: &str = "KXNFLSPREAD-26NOV20DALHOU-DAL3";
const UNMATCHED: &str = "KXNFLGAME-26NOV20XXXYYY-XXX";
const AMBIGUOUS: &str = "KXNBAGAME-26NOV20LALLAC-LAL";

/// One game, states at :10, :27, :40 and two hours later; the home link knowable from the day
/// before, the away link only from :30; quotes at :20 and :30 (home) and :20 and :40 (away).
async fn seed_links(pool: &PgPool) {
    // language=PostgreSQL
    sqlx::raw_sql(&format!(
        r#"
        insert into games (espn_event_id, league, scheduled_start, name, short_name,
                           home_team_id, home_team_abbreviation, away_team_id,
                           away_team_abbreviation, status_state, completed)
        values ('{GAME}', 'football/nfl', '2026-11-20T18:00:00Z', 'Dallas Cowboys at Houston Texans',
                'DAL @ HOU', '34', 'HOU', '6', 'DAL', 'in', false);
        insert into game_states (espn_event_id, observed_at, status_state, period, clock_seconds,
                                 display_clock, home_score, away_score, home_win_probability, raw)
        values ('{GAME}', '2026-11-20T18:00:10Z', 'in', 1, 900, '15:00', 0, 0, 0.55, '{{}}'),
               ('{GAME}', '2026-11-20T18:00:27Z', 'in', 1, 883, '14:43', 0, 0, 0.56, '{{}}'),
               ('{GAME}', '2026-11-20T18:00:40Z', 'in', 1, 870, '14:30', 7, 0, 0.62, '{{}}'),
               ('{GAME}', '2026-11-20T20:00:00Z', 'in', 3, 600, '10:00', 14, 3, 0.71, '{{}}');
        insert into game_links (ticker, event_ticker, series_ticker, league, kind, espn_event_id,
                                yes_side, line, status, reason, evidence, checks, knowable_at,
                                matcher_version)
        values ('{HOME}', 'KXNFLGAME-26NOV20DALHOU', 'KXNFLGAME', 'football/nfl', 'moneyline',
                '{GAME}', 'home', null, 'matched', 'one candidate', '{{"candidates": ["{GAME}"]}}',
                '[{{"check": "away_first", "ok": true}}]', '2026-11-19T12:00:00Z', 1),
               ('{AWAY}', 'KXNFLGAME-26NOV20DALHOU', 'KXNFLGAME', 'football/nfl', 'moneyline',
                '{GAME}', 'away', null, 'verified', 'settled as ESPN', '{{}}', '[]',
                '2026-11-20T18:00:30Z', 1),
               ('{SPREAD}', 'KXNFLSPREAD-26NOV20DALHOU', 'KXNFLSPREAD', 'football/nfl', 'spread',
                '{GAME}', 'away', 3.5, 'matched', 'one candidate', '{{}}', '[]',
                '2026-11-19T12:00:00Z', 1),
               ('{UNMATCHED}', 'KXNFLGAME-26NOV20XXXYYY', 'KXNFLGAME', 'football/nfl', 'moneyline',
                null, null, null, 'unmatched', 'no valid split of XXXYYY', '{{}}', '[]',
                '2026-11-19T12:00:00Z', 1),
               ('{AMBIGUOUS}', 'KXNBAGAME-26NOV20LALLAC', 'KXNBAGAME', 'basketball/nba', 'moneyline',
                null, null, null, 'ambiguous', 'two games', '{{"candidates": ["1", "2"]}}', '[]',
                '2026-11-19T12:00:00Z', 1);
        insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask, raw)
        values ('{HOME}', '2026-11-20T18:00:20Z', 'rest', 'active', 0.5500, 0.5700, '{{}}'),
               ('{HOME}', '2026-11-20T18:00:30Z', 'rest', 'active', 0.6000, 0.6200, '{{}}'),
               ('{AWAY}', '2026-11-20T18:00:20Z', 'rest', 'active', 0.4200, 0.4400, '{{}}'),
               ('{AWAY}', '2026-11-20T18:00:40Z', 'rest', 'active', 0.4000, 0.4200, '{{}}');
        "#
    ))
    .execute(pool)
    .await
    .expect("seeding links");
}

async fn spawn_linked() -> TestApp {
    let app = spawn().await;
    seed_links(&app.db.pool).await;
    app
}

/// (state time, ticker, quote time, yes_bid) rows of `game_quotes_asof`, as text.
async fn game_quotes(
    pool: &PgPool,
    max_age: &str,
) -> Vec<(String, Option<String>, Option<String>, Option<String>)> {
    sqlx::query_as(
        "select to_char(observed_at at time zone 'UTC', 'HH24:MI:SS'), ticker,
                to_char(quote_observed_at at time zone 'UTC', 'HH24:MI:SS'), yes_bid::text
           from game_quotes_asof($1, p_max_quote_age => $2::interval)",
    )
    .bind(GAME)
    .bind(max_age)
    .fetch_all(pool)
    .await
    .expect("game_quotes_asof")
}

fn row(
    at: &str,
    ticker: Option<&str>,
    quote_at: Option<&str>,
    bid: Option<&str>,
) -> (String, Option<String>, Option<String>, Option<String>) {
    (
        at.to_owned(),
        ticker.map(str::to_owned),
        quote_at.map(str::to_owned),
        bid.map(str::to_owned),
    )
}

#[tokio::test]
async fn game_to_quotes_is_as_of_each_state_never_ahead_and_null_past_the_max_age() {
    let app = spawn_linked().await;

    let rows = game_quotes(&app.db.pool, "65 minutes").await;

    assert_eq!(
        rows,
        [
            // :10 — the quote at :20 is in its future: none (not the nearest one).
            row("18:00:10", Some(HOME), None, None),
            row("18:00:10", Some(SPREAD), None, None),
            // :27 — the :20 quote, not the :30 one; the away link is not knowable until :30.
            row("18:00:27", Some(HOME), Some("18:00:20"), Some("0.5500")),
            row("18:00:27", Some(SPREAD), None, None),
            // :40 — an equal timestamp counts (away quote at :40).
            row("18:00:40", Some(AWAY), Some("18:00:40"), Some("0.4000")),
            row("18:00:40", Some(HOME), Some("18:00:30"), Some("0.6000")),
            row("18:00:40", Some(SPREAD), None, None),
            // Two hours on, the latest quotes are older than the max age: null.
            row("20:00:00", Some(AWAY), None, None),
            row("20:00:00", Some(HOME), None, None),
            row("20:00:00", Some(SPREAD), None, None),
        ]
    );
    // With a longer max age, the same latest quotes are used.
    let rows = game_quotes(&app.db.pool, "3 hours").await;
    assert_eq!(
        rows[7],
        row("20:00:00", Some(AWAY), Some("18:00:40"), Some("0.4000"))
    );
}

/// A snapshot's time, the game it is linked to, that game's state time and home score.
type SnapshotWithState = (String, Option<String>, Option<String>, Option<i32>);

#[tokio::test]
async fn quotes_to_game_gives_each_snapshot_the_state_as_of_it() {
    let app = spawn_linked().await;

    let rows: Vec<SnapshotWithState> = sqlx::query_as(
        "select to_char(observed_at at time zone 'UTC', 'HH24:MI:SS'), espn_event_id,
                to_char(state_observed_at at time zone 'UTC', 'HH24:MI:SS'), home_score
           from market_game_asof($1)",
    )
    .bind(AWAY)
    .fetch_all(&app.db.pool)
    .await
    .expect("market_game_asof");

    assert_eq!(
        rows,
        [
            // At :20 the away link was not yet knowable (from :30): no game.
            ("18:00:20".to_owned(), None, None, None),
            // At :40 the state observed at :40 counts (equal timestamps).
            (
                "18:00:40".to_owned(),
                Some(GAME.to_owned()),
                Some("18:00:40".to_owned()),
                Some(7)
            ),
        ]
    );
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "select to_char(observed_at at time zone 'UTC', 'HH24:MI:SS'),
                to_char(state_observed_at at time zone 'UTC', 'HH24:MI:SS')
           from market_game_asof($1)",
    )
    .bind(HOME)
    .fetch_all(&app.db.pool)
    .await
    .expect("market_game_asof");
    // The :20 quote sees the :10 state (the :27 one is in its future).
    assert_eq!(
        rows[0],
        ("18:00:20".to_owned(), Some("18:00:10".to_owned()))
    );
    assert_eq!(
        rows[1],
        ("18:00:30".to_owned(), Some("18:00:27".to_owned()))
    );
}

fn quote(row: &Value, side: &str) -> (Value, Value, Value) {
    (
        row[side]["observed_at"].clone(),
        row[side]["yes_bid"].clone(),
        row[side]["yes_ask"].clone(),
    )
}

#[tokio::test]
async fn the_timeline_serves_each_state_with_both_markets_as_of_it() {
    let app = spawn_linked().await;

    let (status, body) = app.get(&format!("/api/v1/games/{GAME}/timeline")).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["max_quote_age_seconds"], 3900);
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 4);
    // :10 — the home market is knowable but has no quote yet; the away one is not knowable.
    assert_eq!(items[0]["observed_at"], "2026-11-20T18:00:10Z");
    assert_eq!(items[0]["home"]["ticker"], HOME);
    assert_eq!(
        quote(&items[0], "home"),
        (Value::Null, Value::Null, Value::Null)
    );
    assert!(items[0]["away"].is_null());
    assert!(items[0]["implied_home_probability"].is_null());
    // :27 — the :20 quote; the implied probability is the home mid.
    assert_eq!(
        quote(&items[1], "home"),
        (
            "2026-11-20T18:00:20Z".into(),
            "0.5500".into(),
            "0.5700".into()
        )
    );
    assert_eq!(items[1]["implied_home_probability"], "0.560000");
    assert_eq!(items[1]["home_win_probability"], "0.56");
    // :40 — both markets; the away quote at exactly :40 counts; mids 0.61 and 0.41.
    assert_eq!(
        quote(&items[2], "away"),
        (
            "2026-11-20T18:00:40Z".into(),
            "0.4000".into(),
            "0.4200".into()
        )
    );
    assert_eq!(items[2]["implied_home_probability"], "0.598039");
    assert_eq!(items[2]["home_score"], 7);
    // Two hours on: both quotes past the max age.
    assert!(items[3]["home"]["yes_bid"].is_null());
    assert!(items[3]["away"]["yes_bid"].is_null());

    let (_, body) = app
        .get(&format!(
            "/api/v1/games/{GAME}/timeline?max_quote_age=10800"
        ))
        .await;
    assert_eq!(body["items"][3]["away"]["yes_bid"], "0.4000");
}

#[tokio::test]
async fn the_timeline_downsamples_and_pages() {
    let app = spawn_linked().await;

    let (status, body) = app
        .get(&format!("/api/v1/games/{GAME}/timeline?interval=30"))
        .await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    // Buckets :00 (last state :27), :30 (:40) and 20:00.
    let times: Vec<(&str, &str)> = items
        .iter()
        .map(|i| {
            (
                i["bucket"].as_str().unwrap_or_default(),
                i["observed_at"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        times,
        [
            ("2026-11-20T18:00:00Z", "2026-11-20T18:00:27Z"),
            ("2026-11-20T18:00:30Z", "2026-11-20T18:00:40Z"),
            ("2026-11-20T20:00:00Z", "2026-11-20T20:00:00Z"),
        ]
    );

    for interval in ["", "&interval=30"] {
        let mut seen = Vec::new();
        let mut cursor = String::new();
        loop {
            let (status, body) = app
                .get(&format!(
                    "/api/v1/games/{GAME}/timeline?limit=2{interval}{cursor}"
                ))
                .await;
            assert_eq!(status, 200, "{body}");
            for item in body["items"].as_array().expect("items") {
                seen.push(item["observed_at"].as_str().unwrap_or_default().to_owned());
            }
            match body["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => break,
            }
        }
        let expected = if interval.is_empty() { 4 } else { 3 };
        assert_eq!(seen.len(), expected, "{interval}: {seen:?}");
        let mut sorted = seen.clone();
        sorted.dedup();
        assert_eq!(sorted, seen, "no row twice");
    }

    let (_, body) = app
        .get(&format!(
            "/api/v1/games/{GAME}/timeline?start=2026-11-20T18:00:27Z&end=2026-11-20T18:00:40Z"
        ))
        .await;
    assert_eq!(body["items"].as_array().map(Vec::len), Some(1));

    let (status, _) = app.get("/api/v1/games/999/timeline").await;
    assert_eq!(status, 404);
    app.bad(
        &format!("/api/v1/games/{GAME}/timeline?interval=0"),
        "interval",
    )
    .await;
    app.bad(
        &format!("/api/v1/games/{GAME}/timeline?max_quote_age=x"),
        "max_quote_age",
    )
    .await;
    let (status, body) = app
        .get(&format!(
            "/api/v1/games/{GAME}/timeline?start=2026-11-21T00:00:00Z&end=2026-11-20T00:00:00Z"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["items"].as_array().map(Vec::len),
        Some(0),
        "an inverted window is empty, as for market history"
    );
    app.bad(
        &format!("/api/v1/games/{GAME}/timeline?cursor=zz"),
        "cursor",
    )
    .await;
}

#[tokio::test]
async fn a_game_lists_its_markets_and_a_market_names_its_game() {
    let app = spawn_linked().await;

    let (status, body) = app.get(&format!("/api/v1/games/{GAME}/markets")).await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    let tickers: Vec<&str> = items.iter().filter_map(|i| i["ticker"].as_str()).collect();
    assert_eq!(tickers, [AWAY, HOME, SPREAD]);
    assert_eq!(items[1]["kind"], "moneyline");
    assert_eq!(items[1]["yes_side"], "home");
    assert_eq!(items[1]["checks"][0]["check"], "away_first");
    assert_eq!(items[2]["kind"], "spread");
    assert_eq!(items[2]["yes_side"], "away");
    assert_eq!(items[2]["line"], "3.5");
    let (status, _) = app.get("/api/v1/games/999/markets").await;
    assert_eq!(status, 404);

    let (status, body) = app.get(&format!("/api/v1/markets/{AWAY}/game")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["game"]["espn_event_id"], GAME);
    assert_eq!(body["game"]["home_team_abbreviation"], "HOU");
    assert_eq!(body["link"]["status"], "verified");
    assert_eq!(body["link"]["yes_side"], "away");
    for ticker in [UNMATCHED, AMBIGUOUS, "KXNOPE-1"] {
        let (status, body) = app.get(&format!("/api/v1/markets/{ticker}/game")).await;
        assert_eq!(status, 404, "{ticker}: {body}");
        assert_eq!(body["error"], "not_found");
    }
    app.bad("/api/v1/markets/a%20b/game", "ticker").await;
}

#[tokio::test]
async fn an_operator_pages_through_links_by_status_league_and_series() {
    let app = spawn_linked().await;

    let (status, body) = app.get("/api/v1/links?status=unmatched").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["items"][0]["ticker"], UNMATCHED);
    assert_eq!(body["items"][0]["reason"], "no valid split of XXXYYY");

    let (_, body) = app.get("/api/v1/links?league=basketball/nba").await;
    assert_eq!(body["items"][0]["ticker"], AMBIGUOUS);
    assert_eq!(body["items"][0]["evidence"]["candidates"][1], "2");
    let (_, body) = app.get("/api/v1/links?series=KXNFLSPREAD").await;
    assert_eq!(body["items"].as_array().map(Vec::len), Some(1));

    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (_, body) = app.get(&format!("/api/v1/links?limit=2{cursor}")).await;
        for item in body["items"].as_array().expect("items") {
            seen.push(item["ticker"].as_str().unwrap_or_default().to_owned());
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    let mut all = vec![HOME, AWAY, SPREAD, UNMATCHED, AMBIGUOUS];
    all.sort();
    assert_eq!(seen, all);

    app.bad("/api/v1/links?status=lost", "status").await;
    app.bad("/api/v1/links?series=a%20b", "series").await;
    app.bad("/api/v1/links?limit=501", "limit").await;
    app.bad("/api/v1/links?colour=red", "colour").await;
}
