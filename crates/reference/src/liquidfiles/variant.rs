//! The LiquidFiles variant server (`LiquidFilesConfig::variant`): another
//! conforming LiquidFiles, made the way a Rails application would be, so the
//! suite is shown to judge what the documents say and not our markup.
//!
//! Every documented rule is the reference server's (the same store): the
//! page says "Authenticated Successful" with the key in
//! `<div class="d-none" id="api_key">`, with `agent_port` the browser POSTs
//! `api_key=KEY` to `http://localhost:<agent_port>`, Strong 2FA comes before
//! the key, agent_name/agent_version go to the activity log, and `POST /login`
//! takes the documented XML and answers `<user><api_key>`.
//!
//! Its deviations, each where the seeds (000, 001) are silent:
//! - other markup and field names: `form#new_user` with `user[email]`,
//!   `user[password]`, a hidden `authenticity_token` and an
//!   `<input type="submit">`; the code field `user[otp_attempt]` (type tel);
//!   the callback form `form[name=agent]` posting to `http://localhost:P`
//!   (no trailing slash); the seed's other spelling "Authenticated Successful";
//! - CSRF: the `authenticity_token` is tied to a `_session` cookie (HttpOnly);
//!   a missing or wrong token or cookie is answered 422;
//! - Post/Redirect/Get: each POST answers 303 (login → `api/two_factor` →
//!   `api/done`), the pages are GETs;
//! - a failed login or code answers 200 with the form and an error message;
//! - no Content-Security-Policy, Cache-Control, Referrer-Policy or
//!   X-Frame-Options (the seeds ask for none);
//! - a refused `agent_port` is a 422 page;
//! - `POST /login` errors are `<error><message>…</message></error>`, 403 for
//!   wrong credentials (the same for an unknown user) and 422 for a document
//!   it cannot read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{FromRef, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use super::store::{self, BrowserStep, BrowserSuccess, LiquidFiles, LoginError};
use super::wire::escape;
use crate::body::{media_type, read_limited};
use crate::throttle::Source;

/// The session cookie the CSRF token is tied to.
const SESSION_COOKIE: &str = "_session";

/// The variant's state: the store, and the success pages not yet shown
/// (Post/Redirect/Get shows the key on the GET after the last POST).
#[derive(Clone)]
struct Variant {
    lf: LiquidFiles,
    done: Arc<Mutex<HashMap<String, BrowserSuccess>>>,
}

impl FromRef<Variant> for LiquidFiles {
    fn from_ref(v: &Variant) -> LiquidFiles {
        v.lf.clone()
    }
}

/// The variant's browser-login pages; `router` adds the calls both share.
pub fn pages(lf: LiquidFiles) -> Router {
    let state = Variant {
        lf,
        done: Arc::default(),
    };
    Router::new()
        .route("/session/api", get(login_page).post(sign_in))
        .route("/session/api/two_factor", get(code_page).post(verify))
        .route("/session/api/done", get(done))
        .with_state(state)
}

/// The variant's XML error: its own shape, 403 for credentials, 422 for a
/// document it cannot read; other statuses as the reference's.
pub fn xml_error(status: StatusCode, message: &str) -> Response {
    let status = match status {
        StatusCode::UNAUTHORIZED => StatusCode::FORBIDDEN,
        StatusCode::BAD_REQUEST => StatusCode::UNPROCESSABLE_ENTITY,
        other => other,
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/xml")],
        format!("<error><message>{}</message></error>", escape(message)),
    )
        .into_response()
}

/// The CSRF token of a session: derived from the session id, so only a
/// page served to that session carries it.
fn authenticity_token(session: &str) -> String {
    Sha256::digest(format!("authenticity_token:{session}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html")],
        format!(
            "<html><head><title>{title}</title><style>.d-none{{display:none}}</style></head><body>\n{body}\n</body></html>\n"
        ),
    )
        .into_response()
}

fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)], "").into_response()
}

fn unprocessable(message: &str) -> Response {
    html(
        StatusCode::UNPROCESSABLE_ENTITY,
        "The change you wanted was rejected (422)",
        &format!(
            "<h1>The change you wanted was rejected.</h1>\n<p>{}</p>",
            escape(message)
        ),
    )
}

fn flash(message: Option<&str>) -> String {
    message
        .map(|m| format!("<div class=\"flash error\">{}</div>\n", escape(m)))
        .unwrap_or_default()
}

/// The sign-in form; its action resolves to `/session/api` under any mount.
fn sign_in_form(session: &str, message: Option<&str>) -> Response {
    html(
        StatusCode::OK,
        "Log in",
        &format!(
            "{}<form class=\"new_user\" id=\"new_user\" action=\"api\" accept-charset=\"UTF-8\" method=\"post\">\n<input type=\"hidden\" name=\"authenticity_token\" value=\"{}\" autocomplete=\"off\">\n<label for=\"user_email\">Email</label><input type=\"email\" name=\"user[email]\" id=\"user_email\">\n<label for=\"user_password\">Password</label><input type=\"password\" name=\"user[password]\" id=\"user_password\">\n<input type=\"checkbox\" name=\"user[remember_me]\" value=\"1\" id=\"user_remember_me\"> Remember me\n<input type=\"submit\" name=\"commit\" value=\"Log in\" class=\"btn\">\n</form>",
            flash(message),
            authenticity_token(session)
        ),
    )
}

fn code_form(session: &str, message: Option<&str>) -> Response {
    html(
        StatusCode::OK,
        "Two-factor authentication",
        &format!(
            "{}<form id=\"otp\" action=\"two_factor\" method=\"post\">\n<input type=\"hidden\" name=\"authenticity_token\" value=\"{}\">\n<label for=\"otp_attempt\">Authenticator code</label><input type=\"tel\" name=\"user[otp_attempt]\" id=\"otp_attempt\" autocomplete=\"one-time-code\">\n<input type=\"submit\" name=\"commit\" value=\"Verify\">\n</form>",
            flash(message),
            authenticity_token(session)
        ),
    )
}

fn session_of(headers: &HeaderMap) -> Option<String> {
    crate::headers::cookie(headers, SESSION_COOKIE).filter(|s| !s.is_empty())
}

/// The form's fields, if the request is a form whose token matches its session.
async fn csrf_checked_form(req: Request) -> Result<(String, HashMap<String, String>), Response> {
    let session = session_of(req.headers());
    if media_type(req.headers()).as_deref() != Some("application/x-www-form-urlencoded") {
        return Err(unprocessable("Not a form submission."));
    }
    let bytes = read_limited(req)
        .await
        .map_err(|_| unprocessable("The form is too large."))?;
    let fields: HashMap<String, String> =
        url::form_urlencoded::parse(&bytes).into_owned().collect();
    let token = fields.get("authenticity_token").map(String::as_str);
    match session {
        Some(s)
            if token
                .is_some_and(|t| crate::secret::constant_time_eq(t, &authenticity_token(&s))) =>
        {
            Ok((s, fields))
        }
        _ => Err(unprocessable("Invalid authenticity token.")),
    }
}

/// `GET /session/api`: a new session and the sign-in form.
async fn login_page(
    State(v): State<Variant>,
    source: Source,
    RawQuery(query): RawQuery,
) -> Response {
    let agent = match super::agent::agent_of(&v.lf, query.as_deref()) {
        Ok(agent) => agent,
        Err((_, why)) => return unprocessable(&why),
    };
    let session = match v.lf.start_browser_login(agent, source) {
        Ok(session) => session,
        Err(e) => {
            let (status, why) = super::pending_refusal(&e);
            let mut refused = unprocessable(why);
            *refused.status_mut() = status;
            return super::with_retry_after(&e, refused);
        }
    };
    let mut response = sign_in_form(&session, None);
    if let Ok(cookie) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={session}; path=/; HttpOnly; SameSite=Lax"
    )) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// `POST /session/api`: the credentials; 303 to the code or to the key.
