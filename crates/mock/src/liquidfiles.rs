//! The LiquidFiles mock, the catcher of the agent-port callback, and a
//! stand-in for the browser of the `/session/api` login.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::server::{MockError, MockServer, Wire, malformed_xml, mock_handle};
use authconform_reference::liquidfiles::store::{self, TOTP_PARAMS};
use authconform_reference::liquidfiles::{page, wire};
use authconform_reference::redact;
use authconform_reference::totp;
use authconform_reference::vendor::Vendor;

const WIRE: Wire = Wire {
    vendor: Vendor::LiquidFiles,
    error: wire::xml_error,
    malformed: malformed_xml,
};

/// How long one request of [`LiquidFiles::sign_in_in_browser`] may take.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest page or callback body read.
const MAX_READ: usize = 1 << 20;

/// A LiquidFiles mock: the XML `POST {base_url}/login` (email or username and
/// password → the user's stable API key), the browser login of
/// `/session/api` (login form, Strong 2FA form, the success page that posts
/// `api_key=KEY` to `http://localhost:<agent_port>/`), `/saml/api` through
/// its embedded SAML identity provider at `/idp` (see
/// [`LiquidFiles::sign_in_with_saml`]) and the `@ext` `GET /account` (the key as the HTTP Basic user name), as in
/// `specs/liquidfiles.openapi.yaml`. The URLs are at the root of the
/// installation, so [`base_url`](MockServer::base_url) is the server root.
///
/// Seeded users (`fixtures/reference.yaml`): the documentation's
/// `user@example.com` / `password` (key `4i1Rkf3pkxu0OCRuSuTMqE`, as in its
/// example answer) and `user@company.com` / `secret`; `alice`, `bob`,
/// `carol` (Strong 2FA, secret `JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP`) at
/// `<name>@example.com` / `<name>-Pa55word`; `dan` / `aBcD0123&$`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use authconform_mock::LiquidFiles;
/// use std::time::Duration;
///
/// let mock = LiquidFiles::start().await;
/// let key = mock.add_user("zoe@example.com", "zoe", "zoe-Pa55word")?;
///
/// // The XML API: the same key every time.
/// let answer = reqwest::Client::new()
///     .post(format!("{}/login", mock.base_url()))
///     .header("Content-Type", "text/xml")
///     .body("<user><email>zoe@example.com</email><password>zoe-Pa55word</password></user>")
///     .send().await?.text().await?;
/// assert!(answer.contains(&format!("<api_key>{key}</api_key>")));
///
/// // The browser login with Strong 2FA, its key caught on the agent port.
/// let secret = mock.enable_two_factor("zoe")?;
/// let agent = mock.agent_listener().await?;
/// let code = mock.totp_code(&secret)?;
/// let browser_key = mock
///     .sign_in_in_browser("zoe", "zoe-Pa55word", Some(&code), Some(agent.port()))
///     .await?;
/// assert_eq!(agent.api_key(Duration::from_secs(5)).await?, browser_key);
/// # Ok(()) }
/// ```
pub struct LiquidFiles {
    server: MockServer,
    store: store::LiquidFiles,
}

mock_handle!(LiquidFiles, "LiquidFiles", |reference| store: reference.liquidfiles.clone());

impl LiquidFiles {
    /// Adds a user and returns its stable API key (what `POST /login` answers).
    /// Refused if the email or the username is already someone's name.
    pub fn add_user(
        &self,
        email: &str,
        username: &str,
        password: &str,
    ) -> Result<String, MockError> {
        if email.trim().is_empty() || username.trim().is_empty() {
            return Err(MockError::Refused(
                "a user needs an email and a username".into(),
            ));
        }
        for name in [email, username] {
            if self.store.stable_key_of(name).is_some() {
                return Err(MockError::Refused(format!(
                    "`{name}` is already a LiquidFiles user's name"
                )));
            }
        }
        Ok(self.store.add_user(email, username, password))
    }

    /// Turns Strong 2FA on for a user (email or username) and returns its
    /// secret (unpadded base32; SHA1, 6 digits, 30 s). The browser login then
    /// asks for a code after the password; `POST /login` does not.
    pub fn enable_two_factor(&self, user: &str) -> Result<String, MockError> {
        self.store
            .enable_two_factor(user)
            .ok_or_else(|| MockError::UnknownAccount(user.to_owned(), Vendor::LiquidFiles))
    }

