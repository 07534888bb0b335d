//! Step definitions for `features/liquidfiles/*.feature`, one module a feature file
//! (`browser`, `xml_login`, `json_login`); what they share is here.
//!
//! Two flows: the browser login of `/session/api`, which the harness performs
//! "playing the browser" over HTTP (cookies kept, redirects followed, forms
//! found by what they are, every field submitted, `div#api_key` read, the
//! POST of the form aimed at localhost made to a listener it opened on a
//! random local port), and the XML `POST /login`. Sentences say "the
//! /session/api page" or "/login" so none matches another vendor's step.
//!
//! Check: `w.documented` for what seeds 000/001 say (the success text,
//! `div.d-none#api_key`, the POST of `api_key=KEY` to
//! `http://localhost:<agent_port>`, 2FA before the key, the activity log, the
//! XML body and answer, the stable key, character references, a raw `&`
//! failing; the JSON API's `user.api_key`, seed 001 naming it the XML API's
//! successor); `w.reference` for our choices (the JSON `errors` refusal shape,
//! seen from LiquidFiles' CLI, not a seed), and (statuses, headers, the form shown
//! again, equal refusals, refusing a DOCTYPE or a document that is not
//! well-formed).
//!
//! Personas: alice (`users.primary`, her email as the user name), bob
//! (`users.secondary`), carol (`users.twofactor`, Strong 2FA, her TOTP secret
//! given) and dan (`liquidfiles.special`, a password with `&` and `$`).

mod browser;
mod json_login;
mod saml;
mod xml_login;

pub(super) use saml::Minted;

use super::api::{self, Escaping};
use super::target::LiquidFilesTarget;
use crate::harness::exchange::{Call, Exchange};
use crate::harness::target::Account;
use crate::harness::world::{Check, ConformanceWorld, Failure, Persona, Rule, Status, StepResult};

crate::words! {
    /// An XML login that is not the documented one, in the feature's words.
    enum XmlDocument {
        Unclosed = "an unclosed <user> element",
        InternalEntity = "a DOCTYPE declaring an entity",
        ExternalEntity = "a DOCTYPE with an external entity", NoPassword = "no <password>",
        LoginRoot = "a <login> root element",
    }
}

crate::words! {
    /// A JSON login that is not the documented one, in the feature's words.
    enum JsonDocument {
        NotWellFormed = "JSON that is not well-formed",
        NoPassword = "her email without a password",
        OutsideUser = "her credentials outside user",
    }
}

/// What a LiquidFiles scenario keeps between its steps: the player of the
/// browser login and the answers later steps compare.
#[derive(Default)]
pub struct LiquidFilesScenario {
    /// The browser (or the HTTP player) of the scenario's `/session/api` login.
    player: Option<crate::harness::liquidfiles::player::Player>,
    /// The URL the login page was opened with (a login that has to start
    /// again starts with the same).
    login_url: Option<String>,
    /// The key the last success page showed in div#api_key.
    page_key: Option<String>,
    /// The /session/api refusals: status and page without hidden per-login values.
    refusals: Vec<(u16, String)>,
    /// The rule the last login request's answer is judged by (`None`: a
    /// reference check: the document does not say what the server does with it).
    rule: Option<&'static Rule>,
    /// The api_key of each XML answer that had one, in order.
    xml_keys: Vec<String>,
    /// Each XML answer: status, content type and body.
    xml_answers: Vec<String>,
    /// The JSON API's last key.
    json_key: Option<String>,
    /// Each JSON answer: status and body.
    json_answers: Vec<String>,
    /// The listener standing in for the user's machine on the agent port; it
    /// closes when the scenario's world is dropped.
    agent_listener: Option<crate::harness::liquidfiles::user_machine::UserMachine>,
    /// The `/saml/api` login of the scenario.
    saml: saml::SamlScenario,
}

fn lf(w: &ConformanceWorld) -> &LiquidFilesScenario {
    w.scenario()
}

fn lf_mut(w: &mut ConformanceWorld) -> &mut LiquidFilesScenario {
    w.scenario_mut()
}

