//! Step definitions for `features/limecraft/*.feature`.
//!
//! Each step is one sentence of the vendor's domain language; it sends calls
//! from [`api`] and judges the answers. Every response is also checked against
//! `specs/limecraft.openapi.yaml` by [`ConformanceWorld::send_checked`], so the
//! steps only assert what the spec cannot say (which status, which user, whether
//! a token still works).
//!
//! Check (seed 003): every documented check cites its rule
//! (`crate::reference::limecraft::rules`: the seed's words, or RFC 6238 /
//! 6750 / 9110 where the seed relies on them). Everything else is
//! `w.reference`: the status of a refused token (the document lists only 200
//! for GET /authentication/user), every status and body of a refused
//! validation (the document gives only a "default response"), the login
//! body's `status` and `needsSecondToken: false` (the sentence after the
//! example asks only for a token), exact messages, key sizes, the temporary
//! token on GET /authentication/user, a code one step off, the final token
//! refused by validate, date strings.
//!
//! TOTP as the document's own client computes it: a code is tried with the
//! advertised parameters, then as seed 003's sample computes it
//! (`totp(key, {digits: 6, algorithm: 'SHA-1', period: 30})`); either passes,
//! and a server that accepts only the sample's while advertising another is
//! a warning that says which it checks. Once the run has seen which the
//! server checks, only that one is tried.
//!
//! Bookkeeping first: a token or TOTP code the server accepted is filed (the
//! session, `RunContext::last_totp_step`, the enrolment) before any assertion
//! of the same step, the spec check included, so a failed check never makes a
//! later scenario replay a used code or lose an enrolment.

use std::collections::HashMap;
use std::sync::Mutex;

use cucumber::{given, then, when};
use serde_json::Value;

use super::api::{self, Transport};
use crate::harness::exchange::Exchange;
use crate::harness::world::{
    Check, ConformanceWorld, Enrolment, Failure, Persona, Rule, Status, StepResult,
};
use crate::reference::limecraft::{SAMPLE_CLIENT, rules};
use crate::totp::{self, Algorithm, TotpParams};

/// A user id no server is expected to have.
pub(super) const UNKNOWN_USER_ID: &str = "987654321987";

/// The session name of the account with SUPPORT rights (`users.support`).
const SUPPORT: &str = "the support user";

/// What a Limecraft scenario keeps between its steps.
#[derive(Default)]
pub struct LimecraftScenario {
    /// Temporary tokens of logins waiting for their second factor, by persona.
    temporary: HashMap<Persona, String>,
    /// The last TOTP code the scenario sent.
    last_code: Option<String>,
    /// The rule the scenario's last action tests, which the checks of the
    /// steps after it cite (a lifetime, a logout, a transport); `None`:
    /// what those steps check by default.
    because: Option<&'static Rule>,
    /// The rule a refused validation breaks if it was accepted; `None`: a
    /// reference check (a code one step off, the final token of a session).
    refusal_rule: Option<&'static Rule>,
    /// Whether the code sent was the current step's (a code one step off is
    /// accepted only by RFC 6238's recommendation: a reference check).
    code_off_by: i64,
    /// Redirect parameters the scenario sent, by name.
    redirects: HashMap<&'static str, String>,
}

/// Limecraft's state for one run.
#[derive(Default)]
pub struct LimecraftRun {
    /// The TOTP algorithm whose code the server accepted, once seen.
    checked: Mutex<Option<Algorithm>>,
}

fn lc(w: &ConformanceWorld) -> &LimecraftScenario {
    w.scenario()
}

fn lc_mut(w: &mut ConformanceWorld) -> &mut LimecraftScenario {
    w.scenario_mut()
}

/// The rule the scenario's last action tests, or `default`.
fn because(w: &ConformanceWorld, default: &'static Rule) -> Check {
    Check::Documented(lc(w).because.unwrap_or(default))
}

// ---------------------------------------------------------------- login

crate::words! {
    /// How a login sends the credentials, in the feature's words.
    enum Login {
        Json = "a JSON body",
        Form = "form parameters",
        /// The email address the User of the persona's session names.
        Email = "her email address",
        /// As JSON, by a persona whose account refuses it (locked, disabled).
        RightPassword = "the right password",
    }
}

#[when(
    regex = r"^(\w+|the locked user|the disabled user) logs in with (a JSON body|form parameters|her email address|the right password)$"
)]
async fn logs_in(w: &mut ConformanceWorld, who: Persona, how: Login) -> StepResult {
    let account = w.account(who)?;
    let call = match how {
        Login::Form => api::login_form(&account.username, &account.password),
        Login::Email => {
            let email = email_of(w, who).await?;
            api::login_json(&email, &account.password, None)
        }
        Login::Json | Login::RightPassword => {
            api::login_json(&account.username, &account.password, None)
        }
    };
    lc_mut(w).because = match how {
        Login::Json | Login::Form => Some(&rules::LOGIN_FORM_OR_JSON),
        Login::Email => Some(&rules::LOGIN_WITH_EMAIL),
        Login::RightPassword => None,
    };
    let x = w.send(call).await?;
    remember_login(w, who, who.name(), &x);
    if how == Login::RightPassword {
        // The disabled (401) and locked (403) answers: the document gives their
        // statuses; its envelope example is for wrong credentials only.
        spec_check_as_reference(w, &x)
    } else {
        w.spec_check(&x)
    }
}

/// The email address of `who`: the User of her session says it.
async fn email_of(w: &mut ConformanceWorld, who: Persona) -> Result<String, Failure> {
    let token = w.session(who.name())?;
    let x = w
        .send_checked(api::current_user(Some(&token), Transport::Header))
        .await?;
    w.status(
        Check::Documented(&rules::USER_OF_THE_TOKEN),
        &x,
        200,
        &format!("200 with {who}'s User, to read her email address"),
    )?;
    x.str_field("email")
        .map(str::to_owned)
        .ok_or_else(|| w.failure("an email in the User"))
}

/// The spec check of an exchange whose body no document shows, even where the
/// spec's response is marked documented for other causes of the same status.
fn spec_check_as_reference(w: &ConformanceWorld, x: &Exchange) -> StepResult {
    match &x.spec_violation {
        None => Ok(()),
        Some(v) => w.check_as(Check::Reference, false, &v.to_string()),
    }
}

