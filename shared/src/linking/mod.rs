//! Games meet markets (issue 10 §1–2; docs/linking.md). After each collector pass the linker
//! ties every market of a Kalshi game series to its ESPN game: which game, which side YES is, the
//! line, and how sure it is, with the evidence. It is incremental (only events whose inputs
//! changed since its watermark) and idempotent (a row is rewritten only when its content changes).
//!
//! - [`ticker`] reads event and market tickers;
//! - [`matcher`] applies the rules, purely;
//! - [`discovery`] stores what Kalshi says about its sports catalog (game series, milestones);
//! - [`repo`] reads the inputs and writes `game_links`.

pub mod discovery;
pub mod matcher;
pub mod repo;
pub mod ticker;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use sqlx::PgPool;

use crate::db::rejects;
use crate::kalshi::sports::MilestonesSince;
use crate::kalshi::{parse_series, KalshiClient};
use matcher::{EventInput, MAKEUP_WINDOW_DAYS};

/// Events linked per batch: one read of each input table and one transaction per batch.
const EVENTS_PER_BATCH: usize = 1_000;
/// Re-read changes this far behind the watermark: a collector transaction that started before
/// the linker's clock reading may commit after it. Rereading costs nothing (unchanged rows are
/// not rewritten).
const WATERMARK_OVERLAP_MINUTES: i64 = 5;
/// How often `GET /series?category=Sports` is asked (one large response).
const DISCOVERY_EVERY_HOURS: i64 = 24;
/// On a first run, milestones of games starting from this long ago are fetched.
const FIRST_MILESTONES_LOOKBACK_DAYS: i64 = 7;

const CHANGES: &str = "changes";
const SERIES_DISCOVERY: &str = "series_discovery";
const MILESTONES: &str = "milestones";

/// What the linker is asked to do.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkOptions {
    /// Re-link every game-series market (after an alias fix), not only what changed.
    pub relink: bool,
}

/// The linker's counts, reported in the calling run's summary.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct LinkStats {
    /// Another invocation was linking; this one left it to that one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skipped_busy: bool,
    pub relink: bool,
    pub series_discovered: u64,
    pub milestones_stored: u64,
    /// Kalshi requests that failed; linking went on with what is stored.
    pub upstream_errors: u64,
    pub events: u64,
    pub markets: u64,
    pub links_inserted: u64,
    pub links_updated: u64,
    pub aliases_learned: u64,
    /// Links with a failed error-level check (e.g. settlement disagrees with ESPN's final).
    pub flagged: u64,
    /// Status of every link considered in this run.
    pub statuses: BTreeMap<String, u64>,
}

/// Runs the linker. With a Kalshi client (from collect-kalshi) it first refreshes the game series
/// and milestones; without one (from collect-espn) it links from what is stored.
pub async fn run(
    pool: &PgPool,
    kalshi: Option<&KalshiClient>,
    run_id: uuid::Uuid,
    options: LinkOptions,
) -> anyhow::Result<LinkStats> {
    let mut stats = LinkStats {
        relink: options.relink,
        ..LinkStats::default()
    };
    // One linker at a time: both collectors call it, and two would do the same work twice.
    let mut lock = pool.acquire().await?;
    // language=PostgreSQL
    let locked = sqlx::query_scalar!(
        r#"select pg_try_advisory_lock(hashtext('precog/linker')) as "locked!""#
    )
    .fetch_one(&mut *lock)
    .await?;
    if !locked {
        stats.skipped_busy = true;
        return Ok(stats);
    }
    let outcome = link(pool, kalshi, run_id, options, &mut stats).await;
    // language=PostgreSQL
    sqlx::query_scalar!("select pg_advisory_unlock(hashtext('precog/linker'))")
        .fetch_one(&mut *lock)
        .await?;
    outcome.map(|()| stats)
}

