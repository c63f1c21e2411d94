//! Passes repeated until a deadline: a collector makes one pass, and makes another `interval`
//! after the last one started only while there is reason to (an interval was asked for, a game
//! is live) and the next pass can finish before the invocation's deadline.

use std::time::Duration;

use tokio::time::Instant;

/// Decides when the next pass starts. Use as
/// `while passes.next().await { …one pass…; if more_wanted { passes.repeat_after(interval) } }`.
#[derive(Debug)]
pub struct Passes {
    deadline: Instant,
    /// When the pass now running (or just finished) started; `None` before the first.
    started: Option<Instant>,
    /// Asked for by the pass just finished: start another this long after it started.
    repeat_after: Option<Duration>,
}

impl Passes {
    pub fn new(deadline: Instant) -> Self {
        Self {
            deadline,
            started: None,
            repeat_after: None,
        }
    }

    /// Asks for another pass `interval` after the current one started.
    pub fn repeat_after(&mut self, interval: Duration) {
        self.repeat_after = Some(interval);
    }

    /// Whether to make a pass, waiting until it is due. The first pass is always made. A later
    /// one only when [`Passes::repeat_after`] asked for it and it can finish in the time left,
    /// judging its length by the pass just made.
    pub async fn next(&mut self) -> bool {
        if let Some(started) = self.started {
            let Some(interval) = self.repeat_after.take() else {
                return false;
            };
            let next = started + interval;
            if next + started.elapsed() > self.deadline {
                return false;
            }
            tokio::time::sleep_until(next).await;
        }
        self.started = Some(Instant::now());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_pass_when_no_repeat_is_asked_for() {
        let mut passes = Passes::new(Instant::now() + Duration::from_secs(60));
        assert!(passes.next().await);
        assert!(!passes.next().await);
    }

    #[tokio::test(start_paused = true)]
    async fn passes_start_an_interval_apart_until_the_deadline() {
        let start = Instant::now();
        let mut passes = Passes::new(start + Duration::from_secs(35));
        let mut starts = Vec::new();
        while passes.next().await {
            starts.push(start.elapsed().as_secs());
            // Each pass takes 4 s: the one that would start at 30 s ends at 34 s, within 35 s.
            tokio::time::sleep(Duration::from_secs(4)).await;
            passes.repeat_after(Duration::from_secs(10));
        }
        assert_eq!(starts, [0, 10, 20, 30]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pass_that_would_end_past_the_deadline_is_not_started() {
        let start = Instant::now();
        let mut passes = Passes::new(start + Duration::from_secs(25));
        let mut count = 0;
        while passes.next().await {
            count += 1;
            tokio::time::sleep(Duration::from_secs(8)).await;
            passes.repeat_after(Duration::from_secs(10));
        }
        // Starts at 0 and 10; one at 20 would end at 28, past 25.
        assert_eq!(count, 2);
    }
}
