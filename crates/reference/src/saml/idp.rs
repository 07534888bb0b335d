//! The embedded test identity provider: what `/saml/api` sends the browser
//! to in `authconform serve` (mounted at `/idp`), and what `authconform idp`
//! runs alone so that a LiquidFiles deployment configured to trust it can be
//! checked end to end.
//!
//! - `GET /idp/metadata`: its `<md:EntityDescriptor>` (SAML Metadata §2.4.3):
//!   entity ID, signing certificate, the SSO endpoint (HTTP-Redirect).
//! - `GET /idp/sso?SAMLRequest=…&RelayState=…`: reads the AuthnRequest
//!   (Bindings §3.4) and shows its own login form.
//! - `POST /idp/sso` with `SAMLRequest`: the same by the HTTP-POST binding
//!   (Bindings §3.5).
//! - `POST /idp/sso`: checks the email and password of a fixtures user; a
//!   wrong one gets the form again (no Response: nothing reaches the SP); a
//!   right one gets the HTTP-POST binding's page (Bindings §3.5.4): a form
//!   to the SP's assertion consumer service with `SAMLResponse` and
//!   `RelayState`, posted by script at once, by a button without script.
//!
//! A test IdP: it signs for whichever SP asks (the AuthnRequest's Issuer is
//! the audience, its AssertionConsumerServiceURL the destination) unless
//! `allowed_acs` lists the SPs it serves.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::dsig::SigningKey;
use super::message::{AuthnRequest, ResponseSpec, Signing};
use super::{BINDING_POST, BINDING_REDIRECT, MAX_RELAY_STATE, METADATA_NS, NAMEID_EMAIL};
use crate::body::{media_type, read_limited};
use crate::clock::{Clock, UnixSeconds};
use crate::liquidfiles::wire::escape;
use crate::secret::PasswordHashing;

/// One account of the IdP: its NameID is the email.
#[derive(Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpUser {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for IdpUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdpUser")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// What shapes the IdP.
#[derive(Clone, Debug)]
pub struct IdpConfig {
    pub entity_id: String,
    pub key: SigningKey,
    pub users: Vec<IdpUser>,
    /// The URL the IdP is reached at, up to and without `/metadata` (e.g.
    /// `https://idp.example/idp`); without it, `http://<Host>/idp`.
    pub public_url: Option<String>,
    /// The ACS URL to post to when an AuthnRequest names none (the SP's
    /// metadata would say it).
    pub default_acs: Option<String>,
    /// Only these ACS URLs are served (empty: any; a test IdP).
    pub allowed_acs: Vec<String>,
    /// Sign the Response element as well as the assertion.
    pub sign_response: bool,
    /// Seconds a login at the IdP may take.
    pub pending_ttl: i64,
    pub max_pending: usize,
}

impl IdpConfig {
    /// The built-in test key and the given users.
    pub fn new(users: Vec<IdpUser>) -> IdpConfig {
        IdpConfig {
            entity_id: super::DEFAULT_IDP_ENTITY_ID.to_owned(),
            key: SigningKey::builtin(),
            users,
            public_url: None,
            default_acs: None,
            allowed_acs: Vec::new(),
            sign_response: false,
            pending_ttl: 15 * 60,
            max_pending: 10_000,
        }
    }
}

struct PendingSso {
    request: AuthnRequest,
    acs_url: String,
    relay_state: Option<String>,
    created: UnixSeconds,
}

struct IdpState {
    pending: HashMap<String, PendingSso>,
    order: VecDeque<String>,
}

/// The IdP's state. Cheap to clone (shared).
#[derive(Clone)]
pub struct Idp {
    config: Arc<IdpConfig>,
    /// Argon2 hashes of the users' passwords, by lower-cased email.
    users: Arc<HashMap<String, (String, String)>>,
    hashing: PasswordHashing,
    clock: Clock,
    state: Arc<Mutex<IdpState>>,
}

