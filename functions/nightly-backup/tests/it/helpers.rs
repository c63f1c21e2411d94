//! Test fixtures: tricky data in a source database, destinations, table-by-table comparison.

use std::net::TcpListener;
use std::process::Stdio;

use nightly_backup::retention::Policy;
use nightly_backup::storage::{Location, Storage};
use nightly_backup::Settings;
use precog::testing::TestDb;
use sqlx::PgPool;
use tokio::sync::OnceCell;

pub const KEY: &str = "test-key";
pub const SECRET: &str = "test-secret";

pub fn settings(location: Location) -> Settings {
    Settings {
        location,
        zstd_level: 3,
        part_bytes: 5 * 1024 * 1024,
        retention: Policy::default(),
        parquet: true,
        training_include_backfilled: false,
    }
}

/// A temporary folder destination, removed when dropped.
pub struct Folder {
    pub path: std::path::PathBuf,
}

impl Folder {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("precog-backup-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).expect("creating a temp folder");
        Self { path }
    }

    pub fn location(&self) -> Location {
        Location::Folder(self.path.clone())
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.path.display())
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

static MOTO: OnceCell<String> = OnceCell::const_new();

/// A moto S3 server for this test binary (from `scripts/requirements-test.txt`, on PATH),
/// stopped by a watchdog when the binary exits.
pub async fn moto_endpoint() -> &'static str {
    MOTO.get_or_init(|| async {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let script = format!(
            "moto_server -H 127.0.0.1 -p {port} >/dev/null 2>&1 & child=$!; \
             while kill -0 {pid} 2>/dev/null; do sleep 1; done; kill $child",
            pid = std::process::id()
        );
        // The watchdog outlives this function by design: it stops moto when the binary exits.
        #[allow(clippy::zombie_processes)]
        std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .spawn()
            .expect("starting moto_server (pip install 'moto[server]')");
        let endpoint = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return endpoint;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("moto_server did not start on port {port}; is it on PATH?");
    })
    .await
}

/// A fresh bucket on the moto server, and a store on a prefix inside it.
pub async fn s3_store() -> (Location, Storage, String) {
    let endpoint = moto_endpoint().await;
    let bucket = format!("b{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let location = Location::S3 {
        bucket: bucket.clone(),
        prefix: "precog/prod".into(),
    };
    let storage = Storage::open_with(&location, Some((endpoint, KEY, SECRET))).await;
    storage
        .s3_client()
        .expect("an S3 location")
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("creating the bucket");
    (location, storage, bucket)
}

