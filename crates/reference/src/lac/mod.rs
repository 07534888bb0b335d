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
pub mod variant;
pub mod wire;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
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
}

/// The router for one LAC reference server: every API at its base path (the
/// variant server's answers when its config says so, see [`variant`]).
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
    let is_variant = lac.is_variant();
    let mut router = Router::new();
    for (api, info) in lac.apis().iter().enumerate() {
        let api_router = Router::new()
            .route("/@authentication", post(authentication))
            .route(PROBE_PATH, any(probe))
            .route(LICENSE_PATH, get(license))
            .method_not_allowed_fallback(method_not_allowed)
            .with_state(ApiHandle {
                lac: lac.clone(),
                api,
            });
        router = router.nest(&info.base_path, api_router);
    }
    let mut router = router.fallback(not_found);
    if is_variant {
        router = router.layer(axum::middleware::from_fn(variant::rewrite));
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
    let read_alias = !h.lac.fault_is(Fault::NewPasswordAliasIgnored);
    match wire::classify(payload.0, read_alias)? {
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
            h.lac.disable(h.api, &apikey)?;
            Ok(axum::Json(json!({ "apikey": apikey, "disabled": true })).into_response())
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

/// The protected probe: says who the caller is, for any method. A write
/// answers as LAC does, with the `txsummary` array of the rows it touched
/// (none here), which `lac post` reads.
async fn probe(
    State(h): State<ApiHandle>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let credentials = Credentials::find(&headers, query.as_deref());
    let caller = h.lac.authorize(h.api, &credentials, &method)?;
    let mut body = json!({
        "authorized": true,
        "method": method.as_str(),
        "userIdentifier": caller.user_identifier,
        "roles": caller.roles,
    });
    if method != Method::GET {
        body["statusCode"] = 200.into();
        body["txsummary"] = json!([]);
        body["rulesummary"] = json!([]);
    }
    Ok(axum::Json(body).into_response())
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