/// Files the token of a successful login: final under `session`, temporary under `who`.
fn remember_login(w: &mut ConformanceWorld, who: Persona, session: &str, x: &Exchange) {
    if x.status != 200 {
        return;
    }
    let Some(token) = x.str_field("token") else {
        return;
    };
    if x.field("needsSecondToken") == Some(&Value::Bool(true)) {
        lc_mut(w).temporary.insert(who, token.to_owned());
    } else {
        w.sessions.insert(session.to_owned(), token.to_owned());
    }
}

#[when(expr = "{persona} logs in with a wrong password")]
async fn logs_in_wrong_password(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let account = w.account(who)?;
    let wrong = format!("{}-not-it", account.password);
    w.ctx().secrets.register(&wrong);
    w.send_checked(api::login_json(&account.username, &wrong, None))
        .await?;
    Ok(())
}

#[when("someone logs in as a user who does not exist")]
async fn logs_in_unknown(w: &mut ConformanceWorld) -> StepResult {
    let name = format!(
        "authconform-nobody-{}",
        crate::secret::Token::generate().as_str()[..8].to_lowercase()
    );
    w.send_checked(api::login_json(&name, "no-such-password-1!", None))
        .await?;
    Ok(())
}

#[then("the login succeeds without a second factor")]
async fn login_succeeds(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    let rule = lc(w).because.unwrap_or(&rules::LOGIN_RETURNS_A_TOKEN);
    w.status(Check::Documented(rule), x, 200, "status 200")?;
    w.documented(
        &rules::LOGIN_RETURNS_A_TOKEN,
        x.str_field("token").is_some_and(|t| !t.is_empty()),
        "a non-empty token",
    )?;
    w.documented(
        &rules::NEEDS_SECOND_TOKEN,
        x.field("needsSecondToken") != Some(&Value::Bool(true)),
        "needsSecondToken not true (the account has no second factor)",
    )?;
    // The example shows both; the sentence after it asks only for a token.
    w.reference(
        x.field("needsSecondToken") == Some(&Value::Bool(false)),
        "needsSecondToken: false, as the example shows",
    )?;
    w.reference(
        x.field("status").and_then(Value::as_i64) == Some(200),
        "status: 200 in the body, as the example shows",
    )
}

#[then(expr = "the login is refused with {int} and the UnauthorizedError envelope")]
async fn login_refused_with_envelope(w: &mut ConformanceWorld, status: u16) -> StepResult {
    let x = w.last_exchange()?;
    let expected = format!(
        "{status} with {{\"type\":\"UnauthorizedError\",\"code\":{status},\"errorNumber\":0,\"message\":…,\"data\":null}}"
    );
    let rule = Check::Documented(&rules::WRONG_CREDENTIALS_ENVELOPE);
    w.status(rule, x, status, &expected)?;
    let body = x.json.as_ref().and_then(Value::as_object);
    let ok = body.is_some_and(|b| {
        b.get("type") == Some(&Value::from("UnauthorizedError"))
            && b.get("code").and_then(Value::as_i64) == Some(status as i64)
            && b.get("errorNumber").and_then(Value::as_i64) == Some(0)
            && b.get("message").is_some_and(Value::is_string)
            && b.get("data") == Some(&Value::Null)
    });
    w.check_as(rule, ok, &expected)?;
    w.documented(
        &rules::TOKEN_ONLY_FOR_RIGHT_CREDENTIALS,
        x.field("token").is_none(),
        "no token in a refusal",
    )?;
    // The example shows five fields; it does not forbid a sixth.
    w.reference(
        body.is_some_and(|b| b.len() == 5),
        "the envelope's five fields and no other",
    )
}

#[then("the message says the username sent was not authorized")]
async fn message_names_username(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    let sent: Value = x
        .request_body
        .as_deref()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    let username = sent
        .get("username")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let message = x.str_field("message").unwrap_or_default();
    // One example message is shown, for one username: its wording is not a rule.
    w.reference(
        message.starts_with(&format!("{username} was not authorized")),
        "a message that starts with \"<username> was not authorized\"",
    )
}

#[then(expr = "the login is refused with {int}")]
async fn login_refused(w: &mut ConformanceWorld, status: u16) -> StepResult {
    let x = w.last_exchange()?;
    let rule = if status == 403 {
        &rules::LOCKED_403
    } else {
        &rules::UNAUTHORIZED_OR_DISABLED_401
    };
    w.status(
        Check::Documented(rule),
        x,
        status,
        &format!("status {status}"),
    )?;
    w.documented(
        &rules::TOKEN_ONLY_FOR_RIGHT_CREDENTIALS,
        x.field("token").is_none(),
        "no token in a refusal",
    )
}

// ---------------------------------------------------------------- redirect parameters

/// A URL on the target's own host, for a redirect parameter: what a browser
/// client of the deployment would send (`https://platform.limecraft.com/#auth/error/`
/// is the seed's example).
fn url_on_target(w: &ConformanceWorld, fragment: &str) -> String {
    let base = w.ctx().target.base_url.clone();
    let origin = url::Url::parse(&base)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or(base);
    format!("{origin}/#auth/{fragment}/")
}

#[when(expr = "{persona} logs in without a password, with redirectIfPassword")]
async fn logs_in_without_password(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let account = w.account(who)?;
    let to = url_on_target(w, "password");
    lc_mut(w).redirects.insert("redirectIfPassword", to.clone());
    w.send_checked(api::login_form_with(&[
        ("username", &account.username),
        ("redirectIfPassword", &to),
    ]))
    .await?;
    Ok(())
}

/// Where the last answer redirects to, resolved against its request's URL.
fn redirect_target(x: &Exchange) -> Option<String> {
    let location = x
        .response_headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("location"))
        .map(|(_, v)| v.as_str())?;
    let base = url::Url::parse(&x.url).ok()?;
    base.join(location).ok().map(String::from)
}

/// Whether `x` redirects (a 3xx, RFC 9110 §15.4) to `to`.
fn redirects_to(x: &Exchange, to: &str) -> bool {
    (300..400).contains(&x.status)
        && redirect_target(x).is_some_and(|at| {
            url::Url::parse(to).is_ok_and(|to| url::Url::parse(&at).is_ok_and(|at| at == to))
        })
}

