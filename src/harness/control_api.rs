//! The harness's client of the control API (`/__authconform/…`), which the
//! reference server offers in test mode: the server's clock (read and
//! advanced; the local clock where there is no control API) and vendors'
//! test hooks such as a FileVerbs SecretKey reset.

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

    /// FileVerbs: resets the account's SecretKey as the portal would; the new key.
    pub async fn reset_fileverbs_secret_key(&self, old: &str) -> Result<String, String> {
        self.reset_fileverbs_secret_key_to(old, None).await
    }

    /// FileVerbs: resets the account's SecretKey to `to` (a random key when `None`).
    pub async fn reset_fileverbs_secret_key_to(
        &self,
        old: &str,
        to: Option<&str>,
    ) -> Result<String, String> {
        let ControlApi::Controlled { root, client } = self else {
            return Err(
                "the target has no control API (`control_url`) to reset a SecretKey".into(),
            );
        };
        let url = format!("{root}{CONTROL_PREFIX}/fileverbs/reset-secret-key");
        let response = client
            .post(&url)
            .json(&match to {
                Some(to) => serde_json::json!({ "SecretKey": old, "NewSecretKey": to }),
                None => serde_json::json!({ "SecretKey": old }),
            })
            .send()
            .await
            .map_err(|e| format!("control API at {url} failed: {e}"))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or_default();
        body.get("SecretKey")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("control API at {url} answered {status} without a SecretKey"))
    }

    /// LiquidFiles: Admin → Activity Log, oldest first.
    pub async fn liquidfiles_activity_log(&self) -> Result<Vec<Value>, String> {
        let ControlApi::Controlled { root, client } = self else {
            return Err(
                "the target has no control API (`control_url`) to read the activity log".into(),
            );
        };
        let url = format!("{root}{CONTROL_PREFIX}/liquidfiles/activity-log");
        let response = client
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("control API at {url} failed: {e}"))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or_default();
        body.get("entries")
            .and_then(Value::as_array)
            .cloned()
            .ok_or_else(|| format!("control API at {url} answered {status} without `entries`"))
    }

    pub fn is_controlled(&self) -> bool {
        matches!(self, ControlApi::Controlled { .. })
    }
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
