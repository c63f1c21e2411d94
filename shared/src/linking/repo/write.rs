//! The linker's writes: link rows upserted only when their content changed, learned aliases.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::*;

/// What one write of link rows did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Written {
    pub inserted: u64,
    pub updated: u64,
}

/// Upserts `rows`; a row whose content equals the stored one is not touched (its xmin and
/// updated_at stay). Returns the tickers of rows newly flagged, for the caller to report loudly.
pub async fn upsert_links(
    conn: &mut PgConnection,
    rows: &[LinkRow],
) -> Result<(Written, Vec<String>), sqlx::Error> {
    if rows.is_empty() {
        return Ok((Written::default(), Vec::new()));
    }
    let col =
        |f: fn(&LinkRow) -> Option<String>| -> Vec<Option<String>> { rows.iter().map(f).collect() };
    let tickers = col(|r| Some(r.ticker.clone()));
    let events = col(|r| Some(r.event_ticker.clone()));
    let series = col(|r| Some(r.series_ticker.clone()));
    let leagues = col(|r| Some(r.league.clone()));
    let kinds = col(|r| Some(r.kind.as_str().to_owned()));
    let games = col(|r| r.espn_event_id.clone());
    let sides = col(|r| r.yes_side.map(|s| s.as_str().to_owned()));
    let codes = col(|r| r.yes_team_code.clone());
    let team_ids = col(|r| r.yes_team_id.clone());
    let statuses = col(|r| Some(r.status.as_str().to_owned()));
    let reasons = col(|r| Some(r.reason.clone()));
    let evidence = col(|r| Some(r.evidence.to_string()));
    let checks = col(|r| serde_json::to_string(&r.checks).ok());
    let lines: Vec<Option<Decimal>> = rows.iter().map(|r| r.line).collect();
    let flagged: Vec<bool> = rows.iter().map(|r| r.flagged).collect();
    let dates: Vec<Option<NaiveDate>> = rows.iter().map(|r| r.event_date).collect();
    let knowable: Vec<DateTime<Utc>> = rows.iter().map(|r| r.knowable_at).collect();
    let verified: Vec<Option<DateTime<Utc>>> = rows.iter().map(|r| r.verified_at).collect();
    // language=PostgreSQL
    let written = sqlx::query!(
        r#"insert into game_links as l (ticker, event_ticker, series_ticker, league, kind, espn_event_id,
                                     yes_side, yes_team_code, yes_team_id, line, status, reason,
                                     evidence, checks, flagged, event_date, knowable_at, verified_at,
                                     matcher_version)
         select ticker, event_ticker, series_ticker, league, kind, espn_event_id, yes_side,
                yes_team_code, yes_team_id, line, status, reason, evidence::jsonb,
                coalesce(checks, '[]')::jsonb, flagged, event_date, knowable_at, verified_at, $19
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                       $7::text[], $8::text[], $9::text[], $10::numeric[], $11::text[], $12::text[],
                       $13::text[], $14::text[], $15::bool[], $16::date[], $17::timestamptz[],
                       $18::timestamptz[])
                as b(ticker, event_ticker, series_ticker, league, kind, espn_event_id, yes_side,
                     yes_team_code, yes_team_id, line, status, reason, evidence, checks, flagged,
                     event_date, knowable_at, verified_at)
         on conflict (ticker) do update set
                event_ticker = excluded.event_ticker, series_ticker = excluded.series_ticker,
                league = excluded.league, kind = excluded.kind,
                espn_event_id = excluded.espn_event_id, yes_side = excluded.yes_side,
                yes_team_code = excluded.yes_team_code, yes_team_id = excluded.yes_team_id,
                line = excluded.line, status = excluded.status, reason = excluded.reason,
                evidence = excluded.evidence, checks = excluded.checks, flagged = excluded.flagged,
                event_date = excluded.event_date, knowable_at = excluded.knowable_at,
                verified_at = excluded.verified_at, matcher_version = excluded.matcher_version,
                updated_at = now()
          -- Unchanged rows are left alone: no new row version, updated_at stays.
          where (l.event_ticker, l.series_ticker, l.league, l.kind, l.espn_event_id, l.yes_side,
                 l.yes_team_code, l.yes_team_id, l.line, l.status, l.reason, l.evidence, l.checks,
                 l.flagged, l.event_date, l.knowable_at, l.verified_at, l.matcher_version)
                is distinct from
                (excluded.event_ticker, excluded.series_ticker, excluded.league, excluded.kind,
                 excluded.espn_event_id, excluded.yes_side, excluded.yes_team_code,
                 excluded.yes_team_id, excluded.line, excluded.status, excluded.reason,
                 excluded.evidence, excluded.checks, excluded.flagged, excluded.event_date,
                 excluded.knowable_at, excluded.verified_at, excluded.matcher_version)
         returning l.ticker, (xmax = 0) as "inserted!", l.flagged"#,
        &tickers as &[Option<String>],
        &events as &[Option<String>],
        &series as &[Option<String>],
        &leagues as &[Option<String>],
        &kinds as &[Option<String>],
        &games as &[Option<String>],
        &sides as &[Option<String>],
        &codes as &[Option<String>],
        &team_ids as &[Option<String>],
        &lines as &[Option<Decimal>],
        &statuses as &[Option<String>],
        &reasons as &[Option<String>],
        &evidence as &[Option<String>],
        &checks as &[Option<String>],
        &flagged,
        &dates as &[Option<NaiveDate>],
        &knowable,
        &verified as &[Option<DateTime<Utc>>],
        MATCHER_VERSION,
    )
    .fetch_all(conn)
    .await?;
    let mut out = Written::default();
    let mut newly_flagged = Vec::new();
    for row in written {
        if row.inserted {
            out.inserted += 1;
        } else {
            out.updated += 1;
        }
        if row.flagged {
            newly_flagged.push(row.ticker);
        }
    }
    Ok((out, newly_flagged))
}

/// Writes aliases learned from ESPN's abbreviations; an existing row for the code wins.
pub async fn insert_learned(
    conn: &mut PgConnection,
    learned: &[LearnedAlias],
) -> Result<u64, sqlx::Error> {
    let mut seen = HashSet::new();
    let unique: Vec<&LearnedAlias> = learned
        .iter()
        .filter(|l| seen.insert((l.provider, l.league.clone(), l.code.clone())))
        .collect();
    if unique.is_empty() {
        return Ok(0);
    }
    let providers: Vec<&str> = unique.iter().map(|l| l.provider).collect();
    let leagues: Vec<&str> = unique.iter().map(|l| l.league.as_str()).collect();
    let codes: Vec<&str> = unique.iter().map(|l| l.code.as_str()).collect();
    let teams: Vec<&str> = unique.iter().map(|l| l.espn_team_id.as_str()).collect();
    let evidence: Vec<String> = unique.iter().map(|l| l.evidence.to_string()).collect();
    // language=PostgreSQL
    let result = sqlx::query!(
        "insert into team_aliases (provider, league, code, espn_team_id, source, note, evidence)
         select b.provider, b.league, b.code, b.team, 'learned',
                case b.provider when 'kalshi' then 'ESPN abbreviation, unique in the league'
                                else 'custom_strike of a matched moneyline market' end,
                b.evidence::jsonb
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                as b(provider, league, code, team, evidence)
          where not exists (select 1 from team_aliases a
                             where a.provider = b.provider and a.league = b.league and a.code = b.code)
         on conflict do nothing",
        &providers as &[&str],
        &leagues as &[&str],
        &codes as &[&str],
        &teams as &[&str],
        &evidence,
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}
