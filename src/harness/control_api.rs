//! The harness's client of the control API (`/__authconform/…`), which the
//! reference server offers in test mode: the server's clock (read and
//! advanced; the local clock where there is no control API) and the vendors'
//! test hooks, which each vendor's folder calls through [`ControlApi::hook`].

use serde_json::Value;

use crate::clock::{UnixSeconds, system_now};
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

impl ControlApi {
    pub fn for_target(target: &Target) -> Self {
        match &target.control_url {
            Some(root) => ControlApi::Controlled {
                root: root.clone(),
                client: reqwest::Client::new(),
            },
            None => ControlApi::System,
        }
    }

    pub async fn now(&self) -> Result<UnixSeconds, String> {
        match self {
            ControlApi::System => Ok(system_now()),
            ControlApi::Controlled { root, client } => {
                let url = format!("{root}{CONTROL_PREFIX}/clock");
                read_now(client.get(&url).send().await, &url).await
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
                    .json(&serde_json::json!({ "seconds": seconds }))
                    .send()
                    .await;
                read_now(sent, &url).await
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
        let response = request
            .send()
            .await
            .map_err(|e| format!("control API at {url} failed: {e}"))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or_default();
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

async fn read_now(
    sent: Result<reqwest::Response, reqwest::Error>,
    url: &str,
) -> Result<UnixSeconds, String> {
    let response = sent.map_err(|e| format!("clock control at {url} failed: {e}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("clock control at {url} answered {status} without JSON: {e}"))?;
    body.get("now")
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("clock control at {url} answered {status} {body} without `now`"))
}
