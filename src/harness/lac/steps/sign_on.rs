//! The sign-on (`features/lac/sign_on.feature`): auth tokens issued, refused, told apart.

use cucumber::{given, then, when};

use super::{
    SignOn, apikey, is_success, persona, refused, remember_token, section, send,
    set_back_if_changed, sign_on_with, succeeded, token, wrong_password,
};
use crate::harness::lac::api;
use crate::harness::world::{ConformanceWorld, Failure, Persona, StepResult};
use crate::reference::lac::rules;

#[given(regex = r"^(alice|bob) has authenticated(?: as auth token (\w+))?$")]
async fn has_authenticated(w: &mut ConformanceWorld, who: Persona, name: String) -> StepResult {
    authenticates(w, who, name).await?;
    let x = w.last_exchange()?;
    // A precondition: the exact status is judged once, by LAC1.
    w.documented_uncited(
        is_success(x) && apikey(x).is_some(),
        &format!("{who} to authenticate (a 2xx with an apikey)"),
    )
}

#[when(regex = r"^(alice|bob) authenticates with (?:her|his) password(?: as auth token (\w+))?$")]
async fn authenticates(w: &mut ConformanceWorld, who: Persona, name: String) -> StepResult {
    let name = if name.is_empty() {
        who.name().to_owned()
    } else {
        name
    };
    let p = persona(w, who)?;
    sign_on_as(w, &p, &name).await
}

async fn sign_on_as(w: &mut ConformanceWorld, p: &SignOn, name: &str) -> StepResult {
    set_back_if_changed(w, p).await?;
    let base = p.base_url.as_deref();
    let x = sign_on_with(w, p, &p.account.password).await?;
    if is_success(&x) {
        remember_token(w, name, &x, base);
    }
    Ok(())
}

#[given(
    regex = r"^(alice) has authenticated on an API that does not allow auth tokens in the URL$"
)]
async fn has_authenticated_without_url_auth(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let lac = section(w)?;
    let mut p = persona(w, who)?;
    if lac.url_auth {
        p.base_url = Some(lac.url_auth_off_base_url.ok_or_else(|| {
            Failure("the target's API allows auth tokens in the URL and `lac.url_auth_off_base_url` names no other".into())
        })?);
    }
    sign_on_as(w, &p, who.name()).await?;
    let x = w.last_exchange()?;
    w.documented_uncited(
        is_success(x) && apikey(x).is_some(),
        &format!("{who} to authenticate there (a 2xx with an apikey)"),
    )
}

crate::words! {
    /// The credentials of a sign-on that must fail, in the feature's words.
    enum WrongCredentials {
        WrongPassword = "alice's name and a wrong password",
        UnknownUser = "the name of a user who does not exist",
    }
}

#[when(
    regex = r"^someone authenticates with (alice's name and a wrong password|the name of a user who does not exist)$"
)]
async fn authenticates_badly(
    w: &mut ConformanceWorld,
    credentials: WrongCredentials,
) -> StepResult {
    let (username, password) = if credentials == WrongCredentials::WrongPassword {
        let alice = w.account(Persona::Alice)?;
        let wrong = wrong_password(&alice.password);
        (alice.username, wrong)
    } else {
        let nobody = format!(
            "authconform-nobody-{}",
            crate::secret::Token::generate().as_str()[..8].to_lowercase()
        );
        (nobody, "no-such-Passw0rd".to_owned())
    };
    w.ctx().secrets.register(&password);
    send(w, api::sign_on(&username, &password), None).await?;
    Ok(())
}

#[then("the authentication succeeds with an auth token and its expiration")]
async fn authentication_succeeds(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    succeeded(w, x, "the sign-on")?;
    w.documented_uncited(apikey(x).is_some(), "a non-empty apikey")?;
    let expiration = x.str_field("expiration");
    w.documented_uncited(
        expiration.and_then(api::parse_expiration).is_some(),
        "an expiration in the documented pattern (2014-12-31T23:59:59.999, with or without a zone)",
    )?;
    w.reference(
        expiration.is_some_and(api::is_reference_expiration),
        "the expiration in the reference server's exact form: UTC milliseconds without a zone",
    )
}

#[then("the expiration is in the future")]
async fn expiration_in_future(w: &mut ConformanceWorld) -> StepResult {
    let expiration = w
        .last_exchange()?
        .str_field("expiration")
        .and_then(api::parse_expiration);
    let now = w.ctx().clock.now().await?;
    w.documented_uncited(
        expiration.is_some_and(|e| e > now * 1000),
        "an expiration later than the server's current time (read as UTC)",
    )
}

#[then("the authentication is refused without an auth token")]
async fn authentication_refused(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    refused(w, x, 401, "the sign-on to be refused")
}

#[then(regex = r"^auth tokens (\w+) and (\w+) differ$")]
async fn tokens_differ(w: &mut ConformanceWorld, a: String, b: String) -> StepResult {
    let (ka, _) = token(w, &a)?;
    let (kb, _) = token(w, &b)?;
    w.documented(
        &rules::EVERY_SIGN_ON_A_NEW_TOKEN,
        ka != kb,
        &format!("auth tokens {a} and {b} to differ: a new auth token for every authentication"),
    )
}
