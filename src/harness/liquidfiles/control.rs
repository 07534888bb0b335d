//! LiquidFiles' test hook of the control API: Admin → Activity Log, which a
//! deployment shows its administrator and no documented call reads.

use serde_json::Value;

use crate::harness::control_api::{ControlApi, ControlError};

/// The activity log, oldest first.
pub async fn activity_log(control: &ControlApi) -> Result<Vec<Value>, ControlError> {
    let answer = control
        .hook(
            reqwest::Method::GET,
            "/liquidfiles/activity-log",
            None,
            "read the activity log",
        )
        .await?;
    answer
        .body
        .get("entries")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| ControlError::Incomplete {
            what: "control API",
            url: answer.url.clone(),
            status: answer.status,
            body: String::new(),
            missing: "`entries`".to_owned(),
        })
}
