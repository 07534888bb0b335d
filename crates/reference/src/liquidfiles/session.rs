//! `/session/api`, the browser login of seed 000, as the switches shape it
//! (`switches.rs`): `GET` shows the login form, every form posts to
//! `POST /session/api`, which takes the user (a two-step login's first
//! page), the password, then the Strong 2FA code; the success page shows the
//! key and makes the agent-port POST. With `liquidfiles.flow=post-redirect-get`
//! each POST 303s to a page under `/session/api` (`password`, `two_factor`,
//! `done`); an interstitial leads to `done` too.
//!
//! A login is the store's pending login (`store.rs`), found by the hidden
//! `login_id` of the reference markup or by the session cookie (Rails markup,
//! Post/Redirect/Get), whose forms carry an `authenticity_token` tied to it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{OriginalUri, Query, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::pages::{self, Here, Style};
use super::store::{self, Agent, BrowserStep, BrowserSuccess, LiquidFiles, LoginError};
use super::switches as sw;
use super::wire::{self, Page};
use crate::body::{media_type, read_limited};
use crate::fault::Fault;
use crate::throttle::Source;

/// The session cookie of the Rails markup and of Post/Redirect/Get.
const SESSION_COOKIE: &str = "_liquidfiles_session";

/// The pages' state: the store, the user a two-step login was given, the
/// success pages not yet shown (by a one-time token in their URL), and the
/// mount the vendor is served under (`saml.rs` builds absolute URLs with it).
#[derive(Clone)]
pub struct Pages {
    pub(super) lf: LiquidFiles,
    identified: Arc<Mutex<HashMap<String, String>>>,
    done: Arc<Mutex<HashMap<String, BrowserSuccess>>>,
    /// `""` at the root, `/liquidfiles` on the shared server.
    pub(super) mount: Arc<str>,
}

/// The browser logins' routes: `/session/api` and `/saml/api` (`saml.rs`),
/// which ends on the same success page.
pub fn router(lf: LiquidFiles, mount: &str) -> Router {
    let state = Pages {
        lf,
        identified: Arc::default(),
        done: Arc::default(),
        mount: Arc::from(mount),
    };
    Router::new()
        .route("/session/api", get(open).post(submit))
        .route("/session/api/password", get(password_page))
        .route("/session/api/two_factor", get(code_page))
        .route("/session/api/done", get(done))
        .route("/saml/api", get(super::saml::saml_api))
        .route("/saml/consume", post(super::saml::saml_consume))
        .route("/saml/metadata", get(super::saml::saml_metadata))
        .with_state(state)
}

impl Pages {
    pub(super) fn switches(&self) -> &crate::switch::Switches {
        &self.lf.config().switches
    }

    fn style<'s>(&'s self, here: Here, login_id: &'s str) -> Style<'s> {
        Style {
            switches: self.switches(),
            here,
            login_id,
        }
    }

    /// Whether a login is carried by a cookie (Rails forms, Post/Redirect/Get).
    fn cookie_session(&self) -> bool {
        self.switches().is(&sw::FORM_MARKUP, "rails")
            || self.switches().is(&sw::FLOW, "post-redirect-get")
    }

    fn refusal_status(&self) -> StatusCode {
        if self.switches().is(&sw::REFUSAL, "200-form") {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        }
    }

    fn prg(&self) -> bool {
        self.switches().is(&sw::FLOW, "post-redirect-get")
    }

    pub(super) fn error(&self, status: StatusCode, message: &str) -> Response {
        let mut page = wire::error_page(status, message);
        page.strict_headers = self.switches().is(&sw::SECURITY_HEADERS, "strict");
        page.into_response()
    }

    /// Keeps at most `max_pending` entries in a side table (pages never
    /// fetched are not kept without bound).
    fn bounded<V>(&self, table: &Mutex<HashMap<String, V>>, key: String, value: V) {
        let mut t = table.lock().unwrap_or_else(|e| e.into_inner());
        if t.len() >= self.lf.config().max_pending {
            t.clear();
        }
        t.insert(key, value);
    }
}

fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)], "").into_response()
}

