//! The built binary: refusals exit 2 before anything is written; once mode stores and plots.

use std::process::Command;

use precog::testing::test_db;

use crate::fixtures::{history, threshold_event};

fn backtest_run(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_backtest-run"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("PRECOG_ENV", "production")
        .env_remove("PRECOG_EVENT")
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .expect("running backtest-run")
}

#[tokio::test]
async fn bad_events_exit_2_naming_the_field_and_write_nothing() {
    let db = test_db().await;
    history(&db.pool).await;
    let cases = [
        (
            "an unknown strategy",
            r#"{"strategy":"moon","series":["S1"]}"#,
            "strategy",
        ),
        (
            "an unknown parameter",
            r#"{"strategy":"threshold_hold","series":["S1"],"params":{"side":"yes","max_entry_price":0.5,"stop":1}}"#,
            "params.stop",
        ),
        (
            "end before start",
            r#"{"strategy":"threshold_hold","series":["S1"],"params":{"side":"yes","max_entry_price":0.5},"start":"2026-11-02T00:00:00Z","end":"2026-11-01T00:00:00Z"}"#,
            "end",
        ),
        (
            "a sweep too large",
            r#"{"strategy":"threshold_hold","series":["S1"],"params":{"side":"yes","max_entry_price":[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9],"contracts":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30]}}"#,
            "270 combinations",
        ),
    ];
    for (description, event, named) in cases {
        let output = backtest_run(&db.url_string(), &["--event", event]);
        assert_eq!(output.status.code(), Some(2), "{description}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(named), "{description}: {stderr}");
    }
    for table in [
        "collection_runs",
        "backtest_results",
        "backtest_executions",
        "trades",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(&db.pool)
            .await
            .expect("count");
        assert_eq!(n, 0, "{table} must stay empty");
    }
}

#[tokio::test]
async fn once_mode_stores_the_backtest_reports_the_headline_and_draws_the_plot() {
    let db = test_db().await;
    history(&db.pool).await;
    let dir = std::env::temp_dir().join(format!("backtest-plot-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let png = dir.join("equity.png");
    let event = threshold_event(
        serde_json::json!({"side": "yes", "max_entry_price": "0.50", "contracts": 100}),
    );
    let output = backtest_run(
        &db.url_string(),
        &[
            "--event",
            &event.to_string(),
            "--plot",
            png.to_str().expect("utf-8 path"),
        ],
    );
    let summary = precog::testing::exit_summary(&output, 0);
    assert_eq!(summary["status"], "ok");
    let best = &summary["details"]["results"][0];
    assert_eq!(best["net_pnl"], "51.52");
    assert_eq!(best["fees_paid"], "2.48");
    assert_eq!(best["trades"], 2);
    assert_eq!(best["max_drawdown"], "8.48");
    let bytes = std::fs::read(&png).expect("the plot was written");
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
    let version: String = sqlx::query_scalar("select version from backtest_results")
        .fetch_one(&db.pool)
        .await
        .expect("stored");
    assert_eq!(version, backtest_run::VERSION);
    std::fs::remove_dir_all(&dir).ok();
}
