use clap::Parser;
use lately_notifier::{configuration::Config, startup::Application};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    lately_service::telemetry::init("notifier");
    let app = Application::build(config).await?;
    app.run_until_stopped().await
}