/// The port an `agent_port` stands for under `liquidfiles.agent-port-check`.
fn coerced_port(raw: &str) -> Option<String> {
    // Rails' to_i: the leading digits, 0 when there are none.
    let digits: String = raw.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse::<u64>()
        .ok()
        .filter(|n| *n != 0)
        .map(|n| n.to_string())
}

/// `GET /session/api?agent_port=P&agent_name=N&agent_version=V`.
async fn open(
    State(p): State<Pages>,
    source: Source,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if p.switches().is(&sw::CANONICAL_HOST, "localhost")
        && let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok())
    {
        let (name, port) = host.rsplit_once(':').unwrap_or((host, ""));
        if name != "localhost" {
            let port = if port.is_empty() {
                String::new()
            } else {
                format!(":{port}")
            };
            return (
                StatusCode::FOUND,
                [(header::LOCATION, format!("http://localhost{port}{uri}"))],
                "",
            )
                .into_response();
        }
    }
    let agent = match agent_of_query(&p, query.as_deref()) {
        Ok(agent) => agent,
        Err((status, why)) => return p.error(status, &why),
    };
    let login_id = match p.lf.start_browser_login(agent, source) {
        Ok(id) => id,
        Err(e) => {
            let (status, why) = super::pending_refusal(&e);
            return super::with_retry_after(&e, p.error(status, why));
        }
    };
    login_form(&p, &login_id, Here::Root)
}

/// The agent of a browser login's query (`/session/api`, `/saml/api`), as
/// `liquidfiles.agent-port-check` reads an `agent_port` that is not a port;
/// or the status and message of its refusal.
pub(super) fn agent_of_query(
    p: &Pages,
    query: Option<&str>,
) -> Result<Agent, (StatusCode, String)> {
    let check_port = p.switches().is(&sw::AGENT_PORT_CHECK, "refuse");
    let mut agent = super::agent::agent_of(&p.lf, query, check_port)?;
    if let Some(port) = &agent.port
        && store::parse_agent_port(port).is_none()
        && !p.lf.fault_is(Fault::AgentPortUnchecked)
    {
        agent.port = match p.switches().value(&sw::AGENT_PORT_CHECK) {
            "coerce" => coerced_port(port),
            _ => None,
        };
    }
    Ok(agent)
}

/// The login form of a new login, with its session cookie when the
/// switches carry logins by cookie.
pub(super) fn login_form(p: &Pages, login_id: &str, here: Here) -> Response {
    let mut response = p
        .style(here, login_id)
        .login(StatusCode::OK, None)
        .into_response();
    if p.cookie_session()
        && let Ok(cookie) = HeaderValue::from_str(&format!(
            "{SESSION_COOKIE}={login_id}; Path=/; HttpOnly; SameSite=Lax"
        ))
    {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// The login of a request: the form's `login_id`, else the session cookie.
fn login_of(headers: &HeaderMap, fields: &HashMap<String, String>) -> String {
    fields
        .get("login_id")
        .cloned()
        .filter(|s| !s.is_empty())
        .or_else(|| crate::headers::cookie(headers, SESSION_COOKIE))
        .unwrap_or_default()
}

/// `POST /session/api`: the user, the password or the code.
async fn submit(State(p): State<Pages>, source: Source, req: Request) -> Response {
    let headers = req.headers().clone();
    if media_type(&headers).as_deref() != Some("application/x-www-form-urlencoded") {
        return p.error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Submit the login form (application/x-www-form-urlencoded).",
        );
    }
    let Ok(bytes) = read_limited(req).await else {
        return p.error(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.");
    };
    let fields: HashMap<String, String> =
        url::form_urlencoded::parse(&bytes).into_owned().collect();
    let login_id = login_of(&headers, &fields);
    if p.switches().is(&sw::FORM_MARKUP, "rails") {
        let token = fields
            .get("authenticity_token")
            .map(String::as_str)
            .unwrap_or("");
        if login_id.is_empty()
            || !crate::secret::constant_time_eq(token, &pages::authenticity_token(&login_id))
        {
            return p.error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The change you wanted was rejected: invalid authenticity token.",
            );
        }
    }
    if p.switches().is(&sw::FORM_MARKUP, "html5") {
        // The login's id comes from the input outside the form (form=), the
        // state from the hidden textarea: a browser sends both.
        let state = fields
            .get(pages::STATE_FIELD)
            .map(String::as_str)
            .unwrap_or("");
        if !fields.contains_key("login_id")
            || !crate::secret::constant_time_eq(state, &pages::login_state(&login_id))
        {
            return p.error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The form was not submitted as the page gives it (the login id and the login state are missing or wrong).",
            );
        }
    }
    let field = |names: &[&str]| names.iter().find_map(|n| fields.get(*n).cloned());
    let with_code = p.switches().is(&sw::LOGIN_STEPS, "with-code");
    match p.lf.pending_stage(&login_id) {
        None => p.error(
            StatusCode::BAD_REQUEST,
            "This login has expired or is unknown. Please start again.",
        ),
        Some(_) if with_code => combined_step(&p, &login_id, &fields, source).await,
        Some(false) => {
            let user = field(&USER_FIELDS);
            let password = field(&PASSWORD_FIELDS);
            password_step(&p, &login_id, &fields, user, password, source).await
        }
        Some(true) => {
            let code = code_of(&p, &fields);
            match p.lf.submit_code(&login_id, code.as_deref()) {
                Ok(ok) => finish(&p, &login_id, ok, Here::Root),
                Err(LoginError::WrongCode) => {
                    let page = p.style(Here::Root, &login_id).two_factor(
                        p.refusal_status(),
                        Some("Invalid or missing two-factor code"),
                    );
                    page.into_response()
                }
                Err(LoginError::TooManyCodes) => p.error(
                    StatusCode::UNAUTHORIZED,
                    "Too many invalid two-factor codes. Please start again.",
                ),
                Err(_) => p.error(
                    StatusCode::BAD_REQUEST,
                    "This login has expired or is unknown. Please start again.",
                ),
            }
        }
    }
}

