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
use crate::vendor::Vendor;

/// Where the control API lives, relative to the server root.
pub const CONTROL_PREFIX: &str = "/__authconform";

/// The control API: the clock, and each vendor's test hooks
/// (`VendorServer::control_hooks`) under `{CONTROL_PREFIX}/<vendor id>`.
pub fn router(clock: Clock, hooks: impl IntoIterator<Item = (Vendor, Router)>) -> Router {
    let mut router = Router::new()
        .route(&format!("{CONTROL_PREFIX}/clock"), get(now))
        .route(&format!("{CONTROL_PREFIX}/clock/advance"), post(advance))
        .route(&format!("{CONTROL_PREFIX}/clock/reset"), post(reset))
        .with_state(clock);
    for (vendor, vendor_hooks) in hooks {
        router = router.nest(&format!("{CONTROL_PREFIX}/{}", vendor.id()), vendor_hooks);
    }
    router
}

async fn now(State(clock): State<Clock>) -> Json<serde_json::Value> {
    Json(json!({ "now": clock.now() }))
}

/// Back to the system time (`authconform clock --reset`). Only the clock:
/// what the stores remember (TOTP steps used, expiries) stays as it was;
/// a restart is the clean slate.
async fn reset(State(clock): State<Clock>) -> Json<serde_json::Value> {
    Json(json!({ "now": clock.reset() }))
}

/// A control call the hook cannot read: 400 with what to send.
pub(crate) fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
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
        return bad_request("send {\"seconds\": N} with N >= 0");
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
