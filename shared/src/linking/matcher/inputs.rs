//! What the matcher reads: ESPN games, Kalshi markets and milestones of one event, the alias
//! book and the index of games by league and team pair.

use super::*;

/// An ESPN game as the matcher needs it.
#[derive(Debug, Clone, Serialize)]
pub struct GameFacts {
    pub espn_event_id: String,
    pub league: String,
    pub scheduled_start: Option<DateTime<Utc>>,
    /// The US-Eastern date of `scheduled_start` (ESPN files games under ET days).
    pub et_date: Option<NaiveDate>,
    pub home_team_id: String,
    pub away_team_id: String,
    pub home_abbreviation: Option<String>,
    pub away_abbreviation: Option<String>,
    pub neutral_site: Option<bool>,
    pub status_name: Option<String>,
    pub completed: Option<bool>,
    pub home_score: Option<i32>,
    pub away_score: Option<i32>,
    #[serde(skip)]
    pub first_seen_at: DateTime<Utc>,
    /// When the final state was first stored (its `observed_at`), for `verified_at`.
    #[serde(skip)]
    pub final_seen_at: Option<DateTime<Utc>>,
}

impl GameFacts {
    /// Postponed or canceled on ESPN: not a game that was (or will be) played at that time.
    pub fn is_off(&self) -> bool {
        matches!(
            self.status_name.as_deref(),
            Some("STATUS_POSTPONED" | "STATUS_CANCELED" | "STATUS_CANCELLED")
        )
    }

    /// The final score as (home, away), when ESPN calls the game complete.
    pub(super) fn final_score(&self) -> Option<(i32, i32)> {
        match (self.completed, self.home_score, self.away_score) {
            (Some(true), Some(home), Some(away)) => Some((home, away)),
            _ => None,
        }
    }

    pub(super) fn side_of(&self, team_id: &str) -> Option<YesSide> {
        if team_id == self.home_team_id {
            Some(YesSide::Home)
        } else if team_id == self.away_team_id {
            Some(YesSide::Away)
        } else {
            None
        }
    }

    pub(super) fn evidence(&self) -> Value {
        json!({
            "espn_event_id": self.espn_event_id,
            "start": self.scheduled_start,
            "et_date": self.et_date,
            "home_team_id": self.home_team_id,
            "away_team_id": self.away_team_id,
            "home": self.home_abbreviation,
            "away": self.away_abbreviation,
            "neutral_site": self.neutral_site,
            "status": self.status_name,
        })
    }
}

/// A market of a game series, as stored.
#[derive(Debug, Clone)]
pub struct MarketFacts {
    pub ticker: String,
    pub status: String,
    /// Kalshi's result; `None` until determined.
    pub result: Option<String>,
    pub floor_strike: Option<Decimal>,
    pub custom_strike: Option<Value>,
    pub first_seen_at: DateTime<Utc>,
    pub determined_at: Option<DateTime<Utc>>,
}

impl MarketFacts {
    /// Kalshi voided it: finalized without a yes/no (or scalar) result, or a result that says so.
    pub(super) fn is_voided(&self) -> bool {
        match self.result.as_deref() {
            Some("yes" | "no" | "scalar") => false,
            Some(_) => true,
            None => self.status == "finalized",
        }
    }
}

/// Kalshi's milestone for the event: its start and details (home/away target ids).
#[derive(Debug, Clone)]
pub struct MilestoneFacts {
    pub id: String,
    pub start_date: Option<DateTime<Utc>>,
    pub details: Value,
}

/// One event of a game series and everything Kalshi says about it.
#[derive(Debug, Clone)]
pub struct EventInput {
    pub event_ticker: String,
    pub series_ticker: String,
    pub league: String,
    pub kind: MarketKind,
    pub markets: Vec<MarketFacts>,
    pub milestone: Option<MilestoneFacts>,
}

/// An alias row (provider 'kalshi').
#[derive(Debug, Clone)]
pub struct AliasRow {
    pub espn_team_id: String,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub source: String,
    pub created_at: DateTime<Utc>,
}

impl AliasRow {
    pub(super) fn valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= date)
            && self.valid_until.is_none_or(|until| date < until)
    }
}

