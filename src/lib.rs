//! authconform: conformance test harness, reference server and mocks for the
//! token and API-key authentication APIs of LiquidFiles, CA Live API Creator,
//! Limecraft Flow and FileVerbs.
//!
//! See `ARCHITECTURE.md` for the map of the parts.

pub mod clock;
pub mod fixtures;
pub mod harness;
pub mod redact;
pub mod reference;
pub mod secret;
pub mod spec;
pub mod totp;
pub mod vendor;
