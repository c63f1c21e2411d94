//! Configuration shared by every function: the two axes of the README (`PRECOG_ENV`, `KALSHI_MODE`)
//! and the database. Functions read their own extra variables through [`Env`], so every refusal
//! names the variable at fault.

use std::fmt;
use std::ops::{Bound, RangeBounds};
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};

/// A configuration value that is missing or malformed; the message names the variable.
#[derive(Debug, thiserror::Error)]
#[error("configuration {var}: {message}")]
pub struct ConfigError {
    pub var: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(var: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            var: var.into(),
            message: message.into(),
        }
    }
}

/// Where the code runs; decides log format and safety checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

impl FromStr for Environment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "development" | "dev" => Ok(Self::Development),
            "production" | "prod" => Ok(Self::Production),
            other => Err(format!(
                "`{other}` is not an environment; use `development` or `production`"
            )),
        }
    }
}

/// Which Kalshi API the functions talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KalshiMode {
    Demo,
    Live,
}

impl KalshiMode {
    /// The documented REST base for the mode (docs/kalshi-api.md §1).
    pub fn default_api_base(self) -> &'static str {
        match self {
            Self::Demo => "https://external-api.demo.kalshi.co/trade-api/v2",
            Self::Live => "https://external-api.kalshi.com/trade-api/v2",
        }
    }
}

impl FromStr for KalshiMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "demo" => Ok(Self::Demo),
            "live" => Ok(Self::Live),
            other => Err(format!(
                "`{other}` is not a Kalshi mode; use `demo` or `live`"
            )),
        }
    }
}

type Lookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Reads variables from a source (the process environment in production, a map in tests).
pub struct Env {
    lookup: Lookup,
}

impl Env {
    /// The process environment; empty values count as unset.
    pub fn process() -> Self {
        Self {
            lookup: Box::new(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty())),
        }
    }

    /// A fixed set of variables, for tests.
    pub fn from_pairs<const N: usize>(pairs: [(&str, &str); N]) -> Self {
        let map: std::collections::HashMap<String, String> = pairs
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Self {
            lookup: Box::new(move |name| map.get(name).cloned()),
        }
    }

    pub fn get(&self, var: &str) -> Option<String> {
        (self.lookup)(var)
    }

    pub fn required(&self, var: &str) -> Result<String, ConfigError> {
        self.get(var)
            .ok_or_else(|| ConfigError::new(var, "is required but not set"))
    }

    /// A parsed variable, or `default` when unset.
    pub fn parse_or<T>(&self, var: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|e: T::Err| ConfigError::new(var, e.to_string())),
        }
    }
}

impl Env {
    /// A parsed variable that must lie in `range`, or `default` when unset; the refusal names the
    /// variable and the range, e.g. `KALSHI_TIMEOUT_SECONDS: must be in (0, 120]`.
    pub fn parse_within<T, R>(&self, var: &str, default: T, range: R) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + fmt::Display,
        T::Err: fmt::Display,
        R: RangeBounds<T>,
    {
        let value = self.parse_or(var, default)?;
        if range.contains(&value) {
            return Ok(value);
        }
        let low = match range.start_bound() {
            Bound::Included(v) => format!("[{v}"),
            Bound::Excluded(v) => format!("({v}"),
            Bound::Unbounded => "(-∞".to_owned(),
        };
        let high = match range.end_bound() {
            Bound::Included(v) => format!("{v}]"),
            Bound::Excluded(v) => format!("{v})"),
            Bound::Unbounded => "∞)".to_owned(),
        };
        Err(ConfigError::new(
            var,
            format!("must be in {low}, {high}, not {value}"),
        ))
    }

    /// An http(s) base URL without a trailing slash, or `default` when unset.
    pub fn http_url(&self, var: &str, default: &str) -> Result<String, ConfigError> {
        let url = self.get(var).unwrap_or_else(|| default.to_owned());
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError::new(var, "must be an http(s) URL"));
        }
        Ok(url.trim_end_matches('/').to_owned())
    }
}

/// The database connection string: a secret, never printed.
#[derive(Clone)]
pub struct DatabaseUrl(SecretString);

