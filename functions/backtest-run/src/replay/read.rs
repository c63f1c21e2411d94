//! The window's snapshots and game states, streamed from PostgreSQL with binary COPY and decoded
//! once (`crate::copy`), each in time order, in chunks over a channel. Only typed columns are
//! read (never `raw`). The COPY statements are built by PostgreSQL itself (`format` with `%L`),
//! so every value is quoted by the server: COPY takes no bind parameters.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use sqlx::PgPool;
use tokio::sync::mpsc;

use crate::copy::{CopyError, Decoder, Fields};
use crate::engine::TradePrint;
use crate::event::Sources;
use crate::game::{GameState, Phase, TeamSide};
use crate::strategy::{Quote, Snapshot};

/// Rows handed over at a time.
pub const CHUNK: usize = 8192;

/// `work_mem` for the transaction that streams a window: the server sorts the window by time, and
/// with PostgreSQL's default 4 MB a 1M-snapshot window spills to disk (an external merge, ~25%
/// slower than sorting it in memory). Local to that transaction; a sort larger than this still
/// spills, correctly.
const SORT_MEMORY: &str = "256MB";

/// A snapshot and whether it was backfilled.
pub type SnapshotRow = (Snapshot, bool);
/// A game (its index) and one of its states.
pub type StateRow = (u32, GameState);

/// The window, `[start, end)`; `None` is open.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// The COPY statement for the selected markets' snapshots, oldest first.
pub async fn snapshot_statement(
    pool: &PgPool,
    tickers: &[String],
    window: Window,
    sources: Sources,
) -> sqlx::Result<String> {
    // language=PostgreSQL
    sqlx::query_scalar!(
        r#"select format($q$copy (
                select s.ticker, s.observed_at, s.id,
                       coalesce(s.status in ('active', 'open'), false),
                       s.yes_bid, s.yes_ask, s.no_bid, s.no_ask, s.yes_bid_size, s.yes_ask_size,
                       s.source = 'backfill'
                  from market_snapshots s
                 where s.ticker = any(%L::text[])
                   and s.observed_at >= coalesce(%L::timestamptz, '-infinity')
                   and s.observed_at < coalesce(%L::timestamptz, 'infinity')
                   and (s.source = 'backfill') = any(%L::boolean[])
                 order by s.observed_at, s.ticker, s.source
              ) to stdout (format binary)$q$,
              $1::text[], $2::timestamptz, $3::timestamptz, $4::boolean[]) as "statement!""#,
        tickers,
        window.start,
        window.end,
        &sources.backfill_flags()
    )
    .fetch_one(pool)
    .await
}

/// The COPY statement for the games' states in the window, oldest first (a game's index is its
/// position in `games`).
pub async fn state_statement(
    pool: &PgPool,
    games: &[String],
    window: Window,
    sources: Sources,
) -> sqlx::Result<String> {
    // language=PostgreSQL
    sqlx::query_scalar!(
        r#"select format($q$copy (
                select (g.i - 1)::int4, s.observed_at, s.status_state, s.period, s.clock_seconds,
                       s.display_clock, s.home_score, s.away_score,
                       case when s.possession_team_id = gm.home_team_id then 'home'
                            when s.possession_team_id = gm.away_team_id then 'away' end,
                       s.down, s.distance, s.home_win_probability, s.away_win_probability,
                       s.source = 'backfill'
                  from unnest(%L::text[]) with ordinality g (espn_event_id, i)
                  join game_states s on s.espn_event_id = g.espn_event_id
                  left join games gm on gm.espn_event_id = g.espn_event_id
                 where s.observed_at >= coalesce(%L::timestamptz, '-infinity')
                   and s.observed_at < coalesce(%L::timestamptz, 'infinity')
                   and (s.source = 'backfill') = any(%L::boolean[])
                 order by s.observed_at, g.i
              ) to stdout (format binary)$q$,
              $1::text[], $2::timestamptz, $3::timestamptz, $4::boolean[]) as "statement!""#,
        games,
        window.start,
        window.end,
        &sources.backfill_flags()
    )
    .fetch_one(pool)
    .await
}

