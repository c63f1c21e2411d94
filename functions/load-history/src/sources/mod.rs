//! One module per file kind: the columns it must have, and how one row becomes a game with its
//! lines and ratings. The pipeline around them (`crate::load`) is shared.

use std::collections::HashMap;

use precog::domain::sports_history::{AliasBook, EloRow, GameSource, HistoricalGame, OddsLine};

use crate::event::SourceKind;
use crate::fields::RowResult;
use crate::input::Record;

/// CollegeBasketballData lines.
pub mod cbbd;
/// sportsdataverse ESPN schedules.
pub mod espn_schedule;
/// FiveThirtyEight Elo files, both layouts.
pub mod fivethirtyeight;
/// nflverse games.csv.
pub mod nflverse;

/// What one row says.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub game: HistoricalGame,
    pub odds: Vec<OddsLine>,
    pub elo: Vec<EloRow>,
    /// 538's per-team layout: whose row this is (its `team1`), for pairing the two rows.
    pub perspective: Option<String>,
}

/// What a row parser needs besides the row.
pub struct Context<'a> {
    pub league: &'a str,
    pub aliases: &'a AliasBook,
}

impl SourceKind {
    pub fn game_source(self) -> GameSource {
        match self {
            Self::NflverseGames => GameSource::Nflverse,
            Self::CbbdLines => GameSource::Cbbd,
            Self::EspnSchedule => GameSource::EspnSchedule,
            Self::FivethirtyeightElo => GameSource::Fivethirtyeight,
        }
    }

    /// The columns the file must have.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Self::NflverseGames => nflverse::REQUIRED,
            Self::CbbdLines => cbbd::REQUIRED,
            Self::EspnSchedule => espn_schedule::REQUIRED,
            Self::FivethirtyeightElo => fivethirtyeight::REQUIRED,
        }
    }

    /// `rejected_records.source` for this file's rows.
    pub fn reject_source(self) -> &'static str {
        match self {
            Self::NflverseGames => "nflverse.games",
            Self::CbbdLines => "cbbd.lines",
            Self::EspnSchedule => "espn.schedule",
            Self::FivethirtyeightElo => "fivethirtyeight.elo",
        }
    }

    /// The natural key of a row, for its reject.
    pub fn natural_key(self, rec: &Record<'_>) -> Option<String> {
        let key = match self {
            Self::NflverseGames | Self::CbbdLines | Self::EspnSchedule => {
                rec.get("game_id").to_owned()
            }
            Self::FivethirtyeightElo => format!(
                "{}:{}:{}",
                rec.get("date"),
                rec.get("team1"),
                rec.get("team2")
            ),
        };
        (!key.is_empty()).then_some(key)
    }

    pub fn parse(self, rec: &Record<'_>, cx: &Context<'_>) -> RowResult<Parsed> {
        match self {
            Self::NflverseGames => nflverse::parse(rec, cx),
            Self::CbbdLines => cbbd::parse(rec, cx),
            Self::EspnSchedule => espn_schedule::parse(rec, cx),
            Self::FivethirtyeightElo => fivethirtyeight::parse(rec, cx),
        }
    }
}

/// Puts a file's rows together into one entry per game:
/// - 538 (no game ids): numbers same-day games between the same teams in file order (a
///   doubleheader's second game is 2), and in the per-team layout keeps one of each game's two
///   rows;
/// - the others: merges rows of one game id (CBBD has one per provider; the last row's game
///   wins, every row's lines are kept), then numbers same-day games by start time.
pub fn assemble(kind: SourceKind, parsed: Vec<Parsed>) -> Vec<Parsed> {
    if kind == SourceKind::FivethirtyeightElo {
        return fivethirtyeight::assemble(parsed);
    }
    let mut order: Vec<String> = Vec::new();
    let mut by_id: HashMap<String, Parsed> = HashMap::new();
    for p in parsed {
        let id = p.game.source_game_id.clone();
        match by_id.get_mut(&id) {
            Some(existing) => {
                let mut odds = std::mem::take(&mut existing.odds);
                odds.extend(p.odds);
                *existing = Parsed { odds, ..p };
            }
            None => {
                order.push(id.clone());
                by_id.insert(id, p);
            }
        }
    }
    let mut games: Vec<Parsed> = order
        .into_iter()
        .filter_map(|id| by_id.remove(&id))
        .collect();
    // Same-day games between the same two teams: numbered by start time, then file order.
    let mut slots: HashMap<(chrono::NaiveDate, String, String), Vec<usize>> = HashMap::new();
    for (i, p) in games.iter().enumerate() {
        slots
            .entry((
                p.game.game_date,
                p.game.home.key().to_owned(),
                p.game.away.key().to_owned(),
            ))
            .or_default()
            .push(i);
    }
    for indices in slots.into_values().filter(|v| v.len() > 1) {
        let mut sorted = indices;
        sorted.sort_by_key(|i| (games[*i].game.scheduled_start, *i));
        for (n, i) in sorted.into_iter().enumerate() {
            games[i].game.game_number = i16::try_from(n + 1).unwrap_or(i16::MAX);
        }
    }
    games
}
