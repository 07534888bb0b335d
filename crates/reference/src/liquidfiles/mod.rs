//! The LiquidFiles reference server: routes and handlers.
//!
//! The documented URLs are at the root of the installation: `POST /login`
//! (the XML API of v2, and the JSON API of v3 that seed 001 says replaces it:
//! the same call, told apart by `Content-Type`) and `/session/api` (the browser login: `GET` shows the form,
//! `POST` takes the password, then the Strong 2FA code), and `/saml/api` (the
//! same login through a SAML identity provider, `saml.rs`). `GET /account` is
//! `@ext`: a key presented as HTTP Basic with the key as user name. The
//! vendor router is mounted at `/liquidfiles` on the shared server, or at the
//! root with `--vendor liquidfiles`. Handlers translate HTTP into
//! [`store::LiquidFiles`] calls.

mod agent;
mod control;
pub mod page;
pub mod pages;
pub mod rules;
pub mod saml;
mod session;
pub mod store;
pub mod switches;
pub mod wire;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::body::{MAX_BODY_BYTES, media_type, read_limited};
use crate::fault::Fault;
use crate::throttle::Source;
pub use store::{ActivityEntry, Agent, LiquidFiles, LiquidFilesConfig, LoginError};
use wire::XmlLeniency;

impl crate::mount::VendorServer for LiquidFiles {
    fn vendor(&self) -> crate::vendor::Vendor {
        crate::vendor::Vendor::LiquidFiles
    }

    fn router(&self, mount: &str) -> Router {
        router(self.clone(), mount)
    }

    fn control_hooks(&self) -> Option<Router> {
        Some(control::hooks(self.clone()))
    }

    /// The redirect to a canonical host keeps the path as it came.
    fn reads_original_uri(&self) -> bool {
        self.config()
            .switches
            .is(&switches::CANONICAL_HOST, "localhost")
    }
}

/// The `@ext` call that reads who a key belongs to.
pub const ACCOUNT_PATH: &str = "/account";

/// LiquidFiles' routes, for a server that mounts them at `mount` (`""` at
/// the root): SAML's absolute URLs (ACS, entity ID) include it.
pub fn router(lf: LiquidFiles, mount: &str) -> Router {
    let cacheable = lf.fault_is(Fault::SuccessPageCacheable);
    let router = Router::new()
        .route("/login", post(login))
        .route(ACCOUNT_PATH, get(account))
        .with_state(lf.clone())
        .merge(session::router(lf, mount))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
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

/// An error of `POST /login` in the shape of `liquidfiles.xml-errors`:
/// `<errors><error>` (401, 400), or `<error><message>` (403, 422).
fn xml_error(lf: &LiquidFiles, status: StatusCode, message: &str) -> Response {
    if !lf
        .config()
        .switches
        .is(&switches::XML_ERRORS, "message-403")
    {
        return wire::xml_error(status, message);
    }
    let status = match status {
        StatusCode::UNAUTHORIZED => StatusCode::FORBIDDEN,
        StatusCode::BAD_REQUEST => StatusCode::UNPROCESSABLE_ENTITY,
        other => other,
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/xml")],
        format!(
            "<error><message>{}</message></error>",
            wire::escape(message)
        ),
    )
        .into_response()
}

/// The refusal of a Strong 2FA user's password-only key under
/// `liquidfiles.twofactor-key-login=refused`.
const TWO_FACTOR_NEEDS_BROWSER: &str =
    "This account uses two-factor authentication: sign in with /session/api";

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

/// `POST /login`: the JSON API when the body is JSON, the XML API otherwise
/// (each where `liquidfiles.logins` has it).
async fn login(State(lf): State<LiquidFiles>, source: Source, req: Request) -> Response {
    let json = media_type(req.headers()).as_deref() == Some("application/json");
    match (json, lf.config().switches.value(&switches::LOGINS)) {
        (true, "xml-only") => xml_error(
            &lf,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the credentials as XML (Content-Type: text/xml or application/xml)",
        ),
        (false, "json-only") => json_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the credentials as JSON (Content-Type: application/json)",
        ),
        (true, _) => json_login(lf, req, source).await,
        (false, _) => xml_login(lf, req, source).await,
    }
}

/// Whether `name`'s key is refused to the password alone.
fn refused_to_password_alone(lf: &LiquidFiles, name: &str) -> bool {
    lf.config()
        .switches
        .is(&switches::TWOFACTOR_KEY_LOGIN, "refused")
        && lf.has_two_factor(name)
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
    if refused_to_password_alone(&lf, &credentials.email) {
        return json_error(StatusCode::UNAUTHORIZED, TWO_FACTOR_NEEDS_BROWSER);
    }
    match lf.xml_login(&credentials.email, &password, source).await {
        Ok(key) => json_answer(
            StatusCode::OK,
            serde_json::json!({ "user": { "api_key": if lf.fault_is(Fault::LfJsonKeyDiffers) {
                key.chars().rev().collect::<String>()
            } else {
                key
            } } }),
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
    if refused_to_password_alone(&lf, &credentials.email) {
        return xml_error(&lf, StatusCode::UNAUTHORIZED, TWO_FACTOR_NEEDS_BROWSER);
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

/// `@ext GET /account`: `Authorization: Basic base64(<api key>:)`. (It reads
/// the request's headers in place, and decodes short credentials on the stack.)
async fn account(State(lf): State<LiquidFiles>, request: axum::extract::Request) -> Response {
    let mut raw = [0u8; 512];
    let decoded = crate::headers::authorization(request.headers(), "Basic")
        .and_then(|b64| STANDARD.decode_slice(b64, &mut raw).ok())
        .and_then(|n| std::str::from_utf8(&raw[..n]).ok());
    let key = decoded.map(|userpass| userpass.split_once(':').map_or(userpass, |(u, _)| u));
    match key.and_then(|k| lf.account_json(k)) {
        Some(json) => (
            [(
                header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            json,
        )
            .into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"LiquidFiles\"")],
            axum::Json(serde_json::json!({ "errors": ["Invalid or expired API key"] })),
        )
            .into_response(),
    }
}

async fn not_found(headers: HeaderMap) -> Response {
    error_in_kind(&headers, StatusCode::NOT_FOUND, "There is no such page.")
}

async fn method_not_allowed(headers: HeaderMap) -> Response {
    error_in_kind(
        &headers,
        StatusCode::METHOD_NOT_ALLOWED,
        "This URL does not accept this method.",
    )
}

/// An error in the kind the request asked for: the JSON API's envelope
/// (`{"errors":[…]}`) to a request that asks for JSON ([`wants_json`]), so a
/// JSON client reports the 404 instead of failing to parse XML; else the
/// XML API's.
fn error_in_kind(headers: &HeaderMap, status: StatusCode, message: &str) -> Response {
    if wants_json(headers) {
        json_error(status, message)
    } else {
        wire::xml_error(status, message)
    }
}

/// The request asks for JSON: the first type of its `Accept` that names JSON
/// or XML is a JSON one (`application/json`, `…+json`), or, when `Accept`
/// names neither, its body is JSON.
fn wants_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .find(|t| t.contains("json") || t.contains("xml"));
    match accept {
        Some(t) => t.contains("json"),
        None => crate::body::media_type(headers).is_some_and(|t| t.contains("json")),
    }
}