#[then("the login redirects to redirectIfPassword")]
async fn redirected_to_redirect_if_password(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    let to = lc(w)
        .redirects
        .get("redirectIfPassword")
        .cloned()
        .unwrap_or_default();
    w.documented(
        &rules::REDIRECT_IF_PASSWORD,
        redirects_to(x, &to),
        &format!("a redirect (3xx) with Location {to}"),
    )?;
    w.documented(
        &rules::TOKEN_ONLY_FOR_RIGHT_CREDENTIALS,
        x.field("token").is_none(),
        "no token without a password",
    )?;
    w.status(Check::Reference, x, 302, "302 Found")
}

/// The SAML redirect parameters of the login (form) and the LogoutRequest.
fn saml_redirects(w: &mut ConformanceWorld) -> Vec<(&'static str, String)> {
    let params = vec![
        ("redirectIfOk", url_on_target(w, "ok")),
        ("redirectIfFailed", url_on_target(w, "error")),
        ("redirectIfSaml", url_on_target(w, "saml")),
    ];
    for (k, v) in &params {
        lc_mut(w).redirects.insert(k, v.clone());
    }
    params
}

#[when(expr = "{persona} logs in with the SAML redirect parameters")]
async fn logs_in_with_saml_redirects(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let account = w.account(who)?;
    let params = saml_redirects(w);
    let mut pairs: Vec<(&str, &str)> = vec![
        ("username", &account.username),
        ("password", &account.password),
    ];
    pairs.extend(params.iter().map(|(k, v)| (*k, v.as_str())));
    let x = w.send(api::login_form_with(&pairs)).await?;
    remember_login(w, who, who.name(), &x);
    w.spec_check(&x)
}

#[when(expr = "{persona} logs out with the SAML redirect parameters")]
async fn logs_out_with_saml_redirects(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let token = w.session(who.name())?;
    let params = saml_redirects(w);
    let body: serde_json::Map<String, Value> = params
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::String(v)))
        .collect();
    lc_mut(w).because = Some(&rules::LOGOUT_ENDS_THE_SESSION);
    w.send_checked(api::logout_with(&token, Value::Object(body)))
        .await?;
    Ok(())
}

crate::words! {
    /// What a call with the SAML redirect parameters was.
    enum SamlCall { Login = "login", Logout = "logout" }
}

#[then(regex = r"^the (login|logout) succeeds or redirects to redirectIfOk$")]
async fn succeeds_or_redirects_to_ok(w: &mut ConformanceWorld, call: SamlCall) -> StepResult {
    let what = match call {
        SamlCall::Login => "login",
        SamlCall::Logout => "logout",
    };
    let x = w.last_exchange()?;
    let ok = lc(w)
        .redirects
        .get("redirectIfOk")
        .cloned()
        .unwrap_or_default();
    let succeeded = match call {
        SamlCall::Login => x.status == 200 && x.str_field("token").is_some_and(|t| !t.is_empty()),
        SamlCall::Logout => x.status == 200,
    };
    // For a user without SAML they change nothing; a server may still send
    // the browser to redirectIfOk after a success.
    w.documented(
        &rules::SAML_REDIRECTS_OPTIONAL,
        succeeded || redirects_to(x, &ok),
        &format!("the {what} to succeed (200) or redirect to redirectIfOk {ok}"),
    )?;
    w.reference(succeeded, &format!("200: the {what} as without them"))
}

// ---------------------------------------------------------------- sessions

#[given(regex = r"^(\w+) has logged in(?: as session (\w+))?( with rememberMe)?$")]
async fn has_logged_in(
    w: &mut ConformanceWorld,
    who: Persona,
    session: String,
    remember: String,
) -> StepResult {
    let session = if session.is_empty() {
        who.name().to_owned()
    } else {
        session
    };
    let remember_me = (!remember.is_empty()).then_some(true);
    log_in_fully(w, who, &session, remember_me).await?;
    lc_mut(w).because = Some(&rules::SESSION_LIFETIME);
    Ok(())
}

/// Logs a persona in, completing the second factor when the account has one.
async fn log_in_fully(
    w: &mut ConformanceWorld,
    who: Persona,
    session: &str,
    remember_me: Option<bool>,
) -> StepResult {
    let account = w.account(who)?;
    let x = w
        .send(api::login_json(
            &account.username,
            &account.password,
            remember_me,
        ))
        .await?;
    remember_login(w, who, session, &x);
    w.spec_check(&x)?;
    w.documented(
        &rules::LOGIN_RETURNS_A_TOKEN,
        x.status == 200 && x.str_field("token").is_some(),
        &format!("{who} to log in (200 with a token)"),
    )?;
    if lc(w).temporary.contains_key(&who) && !w.sessions.contains_key(session) {
        let token = match remember_me {
            Some(true) => TokenChoice::RememberMe,
            _ => TokenChoice::Temporary(Transport::Header),
        };
        let x = validate_code(w, who, session, CodeChoice::Current, token).await?;
        w.documented(
            &rules::VALIDATE_GIVES_THE_FINAL_TOKEN,
            final_token(&x).is_some(),
            &format!("{who}'s second factor to be accepted (a 2xx RestToken with the final token)"),
        )?;
        w.status(
            Check::Reference,
            &x,
            200,
            &format!("{who}'s second factor to be accepted with 200"),
        )?;
    }
    Ok(())
}

#[given("the support user has logged in")]
async fn support_has_logged_in(w: &mut ConformanceWorld) -> StepResult {
    let account = support_account(w)?;
    let x = w
        .send_checked(api::login_json(&account.username, &account.password, None))
        .await?;
    w.documented(
        &rules::LOGIN_RETURNS_A_TOKEN,
        x.status == 200 && x.field("needsSecondToken") != Some(&Value::Bool(true)),
        "the support user to log in (200 with a final token; give `users.support` without a second factor)",
    )?;
    let token = x
        .str_field("token")
        .ok_or_else(|| w.failure("a token"))?
        .to_owned();
    w.sessions.insert(SUPPORT.to_owned(), token);
    Ok(())
}

fn support_account(w: &ConformanceWorld) -> Result<crate::harness::target::Account, Failure> {
    w.ctx()
        .target
        .users
        .support
        .clone()
        .ok_or_else(|| Failure("the target file has no `users.support` account".into()))
}

