//! The built binary: exit codes, refusals before any write.

use std::process::Command;

use precog::testing::test_db;

use precog::testing::fake_espn::{event, final_, side, FakeEspn};

fn collect_espn(
    database_url: &str,
    espn: &str,
    args: &[&str],
    extra_env: &[(&str, &str)],
) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_collect-espn"));
    command
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("ESPN_API_BASE", espn)
        .env("ESPN_MAX_ATTEMPTS", "1")
        .env("PRECOG_ENV", "production")
        .env_remove("PRECOG_EVENT")
        .env_remove("ESPN_USER_AGENT")
        .env_remove("AWS_LAMBDA_RUNTIME_API");
    for (key, value) in extra_env {
        command.env(key, value);
    }
    command.output().expect("running collect-espn")
}

#[tokio::test]
async fn bad_events_and_bad_configuration_exit_2_naming_the_field_and_write_nothing() {
    let db = test_db().await;
    let cases: [(&str, &str, &str); 4] = [
        (
            "a misspelt field",
            r#"{"leauges": ["football/nfl"]}"#,
            "leauges",
        ),
        ("an unknown league", r#"{"leagues": ["nfl"]}"#, "leagues"),
        (
            "an interval out of range",
            r#"{"live_interval_seconds": 0}"#,
            "live_interval_seconds",
        ),
        (
            "a date that is not a day",
            r#"{"date": "2026-11-22"}"#,
            "date",
        ),
    ];
    for (description, event, named) in cases {
        let output = collect_espn(
            &db.url_string(),
            "http://127.0.0.1:9",
            &["--event", event],
            &[],
        );
        assert_eq!(output.status.code(), Some(2), "{description}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(named), "{description}: {stderr}");
    }
    let output = collect_espn(
        &db.url_string(),
        "http://127.0.0.1:9",
        &[],
        &[(
            "ESPN_USER_AGENT",
            "Mozilla/5.0 (Windows NT 10.0) Chrome/120",
        )],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("ESPN_USER_AGENT"));

    let written: i64 = sqlx::query_scalar(
        "select (select count(*) from collection_runs) + (select count(*) from games)",
    )
    .fetch_one(&db.pool)
    .await
    .expect("count");
    assert_eq!(written, 0, "nothing written");
}

#[tokio::test]
async fn a_successful_run_prints_one_json_summary_and_exits_0_and_a_failed_one_exits_1() {
    let db = test_db().await;
    let espn = FakeEspn::start().await;
    espn.set_events(
        "football/nfl",
        vec![event(
            "401700003",
            final_(false),
            side("12", "KC", "27"),
            side("13", "LV", "20"),
            None,
        )],
    );

    let output = tokio::task::spawn_blocking({
        let (url, base) = (db.url_string(), espn.base_url.clone());
        move || {
            collect_espn(
                &url,
                &base,
                &[
                    "--event",
                    r#"{"leagues":["football/nfl"]}"#,
                    "--trigger",
                    "schedule",
                ],
                &[],
            )
        }
    })
    .await
    .expect("join");
    let summary = precog::testing::exit_summary(&output, 0);
    assert_eq!(summary["status"], "ok");
    assert_eq!(summary["trigger"], "schedule");
    assert_eq!(summary["rows_written"], 2, "game and state: {summary}");
    assert_eq!(summary["details"]["passes"], 1);

    let output = collect_espn(
        &db.url_string(),
        "http://127.0.0.1:9",
        &["--event", "{}"],
        &[],
    );
    let summary = precog::testing::exit_summary(&output, 1);
    assert_eq!(summary["status"], "failed");
}
