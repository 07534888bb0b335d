//! Disabling an auth token (`features/lac/disable.feature`).

use cucumber::{given, then, when};
use serde_json::Value;

use super::{is_success, last_token, refused, rules, send, send_for_token, succeeded, token};
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

/// Whether the answer is the documented one: `{"apikey": <it>, "disabled": true}`.
fn documented_answer(x: &Exchange, key: &str) -> bool {
    x.str_field("apikey") == Some(key) && x.field("disabled") == Some(&Value::Bool(true))
}

/// The documented answer for a valid, active token.
#[then("the auth token is reported disabled")]
async fn reported_disabled(w: &mut ConformanceWorld) -> StepResult {
    let name = last_token(w)?;
    let (key, _) = token(w, &name)?;
    let x = w.last_exchange()?;
    succeeded(w, &rules::DISABLE_DISABLES, x, 200, "disabling")?;
    w.documented(
        &rules::DISABLE_ANSWER,
        documented_answer(x, &key),
        "{\"apikey\": <the token disabled>, \"disabled\": true}",
    )
}

/// Disabling a token already disabled or expired "is considered a success"
/// (a 2xx); the seed shows its body for a valid, active token only (X16), so
/// the same body here is a reference check.
#[then("the disabling succeeds")]
async fn disabling_succeeds(w: &mut ConformanceWorld) -> StepResult {
    let name = last_token(w)?;
    let (key, _) = token(w, &name)?;
    let x = w.last_exchange()?;
    succeeded(w, &rules::DISABLE_IS_IDEMPOTENT, x, 200, "disabling again")?;
    w.reference(
        documented_answer(x, &key),
        "{\"apikey\": <the token disabled>, \"disabled\": true}, as for an active token",
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
    w.documented(
        &rules::DISABLE_UNKNOWN_IS_AN_ERROR,
        !(is_success(x) || x.field("disabled") == Some(&Value::Bool(true))),
        "an error, and no \"disabled\": true, for a token that does not exist",
    )?;
    refused(
        w,
        &rules::DISABLE_UNKNOWN_IS_AN_ERROR,
        x,
        404,
        "the auth token is not found",
    )
}
