//! Step definitions for `features/lac/*.feature`, one module a feature file;
//! what they share is here.
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
//! token's value (`sessions`), its expiration and the API it belongs to (`LacScenario`).
//!
//! Check: the document gives no status code and no error body. A
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

mod disable;
mod password;
mod revalidate;
mod sign_on;
mod transport;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use serde_json::Value;

use super::api;
use super::target::LacTarget;
use crate::harness::exchange::{Call, Exchange};
use crate::harness::target::Account;
use crate::harness::world::Check;
use crate::harness::world::{ConformanceWorld, Failure, Persona, Status, StepResult};

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

fn lac(w: &ConformanceWorld) -> &LacScenario {
    w.scenario()
}

fn lac_mut(w: &mut ConformanceWorld) -> &mut LacScenario {
    w.scenario_mut()
}

fn section(w: &ConformanceWorld) -> Result<LacTarget, Failure> {
    w.section("lac")
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
        Check::Uncited,
        x,
        Status::Success,
        &format!("{what}: a 2xx (a normal response)"),
    )?;
    w.status(
        Check::Reference,
        x,
        200,
        &format!("{what}: status 200, as the reference server answers"),
    )
}

/// A refusal without an auth token (documented: "an error is returned", read
/// as a 4xx without an apikey; the exact `status` is the reference server's).
fn refused(w: &ConformanceWorld, x: &Exchange, status: u16, what: &str) -> StepResult {
    w.documented_uncited(
        Status::ClientError.holds(x.status) && absent(x, "apikey"),
        &format!("{what}: a 4xx error without an apikey"),
    )?;
    w.status(
        Check::Reference,
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
    lac_mut(w).tokens.insert(name.to_owned(), issued);
}

/// An auth token of the scenario and the API it belongs to.
fn token(w: &ConformanceWorld, name: &str) -> Result<(String, Option<String>), Failure> {
    let key = w.sessions.get(name).cloned().ok_or_else(|| {
        Failure(format!(
            "the scenario has no auth token named `{name}`; authenticate first"
        ))
    })?;
    let base_url = lac(w).tokens.get(name).and_then(|t| t.base_url.clone());
    Ok((key, base_url))
}

/// The expiration the token was issued with, in Unix milliseconds (None: the
/// answer had none).
fn issued_expiration(w: &ConformanceWorld, name: &str) -> Result<Option<i64>, Failure> {
    match lac(w).tokens.get(name).and_then(|t| t.expiration.as_ref()) {
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
    w.documented_uncited(
        restored,
        &format!(
            "{}'s password to be set back to the original (a change from the password the suite had set, answering a 2xx with changePasswordResult success)",
            p.who
        ),
    )
}

/// Sends the call `make` builds for the auth token `name` to the API the
/// token belongs to; the steps after it judge that token.
async fn send_for_token(
    w: &mut ConformanceWorld,
    name: &str,
    make: fn(&str) -> Call,
) -> Result<Exchange, Failure> {
    let (key, base) = token(w, name)?;
    lac_mut(w).last_token = Some(name.to_owned());
    send(w, make(&key), base.as_deref()).await
}

fn last_token(w: &ConformanceWorld) -> Result<String, Failure> {
    lac(w)
        .last_token
        .clone()
        .ok_or_else(|| Failure("no auth token was revalidated or disabled before this step".into()))
}
