use std::process::ExitCode;

use backtest_run::{Args, BacktestRun};

#[tokio::main]
async fn main() -> ExitCode {
    precog::runner::main_with_args::<_, Args>(BacktestRun::build).await
}