async fn sign_in(State(v): State<Variant>, source: Source, req: Request) -> Response {
    let (session, fields) = match csrf_checked_form(req).await {
        Ok(ok) => ok,
        Err(refused) => return refused,
    };
    let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
    match v
        .lf
        .submit_password(
            &session,
            &field("user[email]"),
            &field("user[password]"),
            source,
        )
        .await
    {
        Ok(BrowserStep::NeedsCode) => see_other("api/two_factor"),
        Ok(BrowserStep::Success(ok)) => finish(&v, session, ok, "api/done"),
        Err(LoginError::InvalidCredentials) => {
            sign_in_form(&session, Some("Invalid Email or password."))
        }
        Err(e @ LoginError::TooManyAttempts(_)) => {
            super::with_retry_after(&e, sign_in_form(&session, Some(store::TOO_MANY_ATTEMPTS)))
        }
        Err(LoginError::Busy) => {
            let mut form = sign_in_form(&session, Some(&crate::secret::HashBusy.to_string()));
            *form.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            form
        }
        Err(_) => unprocessable("Your session expired. Please start again."),
    }
}

/// `GET /session/api/two_factor`: the code form of a session waiting for it.
async fn code_page(State(v): State<Variant>, headers: HeaderMap) -> Response {
    match session_of(&headers) {
        Some(s) if v.lf.pending_stage(&s) == Some(true) => code_form(&s, None),
        _ => unprocessable("Your session expired. Please start again."),
    }
}

/// `POST /session/api/two_factor`: the code; 303 to the key.
async fn verify(State(v): State<Variant>, req: Request) -> Response {
    let (session, fields) = match csrf_checked_form(req).await {
        Ok(ok) => ok,
        Err(refused) => return refused,
    };
    match v.lf.submit_code(
        &session,
        fields.get("user[otp_attempt]").map(String::as_str),
    ) {
        Ok(ok) => finish(&v, session, ok, "done"),
        Err(LoginError::WrongCode) => code_form(&session, Some("Invalid two-factor code.")),
        Err(_) => {
            unprocessable("Too many invalid codes or an expired session. Please start again.")
        }
    }
}

/// Files the key for the next GET and redirects there (`location` is
/// relative to the URL just posted to).
fn finish(v: &Variant, session: String, ok: BrowserSuccess, location: &str) -> Response {
    let mut done = v.done.lock().unwrap_or_else(|e| e.into_inner());
    // Pages never fetched are not kept without bound.
    if done.len() >= v.lf.config().max_pending {
        done.clear();
    }
    done.insert(session, ok);
    see_other(location)
}

/// `GET /session/api/done`: the key, once, and the callback form posted by script.
async fn done(State(v): State<Variant>, headers: HeaderMap) -> Response {
    let ok = session_of(&headers)
        .and_then(|s| v.done.lock().unwrap_or_else(|e| e.into_inner()).remove(&s));
    let Some(ok) = ok else {
        return unprocessable("Nothing to show. Please start again.");
    };
    let key = escape(&ok.api_key);
    let mut body = format!(
        "<div class=\"container\"><p class=\"lead\">Authenticated Successful</p><p>You may close this window.</p></div>\n<div id=\"api_key\" class=\"d-none\">{key}</div>"
    );
    if let Some(port) = ok.agent_port {
        body.push_str(&format!(
            "\n<form name=\"agent\" method=\"POST\" action=\"http://localhost:{}\"><input type=\"hidden\" name=\"api_key\" value=\"{key}\"></form>\n<script>document.forms.agent.submit();</script>",
            escape(&port)
        ));
    }
    html(StatusCode::OK, "Authenticated", &body)
}
