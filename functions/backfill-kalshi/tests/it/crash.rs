//! The built binary killed in the middle of a crawl, then run again: the same final set.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::fake_kalshi::{market_json, trade_json, FakeKalshi};
use crate::helpers::spawn_app;

fn binary(database_url: &str, kalshi: &FakeKalshi, event: &serde_json::Value) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_backfill-kalshi"));
    command
        .args(["--event", &event.to_string()])
        .env("DATABASE_URL", database_url)
        .env("KALSHI_API_BASE", &kalshi.base_url)
        .env("KALSHI_REQUESTS_PER_SECOND", "1000")
        .env("PRECOG_ENV", "production")
        .env_remove("PRECOG_EVENT")
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[tokio::test]
async fn a_process_killed_mid_crawl_then_run_again_stores_the_same_set_once() {
    let app = spawn_app().await;
    app.kalshi.set_cutoff("2026-09-01T00:00:00Z");
    app.kalshi.set_trades_page_size(10);
    let mut expected = Vec::new();
    for m in 0..3 {
        let ticker = format!("KXNFLGAME-26SEP06M{m}-A");
        app.kalshi.add_live_market(market_json(
            &ticker,
            "finalized",
            "2026-08-20T00:00:00Z",
            "2026-09-10T00:00:00Z",
        ));
        // 120 trades a market, every 4 hours around the cutoff, sub-penny prices.
        let trades: Vec<_> = (0..120)
            .map(|i| {
                let at = chrono::DateTime::parse_from_rfc3339("2026-08-21T00:00:00Z")
                    .expect("time")
                    + chrono::Duration::hours(4 * i);
                let id = format!("m{m}-t{i:03}");
                expected.push(id.clone());
                trade_json(
                    &id,
                    &ticker,
                    &at.to_rfc3339(),
                    &format!("0.{:04}", 1000 + i * 7),
                    &format!("{}.25", i + 1),
                )
            })
            .collect();
        app.kalshi.add_trades(trades);
    }
    expected.sort();
    app.kalshi.slow_trade_pages(Duration::from_millis(40));
    let event = json!({"series": ["KXNFLGAME"], "what": "trades"});

    let mut child = binary(&app.db.url_string(), &app.kalshi, &event)
        .spawn()
        .expect("spawning backfill-kalshi");
    // Kill it once some pages are in but far from all.
    let mut stored = 0;
    for _ in 0..400 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        stored = app.count("select count(*) from kalshi_trades").await;
        if stored >= 60 {
            break;
        }
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let after_kill = app.count("select count(*) from kalshi_trades").await;
    assert!(
        (60..360).contains(&after_kill),
        "killed mid-crawl: {after_kill} stored (saw {stored})"
    );
    assert_eq!(
        app.count("select count(*) from collection_runs where status = 'running'")
            .await,
        1,
        "the killed run's ledger row says it never finished"
    );

    app.kalshi.slow_trade_pages(Duration::ZERO);
    let output = tokio::task::spawn_blocking({
        let (url, kalshi) = (app.db.url_string(), app.kalshi.clone());
        move || binary(&url, &kalshi, &event).output()
    })
    .await
    .expect("join")
    .expect("re-running backfill-kalshi");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON summary");
    assert_eq!(summary["details"]["complete"], true, "{summary}");
    let resumed_new = summary["details"]["historical"]["trades_new"]
        .as_u64()
        .unwrap_or(0)
        + summary["details"]["live"]["trades_new"]
            .as_u64()
            .unwrap_or(0);
    assert_eq!(
        resumed_new as i64,
        360 - after_kill,
        "the re-run adds exactly what was missing"
    );

    let ids: Vec<String> =
        sqlx::query_scalar("select trade_id from kalshi_trades order by trade_id")
            .fetch_all(&app.db.pool)
            .await
            .expect("ids");
    assert_eq!(ids, expected, "the same final set, nothing lost or doubled");
    let exact: i64 = app
        .count("select count(*) from kalshi_trades where trade_id = 'm2-t119' and yes_price = 0.1833 and count = 120.25")
        .await;
    assert_eq!(exact, 1);
}
