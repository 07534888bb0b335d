//! The password change at sign-on (`features/lac/password.feature`).

use cucumber::{then, when};

use super::{
    SignOn, absent, apikey, changed_password, is_success, lac, lac_mut, ledger, persona, refused,
    remember_token, send, set_back_if_changed, sign_on_with, succeeded, wrong_password,
};
use crate::harness::exchange::Exchange;
use crate::harness::lac::api;
use crate::harness::world::Check;
use crate::harness::world::{ConformanceWorld, Failure, Persona, StepResult};

crate::words! {
    /// The new password a change sends, in the feature's words.
    enum NewPassword {
        /// The current one, changed: the reference policy accepts it.
        Changed = "a new password",
        /// One the reference policy refuses.
        OneCharacter = "a one-character new password",
    }
}

#[when(
    regex = r"^(alice|carol) authenticates with (\?[^\s,]+) and (a new password|a one-character new password) in (new_password|newPassword)$"
)]
async fn authenticates_changing_password(
    w: &mut ConformanceWorld,
    who: Persona,
    query: String,
    new_words: NewPassword,
    field: String,
) -> StepResult {
    let p = persona(w, who)?;
    let new = match new_words {
        NewPassword::OneCharacter => "a".to_owned(),
        NewPassword::Changed => changed_password(&p.account.password),
    };
    let current = p.account.password.clone();
    attempt_change(w, &p, &query, &current, &field, &new).await
}

#[when(
    regex = r"^(alice|carol) authenticates with (\?[^\s,]+), a wrong password and a new password in new_password$"
)]
async fn authenticates_changing_with_wrong_password(
    w: &mut ConformanceWorld,
    who: Persona,
    query: String,
) -> StepResult {
    let p = persona(w, who)?;
    let new = changed_password(&p.account.password);
    let wrong = wrong_password(&p.account.password);
    attempt_change(w, &p, &query, &wrong, "new_password", &new).await
}

async fn attempt_change(
    w: &mut ConformanceWorld,
    p: &SignOn,
    query: &str,
    current: &str,
    field: &str,
    new: &str,
) -> StepResult {
    set_back_if_changed(w, p).await?;
    let secrets = w.ctx().secrets.clone();
    secrets.register(current);
    secrets.register(new);
    lac_mut(w).new_passwords.insert(p.who, new.to_owned());
    let base = p.base_url.as_deref();
    let x = send(
        w,
        api::sign_on_changing_password(query, &p.account.username, current, field, new),
        base,
    )
    .await?;
    // Recorded before any check: the server says what it did.
    let reported_success = is_success(&x) && x.str_field("changePasswordResult") == Some("success");
    if is_success(&x) {
        remember_token(w, p.who.name(), &x, base);
    }
    if reported_success {
        ledger().insert(p.ledger_key(w), new.to_owned());
        lac_mut(w).change_reported.insert(p.who);
    }
    Ok(())
}

/// `changePasswordMessage`, or the documentation's misspelling `changePasswordMesssage`.
fn change_message(x: &Exchange) -> Option<&str> {
    x.str_field("changePasswordMessage")
        .or_else(|| x.str_field("changePasswordMesssage"))
}

crate::words! {
    /// A `changePasswordResult` the document names.
    enum ChangeResult { Success = "success", Failure = "failure", NotSupported = "notSupported" }
}

#[then(
    regex = r"^the password change reports (success|failure|notSupported) with (?:a reason and )?a new auth token$"
)]
async fn change_reports(w: &mut ConformanceWorld, result: ChangeResult) -> StepResult {
    let x = w.last_exchange()?;
    succeeded(
        w,
        x,
        "the sign-on, which succeeds whatever the password change's result",
    )?;
    w.documented_uncited(
        apikey(x).is_some(),
        "a new apikey: one is issued whatever the password change's result",
    )?;
    let reported = x.str_field("changePasswordResult");
    w.documented_uncited(
        reported.is_some_and(|r| r.parse::<ChangeResult>().is_ok()),
        "changePasswordResult: success, failure or notSupported",
    )?;
    // The document has no password policy: that a one-character password
    // fails is the reference server's policy.
    let provenance = if result == ChangeResult::Failure {
        Check::Reference
    } else {
        Check::Uncited
    };
    w.check_as(
        provenance,
        reported == Some(result.words()),
        &format!("changePasswordResult: {}", result.words()),
    )?;
    let message = change_message(x);
    w.documented_uncited(message.is_some(), "a changePasswordMessage")?;
    if reported == Some("failure") {
        w.documented_uncited(
            message.is_some_and(|m| !m.trim().is_empty()),
            "a changePasswordMessage giving the reason of the failure",
        )?;
    }
    Ok(())
}

#[then("the authentication succeeds without a password change result")]
async fn succeeds_without_change(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    succeeded(w, x, "a plain sign-on")?;
    w.documented_uncited(apikey(x).is_some(), "an apikey: a plain sign-on")?;
    w.documented_uncited(
        absent(x, "changePasswordResult"),
        "no changePasswordResult: only the exact ?enablePasswordChange! enables a change",
    )
}

fn new_password(w: &ConformanceWorld, who: Persona) -> Result<String, Failure> {
    lac(w).new_passwords.get(&who).cloned().ok_or_else(|| {
        Failure(format!(
            "no new password was sent for {who} in this scenario"
        ))
    })
}

#[then(regex = r"^(alice|carol)'s old password is refused$")]
async fn old_password_refused(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let p = persona(w, who)?;
    let x = sign_on_with(w, &p, &p.account.password).await?;
    refused(
        w,
        &x,
        401,
        &format!("{who}'s old password to be refused after the change"),
    )
}

#[then(regex = r"^(alice|carol)'s new password is accepted$")]
async fn new_password_accepted(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let p = persona(w, who)?;
    let new = new_password(w, who)?;
    let x = sign_on_with(w, &p, &new).await?;
    succeeded(w, &x, &format!("{who}'s new password to sign on"))?;
    w.documented_uncited(
        apikey(&x).is_some(),
        &format!("{who}'s new password to sign on: an apikey"),
    )
}

#[then(regex = r"^(alice|carol)'s password is unchanged$")]
async fn password_unchanged(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let p = persona(w, who)?;
    let new = new_password(w, who)?;
    let original = sign_on_with(w, &p, &p.account.password).await?;
    let original_works = is_success(&original);
    let changed = sign_on_with(w, &p, &new).await?;
    let new_works = is_success(&changed);
    if new_works && !original_works {
        // The server changed it after all: set it back at the next sign-on.
        ledger().insert(p.ledger_key(w), new);
    }
    // Where the server reported the change a success (LAC17 on a server with
    // another password policy), a changed password is what it said it did:
    // only the reference server's policy wanted it unchanged.
    let reported_success = lac(w).change_reported.contains(&who);
    let provenance = if reported_success {
        Check::Reference
    } else {
        Check::Uncited
    };
    w.check_as(
        provenance,
        original_works && !new_works,
        &format!(
            "{who}'s password unchanged: the original signs on (2xx) and the new one is refused"
        ),
    )
}

#[then(regex = r"^(alice|carol)'s password is set back to the original$")]
async fn set_back(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let p = persona(w, who)?;
    set_back_if_changed(w, &p).await
}
