//! Candles: live markets through the batch endpoint, archived ones through the historical
//! endpoint with its other field names, both stored exactly in the same columns.

use serde_json::json;

use crate::fake_kalshi::{candle_json, market_json};
use crate::helpers::spawn_app;

const LIVE: &str = "KXNFLGAME-26SEP13DALNYG-DAL";
const ARCHIVED: &str = "KXNFLGAME-26MAR01AB-A";

#[tokio::test]
async fn live_and_historical_candles_land_in_the_same_columns_exactly() {
    let app = spawn_app().await;
    app.kalshi.set_cutoff("2026-09-01T00:00:00Z");
    app.kalshi.add_live_market(market_json(
        LIVE,
        "finalized",
        "2026-09-13T12:00:00Z",
        "2026-09-13T18:00:00Z",
    ));
    app.kalshi.add_historical_market(market_json(
        ARCHIVED,
        "finalized",
        "2026-03-01T12:00:00Z",
        "2026-03-01T15:00:00Z",
    ));
    // Hourly candles ending 13:00 … 18:00 UTC on 2026-09-13 (1789304400 = 13:00).
    let live: Vec<_> = (0..6)
        .map(|h| {
            candle_json(
                1_789_304_400 + h * 3600,
                "0.5550",
                "0.5625",
                (h % 2 == 0).then_some("0.5600"),
                "12.50",
            )
        })
        .collect();
    app.kalshi.set_candles(LIVE, live);
    // 1772370000 = 2026-03-01T13:00Z.
    let old: Vec<_> = (0..3)
        .map(|h| candle_json(1_772_370_000 + h * 3600, "0.1234", "0.1300", None, "0.01"))
        .collect();
    app.kalshi.set_candles(ARCHIVED, old);

    let summary = app
        .run_ok(json!({"series": ["KXNFLGAME"], "what": "candles", "period": "1h"}))
        .await;
    let details = &summary.details;
    assert_eq!(details["live"]["candles_written"], 6, "{details}");
    assert_eq!(details["historical"]["candles_written"], 3, "{details}");
    assert_eq!(details["live"]["requests"], 1, "one batch request");
    let batch = app.kalshi.requests_to("/trade-api/v2/markets/candlesticks");
    assert!(batch[0].contains("period_interval=60"), "{batch:?}");

    let row: (String, String, Option<String>, String, String) = sqlx::query_as(
        "select yes_bid_close::text, yes_ask_high::text, price_close::text, volume::text, tier
           from kalshi_candles where ticker = $1 and period_minutes = 60
            and end_period_ts = to_timestamp(1789304400)",
    )
    .bind(LIVE)
    .fetch_one(&app.db.pool)
    .await
    .expect("a live candle");
    assert_eq!(
        row,
        (
            "0.5550".into(),
            "0.5625".into(),
            Some("0.5600".into()),
            "12.50".into(),
            "live".into()
        )
    );
    let row: (String, String, Option<String>, String, String) = sqlx::query_as(
        "select yes_bid_open::text, yes_ask_close::text, price_close::text, volume::text, tier
           from kalshi_candles where ticker = $1 and end_period_ts = to_timestamp(1772370000)",
    )
    .bind(ARCHIVED)
    .fetch_one(&app.db.pool)
    .await
    .expect("a historical candle");
    assert_eq!(
        row,
        (
            "0.1234".into(),
            "0.1300".into(),
            None,
            "0.01".into(),
            "historical".into()
        )
    );

    // Covered: the next run asks for nothing beyond the last period of each market.
    let again = app
        .run_ok(json!({"series": ["KXNFLGAME"], "what": "candles", "period": "1h"}))
        .await;
    assert_eq!(again.details["live"]["requests"], 0, "{:?}", again.details);
    assert_eq!(again.details["historical"]["requests"], 0);
    assert_eq!(app.count("select count(*) from kalshi_candles").await, 9);
}

