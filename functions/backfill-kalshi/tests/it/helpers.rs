use std::time::Duration;

use backfill_kalshi::BackfillKalshi;
use precog::config::KalshiMode;
use precog::http::RetryPolicy;
use precog::kalshi::KalshiSettings;
use precog::runner::{invoke, Report, Summary, Trigger};
use precog::testing::{test_db, TestDb};
use serde_json::Value;

use crate::fake_kalshi::FakeKalshi;

pub struct TestApp {
    pub db: TestDb,
    pub kalshi: FakeKalshi,
    pub function: BackfillKalshi,
}

/// Settings aimed at the fake: fast retries, a short timeout.
pub fn settings(base_url: &str) -> KalshiSettings {
    KalshiSettings {
        mode: KalshiMode::Demo,
        api_base: base_url.to_owned(),
        timeout: Duration::from_secs(2),
        requests_per_second: 1000.0,
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
    }
}

pub async fn spawn_app() -> TestApp {
    let db = test_db().await;
    let kalshi = FakeKalshi::start().await;
    let client = settings(&kalshi.base_url).client().expect("client");
    let function = BackfillKalshi::new(db.pool.clone(), client);
    TestApp {
        db,
        kalshi,
        function,
    }
}

impl TestApp {
    pub async fn run(&self, event: Value) -> Report {
        invoke(&self.function, &self.db.pool, event, Trigger::Manual, None).await
    }

    /// Runs and expects success.
    pub async fn run_ok(&self, event: Value) -> Summary {
        match self.run(event).await {
            Report::Completed(summary) => summary,
            other => panic!("expected a completed run, got {other:?}"),
        }
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db.pool)
            .await
            .expect(sql)
    }

    /// Every stored trade as (trade_id, tier, yes_price, no_price, count) text, by id.
    pub async fn trades(&self) -> Vec<(String, String, String, String, String)> {
        sqlx::query_as(
            "select trade_id, tier, yes_price::text, no_price::text, count::text
               from kalshi_trades order by trade_id",
        )
        .fetch_all(&self.db.pool)
        .await
        .expect("trades")
    }
}
