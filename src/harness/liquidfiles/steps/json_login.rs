//! The JSON `POST /login` of LiquidFiles v3 (`features/liquidfiles/json_login.feature`).

use cucumber::{then, when};

use super::{
    JsonDocument, WrongCredentials, judged_by, lf, lf_mut, login_refused, persona,
    refusals_identical, send, wrong_credentials,
};
use crate::harness::exchange::{Call, Exchange};
use crate::harness::liquidfiles::api;
use crate::harness::world::{Check, ConformanceWorld, Failure, Persona, Rule, Status, StepResult};
use crate::reference::liquidfiles::rules;

/// Sends a JSON API login and keeps its key and its whole answer for the
/// comparisons.
/// `rule` judges the answer (`None`: a reference check).
async fn post_json(
    w: &mut ConformanceWorld,
    call: Call,
    rule: Option<&'static Rule>,
) -> Result<Exchange, Failure> {
    lf_mut(w).rule = rule;
    let x = send(w, call).await?;
    if let Some(k) = api::json_api_key(&x.response_body).filter(|k| !k.is_empty()) {
        lf_mut(w).json_key = Some(k);
    }
    lf_mut(w)
        .json_answers
        .push(format!("{}\n{}", x.status, x.response_body));
    Ok(x)
}

#[when("alice posts her email and password to /login as JSON")]
async fn json_login(w: &mut ConformanceWorld) -> StepResult {
    let alice = persona(w, Persona::Alice)?;
    post_json(
        w,
        api::json_login(&alice.username, &alice.password),
        Some(&rules::JSON_LOGIN_RETURNS_THE_KEY),
    )
    .await?;
    Ok(())
}

#[when(
    regex = r"^someone posts (alice's email and a wrong password|an unknown email and a password) to /login as JSON$"
)]
async fn json_bad_credentials(w: &mut ConformanceWorld, which: WrongCredentials) -> StepResult {
    let (user, password) = wrong_credentials(w, which)?;
    post_json(
        w,
        api::json_login(&user, &password),
        Some(&rules::NO_KEY_WITHOUT_PASSWORD),
    )
    .await?;
    Ok(())
}

#[when(
    regex = r"^alice posts (JSON that is not well-formed|her email without a password|her credentials outside user) as JSON to /login$"
)]
async fn json_malformed(w: &mut ConformanceWorld, which: JsonDocument) -> StepResult {
    let a = persona(w, Persona::Alice)?;
    let call = match which {
        JsonDocument::NotWellFormed => {
            let text =
                serde_json::json!({ "user": { "email": a.username, "password": a.password } })
                    .to_string();
            // The closing braces cut off.
            let cut = &text[..text.len() - 2];
            Call::new(reqwest::Method::POST, api::LOGIN)
                .raw("application/json", cut.as_bytes().to_vec())
        }
        JsonDocument::NoPassword => {
            api::json_login_body(serde_json::json!({ "user": { "email": a.username } }))
        }
        JsonDocument::OutsideUser => {
            api::json_login_body(serde_json::json!({ "email": a.username, "password": a.password }))
        }
    };
    let rule = (which == JsonDocument::NoPassword).then_some(&rules::NO_KEY_WITHOUT_PASSWORD);
    post_json(w, call, rule).await?;
    Ok(())
}

#[then("the JSON answer is 2xx with a non-empty user.api_key")]
async fn json_success(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    w.check_as(
        judged_by(w),
        api::json_api_key(&x.response_body).is_some_and(|k| !k.is_empty()),
        "a non-empty user.api_key in the JSON answer (seed 001's Response: user: api_key)",
    )?;
    w.status(Check::Reference, x, Status::Success, "a 2xx answer")
}

#[then("the JSON and the XML answer hold the same api_key")]
async fn json_same_as_xml(w: &mut ConformanceWorld) -> StepResult {
    let json = lf(w).json_key.as_ref();
    let xml = lf(w).xml_keys.first();
    w.documented(
        &rules::JSON_LOGIN_RETURNS_THE_KEY,
        json.is_some(),
        "an api_key from the JSON API",
    )?;
    w.documented(
        &rules::XML_LOGIN_RETURNS_THE_KEY,
        xml.is_some(),
        "an api_key from the XML API",
    )?;
    // "The API key doesn't change": it is the user's key, whichever API reads it.
    w.documented(
        &rules::KEY_DOES_NOT_CHANGE,
        json == xml,
        "the same api_key from the JSON and the XML API",
    )
}

#[then("the JSON login is refused without an api_key")]
async fn json_refused(w: &mut ConformanceWorld) -> StepResult {
    // A key for wrong credentials or without the password breaks the
    // documented login; refusing other shapes (not well-formed, no `user`)
    // is our choice. A JSON request may still get an XML answer: a key is a
    // key in either.
    login_refused(w, |body| {
        api::json_holds_key(body) || body.contains("<api_key>") || body.contains("<apikey>")
    })?;
    let x = w.last_exchange()?;
    let errors = x
        .json
        .as_ref()
        .and_then(|j| j.get("errors"))
        .and_then(|e| e.as_array())
        .is_some_and(|e| !e.is_empty() && e.iter().all(|m| m.is_string()));
    w.reference(
        errors,
        "{\"errors\":[\"…\"]} in the refusal, as LiquidFiles' CLI reads it",
    )
}

#[then("both JSON refusals are identical")]
async fn same_json_refusal(w: &mut ConformanceWorld) -> StepResult {
    refusals_identical(
        w,
        &lf(w).json_answers,
        "the same status and body for a wrong password and an unknown user",
    )
}
