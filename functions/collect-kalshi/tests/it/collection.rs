use precog::db::runs::RunStatus;
use serde_json::json;

use crate::helpers::spawn_app;
use precog::testing::fake_kalshi::{event_json, market_json, series_json};

#[tokio::test]
async fn a_pass_stores_every_open_market_across_pages_exactly_as_quoted() {
    // Arrange: 5 markets over 3 pages, with sub-penny prices, fractional sizes, nulls, missing
    // optional fields and fields Kalshi added after we wrote the parser.
    let app = spawn_app().await;
    app.kalshi.set_page_size(2);
    let mut subpenny = market_json(
        "KXNFLGAME-26SEP13DALNYG-DAL",
        "KXNFLGAME-26SEP13DALNYG",
        "0.0150",
        "0.0200",
    );
    subpenny["yes_bid_size_fp"] = json!("12.50");
    subpenny["a_field_added_next_week"] = json!({"nested": [1, 2]});
    let mut sparse = market_json(
        "KXNFLGAME-26SEP13DALNYG-NYG",
        "KXNFLGAME-26SEP13DALNYG",
        "0.4300",
        "0.4400",
    );
    sparse["no_bid_dollars"] = json!(null);
    sparse
        .as_object_mut()
        .expect("object")
        .remove("volume_24h_fp");
    sparse
        .as_object_mut()
        .expect("object")
        .remove("last_price_dollars");
    let mut closed = market_json(
        "KXNBAGAME-26NOV21NYKBOS-NYK",
        "KXNBAGAME-26NOV21NYKBOS",
        "0.5000",
        "0.5100",
    );
    closed["status"] = json!("closed");
    app.kalshi.add_markets(vec![
        subpenny,
        sparse,
        market_json(
            "KXNBAGAME-26NOV21NYKBOS-BOS",
            "KXNBAGAME-26NOV21NYKBOS",
            "0.6100",
            "0.6200",
        ),
        market_json(
            "KXHIGHNY-26NOV21-B53.5",
            "KXHIGHNY-26NOV21",
            "0.0001",
            "0.0002",
        ),
        market_json(
            "KXHIGHNY-26NOV21-B55.5",
            "KXHIGHNY-26NOV21",
            "0.9998",
            "1.0000",
        ),
        closed,
    ]);

    // Act
    let summary = app.run_ok(json!({})).await;

    // Assert: every open market, nothing else, one snapshot each, exact decimals.
    assert_eq!(summary.status, RunStatus::Ok);
    assert_eq!(app.count("select count(*) from markets").await, 5);
    assert_eq!(app.count("select count(*) from market_snapshots").await, 5);
    assert_eq!(summary.details["pages"], 3, "{summary:?}");
    assert_eq!(
        app.text("select yes_bid::text from market_snapshots where ticker = 'KXNFLGAME-26SEP13DALNYG-DAL'").await.as_deref(),
        Some("0.0150")
    );
    assert_eq!(
        app.text("select yes_bid_size::text from market_snapshots where ticker = 'KXNFLGAME-26SEP13DALNYG-DAL'").await.as_deref(),
        Some("12.50")
    );
    assert_eq!(
        app.text("select volume_24h::text from market_snapshots where ticker = 'KXNFLGAME-26SEP13DALNYG-NYG'").await,
        None
    );
    assert_eq!(
        app.text("select market_snapshot_raw(s)->'a_field_added_next_week'->>'nested' from market_snapshots s where ticker = 'KXNFLGAME-26SEP13DALNYG-DAL'").await.as_deref(),
        Some("[1, 2]")
    );
    // The catalog came along: events, and series with their fee parameters.
    assert_eq!(app.count("select count(*) from events").await, 3);
    assert_eq!(
        app.text("select fee_type || ' x' || fee_multiplier::text from series where ticker = 'KXNFLGAME'").await.as_deref(),
        Some("quadratic x1")
    );
    assert_eq!(
        app.text("select series_ticker from markets where ticker = 'KXHIGHNY-26NOV21-B53.5'")
            .await
            .as_deref(),
        Some("KXHIGHNY")
    );
    // The requests were the documented ones: open markets, combos excluded, the maximum page
    // size, and no empty cursor on the first page.
    let first = &app.kalshi.requests_to("/trade-api/v2/markets")[0];
    assert!(
        first.contains("status=open")
            && first.contains("mve_filter=exclude")
            && first.contains("limit=1000"),
        "{first}"
    );
    assert!(!first.contains("cursor"), "{first}");
    // The ledger.
    assert_eq!(
        app.count("select count(*) from collection_runs where status = 'ok' and rows_written > 0")
            .await,
        1
    );
}

