//! Writes one backtest: its `backtest_results` row, its executions and its fills as `trades` rows
//! (execution_environment 'backtest'), in one transaction.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::engine::{Engine, MarketMeta};
use crate::metrics::Metrics;

/// The most points an equity curve keeps (evenly thinned beyond that; first and last kept).
const CURVE_POINTS: usize = 2000;
/// Rows per multi-row insert.
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
    pub snapshots: u64,
}

/// The curve as stored and plotted: equity and drawdown from the running peak.
pub fn equity_curve(engine: &Engine) -> Vec<(DateTime<Utc>, Decimal, Decimal)> {
    let points = &engine.curve;
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
    let mut tx = pool.begin().await?;
    // language=PostgreSQL
    sqlx::query(
        "insert into backtest_results
            (id, run_id, strategy, version, params, selection, settings, window_start, window_end,
             starting_cash, net_pnl, gross_pnl, fees_paid, num_trades, sharpe, max_drawdown,
             win_rate, metrics, equity_curve, sweep_rank, snapshots_replayed)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18 || jsonb_build_object('orders_refused', $19::jsonb), $20, $21, $22)",
    )
    .bind(header.id)
    .bind(header.run_id)
    .bind(header.strategy)
    .bind(header.version)
    .bind(header.params)
    .bind(header.selection)
    .bind(&settings)
    .bind(header.start)
    .bind(header.end)
    .bind(metrics.starting_cash)
    .bind(metrics.net_pnl)
    .bind(metrics.gross_pnl)
    .bind(metrics.fees_paid)
    .bind(i32::try_from(metrics.trades).unwrap_or(i32::MAX))
    .bind(metrics.sharpe)
    .bind(metrics.max_drawdown)
    .bind(metrics.win_rate)
    .bind(&metrics_json)
    .bind(&refusals)
    .bind(Value::Array(curve))
    .bind(i32::try_from(header.rank).unwrap_or(i32::MAX))
    .bind(i64::try_from(header.snapshots).unwrap_or(i64::MAX))
    .execute(&mut *tx)
    .await?;
    let mut written = 1u64;
    let ticker = |market: u32| {
        markets
            .get(market as usize)
            .map_or("", |m| m.ticker.as_str())
    };

    for batch in engine.executions.chunks(BATCH) {
        let mut query: QueryBuilder<Postgres> = QueryBuilder::new(
            "insert into backtest_executions (backtest_id, seq, ticker, side, contracts, entry_time,
              entry_price, entry_fee, entry_snapshot_id, entry_reason, exit_kind, exit_time,
              exit_price, exit_fee, exit_snapshot_id, exit_reason, gross_pnl, fees, pnl) ",
        );
        query.push_values(batch, |mut row, e| {
            row.push_bind(header.id)
                .push_bind(i32::try_from(e.seq).unwrap_or(i32::MAX))
                .push_bind(ticker(e.market))
                .push_bind(e.side.as_str())
                .push_bind(e.contracts)
                .push_bind(e.entry_time)
                .push_bind(e.entry_price)
                .push_bind(e.entry_fee)
                .push_bind(e.entry_snapshot_id)
                .push_bind(&e.entry_reason)
                .push_bind(e.exit_kind.as_str())
                .push_bind(e.exit_time)
                .push_bind(e.exit_price)
                .push_bind(e.exit_fee)
                .push_bind(e.exit_snapshot_id)
                .push_bind(&e.exit_reason)
                .push_bind(e.gross_pnl)
                .push_bind(e.fees)
                .push_bind(e.pnl);
        });
        written += query.build().execute(&mut *tx).await?.rows_affected();
    }

    for batch in engine.fills.chunks(BATCH) {
        let mut query: QueryBuilder<Postgres> = QueryBuilder::new(
            "insert into trades (ticker, side, action, price, contracts, fee, is_taker, executed_at,
              strategy, trade_source, execution_environment, backtest_result_id) ",
        );
        query.push_values(batch, |mut row, f| {
            row.push_bind(ticker(f.market))
                .push_bind(f.side.as_str())
                .push_bind(match f.action {
                    crate::strategy::Action::Buy => "buy",
                    crate::strategy::Action::Sell => "sell",
                })
                .push_bind(f.price)
                .push_bind(f.contracts)
                .push_bind(f.fee)
                .push_bind(f.liquidity == crate::fees::Liquidity::Taker)
                .push_bind(f.at)
                .push_bind(header.strategy)
                .push_unseparated(", 'automated', 'backtest', ")
                .push_bind_unseparated(header.id);
        });
        written += query.build().execute(&mut *tx).await?.rows_affected();
    }
    tx.commit().await?;
    Ok(written)
}
