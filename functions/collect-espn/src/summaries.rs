//! Which live games' summaries a pass reads, within ESPN's request budget.
//!
//! For NBA, WNBA, NHL, MLB and college basketball, ESPN's live win probability is not on the
//! scoreboard but in each game's summary: one request per game. A pass may spend
//! [`budget`] requests (the token bucket's rate over the live interval, less a fifth kept for
//! retries and the pass's own database time); the scoreboards come first, the summaries get the
//! rest. A game's summary is due once its league's cadence has passed since it was last read;
//! when more are due than the pass can afford, those waiting longest (relative to their cadence)
//! go first and the others wait a pass, so a crowded night stretches every game's cadence a
//! little instead of starving some.
//!
//! Between reads a game's state carries the probability last read for it (as it was seen then:
//! nothing later is ever shown earlier), so a state row does not flip between a probability and
//! none every other pass. A process that has read none yet takes it from the game's last stored
//! state.

use std::collections::HashMap;
use std::time::Duration;

use precog::domain::{EspnEventId, WinProbability};
use sqlx::PgPool;
use tokio::time::Instant;

/// The share of the budget a pass plans to use; the rest absorbs retries (each attempt takes a
/// token) and the time a pass spends writing, so passes stay on their interval.
const PLANNED_SHARE: f64 = 0.8;

/// A read is due this much before its cadence has fully passed: passes start an interval apart
/// and a few milliseconds late or early, and a read that just missed its pass would otherwise
/// wait a whole interval more.
fn tolerance(interval: Duration) -> Duration {
    interval / 2
}

/// Requests one pass may make: [`PLANNED_SHARE`] of the rate over the live interval.
pub fn budget(requests_per_second: f64, interval: Duration) -> usize {
    let planned = requests_per_second * interval.as_secs_f64() * PLANNED_SHARE;
    // Saturating float-to-int conversion: a negative or NaN product is 0.
    planned.floor() as usize
}

/// One live game whose probability would come from its summary.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub espn_event_id: EspnEventId,
    pub cadence: Duration,
}

/// What this process last read for a game.
#[derive(Debug, Clone)]
struct Read {
    /// When its summary was last read by this process (`None`: carried from the database).
    at: Option<Instant>,
    probability: Option<WinProbability>,
}

/// The summaries read so far, for the process's life (a Lambda environment serves many
/// invocations; a Railway run is one).
#[derive(Debug, Default)]
pub struct Memory {
    reads: HashMap<EspnEventId, Read>,
}

impl Memory {
    /// The candidates to read now, at most `allowance`, most overdue first (never read first).
    pub fn choose(
        &self,
        candidates: &[Candidate],
        now: Instant,
        interval: Duration,
        allowance: usize,
    ) -> Vec<EspnEventId> {
        let slack = tolerance(interval);
        let mut due: Vec<(f64, &EspnEventId)> = candidates
            .iter()
            .filter_map(|c| {
                let last = self.reads.get(&c.espn_event_id).and_then(|r| r.at);
                let Some(last) = last else {
                    return Some((f64::INFINITY, &c.espn_event_id));
                };
                let waited = now.saturating_duration_since(last);
                (waited + slack >= c.cadence).then(|| {
                    (
                        waited.as_secs_f64() / c.cadence.as_secs_f64(),
                        &c.espn_event_id,
                    )
                })
            })
            .collect();
        // Most overdue first; ties (e.g. all never read) in the scoreboard's order.
        due.sort_by(|a, b| b.0.total_cmp(&a.0));
        due.into_iter()
            .take(allowance)
            .map(|(_, id)| id.clone())
            .collect()
    }

    pub fn record(&mut self, id: &EspnEventId, at: Instant, probability: Option<WinProbability>) {
        self.reads.insert(
            id.clone(),
            Read {
                at: Some(at),
                probability,
            },
        );
    }

    /// The probability last read for a game, if this process has one.
    pub fn carried(&self, id: &EspnEventId) -> Option<Option<WinProbability>> {
        self.reads.get(id).map(|r| r.probability.clone())
    }

    /// Seeds games this process never read with their last stored probability (not a read:
    /// they stay due).
    pub fn seed(&mut self, stored: HashMap<EspnEventId, WinProbability>) {
        for (id, probability) in stored {
            self.reads.entry(id).or_insert(Read {
                at: None,
                probability: Some(probability),
            });
        }
    }