    /// The TOTP code of `secret` at the mock's current time. A code is
    /// accepted once: advance the clock 30 s before the next login.
    pub fn totp_code(&self, secret: &str) -> Result<String, MockError> {
        let key = totp::decode_secret(secret)
            .ok_or_else(|| MockError::Refused("the secret is not base32".into()))?;
        Ok(totp::code_at(TOTP_PARAMS, &key, self.server.now()))
    }

    /// A user's stable API key (by email or username), the one `POST /login`
    /// answers.
    pub fn api_key(&self, user: &str) -> Result<String, MockError> {
        self.store
            .stable_key_of(user)
            .ok_or_else(|| MockError::UnknownAccount(user.to_owned(), Vendor::LiquidFiles))
    }

    /// Listens on `127.0.0.1` at a free port, as a desktop client does for the
    /// key a browser posts back: pass [`AgentListener::port`] as the login
    /// URL's `agent_port`.
    pub async fn agent_listener(&self) -> std::io::Result<AgentListener> {
        AgentListener::start().await
    }

    /// Plays the browser of the `/session/api` login: opens the page (with
    /// `agent_port` when given), submits the login form with `user` and
    /// `password`, then the Strong 2FA form with `totp` when the page asks for
    /// it, and, when the success page carries the agent callback, posts it as
    /// the browser would (to `http://localhost:<agent_port>/`, reached on
    /// 127.0.0.1). Returns the key the page shows.
    ///
    /// Refused with the page's message: wrong password, a 2FA code needed but
    /// not given, a wrong code, a rate limit. Each call is a new login.
    pub async fn sign_in_in_browser(
        &self,
        user: &str,
        password: &str,
        totp: Option<&str>,
        agent_port: Option<u16>,
    ) -> Result<String, MockError> {
        let mut url = format!("{}/session/api", self.base_url());
        if let Some(port) = agent_port {
            url.push_str(&format!("?agent_port={port}"));
        }
        let (_, html) = fetch(Method::GET, &url, None).await?;
        let login = page::form(&html, "login").ok_or_else(|| refused("the login page", &html))?;
        let (status, mut html) =
            submit(&url, &login, &[("user", user), ("password", password)]).await?;
        if let Some(two_factor) = page::form(&html, "two_factor") {
            if status != StatusCode::OK {
                return Err(refused("the password", &html));
            }
            let Some(code) = totp else {
                return Err(MockError::Refused(
                    "the account has Strong 2FA: the browser login needs a TOTP code".into(),
                ));
            };
            (_, html) = submit(&url, &two_factor, &[("code", code)]).await?;
            if page::form(&html, "two_factor").is_some() {
                return Err(refused("the two-factor code", &html));
            }
        }
        let key = page::element_text(&html, "div", "api_key")
            .filter(|k| !k.is_empty())
            .ok_or_else(|| refused("the login", &html))?;
        post_callback(&html).await?;
        Ok(key)
    }

    /// Plays the browser of the `/saml/api` login through the mock's
    /// embedded SAML identity provider: opens `/saml/api` (with `agent_port`
    /// when given), follows the redirect to the IdP, fills its login form
    /// with `email` and the IdP `password`, submits the HTTP-POST binding's
    /// form to the assertion consumer service, and, when the success page
    /// carries the agent callback, posts it as the browser would. Returns
    /// the key the page shows.
    ///
    /// The IdP's accounts (`saml_idp` in `fixtures/reference.yaml`):
    /// `alice@example.com` / `alice-Idp-Pa55word`, `bob@example.com` /
    /// `bob-Idp-Pa55word`, and `ivy@example.com` / `ivy-Idp-Pa55word`, whom
    /// LiquidFiles does not know (refused). Its metadata is at
    /// `{base_url}/idp/metadata`. Refused with the page's message.
    pub async fn sign_in_with_saml(
        &self,
        email: &str,
        password: &str,
        agent_port: Option<u16>,
    ) -> Result<String, MockError> {
        let mut url = format!("{}/saml/api", self.base_url());
        if let Some(port) = agent_port {
            url.push_str(&format!("?agent_port={port}"));
        }
        let (status, location, html) = fetch_with_location(Method::GET, &url, None).await?;
        let location = location
            .filter(|_| status.is_redirection())
            .ok_or_else(|| refused("/saml/api", &html))?;
        let idp_url = url::Url::parse(&url)
            .and_then(|base| base.join(&location))
            .map_err(|e| MockError::Refused(format!("the IdP's URL `{location}`: {e}")))?
            .to_string();
        let (_, html) = fetch(Method::GET, &idp_url, None).await?;
        let login =
            page::form(&html, "idp_login").ok_or_else(|| refused("the IdP's login page", &html))?;
        let (_, html) = submit(
            &idp_url,
            &login,
            &[("email", email), ("password", password)],
        )
        .await?;
        let post = page::form(&html, "saml_post").ok_or_else(|| refused("the IdP login", &html))?;
        let acs = post.tag.attr("action").unwrap_or_default().to_owned();
        let (_, html) = submit(&acs, &post, &[]).await?;
        let key = page::element_text(&html, "div", "api_key")
            .filter(|k| !k.is_empty())
            .ok_or_else(|| refused("the SAML login", &html))?;
        post_callback(&html).await?;
        Ok(key)
    }
}

