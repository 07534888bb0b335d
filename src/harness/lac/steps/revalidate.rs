//! Revalidation and the clock (`features/lac/revalidate.feature`).

use cucumber::{then, when};

use super::{apikey, issued_expiration, last_token, refused, send_for_token, succeeded, token};
use crate::harness::exchange::Exchange;
use crate::harness::lac::api;
use crate::harness::world::{ConformanceWorld, Failure, Persona, StepResult};

async fn revalidate(w: &mut ConformanceWorld, name: &str) -> Result<Exchange, Failure> {
    send_for_token(w, name, api::revalidate).await
}

#[when(regex = r"^(alice|bob) revalidates (?:her|his) auth token$")]
async fn revalidates(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    revalidate(w, who.name()).await?;
    Ok(())
}

#[then("the revalidation returns the same auth token with the expiration it was issued with")]
async fn revalidation_same(w: &mut ConformanceWorld) -> StepResult {
    let name = last_token(w)?;
    let (key, _) = token(w, &name)?;
    let issued = issued_expiration(w, &name)?;
    let x = w.last_exchange()?;
    succeeded(w, x, "the revalidation of a valid auth token")?;
    w.documented_uncited(
        apikey(x) == Some(key.as_str()),
        "the same apikey as the one revalidated",
    )?;
    let returned = x.str_field("expiration").map(api::parse_expiration);
    let expected = match issued {
        Some(_) => "the expiration the token was issued with (revalidation never extends it)",
        None => "no expiration, as at issue",
    };
    w.documented_uncited(
        returned.flatten() == issued && returned.is_some() == issued.is_some(),
        expected,
    )
}

#[then("the revalidation is refused as expired")]
async fn revalidation_expired(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    refused(w, x, 401, "the expired error")?;
    // The document names an "expired error" but not how it says so.
    w.reference(
        x.response_body.to_ascii_lowercase().contains("expir"),
        "an error that says the auth token has expired",
    )
}

#[then(regex = r"^revalidating (alice|bob)'s auth token is refused$")]
async fn revalidating_refused(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let x = revalidate(w, who.name()).await?;
    refused(
        w,
        &x,
        401,
        &format!("revalidating {who}'s auth token to be refused"),
    )
}

// ---------------------------------------------------------------- the clock

/// Moves the server's clock to `target_second`, unless it is already past it.
async fn advance_to(w: &ConformanceWorld, target_second: i64) -> StepResult {
    let clock = w.ctx().clock.clone();
    let now = clock.now().await?;
    if target_second > now {
        clock.advance(target_second - now).await?;
    }
    Ok(())
}

fn expiration_of(w: &ConformanceWorld, who: Persona) -> Result<i64, Failure> {
    issued_expiration(w, who.name())?.ok_or_else(|| {
        Failure(format!(
            "{who}'s auth token was issued without an expiration"
        ))
    })
}

#[when(regex = r"^the expiration of (alice|bob)'s auth token passes$")]
async fn expiration_passes(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let millis = expiration_of(w, who)?;
    // One second past the expiration's last millisecond.
    advance_to(w, millis.div_euclid(1000) + 1).await
}

#[when(regex = r"^the clock is one minute short of the expiration of (alice|bob)'s auth token$")]
async fn one_minute_short(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let millis = expiration_of(w, who)?;
    advance_to(w, millis.div_euclid(1000) - 60).await
}
