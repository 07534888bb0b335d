//! `authconform`: parses the command line and calls the library's
//! [`authconform::cli::dispatch`], which hands each command to the part that
//! does it. Exit codes: `authconform::harness::exit::Exit`.

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    authconform::cli::dispatch(authconform::cli::Cli::parse())
}