crate::words! {
    /// What a step expects of a session token.
    enum Verdict { Accepted = "still accepted", Refused = "refused" }
}

#[then(regex = r"^(?:session (\w+)|(\w+)'s token) is (still accepted|refused)$")]
async fn token_is(
    w: &mut ConformanceWorld,
    session: String,
    who: String,
    verdict: Verdict,
) -> StepResult {
    let name = if session.is_empty() { who } else { session };
    let token = w.session(&name)?;
    let x = w
        .send_checked(api::current_user(Some(&token), Transport::Header))
        .await?;
    match verdict {
        Verdict::Accepted => w.status(
            because(w, &rules::USER_OF_THE_TOKEN),
            &x,
            200,
            &format!("{name}'s token to be accepted (200)"),
        ),
        Verdict::Refused => refused(
            w,
            &x,
            because(w, &rules::TOKEN_REQUIRED),
            &format!("{name}'s token to be refused"),
        ),
    }
}

/// GET /authentication/user refused a token: the document lists only "200 User
/// is logged in", so any non-2xx refuses; 401 is the reference server's status
/// (RFC 6750 §3.1: "SHOULD").
fn refused(w: &ConformanceWorld, x: &Exchange, check: Check, what: &str) -> StepResult {
    w.status(
        check,
        x,
        Status::NotSuccess,
        &format!("{what} (no User: not a 2xx)"),
    )?;
    w.status(Check::Reference, x, 401, &format!("{what} with 401"))
}

#[then(regex = r"^(\w+)'s token identifies (\w+)$")]
async fn token_identifies(w: &mut ConformanceWorld, session: String, who: Persona) -> StepResult {
    let token = w.session(&session)?;
    w.send_checked(api::current_user(Some(&token), Transport::Header))
        .await?;
    is_user(w, who)
}

/// The last response is 200 with the User of `who`.
fn is_user(w: &ConformanceWorld, who: Persona) -> StepResult {
    let account = w.account(who)?;
    let x = w.last_exchange()?;
    w.status(
        because(w, &rules::USER_OF_THE_TOKEN),
        x,
        200,
        &format!("200 with {who}'s User"),
    )?;
    let matches = |field: &str| {
        x.str_field(field)
            .is_some_and(|v| v.eq_ignore_ascii_case(&account.username))
    };
    w.documented(
        &rules::USER_OF_THE_TOKEN,
        matches("username") || matches("email"),
        &format!(
            "the User of {who} (username or email `{}`)",
            account.username
        ),
    )?;
    w.documented(
        &rules::USER_FIELDS,
        x.field("id").is_some_and(Value::is_i64),
        "an integer id",
    )?;
    w.documented(
        &rules::USER_FIELDS,
        x.str_field("email").is_some(),
        "an email",
    )?;
    // "Date / date-time": a Java server may write epoch milliseconds (Jackson's default).
    let dates_are_text = ["created", "lastUpdated", "activated", "lastSeen"]
        .iter()
        .all(|f| x.field(f).is_none_or(|v| v.is_null() || v.is_string()));
    w.reference(dates_are_text, "dates as RFC 3339 strings")
}

#[when(expr = "{persona} asks who she/he/they is/are with her/his/their token in {transport}")]
async fn asks_who(w: &mut ConformanceWorld, who: Persona, transport: Transport) -> StepResult {
    let token = w.session(who.name())?;
    lc_mut(w).because = Some(&rules::TOKEN_TRANSPORTS);
    w.send_checked(api::current_user(Some(&token), transport))
        .await?;
    Ok(())
}

/// The Authorization header under another spelling of its name than the
/// document's (RFC 9110 §5.1: names are case-insensitive).
#[when(expr = "{persona} asks who she is with the header name in lower case")]
async fn asks_who_lower_case(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let token = w.session(who.name())?;
    lc_mut(w).because = Some(&rules::HEADER_NAMES_ANY_CASE);
    let call = crate::harness::exchange::Call::new(reqwest::Method::GET, api::USER).header(
        &api::AUTHORIZATION.to_ascii_lowercase(),
        &format!("Bearer {token}"),
    );
    w.send_checked(call).await?;
    Ok(())
}

#[then(regex = r"^the answer is (\w+)'s user with id, username and email$")]
async fn answer_is_user(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    is_user(w, who)
}

crate::words! {
    /// A token GET /authentication/user must refuse, in the feature's words.
    enum BadToken {
        Missing = "no token", Garbage = "a garbage token",
        EmptyBearer = "an empty Bearer token",
    }
}

#[when(
    regex = r"^someone asks who they are with (no token|a garbage token|an empty Bearer token)$"
)]
async fn asks_with_bad_token(w: &mut ConformanceWorld, token: BadToken) -> StepResult {
    let call = api::current_user(None, Transport::Header);
    let call = match token {
        BadToken::Garbage => call.header(
            api::AUTHORIZATION,
            &format!("Bearer {}", crate::secret::Token::generate().as_str()),
        ),
        BadToken::EmptyBearer => call.header(api::AUTHORIZATION, "Bearer "),
        BadToken::Missing => call,
    };
    lc_mut(w).because = Some(match token {
        BadToken::Missing => &rules::TOKEN_REQUIRED,
        BadToken::Garbage | BadToken::EmptyBearer => &rules::INVALID_BEARER_REFUSED,
    });
    w.send_checked(call).await?;
    Ok(())
}

/// enable2fa's documented statuses; their bodies are not documented, and the
/// spec check reports those as reference.
#[then(regex = r"^the request is refused with (403|404)$")]
async fn request_refused(w: &mut ConformanceWorld, status: u16) -> StepResult {
    let x = w.last_exchange()?;
    let rule = if status == 404 {
        &rules::ENABLE2FA_UNKNOWN_404
    } else {
        &rules::ENABLE2FA_OWN_OR_SUPPORT
    };
    w.status(
        Check::Documented(rule),
        x,
        status,
        &format!("status {status}"),
    )
}

/// An unknown id asked for by a caller without SUPPORT rights: the document
/// gives 403 (no rights) and 404 (no such user), and no order between them.
#[then("the request is refused with 404, or 403 to a caller without SUPPORT rights")]
async fn request_refused_unknown(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    w.status(
        Check::Documented(&rules::ENABLE2FA_UNKNOWN_404),
        x,
        Status::Either(404, 403),
        "status 404 (the user was not found) or 403 (no SUPPORT rights)",
    )?;
    w.status(
        Check::Reference,
        x,
        404,
        "status 404: existence checked first",
    )
}

