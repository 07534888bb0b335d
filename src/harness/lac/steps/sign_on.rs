//! The sign-on (`features/lac/sign_on.feature`): auth tokens issued, refused, told apart.

use cucumber::{given, then, when};

use super::{
    SignOn, apikey, authenticated, is_success, persona, refused, remember_token, section, send,
    sign_on_with, succeeded, token, wrong_password,
};
use crate::harness::lac::api;
use crate::harness::world::{ConformanceWorld, Failure, Persona, StepResult};
use crate::reference::lac::rules;

#[given(regex = r"^(alice|bob) has authenticated(?: as auth token (\w+))?$")]
async fn has_authenticated(w: &mut ConformanceWorld, who: Persona, name: String) -> StepResult {
    authenticates(w, who, name).await?;
    authenticated(w, who.name())
}

#[when(regex = r"^(alice|bob) authenticates with (?:her|his) password(?: as auth token (\w+))?$")]
async fn authenticates(w: &mut ConformanceWorld, who: Persona, name: String) -> StepResult {
    let name = if name.is_empty() {
        who.name().to_owned()
    } else {
        name
    };
    let p = persona(w, who)?;
    let password = p.current_password(w);
    sign_on_as(w, &p, &password, &name).await
}

/// Signs `p` on with `password`, and files the token as `name`.
async fn sign_on_as(
    w: &mut ConformanceWorld,
    p: &SignOn,
    password: &str,
    name: &str,
) -> StepResult {
    let base = p.base_url.as_deref();
    let x = sign_on_with(w, p, password).await?;
    if is_success(&x) {
        remember_token(w, name, &x, base).await?;
    }
    Ok(())
}

#[given(
    regex = r"^(alice) has authenticated on an API that does not allow auth tokens in the URL$"
)]
async fn has_authenticated_without_url_auth(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let lac = section(w)?;
    let mut p = persona(w, who)?;
    // alice's password as the suite left it, unless the API has its own users.
    let mut password = p.current_password(w);
    if lac.url_auth() != Some(false) {
        let other = lac.url_auth_off.ok_or_else(|| {
            Failure("the target's API allows auth tokens in the URL (or could not be asked) and `lac.url_auth_off` names no other".into())
        })?;
        p.base_url = Some(other.base_url);
        if let Some(account) = other.account {
            password = account.password.clone();
            p.account = account;
        }
    }
    sign_on_as(w, &p, &password, who.name()).await?;
    authenticated(w, &format!("{} there", p.account.username))
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
        let alice = persona(w, Persona::Alice)?;
        let wrong = wrong_password(&alice.current_password(w));
        (alice.account.username, wrong)
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

/// Documented: a normal response with the apikey. The expiration is shown
/// only in the revalidation's example and in no particular form (X11): that
/// a sign-on answers one in the example's form is a reference check; the
/// expiry scenarios skip when it answers none.
#[then("the authentication succeeds with an auth token and its expiration")]
async fn authentication_succeeds(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    succeeded(w, &rules::SIGN_ON_GIVES_APIKEY, x, 200, "the sign-on")?;
    w.documented(
        &rules::SIGN_ON_GIVES_APIKEY,
        apikey(x).is_some(),
        "a non-empty apikey",
    )?;
    let expiration = x.field("expiration");
    w.reference(
        api::expiration_of(expiration).is_some(),
        "an expiration the harness reads: the example's 2014-12-31T23:59:59.999 (a zone or none, read as UTC) or Unix milliseconds",
    )?;
    w.reference(
        expiration
            .and_then(|e| e.as_str())
            .is_some_and(api::is_reference_expiration),
        "the expiration in the reference server's exact form: UTC milliseconds without a zone",
    )
}

/// The seed gives no lifetime, nor the expiration's zone: a reference check.
#[then("the expiration is in the future")]
async fn expiration_in_future(w: &mut ConformanceWorld) -> StepResult {
    let expiration = api::expiration_of(w.last_exchange()?.field("expiration"));
    let now = w.ctx().clock.now().await?;
    w.reference(
        expiration.is_some_and(|e| e > now * 1000),
        "an expiration later than the server's current time (a zoneless one read as UTC)",
    )
}

#[then("the authentication is refused without an auth token")]
async fn authentication_refused(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    refused(
        w,
        &rules::WRONG_CREDENTIALS_NO_TOKEN,
        x,
        401,
        "the sign-on to be refused",
    )
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
