//! Loading one file: fetch, check its columns (refusing before anything is written), parse
//! every row (keeping the ones that do not parse in `rejected_records`), then upsert games,
//! lines and ratings in batches, one transaction each.

use std::collections::{BTreeSet, HashMap};

use anyhow::Context as _;
use bytes::Bytes;
use precog::db::rejects::{self, NewRejected};
use precog::db::sports_history::{self as db, EloSource};
use precog::domain::sports_history::{AliasBook, OddsLine, OddsMarket, OddsPhase, OddsSide};
use precog::runner::Run;
use serde::Serialize;
use sqlx::PgPool;

use crate::event::{Location, SourceKind};
use crate::input::{self, CsvRows, Header, RawRow, Record};
use crate::sources::{self, Context, Parsed};

/// Games per transaction.
pub const BATCH: usize = 1000;

/// What a load reports in the run's summary.
#[derive(Debug, Default, Clone, Serialize)]
pub struct LoadSummary {
    pub source: &'static str,
    pub league: String,
    /// The file's SHA-256: the same file twice has the same digest, and its second load
    /// writes nothing.
    pub sha256: String,
    pub bytes: u64,
    /// Data rows in the file.
    pub rows_read: u64,
    /// Rows that did not parse (kept in rejected_records).
    pub rows_rejected: u64,
    /// Games after merging a game's rows.
    pub games_in_file: u64,
    /// Rows inserted or changed; an unchanged row counts nothing.
    pub games_written: u64,
    pub odds_written: u64,
    pub elo_written: u64,
    /// Spreads whose sign disagrees with the same row's moneylines.
    pub spreads_flagged: u64,
    /// Games with an ESPN event id, and how many of those are in `games` already.
    pub games_with_espn_id: u64,
    pub games_linked: u64,
    /// Team codes no alias maps to an ESPN franchise (kept as codes).
    pub unmapped_teams: Vec<String>,
}

pub async fn run(
    pool: &PgPool,
    client: &reqwest::Client,
    run: &Run,
    kind: SourceKind,
    location: &Location,
    league: &str,
) -> anyhow::Result<LoadSummary> {
    let fetched = input::fetch(client, location).await?;
    let mut summary = LoadSummary {
        source: kind.as_str(),
        league: league.to_owned(),
        sha256: fetched.sha256.clone(),
        bytes: fetched.bytes.len() as u64,
        ..Default::default()
    };
    let (header, rows) = read_table(kind, fetched.bytes)?;
    // A missing or renamed column refuses the file before any row is read or written.
    header.require(kind.required())?;

    let aliases = AliasBook::new(
        db::aliases(pool, league)
            .await
            .context("reading team aliases")?,
    );
    let cx = Context {
        league,
        aliases: &aliases,
    };
    let mut parsed = Vec::new();
    let mut rejected = Vec::new();
    for row in rows {
        summary.rows_read += 1;
        match row {
            Ok((values, line)) => {
                let rec = Record {
                    header: &header,
                    values,
                    line,
                };
                match kind.parse(&rec, &cx) {
                    Ok(p) => parsed.push(p),
                    Err(reason) => rejected.push(NewRejected {
                        source: kind.reject_source(),
                        natural_key: kind.natural_key(&rec),
                        reason: format!("line {line}: {reason}"),
                        raw: rec.raw(),
                    }),
                }
            }
            Err((text, line, reason)) => rejected.push(NewRejected {
                source: kind.reject_source(),
                natural_key: None,
                reason: format!("line {line}: {reason}"),
                raw: serde_json::json!({ "line": line, "text": text }),
            }),
        }
    }
    summary.rows_rejected = rejected.len() as u64;
    if !rejected.is_empty() {
        let mut conn = pool.acquire().await?;
        rejects::upsert(&mut conn, run.id, &rejected)
            .await
            .context("keeping rejected rows")?;
        run.add_rejected(rejected.len() as u64);
        tracing::warn!(
            rejected = rejected.len(),
            first = %rejected[0].reason,
            "rows that did not parse kept in rejected_records"
        );
    }

    let games = sources::assemble(kind, parsed);
    summary.games_in_file = games.len() as u64;
    let mut unmapped = BTreeSet::new();
    for p in &games {
        for team in [&p.game.home, &p.game.away] {
            if team.espn_team_id.is_none() {
                unmapped.insert(team.code.clone());
            }
        }
        summary.spreads_flagged += p
            .odds
            .iter()
            .filter(|o| o.flag.is_some() && o.side == OddsSide::Home)
            .count() as u64;
        summary.games_with_espn_id += u64::from(p.game.espn_event_id.is_some());
    }
    summary.unmapped_teams = unmapped.into_iter().collect();

    for batch in games.chunks(BATCH) {
        write_batch(pool, run, kind, batch, &mut summary).await?;
    }
    summary.games_linked = db::linked_games(pool, league, kind.game_source())
        .await
        .context("counting games linked to ESPN games")?;
    Ok(summary)
}

fn read_table(kind: SourceKind, bytes: Bytes) -> anyhow::Result<(Header, Vec<RawRow>)> {
    if kind == SourceKind::EspnSchedule {
        let (header, rows) = input::parquet_rows(bytes)?;
        let rows = rows
            .into_iter()
            .enumerate()
            .map(|(i, values)| Ok((values, i as u64 + 1)))
            .collect();
        Ok((header, rows))
    } else {
        let mut csv = CsvRows::open(bytes)?;
        let rows = csv.rows();
        Ok((csv.header, rows))
    }
}

async fn write_batch(
    pool: &PgPool,
    run: &Run,
    kind: SourceKind,
    batch: &[Parsed],
    summary: &mut LoadSummary,
) -> anyhow::Result<()> {
    let games: Vec<_> = batch.iter().map(|p| p.game.clone()).collect();
    let mut tx = pool.begin().await?;
    let (written, ids) = db::upsert_games(&mut tx, &games)
        .await
        .context("upserting historical games")?;
    let mut odds: Vec<(i64, OddsLine)> = Vec::new();
    let mut slot: HashMap<(i64, String, OddsMarket, OddsSide, OddsPhase), usize> = HashMap::new();
    let mut elo = Vec::new();
    for p in batch {
        let Some(id) = ids.get(&p.game.source_game_id).copied() else {
            continue;
        };
        // One line per key: a later row of the same game and provider replaces an earlier one.
        for line in &p.odds {
            let key = (
                id,
                line.provider.clone(),
                line.market,
                line.side,
                line.phase,
            );
            match slot.get(&key) {
                Some(i) => odds[*i] = (id, line.clone()),
                None => {
                    slot.insert(key, odds.len());
                    odds.push((id, line.clone()));
                }
            }
        }
        elo.extend(p.elo.iter().map(|row| (row.clone(), Some(id))));
    }
    let odds_written = db::upsert_odds(&mut tx, kind.game_source(), &odds)
        .await
        .context("upserting historical odds")?;
    let elo_written = db::upsert_elo(&mut tx, EloSource::Fivethirtyeight, None, &elo)
        .await
        .context("upserting historical Elo")?;
    tx.commit().await?;
    summary.games_written += written;
    summary.odds_written += odds_written;
    summary.elo_written += elo_written;
    run.add_written(written + odds_written + elo_written);
    Ok(())
}
