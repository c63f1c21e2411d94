use crate::helpers::spawn_app;

#[tokio::test]
async fn an_mlb_doubleheader_is_two_games_numbered_in_file_order() {
    let app = spawn_app().await;
    let summary = app.load("fivethirtyeight_elo", "mlb_elo.csv", None).await;
    assert_eq!(summary.details["league"], "baseball/mlb");
    assert_eq!(summary.details["games_written"], 3, "{}", summary.details);
    assert_eq!(summary.details["elo_written"], 6);
    assert_eq!(
        app.text("select string_agg(game_number::text || ':' || home_score || '-' || away_score, ',' order by game_number)
                    from historical_games where game_date = '2019-07-04'")
            .await
            .as_deref(),
        Some("1:5-3,2:1-6")
    );
    // The Mets are ESPN 21 (538 spells them like ESPN); 538's SFG is ESPN's SF (26).
    assert_eq!(
        app.text(
            "select string_agg(elo_pre::text, ',' order by game_number) from historical_elo
                   where team_key = '21' and game_date = '2019-07-04'"
        )
        .await
        .as_deref(),
        Some("1501.12,1503.3")
    );
    assert_eq!(
        app.count("select count(*) from historical_elo where team_key = '26' and team_code = 'SFG' and elo_post is null")
            .await,
        1,
        "the unplayed game has a pre-game rating and no post"
    );
    let again = app.load("fivethirtyeight_elo", "mlb_elo.csv", None).await;
    assert_eq!(again.rows_written, 0);
}

#[tokio::test]
async fn a_per_team_twice_file_is_one_game_per_pair_of_rows() {
    let app = spawn_app().await;
    let summary = app
        .load(
            "fivethirtyeight_elo",
            "nba_elo_per_team.csv",
            Some("basketball/nba"),
        )
        .await;
    assert_eq!(summary.details["games_in_file"], 2, "{}", summary.details);
    assert_eq!(summary.details["elo_written"], 4);
    // GSW at home against LAL, whichever row said it.
    assert_eq!(
        app.text(
            "select home_team_code || '@' || home_team_id || ' ' || home_score || '-' || away_score
                    from historical_games where game_date = '2022-10-18'"
        )
        .await
        .as_deref(),
        Some("GSW@9 123-109")
    );
    // 538's PHO is ESPN's PHX (21).
    assert_eq!(
        app.text("select elo_post::text from historical_elo where team_key = '21' and is_home")
            .await
            .as_deref(),
        Some("1642.5")
    );
    assert_eq!(app.count("select count(*) from historical_games where home_team_id is null or away_team_id is null").await, 0);
}

#[tokio::test]
async fn the_published_nfl_file_loads_with_franchise_ids() {
    let app = spawn_app().await;
    let summary = app
        .load(
            "fivethirtyeight_elo",
            "fivethirtyeight_nfl_2016_2017.csv",
            Some("football/nfl"),
        )
        .await;
    assert_eq!(summary.details["games_written"], 534, "{}", summary.details);
    assert_eq!(
        summary.details["unmapped_teams"],
        serde_json::json!([]),
        "{}",
        summary.details
    );
    // WSH, LAR and OAK resolve; the elo values are exactly as published.
    assert_eq!(
        app.text("select elo_pre::text from historical_elo where team_key = '28' and game_date = '2017-09-10'")
            .await
            .as_deref(),
        Some("1504.457904")
    );
    assert_eq!(
        app.count(
            "select count(*) from historical_elo where team_key = '14' and team_code = 'LAR'"
        )
        .await,
        app.count("select count(*) from historical_elo where team_code = 'LAR'")
            .await
    );
}
