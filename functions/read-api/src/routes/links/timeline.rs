//! A game's timeline: every state with the home and away markets' quotes as of it, from the SQL
//! function `game_timeline` (migration `20261201000110_asof.sql`).

use sqlx::FromRow;

use super::*;

/// A linked market's YES quote as of a state (null prices: no snapshot within the max age).
#[derive(Debug, Serialize, ToSchema)]
pub struct AsOfQuote {
    pub ticker: String,
    /// When the quote used was observed (at or before the state, never after).
    pub observed_at: Option<DateTime<Utc>>,
    pub yes_bid: Option<Decimal>,
    pub yes_ask: Option<Decimal>,
}

/// One state of the game with the markets as of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineRow {
    pub observed_at: DateTime<Utc>,
    /// With `interval`: the start of the bucket this state (its last) stands for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<DateTime<Utc>>,
    /// `pre`, `in` or `post`.
    pub status_state: Option<String>,
    pub status_detail: Option<String>,
    pub period: Option<i32>,
    pub clock_seconds: Option<Decimal>,
    pub display_clock: Option<String>,
    pub home_score: Option<i32>,
    pub away_score: Option<i32>,
    pub possession_team_id: Option<String>,
    pub down: Option<i32>,
    pub distance: Option<i32>,
    pub yard_line: Option<i32>,
    /// ESPN's home win probability as observed then.
    pub home_win_probability: Option<Decimal>,
    /// The home team's moneyline market (YES = home wins); absent when none was knowable.
    pub home: Option<AsOfQuote>,
    /// The away team's moneyline market (YES = away wins).
    pub away: Option<AsOfQuote>,
    /// home mid / (home mid + away mid) of the YES mids, or the one mid there is (home), or
    /// 1 − away mid; 6 decimals.
    pub implied_home_probability: Option<Decimal>,
}

/// A row of `game_timeline(…)`.
#[derive(FromRow)]
struct TimelineRecord {
    bucket: Option<DateTime<Utc>>,
    observed_at: Option<DateTime<Utc>>,
    status_state: Option<String>,
    status_detail: Option<String>,
    period: Option<i32>,
    clock_seconds: Option<Decimal>,
    display_clock: Option<String>,
    home_score: Option<i32>,
    away_score: Option<i32>,
    possession_team_id: Option<String>,
    down: Option<i32>,
    distance: Option<i32>,
    yard_line: Option<i32>,
    home_win_probability: Option<Decimal>,
    home_ticker: Option<String>,
    home_quote_at: Option<DateTime<Utc>>,
    home_yes_bid: Option<Decimal>,
    home_yes_ask: Option<Decimal>,
    away_ticker: Option<String>,
    away_quote_at: Option<DateTime<Utc>>,
    away_yes_bid: Option<Decimal>,
    away_yes_ask: Option<Decimal>,
    implied_home_probability: Option<Decimal>,
}

impl TimelineRecord {
    fn into_row(self, downsampled: bool) -> Option<TimelineRow> {
        let quote = |ticker: Option<String>, at, bid, ask| {
            ticker.map(|ticker| AsOfQuote {
                ticker,
                observed_at: at,
                yes_bid: bid,
                yes_ask: ask,
            })
        };
        Some(TimelineRow {
            observed_at: self.observed_at?,
            bucket: if downsampled { self.bucket } else { None },
            status_state: self.status_state,
            status_detail: self.status_detail,
            period: self.period,
            clock_seconds: self.clock_seconds,
            display_clock: self.display_clock,
            home_score: self.home_score,
            away_score: self.away_score,
            possession_team_id: self.possession_team_id,
            down: self.down,
            distance: self.distance,
            yard_line: self.yard_line,
            home_win_probability: self.home_win_probability,
            home: quote(
                self.home_ticker,
                self.home_quote_at,
                self.home_yes_bid,
                self.home_yes_ask,
            ),
            away: quote(
                self.away_ticker,
                self.away_quote_at,
                self.away_yes_bid,
                self.away_yes_ask,
            ),
            implied_home_probability: self.implied_home_probability,
        })
    }
}

/// A game's timeline over a window.
#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    pub espn_event_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<DateTime<Utc>>,
    /// The downsampling bucket in seconds, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_seconds: Option<i64>,
    /// A quote older than this many seconds at a state is not used (null).
    pub max_quote_age_seconds: i64,
    pub items: Vec<TimelineRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// One game's states in `[start, end)`, oldest first, each with the home and away moneyline