/// How a code resolved to a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolution {
    pub team_id: String,
    /// 'seed', 'operator', 'learned'.
    pub via: String,
    /// For an operator's row: when it was added (the link was not knowable before).
    #[serde(skip)]
    pub known_since: Option<DateTime<Utc>>,
}

/// Kalshi team codes per league: the alias rows, and ESPN's own abbreviations as the fallback for
/// codes without any row.
#[derive(Debug, Default)]
pub struct AliasBook {
    rows: HashMap<(String, String), Vec<AliasRow>>,
    abbreviations: HashMap<(String, String), BTreeSet<String>>,
    /// Kalshi structured-target UUIDs (custom_strike, milestone home/away) -> ESPN team id.
    targets: HashMap<(String, String), String>,
}

impl AliasBook {
    pub fn add_row(&mut self, league: &str, code: &str, row: AliasRow) {
        self.rows
            .entry((league.to_owned(), code.to_owned()))
            .or_default()
            .push(row);
    }

    /// ESPN calls `team_id` `abbreviation` in `league` (from the stored games).
    pub fn add_abbreviation(&mut self, league: &str, abbreviation: &str, team_id: &str) {
        self.abbreviations
            .entry((league.to_owned(), abbreviation.to_owned()))
            .or_default()
            .insert(team_id.to_owned());
    }

    /// The teams `code` names in `league` on `date`. A code with rows resolves only through
    /// them; one without falls back to ESPN's abbreviation when exactly one team has it (and the
    /// linker then writes that down as a 'learned' row).
    pub fn resolve(&self, league: &str, code: &str, date: NaiveDate) -> Vec<Resolution> {
        let key = (league.to_owned(), code.to_owned());
        if let Some(rows) = self.rows.get(&key) {
            let mut found: Vec<Resolution> = Vec::new();
            for row in rows.iter().filter(|r| r.valid_on(date)) {
                if found.iter().any(|f| f.team_id == row.espn_team_id) {
                    continue;
                }
                found.push(Resolution {
                    team_id: row.espn_team_id.clone(),
                    via: row.source.clone(),
                    known_since: (row.source == "operator").then_some(row.created_at),
                });
            }
            return found;
        }
        match self.abbreviations.get(&key) {
            Some(ids) if ids.len() == 1 => ids
                .iter()
                .map(|id| Resolution {
                    team_id: id.clone(),
                    via: "learned".into(),
                    known_since: None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A `kalshi_target` alias: Kalshi's structured target `uuid` is ESPN team `team_id`.
    pub fn add_target(&mut self, league: &str, uuid: &str, team_id: &str) {
        self.targets
            .insert((league.to_owned(), uuid.to_owned()), team_id.to_owned());
    }

    pub(super) fn target(&self, league: &str, uuid: &str) -> Option<&String> {
        self.targets.get(&(league.to_owned(), uuid.to_owned()))
    }

    /// Whether `code` has no alias row in `league` (so a resolution of it is to be learned).
    pub fn is_unrecorded(&self, league: &str, code: &str) -> bool {
        !self
            .rows
            .contains_key(&(league.to_owned(), code.to_owned()))
    }
}

/// ESPN games by league and unordered team pair, each list in start order.
#[derive(Debug, Default)]
pub struct GameIndex {
    by_pair: HashMap<(String, String, String), Vec<GameFacts>>,
}

impl GameIndex {
    pub fn insert(&mut self, game: GameFacts) {
        let key = pair_key(&game.league, &game.home_team_id, &game.away_team_id);
        let list = self.by_pair.entry(key).or_default();
        list.push(game);
        list.sort_by(|a, b| {
            (a.scheduled_start, &a.espn_event_id).cmp(&(b.scheduled_start, &b.espn_event_id))
        });
    }

    pub(super) fn of_pair(&self, league: &str, a: &str, b: &str) -> &[GameFacts] {
        self.by_pair
            .get(&pair_key(league, a, b))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

pub(super) fn pair_key(league: &str, a: &str, b: &str) -> (String, String, String) {
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    (league.to_owned(), low.to_owned(), high.to_owned())
}
