//! Writes one backtest: its `backtest_results` row, its executions and its fills as `trades` rows
//! (execution_environment 'backtest'), in one transaction.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::engine::{Engine, Execution, Fill, MarketMeta};
use crate::event::Sources;
use crate::fees::Liquidity;
use crate::metrics::Metrics;
use crate::replay::Coverage;
use crate::strategy::Action;

/// The most points an equity curve keeps (evenly thinned beyond that; first and last kept).
const CURVE_POINTS: usize = 2000;
/// Rows per batched insert.
const BATCH: usize = 1000;

/// Everything about one backtest that is not in the engine.
pub struct Header<'a> {
    pub id: Uuid,
    pub run_id: Uuid,
    pub strategy: &'a str,
    pub version: &'a str,
    pub params: &'a Value,
    pub selection: &'a Value,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub rank: usize,
    pub coverage: &'a Coverage,
    pub quotes: Sources,
    pub game_states: Sources,
}

/// The curve as stored and plotted: equity and drawdown from the running peak.
pub fn equity_curve(engine: &Engine) -> Vec<(DateTime<Utc>, Decimal, Decimal)> {
    let points = &engine.performance.curve;
    let stride = points.len().div_ceil(CURVE_POINTS).max(1);
    let mut peak = Decimal::MIN;
    let mut out = Vec::new();
    for (i, (at, equity)) in points.iter().enumerate() {
        peak = peak.max(*equity);
        if i % stride == 0 || i + 1 == points.len() {
            out.push((*at, *equity, peak - *equity));
        }
    }
    out
}

/// Stores one backtest; returns the rows written.
pub async fn save(
    pool: &PgPool,
    header: &Header<'_>,
    engine: &Engine,
    metrics: &Metrics,
    markets: &[MarketMeta],
) -> sqlx::Result<u64> {
    let curve: Vec<Value> = equity_curve(engine)
        .into_iter()
        .map(|(t, equity, drawdown)| json!({"t": t, "equity": equity, "drawdown": drawdown}))
        .collect();
    let metrics_json = serde_json::to_value(metrics).unwrap_or(Value::Null);
    let refusals = serde_json::to_value(&engine.refusals).unwrap_or(Value::Null);
    let settings = serde_json::to_value(engine.settings()).unwrap_or(Value::Null);
    let coverage = serde_json::to_value(header.coverage).unwrap_or(Value::Null);
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let mut tx = pool.begin().await?;
    // language=PostgreSQL
    sqlx::query!(
        "insert into backtest_results
            (id, run_id, strategy, version, params, selection, settings, window_start, window_end,
             starting_cash, net_pnl, gross_pnl, fees_paid, num_trades, sharpe, max_drawdown,
             win_rate, metrics, equity_curve, sweep_rank, snapshots_replayed, quotes, game_states,
             backfill_snapshots, game_states_replayed, backfill_game_states)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18 || jsonb_build_object('orders_refused', $19::jsonb, 'coverage', $28::jsonb),
                 $20, $21, $22, $23, $24, $25, $26, $27)",
        header.id,
        header.run_id,
        header.strategy,
        header.version,
        header.params,
        header.selection,
        settings,
        header.start,
        header.end,
        metrics.starting_cash,
        metrics.net_pnl,
        metrics.gross_pnl,
        metrics.fees_paid,
        i32::try_from(metrics.trades).unwrap_or(i32::MAX),
        metrics.sharpe,
        metrics.max_drawdown,
        metrics.win_rate,
        metrics_json,
        refusals,
        Value::Array(curve),
        i32::try_from(header.rank).unwrap_or(i32::MAX),
        count(header.coverage.snapshots),
        header.quotes.as_str(),
        header.game_states.as_str(),
        count(header.coverage.backfill_snapshots),
        count(header.coverage.game_states),
        count(header.coverage.backfill_game_states),
        coverage
    )
    .execute(&mut *tx)
    .await?;
    let mut written = 1u64;
    let ticker = |market: u32| {
        markets
            .get(market as usize)
            .map_or(String::new(), |m| m.ticker.clone())
    };
    for batch in engine.executions().chunks(BATCH) {
        written += insert_executions(&mut tx, header.id, batch, &ticker).await?;
    }
    for batch in engine.fills().chunks(BATCH) {
        written += insert_fills(&mut tx, header, batch, &ticker).await?;
    }
    tx.commit().await?;
    Ok(written)
}