#[then("the request is refused without a User")]
async fn request_refused_any(w: &mut ConformanceWorld) -> StepResult {
    let check = because(w, &rules::TOKEN_REQUIRED);
    refused(w, w.last_exchange()?, check, "the request to be refused")
}

// ---------------------------------------------------------------- two-factor

#[given(expr = "{persona} has enabled two-factor authentication")]
async fn has_enabled_two_factor(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    if w.ctx().enrolment.lock().expect("enrolment lock").is_some() {
        return Ok(());
    }
    log_in_fully(w, who, who.name(), None).await?;
    enable_for_self(w, who).await?;
    let x = w.last_exchange()?;
    w.status(
        Check::Documented(&rules::ENABLE2FA_ENABLES),
        x,
        200,
        &format!("{who} to enable two-factor authentication (200)"),
    )
}

#[when(regex = r"^(\w+) enables two-factor authentication for herself( again, with redo)?$")]
async fn enables_for_herself(w: &mut ConformanceWorld, who: Persona, again: String) -> StepResult {
    if !again.is_empty() && w.ctx().enrolment.lock().expect("enrolment lock").is_none() {
        return Err(Failure(format!(
            "{who} has no second factor the suite knows to enable again"
        )));
    }
    lc_mut(w).because = Some(if again.is_empty() {
        &rules::ENABLE2FA_ENABLES
    } else {
        &rules::ENABLE2FA_REDO
    });
    enable_for_self(w, who).await
}

/// Enables 2FA on the persona's own id and, on success, files the enrolment.
async fn enable_for_self(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let token = w.session(who.name())?;
    let id = user_id(w, &token).await?;
    enable_for(w, &token, &id).await
}

/// Enables 2FA on `id` with `token`'s session; on success the suite adopts
/// the new enrolment (the account's only second factor it knows).
async fn enable_for(w: &mut ConformanceWorld, token: &str, id: &str) -> StepResult {
    // Enabling again: `redo` (the document's "run again") and, as proof a
    // server may ask for instead, a current code of the known second factor.
    let known = w.ctx().enrolment.lock().expect("enrolment lock").clone();
    let again = match known {
        Some(e) => Some(Some(current_code(w, &e).await?)),
        None => None,
    };
    let x = w
        .send(api::enable_two_factor(
            token,
            id,
            again.as_ref().map(|c| c.as_deref()),
        ))
        .await?;
    if Status::Success.holds(x.status)
        && let Some(enrolment) = enrolment_of(&x)
    {
        *w.ctx().enrolment.lock().expect("enrolment lock") = Some(enrolment);
        set_checked(w, None);
    }
    w.spec_check(&x)
}

/// A current code of `e`, as the server checks it once the run has seen that.
async fn current_code(w: &ConformanceWorld, e: &Enrolment) -> Result<String, Failure> {
    let params = candidates(w, e)[0];
    let e = Enrolment {
        secret: e.secret.clone(),
        params,
    };
    Ok(w.fresh_totp_code(&e, 0).await?.0)
}

async fn user_id(w: &mut ConformanceWorld, token: &str) -> Result<String, Failure> {
    let x = w
        .send_checked(api::current_user(Some(token), Transport::Header))
        .await?;
    w.status(
        Check::Documented(&rules::USER_OF_THE_TOKEN),
        &x,
        200,
        "GET /authentication/user to answer 200 with the caller's id",
    )?;
    x.field("id")
        .and_then(Value::as_i64)
        .map(|id| id.to_string())
        .ok_or_else(|| w.failure("an integer id in the User"))
}

/// The enrolment an enable2fa answer gives: its key, and its parameters or,
/// where it leaves one out (the table marks them optional), the sample
/// client's (SHA-1, 6 digits, 30 s).
pub(super) fn enrolment_of(x: &Exchange) -> Option<Enrolment> {
    let secret = totp::decode_secret(x.str_field("key")?).filter(|s| !s.is_empty())?;
    let algorithm = match x.str_field("hashingAlgorithm") {
        Some(name) => totp::parse_algorithm(name)?,
        None => SAMPLE_CLIENT.algorithm,
    };
    let digits = match x.field("digits").filter(|v| !v.is_null()) {
        Some(d) => usize::try_from(d.as_u64()?).ok().filter(|d| *d > 0)?,
        None => SAMPLE_CLIENT.digits,
    };
    let period = match x.field("period").filter(|v| !v.is_null()) {
        Some(p) => p.as_u64().filter(|p| *p > 0)?,
        None => SAMPLE_CLIENT.period,
    };
    Some(Enrolment {
        secret,
        params: TotpParams {
            algorithm,
            digits,
            period,
        },
    })
}

#[then("she receives a TOTP key with its algorithm, digits, period and QR URI")]
async fn receives_totp_key(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    let rule = lc(w).because.unwrap_or(&rules::ENABLE2FA_ENABLES);
    w.status(
        Check::Documented(rule),
        x,
        200,
        "200 with the TOTP enrolment",
    )?;
    let key = totp::decode_secret(x.str_field("key").unwrap_or_default());
    w.documented(
        &rules::ENABLE2FA_ANSWERS_THE_KEY,
        key.as_ref().is_some_and(|k| !k.is_empty()),
        "a key in base32, as the document's sample library reads it",
    )?;
    w.documented(
        &rules::ENABLE2FA_ANSWERS_THE_KEY,
        enrolment_of(x).is_some(),
        "parameters the suite can compute codes with (hashingAlgorithm SHA1, SHA256 or SHA512, positive digits and period)",
    )?;
    // The document's example key is 65 bits; 128 is RFC 4226's minimum (R6).
    w.reference(
        key.is_some_and(|s| s.len() >= 16),
        "a key of at least 128 bits",
    )?;
    // The table marks every field optional; the example shows all five.
    w.reference(
        ["hashingAlgorithm", "digits", "period"]
            .iter()
            .all(|f| x.field(f).is_some_and(|v| !v.is_null())),
        "hashingAlgorithm, digits and period, as the example shows",
    )?;
    w.reference(
        x.field("digits")
            .and_then(Value::as_u64)
            .is_some_and(|d| (6..=8).contains(&d)),
        "digits between 6 and 8 (RFC 4226)",
    )?;
    // The example's qr is "".
    w.reference(x.str_field("qr").is_some(), "a qr string")
}

