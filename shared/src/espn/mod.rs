//! ESPN's public (unofficial) site API: one scoreboard per league per pass, and a live game's
//! summary for its win-probability series where the scoreboard has none. docs/espn-api.md explains the sharp edges
//! handled here: a User-Agent filter, 403 as throttling, US-Eastern `dates`, silent truncation.

mod parse;
pub mod wire;

use std::ops::Bound;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

pub use parse::{
    parse_event, parse_scoreboard, parse_time, summary_win_probability, Parsed, Rejection,
};

use crate::config::{ConfigError, Env};
use crate::domain::WinProbability;
use crate::http::{get_bytes, FetchError, RetryPolicy, TokenBucket};

/// The leagues collected, as ESPN's `sport/league` path slugs, with the `groups` filter college
/// leagues need (without it ESPN returns only its featured subset).
pub const LEAGUES: &[(&str, Option<&str>)] = &[
    ("football/nfl", None),
    ("football/college-football", Some("80")), // FBS
    ("basketball/nba", None),
    ("basketball/wnba", None),
    ("basketball/mens-college-basketball", Some("50")), // Division I
    ("hockey/nhl", None),
    ("baseball/mlb", None),
];

/// The leagues whose live win probability is not on the scoreboard but in the game summary
/// (`…/summary?event=ID`, the last point of `winprobability`), with the default cadence in
/// seconds at which collect-espn reads one live game's summary. Football carries it on the
/// scoreboard and is not here. The defaults fit a busy night (15 NBA + 15 NHL games live, every
/// scoreboard each 10 s) inside the default 1.5 requests/s with a fifth to spare; the README
/// gives the arithmetic. Fast-scoring leagues are read more often.
pub const SUMMARY_SECONDS: &[(&str, u64)] = &[
    ("basketball/nba", 60),
    ("basketball/wnba", 60),
    ("basketball/mens-college-basketball", 180),
    ("hockey/nhl", 120),
    ("baseball/mlb", 120),
];

/// The default summary cadence of `league`, if its win probability lives in the summary.
pub fn default_summary_seconds(league: &str) -> Option<u64> {
    SUMMARY_SECONDS
        .iter()
        .find(|(slug, _)| *slug == league)
        .map(|(_, seconds)| *seconds)
}

/// Whether `slug` is one of [`LEAGUES`].
pub fn is_league(slug: &str) -> bool {
    LEAGUES.iter().any(|(s, _)| *s == slug)
}

fn groups(slug: &str) -> Option<&'static str> {
    LEAGUES
        .iter()
        .find(|(s, _)| *s == slug)
        .and_then(|(_, g)| *g)
}

/// The User-Agent sent when `ESPN_USER_AGENT` is unset: ESPN's filter (since 2026-08) lets through
/// UAs that begin with a known HTTP-library token and refuses browser strings, bare custom tokens
/// and an empty UA (§4).
pub const DEFAULT_USER_AGENT: &str = concat!("curl/8.7.1 precog/", env!("CARGO_PKG_VERSION"));

/// Page size for the scoreboard: ESPN honours 100–500 and silently returns 25 events at ≥ 600.
pub const DEFAULT_SCOREBOARD_LIMIT: u32 = 300;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{what}: the response did not parse: {source}")]
    Decode {
        what: String,
        #[source]
        source: serde_json::Error,
    },
}

/// How to reach ESPN and how politely.
#[derive(Debug, Clone)]
pub struct EspnSettings {
    /// Scheme and host that `/apis/site/v2/sports/…` hangs from.
    pub api_base: String,
    pub user_agent: String,
    pub timeout: Duration,
    pub requests_per_second: f64,
    pub scoreboard_limit: u32,
    pub retry: RetryPolicy,
}

