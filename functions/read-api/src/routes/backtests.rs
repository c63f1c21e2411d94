use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::query::{Page, Params};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_backtests))
        .routes(routes!(get_backtest))
}

/// Largest backtests page: the list leaves out curves and executions, ~1 kB a result.
const MAX_BACKTESTS: i64 = 500;
/// Executions returned with one backtest; the rest are in `backtest_executions`.
const MAX_EXECUTIONS: i64 = 5000;

/// One stored backtest's headline (backtest-run; one per parameter combination of a sweep).
#[derive(Debug, Serialize, ToSchema)]
pub struct BacktestSummary {
    pub id: Uuid,
    /// The backtest-run invocation; a sweep's combinations share it.
    pub run_id: Option<Uuid>,
    pub strategy: String,
    /// The code's git commit.
    pub version: String,
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    #[schema(value_type = Object)]
    pub selection: serde_json::Value,
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
    pub starting_cash: Decimal,
    pub net_pnl: Decimal,
    pub gross_pnl: Decimal,
    pub fees_paid: Decimal,
    pub num_trades: i32,
    pub sharpe: Option<Decimal>,
    pub max_drawdown: Decimal,
    pub win_rate: Option<Decimal>,
    /// Rank within its sweep by net P&L (1 = best).
    pub sweep_rank: i32,
    pub snapshots_replayed: i64,
    /// Which quotes were replayed: `live` (collected), `backfill` (materialised from Kalshi's
    /// candles) or `both`. A result on backfilled quotes is not one on what was seen live.
    pub quotes: String,
    /// Which game states strategies could see: `live`, `backfill` or `both`.
    pub game_states: String,
    /// How many replayed snapshots were backfilled (0: live quotes only).
    pub backfill_snapshots: i64,
    /// Game states merged into the replay, and how many of them were backfilled.
    pub game_states_replayed: i64,
    pub backfill_game_states: i64,
    pub created_at: DateTime<Utc>,
}

/// One position a backtest opened, from entry to exit.
#[derive(Debug, Serialize, ToSchema)]
pub struct Execution {
    pub seq: i32,
    pub ticker: String,
    pub side: String,
    pub contracts: Decimal,
    pub entry_time: DateTime<Utc>,
    pub entry_price: Decimal,
    pub entry_fee: Decimal,
    pub entry_snapshot_id: Option<i64>,
    #[schema(value_type = Object)]
    pub entry_reason: serde_json::Value,
    /// `sold`, `settled`, or `open` at the window's end (marked at its bid).
    pub exit_kind: String,
    pub exit_time: Option<DateTime<Utc>>,
    pub exit_price: Option<Decimal>,
    pub exit_fee: Decimal,
    pub exit_snapshot_id: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub exit_reason: Option<serde_json::Value>,
    pub gross_pnl: Decimal,
    pub fees: Decimal,
    pub pnl: Decimal,
}

/// One backtest in full: headline, every metric, equity curve and executions.
#[derive(Debug, Serialize, ToSchema)]
pub struct Backtest {
    #[serde(flatten)]
    pub summary: BacktestSummary,
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// All metrics (README, "backtest-run": conventions).
    #[schema(value_type = Object)]
    pub metrics: serde_json::Value,
    /// `[{"t", "equity", "drawdown"}]`.
    #[schema(value_type = Vec<Object>)]
    pub equity_curve: serde_json::Value,
    pub executions: Vec<Execution>,
}

/// Stored backtests, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/backtests",
    tag = "backtests",
    params(
        ("strategy" = Option<String>, Query, description = "Strategy name, e.g. `threshold_hold`", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$"),
        ("run_id" = Option<String>, Query, description = "One backtest-run invocation (a sweep)", format = Uuid),
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 1, maximum = 500),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "A page of backtests", body = Page<BacktestSummary>),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_backtests(
    State(state): State<AppState>,
    params: Params,
) -> ApiResult<Json<Page<BacktestSummary>>> {
    params.only(&["strategy", "run_id", "limit", "cursor"])?;
    let strategy = params.identifier("strategy")?;
    let run_id = match params.text("run_id")? {
        Some(v) => Some(
            v.parse::<Uuid>()
                .map_err(|_| ApiError::bad("run_id", "not a UUID"))?,
        ),
        None => None,
    };
    let limit = params.limit(100, MAX_BACKTESTS)?;
    let after: Option<(DateTime<Utc>, Uuid)> = params.cursor("backtests")?;
    let (after_at, after_id) = after.unzip();
    // language=PostgreSQL
    let rows = sqlx::query_as!(
        BacktestSummary,
        r#"select id, run_id, strategy, version, params, selection, window_start, window_end,
                  starting_cash, net_pnl, gross_pnl, fees_paid, num_trades, sharpe, max_drawdown,
                  win_rate, sweep_rank, snapshots_replayed, quotes, game_states,
                  backfill_snapshots, game_states_replayed, backfill_game_states, created_at
           from backtest_results
           where ($1::text is null or strategy = $1)
             and ($2::uuid is null or run_id = $2)
             and ($3::timestamptz is null or (created_at, id) < ($3, $4::uuid))
           order by created_at desc, id desc
           limit $5"#,
        strategy,
        run_id,
        after_at,
        after_id,
        limit + 1
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page::from_rows("backtests", rows, limit, |b| {
        (b.created_at, b.id)
    })))
}

/// One backtest: metrics, equity curve and executions.
#[utoipa::path(
    get,
    path = "/api/v1/backtests/{id}",
    tag = "backtests",
    params(("id" = String, Path, description = "Backtest id", format = Uuid, example = "00000000-0000-0000-0000-0000000000b1")),
    responses(
        (status = 200, description = "The backtest", body = Backtest),
        (status = 400, description = "Not a UUID", body = ErrorBody),
        (status = 404, description = "No such backtest", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn get_backtest(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Backtest>> {
    params.only(&[])?;
    let id: Uuid = id.parse().map_err(|_| ApiError::bad("id", "not a UUID"))?;
    // language=PostgreSQL
    let Some(summary) = sqlx::query_as!(
        BacktestSummary,
        r#"select id, run_id, strategy, version, params, selection, window_start, window_end,
                  starting_cash, net_pnl, gross_pnl, fees_paid, num_trades, sharpe, max_drawdown,
                  win_rate, sweep_rank, snapshots_replayed, quotes, game_states,
                  backfill_snapshots, game_states_replayed, backfill_game_states, created_at
           from backtest_results
           where id = $1"#,
        id
    )
    .fetch_optional(&state.pool)
    .await?
    else {
        return Err(ApiError::not_found(format!("no backtest {id}")));
    };
    // language=PostgreSQL
    let details = sqlx::query!(
        "select settings, metrics, equity_curve from backtest_results where id = $1",
        id
    )
    .fetch_one(&state.pool)
    .await?;
    // language=PostgreSQL
    let executions = sqlx::query_as!(
        Execution,
        "select seq, ticker, side, contracts, entry_time, entry_price, entry_fee, entry_snapshot_id,
                entry_reason, exit_kind, exit_time, exit_price, exit_fee, exit_snapshot_id,
                exit_reason, gross_pnl, fees, pnl
           from backtest_executions where backtest_id = $1 order by seq limit $2",
        id,
        MAX_EXECUTIONS
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Backtest {
        summary,
        settings: details.settings,
        metrics: details.metrics,
        equity_curve: details.equity_curve,
        executions,
    }))
}
