//! Sports history (issue 14): past games, betting lines and Elo ratings as load-history reads
//! them from public files, independent of each file's spelling. The loaders turn rows into
//! these; `crate::db::sports_history` stores them.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

/// FiveThirtyEight's Elo method and our computation of it.
pub mod elo;

/// Where a historical game row came from (`historical_games.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GameSource {
    /// nflverse `games.csv`: NFL games with closing lines since 1999.
    Nflverse,
    /// sportsdataverse's ESPN schedule files; `game_id` is the ESPN event id.
    EspnSchedule,
    /// CollegeBasketballData `lines_{season}.csv`.
    Cbbd,
    /// FiveThirtyEight's `*_elo.csv`.
    Fivethirtyeight,
}

impl GameSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nflverse => "nflverse",
            Self::EspnSchedule => "espn_schedule",
            Self::Cbbd => "cbbd",
            Self::Fivethirtyeight => "fivethirtyeight",
        }
    }

    /// The `team_aliases.provider` for this source's team codes.
    pub fn alias_provider(self) -> &'static str {
        match self {
            Self::Nflverse => "nflverse",
            Self::EspnSchedule => "espn",
            Self::Cbbd => "cbbd",
            Self::Fivethirtyeight => "fivethirtyeight",
        }
    }

    /// When several sources hold the same game, which one the Elo computation uses (lower
    /// first): the ones with ESPN ids and exact times before the Elo file's copy.
    pub fn preference(self) -> u8 {
        match self {
            Self::Nflverse => 0,
            Self::EspnSchedule => 1,
            Self::Cbbd => 2,
            Self::Fivethirtyeight => 3,
        }
    }
}

impl FromStr for GameSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "nflverse" => Ok(Self::Nflverse),
            "espn_schedule" => Ok(Self::EspnSchedule),
            "cbbd" => Ok(Self::Cbbd),
            "fivethirtyeight" => Ok(Self::Fivethirtyeight),
            other => Err(format!("unknown game source `{other}`")),
        }
    }
}

impl fmt::Display for GameSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One game as one source published it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoricalGame {
    pub league: String,
    pub source: GameSource,
    /// The source's own id (never nflverse's `old_game_id`, which repeats).
    pub source_game_id: String,
    pub season: i32,
    pub season_type: Option<String>,
    pub week: Option<i32>,
    pub playoff: bool,
    /// US-Eastern.
    pub game_date: NaiveDate,
    /// 1, or 2 for a doubleheader's second game.
    pub game_number: i16,
    pub scheduled_start: Option<DateTime<Utc>>,
    pub neutral: Option<bool>,
    pub home: TeamRef,
    pub away: TeamRef,
    /// Both `None` until the game is played.
    pub home_score: Option<i32>,
    pub away_score: Option<i32>,
    pub espn_event_id: Option<String>,
    /// The source row, column name → text.
    pub raw: serde_json::Value,
}

impl HistoricalGame {
    pub fn is_played(&self) -> bool {
        self.home_score.is_some() && self.away_score.is_some()
    }
}

/// A team as a source spells it, and the franchise (ESPN team id) it resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRef {
    pub code: String,
    pub espn_team_id: Option<String>,
}

impl TeamRef {
    /// The key Elo ratings are kept under: the franchise id, or the code when unmapped.
    pub fn key(&self) -> &str {
        self.espn_team_id.as_deref().unwrap_or(&self.code)
    }
}

/// Which line (`historical_odds.market`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OddsMarket {
    Moneyline,
    Spread,
    Total,
}

impl OddsMarket {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Moneyline => "moneyline",
            Self::Spread => "spread",
            Self::Total => "total",
        }
    }
}

/// Whose line (`historical_odds.side`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OddsSide {
    Home,
    Away,
    Over,
    Under,
}

impl OddsSide {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Home => "home",
            Self::Away => "away",
            Self::Over => "over",
            Self::Under => "under",
        }
    }
}

/// When the line was taken (`historical_odds.phase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OddsPhase {
    Open,
    Close,
    Unknown,
}

impl OddsPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Close => "close",
            Self::Unknown => "unknown",
        }
    }
}

/// The provider stored when the source leaves it null: the key needs a value.
pub const UNKNOWN_PROVIDER: &str = "unknown";

/// One row of `historical_odds`.
#[derive(Debug, Clone, PartialEq)]
pub struct OddsLine {
    pub provider: String,
    pub market: OddsMarket,
    pub side: OddsSide,
    pub phase: OddsPhase,
    /// Spread: the side's points in the betting convention (negative = favoured). Total: the total.
    pub line: Option<Decimal>,
    /// American odds.
    pub price: Option<Decimal>,
    pub flag: Option<String>,
    /// The provider's own row where it is not the game's (CBBD: one row per provider).
    pub raw: Option<serde_json::Value>,
}

