//! Win probability from game summaries for the leagues whose scoreboard has none, read by
//! default at each league's cadence within ESPN's request budget.

use std::collections::HashMap;
use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::json;
use sqlx::Row;

use crate::helpers::{spawn_app, spawn_app_with_rate};
use precog::testing::fake_espn::{event, live, side, summary_body, Seen};

const NBA: &str = "basketball/nba";
const NHL: &str = "hockey/nhl";

fn live_games(prefix: &str, n: usize) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| {
            event(
                &format!("{prefix}{i:02}"),
                live(json!(301.4), "5:01", 3),
                side("13", "LAL", "80"),
                side("2", "BOS", "78"),
                None,
            )
        })
        .collect()
}

fn summaries_of(requests: &[Seen]) -> HashMap<String, Vec<std::time::Instant>> {
    let mut by_game: HashMap<String, Vec<std::time::Instant>> = HashMap::new();
    for r in requests.iter().filter(|r| r.path.ends_with("/summary")) {
        let game = r.query.get("event").cloned().unwrap_or_default();
        by_game.entry(game).or_default().push(r.at);
    }
    by_game
}

/// The busy night (15 NBA + 15 NHL games live) for a 2-minute run, at a tenth of the
/// time so the test takes 12 s: a live interval of 1 s stands for 10 s, cadences of 6 s (NBA)
/// and 12 s (NHL) for the defaults of 60 s and 120 s, and 15 requests/s for the default 1.5
/// (every request count per pass and per game is the same as at full scale). The token bucket
/// alone would keep the request rate under 15/s whatever the collector asked for, by stretching
/// its passes; so besides the rate, the test checks that no pass spent more than its budget and
/// that the passes kept their interval.
#[tokio::test]
async fn live_nba_summaries_are_read_at_the_configured_cadence_within_the_budget() {
    let app = spawn_app_with_rate(15.0).await;
    app.espn.set_events(NBA, live_games("4018000", 15));
    app.espn.set_events(NHL, live_games("4019000", 15));
    for i in 0..15 {
        let id = format!("4018000{i:02}");
        app.espn.set_summary(&id, summary_body(&id, &[0.52, 0.61]));
        let id = format!("4019000{i:02}");
        app.espn.set_summary(&id, summary_body(&id, &[0.45]));
    }
    let started = std::time::Instant::now();
    let run = app
        .run_ok(
            json!({"leagues": [NBA, NHL], "live_interval_seconds": 1, "max_seconds": 12,
                       "summary_seconds": {NBA: 6, NHL: 12}}),
        )
        .await;
    let elapsed = started.elapsed();
    let requests = app.espn.requests();

    // The passes kept their 1 s interval until the deadline (12 s less the runner's margin).
    let passes = run.details["passes"].as_u64().unwrap_or(0);
    assert!(passes >= 10, "passes slipped: {run:?}");

    // Every live NBA game: read on its first pass and again one cadence later, never sooner.
    let by_game = summaries_of(&requests);
    for i in 0..15 {
        let reads = &by_game[&format!("4018000{i:02}")];
        assert_eq!(reads.len(), 2, "NBA game {i}: {reads:?}");
        let gap = reads[1] - reads[0];
        assert!(
            gap >= Duration::from_millis(5500) && gap <= Duration::from_millis(8000),
            "NBA game {i} read {gap:?} apart, cadence 6 s"
        );
    }
    // NHL's cadence (12 s) is longer than the run: each game is read once.
    for i in 0..15 {
        assert_eq!(by_game[&format!("4019000{i:02}")].len(), 1, "NHL game {i}");
    }

    // The budget: at most 12 requests a pass (0.8 × 15/s × 1 s), and the whole run under 15/s.
    let mut per_pass: Vec<usize> = Vec::new();
    for r in &requests {
        if r.path == format!("{NBA}/scoreboard") {
            per_pass.push(0);
        }
        if let Some(last) = per_pass.last_mut() {
            *last += 1;
        }
    }
    assert!(per_pass.iter().all(|n| *n <= 12), "{per_pass:?}");
    assert!(
        requests.len() as f64 <= 15.0 * elapsed.as_secs_f64() + 1.0,
        "{} requests in {elapsed:?}",
        requests.len()
    );
    assert_eq!(run.details["summaries"], 45, "{run:?}");
    // Thirty due at once with room for ten a pass: the first three passes defer 20, then 10.
    assert_eq!(run.details["summaries_deferred"], 30, "{run:?}");

    // Each game's latest state carries its summary probability, marked as such.
    let rows = sqlx::query(
        "select g.league, s.home_win_probability, s.win_probability_source
           from games g join game_states s
             on s.espn_event_id = g.espn_event_id and s.observed_at = g.last_state_at",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("states");
    assert_eq!(rows.len(), 30);
    for row in rows {
        assert_eq!(
            row.get::<Option<String>, _>("win_probability_source")
                .as_deref(),
            Some("summary")
        );
        let expected = if row.get::<String, _>("league") == NBA {
            Decimal::new(61, 2)
        } else {
            Decimal::new(45, 2)
        };
        assert_eq!(
            row.get::<Option<Decimal>, _>("home_win_probability"),
            Some(expected)
        );
    }
}

#[tokio::test]
async fn a_summary_that_fails_leaves_the_state_stored_and_the_next_one_fills_it_in() {
    let app = spawn_app().await;
    app.espn.set_events(NBA, live_games("4018000", 1));
    // Not a summary ESPN would send: the series is not a list. The client gives up on it.
    app.espn
        .set_summary("401800000", json!({"winprobability": "unavailable"}));
    let event = json!({"leagues": [NBA], "date": "20261122", "max_seconds": 2,
                       "live_interval_seconds": 1});
    let run = app.run_ok(event.clone()).await;
    assert_eq!(run.details["summary_failures"], 1, "{run:?}");
    assert_eq!(run.details["states_written"], 1, "{run:?}");
    let wp: Option<Decimal> = sqlx::query_scalar("select home_win_probability from game_states")
        .fetch_one(&app.db.pool)
        .await
        .expect("state");
    assert_eq!(wp, None);

    // The next invocation (a new process would do the same) reads it again and stores it.
    app.espn
        .set_summary("401800000", summary_body("401800000", &[0.5, 0.7]));
    let run = app.run_ok(event).await;
    assert_eq!(run.details["summaries"], 1, "{run:?}");
    let wp: Option<Decimal> = sqlx::query_scalar(
        "select home_win_probability from game_states order by observed_at desc limit 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .expect("state");
    assert_eq!(wp, Some(Decimal::new(7, 1)));
}