#[tokio::test]
async fn a_rerun_over_unchanged_markets_adds_nothing_and_a_changed_quote_adds_one_row() {
    let app = spawn_app().await;
    app.kalshi.add_markets(vec![
        market_json(
            "KXNFLGAME-26SEP13DALNYG-DAL",
            "KXNFLGAME-26SEP13DALNYG",
            "0.5600",
            "0.5700",
        ),
        market_json(
            "KXNFLGAME-26SEP13DALNYG-NYG",
            "KXNFLGAME-26SEP13DALNYG",
            "0.4300",
            "0.4400",
        ),
    ]);
    app.run_ok(json!({})).await;

    let rerun = app.run_ok(json!({})).await;
    assert_eq!(app.count("select count(*) from market_snapshots").await, 2);
    assert_eq!(app.count("select count(*) from markets").await, 2);
    assert_eq!(rerun.rows_written, 0, "{rerun:?}");
    // Series and events are fetched when new, not every pass.
    assert_eq!(
        app.kalshi
            .requests_to("/trade-api/v2/series/KXNFLGAME")
            .len(),
        1
    );
    assert_eq!(
        app.kalshi
            .requests_to("/trade-api/v2/events")
            .iter()
            .filter(|r| r.contains("tickers"))
            .count(),
        1
    );

    app.kalshi.set_field(
        "KXNFLGAME-26SEP13DALNYG-DAL",
        "yes_bid_dollars",
        json!("0.5650"),
    );
    app.run_ok(json!({})).await;
    assert_eq!(app.count("select count(*) from market_snapshots").await, 3);
    assert_eq!(
        app.count(
            "select count(*) from market_snapshots where ticker = 'KXNFLGAME-26SEP13DALNYG-DAL'"
        )
        .await,
        2
    );
    // markets.last_snapshot_at points at the newest row.
    assert_eq!(
        app.text("select s.yes_bid::text from markets m join market_snapshots s on s.ticker = m.ticker and s.observed_at = m.last_snapshot_at where m.ticker = 'KXNFLGAME-26SEP13DALNYG-DAL'").await.as_deref(),
        Some("0.5650")
    );
}

#[tokio::test]
async fn a_catalog_change_under_an_unchanged_quote_rewrites_the_market_and_keeps_the_new_payload() {
    let app = spawn_app().await;
    let ticker = "KXNFLGAME-26SEP13DALNYG-DAL";
    app.kalshi.add_markets(vec![market_json(
        ticker,
        "KXNFLGAME-26SEP13DALNYG",
        "0.5600",
        "0.5700",
    )]);
    app.run_ok(json!({})).await;

    // Kalshi moves the close and edits the rules; the quote stays.
    app.kalshi
        .set_field(ticker, "close_time", json!("2026-09-14T04:00:00Z"));
    app.kalshi
        .set_field(ticker, "rules_secondary", json!("Overtime counts."));
    let changed = app.run_ok(json!({})).await;
    assert_eq!(
        changed.rows_written, 2,
        "the market row and one snapshot: {changed:?}"
    );
    assert_eq!(
        app.text("select close_time::text from markets")
            .await
            .as_deref(),
        Some("2026-09-14 04:00:00+00")
    );
    // The catalog row's payload and the newest snapshot's rebuilt payload are the new one.
    assert_eq!(
        app.text("select raw ->> 'rules_secondary' from markets")
            .await
            .as_deref(),
        Some("Overtime counts.")
    );
    assert_eq!(
        app.text(
            "select market_snapshot_raw(s) ->> 'rules_secondary' from markets m
               join market_snapshots s on s.ticker = m.ticker and s.observed_at = m.last_snapshot_at"
        )
        .await
        .as_deref(),
        Some("Overtime counts.")
    );
    assert_eq!(app.count("select count(*) from market_versions").await, 2);

    let again = app.run_ok(json!({})).await;
    assert_eq!(again.rows_written, 0, "nothing changed: {again:?}");
    assert_eq!(app.count("select count(*) from market_snapshots").await, 2);
}

#[tokio::test]
async fn a_market_listed_on_two_pages_is_written_by_both_and_points_at_its_newest_snapshot() {
    // Kalshi's open set can move under the cursor, listing a market twice in one pass; pages are
    // written on two connections at once, so both writes of that market meet.
    let app = spawn_app().await;
    app.kalshi.set_page_size(2);
    app.kalshi.add_markets(vec![
        market_json("KXA-26-A", "KXA-26", "0.5000", "0.5100"),
        market_json("KXA-26-B", "KXA-26", "0.4000", "0.4100"),
        market_json("KXA-26-C", "KXA-26", "0.3000", "0.3100"),
        market_json("KXA-26-A", "KXA-26", "0.5200", "0.5300"),
        market_json("KXA-26-D", "KXA-26", "0.2000", "0.2100"),
        market_json("KXA-26-A", "KXA-26", "0.5400", "0.5500"),
    ]);
    let run = app.run_ok(json!({})).await;
    assert_eq!(app.count("select count(*) from markets").await, 4);
    let a = "select count(*) from market_snapshots where ticker = 'KXA-26-A'";
    assert_eq!(app.count(a).await, 3, "{run:?}");
    assert_eq!(
        app.text(
            "select s.yes_bid::text from markets m
               join market_snapshots s on s.ticker = m.ticker and s.observed_at = m.last_snapshot_at
              where m.ticker = 'KXA-26-A'"
        )
        .await
        .as_deref(),
        Some("0.5400"),
        "the pointer is on the last page's quote"
    );
}