crate::words! {
    /// Whom a user enables two-factor authentication for, other than themself.
    enum Other { Bob = "bob", Carol = "carol", Unknown = "a user who does not exist" }
}

#[when(
    regex = r"^(\w+|the support user) enables two-factor authentication for (bob|carol|a user who does not exist)$"
)]
async fn enables_for_other(w: &mut ConformanceWorld, who: String, whom: Other) -> StepResult {
    let (session, rule) = if who == SUPPORT {
        (SUPPORT.to_owned(), &rules::ENABLE2FA_OWN_OR_SUPPORT)
    } else {
        let who: Persona = who.parse().map_err(Failure)?;
        (who.name().to_owned(), &rules::ENABLE2FA_OWN_OR_SUPPORT)
    };
    let token = w.session(&session)?;
    let id = match whom {
        Other::Bob | Other::Carol => {
            let other = if whom == Other::Bob {
                Persona::Bob
            } else {
                Persona::Carol
            };
            log_in_fully(w, other, other.name(), None).await?;
            let session = w.session(other.name())?;
            user_id(w, &session).await?
        }
        Other::Unknown => UNKNOWN_USER_ID.to_owned(),
    };
    lc_mut(w).because = Some(rule);
    if whom == Other::Carol {
        // carol's second factor is the suite's: adopt the new key.
        enable_for(w, &token, &id).await
    } else {
        w.send_checked(api::enable_two_factor(&token, &id, None))
            .await?;
        Ok(())
    }
}

#[then("the login asks for a second token and issues a temporary token")]
async fn login_asks_second_token(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    let rule = Check::Documented(&rules::NEEDS_SECOND_TOKEN);
    w.status(rule, x, 200, "status 200")?;
    w.check_as(
        rule,
        x.field("needsSecondToken") == Some(&Value::Bool(true)),
        "needsSecondToken: true",
    )?;
    w.check_as(
        rule,
        x.str_field("token").is_some_and(|t| !t.is_empty()),
        "a temporary token",
    )
}

/// The seed says what the temporary token is for, not what else refuses it.
#[then(expr = "{persona}'s temporary token does not identify her")]
async fn temporary_does_not_identify(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let token = temporary(w, who)?;
    let x = w
        .send_checked(api::current_user(Some(&token), Transport::Header))
        .await?;
    refused(
        w,
        &x,
        Check::Reference,
        "the temporary token to be refused by GET /authentication/user",
    )
}

fn temporary(w: &ConformanceWorld, who: Persona) -> Result<String, Failure> {
    lc(w).temporary.get(&who).cloned().ok_or_else(|| {
        w.failure(&format!(
            "a temporary token from {who}'s login (needsSecondToken true)"
        ))
    })
}

/// Which code a validation sends, in the feature's words.
#[derive(Clone, Copy, Debug)]
enum CodeChoice {
    Current,
    Wrong,
    Again,
    PeriodsFromNow(i64),
}

impl std::str::FromStr for CodeChoice {
    type Err = String;

    fn from_str(words: &str) -> Result<Self, Self::Err> {
        match words {
            "the current code" => Ok(CodeChoice::Current),
            "a wrong code" => Ok(CodeChoice::Wrong),
            "the same code again" => Ok(CodeChoice::Again),
            _ => words
                .strip_prefix("the code ")
                .and_then(|w| w.strip_suffix(" periods from now"))
                .and_then(|k| k.parse().ok())
                .map(CodeChoice::PeriodsFromNow)
                .ok_or_else(|| format!("`{words}` is not a code the suite can send")),
        }
    }
}

/// Which token authenticates a validation, in the feature's words.
#[derive(Clone, Copy, Debug)]
enum TokenChoice {
    /// The login's temporary token, in a transport ("her temporary token in the header").
    Temporary(Transport),
    /// The temporary token in the header, and `rememberMe` in the body.
    RememberMe,
    None,
    FinalOfSession,
}

impl std::str::FromStr for TokenChoice {
    type Err = String;

    fn from_str(words: &str) -> Result<Self, Self::Err> {
        match words {
            "no token" => Ok(TokenChoice::None),
            "the final token of her session" => Ok(TokenChoice::FinalOfSession),
            "rememberMe" => Ok(TokenChoice::RememberMe),
            _ => match words.strip_prefix("her temporary token in ") {
                Some(transport) => transport
                    .parse()
                    .map(TokenChoice::Temporary)
                    .map_err(|_| format!("`{transport}` is not a transport")),
                None => Err(format!("`{words}` is not a token the suite can send")),
            },
        }
    }
}

#[when(
    regex = r"^(\w+) validates (the current code|a wrong code|the same code again|the code -?\d+ periods from now) with (her temporary token in the header|her temporary token in the query string|no token|the final token of her session|rememberMe)$"
)]
async fn validates(
    w: &mut ConformanceWorld,
    who: Persona,
    code: CodeChoice,
    token: TokenChoice,
) -> StepResult {
    validate_code(w, who, who.name(), code, token).await?;
    Ok(())
}

