//! LAC's switches applied at the wire (`super::switches`): another server
//! written from the same document (seed 002), answering otherwise wherever
//! the document is silent, one choice at a time. Every documented rule holds
//! whatever the switches; each switch names the silence it relies on. The
//! store reads the lifetime, the schemes and the password rules itself.
//!
//! The handlers and the store are the reference server's; this layer
//! rewrites answers at the wire, so the deviations stay in one place:
//!
//! - `lac.error-body=nested`: `{"error": {"code": <status>, "message": "…"}}`
//!   instead of `{"statusCode","errorCode","errorMessage"}`.
//! - `lac.refusal-status=403`: a resource refusing a call answers 403.
//! - `lac.not-found-status=400`: disabling an unknown auth token is a 400.
//! - `lac.bad-payload-status=422`: a payload that is none of the modes.
//! - `lac.sign-on-status=201`: a sign-on created an auth token.
//! - `lac.expiration-format`: `…Z`, the server's offset (`+02:00`), or Unix
//!   milliseconds as a JSON number, each the same instant.
//! - `lac.roles-field=absent`, `lac.change-message-field=changePasswordMesssage`.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::switches;
use crate::switch::{Switch, Switches};

/// Marks the answer of a successful sign-on (set by the handler, read here:
/// a sign-on and a revalidation answer the same fields).
#[derive(Clone, Copy, Debug)]
pub struct SignOnAnswer;

/// The largest answer this layer reads; the reference server's are far smaller.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The offset `lac.expiration-format=offset` writes (a server in Central Europe, summer).
const OFFSET_SECONDS: i32 = 2 * 3600;

/// The switches this layer applies (the others are the store's and the handlers').
const WIRE: [&Switch; 8] = [
    &switches::ERROR_BODY,
    &switches::REFUSAL_STATUS,
    &switches::NOT_FOUND_STATUS,
    &switches::BAD_PAYLOAD_STATUS,
    &switches::SIGN_ON_STATUS,
    &switches::EXPIRATION_FORMAT,
    &switches::ROLES_FIELD,
    &switches::CHANGE_MESSAGE_FIELD,
];

/// Whether the router needs this layer at all.
pub fn wire_switches_flipped(chosen: &Switches) -> bool {
    WIRE.iter().any(|s| chosen.flipped(s))
}

/// The middleware: rewrites every answer of the LAC router as the switches say.
pub async fn rewrite(State(chosen): State<Switches>, request: Request, next: Next) -> Response {
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
        let status = error_status(&chosen, parts.status, code, authentication);
        let map = if chosen.is(&switches::ERROR_BODY, "nested") {
            let message = map
                .get("errorMessage")
                .cloned()
                .unwrap_or(Value::String(String::new()));
            let body = json!({ "error": { "code": status.as_u16(), "message": message } });
            body.as_object().cloned().unwrap_or_default()
        } else {
            let mut map = map;
            map.insert("statusCode".into(), status.as_u16().into());
            map
        };
        (status, map)
    } else if authentication && parts.status.is_success() {
        let status = if sign_on && chosen.is(&switches::SIGN_ON_STATUS, "201") {
            StatusCode::CREATED
        } else {
            parts.status
        };
        (status, success_body(&chosen, map))
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

/// The status the switches give an error of the reference server (its
/// status and `errorCode`).
fn error_status(
    chosen: &Switches,
    status: StatusCode,
    code: u64,
    authentication: bool,
) -> StatusCode {
    match (authentication, status) {
        (false, StatusCode::UNAUTHORIZED) if chosen.is(&switches::REFUSAL_STATUS, "403") => {
            StatusCode::FORBIDDEN
        }
        // 4040 is the reference's "auth token not found" of a disabling.
        (true, StatusCode::NOT_FOUND)
            if code == 4040 && chosen.is(&switches::NOT_FOUND_STATUS, "400") =>
        {
            StatusCode::BAD_REQUEST
        }
        // 4000: a payload that is none of the modes (not a body it cannot read).
        (true, StatusCode::BAD_REQUEST)
            if code == 4000 && chosen.is(&switches::BAD_PAYLOAD_STATUS, "422") =>
        {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => status,
    }
}

/// A sign-on's, revalidation's or disabling's answer as the switches write it.
fn success_body(chosen: &Switches, mut map: Map<String, Value>) -> Map<String, Value> {
    if chosen.is(&switches::ROLES_FIELD, "absent") {
        map.remove("roles");
    }
    if let Some(Value::String(e)) = map.get("expiration")
        && let Some(written) = expiration(chosen.value(&switches::EXPIRATION_FORMAT), e)
    {
        map.insert("expiration".into(), written);
    }
    if chosen.is(&switches::CHANGE_MESSAGE_FIELD, "changePasswordMesssage")
        && let Some(message) = map.remove("changePasswordMessage")
    {
        map.insert("changePasswordMesssage".into(), message);
    }
    map
}

/// The reference's expiration (the example's form, UTC) in `format`; `None`
/// when it is already so, or is not in that form (a fault's).
fn expiration(format: &str, example: &str) -> Option<Value> {
    let millis = super::wire::parse_expiration(example)?;
    let ts = jiff::Timestamp::from_millisecond(millis).ok()?;
    match format {
        "utc-z" => Some(format!("{example}Z").into()),
        "offset" => {
            let offset = jiff::tz::Offset::from_seconds(OFFSET_SECONDS).ok()?;
            let local = ts.to_zoned(jiff::tz::TimeZone::fixed(offset));
            Some(
                local
                    .strftime("%Y-%m-%dT%H:%M:%S%.3f%:z")
                    .to_string()
                    .into(),
            )
        }
        "epoch-millis" => Some(millis.into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_flipped() -> Switches {
        Switches::variant()
    }

    #[test]
    fn statuses_the_document_does_not_give() {
        let v = all_flipped();
        let r = Switches::default();
        let s = |c: &Switches, status, code, auth| error_status(c, status, code, auth);
        assert_eq!(
            s(&v, StatusCode::UNAUTHORIZED, 4011, false),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            s(&r, StatusCode::UNAUTHORIZED, 4011, false),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            s(&v, StatusCode::UNAUTHORIZED, 4012, true),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            s(&v, StatusCode::NOT_FOUND, 4040, true),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            s(&v, StatusCode::NOT_FOUND, 4040, false),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            s(&v, StatusCode::BAD_REQUEST, 4000, true),
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
        let out = Value::Object(success_body(
            &all_flipped(),
            body.as_object().cloned().unwrap(),
        ));
        assert_eq!(
            out,
            json!({
                "apikey": "k",
                "expiration": 1_420_070_399_999_i64,
                "changePasswordResult": "success",
                "changePasswordMesssage": "done",
            })
        );
    }

    #[test]
    fn every_expiration_format_is_the_same_instant() {
        let e = "2014-12-31T23:59:59.999";
        assert_eq!(
            expiration("utc-z", e),
            Some(json!("2014-12-31T23:59:59.999Z"))
        );
        assert_eq!(
            expiration("offset", e),
            Some(json!("2015-01-01T01:59:59.999+02:00"))
        );
        assert_eq!(
            expiration("epoch-millis", e),
            Some(json!(1_420_070_399_999_i64))
        );
        assert_eq!(expiration("example", e), None);
        assert_eq!(expiration("utc-z", "12/31/2014 23:59:59"), None);
    }
}
