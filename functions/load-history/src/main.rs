use std::process::ExitCode;

use load_history::LoadHistory;

#[tokio::main]
async fn main() -> ExitCode {
    precog::runner::main(LoadHistory::build).await
}
