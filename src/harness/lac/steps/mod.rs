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
//! Check: every documented check cites its rule (`reference::lac::rules`).
//! The document gives no status code and no error body. A success is a 2xx
//! ([`succeeded`]); "an error is returned" is a non-2xx without an apikey
//! ([`refused`]); that it is a 4xx, the exact 200, 401 or 404 the reference
//! server answers, its error body (checked by the spec) and what the error
//! says are reference checks: a warning by default, a failure under `--strict`.
//!
//! Time: nothing here assumes a lifetime. The expiry scenarios move the
//! server's clock by fractions of what remains of a token's lifetime, read
//! from the expiration its sign-on answered; a sign-on without one skips them.
//!
//! Passwords: the suite changes alice's password (LAC16) and sets it back at
//! the end of the scenario. That it can is not the document's (X18): a server
//! with a password history refuses the original again. A run-wide ledger
//! keeps the password the suite set and could not set back; every later step
//! signs alice on with it and changes it from there, and the run ends saying
//! which account is left changed, and how.

mod disable;
mod password;
mod revalidate;
mod sign_on;
mod transport;

pub(super) use transport::{keeps_out, lets_in};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use serde_json::Value;

use super::api;
use super::target::LacTarget;
use crate::harness::exchange::{Call, Exchange};
use crate::harness::target::Account;
use crate::harness::world::{Check, Rule};
use crate::harness::world::{ConformanceWorld, Failure, Persona, Status, StepResult};
use crate::reference::lac::rules;

/// Passwords the suite changed and has not set back, by (API base URL,
/// username): LAC's run state (one run's, so runs in one process, against
/// servers that may share a port in turn, never see each other's).
#[derive(Default)]
pub struct Ledger(Mutex<BTreeMap<(String, String), String>>);

impl Ledger {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), String>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn get(w: &ConformanceWorld, key: &(String, String)) -> Option<String> {
        w.ctx().run_state::<Ledger>().lock().get(key).cloned()
    }

    pub(super) fn set(w: &ConformanceWorld, key: (String, String), password: String) {
        w.ctx().run_state::<Ledger>().lock().insert(key, password);
    }

    pub(super) fn clear(w: &ConformanceWorld, key: &(String, String)) {
        w.ctx().run_state::<Ledger>().lock().remove(key);
    }
}

/// The accounts of `target` whose password the suite changed and could not
/// set back, one line each, without the password: how it was derived.
pub fn left_changed(target: &crate::harness::target::Target, ledger: &Ledger) -> Vec<String> {
    let mut accounts: Vec<(String, &Account)> = target
        .users
        .primary
        .iter()
        .map(|a| (target.base_url.clone(), a))
        .collect();
    if let Some(p) = target
        .section::<LacTarget>()
        .and_then(|l| l.no_password_change.as_ref())
    {
        accounts.push((p.base_url.clone(), &p.account));
    }
    let ledger = ledger.lock();
    accounts
        .into_iter()
        .filter_map(|(base, account)| {
            let now = ledger.get(&(base.clone(), account.username.clone()))?;
            let times = now
                .strip_prefix(account.password.as_str())
                .map_or(0, |rest| rest.matches(CHANGED_SUFFIX).count());
            // Without the password itself: how it was derived, when it was.
            let what = match times {
                0 => "one a scenario chose (a policy check's short password, which this server accepted)".to_owned(),
                n => format!("the original followed by `{CHANGED_SUFFIX}` {n} time(s)"),
            };
            Some(format!(
                "the password of {} at {base} is not the target file's: the server refused to set it back (a password history?); it is {what}: set it back by hand before the next run",
                account.username
            ))
        })
        .collect()
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
    /// The password a persona had before the scenario's change.
    old_passwords: HashMap<Persona, String>,
    /// Personas whose password change the server reported a success.
    change_reported: HashSet<Persona>,
    /// What the last write to the probe resource got without credentials.
    probe_baseline: Option<u16>,
    /// The rule that keeps the password as it was after the scenario's
    /// change (a wrong flag, a wrong current password, a result other than success).
    unchanged_by: Option<&'static Rule>,
}

/// An auth token's expiration as issued, when, and the API it belongs to (`None`: the target's).
struct IssuedToken {
    /// The `expiration` field as answered (any JSON).
    expiration: Option<Value>,
    /// The server's clock when the sign-on answered, in Unix seconds.
    issued_at: i64,
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

    /// The persona's password now: the target file's, unless the suite
    /// changed it and could not set it back.
    fn current_password(&self, w: &ConformanceWorld) -> String {
        Ledger::get(w, &self.ledger_key(w)).unwrap_or_else(|| self.account.password.clone())
    }
}

/// What the suite appends to a password it changes: an operator can recover
/// the account by hand if a run is killed half-way.
const CHANGED_SUFFIX: &str = "-Nw7!";

