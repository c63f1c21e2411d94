//! The game linker over 5,000 ESPN games and 60,000 game-series markets (issue 10, "Measured"),
//! in a throwaway local PostgreSQL (fsync off). Five leagues × 1,000 games over 100 days; per
//! game 2 moneyline, 4 spread and 6 total markets. Codes resolve through ESPN's abbreviations,
//! so the first run also learns every alias. Three runs: the first link (every row new), a
//! `relink` with nothing changed (nothing may be written), an incremental run with nothing new.
//!
//!     cargo bench -p precog --features testing --bench linker
//!
//! Prints each run's time and counts, and the process's peak RSS.

use std::time::Instant;

use precog::linking::{self, LinkOptions};

const LEAGUES: &[(&str, &str)] = &[
    ("football/nfl", "NFL"),
    ("basketball/nba", "NBA"),
    ("hockey/nhl", "NHL"),
    ("baseball/mlb", "MLB"),
    ("basketball/wnba", "WNBA"),
];

/// Games and markets, generated in SQL so the load is quick and the linker does all the work.
const SETUP: &str = r#"
insert into game_series (series_ticker, league, kind, source)
select 'KX' || l.token || k.suffix, l.league, k.kind, 'operator'
  from unnest($1::text[], $2::text[]) as l(league, token)
  cross join (values ('GAME', 'moneyline'), ('SPREAD', 'spread'), ('TOTAL', 'total')) as k(suffix, kind)
on conflict (series_ticker) do nothing;

-- 100 teams per league (codes AAA..ADV), ten games a day for 100 days, nobody twice a day.
with teams as (
    select n, chr(65 + n / 676) || chr(65 + (n / 26) % 26) || chr(65 + n % 26) as code from generate_series(0, 99) n
), g as (
    select l.league, l.ord, d, k,
           (2 * k + d) % 100 as home, (2 * k + 1 + d) % 100 as away,
           timestamptz '2026-03-01 23:00:00+00' + make_interval(days => d) as start
      from unnest($1::text[]) with ordinality as l(league, ord), generate_series(0, 99) d, generate_series(0, 9) k
)
insert into games (espn_event_id, league, scheduled_start, home_team_id, home_team_abbreviation,
                   away_team_id, away_team_abbreviation, neutral_site, status_name, status_state, completed)
select '9' || g.ord || lpad(d::text, 3, '0') || lpad(k::text, 2, '0'), g.league, g.start, 't' || g.home, h.code, 't' || g.away, a.code,
       false, 'STATUS_SCHEDULED', 'pre', false
  from g join teams h on h.n = g.home join teams a on a.n = g.away;

with teams as (
    select n, chr(65 + n / 676) || chr(65 + (n / 26) % 26) || chr(65 + n % 26) as code from generate_series(0, 99) n
), e as (
    select l.token, d, k, h.code as home, a.code as away,
           to_char(date '2026-03-01' + d, 'YY') || upper(to_char(date '2026-03-01' + d, 'Mon')) || to_char(date '2026-03-01' + d, 'DD') as day
      from unnest($2::text[]) as l(token) cross join generate_series(0, 99) d cross join generate_series(0, 9) k
      join teams h on h.n = (2 * k + d) % 100 join teams a on a.n = (2 * k + 1 + d) % 100
), m as (
    select 'KX' || token || 'GAME' as series, 'KX' || token || 'GAME-' || day || away || home as event, s.suffix, null::numeric as strike
      from e cross join lateral (values (e.away), (e.home)) as s(suffix)
    union all
    select 'KX' || token || 'SPREAD', 'KX' || token || 'SPREAD-' || day || away || home, s.team || s.pts, s.pts - 0.5
      from e cross join lateral (values (e.home, 3), (e.home, 6), (e.away, 3), (e.away, 6)) as s(team, pts)
    union all
    select 'KX' || token || 'TOTAL', 'KX' || token || 'TOTAL-' || day || away || home, s.t::text, s.t + 0.5
      from e cross join generate_series(40, 45) as s(t)
)
insert into markets (ticker, event_ticker, series_ticker, market_type, status, floor_strike, raw)
select event || '-' || suffix, event, series, 'binary', 'active', strike, '{}'::jsonb from m;
"#;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let db = precog::testing::test_db().await;
    let leagues: Vec<&str> = LEAGUES.iter().map(|(l, _)| *l).collect();
    let tokens: Vec<&str> = LEAGUES.iter().map(|(_, t)| *t).collect();
    let loaded = Instant::now();
    // Several statements with binds: run them one by one.
    for statement in SETUP.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        let mut query = sqlx::query(statement);
        // A statement that uses $2 has two parameters, whether or not it reads $1.
        if statement.contains("$1") || statement.contains("$2") {
            query = query.bind(&leagues);
        }
        if statement.contains("$2") {
            query = query.bind(&tokens);
        }
        query.execute(&db.pool).await?;
    }
    let (games, markets): (i64, i64) =
        sqlx::query_as("select (select count(*) from games), (select count(*) from markets)")
            .fetch_one(&db.pool)
            .await?;
    println!(
        "loaded {games} games and {markets} markets in {:.1} s",
        loaded.elapsed().as_secs_f64()
    );
    // Loaded an hour ago, as far as the linker's watermark can tell: the incremental run then
    // sees only what changed after the first link (nothing), not the load itself.
    sqlx::query("update games set updated_at = now() - interval '1 hour'")
        .execute(&db.pool)
        .await?;
    sqlx::query("update markets set updated_at = now() - interval '1 hour'")
        .execute(&db.pool)
        .await?;
    sqlx::query("update game_series set updated_at = now() - interval '1 hour'")
        .execute(&db.pool)
        .await?;
    sqlx::query("update team_aliases set updated_at = now() - interval '1 hour'")
        .execute(&db.pool)
        .await?;
    sqlx::query("analyze").execute(&db.pool).await?;

    for (name, relink) in [
        ("first link", false),
        ("relink, nothing changed", true),
        ("incremental, nothing new", false),
    ] {
        let started = Instant::now();
        let stats = linking::run(&db.pool, None, uuid::Uuid::nil(), LinkOptions { relink }).await?;
        println!(
            "{name:<26} {:>7.2} s  events {:>6}  markets {:>6}  inserted {:>6}  updated {:>6}  learned {:>4}  statuses {:?}  peak RSS {:.1} MB",
            started.elapsed().as_secs_f64(),
            stats.events,
            stats.markets,
            stats.links_inserted,
            stats.links_updated,
            stats.aliases_learned,
            stats.statuses,
            peak_rss_mb(),
        );
    }
    Ok(())
}
