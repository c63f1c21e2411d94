//! Trades across the cutoff: each stored once, exactly, with its tier; resumable pages; faults.

use serde_json::json;

use crate::fake_kalshi::{market_json, trade_json};
use crate::helpers::spawn_app;

const DAL: &str = "KXNFLGAME-26SEP06DALPHI-DAL";
const PHI: &str = "KXNFLGAME-26SEP06DALPHI-PHI";
const CUTOFF: &str = "2026-09-01T00:00:00.500000Z";

/// A market open from before the cutoff to after it, with trades on both sides of it, two in the
/// very second of the cutoff, sub-penny prices and fractional counts.
fn straddling_trades() -> Vec<serde_json::Value> {
    vec![
        trade_json("h1", DAL, "2026-08-25T18:00:00.123456Z", "0.4350", "10.00"),
        trade_json("h2", DAL, "2026-08-31T23:59:59.900000Z", "0.5125", "0.01"),
        trade_json("h3", DAL, "2026-09-01T00:00:00.250000Z", "0.5126", "2.50"),
        trade_json("l1", DAL, "2026-09-01T00:00:00.750000Z", "0.5127", "3.33"),
        trade_json("l2", DAL, "2026-09-01T00:30:00Z", "0.5500", "1.00"),
        trade_json("l3", DAL, "2026-09-06T20:00:00Z", "0.9925", "125.75"),
        trade_json("p1", PHI, "2026-09-02T20:00:00Z", "0.4000", "7.00"),
    ]
}

#[tokio::test]
async fn a_market_whose_trades_straddle_the_cutoff_stores_every_trade_once_exactly() {
    let app = spawn_app().await;
    app.kalshi.set_cutoff(CUTOFF);
    // Archiving is not atomic: the live tier still serves the minute before the cutoff too.
    app.kalshi.overlap_tiers(chrono::Duration::minutes(1));
    app.kalshi.set_trades_page_size(2);
    app.kalshi.add_live_market(market_json(
        DAL,
        "finalized",
        "2026-08-20T00:00:00Z",
        "2026-09-07T03:00:00Z",
    ));
    app.kalshi.add_trades(straddling_trades());
    let mut bad = trade_json("bad-cents", DAL, "2026-09-02T12:00:00Z", "0.5000", "1.00");
    bad["yes_price_dollars"] = json!("57");
    app.kalshi.add_trades(vec![bad]);

    let summary = app
        .run_ok(json!({"tickers": [DAL], "what": "trades"}))
        .await;

    assert_eq!(summary.details["complete"], true, "{summary:?}");
    let want = [
        ("h1", "historical", "0.4350", "0.5650", "10.00"),
        ("h2", "historical", "0.5125", "0.4875", "0.01"),
        ("h3", "historical", "0.5126", "0.4874", "2.50"),
        ("l1", "live", "0.5127", "0.4873", "3.33"),
        ("l2", "live", "0.5500", "0.4500", "1.00"),
        ("l3", "live", "0.9925", "0.0075", "125.75"),
    ];
    let got = app.trades().await;
    let want: Vec<(String, String, String, String, String)> = want
        .iter()
        .map(|(a, b, c, d, e)| {
            (
                (*a).into(),
                (*b).into(),
                (*c).into(),
                (*d).into(),
                (*e).into(),
            )
        })
        .collect();
    assert_eq!(got, want);
    // h2 and h3 came from both tiers: served twice, stored once.
    let details = &summary.details;
    assert_eq!(details["historical"]["trades_new"], 3, "{details}");
    assert_eq!(details["live"]["trades_new"], 3, "{details}");
    assert_eq!(details["live"]["trades_seen"], 5, "{details}");
    assert_eq!(details["historical"]["pages"], 2, "{details}");
    assert_eq!(details["live"]["rejected"], 1, "{details}");
    assert_eq!(summary.rows_rejected, 1);
    let kept = app
        .count("select count(*) from rejected_records where source = 'kalshi.trade' and natural_key = 'bad-cents' and reason like 'yes_price_dollars:%' and raw->>'yes_price_dollars' = '57'")
        .await;
    assert_eq!(kept, 1, "the bad trade is kept raw, named by its field");
    let total: String =
        sqlx::query_scalar("select sum(count)::text from kalshi_trades where ticker = $1")
            .bind(DAL)
            .fetch_one(&app.db.pool)
            .await
            .expect("sum");
    assert_eq!(total, "142.59", "fractional counts add up exactly");

    // The live query starts an hour before the cutoff, the historical one ends an hour after.
    let live = app.kalshi.requests_to("/trade-api/v2/markets/trades");
    assert!(
        live[0].contains("min_ts=1788217200"),
        "live starts at cutoff - 1h: {live:?}"
    );
    let historical = app.kalshi.requests_to("/trade-api/v2/historical/trades");
    assert!(
        historical[0].contains("max_ts=1788224401"),
        "historical ends at cutoff + 1h, rounded up: {historical:?}"
    );

    // Everything is covered: a second run asks for no trades and stores nothing.
    app.kalshi.clear_requests();
    let again = app
        .run_ok(json!({"tickers": [DAL], "what": "trades"}))
        .await;
    assert_eq!(again.details["live"]["requests"], 0, "{:?}", again.details);
    assert_eq!(again.details["historical"]["requests"], 0);
    assert_eq!(app.trades().await.len(), 6);
    let watermarks = app
        .count("select count(*) from backfill_watermarks where ticker = 'KXNFLGAME-26SEP06DALPHI-DAL' and kind = 'trades' and cursor is null and covered_through is not null")
        .await;
    assert_eq!(watermarks, 2, "one per tier, both closed");
}

