use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    read_api::serve::main().await
}
