//! One pass over the shapes ESPN serves: what lands in `games` and `game_states`.

use rust_decimal::Decimal;
use serde_json::json;
use sqlx::Row;

use crate::helpers::spawn_app;
use precog::testing::fake_espn::{
    away_first, event, final_, halftime, live, postponed, scheduled, side, situation,
    situation_between_plays, Side, CLE, GB,
};

const NFL: &str = "football/nfl";

/// One pass only: the budget leaves no room for a second even with live games.
fn one_pass(leagues: &[&str]) -> serde_json::Value {
    json!({"leagues": leagues, "date": "20261122", "max_seconds": 2, "live_interval_seconds": 1})
}

fn nfl_sunday() -> Vec<serde_json::Value> {
    vec![
        // Live with a full situation and win probability, clock as an integer.
        event(
            "401700001",
            live(json!(617), "10:17", 3),
            CLE,
            GB,
            Some(situation("9", 2, 3, 38, 0.3871)),
        ),
        // Halftime, clock as a float, no possession: listed away first.
        away_first(event(
            "401700002",
            halftime(),
            side("24", "LAC", "17"),
            side("7", "DEN", "14"),
            Some(situation_between_plays()),
        )),
        event(
            "401700003",
            final_(false),
            side("12", "KC", "27"),
            side("13", "LV", "20"),
            None,
        ),
        event(
            "401700004",
            final_(true),
            side("2", "BUF", "30"),
            side("15", "MIA", "24"),
            None,
        ),
        event(
            "401700005",
            postponed(),
            side("16", "MIN", "0"),
            side("3", "CHI", "0"),
            None,
        ),
        event(
            "401700006",
            scheduled(),
            side("21", "PHI", "0"),
            Side {
                score: None,
                ..side("28", "WSH", "")
            },
            None,
        ),
    ]
}

#[tokio::test]
async fn a_pass_stores_each_game_and_its_state_reading_sides_by_home_away() {
    let app = spawn_app().await;
    app.espn.set_events(NFL, nfl_sunday());

    let summary = app.run_ok(one_pass(&[NFL])).await;
    assert_eq!(summary.details["passes"], 1, "{summary:?}");
    assert_eq!(
        summary.rows_written, 12,
        "six games and six states: {summary:?}"
    );
    assert_eq!(summary.details["live_games"], 2, "live and halftime");

    let request = &app.espn.requests()[0];
    assert_eq!(request.path, "football/nfl/scoreboard");
    assert_eq!(
        request.query.get("dates").map(String::as_str),
        Some("20261122")
    );
    assert_eq!(request.query.get("limit").map(String::as_str), Some("300"));
    assert!(
        request.user_agent.starts_with("curl/"),
        "{}",
        request.user_agent
    );

    let row = sqlx::query("select g.*, s.* from games g join game_states s on s.espn_event_id = g.espn_event_id and s.observed_at = g.last_state_at where g.espn_event_id = '401700001'")
        .fetch_one(&app.db.pool).await.expect("live game");
    assert_eq!(row.get::<String, _>("home_team_abbreviation"), "CLE");
    assert_eq!(row.get::<String, _>("away_team_name"), "Green Bay Packers");
    assert_eq!(row.get::<i32, _>("home_score"), 10);
    assert_eq!(row.get::<i32, _>("away_score"), 13);
    assert_eq!(row.get::<Decimal, _>("clock_seconds"), Decimal::from(617));
    assert_eq!(
        row.get::<Option<String>, _>("possession_team_id")
            .as_deref(),
        Some("9")
    );
    assert_eq!(row.get::<Option<i32>, _>("down"), Some(2));
    assert_eq!(row.get::<Option<i32>, _>("yard_line"), Some(38));
    assert_eq!(row.get::<Option<bool>, _>("is_red_zone"), Some(false));
    assert_eq!(row.get::<Option<i32>, _>("away_timeouts"), Some(2));
    assert_eq!(
        row.get::<Option<Decimal>, _>("home_win_probability"),
        Some("0.3871".parse().expect("decimal"))
    );
    assert_eq!(
        row.get::<Option<String>, _>("win_probability_source")
            .as_deref(),
        Some("scoreboard")
    );
    assert_eq!(row.get::<i32, _>("season"), 2026);
    assert_eq!(row.get::<i32, _>("week"), 12);
    assert_eq!(
        row.get::<Option<String>, _>("status_detail").as_deref(),
        Some("10:17 - 3rd Quarter")
    );
    assert!(
        row.get::<serde_json::Value, _>("raw")["situation"].is_object(),
        "raw competition kept"
    );

    // Away listed first: the sides still come from homeAway.
    let row = sqlx::query("select g.home_team_abbreviation, s.home_score, s.away_score, s.clock_seconds, s.possession_team_id, s.down, s.status_name, s.status_state from games g join game_states s using (espn_event_id) where espn_event_id = '401700002'")
        .fetch_one(&app.db.pool).await.expect("halftime game");
    assert_eq!(row.get::<String, _>("home_team_abbreviation"), "LAC");
    assert_eq!(
        (
            row.get::<i32, _>("home_score"),
            row.get::<i32, _>("away_score")
        ),
        (17, 14)
    );
    assert_eq!(row.get::<Decimal, _>("clock_seconds"), Decimal::ZERO);
    assert_eq!(
        row.get::<Option<String>, _>("possession_team_id"),
        None,
        "missing possession"
    );
    assert_eq!(
        row.get::<Option<i32>, _>("down"),
        None,
        "down -1 is no down"
    );
    assert_eq!(row.get::<String, _>("status_name"), "STATUS_HALFTIME");
    assert_eq!(row.get::<String, _>("status_state"), "in");

    // Final only when completed: postponed games are post, 0–0, and not final.
    let finals = app
        .count("select count(*) from games where completed")
        .await;
    assert_eq!(finals, 2);
    let row = sqlx::query("select g.completed, g.status_state, s.home_score, s.away_score from games g join game_states s using (espn_event_id) where espn_event_id = '401700005'")
        .fetch_one(&app.db.pool).await.expect("postponed");
    assert!(!row.get::<bool, _>("completed"));
    assert_eq!(row.get::<String, _>("status_state"), "post");
    assert_eq!(
        (
            row.get::<i32, _>("home_score"),
            row.get::<i32, _>("away_score")
        ),
        (0, 0)
    );
    let ot = app.count("select count(*) from game_states where espn_event_id = '401700004' and period = 5 and status_detail = 'Final/OT' and completed").await;
    assert_eq!(ot, 1, "overtime final");
    let no_score = app.count("select count(*) from game_states where espn_event_id = '401700006' and away_score is null and home_score = 0").await;
    assert_eq!(no_score, 1, "an absent score is null, not zero");
}

