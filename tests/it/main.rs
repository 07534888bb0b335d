//! The integration tests, in one binary (as ripgrep's `tests/tests.rs`): one
//! link instead of one per file, and `crate::common` shared without
//! `dead_code` noise. `cargo test --test it <filter>` runs a part of it.
//!
//! Two suites stand alone: `tests/conformance.rs` (cucumber's own runner,
//! `harness = false`) and `tests/verdicts/` (the fault matrix and the variant
//! servers, which run the whole harness in-process and so own the panic hook
//! that cucumber swaps while it runs).

mod bad_input;
mod cli;
mod clients;
mod common;
mod fileverbs_bad_input;
mod fileverbs_properties;
mod fileverbs_snapshots;
mod html_report;
mod lac_bad_input;
mod lac_cli;
mod lac_properties;
mod lac_snapshots;
mod limits_connections;
mod limits_fairness;
mod limits_families;
mod limits_hashing;
mod limits_log;
mod limits_shutdown;
mod limits_throttle;
mod limits_timeouts;
mod limits_tokens;
mod liquidfiles_bad_input;
mod liquidfiles_browser;
mod liquidfiles_properties;
mod liquidfiles_seed_script;
mod liquidfiles_snapshots;
mod mock;
mod mock_liquidfiles;
mod properties;
mod report_consumers;
mod snapshots;
mod spec;
mod wiremock_export;
