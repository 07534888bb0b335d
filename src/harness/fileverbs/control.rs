//! FileVerbs' test hook of the control API: the SecretKey reset the portal
//! offers a user, which the suite cannot make over the documented API.

use serde_json::json;

use crate::harness::control_api::{ControlApi, ControlError};

/// Resets the account's SecretKey as the portal would; the new key.
pub async fn reset_secret_key(control: &ControlApi, old: &str) -> Result<String, ControlError> {
    reset_secret_key_to(control, old, None).await
}

/// Resets the account's SecretKey to `to` (a random key when `None`).
pub async fn reset_secret_key_to(
    control: &ControlApi,
    old: &str,
    to: Option<&str>,
) -> Result<String, ControlError> {
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
    answer.str_field("SecretKey", "a SecretKey")
}
