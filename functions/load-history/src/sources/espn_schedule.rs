//! sportsdataverse's ESPN schedule files (`nba_schedule_2024.parquet`, …): ESPN's own ids for
//! the game (`game_id`, the ESPN event id) and the teams (`home_id`, which is the franchise id
//! itself). Scores of a game not completed are not results (ESPN reports 0-0 before tip-off),
//! so they are stored as null until `status_type_completed` is true.

use precog::domain::eastern_date;
use precog::domain::sports_history::{GameSource, HistoricalGame, TeamRef};

use super::{Context, Parsed};
use crate::fields::{int, opt_bool, opt_instant, opt_int, scores, text, RowResult};
use crate::input::Record;

pub const REQUIRED: &[&str] = &[
    "game_id",
    "season",
    "season_type",
    "date",
    "neutral_site",
    "status_type_completed",
    "home_id",
    "home_abbreviation",
    "home_score",
    "away_id",
    "away_abbreviation",
    "away_score",
];

pub fn parse(rec: &Record<'_>, cx: &Context<'_>) -> RowResult<Parsed> {
    let start = opt_instant(rec, "date")?.ok_or("column `date` is blank")?;
    let game_date = eastern_date(start);
    let completed = opt_bool(rec, "status_type_completed")?.unwrap_or(false);
    let (home_score, away_score) = if completed {
        let (h, a) = scores(rec, "home_score", "away_score")?;
        if h.is_none() {
            return Err("a completed game without scores".to_owned());
        }
        (h, a)
    } else {
        (None, None)
    };
    let season_type = int(rec, "season_type")?;
    let team = |id: &str, abbreviation: &str| -> RowResult<TeamRef> {
        Ok(TeamRef {
            code: text(rec, abbreviation)?.to_owned(),
            espn_team_id: Some(text(rec, id)?.to_owned()),
        })
    };
    let game_id = text(rec, "game_id")?.to_owned();
    Ok(Parsed {
        game: HistoricalGame {
            league: cx.league.to_owned(),
            source: GameSource::EspnSchedule,
            espn_event_id: Some(game_id.clone()),
            source_game_id: game_id,
            season: int(rec, "season")?,
            season_type: Some(season_type.to_string()),
            week: opt_int(rec, "week")?,
            // ESPN: 1 pre, 2 regular, 3 post (5 play-in).
            playoff: matches!(season_type, 3 | 5),
            game_date,
            game_number: 1,
            scheduled_start: Some(start),
            neutral: opt_bool(rec, "neutral_site")?,
            home: team("home_id", "home_abbreviation")?,
            away: team("away_id", "away_abbreviation")?,
            home_score,
            away_score,
            raw: rec.raw(),
        },
        odds: Vec::new(),
        elo: Vec::new(),
        perspective: None,
    })
}
