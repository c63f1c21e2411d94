//! Why a run failed, said in full and sorted for the operator: every error is written out with its
//! whole source chain (a bare "error sending request" hides whether DNS, the connection or TLS
//! failed), and every failed run gets a [`FailureKind`] so a Kalshi outage reads differently from
//! a defect in our code.

use std::error::Error as StdError;
use std::fmt;

use serde::Serialize;

use crate::config::ConfigError;
use crate::http::FetchError;
use crate::runner::BadEvent;

/// Displays an error followed by each of its sources: `outer: cause: root cause`.
pub struct Chain<'a>(pub &'a (dyn StdError + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// What kind of thing went wrong, as stored in `collection_runs.failure_kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Kalshi or ESPN could not be reached, kept failing, or answered something unreadable.
    Upstream,
    /// PostgreSQL could not be reached or refused the work (not a malformed query: that is a bug).
    Database,
    /// The input we were given (event, configuration) was refused.
    BadInput,
    /// Everything else: a panic, a handler that overran its deadline, a query that does not
    /// match the schema. Someone has to change code.
    Bug,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upstream => "upstream",
            Self::Database => "database",
            Self::BadInput => "bad_input",
            Self::Bug => "bug",
        }
    }

    /// The kind of the first recognised error in the chain, outermost first; [`Self::Bug`] when
    /// none is recognised.
    pub fn of(error: &anyhow::Error) -> Self {
        error.chain().find_map(Self::of_cause).unwrap_or(Self::Bug)
    }

    fn of_cause(cause: &(dyn StdError + 'static)) -> Option<Self> {
        if cause.is::<FetchError>()
            || cause.is::<reqwest::Error>()
            || cause.is::<crate::kalshi::Error>()
            || cause.is::<crate::espn::Error>()
        {
            return Some(Self::Upstream);
        }
        if cause.is::<ConfigError>() || cause.is::<BadEvent>() {
            return Some(Self::BadInput);
        }
        if cause.is::<sqlx::migrate::MigrateError>() {
            return Some(Self::Database);
        }
        if let Some(error) = cause.downcast_ref::<sqlx::Error>() {
            return Some(Self::of_sqlx(error));
        }
        if cause.is::<RunnerFault>() {
            return Some(Self::Bug);
        }
        None
    }

    fn of_sqlx(error: &sqlx::Error) -> Self {
        use sqlx::Error as E;
        match error {
            // The query and the schema disagree: code, not the server, is at fault.
            E::ColumnNotFound(_)
            | E::ColumnIndexOutOfBounds { .. }
            | E::ColumnDecode { .. }
            | E::Decode(_)
            | E::TypeNotFound { .. }
            | E::Encode(_) => Self::Bug,
            // SQLSTATE class 42: syntax error or access rule violation (undefined column, …).
            E::Database(db) if db.code().is_some_and(|code| code.starts_with("42")) => Self::Bug,
            _ => Self::Database,
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Failures the runner itself declares: the handler panicked or overran the hard deadline (the
/// handler is meant to stop on its own before it).
#[derive(Debug, thiserror::Error)]
pub enum RunnerFault {
    #[error("deadline exceeded before the handler finished")]
    Deadline,
    #[error("handler panicked: {0}")]
    Panic(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_chain_names_every_cause() {
        let error = Outer(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "Connection refused",
        ));
        assert_eq!(Chain(&error).to_string(), "outer: Connection refused");
    }

    #[test]
    fn failures_are_sorted_by_their_innermost_known_cause() {
        let upstream = anyhow::Error::new(FetchError::Status {
            url: "http://kalshi/markets".into(),
            status: reqwest::StatusCode::BAD_GATEWAY,
            body: String::new(),
        })
        .context("fetching markets");
        assert_eq!(FailureKind::of(&upstream), FailureKind::Upstream);

        let database = anyhow::Error::new(sqlx::Error::PoolTimedOut).context("storing a page");
        assert_eq!(FailureKind::of(&database), FailureKind::Database);

        let schema = anyhow::Error::new(sqlx::Error::ColumnNotFound("ticker".into()));
        assert_eq!(FailureKind::of(&schema), FailureKind::Bug);

        let input = anyhow::Error::new(ConfigError::new("STRATEGY", "unknown"));
        assert_eq!(FailureKind::of(&input), FailureKind::BadInput);

        let panic = anyhow::Error::new(RunnerFault::Panic("boom".into()));
        assert_eq!(FailureKind::of(&panic), FailureKind::Bug);

        assert_eq!(
            FailureKind::of(&anyhow::anyhow!("who knows")),
            FailureKind::Bug
        );
    }
}
