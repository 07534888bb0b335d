//! FileVerbs' test hook (test mode only, `crate::control`): the SecretKey
//! reset its portal offers a user, which no documented call makes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::store::{FileVerbs, KeyReset};
use crate::control::bad_request;

/// `POST /reset-secret-key`, under `{CONTROL_PREFIX}/fileverbs`.
pub fn hooks(fv: FileVerbs) -> Router {
    Router::new()
        .route("/reset-secret-key", post(reset_secret_key))
        .with_state(fv)
}

#[derive(Deserialize)]
struct ResetSecretKey {
    #[serde(rename = "SecretKey")]
    secret_key: String,
    /// The key to reset to; a random one when absent. A chosen key is
    /// refused when it is another account's or weak (`reset_secret_key_to`).
    /// The harness sets the
    /// target file's key back at the end of a run, so the next run starts
    /// where this one did.
    #[serde(rename = "NewSecretKey")]
    new_secret_key: Option<String>,
}

/// "Reset in the portal". `{"SecretKey": old[, "NewSecretKey": new]}` → `{"SecretKey": new}`.
async fn reset_secret_key(
    State(fv): State<FileVerbs>,
    body: Result<Json<ResetSecretKey>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(ResetSecretKey {
        secret_key,
        new_secret_key,
    })) = body
    else {
        return bad_request("send {\"SecretKey\": \"<the key to reset>\"}");
    };
    match fv.reset_secret_key_to(&secret_key, new_secret_key.as_deref()) {
        Ok(new) => Json(json!({ "SecretKey": new })).into_response(),
        Err(KeyReset::UnknownKey) => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no account has this SecretKey"})),
        )
            .into_response(),
        Err(KeyReset::Refused(why)) => bad_request(&why),
    }
}
