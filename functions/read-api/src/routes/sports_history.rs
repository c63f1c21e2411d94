//! Sports history (load-history, issue 14): past games, their betting lines and Elo ratings,
//! each paged in date order and filtered by league and season.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::query::{Page, Params};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_history_games))
        .routes(routes!(list_history_odds))
        .routes(routes!(list_history_elo))
}

/// The leagues collect-espn follows (`precog::espn::LEAGUES`), for the OpenAPI document; a test
/// checks the two lists agree.
#[derive(ToSchema)]
pub enum LeagueParam {
    #[schema(rename = "football/nfl")]
    Nfl,
    #[schema(rename = "football/college-football")]
    CollegeFootball,
    #[schema(rename = "basketball/nba")]
    Nba,
    #[schema(rename = "basketball/wnba")]
    Wnba,
    #[schema(rename = "basketball/mens-college-basketball")]
    MensCollegeBasketball,
    #[schema(rename = "hockey/nhl")]
    Nhl,
    #[schema(rename = "baseball/mlb")]
    Mlb,
}

/// `historical_games.source`, for the OpenAPI document (the handler parses with `Params::choice`).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum HistoryGameSourceParam {
    Nflverse,
    EspnSchedule,
    Cbbd,
    Fivethirtyeight,
}

/// `historical_odds.market`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum OddsMarketParam {
    Moneyline,
    Spread,
    Total,
}

/// `historical_odds.phase`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum OddsPhaseParam {
    Open,
    Close,
    Unknown,
}

/// `historical_elo.source`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum EloSourceParam {
    Fivethirtyeight,
    Computed,
}

/// The leagues a `league` parameter may name: the ones collect-espn follows.
fn league(params: &Params) -> Result<Option<String>, crate::error::ApiError> {
    let leagues: Vec<&str> = precog::espn::LEAGUES
        .iter()
        .map(|(slug, _)| *slug)
        .collect();
    params.choice("league", &leagues)
}

fn season(params: &Params) -> Result<Option<i32>, crate::error::ApiError> {
    if params.text("season")?.is_none() {
        return Ok(None);
    }
    let n = params.int("season", 1869, 2100, 0)?;
    Ok(i32::try_from(n).ok())
}

/// A past game as one source published it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryGame {
    pub id: i64,
    /// ESPN `sport/league`.
    pub league: String,
    /// `nflverse`, `espn_schedule`, `cbbd` or `fivethirtyeight`.
    pub source: String,
    /// The source's own game id.
    pub source_game_id: String,
    pub season: i32,
    pub season_type: Option<String>,
    pub week: Option<i32>,
    pub playoff: bool,
    /// US-Eastern date.
    pub game_date: NaiveDate,
    /// 2 for a doubleheader's second game.
    pub game_number: i16,
    pub scheduled_start: Option<DateTime<Utc>>,
    pub neutral: Option<bool>,
    /// The team code as the source spells it.
    pub home_team_code: String,
    /// The franchise: ESPN team id; null when no alias maps the code.
    pub home_team_id: Option<String>,
    pub away_team_code: String,
    pub away_team_id: Option<String>,
    /// Null until played.
    pub home_score: Option<i32>,
    pub away_score: Option<i32>,
    pub espn_event_id: Option<String>,
    /// Whether `espn_event_id` is a game collect-espn stored (`/api/v1/games/{id}`).
    pub linked: bool,
}

