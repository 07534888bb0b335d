//! The FileVerbs variant (`FileVerbsConfig::variant`): another server written
//! from the same document, as an ASP.NET Core service in the style the
//! document's field names suggest would answer. Every documented rule holds
//! (the SecretKey header, the access-token call with `{"SecretKey","APIKey"}`,
//! the eight PascalCase fields with the example's types, a signed JWT that
//! expires, the refresh token in an HttpOnly cookie); it differs from the
//! reference server only where the document is silent:
//!
//! - error bodies are RFC 9457 ProblemDetails (`{"type","title","status",
//!   "traceId"}`, `application/problem+json`), not `{"message"}`: the document
//!   shows no error body;
//! - a wrong key pair at access-token is 400, and a wrong SecretKey on a call
//!   403, not 401: the document gives no status codes;
//! - the refresh cookie is `refreshToken` with `Path=/`, no `Secure` and no
//!   `SameSite`: the document says only "an HTTP-only cookie";
//! - the access-token answer lists its fields in another order and adds
//!   `"Updated": null`: the document fixes the names and types, not the order,
//!   and does not forbid more fields;
//! - the JWT names the user in an `id` claim, has no `iat`, and lives 10
//!   minutes, not 15: the document says only "short-lived";
//! - a used refresh token is refused, but its family is not revoked, and
//!   revoke answers 204 with no body: refresh and revoke are not documented.
//!
//! The handlers and the store are the reference server's; this layer rewrites
//! requests and answers at the wire, so the deviations stay in one place.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::wire::REFRESH_COOKIE;

/// The variant's refresh cookie (ASP.NET samples' camelCase name).
pub const VARIANT_REFRESH_COOKIE: &str = "refreshToken";
/// Seconds a JWT of the variant lives.
pub const JWT_TTL: i64 = 10 * 60;
/// Bodies the layer reads back are the server's own answers: small.
const BODY_LIMIT: usize = 64 * 1024;

/// The variant's JWT claims: `id` for `sub`, no `iat`.
pub fn claims(claims: &super::store::Claims) -> Value {
    json!({ "id": claims.sub, "exp": claims.exp, "role": claims.role })
}

/// The wire-level layer: the variant's cookie in, its statuses, bodies and cookie out.
pub async fn layer(mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let sent_secret_key = request.headers().contains_key("secretkey");
    rename_request_cookie(&mut request);
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .unwrap_or_default();
    let status = parts.status;
    if status.is_client_error() || status.is_server_error() {
        let status = match status {
            StatusCode::UNAUTHORIZED if path.ends_with("/accounts/access-token") => {
                StatusCode::BAD_REQUEST
            }
            StatusCode::UNAUTHORIZED if path.ends_with("/endpoint") && sent_secret_key => {
                StatusCode::FORBIDDEN
            }
            other => other,
        };
        let title = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("Error").to_owned());
        return problem(status, &title);
    }
    rename_set_cookies(&mut parts.headers);
    if path.ends_with("/accounts/revoke-token") {
        parts.status = StatusCode::NO_CONTENT;
        parts.headers.remove(header::CONTENT_TYPE);
        return Response::from_parts(parts, Body::empty());
    }
    let body = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(mut fields)) if fields.contains_key("JwtToken") => {
            // serde_json's map is sorted: the fields come alphabetically.
            fields.insert("Updated".into(), Value::Null);
            let text = Value::Object(fields).to_string();
            parts.headers.remove(header::CONTENT_LENGTH);
            Body::from(text)
        }
        _ => Body::from(bytes),
    };
    Response::from_parts(parts, body)
}

/// An ASP.NET Core ProblemDetails answer.
fn problem(status: StatusCode, title: &str) -> Response {
    let body = json!({
        "type": format!("https://tools.ietf.org/html/rfc9110#status.{}", status.as_u16()),
        "title": title,
        "status": status.as_u16(),
        "traceId": format!("00-{}-00", crate::secret::Token::generate().as_str()),
    });
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// The client sends the variant's cookie; the handlers read the reference name.
fn rename_request_cookie(request: &mut Request) {
    let prefix = format!("{VARIANT_REFRESH_COOKIE}=");
    let renamed: Vec<HeaderValue> = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .map(|pair| match pair.trim().strip_prefix(&prefix) {
                    Some(value) => format!("{REFRESH_COOKIE}={value}"),
                    None => pair.trim().to_owned(),
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .filter_map(|v| HeaderValue::from_str(&v).ok())
        .collect();
    let headers = request.headers_mut();
    headers.remove(header::COOKIE);
    for v in renamed {
        headers.append(header::COOKIE, v);
    }
}

/// `refreshToken=…; Path=/; Max-Age=…; HttpOnly`: no Secure, no SameSite.
fn rename_set_cookies(headers: &mut axum::http::HeaderMap) {
    let cookies: Vec<String> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| match cookie::Cookie::parse(v.to_owned()) {
            Ok(c) if c.name() == REFRESH_COOKIE => {
                let mut out = cookie::Cookie::build((VARIANT_REFRESH_COOKIE, c.value().to_owned()))
                    .path("/")
                    .http_only(true);
                if let Some(age) = c.max_age() {
                    out = out.max_age(age);
                }
                out.build().to_string()
            }
            _ => v.to_owned(),
        })
        .collect();
    headers.remove(header::SET_COOKIE);
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            headers.append(header::SET_COOKIE, v);
        }
    }
}
