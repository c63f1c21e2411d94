//! The dashboard end to end in a real browser: Debian's Chromium driven by `playwright-core`
//! (`dashboard/e2e/run.mjs`) against the real `read-api --serve` binary over a seeded real
//! PostgreSQL — one server without keys, one with a key configured.
//!
//! Needs the built dashboard (`npm ci && npm run build` in `dashboard/`, then this crate rebuilt
//! so it embeds `dist/`), Node and `/usr/bin/chromium`; scripts/test-dashboard.sh provides all
//! three and runs it with `--ignored`. Screenshots go to the folder the run prints.

#[allow(dead_code)]
#[path = "../it/helpers.rs"]
mod helpers;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use precog::testing::test_db;
use tokio::process::{Child, Command};

/// What the e2e script checks beyond the shared seed: a sub-penny quote, a market with 10,000
/// snapshots (the chart frame measurement) and a run that rejected rows.
async fn seed_more(pool: &sqlx::PgPool) {
    // language=PostgreSQL
    sqlx::raw_sql(
        r#"
        insert into markets (ticker, event_ticker, series_ticker, market_type, title, status, raw)
        values ('KXNFLGAME-25NOV20BUFHOU-SUB', 'KXNFLGAME-25NOV20BUFHOU', 'KXNFLGAME', 'binary',
                'Sub-penny test market', 'active', '{}'),
               ('KXNFLGAME-25NOV20BUFHOU-TENK', 'KXNFLGAME-25NOV20BUFHOU', 'KXNFLGAME', 'binary',
                'Ten thousand quotes', 'active', '{}');
        insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask, last_price, volume, raw)
        values ('KXNFLGAME-25NOV20BUFHOU-SUB', now() - interval '2 minutes', 'rest', 'active',
                0.0025, 0.0125, 0.0050, 7, '{}');
        insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask, last_price, volume, raw)
        select 'KXNFLGAME-25NOV20BUFHOU-TENK', now() - interval '20 hours' + make_interval(secs => i * 7),
               'rest', 'active',
               round((0.40 + 0.2 * sin(i / 300.0))::numeric, 4),
               round((0.42 + 0.2 * sin(i / 300.0))::numeric, 4),
               round((0.41 + 0.2 * sin(i / 300.0))::numeric, 4), i, '{}'
        from generate_series(1, 10000) as i;
        update markets m set last_snapshot_at = s.t
        from (select ticker, max(observed_at) t from market_snapshots group by ticker) s
        where s.ticker = m.ticker;
        insert into collection_runs (id, function, trigger, started_at, finished_at, status, rows_written, rows_rejected, error)
        values ('00000000-0000-0000-0000-000000000004', 'collect-espn', 'manual', now() - interval '20 minutes',
                now() - interval '19 minutes', 'failed', 3, 2, 'ESPN answered 502 twice');
        "#,
    )
    .execute(pool)
    .await
    .expect("seeding the e2e extras");
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// Starts `read-api --serve` and waits until `/health` answers.
async fn start(database_url: &str, extra: &[(&str, &str)]) -> (Child, String) {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_read-api"));
    cmd.args(["--serve", "--addr", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", database_url)
        .env("READ_API_RATE_PER_SECOND", "0")
        .envs(extra.iter().copied())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let child = cmd.spawn().expect("starting read-api");
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if let Ok(r) = reqwest::get(format!("{base}/health")).await {
            if r.status().is_success() {
                return (child, base);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("read-api did not answer /health at {base}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built dashboard, Node and Chromium: run by scripts/test-dashboard.sh"]
async fn every_page_loads_from_a_deep_link_and_shows_the_seeded_values_in_chromium() {
    assert!(
        read_api::dashboard::BUILT,
        "this read-api embeds the placeholder: build the dashboard (npm run build) first"
    );
    let db = test_db().await;
    helpers::seed(&db.pool).await;
    seed_more(&db.pool).await;
    let url = db.url_string();
    let (_open, open_base) = start(&url, &[]).await;
    let key_hashes = helpers::key_hash("e2e-good-key");
    let (_keyed, keyed_base) = start(&url, &[("READ_API_KEY_HASHES", key_hashes.as_str())]).await;

    let dashboard = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dashboard");
    let shots = std::env::var_os("DASHBOARD_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-screenshots")
        });
    std::fs::create_dir_all(&shots).expect("screenshot folder");
    println!("dashboard screenshots: {}", shots.display());
    let status = Command::new("node")
        .arg("e2e/run.mjs")
        .current_dir(&dashboard)
        .env("BASE_URL", &open_base)
        .env("KEYED_URL", &keyed_base)
        .env("API_KEY", "e2e-good-key")
        .env("SCREENSHOTS", &shots)
        .stdin(Stdio::null())
        .status()
        .await
        .expect("running node e2e/run.mjs");
    println!("dashboard screenshots: {}", shots.display());
    assert!(status.success(), "the browser tests failed: {status}");
}
