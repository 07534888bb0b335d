//! Revalidation and the clock (`features/lac/revalidate.feature`).
//!
//! The seed gives no lifetime: the clock moves by fractions of what remains
//! of a token's lifetime, read from the expiration its sign-on answered and
//! the server's clock then, never by a number of ours. A server whose tokens
//! live 40 minutes is judged as one whose tokens live a day.

use cucumber::{then, when};
use serde_json::Value;

use super::{
    apikey, issued_expiration, last_token, lifetime, refused, rules, send_for_token, succeeded,
    token,
};
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

/// Whether two expirations are the same: the same instant to the second
/// when the harness reads both (a server may write another fraction, X17),
/// else the same JSON value.
fn same_expiration(issued: Option<&Value>, returned: Option<&Value>) -> bool {
    match (api::expiration_of(issued), api::expiration_of(returned)) {
        (Some(a), Some(b)) => (a - b).abs() < 1000,
        _ => issued == returned.filter(|v| !v.is_null()),
    }
}

#[then("the revalidation returns the same auth token with the expiration it was issued with")]
async fn revalidation_same(w: &mut ConformanceWorld) -> StepResult {
    let name = last_token(w)?;
    let (key, _) = token(w, &name)?;
    let issued = issued_expiration(w, &name);
    let x = w.last_exchange()?;
    let rule = &rules::REVALIDATION_SAME_TOKEN;
    succeeded(w, rule, x, 200, "the revalidation of a valid auth token")?;
    w.documented(
        rule,
        apikey(x) == Some(key.as_str()),
        "the same apikey as the one revalidated",
    )?;
    let expected = match &issued {
        Some(e) => {
            format!("the expiration the token was issued with ({e}; revalidation never extends it)")
        }
        None => "no expiration, as at issue".to_owned(),
    };
    w.documented(
        rule,
        same_expiration(issued.as_ref(), x.field("expiration")),
        &expected,
    )
}

#[then("the revalidation is refused as expired")]
async fn revalidation_expired(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    refused(w, &rules::EXPIRED_IS_AN_ERROR, x, 401, "the expired error")?;
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
        &rules::DISABLE_DISABLES,
        &x,
        401,
        &format!("revalidating {who}'s disabled auth token to be refused"),
    )
}

// ---------------------------------------------------------------- the clock

/// Moves the server's clock to `target_ms` (Unix milliseconds), unless it is
/// already past it; the control API counts whole seconds, so the clock lands
/// on the first second at or after it.
async fn advance_to(w: &ConformanceWorld, target_ms: i64) -> StepResult {
    let clock = w.ctx().clock.clone();
    let now = clock.now().await?;
    let target_second = target_ms.div_euclid(1000) + i64::from(target_ms.rem_euclid(1000) > 0);
    if target_second > now {
        clock.advance(target_second - now).await?;
    }
    Ok(())
}

crate::words! {
    /// A fraction of what remains of a token's lifetime, in the feature's words.
    enum Fraction { Half = "half", NineTenths = "nine tenths" }
}

impl Fraction {
    fn of(self, millis: i64) -> i64 {
        match self {
            Fraction::Half => millis / 2,
            Fraction::NineTenths => millis / 10 * 9,
        }
    }
}

#[when(
    regex = r"^(half|nine tenths) of what remains of (alice|bob)'s auth token's lifetime passes$"
)]
async fn fraction_passes(w: &mut ConformanceWorld, fraction: Fraction, who: Persona) -> StepResult {
    let (_, expires) = lifetime(w, who.name())?;
    let now = w.ctx().clock.now().await? * 1000;
    let remaining = expires - now;
    if remaining <= 1000 {
        return Err(Failure(format!(
            "{who}'s auth token has {remaining} ms left on the server's clock: nothing remains to move through (expiration {expires}, now {now}, in Unix milliseconds)"
        )));
    }
    advance_to(w, now + fraction.of(remaining)).await
}

/// Past the expiration by a hundredth of the token's lifetime (at least the
/// clock's one second): expired by any reading, still recent.
#[when(regex = r"^the expiration of (alice|bob)'s auth token passes$")]
async fn expiration_passes(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let (issued, expires) = lifetime(w, who.name())?;
    let past = ((expires - issued) / 100).max(1000);
    advance_to(w, expires + past).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expirations_are_the_same_instant_to_the_second() {
        let a = json!("2014-12-31T23:59:59.999");
        assert!(same_expiration(
            Some(&a),
            Some(&json!("2014-12-31T23:59:59.999Z"))
        ));
        assert!(same_expiration(
            Some(&a),
            Some(&json!(1_420_070_399_999_i64))
        ));
        assert!(same_expiration(
            Some(&a),
            Some(&json!("2014-12-31T23:59:59"))
        ));
        assert!(!same_expiration(
            Some(&a),
            Some(&json!("2015-01-01T23:59:59.999"))
        ));
        assert!(!same_expiration(Some(&a), None));
        assert!(same_expiration(None, None));
        assert!(same_expiration(None, Some(&json!(null))));
        let odd = json!("12/31/2014 23:59:59");
        assert!(same_expiration(Some(&odd), Some(&odd)));
    }
}
