use std::collections::BTreeMap;
use std::num::NonZeroU32;

use axum::http::HeaderValue;
use precog::config::{CommonConfig, ConfigError, Env};

/// Everything the API reads from its environment, validated once at start.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub common: CommonConfig,
    /// SHA-256 digests of the accepted bearer tokens; empty means the API is open.
    pub api_key_hashes: Vec<[u8; 32]>,
    /// Requests per second each client (key or address) may sustain; `None` disables limiting.
    pub rate_per_second: Option<NonZeroU32>,
    pub rate_burst: NonZeroU32,
    /// Browser origins allowed by CORS; `None` sends no CORS headers, `Some([])` is never built.
    pub cors_origins: Option<CorsOrigins>,
    /// Per function, the age of its last successful run past which `/health` answers 503.
    pub stale_after: BTreeMap<String, u64>,
    pub max_connections: u32,
}

#[derive(Debug, Clone)]
pub enum CorsOrigins {
    Any,
    List(Vec<HeaderValue>),
}

/// collect-kalshi runs every 5 minutes and nightly-backup once a day: three missed runs (and a
/// day plus two hours) is stale. collect-espn runs only while games are live, so it has no default.
const DEFAULT_STALE_AFTER: &str = "collect-kalshi=900,nightly-backup=93600";

impl ApiConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_env(env)?;
        let api_key_hashes = match env.get("READ_API_KEY_HASHES") {
            None => Vec::new(),
            Some(raw) => {
                parse_key_hashes(&raw).map_err(|m| ConfigError::new("READ_API_KEY_HASHES", m))?
            }
        };
        let rate: u32 = env.parse_or("READ_API_RATE_PER_SECOND", 20)?;
        let burst: u32 = env.parse_or("READ_API_RATE_BURST", 40)?;
        let rate_burst = NonZeroU32::new(burst)
            .ok_or_else(|| ConfigError::new("READ_API_RATE_BURST", "must be at least 1"))?;
        let cors_origins = match env.get("READ_API_CORS_ORIGINS") {
            None => None,
            Some(raw) => {
                Some(parse_cors(&raw).map_err(|m| ConfigError::new("READ_API_CORS_ORIGINS", m))?)
            }
        };
        let stale_raw = env
            .get("READ_API_STALE_AFTER")
            .unwrap_or_else(|| DEFAULT_STALE_AFTER.to_owned());
        let stale_after = parse_stale_after(&stale_raw)
            .map_err(|m| ConfigError::new("READ_API_STALE_AFTER", m))?;
        let max_connections: u32 = env.parse_within("READ_API_MAX_CONNECTIONS", 8, 1..=100)?;
        Ok(Self {
            common,
            api_key_hashes,
            rate_per_second: NonZeroU32::new(rate),
            rate_burst,
            cors_origins,
            stale_after,
            max_connections,
        })
    }
}

/// Comma-separated lowercase or uppercase hex SHA-256 digests (64 hex characters each).
fn parse_key_hashes(raw: &str) -> Result<Vec<[u8; 32]>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .enumerate()
        .map(|(i, item)| {
            let bytes = hex::decode(item)
                .map_err(|_| format!("entry {} is not hex (expected a SHA-256 digest)", i + 1))?;
            <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
                format!(
                    "entry {} is {} bytes; a SHA-256 digest is 32 (64 hex characters)",
                    i + 1,
                    bytes.len()
                )
            })
        })
        .collect()
}

fn parse_cors(raw: &str) -> Result<CorsOrigins, String> {
    let items: Vec<&str> = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if items == ["*"] {
        return Ok(CorsOrigins::Any);
    }
    if items.is_empty() {
        return Err("lists no origin".into());
    }
    items
        .into_iter()
        .map(|origin| {
            if !(origin.starts_with("https://") || origin.starts_with("http://")) {
                return Err(format!(
                    "`{origin}` is not an origin (scheme://host[:port]) or `*`"
                ));
            }
            HeaderValue::from_str(origin)
                .map_err(|_| format!("`{origin}` is not a valid header value"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(CorsOrigins::List)
}

fn parse_stale_after(raw: &str) -> Result<BTreeMap<String, u64>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (name, secs) = item
                .split_once('=')
                .ok_or_else(|| format!("`{item}` is not function=seconds"))?;
            let secs: u64 = secs
                .trim()
                .parse()
                .map_err(|_| format!("`{item}`: seconds must be a whole number"))?;
            if secs == 0 {
                return Err(format!("`{item}`: seconds must be at least 1"));
            }
            Ok((name.trim().to_owned(), secs))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_leave_the_api_open_with_rate_limiting_on() {
        let config = ApiConfig::from_env(&Env::from_pairs([])).expect("defaults are valid");
        assert!(config.api_key_hashes.is_empty());
        assert_eq!(config.rate_per_second.map(NonZeroU32::get), Some(20));
        assert_eq!(config.stale_after.get("collect-kalshi"), Some(&900));
        assert!(config.cors_origins.is_none());
    }

    #[test]
    fn a_key_hash_of_the_wrong_length_is_refused_naming_the_variable() {
        let env = Env::from_pairs([("READ_API_KEY_HASHES", "abcd")]);
        let err = ApiConfig::from_env(&env).expect_err("must refuse");
        assert_eq!(err.var, "READ_API_KEY_HASHES");
        assert!(err.message.contains("32"), "{}", err.message);
    }

    #[test]
    fn a_cors_origin_without_a_scheme_is_refused() {
        let env = Env::from_pairs([("READ_API_CORS_ORIGINS", "example.com")]);
        assert_eq!(
            ApiConfig::from_env(&env).expect_err("must refuse").var,
            "READ_API_CORS_ORIGINS"
        );
    }

    #[test]
    fn a_bad_staleness_entry_is_refused() {
        let env = Env::from_pairs([("READ_API_STALE_AFTER", "collect-kalshi=soon")]);
        assert_eq!(
            ApiConfig::from_env(&env).expect_err("must refuse").var,
            "READ_API_STALE_AFTER"
        );
    }

    #[test]
    fn zero_rate_disables_limiting() {
        let env = Env::from_pairs([("READ_API_RATE_PER_SECOND", "0")]);
        assert!(ApiConfig::from_env(&env)
            .expect("valid")
            .rate_per_second
            .is_none());
    }
}
