//! load-history's figures (README "load-history"): rows per second loading a 7,000-row
//! nflverse-shaped `games.csv` (26 seasons × 272 games, every column the real file has) into a
//! fresh PostgreSQL, the same file again (nothing to write), and Elo over 20 of those seasons,
//! both end to end (read games, rate, upsert 2 rows a game) and the rating alone in memory.
//!
//! `cargo bench -p load-history --bench load` (release). Uses the test harness's throwaway
//! PostgreSQL (or TEST_DATABASE_URL).

use std::fmt::Write as _;
use std::time::Instant;

use load_history::LoadHistory;
use precog::domain::sports_history::elo::{EloEngine, EloGame, EloParams};
use precog::runner::{invoke, Report, Trigger};
use serde_json::json;

const HEADER: &str = "game_id,season,game_type,week,gameday,weekday,gametime,away_team,away_score,home_team,home_score,location,result,total,overtime,old_game_id,gsis,nfl_detail_id,pfr,pff,espn,ftn,away_rest,home_rest,away_moneyline,home_moneyline,spread_line,away_spread_odds,home_spread_odds,total_line,under_odds,over_odds,div_game,roof,surface,temp,wind,away_qb_id,home_qb_id,away_qb_name,home_qb_name,away_coach,home_coach,referee,stadium_id,stadium";

const TEAMS: [&str; 32] = [
    "ARI", "ATL", "BAL", "BUF", "CAR", "CHI", "CIN", "CLE", "DAL", "DEN", "DET", "GB", "HOU",
    "IND", "JAX", "KC", "LA", "LAC", "LV", "MIA", "MIN", "NE", "NO", "NYG", "NYJ", "PHI", "PIT",
    "SEA", "SF", "TB", "TEN", "WAS",
];

/// A deterministic pseudo-random stream (no dependency needed for a benchmark fixture).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// `seasons` seasons from 1999 of 17 weeks × 16 games, nflverse-shaped.
fn nflverse_csv(seasons: i32) -> (String, usize) {
    let mut rng = Lcg(42);
    let mut out = String::from(HEADER);
    out.push('\n');
    let mut rows = 0;
    for season in 1999..1999 + seasons {
        for week in 1..=17u32 {
            let day = chrono::NaiveDate::from_ymd_opt(season, 9, 7)
                .and_then(|d| d.checked_add_days(chrono::Days::new(u64::from(week - 1) * 7)))
                .unwrap_or_default();
            let offset = rng.next(32) as usize;
            for g in 0..16 {
                let home = TEAMS[(offset + g) % 32];
                let away = TEAMS[(offset + g + 16) % 32];
                let (hs, as_) = (rng.next(45), rng.next(42));
                let spread = rng.next(29) as i64 - 14; // half-points below
                let home_ml = if spread > 0 {
                    -110 - spread * 20
                } else {
                    100 - spread * 20
                };
                let away_ml = if spread > 0 {
                    100 + spread * 18
                } else {
                    -110 + spread * 18
                };
                let gametime = if season == 1999 { "" } else { "13:00" };
                let old = format!("{}{:02}{:02}", day.format("%Y%m%d"), week, g);
                let _ = writeln!(
                    out,
                    "{season}_{week:02}_{away}_{home},{season},REG,{week},{day},Sunday,{gametime},{away},{as_},{home},{hs},Home,{res},{tot},0,{old},NA,NA,NA,NA,{espn},NA,7,7,{away_ml},{home_ml},{spread}.5,-110,-110,{total}.5,-110,-110,0,outdoors,grass,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA",
                    res = hs as i64 - as_ as i64,
                    tot = hs + as_,
                    espn = 400_000_000 + rows,
                    total = 38 + rng.next(14),
                );
                rows += 1;
            }
        }
    }
    (out, rows)
}

#[tokio::main]
async fn main() {
    let db = precog::testing::test_db().await;
    let function = LoadHistory::new(db.pool.clone()).expect("function");
    let (csv, rows) = nflverse_csv(26);
    let dir = std::env::temp_dir().join(format!("load-history-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("games.csv");
    std::fs::write(&path, &csv).expect("write");
    let event = json!({"source": "nflverse_games", "path": path});

    let run = |label: &'static str, event: serde_json::Value| {
        let function = &function;
        let pool = db.pool.clone();
        async move {
            let start = Instant::now();
            let report = invoke(function, &pool, event, Trigger::Manual, None).await;
            let elapsed = start.elapsed();
            let Report::Completed(summary) = report else {
                panic!("{label}: {report:?}");
            };
            (elapsed, summary)
        }
    };
    let (first, summary) = run("first load", event.clone()).await;
    println!(
        "load nflverse-shaped games.csv: {rows} rows ({} KB), {} rows written in {:.3} s = {:.0} file rows/s",
        csv.len() / 1024,
        summary.rows_written,
        first.as_secs_f64(),
        rows as f64 / first.as_secs_f64()
    );
    let (again, summary) = run("second load", event).await;
    println!(
        "the same file again: {} rows written in {:.3} s = {:.0} file rows/s",
        summary.rows_written,
        again.as_secs_f64(),
        rows as f64 / again.as_secs_f64()
    );
    let seasons: Vec<i32> = (2005..2025).collect();
    let (elo, summary) = run(
        "compute_elo",
        json!({"compute_elo": {"league": "football/nfl", "seasons": seasons}}),
    )
    .await;
    println!(
        "compute_elo, 20 seasons ({} games, {} rows written): {:.3} s",
        summary.details["games_rated"],
        summary.rows_written,
        elo.as_secs_f64()
    );

    // The rating alone: 20 seasons of 272 games, 100 times.
    let mut rng = Lcg(7);
    let games: Vec<(i32, usize, usize, i32, i32)> = (0..20 * 272)
        .map(|i| {
            let h = rng.next(32) as usize;
            (
                2005 + i / 272,
                h,
                (h + 1 + rng.next(31) as usize) % 32,
                rng.next(45) as i32,
                rng.next(42) as i32,
            )
        })
        .collect();
    let start = Instant::now();
    let mut last = 0.0;
    for _ in 0..100 {
        let mut engine = EloEngine::new(EloParams::NFL);
        for (season, h, a, hs, as_) in &games {
            last = engine
                .play(EloGame {
                    season: *season,
                    home: TEAMS[*h],
                    away: TEAMS[*a],
                    neutral: false,
                    score: Some((*hs, *as_)),
                })
                .home_pre;
        }
    }
    let per_run = start.elapsed().as_secs_f64() / 100.0;
    println!(
        "Elo in memory, 20 seasons ({} games): {:.3} ms per run ({:.1}M games/s; last {last:.1})",
        games.len(),
        per_run * 1e3,
        games.len() as f64 / per_run / 1e6
    );
    std::fs::remove_dir_all(&dir).ok();
}
