//! The password change at sign-on (`features/lac/password.feature`).
//!
//! The seed names the new password's attribute twice: its prose says the
//! built-in provider "requires the newPassword attribute", its example and
//! note send `new_password` (X19). The documented scenarios send the new
//! password under both; that a server reads each alone is a reference check.

use cucumber::{then, when};

use super::{
    Ledger, SignOn, absent, apikey, changed_password, is_success, lac, lac_mut, persona, refused,
    remember_token, rules, send, set_back_if_changed, sign_on_with, succeeded, wrong_password,
};
use crate::harness::exchange::Exchange;
use crate::harness::lac::api;
use crate::harness::world::{Check, ConformanceWorld, Failure, Persona, StepResult};

crate::words! {
    /// The new password a change sends, in the feature's words.
    enum NewPassword {
        /// The current one, changed: the reference policy accepts it.
        Changed = "a new password",
        /// One the reference policy refuses.
        OneCharacter = "a one-character new password",
    }
}

crate::words! {
    /// Where a change sends the new password, in the feature's words.
    enum Fields {
        Both = "",
        Snake = " in new_password",
        Camel = " in newPassword",
    }
}

impl Fields {
    fn names(self) -> &'static [&'static str] {
        match self {
            Fields::Both => &api::NEW_PASSWORD_FIELDS,
            Fields::Snake => &api::NEW_PASSWORD_FIELDS[..1],
            Fields::Camel => &api::NEW_PASSWORD_FIELDS[1..],
        }
    }
}

#[when(
    regex = r"^(alice|carol) authenticates with (\?[^\s,]+) and (a new password|a one-character new password)( in new_password| in newPassword)?$"
)]
async fn authenticates_changing_password(
    w: &mut ConformanceWorld,
    who: Persona,
    query: String,
    new_words: NewPassword,
    fields: Fields,
) -> StepResult {
    let p = persona(w, who)?;
    let current = p.current_password(w);
    let new = match new_words {
        NewPassword::OneCharacter => "a".to_owned(),
        NewPassword::Changed => changed_password(&current),
    };
    attempt_change(w, &p, &query, &current, fields.names(), &new).await
}

#[when(
    regex = r"^(alice|carol) authenticates with (\?[^\s,]+), a wrong password and a new password$"
)]
async fn authenticates_changing_with_wrong_password(
    w: &mut ConformanceWorld,
    who: Persona,
    query: String,
) -> StepResult {
    let p = persona(w, who)?;
    let current = p.current_password(w);
    let new = changed_password(&current);
    let wrong = wrong_password(&current);
    attempt_change(w, &p, &query, &wrong, Fields::Both.names(), &new).await
}

