//! nflverse `games.csv`: one row per NFL game since 1999, with its closing lines. The key is
//! `game_id` (`2024_01_BAL_KC`); `old_game_id` repeats across games and is never used.
//! `spread_line` is positive when the HOME team is favoured, the opposite of the betting
//! convention we store, so it is flipped. The lines carry no bookmaker; they are stored under
//! provider `nflverse`, phase `close`.

use chrono::Duration;
use precog::domain::eastern_day_start;
use precog::domain::sports_history::{
    spread_contradiction, GameSource, HistoricalGame, OddsLine, OddsMarket, OddsPhase, OddsSide,
    SpreadConvention,
};

use super::{Context, Parsed};
use crate::fields::{date, int, opt_decimal, opt_int, opt_text, scores, text, RowResult};
use crate::input::Record;

/// The columns read. Others (weather, coaches, QBs, …) are kept in `raw` only.
pub const REQUIRED: &[&str] = &[
    "game_id",
    "season",
    "game_type",
    "week",
    "gameday",
    "gametime",
    "away_team",
    "away_score",
    "home_team",
    "home_score",
    "location",
    "espn",
    "away_moneyline",
    "home_moneyline",
    "spread_line",
    "away_spread_odds",
    "home_spread_odds",
    "total_line",
    "under_odds",
    "over_odds",
];

pub const PROVIDER: &str = "nflverse";

pub fn parse(rec: &Record<'_>, cx: &Context<'_>) -> RowResult<Parsed> {
    let game_id = text(rec, "game_id")?.to_owned();
    let season = int(rec, "season")?;
    let game_type = text(rec, "game_type")?.to_owned();
    let gameday = date(rec, "gameday")?;
    // HH:MM US-Eastern; blank in 1999.
    let scheduled_start = match opt_text(rec, "gametime") {
        None => None,
        Some(t) => {
            let (h, m) = t
                .split_once(':')
                .and_then(|(h, m)| Some((h.parse::<i64>().ok()?, m.get(..2)?.parse::<i64>().ok()?)))
                .filter(|(h, m)| (0..24).contains(h) && (0..60).contains(m))
                .ok_or_else(|| format!("column `gametime`: `{t}` is not HH:MM"))?;
            Some(eastern_day_start(gameday) + Duration::minutes(h * 60 + m))
        }
    };
    let (home_score, away_score) = scores(rec, "home_score", "away_score")?;
    let neutral = match opt_text(rec, "location") {
        Some("Neutral") => Some(true),
        Some("Home") => Some(false),
        None => None,
        Some(other) => return Err(format!("column `location`: `{other}` is not Home/Neutral")),
    };
    let home_code = text(rec, "home_team")?;
    let away_code = text(rec, "away_team")?;
    let provider = GameSource::Nflverse.alias_provider();
    let game = HistoricalGame {
        league: cx.league.to_owned(),
        source: GameSource::Nflverse,
        source_game_id: game_id,
        season,
        playoff: !matches!(game_type.as_str(), "REG" | "PRE"),
        season_type: Some(game_type),
        week: opt_int(rec, "week")?,
        game_date: gameday,
        game_number: 1,
        scheduled_start,
        neutral,
        home: cx.aliases.team(provider, home_code, gameday),
        away: cx.aliases.team(provider, away_code, gameday),
        home_score,
        away_score,
        espn_event_id: opt_text(rec, "espn").map(str::to_owned),
        raw: rec.raw(),
    };
    Ok(Parsed {
        odds: lines(rec)?,
        game,
        elo: Vec::new(),
        perspective: None,
    })
}

fn lines(rec: &Record<'_>) -> RowResult<Vec<OddsLine>> {
    let line = |market, side, line, price| OddsLine {
        provider: PROVIDER.to_owned(),
        market,
        side,
        phase: OddsPhase::Close,
        line,
        price,
        flag: None,
        raw: None,
    };
    let home_ml = opt_decimal(rec, "home_moneyline")?;
    let away_ml = opt_decimal(rec, "away_moneyline")?;
    let mut out = Vec::new();
    if home_ml.is_some() || away_ml.is_some() {
        out.push(line(OddsMarket::Moneyline, OddsSide::Home, None, home_ml));
        out.push(line(OddsMarket::Moneyline, OddsSide::Away, None, away_ml));
    }
    if let Some(spread) = opt_decimal(rec, "spread_line")? {
        let home = SpreadConvention::PositiveHomeFavoured.home_line(spread);
        let flag = spread_contradiction(home, home_ml, away_ml);
        let mut h = line(
            OddsMarket::Spread,
            OddsSide::Home,
            Some(home),
            opt_decimal(rec, "home_spread_odds")?,
        );
        let mut a = line(
            OddsMarket::Spread,
            OddsSide::Away,
            Some(SpreadConvention::HomeLine.home_line(-home)),
            opt_decimal(rec, "away_spread_odds")?,
        );
        h.flag.clone_from(&flag);
        a.flag = flag;
        out.push(h);
        out.push(a);
    }
    if let Some(total) = opt_decimal(rec, "total_line")? {
        out.push(line(
            OddsMarket::Total,
            OddsSide::Over,
            Some(total),
            opt_decimal(rec, "over_odds")?,
        ));
        out.push(line(
            OddsMarket::Total,
            OddsSide::Under,
            Some(total),
            opt_decimal(rec, "under_odds")?,
        ));
    }
    Ok(out)
}
