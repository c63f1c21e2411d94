use std::net::SocketAddr;

use precog::config::Env;
use precog::testing::{test_db, TestDb};
use read_api::{build_app, ApiConfig, AppState};
use serde_json::Value;
use sqlx::PgPool;
use tokio::net::TcpListener;

pub struct TestApp {
    pub base: String,
    pub db: TestDb,
    pub client: reqwest::Client,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET, returning the status and the JSON body (Null when the body is not JSON).
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// GET that must answer 400 naming `parameter`.
    pub async fn bad(&self, path: &str, parameter: &str) {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"], "bad_parameter", "{path}: {body}");
        assert_eq!(body["parameter"], parameter, "{path}: {body}");
    }
}

/// The API on a loopback port over a freshly seeded database, rate limiting off unless the
/// variables turn it on.
pub async fn spawn_with<const N: usize>(vars: [(&str, &str); N]) -> TestApp {
    let db = test_db().await;
    seed(&db.pool).await;
    spawn_on(db, vars).await
}

pub async fn spawn() -> TestApp {
    spawn_with([("READ_API_RATE_PER_SECOND", "0")]).await
}

pub async fn spawn_on<const N: usize>(db: TestDb, vars: [(&str, &str); N]) -> TestApp {
    let config = ApiConfig::from_env(&Env::from_pairs(vars)).expect("valid test config");
    let state = AppState::new(db.pool.clone(), config);
    let base = serve(build_app(state)).await;
    TestApp {
        base,
        db,
        client: reqwest::Client::new(),
    }
}

/// Serves the app on 127.0.0.1:0 in the background; returns its base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    tokio::spawn(read_api::serve::serve(listener, app));
    format!("http://{addr}")
}

/// A key's SHA-256, as READ_API_KEY_HASHES takes it.
pub fn key_hash(key: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(key.as_bytes()))
}

