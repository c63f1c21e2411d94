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

mod checks;
mod inputs;
mod rows;

use checks::*;
pub use inputs::*;
pub use rows::*;

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

#[cfg(test)]
mod tests;
