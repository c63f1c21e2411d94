//! Snapshot storage (migrations/20261201000400_storage.sql): the payload is split into typed
//! quote columns, a catalog version kept once per change, and what neither reproduces; it is
//! rebuilt exactly by `market_snapshot_raw`. Under `PRECOG_TEST_TIMESCALEDB=1` (scripts/test.sh's
//! second variant) the same writes go into compressed chunks.

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::spawn_app;
use precog::testing::fake_kalshi::market_json;

const DAL: &str = "KXNFLGAME-26SEP13DALNYG-DAL";
const NYG: &str = "KXNFLGAME-26SEP13DALNYG-NYG";
const EVENT: &str = "KXNFLGAME-26SEP13DALNYG";
const HIGH: &str = "KXHIGHNY-26NOV21-B53.5";

/// Payloads that exercise every way a field can fail to be reproduced by the typed columns or
/// the catalog version.
fn tricky_markets() -> Vec<Value> {
    let mut dal = market_json(DAL, EVENT, "0.0150", "0.0200");
    dal["a_field_added_next_week"] = json!({"nested": [1, {"deeper": null}, "x"], "empty": {}});
    dal["title"] = json!("Café “quoted” – \\ backslash \u{1F3C8}");
    dal["previous_price_dollars"] = json!("1e-2"); // not a fixed-point string: kept as sent
    dal["previous_yes_ask_dollars"] = json!(null);
    dal["yes_bid_size_fp"] = json!("12.50");
    let mut nyg = market_json(NYG, EVENT, "0.43", "0.4400");
    nyg["no_bid_dollars"] = json!(null);
    let object = nyg.as_object_mut().expect("object");
    object.remove("volume_24h_fp");
    object.remove("last_price_dollars");
    object.remove("previous_yes_bid_dollars");
    let mut high = market_json(HIGH, "KXHIGHNY-26NOV21", "0.000100", "0.9999");
    high["floor_strike"] = json!(53.5);
    high["cap_strike"] = json!(null);
    high["price_ranges"] = json!([
        {"start": "0.0000", "end": "0.1000", "step": "0.0010"},
        {"start": "0.1000", "end": "1.0000", "step": "0.0100"}
    ]);
    vec![dal, nyg, high]
}

/// The rebuilt payload of every snapshot of `ticker`, oldest first, as jsonb's canonical text
/// (which keeps numbers' digits: `53.50` and `53.5` differ here, unlike under jsonb `=`).
async fn rebuilt(pool: &PgPool, ticker: &str) -> Vec<String> {
    sqlx::query_scalar(
        "select market_snapshot_raw(s)::text from market_snapshots s
          where ticker = $1 order by observed_at",
    )
    .bind(ticker)
    .fetch_all(pool)
    .await
    .expect("rebuilding payloads")
}

async fn canonical(pool: &PgPool, payload: &Value) -> String {
    sqlx::query_scalar("select $1::text::jsonb::text")
        .bind(payload.to_string())
        .fetch_one(pool)
        .await
        .expect("canonical jsonb text")
}

/// Whether the test cluster runs TimescaleDB; when the TimescaleDB variant was asked for, it must.
async fn timescaledb(pool: &PgPool) -> bool {
    let installed: bool = sqlx::query_scalar(
        "select exists(select 1 from pg_extension where extname = 'timescaledb')",
    )
    .fetch_one(pool)
    .await
    .expect("pg_extension");
    if std::env::var("PRECOG_TEST_TIMESCALEDB").as_deref() == Ok("1") {
        assert!(
            installed,
            "PRECOG_TEST_TIMESCALEDB=1 but the test database has no TimescaleDB"
        );
    }
    installed
}

/// Compresses every chunk of the time-series tables (TimescaleDB only); returns how many.
async fn compress_everything(pool: &PgPool) -> i64 {
    if !timescaledb(pool).await {
        return 0;
    }
    let mut total = 0;
    for table in ["market_snapshots", "game_states"] {
        let n: i64 = sqlx::query_scalar(&format!(
            "select count(compress_chunk(c, if_not_compressed => true)) from show_chunks('{table}') c"
        ))
        .fetch_one(pool)
        .await
        .expect("compressing chunks");
        total += n;
    }
    total
}