/// One batch of executions in one statement: each column as an array, unnested into rows.
async fn insert_executions(
    tx: &mut PgConnection,
    backtest_id: Uuid,
    batch: &[Execution],
    ticker: &impl Fn(u32) -> String,
) -> sqlx::Result<u64> {
    let col = |f: fn(&Execution) -> Decimal| batch.iter().map(f).collect::<Vec<_>>();
    // language=PostgreSQL
    let done =
        sqlx::query!(
        "insert into backtest_executions (backtest_id, seq, ticker, side, contracts, entry_time,
              entry_price, entry_fee, entry_snapshot_id, entry_reason, exit_kind, exit_time,
              exit_price, exit_fee, exit_snapshot_id, exit_reason, gross_pnl, fees, pnl)
         select $1::uuid, * from unnest($2::int[], $3::text[], $4::text[], $5::numeric[],
              $6::timestamptz[], $7::numeric[], $8::numeric[], $9::bigint[], $10::jsonb[],
              $11::text[], $12::timestamptz[], $13::numeric[], $14::numeric[], $15::bigint[],
              $16::jsonb[], $17::numeric[], $18::numeric[], $19::numeric[])",
        backtest_id,
        &batch
            .iter()
            .map(|e| i32::try_from(e.seq).unwrap_or(i32::MAX))
            .collect::<Vec<_>>(),
        &batch.iter().map(|e| ticker(e.market)).collect::<Vec<_>>(),
        &batch
            .iter()
            .map(|e| e.side.as_str().to_owned())
            .collect::<Vec<_>>(),
        &col(|e| e.contracts),
        &batch.iter().map(|e| e.entry_time).collect::<Vec<_>>(),
        &col(|e| e.entry_price),
        &col(|e| e.entry_fee),
        &batch.iter().map(|e| e.entry_snapshot_id).collect::<Vec<_>>(),
        &batch
            .iter()
            .map(|e| e.entry_reason.clone())
            .collect::<Vec<_>>(),
        &batch
            .iter()
            .map(|e| e.exit_kind.as_str().to_owned())
            .collect::<Vec<_>>(),
        // `as _`: the macro's check has no array-of-nullable types; these are the columns' types
        // with nulls, which PostgreSQL accepts in arrays.
        &batch.iter().map(|e| e.exit_time).collect::<Vec<_>>() as _,
        &batch.iter().map(|e| e.exit_price).collect::<Vec<_>>() as _,
        &col(|e| e.exit_fee),
        &batch.iter().map(|e| e.exit_snapshot_id).collect::<Vec<_>>() as _,
        &batch
            .iter()
            .map(|e| e.exit_reason.clone())
            .collect::<Vec<_>>() as _,
        &col(|e| e.gross_pnl),
        &col(|e| e.fees),
        &col(|e| e.pnl)
    )
        .execute(&mut *tx)
        .await?;
    Ok(done.rows_affected())
}

/// One batch of fills as `trades` rows (execution environment `backtest`), in one statement.
async fn insert_fills(
    tx: &mut PgConnection,
    header: &Header<'_>,
    batch: &[Fill],
    ticker: &impl Fn(u32) -> String,
) -> sqlx::Result<u64> {
    let col = |f: fn(&Fill) -> Decimal| batch.iter().map(f).collect::<Vec<_>>();
    // language=PostgreSQL
    let done = sqlx::query!(
        "insert into trades (ticker, side, action, price, contracts, fee, is_taker, executed_at,
              strategy, trade_source, execution_environment, backtest_result_id)
         select t.*, $9::text, 'automated'::trade_source, 'backtest'::execution_environment, $10::uuid
           from unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::numeric[],
                       $6::numeric[], $7::bool[], $8::timestamptz[]) as t",
        &batch.iter().map(|f| ticker(f.market)).collect::<Vec<_>>(),
        &batch
            .iter()
            .map(|f| f.side.as_str().to_owned())
            .collect::<Vec<_>>(),
        &batch
            .iter()
            .map(|f| match f.action {
                Action::Buy => "buy".to_owned(),
                Action::Sell => "sell".to_owned(),
            })
            .collect::<Vec<_>>(),
        &col(|f| f.price),
        &col(|f| f.contracts),
        &col(|f| f.fee),
        &batch
            .iter()
            .map(|f| f.liquidity == Liquidity::Taker)
            .collect::<Vec<_>>(),
        &batch.iter().map(|f| f.at).collect::<Vec<_>>(),
        header.strategy,
        header.id
    )
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected())
}
