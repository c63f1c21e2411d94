//! /api/v1/history/games, /odds and /elo (load-history's tables).

use crate::helpers::spawn;

/// Two NFL seasons' worth of history, one of the games linked to the seeded ESPN game.
async fn seed_history(pool: &sqlx::PgPool) {
    // language=PostgreSQL
    sqlx::raw_sql(
        r#"
        insert into historical_games (league, source, source_game_id, season, season_type, week,
                                      playoff, game_date, game_number, home_team_code, away_team_code,
                                      home_team_id, away_team_id, home_score, away_score,
                                      espn_event_id, raw, raw_md5)
        values ('football/nfl', 'nflverse', '2024_01_LA_DET', 2024, 'REG', 1, false, '2024-09-08', 1,
                'DET', 'LA', '8', '14', 26, 20, '401671789', '{}', 'a'),
               ('football/nfl', 'nflverse', '2025_01_DEN_LV', 2025, 'REG', 1, false, '2025-09-07', 1,
                'LV', 'DEN', '13', '7', 17, 30, '401772001', '{}', 'b'),
               ('football/nfl', 'nflverse', '2025_17_DEN_KC', 2025, 'REG', 17, false, '2025-12-25', 1,
                'KC', 'DEN', '12', '7', null, null, null, '{}', 'c'),
               ('basketball/nba', 'espn_schedule', '401584689', 2024, '2', null, false, '2023-10-24', 1,
                'PHX', 'GS', '21', '9', 108, 104, '401584689', '{}', 'd');
        insert into historical_odds (historical_game_id, provider, market, side, phase, line, price,
                                     flagged, flag_reason, source)
        select id, 'nflverse', 'spread', 'home', 'close', 8.5, -108, false, null, 'nflverse'
          from historical_games where source_game_id = '2025_01_DEN_LV'
        union all
        select id, 'nflverse', 'spread', 'away', 'close', -8.5, -112, false, null, 'nflverse'
          from historical_games where source_game_id = '2025_01_DEN_LV'
        union all
        select id, 'nflverse', 'moneyline', 'home', 'close', null, 310, false, null, 'nflverse'
          from historical_games where source_game_id = '2025_01_DEN_LV'
        union all
        select id, 'nflverse', 'spread', 'home', 'close', -3.5, -112, true, 'contradiction', 'nflverse'
          from historical_games where source_game_id = '2024_01_LA_DET';
        insert into historical_elo (league, source, season, game_date, game_number, team_key, team_code,
                                    opponent_key, is_home, elo_pre, elo_post, win_probability, params)
        values ('football/nfl', 'fivethirtyeight', 2024, '2024-09-08', 1, '8', 'DET', '14', true, 1600.5, 1610.25, 0.62, null),
               ('football/nfl', 'computed', 2025, '2025-09-07', 1, '13', 'LV', '7', true, 1450.125, 1440, 0.41, '{"k": 20}'),
               ('football/nfl', 'computed', 2025, '2025-09-07', 1, '7', 'DEN', '13', false, 1520, 1530.125, 0.59, '{"k": 20}');
        "#,
    )
    .execute(pool)
    .await
    .expect("seed history");
}

#[tokio::test]
async fn history_games_page_by_date_and_filter_by_league_and_season() {
    let app = spawn().await;
    seed_history(&app.db.pool).await;
    let (status, body) = app.get("/api/v1/history/games?league=football/nfl").await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["source_game_id"], "2024_01_LA_DET", "oldest first");
    assert_eq!(items[0]["home_team_id"], "8");

    let (_, body) = app
        .get("/api/v1/history/games?league=football/nfl&season=2025")
        .await;
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0]["linked"], true,
        "401772001 is a seeded ESPN game: {body}"
    );
    assert_eq!(
        items[1]["home_score"],
        serde_json::Value::Null,
        "a future game"
    );

    let (_, first) = app.get("/api/v1/history/games?limit=2").await;
    let cursor = first["next_cursor"].as_str().expect("cursor");
    let (_, second) = app
        .get(&format!("/api/v1/history/games?limit=2&cursor={cursor}"))
        .await;
    let second = second["items"].as_array().expect("items");
    assert_eq!(second.len(), 2);
    assert_eq!(second[1]["source_game_id"], "2025_17_DEN_KC");
}

#[tokio::test]
async fn history_odds_and_elo_are_served_exactly() {
    let app = spawn().await;
    seed_history(&app.db.pool).await;
    let (status, body) = app
        .get("/api/v1/history/odds?league=football/nfl&season=2025&market=spread")
        .await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["line"], "8.5");
    assert_eq!(items[0]["side"], "home");
    assert_eq!(items[0]["price"], "-108");
    let (_, flagged) = app.get("/api/v1/history/odds?flagged=true").await;
    assert_eq!(flagged["items"].as_array().expect("items").len(), 1);

    let (status, body) = app
        .get("/api/v1/history/elo?league=football/nfl&source=computed&team=13")
        .await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["elo_pre"], "1450.125");
    assert_eq!(items[0]["params"]["k"], 20);
    let (_, by_season) = app.get("/api/v1/history/elo?season=2024").await;
    assert_eq!(by_season["items"][0]["source"], "fivethirtyeight");
}

#[tokio::test]
async fn bad_history_parameters_are_400s_naming_the_parameter() {
    let app = spawn().await;
    app.bad("/api/v1/history/games?league=curling", "league")
        .await;
    app.bad("/api/v1/history/games?season=20x4", "season").await;
    app.bad("/api/v1/history/games?season=1700", "season").await;
    app.bad("/api/v1/history/games?source=espn", "source").await;
    app.bad("/api/v1/history/games?limit=0", "limit").await;
    app.bad("/api/v1/history/games?sesaon=2024", "sesaon").await;
    app.bad("/api/v1/history/odds?market=props", "market").await;
    app.bad("/api/v1/history/odds?phase=mid", "phase").await;
    app.bad("/api/v1/history/odds?flagged=yes", "flagged").await;
    app.bad("/api/v1/history/elo?team=a%20b", "team").await;
    app.bad("/api/v1/history/elo?source=538", "source").await;
    let (_, games) = app.get("/api/v1/history/games?limit=1").await;
    let cursor = games["next_cursor"].as_str().unwrap_or("00");
    app.bad(&format!("/api/v1/history/elo?cursor={cursor}"), "cursor")
        .await;
}
