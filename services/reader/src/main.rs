use clap::Parser;
use lately_reader::{configuration::Config, startup::Application};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    lately_service::health::run_if_asked("LATELY_READER_ADDR", "127.0.0.1:8082", "/readyz");
    let config = Config::parse();
    lately_service::telemetry::init("reader");
    let app = Application::build(config).await?;
    app.run_until_stopped().await
}