#[tokio::test]
async fn a_cutoff_that_moves_during_the_crawl_is_re_read_and_later_markets_split_at_the_new_one() {
    let app = spawn_app().await;
    app.kalshi.set_cutoff(CUTOFF);
    // Reads: the run's first, DAL's (unchanged), PHI's (a day later).
    app.kalshi
        .move_cutoff_on_later_reads(&[CUTOFF, "2026-09-02T00:00:00Z"]);
    for ticker in [DAL, PHI] {
        app.kalshi.add_live_market(market_json(
            ticker,
            "finalized",
            "2026-08-20T00:00:00Z",
            "2026-09-07T03:00:00Z",
        ));
    }
    app.kalshi.add_trades(straddling_trades());
    let function = backfill_kalshi::BackfillKalshi::new(
        app.db.pool.clone(),
        crate::helpers::settings(&app.kalshi.base_url)
            .client()
            .expect("client"),
    )
    .with_cutoff_ttl(std::time::Duration::ZERO);

    let report = precog::runner::invoke(
        &function,
        &app.db.pool,
        json!({"events": ["KXNFLGAME-26SEP06DALPHI"], "what": "trades"}),
        precog::runner::Trigger::Manual,
        None,
    )
    .await;
    let precog::runner::Report::Completed(summary) = report else {
        panic!("{report:?}");
    };
    assert_eq!(summary.details["cutoff_moves"], 1, "{:?}", summary.details);
    assert_eq!(summary.details["cutoff"], "2026-09-02T00:00:00Z");
    // DAL was split at the first cutoff, PHI at the new one (an hour before each).
    let live = app.kalshi.requests_to("/trade-api/v2/markets/trades");
    assert!(
        live.iter()
            .any(|r| r.contains(DAL) && r.contains("min_ts=1788217200")),
        "{live:?}"
    );
    assert!(
        live.iter()
            .any(|r| r.contains(PHI) && r.contains("min_ts=1788303600")),
        "{live:?}"
    );
    assert_eq!(
        app.trades().await.len(),
        7,
        "every trade of both markets, once"
    );
}

#[tokio::test]
async fn an_unknown_ticker_fails_the_run_naming_it_and_stores_no_trades() {
    let app = spawn_app().await;
    app.kalshi.set_cutoff(CUTOFF);
    app.kalshi.add_live_market(market_json(
        DAL,
        "finalized",
        "2026-08-20T00:00:00Z",
        "2026-09-07T03:00:00Z",
    ));
    app.kalshi.add_trades(straddling_trades());
    let report = app
        .run(json!({"tickers": [DAL, "KXNFLGAME-26SEP06NOPE-X"]}))
        .await;
    let precog::runner::Report::Failed(summary) = report else {
        panic!("expected a failure, got {report:?}");
    };
    let error = summary.error.unwrap_or_default();
    assert!(error.contains("KXNFLGAME-26SEP06NOPE-X"), "{error}");
    assert!(!error.contains(&format!("`{DAL}`")), "{error}");
    assert_eq!(app.count("select count(*) from kalshi_trades").await, 0);
}

