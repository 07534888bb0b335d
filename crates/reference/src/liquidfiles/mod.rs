//! The LiquidFiles reference server: routes and handlers.
//!
//! The documented URLs are at the root of the installation: `POST /login`
//! (the XML API of v2, and the JSON API of v3 that seed 001 says replaces it:
//! the same call, told apart by `Content-Type`) and `/session/api` (the browser login: `GET` shows the form,
//! `POST` takes the password, then the Strong 2FA code). `GET /account` is
//! `@ext`: a key presented as HTTP Basic with the key as user name. The
//! vendor router is mounted at `/liquidfiles` on the shared server, or at the
//! root with `--vendor liquidfiles`. Handlers translate HTTP into
//! [`store::LiquidFiles`] calls.

mod agent;
mod control;
pub mod page;
pub mod rules;
pub mod store;
mod variant;
pub mod wire;

use axum::Router;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::body::{MAX_BODY_BYTES, media_type, read_limited};
use crate::fault::Fault;
use crate::throttle::Source;
pub use store::{ActivityEntry, Agent, LiquidFiles, LiquidFilesConfig, LoginError};
use wire::{Page, XmlLeniency};

impl crate::mount::VendorServer for LiquidFiles {
    fn vendor(&self) -> crate::vendor::Vendor {
        crate::vendor::Vendor::LiquidFiles
    }

    fn router(&self, _mount: &str) -> Router {
        router(self.clone())
    }

    fn control_hooks(&self) -> Option<Router> {
        Some(control::hooks(self.clone()))
    }
}

/// The `@ext` call that reads who a key belongs to.
pub const ACCOUNT_PATH: &str = "/account";

pub fn router(lf: LiquidFiles) -> Router {
    if lf.config().variant {
        // The variant's own pages; the key login and the account call are the same.
        return Router::new()
            .route("/login", post(login))
            .route(ACCOUNT_PATH, get(account))
            .with_state(lf.clone())
            .merge(variant::pages(lf))
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed);
    }
    let cacheable = lf.fault_is(Fault::SuccessPageCacheable);
    let router = Router::new()
        .route("/login", post(login))
        .route("/session/api", get(session_page).post(session_submit))
        .route(ACCOUNT_PATH, get(account))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(lf);
    if cacheable {
        router.layer(axum::middleware::map_response(drop_no_store))
    } else {
        router
    }
}

/// The `success-page-cacheable` fault: pages lose `Cache-Control: no-store`.
async fn drop_no_store(mut response: Response) -> Response {
    response.headers_mut().remove(header::CACHE_CONTROL);
    response
}

/// An error of `POST /login` in the server's shape (the variant has its own).
fn xml_error(lf: &LiquidFiles, status: StatusCode, message: &str) -> Response {
    if lf.config().variant {
        variant::xml_error(status, message)
    } else {
        wire::xml_error(status, message)
    }
}

/// The status and message of a refused `POST /login`, XML or JSON alike: a
/// full hashing pool is 503 (`Retry-After` is added for every 503 by
/// `ReferenceServer`), a limited name 429, anything else one 401 for a wrong
/// password and an unknown user.
fn login_refusal(e: &LoginError) -> (StatusCode, String) {
    match e {
        LoginError::Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            crate::secret::HashBusy.to_string(),
        ),
        LoginError::TooManyAttempts(_) => (
            StatusCode::TOO_MANY_REQUESTS,
            store::TOO_MANY_ATTEMPTS.to_owned(),
        ),
        _ => (
            StatusCode::UNAUTHORIZED,
            store::INVALID_CREDENTIALS.to_owned(),
        ),
    }
}

/// When a refused login may try again (`Retry-After`), for the refusals that
/// say: a limited account (429), a source or server with too many logins in
/// progress (429, 503). A full hashing pool's 503 gets its own from
/// `ReferenceServer`.
pub(super) fn with_retry_after(e: &LoginError, response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    let secs = match e {
        LoginError::TooManyAttempts(secs) => *secs,
        LoginError::TooManyPending | LoginError::PendingFull => store::PENDING_RETRY_AFTER,
        _ => return response,
    };
    crate::throttle::set_retry_after(&mut response, secs);
    response
}

