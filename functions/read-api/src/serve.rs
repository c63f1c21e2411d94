use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use clap::Parser;
use precog::config::{DatabaseUrl, Env};
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::app::{build_app, AppState};
use crate::config::ApiConfig;

/// Under Lambda (AWS_LAMBDA_RUNTIME_API set) the API answers the function URL's requests;
/// elsewhere `--serve` runs it as a plain HTTP server.
#[derive(Debug, Parser)]
#[command(name = "read-api", version, about = "Precog's read-only HTTP API")]
struct Cli {
    /// Serve HTTP on `--addr` instead of running under Lambda.
    #[arg(long)]
    serve: bool,
    /// The address `--serve` listens on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Print the OpenAPI document and exit (no database needed).
    #[arg(long)]
    openapi: bool,
}

pub async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if cli.openapi {
        return match serde_json::to_string_pretty(&crate::app::openapi()) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("could not render the OpenAPI document: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match ApiConfig::from_env(&Env::process()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    precog::telemetry::init(config.common.environment);
    let under_lambda = std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some();
    if !under_lambda && !cli.serve {
        eprintln!("read-api: not under Lambda; run with --serve [--addr HOST:PORT]");
        return ExitCode::from(2);
    }
    let pool = match connect(&config).await {
        Ok(pool) => pool,
        Err(e) => {
            eprintln!("read-api: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let state = AppState::new(pool, config);
    if let Some(limiter) = state.limiter.clone() {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                limiter.forget_idle();
            }
        });
    }
    let app = build_app(state);
    let outcome = if cli.serve {
        match TcpListener::bind(cli.addr).await {
            Ok(listener) => {
                tracing::info!(addr = %cli.addr, "read-api serving");
                serve(listener, app).await.map_err(anyhow::Error::from)
            }
            Err(e) => {
                eprintln!("read-api: cannot listen on {}: {e}", cli.addr);
                return ExitCode::from(2);
            }
        }
    } else {
        lambda_http::run(app)
            .await
            .map_err(|e| anyhow::anyhow!("lambda runtime: {e}"))
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "read-api stopped");
            ExitCode::FAILURE
        }
    }
}

/// Serves `app` on `listener` until Ctrl-C, with the peer address available for rate limiting.
pub async fn serve(listener: TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// The pool from `DATABASE_URL` (connecting lazily, at the first query); in development without
/// one, the same local cluster the other functions use, migrated.
async fn connect(config: &ApiConfig) -> anyhow::Result<PgPool> {
    if let Some(url) = &config.common.database_url {
        return pool(url, config.max_connections);
    }
    let url = config.common.database_or_development().await?;
    let pool = pool(&url, config.max_connections)?;
    precog::db::migrate(&pool)
        .await
        .context("migrating the local database")?;
    Ok(pool)
}

/// Like `precog::db::lazy_pool`, plus custom plans for every statement: the list queries have
/// optional filters (`$1 is null or col = $1`), and PostgreSQL's generic plan for them (chosen
/// after five executions of a prepared statement) was measured at 59 ms against 1.3 ms custom.
fn pool(url: &DatabaseUrl, max_connections: u32) -> anyhow::Result<PgPool> {
    let options: sqlx::postgres::PgConnectOptions = url.expose().parse()?;
    let options = options
        .application_name("precog-read-api")
        .options([("plan_cache_mode", "force_custom_plan")]);
    Ok(sqlx::postgres::PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_lazy_with(options))
}
