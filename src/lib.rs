//! authconform: conformance test harness, reference server and mocks for the
//! token and API-key authentication APIs of LiquidFiles, CA Live API Creator,
//! Limecraft Flow and FileVerbs.
//!
//! See `ARCHITECTURE.md` for the map of the parts.
//!
//! Cargo features: `mock` ([`mock`]: mocks for a client's own tests),
//! `harness` (the conformance suite), `wiremock-stubs` (`mock::stubs`), `cli`
//! (the binary; the default, with `harness` and `mock`). The reference server
//! is always there. A client project takes
//! `authconform = { default-features = false, features = ["mock"] }`.

pub mod clock;
pub mod fixtures;
#[cfg(feature = "harness")]
pub mod harness;
#[cfg(feature = "mock")]
pub mod mock;
pub mod provenance;
pub mod redact;
pub mod reference;
pub mod secret;
pub mod spec;
pub mod totp;
pub mod vendor;
