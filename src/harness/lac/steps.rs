//! Step definitions for `features/lac/*.feature`.
//!
//! Each step is one sentence of LAC's own words (authenticates, auth token,
//! revalidates, disables, the probe resource), so none matches another
//! vendor's step. Every response goes through
//! [`ConformanceWorld::send_checked`], which checks it against
//! `specs/lac.openapi.yaml`; the steps assert what the spec cannot say.
//!
//! Personas: alice (`users.primary`), bob (`users.secondary`) and carol, the
//! account of an API whose provider does not implement password change
//! (`lac.no_password_change`). A scenario names auth tokens after their
//! persona, or `A`, `B` when one persona holds several; the world keeps each
//! token's value (`sessions`), its expiration and the API it belongs to (`w.lac`).
//!
//! Provenance: the document gives no status code and no error body. A
//! success is a 2xx with the documented fields ([`succeeded`]), a refusal ("an
//! error is returned", "an expired error") a 4xx without an apikey
//! ([`refused`]); the exact 200, 401 or 404 the reference server answers, its
//! error body (checked by the spec) and what the error says are reference
//! checks: a warning by default, a failure under `--strict`.
//!
//! Passwords: the suite changes alice's password (LAC16) and sets it back at
//! the end of the scenario. A run-wide ledger remembers a password the suite
//! set and has not set back yet (a scenario that failed half-way), and the
//! next sign-on step of that persona sets it back first, so one failure does
//! not cascade into every later scenario.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use cucumber::{given, then, when};
use reqwest::Method;
use serde_json::Value;

use super::api::{self, Transport};
use crate::harness::exchange::{Call, Exchange, HttpMethod};
use crate::harness::target::{Account, LacTarget};
use crate::harness::world::{ConformanceWorld, Failure, Persona, Status, StepResult};
use crate::provenance::Provenance;

/// Passwords the suite changed and has not set back, by (API base URL, username).
static LEDGER: Mutex<BTreeMap<(String, String), String>> = Mutex::new(BTreeMap::new());

fn ledger() -> std::sync::MutexGuard<'static, BTreeMap<(String, String), String>> {
    LEDGER.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a LAC scenario keeps between its steps.
#[derive(Default)]
pub struct LacScenario {
    /// How each auth token of the scenario was issued, by token name.
    tokens: HashMap<String, IssuedToken>,
    /// The token the last revalidation or disabling was about.
    last_token: Option<String>,
    /// The new password the scenario sent for a persona.
    new_passwords: HashMap<Persona, String>,
    /// Personas whose password change the server reported a success.
    change_reported: HashSet<Persona>,
}

/// An auth token's expiration as issued, and the API it belongs to (`None`: the target's).
struct IssuedToken {
    expiration: Option<String>,
    base_url: Option<String>,
}

/// A persona's account and the API it signs on to (`None`: the target's).
struct SignOn {
    who: Persona,
    account: Account,
    base_url: Option<String>,
}

fn section(w: &ConformanceWorld) -> Result<LacTarget, Failure> {
    w.section("lac", |t| t.lac.as_ref())
}

fn persona(w: &ConformanceWorld, who: Persona) -> Result<SignOn, Failure> {
    match who {
        Persona::Carol => {
            let provider = section(w)?.no_password_change.ok_or_else(|| {
                Failure("carol is the account of `lac.no_password_change`, which the target file does not give".into())
            })?;
            w.ctx().secrets.register(&provider.account.password);
            Ok(SignOn {
                who,
                account: provider.account,
                base_url: Some(provider.base_url),
            })
        }
        _ => Ok(SignOn {
            who,
            account: w.account(who)?,
            base_url: None,
        }),
    }
}

impl SignOn {
    fn ledger_key(&self, w: &ConformanceWorld) -> (String, String) {
        let base = self
            .base_url
            .clone()
            .unwrap_or_else(|| w.ctx().target.base_url.clone());
        (base, self.account.username.clone())
    }
}

