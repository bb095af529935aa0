//! The `nianbao` command. The modes live in `cli/`; this file only starts it.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
