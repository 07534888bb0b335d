//! wiremock-rs stubs.