async fn link(
    pool: &PgPool,
    kalshi: Option<&KalshiClient>,
    run_id: uuid::Uuid,
    options: LinkOptions,
    stats: &mut LinkStats,
) -> anyhow::Result<()> {
    // language=PostgreSQL
    let started: DateTime<Utc> = sqlx::query_scalar!(r#"select clock_timestamp() as "now!""#)
        .fetch_one(pool)
        .await?;
    if let Some(kalshi) = kalshi {
        refresh_from_kalshi(pool, kalshi, run_id, started, stats).await?;
    }
    let since = if options.relink {
        None
    } else {
        repo::watermark(pool, CHANGES)
            .await?
            .map(|w| w - Duration::minutes(WATERMARK_OVERLAP_MINUTES))
    };
    let series = repo::game_series(pool)
        .await
        .context("reading game series")?;
    let events = repo::events_to_link(pool, since, MAKEUP_WINDOW_DAYS)
        .await
        .context("finding events to link")?;
    for batch in events.chunks(EVENTS_PER_BATCH) {
        link_batch(pool, &series, batch, stats)
            .await
            .with_context(|| format!("linking {} events from {}", batch.len(), batch[0]))?;
    }
    repo::set_watermark(pool, CHANGES, started).await?;
    Ok(())
}

async fn link_batch(
    pool: &PgPool,
    series: &std::collections::HashMap<String, repo::GameSeries>,
    events: &[String],
    stats: &mut LinkStats,
) -> anyhow::Result<()> {
    let events = events.to_vec();
    let mut markets = repo::markets_of(pool, &events).await?;
    let mut milestones = repo::milestones_of(pool, &events).await?;
    let mut inputs = Vec::with_capacity(events.len());
    for event in &events {
        let series_ticker = event.split('-').next().unwrap_or_default();
        let (Some(found), Some(markets)) = (series.get(series_ticker), markets.remove(event))
        else {
            continue;
        };
        inputs.push(EventInput {
            event_ticker: event.clone(),
            series_ticker: series_ticker.to_owned(),
            league: found.league.clone(),
            kind: found.kind,
            markets,
            milestone: milestones.remove(event),
        });
    }
    if inputs.is_empty() {
        return Ok(());
    }
    let leagues: Vec<String> = inputs
        .iter()
        .map(|i| i.league.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // Games from the day before the earliest ticker date to the makeup window after the latest.
    let dates: Vec<_> = inputs
        .iter()
        .filter_map(|i| ticker::parse_event(&i.event_ticker).ok().map(|t| t.date))
        .collect();
    let games = match (dates.iter().min(), dates.iter().max()) {
        (Some(first), Some(last)) => {
            let from = (*first - Duration::days(2))
                .and_time(NaiveTime::MIN)
                .and_utc();
            let until = (*last + Duration::days(MAKEUP_WINDOW_DAYS + 2))
                .and_time(NaiveTime::MIN)
                .and_utc();
            repo::games_between(pool, &leagues, from, until).await?
        }
        _ => matcher::GameIndex::default(),
    };
    let aliases = repo::alias_book(pool, &leagues).await?;

    let mut rows = Vec::new();
    let mut learned = Vec::new();
    for input in &inputs {
        let linked = matcher::link_event(input, &aliases, &games);
        rows.extend(linked.rows);
        learned.extend(linked.learned);
    }
    stats.events += inputs.len() as u64;
    stats.markets += rows.len() as u64;
    for row in &rows {
        *stats
            .statuses
            .entry(row.status.as_str().to_owned())
            .or_default() += 1;
    }
    stats.flagged += rows.iter().filter(|r| r.flagged).count() as u64;

    let mut tx = pool.begin().await?;
    stats.aliases_learned += repo::insert_learned(&mut tx, &learned).await?;
    let (written, flagged) = repo::upsert_links(&mut tx, &rows).await?;
    tx.commit().await?;
    stats.links_inserted += written.inserted;
    stats.links_updated += written.updated;
    for ticker in flagged {
        // Loud on purpose: a failed check means the link or Kalshi's settlement is wrong.
        if let Some(row) = rows.iter().find(|r| r.ticker == ticker) {
            let failed: Vec<&str> = row
                .checks
                .iter()
                .filter(|c| c.severity == "error")
                .map(|c| c.detail.as_str())
                .collect();
            tracing::error!(%ticker, game = ?row.espn_event_id, checks = ?failed, "game link flagged: a check disagrees");
        }
    }
    Ok(())
}

/// Game series from `GET /series?category=Sports` (daily) and milestones changed since the last
/// run. A failed request is logged and counted; linking goes on with what is stored.
async fn refresh_from_kalshi(
    pool: &PgPool,
    kalshi: &KalshiClient,
    run_id: uuid::Uuid,
    now: DateTime<Utc>,
    stats: &mut LinkStats,
) -> anyhow::Result<()> {
    let last = repo::watermark(pool, SERIES_DISCOVERY).await?;
    if last.is_none_or(|at| now - at >= Duration::hours(DISCOVERY_EVERY_HOURS)) {
        match kalshi.sports_series().await {
            Ok(raw) => {
                let tokens = discovery::league_tokens(pool).await?;
                let mut found = Vec::new();
                let mut rejected = Vec::new();
                for record in raw {
                    match parse_series(record) {
                        Ok(series) => found.extend(discovery::classify(&series, &tokens)),
                        Err((why, raw)) => rejected.push(rejects::NewRejected {
                            source: "kalshi.series",
                            natural_key: why.key.clone(),
                            reason: why.to_string(),
                            raw: serde_json::from_str(raw.get()).unwrap_or_default(),
                        }),
                    }
                }
                let mut tx = pool.begin().await?;
                stats.series_discovered += discovery::upsert_series(&mut tx, &found).await?;
                rejects::upsert(&mut tx, run_id, &rejected).await?;
                tx.commit().await?;
                repo::set_watermark(pool, SERIES_DISCOVERY, now).await?;
            }
            Err(error) => {
                stats.upstream_errors += 1;
                tracing::warn!(error = %error, "sports series discovery failed; using the stored game series");
            }
        }
    }

    let since = match repo::watermark(pool, MILESTONES).await? {
        Some(at) => MilestonesSince::Updated(at - Duration::minutes(WATERMARK_OVERLAP_MINUTES)),
        None => MilestonesSince::Starting(now - Duration::days(FIRST_MILESTONES_LOOKBACK_DAYS)),
    };
    match kalshi.sports_milestones(since).await {
        Ok(raw) => {
            let (parsed, rejected) = discovery::parse_milestones(raw);
            let mut tx = pool.begin().await?;
            stats.milestones_stored += discovery::upsert_milestones(&mut tx, &parsed).await?;
            rejects::upsert(&mut tx, run_id, &rejected).await?;
            tx.commit().await?;
            repo::set_watermark(pool, MILESTONES, now).await?;
        }
        Err(error) => {
            stats.upstream_errors += 1;
            tracing::warn!(error = %error, "milestones could not be fetched; linking without new ones");
        }
    }
    Ok(())
}
