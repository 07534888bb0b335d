//! The variant Limecraft server (`LimecraftConfig::variant`, `serve --variant`):
//! another server that keeps every rule of seed 003 and answers otherwise
//! wherever the seed is silent, so the suite is shown to pass a conforming
//! server that is not ours (`tests/verdicts/variants.rs`).
//!
//! One layer over the reference router, at the wire; the rules in `store.rs`
//! are untouched. Each deviation, and why the seed allows it:
//!
//! - Every error except the login's 401 has Spring Boot's body
//!   `{timestamp, status, error, message, path}`: the seed shows the
//!   `UnauthorizedError` envelope for the login's wrong credentials only, and
//!   gives enable2fa's 403 / 404 and the login's 403 as statuses without bodies.
//! - GET /authentication/user refuses a missing or invalid token with 403
//!   (Spring Security's answer to an anonymous caller): the seed lists only
//!   "200 User is logged in" for it.
//! - 2fa/validate answers a refusal with 200 and a RestToken
//!   `{"message": …, "needsSecondToken": true, "status": <4xx>, "token": null}`:
//!   the seed's only response is a RestToken "default response".
//! - 2fa/validate's success writes `"message": null`, and GET
//!   /authentication/user writes `null` for optional fields it has no value for
//!   and one field the seed does not list (`language`): every RestToken field
//!   and those User fields are optional, as a Java server writes them.
//! - POST /authentication/logout without a live token answers 200 (nothing to
//!   end): the seed lists only 200, and LC25 allows 200 or 401.
//! - A form `rememberMe` is read as Java form binding reads a boolean:
//!   `true/false/on/off/yes/no/1/0`, any case: the seed says "Boolean", not
//!   how a form spells it.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{OriginalUri, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::store::Limecraft;
use super::wire::{ApiError, PresentedToken};
use crate::body::MAX_BODY_BYTES;

/// The documented operations, by the end of their path (the router may be
/// mounted under a vendor prefix).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    Login,
    Validate,
    User,
    Logout,
    Other,
}

impl Operation {
    fn of(method: &Method, path: &str) -> Operation {
        let path = path.trim_end_matches('/');
        match *method {
            Method::POST if path.ends_with("/authentication/login") => Operation::Login,
            Method::POST if path.ends_with("/authentication/2fa/validate") => Operation::Validate,
            Method::GET if path.ends_with("/authentication/user") => Operation::User,
            Method::POST if path.ends_with("/authentication/logout") => Operation::Logout,
            _ => Operation::Other,
        }
    }
}

/// The variant's layer: the request as the variant reads it, the reference
/// handler, the answer as the variant writes it.
pub async fn answer(State(lc): State<Limecraft>, request: Request, next: Next) -> Response {
    let path = request
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| request.uri().path(), |u| u.path())
        .to_owned();
    let operation = Operation::of(request.method(), request.uri().path());
    if operation == Operation::Logout {
        let presented = PresentedToken::find(request.headers(), request.uri().query());
        let presented = lc.usable_transport(presented);
        if !presented.is_some_and(|p| lc.is_live_token(&p.value)) {
            return StatusCode::OK.into_response();
        }
    }
    let request = if operation == Operation::Login {
        match java_form_booleans(request).await {
            Ok(r) => r,
            Err(e) => return spring_error(&lc, e.status, &e.message, &path),
        }
    } else {
        request
    };
    let response = next.run(request).await;
    let status = response.status();
    // When to retry (a throttled login) holds whatever the body becomes.
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let Some(body) = json_body(response).await else {
        return (status, ()).into_response();
    };
    let mut response = rewrite(&lc, operation, status, body, &path);
    if let Some(value) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The variant's answer for the reference handler's `status` and JSON `body`.
fn rewrite(
    lc: &Limecraft,
    operation: Operation,
    status: StatusCode,
    body: Value,
    path: &str,
) -> Response {
    match (operation, status) {
        (Operation::Login, StatusCode::UNAUTHORIZED) => json_response(status, body),
        (Operation::Validate, s @ (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)) => {
            json_response(
                StatusCode::OK,
                json!({
                    "message": message_of(&body),
                    "needsSecondToken": true,
                    "status": s.as_u16(),
                    "token": null,
                }),
            )
        }
        (Operation::User, StatusCode::UNAUTHORIZED) => {
            spring_error(lc, StatusCode::FORBIDDEN, &message_of(&body), path)
        }
        (_, s) if s.is_client_error() || s.is_server_error() => {
            spring_error(lc, s, &message_of(&body), path)
        }
        (Operation::Validate, _) => {
            let mut body = body;
            body["message"] = Value::Null;
            json_response(status, body)
        }
        (Operation::User, _) => {
            let mut body = body;
            for field in ["aboutMe", "deleted", "mobile", "passwordResetTokenTime"] {
                body[field] = Value::Null;
            }
            body["language"] = json!("en");
            json_response(status, body)
        }
        _ => json_response(status, body),
    }
}

/// The body of a response the reference handler wrote (always JSON or empty);
/// `None` for an empty one.
async fn json_body(response: Response) -> Option<Value> {
    let bytes = to_bytes(response.into_body(), MAX_BODY_BYTES).await.ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn message_of(envelope: &Value) -> String {
    envelope["message"].as_str().unwrap_or_default().to_owned()
}

/// Spring Boot's default error body.
fn spring_error(lc: &Limecraft, status: StatusCode, message: &str, path: &str) -> Response {
    let timestamp = jiff::Timestamp::from_second(lc.now())
        .map(|t| t.to_string())
        .unwrap_or_default();
    json_response(
        status,
        json!({
            "timestamp": timestamp,
            "status": status.as_u16(),
            "error": status.canonical_reason().unwrap_or("Error"),
            "message": message,
            "path": path,
        }),
    )
}

/// Rewrites a form body's `rememberMe` from Java's boolean spellings to the
/// `true` / `false` the reference handler reads; other bodies pass unchanged.
async fn java_form_booleans(request: Request) -> Result<Request, ApiError> {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Ok(request);
    }
    let (mut parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the body is larger than this server reads",
        )
    })?;
    let rewritten = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|pairs| {
            let pairs: Vec<(String, String)> = pairs
                .into_iter()
                .map(|(k, v)| {
                    let v = if k == "rememberMe" {
                        java_boolean(&v).map_or(v, |b| b.to_string())
                    } else {
                        v
                    };
                    (k, v)
                })
                .collect();
            serde_urlencoded::to_string(pairs).ok()
        })
        .map_or(bytes, Bytes::from);
    parts.headers.remove(header::CONTENT_LENGTH);
    Ok(Request::from_parts(parts, Body::from(rewritten)))
}

/// Spring's `StringToBooleanConverter`: the spellings it reads, any case.
fn java_boolean(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Some(true),
        "false" | "off" | "no" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_spellings_of_a_boolean() {
        for t in ["on", "TRUE", "Yes", "1"] {
            assert_eq!(java_boolean(t), Some(true), "{t}");
        }
        for f in ["off", "False", "NO", "0"] {
            assert_eq!(java_boolean(f), Some(false), "{f}");
        }
        assert_eq!(java_boolean("maybe"), None);
    }
}
