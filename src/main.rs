//! The `pbvote` command. All the work is in the library; see `pbvote --help`.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    pbvote::cli::main().await
}