/// `POST /login`: the JSON API when the body is JSON, the XML API otherwise.
async fn login(State(lf): State<LiquidFiles>, source: Source, req: Request) -> Response {
    if media_type(req.headers()).as_deref() == Some("application/json")
        && !lf.fault_is(Fault::LfJsonLoginRejected)
    {
        json_login(lf, req, source).await
    } else {
        xml_login(lf, req, source).await
    }
}

/// A JSON API error: `{"errors":["…"]}`, the shape LiquidFiles' own CLI
/// reads; the status is the reference server's choice, as for the XML API.
fn json_error(status: StatusCode, message: &str) -> Response {
    json_answer(status, serde_json::json!({ "errors": [message] }))
}

/// A JSON API answer; never cached, as it may hold the key.
fn json_answer(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

/// The JSON API's `POST /login` body: `{"user":{"email":…,"password":…}}`.
#[derive(serde::Deserialize)]
struct JsonLogin {
    user: JsonCredentials,
}

#[derive(serde::Deserialize)]
struct JsonCredentials {
    email: String,
    /// Optional only so the `json-missing-password-logs-in` fault can exist.
    password: Option<String>,
}

/// `POST /login` with `application/json`: the v3 JSON API. The same user
/// lookup, password check, rate limit and stable key as the XML API.
async fn json_login(lf: LiquidFiles, req: Request, source: Source) -> Response {
    let Some(bytes) = read_limited(req).await.ok() else {
        return json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("The request body exceeds {MAX_BODY_BYTES} bytes"),
        );
    };
    let credentials = match serde_json::from_slice::<JsonLogin>(&bytes) {
        Ok(body) => body.user,
        Err(e) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                &format!("Send {{\"user\":{{\"email\":…,\"password\":…}}}}: {e}"),
            );
        }
    };
    let Some(password) = credentials.password else {
        if lf.fault_is(Fault::JsonMissingPasswordLogsIn)
            && let Some(key) = lf.stable_key_of(&credentials.email)
        {
            return json_answer(
                StatusCode::OK,
                serde_json::json!({ "user": { "api_key": key } }),
            );
        }
        return json_error(StatusCode::BAD_REQUEST, "Send the user's password");
    };
    if lf.fault_is(Fault::JsonUnknownUserDiffers) && lf.stable_key_of(&credentials.email).is_none()
    {
        return json_error(StatusCode::NOT_FOUND, "No such user");
    }
    match lf.xml_login(&credentials.email, &password, source).await {
        Ok(key) => json_answer(
            StatusCode::OK,
            serde_json::json!({ "user": { "api_key": key } }),
        ),
        Err(e) => {
            let (status, message) = login_refusal(&e);
            with_retry_after(&e, json_error(status, &message))
        }
    }
}

