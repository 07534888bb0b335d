//! The Limecraft Flow reference server: routes and handlers.
//!
//! Paths are as documented relative to the API base (`/api`); the vendor router
//! is mounted at `/limecraft` on the shared server or at the root with
//! `--vendor limecraft`. Handlers translate HTTP into [`store::Limecraft`] calls.

pub mod rules;
pub mod store;
pub mod switches;
mod variant;
pub mod wire;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::fault::Fault;
use crate::throttle::Source;
use store::Validated;
pub use store::{Limecraft, LimecraftConfig, SAMPLE_CLIENT};
/// Whether the Spring-style rewriting layer runs (it reads the path as requested).
use wire::{ApiError, BodyEncodings, Encoding, PresentedToken, VendorBody};

/// The router for one Limecraft reference server, paths from the vendor root.
impl crate::mount::VendorServer for Limecraft {
    fn vendor(&self) -> crate::vendor::Vendor {
        crate::vendor::Vendor::Limecraft
    }

    fn router(&self, _mount: &str) -> Router {
        router(self.clone())
    }

    /// Spring-style error bodies name the requested path.
    fn reads_original_uri(&self) -> bool {
        variant::wire_switches_flipped(self.switches())
    }
}

pub fn router(state: Limecraft) -> Router {
    let envelope_broken = state.fault_is(Fault::ErrorEnvelopeWrong);
    let wire_switches = variant::wire_switches_flipped(state.switches()).then(|| state.clone());
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
    let router = match wire_switches {
        Some(state) => router.layer(axum::middleware::from_fn_with_state(state, variant::answer)),
        None => router,
    };
    if envelope_broken {
        router.layer(axum::middleware::map_response(
            crate::fault::unauthorized_body_replaced,
        ))
    } else {
        router
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginRequest {
    username: String,
    #[serde(default)]
    password: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    remember_me: Option<bool>,
    /// Where to send a user who gave no password.
    #[serde(default)]
    redirect_if_password: Option<String>,
    #[serde(flatten)]
    saml: SamlRedirects,
}

/// The SAML redirect parameters of the login and the LogoutRequest (the
/// seed defers SAML): read, and unused by a password login or a logout.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SamlRedirects {
    #[serde(default)]
    redirect_if_ok: Option<String>,
    #[serde(default)]
    redirect_if_failed: Option<String>,
    #[serde(default)]
    redirect_if_saml: Option<String>,
}

impl SamlRedirects {
    fn any(&self) -> bool {
        self.redirect_if_ok.is_some()
            || self.redirect_if_failed.is_some()
            || self.redirect_if_saml.is_some()
    }
}

impl BodyEncodings for LoginRequest {
    const FORM: bool = true;
}

/// `rememberMe` as a JSON boolean, `0`/`1`, or text as a Java server reads a
/// boolean parameter: true/false, on/off, yes/no, 1/0 in any case (Limecraft's
/// Python clients send the form field `rememberMe=False`); anything else
/// (`"maybe"`, `2`) is a 400, not a silent false.
fn flexible_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Number(u64),
        Text(String),
    }
    let text = match Option::<B>::deserialize(d)? {
        None => return Ok(None),
        Some(B::Bool(b)) => return Ok(Some(b)),
        Some(B::Number(n)) => n.to_string(),
        Some(B::Text(t)) => t,
    };
    match text.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Ok(Some(true)),
        "false" | "off" | "no" | "0" | "" => Ok(Some(false)),
        _ => Err(serde::de::Error::custom(format!(
            "rememberMe must be true or false (or on/off, yes/no, 1/0), not `{text}`"
        ))),
    }
}

/// The session cookie the document lists as a token transport
/// (`MOJITO_SESSION_ID_V2=THE_TOKEN`), set with a final token so a client
/// that keeps cookies is signed on. HttpOnly (scripts never need it), no
/// Max-Age (the server's expiry decides), no Secure (the reference server
/// also runs on plain HTTP): the reference server's choices.
fn session_cookie(token: &str, secure_strict: bool) -> String {
    let c = cookie::Cookie::build((wire::SESSION_COOKIE, token))
        .path("/")
        .http_only(true);
    if secure_strict {
        c.secure(true).same_site(cookie::SameSite::Strict)
    } else {
        c.same_site(cookie::SameSite::Lax)
    }
    .build()
    .to_string()
}