#[tokio::test]
async fn a_rerun_over_unchanged_games_adds_nothing_and_a_change_adds_one_state() {
    let app = spawn_app().await;
    app.espn.set_events(NFL, nfl_sunday());
    app.run_ok(one_pass(&[NFL])).await;
    let states = app.count("select count(*) from game_states").await;

    let again = app.run_ok(one_pass(&[NFL])).await;
    assert_eq!(again.rows_written, 0, "{again:?}");
    assert_eq!(app.count("select count(*) from game_states").await, states);

    // The live game moves on; the postponed one gets a new date (a fact of the game).
    let mut slate = nfl_sunday();
    slate[0] = event(
        "401700001",
        live(json!(590.5), "9:50", 3),
        CLE,
        GB,
        Some(situation("9", 3, 8, 33, 0.41)),
    );
    slate[4]["competitions"][0]["date"] = json!("2026-11-24T00:15Z");
    app.espn.set_events(NFL, slate);
    let changed = app.run_ok(one_pass(&[NFL])).await;
    assert_eq!(changed.details["states_written"], 1, "{changed:?}");
    assert_eq!(changed.details["games_written"], 1, "the rescheduled game");
    assert_eq!(
        app.count("select count(*) from game_states").await,
        states + 1
    );
    let latest = app.count("select count(*) from games g join game_states s on s.espn_event_id = g.espn_event_id and s.observed_at = g.last_state_at where g.espn_event_id = '401700001' and s.clock_seconds = 590.5 and s.down = 3").await;
    assert_eq!(latest, 1, "last_state_at points at the newest state");
    let moved = app.count("select count(*) from games where espn_event_id = '401700005' and scheduled_start = '2026-11-24T00:15:00Z'").await;
    assert_eq!(moved, 1);
}