/// Posts the success page's agent callback, if it has one, as the browser
/// would (to `http://localhost:<port>/`, reached on 127.0.0.1).
async fn post_callback(html: &str) -> Result<(), MockError> {
    if let Some(callback) = page::form(html, "agent_callback") {
        let action = callback.tag.attr("action").unwrap_or_default().to_owned();
        let target = callback_target(&action).ok_or_else(|| {
            MockError::Refused(format!(
                "the success page posts the key to `{action}`, not to http://localhost:<port>/"
            ))
        })?;
        let body = form_body(&callback.fields(&[]));
        fetch_at(target, Method::POST, &action, Some(body)).await?;
    }
    Ok(())
}

/// A refusal with the page's own message (`#error`), which holds no secret.
fn refused(step: &str, html: &str) -> MockError {
    let message = page::element_text(html, "p", "error")
        .unwrap_or_else(|| "the page has neither the next form nor the key".into());
    MockError::Refused(format!("{step} was refused: {message}"))
}

/// Submits `form` of the page at `page_url` as a browser does: its fields,
/// with `given` in place of theirs.
async fn submit(
    page_url: &str,
    form: &page::Form,
    given: &[(&str, &str)],
) -> Result<(StatusCode, String), MockError> {
    let action = form.tag.attr("action").unwrap_or_default();
    let target = url::Url::parse(page_url)
        .and_then(|base| base.join(action))
        .map_err(|e| MockError::Refused(format!("the form's action `{action}`: {e}")))?;
    fetch(
        Method::POST,
        target.as_str(),
        Some(form_body(&form.fields(given))),
    )
    .await
}

fn form_body(fields: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// The loopback address of a callback action `http://localhost:<port>/…`.
fn callback_target(action: &str) -> Option<SocketAddr> {
    let url = url::Url::parse(action).ok()?;
    (url.scheme() == "http" && url.host_str() == Some("localhost"))
        .then(|| SocketAddr::from(([127, 0, 0, 1], url.port_or_known_default().unwrap_or(80))))
}

/// One request to the mock; a form body is sent urlencoded.
async fn fetch(
    method: Method,
    url: &str,
    form: Option<String>,
) -> Result<(StatusCode, String), MockError> {
    fetch_with_location(method, url, form)
        .await
        .map(|(status, _, body)| (status, body))
}

/// [`fetch`], with the answer's `Location` (a redirect is not followed).
async fn fetch_with_location(
    method: Method,
    url: &str,
    form: Option<String>,
) -> Result<(StatusCode, Option<String>, String), MockError> {
    let addr = url::Url::parse(url)
        .ok()
        .and_then(|u| u.socket_addrs(|| None).ok())
        .and_then(|a| a.into_iter().next())
        .ok_or_else(|| MockError::Refused(format!("cannot reach `{url}`")))?;
    fetch_at(addr, method, url, form).await
}

/// One HTTP/1.1 request over a fresh connection to `addr`.
async fn fetch_at(
    addr: SocketAddr,
    method: Method,
    url: &str,
    form: Option<String>,
) -> Result<(StatusCode, Option<String>, String), MockError> {
    let io_error = |e: &dyn fmt::Display| MockError::Refused(format!("{method} {url}: {e}"));
    let uri: Uri = url.parse().map_err(|e| io_error(&e))?;
    let host = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_default();
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let exchange = async {
        let stream = TcpStream::connect(addr).await.map_err(|e| io_error(&e))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| io_error(&e))?;
        let driver = tokio::spawn(connection);
        let mut request = axum::http::Request::builder()
            .method(method.clone())
            .uri(path)
            .header(header::HOST, host);
        let body = match form {
            Some(form) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form)
            }
            None => Body::empty(),
        };
        let request = request.body(body).map_err(|e| io_error(&e))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| io_error(&e))?;
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::to_bytes(Body::new(response.into_body()), MAX_READ)
            .await
            .map_err(|e| io_error(&e))?;
        driver.abort();
        Ok((
            status,
            location,
            String::from_utf8_lossy(&bytes).into_owned(),
        ))
    };
    tokio::time::timeout(BROWSER_TIMEOUT, exchange)
        .await
        .map_err(|_| io_error(&"no answer within 10 s"))?
}