/// Rows that have broken backup tools before: NULLs, NUMERIC with many digits, JSONB, enums,
/// timestamps with time zones, text with tabs, newlines, quotes, backslashes and non-ASCII, and
/// snapshots over several days (plus one day big enough for a multipart upload).
pub async fn seed(pool: &PgPool, big_day: bool) {
    // language=PostgreSQL
    sqlx::query(
        r#"insert into markets (ticker, event_ticker, market_type, title, status, open_time,
                                notional_value, floor_strike, raw)
           values
           ('KX-A', 'EV-1', 'binary', E'tab\there\nnewline "quotes" \\ back ünïcødé ☃', 'active',
            '2026-09-13 17:00:00.123456+00', 12345678901234567890.123456789012345678901234567890,
            -0.000000000000000000000001, '{"nested": {"a": [1, 2.50, null, "x\ty"]}, "emoji": "🏈"}'),
           ('KX-B', 'EV-1', 'binary', null, 'finalized', null, null, null, '{}'),
           ('KX-C', 'EV-2', 'binary', '', 'active', '1999-12-31 23:59:59.999999-08', 0, 1e-20, '[]')"#,
    )
    .execute(pool)
    .await
    .expect("seeding markets");
    for (day, rows) in [("2026-09-12", 50), ("2026-09-13", 70), ("2026-09-14", 30)] {
        sqlx::query(
            r#"insert into market_snapshots (ticker, observed_at, source, sequence, status, yes_bid,
                                             yes_ask, volume, depth, raw)
               select 'KX-' || chr(65 + (g % 3)), ($1::date + make_interval(secs => g * 60))::timestamptz,
                      'rest', case when g % 4 = 0 then null else g end, 'active',
                      (g % 100) / 100.0, null, g * 1000000000000.000001,
                      case when g % 2 = 0 then null else jsonb_build_object('g', g) end,
                      jsonb_build_object('line', E'a\nb', 'g', g)
                 from generate_series(1, $2) g"#,
        )
        .bind(day)
        .bind(rows)
        .execute(pool)
        .await
        .expect("seeding snapshots");
    }
    if big_day {
        // ~16 MB of hex text (half of it entropy) on one day: more than one 5 MiB part after zstd.
        // In `depth`, which a snapshot stores itself (a payload in `raw` would be split into
        // market_versions by the storage migration, moving the bytes out of the day).
        sqlx::query(
            r#"insert into market_snapshots (ticker, observed_at, source, status, depth, raw)
               select 'KX-BIG', '2026-09-15'::timestamptz + make_interval(secs => g), 'backfill', 'active',
                      jsonb_build_object('noise', (select string_agg(md5(random()::text || g || i), '')
                                                     from generate_series(1, 200) i)), '{}'
                 from generate_series(1, 2500) g"#,
        )
        .execute(pool)
        .await
        .expect("seeding the big day");
    }
    sqlx::query(
        r#"insert into trades (ticker, side, action, price, contracts, executed_at, strategy,
                               trade_source, execution_environment)
           values ('KX-A', 'yes', 'buy', 0.4213, 10.5, now(), E'line1\nline2', 'manual', 'paper'),
                  ('KX-B', 'no', 'sell', 1, 1, '2026-01-01T00:00:00+05:30', null, 'automated', 'backtest')"#,
    )
    .execute(pool)
    .await
    .expect("seeding trades");
    sqlx::query(
        r#"insert into collection_runs (id, function, trigger, started_at, status, summary)
           values ('00000000-0000-0000-0000-000000000001', 'collect-kalshi', 'manual',
                   '2026-09-13 12:00:00+00', 'ok', '{"passes": 1}')"#,
    )
    .execute(pool)
    .await
    .expect("seeding a run");
    sqlx::query(
        r#"insert into rejected_records (source, reason, raw, raw_md5, first_run_id, last_run_id)
           values ('kalshi.market', E'bad\tvalue', '{"x": null}', 'abc',
                   '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000001')"#,
    )
    .execute(pool)
    .await
    .expect("seeding a rejected record (a foreign key)");
}

/// Every table's rows as text, sorted: equal for two databases exactly when their data is.
pub async fn dump(pool: &PgPool) -> Vec<(String, Vec<String>)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind in ('r', 'p')
            and c.relname not in ('_sqlx_migrations', 'precog_restore_state')
          order by 1",
    )
    .fetch_all(pool)
    .await
    .expect("listing tables");
    let mut out = Vec::new();
    for table in tables {
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("select t::text from \"{table}\" t order by 1"))
                .fetch_all(pool)
                .await
                .expect("reading a table");
        out.push((table, rows));
    }
    out
}

pub async fn assert_same_data(source: &TestDb, target: &TestDb) {
    let (a, b) = (dump(&source.pool).await, dump(&target.pool).await);
    assert_eq!(a.len(), b.len(), "same tables");
    for ((ta, ra), (tb, rb)) in a.iter().zip(&b) {
        assert_eq!(ta, tb);
        assert_eq!(ra.len(), rb.len(), "{ta}: row count");
        for (x, y) in ra.iter().zip(rb) {
            assert_eq!(x, y, "{ta}: a row differs");
        }
    }
}

pub fn far_deadline() -> tokio::time::Instant {
    tokio::time::Instant::now() + std::time::Duration::from_secs(600)
}
