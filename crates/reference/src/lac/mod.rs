//! The CA Live API Creator reference server: routes and handlers.
//!
//! Each API of the fixtures lives at its base path (`/rest/default/demo/v1`),
//! with `POST /@authentication`, the protected probe resource `/probe` and the
//! unauthenticated `GET /@license` (`@ext`: LAC's own CLI reads it before it
//! signs on) under it. The vendor router is mounted at `/lac` on the shared server, or
//! at the root with `--vendor lac`. Handlers translate HTTP into
//! [`store::Lac`] calls.

pub mod rules;
pub mod store;
pub mod switches;
pub mod variant;
pub mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::body::BodyEncodings;
use crate::fault::Fault;
use crate::throttle::Source;
pub use store::{Lac, LacConfig, PasswordPolicy};
use wire::{ApiError, Body, Credentials, Request};

/// The reference server's protected resource, under every API's base path.
pub const PROBE_PATH: &str = "/probe";

/// `@ext`: the server's license, read without a token by LAC's CLI
/// (`lac login` gets it first and gives up on anything but a JSON object).
pub const LICENSE_PATH: &str = "/@license";

#[derive(Clone)]
struct ApiHandle {
    lac: Lac,
    /// The index of the API in `Lac::apis`.
    api: usize,
    /// A role resource's roles, one of which the caller's auth token must
    /// have; `None`: any valid auth token (the probe).
    roles: Option<Arc<[String]>>,
}

/// The router for one LAC reference server: every API at its base path (its
/// switches' answers at the wire, see [`variant`]).
impl crate::mount::VendorServer for Lac {
    fn vendor(&self) -> crate::vendor::Vendor {
        crate::vendor::Vendor::Lac
    }

    fn router(&self, _mount: &str) -> Router {
        router(self.clone())
    }

    /// The base path of the suite's API in the fixtures.
    fn api_base_path(&self) -> String {
        self.suite_base_path().to_owned()
    }
}

pub fn router(lac: Lac) -> Router {
    let error_body_broken = lac.fault_is(Fault::LacErrorBodyWrong);
    let switches = lac.switches().clone();
    let mut router = Router::new();
    // Each API's routes at their whole paths (not `nest`ed under its base
    // path: that would rebuild the path of every request).
    for (api, info) in lac.apis().iter().enumerate() {
        let base = &info.base_path;
        let api_router = Router::new()
            .route(&format!("{base}/@authentication"), post(authentication))
            // The methods the spec lists; another is a 405.
            .route(
                &format!("{base}{PROBE_PATH}"),
                get(probe).post(probe).put(probe).delete(probe),
            )
            .route(&format!("{base}{LICENSE_PATH}"), get(license))
            .method_not_allowed_fallback(method_not_allowed)
            .with_state(ApiHandle {
                lac: lac.clone(),
                api,
                roles: None,
            });
        router = router.merge(api_router);
        // Role-Based Endpoint Access: the probe's answer, to the roles given.
        for (path, roles) in &info.role_resources {
            let role_router = Router::new()
                .route(&format!("{base}{path}"), get(probe))
                .method_not_allowed_fallback(method_not_allowed)
                .with_state(ApiHandle {
                    lac: lac.clone(),
                    api,
                    roles: Some(Arc::from(roles.as_slice())),
                });
            router = router.merge(role_router);
        }
    }
    let mut router = router.fallback(not_found);
    if variant::wire_switches_flipped(&switches) {
        router = router.layer(axum::middleware::from_fn_with_state(
            switches,
            variant::rewrite,
        ));
    }
    if error_body_broken {
        router.layer(axum::middleware::map_response(
            crate::fault::unauthorized_body_replaced,
        ))
    } else {
        router
    }
}

/// Any JSON object; [`wire::classify`] reads its mode.
#[derive(Deserialize)]
#[serde(transparent)]
struct Payload(Map<String, Value>);

impl BodyEncodings for Payload {
    const FORM: bool = false;
}

