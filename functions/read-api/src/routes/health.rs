use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(freshness))
}

/// A health check must answer fast even when the database hangs.
const DB_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: HealthStatus,
    pub database: DatabaseHealth,
    pub functions: Vec<FunctionHealth>,
}

/// `ok`, or `degraded` (a function is stale), or `down` (the database is unreachable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Ok,
    Degraded,
    Down,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseHealth {
    pub reachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema, FromRow)]
pub struct FunctionHealth {
    pub function: String,
    /// When its last successful run finished.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Seconds since then.
    pub age_seconds: Option<i64>,
    /// The configured threshold (READ_API_STALE_AFTER); absent when the function has none.
    #[sqlx(skip)]
    pub stale_after_seconds: Option<u64>,
    #[sqlx(skip)]
    pub stale: bool,
    /// The status and start of its most recent run of any outcome.
    pub last_status: Option<String>,
    pub last_started_at: Option<DateTime<Utc>>,
}

/// Liveness: 200 whenever the API can serve (the database answers), with each function's
/// freshness in the body; 503 only when the database is unreachable. For platform health checks
/// (Railway's `healthcheckPath`, a load balancer), which must not fail a fresh deploy whose
/// nightly jobs have not run yet.
#[utoipa::path(
    get,
    path = "/health",
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "Database reachable; `status` is `degraded` when a function is stale", body = Health),
        (status = 503, description = "Database unreachable", body = Health),
    )
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let health = check(&state).await;
    let code = if health.database.reachable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(health))
}

/// Freshness: 503 as soon as any function is staler than its READ_API_STALE_AFTER threshold (or
/// the database is unreachable). For uptime monitors and alerts, not for deploy health checks.
#[utoipa::path(
    get,
    path = "/health/freshness",
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "Database reachable, no function stale", body = Health),
        (status = 503, description = "A function staler than its threshold, or the database unreachable", body = Health),
    )
)]
pub async fn freshness(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let health = check(&state).await;
    let code = if health.status == HealthStatus::Ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(health))
}

/// The database's reachability and every function's freshness.
async fn check(state: &AppState) -> Health {
    let configured: Vec<String> = state.config.stale_after.keys().cloned().collect();
    let rows = tokio::time::timeout(DB_TIMEOUT, function_rows(state, &configured)).await;
    let rows = match rows {
        Ok(Ok(rows)) => rows,
        Ok(Err(e)) => return down(e.to_string()),
        Err(_) => return down(format!("no answer within {}s", DB_TIMEOUT.as_secs())),
    };
    let mut any_stale = false;
    let functions = rows
        .into_iter()
        .map(|mut f| {
            f.stale_after_seconds = state.config.stale_after.get(&f.function).copied();
            if let Some(limit) = f.stale_after_seconds {
                f.stale = match f.age_seconds {
                    None => true,
                    Some(age) => u64::try_from(age).unwrap_or(0) > limit,
                };
            }
            any_stale |= f.stale;
            f
        })
        .collect();
    Health {
        status: if any_stale {
            HealthStatus::Degraded
        } else {
            HealthStatus::Ok
        },
        database: DatabaseHealth {
            reachable: true,
            error: None,
        },
        functions,
    }
}

fn down(error: String) -> Health {
    tracing::warn!(%error, "health: database unreachable");
    Health {
        status: HealthStatus::Down,
        database: DatabaseHealth {
            reachable: false,
            error: Some(error),
        },
        functions: Vec::new(),
    }
}

/// Every function name in the ledger (a loose index scan over (function, started_at), so it
/// reads one index entry per function, not the whole ledger) plus the configured ones, each with
/// its last success and last run.
async fn function_rows(
    state: &AppState,
    configured: &[String],
) -> Result<Vec<FunctionHealth>, sqlx::Error> {
    // language=PostgreSQL
    sqlx::query_as(
        r#"
        with recursive seen(function) as (
            (select function from collection_runs order by function limit 1)
            union all
            select (select c.function from collection_runs c
                    where c.function > seen.function order by c.function limit 1)
            from seen where seen.function is not null
        ),
        names as (
            select function from seen where function is not null
            union
            select unnest($1::text[])
        )
        select n.function,
               ok.finished_at as last_success_at,
               extract(epoch from now() - ok.finished_at)::bigint as age_seconds,
               last.status as last_status,
               last.started_at as last_started_at
        from names n
        left join lateral (
            select coalesce(finished_at, started_at) as finished_at from collection_runs
            where function = n.function and status = 'ok'
            order by started_at desc limit 1
        ) ok on true
        left join lateral (
            select status, started_at from collection_runs
            where function = n.function order by started_at desc limit 1
        ) last on true
        order by n.function
        "#,
    )
    .bind(configured)
    .fetch_all(&state.pool)
    .await
}
