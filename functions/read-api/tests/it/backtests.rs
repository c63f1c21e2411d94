use serde_json::json;

use crate::helpers::spawn;

/// A second stored backtest beside the seeded one, and the seeded one's execution.
async fn seed_backtests(pool: &sqlx::PgPool) {
    for (id, strategy, created, net) in [(
        "00000000-0000-0000-0000-0000000000b2",
        "fade_overreaction",
        "2026-11-21T10:00:00Z",
        "-3.10",
    )] {
        sqlx::query(
            "insert into backtest_results (id, strategy, version, params, selection, settings,
                 starting_cash, net_pnl, gross_pnl, fees_paid, num_trades, max_drawdown, metrics,
                 equity_curve, snapshots_replayed, created_at)
             values ($1::uuid, $2, 'abc123', '{\"side\":\"yes\"}', '{\"series\":[\"S1\"]}', '{}', 1000,
                     $3::numeric, $3::numeric + 2, 2, 2, 8.48, '{\"brier_score\":\"0.3025\"}',
                     '[{\"t\":\"2026-11-01T12:00:00Z\",\"equity\":\"1000\",\"drawdown\":\"0\"}]', 4,
                     $4::timestamptz)",
        )
        .bind(id)
        .bind(strategy)
        .bind(net)
        .bind(created)
        .execute(pool)
        .await
        .expect("backtest");
    }
    sqlx::query(
        "insert into backtest_executions (backtest_id, seq, ticker, side, contracts, entry_time,
             entry_price, entry_fee, entry_snapshot_id, entry_reason, exit_kind, exit_time,
             exit_price, gross_pnl, fees, pnl)
         values ('00000000-0000-0000-0000-0000000000b1', 0, 'A', 'yes', 100, '2026-11-01T12:00:00Z',
                 0.45, 1.74, 7, '{\"signal\":\"ask_at_or_below\"}', 'settled', '2026-11-01T14:00:00Z',
                 1, 55, 1.74, 53.26)",
    )
    .execute(pool)
    .await
    .expect("execution");
}

#[tokio::test]
async fn backtests_list_newest_first_and_filter_by_strategy() {
    let app = spawn().await;
    seed_backtests(&app.db.pool).await;
    let (status, body) = app.get("/api/v1/backtests").await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["strategy"], "fade_overreaction", "newest first");
    assert!(
        items[0].get("equity_curve").is_none(),
        "the list is headlines only"
    );

    let (_, body) = app.get("/api/v1/backtests?strategy=threshold_hold").await;
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["net_pnl"], "51.52");

    let (_, first) = app.get("/api/v1/backtests?limit=1").await;
    let cursor = first["next_cursor"].as_str().expect("cursor");
    let (_, second) = app
        .get(&format!("/api/v1/backtests?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(second["items"][0]["strategy"], "threshold_hold");
    app.bad("/api/v1/backtests?run_id=nope", "run_id").await;
    app.bad("/api/v1/backtests?colour=red", "colour").await;
}

#[tokio::test]
async fn one_backtest_carries_its_metrics_curve_and_executions() {
    let app = spawn().await;
    seed_backtests(&app.db.pool).await;
    let (status, body) = app
        .get("/api/v1/backtests/00000000-0000-0000-0000-0000000000b1")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["strategy"], "threshold_hold");
    assert_eq!(body["metrics"]["brier_score"], "0.3025");
    assert_eq!(body["equity_curve"][0]["equity"], "1000");
    assert_eq!(body["executions"][0]["ticker"], "A");
    assert_eq!(body["executions"][0]["pnl"], "53.26");
    assert_eq!(
        body["executions"][0]["entry_reason"],
        json!({"signal": "ask_at_or_below"})
    );

    let (status, _) = app
        .get("/api/v1/backtests/00000000-0000-0000-0000-0000000000ff")
        .await;
    assert_eq!(status, 404);
    app.bad("/api/v1/backtests/not-a-uuid", "id").await;
}