#[tokio::test]
async fn a_malformed_competition_is_kept_aside_raw_and_the_pass_goes_on() {
    let app = spawn_app().await;
    let mut broken = event("401700009", final_(false), CLE, GB, None);
    broken["competitions"][0]["competitors"][0]["homeAway"] = json!("away");
    let unknown_status = event(
        "401700010",
        json!({"clock": 0, "displayClock": "0:00", "period": 2,
               "type": {"id": "77", "name": "STATUS_WEATHER_HOLD", "state": "in", "completed": false}}),
        side("1", "ATL", "7"),
        side("4", "CIN", "3"),
        None,
    );
    app.espn.set_events(
        NFL,
        vec![
            broken,
            unknown_status,
            event(
                "401700003",
                final_(false),
                side("12", "KC", "27"),
                side("13", "LV", "20"),
                None,
            ),
        ],
    );

    let summary = app.run_ok(one_pass(&[NFL])).await;
    assert_eq!(summary.rows_rejected, 1, "{summary:?}");
    assert_eq!(
        app.count("select count(*) from games").await,
        2,
        "the others are stored"
    );
    let row =
        sqlx::query("select source, natural_key, reason, raw, times_seen from rejected_records")
            .fetch_one(&app.db.pool)
            .await
            .expect("rejected");
    assert_eq!(row.get::<String, _>("source"), "espn.competition");
    assert_eq!(
        row.get::<Option<String>, _>("natural_key").as_deref(),
        Some("401700009")
    );
    assert!(
        row.get::<String, _>("reason").contains("home"),
        "{}",
        row.get::<String, _>("reason")
    );
    assert_eq!(row.get::<serde_json::Value, _>("raw")["id"], "401700009");
    let odd = app
        .count("select count(*) from game_states where status_name = 'STATUS_WEATHER_HOLD'")
        .await;
    assert_eq!(odd, 1, "an unknown status is stored as given");

    app.run_ok(one_pass(&[NFL])).await;
    let seen = app
        .count("select times_seen::bigint from rejected_records")
        .await;
    assert_eq!(seen, 2, "seen again, not added again");
}

#[tokio::test]
async fn every_league_gets_one_scoreboard_call_for_an_explicit_day_and_college_asks_for_its_division(
) {
    let app = spawn_app().await;
    let summary = app.run_ok(json!({"date": "20261121"})).await;
    assert_eq!(summary.details["scoreboards"], 7, "{summary:?}");
    let requests = app.espn.requests();
    assert_eq!(requests.len(), 7);
    for request in &requests {
        assert_eq!(
            request.query.get("dates").map(String::as_str),
            Some("20261121"),
            "{request:?}"
        );
        assert!(request.query.contains_key("limit"), "{request:?}");
    }
    let groups = |path: &str| {
        requests
            .iter()
            .find(|r| r.path == path)
            .and_then(|r| r.query.get("groups").cloned())
    };
    assert_eq!(
        groups("football/college-football/scoreboard").as_deref(),
        Some("80")
    );
    assert_eq!(
        groups("basketball/mens-college-basketball/scoreboard").as_deref(),
        Some("50")
    );
    assert_eq!(groups("football/nfl/scoreboard"), None);
}

#[tokio::test]
async fn the_summary_series_fills_in_win_probability_for_live_nba_games_by_default() {
    let app = spawn_app().await;
    app.espn.set_events(
        "basketball/nba",
        vec![event(
            "401800001",
            live(json!(301.4), "5:01", 3),
            side("13", "LAL", "80"),
            side("2", "BOS", "78"),
            None,
        )],
    );
    app.espn.set_summary(
        "401800001",
        json!({"winprobability": [
        {"homeWinPercentage": 0.52, "tiePercentage": 0.0, "playId": "4018000011"},
        {"homeWinPercentage": 0.61, "tiePercentage": 0.0, "playId": "4018000012"}]}),
    );
    let summary = app.run_ok(one_pass(&["basketball/nba"])).await;
    assert_eq!(summary.details["summaries"], 1, "{summary:?}");
    let row = sqlx::query("select home_win_probability, away_win_probability, win_probability_source from game_states")
        .fetch_one(&app.db.pool).await.expect("state");
    assert_eq!(
        row.get::<Decimal, _>("home_win_probability"),
        "0.61".parse::<Decimal>().expect("d")
    );
    assert_eq!(
        row.get::<Decimal, _>("away_win_probability"),
        "0.39".parse::<Decimal>().expect("d")
    );
    assert_eq!(row.get::<String, _>("win_probability_source"), "summary");
}

#[tokio::test]
async fn churn_in_the_raw_payload_alone_stores_no_new_state() {
    let app = spawn_app().await;
    app.espn.set_events(NFL, nfl_sunday());
    app.run_ok(one_pass(&[NFL])).await;
    let states = app.count("select count(*) from game_states").await;

    // Odds and leaders move in the served JSON while the game itself stands still.
    let mut slate = nfl_sunday();
    slate[0]["competitions"][0]["odds"] = json!([{"details": "CLE -3.5", "overUnder": 41.5}]);
    app.espn.set_events(NFL, slate);
    let churned = app.run_ok(one_pass(&[NFL])).await;
    assert_eq!(churned.details["states_written"], 0, "{churned:?}");
    assert_eq!(app.count("select count(*) from game_states").await, states);
}
