//! Backtests whose every number was worked out by hand (see fixtures::history).

use precog::testing::test_db;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::fixtures::{
    at, d, history, ledger_run, market, parse, series, snapshot, threshold_event, Market,
};

async fn run(pool: &PgPool, event: Value) -> backtest_run::Details {
    let run_id = ledger_run(pool).await;
    backtest_run::backtest(pool, &parse(event), run_id, None, || false)
        .await
        .expect("backtest")
}

/// Executions as comparable rows (no generated ids).
async fn executions(pool: &PgPool, id: Uuid) -> Vec<Value> {
    sqlx::query_scalar(
        "select jsonb_build_object('seq', seq, 'ticker', ticker, 'side', side, 'contracts', contracts::text,
                'entry_time', entry_time, 'entry_price', entry_price::text, 'entry_fee', entry_fee::text,
                'exit_kind', exit_kind, 'exit_time', exit_time, 'exit_price', exit_price::text,
                'exit_fee', exit_fee::text, 'pnl', pnl::text, 'reason', entry_reason)
           from backtest_executions where backtest_id = $1 order by seq",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .expect("executions")
}

#[tokio::test]
async fn threshold_hold_pays_fees_settles_mid_window_and_never_sees_a_late_result() {
    let db = test_db().await;
    history(&db.pool).await;
    let details = run(
        &db.pool,
        threshold_event(json!({"side": "yes", "max_entry_price": "0.50", "contracts": 100})),
    )
    .await;

    assert_eq!(details.coverage.snapshots, 4);
    assert_eq!(details.coverage.markets, 3);
    assert_eq!(
        details.coverage.markets_without_snapshots, 1,
        "C has no snapshot"
    );
    let best = &details.results[0];
    // A: 100 × 0.45 + fee ⌈0.07×100×0.45×0.55⌉ = 45 + 1.74, paid $100 at t0+2h.
    // B: only 50 offered: 50 × 0.30 + fee ⌈0.735⌉ = 15 + 0.74, still open, marked at bid 0.28 = 14.
    assert_eq!(best.net_pnl, d("51.52"));
    assert_eq!(best.fees_paid, d("2.48"));
    assert_eq!(best.trades, 2);
    // Peak 1000 at the start; lowest 991.52 after buying B.
    assert_eq!(best.max_drawdown, d("8.48"));
    assert_eq!(best.win_rate, Some(d("1")));

    let rows = executions(&db.pool, best.id).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["ticker"], "A");
    assert_eq!(rows[0]["exit_kind"], "settled");
    assert_eq!(rows[0]["entry_fee"], "1.74");
    assert_eq!(rows[0]["exit_price"], "1");
    assert_eq!(rows[0]["pnl"], "53.26");
    assert_eq!(
        rows[0]["exit_time"]
            .as_str()
            .map(|s| s.parse::<chrono::DateTime<chrono::Utc>>().expect("t")),
        Some(at(120)),
        "settled at the settlement time, inside the window"
    );
    assert_eq!(rows[1]["ticker"], "B");
    assert_eq!(rows[1]["contracts"], "50", "bounded by the 50 offered");
    assert_eq!(rows[1]["entry_fee"], "0.74");
    assert_eq!(
        rows[1]["exit_kind"], "open",
        "B's result was only seen after the window"
    );
    assert_eq!(rows[1]["exit_price"], "0.28");
    assert_eq!(rows[1]["pnl"], "-1.74");

    let metrics: Value = sqlx::query_scalar("select metrics from backtest_results where id = $1")
        .bind(best.id)
        .fetch_one(&db.pool)
        .await
        .expect("metrics");
    assert_eq!(metrics["gross_pnl"], "54.00");
    assert_eq!(
        metrics["brier_score"], "0.3025",
        "(0.45 − 1)² over the one settled position"
    );
    assert_eq!(
        metrics["exposure"], "0.8",
        "4 of the window's 5 hours held something"
    );
    assert_eq!(metrics["max_drawdown_duration_secs"], 7200);
    assert_eq!(
        metrics["profit_factor"],
        Value::Null,
        "no losing closed position"
    );

    let trades: Vec<(String, String, String, String)> = sqlx::query_as(
        "select ticker, action, price::text, fee::text from backtest_trades
          where backtest_result_id = $1 order by executed_at",
    )
    .bind(best.id)
    .fetch_all(&db.pool)
    .await
    .expect("trades");
    assert_eq!(
        trades,
        vec![
            ("A".into(), "buy".into(), "0.45".into(), "1.74".into()),
            ("B".into(), "buy".into(), "0.30".into(), "0.74".into()),
        ]
    );
}

