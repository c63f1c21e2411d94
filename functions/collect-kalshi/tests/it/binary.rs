//! The built binary: exit codes, refusals before any write, `--migrate`.

use std::process::Command;

use precog::testing::{empty_db, test_db};

use precog::testing::fake_kalshi::{market_json, FakeKalshi};

fn collect_kalshi(database_url: &str, kalshi: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_collect-kalshi"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("KALSHI_API_BASE", kalshi)
        .env("PRECOG_ENV", "production")
        .env_remove("PRECOG_EVENT")
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .expect("running collect-kalshi")
}

#[tokio::test]
async fn bad_events_and_bad_configuration_exit_2_naming_the_field_and_write_nothing() {
    let db = test_db().await;
    let cases: [(&str, Vec<&str>, &str); 4] = [
        (
            "a misspelt field",
            vec!["--event", r#"{"intreval_seconds": 10}"#],
            "intreval_seconds",
        ),
        (
            "a value out of range",
            vec!["--event", r#"{"interval_seconds": 0}"#],
            "interval_seconds",
        ),
        ("not JSON", vec!["--event", "{series:"], "not JSON"),
        (
            "series and tickers together",
            vec!["--event", r#"{"series":["A"],"tickers":["B"]}"#],
            "tickers",
        ),
    ];
    for (description, args, named) in cases {
        let output = collect_kalshi(&db.url_string(), "http://127.0.0.1:9/trade-api/v2", &args);
        assert_eq!(output.status.code(), Some(2), "{description}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(named), "{description}: {stderr}");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_collect-kalshi"))
        .env("DATABASE_URL", db.url_string())
        .env("KALSHI_REQUESTS_PER_SECOND", "fast")
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .expect("running collect-kalshi");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("KALSHI_REQUESTS_PER_SECOND"));

    let runs: i64 = sqlx::query_scalar("select count(*) from collection_runs")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(runs, 0, "nothing written");
}

#[tokio::test]
async fn a_successful_run_prints_one_json_summary_and_exits_0_and_a_failed_one_exits_1() {
    let db = test_db().await;
    let kalshi = FakeKalshi::start().await;
    kalshi.add_markets(vec![market_json("KXA-26-X", "KXA-26", "0.5000", "0.5100")]);

    let output = tokio::task::spawn_blocking({
        let (url, base) = (db.url_string(), kalshi.base_url.clone());
        move || collect_kalshi(&url, &base, &["--event", "{}", "--trigger", "schedule"])
    })
    .await
    .expect("join");
    let summary = precog::testing::exit_summary(&output, 0);
    assert_eq!(summary["status"], "ok");
    assert_eq!(summary["trigger"], "schedule");
    assert_eq!(
        summary["rows_written"], 4,
        "series, event, market, snapshot: {summary}"
    );

    let output = collect_kalshi(
        &db.url_string(),
        "http://127.0.0.1:9/trade-api/v2",
        &["--event", "{}"],
    );
    let summary = precog::testing::exit_summary(&output, 1);
    assert_eq!(summary["status"], "failed");
}

#[tokio::test]
async fn migrate_applies_every_migration_once_and_is_idempotent() {
    let db = empty_db().await;
    let first = collect_kalshi(&db.url_string(), "http://127.0.0.1:9", &["--migrate"]);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let applied: serde_json::Value = serde_json::from_slice(&first.stdout).expect("json");
    assert!(
        applied["migrations_applied"].as_u64().unwrap_or(0) >= 1,
        "{applied}"
    );

    let second = collect_kalshi(&db.url_string(), "http://127.0.0.1:9", &["--migrate"]);
    assert_eq!(second.status.code(), Some(0));
    let applied: serde_json::Value = serde_json::from_slice(&second.stdout).expect("json");
    assert_eq!(applied["migrations_applied"], 0);
    let tables: i64 = sqlx::query_scalar("select count(*) from information_schema.tables where table_name in ('markets', 'market_snapshots', 'collection_runs', 'trades', 'positions')")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(tables, 5);
}