/// `POST /login` with XML: credentials in, the user's stable API key out.
async fn xml_login(lf: LiquidFiles, req: Request, source: Source) -> Response {
    let ct = media_type(req.headers());
    let accepted: &[&str] = if lf.fault_is(Fault::TextXmlRejected) {
        &["application/xml"]
    } else {
        &["text/xml", "application/xml"]
    };
    if !ct.as_deref().is_some_and(|c| accepted.contains(&c)) {
        return xml_error(
            &lf,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the credentials as XML (Content-Type: text/xml or application/xml) or JSON (application/json)",
        );
    }
    let Some(bytes) = read_limited(req).await.ok() else {
        return xml_error(
            &lf,
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("The request body exceeds {MAX_BODY_BYTES} bytes"),
        );
    };
    let leniency = XmlLeniency {
        doctype: lf.fault_is(Fault::XmlDoctypeAccepted),
        dangling_amp: lf.fault_is(Fault::XmlRawAmpersandAccepted),
        keep_char_refs: lf.fault_is(Fault::XmlCharRefsNotDecoded),
        no_hex_refs: lf.fault_is(Fault::XmlHexRefsRejected),
        missing_password_empty: lf.fault_is(Fault::XmlMissingPasswordLogsIn),
    };
    let credentials = match wire::parse_login(&bytes, leniency) {
        Ok(c) => c,
        Err(why) => return xml_error(&lf, StatusCode::BAD_REQUEST, &why),
    };
    let element = if lf.fault_is(Fault::XmlApiKeyElementRenamed) {
        "apikey"
    } else {
        "api_key"
    };
    if credentials.password.is_empty()
        && let Some(key) = lf.stable_key_of(&credentials.email)
    {
        // Only under `xml-missing-password-logs-in`: the reader lets it through.
        return wire::api_key_xml(&key, element);
    }
    let known = lf.stable_key_of(&credentials.email).is_some();
    if lf.fault_is(Fault::XmlUnknownUserDiffers) && !known {
        return xml_error(&lf, StatusCode::NOT_FOUND, "No such user");
    }
    if lf.fault_is(Fault::XmlUsernameNotAccepted) && !credentials.email.contains('@') {
        return xml_error(&lf, StatusCode::UNAUTHORIZED, store::INVALID_CREDENTIALS);
    }
    match lf
        .xml_login(&credentials.email, &credentials.password, source)
        .await
    {
        Ok(key) => wire::api_key_xml(&key, element),
        Err(e) => {
            let (status, message) = login_refusal(&e);
            with_retry_after(&e, xml_error(&lf, status, &message))
        }
    }
}

/// `GET /session/api?agent_port=P&agent_name=N&agent_version=V`: the login page.
async fn session_page(
    State(lf): State<LiquidFiles>,
    source: Source,
    RawQuery(query): RawQuery,
) -> Response {
    match agent::agent_of(&lf, query.as_deref()) {
        Ok(agent) => match lf.start_browser_login(agent, source) {
            Ok(login_id) => wire::login_page(StatusCode::OK, &login_id, None).into_response(),
            Err(e) => {
                let (status, why) = pending_refusal(&e);
                with_retry_after(&e, wire::error_page(status, why))
            }
        },
        Err((status, why)) => wire::error_page(status, &why).into_response(),
    }
}

/// The status and message of a `/session/api` login that could not start.
pub(super) fn pending_refusal(e: &LoginError) -> (StatusCode, &'static str) {
    match e {
        LoginError::TooManyPending => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many logins in progress from your address; finish one or try again later.",
        ),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Too many logins in progress; try again later.",
        ),
    }
}

/// `POST /session/api`: the login form, then the two-factor form.
async fn session_submit(State(lf): State<LiquidFiles>, source: Source, req: Request) -> Response {
    match session_step(&lf, source, req).await {
        Ok(page) => page.into_response(),
        Err((e, page)) => with_retry_after(&e, page),
    }
}