#[tokio::test]
async fn a_result_becomes_visible_and_settles_only_from_its_determination() {
    let db = test_db().await;
    history(&db.pool).await;
    // Extend the window past B's determination (t0+5h): now it settles there, at $0 (NO won).
    let mut event =
        threshold_event(json!({"side": "yes", "max_entry_price": "0.50", "contracts": 100}));
    event["end"] = json!(at(360));
    let details = run(&db.pool, event).await;
    let rows = executions(&db.pool, details.results[0].id).await;
    assert_eq!(rows[1]["exit_kind"], "settled");
    assert_eq!(
        rows[1]["exit_time"]
            .as_str()
            .map(|s| s.parse::<chrono::DateTime<chrono::Utc>>().expect("t")),
        Some(at(300)),
        "Kalshi settled at t0+1h but we only knew at t0+5h"
    );
    // 100 − 46.74 − 15.74 = 37.52
    assert_eq!(details.results[0].net_pnl, d("37.52"));
}

#[tokio::test]
async fn a_sweep_runs_every_combination_stores_each_and_ranks_them() {
    let db = test_db().await;
    history(&db.pool).await;
    let details = run(
        &db.pool,
        threshold_event(
            json!({"side": "yes", "max_entry_price": ["0.40", "0.50"], "contracts": [1, 100]}),
        ),
    )
    .await;
    assert_eq!(details.combinations, 4);
    let ranked: Vec<(usize, Value, rust_decimal::Decimal)> = details
        .results
        .iter()
        .map(|r| (r.rank, r.params.clone(), r.net_pnl))
        .collect();
    // 0.50 × 100: 51.52 (above). 0.50 × 1: A 1 at 0.45 + 0.02 → +0.53; B 1 at 0.30 + 0.02, marked
    // 0.28 → −0.04: 0.49. 0.40: only B: × 1 → −0.04; × 50 (of 100) → −1.74.
    assert_eq!(
        ranked,
        vec![
            (
                1,
                json!({"contracts": 100, "max_entry_price": "0.50", "side": "yes"}),
                d("51.52")
            ),
            (
                2,
                json!({"contracts": 1, "max_entry_price": "0.50", "side": "yes"}),
                d("0.49")
            ),
            (
                3,
                json!({"contracts": 1, "max_entry_price": "0.40", "side": "yes"}),
                d("-0.04")
            ),
            (
                4,
                json!({"contracts": 100, "max_entry_price": "0.40", "side": "yes"}),
                d("-1.74")
            ),
        ]
    );
    let stored: Vec<(i32, rust_decimal::Decimal)> =
        sqlx::query_as("select sweep_rank, net_pnl from backtest_results order by sweep_rank")
            .fetch_all(&db.pool)
            .await
            .expect("stored");
    assert_eq!(stored.len(), 4);
    assert_eq!(stored[0], (1, d("51.52")));
}

#[tokio::test]
async fn the_same_inputs_give_the_same_results() {
    let db = test_db().await;
    history(&db.pool).await;
    let event =
        threshold_event(json!({"side": "yes", "max_entry_price": "0.50", "contracts": 100}));
    let first = run(&db.pool, event.clone()).await;
    let second = run(&db.pool, event).await;
    let stored = |id: Uuid| {
        let pool = db.pool.clone();
        async move {
            let row: (Value, Value) =
                sqlx::query_as("select metrics, equity_curve from backtest_results where id = $1")
                    .bind(id)
                    .fetch_one(&pool)
                    .await
                    .expect("row");
            (row, executions(&pool, id).await)
        }
    };
    assert_ne!(first.results[0].id, second.results[0].id);
    assert_eq!(
        stored(first.results[0].id).await,
        stored(second.results[0].id).await
    );
}