/// The key the last success page showed.
fn page_key(w: &ConformanceWorld) -> Result<String, Failure> {
    lf(w)
        .page_key
        .clone()
        .ok_or_else(|| Failure("no key was shown in this scenario".into()))
}

fn section(w: &ConformanceWorld) -> LiquidFilesTarget {
    w.ctx()
        .target
        .section::<LiquidFilesTarget>()
        .cloned()
        .unwrap_or_default()
}

fn persona(w: &ConformanceWorld, who: Persona) -> Result<Account, Failure> {
    let account = match who {
        Persona::Dan => section(w).special.ok_or_else(|| {
            Failure("dan is `liquidfiles.special`, which the target file does not give".into())
        })?,
        other => w.account(other)?,
    };
    let secrets = &w.ctx().secrets;
    secrets.register(&account.password);
    for e in [Escaping::Decimal, Escaping::Hex, Escaping::Minimal] {
        secrets.register(&api::escape_password(&account.password, e));
    }
    Ok(account)
}

/// Sends a call, registers every key in the answer as a secret (the
/// documented places and the misnamed ones a broken server might use), then
/// checks the answer against the spec, so no report shows a key.
async fn send(w: &mut ConformanceWorld, call: Call) -> Result<Exchange, Failure> {
    let x = w.send(call).await?;
    let body = &x.response_body;
    let secrets = w.ctx().secrets.clone();
    for element in ["api_key", "apikey", "apiKey", "key"] {
        if let Some(k) = api::xml_element(body, element) {
            secrets.register(&k);
        }
        if let Some(k) = api::element_text(body, "div", element) {
            secrets.register(&k);
        }
    }
    if let Some(k) = api::json_api_key(body) {
        secrets.register(&k);
    }
    for f in api::local_forms(body) {
        for (_, v) in f.fields(&[]) {
            secrets.register(&v);
        }
    }
    w.spec_check(&x)?;
    Ok(x)
}

crate::words! {
    /// The credentials of a login that must fail, in the feature's words.
    enum WrongCredentials {
        WrongPassword = "alice's email and a wrong password",
        UnknownUser = "an unknown email and a password" | "an unknown user's email and a password",
    }
}

/// The user name and password of a login that must fail: alice's email with
/// a wrong password, or an unknown user's.
fn wrong_credentials(
    w: &ConformanceWorld,
    which: WrongCredentials,
) -> Result<(String, String), Failure> {
    if which == WrongCredentials::WrongPassword {
        let alice = persona(w, Persona::Alice)?;
        return Ok((alice.username, format!("{}-not-it", alice.password)));
    }
    let unknown = format!(
        "no-such-user-{}@example.com",
        &crate::secret::Token::generate().as_str()[..10]
    );
    Ok((unknown, "Some-Pa55word".to_owned()))
}

/// The check of the last login request's answer: its rule, or a reference
/// check where the document does not say what the server does with it.
fn judged_by(w: &ConformanceWorld) -> Check {
    lf(w).rule.map_or(Check::Reference, Check::Documented)
}

/// A refused login, XML or JSON: no key in the answer (by the rule the
/// request sent is judged by) and, our choice, a non-2xx.
fn login_refused(w: &ConformanceWorld, holds_key: fn(&str) -> bool) -> StepResult {
    let x = w.last_exchange()?;
    w.check_as(
        judged_by(w),
        !holds_key(&x.response_body),
        "no api_key in the refusal",
    )?;
    w.status(
        Check::Reference,
        x,
        Status::NotSuccess,
        "a non-2xx status for a refused login",
    )
}

/// The two refusals a scenario collected (a wrong password, an unknown user)
/// are the same: the documents say nothing of user enumeration, our choice.
fn refusals_identical(w: &ConformanceWorld, answers: &[String], expected: &str) -> StepResult {
    let (Some(a), Some(b)) = (answers.first(), answers.get(1)) else {
        return Err(Failure(
            "this step needs two answers in its scenario".into(),
        ));
    };
    w.reference(a == b, expected)
}
