//! The HTTP player: `/session/api` played over HTTP by code that runs no
//! script. It keeps the cookies a page sets, follows redirects (to any host:
//! a canonical host name, an identity provider), `<meta http-equiv=refresh>`
//! and the `Refresh` header, and submits a form as a browser does (every
//! control the form owns, `form=` ones outside it, selects and textareas,
//! the pressed button's name, its `formaction` and `formmethod`). What only script does
//! (a `fetch` callback, a script redirect, a page built by script) it cannot
//! judge: the steps report those scenarios as not judged.

use std::collections::BTreeMap;

use super::look;
use super::{Page, PlayError};
use crate::harness::exchange::{Call, Exchange, HttpClient};
use crate::harness::liquidfiles::api;
use crate::harness::world::Failure;
use crate::reference::liquidfiles::page::{self, Form};

/// What sends the player's requests: the scenario (which records and checks
/// each exchange) or, in preflight, the bare client.
pub trait Wire {
    fn send(&mut self, call: Call) -> impl Future<Output = Result<Exchange, Failure>> + Send;
}

impl Wire for &HttpClient {
    async fn send(&mut self, call: Call) -> Result<Exchange, Failure> {
        HttpClient::send(self, &call)
            .await
            .map_err(|e| Failure(e.to_string()))
    }
}

/// Navigations a browser follows for one action before giving up (redirects
/// and refreshes together).
const MAX_HOPS: usize = 10;

/// The HTTP player's state: the cookie jar and the page shown.
#[derive(Default, Debug)]
pub struct HttpPlayer {
    /// Cookies by host, then name (no path matching: one login's pages).
    cookies: BTreeMap<String, BTreeMap<String, String>>,
    page: Option<Page>,
}

/// `url` as a call: the origin as its base URL, the rest as its path.
fn call_to(method: reqwest::Method, url: &url::Url) -> Call {
    let origin = url.origin().ascii_serialization();
    let mut path = url.path().to_owned();
    if let Some(q) = url.query() {
        path.push('?');
        path.push_str(q);
    }
    Call::new(method, api::SESSION_API)
        .on_base_url(&origin)
        .path(path)
}

impl HttpPlayer {
    pub fn page(&self) -> Option<&Page> {
        self.page.as_ref()
    }

