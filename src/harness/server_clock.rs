//! The server's clock as the harness sees it: read and advanced through the
//! control API where the target offers one, the local clock otherwise.

use serde_json::Value;

use crate::clock::{UnixSeconds, system_now};
use crate::harness::target::Target;
use crate::reference::control::CONTROL_PREFIX;

#[derive(Clone, Debug)]
pub enum ServerClock {
    /// The control API at this root URL.
    Controlled {
        root: String,
        client: reqwest::Client,
    },
    /// No control: the local system clock, assumed close to the server's.
    System,
}

impl ServerClock {
    pub fn for_target(target: &Target) -> Self {
        match &target.control_url {
            Some(root) => ServerClock::Controlled {
                root: root.clone(),
                client: reqwest::Client::new(),
            },
            None => ServerClock::System,
        }
    }

    pub async fn now(&self) -> Result<UnixSeconds, String> {
        match self {
            ServerClock::System => Ok(system_now()),
            ServerClock::Controlled { root, client } => {
                let url = format!("{root}{CONTROL_PREFIX}/clock");
                read_now(client.get(&url).send().await, &url).await
            }
        }
    }

    /// Moves the server's clock forward; only possible with the control API.
    pub async fn advance(&self, seconds: i64) -> Result<UnixSeconds, String> {
        match self {
            ServerClock::System => Err("the target has no clock control (`control_url`)".into()),
            ServerClock::Controlled { root, client } => {
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

    pub fn is_controlled(&self) -> bool {
        matches!(self, ServerClock::Controlled { .. })
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
