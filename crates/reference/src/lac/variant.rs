//! The variant CA Live API Creator server (`--variant`, `LacConfig::variant`):
//! another server written from the same document (seed 002), which answers
//! differently wherever the document is silent and keeps every documented rule.
//! The suite's default run must pass it; `--strict` reports each deviation.
//!
//! It is one layer over the reference router that rewrites answers on the
//! wire; the rules in `store.rs` are the same. Its deviations, and why the
//! seed allows each:
//!
//! - **Error body** `{"error": {"code": <status>, "message": "…"}}` instead of
//!   `{"statusCode","errorCode","errorMessage"}`: the document shows no error
//!   body ("an error is returned", "an expired error").
//! - **403 instead of 401** when a resource refuses a call (no auth token, an
//!   unknown, disabled or expired one, another scheme, a token in the URL where
//!   it is not allowed): the document gives no status.
//! - **400 instead of 404** for disabling an auth token that is not found:
//!   the document says only "an error is returned".
//! - **422 instead of 400** for a JSON payload of `@authentication` that is
//!   none of its modes: the document gives no status.
//! - **201 Created for a sign-on** (it creates a new auth token), 200 for a
//!   revalidation and a disabling: the document calls the answer "a normal
//!   response" and gives no status.
//! - **An expiration with a zone**, `2014-12-31T23:59:59.999Z`, the same
//!   instant: the document's example has no zone and says nothing of one.
//! - **No `roles` field**: the document says an auth token indicates a set of
//!   roles but shows no field for them.
//! - **`changePasswordMesssage`**, the document's own spelling, instead of
//!   `changePasswordMessage`.
//!
//! `--strict` reports the first six (the suite checks the reference server's
//! choices there); the last two it accepts outright, since it asserts no
//! `roles` and reads either spelling of the message.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// Marks the answer of a successful sign-on (set by the handler, read here:
/// a sign-on and a revalidation answer the same fields).
#[derive(Clone, Copy, Debug)]
pub struct SignOnAnswer;

/// The largest answer this layer reads; the reference server's are far smaller.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The middleware: rewrites every answer of the LAC router as the variant
/// server writes it.
pub async fn rewrite(request: Request, next: Next) -> Response {
    let authentication = request.uri().path().ends_with("/@authentication");
    let response = next.run(request).await;
    let sign_on = response.extensions().get::<SignOnAnswer>().is_some();
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ANSWER_BYTES).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "answer too large").into_response();
    };
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let (status, map) = if let Some(code) = map.get("errorCode").and_then(Value::as_u64) {
        let status = error_status(parts.status, code, authentication);
        let message = map
            .get("errorMessage")
            .cloned()
            .unwrap_or(Value::String(String::new()));
        let body = json!({ "error": { "code": status.as_u16(), "message": message } });
        (status, body.as_object().cloned().unwrap_or_default())
    } else if authentication && parts.status.is_success() {
        let status = if sign_on {
            StatusCode::CREATED
        } else {
            parts.status
        };
        (status, success_body(map))
    } else {
        (parts.status, map)
    };
    let body = serde_json::to_vec(&Value::Object(map)).unwrap_or_default();
    let mut response = Response::from_parts(parts, Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The variant's status for an error of the reference server (its status and
/// `errorCode`).
fn error_status(status: StatusCode, code: u64, authentication: bool) -> StatusCode {
    match (authentication, status) {
        (false, StatusCode::UNAUTHORIZED) => StatusCode::FORBIDDEN,
        // 4040 is the reference's "auth token not found" of a disabling.
        (true, StatusCode::NOT_FOUND) if code == 4040 => StatusCode::BAD_REQUEST,
        // 4000: a payload that is none of the modes (not a body it cannot read).
        (true, StatusCode::BAD_REQUEST) if code == 4000 => StatusCode::UNPROCESSABLE_ENTITY,
        _ => status,
    }
}

/// A sign-on's, revalidation's or disabling's answer as the variant writes it.
fn success_body(mut map: Map<String, Value>) -> Map<String, Value> {
    map.remove("roles");
    if let Some(Value::String(e)) = map.get_mut("expiration") {
        e.push('Z');
    }
    if let Some(message) = map.remove("changePasswordMessage") {
        map.insert("changePasswordMesssage".into(), message);
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_the_document_does_not_give() {
        let s = |status, code, auth| error_status(status, code, auth);
        assert_eq!(
            s(StatusCode::UNAUTHORIZED, 4011, false),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            s(StatusCode::UNAUTHORIZED, 4012, true),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            s(StatusCode::NOT_FOUND, 4040, true),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(s(StatusCode::NOT_FOUND, 4040, false), StatusCode::NOT_FOUND);
        assert_eq!(
            s(StatusCode::BAD_REQUEST, 4000, true),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }

    #[test]
    fn the_success_body_keeps_every_documented_field() {
        let body = json!({
            "apikey": "k",
            "expiration": "2014-12-31T23:59:59.999",
            "roles": ["r"],
            "changePasswordResult": "success",
            "changePasswordMessage": "done",
        });
        let out = Value::Object(success_body(body.as_object().cloned().unwrap()));
        assert_eq!(
            out,
            json!({
                "apikey": "k",
                "expiration": "2014-12-31T23:59:59.999Z",
                "changePasswordResult": "success",
                "changePasswordMesssage": "done",
            })
        );
    }
}
