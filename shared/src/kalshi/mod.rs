//! Kalshi's public REST market data (no authentication needed for any endpoint used here).
//! Every request goes through one token bucket and the shared retry policy.

/// Trades, candlesticks and archived markets from both tiers, and the cutoff between them.
pub mod history;
mod parse;
/// `GET /series` read in batches with bounded memory.
pub mod series_list;
/// Sports series and milestones, for the game linker.
pub mod sports;
pub mod wire;

use std::collections::HashSet;
use std::ops::Bound;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

pub use parse::{parse_event, parse_market, parse_series, Parsed, Rejection};
use wire::{EventsPage, MarketsPage, OneSeries, OrderbookEntry, OrderbooksPage, SeriesList};

use crate::config::{ConfigError, Env, KalshiMode};
use crate::http::{get_bytes, retry_429_and_5xx, FetchError, RetryPolicy, TokenBucket};

/// The most markets `GET /markets` returns per page.
pub const MARKETS_PAGE_LIMIT: u32 = 1000;
/// The most tickers one `tickers=` look-up or batch orderbook request takes.
pub const TICKERS_PER_REQUEST: usize = 100;
/// The most events `GET /events` returns per page.
const EVENTS_PAGE_LIMIT: u32 = 200;

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
    #[error("{what}: Kalshi returned cursor `{cursor}` twice; stopping to avoid a loop")]
    RepeatingCursor { what: String, cursor: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How to reach Kalshi and how politely.
#[derive(Debug, Clone)]
pub struct KalshiSettings {
    pub mode: KalshiMode,
    pub api_base: String,
    pub timeout: Duration,
    /// Requests per second; Basic tier allows ~20 reads/s, we stay well under by default.
    pub requests_per_second: f64,
    pub retry: RetryPolicy,
}

impl KalshiSettings {
    /// `KALSHI_MODE`, `KALSHI_API_BASE`, `KALSHI_REQUESTS_PER_SECOND`, `KALSHI_TIMEOUT_SECONDS`,
    /// `KALSHI_MAX_ATTEMPTS`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mode = env.parse_or("KALSHI_MODE", KalshiMode::Demo)?;
        let api_base = env.http_url("KALSHI_API_BASE", mode.default_api_base())?;
        let positive = |max: f64| (Bound::Excluded(0.0), Bound::Included(max));
        let requests_per_second =
            env.parse_within("KALSHI_REQUESTS_PER_SECOND", 10.0, positive(1000.0))?;
        let timeout_seconds = env.parse_within("KALSHI_TIMEOUT_SECONDS", 10.0, positive(120.0))?;
        let max_attempts = env.parse_within("KALSHI_MAX_ATTEMPTS", 5u32, 1..=20)?;
        Ok(Self {
            mode,
            api_base,
            timeout: Duration::from_secs_f64(timeout_seconds),
            requests_per_second,
            retry: RetryPolicy {
                max_attempts,
                ..RetryPolicy::default()
            },
        })
    }

    pub fn client(&self) -> Result<KalshiClient, reqwest::Error> {
        KalshiClient::new(self)
    }
}

/// Which markets one pass covers.
#[derive(Debug, Clone)]
pub enum MarketsQuery {
    /// Every open market, combos excluded.
    Open,
    /// The open markets of one series.
    OpenInSeries(String),
    /// These markets, whatever their status (at most [`TICKERS_PER_REQUEST`]).
    Tickers(Vec<String>),
}

#[derive(Clone)]
pub struct KalshiClient {
    http: reqwest::Client,
    base: String,
    bucket: TokenBucket,
    retry: RetryPolicy,
}

