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

/// Where the control API lives, relative to the server root.
pub const CONTROL_PREFIX: &str = "/__authconform";

pub fn router(clock: Clock) -> Router {
    Router::new()
        .route(&format!("{CONTROL_PREFIX}/clock"), get(now))
        .route(&format!("{CONTROL_PREFIX}/clock/advance"), post(advance))
        .with_state(clock)
}

async fn now(State(clock): State<Clock>) -> Json<serde_json::Value> {
    Json(json!({ "now": clock.now() }))
}

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

async fn advance(
    State(clock): State<Clock>,
    body: Result<Json<Advance>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(Advance { seconds })) = body else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "send {\"seconds\": N} with N >= 0"})),
        )
            .into_response();
    };
    match clock.advance(seconds) {
        Ok(now) => Json(json!({ "now": now })).into_response(),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}
