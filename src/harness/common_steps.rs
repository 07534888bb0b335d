//! Steps every vendor's features share: they say nothing vendor-specific.

use cucumber::when;

use crate::harness::world::{ConformanceWorld, Failure, StepResult};

/// Moves the server's clock (control API); the scenario must be `@needs-clock`.
#[when(regex = r"^(\d+) minutes pass(?: \(.*\))?$")]
async fn minutes_pass(w: &mut ConformanceWorld, minutes: i64) -> StepResult {
    w.ctx()
        .clock
        .advance(minutes * 60)
        .await
        .map(|_| ())
        .map_err(Failure::from)
}
