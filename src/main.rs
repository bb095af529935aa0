//! The `nianbao` command: `main` only runs [`cli::run`] and turns its result
//! into the exit code. The modes live in `src/cli/`, and use only the
//! library's public face.

mod cli;

use std::process::ExitCode;

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