/// The algorithm the server was seen to accept codes of, in this run.
fn checked(w: &ConformanceWorld) -> Option<Algorithm> {
    *w.ctx()
        .run_state::<LimecraftRun>()
        .checked
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fn set_checked(w: &ConformanceWorld, algorithm: Option<Algorithm>) {
    *w.ctx()
        .run_state::<LimecraftRun>()
        .checked
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = algorithm;
}

/// The parameters to try a code with, in order: the advertised ones, then
/// the sample client's (SHA-1, 6 digits, 30 s); only the one the server was
/// seen to accept, once the run has seen it.
fn candidates(w: &ConformanceWorld, e: &Enrolment) -> Vec<TotpParams> {
    match checked(w) {
        Some(a) if a == e.params.algorithm => vec![e.params],
        Some(a) if a == SAMPLE_CLIENT.algorithm => vec![SAMPLE_CLIENT],
        _ if e.params == SAMPLE_CLIENT => vec![e.params],
        _ => vec![e.params, SAMPLE_CLIENT],
    }
}

/// Sends a code to 2fa/validate, with each candidate's parameters in turn
/// until one is accepted (a second try logs in again, so a server that ends
/// a temporary token after one wrong code still gets a fair one). Codes are
/// computed at the server's time; the clock is moved (or waited for) so that
/// the code's step is newer than any the suite had accepted, so a refusal is
/// never just the replay rule. A final token the server issued is filed as
/// `session`, and its code's step as used, before the spec check.
async fn validate_code(
    w: &mut ConformanceWorld,
    who: Persona,
    session: &str,
    code: CodeChoice,
    token: TokenChoice,
) -> Result<Exchange, Failure> {
    let ctx = w.ctx();
    let enrolment = ctx
        .enrolment
        .lock()
        .expect("enrolment lock")
        .clone()
        .ok_or_else(|| Failure(format!("{who} has no 2FA enrolment the suite knows; give `users.twofactor.totp_secret` or let the suite enable 2FA")))?;
    {
        let s = lc_mut(w);
        s.code_off_by = match code {
            CodeChoice::PeriodsFromNow(k) => k,
            _ => 0,
        };
        s.because = Some(match token {
            TokenChoice::RememberMe => &rules::VALIDATE_REMEMBER_ME,
            _ => &rules::VALIDATE_GIVES_THE_FINAL_TOKEN,
        });
        s.refusal_rule = match (code, token) {
            (_, TokenChoice::None) => Some(&rules::VALIDATE_WITH_THE_TEMPORARY_TOKEN),
            (_, TokenChoice::FinalOfSession) => None,
            (CodeChoice::Again, _) => Some(&rules::CODE_NOT_REUSED),
            (CodeChoice::PeriodsFromNow(k), _) if k.abs() <= 1 => None,
            _ => Some(&rules::WRONG_CODE_FAILS),
        };
    }
    let tries = match code {
        // The same code as before: one try.
        CodeChoice::Again => vec![enrolment.params],
        // One code unlike every candidate's: one try.
        CodeChoice::Wrong => vec![enrolment.params],
        _ => candidates(w, &enrolment),
    };
    let mut last = None;
    for (i, params) in tries.iter().enumerate() {
        let uses_temporary = matches!(token, TokenChoice::Temporary(_) | TokenChoice::RememberMe);
        if i > 0 && uses_temporary {
            relogin(w, who).await?;
        }
        let e = Enrolment {
            secret: enrolment.secret.clone(),
            params: *params,
        };
        let (code_text, code_step) = match code {
            CodeChoice::Again => (
                lc(w)
                    .last_code
                    .clone()
                    .ok_or_else(|| Failure("no code was sent before in this scenario".into()))?,
                None,
            ),
            CodeChoice::Current => w.fresh_totp_code(&e, 0).await?,
            CodeChoice::Wrong => {
                let (c, step) = w.fresh_totp_code(&e, 0).await?;
                let now = ctx.clock.now().await?;
                let others: Vec<String> = candidates(w, &enrolment)
                    .into_iter()
                    .flat_map(|p| {
                        let s = &enrolment.secret;
                        (-1..=1).map(move |k| totp::code_at(p, s, now + k * p.period as i64))
                    })
                    .collect();
                (wrong_code(&c, &others), step)
            }
            CodeChoice::PeriodsFromNow(k) => w.fresh_totp_code(&e, k).await?,
        };
        let presented = match token {
            TokenChoice::Temporary(_) | TokenChoice::RememberMe => Some(temporary(w, who)?),
            TokenChoice::None => None,
            TokenChoice::FinalOfSession => Some(w.session(who.name())?),
        };
        let transport = match token {
            TokenChoice::Temporary(t) => t,
            _ => Transport::Header,
        };
        let remember_me = matches!(token, TokenChoice::RememberMe).then_some(true);
        lc_mut(w).last_code = Some(code_text.clone());
        let x = w
            .send(api::validate(
                presented.as_deref(),
                transport,
                &code_text,
                remember_me,
            ))
            .await?;
        if let Some(token) = final_token(&x) {
            w.sessions.insert(session.to_owned(), token.to_owned());
            // The server now refuses this step and older ones; so might a server that
            // (wrongly) accepted a wrong code at its current step.
            // A clock that cannot be read still leaves the code's own step filed.
            let now_step = ctx
                .clock
                .now()
                .await
                .ok()
                .map(|now| totp::step_of(now, params.period));
            if let Some(used) = code_step.max(now_step) {
                let mut last = ctx.last_totp_step.lock().expect("totp step lock");
                *last = Some(last.map_or(used, |l| l.max(used)));
            }
            if !matches!(code, CodeChoice::Wrong | CodeChoice::Again) {
                accepted_with(w, &enrolment, params.algorithm)?;
            }
            w.spec_check(&x)?;
            return Ok(x);
        }
        last = Some(x);
    }
    let x = last.ok_or_else(|| Failure("no code was tried".into()))?;
    w.spec_check(&x)?;
    Ok(x)
}

/// Files which algorithm's code the server accepted, and warns when it is
/// not the advertised one.
fn accepted_with(w: &ConformanceWorld, e: &Enrolment, algorithm: Algorithm) -> StepResult {
    set_checked(w, Some(algorithm));
    w.reference(
        algorithm == e.params.algorithm,
        &format!(
            "codes of the advertised hashingAlgorithm {}; the server checks {} codes, as seed 003's \
             sample computes them (totp(key, {{digits: 6, algorithm: 'SHA-1', period: 30}}))",
            totp::algorithm_name(e.params.algorithm),
            totp::algorithm_name(algorithm)
        ),
    )
}

/// Logs `who` in again for a fresh temporary token (a second try of a code).
async fn relogin(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let account = w.account(who)?;
    let x = w
        .send(api::login_json(&account.username, &account.password, None))
        .await?;
    if x.field("needsSecondToken") == Some(&Value::Bool(true))
        && let Some(t) = x.str_field("token")
    {
        lc_mut(w).temporary.insert(who, t.to_owned());
    }
    Ok(())
}

/// The final token of a validation the server accepted: a 2xx RestToken with a
/// token that does not ask for a further step (`needsSecondToken` true would).
/// The document gives 2fa/validate only a "default response", so the status
/// of a refusal, or whether it is a 2xx RestToken without a token, is open.
pub(super) fn final_token(x: &Exchange) -> Option<&str> {
    if !Status::Success.holds(x.status) || x.field("needsSecondToken") == Some(&Value::Bool(true)) {
        return None;
    }
    x.str_field("token").filter(|t| !t.is_empty())
}

/// A code of the same length as `code` that differs in every digit from it
/// and from each of `others` (the other candidates' codes, the steps around).
pub(super) fn wrong_code(code: &str, others: &[String]) -> String {
    code.chars()
        .enumerate()
        .map(|(i, c)| {
            let taken: Vec<char> = std::iter::once(c)
                .chain(others.iter().filter_map(|o| o.chars().nth(i)))
                .collect();
            ('0'..='9').find(|d| !taken.contains(d)).unwrap_or('0')
        })
        .collect()
}

#[then("she receives a final token")]
async fn receives_final_token(w: &mut ConformanceWorld) -> StepResult {
    validation_accepted(w)
}

crate::words! {
    /// What a step expects of a second-factor validation.
    enum Validation { Accepted = "accepted", Refused = "refused" }
}

#[then(regex = r"^the validation is (accepted|refused)$")]
async fn validation_is(w: &mut ConformanceWorld, outcome: Validation) -> StepResult {
    match outcome {
        Validation::Accepted => validation_accepted(w),
        Validation::Refused => validation_refused(w),
    }
}

#[then("the validation is refused and no token is issued")]
async fn validation_refused_step(w: &mut ConformanceWorld) -> StepResult {
    validation_refused(w)
}

fn validation_accepted(w: &ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    // A code one step off: RFC 6238 §5.2 recommends accepting it, no more.
    let check = if lc(w).code_off_by == 0 {
        Check::Documented(&rules::CODE_FROM_ADVERTISED_DATA)
    } else {
        Check::Reference
    };
    w.check_as(
        check,
        final_token(x).is_some(),
        "a 2xx RestToken with a final token (needsSecondToken not true)",
    )?;
    w.status(Check::Reference, x, 200, "200 with the final token")?;
    let token = x.str_field("token");
    w.reference(
        !lc(w).temporary.values().any(|t| Some(t.as_str()) == token),
        "a new final token, not the temporary one",
    )
}

fn validation_refused(w: &ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    // A server may echo the temporary token in a refusal; only a new token is issued.
    let issued = final_token(x).filter(|t| !lc(w).temporary.values().any(|v| v == t));
    let check = lc(w)
        .refusal_rule
        .map_or(Check::Reference, Check::Documented);
    w.check_as(
        check,
        issued.is_none(),
        "no final token (a refusal, whatever its status)",
    )?;
    w.status(Check::Reference, x, Status::ClientError, "a 4xx refusal")?;
    w.reference(x.str_field("token").is_none(), "no token in a refusal")
}

// ---------------------------------------------------------------- logout

#[when(
    regex = r"^(?:session (\w+)|(\w+)) logs out( of all sessions)?(?: with (?:her|his) token in (the query string))?$"
)]
async fn logs_out(
    w: &mut ConformanceWorld,
    session: String,
    who: String,
    all: String,
    transport: String,
) -> StepResult {
    let name = if session.is_empty() { who } else { session };
    let token = w.session(&name)?;
    let transport = if transport.is_empty() {
        Transport::Header
    } else {
        transport
            .parse()
            .map_err(|_| Failure(format!("`{transport}` is not a transport")))?
    };
    lc_mut(w).because = Some(if all.is_empty() {
        &rules::LOGOUT_ENDS_THE_SESSION
    } else {
        &rules::LOGOUT_ALL_SESSIONS
    });
    w.send_checked(api::logout(&token, transport, !all.is_empty()))
        .await?;
    Ok(())
}

