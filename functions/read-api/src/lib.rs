//! `read-api`: the read-only HTTP API over everything Precog collected. One axum router, served
//! through `lambda_http` under Lambda (a function URL) or as a plain server (`--serve`).
#![forbid(unsafe_code)]

/// The application: shared state, middleware order, the OpenAPI document and docs page.
pub mod app;
/// Bearer API keys (stored as SHA-256 hashes) and per-client rate limiting.
pub mod auth;
/// The API's own settings, read through `precog::config::Env`.
pub mod config;
/// The monitoring dashboard's embedded static files and client-side pages.
pub mod dashboard;
/// The one JSON error shape: 400 naming the parameter, 401, 404, 429, 503.
pub mod error;
/// Types that only describe parameters exactly in the OpenAPI document.
pub mod openapi_params;
/// Query-string parsing that names the parameter at fault, and opaque keyset cursors.
pub mod query;
/// One module per resource, each with a `router()`; merged in `routes::api`.
pub mod routes;
/// The command line: Lambda, `--serve`, configuration refusals (exit 2).
pub mod serve;

pub use app::{build_app, AppState};
pub use config::ApiConfig;