async fn authentication(
    State(h): State<ApiHandle>,
    source: Source,
    RawQuery(query): RawQuery,
    body: Body<Payload>,
) -> Result<Response, ApiError> {
    let payload = body.value.ok_or_else(|| {
        ApiError::bad_request(
            "a JSON body is required: {\"username\",\"password\"}, {\"apikey\"} or {\"apikey\",\"disable\":true}",
        )
    })?;
    let reads = if h.lac.fault_is(Fault::NewPasswordAliasIgnored) {
        wire::Reads::SnakeOnly
    } else {
        match h.lac.switches().value(&switches::NEW_PASSWORD_FIELD) {
            "new_password" => wire::Reads::SnakeOnly,
            "newPassword" => wire::Reads::CamelOnly,
            _ => wire::Reads::Both,
        }
    };
    match wire::classify(payload.0, reads)? {
        Request::SignOn {
            username,
            password,
            new_password,
        } => {
            let loose = h.lac.fault_is(Fault::PasswordChangeFlagLoose);
            let change =
                wire::password_change_requested(query.as_deref(), loose).then_some(new_password);
            let outcome = h
                .lac
                .sign_on(h.api, &username, &password, change, source)
                .await?;
            let mut body = match &outcome.key {
                Some(key) => key_body(&h.lac, key),
                None => Map::new(),
            };
            if let Some(change) = outcome.change {
                body.insert("changePasswordResult".into(), change.result.as_str().into());
                body.insert("changePasswordMessage".into(), change.message.into());
            }
            let mut response = axum::Json(body).into_response();
            response.extensions_mut().insert(variant::SignOnAnswer);
            Ok(response)
        }
        Request::Revalidate { apikey } => {
            let key = h.lac.revalidate(h.api, &apikey)?;
            Ok(axum::Json(key_body(&h.lac, &key)).into_response())
        }
        Request::Disable { apikey } => {
            let was_active = h.lac.disable(h.api, &apikey)?;
            let documented = axum::Json(json!({ "apikey": apikey, "disabled": true }));
            // The seed shows the answer for a valid, active token only.
            Ok(match h.lac.switches().value(&switches::REPEATED_DISABLE) {
                _ if was_active => documented.into_response(),
                "empty-object" => axum::Json(json!({})).into_response(),
                "no-content" => StatusCode::NO_CONTENT.into_response(),
                _ => documented.into_response(),
            })
        }
    }
}

/// `{"apikey","expiration","roles"}`: a sign-on's or a revalidation's answer.
fn key_body(lac: &Lac, key: &store::KeyView) -> Map<String, Value> {
    let name = if lac.fault_is(Fault::ApikeyFieldRenamed) {
        "apiKey"
    } else {
        "apikey"
    };
    let mut body = Map::new();
    body.insert(name.into(), key.apikey.clone().into());
    body.insert(
        "expiration".into(),
        key.expiration.clone().map_or(Value::Null, Value::from),
    );
    body.insert("roles".into(), key.roles.clone().into());
    body
}

/// `@ext GET /@license`: the fields `lac login` prints; a reference server
/// holds no license, so it says so rather than invent a company.
async fn license() -> Response {
    axum::Json(json!({
        "company": "authconform reference server",
        "license_type": "reference",
        "license_expiration": null,
    }))
    .into_response()
}