/// How a source writes its spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpreadConvention {
    /// Positive = the home team is favoured by that many points (nflverse `spread_line`).
    PositiveHomeFavoured,
    /// Negative = the home team is favoured: already the betting convention (CBBD `spread`).
    HomeLine,
}

impl SpreadConvention {
    /// The home team's line in the betting convention: negative when the home team is favoured.
    pub fn home_line(self, spread: Decimal) -> Decimal {
        let line = match self {
            Self::PositiveHomeFavoured => -spread,
            Self::HomeLine => spread,
        };
        // A pick'em is 0, never -0 in the output.
        if line.is_zero() {
            Decimal::ZERO
        } else {
            line
        }
    }
}

/// The chance an American price implies (with the vig): -150 → 0.6, +150 → 0.4.
pub fn implied_probability(american: Decimal) -> Option<Decimal> {
    let hundred = Decimal::ONE_HUNDRED;
    if american <= -hundred {
        let risk = -american;
        risk.checked_div(risk + hundred)
    } else if american >= hundred {
        hundred.checked_div(american + hundred)
    } else {
        // Between -100 and +100 is not an American price (100 and -100 are both even money).
        None
    }
}

/// Why a home spread disagrees with the same row's moneylines, if it does: the spread makes the
/// home team the favourite while the moneylines make it the underdog, or the other way round. A
/// pick'em spread or equal moneylines contradict nothing.
pub fn spread_contradiction(
    home_line: Decimal,
    home_moneyline: Option<Decimal>,
    away_moneyline: Option<Decimal>,
) -> Option<String> {
    let home = implied_probability(home_moneyline?)?;
    let away = implied_probability(away_moneyline?)?;
    let spread_says_home = home_line < Decimal::ZERO;
    let spread_says_away = home_line > Decimal::ZERO;
    if (spread_says_home && home < away) || (spread_says_away && home > away) {
        Some(format!(
            "home spread {home_line} says the {} is favoured but the moneylines (home {}, away {}) say the {}",
            if spread_says_home { "home team" } else { "away team" },
            home_moneyline?,
            away_moneyline?,
            if spread_says_home { "away team" } else { "home team" },
        ))
    } else {
        None
    }
}

/// One alias row: a provider's code → ESPN team id over a validity window (`team_aliases`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub provider: String,
    pub code: String,
    pub espn_team_id: String,
    /// Inclusive; `None` = open.
    pub valid_from: Option<NaiveDate>,
    /// Exclusive; `None` = open.
    pub valid_until: Option<NaiveDate>,
}

impl Alias {
    fn covers(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= date)
            && self.valid_until.is_none_or(|until| date < until)
    }
}

/// One league's team aliases, for resolving a source's codes to franchises. The linker's rule,
/// applied per provider: when the provider has any row for a code, only its rows count (so 538's
/// STL in 1991 resolves to nothing rather than to ESPN's meaning of STL); otherwise the code is
/// looked up among ESPN's own abbreviations (provider `espn`).
#[derive(Debug, Clone, Default)]
pub struct AliasBook {
    by_code: HashMap<(String, String), Vec<Alias>>,
}

impl AliasBook {
    pub fn new(aliases: impl IntoIterator<Item = Alias>) -> Self {
        let mut by_code: HashMap<(String, String), Vec<Alias>> = HashMap::new();
        for alias in aliases {
            by_code
                .entry((alias.provider.clone(), alias.code.clone()))
                .or_default()
                .push(alias);
        }
        Self { by_code }
    }

    /// The ESPN team id `provider`'s `code` meant on `date`.
    pub fn resolve(&self, provider: &str, code: &str, date: NaiveDate) -> Option<String> {
        let pick = |rows: &Vec<Alias>| {
            rows.iter()
                .find(|a| a.covers(date))
                .map(|a| a.espn_team_id.clone())
        };
        if let Some(rows) = self.by_code.get(&(provider.to_owned(), code.to_owned())) {
            return pick(rows);
        }
        self.by_code
            .get(&("espn".to_owned(), code.to_owned()))
            .and_then(pick)
    }

    pub fn team(&self, provider: &str, code: &str, date: NaiveDate) -> TeamRef {
        TeamRef {
            code: code.to_owned(),
            espn_team_id: self.resolve(provider, code, date),
        }
    }
}

