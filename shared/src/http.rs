//! What every upstream client needs: a token bucket so we stay under the provider's limits, and
//! bounded retries with jittered exponential backoff for the failures that pass (429, 5xx,
//! timeouts, dropped connections). Kalshi sends no Retry-After, so the backoff is ours.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::Rng;
use reqwest::{RequestBuilder, StatusCode};

/// Requests per second with a burst allowance, shared by every request a client makes.
#[derive(Clone)]
pub struct TokenBucket(Arc<DefaultDirectRateLimiter>);

impl TokenBucket {
    /// `per_second` may be fractional (0.5 = one request every two seconds).
    pub fn new(per_second: f64, burst: u32) -> Self {
        let period = Duration::from_secs_f64(1.0 / per_second.max(0.001));
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self(Arc::new(RateLimiter::direct(quota)))
    }

    pub async fn acquire(&self) {
        self.0.until_ready().await;
    }
}

/// How hard to try before giving up on one request.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Full jitter: a uniform delay in `[0, min(max, base·2^attempt)]`, so clients that failed
    /// together do not retry together.
    pub fn delay_before_retry(&self, failed_attempts: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(failed_attempts.saturating_sub(1)))
            .min(self.max_delay);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::thread_rng().gen_range(millis / 2..=millis.max(1)))
    }
}

/// One request that did not succeed, after retries where retrying made sense. The causes hang off
/// [`std::error::Error::source`] (the socket's "Connection refused", a DNS or TLS failure), so
/// report it with `{:#}` of anyhow or [`crate::failure::Chain`], never with `to_string` alone.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url} answered {status}: {body}")]
    Status {
        url: String,
        status: StatusCode,
        body: String,
    },
    #[error("{url}")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("gave up after {attempts} attempts; last error")]
    Exhausted {
        url: String,
        attempts: u32,
        #[source]
        last: Box<FetchError>,
    },
}

impl FetchError {
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::Exhausted { last, .. } => last.status(),
            Self::Transport { .. } => None,
        }
    }
}

/// Which answers deserve another try. Kalshi: 429 and 5xx. ESPN adds 403 (its throttle).
pub type RetryableStatus = fn(StatusCode) -> bool;

pub fn retry_429_and_5xx(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// Sends the request built by `build` until it succeeds, a non-retryable status comes back, or
/// the policy's attempts are spent; waits for the bucket before every attempt. Returns the body.
pub async fn get_bytes(
    build: impl Fn() -> RequestBuilder,
    bucket: &TokenBucket,
    policy: &RetryPolicy,
    retryable: RetryableStatus,
) -> Result<bytes::Bytes, FetchError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        bucket.acquire().await;
        let request = build();
        let url = request
            .try_clone()
            .and_then(|r| r.build().ok())
            .map(|r| r.url().to_string())
            .unwrap_or_default();
        let error = match request.send().await {
            Ok(response) if response.status().is_success() => match response.bytes().await {
                Ok(body) => return Ok(body),
                // The body broke off mid-way (a truncated response): worth another try.
                Err(source) => FetchError::Transport { url, source },
            },
            Ok(response) => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                let error = FetchError::Status {
                    url: url.clone(),
                    status,
                    body: truncate(body, 500),
                };
                if !retryable(status) {
                    return Err(error);
                }
                error
            }
            Err(source) => FetchError::Transport { url, source },
        };
        if attempt >= policy.max_attempts {
            let url = match &error {
                FetchError::Status { url, .. } | FetchError::Transport { url, .. } => url.clone(),
                FetchError::Exhausted { url, .. } => url.clone(),
            };
            return Err(FetchError::Exhausted {
                url,
                attempts: attempt,
                last: Box::new(error),
            });
        }
        let delay = policy.delay_before_retry(attempt);
        tracing::warn!(attempt, ?delay, error = %crate::failure::Chain(&error), "retrying upstream request");
        tokio::time::sleep(delay).await;
    }
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_under_the_ceiling() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1_000),
        };
        for attempt in 1..10 {
            let delay = policy.delay_before_retry(attempt);
            let ceiling = (100u64 << (attempt - 1)).min(1_000);
            assert!(
                delay <= Duration::from_millis(ceiling),
                "attempt {attempt}: {delay:?}"
            );
            assert!(
                delay >= Duration::from_millis(ceiling / 2),
                "attempt {attempt}: {delay:?}"
            );
        }
    }

    #[test]
    fn retryable_statuses() {
        assert!(retry_429_and_5xx(StatusCode::TOO_MANY_REQUESTS));
        assert!(retry_429_and_5xx(StatusCode::BAD_GATEWAY));
        assert!(!retry_429_and_5xx(StatusCode::BAD_REQUEST));
        assert!(!retry_429_and_5xx(StatusCode::NOT_FOUND));
    }

    #[test]
    fn long_bodies_are_cut_on_a_char_boundary() {
        let cut = truncate("é".repeat(400), 501);
        assert!(cut.ends_with('…'));
    }
}