/// The page a form submission leads to; with the refusal that says when to
/// retry.
async fn session_step(
    lf: &LiquidFiles,
    source: Source,
    req: Request,
) -> Result<Page, (LoginError, Page)> {
    if media_type(req.headers()).as_deref() != Some("application/x-www-form-urlencoded") {
        return Ok(wire::error_page(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Submit the login form (application/x-www-form-urlencoded).",
        ));
    }
    let Some(bytes) = read_limited(req).await.ok() else {
        return Ok(wire::error_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The form is too large.",
        ));
    };
    let mut login_id = None;
    let mut user = None;
    let mut password = None;
    let mut code = None;
    for (k, v) in url::form_urlencoded::parse(&bytes) {
        match k.as_ref() {
            "login_id" => login_id = Some(v.into_owned()),
            "user" => user = Some(v.into_owned()),
            "password" => password = Some(v.into_owned()),
            "code" => code = Some(v.into_owned()),
            _ => {}
        }
    }
    let login_id = login_id.unwrap_or_default();
    let expired = || {
        wire::error_page(
            StatusCode::BAD_REQUEST,
            "This login has expired or is unknown. Please start again.",
        )
    };
    Ok(match lf.pending_stage(&login_id) {
        None => expired(),
        Some(false) => {
            let user = user.unwrap_or_default();
            let password = password.unwrap_or_default();
            match lf
                .submit_password(&login_id, &user, &password, source)
                .await
            {
                Ok(store::BrowserStep::NeedsCode) => {
                    wire::two_factor_page(StatusCode::OK, &login_id, None)
                }
                Ok(store::BrowserStep::Success(ok)) => success(lf, ok),
                Err(LoginError::InvalidCredentials) => wire::login_page(
                    StatusCode::UNAUTHORIZED,
                    &login_id,
                    Some(store::INVALID_CREDENTIALS),
                ),
                Err(e @ LoginError::TooManyAttempts(_)) => {
                    let page = wire::login_page(
                        StatusCode::TOO_MANY_REQUESTS,
                        &login_id,
                        Some(store::TOO_MANY_ATTEMPTS),
                    );
                    return Err((e, page));
                }
                // The login stays at its password step: the same form again.
                Err(LoginError::Busy) => wire::login_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &login_id,
                    Some(&crate::secret::HashBusy.to_string()),
                ),
                Err(_) => wire::error_page(StatusCode::UNAUTHORIZED, "No such user."),
            }
        }
        Some(true) => match lf.submit_code(&login_id, code.as_deref()) {
            Ok(ok) => success(lf, ok),
            Err(LoginError::WrongCode) => wire::two_factor_page(
                StatusCode::UNAUTHORIZED,
                &login_id,
                Some("Invalid or missing two-factor code"),
            ),
            Err(LoginError::TooManyCodes) => wire::error_page(
                StatusCode::UNAUTHORIZED,
                "Too many invalid two-factor codes. Please start again.",
            ),
            Err(_) => expired(),
        },
    })
}

fn success(lf: &LiquidFiles, ok: store::BrowserSuccess) -> Page {
    let port = match ok.agent_port {
        Some(p) if lf.fault_is(Fault::CallbackWrongPort) => Some(
            p.parse::<u32>()
                .map(|n| (n % 65535 + 1).to_string())
                .unwrap_or(p),
        ),
        None if lf.fault_is(Fault::CallbackWithoutAgentPort) => Some("80".to_owned()),
        other => other,
    };
    let field = if lf.fault_is(Fault::CallbackFieldRenamed) {
        "apikey"
    } else {
        "api_key"
    };
    let mut page = wire::success_page(&ok.api_key, port.as_deref(), field);
    if lf.fault_is(Fault::ApiKeyDivMissing) {
        page.body = page.body.replace("id=\"api_key\"", "id=\"key\"");
    }
    page
}

/// `@ext GET /account`: `Authorization: Basic base64(<api key>:)`.
async fn account(State(lf): State<LiquidFiles>, headers: HeaderMap) -> Response {
    let key = crate::headers::authorization(&headers, "Basic")
        .and_then(|b64| STANDARD.decode(b64).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .map(|userpass| {
            userpass
                .split_once(':')
                .map_or(userpass.clone(), |(u, _)| u.to_owned())
        });
    match key.as_deref().and_then(|k| lf.authorize(k)) {
        Some(user) => axum::Json(serde_json::json!({ "user": user })).into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"LiquidFiles\"")],
            axum::Json(serde_json::json!({ "errors": ["Invalid or expired API key"] })),
        )
            .into_response(),
    }
}

async fn not_found() -> Response {
    wire::xml_error(StatusCode::NOT_FOUND, "There is no such page.")
}

async fn method_not_allowed() -> Response {
    wire::xml_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "This URL does not accept this method.",
    )
}