/// The names of the user box, the password box and the code box, in each
/// markup.
const USER_FIELDS: [&str; 2] = ["user", "user[email]"];
const PASSWORD_FIELDS: [&str; 2] = ["password", "user[password]"];
const CODE_FIELDS: [&str; 3] = ["code", "user[otp_attempt]", "otp"];

/// The code a form gave: its box, or its six one-digit boxes in order.
fn code_of(p: &Pages, fields: &HashMap<String, String>) -> Option<String> {
    if p.switches().is(&sw::OTP_INPUT, "six-boxes") {
        return Some(
            pages::DIGIT_FIELDS
                .iter()
                .filter_map(|n| fields.get(*n).map(String::as_str))
                .collect(),
        );
    }
    CODE_FIELDS.iter().find_map(|n| fields.get(*n).cloned())
}

/// The `html5` markup's selects, as a browser sends them with a password:
/// the realm selected (a directory account cannot sign in here) and a
/// language it offers (the first, when none is selected). The refusal
/// (422 and why), if the form did not send them so.
fn html5_selects(p: &Pages, fields: &HashMap<String, String>) -> Option<Response> {
    if !p.switches().is(&sw::FORM_MARKUP, "html5") {
        return None;
    }
    let why = if fields.get(pages::REALM_FIELD).map(String::as_str) != Some(pages::LOCAL_REALM) {
        "Directory (LDAP) sign-in is not configured on this server."
    } else if !fields
        .get(pages::LOCALE_FIELD)
        .is_some_and(|l| pages::LOCALES.contains(&l.as_str()))
    {
        "Choose a language for the session."
    } else {
        return None;
    };
    Some(p.error(StatusCode::UNPROCESSABLE_ENTITY, why))
}

/// Whether the honeypot box was filled: a bot fills every box; a person
/// does not see this one.
fn filled_honeypot(fields: &HashMap<String, String>) -> bool {
    fields
        .get(pages::HONEYPOT_FIELD)
        .is_some_and(|v| !v.is_empty())
}

/// A refused password, as the form that asked for it answers it: the same
/// form (`refused`) with the message, 429 with `Retry-After`, 503 when
/// hashing is busy.
fn password_refusal(
    p: &Pages,
    style: &Style<'_>,
    e: LoginError,
    refused: impl Fn(&str) -> Response,
) -> Response {
    match e {
        LoginError::InvalidCredentials => refused(store::INVALID_CREDENTIALS),
        e @ LoginError::TooManyAttempts(_) => super::with_retry_after(
            &e,
            style.login(
                StatusCode::TOO_MANY_REQUESTS,
                Some(store::TOO_MANY_ATTEMPTS),
            ),
        ),
        // The login stays at its password step: the same form again.
        LoginError::Busy => style
            .login(
                StatusCode::SERVICE_UNAVAILABLE,
                Some(&crate::secret::HashBusy.to_string()),
            )
            .into_response(),
        _ => p.error(StatusCode::UNAUTHORIZED, "No such user."),
    }
}