#[tokio::test]
async fn an_unchanged_market_is_snapshotted_again_after_the_heartbeat() {
    let app = spawn_app().await;
    app.kalshi
        .add_markets(vec![market_json("KXA-26-X", "KXA-26", "0.5000", "0.5100")]);
    app.run_ok(json!({})).await;
    // Age the stored snapshot past the 60-minute heartbeat.
    sqlx::query("update market_snapshots set observed_at = observed_at - interval '61 minutes'")
        .execute(&app.db.pool)
        .await
        .expect("aging");
    sqlx::query("update markets set last_snapshot_at = last_snapshot_at - interval '61 minutes'")
        .execute(&app.db.pool)
        .await
        .expect("aging");

    app.run_ok(json!({})).await;
    assert_eq!(app.count("select count(*) from market_snapshots").await, 2);
    app.run_ok(json!({})).await;
    assert_eq!(
        app.count("select count(*) from market_snapshots").await,
        2,
        "within the heartbeat again"
    );
}

#[tokio::test]
async fn a_malformed_market_is_kept_raw_with_its_reason_and_the_rest_of_the_page_is_stored() {
    let app = spawn_app().await;
    let mut bad_decimal = market_json("KXA-26-BAD", "KXA-26", "0.5000", "0.5100");
    bad_decimal["yes_ask_dollars"] = json!("0.5O00");
    let mut no_ticker = market_json("ignored", "KXA-26", "0.5000", "0.5100");
    no_ticker.as_object_mut().expect("object").remove("ticker");
    app.kalshi.add_markets(vec![
        market_json("KXA-26-GOOD", "KXA-26", "0.5000", "0.5100"),
        bad_decimal,
        no_ticker,
    ]);

    let summary = app.run_ok(json!({})).await;

    assert_eq!(summary.rows_rejected, 2, "{summary:?}");
    assert_eq!(app.count("select count(*) from market_snapshots").await, 1);
    assert_eq!(
        app.text("select reason from rejected_records where natural_key = 'KXA-26-BAD'")
            .await
            .as_deref(),
        Some("yes_ask_dollars: `0.5O00` is not a decimal number")
    );
    assert_eq!(
        app.text(
            "select raw->>'yes_ask_dollars' from rejected_records where natural_key = 'KXA-26-BAD'"
        )
        .await
        .as_deref(),
        Some("0.5O00")
    );
    assert_eq!(app.count("select count(*) from rejected_records where natural_key is null and reason like 'ticker:%'").await, 1);
    // Seen again next pass: counted again, not duplicated.
    app.run_ok(json!({})).await;
    assert_eq!(app.count("select count(*) from rejected_records").await, 2);
    assert_eq!(
        app.count("select max(times_seen)::bigint from rejected_records")
            .await,
        2
    );
}

#[tokio::test]
async fn a_series_scoped_pass_with_depth_stores_order_books() {
    let app = spawn_app().await;
    app.kalshi.add_markets(vec![
        market_json(
            "KXNFLGAME-26SEP13DALNYG-DAL",
            "KXNFLGAME-26SEP13DALNYG",
            "0.5600",
            "0.5700",
        ),
        market_json(
            "KXHIGHNY-26NOV21-B53.5",
            "KXHIGHNY-26NOV21",
            "0.1000",
            "0.1100",
        ),
    ]);
    let book = json!({"yes_dollars": [["0.5500", "940.00"], ["0.5600", "1250.00"]], "no_dollars": [["0.4300", "830.00"]]});
    app.kalshi
        .set_orderbook("KXNFLGAME-26SEP13DALNYG-DAL", book.clone());

    app.run_ok(json!({"series": ["KXNFLGAME"], "depth": true}))
        .await;

    assert_eq!(
        app.count("select count(*) from market_snapshots").await,
        1,
        "only the series asked for"
    );
    assert_eq!(
        app.text("select depth::text from market_snapshots").await,
        Some(
            serde_json::to_string(&book)
                .expect("json")
                .replace(",", ", ")
                .replace(":", ": ")
        )
    );
    let request = &app.kalshi.requests_to("/trade-api/v2/markets/orderbooks")[0];
    assert!(
        request.contains("tickers=KXNFLGAME-26SEP13DALNYG-DAL"),
        "{request}"
    );
    // A changed book alone is a change worth a snapshot.
    app.kalshi.set_orderbook(
        "KXNFLGAME-26SEP13DALNYG-DAL",
        json!({"yes_dollars": [["0.5600", "1.00"]], "no_dollars": []}),
    );
    app.run_ok(json!({"series": ["KXNFLGAME"], "depth": true}))
        .await;
    assert_eq!(app.count("select count(*) from market_snapshots").await, 2);
}