/// The COPY statement for the trades Kalshi printed in the selected markets, oldest first
/// (`kalshi_trades`, filled by backfill-kalshi): fill evidence for resting limit orders.
pub async fn trade_statement(
    pool: &PgPool,
    tickers: &[String],
    window: Window,
) -> sqlx::Result<String> {
    // language=PostgreSQL
    sqlx::query_scalar!(
        r#"select format($q$copy (
                select t.ticker, t.created_time, t.yes_price, t.no_price, t.count
                  from kalshi_trades t
                 where t.ticker = any(%L::text[])
                   and t.created_time >= coalesce(%L::timestamptz, '-infinity')
                   and t.created_time < coalesce(%L::timestamptz, 'infinity')
                 order by t.created_time, t.ticker, t.trade_id
              ) to stdout (format binary)$q$,
              $1::text[], $2::timestamptz, $3::timestamptz) as "statement!""#,
        tickers,
        window.start,
        window.end
    )
    .fetch_one(pool)
    .await
}

/// Each game's latest state observed before `start`: the state it was in when the window opened.
pub async fn states_before(
    pool: &PgPool,
    games: &[String],
    start: DateTime<Utc>,
    sources: Sources,
) -> sqlx::Result<Vec<StateRow>> {
    // language=PostgreSQL
    let rows = sqlx::query!(
        r#"select (g.i - 1)::int4 as "game!", s.observed_at as "observed_at!",
                  s.status_state as "status_state?", s.period as "period?",
                  s.clock_seconds as "clock_seconds?", s.display_clock as "display_clock?",
                  s.home_score as "home_score?", s.away_score as "away_score?",
                  case when s.possession_team_id = gm.home_team_id then 'home'
                       when s.possession_team_id = gm.away_team_id then 'away' end as "possession?",
                  s.down as "down?", s.distance as "distance?",
                  s.home_win_probability as "home_win_probability?",
                  s.away_win_probability as "away_win_probability?",
                  s.source = 'backfill' as "backfilled!"
             from unnest($1::text[]) with ordinality g (espn_event_id, i)
             join lateral (
                   select gs.* from game_states gs
                    where gs.espn_event_id = g.espn_event_id
                      and gs.observed_at < $2
                      and (gs.source = 'backfill') = any($3::boolean[])
                    order by gs.observed_at desc
                    limit 1) s on true
             left join games gm on gm.espn_event_id = g.espn_event_id
            order by s.observed_at, g.i"#,
        games,
        start,
        &sources.backfill_flags()
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some((
                u32::try_from(r.game).ok()?,
                GameState {
                    observed_at: r.observed_at,
                    phase: Phase::parse(r.status_state.as_deref()),
                    period: r.period,
                    clock_seconds: r.clock_seconds,
                    display_clock: r.display_clock,
                    home_score: r.home_score,
                    away_score: r.away_score,
                    possession: team_side(r.possession.as_deref()),
                    down: r.down,
                    distance: r.distance,
                    home_win_probability: r.home_win_probability,
                    away_win_probability: r.away_win_probability,
                    backfilled: r.backfilled,
                },
            ))
        })
        .collect())
}

fn team_side(side: Option<&str>) -> Option<TeamSide> {
    match side {
        Some("home") => Some(TeamSide::Home),
        Some("away") => Some(TeamSide::Away),
        _ => None,
    }
}