/// markets' YES bid/ask as of that state (the latest snapshot at or before it; never a later
/// one) and the market-implied home probability; with `interval`, the last state of each bucket.
#[utoipa::path(
    get,
    path = "/api/v1/games/{espn_event_id}/timeline",
    tag = "links",
    params(
        ("espn_event_id" = String, Path, description = "ESPN event id", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$"),
        ("start" = Option<String>, Query, description = "RFC 3339, inclusive (default: the first state)", format = DateTime),
        ("end" = Option<String>, Query, description = "RFC 3339, exclusive (default: after the last state)", format = DateTime),
        ("interval" = Option<i64>, Query, description = "Downsample to one state (the last) per this many seconds", minimum = 1, maximum = 2592000),
        ("max_quote_age" = Option<i64>, Query, description = "Seconds; an older quote is not used (default 3900)", minimum = 1, maximum = 604800),
        ("limit" = Option<i64>, Query, description = "Page size (default 1000)", minimum = 1, maximum = 5000),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "States with the markets as of each, oldest first", body = Timeline),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 404, description = "No such game", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(espn_event_id = %espn_event_id))]
pub async fn game_timeline(
    State(state): State<AppState>,
    Path(espn_event_id): Path<String>,
    params: Params,
) -> ApiResult<Json<Timeline>> {
    params.only(&[
        "start",
        "end",
        "interval",
        "max_quote_age",
        "limit",
        "cursor",
    ])?;
    let id = identifier("espn_event_id", &espn_event_id)?;
    // A `start` at or after `end` is an empty window, not an error, as for market history: the
    // OpenAPI document cannot state a relation between two parameters.
    let start = params.time("start")?;
    let end = params.time("end")?;
    let interval = match params.text("interval")? {
        Some(_) => Some(params.int("interval", 1, 2_592_000, 1)?),
        None => None,
    };
    let max_age = params.int("max_quote_age", 1, 604_800, DEFAULT_MAX_QUOTE_AGE)?;
    let limit = params.limit(1000, MAX_TIMELINE)?;
    // The cursor is the last row's bucket (its state's time without `interval`): the next page
    // starts just after it, or at the following bucket.
    let after: Option<DateTime<Utc>> = params.cursor("timeline")?;
    let from = match (after, interval) {
        (None, _) => start,
        (Some(t), None) => Some(
            t.checked_add_signed(Duration::microseconds(1))
                .ok_or_else(|| ApiError::bad("cursor", "not a cursor this endpoint issued"))?,
        ),
        (Some(t), Some(secs)) => Some(
            t.checked_add_signed(Duration::seconds(secs))
                .ok_or_else(|| ApiError::bad("cursor", "not a cursor this endpoint issued"))?,
        ),
    };
    game_exists(&state, &id).await?;
    // language=PostgreSQL
    // Runtime SQL: the columns come from a set-returning SQL function, whose nullability the
    // macros cannot know; TimelineRecord reads every column as optional.
    let records: Vec<TimelineRecord> = sqlx::query_as(
        r#"select bucket, observed_at, status_state, status_detail, period, clock_seconds,
                  display_clock, home_score, away_score, possession_team_id, down, distance,
                  yard_line, home_win_probability, home_ticker, home_quote_at, home_yes_bid,
                  home_yes_ask, away_ticker, away_quote_at, away_yes_bid, away_yes_ask,
                  implied_home_probability
             from game_timeline($1, coalesce($2, '-infinity'::timestamptz),
                                coalesce($3, 'infinity'::timestamptz),
                                make_interval(secs => $4::float8),
                                make_interval(secs => $5::float8), $6)"#,
    )
    .bind(&id)
    .bind(from)
    .bind(end)
    .bind(interval.map(|s| s as f64))
    .bind(max_age as f64)
    .bind(limit + 1)
    .fetch_all(&state.pool)
    .await?;
    let rows = records
        .into_iter()
        .filter_map(|r| r.into_row(interval.is_some()))
        .collect();
    let page = Page::from_rows("timeline", rows, limit, |r: &TimelineRow| {
        r.bucket.unwrap_or(r.observed_at)
    });
    Ok(Json(Timeline {
        espn_event_id: id,
        start,
        end,
        interval_seconds: interval,
        max_quote_age_seconds: max_age,
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
