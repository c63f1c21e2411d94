use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Int32Array, RecordBatch, StringArray};
use parquet::arrow::ArrowWriter;
use precog::runner::Report;
use serde_json::json;

use crate::helpers::spawn_app;

/// A sportsdataverse-shaped NBA schedule: a played game, a game not yet played (ESPN's 0-0),
/// and a game the Suns (ESPN PHX, 21) play at home.
fn schedule(path: &std::path::Path, drop: Option<&str>) {
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "id",
            Arc::new(StringArray::from(vec![
                "401584689",
                "401584690",
                "401584700",
            ])),
        ),
        (
            "game_id",
            Arc::new(StringArray::from(vec![
                "401584689",
                "401584690",
                "401584700",
            ])),
        ),
        ("season", Arc::new(Int32Array::from(vec![2024, 2024, 2024]))),
        ("season_type", Arc::new(Int32Array::from(vec![2, 2, 3]))),
        (
            "date",
            Arc::new(StringArray::from(vec![
                "2023-10-24T23:30Z",
                "2023-10-25T02:00Z",
                "2024-04-20T17:00Z",
            ])),
        ),
        (
            "neutral_site",
            Arc::new(BooleanArray::from(vec![false, false, false])),
        ),
        (
            "status_type_completed",
            Arc::new(BooleanArray::from(vec![true, false, true])),
        ),
        (
            "home_id",
            Arc::new(StringArray::from(vec!["21", "13", "21"])),
        ),
        (
            "home_abbreviation",
            Arc::new(StringArray::from(vec!["PHX", "LAL", "PHX"])),
        ),
        (
            "home_score",
            Arc::new(Int32Array::from(vec![Some(108), Some(0), Some(95)])),
        ),
        ("away_id", Arc::new(StringArray::from(vec!["9", "7", "16"]))),
        (
            "away_abbreviation",
            Arc::new(StringArray::from(vec!["GS", "DEN", "MIN"])),
        ),
        (
            "away_score",
            Arc::new(Int32Array::from(vec![Some(104), Some(0), Some(120)])),
        ),
    ];
    let columns: Vec<(&str, ArrayRef)> = columns
        .into_iter()
        .filter(|(name, _)| Some(*name) != drop)
        .collect();
    let batch = RecordBatch::try_from_iter(columns).expect("batch");
    let file = std::fs::File::create(path).expect("create");
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
}

#[tokio::test]
async fn an_espn_schedule_loads_with_espn_ids_and_no_scores_before_the_game() {
    let app = spawn_app().await;
    let dir = std::env::temp_dir().join(format!("load-history-{}", uuid_like()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("nba_schedule_2024.parquet");
    schedule(&path, None);
    let summary = app
        .run_ok(json!({"source": "espn_schedule", "path": path, "league": "basketball/nba"}))
        .await;
    assert_eq!(summary.details["games_written"], 3, "{}", summary.details);
    assert_eq!(summary.details["games_with_espn_id"], 3);
    assert_eq!(
        app.text(
            "select home_team_id || ' ' || home_score || '-' || away_score || ' ' || game_date
                    from historical_games where espn_event_id = '401584689'"
        )
        .await
        .as_deref(),
        Some("21 108-104 2023-10-24")
    );
    // Not completed: ESPN's 0-0 is not a result. 02:00Z is the previous Eastern day.
    assert_eq!(
        app.text(
            "select game_date::text from historical_games where espn_event_id = '401584690'
                   and home_score is null and away_score is null"
        )
        .await
        .as_deref(),
        Some("2023-10-24")
    );
    assert_eq!(
        app.count("select count(*) from historical_games where playoff")
            .await,
        1
    );

    // A schedule without `home_score` is refused, naming it.
    let bad = dir.join("nba_schedule_bad.parquet");
    schedule(&bad, Some("home_score"));
    let report = app
        .run(json!({"source": "espn_schedule", "path": bad, "league": "basketball/nba"}))
        .await;
    let Report::Failed(failed) = report else {
        panic!("expected a failure, got {report:?}");
    };
    assert!(failed.error.expect("error").contains("`home_score`"));
    std::fs::remove_dir_all(&dir).ok();
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    )
}
