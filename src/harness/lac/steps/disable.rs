//! Disabling an auth token (`features/lac/disable.feature`).

use cucumber::{given, then, when};
use serde_json::Value;

use super::{last_token, refused, send, send_for_token, succeeded, token};
use crate::harness::exchange::Exchange;
use crate::harness::lac::api;
use crate::harness::world::{ConformanceWorld, Failure, Persona, StepResult};

async fn disable(w: &mut ConformanceWorld, name: &str) -> Result<Exchange, Failure> {
    send_for_token(w, name, api::disable).await
}

#[when(regex = r"^(alice|bob) disables (?:her|his) auth token$")]
async fn disables(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    disable(w, who.name()).await?;
    Ok(())
}

#[when(regex = r"^(?:alice|bob) disables auth token (\w+)$")]
async fn disables_named(w: &mut ConformanceWorld, name: String) -> StepResult {
    disable(w, &name).await?;
    Ok(())
}

#[given(regex = r"^(alice|bob) has disabled (?:her|his) auth token$")]
async fn has_disabled(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    disable(w, who.name()).await?;
    reported_disabled(w).await
}

#[then("the auth token is reported disabled")]
async fn reported_disabled(w: &mut ConformanceWorld) -> StepResult {
    let name = last_token(w)?;
    let (key, _) = token(w, &name)?;
    let x = w.last_exchange()?;
    succeeded(w, x, "disabling")?;
    w.documented_uncited(
        x.str_field("apikey") == Some(key.as_str())
            && x.field("disabled") == Some(&Value::Bool(true)),
        "{\"apikey\": <the token disabled>, \"disabled\": true}",
    )
}

#[when("someone disables an auth token that was never issued")]
async fn disables_unknown(w: &mut ConformanceWorld) -> StepResult {
    let never = crate::secret::Token::generate();
    w.ctx().secrets.register(never.as_str());
    send(w, api::disable(never.as_str()), None).await?;
    Ok(())
}

#[then("the disabling is refused")]
async fn disabling_refused(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    w.documented_uncited(
        x.field("disabled") != Some(&Value::Bool(true)),
        "no \"disabled\": true for a token that does not exist",
    )?;
    refused(w, x, 404, "the auth token is not found")
}