    fn cookie_header(&self, url: &url::Url) -> Option<String> {
        let jar = self.cookies.get(url.host_str().unwrap_or(""))?;
        let pairs: Vec<String> = jar.iter().map(|(n, v)| format!("{n}={v}")).collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// Keeps what a response sets, forgets what it expires; returns the
    /// values kept (session cookies are credentials, masked in reports).
    fn keep_cookies(&mut self, url: &url::Url, x: &Exchange) -> Vec<String> {
        let now = cookie::time::OffsetDateTime::now_utc();
        let jar = self
            .cookies
            .entry(url.host_str().unwrap_or("").to_owned())
            .or_default();
        let mut kept = Vec::new();
        for c in x
            .set_cookies()
            .filter_map(|v| cookie::Cookie::parse(v.to_owned()).ok())
        {
            let expired = c
                .max_age()
                .is_some_and(|a| a <= cookie::time::Duration::ZERO)
                || c.expires_datetime().is_some_and(|t| t <= now);
            if expired {
                jar.remove(c.name());
            } else {
                kept.push(c.value().to_owned());
                jar.insert(c.name().to_owned(), c.value().to_owned());
            }
        }
        kept
    }

    /// Opens `url` (a GET), following what a browser follows.
    pub async fn open(&mut self, wire: &mut impl Wire, url: &str) -> Result<&Page, PlayError> {
        let url = url::Url::parse(url)
            .map_err(|e| PlayError::Failed(format!("a URL that parses ({url}: {e})")))?;
        self.navigate(wire, call_to(reqwest::Method::GET, &url), url)
            .await
    }

    /// Sends `call` to `url` with the jar's cookies; follows redirects and
    /// refreshes; files the final page.
    async fn navigate(
        &mut self,
        wire: &mut impl Wire,
        call: Call,
        url: url::Url,
    ) -> Result<&Page, PlayError> {
        self.navigate_or_stop(wire, call, url, true).await
    }

    /// [`Self::navigate`], or (`follow` false) one exchange whose answer,
    /// a redirect included, is the page.
    async fn navigate_or_stop(
        &mut self,
        wire: &mut impl Wire,
        mut call: Call,
        mut url: url::Url,
        follow: bool,
    ) -> Result<&Page, PlayError> {
        for _ in 0..=MAX_HOPS {
            let mut sent = call.clone();
            if let Some(c) = self.cookie_header(&url) {
                sent = sent.header("Cookie", &c);
            }
            let x = wire.send(sent).await.map_err(PlayError::Wire)?;
            self.keep_cookies(&url, &x);
            let header = |name: &str| {
                x.response_headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            };
            let location = match (x.status, header("location")) {
                _ if !follow => None,
                (301 | 302 | 303 | 307 | 308, Some(l)) => Some(l),
                _ => look::refresh_target(&x.response_body, header("refresh").as_deref()),
            };
            let Some(location) = location else {
                self.page = Some(Page {
                    url: x.url.clone(),
                    status: Some(x.status),
                    html: x.response_body.clone(),
                    headers: x.response_headers.clone(),
                });
                return Ok(self.page.as_ref().expect("just set"));
            };
            let next = url::Url::parse(&x.url)
                .and_then(|u| u.join(location.trim()))
                .map_err(|e| {
                    PlayError::Failed(format!("a Location that resolves ({location:?}: {e})"))
                })?;
            call = if matches!(x.status, 307 | 308) {
                let mut same = call_to(call.method.clone(), &next);
                same.body = call.body.clone();
                same
            } else {
                call_to(reqwest::Method::GET, &next)
            };
            url = next;
        }
        Err(PlayError::Failed(format!(
            "the browser's navigation to end within {MAX_HOPS} redirects and refreshes"
        )))
    }

    /// Posts `fields` to `url` as another site's page would make the browser
    /// post them (an identity provider's auto-posting form), with the jar's
    /// cookies; what the answer leads to is followed when `follow`.
    pub async fn post_form(
        &mut self,
        wire: &mut impl Wire,
        url: &str,
        fields: &[(&str, &str)],
        follow: bool,
    ) -> Result<&Page, PlayError> {
        let url = url::Url::parse(url)
            .map_err(|e| PlayError::Failed(format!("a URL that parses ({url}: {e})")))?;
        let call = call_to(reqwest::Method::POST, &url).form(fields);
        self.navigate_or_stop(wire, call, url, follow).await
    }

    /// Submits form `form` of the page with `values` typed into its inputs
    /// (by index), as a browser submits it.
    pub async fn submit(
        &mut self,
        wire: &mut impl Wire,
        form: usize,
        values: &[(usize, String)],
    ) -> Result<&Page, PlayError> {
        let page = self
            .page
            .as_ref()
            .ok_or_else(|| PlayError::Failed("a page to be open".into()))?;
        let f = page::forms(&page.html)
            .into_iter()
            .nth(form)
            .ok_or_else(|| PlayError::Failed("the form to be on the page".into()))?;
        let pairs = fields(&f, values);
        // The pressed button's formaction and formmethod come first.
        let (action, post) = f.target(f.submitter());
        let target = url::Url::parse(&page.url)
            .and_then(|u| u.join(&action))
            .map_err(|e| PlayError::Failed(format!("a form action that resolves ({e})")))?;
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (call, url) = if post {
            (call_to(reqwest::Method::POST, &target).form(&refs), target)
        } else {
            // A GET form replaces the action's query with its fields.
            let mut url = target;
            url.set_query(None);
            url.query_pairs_mut().extend_pairs(refs.iter());
            (call_to(reqwest::Method::GET, &url), url)
        };
        self.navigate(wire, call, url).await
    }
}

/// The fields a browser submits for `form` when a person presses its
/// button, with the typed `values` (by index into its inputs) in place of
/// theirs: [`Form::entries`], the HTML form-submission algorithm's entry
/// list (every control the form owns, `form=` ones outside it too, selects
/// and textareas; the pressed button's name and value).
pub fn fields(form: &Form, values: &[(usize, String)]) -> Vec<(String, String)> {
    form.entries(values, form.submitter())
}
