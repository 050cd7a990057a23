use clap::Parser;
use lately_x_sandbox::{Config, Sandbox};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    lately_service::health::run_if_asked("LATELY_SANDBOX_ADDR", "127.0.0.1:8090", "/healthz");
    let mut config = Config::parse();
    // Docker secrets: X_CONSUMER_KEY_FILE and friends.
    for (name, field) in [
        ("X_CONSUMER_KEY", &mut config.consumer_key),
        ("X_CONSUMER_SECRET", &mut config.consumer_secret),
        ("X_ACCESS_TOKEN", &mut config.access_token),
        ("X_ACCESS_SECRET", &mut config.access_secret),
    ] {
        if let Some(v) = lately_service::secrets::from_env_or_file(name)? {
            *field = v;
        }
    }
    lately_service::telemetry::init("x-sandbox");
    let sandbox = Sandbox::build(config)?;
    sandbox.run_until_stopped().await
}