/// The new password the suite gives a persona: derived from the original, so
/// an operator can recover an account by hand if a run is killed half-way.
fn changed_password(original: &str) -> String {
    format!("{original}-Nw7!")
}

fn wrong_password(original: &str) -> String {
    format!("{original}-not-it")
}

/// Sends a call (to `base_url` if given, else the target's API), spec-checked.
async fn send(
    w: &mut ConformanceWorld,
    call: Call,
    base_url: Option<&str>,
) -> Result<Exchange, Failure> {
    let call = match base_url {
        Some(b) => call.on_base_url(b),
        None => call,
    };
    w.send_checked(call).await
}

fn apikey(x: &Exchange) -> Option<&str> {
    x.str_field("apikey").filter(|k| !k.is_empty())
}

/// A field the answer does not give: missing or `null` (a Java server writes
/// nulls for what it does not set).
fn absent(x: &Exchange, name: &str) -> bool {
    x.field(name).is_none_or(Value::is_null)
}

/// A normal response: the document shows the body but gives no status.
fn is_success(x: &Exchange) -> bool {
    Status::Success.holds(x.status)
}

/// A success (documented: a 2xx; the exact 200 is the reference server's).
fn succeeded(w: &ConformanceWorld, x: &Exchange, what: &str) -> StepResult {
    w.status(
        Provenance::Documented,
        x,
        Status::Success,
        &format!("{what}: a 2xx (a normal response)"),
    )?;
    w.status(
        Provenance::Reference,
        x,
        200,
        &format!("{what}: status 200, as the reference server answers"),
    )
}

/// A refusal without an auth token (documented: "an error is returned", read
/// as a 4xx without an apikey; the exact `status` is the reference server's).
fn refused(w: &ConformanceWorld, x: &Exchange, status: u16, what: &str) -> StepResult {
    w.documented(
        Status::ClientError.holds(x.status) && absent(x, "apikey"),
        &format!("{what}: a 4xx error without an apikey"),
    )?;
    w.status(
        Provenance::Reference,
        x,
        status,
        &format!("{what}: status {status}, as the reference server answers"),
    )
}

/// Files the auth token of a successful answer under `name`, with its
/// expiration and the API it belongs to.
fn remember_token(w: &mut ConformanceWorld, name: &str, x: &Exchange, base_url: Option<&str>) {
    let Some(key) = apikey(x).map(str::to_owned) else {
        return;
    };
    w.sessions.insert(name.to_owned(), key);
    let issued = IssuedToken {
        expiration: x.str_field("expiration").map(str::to_owned),
        base_url: base_url.map(str::to_owned),
    };
    w.lac.tokens.insert(name.to_owned(), issued);
}

/// An auth token of the scenario and the API it belongs to.
fn token(w: &ConformanceWorld, name: &str) -> Result<(String, Option<String>), Failure> {
    let key = w.sessions.get(name).cloned().ok_or_else(|| {
        Failure(format!(
            "the scenario has no auth token named `{name}`; authenticate first"
        ))
    })?;
    let base_url = w.lac.tokens.get(name).and_then(|t| t.base_url.clone());
    Ok((key, base_url))
}

/// The expiration the token was issued with, in Unix milliseconds (None: the
/// answer had none).
fn issued_expiration(w: &ConformanceWorld, name: &str) -> Result<Option<i64>, Failure> {
    match w.lac.tokens.get(name).and_then(|t| t.expiration.as_ref()) {
        None => Ok(None),
        Some(text) => api::parse_expiration(text).map(Some).ok_or_else(|| {
            Failure(format!(
                "the expiration `{text}` is not in the documented pattern 2014-12-31T23:59:59.999"
            ))
        }),
    }
}

/// Signs `p` on with `password`, on the API the persona belongs to.
async fn sign_on_with(
    w: &mut ConformanceWorld,
    p: &SignOn,
    password: &str,
) -> Result<Exchange, Failure> {
    send(
        w,
        api::sign_on(&p.account.username, password),
        p.base_url.as_deref(),
    )
    .await
}

