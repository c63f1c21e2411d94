use std::collections::HashSet;
use std::sync::Mutex;

use anyhow::Context;
use chrono::{Days, Utc};
use precog::db::games;
use precog::db::rejects::{self, NewRejected};
use precog::domain::{eastern_date, eastern_day_start, EspnEventId, GameState};
use precog::espn::{EspnClient, Scoreboard};
use precog::runner::Run;
use serde::Serialize;
use sqlx::PgPool;

use crate::event::CollectEvent;

/// Totals for one pass (and, added up, for an invocation).
#[derive(Debug, Default, Clone, Serialize)]
pub struct PassStats {
    pub scoreboards: u64,
    pub scoreboard_failures: u64,
    pub summaries: u64,
    pub games_seen: u64,
    pub games_written: u64,
    pub states_written: u64,
    pub rejected: u64,
    /// Games in state `in` (halftime and breaks included) in this pass.
    #[serde(skip)]
    pub live_games: u64,
}

impl PassStats {
    pub fn add(&mut self, other: &PassStats) {
        self.scoreboards += other.scoreboards;
        self.scoreboard_failures += other.scoreboard_failures;
        self.summaries += other.summaries;
        self.games_seen += other.games_seen;
        self.games_written += other.games_written;
        self.states_written += other.states_written;
        self.rejected += other.rejected;
    }
}

pub(crate) struct Collector<'a> {
    pub pool: &'a PgPool,
    pub espn: &'a EspnClient,
    pub event: &'a CollectEvent,
    pub run: &'a Run,
    pub unknown_statuses: &'a Mutex<HashSet<String>>,
}

impl Collector<'_> {
    /// One scoreboard per league (two while a game filed under yesterday's ET day is still live).
    /// A league whose scoreboard cannot be fetched is logged and skipped; the pass fails only
    /// when no scoreboard could be fetched at all.
    pub async fn pass(&self) -> anyhow::Result<PassStats> {
        let mut stats = PassStats::default();
        let today = self
            .event
            .date()
            .unwrap_or_else(|| eastern_date(Utc::now()));
        let mut last_error = None;
        for league in self.event.leagues() {
            let mut days = vec![today];
            if self.event.date.is_none() {
                let mut conn = self.pool.acquire().await?;
                let earlier = games::live_before(&mut conn, &league, eastern_day_start(today))
                    .await
                    .context("looking for late games still live")?;
                if let (true, Some(yesterday)) = (earlier, today.checked_sub_days(Days::new(1))) {
                    days.insert(0, yesterday);
                }
            }
            let mut seen = HashSet::new();
            for day in days {
                match self.espn.scoreboard(&league, day).await {
                    Ok(board) => {
                        stats.scoreboards += 1;
                        self.store(board, &mut seen, &mut stats).await?;
                    }
                    Err(error) => {
                        stats.scoreboard_failures += 1;
                        tracing::error!(%league, %day, error = %error, "scoreboard failed; league skipped this pass");
                        last_error = Some(error);
                    }
                }
            }
        }
        if stats.scoreboards == 0 {
            if let Some(error) = last_error {
                return Err(anyhow::Error::new(error).context("no scoreboard could be fetched"));
            }
        }
        Ok(stats)
    }

    async fn store(
        &self,
        board: Scoreboard,
        seen: &mut HashSet<EspnEventId>,
        stats: &mut PassStats,
    ) -> anyhow::Result<()> {
        let Scoreboard {
            league,
            parsed,
            observed_at,
            ..
        } = board;
        let mut items = parsed.games;
        // A game on both yesterday's and today's slate is stored once per pass.
        items.retain(|(game, _)| seen.insert(game.espn_event_id.clone()));
        for (_, state) in &mut items {
            self.note_unknown_status(&league, state);
            if self.event.summary_win_probability
                && state.status.is_live()
                && state.win_probability.is_none()
            {
                stats.summaries += 1;
                match self
                    .espn
                    .summary_win_probability(&league, state.espn_event_id.as_str())
                    .await
                {
                    Ok(wp) => state.win_probability = wp,
                    Err(error) => {
                        tracing::warn!(%league, game = %state.espn_event_id, error = %error, "summary failed; state stored without it")
                    }
                }
            }
        }
        let rejected: Vec<NewRejected> = parsed
            .rejected
            .into_iter()
            .map(|r| {
                tracing::warn!(%league, game = ?r.espn_event_id, reason = %r.reason, "competition kept aside");
                NewRejected {
                    source: "espn.competition",
                    natural_key: r.espn_event_id,
                    reason: r.reason,
                    raw: r.raw,
                }
            })
            .collect();

        let mut tx = self.pool.begin().await?;
        let stored = games::store(&mut tx, observed_at, &items)
            .await
            .with_context(|| format!("storing {league} games"))?;
        rejects::upsert(&mut tx, self.run.id, &rejected)
            .await
            .with_context(|| format!("keeping {league} competitions aside"))?;
        tx.commit().await?;

        self.run.add_written(stored.games + stored.states);
        self.run.add_rejected(rejected.len() as u64);
        stats.games_seen += items.len() as u64;
        stats.games_written += stored.games;
        stats.states_written += stored.states;
        stats.rejected += rejected.len() as u64;
        stats.live_games += items.iter().filter(|(_, s)| s.status.is_live()).count() as u64;
        Ok(())
    }

    fn note_unknown_status(&self, league: &str, state: &GameState) {
        if state.status.is_known() {
            return;
        }
        let name = state.status.name.clone().unwrap_or_default();
        let first_time = self
            .unknown_statuses
            .lock()
            .map(|mut seen| seen.insert(name.clone()))
            .unwrap_or(true);
        if first_time {
            tracing::warn!(league, game = %state.espn_event_id, status = %name, state = ?state.status.state, "unknown ESPN status name; stored as given");
        }
    }
}
