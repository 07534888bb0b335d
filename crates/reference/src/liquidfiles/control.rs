//! LiquidFiles' test hook (test mode only, `crate::control`): Admin →
//! Activity Log, which a deployment shows its administrator and no documented
//! call reads.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::store::LiquidFiles;

/// `GET /activity-log`, under `{CONTROL_PREFIX}/liquidfiles`.
pub fn hooks(lf: LiquidFiles) -> Router {
    Router::new()
        .route("/activity-log", get(activity_log))
        .with_state(lf)
}

/// Oldest first: `{"entries": [{"time", "user", "event", "agent_name", "agent_version"}]}`.
async fn activity_log(State(lf): State<LiquidFiles>) -> Json<serde_json::Value> {
    Json(json!({ "entries": lf.activity_log() }))
}