#[tokio::test]
async fn every_snapshot_rebuilds_to_exactly_the_payload_kalshi_sent() {
    let app = spawn_app().await;
    let pool = &app.db.pool;
    let first = tricky_markets();
    app.kalshi.add_markets(first.clone());
    app.run_ok(json!({})).await;

    // Second pass: every quote moves; DAL's rules change too (a new catalog version).
    app.kalshi
        .set_field(DAL, "yes_bid_dollars", json!("0.0160"));
    app.kalshi
        .set_field(DAL, "rules_primary", json!("Amended: if Dallas wins."));
    app.kalshi
        .set_field(NYG, "yes_ask_dollars", json!("0.4500"));
    app.kalshi.set_field(HIGH, "volume_fp", json!("0.01"));
    app.run_ok(json!({})).await;

    let mut second = first.clone();
    second[0]["yes_bid_dollars"] = json!("0.0160");
    second[0]["rules_primary"] = json!("Amended: if Dallas wins.");
    second[1]["yes_ask_dollars"] = json!("0.4500");
    second[2]["volume_fp"] = json!("0.01");
    for (one, two) in first.iter().zip(&second) {
        let ticker = one["ticker"].as_str().expect("ticker");
        assert_eq!(
            rebuilt(pool, ticker).await,
            vec![canonical(pool, one).await, canonical(pool, two).await],
            "{ticker}"
        );
    }

    // Stored once: one catalog version per market, two for the one whose rules changed; no
    // payload copy in the snapshot, and `extra` only where a field could not be typed.
    let versions: Vec<(String, i64)> = sqlx::query_as(
        "select ticker, count(*) from market_versions group by ticker order by ticker",
    )
    .fetch_all(pool)
    .await
    .expect("versions");
    assert_eq!(
        versions,
        vec![(HIGH.into(), 1), (DAL.into(), 2), (NYG.into(), 1)]
    );
    assert_eq!(
        app.count("select count(*) from market_snapshots where raw is not null")
            .await,
        0
    );
    let extras: Vec<(String, Option<String>)> =
        sqlx::query_as("select distinct ticker, extra::text from market_snapshots order by ticker")
            .fetch_all(pool)
            .await
            .expect("extras");
    assert_eq!(
        extras,
        vec![
            (HIGH.to_owned(), None),
            (
                DAL.to_owned(),
                Some(
                    r#"{"previous_price_dollars": "1e-2", "previous_yes_ask_dollars": null}"#
                        .to_owned()
                )
            ),
            (
                NYG.to_owned(),
                Some(r#"{"no_bid_dollars": null}"#.to_owned())
            ),
        ]
    );
}

#[tokio::test]
async fn a_payload_inserted_whole_is_split_by_the_trigger_and_rebuilt_digit_for_digit() {
    let app = spawn_app().await;
    let pool = &app.db.pool;
    // Written as text so the numbers keep digits serde_json would drop (53.50, 1.0E+2).
    let payloads = [
        r#"{"ticker":"T-1","status":"active","yes_bid_dollars":"0.5600","floor_strike":53.50,
            "cap_strike":1.0E+2,"unknown":{"a":[1,2.50,{"b":null}]},"no_ask_dollars":null,
            "previous_yes_bid_dollars":"0.010000","volume_fp":"007.00","key order":"z first"}"#,
        r#"{"ticker":"T-1","status":"active","yes_bid_dollars":"0.5700","floor_strike":53.50,
            "cap_strike":1.0E+2,"unknown":{"a":[1,2.50,{"b":null}]},"no_ask_dollars":null,
            "previous_yes_bid_dollars":"0.010000","volume_fp":"007.00","key order":"z first"}"#,
        r#"{}"#,
    ];
    let typed = [
        ("T-1", "2026-11-20T10:00:00Z", Some("0.5600"), None),
        ("T-1", "2026-11-20T10:05:00Z", Some("0.5700"), None),
        // A hand-written row whose typed columns carry what the payload does not.
        ("T-2", "2026-11-20T10:05:00Z", Some("0.2500"), Some("7")),
    ];
    for ((ticker, at, yes_bid, volume), raw) in typed.iter().zip(payloads) {
        sqlx::query(
            "insert into market_snapshots (ticker, observed_at, source, status, yes_bid, volume, raw)
             values ($1, $2::timestamptz, 'backfill', 'active', $3::numeric, $4::numeric, $5::jsonb)",
        )
        .bind(ticker)
        .bind(at)
        .bind(yes_bid)
        .bind(volume)
        .bind(raw)
        .execute(pool)
        .await
        .expect("insert with raw");
    }
    for (ticker, raws) in [("T-1", &payloads[..2]), ("T-2", &payloads[2..])] {
        let mut expected = Vec::new();
        for raw in raws {
            let text: String = sqlx::query_scalar("select $1::jsonb::text")
                .bind(raw)
                .fetch_one(pool)
                .await
                .expect("canonical");
            expected.push(text);
        }
        assert_eq!(rebuilt(pool, ticker).await, expected, "{ticker}");
    }
    // `volume_fp` "007.00" does not survive NUMERIC ("7.00"), so it stays in `extra`, as sent.
    assert_eq!(
        app.text("select extra->>'volume_fp' from market_snapshots where ticker = 'T-1' limit 1")
            .await
            .as_deref(),
        Some("007.00")
    );
    assert_eq!(app.count("select count(*) from market_versions").await, 2);
    // Writing without the payload (and without a version) is refused, naming the column.
    let refused = sqlx::query(
        "insert into market_snapshots (ticker, observed_at, source, status) values ('T-3', now(), 'rest', 'active')",
    )
    .execute(pool)
    .await
    .expect_err("a snapshot without its payload");
    assert!(refused.to_string().contains("version_id"), "{refused}");
}