/// Where an IdP login ends.
#[derive(Debug)]
pub enum IdpLogin {
    /// The Response to post, and where.
    Posted {
        acs_url: String,
        saml_response: String,
        relay_state: Option<String>,
    },
    WrongPassword,
    Busy,
    Expired,
}

impl Idp {
    pub fn new(config: IdpConfig, hashing: PasswordHashing, clock: Clock) -> Idp {
        let users = config
            .users
            .iter()
            .map(|u| {
                (
                    u.email.to_lowercase(),
                    (u.email.clone(), hashing.hash(&u.password)),
                )
            })
            .collect();
        Idp {
            config: Arc::new(config),
            users: Arc::new(users),
            hashing,
            clock,
            state: Arc::new(Mutex::new(IdpState {
                pending: HashMap::new(),
                order: VecDeque::new(),
            })),
        }
    }

    pub fn config(&self) -> &IdpConfig {
        &self.config
    }

    fn lock(&self) -> MutexGuard<'_, IdpState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The IdP's base URL for a request that reached it with `headers`.
    pub fn base_url(&self, headers: &HeaderMap) -> String {
        match &self.config.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let host = headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("localhost");
                format!("http://{host}/idp")
            }
        }
    }

    /// `<md:EntityDescriptor>` for `base` (the IdP's base URL).
    pub fn metadata(&self, base: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntityDescriptor xmlns:md=\"{METADATA_NS}\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"{}\"><md:IDPSSODescriptor WantAuthnRequestsSigned=\"false\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"><md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:NameIDFormat>{NAMEID_EMAIL}</md:NameIDFormat><md:SingleSignOnService Binding=\"{BINDING_REDIRECT}\" Location=\"{base}/sso\"/><md:SingleSignOnService Binding=\"{BINDING_POST}\" Location=\"{base}/sso\"/></md:IDPSSODescriptor></md:EntityDescriptor>\n",
            escape(&self.config.entity_id),
            self.config.key.certificate().to_base64(),
            base = escape(base),
        )
    }

    /// Reads an HTTP-Redirect AuthnRequest; returns the id of the login it opens.
    pub fn start(&self, saml_request: &str, relay_state: Option<&str>) -> Result<String, String> {
        self.start_with(&super::inflate_base64(saml_request)?, relay_state)
    }

    /// Reads an HTTP-POST AuthnRequest (plain base64, Bindings 3.5.4).
    pub fn start_posted(
        &self,
        saml_request: &str,
        relay_state: Option<&str>,
    ) -> Result<String, String> {
        let xml = super::read_post_base64(saml_request)
            .map_err(|e| e.replace("SAMLResponse", "SAMLRequest"))?;
        self.start_with(&xml, relay_state)
    }

    fn start_with(&self, xml: &str, relay_state: Option<&str>) -> Result<String, String> {
        if relay_state.is_some_and(|r| r.len() > MAX_RELAY_STATE) {
            return Err(format!(
                "RelayState is longer than {MAX_RELAY_STATE} bytes (SAML Bindings 3.4.3)"
            ));
        }
        let request = AuthnRequest::parse(xml)?;
        let acs_url = request
            .acs_url
            .clone()
            .or_else(|| self.config.default_acs.clone())
            .ok_or_else(|| {
                "the AuthnRequest names no AssertionConsumerServiceURL and this IdP knows none (authconform idp --sp-acs)".to_owned()
            })?;
        if !acs_url.starts_with("http://") && !acs_url.starts_with("https://") {
            return Err("the AssertionConsumerServiceURL is not an http(s) URL".to_owned());
        }
        if !self.config.allowed_acs.is_empty() && !self.config.allowed_acs.contains(&acs_url) {
            return Err(format!("this IdP does not serve the SP at {acs_url}"));
        }
        let now = self.clock.now();
        let id = crate::secret::Token::generate().as_str().to_owned();
        let mut s = self.lock();
        while s.pending.len() >= self.config.max_pending
            || s.order.front().is_some_and(|old| {
                s.pending
                    .get(old)
                    .is_none_or(|p| now - p.created >= self.config.pending_ttl)
            })
        {
            let Some(old) = s.order.pop_front() else {
                break;
            };
            s.pending.remove(&old);
        }
        s.pending.insert(
            id.clone(),
            PendingSso {
                request,
                acs_url,
                relay_state: relay_state.map(str::to_owned),
                created: now,
            },
        );
        s.order.push_back(id.clone());
        Ok(id)
    }

    /// The login form's submission: on the right password, the signed
    /// Response for the pending AuthnRequest (used once).
    pub async fn login(&self, sso: &str, email: &str, password: &str) -> IdpLogin {
        let now = self.clock.now();
        let known = {
            let s = self.lock();
            match s.pending.get(sso) {
                Some(p) if now - p.created < self.config.pending_ttl => {}
                _ => return IdpLogin::Expired,
            }
            self.users.get(&email.trim().to_lowercase()).cloned()
        };
        let password = password.to_owned();
        let hash = known.as_ref().map(|(_, h)| h.clone());
        let ok = match self
            .hashing
            .run(move |h| match &hash {
                Some(hash) => h.verify(&password, hash),
                None => h.verify_decoy(&password),
            })
            .await
        {
            Ok(ok) => ok,
            Err(_) => return IdpLogin::Busy,
        };
        let Some((email, _)) = known.filter(|_| ok) else {
            return IdpLogin::WrongPassword;
        };
        let Some(pending) = self.lock().pending.remove(sso) else {
            return IdpLogin::Expired;
        };
        let mut spec = ResponseSpec::new(
            &self.config.entity_id,
            &email,
            &pending.request.issuer,
            &pending.acs_url,
            Some(&pending.request.id),
            now,
        );
        if self.config.sign_response {
            spec.signing = Signing::Both;
        }
        match spec.to_xml(&self.config.key) {
            Ok(xml) => IdpLogin::Posted {
                acs_url: pending.acs_url,
                saml_response: super::post_base64(&xml),
                relay_state: pending.relay_state,
            },
            Err(_) => IdpLogin::Expired,
        }
    }
}

