//! The harness's client of the control API (`/__authconform/…`), which the
//! reference server offers in test mode: the server's clock (read and
//! advanced; the local clock where there is no control API) and the vendors'
//! test hooks, which each vendor's folder calls through [`ControlApi::hook`].

use serde_json::Value;

use crate::clock::{UnixSeconds, system_now};
use crate::harness::target::Target;
use crate::reference::control::CONTROL_PREFIX;

/// Why a call of the control API gave no answer the harness can use.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// The target has no `control_url`, and `purpose` needs one.
    #[error("the target has no {what} (`control_url`){purpose}")]
    NotOffered { what: &'static str, purpose: String },
    /// The request failed (connection, timeout).
    #[error("{what} at {url} failed: {message}")]
    Transport {
        what: &'static str,
        url: String,
        message: String,
    },
    /// It answered, without what the call reads.
    #[error("{what} at {url} answered {status}{body} without {missing}")]
    Incomplete {
        what: &'static str,
        url: String,
        status: reqwest::StatusCode,
        /// ` <the body>` as it came, or ``.
        body: String,
        /// `JSON: <why>`, `` `now` ``, `a SecretKey`…
        missing: String,
    },
}

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

    pub async fn now(&self) -> Result<UnixSeconds, ControlError> {
        match self {
            ControlApi::System => Ok(system_now()),
            ControlApi::Controlled { root, client } => {
                let url = format!("{root}{CONTROL_PREFIX}/clock");
                read_now(client.get(&url).send().await, &url).await
            }
        }
    }

    /// Moves the server's clock forward; only possible with the control API.
    pub async fn advance(&self, seconds: i64) -> Result<UnixSeconds, ControlError> {
        match self {
            ControlApi::System => Err(ControlError::NotOffered {
                what: "clock control",
                purpose: String::new(),
            }),
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

    /// Sets the server's clock back to its system time (`…/clock/reset`):
    /// what a run that moved it leaves for a run that computes TOTP codes
    /// from this machine's clock.
    pub async fn reset(&self) -> Result<UnixSeconds, ControlError> {
        match self {
            ControlApi::System => Err(ControlError::NotOffered {
                what: "clock control",
                purpose: String::new(),
            }),
            ControlApi::Controlled { root, client } => {
                let url = format!("{root}{CONTROL_PREFIX}/clock/reset");
                read_now(client.post(&url).send().await, &url).await
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
    ) -> Result<HookAnswer, ControlError> {
        let ControlApi::Controlled { root, client } = self else {
            return Err(ControlError::NotOffered {
                what: "control API",
                purpose: format!(" to {purpose}"),
            });
        };
        let url = format!("{root}{CONTROL_PREFIX}{path}");
        let mut request = client.request(method, &url);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| ControlError::Transport {
            what: "control API",
            url: url.clone(),
            message: e.to_string(),
        })?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or_default();
        Ok(HookAnswer { url, status, body })
    }

    pub fn is_controlled(&self) -> bool {
        matches!(self, ControlApi::Controlled { .. })
    }
}

/// What a test hook answered.
#[derive(Debug)]
pub struct HookAnswer {
    pub url: String,
    pub status: reqwest::StatusCode,
    /// The JSON body (`null` when it was none).
    pub body: Value,
}

impl HookAnswer {
    /// The answer's string field `name`, or what the hook answered without it.
    pub fn str_field(&self, name: &str, missing: &str) -> Result<String, ControlError> {
        self.body
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ControlError::Incomplete {
                what: "control API",
                url: self.url.clone(),
                status: self.status,
                body: String::new(),
                missing: missing.to_owned(),
            })
    }
}

async fn read_now(
    sent: Result<reqwest::Response, reqwest::Error>,
    url: &str,
) -> Result<UnixSeconds, ControlError> {
    const WHAT: &str = "clock control";
    let response = sent.map_err(|e| ControlError::Transport {
        what: WHAT,
        url: url.to_owned(),
        message: e.to_string(),
    })?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| ControlError::Incomplete {
            what: WHAT,
            url: url.to_owned(),
            status,
            body: String::new(),
            missing: format!("JSON: {e}"),
        })?;
    body.get("now")
        .and_then(Value::as_i64)
        .ok_or_else(|| ControlError::Incomplete {
            what: WHAT,
            url: url.to_owned(),
            status,
            body: format!(" {body}"),
            missing: "`now`".to_owned(),
        })
}