/// Sets a persona's password back to the original if the ledger says the
/// suite changed it. `Err` when that is needed but does not work.
async fn set_back_if_changed(w: &mut ConformanceWorld, p: &SignOn) -> StepResult {
    let key = p.ledger_key(w);
    let Some(current) = ledger().get(&key).cloned() else {
        return Ok(());
    };
    let base = p.base_url.as_deref();
    // A server that reported success without changing it still takes the original.
    let x = sign_on_with(w, p, &p.account.password).await?;
    if is_success(&x) {
        ledger().remove(&key);
        return Ok(());
    }
    let x = send(
        w,
        api::sign_on_changing_password(
            api::PASSWORD_CHANGE_FLAG,
            &p.account.username,
            &current,
            "new_password",
            &p.account.password,
        ),
        base,
    )
    .await?;
    let restored = is_success(&x) && x.str_field("changePasswordResult") == Some("success");
    if restored {
        ledger().remove(&key);
    }
    w.documented(
        restored,
        &format!(
            "{}'s password to be set back to the original (a change from the password the suite had set, answering a 2xx with changePasswordResult success)",
            p.who
        ),
    )
}

// ---------------------------------------------------------------- sign-on

#[given(regex = r"^(alice|bob) has authenticated(?: as auth token (\w+))?$")]
async fn has_authenticated(w: &mut ConformanceWorld, who: Persona, name: String) -> StepResult {
    authenticates(w, who, name).await?;
    let x = w.last_exchange()?;
    // A precondition: the exact status is judged once, by LAC1.
    w.documented(
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
    w.documented(
        is_success(x) && apikey(x).is_some(),
        &format!("{who} to authenticate there (a 2xx with an apikey)"),
    )
}

#[when(
    regex = r"^someone authenticates with (alice's name and a wrong password|the name of a user who does not exist)$"
)]
async fn authenticates_badly(w: &mut ConformanceWorld, credentials: String) -> StepResult {
    let (username, password) = if credentials.starts_with("alice") {
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
    w.documented(apikey(x).is_some(), "a non-empty apikey")?;
    let expiration = x.str_field("expiration");
    w.documented(
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
    let now = w.ctx().clock.now().await.map_err(Failure)?;
    w.documented(
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
        ka != kb,
        &format!("auth tokens {a} and {b} to differ: a new auth token for every authentication"),
    )
}

// ---------------------------------------------------------------- using the token

/// Whether the probe let an authenticated call in. A GET must succeed; another
/// method may also be refused for its (empty) body once the caller was let in.
fn lets_in(x: &Exchange) -> bool {
    let success = Status::Success.holds(x.status);
    let safe = x.method == Method::GET.as_str() || x.method == Method::HEAD.as_str();
    success || (!safe && [400, 409, 415, 422].contains(&x.status))
}

#[when(
    expr = "{persona} sends a {method} to the probe resource with her/his auth token in {transport}"
)]
async fn sends_to_probe(
    w: &mut ConformanceWorld,
    who: Persona,
    method: HttpMethod,
    transport: Transport,
) -> StepResult {
    let (key, base) = token(w, who.name())?;
    let probe_path = section(w)?.probe_path;
    let call = api::with_token(api::probe(method.0, &probe_path), &key, transport);
    send(w, call, base.as_deref()).await?;
    Ok(())
}

#[when("a client sends a GET to the probe resource with the auth token created in API Creator")]
async fn sends_admin_token(w: &mut ConformanceWorld) -> StepResult {
    let lac = section(w)?;
    let key = lac
        .admin_token
        .ok_or_else(|| Failure("the target file gives no `lac.admin_token`".into()))?;
    w.ctx().secrets.register(&key);
    let call = api::with_token(
        api::probe(Method::GET, &lac.probe_path),
        &key,
        Transport::Header,
    );
    send(w, call, None).await?;
    Ok(())
}

