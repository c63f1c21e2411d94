use load_history::LoadHistory;
use precog::runner::{invoke, Report, Summary, Trigger};
use precog::testing::{test_db, TestDb};
use serde_json::{json, Value};

pub struct TestApp {
    pub db: TestDb,
    pub function: LoadHistory,
}

pub async fn spawn_app() -> TestApp {
    let db = test_db().await;
    let function = LoadHistory::new(db.pool.clone()).expect("function");
    TestApp { db, function }
}

/// The absolute path of a fixture.
pub fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
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

    /// Loads a fixture and expects success.
    pub async fn load(&self, source: &str, file: &str, league: Option<&str>) -> Summary {
        let mut event = json!({"source": source, "path": fixture(file)});
        if let Some(league) = league {
            event["league"] = json!(league);
        }
        self.run_ok(event).await
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub async fn text(&self, sql: &str) -> Option<String> {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}