/// One request a browser made to the agent port.
#[derive(Clone)]
pub struct AgentCallback {
    /// The request's method (the page's form posts).
    pub method: Method,
    /// The path and query, as requested (`/`).
    pub target: String,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl AgentCallback {
    /// The `api_key` field of a form-encoded body.
    pub fn api_key(&self) -> Option<String> {
        url::form_urlencoded::parse(&self.body)
            .find(|(k, _)| k == "api_key")
            .map(|(_, v)| v.into_owned())
    }
}

impl fmt::Debug for AgentCallback {
    /// The body's fields with every value masked: it carries the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields: Vec<String> = url::form_urlencoded::parse(&self.body)
            .map(|(k, _)| format!("{k}={}", redact::MASK))
            .collect();
        f.debug_struct("AgentCallback")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("content_type", &self.content_type)
            .field("body", &fields.join("&"))
            .finish()
    }
}

#[derive(Default)]
struct Catch {
    callbacks: Mutex<Vec<AgentCallback>>,
    arrived: Notify,
    /// Answer 204 instead of a page.
    no_content: bool,
}

/// A stand-in for a desktop client's agent port: an HTTP server on
/// `127.0.0.1` at a free port that records every request (answering 200 with
/// a short page) until dropped.
pub struct AgentListener {
    port: u16,
    catch: Arc<Catch>,
    task: JoinHandle<()>,
}

impl AgentListener {
    /// Binds `127.0.0.1:0` and starts recording.
    pub async fn start() -> std::io::Result<AgentListener> {
        Self::listen(false).await
    }

    /// The same, answering every request `204 No Content`: a browser that
    /// posts a form to it stays on the page it posted from (HTML's
    /// navigation ignores a 204), so the page with the key stays readable.
    pub async fn start_no_content() -> std::io::Result<AgentListener> {
        Self::listen(true).await
    }

    async fn listen(no_content: bool) -> std::io::Result<AgentListener> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let port = listener.local_addr()?.port();
        let catch = Arc::new(Catch {
            no_content,
            ..Catch::default()
        });
        let router = axum::Router::new()
            .fallback(record)
            .with_state(catch.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(AgentListener { port, catch, task })
    }

    /// The port to pass as `agent_port`.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every request received so far, oldest first.
    pub fn callbacks(&self) -> Vec<AgentCallback> {
        self.catch
            .callbacks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The key of the first `POST` with an `api_key` field, waiting up to
    /// `timeout` for it.
    pub async fn api_key(&self, timeout: Duration) -> Result<String, MockError> {
        let wait = async {
            loop {
                let arrived = self.catch.arrived.notified();
                if let Some(key) = self
                    .callbacks()
                    .iter()
                    .filter(|c| c.method == Method::POST)
                    .find_map(AgentCallback::api_key)
                {
                    return key;
                }
                arrived.await;
            }
        };
        tokio::time::timeout(timeout, wait).await.map_err(|_| {
            MockError::Refused(format!(
                "no POST with api_key reached the agent port {} within {timeout:?}",
                self.port
            ))
        })
    }
}

impl Drop for AgentListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(State(catch): State<Arc<Catch>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, MAX_READ)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let callback = AgentCallback {
        method: parts.method,
        target: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into()),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body,
    };
    catch
        .callbacks
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(callback);
    catch.arrived.notify_waiters();
    if catch.no_content {
        return StatusCode::NO_CONTENT.into_response();
    }
    let mut response =
        "<!DOCTYPE html><title>Signed in</title><p>You can close this window.</p>".into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}