#[tokio::test]
async fn the_tighter_loop_repeats_passes_until_the_deadline() {
    let app = spawn_app().await;
    app.kalshi.add_markets(vec![market_json(
        "KXNFLGAME-26SEP13DALNYG-DAL",
        "KXNFLGAME-26SEP13DALNYG",
        "0.5600",
        "0.5700",
    )]);

    let summary = app
        .run_ok(json!({"series": ["KXNFLGAME"], "interval_seconds": 1, "max_seconds": 4}))
        .await;

    let passes = summary.details["passes"].as_u64().expect("passes");
    assert!((2..=4).contains(&passes), "{summary:?}");
    assert!(
        summary.duration_ms < 4_000,
        "stops before the deadline: {summary:?}"
    );
    assert_eq!(
        app.count("select count(*) from market_snapshots").await,
        1,
        "unchanged quotes add nothing"
    );
}

#[tokio::test]
async fn two_overlapping_invocations_run_once_and_the_other_is_recorded_as_skipped() {
    let app = spawn_app().await;
    app.kalshi
        .add_markets(vec![market_json("KXA-26-X", "KXA-26", "0.5000", "0.5100")]);
    // The first invocation's first request is slow, so the second starts while it runs.
    app.kalshi.fail_next(
        "/markets",
        vec![precog::testing::fake_kalshi::Fault::Delay(
            std::time::Duration::from_millis(400),
        )],
    );

    let (first, second) = tokio::join!(app.run(json!({})), async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        app.run(json!({})).await
    });

    let statuses: Vec<RunStatus> = [first, second]
        .into_iter()
        .map(|report| match report {
            precog::runner::Report::Completed(summary) => summary.status,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(
        statuses.contains(&RunStatus::Ok) && statuses.contains(&RunStatus::Skipped),
        "{statuses:?}"
    );
    assert_eq!(
        app.count("select count(*) from collection_runs where status = 'skipped'")
            .await,
        1
    );
    assert_eq!(app.count("select count(*) from market_snapshots").await, 1);
}

#[tokio::test]
async fn a_series_kalshi_does_not_know_leaves_the_market_stored() {
    let app = spawn_app().await;
    app.kalshi.add_markets(vec![market_json(
        "KXODD-26-X",
        "KXODD-26",
        "0.5000",
        "0.5100",
    )]);
    app.kalshi
        .set_series("KXODD", json!({"ticker": "", "fee_type": "quadratic"}));

    let summary = app.run_ok(json!({})).await;

    assert_eq!(app.count("select count(*) from market_snapshots").await, 1);
    assert_eq!(
        summary.rows_rejected, 1,
        "the unusable series is kept aside: {summary:?}"
    );
    assert_eq!(
        app.count("select count(*) from rejected_records where source = 'kalshi.series'")
            .await,
        1
    );
}

#[tokio::test]
async fn series_and_events_kalshi_changed_since_the_last_run_are_refreshed() {
    let app = spawn_app().await;
    app.kalshi.add_markets(vec![market_json(
        "KXNFLGAME-26SEP13DALNYG-DAL",
        "KXNFLGAME-26SEP13DALNYG",
        "0.5600",
        "0.5700",
    )]);
    app.run_ok(json!({})).await;

    let mut cheaper = series_json("KXNFLGAME");
    cheaper["fee_multiplier"] = json!(0.5);
    app.kalshi.change_series(cheaper);
    app.kalshi.change_series(series_json("KXUNTRACKED"));
    let mut renamed = event_json("KXNFLGAME-26SEP13DALNYG", "KXNFLGAME");
    renamed["title"] = json!("Dallas at New York G (moved to Monday)");
    app.kalshi.change_event(renamed);
    app.run_ok(json!({})).await;

    assert_eq!(
        app.text("select fee_multiplier::text from series where ticker = 'KXNFLGAME'")
            .await
            .as_deref(),
        Some("0.5")
    );
    assert_eq!(
        app.count("select count(*) from series").await,
        1,
        "only series we track"
    );
    assert_eq!(
        app.text("select title from events").await.as_deref(),
        Some("Dallas at New York G (moved to Monday)")
    );
    let asked = app.kalshi.requests_to("/trade-api/v2/series");
    assert!(
        asked.iter().any(|r| r.contains("min_updated_ts=")),
        "{asked:?}"
    );
}