#[tokio::test]
async fn fade_overreaction_buys_against_a_jump_and_takes_its_profit_on_reversion() {
    let db = test_db().await;
    series(&db.pool, "S2", "quadratic", "1").await;
    market(
        &db.pool,
        Market {
            ticker: "F",
            series: "S2",
            result: None,
            settlement_ts: None,
            determined_at: None,
        },
    )
    .await;
    // Mid 0.50 → 0.70 in 10 minutes: buy NO at 1 − 0.69 = 0.31; ten minutes later the NO bid is
    // 1 − 0.61 = 0.39 ≥ 0.31 + 0.05: sell. Sizes unrecorded, so unbounded.
    snapshot(&db.pool, "F", at(0), "active", ("0.49", "0.51"), None).await;
    snapshot(&db.pool, "F", at(10), "active", ("0.69", "0.71"), None).await;
    snapshot(&db.pool, "F", at(20), "active", ("0.59", "0.61"), None).await;
    let details = run(
        &db.pool,
        json!({"strategy": "fade_overreaction", "tickers": ["F"],
               "params": {"threshold": "0.10", "window_minutes": 30, "take_profit": "0.05", "contracts": 10}}),
    )
    .await;
    let rows = executions(&db.pool, details.results[0].id).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["side"], "no");
    assert_eq!(rows[0]["entry_price"], "0.31");
    // ⌈0.07×10×0.31×0.69 = 0.14973⌉ = 0.15; ⌈0.07×10×0.39×0.61 = 0.16653⌉ = 0.17.
    assert_eq!(rows[0]["entry_fee"], "0.15");
    assert_eq!(rows[0]["exit_kind"], "sold");
    assert_eq!(rows[0]["exit_price"], "0.39");
    assert_eq!(rows[0]["exit_fee"], "0.17");
    // 10 × (0.39 − 0.31) − 0.32 = 0.48
    assert_eq!(rows[0]["pnl"], "0.48");
    assert_eq!(details.results[0].net_pnl, d("0.48"));
}

#[tokio::test]
async fn fees_follow_the_series_multiplier_and_can_be_switched_off() {
    let db = test_db().await;
    series(&db.pool, "S3", "quadratic", "0.5").await;
    market(
        &db.pool,
        Market {
            ticker: "H",
            series: "S3",
            result: None,
            settlement_ts: None,
            determined_at: None,
        },
    )
    .await;
    snapshot(&db.pool, "H", at(0), "active", ("0.48", "0.50"), None).await;
    let mut event = json!({"strategy": "threshold_hold", "tickers": ["H"],
                           "params": {"side": "yes", "max_entry_price": "0.5", "contracts": 100}});
    // ⌈0.07 × 0.5 × 100 × 0.25 = 0.875⌉ = 0.88
    assert_eq!(
        run(&db.pool, event.clone()).await.results[0].fees_paid,
        d("0.88")
    );
    event["fees"] = json!("zero");
    assert_eq!(run(&db.pool, event).await.results[0].fees_paid, d("0"));
}

