//! A function under test in-process: its own migrated database and the runner's `invoke`, the
//! same path Lambda and once mode take.

use serde_json::Value;

use super::{test_db, TestDb};
use crate::runner::{invoke, Function, Report, Summary, Trigger};

pub struct FunctionApp<F> {
    pub db: TestDb,
    pub function: F,
}

impl<F: Function> FunctionApp<F> {
    /// A fresh migrated database and the function `build` makes over its pool.
    pub async fn start(build: impl FnOnce(sqlx::PgPool) -> F) -> Self {
        let db = test_db().await;
        let function = build(db.pool.clone());
        Self { db, function }
    }

    /// One manual invocation with `event`.
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

    /// Runs and expects a failure.
    pub async fn run_failed(&self, event: Value) -> Summary {
        match self.run(event).await {
            Report::Failed(summary) => summary,
            other => panic!("expected a failed run, got {other:?}"),
        }
    }

    /// The one `bigint` that `sql` selects.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db.pool)
            .await
            .expect(sql)
    }

    /// The one nullable `text` that `sql` selects.
    pub async fn text(&self, sql: &str) -> Option<String> {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db.pool)
            .await
            .expect(sql)
    }
}