#[tokio::test]
async fn many_markets_share_batch_requests_within_kalshis_caps() {
    let app = spawn_app().await;
    app.kalshi.set_cutoff("2026-09-01T00:00:00Z");
    // 150 markets of one Sunday, six hours each, by the minute: 361 candles a market, so 27
    // markets fit in one request (27 × 361 = 9,747 ≤ 10,000), and six requests cover them.
    for i in 0..150 {
        let ticker = format!("KXNFLGAME-26SEP13G{i:03}-A");
        app.kalshi.add_live_market(market_json(
            &ticker,
            "finalized",
            "2026-09-13T12:00:00Z",
            "2026-09-13T18:00:00Z",
        ));
        app.kalshi.set_candles(
            &ticker,
            vec![candle_json(
                1_789_304_400,
                "0.4000",
                "0.4100",
                Some("0.4050"),
                "1.00",
            )],
        );
    }
    let summary = app
        .run_ok(json!({"series": ["KXNFLGAME"], "what": "candles", "period": "1m"}))
        .await;
    // The fake answers 400 past 100 tickers or 10,000 candles, which would fail the run.
    let batch = app.kalshi.requests_to("/trade-api/v2/markets/candlesticks");
    assert_eq!(batch.len(), 6, "{:?}", summary.details);
    assert_eq!(summary.details["live"]["candles_written"], 150);
}

#[tokio::test]
async fn one_minute_candles_replay_as_backfill_snapshots_only_before_our_own_began() {
    let app = spawn_app().await;
    app.kalshi.set_cutoff("2026-09-01T00:00:00Z");
    app.kalshi.add_live_market(market_json(
        LIVE,
        "finalized",
        "2026-09-13T12:00:00Z",
        "2026-09-13T18:00:00Z",
    ));
    // Six minutes ending 13:00 … 13:05; trades in even minutes only.
    let minutes: Vec<_> = (0..6)
        .map(|m| {
            candle_json(
                1_789_304_400 + m * 60,
                &format!("0.55{m}0"),
                &format!("0.56{m}5"),
                (m % 2 == 0).then_some("0.5600"),
                "3.00",
            )
        })
        .collect();
    app.kalshi.set_candles(LIVE, minutes);
    // Our own collection of the market began at 13:03.
    sqlx::query(
        "insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask, raw)
         values ($1, to_timestamp(1789304580), 'rest', 'active', 0.6000, 0.6100, '{}')",
    )
    .bind(LIVE)
    .execute(&app.db.pool)
    .await
    .expect("a collected snapshot");

    let event = json!({"tickers": [LIVE], "what": "candles", "period": "1m",
                       "materialise_snapshots": true});
    let summary = app.run_ok(event.clone()).await;
    assert_eq!(
        summary.details["snapshots_materialised"], 3,
        "{:?}",
        summary.details
    );

    type Row = (
        i64,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
        String,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "select extract(epoch from observed_at)::bigint, yes_bid::text, yes_ask::text,
                no_bid::text, no_ask::text, last_price::text,
                market_snapshot_raw(s)->>'yes_bid_dollars',
                market_snapshot_raw(s)->'precog_backfill'->>'from'
           from market_snapshots s where ticker = $1 and source = 'backfill' order by observed_at",
    )
    .bind(LIVE)
    .fetch_all(&app.db.pool)
    .await
    .expect("replayed snapshots");
    let row = |m: i64, bid: &str, ask: &str, no_bid: &str, no_ask: &str, last: Option<&str>| {
        (
            1_789_304_400 + m * 60,
            bid.to_owned(),
            ask.to_owned(),
            no_bid.to_owned(),
            no_ask.to_owned(),
            last.map(str::to_owned),
            bid.to_owned(),
            "kalshi_candles".to_owned(),
        )
    };
    assert_eq!(
        rows,
        vec![
            row(0, "0.5500", "0.5605", "0.4395", "0.4500", Some("0.5600")),
            row(1, "0.5510", "0.5615", "0.4385", "0.4490", None),
            row(2, "0.5520", "0.5625", "0.4375", "0.4480", Some("0.5600")),
        ],
        "the close quotes of the minutes before 13:03, none from 13:03 on"
    );
    // The collected 13:03 snapshot is untouched (the catalog step adds its own `rest` row for
    // the market as listed now, later still).
    let rest: Vec<(String, String)> = sqlx::query_as(
        "select source, yes_bid::text from market_snapshots
          where ticker = $1 and observed_at = to_timestamp(1789304580)",
    )
    .bind(LIVE)
    .fetch_all(&app.db.pool)
    .await
    .expect("the collected snapshot");
    assert_eq!(rest, vec![("rest".to_owned(), "0.6000".to_owned())]);

    // Again: nothing new to replay, nothing duplicated.
    let again = app.run_ok(event).await;
    assert_eq!(
        again.details["snapshots_materialised"], 0,
        "{:?}",
        again.details
    );
    assert_eq!(
        app.count("select count(*) from market_snapshots where source = 'backfill'")
            .await,
        3
    );
}
