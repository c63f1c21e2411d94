//! Metrics from a finished engine. Conventions (also in the README):
//! - P&L in dollars: gross before fees, net after; open positions at the end are marked at the bid.
//! - Daily returns are the UTC end-of-day equity's change; Sharpe = mean / sample standard deviation
//!   × √365 and Sortino = mean / downside deviation (√ of the mean of min(r, 0)²) × √365 — Kalshi
//!   trades every day. Risk-free rate 0. Undefined (null) with fewer than two returns or no spread.
//! - Max drawdown: largest fall of equity from a running peak (dollars and fraction of the peak),
//!   equity checked at every mark change; its duration is the longest time spent below a peak.
//! - Win rate, profit factor and expectancy are over closed positions (sold or settled).
//! - Exposure: fraction of the window with at least one open position.
//! - Brier score: mean of (entry price − outcome)² over settled positions, outcome 1 when the side
//!   bought won: how well the prices paid forecast the results.

use chrono::{DateTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::engine::{Engine, ExitKind};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metrics {
    pub starting_cash: Decimal,
    pub final_equity: Decimal,
    pub net_pnl: Decimal,
    pub gross_pnl: Decimal,
    pub fees_paid: Decimal,
    pub return_on_capital: Decimal,
    pub sharpe: Option<Decimal>,
    pub sortino: Option<Decimal>,
    pub max_drawdown: Decimal,
    pub max_drawdown_pct: Decimal,
    pub max_drawdown_duration_secs: i64,
    pub win_rate: Option<Decimal>,
    pub profit_factor: Option<Decimal>,
    pub expectancy: Option<Decimal>,
    pub trades: usize,
    pub positions: usize,
    pub closed_positions: usize,
    pub open_positions: usize,
    pub exposure: Option<Decimal>,
    pub brier_score: Option<Decimal>,
    pub days: usize,
}

const ANNUAL_DAYS: f64 = 365.0;

pub fn compute(engine: &Engine, start: DateTime<Utc>, end: DateTime<Utc>) -> Metrics {
    let starting_cash = engine.settings().starting_cash;
    let final_equity = engine.equity();
    let net_pnl = final_equity - starting_cash;
    let fees_paid: Decimal = engine.fills().iter().map(|f| f.fee).sum();
    let closed: Vec<_> = engine
        .executions()
        .iter()
        .filter(|e| e.exit_kind != ExitKind::Open)
        .collect();
    let wins: Decimal = closed
        .iter()
        .map(|e| e.pnl)
        .filter(|p| *p > Decimal::ZERO)
        .sum();
    let losses: Decimal = closed
        .iter()
        .map(|e| e.pnl)
        .filter(|p| *p < Decimal::ZERO)
        .sum();
    let won = closed.iter().filter(|e| e.pnl > Decimal::ZERO).count();
    let count = Decimal::from(closed.len());
    let brier: Vec<Decimal> = engine
        .executions()
        .iter()
        .filter_map(|e| {
            let outcome = if e.won? { Decimal::ONE } else { Decimal::ZERO };
            Some((e.entry_price - outcome) * (e.entry_price - outcome))
        })
        .collect();
    let returns: Vec<f64> = engine
        .performance
        .daily
        .windows(2)
        .filter_map(|w| {
            let (before, after) = (w[0].1, w[1].1);
            (before > Decimal::ZERO).then(|| ((after - before) / before).to_f64())?
        })
        .collect();
    let window_secs = (end - start).num_seconds();
    Metrics {
        starting_cash,
        final_equity,
        net_pnl,
        gross_pnl: net_pnl + fees_paid,
        fees_paid,
        return_on_capital: ratio(net_pnl, starting_cash).unwrap_or_default(),
        sharpe: sharpe(&returns).and_then(to_decimal),
        sortino: sortino(&returns).and_then(to_decimal),
        max_drawdown: engine.performance.max_drawdown,
        max_drawdown_pct: engine.performance.max_drawdown_pct.round_dp(6),
        max_drawdown_duration_secs: engine.performance.max_drawdown_duration_secs,
        win_rate: ratio(Decimal::from(won), count),
        profit_factor: ratio(wins, -losses),
        expectancy: ratio(wins + losses, count),
        trades: engine.fills().len(),
        positions: engine.executions().len(),
        closed_positions: closed.len(),
        open_positions: engine.executions().len() - closed.len(),
        exposure: ratio(
            Decimal::from(engine.performance.exposed_secs),
            Decimal::from(window_secs),
        ),
        brier_score: ratio(brier.iter().sum(), Decimal::from(brier.len())),
        days: engine.performance.daily.len(),
    }
}

fn ratio(numerator: Decimal, denominator: Decimal) -> Option<Decimal> {
    (denominator != Decimal::ZERO).then(|| (numerator / denominator).round_dp(6).normalize())
}

fn to_decimal(value: f64) -> Option<Decimal> {
    Decimal::from_f64_retain(value).map(|d| d.round_dp(6))
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Annualised Sharpe of daily returns (sample standard deviation, risk-free 0).
pub fn sharpe(returns: &[f64]) -> Option<f64> {
    if returns.len() < 2 {
        return None;
    }
    let m = mean(returns);
    let var = returns.iter().map(|r| (r - m).powi(2)).sum::<f64>() / (returns.len() - 1) as f64;
    let sd = var.sqrt();
    (sd > 1e-12).then(|| m / sd * ANNUAL_DAYS.sqrt())
}

/// Annualised Sortino: downside deviation over all days, target 0.
pub fn sortino(returns: &[f64]) -> Option<f64> {
    if returns.len() < 2 {
        return None;
    }
    let downside =
        (returns.iter().map(|r| r.min(0.0).powi(2)).sum::<f64>() / returns.len() as f64).sqrt();
    (downside > 1e-12).then(|| mean(returns) / downside * ANNUAL_DAYS.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sharpe_and_sortino_follow_the_documented_convention() {
        let returns = [0.01, -0.01, 0.02, 0.0];
        // mean 0.005, sample sd = sqrt((0.005²+0.015²+0.015²+0.005²)/3) = 0.0129099
        let s = sharpe(&returns).expect("defined");
        assert!(
            (s - 0.005 / 0.012_909_944 * 365f64.sqrt()).abs() < 1e-6,
            "{s}"
        );
        // downside = sqrt(0.0001/4) = 0.005
        let so = sortino(&returns).expect("defined");
        assert!((so - 365f64.sqrt()).abs() < 1e-9, "{so}");
        assert_eq!(sharpe(&[0.01]), None);
        assert_eq!(sharpe(&[0.01, 0.01]), None);
    }
}
