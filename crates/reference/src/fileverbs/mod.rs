//! The FileVerbs reference server: routes and handlers.
//!
//! Paths as documented relative to the API base (`/api/v1`); mounted at
//! `/fileverbs` on the shared server or at the root with `--vendor fileverbs`.
//! Refresh and revoke are `@ext`: the documentation names neither path.

mod control;
pub mod rules;
pub mod store;
pub mod switches;
pub mod variant;
pub mod wire;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::body::BodyEncodings;
use crate::fault::Fault;
pub use store::{FileVerbs, FileVerbsConfig};
use wire::{ApiError, Body};

impl crate::mount::VendorServer for FileVerbs {
    fn vendor(&self) -> crate::vendor::Vendor {
        crate::vendor::Vendor::FileVerbs
    }

    fn router(&self, mount: &str) -> Router {
        router(self.clone(), mount, self.config())
    }

    fn control_hooks(&self) -> Option<Router> {
        Some(control::hooks(self.clone()))
    }
}

#[derive(Clone)]
struct Routes {
    fv: FileVerbs,
    /// The cookie path: the accounts calls, as mounted.
    cookie_path: std::sync::Arc<str>,
    refresh_ttl: i64,
}

/// The router for one FileVerbs reference server; `mount` is where it is
/// nested (`/fileverbs`, or empty at the root), for the cookie's path.
pub fn router(fv: FileVerbs, mount: &str, config: &FileVerbsConfig) -> Router {
    let routes = Routes {
        fv,
        cookie_path: format!("{mount}/api/v1/accounts").into(),
        refresh_ttl: config.refresh_ttl,
    };
    let non_json_401 = routes.fv.fault_is(Fault::NonJsonBody401);
    let error_field = routes.fv.fault_is(Fault::ErrorBodyNotMessage);
    let router = Router::new()
        .route("/api/v1/accounts/access-token", post(access_token))
        .route("/api/v1/accounts/refresh-token", post(refresh_token))
        .route("/api/v1/accounts/revoke-token", post(revoke_token))
        // The methods the spec lists; another is a 405.
        .route("/api/v1/endpoint", get(probe).post(probe))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(routes);
    let router = if variant::wire_switches_flipped(&config.switches) {
        router.layer(axum::middleware::from_fn_with_state(
            config.switches.clone(),
            variant::layer,
        ))
    } else {
        router
    };
    let router = if error_field {
        router.layer(axum::middleware::map_response(error_as_error_field))
    } else {
        router
    };
    if non_json_401 {
        router.layer(axum::middleware::map_response(unsupported_as_401))
    } else {
        router
    }
}

/// The `error-body-not-message` fault: every error body says `{"error": …}`.
async fn error_as_error_field(response: Response) -> Response {
    if response.status().is_success() {
        return response;
    }
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or_default();
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// The `non-json-body-401` fault: a 415 answers 401 instead.
async fn unsupported_as_401(response: Response) -> Response {
    if response.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        ApiError::unauthorized("unauthorized").into_response()
    } else {
        response
    }
}

#[derive(Deserialize)]
struct AccessTokenRequest {
    #[serde(rename = "SecretKey")]
    secret_key: String,
    #[serde(rename = "APIKey")]
    api_key: String,
}

impl BodyEncodings for AccessTokenRequest {
    const FORM: bool = false;
}

async fn access_token(
    State(r): State<Routes>,
    headers: HeaderMap,
    body: Body<AccessTokenRequest>,
) -> Result<Response, ApiError> {
    let body = body
        .value
        .ok_or_else(|| ApiError::bad_request("SecretKey and APIKey are required"))?;
    let issued = r.fv.issue(&body.secret_key, &body.api_key)?;
    Ok(with_refresh_cookie(&r, &headers, issued))
}

/// The JSON body plus the refresh token as an HTTP-only cookie (Secure but
/// over plain http to loopback: [`wire::cookie_secure`]).
fn with_refresh_cookie(r: &Routes, headers: &HeaderMap, issued: store::Authenticated) -> Response {
    let mut cookie = wire::refresh_set_cookie(
        &issued.refresh_token,
        &r.cookie_path,
        r.refresh_ttl,
        wire::cookie_secure(headers),
    );
    if r.fv.fault_is(Fault::RefreshCookieNotHttpOnly) {
        cookie = cookie.replace("; HttpOnly", "");
    }
    let mut body = serde_json::to_value(&issued).unwrap_or_default();
    if r.fv.fault_is(Fault::IsVerifiedAsText) {
        body["IsVerified"] = json!(issued.is_verified.to_string());
    }
    let mut response = axum::Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

#[derive(Deserialize)]
struct RefreshTokenRequest {
    #[serde(rename = "RefreshToken", default)]
    refresh_token: Option<String>,
}

impl BodyEncodings for RefreshTokenRequest {
    const FORM: bool = false;
}

/// The refresh token from the body, else from the cookie.
fn presented_refresh(
    headers: &HeaderMap,
    body: Body<RefreshTokenRequest>,
) -> Result<String, ApiError> {
    body.value
        .and_then(|b| b.refresh_token)
        .filter(|t| !t.is_empty())
        .or_else(|| wire::refresh_cookie(headers))
        .ok_or_else(|| {
            ApiError::unauthorized(
                "A refresh token is required (the RefreshToken cookie or body field).",
            )
        })
}

async fn refresh_token(
    State(r): State<Routes>,
    headers: HeaderMap,
    body: Body<RefreshTokenRequest>,
) -> Result<Response, ApiError> {
    let presented = presented_refresh(&headers, body)?;
    let issued = r.fv.refresh(&presented)?;
    Ok(with_refresh_cookie(&r, &headers, issued))
}

async fn revoke_token(
    State(r): State<Routes>,
    headers: HeaderMap,
    body: Body<RefreshTokenRequest>,
) -> Result<Response, ApiError> {
    let presented = presented_refresh(&headers, body)?;
    r.fv.revoke(&presented)?;
    let mut response = axum::Json(json!({ "message": "Token revoked" })).into_response();
    let expired = wire::refresh_set_cookie("", &r.cookie_path, 0, wire::cookie_secure(&headers));
    if let Ok(v) = HeaderValue::from_str(&expired) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// The protected probe: a SecretKey, if sent, must be valid; else a bearer JWT.
/// (It takes the request to read its headers in place, not a copy of them.)
async fn probe(
    State(r): State<Routes>,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let headers = request.headers();
    let proof = match (wire::secret_key(headers), wire::bearer(headers)) {
        (Some(key), _) => r.fv.check_secret_key(key)?,
        (None, Some(jwt)) => r.fv.check_bearer(jwt)?,
        (None, None) => {
            return Err(ApiError::unauthorized(
                "A SecretKey header or a bearer token is required.",
            ));
        }
    };
    // What `axum::Json(json!({ "message": "authorized", "via": via }))` writes.
    let body: &'static str = match proof {
        store::Proof::SecretKey => r#"{"message":"authorized","via":"SecretKey"}"#,
        store::Proof::Bearer => r#"{"message":"authorized","via":"Bearer"}"#,
    };
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "There is no such API call.")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "This API call does not accept this method.",
    )
}
