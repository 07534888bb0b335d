//! authconform: conformance test harness, reference server and mocks for the
//! token and API-key authentication APIs of LiquidFiles, CA Live API Creator,
//! Limecraft Flow and FileVerbs.
//!
//! See `ARCHITECTURE.md` for the map of the parts. This crate is the harness
//! (the conformance suite) and, with the `cli` feature, the binary. The
//! reference server is the crate `authconform-reference`; the mocks a client's
//! tests depend on are the crate `authconform-mock`. Both are re-exported here
//! under the names the harness and the integration tests use.
//!
//! Nothing here is a stable API: a client project depends on
//! `authconform-mock`, whose small API the compiler keeps.

#[doc(hidden)]
pub mod harness;

/// The command line's arguments and dispatch (the binary calls it).
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;

#[doc(hidden)]
pub use authconform_reference as reference;
#[doc(hidden)]
pub use authconform_reference::{
    clock, fixtures, hs256, provenance, redact, secret, spec, totp, vendor,
};

pub use authconform_mock as mock;