/// Past games, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/history/games",
    tag = "sports history",
    params(
        ("league" = inline(Option<crate::routes::sports_history::LeagueParam>), Query, description = "ESPN `sport/league`: one of the leagues collect-espn follows"),
        ("season" = Option<i32>, Query, description = "Season (the year it starts)", minimum = 1869, maximum = 2100),
        ("source" = inline(Option<crate::routes::sports_history::HistoryGameSourceParam>), Query, description = "Only games from this source"),
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 1, maximum = 1000),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "A page of past games", body = Page<HistoryGame>),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_history_games(
    State(state): State<AppState>,
    params: Params,
) -> ApiResult<Json<Page<HistoryGame>>> {
    params.only(&["league", "season", "source", "limit", "cursor"])?;
    let league = league(&params)?;
    let season = season(&params)?;
    let source = params.choice(
        "source",
        &["nflverse", "espn_schedule", "cbbd", "fivethirtyeight"],
    )?;
    let limit = params.limit(100, 1000)?;
    let after: Option<(NaiveDate, i64)> = params.cursor("history_games")?;
    let (after_date, after_id) = after.unzip();
    // language=PostgreSQL
    let rows = sqlx::query_as!(
        HistoryGame,
        r#"select h.id, h.league, h.source, h.source_game_id, h.season, h.season_type, h.week,
                  h.playoff, h.game_date, h.game_number, h.scheduled_start, h.neutral,
                  h.home_team_code, h.home_team_id, h.away_team_code, h.away_team_id,
                  h.home_score, h.away_score, h.espn_event_id,
                  exists (select 1 from games g where g.espn_event_id = h.espn_event_id) as "linked!"
             from historical_games h
            where ($1::text is null or h.league = $1)
              and ($2::int is null or h.season = $2)
              and ($3::text is null or h.source = $3)
              and ($4::date is null or (h.game_date, h.id) > ($4, $5::bigint))
            order by h.game_date, h.id
            limit $6"#,
        league,
        season,
        source,
        after_date,
        after_id,
        limit + 1
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page::from_rows("history_games", rows, limit, |g| {
        (g.game_date, g.id)
    })))
}

/// One betting line of a past game.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryOdds {
    pub id: i64,
    pub historical_game_id: i64,
    pub league: String,
    pub season: i32,
    pub game_date: NaiveDate,
    pub espn_event_id: Option<String>,
    /// The bookmaker; `unknown` when the source gave none, `nflverse` for nflverse's lines.
    pub provider: String,
    /// `moneyline`, `spread` or `total`.
    pub market: String,
    /// `home`, `away`, `over` or `under`.
    pub side: String,
    /// `open`, `close` or `unknown`.
    pub phase: String,
    /// Spread: the side's points, negative when that side is favoured (the home row is the
    /// home team's line). Total: the total. Null for moneylines.
    pub line: Option<Decimal>,
    /// American odds.
    pub price: Option<Decimal>,
    /// The spread's sign disagrees with the same row's moneylines.
    pub flagged: bool,
    pub flag_reason: Option<String>,
}

/// Betting lines of past games, oldest game first.
#[utoipa::path(
    get,
    path = "/api/v1/history/odds",
    tag = "sports history",
    params(
        ("league" = inline(Option<crate::routes::sports_history::LeagueParam>), Query, description = "ESPN `sport/league`: one of the leagues collect-espn follows"),
        ("season" = Option<i32>, Query, description = "Season (the year it starts)", minimum = 1869, maximum = 2100),
        ("market" = inline(Option<crate::routes::sports_history::OddsMarketParam>), Query, description = "`moneyline`, `spread` or `total`"),
        ("phase" = inline(Option<crate::routes::sports_history::OddsPhaseParam>), Query, description = "`open`, `close` or `unknown`"),
        ("flagged" = Option<bool>, Query, description = "Only lines flagged (true) or not (false)"),
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 1, maximum = 1000),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "A page of lines", body = Page<HistoryOdds>),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_history_odds(
    State(state): State<AppState>,
    params: Params,
) -> ApiResult<Json<Page<HistoryOdds>>> {
    params.only(&[
        "league", "season", "market", "phase", "flagged", "limit", "cursor",
    ])?;
    let league = league(&params)?;
    let season = season(&params)?;
    let market = params.choice("market", &["moneyline", "spread", "total"])?;
    let phase = params.choice("phase", &["open", "close", "unknown"])?;
    let flagged = params
        .choice("flagged", &["true", "false"])?
        .map(|v| v == "true");
    let limit = params.limit(100, 1000)?;
    let after: Option<(NaiveDate, i64)> = params.cursor("history_odds")?;
    let (after_date, after_id) = after.unzip();
    // language=PostgreSQL
    let rows = sqlx::query_as!(
        HistoryOdds,
        r#"select o.id, o.historical_game_id, h.league, h.season, h.game_date, h.espn_event_id,
                  o.provider, o.market, o.side, o.phase, o.line, o.price, o.flagged,
                  o.flag_reason
             from historical_odds o
             join historical_games h on h.id = o.historical_game_id
            where ($1::text is null or h.league = $1)
              and ($2::int is null or h.season = $2)
              and ($3::text is null or o.market = $3)
              and ($4::text is null or o.phase = $4)
              and ($5::bool is null or o.flagged = $5)
              and ($6::date is null or (h.game_date, o.id) > ($6, $7::bigint))
            order by h.game_date, o.id
            limit $8"#,
        league,
        season,
        market,
        phase,
        flagged,
        after_date,
        after_id,
        limit + 1
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page::from_rows("history_odds", rows, limit, |o| {
        (o.game_date, o.id)
    })))
}