/// The submission of the form with the user, the password and the code
/// (`liquidfiles.login-steps=with-code`): a wrong password or a missing or
/// wrong code shows the same form again.
async fn combined_step(
    p: &Pages,
    login_id: &str,
    fields: &HashMap<String, String>,
    source: Source,
) -> Response {
    let style = p.style(Here::Root, login_id);
    if let Some(refusal) = html5_selects(p, fields) {
        return refusal;
    }
    let refused = |message: &str| {
        style
            .login(p.refusal_status(), Some(message))
            .into_response()
    };
    if filled_honeypot(fields) {
        return refused(store::INVALID_CREDENTIALS);
    }
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| fields.get(*n).cloned())
            .unwrap_or_default()
    };
    let (user, password) = (field(&USER_FIELDS), field(&PASSWORD_FIELDS));
    let code = code_of(p, fields);
    match p
        .lf
        .submit_with_code(login_id, &user, &password, code.as_deref(), source)
        .await
    {
        Ok(BrowserStep::Success(ok)) => finish(p, login_id, ok, Here::Root),
        // The password was right; the code was not given: asked for, as
        // the two-factor page of a login without the code box is.
        Ok(BrowserStep::NeedsCode) => style
            .login(
                StatusCode::OK,
                Some("Two-factor authentication is on for this account: enter the code from your authenticator app."),
            )
            .into_response(),
        Err(LoginError::WrongCode) => refused("Invalid or missing two-factor code"),
        Err(LoginError::TooManyCodes) => p.error(
            StatusCode::UNAUTHORIZED,
            "Too many invalid two-factor codes. Please start again.",
        ),
        Err(e) => password_refusal(p, &style, e, refused),
    }
}

/// The login form's submission (or a two-step login's first or second page).
async fn password_step(
    p: &Pages,
    login_id: &str,
    fields: &HashMap<String, String>,
    user: Option<String>,
    password: Option<String>,
    source: Source,
) -> Response {
    let style = p.style(Here::Root, login_id);
    let two_step = p.switches().is(&sw::LOGIN_STEPS, "two-step");
    let (user, password) = match (user, password) {
        (Some(user), None) if two_step => {
            p.bounded(&p.identified, login_id.to_owned(), user.clone());
            if p.prg() {
                return see_other(&Here::Root.link("password"));
            }
            return style.password(StatusCode::OK, &user, None).into_response();
        }
        (None, Some(password)) if two_step => {
            let user = p
                .identified
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(login_id)
                .cloned()
                .unwrap_or_default();
            (user, password)
        }
        (user, password) => (user.unwrap_or_default(), password.unwrap_or_default()),
    };
    let refused = |message: &str| {
        if two_step {
            style
                .password(p.refusal_status(), &user, Some(message))
                .into_response()
        } else {
            style
                .login(p.refusal_status(), Some(message))
                .into_response()
        }
    };
    if filled_honeypot(fields) {
        return refused(store::INVALID_CREDENTIALS);
    }
    if let Some(refusal) = html5_selects(p, fields) {
        return refusal;
    }
    match p
        .lf
        .submit_password(login_id, &user, &password, source)
        .await
    {
        Ok(BrowserStep::NeedsCode) => {
            if p.prg() {
                see_other(&Here::Root.link("two_factor"))
            } else {
                style.two_factor(StatusCode::OK, None).into_response()
            }
        }
        Ok(BrowserStep::Success(ok)) => finish(p, login_id, ok, Here::Root),
        Err(e) => password_refusal(p, &style, e, refused),
    }
}

