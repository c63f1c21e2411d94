//! The matching rules of issue 10 §2, as a pure function of what is stored: one Kalshi event
//! (its markets, its milestone), the team aliases, and the ESPN games of the same league. No I/O
//! here, so every rule is unit-tested; `repo` reads the inputs and writes the rows.
//!
//! A link is never flipped by a check: orientation comes from ESPN's `homeAway` of the YES team's
//! id, and every check (away-first order, both moneylines, settlement against ESPN's final) is
//! recorded next to it, failing loudly (`flagged`) when it disagrees.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, Value};

use super::ticker::{self, GameTicker};
use crate::domain::{LinkStatus, MarketKind, YesSide};

/// Bumped whenever a rule changes, so rows say which rules produced them.
pub const MATCHER_VERSION: i32 = 1;
/// A game fits a Kalshi start (ticker `HHMM` or milestone) when it starts within this.
pub const START_TOLERANCE_MINUTES: i64 = 90;
/// How far after a postponed game's date a makeup game is looked for.
pub const MAKEUP_WINDOW_DAYS: i64 = 14;

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
    fn final_score(&self) -> Option<(i32, i32)> {
        match (self.completed, self.home_score, self.away_score) {
            (Some(true), Some(home), Some(away)) => Some((home, away)),
            _ => None,
        }
    }

    fn side_of(&self, team_id: &str) -> Option<YesSide> {
        if team_id == self.home_team_id {
            Some(YesSide::Home)
        } else if team_id == self.away_team_id {
            Some(YesSide::Away)
        } else {
            None
        }
    }

    fn evidence(&self) -> Value {
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
    fn is_voided(&self) -> bool {
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
    fn valid_on(&self, date: NaiveDate) -> bool {
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

    fn target(&self, league: &str, uuid: &str) -> Option<&String> {
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

    fn of_pair(&self, league: &str, a: &str, b: &str) -> &[GameFacts] {
        self.by_pair
            .get(&pair_key(league, a, b))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

fn pair_key(league: &str, a: &str, b: &str) -> (String, String, String) {
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    (league.to_owned(), low.to_owned(), high.to_owned())
}

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
    fn passed(check: &'static str, detail: String) -> Self {
        Self {
            check,
            ok: true,
            severity: "info",
            detail,
        }
    }
    fn warning(check: &'static str, detail: String) -> Self {
        Self {
            check,
            ok: false,
            severity: "warning",
            detail,
        }
    }
    fn error(check: &'static str, detail: String) -> Self {
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

/// The event-level outcome before it is spread over the markets.
enum Outcome {
    NotAGame(String),
    Unlinked {
        status: LinkStatus,
        reason: String,
    },
    Game {
        game: Box<GameFacts>,
        /// Kalshi code -> ESPN team id, for the two teams.
        codes: [(String, String); 2],
        alias_known_since: Option<DateTime<Utc>>,
        checks: Vec<Check>,
    },
}

/// Links every market of one event.
pub fn link_event(event: &EventInput, aliases: &AliasBook, games: &GameIndex) -> EventLinks {
    let mut evidence = serde_json::Map::new();
    let mut learned = Vec::new();
    if let Some(m) = &event.milestone {
        evidence.insert(
            "milestone".into(),
            json!({"id": m.id, "start_date": m.start_date, "details": m.details}),
        );
    }
    let parsed = ticker::parse_event(&event.event_ticker);
    let outcome = match &parsed {
        Err(why) => Outcome::NotAGame(why.to_string()),
        Ok(t) => {
            evidence.insert("ticker".into(), json!(t));
            match_game(event, t, aliases, games, &mut evidence, &mut learned)
        }
    };
    let event_date = parsed.as_ref().ok().map(|t| t.date);
    let mut rows: Vec<LinkRow> = event
        .markets
        .iter()
        .map(|m| market_row(event, m, &outcome, &evidence, event_date))
        .collect();
    if let Outcome::Game { game, .. } = &outcome {
        check_moneylines(event, game, &mut rows);
        check_targets(event, game, aliases, &mut rows, &mut learned);
    }
    for (row, market) in rows.iter_mut().zip(&event.markets) {
        if market.is_voided() {
            row.status = LinkStatus::Cancelled;
            row.reason = format!(
                "Kalshi voided the market (status {}, result {})",
                market.status,
                market.result.as_deref().unwrap_or("none")
            );
            row.verified_at = None;
        }
        row.flagged = row.checks.iter().any(|c| c.severity == "error");
    }
    if !matches!(outcome, Outcome::Game { .. }) {
        learned.clear();
    }
    EventLinks { rows, learned }
}

fn match_game(
    event: &EventInput,
    t: &GameTicker,
    aliases: &AliasBook,
    games: &GameIndex,
    evidence: &mut serde_json::Map<String, Value>,
    learned: &mut Vec<LearnedAlias>,
) -> Outcome {
    let league = event.league.as_str();
    // 1. The team block: only splits whose two codes are both known aliases on that date.
    let mut considered = Vec::new();
    let mut valid = Vec::new();
    for (first, second) in ticker::splits(&t.teams) {
        let a = aliases.resolve(league, first, t.date);
        let b = aliases.resolve(league, second, t.date);
        considered.push(json!({"away_code": first, "home_code": second, "away": a, "home": b}));
        if let ([a], [b]) = (a.as_slice(), b.as_slice()) {
            if a.team_id != b.team_id {
                valid.push(((first, a.clone()), (second, b.clone())));
            }
        }
    }
    evidence.insert("splits".into(), Value::Array(considered));
    let ((away_code, away), (home_code, home)) = match valid.as_slice() {
        [] => {
            return Outcome::Unlinked {
                status: LinkStatus::Unmatched,
                reason: format!(
                    "no split of `{}` into two codes that are both {league} aliases on {}",
                    t.teams, t.date
                ),
            }
        }
        [one] => one.clone(),
        _ => {
            return Outcome::Unlinked {
                status: LinkStatus::Ambiguous,
                reason: format!(
                    "`{}` splits {} valid ways into {league} codes",
                    t.teams,
                    valid.len()
                ),
            }
        }
    };
    for (code, resolution) in [(away_code, &away), (home_code, &home)] {
        if aliases.is_unrecorded(league, code) {
            learned.push(LearnedAlias {
                provider: "kalshi",
                league: league.to_owned(),
                code: code.to_owned(),
                espn_team_id: resolution.team_id.clone(),
                evidence: json!({"from": "espn_abbreviation", "event_ticker": event.event_ticker}),
            });
        }
    }

    // 2. Candidate games: same pair, same ET date, else ±1 day; postponed ones set aside.
    let all = games.of_pair(league, &away.team_id, &home.team_id);
    let on = |date: NaiveDate| -> Vec<&GameFacts> {
        all.iter().filter(|g| g.et_date == Some(date)).collect()
    };
    let mut pool = on(t.date);
    let mut widened = false;
    if pool.is_empty() {
        widened = true;
        pool = [t.date - Duration::days(1), t.date + Duration::days(1)]
            .into_iter()
            .flat_map(on)
            .collect();
    }
    let off: Vec<&GameFacts> = pool.iter().copied().filter(|g| g.is_off()).collect();
    let mut candidates: Vec<&GameFacts> = pool.iter().copied().filter(|g| !g.is_off()).collect();
    let mut checks = Vec::new();
    let mut makeup = false;
    if candidates.is_empty() && !off.is_empty() {
        // The ticker keeps the old date; a makeup game of the same pair after it may fit.
        let after = off.iter().filter_map(|g| g.scheduled_start).max();
        let until = t.date + Duration::days(MAKEUP_WINDOW_DAYS);
        if let Some(first) = all.iter().find(|g| {
            !g.is_off()
                && g.et_date.is_some_and(|d| d > t.date && d <= until)
                && g.scheduled_start.zip(after).is_some_and(|(s, a)| s > a)
        }) {
            makeup = true;
            checks.push(Check::warning(
                "makeup_game",
                format!(
                    "ESPN game(s) {} on {} were postponed; linked to the next game of the pair, {}",
                    ids(&off),
                    t.date,
                    first.espn_event_id
                ),
            ));
            candidates = vec![first];
        }
    }
    evidence.insert(
        "candidates".into(),
        Value::Array(
            pool.iter()
                .chain(candidates.iter().filter(|_| makeup))
                .map(|g| g.evidence())
                .collect(),
        ),
    );
    if widened {
        evidence.insert("widened_to_adjacent_days".into(), json!(true));
    }

    // 3. Kalshi's start (ticker HHMM, else the milestone's) must be within 90 minutes.
    let kalshi_start = t.start.map(|s| (s, "ticker")).or_else(|| {
        event
            .milestone
            .as_ref()
            .and_then(|m| m.start_date)
            .map(|s| (s, "milestone"))
    });
    if let (Some((start, from)), false) = (kalshi_start, makeup) {
        evidence.insert("kalshi_start".into(), json!({"at": start, "from": from}));
        let tolerance = Duration::minutes(START_TOLERANCE_MINUTES);
        let before = candidates.len();
        candidates.retain(|g| {
            g.scheduled_start
                .is_some_and(|s| (s - start).abs() <= tolerance)
        });
        if before > 0 && candidates.is_empty() {
            return Outcome::Unlinked {
                status: LinkStatus::Unmatched,
                reason: format!(
                    "no {away_code}/{home_code} game starts within {START_TOLERANCE_MINUTES} minutes of Kalshi's start {start} ({from})"
                ),
            };
        }
    }

    // 4. Doubleheaders by Gn, then start order; anything left over is ambiguous.
    let game = match (candidates.as_slice(), t.game_number) {
        ([], _) if !off.is_empty() => {
            return Outcome::Unlinked {
                status: LinkStatus::Unmatched,
                reason: format!(
                    "ESPN shows {} postponed and no makeup game of the pair yet",
                    ids(&off)
                ),
            }
        }
        ([], _) => {
            return Outcome::Unlinked {
                status: LinkStatus::Unmatched,
                reason: format!(
                    "no {league} game between ESPN teams {} and {} on {} (±1 day)",
                    away.team_id, home.team_id, t.date
                ),
            }
        }
        ([one], None) => (*one).clone(),
        (list, Some(n)) => match list.get(usize::from(n) - 1) {
            Some(game) => (*game).clone(),
            None => {
                return Outcome::Unlinked {
                    status: LinkStatus::Unmatched,
                    reason: format!("G{n}: only {} game(s) of the pair that day", list.len()),
                }
            }
        },
        (list, None) => {
            return Outcome::Unlinked {
                status: LinkStatus::Ambiguous,
                reason: format!(
                    "{} games of the pair fit and the ticker has no G1/G2: {}",
                    list.len(),
                    ids(list)
                ),
            }
        }
    };

    // 5. Checks that are recorded, never acted on.
    let neutral = game.neutral_site == Some(true);
    if away.team_id == game.away_team_id {
        checks.push(Check::passed(
            "away_first",
            format!("ticker lists {away_code} first and ESPN has it away"),
        ));
    } else if neutral {
        checks.push(Check::warning(
            "away_first",
            format!("ticker lists {away_code} first but ESPN has it home (neutral site)"),
        ));
    } else {
        checks.push(Check::error(
            "away_first",
            format!("ticker lists {away_code} first but ESPN has it home at a home venue"),
        ));
    }
    if let (Some(m), Some(s)) = (&event.milestone, game.scheduled_start) {
        if let Some(ms) = m.start_date {
            let minutes = (ms - s).num_minutes().abs();
            checks.push(if minutes <= START_TOLERANCE_MINUTES {
                Check::passed(
                    "milestone_start",
                    format!("milestone starts {minutes} min from ESPN's start"),
                )
            } else {
                Check::warning(
                    "milestone_start",
                    format!("milestone starts {minutes} min from ESPN's start"),
                )
            });
        }
    }
    let alias_known_since = [away.known_since, home.known_since]
        .into_iter()
        .flatten()
        .max();
    Outcome::Game {
        game: Box::new(game),
        codes: [
            (away_code.to_owned(), away.team_id),
            (home_code.to_owned(), home.team_id),
        ],
        alias_known_since,
        checks,
    }
}

fn ids(games: &[&GameFacts]) -> String {
    games
        .iter()
        .map(|g| g.espn_event_id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn market_row(
    event: &EventInput,
    market: &MarketFacts,
    outcome: &Outcome,
    evidence: &serde_json::Map<String, Value>,
    event_date: Option<NaiveDate>,
) -> LinkRow {
    let mut evidence = evidence.clone();
    if let Some(strike) = &market.custom_strike {
        evidence.insert("custom_strike".into(), strike.clone());
    }
    let line = match event.kind {
        MarketKind::Moneyline => None,
        _ => market.floor_strike,
    };
    let mut row = LinkRow {
        ticker: market.ticker.clone(),
        event_ticker: event.event_ticker.clone(),
        series_ticker: event.series_ticker.clone(),
        league: event.league.clone(),
        kind: event.kind,
        espn_event_id: None,
        yes_side: None,
        yes_team_code: None,
        yes_team_id: None,
        line,
        status: LinkStatus::Unmatched,
        reason: String::new(),
        evidence: Value::Null,
        checks: Vec::new(),
        flagged: false,
        event_date,
        knowable_at: market.first_seen_at,
        verified_at: None,
    };
    match outcome {
        Outcome::NotAGame(why) => {
            row.status = LinkStatus::NotAGame;
            row.reason = why.clone();
        }
        Outcome::Unlinked { status, reason } => {
            row.status = *status;
            row.reason = reason.clone();
        }
        Outcome::Game {
            game,
            codes,
            alias_known_since,
            checks,
        } => {
            evidence.insert("game".into(), game.evidence());
            row.checks = checks.clone();
            row.knowable_at = [
                Some(market.first_seen_at),
                Some(game.first_seen_at),
                *alias_known_since,
            ]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(market.first_seen_at);
            orient(&mut row, event, market, game, codes);
        }
    }
    row.evidence = Value::Object(evidence);
    row
}

/// Which side YES is (from ESPN's homeAway of the YES team), and the settlement check.
fn orient(
    row: &mut LinkRow,
    event: &EventInput,
    market: &MarketFacts,
    game: &GameFacts,
    codes: &[(String, String); 2],
) {
    let yes_team = match event.kind {
        MarketKind::Moneyline | MarketKind::Spread => {
            let code = ticker::market_suffix(&market.ticker, &event.event_ticker)
                .and_then(ticker::suffix_code);
            match codes.iter().find(|(c, _)| Some(c.as_str()) == code) {
                Some(found) => Some(found.clone()),
                None => {
                    row.status = LinkStatus::Unmatched;
                    row.reason = format!(
                        "the market's suffix names `{}`, neither {} nor {}",
                        code.unwrap_or(""),
                        codes[0].0,
                        codes[1].0
                    );
                    return;
                }
            }
        }
        MarketKind::Total | MarketKind::Other => None,
    };
    row.espn_event_id = Some(game.espn_event_id.clone());
    row.status = LinkStatus::Matched;
    row.reason = format!("ESPN game {} ({})", game.espn_event_id, event.league);
    match (&yes_team, event.kind) {
        (Some((code, team_id)), _) => {
            row.yes_team_code = Some(code.clone());
            row.yes_team_id = Some(team_id.clone());
            row.yes_side = game.side_of(team_id);
        }
        (None, MarketKind::Total) => row.yes_side = Some(YesSide::Over),
        (None, _) => {}
    }
    if let Some(check) = settlement_check(row, market, game) {
        if check.ok {
            row.status = LinkStatus::Verified;
            row.reason = format!("{}; settlement agrees with ESPN's final", row.reason);
            row.verified_at = [market.determined_at, game.final_seen_at]
                .into_iter()
                .flatten()
                .max();
        }
        row.checks.push(check);
    }
}

/// After settlement: did the market resolve the way ESPN's final score says it should?
fn settlement_check(row: &LinkRow, market: &MarketFacts, game: &GameFacts) -> Option<Check> {
    let resolved_yes = match market.result.as_deref() {
        Some("yes") => true,
        Some("no") => false,
        _ => return None,
    };
    let (home, away) = game.final_score()?;
    let (expected_yes, what) = match (row.kind, row.yes_side) {
        (MarketKind::Moneyline, Some(side)) => {
            let (mine, theirs) = if side == YesSide::Home {
                (home, away)
            } else {
                (away, home)
            };
            (
                mine > theirs,
                format!("ESPN final {home}-{away} (home-away)"),
            )
        }
        (MarketKind::Spread, Some(side @ (YesSide::Home | YesSide::Away))) => {
            let line = row.line?;
            let margin = if side == YesSide::Home {
                home - away
            } else {
                away - home
            };
            (
                Decimal::from(margin) > line,
                format!("margin {margin} against line {line}"),
            )
        }
        (MarketKind::Total, _) => {
            let line = row.line?;
            let total = home + away;
            (
                Decimal::from(total) > line,
                format!("total {total} against line {line}"),
            )
        }
        _ => return None,
    };
    let result = if resolved_yes { "YES" } else { "NO" };
    Some(if expected_yes == resolved_yes {
        Check::passed("settlement", format!("resolved {result}; {what}"))
    } else {
        Check::error(
            "settlement",
            format!(
                "resolved {result} but {what} says {}",
                if expected_yes { "YES" } else { "NO" }
            ),
        )
    })
}

/// The one structured-target UUID a market's `custom_strike` names (`{"football_team": "…"}`).
fn strike_target(market: &MarketFacts) -> Option<&str> {
    let object = market.custom_strike.as_ref()?.as_object()?;
    match object.values().collect::<Vec<_>>().as_slice() {
        [one] => one.as_str(),
        _ => None,
    }
}

/// Kalshi's own team ids as evidence: a known `custom_strike` target must be the YES team, and the
/// milestone's home/away targets should be ESPN's home/away. Unknown targets are learned from a
/// matched moneyline event whose two markets name two different targets for its two teams.
fn check_targets(
    event: &EventInput,
    game: &GameFacts,
    aliases: &AliasBook,
    rows: &mut [LinkRow],
    learned: &mut Vec<LearnedAlias>,
) {
    let league = event.league.as_str();
    for (row, market) in rows.iter_mut().zip(&event.markets) {
        let (Some(uuid), Some(yes_team)) = (strike_target(market), row.yes_team_id.clone()) else {
            continue;
        };
        if let Some(known) = aliases.target(league, uuid) {
            row.checks.push(if *known == yes_team {
                Check::passed("custom_strike_team", format!("custom_strike names ESPN team {known}, the YES team"))
            } else {
                Check::error(
                    "custom_strike_team",
                    format!("custom_strike names ESPN team {known} but the ticker's YES team is {yes_team}"),
                )
            });
        }
    }
    if let Some(details) = event.milestone.as_ref().map(|m| &m.details) {
        let side = |key: &str| {
            details
                .get(key)
                .and_then(Value::as_str)
                .and_then(|u| aliases.target(league, u))
        };
        if let (Some(home), Some(away)) = (side("home_team_id"), side("away_team_id")) {
            let agrees = *home == game.home_team_id && *away == game.away_team_id;
            let detail = format!(
                "milestone home/away = ESPN teams {home}/{away}; ESPN {}/{}",
                game.home_team_id, game.away_team_id
            );
            let check = if agrees {
                Check::passed("milestone_home_away", detail)
            } else {
                Check::warning("milestone_home_away", detail)
            };
            for row in rows.iter_mut().filter(|r| r.espn_event_id.is_some()) {
                row.checks.push(check.clone());
            }
        }
    }
    // Learn only from a clean moneyline pair: two markets, two teams, two different targets.
    if event.kind != MarketKind::Moneyline {
        return;
    }
    let pairs: Vec<(&str, &String)> = rows
        .iter()
        .zip(&event.markets)
        .filter(|(r, _)| r.status.is_linked())
        .filter_map(|(r, m)| Some((strike_target(m)?, r.yes_team_id.as_ref()?)))
        .collect();
    if let [(u1, t1), (u2, t2)] = pairs.as_slice() {
        if u1 != u2 && t1 != t2 {
            for (uuid, team) in [(u1, t1), (u2, t2)] {
                if aliases.target(league, uuid).is_none() {
                    learned.push(LearnedAlias {
                        provider: "kalshi_target",
                        league: league.to_owned(),
                        code: (*uuid).to_owned(),
                        espn_team_id: (*team).clone(),
                        evidence: json!({"from": "custom_strike", "event_ticker": event.event_ticker, "espn_event_id": game.espn_event_id}),
                    });
                }
            }
        }
    }
}

/// Both moneyline markets of a game must cover both teams, once each.
fn check_moneylines(event: &EventInput, game: &GameFacts, rows: &mut [LinkRow]) {
    if event.kind != MarketKind::Moneyline {
        return;
    }
    let sides: Vec<YesSide> = rows.iter().filter_map(|r| r.yes_side).collect();
    let home = sides.iter().filter(|s| **s == YesSide::Home).count();
    let away = sides.iter().filter(|s| **s == YesSide::Away).count();
    let check = match (home, away) {
        (1, 1) => Check::passed(
            "moneylines_cover_both",
            format!(
                "one market each for {} and {}",
                game.home_team_id, game.away_team_id
            ),
        ),
        (h, a) if h > 1 || a > 1 => Check::error(
            "moneylines_cover_both",
            format!("{h} markets say YES = home and {a} say YES = away"),
        ),
        (h, a) => Check::warning(
            "moneylines_cover_both",
            format!("only {} of the two moneyline markets seen so far", h + a),
        ),
    };
    for row in rows.iter_mut().filter(|r| r.espn_event_id.is_some()) {
        row.checks.push(check.clone());
    }
}

#[cfg(test)]
mod tests;
