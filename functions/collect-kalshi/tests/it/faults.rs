use std::time::Duration;

use precog::db::runs::RunStatus;
use precog::runner::Report;
use serde_json::json;

use crate::helpers::spawn_app;
use precog::testing::fake_kalshi::{market_json, Fault};

#[tokio::test]
async fn rate_limits_server_errors_and_slow_answers_are_retried_until_the_page_comes() {
    // Described cases: each fault, once, before an ordinary answer.
    let cases = [
        (
            "a 429 with Kalshi's body and no Retry-After",
            Fault::Status(429),
        ),
        ("a 500", Fault::Status(500)),
        ("a 503 during maintenance", Fault::Status(503)),
        (
            "an answer slower than the client's timeout",
            Fault::Delay(Duration::from_millis(800)),
        ),
    ];
    for (description, fault) in cases {
        let app = spawn_app().await;
        app.kalshi
            .add_markets(vec![market_json("KXA-26-X", "KXA-26", "0.5000", "0.5100")]);
        app.kalshi.fail_next("/markets", vec![fault]);

        let summary = app.run_ok(json!({})).await;

        assert_eq!(summary.status, RunStatus::Ok, "{description}: {summary:?}");
        assert_eq!(
            app.count("select count(*) from market_snapshots").await,
            1,
            "{description}"
        );
        assert_eq!(
            app.kalshi.requests_to("/trade-api/v2/markets").len(),
            2,
            "{description}: retried once"
        );
    }
}

#[tokio::test]
async fn a_page_that_never_succeeds_fails_the_run_keeping_earlier_pages_whole() {
    let app = spawn_app().await;
    app.kalshi.set_page_size(2);
    app.kalshi.add_markets(
        (0..5)
            .map(|i| market_json(&format!("KXA-26-M{i}"), "KXA-26", "0.5000", "0.5100"))
            .collect(),
    );
    app.kalshi.break_page("off-2");

    let report = app.run(json!({})).await;

    let Report::Failed(summary) = report else {
        panic!("expected failure, got {report:?}")
    };
    let error = summary.error.clone().unwrap_or_default();
    assert!(
        error.contains("after 1 pages") && error.contains("500"),
        "{error}"
    );
    // The first page was committed whole; nothing of the failed page or after it.
    assert_eq!(app.count("select count(*) from market_snapshots").await, 2);
    // Two markets and their snapshots, plus the event and series they brought.
    assert_eq!(summary.rows_written, 6);
    let ledger = app
        .text("select status || ': ' || error from collection_runs")
        .await
        .unwrap_or_default();
    assert!(
        ledger.starts_with("failed: fetching markets") && ledger.contains("gave up"),
        "{ledger}"
    );
    assert_eq!(
        app.count("select rows_written from collection_runs").await,
        6
    );
}

#[tokio::test]
async fn a_repeating_cursor_stops_the_pass_instead_of_looping() {
    let app = spawn_app().await;
    app.kalshi.set_page_size(1);
    app.kalshi.add_markets(vec![
        market_json("KXA-26-X", "KXA-26", "0.5000", "0.5100"),
        market_json("KXA-26-Y", "KXA-26", "0.5000", "0.5100"),
    ]);
    app.kalshi.repeat_cursors();

    let report = app.run(json!({})).await;

    let Report::Failed(summary) = report else {
        panic!("expected failure, got {report:?}")
    };
    assert!(summary
        .error
        .unwrap_or_default()
        .contains("cursor `off-0` twice"));
    assert!(app.kalshi.requests_to("/trade-api/v2/markets").len() <= 3);
}

#[tokio::test]
async fn an_unreachable_kalshi_is_reported_with_its_cause_as_an_upstream_failure() {
    let db = precog::testing::test_db().await;
    let base = format!(
        "http://127.0.0.1:{}/trade-api/v2",
        precog::testing::closed_port()
    );
    let client = precog::testing::fake_kalshi::settings(&base)
        .client()
        .expect("client");
    let function = collect_kalshi::CollectKalshi::new(db.pool.clone(), client);

    let report = precog::runner::invoke(
        &function,
        &db.pool,
        json!({}),
        precog::runner::Trigger::Manual,
        None,
    )
    .await;

    let Report::Failed(summary) = report else {
        panic!("expected failure, got {report:?}")
    };
    let error = summary.error.clone().unwrap_or_default();
    // The socket's own words, not just "error sending request".
    assert!(error.contains("Connection refused"), "{error}");
    assert_eq!(
        summary.failure_kind,
        Some(precog::failure::FailureKind::Upstream)
    );
    let summary_json = serde_json::to_value(&summary).expect("summary serialises");
    assert_eq!(summary_json["failure_kind"], "upstream");
    let (kind, stored): (Option<String>, Option<String>) =
        sqlx::query_as("select failure_kind, error from collection_runs")
            .fetch_one(&db.pool)
            .await
            .expect("ledger row");
    assert_eq!(kind.as_deref(), Some("upstream"));
    assert!(
        stored.unwrap_or_default().contains("Connection refused"),
        "the ledger keeps the cause too"
    );
}

#[tokio::test]
async fn a_query_that_no_longer_matches_the_schema_is_recorded_as_a_bug() {
    let app = spawn_app().await;
    app.kalshi
        .add_markets(vec![market_json("KXA-26-X", "KXA-26", "0.5000", "0.5100")]);
    sqlx::query("alter table market_snapshots rename to market_snapshots_elsewhere")
        .execute(&app.db.pool)
        .await
        .expect("rename");

    let Report::Failed(summary) = app.run(json!({})).await else {
        panic!("the pass cannot store its snapshots")
    };

    assert_eq!(
        summary.failure_kind,
        Some(precog::failure::FailureKind::Bug),
        "{:?}",
        summary.error
    );
    assert_eq!(
        app.text("select failure_kind from collection_runs")
            .await
            .as_deref(),
        Some("bug")
    );
}

#[tokio::test]
async fn an_unreachable_database_is_a_database_failure() {
    let kalshi = precog::testing::fake_kalshi::FakeKalshi::start().await;
    let client = precog::testing::fake_kalshi::settings(&kalshi.base_url)
        .client()
        .expect("client");
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/precog",
        precog::testing::closed_port()
    );
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(500))
        .connect_lazy(&url)
        .expect("lazy pool");
    let function = collect_kalshi::CollectKalshi::new(pool.clone(), client);

    let report = precog::runner::invoke(
        &function,
        &pool,
        json!({}),
        precog::runner::Trigger::Manual,
        None,
    )
    .await;

    let Report::Failed(summary) = report else {
        panic!("expected failure, got {report:?}")
    };
    assert_eq!(
        summary.failure_kind,
        Some(precog::failure::FailureKind::Database),
        "{:?}",
        summary.error
    );
}
