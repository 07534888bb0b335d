//! The FileVerbs calls the steps make, as documented (and the `@ext` refresh
//! and revoke calls at the target's paths): one function per call, no assertions.

use reqwest::Method;
use serde_json::json;

use crate::harness::exchange::Call;

pub const ACCESS_TOKEN: &str = "/accounts/access-token";
/// The operations of the spec that the refresh and revoke paths are checked against.
pub const REFRESH: &str = "/accounts/refresh-token";
pub const REVOKE: &str = "/accounts/revoke-token";
/// The spec's probe operation; the target's `probe_path` is where it is sent.
pub const PROBE: &str = "/endpoint";

/// The documented name of the machine-to-machine header.
pub const SECRET_KEY_HEADER: &str = "SecretKey";
/// The cookie the reference server sets with the refresh token. The document
/// names no cookie: the steps learn a server's name from the `Set-Cookie`
/// whose value is the RefreshToken field, and use this one only as a fallback.
pub const REFRESH_COOKIE: &str = "RefreshToken";

pub fn access_token(secret_key: &str, api_key: &str) -> Call {
    Call::new(Method::POST, ACCESS_TOKEN)
        .json(json!({ "SecretKey": secret_key, "APIKey": api_key }))
}

/// An access-token request with an arbitrary body (missing fields, wrong types, non-JSON).
pub fn access_token_raw(content_type: &str, body: &[u8]) -> Call {
    Call::new(Method::POST, ACCESS_TOKEN).raw(content_type, body.to_vec())
}

pub fn probe(probe_path: &str) -> Call {
    Call::new(Method::GET, PROBE).path(probe_path)
}

pub fn probe_with_secret_key(probe_path: &str, secret_key: &str) -> Call {
    probe(probe_path).header(SECRET_KEY_HEADER, secret_key)
}

pub fn probe_with_bearer(probe_path: &str, jwt: &str) -> Call {
    probe(probe_path).header("Authorization", &format!("Bearer {jwt}"))
}

/// A refresh with the cookie as the server set it (`name=value`).
pub fn refresh_with_cookie(path: &str, cookie: &str) -> Call {
    Call::new(Method::POST, REFRESH)
        .path(path)
        .header("Cookie", cookie)
}

pub fn refresh_with_body(path: &str, refresh_token: &str) -> Call {
    Call::new(Method::POST, REFRESH)
        .path(path)
        .json(json!({ "RefreshToken": refresh_token }))
}

pub fn revoke(path: &str, refresh_token: &str) -> Call {
    Call::new(Method::POST, REVOKE)
        .path(path)
        .json(json!({ "RefreshToken": refresh_token }))
}