#[when(
    regex = r"^someone calls the probe resource with (no Authorization header|a made-up auth token|alice's auth token under the Bearer scheme|alice's auth token without a scheme)$"
)]
async fn calls_probe_badly(w: &mut ConformanceWorld, credential: String) -> StepResult {
    let probe_path = section(w)?.probe_path;
    let call = api::probe(Method::GET, &probe_path);
    let call = match credential.as_str() {
        "a made-up auth token" => {
            let made_up = crate::secret::Token::generate();
            api::with_token(call, made_up.as_str(), Transport::Header)
        }
        "alice's auth token under the Bearer scheme" => {
            let (key, _) = token(w, Persona::Alice.name())?;
            call.header(
                "Authorization",
                &format!("Bearer {}", api::credential(&key)),
            )
        }
        "alice's auth token without a scheme" => {
            let (key, _) = token(w, Persona::Alice.name())?;
            call.header("Authorization", &api::credential(&key))
        }
        _ => call,
    };
    send(w, call, None).await?;
    Ok(())
}

#[then("the probe resource lets the call in")]
async fn probe_lets_in(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    w.documented(
        lets_in(x),
        "the call to be let in (2xx; for POST, PUT or DELETE also a 400, 409, 415 or 422 about the empty body, but never 401 or 403)",
    )
}

/// Whether the probe kept the caller out: a 4xx that is not about the
/// request's body once the caller was let in ([`lets_in`]).
fn keeps_out(x: &Exchange) -> bool {
    Status::ClientError.holds(x.status) && !lets_in(x)
}

/// The call must be refused (documented: the auth token is required); the
/// feature's exact status is the reference server's.
#[then(expr = "the probe resource refuses the call with {int}")]
async fn probe_refuses(w: &mut ConformanceWorld, status: u16) -> StepResult {
    let x = w.last_exchange()?;
    w.documented(
        keeps_out(x),
        "the call to be refused: a 4xx that does not let the caller in",
    )?;
    w.status(
        Provenance::Reference,
        x,
        status,
        &format!("status {status}, as the reference server answers"),
    )
}

#[then(
    regex = r"^(?:(alice|bob|carol)'s auth token|auth token (\w+)) (lets|still lets|no longer lets) (?:her|him) call the probe resource$"
)]
async fn token_lets_call(
    w: &mut ConformanceWorld,
    who: String,
    name: String,
    verdict: String,
) -> StepResult {
    let name = if name.is_empty() { who } else { name };
    let (key, base) = token(w, &name)?;
    let probe_path = section(w)?.probe_path;
    let call = api::with_token(
        api::probe(Method::GET, &probe_path),
        &key,
        Transport::Header,
    );
    let x = send(w, call, base.as_deref()).await?;
    if verdict == "no longer lets" {
        w.documented(
            keeps_out(&x),
            &format!("auth token {name} to be refused by the probe resource (a 4xx)"),
        )?;
        w.status(
            Provenance::Reference,
            &x,
            401,
            &format!("auth token {name} to be refused with 401, as the reference server answers"),
        )
    } else {
        w.documented(
            lets_in(&x),
            &format!("auth token {name} to be let in by the probe resource (2xx)"),
        )
    }
}

// ---------------------------------------------------------------- revalidation

/// Sends the call `make` builds for the auth token `name` to the API the
/// token belongs to; the steps after it judge that token.
async fn send_for_token(
    w: &mut ConformanceWorld,
    name: &str,
    make: fn(&str) -> Call,
) -> Result<Exchange, Failure> {
    let (key, base) = token(w, name)?;
    w.lac.last_token = Some(name.to_owned());
    send(w, make(&key), base.as_deref()).await
}

async fn revalidate(w: &mut ConformanceWorld, name: &str) -> Result<Exchange, Failure> {
    send_for_token(w, name, api::revalidate).await
}

#[when(regex = r"^(alice|bob) revalidates (?:her|his) auth token$")]
async fn revalidates(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    revalidate(w, who.name()).await?;
    Ok(())
}

fn last_token(w: &ConformanceWorld) -> Result<String, Failure> {
    w.lac
        .last_token
        .clone()
        .ok_or_else(|| Failure("no auth token was revalidated or disabled before this step".into()))
}