#[when("someone logs out with a garbage token")]
async fn logs_out_garbage(w: &mut ConformanceWorld) -> StepResult {
    let garbage = crate::secret::Token::generate();
    w.send_checked(api::logout(garbage.as_str(), Transport::Header, false))
        .await?;
    Ok(())
}

#[then("the logout succeeds")]
async fn logout_succeeds(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    w.status(
        because(w, &rules::LOGOUT_ENDS_THE_SESSION),
        x,
        200,
        "status 200",
    )
}

/// The document is silent on an invalid token; a 5xx says the server failed
/// (RFC 9110 §15.6), which no document makes a conforming answer.
#[then("the logout answers 200 or 401")]
async fn logout_200_or_401(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    w.status(
        Check::Documented(&rules::NO_SERVER_ERROR),
        x,
        Status::NotServerError,
        "an answer, not a server error (5xx)",
    )?;
    w.status(
        Check::Reference,
        x,
        Status::Either(200, 401),
        "status 200 or 401",
    )
}

#[then(expr = "{persona} can log in again")]
async fn can_log_in_again(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let fresh = format!("{who}-again");
    log_in_fully(w, who, &fresh, None).await?;
    let token = w.session(&fresh)?;
    lc_mut(w).because = Some(&rules::LOGOUT_ALL_SESSIONS);
    w.send_checked(api::current_user(Some(&token), Transport::Header))
        .await?;
    is_user(w, who)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_wrong_code_differs_from_every_candidate_in_every_digit() {
        let others = vec!["012345".to_owned(), "678901".to_owned()];
        let wrong = wrong_code("234567", &others);
        assert_eq!(wrong.len(), 6);
        for (i, c) in wrong.chars().enumerate() {
            for o in others.iter().chain(std::iter::once(&"234567".to_owned())) {
                assert_ne!(Some(c), o.chars().nth(i), "{wrong} vs {o}");
            }
        }
    }

    #[test]
    fn a_missing_parameter_is_the_sample_clients() {
        let x = Exchange {
            method: "POST".into(),
            operation: api::ENABLE_2FA,
            url: "http://h/api/user/1/enable2fa".into(),
            request_headers: vec![],
            request_body: None,
            status: 200,
            response_headers: vec![],
            response_body: String::new(),
            json: Some(json!({ "key": "ABCDEFGHIJKLM", "qr": "" })),
            spec_violation: None,
        };
        let e = enrolment_of(&x).expect("an enrolment from the key alone");
        assert_eq!(e.params, SAMPLE_CLIENT);
        assert_eq!(e.secret.len(), 8, "the seed's 65-bit example key");
    }
}