async fn attempt_change(
    w: &mut ConformanceWorld,
    p: &SignOn,
    query: &str,
    password: &str,
    fields: &[&str],
    new: &str,
) -> StepResult {
    let secrets = w.ctx().secrets.clone();
    secrets.register(password);
    secrets.register(new);
    let before = p.current_password(w);
    // What keeps the password unchanged, if the server leaves it so.
    let unchanged_by = if query != api::PASSWORD_CHANGE_FLAG {
        &rules::PASSWORD_CHANGE_FLAG_EXACT
    } else if password != before {
        &rules::WRONG_CREDENTIALS_NO_TOKEN
    } else {
        &rules::CHANGE_RESULT
    };
    let scenario = lac_mut(w);
    scenario.new_passwords.insert(p.who, new.to_owned());
    scenario.old_passwords.insert(p.who, before);
    scenario.unchanged_by = Some(unchanged_by);
    let base = p.base_url.as_deref();
    let x = send(
        w,
        api::sign_on_changing_password(query, &p.account.username, password, fields, new),
        base,
    )
    .await?;
    // Recorded before any check: the server says what it did.
    let reported_success = is_success(&x) && x.str_field("changePasswordResult") == Some("success");
    if is_success(&x) {
        remember_token(w, p.who.name(), &x, base).await?;
    }
    if reported_success {
        Ledger::set(w, p.ledger_key(w), new.to_owned());
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
    let whatever = &rules::TOKEN_WHATEVER_THE_CHANGE;
    succeeded(
        w,
        whatever,
        x,
        200,
        "the sign-on, which succeeds whatever the password change's result",
    )?;
    w.documented(
        whatever,
        apikey(x).is_some(),
        "a new apikey: one is issued whatever the password change's result",
    )?;
    let reported = x.str_field("changePasswordResult");
    w.documented(
        &rules::CHANGE_RESULT,
        reported.is_some_and(|r| r.parse::<ChangeResult>().is_ok()),
        "changePasswordResult: success, failure or notSupported",
    )?;
    // The document has no password policy: that a one-character password
    // fails is the reference server's policy.
    let check = match result {
        ChangeResult::Failure => Check::Reference,
        ChangeResult::Success => Check::Documented(&rules::PASSWORD_CHANGE),
        ChangeResult::NotSupported => Check::Documented(&rules::CHANGE_RESULT),
    };
    w.check_as(
        check,
        reported == Some(result.words()),
        &format!("changePasswordResult: {}", result.words()),
    )?;
    let message = change_message(x);
    w.documented(
        &rules::CHANGE_RESULT,
        message.is_some(),
        "a changePasswordMessage",
    )?;
    if reported == Some("failure") {
        w.documented(
            &rules::FAILURE_GIVES_THE_REASON,
            message.is_some_and(|m| !m.trim().is_empty()),
            "a changePasswordMessage giving the reason of the failure",
        )?;
    }
    Ok(())
}

/// Only the exact flag enables a change; whether the sign-on itself then
/// succeeds is not said (X20): a reference check.
#[then("the authentication succeeds without a password change result")]
async fn succeeds_without_change(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    w.documented(
        &rules::PASSWORD_CHANGE_FLAG_EXACT,
        x.str_field("changePasswordResult") != Some("success"),
        "no changePasswordResult success: only the exact ?enablePasswordChange! enables a change",
    )?;
    w.reference(
        is_success(x) && apikey(x).is_some(),
        "a plain sign-on: a 2xx with an apikey",
    )?;
    w.reference(
        absent(x, "changePasswordResult"),
        "no changePasswordResult at all",
    )
}

fn new_password(w: &ConformanceWorld, who: Persona) -> Result<String, Failure> {
    lac(w).new_passwords.get(&who).cloned().ok_or_else(|| {
        Failure(format!(
            "no new password was sent for {who} in this scenario"
        ))
    })
}

fn old_password(w: &ConformanceWorld, who: Persona) -> Result<String, Failure> {
    lac(w).old_passwords.get(&who).cloned().ok_or_else(|| {
        Failure(format!(
            "no password change was tried for {who} in this scenario"
        ))
    })
}

#[then(regex = r"^(alice|carol)'s old password is refused$")]
async fn old_password_refused(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let p = persona(w, who)?;
    let old = old_password(w, who)?;
    let x = sign_on_with(w, &p, &old).await?;
    refused(
        w,
        &rules::PASSWORD_CHANGE,
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
    let rule = &rules::PASSWORD_CHANGE;
    succeeded(
        w,
        rule,
        &x,
        200,
        &format!("{who}'s new password to sign on"),
    )?;
    w.documented(
        rule,
        apikey(&x).is_some(),
        &format!("{who}'s new password to sign on: an apikey"),
    )
}

#[then(regex = r"^(alice|carol)'s password is unchanged$")]
async fn password_unchanged(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let p = persona(w, who)?;
    let new = new_password(w, who)?;
    let old = old_password(w, who)?;
    let original = sign_on_with(w, &p, &old).await?;
    let original_works = is_success(&original);
    let changed = sign_on_with(w, &p, &new).await?;
    let new_works = is_success(&changed);
    if new_works && !original_works {
        // The server changed it after all: later steps sign on with it.
        Ledger::set(w, p.ledger_key(w), new);
    }
    // Where the server reported the change a success (LAC17 on a server with
    // another password policy), a changed password is what it said it did:
    // only the reference server's policy wanted it unchanged.
    let check = match lac(w).unchanged_by {
        Some(rule) if !lac(w).change_reported.contains(&who) => Check::Documented(rule),
        _ => Check::Reference,
    };
    w.check_as(
        check,
        original_works && !new_works,
        &format!(
            "{who}'s password unchanged: the one before signs on (2xx) and the new one is refused"
        ),
    )
}

#[then(regex = r"^(alice|carol)'s password is set back to the original$")]
async fn set_back(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let p = persona(w, who)?;
    set_back_if_changed(w, &p).await
}