#[then("the revalidation returns the same auth token with the expiration it was issued with")]
async fn revalidation_same(w: &mut ConformanceWorld) -> StepResult {
    let name = last_token(w)?;
    let (key, _) = token(w, &name)?;
    let issued = issued_expiration(w, &name)?;
    let x = w.last_exchange()?;
    succeeded(w, x, "the revalidation of a valid auth token")?;
    w.documented(
        apikey(x) == Some(key.as_str()),
        "the same apikey as the one revalidated",
    )?;
    let returned = x.str_field("expiration").map(api::parse_expiration);
    let expected = match issued {
        Some(_) => "the expiration the token was issued with (revalidation never extends it)",
        None => "no expiration, as at issue",
    };
    w.documented(
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
    let now = clock.now().await.map_err(Failure)?;
    if target_second > now {
        clock.advance(target_second - now).await.map_err(Failure)?;
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

// ---------------------------------------------------------------- disabling

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
    w.documented(
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
    w.documented(
        x.field("disabled") != Some(&Value::Bool(true)),
        "no \"disabled\": true for a token that does not exist",
    )?;
    refused(w, x, 404, "the auth token is not found")
}

// ---------------------------------------------------------------- password change

#[when(
    regex = r"^(alice|carol) authenticates with (\?[^\s,]+) and (a new password|a one-character new password) in (new_password|newPassword)$"
)]
async fn authenticates_changing_password(
    w: &mut ConformanceWorld,
    who: Persona,
    query: String,
    new_words: String,
    field: String,
) -> StepResult {
    let p = persona(w, who)?;
    let new = if new_words == "a one-character new password" {
        "a".to_owned()
    } else {
        changed_password(&p.account.password)
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
    w.lac.new_passwords.insert(p.who, new.to_owned());
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
        w.lac.change_reported.insert(p.who);
    }
    Ok(())
}

/// `changePasswordMessage`, or the documentation's misspelling `changePasswordMesssage`.
fn change_message(x: &Exchange) -> Option<&str> {
    x.str_field("changePasswordMessage")
        .or_else(|| x.str_field("changePasswordMesssage"))
}

#[then(
    regex = r"^the password change reports (success|failure|notSupported) with (?:a reason and )?a new auth token$"
)]
async fn change_reports(w: &mut ConformanceWorld, result: String) -> StepResult {
    let x = w.last_exchange()?;
    succeeded(
        w,
        x,
        "the sign-on, which succeeds whatever the password change's result",
    )?;
    w.documented(
        apikey(x).is_some(),
        "a new apikey: one is issued whatever the password change's result",
    )?;
    let reported = x.str_field("changePasswordResult");
    w.documented(
        reported.is_some_and(|r| ["success", "failure", "notSupported"].contains(&r)),
        "changePasswordResult: success, failure or notSupported",
    )?;
    // The document has no password policy: that a one-character password
    // fails is the reference server's policy.
    let provenance = if result == "failure" {
        Provenance::Reference
    } else {
        Provenance::Documented
    };
    w.check_as(
        provenance,
        reported == Some(result.as_str()),
        &format!("changePasswordResult: {result}"),
    )?;
    let message = change_message(x);
    w.documented(message.is_some(), "a changePasswordMessage")?;
    if reported == Some("failure") {
        w.documented(
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
    w.documented(apikey(x).is_some(), "an apikey: a plain sign-on")?;
    w.documented(
        absent(x, "changePasswordResult"),
        "no changePasswordResult: only the exact ?enablePasswordChange! enables a change",
    )
}

fn new_password(w: &ConformanceWorld, who: Persona) -> Result<String, Failure> {
    w.lac.new_passwords.get(&who).cloned().ok_or_else(|| {
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
    w.documented(
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
    let reported_success = w.lac.change_reported.contains(&who);
    let provenance = if reported_success {
        Provenance::Reference
    } else {
        Provenance::Documented
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
