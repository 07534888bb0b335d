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
    /// The answer could not be read (too long, cut).
    #[error("{what} at {url} answered {status}, but {problem}")]
    Unreadable {
        what: &'static str,
        url: String,
        status: reqwest::StatusCode,
        problem: String,
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

/// The most of a control API answer read (they are a few bytes of JSON).
pub const MAX_CONTROL_BODY: usize = 1024 * 1024;

impl ControlApi {
    /// The control API at `root` (`authconform clock`), with `token` if given.
    pub fn at(root: &str, token: Option<&str>) -> Self {
        ControlApi::Controlled {
            root: root.trim_end_matches('/').to_owned(),
            client: client(Duration::from_secs(10), false, token),
        }
    }

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

    pub async fn now(&self) -> Result<UnixSeconds, ControlError> {
        match self {
            ControlApi::System => Ok(system_now()),
            ControlApi::Controlled { root, client } => {
                let url = format!("{root}{CONTROL_PREFIX}/clock");
                read_now(answer(client.get(&url), &url, CLOCK).await?, &url)
            }
        }
    }

    /// Moves the server's clock forward; only possible with the control API.
    pub async fn advance(&self, seconds: i64) -> Result<UnixSeconds, ControlError> {
        match self {
            ControlApi::System => Err(ControlError::NotOffered {
                what: CLOCK,
                purpose: String::new(),
            }),
            ControlApi::Controlled { root, client } => {
                let url = format!("{root}{CONTROL_PREFIX}/clock/advance");
                let sent = client
                    .post(&url)
                    .json(&serde_json::json!({ "seconds": seconds }));
                read_now(answer(sent, &url, CLOCK).await?, &url)
            }
        }
    }

    /// Sets the server's clock back to its system time (`…/clock/reset`):
    /// what a run that moved it leaves for a run that computes TOTP codes
    /// from this machine's clock.
    pub async fn reset(&self) -> Result<UnixSeconds, ControlError> {
        match self {
            ControlApi::System => Err(ControlError::NotOffered {
                what: CLOCK,
                purpose: String::new(),
            }),
            ControlApi::Controlled { root, client } => {
                let url = format!("{root}{CONTROL_PREFIX}/clock/reset");
                read_now(answer(client.post(&url), &url, CLOCK).await?, &url)
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
        let (status, body) = answer(request, &url, "control API").await?;
        let body: Value = serde_json::from_slice(&body).unwrap_or_default();
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

/// What the clock's calls are called in their errors.
const CLOCK: &str = "clock control";

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

/// Sends `request` and reads its answer (at most [`MAX_CONTROL_BODY`]).
async fn answer(
    request: reqwest::RequestBuilder,
    url: &str,
    what: &'static str,
) -> Result<(reqwest::StatusCode, Vec<u8>), ControlError> {
    let response = request.send().await.map_err(|e| ControlError::Transport {
        what,
        url: url.to_owned(),
        message: crate::harness::exchange::describe_reqwest_error(&e),
    })?;
    let status = response.status();
    let body =
        read_capped(response, MAX_CONTROL_BODY)
            .await
            .map_err(|e| ControlError::Unreadable {
                what,
                url: url.to_owned(),
                status,
                problem: e.describe(MAX_CONTROL_BODY),
            })?;
    Ok((status, body))
}

fn read_now(
    (status, body): (reqwest::StatusCode, Vec<u8>),
    url: &str,
) -> Result<UnixSeconds, ControlError> {
    let text = String::from_utf8_lossy(&body);
    now_of(&text).map_err(|why| ControlError::Incomplete {
        what: CLOCK,
        url: url.to_owned(),
        status,
        body: format!(" {}", shown(&text)),
        missing: format!("its time: {why}; expected a JSON object {{\"now\": <Unix seconds>}}"),
    })
}

/// The server's time in an answer of the clock: `now` as a number of Unix
/// seconds (a fraction is cut to the second: JSON has one number type, and
/// a server may write `1767225600.25` or `1.7672256e9`).
fn now_of(text: &str) -> Result<UnixSeconds, String> {
    let body: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let now = body.get("now").ok_or_else(|| "no field `now`".to_owned())?;
    let seconds = now.as_i64().or_else(|| {
        now.as_f64()
            .filter(|f| f.is_finite())
            .map(|f| f.floor() as i64)
    });
    seconds.ok_or_else(|| format!("`now` is {now}, not a number of seconds"))
}

/// At most 200 characters of an answer, its control characters escaped, for a message.
fn shown(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return "with an empty body".to_owned();
    }
    let cut: String = text.chars().take(200).collect();
    let cut = crate::harness::console::neutral(&cut);
    if cut.len() < text.len() {
        format!("`{cut}…`")
    } else {
        format!("`{cut}`")
    }
}

#[cfg(test)]
mod now_tests {
    use super::*;

    #[test]
    fn now_as_any_json_number_and_what_is_wrong_otherwise() {
        assert_eq!(now_of(r#"{"now": 1767225600}"#), Ok(1_767_225_600));
        assert_eq!(now_of(r#"{"now": 1767225600.75}"#), Ok(1_767_225_600));
        assert_eq!(now_of(r#"{"now": 1.7672256e9}"#), Ok(1_767_225_600));
        assert_eq!(now_of("{}"), Err("no field `now`".to_owned()));
        assert!(
            now_of(r#"{"now": "2026-01-01T00:00:00Z"}"#)
                .unwrap_err()
                .contains("not a number of seconds")
        );
        assert!(now_of("<html>").unwrap_err().starts_with("not JSON"));
        assert_eq!(shown(""), "with an empty body");
        assert!(shown(&"x".repeat(500)).ends_with("…`"));
    }
}
