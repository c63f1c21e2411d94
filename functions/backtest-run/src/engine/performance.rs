//! Performance as the books move: the equity curve, end-of-day equity, the running peak and
//! drawdown, and the time spent holding any position.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

#[derive(Debug, Clone)]
pub struct Performance {
    /// Equity at the end of each UTC day seen (for Sharpe/Sortino).
    pub daily: Vec<(NaiveDate, Decimal)>,
    /// Equity after each fill or settlement (for the curve and drawdown).
    pub curve: Vec<(DateTime<Utc>, Decimal)>,
    day: Option<NaiveDate>,
    /// The first instant after `day`: until then a step has no day to roll.
    day_ends: Option<DateTime<Utc>>,
    peak: Decimal,
    peak_at: Option<DateTime<Utc>>,
    pub max_drawdown: Decimal,
    pub max_drawdown_pct: Decimal,
    pub max_drawdown_duration_secs: i64,
    exposed_since: Option<DateTime<Utc>>,
    pub exposed_secs: i64,
}

impl Performance {
    /// Nothing seen yet; the peak starts at the starting equity.
    pub fn new(equity: Decimal) -> Self {
        Self {
            daily: Vec::new(),
            curve: Vec::new(),
            day: None,
            day_ends: None,
            peak: equity,
            peak_at: None,
            max_drawdown: Decimal::ZERO,
            max_drawdown_pct: Decimal::ZERO,
            max_drawdown_duration_secs: 0,
            exposed_since: None,
            exposed_secs: 0,
        }
    }

    /// Starts the daily series and the curve at the window's first instant.
    pub fn begin(&mut self, at: DateTime<Utc>, equity: Decimal) {
        self.day = Some(at.date_naive());
        self.peak_at = Some(at);
        self.curve.push((at, equity));
    }

    /// Records equity after a change: drawdown always, the curve when cash moved.
    pub fn observe(&mut self, at: DateTime<Utc>, equity: Decimal, to_curve: bool) {
        if to_curve {
            self.curve.push((at, equity));
        }
        if equity >= self.peak {
            self.peak = equity;
            self.peak_at = Some(at);
        } else {
            let drawdown = self.peak - equity;
            if drawdown > self.max_drawdown {
                self.max_drawdown = drawdown;
                if self.peak > Decimal::ZERO {
                    self.max_drawdown_pct = drawdown / self.peak;
                }
            }
            if let Some(peak_at) = self.peak_at {
                self.max_drawdown_duration_secs = self
                    .max_drawdown_duration_secs
                    .max((at - peak_at).num_seconds());
            }
        }
    }

    /// Before a step at `now`: every UTC day that ended since the last step closes at `equity`
    /// (nothing changed in between).
    pub fn roll_days(&mut self, now: DateTime<Utc>, equity: Decimal) {
        if self.day_ends.is_some_and(|ends| now < ends) {
            return;
        }
        let today = now.date_naive();
        self.day_ends = today
            .succ_opt()
            .and_then(|next| next.and_hms_opt(0, 0, 0))
            .map(|midnight| midnight.and_utc());
        let Some(mut day) = self.day else {
            self.day = Some(today);
            return;
        };
        while day < today {
            self.daily.push((day, equity));
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        self.day = Some(day);
    }

    /// After a fill or settlement at `at`: exposure starts when the first position opens and
    /// stops when the last one ends.
    pub fn exposure(&mut self, was_flat: bool, is_flat: bool, at: DateTime<Utc>) {
        if was_flat && !is_flat {
            self.exposed_since = Some(at);
        } else if is_flat {
            self.stop_exposure(at);
        }
    }

    fn stop_exposure(&mut self, at: DateTime<Utc>) {
        if let Some(since) = self.exposed_since.take() {
            self.exposed_secs += (at - since).num_seconds();
        }
    }

    /// Closes the series at the window's end with the final equity.
    pub fn finish(&mut self, end: DateTime<Utc>, equity: Decimal) {
        self.roll_days(end, equity);
        if let Some(day) = self.day {
            self.daily.push((day, equity));
        }
        self.observe(end, equity, true);
        self.stop_exposure(end);
    }
}
