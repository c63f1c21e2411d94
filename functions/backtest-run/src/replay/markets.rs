//! The selected markets: one row each from the catalog (`markets`, `events`, `series`) with its fee
//! terms and, when the linker matched or verified it, its game link. Only typed columns are read.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

use crate::engine::MarketMeta;
use crate::fees::FeeSchedule;
use crate::game::GameLink;

/// Which markets, as the event named them.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub series: Vec<String>,
    pub events: Vec<String>,
    pub tickers: Vec<String>,
}

/// One selected market's facts and fee terms, as `load_markets` reads them.
struct MarketRow {
    ticker: String,
    result: Option<String>,
    determined_at: Option<DateTime<Utc>>,
    settlement_ts: Option<DateTime<Utc>>,
    settlement_value: Option<Decimal>,
    notional_value: Option<Decimal>,
    fee_type: Option<String>,
    fee_multiplier: Option<Decimal>,
    fee_type_override: Option<String>,
    fee_multiplier_override: Option<Decimal>,
    espn_event_id: Option<String>,
    link_kind: Option<String>,
    yes_side: Option<String>,
    line: Option<Decimal>,
    knowable_at: Option<DateTime<Utc>>,
}

/// The selected markets, sorted by ticker (their index is their position here), each with its
/// game link when the linker matched (or verified) it; games are numbered in order of their ESPN
/// id. Only typed catalog columns are read.
pub async fn load_markets(pool: &PgPool, selection: &Selection) -> sqlx::Result<Vec<MarketMeta>> {
    // language=PostgreSQL
    let rows = sqlx::query_as!(
        MarketRow,
        r#"select m.ticker, nullif(m.result, '') as result, m.determined_at, m.settlement_ts,
                  m.settlement_value, m.notional_value,
                  s.fee_type as "fee_type?", s.fee_multiplier as "fee_multiplier?",
                  e.fee_type_override as "fee_type_override?",
                  e.fee_multiplier_override as "fee_multiplier_override?",
                  l.espn_event_id as "espn_event_id?", l.kind as "link_kind?",
                  l.yes_side as "yes_side?", l.line as "line?", l.knowable_at as "knowable_at?"
             from markets m
             left join events e on e.event_ticker = m.event_ticker
             left join series s on s.ticker = coalesce(m.series_ticker, e.series_ticker)
             left join game_links l
               on l.ticker = m.ticker and l.status in ('matched', 'verified')
              and l.espn_event_id is not null
            where coalesce(m.series_ticker, e.series_ticker) = any($1)
               or m.event_ticker = any($2)
               or m.ticker = any($3)
            order by m.ticker"#,
        &selection.series,
        &selection.events,
        &selection.tickers
    )
    .fetch_all(pool)
    .await?;
    let mut games: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.espn_event_id.as_deref())
        .collect();
    games.sort_unstable();
    games.dedup();
    let games: Vec<String> = games.into_iter().map(str::to_owned).collect();
    Ok(rows
        .into_iter()
        .map(|row| market_meta(row, &games))
        .collect())
}

/// The link of a row, when complete and spelt as the schema allows.
fn game_link(row: &MarketRow, games: &[String]) -> Option<GameLink> {
    let espn_event_id = row.espn_event_id.clone()?;
    let game = u32::try_from(games.binary_search(&espn_event_id).ok()?).ok()?;
    Some(GameLink {
        game,
        kind: row.link_kind.as_deref()?.parse().ok()?,
        yes_side: row.yes_side.as_deref().and_then(|s| s.parse().ok()),
        line: row.line,
        knowable_at: row.knowable_at?,
        espn_event_id,
    })
}

/// The games of `markets` (index = `GameLink::game`) and, per game, its markets.
pub fn games(markets: &[MarketMeta]) -> (Vec<String>, Vec<Vec<u32>>) {
    let mut ids: Vec<String> = Vec::new();
    let mut members: Vec<Vec<u32>> = Vec::new();
    for (i, meta) in markets.iter().enumerate() {
        let (Some(link), Ok(market)) = (&meta.game, u32::try_from(i)) else {
            continue;
        };
        let g = link.game as usize;
        if ids.len() <= g {
            ids.resize(g + 1, String::new());
            members.resize(g + 1, Vec::new());
        }
        ids[g].clone_from(&link.espn_event_id);
        members[g].push(market);
    }
    (ids, members)
}

fn market_meta(row: MarketRow, games: &[String]) -> MarketMeta {
    let game = game_link(&row, games);
    let MarketRow {
        ticker,
        result,
        determined_at,
        settlement_ts,
        settlement_value,
        notional_value,
        fee_type,
        fee_multiplier,
        fee_type_override,
        fee_multiplier_override,
        ..
    } = row;
    let notional = notional_value.unwrap_or(Decimal::ONE);
    let yes_payout = match result.as_deref() {
        Some("yes") => Some(notional),
        Some("no") => Some(Decimal::ZERO),
        Some(_) => settlement_value,
        None => None,
    };
    // Results are known from the moment we saw them; positions are paid at settlement, but never
    // before we could have known the result (a late-seen result settles when seen).
    let determined_at = determined_at.or(settlement_ts);
    let settle_at = match (determined_at, settlement_ts) {
        (Some(d), Some(s)) => Some(d.max(s)),
        (d, _) => d,
    };
    MarketMeta {
        ticker,
        fees: FeeSchedule::resolve(
            fee_type,
            fee_multiplier,
            fee_type_override,
            fee_multiplier_override,
        ),
        result,
        determined_at,
        yes_payout: yes_payout.filter(|_| settle_at.is_some()),
        notional,
        settle_at,
        game,
    }
}