impl EspnSettings {
    /// `ESPN_API_BASE`, `ESPN_USER_AGENT`, `ESPN_REQUESTS_PER_SECOND` (default 1.5: one project
    /// found a 700 ms floor between requests kept Akamai quiet), `ESPN_TIMEOUT_SECONDS`,
    /// `ESPN_MAX_ATTEMPTS`, `ESPN_SCOREBOARD_LIMIT`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let api_base = env.http_url("ESPN_API_BASE", "https://site.api.espn.com")?;
        let user_agent = env
            .get("ESPN_USER_AGENT")
            .unwrap_or_else(|| DEFAULT_USER_AGENT.to_owned());
        if user_agent.starts_with("Mozilla/") {
            return Err(ConfigError::new(
                "ESPN_USER_AGENT",
                "browser User-Agents are refused by ESPN (403); start it with an HTTP-library token such as `curl/8.7.1 yourapp`",
            ));
        }
        let positive = |max: f64| (Bound::Excluded(0.0), Bound::Included(max));
        let requests_per_second =
            env.parse_within("ESPN_REQUESTS_PER_SECOND", 1.5, positive(100.0))?;
        let timeout_seconds = env.parse_within("ESPN_TIMEOUT_SECONDS", 10.0, positive(60.0))?;
        let max_attempts = env.parse_within("ESPN_MAX_ATTEMPTS", 4u32, 1..=10)?;
        let scoreboard_limit: u32 =
            env.parse_or("ESPN_SCOREBOARD_LIMIT", DEFAULT_SCOREBOARD_LIMIT)?;
        if !(100..=500).contains(&scoreboard_limit) {
            return Err(ConfigError::new(
                "ESPN_SCOREBOARD_LIMIT",
                "must be between 100 and 500 (ESPN returns only 25 events at 600 and above)",
            ));
        }
        Ok(Self {
            api_base,
            user_agent,
            timeout: Duration::from_secs_f64(timeout_seconds),
            requests_per_second,
            scoreboard_limit,
            // Akamai's 403s clear within seconds: back off from 1 s up to 8 s.
            retry: RetryPolicy {
                max_attempts,
                base_delay: Duration::from_secs(1),
                max_delay: Duration::from_secs(8),
            },
        })
    }

    pub fn client(&self) -> Result<EspnClient, reqwest::Error> {
        EspnClient::new(self)
    }
}