/// One team's Elo around one game.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryElo {
    pub id: i64,
    pub league: String,
    /// `fivethirtyeight` (published) or `computed` (ours, with `params`).
    pub source: String,
    pub season: i32,
    pub game_date: NaiveDate,
    pub game_number: i16,
    /// The franchise: ESPN team id, or the source's code when unmapped.
    pub team_key: String,
    pub team_code: String,
    pub opponent_key: String,
    /// Null at a neutral site.
    pub is_home: Option<bool>,
    pub elo_pre: Decimal,
    /// Null for a game not yet played.
    pub elo_post: Option<Decimal>,
    pub win_probability: Option<Decimal>,
    pub historical_game_id: Option<i64>,
    /// The parameters of a computed rating.
    #[schema(value_type = Option<Object>)]
    pub params: Option<serde_json::Value>,
}

/// Elo ratings, oldest game first.
#[utoipa::path(
    get,
    path = "/api/v1/history/elo",
    tag = "sports history",
    params(
        ("league" = inline(Option<crate::routes::sports_history::LeagueParam>), Query, description = "ESPN `sport/league`: one of the leagues collect-espn follows"),
        ("season" = Option<i32>, Query, description = "Season (the year it starts)", minimum = 1869, maximum = 2100),
        ("source" = inline(Option<crate::routes::sports_history::EloSourceParam>), Query, description = "`fivethirtyeight` or `computed`"),
        ("team" = Option<String>, Query, description = "Team key (ESPN team id) or code", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$"),
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 1, maximum = 1000),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "A page of ratings", body = Page<HistoryElo>),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_history_elo(
    State(state): State<AppState>,
    params: Params,
) -> ApiResult<Json<Page<HistoryElo>>> {
    params.only(&["league", "season", "source", "team", "limit", "cursor"])?;
    let league = league(&params)?;
    let season = season(&params)?;
    let source = params.choice("source", &["fivethirtyeight", "computed"])?;
    let team = params.identifier("team")?;
    let limit = params.limit(100, 1000)?;
    let after: Option<(NaiveDate, i64)> = params.cursor("history_elo")?;
    let (after_date, after_id) = after.unzip();
    // language=PostgreSQL
    let rows = sqlx::query_as!(
        HistoryElo,
        r#"select id, league, source, season, game_date, game_number, team_key, team_code,
                  opponent_key, is_home, elo_pre, elo_post, win_probability, historical_game_id,
                  params
             from historical_elo
            where ($1::text is null or league = $1)
              and ($2::int is null or season = $2)
              and ($3::text is null or source = $3)
              and ($4::text is null or team_key = $4 or team_code = $4)
              and ($5::date is null or (game_date, id) > ($5, $6::bigint))
            order by game_date, id
            limit $7"#,
        league,
        season,
        source,
        team,
        after_date,
        after_id,
        limit + 1
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page::from_rows("history_elo", rows, limit, |e| {
        (e.game_date, e.id)
    })))
}

#[cfg(test)]
mod tests {
    /// The league enum the document declares is the list the handlers accept.
    #[test]
    fn the_documented_leagues_are_the_accepted_ones() {
        let doc = serde_json::to_value(crate::app::openapi()).expect("json");
        let params = doc["paths"]["/api/v1/history/games"]["get"]["parameters"]
            .as_array()
            .expect("parameters");
        let league = params
            .iter()
            .find(|p| p["name"] == "league")
            .expect("league");
        let mut documented: Vec<String> = serde_json::to_string(&league["schema"])
            .expect("schema")
            .split('"')
            .filter(|s| s.contains('/'))
            .map(str::to_owned)
            .collect();
        documented.sort();
        let mut accepted: Vec<String> = precog::espn::LEAGUES
            .iter()
            .map(|(slug, _)| (*slug).to_owned())
            .collect();
        accepted.sort();
        assert_eq!(documented, accepted);
    }
}
