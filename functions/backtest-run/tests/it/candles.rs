//! A window before our own collection began, replayed from Kalshi's 1-minute candles (issue 13):
//! backfill-kalshi's materialisation turns the candles into `source = 'backfill'` snapshots, and a
//! backtest that asks for backfilled quotes trades on them — worked by hand.

use precog::testing::test_db;
use serde_json::json;
use sqlx::PgPool;

use crate::fixtures::{at, d, ledger_run, market, parse, series, Market};

/// One stored 1-minute candle ending at `minute`: the close YES bid and ask, no trade.
async fn candle(pool: &PgPool, ticker: &str, minute: i64, bid: &str, ask: &str) {
    sqlx::query(
        "insert into kalshi_candles (ticker, period_minutes, end_period_ts, yes_bid_close,
                                     yes_ask_close, open_interest, tier, raw)
         values ($1, 1, $2, $3::numeric, $4::numeric, 100, 'historical', '{}')",
    )
    .bind(ticker)
    .bind(at(minute))
    .bind(bid)
    .bind(ask)
    .execute(pool)
    .await
    .expect("candle");
}

#[tokio::test]
async fn a_candle_window_replayed_as_a_backtest_gives_the_hand_computed_pnl() {
    let db = test_db().await;
    let pool = &db.pool;
    series(pool, "SC", "quadratic", "1").await;
    market(
        pool,
        Market {
            ticker: "CND",
            series: "SC",
            result: Some("yes"),
            settlement_ts: Some(at(120)),
            determined_at: Some(at(120)),
        },
    )
    .await;
    candle(pool, "CND", 0, "0.40", "0.47").await;
    candle(pool, "CND", 1, "0.41", "0.45").await;
    candle(pool, "CND", 2, "0.50", "0.55").await;
    let mut conn = pool.acquire().await.expect("connection");
    let replayed = precog::db::history::materialise_snapshots(&mut conn, "CND")
        .await
        .expect("materialise");
    drop(conn);
    assert_eq!(replayed, 3);

    let event = |quotes: &str| {
        parse(json!({
            "strategy": "threshold_hold", "tickers": ["CND"], "quotes": quotes,
            "params": {"side": "yes", "max_entry_price": "0.46", "contracts": 10},
            "start": at(-60), "end": at(240), "starting_cash": "100",
        }))
    };
    let run = |quotes: &'static str| async move {
        let run_id = ledger_run(pool).await;
        backtest_run::backtest(pool, &event(quotes), run_id, None, || false)
            .await
            .expect("backtest")
    };

    let live = run("live").await;
    assert_eq!(
        live.coverage.snapshots, 0,
        "no quote of our own in the window"
    );
    assert_eq!(live.results[0].trades, 0);

    let backfill = run("backfill").await;
    assert_eq!(backfill.coverage.snapshots, 3);
    let result = &backfill.results[0];
    // The second minute's close ask, 0.45, is the first at or below 0.46: 10 × 0.45 = 4.50 plus
    // the taker fee ⌈0.07 × 10 × 0.45 × 0.55 = 0.17325⌉ = 0.18; YES settles at 1 at +2 h: 10.
    // Net 10 − 4.50 − 0.18 = 5.32.
    assert_eq!(result.trades, 1);
    assert_eq!(result.fees_paid, d("0.18"));
    assert_eq!(result.net_pnl, d("5.32"));
    let stored: (String, i64) =
        sqlx::query_as("select quotes, backfill_snapshots from backtest_results where id = $1")
            .bind(result.id)
            .fetch_one(pool)
            .await
            .expect("stored result");
    assert_eq!(
        stored,
        ("backfill".to_owned(), 3),
        "the result says it ran on backfilled quotes"
    );
}