/// A JSON answer, with the session cookie when it carries a final token
/// (unless `limecraft.session-cookie=not-set`).
fn with_session_cookie(
    lc: &Limecraft,
    payload: serde_json::Value,
    final_token: Option<&str>,
) -> Response {
    let mut response = axum::Json(payload).into_response();
    let chosen = lc.switches().value(&switches::SESSION_COOKIE);
    if let Some(value) = final_token
        .filter(|_| chosen != "not-set")
        .map(|t| session_cookie(t, chosen == "secure-strict"))
        .and_then(|c| axum::http::HeaderValue::from_str(&c).ok())
    {
        response
            .headers_mut()
            .insert(axum::http::header::SET_COOKIE, value);
    }
    response
}

async fn login(
    State(lc): State<Limecraft>,
    source: Source,
    headers: axum::http::HeaderMap,
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
    if lc.fault_is(Fault::SamlRedirectsRefused) && body.saml.any() {
        return Err(ApiError::bad_request(
            "SAML is not configured for this user",
        ));
    }
    let Some(password) = body.password.as_deref().filter(|p| !p.is_empty()) else {
        return match body.redirect_if_password.as_deref() {
            Some(to) if !lc.fault_is(Fault::RedirectIfPasswordIgnored) => {
                redirect_if_password(&lc, &headers, to)
            }
            _ => Err(ApiError::bad_request("username and password are required")),
        };
    };
    let outcome = lc
        .login(
            &body.username,
            password,
            body.remember_me.unwrap_or(false),
            source,
        )
        .await?;
    let payload = if lc.switches().is(&switches::LOGIN_BODY, "token-only") {
        if outcome.needs_second_token {
            json!({ "needsSecondToken": true, "token": outcome.token.as_str() })
        } else {
            json!({ "token": outcome.token.as_str() })
        }
    } else {
        json!({
            "needsSecondToken": outcome.needs_second_token,
            "status": 200,
            "token": outcome.token.as_str(),
        })
    };
    let mut payload = payload;
    if lc.fault_is(Fault::LoginNeedsSecondTokenMissing) && outcome.needs_second_token {
        payload
            .as_object_mut()
            .map(|m| m.remove("needsSecondToken"));
    }
    // A temporary token (2FA pending) authorizes only 2fa/validate: no cookie.
    let final_token = (!outcome.needs_second_token).then(|| outcome.token.as_str());
    Ok(with_session_cookie(&lc, payload, final_token))
}

/// The redirect of a login without a password: to `redirectIfPassword`, when
/// it is a path or on the host the request was sent to (the reference
/// server is no open redirector, OWASP's Unvalidated Redirects); 302, or 303
/// under `limecraft.redirect-status=303`.
fn redirect_if_password(
    lc: &Limecraft,
    headers: &axum::http::HeaderMap,
    to: &str,
) -> Result<Response, ApiError> {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let same_host = match url::Url::parse(to) {
        Ok(u) => {
            matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some_and(|h| {
                    let with_port = match u.port() {
                        Some(p) => format!("{h}:{p}"),
                        None => h.to_owned(),
                    };
                    with_port.eq_ignore_ascii_case(host) || h.eq_ignore_ascii_case(host)
                })
        }
        Err(_) => to.starts_with('/') && !to.starts_with("//"),
    };
    if !same_host {
        return Err(ApiError::bad_request(
            "redirectIfPassword must be a path or a URL on this host",
        ));
    }
    let location = axum::http::HeaderValue::from_str(to)
        .map_err(|_| ApiError::bad_request("redirectIfPassword is not a valid URL"))?;
    let status = if lc.switches().is(&switches::REDIRECT_STATUS, "303") {
        StatusCode::SEE_OTHER
    } else {
        StatusCode::FOUND
    };
    Ok((status, [(axum::http::header::LOCATION, location)]).into_response())
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
    let validated = lc.validate_or_confirm(
        presented.as_ref().map(|p| p.value.as_str()),
        code,
        remember_me,
    )?;
    let token = match validated {
        Validated::Final(token) => token,
        // `limecraft.enable2fa-confirm=validate-code`: the session goes on.
        Validated::Confirmed => {
            return Ok(axum::Json(json!({
                "message": "Two-factor authentication is on.",
                "needsSecondToken": false,
                "status": 200,
            }))
            .into_response());
        }
    };
    Ok(with_session_cookie(
        &lc,
        json!({
            "message": "OK",
            "needsSecondToken": false,
            "status": 200,
            "token": token.as_str(),
        }),
        Some(token.as_str()),
    ))
}

