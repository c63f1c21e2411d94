//! What the matcher produces: `game_links` rows with their checks, and learned aliases.

use super::*;

/// One recorded check on a link.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub check: &'static str,
    pub ok: bool,
    /// 'info', 'warning' or 'error' (an error flags the link).
    pub severity: &'static str,
    pub detail: String,
}

impl Check {
    pub(super) fn passed(check: &'static str, detail: String) -> Self {
        Self {
            check,
            ok: true,
            severity: "info",
            detail,
        }
    }
    pub(super) fn warning(check: &'static str, detail: String) -> Self {
        Self {
            check,
            ok: false,
            severity: "warning",
            detail,
        }
    }
    pub(super) fn error(check: &'static str, detail: String) -> Self {
        Self {
            check,
            ok: false,
            severity: "error",
            detail,
        }
    }
}

/// One `game_links` row.
#[derive(Debug, Clone)]
pub struct LinkRow {
    pub ticker: String,
    pub event_ticker: String,
    pub series_ticker: String,
    pub league: String,
    pub kind: MarketKind,
    pub espn_event_id: Option<String>,
    pub yes_side: Option<YesSide>,
    pub yes_team_code: Option<String>,
    pub yes_team_id: Option<String>,
    pub line: Option<Decimal>,
    pub status: LinkStatus,
    pub reason: String,
    pub evidence: Value,
    pub checks: Vec<Check>,
    pub flagged: bool,
    pub event_date: Option<NaiveDate>,
    pub knowable_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
}

/// A code the linker resolved through ESPN's abbreviation, to be written as a 'learned' alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnedAlias {
    /// `kalshi` (a ticker code) or `kalshi_target` (a structured-target UUID).
    pub provider: &'static str,
    pub league: String,
    pub code: String,
    pub espn_team_id: String,
    pub evidence: Value,
}

/// What linking one event produced.
#[derive(Debug, Default)]
pub struct EventLinks {
    pub rows: Vec<LinkRow>,
    pub learned: Vec<LearnedAlias>,
}