/// The protected probe: says who the caller is, for GET, POST, PUT and
/// DELETE (the spec's methods; another is a 405). A write
/// answers as LAC does, with the `txsummary` array of the rows it touched
/// (none here), which `lac post` reads.
///
/// It reads the request in place (not a copy of its headers), and its body is
/// the bytes `axum::Json(json!({...}))` wrote: keys in order, `statusCode`,
/// `txsummary` and `rulesummary` only on a write.
async fn probe(
    State(h): State<ApiHandle>,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let method = request.method();
    let credentials = Credentials::find(request.headers(), request.uri().query());
    let write = method != Method::GET;
    let roles_ignored = h.lac.fault_is(Fault::LacRolesIgnored);
    let body = h
        .lac
        .authorize_with(h.api, &credentials, method, |user, roles| {
            let allowed = roles_ignored
                || h.roles
                    .as_deref()
                    .is_none_or(|needed| roles.iter().any(|r| needed.contains(r)));
            allowed.then(|| {
                ProbeBody {
                    authorized: true,
                    method: method.as_str(),
                    roles,
                    rulesummary: write.then_some([]),
                    status_code: write.then_some(200),
                    txsummary: write.then_some([]),
                    user_identifier: user,
                }
                .to_json()
            })
        })?
        .ok_or_else(ApiError::roles_refused)?;
    // `lac.write-answers=no-row`: a write without a body finds no row to
    // change (a real resource's answer once the caller is let in).
    if write && h.lac.switches().is(&switches::WRITE_ANSWERS, "no-row") {
        if method == Method::PUT || method == Method::DELETE {
            return Err(ApiError::not_found("No row matches this request."));
        }
        if method == Method::POST {
            return Err(ApiError::bad_request("A POST needs the rows to insert."));
        }
    }
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

/// The probe's answer; fields in the alphabetical order `json!` gave them.
/// [`ProbeBody::to_json`] writes the bytes `serde_json::to_vec` would (the
/// test compares them).
#[derive(serde::Serialize)]
struct ProbeBody<'a> {
    authorized: bool,
    method: &'a str,
    roles: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    rulesummary: Option<[(); 0]>,
    #[serde(rename = "statusCode", skip_serializing_if = "Option::is_none")]
    status_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    txsummary: Option<[(); 0]>,
    #[serde(rename = "userIdentifier")]
    user_identifier: Option<&'a str>,
}

impl ProbeBody<'_> {
    /// The JSON of the answer, as `serde_json::to_vec` writes it, written
    /// directly: strings that need no escaping (all of them, but for odd user
    /// names and roles) are copied instead of escaped character by character.
    fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(b"{\"authorized\":");
        out.extend_from_slice(if self.authorized { b"true" } else { b"false" });
        out.extend_from_slice(b",\"method\":");
        crate::json::push_string(&mut out, self.method);
        out.extend_from_slice(b",\"roles\":[");
        for (i, role) in self.roles.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            crate::json::push_string(&mut out, role);
        }
        out.push(b']');
        if self.rulesummary.is_some() {
            out.extend_from_slice(b",\"rulesummary\":[]");
        }
        if let Some(code) = self.status_code {
            out.extend_from_slice(b",\"statusCode\":");
            out.extend_from_slice(code.to_string().as_bytes());
        }
        if self.txsummary.is_some() {
            out.extend_from_slice(b",\"txsummary\":[]");
        }
        out.extend_from_slice(b",\"userIdentifier\":");
        match self.user_identifier {
            Some(user) => crate::json::push_string(&mut out, user),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
        out
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found("There is no such resource.")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        4050,
        "This resource does not accept this method.",
    )
}

#[cfg(test)]
mod tests {
    use super::ProbeBody;

    #[test]
    fn the_probe_body_is_the_bytes_serde_json_writes() {
        let plain = ["Read only".to_owned(), "Orders".to_owned()];
        let odd = [
            "quote \" and \\ back".to_owned(),
            "ctl \u{1}\n\t\u{7f}".to_owned(),
            "é ✓ 😀".to_owned(),
            String::new(),
        ];
        for (roles, user) in [
            (&plain[..], Some("alice")),
            (&odd[..], Some("bob \"the\" \\ \u{1f}")),
            (&[][..], None),
        ] {
            for write in [false, true] {
                let body = ProbeBody {
                    authorized: true,
                    method: if write { "POST" } else { "GET" },
                    roles,
                    rulesummary: write.then_some([]),
                    status_code: write.then_some(200),
                    txsummary: write.then_some([]),
                    user_identifier: user,
                };
                let expected = serde_json::to_vec(&body).unwrap();
                assert_eq!(
                    String::from_utf8(body.to_json()).unwrap(),
                    String::from_utf8(expected).unwrap()
                );
            }
        }
    }
}