#[tokio::test]
async fn compressed_chunks_take_new_snapshots_late_rows_settlement_and_a_replaced_day() {
    let app = spawn_app().await;
    let pool = &app.db.pool;
    if timescaledb(pool).await {
        let compressed: Vec<String> = sqlx::query_scalar(
            "select hypertable_name::text from timescaledb_information.hypertables
              where compression_enabled order by 1",
        )
        .fetch_all(pool)
        .await
        .expect("hypertables");
        assert_eq!(
            compressed,
            vec![
                "game_states",
                "kalshi_candles",
                "kalshi_trades",
                "market_snapshots"
            ]
        );
    }
    app.kalshi.add_markets(tricky_markets());
    app.run_ok(json!({})).await;
    // A day of history a week ago, as a backfill would write it.
    for minute in 0..3 {
        sqlx::query(
            "insert into market_snapshots (ticker, observed_at, source, status, yes_bid, raw)
             select $1, date_trunc('day', now()) - interval '7 days' + make_interval(mins => $2),
                    'backfill', 'active', 0.5000 + $2 / 100.0,
                    jsonb_build_object('ticker', $1::text, 'status', 'active',
                                       'yes_bid_dollars', (0.5000 + $2 / 100.0)::text)",
        )
        .bind(DAL)
        .bind(minute)
        .execute(pool)
        .await
        .expect("history");
    }
    let chunks = compress_everything(pool).await;
    if timescaledb(pool).await {
        assert!(chunks >= 2, "compressed {chunks} chunks");
    }

    // A new pass with moved quotes: change detection reads compressed rows, the insert lands in a
    // compressed chunk.
    app.kalshi
        .set_field(DAL, "yes_bid_dollars", json!("0.0170"));
    let summary = app.run_ok(json!({})).await;
    assert_eq!(summary.details["snapshots_inserted"], 1, "{summary:?}");

    // A late row into the week-old compressed chunk, then the same row again (a retried write).
    for _ in 0..2 {
        sqlx::query(
            "insert into market_snapshots (ticker, observed_at, source, status, yes_bid, raw)
             values ($1, date_trunc('day', now()) - interval '7 days' + interval '1 hour',
                     'backfill', 'active', 0.6100,
                     '{\"status\": \"active\", \"yes_bid_dollars\": \"0.6100\"}')
             on conflict (ticker, observed_at, source) do nothing",
        )
        .bind(DAL)
        .execute(pool)
        .await
        .expect("late row");
    }

    // Settlement follow-up: the market leaves the open set and is looked up by ticker.
    app.kalshi.set_field(NYG, "status", json!("determined"));
    app.kalshi.set_field(NYG, "result", json!("no"));
    let summary = app.run_ok(json!({})).await;
    assert_eq!(summary.details["settlement_lookups"], 1, "{summary:?}");
    assert_eq!(
        app.text(&format!(
            "select status from market_snapshots where ticker = '{NYG}' order by observed_at desc limit 1"
        ))
        .await
        .as_deref(),
        Some("determined")
    );

    // A restore's replace-a-day on the compressed week-old chunk: delete the day, load it again.
    compress_everything(pool).await;
    let mut tx = pool.begin().await.expect("tx");
    let deleted = sqlx::query(
        "delete from market_snapshots
          where observed_at >= date_trunc('day', now()) - interval '7 days'
            and observed_at < date_trunc('day', now()) - interval '6 days'",
    )
    .execute(&mut *tx)
    .await
    .expect("deleting a day")
    .rows_affected();
    assert_eq!(deleted, 4);
    sqlx::query(
        "insert into market_snapshots (ticker, observed_at, source, status, yes_bid, raw)
         values ($1, date_trunc('day', now()) - interval '7 days', 'backfill', 'active', 0.4200,
                 '{\"yes_bid_dollars\": \"0.4200\"}')",
    )
    .bind(DAL)
    .execute(&mut *tx)
    .await
    .expect("reloading the day");
    tx.commit().await.expect("commit");

    // As-of reads see only rows observed at or before the instant, compressed or not.
    let as_of: Option<String> = sqlx::query_scalar(
        "select yes_bid::text from market_snapshots
          where ticker = $1 and observed_at <= date_trunc('day', now()) - interval '6 days'
          order by observed_at desc limit 1",
    )
    .bind(DAL)
    .fetch_one(pool)
    .await
    .expect("as-of read");
    assert_eq!(as_of.as_deref(), Some("0.4200"));
    assert_eq!(
        app.count(&format!(
            "select count(*) from market_snapshots where ticker = '{DAL}'"
        ))
        .await,
        3
    );
    // And every payload still rebuilds from compressed rows.
    let rebuilt_now = rebuilt(pool, DAL).await;
    assert!(
        rebuilt_now[2].contains(r#""yes_bid_dollars": "0.0170""#),
        "{rebuilt_now:?}"
    );
    assert!(
        rebuilt_now[2].contains("a_field_added_next_week"),
        "{rebuilt_now:?}"
    );
}

#[tokio::test]
async fn a_first_pass_over_many_unknown_series_reads_the_series_list_once() {
    // 12 series on one page: past the threshold, so one GET /series replaces 12 look-ups; an
    // unlisted series (Kalshi does not know it) is not looked up one by one either.
    let app = spawn_app().await;
    let markets: Vec<Value> = (0..12)
        .map(|i| {
            market_json(
                &format!("KXS{i}-26NOV21-M"),
                &format!("KXS{i}-26NOV21"),
                "0.5000",
                "0.5100",
            )
        })
        .collect();
    app.kalshi.add_markets(markets);
    app.kalshi.set_series(
        "KXS3",
        json!({"ticker": "KXS3", "title": "A bad one", "fee_multiplier": "x"}),
    );
    let summary = app.run_ok(json!({})).await;

    assert_eq!(summary.details["series_lists"], 1, "{summary:?}");
    // The whole list once (the game linker's `?category=Sports` reads are another matter).
    let lists: Vec<String> = app
        .kalshi
        .requests_to("/trade-api/v2/series")
        .into_iter()
        .filter(|r| !r.contains('?'))
        .collect();
    assert_eq!(lists.len(), 1, "{lists:?}");
    let one_by_one = app
        .kalshi
        .requests()
        .into_iter()
        .filter(|r| r.starts_with("/trade-api/v2/series/"))
        .count();
    assert_eq!(one_by_one, 0);
    assert_eq!(app.count("select count(*) from series").await, 11);
    assert_eq!(
        app.count("select count(*) from rejected_records where source = 'kalshi.series'")
            .await,
        1
    );
    assert_eq!(app.count("select count(*) from market_snapshots").await, 12);
}
