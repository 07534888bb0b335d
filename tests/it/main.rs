//! The integration tests, in one binary (as ripgrep's `tests/tests.rs`): one
//! link instead of one per file, and `crate::common` shared without
//! `dead_code` noise. `cargo test --test it <filter>` runs a part of it.
//!
//! Two suites stand alone: `tests/conformance.rs` (cucumber's own runner,
//! `harness = false`) and `tests/verdicts/` (the fault matrix and the variant
//! servers, which run the whole harness in-process and so own the panic hook
//! that cucumber swaps while it runs).

// What the tests share: a reference server started, a request sent (over HTTP
// or in-process), the answer read, the bad-input loops.
mod common;

// ---- one vendor each: `<vendor>_*` (a filter such as `lac_` runs a vendor's)

// FileVerbs: hostile and malformed input gets a 4xx with `{"message"}`.
mod fileverbs_bad_input;
// FileVerbs: the refresh-token families of the reference store against a model.
mod fileverbs_properties;
// FileVerbs: every documented response shape, tokens and times redacted.
mod fileverbs_snapshots;

// CA Live API Creator: hostile and malformed input gets a 4xx with LAC's error body.
mod lac_bad_input;
// CA Live API Creator: its own command line (`lac`, npm) against the server, the mock and WireMock.
mod lac_cli;
// CA Live API Creator: sign-on, revalidation, disabling and expiry against a model.
mod lac_properties;
// CA Live API Creator: every documented response shape, tokens and times redacted.
mod lac_snapshots;

// Limecraft: malformed JSON and forms, huge bodies and tokens, non-UTF-8 bytes.
mod limecraft_bad_input;
// Limecraft: which tokens of the reference store authorize, against a model.
mod limecraft_properties;
// Limecraft: seed 003's sample client (npm totp-generator's SHA-1 code for the
// advertised SHA512 key) logs in to the reference server and the mock.
mod limecraft_sample_client;
// Limecraft: every documented response shape, tokens and times redacted.
mod limecraft_snapshots;

// LiquidFiles: hostile XML (DOCTYPEs, entity bombs, raw `&`), forms and bodies.
mod liquidfiles_bad_input;
// LiquidFiles: `/session/api` in a real headless Chromium, callback included.
mod liquidfiles_browser;
// LiquidFiles: the mock as a client's tests use it (XML login, browser login, callback).
mod liquidfiles_mock;
// LiquidFiles: any password escaped as character references logs in, one changed character does not.
mod liquidfiles_properties;
// LiquidFiles: /saml/api through the embedded IdP over HTTP; each SP rule refused, and accepted by its fault.
mod liquidfiles_saml;
// LiquidFiles: the seed's own curl script, run verbatim (needs `curl`).
mod liquidfiles_seed_script;
// LiquidFiles: every response shape (XML, JSON, HTML pages), keys and times redacted.
mod liquidfiles_snapshots;

// ---- every vendor

// The command line end to end: exit codes, target files, several targets, skips, reports, logs.
mod cli;
// What real clients send and read: LiquidFiles' CLI, Limecraft's Python clients.
mod clients;
// The HTML report opened in headless Chromium.
mod html_report;
// The harness against a hostile server (issue #26 R1, R3, R9): bodies without
// end, a control API that hangs or redirects, escapes and workflow commands.
mod hostile_server;
// Abuse of the reference server (issue #26): pending-login floods, racing
// password changes, the control API's guard.
mod limits_abuse;
// The README: the quickstart run as written, every command accepted.
mod readme;
// In a pipeline: reports for every outcome, Ctrl-C, shared servers, the server's clock, preflight's diagnoses.
mod pipeline;
// Hostile clients (issue #12): the connection cap.
mod limits_connections;
// Hostile clients (issue #26 R4, R15): fair connection slots, shedding, protocol points.
mod limits_fairness;
// Hostile clients (issue #12): the FileVerbs refresh-token family cap.
mod limits_families;
// Hostile clients (issue #12): a hashing flood at the production Argon2 cost.
mod limits_hashing;
// Hostile clients (issue #12): a blocked log reader.
mod limits_log;
// Hostile clients (issue #12): shutdown with a request in flight and a stuck connection.
mod limits_shutdown;
// Hostile clients (issues #12, #26 R6/R7): failed-login throttles per account and source.
mod limits_throttle;
// Hostile clients (issue #12): slow and half-sent requests cut off.
mod limits_timeouts;
// Hostile clients (issue #26 R5, R11, R12): issued tokens bounded per owner and in total.
mod limits_tokens;
// The mocks of Limecraft, FileVerbs and LAC as a client's tests use them.
mod mock;
// Properties of the shared primitives: TOTP (RFC 6238, the window), secrets, tokens.
mod properties;
// Every citation (a documented check, a switch's silence, a spec's response) is in the seed it cites.
mod provenance;
// The reports as their consumers read them: JUnit through junitparser, Cucumber JSON rendered.
mod report_consumers;
// A run split over machines (`run --partition K/N`) and merged back (`report merge`).
mod shards;
// SAML with implementations we did not write: xmlsec1, node-saml (SP), samlify (IdP).
mod saml_interop;
// The OpenAPI documents: they parse, cover every call of the features, their examples fit.
mod spec;
// The WireMock export in the real WireMock standalone server.
mod wiremock_export;
