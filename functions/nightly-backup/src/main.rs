// The runner's future wraps the AWS SDK's deeply nested ones; the default limit is too low.
#![recursion_limit = "256"]

use std::process::ExitCode;

use nightly_backup::NightlyBackup;

#[tokio::main]
async fn main() -> ExitCode {
    precog::runner::main(NightlyBackup::build).await
}
