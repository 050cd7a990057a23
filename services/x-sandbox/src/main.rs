use clap::Parser;
use lately_x_sandbox::{Config, Sandbox};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    lately_service::telemetry::init("x-sandbox");
    let sandbox = Sandbox::build(config)?;
    sandbox.run_until_stopped().await
}
