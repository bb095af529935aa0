//! The `nianbao` command: `main` only runs [`cli::run`] and turns its result
//! into the exit code. The modes live in `src/cli/`, and use only the
//! library's public face.

mod cli;

use std::process::ExitCode;

/// mimalloc: small allocations are most of what a report asks of the
/// allocator (Cargo.toml says why).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::restore_sigpipe();
    match cli::run() {
        Ok(code) => code,
        Err(fatal) => {
            eprintln!("{fatal}");
            ExitCode::from(2)
        }
    }
}
