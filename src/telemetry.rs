//! Logs go to standard error, filtered by `RUST_LOG` (default: info for the shop, warnings
//! for libraries).

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("warn,centrale=info,actix_web::middleware::logger=info")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
