use std::time::Duration;

use collect_espn::CollectEspn;
use precog::espn::{EspnSettings, DEFAULT_USER_AGENT};
use precog::http::RetryPolicy;
use precog::runner::{invoke, Report, Summary, Trigger};
use precog::testing::{test_db, TestDb};
use serde_json::Value;

use crate::fake_espn::FakeEspn;

pub struct TestApp {
    pub db: TestDb,
    pub espn: FakeEspn,
    pub function: CollectEspn,
}

/// Settings aimed at the fake: fast retries, a short timeout.
pub fn settings(base_url: &str, user_agent: &str) -> EspnSettings {
    EspnSettings {
        api_base: base_url.to_owned(),
        user_agent: user_agent.to_owned(),
        timeout: Duration::from_millis(1000),
        requests_per_second: 500.0,
        scoreboard_limit: 300,
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with_user_agent(DEFAULT_USER_AGENT).await
}

pub async fn spawn_app_with_user_agent(user_agent: &str) -> TestApp {
    let db = test_db().await;
    let espn = FakeEspn::start().await;
    let client = settings(&espn.base_url, user_agent)
        .client()
        .expect("client");
    let function = CollectEspn::new(db.pool.clone(), client);
    TestApp { db, espn, function }
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
}
