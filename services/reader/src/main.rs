use clap::Parser;
use lately_reader::{configuration::Config, startup::Application};

/// A replica holds hundreds of thousands of small allocations (every item's strings and
/// history) for its whole life; mimalloc packs them tighter than the system allocator and
/// gives freed catch-up pages back to the OS.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A multi-threaded runtime, not actix's single-threaded one: following the log (reading the
/// next page while the last one is decoded and applied) runs on it, beside the HTTP workers,
/// which actix starts on threads of their own.
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    lately_service::health::run_if_asked("LATELY_READER_ADDR", "127.0.0.1:8082", "/readyz");
    let config = Config::parse();
    lately_service::telemetry::init("reader");
    let app = Application::build(config).await?;
    app.run_until_stopped().await
}
