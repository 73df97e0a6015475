use std::process::ExitCode;

fn main() -> ExitCode {
    limit_allocator_arenas();
    return_freed_memory_periodically();
    centrale::telemetry::init();
    match centrale::cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// glibc gives each thread that allocates under contention an arena of its own (up to eight
/// per core), and memory freed in one arena is never reused by another: with a request
/// thread per core and a blocking thread per database connection, the server's peak RSS
/// under load was twice what it held. Two arenas keep contention low on the request threads
/// and the footprint near what is in use. `MALLOC_ARENA_MAX` set by an operator still wins.
#[allow(unsafe_code)]
fn limit_allocator_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: called first thing in main, before any other thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

/// glibc keeps what a burst of requests freed (a page of the supplier feed, the reports page)
/// inside its heaps, so resident memory only ever grows to the largest burst seen and stays
/// there. Every few seconds `malloc_trim` hands whole free pages back to the kernel, so the
/// footprint follows what is in use. It takes each arena's lock for a walk over its free
/// chunks, a millisecond or so.
#[allow(unsafe_code)]
fn return_freed_memory_periodically() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const EVERY: std::time::Duration = std::time::Duration::from_secs(5);
        let spawned = std::thread::Builder::new()
            .name("centrale-trim".into())
            .stack_size(64 * 1024)
            .spawn(|| loop {
                std::thread::sleep(EVERY);
                // SAFETY: malloc_trim only works on glibc's own heaps, under their locks.
                unsafe {
                    libc::malloc_trim(0);
                }
            });
        if let Err(error) = spawned {
            eprintln!("warning: freed memory will not be returned to the system: {error}");
        }
    }
}
