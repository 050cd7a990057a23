use clap::Parser;
use lately_notifier::{configuration::Config, startup::Application};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    lately_service::health::run_if_asked("LATELY_NOTIFIER_ADDR", "127.0.0.1:8089", "/readyz");
    let config = Config::parse();
    lately_service::telemetry::init("notifier");
    let app = Application::build(config).await?;
    app.run_until_stopped().await
}
