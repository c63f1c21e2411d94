use std::process::ExitCode;

use collect_espn::CollectEspn;

#[tokio::main]
async fn main() -> ExitCode {
    precog::runner::main(CollectEspn::build).await
}