/// Trades of one backtest as comparable rows.
async fn trades(pool: &PgPool, id: Uuid) -> Vec<(String, String, String, Option<bool>)> {
    sqlx::query_as(
        "select price::text, contracts::text, fee::text, is_taker from trades
          where backtest_result_id = $1 order by executed_at, id",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .expect("trades")
}

#[tokio::test]
async fn a_limit_order_rests_fills_as_maker_on_a_trade_through_and_pays_the_maker_fee() {
    let db = test_db().await;
    series(&db.pool, "SM", "quadratic_with_maker_fees", "1").await;
    series(&db.pool, "SQ", "quadratic", "1").await;
    for (ticker, series_ticker) in [("M", "SM"), ("Q", "SQ"), ("X", "SQ")] {
        market(
            &db.pool,
            Market {
                ticker,
                series: series_ticker,
                result: None,
                settlement_ts: None,
                determined_at: None,
            },
        )
        .await;
    }
    // M and Q: a bid for 50 YES at 0.40 is posted at t0 (ask 0.44 above it, so it rests); at
    // +10m the ask is 0.42 (not through); at +20m it trades through at 0.39 with 30 shown, so
    // 30 fill at 0.40; the other 20 rest and fill at +30m, when the ask is exactly 0.40.
    // X: the ask is already 0.38 when the order arrives: it takes at 0.38 as a taker.
    for ticker in ["M", "Q"] {
        snapshot(
            &db.pool,
            ticker,
            at(0),
            "active",
            ("0.40", "0.44"),
            Some(("100", "100")),
        )
        .await;
        snapshot(
            &db.pool,
            ticker,
            at(10),
            "active",
            ("0.38", "0.42"),
            Some(("100", "100")),
        )
        .await;
        snapshot(
            &db.pool,
            ticker,
            at(20),
            "active",
            ("0.36", "0.39"),
            Some(("100", "30")),
        )
        .await;
        snapshot(
            &db.pool,
            ticker,
            at(30),
            "active",
            ("0.37", "0.40"),
            Some(("100", "100")),
        )
        .await;
    }
    snapshot(
        &db.pool,
        "X",
        at(0),
        "active",
        ("0.36", "0.38"),
        Some(("100", "100")),
    )
    .await;
    let details = run(
        &db.pool,
        json!({"strategy": "threshold_hold", "tickers": ["M", "Q", "X"],
               "params": {"side": "yes", "max_entry_price": "0.40", "contracts": 50, "order": "limit"}}),
    )
    .await;
    let id = details.results[0].id;
    let rows = executions(&db.pool, id).await;
    let by_ticker = |t: &str| {
        rows.iter()
            .find(|r| r["ticker"] == t)
            .cloned()
            .expect("an execution")
    };
    // M charges makers: ⌈0.0175×30×0.40×0.60 = 0.126⌉ = 0.13 and ⌈0.0175×20×0.24 = 0.084⌉ = 0.09.
    let m = by_ticker("M");
    assert_eq!(m["contracts"], "50");
    assert_eq!(m["entry_price"], "0.40");
    assert_eq!(m["entry_fee"], "0.22");
    assert_eq!(m["entry_time"], "2026-11-01T12:20:00+00:00");
    // Q's series does not: the same fills are free.
    let q = by_ticker("Q");
    assert_eq!(
        (q["contracts"].as_str(), q["entry_fee"].as_str()),
        (Some("50"), Some("0"))
    );
    // X crossed on arrival: 50 at the 0.38 ask, taker fee ⌈0.07×50×0.38×0.62 = 0.8246⌉ = 0.83.
    let x = by_ticker("X");
    assert_eq!(
        (x["entry_price"].as_str(), x["entry_fee"].as_str()),
        (Some("0.38"), Some("0.83"))
    );
    let fills = trades(&db.pool, id).await;
    let maker = |price: &str, contracts: &str, fee: &str| {
        (
            price.to_owned(),
            contracts.to_owned(),
            fee.to_owned(),
            Some(false),
        )
    };
    assert_eq!(
        fills,
        vec![
            (
                "0.38".to_owned(),
                "50".to_owned(),
                "0.83".to_owned(),
                Some(true)
            ),
            maker("0.40", "30", "0.13"),
            maker("0.40", "30", "0"),
            maker("0.40", "20", "0.09"),
            maker("0.40", "20", "0"),
        ]
    );
    assert_eq!(details.results[0].fees_paid, d("1.05"));
}

#[tokio::test]
async fn a_resting_limit_order_is_dropped_when_its_market_stops_trading() {
    let db = test_db().await;
    series(&db.pool, "SQ", "quadratic", "1").await;
    market(
        &db.pool,
        Market {
            ticker: "Z",
            series: "SQ",
            result: None,
            settlement_ts: None,
            determined_at: None,
        },
    )
    .await;
    snapshot(&db.pool, "Z", at(0), "active", ("0.40", "0.44"), None).await;
    snapshot(&db.pool, "Z", at(10), "closed", ("0.30", "0.35"), None).await;
    snapshot(&db.pool, "Z", at(20), "active", ("0.30", "0.35"), None).await;
    let details = run(
        &db.pool,
        json!({"strategy": "threshold_hold", "tickers": ["Z"],
               "params": {"side": "yes", "max_entry_price": "0.40", "contracts": 5, "order": "limit"}}),
    )
    .await;
    let result = &details.results[0];
    assert_eq!(
        result.trades, 0,
        "the order died with the halt; nothing re-posted it"
    );
    let refused: Value = sqlx::query_scalar(
        "select metrics -> 'orders_refused' -> 'limit_unfilled' from backtest_results where id = $1",
    )
    .bind(result.id)
    .fetch_one(&db.pool)
    .await
    .expect("metrics");
    assert_eq!(refused, json!(1));
}

#[tokio::test]
async fn with_trade_evidence_a_limit_order_fills_only_as_far_as_printed_trades_allow() {
    let db = test_db().await;
    series(&db.pool, "SQ", "quadratic", "1").await;
    market(
        &db.pool,
        Market {
            ticker: "P",
            series: "SQ",
            result: None,
            settlement_ts: None,
            determined_at: None,
        },
    )
    .await;
    // A bid for 50 YES at 0.40 rests from t0. The touch trades through at +20m with 100 shown,
    // but Kalshi printed only 20 at 0.40 (+10m) and 10 at 0.38 (+15m) after it rested; a print
    // at 0.41 and one before the order was posted do not count.
    snapshot(
        &db.pool,
        "P",
        at(0),
        "active",
        ("0.40", "0.44"),
        Some(("100", "100")),
    )
    .await;
    snapshot(
        &db.pool,
        "P",
        at(20),
        "active",
        ("0.36", "0.39"),
        Some(("100", "100")),
    )
    .await;
    for (id, minutes, yes, count) in [
        ("t1", -5, "0.38", "100"),
        ("t2", 5, "0.41", "100"),
        ("t3", 10, "0.40", "20"),
        ("t4", 15, "0.38", "10"),
    ] {
        sqlx::query(
            "insert into kalshi_trades (trade_id, ticker, created_time, yes_price, no_price, count,
                                        taker_side, tier, raw)
             values ($1, 'P', $2, $3, 1 - $3, $4, 'no', 'live', '{}')",
        )
        .bind(id)
        .bind(at(minutes))
        .bind(d(yes))
        .bind(d(count))
        .execute(&db.pool)
        .await
        .expect("trade");
    }
    let event = json!({"strategy": "threshold_hold", "tickers": ["P"], "start": at(-10), "end": at(60),
                       "params": {"side": "yes", "max_entry_price": "0.40", "contracts": 50, "order": "limit"}});
    let mut with_prints = event.clone();
    with_prints["limit_fills"] = json!("trades");
    let details = run(&db.pool, with_prints).await;
    assert_eq!(details.coverage.trade_prints, 4);
    let fills = trades(&db.pool, details.results[0].id).await;
    // Quadratic series: makers pay nothing.
    assert_eq!(
        fills,
        vec![
            ("0.40".into(), "20".into(), "0".into(), Some(false)),
            ("0.40".into(), "10".into(), "0".into(), Some(false)),
        ]
    );
    let settings: Value = sqlx::query_scalar("select settings from backtest_results where id = $1")
        .bind(details.results[0].id)
        .fetch_one(&db.pool)
        .await
        .expect("settings");
    assert_eq!(settings["limit_fills"], "trades");
    // The default touch rule fills all 50 at +20m.
    let touch = run(&db.pool, event).await;
    assert_eq!(
        trades(&db.pool, touch.results[0].id).await,
        vec![("0.40".into(), "50".into(), "0".into(), Some(false))]
    );
}