impl DatabaseUrl {
    pub fn parse(var: &str, raw: String) -> Result<Self, ConfigError> {
        if !(raw.starts_with("postgres://") || raw.starts_with("postgresql://")) {
            return Err(ConfigError::new(
                var,
                "must be a postgres:// or postgresql:// URL",
            ));
        }
        Ok(Self(SecretString::from(raw)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DatabaseUrl(<redacted>)")
    }
}

/// The settings every function shares.
#[derive(Debug, Clone)]
pub struct CommonConfig {
    pub environment: Environment,
    /// `None` only in development, where the runner starts a local cluster instead.
    pub database_url: Option<DatabaseUrl>,
}

impl CommonConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let environment = env.parse_or("PRECOG_ENV", Environment::Development)?;
        let database_url = env
            .get("DATABASE_URL")
            .map(|raw| DatabaseUrl::parse("DATABASE_URL", raw))
            .transpose()?;
        if database_url.is_none() && environment == Environment::Production {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "is required when PRECOG_ENV=production",
            ));
        }
        if database_url.is_none() && !cfg!(feature = "dev-cluster") {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "is required: this build has no local development database \
                 (it was built without the `dev-cluster` feature)",
            ));
        }
        Ok(Self {
            environment,
            database_url,
        })
    }
}

impl CommonConfig {
    /// `DATABASE_URL`, or without one (development builds only) the local development cluster,
    /// started as needed.
    pub async fn database_or_development(&self) -> anyhow::Result<DatabaseUrl> {
        match &self.database_url {
            Some(url) => Ok(url.clone()),
            #[cfg(feature = "dev-cluster")]
            None => crate::pgcluster::development_database().await,
            // `from_env` refuses this case, naming the variable.
            #[cfg(not(feature = "dev-cluster"))]
            None => Err(ConfigError::new("DATABASE_URL", "is required but not set").into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_without_a_database_is_refused_naming_the_variable() {
        let env = Env::from_pairs([("PRECOG_ENV", "production")]);
        let err = CommonConfig::from_env(&env).expect_err("must refuse");
        assert_eq!(err.var, "DATABASE_URL");
    }

    #[cfg(not(feature = "dev-cluster"))]
    #[test]
    fn without_the_dev_cluster_a_missing_database_is_refused_even_in_development() {
        let env = Env::from_pairs([("PRECOG_ENV", "development")]);
        let err = CommonConfig::from_env(&env).expect_err("must refuse");
        assert_eq!(err.var, "DATABASE_URL");
        assert!(err.message.contains("dev-cluster"), "{}", err.message);
    }

    #[cfg(feature = "dev-cluster")]
    #[test]
    fn with_the_dev_cluster_development_may_leave_the_database_unset() {
        let env = Env::from_pairs([("PRECOG_ENV", "development")]);
        let config = CommonConfig::from_env(&env).expect("the local cluster stands in");
        assert!(config.database_url.is_none());
    }

    #[test]
    fn a_bad_environment_name_is_refused() {
        let env = Env::from_pairs([("PRECOG_ENV", "staging")]);
        let err = CommonConfig::from_env(&env).expect_err("must refuse");
        assert_eq!(err.var, "PRECOG_ENV");
        assert!(err.message.contains("staging"));
    }

    #[test]
    fn ranged_values_are_refused_naming_the_variable_and_the_range() {
        let env = Env::from_pairs([("RATE", "0"), ("TRIES", "3")]);
        let err = env.parse_within("RATE", 10.0, (Bound::Excluded(0.0), Bound::Included(100.0)));
        let err = err.expect_err("0 is outside (0, 100]");
        assert_eq!(
            (err.var.as_str(), err.message.as_str()),
            ("RATE", "must be in (0, 100], not 0")
        );
        assert_eq!(
            env.parse_within("TRIES", 5u32, 1..=10).expect("in range"),
            3
        );
        assert_eq!(env.parse_within("UNSET", 5u32, 1..=10).expect("default"), 5);
    }

    #[test]
    fn a_non_postgres_url_is_refused() {
        let env = Env::from_pairs([("DATABASE_URL", "mysql://x")]);
        assert_eq!(
            CommonConfig::from_env(&env).expect_err("must refuse").var,
            "DATABASE_URL"
        );
    }

    #[test]
    fn the_database_url_never_prints() {
        let url = DatabaseUrl::parse("X", "postgres://u:hunter2@h/db".into()).expect("valid");
        assert!(!format!("{url:?}").contains("hunter2"));
    }
}
