use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use anyhow::Context;
use chrono::{DateTime, Days, Utc};
use precog::db::games;
use precog::db::rejects::{self, NewRejected};
use precog::domain::{eastern_date, eastern_day_start, EspnEventId, Game, GameState};
use precog::espn::{EspnClient, Scoreboard};
use precog::runner::Run;
use serde::Serialize;
use sqlx::PgPool;
use tokio::time::Instant;

use crate::event::CollectEvent;
use crate::summaries;

/// Totals for one pass (and, added up, for an invocation).
#[derive(Debug, Default, Clone, Serialize)]
pub struct PassStats {
    pub scoreboards: u64,
    pub scoreboard_failures: u64,
    /// Game summaries requested (for win probability), failed, and due but left for a later
    /// pass because the pass's request budget was spent.
    pub summaries: u64,
    pub summary_failures: u64,
    pub summaries_deferred: u64,
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
        self.summary_failures += other.summary_failures;
        self.summaries_deferred += other.summaries_deferred;
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
    pub summary_memory: &'a Mutex<summaries::Memory>,
}

impl Collector<'_> {
    /// One scoreboard per league (two while a game filed under yesterday's ET day is still live),
    /// then the summaries due within the pass's request budget, then each league's games stored.
    /// A league whose scoreboard cannot be fetched is logged and skipped; the pass fails only
    /// when no scoreboard could be fetched at all. A summary that fails costs only that game's
    /// fresh probability: its state is stored all the same.
    pub async fn pass(&self) -> anyhow::Result<PassStats> {
        let mut stats = PassStats::default();
        let today = self
            .event
            .date()
            .unwrap_or_else(|| eastern_date(Utc::now()));
        let mut last_error = None;
        let mut boards = Vec::new();
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
                    Ok(mut board) => {
                        stats.scoreboards += 1;
                        // A game on both yesterday's and today's slate is stored once per pass.
                        board
                            .parsed
                            .games
                            .retain(|(game, _)| seen.insert(game.espn_event_id.clone()));
                        boards.push(board);
                    }
                    Err(error) => {
                        stats.scoreboard_failures += 1;
                        tracing::error!(%league, %day, error = %precog::failure::Chain(&error), "scoreboard failed; league skipped this pass");
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
        let stamps = self.summaries(&mut boards, &mut stats).await?;
        for board in boards {
            self.store(board, &stamps, &mut stats).await?;
        }
        Ok(stats)
    }

    /// Reads the summaries due this pass, within what the scoreboards left of the budget, and
    /// fills in every live summary-league game's probability: the one just read, or the one last
    /// read. Returns, per game read now, when its summary arrived: the state is stamped then, so
    /// nothing in a row postdates its `observed_at`.
    async fn summaries(
        &self,
        boards: &mut [Scoreboard],
        stats: &mut PassStats,
    ) -> anyhow::Result<HashMap<EspnEventId, DateTime<Utc>>> {
        let mut stamps = HashMap::new();
        let interval = self.event.live_interval();
        let mut candidates = Vec::new();
        for board in boards.iter() {
            let Some(cadence) = self.event.summary_cadence(&board.league) else {
                continue;
            };
            for (_, state) in &board.parsed.games {
                if state.status.is_live() && state.win_probability.is_none() {
                    candidates.push(summaries::Candidate {
                        espn_event_id: state.espn_event_id.clone(),
                        cadence,
                    });
                }
            }
        }
        let wanted: HashSet<EspnEventId> =
            candidates.iter().map(|c| c.espn_event_id.clone()).collect();
        // Games on this pass's scoreboards that no longer need a summary (finished, or now on
        // the scoreboard) are forgotten; games of leagues this invocation did not read are kept
        // for the invocations that do (a warm process serves both).
        let on_boards: HashSet<&EspnEventId> = boards
            .iter()
            .flat_map(|b| b.parsed.games.iter().map(|(_, s)| &s.espn_event_id))
            .collect();
        let unknown: Vec<EspnEventId> = {
            let mut memory = self.lock_memory();
            memory.retain(|id| wanted.contains(id) || !on_boards.contains(id));
            wanted
                .iter()
                .filter(|id| memory.carried(id).is_none())
                .cloned()
                .collect()
        };
        if candidates.is_empty() {
            return Ok(stamps);
        }
        let stored = summaries::stored(self.pool, &unknown)
            .await
            .context("reading the last stored summary probabilities")?;
        let budget = summaries::budget(self.espn.requests_per_second(), interval);
        let spent = usize::try_from(stats.scoreboards + stats.scoreboard_failures).unwrap_or(0);
        let allowance = budget.saturating_sub(spent);
        // Reads are timed by the pass that planned them, not by when each answer came back, so
        // a game read late in one pass is due again in the pass one cadence later.
        let now = Instant::now();
        let mut chosen = {
            let mut memory = self.lock_memory();
            memory.seed(stored);
            memory.choose(&candidates, now, interval, usize::MAX)
        };
        // Every due game, most overdue first: those past the allowance wait a pass.
        let due = chosen.len();
        chosen.truncate(allowance);
        stats.summaries_deferred += (due - chosen.len()) as u64;
        let leagues: HashMap<&EspnEventId, &str> = boards
            .iter()
            .flat_map(|b| {
                b.parsed
                    .games
                    .iter()
                    .map(move |(_, s)| (&s.espn_event_id, b.league.as_str()))
            })
            .collect();
        let mut read = HashMap::new();
        for id in &chosen {
            let Some(league) = leagues.get(id) else {
                continue;
            };
            stats.summaries += 1;
            match self.espn.summary_win_probability(league, id.as_str()).await {
                Ok(probability) => {
                    stamps.insert(id.clone(), Utc::now());
                    self.lock_memory().record(id, now, probability.clone());
                    read.insert(id.clone(), probability);
                }
                Err(error) => {
                    // ESPN throttles with 403s: a failure after the retries means back off, so
                    // the rest of this pass's summaries wait for the next pass.
                    stats.summary_failures += 1;
                    tracing::warn!(%league, game = %id, error = %precog::failure::Chain(&error), "summary failed; the game's state is stored with its last probability and the pass's other summaries wait");
                    break;
                }
            }
        }
        let memory = self.lock_memory();
        for board in boards.iter_mut() {
            for (_, state) in &mut board.parsed.games {
                if !wanted.contains(&state.espn_event_id) {
                    continue;
                }
                state.win_probability = match read.get(&state.espn_event_id) {
                    Some(probability) => probability.clone(),
                    None => memory.carried(&state.espn_event_id).flatten(),
                };
            }
        }
        Ok(stamps)
    }

    fn lock_memory(&self) -> std::sync::MutexGuard<'_, summaries::Memory> {
        // The memory is only a cache of what was read: a poisoned lock still holds good data.
        self.summary_memory
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn store(
        &self,
        board: Scoreboard,
        stamps: &HashMap<EspnEventId, DateTime<Utc>>,
        stats: &mut PassStats,
    ) -> anyhow::Result<()> {
        let Scoreboard {
            league,
            parsed,
            observed_at,
            ..
        } = board;
        let items = parsed.games;
        for (_, state) in &items {
            self.note_unknown_status(&league, state);
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
        // Games whose summary was read this pass are stamped when it arrived; the rest when the
        // scoreboard did.
        let mut groups: BTreeMap<DateTime<Utc>, Vec<(Game, GameState)>> = BTreeMap::new();
        let live_games = items.iter().filter(|(_, s)| s.status.is_live()).count() as u64;
        let seen_games = items.len() as u64;
        for item in items {
            let at = stamps
                .get(&item.1.espn_event_id)
                .copied()
                .unwrap_or(observed_at);
            groups.entry(at).or_default().push(item);
        }

        let mut tx = self.pool.begin().await?;
        let mut stored = games::Stored::default();
        for (at, items) in &groups {
            let done = games::store(&mut tx, *at, items)
                .await
                .with_context(|| format!("storing {league} games"))?;
            stored.games += done.games;
            stored.states += done.states;
        }
        rejects::upsert(&mut tx, self.run.id, &rejected)
            .await
            .with_context(|| format!("keeping {league} competitions aside"))?;
        tx.commit().await?;

        self.run.add_written(stored.games + stored.states);
        self.run.add_rejected(rejected.len() as u64);
        stats.games_seen += seen_games;
        stats.games_written += stored.games;
        stats.states_written += stored.states;
        stats.rejected += rejected.len() as u64;
        stats.live_games += live_games;
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
