//! What Kalshi says about its sports catalog, stored for the matcher: game series discovered from
//! `GET /series?category=Sports`, and milestones. Series names are never written in code: a
//! series is a game series when its ticker is `KX<league token><GAME|SPREAD|TOTAL>` and the token
//! is a row of `kalshi_league_tokens`.

use std::collections::HashMap;

use serde_json::value::RawValue;
use sqlx::{PgConnection, PgPool};

use crate::db::rejects::NewRejected;
use crate::domain::MarketKind;
use crate::domain::Series;
use crate::kalshi::sports::MilestoneWire;

/// Kalshi's words for a game market's kind, at the end of a series ticker.
const KIND_SUFFIXES: [(&str, MarketKind); 3] = [
    ("GAME", MarketKind::Moneyline),
    ("SPREAD", MarketKind::Spread),
    ("TOTAL", MarketKind::Total),
];

/// A series recognised as a game series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    pub series_ticker: String,
    pub league: String,
    pub kind: MarketKind,
    pub title: Option<String>,
    pub tags: Vec<String>,
}

/// `KXNFLGAME` with token `NFL` → football/nfl moneyline. `KXNFL1HSPREAD` (token `NFL1H`, a
/// half) and `KXNFLMVP` (no kind) are not game series.
pub fn classify(series: &Series, tokens: &HashMap<String, String>) -> Option<Discovered> {
    if series.category.as_deref().is_some_and(|c| c != "Sports") {
        return None;
    }
    let body = series.ticker.strip_prefix("KX").unwrap_or(&series.ticker);
    KIND_SUFFIXES.iter().find_map(|(suffix, kind)| {
        let token = body.strip_suffix(suffix)?;
        let league = tokens.get(token)?;
        Some(Discovered {
            series_ticker: series.ticker.clone(),
            league: league.clone(),
            kind: *kind,
            title: series.title.clone(),
            tags: series.tags.clone(),
        })
    })
}

pub async fn league_tokens(pool: &PgPool) -> Result<HashMap<String, String>, sqlx::Error> {
    // language=PostgreSQL
    let rows = sqlx::query!("select token, league from kalshi_league_tokens")
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.token, row.league))
        .collect())
}

