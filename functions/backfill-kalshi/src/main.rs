use std::process::ExitCode;

use backfill_kalshi::BackfillKalshi;

#[tokio::main]
async fn main() -> ExitCode {
    precog::runner::main(BackfillKalshi::build).await
}