pub(super) fn changed_password(current: &str) -> String {
    format!("{current}{CHANGED_SUFFIX}")
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

/// A success of `rule` (a 2xx; the exact `status` is the reference server's).
fn succeeded(
    w: &ConformanceWorld,
    rule: &'static Rule,
    x: &Exchange,
    status: u16,
    what: &str,
) -> StepResult {
    w.status(
        Check::Documented(rule),
        x,
        Status::Success,
        &format!("{what}: a 2xx (a normal response)"),
    )?;
    w.status(
        Check::Reference,
        x,
        status,
        &format!("{what}: status {status}, as the reference server answers"),
    )
}

/// "An error is returned" (`rule`): not a normal response, so a non-2xx, and
/// no auth token in it; that it is a 4xx, and the exact `status`, are the
/// reference server's.
fn refused(
    w: &ConformanceWorld,
    rule: &'static Rule,
    x: &Exchange,
    status: u16,
    what: &str,
) -> StepResult {
    w.documented(
        rule,
        !is_success(x) && absent(x, "apikey"),
        &format!("{what}: an error (not a 2xx) without an apikey"),
    )?;
    w.status(
        Check::Reference,
        x,
        Status::ClientError,
        &format!("{what}: a 4xx (the client's error)"),
    )?;
    w.status(
        Check::Reference,
        x,
        status,
        &format!("{what}: status {status}, as the reference server answers"),
    )
}

/// Files the auth token of a successful answer under `name`, with its
/// expiration, the server's time and the API it belongs to.
async fn remember_token(
    w: &mut ConformanceWorld,
    name: &str,
    x: &Exchange,
    base_url: Option<&str>,
) -> StepResult {
    let Some(key) = apikey(x).map(str::to_owned) else {
        return Ok(());
    };
    let issued_at = w.ctx().clock.now().await?;
    w.sessions.insert(name.to_owned(), key);
    let issued = IssuedToken {
        expiration: x.field("expiration").filter(|v| !v.is_null()).cloned(),
        issued_at,
        base_url: base_url.map(str::to_owned),
    };
    lac_mut(w).tokens.insert(name.to_owned(), issued);
    Ok(())
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

/// The `expiration` the token was issued with, as answered (`None`: none).
fn issued_expiration(w: &ConformanceWorld, name: &str) -> Option<Value> {
    lac(w).tokens.get(name).and_then(|t| t.expiration.clone())
}

/// The token's lifetime as its sign-on gave it: (issued at, expires at), in
/// Unix milliseconds. A token without an expiration the harness can read
/// skips the scenario, which has nothing to count from.
fn lifetime(w: &ConformanceWorld, name: &str) -> Result<(i64, i64), Failure> {
    let issued = lac(w).tokens.get(name).ok_or_else(|| {
        Failure(format!(
            "the scenario has no auth token named `{name}`; authenticate first"
        ))
    })?;
    let expires = api::expiration_of(issued.expiration.as_ref()).ok_or_else(|| {
        Failure::not_judged(match &issued.expiration {
            None => format!(
                "auth token {name} was issued without an expiration, so there is no expiry to move the clock to"
            ),
            Some(v) => format!(
                "auth token {name}'s expiration {v} is in no form the harness reads (the example's 2014-12-31T23:59:59.999, with or without a zone, or Unix milliseconds), so there is no expiry to move the clock to"
            ),
        })
    })?;
    Ok((issued.issued_at * 1000, expires))
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
/// suite changed it. Not the document's (X18): a server that refuses (a
/// password history) leaves the persona on the password the suite set,
/// which later steps use; a reference check says so.
async fn set_back_if_changed(w: &mut ConformanceWorld, p: &SignOn) -> StepResult {
    let key = p.ledger_key(w);
    let Some(current) = Ledger::get(w, &key) else {
        return Ok(());
    };
    let base = p.base_url.as_deref();
    // A server that reported success without changing it still takes the original.
    let x = sign_on_with(w, p, &p.account.password).await?;
    if is_success(&x) && apikey(&x).is_some() {
        Ledger::clear(w, &key);
        return Ok(());
    }
    let x = send(
        w,
        api::sign_on_changing_password(
            api::PASSWORD_CHANGE_FLAG,
            &p.account.username,
            &current,
            &api::NEW_PASSWORD_FIELDS,
            &p.account.password,
        ),
        base,
    )
    .await?;
    let restored = is_success(&x) && x.str_field("changePasswordResult") == Some("success");
    if restored {
        Ledger::clear(w, &key);
    }
    w.reference(
        restored,
        &format!(
            "{}'s password to be set back to the original (a change from the password the suite had set, answering a 2xx with changePasswordResult success); where the server refuses (a password history), the suite goes on with the password it set",
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

/// A precondition: `who` authenticated (the exact status is judged once, by LAC1).
fn authenticated(w: &ConformanceWorld, who: &str) -> StepResult {
    let x = w.last_exchange()?;
    w.documented(
        &rules::SIGN_ON_GIVES_APIKEY,
        is_success(x) && apikey(x).is_some(),
        &format!("{who} to authenticate (a 2xx with an apikey)"),
    )
}
