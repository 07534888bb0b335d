//! The Limecraft Flow reference server: routes and handlers.
//!
//! Paths are as documented relative to the API base (`/api`); the vendor router
//! is mounted at `/limecraft` on the shared server or at the root with
//! `--vendor limecraft`. Handlers translate HTTP into [`store::Limecraft`] calls.

pub mod store;
mod variant;
pub mod wire;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::reference::fault::Fault;
pub use store::{Limecraft, LimecraftConfig};
use wire::{ApiError, BodyEncodings, Encoding, PresentedToken, VendorBody};

/// The router for one Limecraft reference server, paths from the vendor root.
pub fn router(state: Limecraft) -> Router {
    let envelope_broken = state.fault_is(Fault::ErrorEnvelopeWrong);
    let variant = state.is_variant().then(|| state.clone());
    let router = Router::new()
        .route("/api/authentication/login", post(login))
        .route(
            "/api/authentication/2fa/validate",
            post(validate_two_factor),
        )
        .route("/api/authentication/user", get(current_user))
        .route("/api/authentication/logout", post(logout))
        .route("/api/user/{id}/enable2fa", post(enable_two_factor))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    let router = match variant {
        Some(state) => router.layer(axum::middleware::from_fn_with_state(state, variant::answer)),
        None => router,
    };
    if envelope_broken {
        router.layer(axum::middleware::map_response(break_envelope))
    } else {
        router
    }
}

/// The `error-envelope-wrong` fault: a 401 answers `{"error": …}` instead of the envelope.
async fn break_envelope(response: Response) -> Response {
    if response.status() == StatusCode::UNAUTHORIZED {
        (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "error": "unauthorized" })),
        )
            .into_response()
    } else {
        response
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginRequest {
    username: String,
    password: String,
    #[serde(default, deserialize_with = "flexible_bool")]
    remember_me: Option<bool>,
}

impl BodyEncodings for LoginRequest {
    const FORM: bool = true;
}

/// `rememberMe` as JSON `true`/`false` or the form strings `"true"`/`"false"`;
/// anything else (`"yes"`, `1`) is a 400, not a silent false.
fn flexible_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Text(String),
    }
    match Option::<B>::deserialize(d)? {
        None => Ok(None),
        Some(B::Bool(b)) => Ok(Some(b)),
        Some(B::Text(t)) => match t.as_str() {
            "true" => Ok(Some(true)),
            "false" | "" => Ok(Some(false)),
            other => Err(serde::de::Error::custom(format!(
                "rememberMe must be true or false, not `{other}`"
            ))),
        },
    }
}

async fn login(
    State(lc): State<Limecraft>,
    body: VendorBody<LoginRequest>,
) -> Result<Response, ApiError> {
    let rejected = match body.encoding {
        Encoding::Json => Fault::JsonLoginRejected,
        Encoding::Form => Fault::FormLoginRejected,
    };
    if lc.fault_is(rejected) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "this encoding is not supported",
        ));
    }
    let body = body
        .value
        .ok_or_else(|| ApiError::bad_request("username and password are required"))?;
    let outcome = lc
        .login(
            &body.username,
            &body.password,
            body.remember_me.unwrap_or(false),
        )
        .await?;
    let mut payload = json!({
        "needsSecondToken": outcome.needs_second_token,
        "status": 200,
        "token": outcome.token.as_str(),
    });
    if lc.fault_is(Fault::LoginNeedsSecondTokenMissing) {
        payload
            .as_object_mut()
            .map(|m| m.remove("needsSecondToken"));
    }
    Ok(axum::Json(payload).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ValidateRequest {
    #[serde(default)]
    remember_me: Option<bool>,
    #[serde(default)]
    token: Option<String>,
}

impl BodyEncodings for ValidateRequest {
    const FORM: bool = false;
}

async fn validate_two_factor(
    State(lc): State<Limecraft>,
    presented: Option<PresentedToken>,
    body: VendorBody<ValidateRequest>,
) -> Result<Response, ApiError> {
    let presented = lc.usable_transport(presented);
    let (code, remember_me) = match &body.value {
        Some(b) => (b.token.as_deref(), b.remember_me),
        None => (None, None),
    };
    let token = lc.validate_two_factor(
        presented.as_ref().map(|p| p.value.as_str()),
        code,
        remember_me,
    )?;
    Ok(axum::Json(json!({
        "message": "OK",
        "needsSecondToken": false,
        "status": 200,
        "token": token.as_str(),
    }))
    .into_response())
}

async fn current_user(
    State(lc): State<Limecraft>,
    presented: Option<PresentedToken>,
) -> Result<Response, ApiError> {
    let presented = lc.usable_transport(presented);
    let caller = lc
        .authenticate(presented.as_ref().map(|p| p.value.as_str()))
        .map_err(|e| {
            // The document gives this call no refusal status; 401 is our choice.
            if lc.fault_is(Fault::RefusedToken403) {
                ApiError::new(StatusCode::FORBIDDEN, e.message)
            } else {
                e
            }
        })?;
    Ok(axum::Json(lc.user_view(caller)?).into_response())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct LogoutRequest {
    #[serde(default)]
    all_sessions: Option<bool>,
}

impl BodyEncodings for LogoutRequest {
    const FORM: bool = false;
}

async fn logout(
    State(lc): State<Limecraft>,
    presented: Option<PresentedToken>,
    body: VendorBody<LogoutRequest>,
) -> Result<Response, ApiError> {
    let presented = lc.usable_transport(presented);
    let all = body.value.and_then(|b| b.all_sessions).unwrap_or(false);
    lc.logout(presented.as_ref().map(|p| p.value.as_str()), all)?;
    Ok(StatusCode::OK.into_response())
}

/// TwoFactorAuthenticationEnableRequest: every field optional and checked for
/// type; `token` carries the current code when replacing an existing second factor.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct EnableTwoFactorRequest {
    password: Option<String>,
    redo: Option<bool>,
    redo_single_task: Option<bool>,
    skip_active_workflow_test: Option<bool>,
    token: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    wait_for_workflow: Option<bool>,
}

impl BodyEncodings for EnableTwoFactorRequest {
    const FORM: bool = false;
}

async fn enable_two_factor(
    State(lc): State<Limecraft>,
    Path(id): Path<String>,
    presented: Option<PresentedToken>,
    body: VendorBody<EnableTwoFactorRequest>,
) -> Result<Response, ApiError> {
    let presented = lc.usable_transport(presented);
    let caller = lc.authenticate(presented.as_ref().map(|p| p.value.as_str()))?;
    let current_code = body.value.as_ref().and_then(|b| b.token.as_deref());
    match lc.enable_two_factor(caller, id.parse().ok(), current_code) {
        Ok(enrolment) => Ok(axum::Json(enrolment).into_response()),
        // The document gives 403 and 404 their statuses, not their bodies.
        Err(e)
            if lc.fault_is(Fault::Enable2faErrorBodyWrong)
                && matches!(e.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) =>
        {
            Ok((e.status, axum::Json(json!({ "error": e.message }))).into_response())
        }
        Err(e) => Err(e),
    }
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
