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

/// `Set-Cookie` for a refresh token: HttpOnly, Secure (see [`cookie_secure`]),
/// SameSite=Strict, sent only to the accounts calls, for as long as the token lives.
pub fn refresh_set_cookie(value: &str, path: &str, max_age_seconds: i64, secure: bool) -> String {
    cookie::Cookie::build((REFRESH_COOKIE, value.to_owned()))
        .http_only(true)
        .secure(secure)
        .same_site(cookie::SameSite::Strict)
        .path(path.to_owned())
        .max_age(cookie::time::Duration::seconds(max_age_seconds))
        .build()
        .to_string()
}

/// Whether the refresh cookie is `Secure` for this request: yes, unless it
/// came over plain http to a loopback host (`Host` 127.0.0.0/8, `[::1]` or
/// `localhost`, and no `X-Forwarded-Proto: https` or `Forwarded: proto=https`
/// from a TLS front). A cookie jar sends a Secure cookie back only over a
/// secure channel (RFC 6265 §5.4: Python's http.cookiejar, curl), so on
/// loopback http the cookie transport would be lost; anywhere else the
/// cookie stays Secure.
pub fn cookie_secure(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let behind_tls = text("x-forwarded-proto")
        .is_some_and(|p| p.split(',').any(|p| p.trim().eq_ignore_ascii_case("https")))
        || text("forwarded").is_some_and(|f| {
            f.split([';', ',']).any(|part| {
                part.trim().split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("proto")
                        && v.trim().trim_matches('"').eq_ignore_ascii_case("https")
                })
            })
        });
    let host = text("host").unwrap_or_default();
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    behind_tls || !is_loopback_host(name)
}

/// `localhost`, or an IP address of the loopback range (`127.0.0.0/8`, `::1`;
/// an IPv6 address with or without its brackets), without a port.
pub fn is_loopback_host(name: &str) -> bool {
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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
        let c = refresh_set_cookie("abc", "/api/v1/accounts", 60, true);
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
        let plain = refresh_set_cookie("abc", "/api/v1/accounts", 60, false);
        assert!(
            !plain.contains("Secure") && plain.contains("HttpOnly"),
            "{plain}"
        );
    }

    #[test]
    fn the_cookie_is_secure_except_over_plain_http_to_loopback() {
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, axum::http::HeaderValue::from_static(v));
            }
            cookie_secure(&h)
        };
        for host in [
            "127.0.0.1:8080",
            "127.1.2.3",
            "localhost:3000",
            "LOCALHOST",
            "[::1]:8080",
        ] {
            assert!(!with(&[("host", host)]), "{host}");
            assert!(
                with(&[("host", host), ("x-forwarded-proto", "https")]),
                "{host}"
            );
            assert!(
                with(&[("host", host), ("forwarded", "for=1.2.3.4;proto=https")]),
                "{host}"
            );
        }
        for host in [
            "api.fileverbs.com",
            "10.0.0.5:8080",
            "localhost.example.com",
            "[2001:db8::1]",
        ] {
            assert!(with(&[("host", host)]), "{host}");
        }
        assert!(with(&[]), "no Host: Secure");
    }
}
