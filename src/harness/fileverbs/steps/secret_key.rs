//! `features/fileverbs/secret_key.feature`: calls with the SecretKey (its
//! spellings, wrong or missing ones), its reset.

use super::*;

#[when(regex = r"^(\w+) calls the protected resource with (?:her|his) SecretKey$")]
async fn calls_with_secret_key(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let pair = key_pair(w, who)?;
    let probe = section(w)?.probe_path;
    fv_mut(w).pending = Some(&rules::SECRET_KEY_AUTHENTICATES);
    w.send_checked(api::probe_with_secret_key(&probe, &pair.secret_key))
        .await?;
    Ok(())
}

/// The documented header under another spelling of its name: field names
/// are case-insensitive (RFC 9110 §5.1).
#[when(
    regex = r"^(\w+) calls the protected resource with (?:her|his) SecretKey in a header named (\w+)$"
)]
async fn calls_with_secret_key_named(
    w: &mut ConformanceWorld,
    who: Persona,
    name: String,
) -> StepResult {
    let pair = key_pair(w, who)?;
    let probe = section(w)?.probe_path;
    fv_mut(w).pending = Some(&rules::HEADER_NAMES_ANY_CASE);
    w.send_checked(api::probe(&probe).header(&name, &pair.secret_key))
        .await?;
    Ok(())
}

crate::words! {
    /// A SecretKey the protected resource must refuse, in the feature's words.
    enum BadSecretKey {
        Missing = "no SecretKey", Wrong = "a wrong SecretKey", Empty = "an empty SecretKey",
    }
}

#[when(
    regex = r"^someone calls the protected resource with (no SecretKey|a wrong SecretKey|an empty SecretKey)$"
)]
async fn calls_with_bad_secret_key(w: &mut ConformanceWorld, what: BadSecretKey) -> StepResult {
    let probe = section(w)?.probe_path;
    let call = match what {
        BadSecretKey::Wrong => api::probe_with_secret_key(&probe, &wrong_value()),
        BadSecretKey::Empty => api::probe_with_secret_key(&probe, ""),
        BadSecretKey::Missing => api::probe(&probe),
    };
    fv_mut(w).pending = Some(&rules::SECRET_KEY_PROTECTS);
    w.send_checked(call).await?;
    Ok(())
}

#[given(regex = r"^(\w+)'s SecretKey has been reset in the portal$")]
async fn secret_key_reset(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let ctx = w.ctx();
    let old = key_pair(w, who)?;
    let new = super::super::control::reset_secret_key(&ctx.clock, &old.secret_key).await?;
    ctx.secrets.register(&new);
    ctx.run_state::<KeyPairs>().lock().insert(
        who,
        KeyPair {
            secret_key: new,
            api_key: old.api_key.clone(),
        },
    );
    fv_mut(w).old_secret_keys.insert(who, old.secret_key);
    Ok(())
}

crate::words! {
    /// A SecretKey before or after its reset.
    enum Which { Old = "old", New = "new" }
}

#[when(regex = r"^(\w+) calls the protected resource with (?:her|his) (old|new) SecretKey$")]
async fn calls_with_old_or_new_key(
    w: &mut ConformanceWorld,
    who: Persona,
    which: Which,
) -> StepResult {
    let key =
        match which {
            Which::Old => fv(w).old_secret_keys.get(&who).cloned().ok_or_else(|| {
                Failure(format!("{who}'s SecretKey was not reset in this scenario"))
            })?,
            Which::New => key_pair(w, who)?.secret_key,
        };
    let probe = section(w)?.probe_path;
    fv_mut(w).pending = Some(match which {
        Which::Old => &rules::RESET_ENDS_THE_KEY,
        Which::New => &rules::SECRET_KEY_AUTHENTICATES,
    });
    w.send_checked(api::probe_with_secret_key(&probe, &key))
        .await?;
    Ok(())
}

/// The rule the last call relied on.
pub(super) fn pending(w: &ConformanceWorld) -> &'static Rule {
    fv(w).pending.unwrap_or(&rules::SECRET_KEY_AUTHENTICATES)
}

#[then("the call is authorized")]
async fn call_authorized(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    w.status(
        Check::Documented(pending(w)),
        x,
        Status::Success,
        "a 2xx from the protected resource",
    )?;
    w.status(
        Check::Reference,
        x,
        200,
        "status 200 from the protected resource",
    )
}

#[then("the call is refused")]
async fn call_refused(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    w.status(
        Check::Documented(pending(w)),
        x,
        Status::NotSuccess,
        "a refusal (not a 2xx) from the protected resource",
    )
}

/// The exact status of a refusal: the document gives none, so it is ours.
#[then(regex = r"^the refusal's status is (\d{3})(?: or (\d{3}))? \(a reference choice\)$")]
async fn refusal_status(w: &mut ConformanceWorld, status: u16, or: String) -> StepResult {
    let x = w.last_exchange()?;
    let (expected, text) = match or.parse::<u16>() {
        Ok(o) => (Status::Either(status, o), format!("status {status} or {o}")),
        Err(_) => (Status::Is(status), format!("status {status}")),
    };
    w.status(Check::Reference, x, expected, &text)
}
