//! `collection_runs`: one row per invocation, written at start and completed at the end, and the
//! advisory lock that keeps one invocation of a function running at a time.

use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Running,
    Ok,
    Failed,
    Skipped,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }
}

pub struct NewRun<'a> {
    pub id: Uuid,
    pub function: &'a str,
    pub trigger: &'a str,
    pub started_at: DateTime<Utc>,
    pub status: RunStatus,
}

pub async fn insert(pool: &PgPool, run: &NewRun<'_>) -> Result<(), sqlx::Error> {
    // language=PostgreSQL
    sqlx::query!(
        "insert into collection_runs (id, function, trigger, started_at, status, finished_at)
         values ($1, $2, $3, $4, $5::text, case when $5::text = 'running' then null else now() end)",
        run.id,
        run.function,
        run.trigger,
        run.started_at,
        run.status.as_str(),
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub struct RunOutcome<'a> {
    pub status: RunStatus,
    pub rows_written: u64,
    pub rows_rejected: u64,
    pub error: Option<&'a str>,
    /// `upstream`, `database`, `bad_input` or `bug` when the run failed (`precog::failure`).
    pub failure_kind: Option<&'a str>,
    pub summary: &'a serde_json::Value,
}

pub async fn finish(pool: &PgPool, id: Uuid, outcome: &RunOutcome<'_>) -> Result<(), sqlx::Error> {
    // language=PostgreSQL
    sqlx::query!(
        "update collection_runs
            set finished_at = now(), status = $2, rows_written = $3, rows_rejected = $4,
                error = $5, summary = $6, failure_kind = $7
          where id = $1",
        id,
        outcome.status.as_str(),
        i64::try_from(outcome.rows_written).unwrap_or(i64::MAX),
        i64::try_from(outcome.rows_rejected).unwrap_or(i64::MAX),
        outcome.error,
        outcome.summary,
        outcome.failure_kind,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The function's advisory lock, held by a connection taken out of the pool. `release` unlocks
/// and closes it; if the guard is dropped instead (a panic, a cancelled future), the socket closes
/// and the server drops the lock when it notices, so it cannot outlive the process.
pub struct FunctionLock {
    connection: sqlx::PgConnection,
}

impl FunctionLock {
    /// Unlocks at once, so the next invocation can start the moment this one ends.
    pub async fn release(self) -> Result<(), sqlx::Error> {
        use sqlx::Connection;
        let mut connection = self.connection;
        // language=PostgreSQL
        sqlx::query!("select pg_advisory_unlock_all()")
            .execute(&mut connection)
            .await?;
        connection.close().await
    }
}

/// Takes the function's lock if no other invocation holds it.
pub async fn try_lock(pool: &PgPool, function: &str) -> Result<Option<FunctionLock>, sqlx::Error> {
    let mut connection: PoolConnection<Postgres> = pool.acquire().await?;
    // language=PostgreSQL
    let locked = sqlx::query_scalar!(
        r#"select pg_try_advisory_lock(hashtextextended('precog.function.' || $1::text, 0)) as "locked!""#,
        function,
    )
    .fetch_one(&mut *connection)
    .await?;
    Ok(locked.then(|| FunctionLock {
        connection: connection.detach(),
    }))
}
