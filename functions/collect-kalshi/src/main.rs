use std::process::ExitCode;

use collect_kalshi::CollectKalshi;

#[tokio::main]
async fn main() -> ExitCode {
    precog::runner::main(CollectKalshi::build).await
}
