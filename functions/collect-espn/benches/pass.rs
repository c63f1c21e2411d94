//! One collect-espn pass over all seven leagues served by a loopback fake ESPN, into a throwaway
//! local PostgreSQL (fsync off), through the release binary exactly as a schedule runs it. The
//! slate is a heavy winter Saturday (BENCH_GAMES_SCALE multiplies it): a third of the games live
//! with a situation and win probability, a third final, a third scheduled. Three passes: all new,
//! unchanged (nothing may be written), every live game moved on.
//!
//!     cargo bench -p collect-espn --bench pass
//!
//! Prints the pass's time, rows written and the collector's peak RSS.

use std::process::Command;

use serde_json::{json, Value};

use precog::testing::fake_espn::{event, final_, live, scheduled, side, situation, FakeEspn};

/// Games per league on the slate: NCAAB D-I and FBS carry most of a winter Saturday.
const SLATE: &[(&str, usize)] = &[
    ("football/nfl", 14),
    ("football/college-football", 60),
    ("basketball/nba", 12),
    ("basketball/wnba", 6),
    ("basketball/mens-college-basketball", 150),
    ("hockey/nhl", 14),
    ("baseball/mlb", 15),
];

fn slate(league_index: usize, games: usize, generation: i32) -> Vec<Value> {
    (0..games)
        .map(|i| {
            let id = format!("40{league_index}{i:06}");
            let (home, away) = (format!("{}", 2 * i + 1), format!("{}", 2 * i + 2));
            let score = format!("{}", 10 + generation + (i % 7) as i32);
            match i % 3 {
                0 => event(
                    &id,
                    live(json!(600 - 30 * generation), "10:00", 3),
                    side(&home, "HOM", &score),
                    side(&away, "AWY", "7"),
                    Some(situation(
                        &away,
                        1 + generation % 4,
                        10,
                        40 + generation,
                        0.45,
                    )),
                ),
                1 => event(
                    &id,
                    final_(i % 2 == 0),
                    side(&home, "HOM", "24"),
                    side(&away, "AWY", "21"),
                    None,
                ),
                _ => event(
                    &id,
                    scheduled(),
                    side(&home, "HOM", "0"),
                    side(&away, "AWY", "0"),
                    None,
                ),
            }
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let scale: usize = std::env::var("BENCH_GAMES_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let espn = FakeEspn::start().await;
    let db = precog::testing::test_db().await;
    let total: usize = SLATE.iter().map(|(_, n)| n * scale).sum();

    println!(
        "collect-espn pass over 7 leagues, {total} games, loopback fake ESPN, local PostgreSQL"
    );
    println!(
        "{:<26} {:>9} {:>13} {:>8} {:>13}",
        "pass", "time (s)", "rows written", "passes", "peak RSS (MB)"
    );
    for (label, generation) in [
        ("1: all new", 0),
        ("2: unchanged", 0),
        ("3: live games moved", 1),
    ] {
        for (index, (league, games)) in SLATE.iter().enumerate() {
            espn.set_events(league, slate(index, games * scale, generation));
        }
        let url = db.url_string();
        let base = espn.base_url.clone();
        // The next live pass would be due after the budget: exactly one pass, games live or not.
        let mut command = Command::new(env!("CARGO_BIN_EXE_collect-espn"));
        command
            .args([
                "--event",
                r#"{"date":"20261121","max_seconds":60,"live_interval_seconds":300}"#,
            ])
            .env("DATABASE_URL", url)
            .env("PRECOG_ENV", "production")
            .env("ESPN_API_BASE", base)
            .env("ESPN_REQUESTS_PER_SECOND", "100")
            .env("RUST_LOG", "warn")
            .env_remove("AWS_LAMBDA_RUNTIME_API")
            .env_remove("ESPN_USER_AGENT");
        let run = precog::testing::run_once_ok(command).await;
        let (elapsed, rows, rss_mb) = (run.seconds, run.rows_written(), run.peak_rss_mb());
        let passes = run.summary["details"]["passes"].as_u64().unwrap_or(0);
        println!("{label:<26} {elapsed:>9.2} {rows:>13} {passes:>8} {rss_mb:>13.1}");
    }
}