pub fn router(idp: Idp) -> Router {
    Router::new()
        .route("/metadata", get(metadata))
        .route("/sso", get(sso_start).post(sso_login))
        .with_state(idp)
}

async fn metadata(State(idp): State<Idp>, headers: HeaderMap) -> Response {
    (
        [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
        idp.metadata(&idp.base_url(&headers)),
    )
        .into_response()
}

async fn sso_start(State(idp): State<Idp>, req: Request) -> Response {
    let mut saml_request = None;
    let mut relay_state = None;
    for (k, v) in url::form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "SAMLRequest" => saml_request = Some(v.into_owned()),
            "RelayState" => relay_state = Some(v.into_owned()),
            _ => {}
        }
    }
    let Some(saml_request) = saml_request else {
        return page(
            StatusCode::BAD_REQUEST,
            "Error",
            &message_html(
                "This is a SAML identity provider: open it through a service provider's login (no SAMLRequest).",
            ),
            None,
        );
    };
    match idp.start(&saml_request, relay_state.as_deref()) {
        Ok(sso) => login_form(StatusCode::OK, &sso, None),
        Err(why) => page(StatusCode::BAD_REQUEST, "Error", &message_html(&why), None),
    }
}

async fn sso_login(State(idp): State<Idp>, req: Request) -> Response {
    if media_type(req.headers()).as_deref() != Some("application/x-www-form-urlencoded") {
        return page(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Error",
            &message_html("Submit the login form."),
            None,
        );
    }
    let Ok(bytes) = read_limited(req).await else {
        return page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Error",
            &message_html("The form is too large."),
            None,
        );
    };
    let (mut sso, mut email, mut password) = (String::new(), String::new(), String::new());
    let (mut saml_request, mut relay_state) = (None, None);
    for (k, v) in url::form_urlencoded::parse(&bytes) {
        match k.as_ref() {
            "sso" => sso = v.into_owned(),
            "email" => email = v.into_owned(),
            "password" => password = v.into_owned(),
            "SAMLRequest" => saml_request = Some(v.into_owned()),
            "RelayState" => relay_state = Some(v.into_owned()),
            _ => {}
        }
    }
    // An AuthnRequest by the HTTP-POST binding (Bindings 3.5): the login form.
    if let Some(saml_request) = saml_request {
        return match idp.start_posted(&saml_request, relay_state.as_deref()) {
            Ok(sso) => login_form(StatusCode::OK, &sso, None),
            Err(why) => page(StatusCode::BAD_REQUEST, "Error", &message_html(&why), None),
        };
    }
    match idp.login(&sso, &email, &password).await {
        IdpLogin::Posted {
            acs_url,
            saml_response,
            relay_state,
        } => post_binding_page(&acs_url, &saml_response, relay_state.as_deref()),
        IdpLogin::WrongPassword => login_form(
            StatusCode::UNAUTHORIZED,
            &sso,
            Some("Wrong email or password."),
        ),
        IdpLogin::Busy => login_form(
            StatusCode::SERVICE_UNAVAILABLE,
            &sso,
            Some("The identity provider is busy; try again."),
        ),
        IdpLogin::Expired => page(
            StatusCode::BAD_REQUEST,
            "Error",
            &message_html(
                "This login has expired or is unknown: start again at the service provider.",
            ),
            None,
        ),
    }
}

