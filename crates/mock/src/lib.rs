//! Mocks of the vendors' APIs for a client's own tests: the reference server,
//! one vendor at the root of a fresh port, with a handle to steer it.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use authconform_mock as mock;
//!
//! let mock = mock::Limecraft::start().await;
//! let login = reqwest::Client::new()
//!     .post(format!("{}/authentication/login", mock.base_url()))
//!     .json(&serde_json::json!({"username": "alice", "password": "alice-Pa55word"}))
//!     .send()
//!     .await?;
//! assert_eq!(login.status(), 200);
//! assert_eq!(mock.received_requests().len(), 1);
//! # Ok(()) }
//! ```
//!
//! Each mock ([`Limecraft`], [`Lac`], [`FileVerbs`], [`LiquidFiles`]) is stateful and follows
//! every documented rule (it *is* the reference server, in test mode with cheap
//! password hashing), seeded with the accounts of `fixtures/reference.yaml`
//! (see each vendor's page). The handle derefs to [`MockServer`], what every
//! vendor shares:
//!
//! - [`MockServer::base_url`]: the vendor's documented API base on this server;
//! - [`MockServer::advance_clock`]: expiry and TOTP windows without sleeping;
//! - [`MockServer::received_requests`]: the journal (secrets redacted in `Debug`);
//! - fault injection per endpoint (method + path as the spec writes it):
//!   [`MockServer::fail_next`] (the vendor's own error envelope),
//!   [`MockServer::add_latency`], [`MockServer::drop_connection_next`],
//!   [`MockServer::malformed_body_next`].
//!
//! Dropping the handle stops the server and closes its port, so a test suite
//! can start one mock per test.

#![warn(missing_docs)]

// The public API of this crate is what this file declares `pub`: the four
// handles, what they share, the journal, the agent-port listener, the exports
// and (feature `wiremock-stubs`) the wiremock-rs stubs. It is all a client's
// tests need; the reference server behind it is the crate
// `authconform-reference`, whose API may change in any release.

mod fileverbs;
mod journal;
mod lac;
mod limecraft;
mod liquidfiles;
mod server;

pub mod export;
#[cfg(feature = "wiremock-stubs")]
pub mod stubs;

pub use fileverbs::FileVerbs;
pub use journal::ReceivedRequest;
pub use lac::Lac;
pub use limecraft::Limecraft;
pub use liquidfiles::{AgentCallback, AgentListener, LiquidFiles};
pub use server::{MockError, MockServer};

/// The vendor a mock, an export or a stub is for.
pub use authconform_reference::vendor::Vendor;
