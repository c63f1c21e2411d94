//! One handler, three ways to run (docs/architecture.md): the Lambda loop when `AWS_LAMBDA_RUNTIME_API` is
//! set, otherwise once from the command line (`--event`, `--event-file`, `--migrate`), and
//! `cargo lambda watch` locally, which is the Lambda loop again.
//!
//! Around every invocation the runner does the same things so functions don't: refuse a bad event
//! before anything is written, take the function's advisory lock (or record a `skipped` run),
//! keep the `collection_runs` ledger, enforce the deadline, and report one JSON summary.

mod cli;
mod event;
mod invocation;

pub use cli::{main, main_with_args, NoArgs, Setup};
pub use event::{check_max_seconds, parse_event, BadEvent, Event, Trigger};
pub use invocation::{invoke, Function, Report, Run, Summary};