#[tokio::test]
async fn a_request_cap_stops_the_crawl_between_pages_and_the_next_run_finishes_it() {
    let app = spawn_app().await;
    app.kalshi.set_cutoff(CUTOFF);
    app.kalshi.set_trades_page_size(1);
    app.kalshi.add_live_market(market_json(
        DAL,
        "finalized",
        "2026-08-20T00:00:00Z",
        "2026-09-07T03:00:00Z",
    ));
    app.kalshi.add_trades(straddling_trades());
    // One 503 on the way: the retry policy absorbs it.
    app.kalshi.fail_trade_pages(1);

    // The cutoff, one listing, its event and series, three historical pages and one live page.
    let first = app
        .run_ok(json!({"tickers": [DAL], "what": "trades", "max_requests": 8}))
        .await;
    assert_eq!(
        first.details["stopped"], "request_cap",
        "{:?}",
        first.details
    );
    assert_eq!(first.details["complete"], false);
    assert_eq!(
        app.trades().await.len(),
        4,
        "three historical trades and one live"
    );
    let open = app
        .count("select count(*) from backfill_watermarks where cursor is not null")
        .await;
    assert_eq!(open, 1, "the interrupted window keeps its next cursor");

    app.kalshi.clear_requests();
    let second = app
        .run_ok(json!({"tickers": [DAL], "what": "trades"}))
        .await;
    assert_eq!(second.details["complete"], true);
    // It resumed from the stored cursor rather than from the window's start, and left the
    // finished historical tier alone.
    let live = app.kalshi.requests_to("/trade-api/v2/markets/trades");
    assert!(live[0].contains("cursor=c1"), "{live:?}");
    assert_eq!(second.details["historical"]["requests"], 0);
    assert_eq!(app.trades().await.len(), 6);
}

#[tokio::test]
async fn an_archived_market_is_recorded_in_the_catalog_from_the_historical_tier() {
    let app = spawn_app().await;
    app.kalshi.set_cutoff(CUTOFF);
    app.kalshi.add_historical_market(market_json(
        "KXNFLGAME-26MAR01AB-A",
        "finalized",
        "2026-02-20T00:00:00Z",
        "2026-03-02T03:00:00Z",
    ));
    app.kalshi.add_trades(vec![trade_json(
        "old-1",
        "KXNFLGAME-26MAR01AB-A",
        "2026-03-01T20:00:00Z",
        "0.3333",
        "9.99",
    )]);
    let summary = app
        .run_ok(json!({"series": ["KXNFLGAME"], "what": "trades"}))
        .await;
    assert_eq!(
        summary.details["markets_archived"], 1,
        "{:?}",
        summary.details
    );
    let status: String =
        sqlx::query_scalar("select status from markets where ticker = 'KXNFLGAME-26MAR01AB-A'")
            .fetch_one(&app.db.pool)
            .await
            .expect("a catalog row");
    assert_eq!(status, "finalized");
    let series: Option<String> = sqlx::query_scalar(
        "select m.series_ticker from markets m join events e using (event_ticker)
          where m.ticker = 'KXNFLGAME-26MAR01AB-A'",
    )
    .fetch_one(&app.db.pool)
    .await
    .expect("its event is in the catalog too");
    assert_eq!(series.as_deref(), Some("KXNFLGAME"));
    // Closed long before the cutoff: the live tier is never asked.
    assert!(app
        .kalshi
        .requests_to("/trade-api/v2/markets/trades")
        .is_empty());
    assert_eq!(app.trades().await.len(), 1);
}

#[tokio::test]
async fn a_deadline_stops_the_crawl_between_pages_and_the_next_run_finishes_it() {
    let app = spawn_app().await;
    app.kalshi.set_cutoff(CUTOFF);
    app.kalshi.set_trades_page_size(1);
    app.kalshi.add_live_market(market_json(
        DAL,
        "finalized",
        "2026-08-20T00:00:00Z",
        "2026-09-07T03:00:00Z",
    ));
    app.kalshi.add_trades(straddling_trades());
    app.kalshi
        .slow_trade_pages(std::time::Duration::from_millis(400));

    // 4 s: the runner keeps 1 s back, the crawl stops with 2 s left, so ~1 s of pages.
    let first = app
        .run_ok(json!({"tickers": [DAL], "what": "trades", "max_seconds": 4}))
        .await;
    assert_eq!(first.details["stopped"], "deadline", "{:?}", first.details);
    let stored = app.trades().await.len();
    assert!(stored < 6, "{stored}");

    app.kalshi.slow_trade_pages(std::time::Duration::ZERO);
    let second = app
        .run_ok(json!({"tickers": [DAL], "what": "trades"}))
        .await;
    assert_eq!(second.details["complete"], true);
    assert_eq!(app.trades().await.len(), 6);
}