impl KalshiClient {
    pub fn new(settings: &KalshiSettings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("precog/", env!("CARGO_PKG_VERSION")))
            .build()?;
        // Kalshi's Basic read bucket holds two seconds of budget; we allow one second of burst.
        let burst = settings.requests_per_second.ceil().max(1.0) as u32;
        Ok(Self {
            http,
            base: settings.api_base.clone(),
            bucket: TokenBucket::new(settings.requests_per_second, burst),
            retry: settings.retry.clone(),
        })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> Result<T> {
        let url = format!("{}{path}", self.base);
        let body = get_bytes(
            || self.http.get(&url).query(query),
            &self.bucket,
            &self.retry,
            retry_429_and_5xx,
        )
        .await?;
        serde_json::from_slice(&body).map_err(|source| Error::Decode {
            what: format!("GET {path}"),
            source,
        })
    }

    /// One page of markets. Send `cursor` only when the previous page gave a non-empty one.
    #[tracing::instrument(name = "kalshi.markets_page", skip(self, query, cursor), fields(page = cursor.unwrap_or("first")))]
    pub async fn markets_page(
        &self,
        query: &MarketsQuery,
        cursor: Option<&str>,
    ) -> Result<MarketsPage> {
        let mut params: Vec<(&str, String)> = vec![("limit", MARKETS_PAGE_LIMIT.to_string())];
        match query {
            MarketsQuery::Open => {
                params.push(("status", "open".into()));
                params.push(("mve_filter", "exclude".into()));
            }
            MarketsQuery::OpenInSeries(series) => {
                params.push(("status", "open".into()));
                params.push(("series_ticker", series.clone()));
            }
            MarketsQuery::Tickers(tickers) => params.push(("tickers", tickers.join(","))),
        }
        if let Some(cursor) = cursor {
            params.push(("cursor", cursor.to_owned()));
        }
        self.get("/markets", &params).await
    }

    /// Markets archived past Kalshi's historical cutoff (no longer served by `/markets`).
    #[tracing::instrument(name = "kalshi.historical_markets", skip_all, fields(tickers = tickers.len()))]
    pub async fn historical_markets(&self, tickers: &[String]) -> Result<Vec<Box<RawValue>>> {
        let mut markets = Vec::new();
        let mut cursors = CursorGuard::new("GET /historical/markets");
        let mut cursor: Option<String> = None;
        loop {
            let mut params = vec![
                ("limit", MARKETS_PAGE_LIMIT.to_string()),
                ("tickers", tickers.join(",")),
            ];
            if let Some(c) = &cursor {
                params.push(("cursor", c.clone()));
            }
            let page: MarketsPage = self.get("/historical/markets", &params).await?;
            markets.extend(page.markets);
            match cursors.next(page.cursor)? {
                Some(next) => cursor = Some(next),
                None => return Ok(markets),
            }
        }
    }

    /// Events by ticker, in batches the endpoint accepts.
    #[tracing::instrument(name = "kalshi.events", skip_all, fields(tickers = tickers.len()))]
    pub async fn events_by_tickers(&self, tickers: &[String]) -> Result<Vec<Box<RawValue>>> {
        let mut events = Vec::new();
        for batch in tickers.chunks(EVENTS_PAGE_LIMIT as usize) {
            events.extend(self.events(&[("tickers", batch.join(","))]).await?);
        }
        Ok(events)
    }

    /// Events whose metadata changed since `since`.
    #[tracing::instrument(name = "kalshi.events_updated", skip(self), fields(since = %since))]
    pub async fn events_updated_since(&self, since: DateTime<Utc>) -> Result<Vec<Box<RawValue>>> {
        self.events(&[("min_updated_ts", since.timestamp().to_string())])
            .await
    }

