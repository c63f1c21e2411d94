use precog::runner::Report;
use serde_json::json;
use sha2::Digest;

use crate::helpers::{fixture, spawn_app};

/// The games table row collect-espn would have stored for the Rams at the Lions (ESPN: LAR, 14).
async fn seed_espn_game(app: &crate::helpers::TestApp) {
    sqlx::query(
        "insert into games (espn_event_id, league, season, home_team_id, home_team_abbreviation,
                            away_team_id, away_team_abbreviation)
         values ('401671789', 'football/nfl', 2024, '8', 'DET', '14', 'LAR')",
    )
    .execute(&app.db.pool)
    .await
    .expect("seed game");
}

#[tokio::test]
async fn nflverse_games_load_with_franchises_lines_and_links() {
    let app = spawn_app().await;
    seed_espn_game(&app).await;
    let summary = app.load("nflverse_games", "nflverse_games.csv", None).await;
    let d = &summary.details;
    let bytes = std::fs::read(fixture("nflverse_games.csv")).expect("fixture");
    assert_eq!(d["sha256"], hex::encode(sha2::Sha256::digest(&bytes)));
    assert_eq!(d["rows_read"], 11);
    assert_eq!(d["rows_rejected"], 1);
    assert_eq!(d["games_written"], 10);
    assert_eq!(d["games_with_espn_id"], 10);
    assert_eq!(d["games_linked"], 1);
    assert_eq!(d["spreads_flagged"], 1, "{d}");
    assert_eq!(d["unmapped_teams"], json!([]), "every NFL code maps: {d}");
    assert_eq!(summary.rows_rejected, 1);

    // 1999 OAK and 2025 LV: one franchise (ESPN 13).
    let oak = app
        .text("select away_team_id from historical_games where source_game_id = '1999_01_OAK_GB'")
        .await;
    let lv = app
        .text("select home_team_id from historical_games where source_game_id = '2025_01_DEN_LV'")
        .await;
    assert_eq!(oak.as_deref(), Some("13"));
    assert_eq!(oak, lv);
    // The Rams: nflverse LA, ESPN LAR, 2015 STL, all ESPN 14, the same id `games` has.
    let la = app
        .text("select h.away_team_id from historical_games h join games g on g.espn_event_id = h.espn_event_id
                where h.source_game_id = '2024_01_LA_DET' and g.away_team_id = h.away_team_id")
        .await;
    assert_eq!(la.as_deref(), Some("14"));
    let stl = app
        .text("select home_team_id from historical_games where source_game_id = '2015_01_SEA_STL'")
        .await;
    assert_eq!(stl.as_deref(), Some("14"));
    let sd = app
        .text("select away_team_id from historical_games where source_game_id = '2016_01_SD_KC'")
        .await;
    assert_eq!(sd.as_deref(), Some("24"));

    // Two games sharing an old_game_id are two rows.
    assert_eq!(
        app.count("select count(*) from historical_games where raw->>'old_game_id' = '1999091200'")
            .await,
        2
    );
    // 1999 has no kick-off time; 2024's 20:20 ET is 00:20Z the next day.
    assert_eq!(
        app.text("select scheduled_start::text from historical_games where source_game_id = '1999_01_OAK_GB'")
            .await,
        None
    );
    assert_eq!(
        app.text("select scheduled_start::text from historical_games where source_game_id = '2024_01_LA_DET'")
            .await
            .as_deref(),
        Some("2024-09-09 00:20:00+00")
    );
    // DEN@LV: spread_line -8.5 (DEN favoured) is LV's +8.5; DEN's -8.5.
    let line = |side: &str| {
        format!(
            "select o.line::text from historical_odds o join historical_games h on h.id = o.historical_game_id
              where h.source_game_id = '2025_01_DEN_LV' and o.market = 'spread' and o.side = '{side}'"
        )
    };
    assert_eq!(app.text(&line("home")).await.as_deref(), Some("8.5"));
    assert_eq!(app.text(&line("away")).await.as_deref(), Some("-8.5"));
    assert_eq!(
        app.count("select count(*) from historical_odds o join historical_games h on h.id = o.historical_game_id
                    where h.source_game_id = '2025_01_DEN_LV' and o.provider = 'nflverse' and o.phase = 'close'")
            .await,
        6,
        "moneyline, spread and total, both sides"
    );
    // The contradiction is flagged on both spread rows, nothing else is.
    assert_eq!(
        app.count("select count(*) from historical_odds o join historical_games h on h.id = o.historical_game_id
                    where o.flagged and h.source_game_id = '2025_02_NYJ_BUF' and o.market = 'spread'")
            .await,
        2
    );
    assert_eq!(
        app.count("select count(*) from historical_odds where flagged")
            .await,
        2
    );
    // The future game: stored, no scores.
    assert_eq!(
        app.count(
            "select count(*) from historical_games where source_game_id = '2025_17_DEN_KC'
                    and home_score is null and away_score is null"
        )
        .await,
        1
    );
    // The Super Bowl: neutral, a playoff game.
    assert_eq!(
        app.count("select count(*) from historical_games where source_game_id = '2024_22_KC_PHI' and neutral and playoff")
            .await,
        1
    );
    // The bad row is kept raw with a reason naming its column.
    let reason = app
        .text("select reason from rejected_records where source = 'nflverse.games' and natural_key = '2024_05_NYG_SEA'")
        .await
        .expect("rejected");
    assert!(reason.contains("`season`"), "{reason}");
    assert_eq!(
        app.text("select raw->>'season' from rejected_records where source = 'nflverse.games'")
            .await
            .as_deref(),
        Some("20x4")
    );
    // The training view sees the linked game's closing line.
    assert_eq!(
        app.text("select home_spread::text from historical_game_context where espn_event_id = '401671789'")
            .await
            .as_deref(),
        Some("-3.5")
    );
}

#[tokio::test]
async fn the_same_file_again_changes_nothing() {
    let app = spawn_app().await;
    let first = app.load("nflverse_games", "nflverse_games.csv", None).await;
    assert!(first.rows_written > 0);
    let xmins =
        "select string_agg(xmin::text || updated_at::text, ',' order by id) from historical_games";
    let before = app.text(xmins).await;
    let second = app.load("nflverse_games", "nflverse_games.csv", None).await;
    assert_eq!(second.rows_written, 0, "{}", second.details);
    assert_eq!(second.details["sha256"], first.details["sha256"]);
    assert_eq!(app.text(xmins).await, before, "no row rewritten");
    assert_eq!(app.count("select count(*) from historical_games").await, 10);
    assert_eq!(
        app.count(
            "select times_seen::bigint from rejected_records where source = 'nflverse.games'"
        )
        .await,
        2,
        "the reject is counted again, not duplicated"
    );
}

#[tokio::test]
async fn a_changed_file_updates_the_rows_it_changed() {
    let app = spawn_app().await;
    app.load("nflverse_games", "nflverse_games.csv", None).await;
    let changed = app
        .load("nflverse_games", "nflverse_games_changed.csv", None)
        .await;
    assert_eq!(changed.details["games_written"], 2, "{}", changed.details);
    assert_eq!(changed.details["odds_written"], 0);
    assert_ne!(changed.details["sha256"], json!(null));
    // The future game is now played.
    assert_eq!(
        app.text("select home_score || '-' || away_score from historical_games where source_game_id = '2025_17_DEN_KC'")
            .await
            .as_deref(),
        Some("27-20")
    );
    // The rescheduled game moved; it was not duplicated.
    assert_eq!(
        app.text("select string_agg(game_date::text, ',') from historical_games where espn_event_id = '401772900'")
            .await
            .as_deref(),
        Some("2025-11-17")
    );
    assert_eq!(app.count("select count(*) from historical_games").await, 10);
}

#[tokio::test]
async fn a_renamed_column_is_refused_before_anything_is_written() {
    let app = spawn_app().await;
    let report = app
        .run(json!({"source": "nflverse_games", "path": fixture("nflverse_games_renamed_column.csv")}))
        .await;
    let Report::Failed(summary) = report else {
        panic!("expected a failed run, got {report:?}");
    };
    let error = summary.error.expect("error");
    assert!(error.contains("`spread_line`"), "{error}");
    assert_eq!(summary.failure_kind.map(|k| k.as_str()), Some("bad_input"));
    assert_eq!(summary.rows_written, 0);
    assert_eq!(app.count("select count(*) from historical_games").await, 0);
    assert_eq!(app.count("select count(*) from rejected_records").await, 0);
    assert_eq!(
        app.text("select status from collection_runs where function = 'load-history'")
            .await
            .as_deref(),
        Some("failed")
    );
}

#[tokio::test]
async fn a_file_is_fetched_from_a_url() {
    let app = spawn_app().await;
    let body = std::fs::read(fixture("nflverse_games.csv")).expect("fixture");
    let router = axum::Router::new().route(
        "/nflverse/games.csv",
        axum::routing::get(move || {
            let body = body.clone();
            async move { body }
        }),
    );
    let addr = precog::testing::serve_loopback(router).await;
    let summary = app
        .run_ok(
            json!({"source": "nflverse_games", "url": format!("http://{addr}/nflverse/games.csv")}),
        )
        .await;
    assert_eq!(summary.details["games_written"], 10);
    let missing = app
        .run(json!({"source": "nflverse_games", "url": format!("http://{addr}/nope.csv")}))
        .await;
    let Report::Failed(failed) = missing else {
        panic!("expected a failed run, got {missing:?}");
    };
    assert!(failed.error.expect("error").contains("404"));
}
