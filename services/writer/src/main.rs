use clap::Parser;
use lately_writer::{configuration::Config, startup::Application};

/// Every request allocates and frees a few dozen small buffers (JSON, headers, the event);
/// mimalloc does that faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    lately_service::health::run_if_asked("LATELY_WRITER_ADDR", "127.0.0.1:8081", "/readyz");
    let config = Config::parse();
    lately_service::telemetry::init("writer");
    let app = Application::build(config).await?;
    app.run_until_stopped().await
}