fn message_html(message: &str) -> String {
    format!(
        "<p class=\"alert\" id=\"error\" role=\"alert\">{}</p>\n",
        escape(message)
    )
}

fn login_form(status: StatusCode, sso: &str, message: Option<&str>) -> Response {
    let body = format!(
        "<h1>authconform test identity provider</h1>\n{}<form id=\"idp_login\" method=\"post\" action=\"sso\">\n<input type=\"hidden\" name=\"sso\" value=\"{}\">\n<label>Email <input name=\"email\" type=\"email\" autocomplete=\"username\" required></label>\n<label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\n<button type=\"submit\" id=\"idp_sign_in\">Sign in</button>\n</form>\n",
        message.map(message_html).unwrap_or_default(),
        escape(sso)
    );
    page(status, "Sign in", &body, None)
}

/// The HTTP-POST binding's page (Bindings §3.5.4) with the IdP's Response:
/// the form posts itself by script; without script, its button does.
pub fn post_binding_page(
    acs_url: &str,
    saml_response: &str,
    relay_state: Option<&str>,
) -> Response {
    auto_post_page(acs_url, "SAMLResponse", saml_response, relay_state)
}

/// An HTTP-POST binding page posting `field` (`SAMLResponse`, or an SP's
/// `SAMLRequest`) and the RelayState to `action`.
pub fn auto_post_page(
    action: &str,
    field: &str,
    value: &str,
    relay_state: Option<&str>,
) -> Response {
    let acs_url = action;
    let saml_response = value;
    let nonce = crate::secret::Token::generate().as_str().to_owned();
    let relay = relay_state
        .map(|r| {
            format!(
                "<input type=\"hidden\" name=\"RelayState\" value=\"{}\">\n",
                escape(r)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>Signing you in…</h1>\n<form id=\"saml_post\" method=\"post\" action=\"{}\">\n<input type=\"hidden\" name=\"{field}\" value=\"{}\">\n{relay}<noscript><button type=\"submit\" id=\"saml_continue\">Continue</button></noscript>\n</form>\n<script nonce=\"{nonce}\">document.getElementById('saml_post').submit();</script>\n",
        escape(acs_url),
        escape(saml_response)
    );
    // A relative action stays on the page's own origin.
    let origin = origin_of(acs_url).unwrap_or_else(|| "'self'".to_owned());
    page(
        StatusCode::OK,
        "Signing in",
        &body,
        Some((format!("form-action {origin}"), nonce)),
    )
}

/// `scheme://host[:port]` of an absolute URL.
fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    Some(parsed.origin().ascii_serialization())
}

/// An IdP page, with the security headers every page carries; `post` allows
/// one form target and one script nonce.
fn page(status: StatusCode, title: &str, body: &str, post: Option<(String, String)>) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title} - authconform test IdP</title>\n</head>\n<body>\n{body}</body>\n</html>\n"
    );
    let csp = match post {
        Some((form_action, nonce)) => {
            format!("default-src 'none'; script-src 'nonce-{nonce}'; {form_action}")
        }
        None => "default-src 'none'; form-action 'self'".to_owned(),
    };
    crate::liquidfiles::wire::html_response(status, html, &csp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::HashCost;

    fn idp() -> Idp {
        Idp::new(
            IdpConfig::new(vec![IdpUser {
                email: "alice@example.com".into(),
                password: "pw".into(),
            }]),
            PasswordHashing::new(HashCost::Test),
            Clock::new(),
        )
    }

    fn request(acs: Option<&str>) -> String {
        let req = AuthnRequest {
            id: "_req".into(),
            issue_instant: 0,
            issuer: "sp".into(),
            acs_url: acs.map(str::to_owned),
            destination: None,
        };
        super::super::deflate_base64(&req.to_xml())
    }

    #[tokio::test]
    async fn a_login_answers_a_signed_response_once() {
        let idp = idp();
        let sso = idp
            .start(&request(Some("http://sp/acs")), Some("rs"))
            .unwrap();
        assert!(matches!(
            idp.login(&sso, "alice@example.com", "nope").await,
            IdpLogin::WrongPassword
        ));
        assert!(matches!(
            idp.login(&sso, "nobody@example.com", "pw").await,
            IdpLogin::WrongPassword
        ));
        let IdpLogin::Posted {
            acs_url,
            saml_response,
            relay_state,
        } = idp.login(&sso, "ALICE@example.com", "pw").await
        else {
            panic!("alice signs in")
        };
        assert_eq!(
            (acs_url.as_str(), relay_state.as_deref()),
            ("http://sp/acs", Some("rs"))
        );
        let xml = super::super::read_post_base64(&saml_response).unwrap();
        assert!(xml.contains("InResponseTo=\"_req\"") && xml.contains(">alice@example.com<"));
        assert!(matches!(
            idp.login(&sso, "alice@example.com", "pw").await,
            IdpLogin::Expired
        ));
    }

    #[test]
    fn bad_requests_are_refused() {
        let idp = idp();
        assert!(
            idp.start(&request(None), None)
                .unwrap_err()
                .contains("AssertionConsumerServiceURL")
        );
        assert!(
            idp.start(&request(Some("javascript:alert(1)")), None)
                .is_err()
        );
        assert!(
            idp.start(&request(Some("http://sp/acs")), Some(&"x".repeat(81)))
                .is_err()
        );
        assert!(idp.start("!!", None).is_err());
        // The HTTP-POST binding: plain base64, no DEFLATE.
        let posted = AuthnRequest {
            id: "_p".into(),
            issue_instant: 0,
            issuer: "sp".into(),
            acs_url: Some("http://sp/acs".into()),
            destination: None,
        };
        assert!(
            idp.start_posted(&super::super::post_base64(&posted.to_xml()), None)
                .is_ok()
        );
        assert!(
            idp.start_posted(&request(Some("http://sp/acs")), None)
                .is_err()
        );
        let md = idp.metadata("http://h/idp");
        assert!(
            md.contains("Location=\"http://h/idp/sso\"")
                && md.contains(super::super::DEFAULT_IDP_ENTITY_ID)
        );
    }
}
