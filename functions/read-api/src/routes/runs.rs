use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::app::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::query::{Page, Params};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_runs))
}

/// One invocation of a function, from the `collection_runs` ledger.
#[derive(Debug, Serialize, ToSchema, FromRow)]
pub struct RunRow {
    pub id: Uuid,
    pub function: String,
    /// `schedule`, `manual`, …
    pub trigger: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// `running` (or died mid-run), `ok`, `failed`, `skipped`.
    pub status: String,
    pub rows_written: i64,
    pub rows_rejected: i64,
    pub error: Option<String>,
    /// The function's own summary of the run.
    #[schema(value_type = Option<Object>)]
    pub summary: Option<serde_json::Value>,
}

/// The collection ledger, newest first, so a person can see gaps and failures.
#[utoipa::path(
    get,
    path = "/api/v1/runs",
    tag = "runs",
    params(
        ("function" = Option<String>, Query, description = "Function name, e.g. `collect-kalshi`", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$"),
        ("status" = inline(Option<crate::openapi_params::RunStatusParam>), Query, description = "`running`, `ok`, `failed` or `skipped`"),
        ("since" = Option<String>, Query, description = "Only runs started at or after (RFC 3339)", format = DateTime),
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 1, maximum = 500),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "A page of runs", body = Page<RunRow>),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_runs(
    State(state): State<AppState>,
    params: Params,
) -> ApiResult<Json<Page<RunRow>>> {
    params.only(&["function", "status", "since", "limit", "cursor"])?;
    let function = params.identifier("function")?;
    let status = params.choice("status", &["running", "ok", "failed", "skipped"])?;
    let since = params.time("since")?;
    let limit = params.limit(100, 500)?;
    let after: Option<(DateTime<Utc>, Uuid)> = params.cursor("runs")?;
    // language=PostgreSQL
    let rows: Vec<RunRow> = sqlx::query_as(
        r#"select id, function, trigger, started_at, finished_at, status, rows_written,
                  rows_rejected, error, summary
           from collection_runs
           where ($1::text is null or function = $1)
             and ($2::text is null or status = $2)
             and ($3::timestamptz is null or started_at >= $3)
             and ($4::timestamptz is null or (started_at, id) < ($4, $5::uuid))
           order by started_at desc, id desc
           limit $6"#,
    )
    .bind(function)
    .bind(status)
    .bind(since)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit + 1)
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page::from_rows("runs", rows, limit, |r| {
        (r.started_at, r.id)
    })))
}
