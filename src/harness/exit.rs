//! The process's exit codes, named once (as nextest's `NextestExitCode`):
//! the CLI returns them, the harness computes them ([`super::report`]'s
//! verdict), the CI script and the tests compare with them. `run --help`,
//! the README and `ci/authconform-check.sh` list the same table.

/// Exit codes of `authconform`.
pub enum Exit {}

impl Exit {
    /// Every scenario that ran passed (warnings do not count); `check`: ready.
    pub const PASSED: i32 = 0;
    /// A conformance failure (under `--strict`, a warning too).
    pub const FAILED: i32 = 1;
    /// Bad usage or configuration, a target that preflight finds not ready, a
    /// server that stopped answering mid-run or cannot start, nothing
    /// selected: the message says what to fix.
    pub const SETUP: i32 = 2;
    /// Stopped by Ctrl-C (SIGINT) or SIGTERM: 128 + SIGINT, as shells report it.
    pub const INTERRUPTED: i32 = 130;

    /// The process's exit code for one of the codes above.
    pub fn process(code: i32) -> std::process::ExitCode {
        std::process::ExitCode::from(u8::try_from(code).unwrap_or(u8::MAX))
    }
}
