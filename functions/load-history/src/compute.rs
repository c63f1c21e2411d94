//! `{"compute_elo": …}`: Elo from `historical_games` for seasons the published files do not
//! cover (every league after 2023), stored with source `computed` and its parameters. Teams
//! start from their last rating before the first season (538's where it exists, else an
//! earlier computation), or the parameters' `initial`.

use anyhow::Context as _;
use precog::db::sports_history::{self as db, EloSource};
use precog::domain::sports_history::elo::{EloEngine, EloGame, EloParams};
use precog::domain::sports_history::{EloRow, TeamRef};
use precog::runner::Run;
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgPool;

use crate::load::BATCH;

#[derive(Debug, Clone, Serialize)]
pub struct ComputeSummary {
    pub league: String,
    pub seasons: Vec<i32>,
    pub params: EloParams,
    /// Teams that started from an earlier rating rather than `initial`.
    pub teams_seeded: u64,
    pub games_rated: u64,
    /// Games not yet played: rated before, nothing after.
    pub games_unplayed: u64,
    /// Rows inserted or changed (two per game).
    pub elo_written: u64,
    /// Mean absolute difference of pre-game ratings from 538's, where both exist.
    pub mae_vs_published: Option<Decimal>,
    pub compared_with_published: i64,
}

pub async fn run(
    pool: &PgPool,
    run: &Run,
    league: &str,
    seasons: &[i32],
    params: EloParams,
) -> anyhow::Result<ComputeSummary> {
    let mut engine = EloEngine::new(params);
    let mut teams_seeded = 0;
    if let Some(first) = seasons.first() {
        for (team, elo, season) in db::ratings_before(pool, league, *first)
            .await
            .context("reading ratings before the first season")?
        {
            engine.seed(&team, to_f64(elo), season);
            teams_seeded += 1;
        }
    }
    let games = db::elo_inputs(pool, league, seasons)
        .await
        .context("reading the seasons' games")?;
    let (rows, unplayed) = rate(&mut engine, league, &games);
    let params_json = serde_json::to_value(params)?;
    let mut written = 0;
    for batch in rows.chunks(BATCH * 2) {
        let mut tx = pool.begin().await?;
        let n = db::upsert_elo(&mut tx, EloSource::Computed, Some(&params_json), batch)
            .await
            .context("upserting computed Elo")?;
        tx.commit().await?;
        run.add_written(n);
        written += n;
    }
    let (mae, compared) = db::computed_vs_published(pool, league, seasons)
        .await
        .context("comparing with published ratings")?;
    Ok(ComputeSummary {
        league: league.to_owned(),
        seasons: seasons.to_vec(),
        params,
        teams_seeded,
        games_rated: games.len() as u64,
        games_unplayed: unplayed,
        elo_written: written,
        mae_vs_published: mae.map(|d| d.round_dp(9)),
        compared_with_published: compared,
    })
}

/// Rates `games` in order; returns two rows per game and how many were unplayed.
pub fn rate(
    engine: &mut EloEngine,
    league: &str,
    games: &[db::EloInput],
) -> (Vec<(EloRow, Option<i64>)>, u64) {
    let mut rows = Vec::with_capacity(games.len() * 2);
    let mut unplayed = 0;
    for g in games {
        let home = TeamRef {
            code: g.home_code.clone(),
            espn_team_id: g.home_id.clone(),
        };
        let away = TeamRef {
            code: g.away_code.clone(),
            espn_team_id: g.away_id.clone(),
        };
        let neutral = g.neutral.unwrap_or(false);
        let score = g.home_score.zip(g.away_score);
        unplayed += u64::from(score.is_none());
        let out = engine.play(EloGame {
            season: g.season,
            home: home.key(),
            away: away.key(),
            neutral,
            score,
        });
        let row = |team: TeamRef, opponent: &TeamRef, at_home, pre, post: Option<f64>, p| EloRow {
            league: league.to_owned(),
            season: g.season,
            game_date: g.game_date,
            game_number: g.game_number,
            opponent_key: opponent.key().to_owned(),
            team,
            is_home: (!neutral).then_some(at_home),
            elo_pre: to_decimal(pre),
            elo_post: post.map(to_decimal),
            win_probability: Some(to_decimal(p)),
        };
        rows.push((
            row(
                home.clone(),
                &away,
                true,
                out.home_pre,
                out.home_post,
                out.home_probability,
            ),
            Some(g.id),
        ));
        rows.push((
            row(
                away,
                &home,
                false,
                out.away_pre,
                out.away_post,
                1.0 - out.home_probability,
            ),
            Some(g.id),
        ));
    }
    (rows, unplayed)
}

/// Ratings are stored to six places.
fn to_decimal(x: f64) -> Decimal {
    Decimal::try_from(x).unwrap_or_default().round_dp(6)
}

fn to_f64(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(0.0)
}
