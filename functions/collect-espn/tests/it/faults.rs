//! ESPN's failure modes: 403 throttling and 5xx (retried, bounded) and a refused User-Agent.

use precog::runner::Report;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with_user_agent};
use precog::testing::fake_espn::{event, final_, side};

const NFL: &str = "football/nfl";

#[tokio::test]
async fn throttling_403s_and_5xx_are_retried_and_the_pass_succeeds() {
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
    app.espn.fail_next(&[403, 503]);
    let summary = app
        .run_ok(json!({"leagues": [NFL], "date": "20261122"}))
        .await;
    assert_eq!(summary.rows_written, 2, "{summary:?}");
    assert_eq!(
        app.espn.requests().len(),
        3,
        "two refusals, then the answer"
    );
}

#[tokio::test]
async fn a_browser_user_agent_is_refused_every_time_and_the_run_fails_after_bounded_retries() {
    let app =
        spawn_app_with_user_agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/120.0")
            .await;
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
    let report = app.run(json!({"leagues": [NFL], "date": "20261122"})).await;
    let Report::Failed(summary) = report else {
        panic!("expected a failed run, got {report:?}");
    };
    let error = summary.error.unwrap_or_default();
    assert!(error.contains("403"), "{error}");
    assert_eq!(app.espn.requests().len(), 3, "max_attempts, then give up");
    assert_eq!(app.count("select count(*) from games").await, 0);
    let failed = app
        .count("select count(*) from collection_runs where status = 'failed'")
        .await;
    assert_eq!(failed, 1, "the ledger says so");
}

#[tokio::test]
async fn one_league_failing_does_not_lose_the_others() {
    let app = spawn_app().await;
    app.espn.set_events(
        "hockey/nhl",
        vec![event(
            "401900001",
            final_(true),
            side("1", "BOS", "3"),
            side("2", "TOR", "2"),
            None,
        )],
    );
    // The first league asked (NFL) burns through its three attempts; NHL then answers.
    app.espn.fail_next(&[500, 500, 500]);
    let summary = app
        .run_ok(json!({"leagues": [NFL, "hockey/nhl"], "date": "20261122"}))
        .await;
    assert_eq!(summary.details["scoreboard_failures"], 1, "{summary:?}");
    assert_eq!(
        app.count("select count(*) from games where league = 'hockey/nhl'")
            .await,
        1
    );
}
