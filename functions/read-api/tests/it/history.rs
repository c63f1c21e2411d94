//! A market's printed trades and candles (backfill-kalshi's tables), paged oldest first.

use crate::helpers::spawn;

const BAL: &str = "KXNFLGAME-25NOV23NYJBAL-BAL";

async fn seed_history(pool: &sqlx::PgPool) {
    // language=PostgreSQL
    sqlx::raw_sql(
        r#"
        insert into kalshi_trades (trade_id, ticker, created_time, yes_price, no_price, count,
                                   taker_side, is_block_trade, tier, raw)
        values ('t-1', 'KXNFLGAME-25NOV23NYJBAL-BAL', '2025-11-23T17:00:00Z', 0.5625, 0.4375, 3.50, 'yes', false, 'historical', '{}'),
               ('t-2', 'KXNFLGAME-25NOV23NYJBAL-BAL', '2025-11-23T18:00:00Z', 0.6000, 0.4000, 0.01, 'no', false, 'historical', '{}'),
               ('t-3', 'KXNFLGAME-25NOV23NYJBAL-BAL', '2025-11-23T19:00:00Z', 0.9925, 0.0075, 125.75, 'yes', true, 'live', '{}');
        insert into kalshi_candles (ticker, period_minutes, end_period_ts, yes_bid_close, yes_ask_close,
                                    price_close, volume, open_interest, tier, raw)
        values ('KXNFLGAME-25NOV23NYJBAL-BAL', 60, '2025-11-23T18:00:00Z', 0.5550, 0.5625, null, 0.00, 10, 'historical', '{}'),
               ('KXNFLGAME-25NOV23NYJBAL-BAL', 60, '2025-11-23T19:00:00Z', 0.6050, 0.6100, 0.6075, 12.50, 12, 'historical', '{}'),
               ('KXNFLGAME-25NOV23NYJBAL-BAL', 1, '2025-11-23T18:01:00Z', 0.5550, 0.5625, null, 0.00, 10, 'historical', '{}');
        "#,
    )
    .execute(pool)
    .await
    .expect("seeding history");
}

#[tokio::test]
async fn trades_page_oldest_first_with_exact_prices_and_counts() {
    let app = spawn().await;
    seed_history(&app.db.pool).await;
    let (status, body) = app
        .get(&format!("/api/v1/markets/{BAL}/trades?limit=2"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"][0]["trade_id"], "t-1");
    assert_eq!(body["items"][0]["yes_price"], "0.5625");
    assert_eq!(body["items"][0]["count"], "3.50");
    assert_eq!(body["items"][1]["count"], "0.01");
    let cursor = body["next_cursor"].as_str().expect("a next page");
    let (_, next) = app
        .get(&format!(
            "/api/v1/markets/{BAL}/trades?limit=2&cursor={cursor}"
        ))
        .await;
    assert_eq!(next["items"][0]["trade_id"], "t-3");
    assert_eq!(next["items"][0]["tier"], "live");
    assert!(next.get("next_cursor").is_none(), "{next}");

    let (_, window) = app
        .get(&format!(
            "/api/v1/markets/{BAL}/trades?start=2025-11-23T17:30:00Z&end=2025-11-23T19:00:00Z"
        ))
        .await;
    let ids: Vec<&str> = window["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|t| t["trade_id"].as_str())
        .collect();
    assert_eq!(ids, vec!["t-2"], "start inclusive, end exclusive");
}

#[tokio::test]
async fn candles_are_served_by_period_and_bad_parameters_are_named() {
    let app = spawn().await;
    seed_history(&app.db.pool).await;
    let (status, body) = app.get(&format!("/api/v1/markets/{BAL}/candles")).await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "hourly by default: {body}");
    assert_eq!(items[0]["yes_ask_close"], "0.5625");
    assert!(items[0]["price_close"].is_null());
    assert_eq!(items[1]["price_close"], "0.6075");
    let (_, minute) = app
        .get(&format!("/api/v1/markets/{BAL}/candles?period=1m"))
        .await;
    assert_eq!(minute["items"].as_array().map(Vec::len), Some(1));

    app.bad(
        &format!("/api/v1/markets/{BAL}/candles?period=5m"),
        "period",
    )
    .await;
    let (status, body) = app
        .get(&format!(
            "/api/v1/markets/{BAL}/trades?start=2025-11-24T00:00:00Z&end=2025-11-23T00:00:00Z"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["items"].as_array().map(Vec::len),
        Some(0),
        "an inverted window is empty, as for market history"
    );
    app.bad(&format!("/api/v1/markets/{BAL}/trades?since=x"), "since")
        .await;
    let (status, body) = app.get("/api/v1/markets/KXNOPE-1/trades").await;
    assert_eq!(status, 404, "{body}");
}
