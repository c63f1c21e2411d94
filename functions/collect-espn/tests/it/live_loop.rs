//! The tighter loop: passes repeat while a requested game is live, and stop at the deadline.

use serde_json::json;

use crate::fake_espn::{event, final_, halftime, live, side, situation, CLE, GB};
use crate::helpers::spawn_app;

const NFL: &str = "football/nfl";

#[tokio::test]
async fn while_a_game_is_live_the_pass_repeats_until_it_ends() {
    let app = spawn_app().await;
    let game = |status, situation| event("401700001", status, CLE, GB, situation);
    app.espn.set_sequence(
        NFL,
        vec![
            vec![game(
                live(json!(617), "10:17", 3),
                Some(situation("9", 1, 10, 45, 0.40)),
            )],
            vec![game(
                live(json!(590), "9:50", 3),
                Some(situation("9", 2, 3, 38, 0.44)),
            )],
            vec![game(halftime(), None)],
            vec![game(final_(false), None)],
        ],
    );
    let summary = app
        .run_ok(json!({"leagues": [NFL], "live_interval_seconds": 1, "max_seconds": 60}))
        .await;
    assert_eq!(
        summary.details["passes"], 4,
        "three live passes and the final: {summary:?}"
    );
    assert_eq!(summary.details["live_games"], 0);
    assert_eq!(app.count("select count(*) from game_states").await, 4);
    assert_eq!(app.espn.requests().len(), 4);
}

#[tokio::test]
async fn with_nothing_live_exactly_one_pass_runs() {
    let app = spawn_app().await;
    app.espn.set_events(
        NFL,
        vec![event(
            "401700003",
            final_(false),
            side("12", "KC", "27"),
            side("13", "LV", "20"),
            None,
        )],
    );
    let summary = app
        .run_ok(json!({"leagues": [NFL], "live_interval_seconds": 1, "max_seconds": 60}))
        .await;
    assert_eq!(summary.details["passes"], 1, "{summary:?}");
    assert_eq!(app.espn.requests().len(), 1);
}

#[tokio::test]
async fn a_game_that_stays_live_is_followed_until_the_deadline_and_the_run_ends_cleanly() {
    let app = spawn_app().await;
    app.espn
        .set_events(NFL, vec![event("401700001", halftime(), CLE, GB, None)]);
    let summary = app
        .run_ok(json!({"leagues": [NFL], "live_interval_seconds": 1, "max_seconds": 4}))
        .await;
    let passes = summary.details["passes"].as_u64().unwrap_or(0);
    assert!(
        (2..=3).contains(&passes),
        "a pass a second until the 3 s deadline: {summary:?}"
    );
    assert_eq!(summary.status.as_str(), "ok");
    assert_eq!(
        app.count("select count(*) from game_states").await,
        1,
        "halftime does not change"
    );
}

#[tokio::test]
async fn a_late_game_still_live_from_yesterdays_eastern_slate_keeps_yesterdays_scoreboard_polled() {
    let app = spawn_app().await;
    let today = precog::domain::eastern_date(chrono::Utc::now());
    let late_tip = precog::domain::eastern_day_start(today) - chrono::Duration::hours(1);
    sqlx::query("insert into games (espn_event_id, league, scheduled_start, status_state) values ('401800009', 'basketball/nba', $1, 'in')")
        .bind(late_tip)
        .execute(&app.db.pool)
        .await
        .expect("a live game from last night");
    app.espn.set_events(
        "basketball/nba",
        vec![event(
            "401800009",
            final_(false),
            side("13", "LAL", "101"),
            side("2", "BOS", "99"),
            None,
        )],
    );

    let summary = app.run_ok(json!({"leagues": ["basketball/nba"]})).await;
    assert_eq!(summary.details["scoreboards"], 2, "{summary:?}");
    let days: Vec<chrono::NaiveDate> = app
        .espn
        .requests()
        .iter()
        .map(|r| {
            chrono::NaiveDate::parse_from_str(&r.query["dates"], "%Y%m%d").expect("a YYYYMMDD day")
        })
        .collect();
    assert_eq!(days.len(), 2);
    assert_eq!(
        days[0].succ_opt(),
        Some(days[1]),
        "yesterday, then today: {days:?}"
    );
    assert_eq!(
        app.count("select count(*) from game_states").await,
        1,
        "the game once, though on both slates"
    );
    assert_eq!(
        app.count("select count(*) from games where completed")
            .await,
        1
    );
}