/// Streams `statement`'s rows, decoded by `decode`, to `tx` in chunks. An error is sent on.
pub async fn stream<T: Send + 'static>(
    pool: PgPool,
    statement: String,
    tx: mpsc::Sender<anyhow::Result<Vec<T>>>,
    mut decode: impl FnMut(&mut Fields<'_>) -> Result<Option<T>, CopyError> + Send,
) {
    let result: anyhow::Result<()> = async {
        // Read-only: the transaction only scopes `work_mem`, and ends (rolled back) when dropped.
        let mut db = pool.begin().await?;
        // language=PostgreSQL
        sqlx::query_scalar!("select set_config('work_mem', $1, true)", SORT_MEMORY)
            .fetch_one(&mut *db)
            .await?;
        let mut bytes = db.copy_out_raw(&statement).await?;
        let mut decoder = Decoder::new();
        let mut chunk = Vec::with_capacity(CHUNK);
        while let Some(data) = bytes.try_next().await? {
            let mut full: Vec<Vec<T>> = Vec::new();
            decoder.feed::<CopyError>(&data, |fields| {
                if let Some(row) = decode(fields)? {
                    chunk.push(row);
                    if chunk.len() == CHUNK {
                        full.push(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)));
                    }
                }
                Ok(())
            })?;
            for rows in full {
                if tx.send(Ok(rows)).await.is_err() {
                    return Ok(());
                }
            }
        }
        if !decoder.finished() {
            anyhow::bail!("the COPY stream ended without its trailer");
        }
        if !chunk.is_empty() {
            let _ = tx.send(Ok(chunk)).await;
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        let _ = tx.send(Err(e)).await;
    }
}

/// One snapshot row of `snapshot_statement`; `None` for a ticker not selected.
pub fn snapshot_row(
    fields: &mut Fields<'_>,
    index: &rustc_hash::FxHashMap<String, u32>,
) -> Result<Option<SnapshotRow>, CopyError> {
    let ticker = Fields::required(fields.text()?, "ticker")?;
    let Some(&market) = index.get(ticker) else {
        return Ok(None);
    };
    let at = Fields::required(fields.timestamptz()?, "observed_at")?;
    let id = Fields::required(fields.i64()?, "id")?;
    let tradable = fields.bool()?.unwrap_or(false);
    let quote = Quote {
        yes_bid: fields.numeric()?,
        yes_ask: fields.numeric()?,
        no_bid: fields.numeric()?,
        no_ask: fields.numeric()?,
        yes_bid_size: fields.numeric()?,
        yes_ask_size: fields.numeric()?,
    };
    let backfilled = fields.bool()?.unwrap_or(false);
    Ok(Some((
        Snapshot {
            id,
            market,
            at,
            tradable,
            quote,
        },
        backfilled,
    )))
}

/// One row of `trade_statement` (its `quote` is attached by the merge); `None` for a ticker not
/// selected.
pub fn trade_row(
    fields: &mut Fields<'_>,
    index: &rustc_hash::FxHashMap<String, u32>,
) -> Result<Option<TradePrint>, CopyError> {
    let ticker = Fields::required(fields.text()?, "ticker")?;
    let Some(&market) = index.get(ticker) else {
        return Ok(None);
    };
    Ok(Some(TradePrint {
        market,
        at: Fields::required(fields.timestamptz()?, "created_time")?,
        yes_price: Fields::required(fields.numeric()?, "yes_price")?,
        no_price: Fields::required(fields.numeric()?, "no_price")?,
        count: Fields::required(fields.numeric()?, "count")?,
        quote: None,
    }))
}

/// One row of `state_statement`.
pub fn state_row(fields: &mut Fields<'_>) -> Result<Option<StateRow>, CopyError> {
    let game = Fields::required(fields.i32()?, "game")?;
    let game = u32::try_from(game).map_err(|_| CopyError(format!("game index {game}")))?;
    let observed_at = Fields::required(fields.timestamptz()?, "observed_at")?;
    let phase = Phase::parse(fields.text()?);
    let period = fields.i32()?;
    let clock_seconds = fields.numeric()?;
    let display_clock = fields.text()?.map(str::to_owned);
    let home_score = fields.i32()?;
    let away_score = fields.i32()?;
    let possession = team_side(fields.text()?);
    let down = fields.i32()?;
    let distance = fields.i32()?;
    let home_win_probability = fields.numeric()?;
    let away_win_probability = fields.numeric()?;
    let backfilled = fields.bool()?.unwrap_or(false);
    Ok(Some((
        game,
        GameState {
            observed_at,
            phase,
            period,
            clock_seconds,
            display_clock,
            home_score,
            away_score,
            possession,
            down,
            distance,
            home_win_probability,
            away_win_probability,
            backfilled,
        },
    )))
}