    /// Forgets the games `keep` refuses (finished, or no longer needing a summary).
    pub fn retain(&mut self, keep: impl Fn(&EspnEventId) -> bool) {
        self.reads.retain(|id, _| keep(id));
    }
}

/// The summary probability of each game's latest stored state, for the games this process has
/// no read of yet (a new process would otherwise store a state without it, then with it again).
pub async fn stored(
    pool: &PgPool,
    games: &[EspnEventId],
) -> Result<HashMap<EspnEventId, WinProbability>, sqlx::Error> {
    if games.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<String> = games.iter().map(|g| g.as_str().to_owned()).collect();
    // language=PostgreSQL
    let rows = sqlx::query!(
        r#"select s.espn_event_id, s.home_win_probability, s.away_win_probability,
                  s.tie_probability
             from games g
             join game_states s
               on s.espn_event_id = g.espn_event_id and s.observed_at = g.last_state_at
            where g.espn_event_id = any($1) and s.win_probability_source = 'summary'"#,
        &ids,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let id = EspnEventId::new(r.espn_event_id).ok()?;
            Some((
                id,
                WinProbability {
                    home: r.home_win_probability,
                    away: r.away_win_probability,
                    tie: r.tie_probability,
                    source: "summary",
                },
            ))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn id(n: u32) -> EspnEventId {
        EspnEventId::new(format!("4018{n:05}")).expect("id")
    }

    fn candidates(n: u32, cadence: u64) -> Vec<Candidate> {
        (0..n)
            .map(|i| Candidate {
                espn_event_id: id(i),
                cadence: Duration::from_secs(cadence),
            })
            .collect()
    }

    #[test]
    fn the_default_budget_is_four_fifths_of_the_rate_over_the_interval() {
        assert_eq!(budget(1.5, Duration::from_secs(10)), 12);
        assert_eq!(budget(15.0, Duration::from_secs(1)), 12);
        assert_eq!(budget(0.1, Duration::from_secs(1)), 0);
    }

    /// Ten-second passes for four minutes: each game read once a minute at most, and exactly
    /// once a minute when the budget allows.
    #[tokio::test(start_paused = true)]
    async fn games_are_read_at_their_cadence_and_never_faster() {
        let interval = Duration::from_secs(10);
        let games = candidates(15, 60);
        let mut memory = Memory::default();
        let start = Instant::now();
        let mut reads: HashMap<EspnEventId, Vec<Duration>> = HashMap::new();
        for _ in 0..24 {
            let now = Instant::now();
            for game in memory.choose(&games, now, interval, 5) {
                reads.entry(game.clone()).or_default().push(now - start);
                memory.record(&game, now, None);
            }
            tokio::time::advance(interval).await;
        }
        for game in &games {
            let times = &reads[&game.espn_event_id];
            assert_eq!(times.len(), 4, "{times:?}");
            assert!(times
                .windows(2)
                .all(|w| w[1] - w[0] == Duration::from_secs(60)));
        }
    }

    /// Thirty games due at once with room for eight a pass: the most overdue go first, so
    /// every game is read within four passes, none twice before all were read once.
    #[tokio::test(start_paused = true)]
    async fn over_budget_the_longest_waiting_go_first() {
        let interval = Duration::from_secs(10);
        let games = candidates(30, 10);
        let mut memory = Memory::default();
        let mut read_once = std::collections::HashSet::new();
        for pass in 0..4 {
            let now = Instant::now();
            let chosen = memory.choose(&games, now, interval, 8);
            assert_eq!(chosen.len(), 8);
            for game in chosen {
                assert!(
                    read_once.insert(game.clone()) || read_once.len() == 30,
                    "pass {pass}: {game} read again before every game was read"
                );
                memory.record(&game, now, None);
            }
            tokio::time::advance(interval).await;
        }
        assert_eq!(read_once.len(), 30);
    }

    #[test]
    fn a_seeded_game_carries_its_stored_probability_and_is_still_due() {
        let mut memory = Memory::default();
        let wp = WinProbability {
            home: Some(Decimal::new(61, 2)),
            away: Some(Decimal::new(39, 2)),
            tie: Some(Decimal::ZERO),
            source: "summary",
        };
        memory.seed(HashMap::from([(id(1), wp.clone())]));
        assert_eq!(memory.carried(&id(1)), Some(Some(wp)));
        let due = memory.choose(
            &candidates(2, 60),
            Instant::now(),
            Duration::from_secs(10),
            10,
        );
        assert_eq!(due.len(), 2);
    }
}
