//! Limecraft's wire-level switches (`super::switches`): another server
//! written from seed 003, a Spring Boot service in the style the document's
//! Java types suggest, one choice at a time. Every documented rule holds
//! whatever the switches; each switch names the silence it relies on. The
//! handlers read the statuses and the login body themselves (`mod.rs`), the
//! store the TOTP and enable2fa rules (`store.rs`); this layer rewrites the
//! bodies:
//!
//! - `limecraft.error-body=spring`: every error except the login's 401 has
//!   Spring Boot's `{timestamp, status, error, message, path}`.
//! - `limecraft.validate-refusal=200-rest-token`: 2fa/validate refuses with
//!   200 and a RestToken `{message, needsSecondToken: true, status, token: null}`.
//! - `limecraft.optional-fields=null`: validate's `message` and the User's
//!   optional fields without a value are `null`, and the User has one field
//!   the seed does not list (`language`).
//! - `limecraft.date-format=epoch-millis`: the User's dates are Jackson's
//!   default, milliseconds since the epoch.

use axum::body::to_bytes;
use axum::extract::{OriginalUri, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::store::Limecraft;
use super::switches;
use crate::body::MAX_BODY_BYTES;
use crate::switch::{Switch, Switches};

/// The switches this layer applies (the others are the handlers' and the store's).
const WIRE: [&Switch; 4] = [
    &switches::ERROR_BODY,
    &switches::VALIDATE_REFUSAL,
    &switches::OPTIONAL_FIELDS,
    &switches::DATE_FORMAT,
];

/// Whether the router needs this layer at all.
pub fn wire_switches_flipped(chosen: &Switches) -> bool {
    WIRE.iter().any(|s| chosen.flipped(s))
}

/// The User's fields of the seed's type `Date`.
const DATE_FIELDS: [&str; 8] = [
    "activated",
    "created",
    "deleted",
    "lastIndexCompleted",
    "lastIndexed",
    "lastSeen",
    "lastUpdated",
    "passwordResetTokenTime",
];

/// The documented operations, by the end of their path (the router may be
/// mounted under a vendor prefix).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    Login,
    Validate,
    User,
    Other,
}

impl Operation {
    fn of(method: &Method, path: &str) -> Operation {
        let path = path.trim_end_matches('/');
        match *method {
            Method::POST if path.ends_with("/authentication/login") => Operation::Login,
            Method::POST if path.ends_with("/authentication/2fa/validate") => Operation::Validate,
            Method::GET if path.ends_with("/authentication/user") => Operation::User,
            _ => Operation::Other,
        }
    }
}

/// The layer: the reference handler, then its answer as the switches write it.
pub async fn answer(State(lc): State<Limecraft>, request: Request, next: Next) -> Response {
    let path = request
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| request.uri().path(), |u| u.path())
        .to_owned();
    let operation = Operation::of(request.method(), request.uri().path());
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let status = parts.status;
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return (status, ()).into_response();
    };
    let Ok(body) = serde_json::from_slice::<Value>(&bytes) else {
        // An empty or non-JSON answer (a redirect, logout's 200) as it was.
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    let chosen = lc.switches();
    let refused = status.is_client_error() || status.is_server_error();
    if operation == Operation::Validate
        && refused
        && status != StatusCode::BAD_REQUEST
        && chosen.is(&switches::VALIDATE_REFUSAL, "200-rest-token")
    {
        return json_response(
            parts,
            StatusCode::OK,
            json!({
                "message": message_of(&body),
                "needsSecondToken": true,
                "status": status.as_u16(),
                "token": null,
            }),
        );
    }
    let login_401 = operation == Operation::Login && status == StatusCode::UNAUTHORIZED;
    if refused && !login_401 && chosen.is(&switches::ERROR_BODY, "spring") {
        return json_response(parts, status, spring_error(&lc, status, &body, &path));
    }
    let mut body = body;
    let nulls = chosen.is(&switches::OPTIONAL_FIELDS, "null");
    match operation {
        Operation::Validate if !refused && nulls => body["message"] = Value::Null,
        Operation::User if !refused => {
            if nulls {
                for field in ["aboutMe", "deleted", "mobile", "passwordResetTokenTime"] {
                    body[field] = Value::Null;
                }
                body["language"] = json!("en");
            }
            if chosen.is(&switches::DATE_FORMAT, "epoch-millis") {
                for field in DATE_FIELDS {
                    if let Some(millis) = body[field]
                        .as_str()
                        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                        .map(|t| t.as_millisecond())
                    {
                        body[field] = json!(millis);
                    }
                }
            }
        }
        _ => {}
    }
    json_response(parts, status, body)
}

/// `body` as the answer, the other headers (a session cookie) kept.
fn json_response(
    mut parts: axum::http::response::Parts,
    status: StatusCode,
    body: Value,
) -> Response {
    parts.status = status;
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, axum::body::Body::from(body.to_string()))
}

fn message_of(envelope: &Value) -> String {
    envelope["message"].as_str().unwrap_or_default().to_owned()
}

/// Spring Boot's default error body.
fn spring_error(lc: &Limecraft, status: StatusCode, envelope: &Value, path: &str) -> Value {
    let timestamp = jiff::Timestamp::from_second(lc.now())
        .map(|t| t.to_string())
        .unwrap_or_default();
    json!({
        "timestamp": timestamp,
        "status": status.as_u16(),
        "error": status.canonical_reason().unwrap_or("Error"),
        "message": message_of(envelope),
        "path": path,
    })
}
