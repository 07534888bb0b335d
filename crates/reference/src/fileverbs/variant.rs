//! FileVerbs' switches applied at the wire (`super::switches`): another
//! server written from the same document, as an ASP.NET Core service in the
//! style the document's field names suggest would answer, one choice at a
//! time. Every documented rule holds whatever the switches (the SecretKey
//! header, the access-token call with `{"SecretKey","APIKey"}`, the eight
//! PascalCase fields with the example's types, a signed JWT that expires, the
//! refresh token in an HttpOnly cookie); each switch names the silence it
//! relies on. The store reads the lifetime, the claims and the reuse rule
//! itself (`store.rs`).
//!
//! The handlers and the store are the reference server's; this layer rewrites
//! requests and answers at the wire, so the deviations stay in one place.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::switches;
use super::wire::{Claims, REFRESH_COOKIE};
use crate::switch::{Switch, Switches};

/// The refresh cookie of `fileverbs.refresh-cookie=aspnet` (ASP.NET samples' camelCase name).
pub const VARIANT_REFRESH_COOKIE: &str = "refreshToken";
/// Bodies the layer reads back are the server's own answers: small.
const BODY_LIMIT: usize = 64 * 1024;

/// The claims of `fileverbs.jwt-claims=id-no-iat`: `id` for `sub`, no `iat`.
pub fn claims(claims: &Claims) -> Value {
    json!({ "id": claims.sub, "exp": claims.exp, "role": claims.role })
}

/// The switches this layer applies (the others are the store's).
const WIRE: [&Switch; 8] = [
    &switches::ERROR_BODY,
    &switches::REFUSAL_STATUS,
    &switches::REFRESH_COOKIE,
    &switches::FIELD_ORDER,
    &switches::REVOKE_ANSWER,
    &switches::REFRESH_COOKIE_VALUE,
    &switches::FIELD_TYPES,
    &switches::REFRESH_ANSWER,
];

/// Whether the router needs this layer at all.
pub fn wire_switches_flipped(chosen: &Switches) -> bool {
    WIRE.iter().any(|s| chosen.flipped(s))
}

/// The wire-level layer: each flipped switch's cookie in, statuses, bodies
/// and cookie out.
pub async fn layer(State(chosen): State<Switches>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let sent_secret_key = request.headers().contains_key("secretkey");
    let aspnet_cookie = chosen.is(&switches::REFRESH_COOKIE, "aspnet");
    if aspnet_cookie {
        rename_request_cookie(&mut request);
    }
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .unwrap_or_default();
    let status = parts.status;
    if status.is_client_error() || status.is_server_error() {
        let status = if chosen.is(&switches::REFUSAL_STATUS, "400-403") {
            match status {
                StatusCode::UNAUTHORIZED if path.ends_with("/accounts/access-token") => {
                    StatusCode::BAD_REQUEST
                }
                StatusCode::UNAUTHORIZED if path.ends_with("/endpoint") && sent_secret_key => {
                    StatusCode::FORBIDDEN
                }
                other => other,
            }
        } else {
            status
        };
        if chosen.is(&switches::ERROR_BODY, "problem-details") {
            let title = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_owned))
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("Error").to_owned());
            return problem(status, &title);
        }
        parts.status = status;
        return Response::from_parts(parts, Body::from(bytes));
    }
    if aspnet_cookie {
        rename_set_cookies(&mut parts.headers);
    }
    if chosen.is(&switches::REFRESH_COOKIE_VALUE, "quoted") {
        quote_set_cookies(&mut parts.headers);
    }
    if path.ends_with("/accounts/revoke-token") && chosen.is(&switches::REVOKE_ANSWER, "204") {
        parts.status = StatusCode::NO_CONTENT;
        parts.headers.remove(header::CONTENT_TYPE);
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    let refresh = path.ends_with("/accounts/refresh-token");
    let body = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(fields))
            if refresh && chosen.is(&switches::REFRESH_ANSWER, "access-token-only") =>
        {
            let jwt = fields.get("JwtToken").cloned().unwrap_or(Value::Null);
            parts.headers.remove(header::CONTENT_LENGTH);
            Body::from(json!({ "accessToken": jwt }).to_string())
        }
        Ok(Value::Object(mut fields)) if fields.contains_key("JwtToken") => {
            if chosen.is(&switches::FIELD_ORDER, "sorted-with-extra-null") {
                // serde_json's map is sorted: the fields come alphabetically.
                fields.insert("Updated".into(), Value::Null);
            }
            if chosen.is(&switches::FIELD_TYPES, "numeric-id-null-name") {
                let id = fields.get("Id").and_then(Value::as_str).map(numeric_id);
                fields.insert("Id".into(), id.map_or(Value::Null, Value::from));
                fields.insert("LastName".into(), Value::Null);
            }
            parts.headers.remove(header::CONTENT_LENGTH);
            Body::from(Value::Object(fields).to_string())
        }
        _ => Body::from(bytes),
    };
    Response::from_parts(parts, body)
}

/// A stable number for a string Id, as an `int` key would be.
fn numeric_id(id: &str) -> u64 {
    1 + id
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        % 1_000_000
}

/// The refresh cookie's value in double quotes (`RefreshToken="…"`), which
/// RFC 6265 §4.1.1 allows; the handlers read either.
fn quote_set_cookies(headers: &mut axum::http::HeaderMap) {
    map_set_cookies(headers, |v| {
        let (pair, attributes) = v.split_once(';').unwrap_or((v, ""));
        match pair.split_once('=') {
            Some((name, value))
                if (name == REFRESH_COOKIE || name == VARIANT_REFRESH_COOKIE)
                    && !value.is_empty() =>
            {
                let rest = if attributes.is_empty() {
                    String::new()
                } else {
                    format!(";{attributes}")
                };
                format!("{name}=\"{value}\"{rest}")
            }
            _ => v.to_owned(),
        }
    });
}

/// Every `Set-Cookie` of an answer, rewritten by `rewrite`.
fn map_set_cookies(headers: &mut axum::http::HeaderMap, rewrite: impl Fn(&str) -> String) {
    let cookies: Vec<String> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(rewrite)
        .collect();
    headers.remove(header::SET_COOKIE);
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            headers.append(header::SET_COOKIE, v);
        }
    }
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
    map_set_cookies(headers, |v| match cookie::Cookie::parse(v.to_owned()) {
        Ok(c) if c.name() == REFRESH_COOKIE => {
            // HttpOnly as the handler set it: a fault that drops it stays dropped.
            let mut out = cookie::Cookie::build((VARIANT_REFRESH_COOKIE, c.value().to_owned()))
                .path("/")
                .http_only(c.http_only() == Some(true));
            if let Some(age) = c.max_age() {
                out = out.max_age(age);
            }
            out.build().to_string()
        }
        _ => v.to_owned(),
    });
}
