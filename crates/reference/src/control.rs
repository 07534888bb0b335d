//! Test-only control endpoints, mounted only in test mode (`serve --test-mode`,
//! and always on the server `authconform run` starts in-process).
//!
//! They let the harness read and advance the server's clock, so expiry and TOTP
//! window scenarios never sleep. An external server may offer the same API; a
//! target file declares it with `control_url`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::clock::Clock;
use crate::fileverbs::FileVerbs;
use crate::liquidfiles::LiquidFiles;

/// Where the control API lives, relative to the server root.
pub const CONTROL_PREFIX: &str = "/__authconform";

/// What the control API can reach: the clock and the vendors' test hooks.
#[derive(Clone)]
pub struct Controlled {
    pub clock: Clock,
    pub fileverbs: FileVerbs,
    pub liquidfiles: LiquidFiles,
}

pub fn router(controlled: Controlled) -> Router {
    Router::new()
        .route(&format!("{CONTROL_PREFIX}/clock"), get(now))
        .route(&format!("{CONTROL_PREFIX}/clock/advance"), post(advance))
        .route(
            &format!("{CONTROL_PREFIX}/fileverbs/reset-secret-key"),
            post(reset_secret_key),
        )
        .route(
            &format!("{CONTROL_PREFIX}/liquidfiles/activity-log"),
            get(activity_log),
        )
        .with_state(controlled)
}

async fn now(State(c): State<Controlled>) -> Json<serde_json::Value> {
    Json(json!({ "now": c.clock.now() }))
}

/// LiquidFiles: Admin → Activity Log, oldest first:
/// `{"entries": [{"time", "user", "event", "agent_name", "agent_version"}]}`.
async fn activity_log(State(c): State<Controlled>) -> Json<serde_json::Value> {
    Json(json!({ "entries": c.liquidfiles.activity_log() }))
}

#[derive(Deserialize)]
struct ResetSecretKey {
    #[serde(rename = "SecretKey")]
    secret_key: String,
    /// The key to reset to; a random one when absent. The harness sets the
    /// target file's key back at the end of a run, so the next run starts
    /// where this one did.
    #[serde(rename = "NewSecretKey")]
    new_secret_key: Option<String>,
}

/// FileVerbs: "reset in the portal". `{"SecretKey": old[, "NewSecretKey": new]}` → `{"SecretKey": new}`.
async fn reset_secret_key(
    State(c): State<Controlled>,
    body: Result<Json<ResetSecretKey>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(ResetSecretKey {
        secret_key,
        new_secret_key,
    })) = body
    else {
        return bad_request("send {\"SecretKey\": \"<the key to reset>\"}");
    };
    match c
        .fileverbs
        .reset_secret_key_to(&secret_key, new_secret_key.as_deref())
    {
        Some(new) => Json(json!({ "SecretKey": new })).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no account has this SecretKey"})),
        )
            .into_response(),
    }
}

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

async fn advance(
    State(c): State<Controlled>,
    body: Result<Json<Advance>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(Advance { seconds })) = body else {
        return bad_request("send {\"seconds\": N} with N >= 0");
    };
    match c.clock.advance(seconds) {
        Ok(now) => Json(json!({ "now": now })).into_response(),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}
