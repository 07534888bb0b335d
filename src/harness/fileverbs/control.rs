//! FileVerbs' test hook of the control API: the SecretKey reset the portal
//! offers a user, which the suite cannot make over the documented API.

use serde_json::{Value, json};

use crate::harness::control_api::ControlApi;

/// Resets the account's SecretKey as the portal would; the new key.
pub async fn reset_secret_key(control: &ControlApi, old: &str) -> Result<String, String> {
    reset_secret_key_to(control, old, None).await
}

/// Resets the account's SecretKey to `to` (a random key when `None`).
pub async fn reset_secret_key_to(
    control: &ControlApi,
    old: &str,
    to: Option<&str>,
) -> Result<String, String> {
    let body = match to {
        Some(to) => json!({ "SecretKey": old, "NewSecretKey": to }),
        None => json!({ "SecretKey": old }),
    };
    let answer = control
        .hook(
            reqwest::Method::POST,
            "/fileverbs/reset-secret-key",
            Some(body),
            "reset a SecretKey",
        )
        .await?;
    answer
        .body
        .get("SecretKey")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "control API at {} answered {} without a SecretKey",
                answer.url, answer.status
            )
        })
}