/// The end of a login: the success page, or (Post/Redirect/Get, an
/// interstitial) a one-time link to it.
pub(super) fn finish(p: &Pages, login_id: &str, ok: BrowserSuccess, here: Here) -> Response {
    let interstitial = !p.switches().is(&sw::INTERSTITIAL, "none");
    if !p.prg() && !interstitial {
        return success(p, login_id, ok, here).into_response();
    }
    let token = crate::secret::Token::generate().as_str().to_owned();
    p.bounded(&p.done, token.clone(), ok);
    let link = format!("{}?t={token}", here.link("done"));
    if interstitial {
        let page = p.style(here, login_id).interstitial(&link);
        if p.prg() {
            // The interstitial is itself the page a redirect leads to.
            p.bounded(
                &p.identified,
                format!("interstitial:{token}"),
                login_id.to_owned(),
            );
            return see_other(&format!("{}?t={token}&step=1", here.link("done")));
        }
        return page.into_response();
    }
    see_other(&link)
}

/// The success page, with the faults that break it.
fn success(p: &Pages, login_id: &str, ok: BrowserSuccess, here: Here) -> Page {
    let lf = &p.lf;
    let port = match ok.agent_port {
        Some(port) if lf.fault_is(Fault::CallbackWrongPort) => Some(
            port.parse::<u32>()
                .map(|n| (n % 65535 + 1).to_string())
                .unwrap_or(port),
        ),
        None if lf.fault_is(Fault::CallbackWithoutAgentPort) => Some("80".to_owned()),
        other => other,
    };
    let field = if lf.fault_is(Fault::CallbackFieldRenamed) {
        "apikey"
    } else {
        "api_key"
    };
    let mut page = p
        .style(here, login_id)
        .success(&ok.api_key, port.as_deref(), field);
    if lf.fault_is(Fault::ApiKeyDivMissing) {
        page.body = page.body.replace("id=\"api_key\"", "id=\"key\"");
    }
    if lf.fault_is(Fault::SuccessMessageMissing)
        && let Some(at) = page.body.find("<div class=\"d-none\" id=\"api_key\">")
    {
        page.body = page.body[at..].to_owned();
    }
    page
}

/// The `t` (and `step`) of a `done` link.
#[derive(serde::Deserialize)]
struct DoneQuery {
    #[serde(default)]
    t: String,
    #[serde(default)]
    step: Option<u8>,
}

/// `GET /session/api/done?t=TOKEN`: the success page, once (first the
/// interstitial, under Post/Redirect/Get).
async fn done(State(p): State<Pages>, Query(q): Query<DoneQuery>) -> Response {
    if q.step == Some(1) {
        let login_id = p
            .identified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&format!("interstitial:{}", q.t));
        return match login_id {
            Some(id) => p
                .style(Here::Sub, &id)
                .interstitial(&format!("done?t={}", q.t))
                .into_response(),
            None => p.error(
                StatusCode::BAD_REQUEST,
                "Nothing to show. Please start again.",
            ),
        };
    }
    let ok = p
        .done
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&q.t);
    match ok {
        Some(ok) => success(&p, "", ok, Here::Sub).into_response(),
        None => p.error(
            StatusCode::BAD_REQUEST,
            "Nothing to show. Please start again.",
        ),
    }
}

/// The session of a GET page under Post/Redirect/Get.
fn session_of(headers: &HeaderMap) -> Option<String> {
    crate::headers::cookie(headers, SESSION_COOKIE)
}

/// `GET /session/api/password`: a two-step login's second page.
async fn password_page(State(p): State<Pages>, headers: HeaderMap) -> Response {
    let Some(id) = session_of(&headers).filter(|s| p.lf.pending_stage(s) == Some(false)) else {
        return p.error(
            StatusCode::BAD_REQUEST,
            "Your session expired. Please start again.",
        );
    };
    let user = p
        .identified
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .cloned()
        .unwrap_or_default();
    p.style(Here::Sub, &id)
        .password(StatusCode::OK, &user, None)
        .into_response()
}

/// `GET /session/api/two_factor`: the code form of a login waiting for it.
async fn code_page(State(p): State<Pages>, headers: HeaderMap) -> Response {
    match session_of(&headers) {
        Some(id) if p.lf.pending_stage(&id) == Some(true) => p
            .style(Here::Sub, &id)
            .two_factor(StatusCode::OK, None)
            .into_response(),
        _ => p.error(
            StatusCode::BAD_REQUEST,
            "Your session expired. Please start again.",
        ),
    }
}
