use serde_json::json;

use crate::helpers::spawn_app;
use precog::testing::fake_kalshi::market_json;

const DAL: &str = "KXNFLGAME-26SEP13DALNYG-DAL";
const NYG: &str = "KXNFLGAME-26SEP13DALNYG-NYG";
const EVENT: &str = "KXNFLGAME-26SEP13DALNYG";

#[tokio::test]
async fn a_market_that_leaves_the_open_set_is_followed_until_its_result_is_final() {
    let app = spawn_app().await;
    app.kalshi.add_markets(vec![
        market_json(DAL, EVENT, "0.5600", "0.5700"),
        market_json(NYG, EVENT, "0.4300", "0.4400"),
    ]);
    app.run_ok(json!({})).await;

    // The game ends: Kalshi closes and determines the markets; they leave `status=open`.
    for (ticker, result, value) in [(DAL, "yes", "1.0000"), (NYG, "no", "0.0000")] {
        app.kalshi.set_field(ticker, "status", json!("determined"));
        app.kalshi.set_field(ticker, "result", json!(result));
        app.kalshi
            .set_field(ticker, "settlement_value_dollars", json!(value));
    }
    let summary = app.run_ok(json!({})).await;

    assert_eq!(summary.details["settlement_lookups"], 2, "{summary:?}");
    assert_eq!(
        app.text(&format!("select status || ' ' || result || ' ' || settlement_value::text from markets where ticker = '{DAL}'")).await.as_deref(),
        Some("determined yes 1.0000")
    );
    assert_eq!(
        app.count("select count(*) from markets where determined_at is not null")
            .await,
        2
    );
    // The status change is itself a snapshot: backtests see the market close.
    assert_eq!(
        app.count(&format!(
            "select count(*) from market_snapshots where ticker = '{DAL}'"
        ))
        .await,
        2
    );

    // Finalized: recorded, and then no longer looked up.
    for ticker in [DAL, NYG] {
        app.kalshi.set_field(ticker, "status", json!("finalized"));
        app.kalshi
            .set_field(ticker, "settlement_ts", json!("2026-09-14T04:00:00Z"));
    }
    app.run_ok(json!({})).await;
    assert_eq!(
        app.count(
            "select count(*) from markets where status = 'finalized' and settlement_ts is not null"
        )
        .await,
        2
    );
    let lookups_before = app
        .kalshi
        .requests_to("/trade-api/v2/markets")
        .iter()
        .filter(|r| r.contains("tickers="))
        .count();
    let summary = app.run_ok(json!({})).await;
    let lookups_after = app
        .kalshi
        .requests_to("/trade-api/v2/markets")
        .iter()
        .filter(|r| r.contains("tickers="))
        .count();
    assert_eq!(lookups_after, lookups_before, "{summary:?}");
    // determined_at keeps the first time the result was visible.
    assert_eq!(
        app.count("select count(*) from markets where determined_at < updated_at")
            .await,
        2
    );
}

#[tokio::test]
async fn a_market_archived_past_the_historical_cutoff_is_found_in_the_historical_tier() {
    let app = spawn_app().await;
    app.kalshi
        .add_markets(vec![market_json(DAL, EVENT, "0.5600", "0.5700")]);
    app.run_ok(json!({})).await;

    app.kalshi.set_field(DAL, "status", json!("finalized"));
    app.kalshi.set_field(DAL, "result", json!("yes"));
    app.kalshi
        .set_field(DAL, "settlement_value_dollars", json!("1.0000"));
    app.kalshi.archive(DAL);
    let summary = app.run_ok(json!({})).await;

    assert_eq!(summary.details["settlement_archived"], 1, "{summary:?}");
    assert_eq!(
        app.text(&format!(
            "select status || ' ' || result from markets where ticker = '{DAL}'"
        ))
        .await
        .as_deref(),
        Some("finalized yes")
    );
}

#[tokio::test]
async fn named_tickers_are_collected_whatever_their_status() {
    let app = spawn_app().await;
    let mut closed = market_json(DAL, EVENT, "0.5600", "0.5700");
    closed["status"] = json!("closed");
    app.kalshi
        .add_markets(vec![closed, market_json(NYG, EVENT, "0.4300", "0.4400")]);

    app.run_ok(json!({"tickers": [DAL]})).await;

    assert_eq!(app.count("select count(*) from markets").await, 1);
    assert_eq!(
        app.text("select status from markets").await.as_deref(),
        Some("closed")
    );
}
