use std::process::ExitCode;

fn main() -> ExitCode {
    centrale::telemetry::init();
    match centrale::cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
