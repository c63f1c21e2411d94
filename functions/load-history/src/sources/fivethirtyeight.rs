//! FiveThirtyEight's `nfl_elo.csv`, `nba_elo.csv`, `nhl_elo.csv`, `mlb_elo.csv` (CC BY 4.0;
//! updates stopped in 2023). One row per game with `team1` the home team; or, in the
//! continuations, one row per team and game with `is_home` saying whether `team1` (the row's
//! team) is at home. Both layouts become one game (source `fivethirtyeight`) and two Elo rows
//! (source `fivethirtyeight`). The files have no game id: a game is its date, teams and number
//! that day (an MLB doubleheader's second game is 2, in file order).

use std::collections::{HashMap, HashSet};

use precog::domain::sports_history::{EloRow, GameSource, HistoricalGame, TeamRef};

use super::{Context, Parsed};
use crate::fields::{date, decimal, int, opt_bool, opt_decimal, opt_text, text, RowResult};
use crate::input::Record;

pub const REQUIRED: &[&str] = &[
    "date",
    "season",
    "neutral",
    "playoff",
    "team1",
    "team2",
    "elo1_pre",
    "elo2_pre",
    "elo_prob1",
    "elo_prob2",
    "elo1_post",
    "elo2_post",
    "score1",
    "score2",
];

/// `team1`'s and `team2`'s values of one row.
struct Side<'a> {
    code: &'a str,
    pre: &'static str,
    post: &'static str,
    prob: &'static str,
    score: &'static str,
}

const ONE: [&str; 4] = ["elo1_pre", "elo1_post", "elo_prob1", "score1"];
const TWO: [&str; 4] = ["elo2_pre", "elo2_post", "elo_prob2", "score2"];

fn side<'a>(code: &'a str, cols: [&'static str; 4]) -> Side<'a> {
    Side {
        code,
        pre: cols[0],
        post: cols[1],
        prob: cols[2],
        score: cols[3],
    }
}

pub fn parse(rec: &Record<'_>, cx: &Context<'_>) -> RowResult<Parsed> {
    let game_date = date(rec, "date")?;
    let season = int(rec, "season")?;
    let neutral = opt_bool(rec, "neutral")?.unwrap_or(false);
    // Blank in the regular season; a round letter (w, d, c, s) or `t`/`1` in the playoffs.
    let playoff = !matches!(opt_text(rec, "playoff"), None | Some("0" | "f" | "false"));
    let team1 = text(rec, "team1")?;
    let team2 = text(rec, "team2")?;
    let is_home = if rec.header.has("is_home") {
        Some(opt_bool(rec, "is_home")?.ok_or("column `is_home` is blank")?)
    } else {
        None
    };
    // Which of the row's teams is home. At a neutral site both per-team rows may say "not
    // home", so the pair is ordered by code there, which both rows agree on.
    let team1_home = match is_home {
        None => true,
        Some(_) if neutral => team1 <= team2,
        Some(h) => h,
    };
    let (home, away) = if team1_home {
        (side(team1, ONE), side(team2, TWO))
    } else {
        (side(team2, TWO), side(team1, ONE))
    };
    let provider = GameSource::Fivethirtyeight.alias_provider();
    let home_team = cx.aliases.team(provider, home.code, game_date);
    let away_team = cx.aliases.team(provider, away.code, game_date);
    let home_score = opt_decimal(rec, home.score)?;
    let away_score = opt_decimal(rec, away.score)?;
    let to_score = |d: Option<rust_decimal::Decimal>, col: &str| -> RowResult<Option<i32>> {
        d.map(|d| {
            d.trunc()
                .to_string()
                .parse::<i32>()
                .ok()
                .filter(|_| d.fract().is_zero())
                .ok_or_else(|| format!("column `{col}`: `{d}` is not a score"))
        })
        .transpose()
    };
    let (home_score, away_score) = match (
        to_score(home_score, home.score)?,
        to_score(away_score, away.score)?,
    ) {
        (Some(h), Some(a)) => (Some(h), Some(a)),
        (None, None) => (None, None),
        _ => return Err("only one of `score1` and `score2` is given".to_owned()),
    };
    let elo = |me: &Side<'_>, team, opponent: &TeamRef, at_home: bool| -> RowResult<EloRow> {
        Ok(EloRow {
            league: cx.league.to_owned(),
            season,
            game_date,
            game_number: 1,
            team,
            opponent_key: opponent.key().to_owned(),
            is_home: (!neutral).then_some(at_home),
            elo_pre: decimal(rec, me.pre)?,
            elo_post: opt_decimal(rec, me.post)?,
            win_probability: opt_decimal(rec, me.prob)?,
        })
    };
    let home_elo = elo(&home, home_team.clone(), &away_team, true)?;
    let away_elo = elo(&away, away_team.clone(), &home_team, false)?;
    Ok(Parsed {
        game: HistoricalGame {
            league: cx.league.to_owned(),
            source: GameSource::Fivethirtyeight,
            source_game_id: String::new(),
            season,
            season_type: None,
            week: None,
            playoff,
            game_date,
            game_number: 1,
            scheduled_start: None,
            neutral: Some(neutral),
            home: home_team,
            away: away_team,
            home_score,
            away_score,
            espn_event_id: None,
            raw: rec.raw(),
        },
        odds: Vec::new(),
        elo: vec![home_elo, away_elo],
        perspective: is_home.map(|_| team1.to_owned()),
    })
}

/// Numbers each day's games between the same two teams in file order, and keeps one row of
/// each game in the per-team layout (its two rows carry the same numbers).
pub fn assemble(parsed: Vec<Parsed>) -> Vec<Parsed> {
    let mut seen_per_perspective: HashMap<
        (chrono::NaiveDate, String, String, Option<String>),
        i16,
    > = HashMap::new();
    let mut kept: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for mut p in parsed {
        let key = (
            p.game.game_date,
            p.game.home.code.clone(),
            p.game.away.code.clone(),
            p.perspective.clone(),
        );
        let n = seen_per_perspective.entry(key).or_insert(0);
        *n += 1;
        let number = *n;
        let id = format!(
            "{}:{}:{}:{}",
            p.game.game_date, p.game.home.code, p.game.away.code, number
        );
        if !kept.insert(id.clone()) {
            continue;
        }
        p.game.game_number = number;
        p.game.source_game_id = id;
        for row in &mut p.elo {
            row.game_number = number;
        }
        out.push(p);
    }
    out
}
