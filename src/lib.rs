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

//! The API is [`mock`] (and [`vendor`], which names a mock's vendor); the
//! other modules are public for the binary and the integration tests only,
//! hidden from the documentation, and may change in any release.

#[doc(hidden)]
pub mod clock;
#[doc(hidden)]
pub mod fixtures;
#[cfg(feature = "harness")]
#[doc(hidden)]
pub mod harness;
#[doc(hidden)]
pub mod hs256;
#[cfg(feature = "mock")]
pub mod mock;
#[doc(hidden)]
pub mod provenance;
#[doc(hidden)]
pub mod redact;
#[doc(hidden)]
pub mod reference;
#[doc(hidden)]
pub mod secret;
#[doc(hidden)]
pub mod spec;
#[doc(hidden)]
pub mod totp;
pub mod vendor;
