//! The process entry point every function's `main.rs` hands over to.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::Parser;
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;
use sqlx::PgPool;

use super::event::{parse_event, Trigger};
use super::invocation::{invoke, Function, Report, Summary};
use crate::config::{CommonConfig, ConfigError, Env, Environment};
use crate::db;

/// Command-line flags shared by every function (once mode).
#[derive(Debug, Parser)]
#[command(about = "Runs one Precog function invocation, or the Lambda loop under AWS Lambda.")]
struct Cli<A: clap::Args> {
    /// The event as JSON, e.g. '{"series":["KXNFLGAME"]}'. Default `{}`. Cron services that
    /// cannot pass arguments set PRECOG_EVENT instead.
    #[arg(long, env = "PRECOG_EVENT", conflicts_with = "event_file")]
    event: Option<String>,
    /// Read the event from this file.
    #[arg(long)]
    event_file: Option<PathBuf>,
    /// Apply pending migrations to DATABASE_URL and exit.
    #[arg(long)]
    migrate: bool,
    /// How this run was started, for the ledger (`schedule` from cron jobs).
    #[arg(long, value_enum, default_value = "manual")]
    trigger: CliTrigger,
    #[command(flatten)]
    extra: A,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum CliTrigger {
    Schedule,
    Manual,
}

/// No function-specific flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct NoArgs {}

/// What a function's builder gets: the environment, the shared settings, the process's pool.
pub struct Setup<A> {
    pub env: Env,
    pub common: CommonConfig,
    pub pool: PgPool,
    pub args: A,
}

const EXIT_FAILED: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;

/// `main` for a function without extra flags.
pub async fn main<F: Function>(
    build: impl FnOnce(Setup<NoArgs>) -> Result<F, ConfigError>,
) -> ExitCode {
    main_with_args(build).await
}

/// `main` for a function that takes extra once-mode flags `A`.
pub async fn main_with_args<F: Function, A: clap::Args>(
    build: impl FnOnce(Setup<A>) -> Result<F, ConfigError>,
) -> ExitCode {
    let under_lambda = std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some();
    // Under Lambda the payload is the event, so ignore any command line.
    let cli = if under_lambda {
        match Cli::<A>::try_parse_from([F::NAME]) {
            Ok(cli) => cli,
            Err(e) => return refuse(&e.to_string()),
        }
    } else {
        Cli::<A>::parse()
    };
    let env = Env::process();
    let common = match CommonConfig::from_env(&env) {
        Ok(common) => common,
        Err(e) => return refuse(&e.to_string()),
    };
    crate::telemetry::init(common.environment);

    let payload = if under_lambda {
        Value::Null
    } else {
        match read_event(cli.event.as_deref(), cli.event_file.as_deref()) {
            Ok(payload) => payload,
            Err(message) => return refuse(&message),
        }
    };
    // Refuse a bad event before touching the database (invoke parses it again; it is tiny).
    if !under_lambda && !cli.migrate {
        if let Err(bad) = parse_event::<F::Event>(payload.clone(), Trigger::Manual) {
            return refuse(&bad.to_string());
        }
    }

    let pool = match connect(&common).await {
        Ok(pool) => pool,
        Err(e) => return fail(&e),
    };
    if cli.migrate {
        return match db::migrate(&pool).await {
            Ok(applied) => {
                println!("{}", serde_json::json!({ "migrations_applied": applied }));
                ExitCode::SUCCESS
            }
            Err(e) => fail(&anyhow::Error::new(e).context("applying migrations")),
        };
    }
    // A developer's first run should just work; production applies migrations deliberately.
    if common.environment == Environment::Development {
        if let Err(e) = db::migrate(&pool).await {
            return fail(&anyhow::Error::new(e).context("applying migrations"));
        }
    }

    let trigger = match cli.trigger {
        CliTrigger::Schedule => Trigger::Schedule,
        CliTrigger::Manual => Trigger::Manual,
    };
    let function = match build(Setup {
        env,
        common,
        pool: pool.clone(),
        args: cli.extra,
    }) {
        Ok(function) => function,
        Err(e) => return refuse(&e.to_string()),
    };

    if under_lambda {
        return match lambda_loop(function, pool).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&anyhow::anyhow!("lambda runtime: {e}")),
        };
    }
    match invoke(&function, &pool, payload, trigger, None).await {
        Report::Completed(summary) => {
            print_summary(&summary);
            ExitCode::SUCCESS
        }
        Report::Failed(summary) => {
            print_summary(&summary);
            ExitCode::from(EXIT_FAILED)
        }
        Report::Refused(bad) => refuse(&bad.to_string()),
    }
}

async fn lambda_loop<F: Function>(function: F, pool: PgPool) -> Result<(), lambda_runtime::Error> {
    let function = Arc::new(function);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let function = Arc::clone(&function);
        let pool = pool.clone();
        async move {
            let deadline = SystemTime::UNIX_EPOCH + Duration::from_millis(event.context.deadline);
            match invoke(
                &*function,
                &pool,
                event.payload,
                Trigger::Invoke,
                Some(deadline),
            )
            .await
            {
                Report::Completed(summary) => Ok(summary),
                Report::Failed(summary) => Err(LambdaFailure::Failed(summary)),
                Report::Refused(bad) => Err(LambdaFailure::BadEvent(bad.to_string())),
            }
        }
    }))
    .await
}

/// How Lambda sees a failure: a bad event is not worth retrying, a failed run may be.
#[derive(Debug)]
enum LambdaFailure {
    BadEvent(String),
    Failed(Summary),
}

impl From<LambdaFailure> for Diagnostic {
    fn from(failure: LambdaFailure) -> Self {
        match failure {
            LambdaFailure::BadEvent(message) => Diagnostic {
                error_type: "BadEvent".into(),
                error_message: message,
            },
            LambdaFailure::Failed(summary) => Diagnostic {
                error_type: "RunFailed".into(),
                error_message: serde_json::to_string(&summary).unwrap_or_default(),
            },
        }
    }
}

/// The pool, from `DATABASE_URL` or, in development without one, a local cluster under the repo.
async fn connect(common: &CommonConfig) -> anyhow::Result<PgPool> {
    let url = common.database_or_development().await?;
    Ok(db::lazy_pool(&url, 4)?)
}

fn read_event(inline: Option<&str>, file: Option<&std::path::Path>) -> Result<Value, String> {
    let (text, origin) = match (inline, file) {
        (Some(text), _) => (text.to_owned(), "--event".to_owned()),
        (None, Some(path)) => (
            std::fs::read_to_string(path)
                .map_err(|e| format!("bad event: --event-file {}: {e}", path.display()))?,
            format!("--event-file {}", path.display()),
        ),
        (None, None) => return Ok(Value::Null),
    };
    serde_json::from_str(&text).map_err(|e| format!("bad event: {origin}: not JSON: {e}"))
}

fn print_summary(summary: &Summary) {
    match serde_json::to_string(summary) {
        Ok(json) => println!("{json}"),
        Err(e) => eprintln!("could not serialise the summary: {e}"),
    }
}

fn refuse(message: &str) -> ExitCode {
    eprintln!("{message}");
    println!(
        "{}",
        serde_json::json!({ "status": "refused", "error": message })
    );
    ExitCode::from(EXIT_BAD_INPUT)
}

fn fail(error: &anyhow::Error) -> ExitCode {
    tracing::error!(error = format!("{error:#}"), "failed");
    eprintln!("error: {error:#}");
    ExitCode::from(EXIT_FAILED)
}