    async fn events(&self, filter: &[(&'static str, String)]) -> Result<Vec<Box<RawValue>>> {
        let mut events = Vec::new();
        let mut cursors = CursorGuard::new("GET /events");
        let mut cursor: Option<String> = None;
        loop {
            let mut params = vec![("limit", EVENTS_PAGE_LIMIT.to_string())];
            params.extend(filter.iter().cloned());
            if let Some(c) = &cursor {
                params.push(("cursor", c.clone()));
            }
            let page: EventsPage = self.get("/events", &params).await?;
            events.extend(page.events);
            match cursors.next(page.cursor)? {
                Some(next) => cursor = Some(next),
                None => return Ok(events),
            }
        }
    }

    /// One series; `None` when Kalshi does not know it.
    #[tracing::instrument(name = "kalshi.series", skip(self))]
    pub async fn series(&self, ticker: &str) -> Result<Option<Box<RawValue>>> {
        match self
            .get::<OneSeries>(&format!("/series/{ticker}"), &[])
            .await
        {
            Ok(one) => Ok(Some(one.series)),
            Err(Error::Fetch(e)) if e.status() == Some(reqwest::StatusCode::NOT_FOUND) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The body of `GET /series`: every series Kalshi lists, in one response (no pagination).
    /// Walk it with [`series_list::for_each_batch`] rather than parsing it whole.
    #[tracing::instrument(name = "kalshi.series_list", skip(self))]
    pub async fn all_series_body(&self) -> Result<bytes::Bytes> {
        let url = format!("{}/series", self.base);
        Ok(get_bytes(
            || self.http.get(&url),
            &self.bucket,
            &self.retry,
            retry_429_and_5xx,
        )
        .await?)
    }

    /// Series whose metadata changed since `since`.
    #[tracing::instrument(name = "kalshi.series_updated", skip(self), fields(since = %since))]
    pub async fn series_updated_since(&self, since: DateTime<Utc>) -> Result<Vec<Box<RawValue>>> {
        let list: SeriesList = self
            .get(
                "/series",
                &[("min_updated_ts", since.timestamp().to_string())],
            )
            .await?;
        Ok(list.series)
    }

    /// Order books for up to [`TICKERS_PER_REQUEST`] markets (`tickers` repeated, not a list).
    #[tracing::instrument(name = "kalshi.orderbooks", skip_all, fields(tickers = tickers.len()))]
    pub async fn orderbooks(&self, tickers: &[String]) -> Result<Vec<OrderbookEntry>> {
        let params: Vec<(&str, String)> = tickers.iter().map(|t| ("tickers", t.clone())).collect();
        let page: OrderbooksPage = self.get("/markets/orderbooks", &params).await?;
        Ok(page.orderbooks)
    }
}

/// Follows Kalshi cursors: missing, `null` and `""` all end the stream, and a cursor seen before
/// stops the loop with an error instead of paging forever.
#[derive(Debug)]
pub struct CursorGuard {
    what: &'static str,
    seen: HashSet<String>,
}

impl CursorGuard {
    pub fn new(what: &'static str) -> Self {
        Self {
            what,
            seen: HashSet::new(),
        }
    }

    /// The cursor to send for the next page, or `None` at the end.
    pub fn next(&mut self, cursor: Option<String>) -> Result<Option<String>> {
        match cursor.filter(|c| !c.is_empty()) {
            None => Ok(None),
            Some(c) if !self.seen.insert(c.clone()) => Err(Error::RepeatingCursor {
                what: self.what.to_owned(),
                cursor: c,
            }),
            Some(c) => Ok(Some(c)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_guard_ends_on_empty_and_refuses_repeats() {
        let mut guard = CursorGuard::new("test");
        assert_eq!(
            guard.next(Some("a".into())).expect("fresh"),
            Some("a".into())
        );
        assert_eq!(guard.next(Some(String::new())).expect("end"), None);
        assert_eq!(guard.next(None).expect("end"), None);
        assert!(matches!(
            guard.next(Some("a".into())),
            Err(Error::RepeatingCursor { .. })
        ));
    }

    #[test]
    fn settings_refuse_a_bad_rate_naming_the_variable() {
        let env = Env::from_pairs([("KALSHI_REQUESTS_PER_SECOND", "0")]);
        let err = KalshiSettings::from_env(&env).expect_err("refused");
        assert_eq!(err.var, "KALSHI_REQUESTS_PER_SECOND");
        let env = Env::from_pairs([("KALSHI_MODE", "paper")]);
        assert_eq!(
            KalshiSettings::from_env(&env).expect_err("refused").var,
            "KALSHI_MODE"
        );
    }
}
