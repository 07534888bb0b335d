//! The toy's step sentences: the toy's own words, so none matches another
//! vendor's step.

use authconform::harness::world::{Check, ConformanceWorld, Failure, Persona, StepResult};
use authconform::provenance::{Rule, Source};
use cucumber::{then, when};

/// The toy's documented rules: its own table, as each vendor has one.
const SIGN_ON_GIVES_A_TOKEN: Rule = Rule {
    id: "toy.sign-on-gives-a-token",
    says: "a sign-on with the right password answers 200 with a token",
    source: Source::standard(
        "the toy protocol",
        "1",
        "a sign-on answers 200 with a token",
    ),
};
const WHOAMI_NAMES_THE_USER: Rule = Rule {
    id: "toy.whoami-names-the-user",
    says: "whoami with a token names the user it was issued to",
    source: Source::standard("the toy protocol", "2", "whoami names the token's user"),
};
const NO_TOKEN_FOR_A_WRONG_PASSWORD: Rule = Rule {
    id: "toy.no-token-for-a-wrong-password",
    says: "a sign-on with a wrong password gives no token",
    source: Source::standard("the toy protocol", "1", "a wrong password gives no token"),
};

use crate::suite::{self, ToyScenario, ToyTarget};

#[when(regex = r"^(alice|bob) asks the toy for a token( with a wrong password)?$")]
async fn asks_for_token(w: &mut ConformanceWorld, who: Persona, wrong: String) -> StepResult {
    let account = w.account(who)?;
    let password = if wrong.is_empty() {
        account.password.clone()
    } else {
        format!("{}-not-it", account.password)
    };
    w.ctx().secrets.register(&password);
    let x = w.send(suite::login(&account.username, &password)).await?;
    w.scenario_mut::<ToyScenario>().token = x.str_field("token").map(str::to_owned);
    Ok(())
}

#[then("the toy gives her a token")]
async fn gives_token(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    w.status(
        Check::Documented(&SIGN_ON_GIVES_A_TOKEN),
        x,
        200,
        "status 200 for a sign-on",
    )?;
    w.documented(
        &SIGN_ON_GIVES_A_TOKEN,
        w.scenario::<ToyScenario>().token.is_some(),
        "a token in the answer",
    )
}

#[then("the toy gives no token")]
async fn gives_no_token(w: &mut ConformanceWorld) -> StepResult {
    w.documented(
        &NO_TOKEN_FOR_A_WRONG_PASSWORD,
        w.scenario::<ToyScenario>().token.is_none(),
        "no token for a wrong password",
    )
}

#[then(regex = r"^the toy's whoami names (alice|bob)$")]
async fn whoami_names(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let path = w.section::<ToyTarget>("toy")?.whoami_path;
    let token =
        w.scenario::<ToyScenario>().token.clone().ok_or_else(|| {
            Failure("the scenario has no token; ask the toy for one first".into())
        })?;
    let x = w.send(suite::whoami(&path, &token)).await?;
    let username = w.account(who)?.username;
    w.documented(
        &WHOAMI_NAMES_THE_USER,
        x.str_field("username") == Some(username.as_str()),
        &format!("whoami to name {who}"),
    )
}