/// ESPN answers throttling with a bare 403 (no Retry-After), so 403 is retried like 429 and 5xx.
pub fn retryable_status(status: reqwest::StatusCode) -> bool {
    status == reqwest::StatusCode::FORBIDDEN
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

/// One league's scoreboard for one US-Eastern day.
#[derive(Debug)]
pub struct Scoreboard {
    pub league: String,
    pub date: NaiveDate,
    pub parsed: Parsed,
    /// When the response arrived: the games' observation time.
    pub observed_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct EspnClient {
    http: reqwest::Client,
    base: String,
    bucket: TokenBucket,
    retry: RetryPolicy,
    limit: u32,
    requests_per_second: f64,
}

impl EspnClient {
    pub fn new(settings: &EspnSettings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .user_agent(settings.user_agent.clone())
            .build()?;
        Ok(Self {
            http,
            base: settings.api_base.clone(),
            bucket: TokenBucket::new(settings.requests_per_second, 1),
            retry: settings.retry.clone(),
            limit: settings.scoreboard_limit,
            requests_per_second: settings.requests_per_second,
        })
    }

    /// The token bucket's rate: the budget a collector plans its requests against.
    pub fn requests_per_second(&self) -> f64 {
        self.requests_per_second
    }

    /// `GET /apis/site/v2/sports/{league}/scoreboard?dates=YYYYMMDD&limit=N[&groups=G]`: always an
    /// explicit day (ESPN's default day jumps around season rollovers) and an explicit limit.
    #[tracing::instrument(name = "espn.scoreboard", skip(self), fields(date = %date))]
    pub async fn scoreboard(&self, league: &str, date: NaiveDate) -> Result<Scoreboard, Error> {
        let url = format!("{}/apis/site/v2/sports/{league}/scoreboard", self.base);
        let mut query = vec![
            ("dates", date.format("%Y%m%d").to_string()),
            ("limit", self.limit.to_string()),
        ];
        if let Some(groups) = groups(league) {
            query.push(("groups", groups.to_owned()));
        }
        let body = get_bytes(
            || self.http.get(&url).query(&query),
            &self.bucket,
            &self.retry,
            retryable_status,
        )
        .await?;
        let observed_at = Utc::now();
        let board: wire::Scoreboard =
            serde_json::from_slice(&body).map_err(|source| Error::Decode {
                what: format!("{league} scoreboard {date}"),
                source,
            })?;
        let parsed = parse_scoreboard(league, board);
        if parsed.events_seen == 25 || parsed.events_seen == self.limit as usize {
            // ESPN truncates silently (limit ≥ 600 → 25 events); a full page may be a cut one.
            tracing::warn!(league, %date, events = parsed.events_seen, "scoreboard may be truncated");
        }
        Ok(Scoreboard {
            league: league.to_owned(),
            date,
            parsed,
            observed_at,
        })
    }

    /// The last point of a game's summary win-probability series (`…/summary?event=ID`).
    #[tracing::instrument(name = "espn.summary", skip(self))]
    pub async fn summary_win_probability(
        &self,
        league: &str,
        event_id: &str,
    ) -> Result<Option<WinProbability>, Error> {
        let url = format!("{}/apis/site/v2/sports/{league}/summary", self.base);
        let body = get_bytes(
            || self.http.get(&url).query(&[("event", event_id)]),
            &self.bucket,
            &self.retry,
            retryable_status,
        )
        .await?;
        let summary: wire::Summary =
            serde_json::from_slice(&body).map_err(|source| Error::Decode {
                what: format!("{league} summary {event_id}"),
                source,
            })?;
        Ok(summary_win_probability(&summary))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_user_agent_is_refused_naming_the_variable() {
        let env = Env::from_pairs([("ESPN_USER_AGENT", "Mozilla/5.0 (X11) Chrome/120")]);
        let err = EspnSettings::from_env(&env).expect_err("refused");
        assert_eq!(err.var, "ESPN_USER_AGENT");
    }

    #[test]
    fn limits_espn_truncates_are_refused() {
        let env = Env::from_pairs([("ESPN_SCOREBOARD_LIMIT", "1000")]);
        assert_eq!(
            EspnSettings::from_env(&env).expect_err("refused").var,
            "ESPN_SCOREBOARD_LIMIT"
        );
    }

    #[test]
    fn defaults_point_at_espn_with_a_library_first_user_agent() {
        let settings = EspnSettings::from_env(&Env::from_pairs([])).expect("defaults");
        assert_eq!(settings.api_base, "https://site.api.espn.com");
        assert!(settings.user_agent.starts_with("curl/"));
        assert_eq!(settings.scoreboard_limit, 300);
    }

    #[test]
    fn summary_leagues_are_followed_leagues_and_football_is_not_one() {
        for (league, seconds) in SUMMARY_SECONDS {
            assert!(is_league(league), "{league}");
            assert!(*seconds > 0);
        }
        assert_eq!(default_summary_seconds("basketball/nba"), Some(60));
        assert_eq!(default_summary_seconds("football/nfl"), None);
        assert_eq!(default_summary_seconds("football/college-football"), None);
    }

    #[test]
    fn forbidden_is_throttling_but_not_found_is_not() {
        assert!(retryable_status(reqwest::StatusCode::FORBIDDEN));
        assert!(retryable_status(reqwest::StatusCode::SERVICE_UNAVAILABLE));
        assert!(!retryable_status(reqwest::StatusCode::NOT_FOUND));
        assert!(!retryable_status(reqwest::StatusCode::BAD_REQUEST));
    }
}
