//! Logs go to stderr (stdout carries the one JSON summary): JSON lines in production, readable
//! lines in development. `RUST_LOG` overrides the default `info` filter.

use tracing_subscriber::{fmt, EnvFilter};

use crate::config::Environment;

/// Installs the global subscriber once; later calls are no-ops (tests call it repeatedly).
pub fn init(environment: Environment) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,sqlx=warn,aws_config=warn,aws_smithy_runtime=warn")
    });
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _already_installed = match environment {
        Environment::Production => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        Environment::Development => builder.compact().try_init(),
    };
}