async fn current_user(
    State(lc): State<Limecraft>,
    presented: Option<PresentedToken>,
) -> Result<Response, ApiError> {
    let presented = lc.usable_transport(presented);
    let temporary_answers = lc
        .switches()
        .is(&switches::TEMPORARY_TOKEN_USER, "answers-user");
    let caller = lc
        .authenticate_allowing(
            presented.as_ref().map(|p| p.value.as_str()),
            temporary_answers,
        )
        .map_err(|e| {
            // The document gives this call no refusal status; 401 is our
            // choice (`limecraft.refused-token-status=403`: Spring Security's).
            if lc.fault_is(Fault::RefusedToken403)
                || lc.switches().is(&switches::REFUSED_TOKEN_STATUS, "403")
            {
                ApiError::new(StatusCode::FORBIDDEN, e.message)
            } else {
                e
            }
        })?;
    // The bytes `axum::Json(lc.user_view(caller)?)` would answer, kept per user.
    let json = lc.user_view_json(caller)?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        json,
    )
        .into_response())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct LogoutRequest {
    #[serde(default)]
    all_sessions: Option<bool>,
    #[serde(flatten)]
    saml: SamlRedirects,
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
    let body = body.value.unwrap_or_default();
    if lc.fault_is(Fault::SamlRedirectsRefused) && body.saml.any() {
        return Err(ApiError::bad_request(
            "SAML is not configured for this user",
        ));
    }
    let all = body.all_sessions.unwrap_or(false);
    match lc.logout(presented.as_ref().map(|p| p.value.as_str()), all) {
        Ok(()) => {}
        // Nothing to end: 401, or 200 (`limecraft.logout-without-session=200`).
        Err(e)
            if e.status == StatusCode::UNAUTHORIZED
                && lc.switches().is(&switches::LOGOUT_WITHOUT_SESSION, "200")
                && !presented
                    .as_ref()
                    .is_some_and(|p| lc.is_live_token(&p.value)) =>
        {
            return Ok(StatusCode::OK.into_response());
        }
        Err(e) => return Err(e),
    }
    // The session is over: a client that keeps cookies drops it.
    let expired = cookie::Cookie::build((wire::SESSION_COOKIE, ""))
        .path("/")
        .max_age(cookie::time::Duration::ZERO)
        .build()
        .to_string();
    Ok((StatusCode::OK, [(axum::http::header::SET_COOKIE, expired)]).into_response())
}

/// TwoFactorAuthenticationEnableRequest: every field optional and checked for
/// type; `token` carries the current code when replacing an existing second
/// factor, or (with `type` TWO_FA_AUTHENTICATOR_ENABLING, under
/// `limecraft.enable2fa-confirm=enable-type-code`) the first code that turns
/// a waiting one on.
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
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    presented: Option<PresentedToken>,
    body: VendorBody<EnableTwoFactorRequest>,
) -> Result<Response, ApiError> {
    // A path that does not decode (`%ff`) gets the vendor's error body too.
    let Path(id) =
        id.map_err(|_| ApiError::bad_request("The user id in the path is not valid UTF-8."))?;
    let presented = lc.usable_transport(presented);
    let caller = lc.authenticate(presented.as_ref().map(|p| p.value.as_str()))?;
    let current_code = body.value.as_ref().and_then(|b| b.token.as_deref());
    let redo = body.value.as_ref().and_then(|b| b.redo).unwrap_or(false);
    let kind = body.value.as_ref().and_then(|b| b.kind.as_deref());
    match lc.enable_two_factor(caller, id.parse().ok(), current_code, redo, kind) {
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