/// One team's Elo around one game (`historical_elo`).
#[derive(Debug, Clone, PartialEq)]
pub struct EloRow {
    pub league: String,
    pub season: i32,
    pub game_date: NaiveDate,
    pub game_number: i16,
    pub team: TeamRef,
    pub opponent_key: String,
    /// `None` at a neutral site.
    pub is_home: Option<bool>,
    pub elo_pre: Decimal,
    pub elo_post: Option<Decimal>,
    pub win_probability: Option<Decimal>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().expect("decimal literal")
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn nflverse_spreads_are_flipped_and_cbbd_spreads_kept() {
        // nflverse's DEN@LV row: spread_line -8.5 (DEN, the away team, favoured) → LV +8.5.
        assert_eq!(
            SpreadConvention::PositiveHomeFavoured.home_line(dec("-8.5")),
            dec("8.5")
        );
        assert_eq!(
            SpreadConvention::PositiveHomeFavoured.home_line(dec("3")),
            dec("-3")
        );
        assert_eq!(
            SpreadConvention::HomeLine.home_line(dec("-7.5")),
            dec("-7.5")
        );
        assert_eq!(
            SpreadConvention::PositiveHomeFavoured
                .home_line(dec("0"))
                .to_string(),
            "0"
        );
    }

    #[test]
    fn a_spread_against_its_moneylines_is_flagged() {
        // Home -3 with home -150 / away +130: consistent.
        assert!(spread_contradiction(dec("-3"), Some(dec("-150")), Some(dec("130"))).is_none());
        // Home -3 but the home team is the moneyline underdog.
        let why = spread_contradiction(dec("-3"), Some(dec("140")), Some(dec("-160")));
        assert!(why.expect("flagged").contains("home spread -3"));
        // Home +8.5 (away favoured) while home is -400: flagged.
        assert!(spread_contradiction(dec("8.5"), Some(dec("-400")), Some(dec("300"))).is_some());
        // Pick'em and missing moneylines are never flagged.
        assert!(spread_contradiction(dec("0"), Some(dec("-400")), Some(dec("300"))).is_none());
        assert!(spread_contradiction(dec("-3"), None, Some(dec("300"))).is_none());
    }

    #[test]
    fn implied_probabilities_are_exact() {
        assert_eq!(implied_probability(dec("-150")), Some(dec("0.6")));
        assert_eq!(implied_probability(dec("150")), Some(dec("0.4")));
        assert_eq!(implied_probability(dec("50")), None);
    }

    fn alias(
        provider: &str,
        code: &str,
        id: &str,
        from: Option<&str>,
        until: Option<&str>,
    ) -> Alias {
        Alias {
            provider: provider.into(),
            code: code.into(),
            espn_team_id: id.into(),
            valid_from: from.map(date),
            valid_until: until.map(date),
        }
    }

    #[test]
    fn codes_resolve_by_provider_era_and_espn_fallback() {
        let book = AliasBook::new([
            alias("espn", "LV", "13", None, None),
            alias("espn", "LAR", "14", None, None),
            alias("espn", "STL", "24", None, None),
            alias("nflverse", "OAK", "13", None, None),
            alias("nflverse", "LA", "14", None, None),
            alias("fivethirtyeight", "STL", "22", None, Some("1988-03-01")),
            alias(
                "fivethirtyeight",
                "STL",
                "14",
                Some("1995-03-01"),
                Some("2016-03-01"),
            ),
        ]);
        // 1999 OAK and 2025 LV: one franchise.
        assert_eq!(
            book.resolve("nflverse", "OAK", date("1999-09-12"))
                .as_deref(),
            Some("13")
        );
        assert_eq!(
            book.resolve("nflverse", "LV", date("2025-09-07"))
                .as_deref(),
            Some("13")
        );
        // The Rams as nflverse LA and ESPN LAR.
        assert_eq!(
            book.resolve("nflverse", "LA", date("2024-09-08"))
                .as_deref(),
            Some("14")
        );
        assert_eq!(
            book.resolve("espn", "LAR", date("2024-09-08")).as_deref(),
            Some("14")
        );
        // 538's STL by era; between eras it means nothing (not ESPN's STL).
        assert_eq!(
            book.resolve("fivethirtyeight", "STL", date("1985-10-01"))
                .as_deref(),
            Some("22")
        );
        assert_eq!(
            book.resolve("fivethirtyeight", "STL", date("2010-10-01"))
                .as_deref(),
            Some("14")
        );
        assert_eq!(
            book.resolve("fivethirtyeight", "STL", date("1991-10-01")),
            None
        );
        assert_eq!(book.resolve("nflverse", "XYZ", date("2010-10-01")), None);
    }
}