/// A small catalog: one series, two events, three markets (one with three snapshots, one with
/// none, one finalized), a ledger, trades and positions in two environments, two games and a
/// stored backtest.
pub async fn seed(pool: &PgPool) {
    // language=PostgreSQL
    sqlx::raw_sql(
        r#"
        insert into series (ticker, title, category, frequency, fee_type, fee_multiplier, tags, raw)
        values ('KXNFLGAME', 'NFL Game', 'Sports', 'custom', 'quadratic', 0.07, '{Football}', '{}'),
               ('KXOTHER', 'Other', 'Politics', 'daily', 'flat', 0.035, null, '{}');
        insert into events (event_ticker, series_ticker, title, fee_type_override, fee_multiplier_override, raw)
        values ('KXNFLGAME-25NOV20BUFHOU', 'KXNFLGAME', 'Buffalo at Houston', null, null, '{}'),
               ('KXNFLGAME-25NOV23NYJBAL', 'KXNFLGAME', 'New York at Baltimore', 'flat', 0.01, '{}');
        insert into markets (ticker, event_ticker, series_ticker, market_type, title, status,
                             result, settlement_value, last_snapshot_at, raw)
        values ('KXNFLGAME-25NOV20BUFHOU-BUF', 'KXNFLGAME-25NOV20BUFHOU', 'KXNFLGAME', 'binary',
                'Buffalo 100% to win?', 'active', null, null, '2026-11-20T12:02:00Z', '{}'),
               ('KXNFLGAME-25NOV20BUFHOU-HOU', 'KXNFLGAME-25NOV20BUFHOU', 'KXNFLGAME', 'binary',
                'Houston to win?', 'active', null, null, null, '{}'),
               ('KXNFLGAME-25NOV23NYJBAL-BAL', 'KXNFLGAME-25NOV23NYJBAL', 'KXNFLGAME', 'binary',
                'Baltimore to win?', 'finalized', 'yes', 1, null, '{}');
        insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask, last_price, volume, raw)
        values ('KXNFLGAME-25NOV20BUFHOU-BUF', '2026-11-20T12:00:00Z', 'rest', 'active', 0.5500, 0.5700, 0.56, 100, '{}'),
               ('KXNFLGAME-25NOV20BUFHOU-BUF', '2026-11-20T12:01:00Z', 'rest', 'active', 0.5600, 0.5800, 0.57, 150, '{}'),
               ('KXNFLGAME-25NOV20BUFHOU-BUF', '2026-11-20T12:02:00Z', 'rest', 'active', 0.6100, 0.6300, 0.62, 210, '{}');
        insert into collection_runs (id, function, trigger, started_at, finished_at, status, rows_written)
        values ('00000000-0000-0000-0000-000000000001', 'collect-kalshi', 'schedule', now() - interval '10 minutes', now() - interval '9 minutes', 'failed', 0),
               ('00000000-0000-0000-0000-000000000002', 'collect-kalshi', 'schedule', now() - interval '5 minutes', now() - interval '4 minutes', 'ok', 42),
               ('00000000-0000-0000-0000-000000000003', 'nightly-backup', 'schedule', now() - interval '3 hours', now() - interval '2 hours', 'ok', 1);
        insert into trades (ticker, side, action, price, contracts, fee, executed_at, execution_environment)
        values ('KXNFLGAME-25NOV20BUFHOU-BUF', 'yes', 'buy', 0.56, 10, 0.02, '2026-11-20T12:00:30Z', 'live'),
               ('KXNFLGAME-25NOV20BUFHOU-BUF', 'yes', 'sell', 0.62, 10, 0.02, '2026-11-20T12:02:30Z', 'live'),
               ('KXNFLGAME-25NOV20BUFHOU-HOU', 'no', 'buy', 0.40, 5, 0.01, '2026-11-20T12:01:00Z', 'paper');
        insert into positions (ticker, side, contracts, average_entry_price, opened_at, status, execution_environment)
        values ('KXNFLGAME-25NOV20BUFHOU-BUF', 'yes', 10, 0.56, '2026-11-20T12:00:30Z', 'closed', 'live'),
               ('KXNFLGAME-25NOV20BUFHOU-HOU', 'no', 5, 0.40, '2026-11-20T12:01:00Z', 'open', 'paper');
        insert into games (espn_event_id, league, scheduled_start, name, short_name, status_name,
                           status_state, completed, last_state_at)
        values ('401772001', 'football/nfl', '2026-11-20T18:00:00Z', 'Buffalo Bills at Houston Texans',
                'BUF @ HOU', 'STATUS_IN_PROGRESS', 'in', false, '2026-11-20T18:40:00Z'),
               ('401772002', 'football/nfl', '2026-11-19T18:00:00Z', 'Jets at Ravens', 'NYJ @ BAL',
                'STATUS_FINAL', 'post', true, null);
        insert into game_states (espn_event_id, observed_at, status_name, status_state, completed,
                                 period, home_score, away_score, home_win_probability, raw)
        values ('401772001', '2026-11-20T18:20:00Z', 'STATUS_IN_PROGRESS', 'in', false, 1, 0, 7, 0.35, '{}'),
               ('401772001', '2026-11-20T18:40:00Z', 'STATUS_IN_PROGRESS', 'in', false, 2, 3, 7, 0.41, '{}');
        insert into backtest_results (id, strategy, version, params, selection, settings, starting_cash,
                                      net_pnl, gross_pnl, fees_paid, num_trades, max_drawdown, metrics,
                                      equity_curve, snapshots_replayed, created_at)
        values ('00000000-0000-0000-0000-0000000000b1', 'threshold_hold', 'abc123', '{"side":"yes"}',
                '{"series":["S1"]}', '{}', 1000, 51.52, 53.52, 2, 2, 8.48, '{"brier_score":"0.3025"}',
                '[{"t":"2026-11-01T12:00:00Z","equity":"1000","drawdown":"0"}]', 4, '2026-11-20T10:00:00Z');
        "#,
    )
    .execute(pool)
    .await
    .expect("seeding");
}
