use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn computed_elo_matches_the_hand_computed_three_games() {
    let app = spawn_app().await;
    app.load("nflverse_games", "nflverse_three_games.csv", None)
        .await;
    let summary = app
        .run_ok(json!({"compute_elo": {"league": "football/nfl", "seasons": [2030]}}))
        .await;
    let d = &summary.details;
    assert_eq!(d["games_rated"], 3, "{d}");
    assert_eq!(d["teams_seeded"], 0);
    assert_eq!(d["elo_written"], 6);
    assert_eq!(d["params"]["k"], 20.0);
    // See elo.rs's three_games_match_the_hand_computation for the arithmetic. KC is ESPN 12,
    // BUF 2, SF 25.
    let post = |team: &str, date: &str| {
        format!(
            "select round(elo_post, 3)::text from historical_elo
              where source = 'computed' and team_key = '{team}' and game_date = '{date}'"
        )
    };
    assert_eq!(
        app.text(&post("12", "2030-09-08")).await.as_deref(),
        Some("1526.439")
    );
    assert_eq!(
        app.text(&post("2", "2030-09-08")).await.as_deref(),
        Some("1483.561")
    );
    assert_eq!(
        app.text(&post("25", "2030-09-15")).await.as_deref(),
        Some("1489.093")
    );
    assert_eq!(
        app.text(&post("12", "2030-09-15")).await.as_deref(),
        Some("1542.346")
    );
    assert_eq!(
        app.text(&post("2", "2030-09-22")).await.as_deref(),
        Some("1483.804")
    );
    assert_eq!(
        app.text(&post("25", "2030-09-22")).await.as_deref(),
        Some("1488.850")
    );
    assert_eq!(
        app.count(
            "select count(*) from historical_elo where source = 'computed' and is_home is null"
        )
        .await,
        2,
        "the neutral-site game has no home side"
    );
    assert_eq!(
        app.text("select params->>'mov' from historical_elo where source = 'computed' limit 1")
            .await
            .as_deref(),
        Some("nfl")
    );
    // Computing again rewrites nothing.
    let again = app
        .run_ok(json!({"compute_elo": {"league": "football/nfl", "seasons": [2030]}}))
        .await;
    assert_eq!(again.rows_written, 0, "{}", again.details);
}

/// FiveThirtyEight's published 2017 NFL ratings against ours, computed from its 2016 finals
/// with the documented parameters. The figure is in the README.
#[tokio::test]
async fn computed_elo_reproduces_fivethirtyeights_published_ratings() {
    let app = spawn_app().await;
    app.load(
        "fivethirtyeight_elo",
        "fivethirtyeight_nfl_2016_2017.csv",
        Some("football/nfl"),
    )
    .await;
    let summary = app
        .run_ok(json!({"compute_elo": {"league": "football/nfl", "seasons": [2017]}}))
        .await;
    let d = &summary.details;
    assert_eq!(d["teams_seeded"], 32, "{d}");
    assert_eq!(d["games_rated"], 267, "{d}");
    assert_eq!(d["compared_with_published"], 534, "{d}");
    let mae: f64 = d["mae_vs_published"]
        .as_str()
        .expect("mae")
        .parse()
        .expect("number");
    eprintln!("MAE of computed vs published 2017 NFL pre-game Elo: {mae}");
    assert!(mae < 1.0, "mean absolute difference {mae}");
    // Week 1 follows from the published 2016 finals exactly: NE 1778.592731 → 1687.395154.
    assert_eq!(
        app.text(
            "select round(elo_pre, 3)::text from historical_elo
                   where source = 'computed' and team_key = '17' and game_date = '2017-09-07'"
        )
        .await
        .as_deref(),
        Some("1687.395")
    );
}
