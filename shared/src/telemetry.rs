//! Logs go to stderr (stdout carries the one JSON summary): JSON lines in production, readable
//! lines in development. `RUST_LOG` overrides the default `info` filter.
//!
//! Every span logs a line when it closes, with `time.busy` and `time.idle`: the invocation, each
//! upstream call (`kalshi.markets_page`, `espn.scoreboard`, …) and, at `debug`, each read-api
//! handler. A slow pass therefore shows where its time went.

use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::{fmt, EnvFilter};

use crate::config::Environment;

/// Installs the global subscriber once; later calls are no-ops (tests call it repeatedly).
pub fn init(environment: Environment) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,sqlx=warn,aws_config=warn,aws_smithy_runtime=warn")
    });
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_span_events(FmtSpan::CLOSE);
    let _already_installed = match environment {
        Environment::Production => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .try_init(),
        Environment::Development => builder.compact().try_init(),
    };
}
