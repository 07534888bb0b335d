//! FileVerbs' wire format: the `{"message"}` error body, the SecretKey and
//! Bearer headers, and the refresh-token cookie.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::body::BodyRejection;
use crate::headers;

/// The cookie that carries the refresh token (the catalogue's choice; the
/// documentation only says "an HTTP-only cookie").
pub const REFRESH_COOKIE: &str = "RefreshToken";

/// A FileVerbs request body (JSON only).
pub type Body<T> = crate::body::VendorBody<T, ApiError>;

/// `{"message": "…"}` with a status: the error body (undocumented; see the spec).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl From<BodyRejection> for ApiError {
    fn from(r: BodyRejection) -> Self {
        ApiError::new(r.status, r.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({ "message": self.message }))).into_response()
    }
}

/// The `SecretKey` header (header names are case-insensitive in HTTP).
pub fn secret_key(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("secretkey")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The token of `Authorization: Bearer <token>`.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers::authorization(headers, "Bearer")
}

/// The refresh token from the `RefreshToken` cookie (a quoted value, as
/// RFC 6265 allows it, without its quotes).
pub fn refresh_cookie(headers: &HeaderMap) -> Option<String> {
    headers::cookie(headers, REFRESH_COOKIE)
        .map(|v| v.trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for a refresh token: HttpOnly, Secure, SameSite=Strict, sent
/// only to the accounts calls, for as long as the token lives.
pub fn refresh_set_cookie(value: &str, path: &str, max_age_seconds: i64) -> String {
    cookie::Cookie::build((REFRESH_COOKIE, value.to_owned()))
        .http_only(true)
        .secure(true)
        .same_site(cookie::SameSite::Strict)
        .path(path.to_owned())
        .max_age(cookie::time::Duration::seconds(max_age_seconds))
        .build()
        .to_string()
}

/// The claims of an issued JWT (the variant names `sub` `id` and has no `iat`).
#[derive(Serialize, Deserialize, Debug)]
pub struct Claims {
    #[serde(alias = "id")]
    pub sub: String,
    #[serde(default)]
    pub iat: i64,
    pub exp: i64,
    pub role: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refresh_cookie_is_locked_down() {
        let c = refresh_set_cookie("abc", "/api/v1/accounts", 60);
        for part in [
            "RefreshToken=abc",
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/api/v1/accounts",
            "Max-Age=60",
        ] {
            assert!(c.contains(part), "{c} lacks {part}");
        }
    }
}