/// Upserts discovered game series. A row an operator wrote is never overwritten; a row whose
/// league, kind and title are unchanged keeps its `updated_at` (which would trigger a relink).
pub async fn upsert_series(
    conn: &mut PgConnection,
    found: &[Discovered],
) -> Result<u64, sqlx::Error> {
    if found.is_empty() {
        return Ok(0);
    }
    let tickers: Vec<&str> = found.iter().map(|d| d.series_ticker.as_str()).collect();
    let leagues: Vec<&str> = found.iter().map(|d| d.league.as_str()).collect();
    let kinds: Vec<&str> = found.iter().map(|d| d.kind.as_str()).collect();
    let titles: Vec<Option<&str>> = found.iter().map(|d| d.title.as_deref()).collect();
    // Arrays of arrays cannot be unnested row by row, so tags travel as JSON.
    let tags: Vec<String> = found
        .iter()
        .map(|d| serde_json::to_string(&d.tags).unwrap_or_else(|_| "[]".into()))
        .collect();
    // language=PostgreSQL
    let result = sqlx::query!(
        "insert into game_series as s (series_ticker, league, kind, source, title, tags, discovered_at)
         select distinct on (ticker) ticker, league, kind, 'discovered', title,
                array(select jsonb_array_elements_text(tags::jsonb)), now()
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                as b(ticker, league, kind, title, tags)
         on conflict (series_ticker) do update set
                league = excluded.league, kind = excluded.kind, source = 'discovered',
                title = excluded.title, tags = excluded.tags, discovered_at = now(),
                updated_at = case when (s.league, s.kind) is distinct from (excluded.league, excluded.kind)
                                  then now() else s.updated_at end
          where s.source <> 'operator'
            and (s.league, s.kind, s.source, s.title, s.tags) is distinct from
                (excluded.league, excluded.kind, 'discovered', excluded.title, excluded.tags)",
        &tickers as &[&str],
        &leagues as &[&str],
        &kinds as &[&str],
        &titles as &[Option<&str>],
        &tags,
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

/// Parses milestones; one that does not parse is set aside with its reason.
pub fn parse_milestones(
    raw: Vec<Box<RawValue>>,
) -> (Vec<(MilestoneWire, Box<RawValue>)>, Vec<NewRejected>) {
    let mut parsed = Vec::with_capacity(raw.len());
    let mut rejected = Vec::new();
    for record in raw {
        let mut deserializer = serde_json::Deserializer::from_str(record.get());
        match serde_path_to_error::deserialize::<_, MilestoneWire>(&mut deserializer) {
            Ok(m) => parsed.push((m, record)),
            Err(e) => rejected.push(NewRejected {
                source: "kalshi.milestone",
                natural_key: None,
                reason: format!("{}: {}", e.path(), e.inner()),
                raw: serde_json::from_str(record.get()).unwrap_or(serde_json::Value::Null),
            }),
        }
    }
    (parsed, rejected)
}

/// Upserts milestones; `updated_at` moves only when Kalshi's record changed.
pub async fn upsert_milestones(
    conn: &mut PgConnection,
    milestones: &[(MilestoneWire, Box<RawValue>)],
) -> Result<u64, sqlx::Error> {
    let mut unique: Vec<&(MilestoneWire, Box<RawValue>)> = milestones.iter().collect();
    unique.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    unique.dedup_by(|a, b| a.0.id == b.0.id);
    if unique.is_empty() {
        return Ok(0);
    }
    let ids: Vec<&str> = unique.iter().map(|(m, _)| m.id.as_str()).collect();
    let raws: Vec<&str> = unique.iter().map(|(_, r)| r.get()).collect();
    // The columns are read out of the stored JSON, so one array carries each milestone.
    // language=PostgreSQL
    let result = sqlx::query!(
        "insert into kalshi_milestones as k (id, category, type, start_date, end_date, title,
                                            primary_event_tickers, related_event_tickers, details,
                                            last_updated_ts, raw)
         select b.id, r->>'category', r->>'type', (r->>'start_date')::timestamptz,
                (r->>'end_date')::timestamptz, r->>'title',
                coalesce(array(select jsonb_array_elements_text(coalesce(r->'primary_event_tickers', '[]'))), '{}'),
                coalesce(array(select jsonb_array_elements_text(coalesce(r->'related_event_tickers', '[]'))), '{}'),
                r->'details', (r->>'last_updated_ts')::timestamptz, r
           from unnest($1::text[], $2::text[]) as b(id, raw), lateral (select b.raw::jsonb as r) j
         on conflict (id) do update set
                category = excluded.category, type = excluded.type,
                start_date = excluded.start_date, end_date = excluded.end_date,
                title = excluded.title, primary_event_tickers = excluded.primary_event_tickers,
                related_event_tickers = excluded.related_event_tickers, details = excluded.details,
                last_updated_ts = excluded.last_updated_ts, raw = excluded.raw, updated_at = now()
          where k.raw is distinct from excluded.raw",
        &ids as &[&str],
        &raws as &[&str],
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(ticker: &str, category: &str) -> Series {
        let raw = RawValue::from_string(
            serde_json::json!({"ticker": ticker, "category": category, "title": "t", "tags": ["Football"]})
                .to_string(),
        )
        .expect("json");
        crate::kalshi::parse_series(raw).expect("series")
    }

    #[test]
    fn game_series_are_recognised_by_league_token_and_kind() {
        let tokens: HashMap<String, String> = [
            ("NFL", "football/nfl"),
            ("NCAAFB", "football/college-football"),
            ("WNBA", "basketball/wnba"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        let found = |t: &str| classify(&series(t, "Sports"), &tokens).map(|d| (d.league, d.kind));
        assert_eq!(
            found("KXNFLGAME"),
            Some(("football/nfl".into(), MarketKind::Moneyline))
        );
        assert_eq!(
            found("KXNFLSPREAD"),
            Some(("football/nfl".into(), MarketKind::Spread))
        );
        assert_eq!(
            found("KXNCAAFBGAME"),
            Some(("football/college-football".into(), MarketKind::Moneyline))
        );
        assert_eq!(
            found("KXWNBATOTAL"),
            Some(("basketball/wnba".into(), MarketKind::Total))
        );
        assert_eq!(found("KXNFL1HSPREAD"), None);
        assert_eq!(found("KXNFLMVP"), None);
        assert_eq!(found("KXEPLGAME"), None);
        assert_eq!(classify(&series("KXNFLGAME", "Politics"), &tokens), None);
    }
}
