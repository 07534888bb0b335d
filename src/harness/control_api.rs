//! The harness's client of the control API (`/__authconform/…`), which the
//! reference server offers in test mode: the server's clock (read and
//! advanced; the local clock where there is no control API) and the vendors'
//! test hooks, which each vendor's folder calls through [`ControlApi::hook`].
//!
//! A `control_url` is a server the harness does not vouch for either: its
//! client has the target's timeout and TLS setting, follows no redirect,
//! reads at most [`MAX_CONTROL_BODY`] of an answer, and sends the target
//! file's `control_token` as `Authorization: Bearer` when there is one.

use std::time::Duration;

use serde_json::Value;

use crate::clock::{UnixSeconds, system_now};
use crate::harness::exchange::read_capped;
use crate::harness::target::Target;
use crate::reference::control::CONTROL_PREFIX;

#[derive(Clone, Debug)]
pub enum ControlApi {
    /// The control API at this root URL.
    Controlled {
        root: String,
        client: reqwest::Client,
    },
    /// No control: the local system clock, assumed close to the server's.
    System,
}

/// The most of a control API answer read (they are a few bytes of JSON).
pub const MAX_CONTROL_BODY: usize = 1024 * 1024;

impl ControlApi {
    pub fn for_target(target: &Target) -> Self {
        match &target.control_url {
            Some(root) => ControlApi::Controlled {
                root: root.clone(),
                client: client(
                    target.timeout,
                    target.insecure_tls,
                    target.control_token.as_deref(),
                ),
            },
            None => ControlApi::System,
        }
    }

    pub async fn now(&self) -> Result<UnixSeconds, String> {
        match self {
            ControlApi::System => Ok(system_now()),
            ControlApi::Controlled { root, client } => {
                let url = format!("{root}{CONTROL_PREFIX}/clock");
                read_now(answer(client.get(&url), &url).await?, &url)
            }
        }
    }

    /// Moves the server's clock forward; only possible with the control API.
    pub async fn advance(&self, seconds: i64) -> Result<UnixSeconds, String> {
        match self {
            ControlApi::System => Err("the target has no clock control (`control_url`)".into()),
            ControlApi::Controlled { root, client } => {
                let url = format!("{root}{CONTROL_PREFIX}/clock/advance");
                let sent = client
                    .post(&url)
                    .json(&serde_json::json!({ "seconds": seconds }));
                read_now(answer(sent, &url).await?, &url)
            }
        }
    }

    /// Calls a vendor's test hook (`{CONTROL_PREFIX}/<vendor>/<name>`): its
    /// JSON answer, with the status and the URL for the caller's messages.
    /// Without a control API: the error says that the target has none `for` what.
    pub async fn hook(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        purpose: &str,
    ) -> Result<HookAnswer, String> {
        let ControlApi::Controlled { root, client } = self else {
            return Err(format!(
                "the target has no control API (`control_url`) to {purpose}"
            ));
        };
        let url = format!("{root}{CONTROL_PREFIX}{path}");
        let mut request = client.request(method, &url);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let (status, body) = answer(request, &url).await?;
        let body: Value = serde_json::from_slice(&body).unwrap_or_default();
        Ok(HookAnswer { url, status, body })
    }

    pub fn is_controlled(&self) -> bool {
        matches!(self, ControlApi::Controlled { .. })
    }
}

/// What a test hook answered.
pub struct HookAnswer {
    pub url: String,
    pub status: reqwest::StatusCode,
    /// The JSON body (`null` when it was none).
    pub body: Value,
}

/// The control API's client: the target's timeout and TLS setting, no
/// redirects (a control API that redirects is misconfigured, and following
/// it would send the token elsewhere), the token on every call.
fn client(timeout: Duration, insecure_tls: bool, token: Option<&str>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(value) = token.and_then(|t| {
        let mut v = reqwest::header::HeaderValue::from_str(&format!("Bearer {t}")).ok()?;
        v.set_sensitive(true);
        Some(v)
    }) {
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .danger_accept_invalid_certs(insecure_tls)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap_or_default()
}

/// Sends `request` and reads its answer (at most [`MAX_CONTROL_BODY`]); what
/// went wrong in one line.
async fn answer(
    request: reqwest::RequestBuilder,
    url: &str,
) -> Result<(reqwest::StatusCode, Vec<u8>), String> {
    let response = request.send().await.map_err(|e| {
        format!(
            "control API at {url} failed: {}",
            crate::harness::exchange::describe_reqwest_error(&e)
        )
    })?;
    let status = response.status();
    let body = read_capped(response, MAX_CONTROL_BODY).await.map_err(|e| {
        format!(
            "control API at {url} answered {status}, but {}",
            e.describe(MAX_CONTROL_BODY)
        )
    })?;
    Ok((status, body))
}

fn read_now(
    (status, body): (reqwest::StatusCode, Vec<u8>),
    url: &str,
) -> Result<UnixSeconds, String> {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| format!("clock control at {url} answered {status} without JSON: {e}"))?;
    body.get("now")
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("clock control at {url} answered {status} {body} without `now`"))
}
