//! The binary as a schedule runs it: configuration from the environment (the AWS SDK's own
//! variables for the S3 endpoint), the event on the command line, one JSON summary, exit codes.

use std::process::Output;

use precog::testing::{empty_db, test_db};

use crate::helpers::*;

async fn run(database_url: &str, backup_url: &str, event: &str) -> Output {
    let endpoint = moto_endpoint().await;
    tokio::process::Command::new(env!("CARGO_BIN_EXE_nightly-backup"))
        .args(["--event", event])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("BACKUP_URL", backup_url)
        .env("AWS_ENDPOINT_URL_S3", endpoint)
        .env("AWS_ACCESS_KEY_ID", KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .await
        .expect("running nightly-backup")
}

fn summary(output: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| {
        panic!(
            "not a JSON summary ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[tokio::test]
async fn the_binary_backs_up_to_s3_restores_and_records_a_verify_run() {
    let source = test_db().await;
    seed(&source.pool, false).await;
    let (_, _, bucket) = s3_store().await;
    let backup_url = format!("s3://{bucket}/precog/prod");

    let backed_up = run(&source.url_string(), &backup_url, "{}").await;
    let report = summary(&backed_up);
    assert_eq!(backed_up.status.code(), Some(0), "{report}");
    assert_eq!(report["details"]["mode"], "backup");
    assert_eq!(report["details"]["complete"], true);

    let verified = run(&source.url_string(), &backup_url, r#"{"mode":"verify"}"#).await;
    let report = summary(&verified);
    assert_eq!(verified.status.code(), Some(0), "{report}");
    let (status, mode): (String, String) = sqlx::query_as(
        "select status, summary->>'mode' from collection_runs
          where function = 'nightly-backup' and summary->>'mode' = 'verify'",
    )
    .fetch_one(&source.pool)
    .await
    .expect("a verify run in the ledger");
    assert_eq!((status.as_str(), mode.as_str()), ("ok", "verify"));

    let target = empty_db().await;
    let event = serde_json::json!({"mode": "restore", "target_database_url": target.url_string()});
    let restored = run(&source.url_string(), &backup_url, &event.to_string()).await;
    let report = summary(&restored);
    assert_eq!(restored.status.code(), Some(0), "{report}");
    assert_eq!(report["details"]["kind"], "fresh");
    let markets: i64 = sqlx::query_scalar("select count(*) from markets")
        .fetch_one(&target.pool)
        .await
        .expect("restored markets");
    assert_eq!(markets, 3);
}

#[tokio::test]
async fn a_bad_event_or_backup_url_exits_2_before_anything_is_written() {
    let source = test_db().await;
    let folder = Folder::new();
    let bad_event = run(&source.url_string(), &folder.url(), r#"{"mode":"restore"}"#).await;
    assert_eq!(bad_event.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_event.stdout).contains("target_database_url"));
    let bad_url = run(&source.url_string(), "ftp://nowhere", "{}").await;
    assert_eq!(bad_url.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_url.stdout).contains("BACKUP_URL"));
    let runs: i64 = sqlx::query_scalar("select count(*) from collection_runs")
        .fetch_one(&source.pool)
        .await
        .expect("query");
    assert_eq!(runs, 0);
}
