use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::error::ApiError;

/// Paths anyone may call without a key: the load balancer's and the operator's health checks.
/// The dashboard's static files are public too (see [`crate::dashboard::is_public`]); its data
/// calls need the key.
const OPEN_PATHS: &[&str] = &["/health", "/health/freshness"];

/// Who is calling, decided once per request by [`authenticate`] and read by [`rate_limit`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Caller {
    /// A configured key, named by the first 8 bytes of its hash (never the key itself).
    Key(String),
    /// No key needed: the client's address.
    Client(String),
}

/// SHA-256 of a bearer token, compared against every configured hash without an early exit.
fn key_matches(hashes: &[[u8; 32]], token: &str) -> Option<[u8; 32]> {
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let mut found = None;
    for hash in hashes {
        let diff = hash
            .iter()
            .zip(digest.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if diff == 0 {
            found = Some(*hash);
        }
    }
    found
}

/// The client's address: the TCP peer when served directly, the function URL's source IP
/// under Lambda.
fn client_address(req: &Request) -> String {
    if let Some(ConnectInfo(addr)) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
        return addr.ip().to_string();
    }
    if let Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) =
        req.extensions()
            .get::<lambda_http::request::RequestContext>()
    {
        if let Some(ip) = &ctx.http.source_ip {
            return ip.clone();
        }
    }
    "unknown".to_owned()
}

/// Requires a valid bearer key on every path but the health checks and the dashboard's static
/// files when keys are configured.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let hashes = &state.config.api_key_hashes;
    let path = req.uri().path();
    let open = OPEN_PATHS.contains(&path) || crate::dashboard::is_public(path);
    let caller = if hashes.is_empty() || open {
        Caller::Client(client_address(&req))
    } else {
        let token = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        match token.and_then(|t| key_matches(hashes, t)) {
            Some(hash) => Caller::Key(hex::encode(&hash[..8])),
            None => return ApiError::Unauthorized.into_response(),
        }
    };
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// Per-caller token buckets (GCRA): `rate` per second sustained, `burst` at once.
pub struct Limiter {
    inner: DefaultKeyedRateLimiter<Caller>,
}

impl Limiter {
    pub fn new(rate: NonZeroU32, burst: NonZeroU32) -> Arc<Self> {
        let quota = Quota::per_second(rate).allow_burst(burst);
        Arc::new(Self {
            inner: DefaultKeyedRateLimiter::keyed(quota),
        })
    }

    /// `Err(seconds)` to wait when the caller is over its quota.
    fn check(&self, caller: &Caller) -> Result<(), u64> {
        self.inner.check_key(caller).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs_f64()
                .ceil() as u64
        })
    }

    /// Forgets callers whose buckets are full again, so the map does not grow without bound.
    pub fn forget_idle(&self) {
        self.inner.retain_recent();
    }
}

/// Answers 429 with `Retry-After` once a caller exceeds its quota.
pub async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let (Some(limiter), Some(caller)) = (&state.limiter, req.extensions().get::<Caller>()) {
        if let Err(retry_after_secs) = limiter.check(caller) {
            return ApiError::RateLimited { retry_after_secs }.into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_key_whose_hash_is_configured_matches() {
        let hash: [u8; 32] = Sha256::digest(b"s3cret").into();
        assert!(key_matches(&[hash], "s3cret").is_some());
        assert!(key_matches(&[hash], "s3cret ").is_none());
        assert!(key_matches(&[hash], "other").is_none());
    }
}
