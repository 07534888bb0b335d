//! Step definitions for `features/limecraft/*.feature`.
//!
//! Each step is one sentence of the vendor's domain language; it sends calls
//! from [`api`] and judges the answers. Every response is also checked against
//! `specs/limecraft.openapi.yaml` by [`ConformanceWorld::send_checked`], so the
//! steps only assert what the spec cannot say (which status, which user, whether
//! a token still works).
//!
//! Check (seed 003): `w.documented` only for what the document says: the
//! login's answers (200 body, 401 envelope for wrong credentials, 401 disabled,
//! 403 locked), the three transports, enable2fa's 200 data and its 403 / 404
//! statuses, the RestToken of 2fa/validate, the User, logout's 200 and
//! allSessions. Everything else is `w.reference`: the status of a refused
//! token (the document lists only 200 for GET /authentication/user), every
//! status and body of a refused validation (the document gives only a
//! "default response"), exact messages, a fifth-field-only envelope, key sizes.
//!
//! Bookkeeping first: a token or TOTP code the server accepted is filed (the
//! session, `RunContext::last_totp_step`, the enrolment) before any assertion
//! of the same step, the spec check included, so a failed check never makes a
//! later scenario replay a used code or lose an enrolment.

use std::collections::HashMap;

use cucumber::{given, then, when};
use serde_json::Value;

use super::api::{self, Transport};
use crate::harness::exchange::Exchange;
use crate::harness::world::{
    Check, ConformanceWorld, Enrolment, Failure, Persona, Status, StepResult,
};
use crate::reference::limecraft::rules;
use crate::totp::{self, TotpParams};

/// A user id no server is expected to have.
pub(super) const UNKNOWN_USER_ID: &str = "987654321987";

/// What a Limecraft scenario keeps between its steps.
#[derive(Default)]
pub struct LimecraftScenario {
    /// Temporary tokens of logins waiting for their second factor, by persona.
    temporary: HashMap<Persona, String>,
    /// The last TOTP code the scenario sent.
    last_code: Option<String>,
}

fn lc(w: &ConformanceWorld) -> &LimecraftScenario {
    w.scenario()
}

fn lc_mut(w: &mut ConformanceWorld) -> &mut LimecraftScenario {
    w.scenario_mut()
}

// ---------------------------------------------------------------- login

crate::words! {
    /// How a login sends the credentials, in the feature's words.
    enum Login {
        Json = "a JSON body",
        Form = "form parameters",
        /// As JSON, by a persona whose account refuses it (locked, disabled).
        RightPassword = "the right password",
    }
}

#[when(
    regex = r"^(\w+|the locked user|the disabled user) logs in with (a JSON body|form parameters|the right password)$"
)]
async fn logs_in(w: &mut ConformanceWorld, who: Persona, how: Login) -> StepResult {
    let account = w.account(who)?;
    let call = match how {
        Login::Form => api::login_form(&account.username, &account.password),
        Login::Json | Login::RightPassword => {
            api::login_json(&account.username, &account.password, None)
        }
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
    w.status(Check::Uncited, x, 200, "status 200")?;
    w.documented_uncited(
        x.field("needsSecondToken") == Some(&Value::Bool(false)),
        "needsSecondToken: false",
    )?;
    w.documented_uncited(
        x.field("status").and_then(Value::as_i64) == Some(200),
        "status: 200 in the body",
    )?;
    w.documented(
        &rules::LOGIN_RETURNS_A_TOKEN,
        x.str_field("token").is_some_and(|t| !t.is_empty()),
        "a non-empty token",
    )
}

#[then(expr = "the login is refused with {int} and the UnauthorizedError envelope")]
async fn login_refused_with_envelope(w: &mut ConformanceWorld, status: u16) -> StepResult {
    let x = w.last_exchange()?;
    let expected = format!(
        "{status} with {{\"type\":\"UnauthorizedError\",\"code\":{status},\"errorNumber\":0,\"message\":…,\"data\":null}}"
    );
    w.status(Check::Uncited, x, status, &expected)?;
    let body = x.json.as_ref().and_then(Value::as_object);
    let ok = body.is_some_and(|b| {
        b.get("type") == Some(&Value::from("UnauthorizedError"))
            && b.get("code").and_then(Value::as_i64) == Some(status as i64)
            && b.get("errorNumber").and_then(Value::as_i64) == Some(0)
            && b.get("message").is_some_and(Value::is_string)
            && b.get("data") == Some(&Value::Null)
    });
    w.documented_uncited(ok, &expected)?;
    w.documented_uncited(x.field("token").is_none(), "no token in a refusal")?;
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
    w.status(Check::Uncited, x, status, &format!("status {status}"))?;
    w.documented_uncited(x.field("token").is_none(), "no token in a refusal")
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
    log_in_fully(w, who, &session, remember_me).await
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
    w.documented_uncited(
        x.status == 200 && x.str_field("token").is_some(),
        &format!("{who} to log in (200 with a token)"),
    )?;
    if lc(w).temporary.contains_key(&who) && !w.sessions.contains_key(session) {
        let token = match remember_me {
            Some(true) => TokenChoice::RememberMe,
            _ => TokenChoice::Temporary(Transport::Header),
        };
        let x = validate_code(w, who, session, CodeChoice::Current, token).await?;
        w.documented_uncited(
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
            Check::Uncited,
            &x,
            200,
            &format!("{name}'s token to be accepted (200)"),
        ),
        Verdict::Refused => refused(w, &x, &format!("{name}'s token to be refused")),
    }
}

/// GET /authentication/user refused a token: the document lists only "200 User
/// is logged in", so any non-2xx refuses; 401 is the reference server's status.
fn refused(w: &ConformanceWorld, x: &Exchange, what: &str) -> StepResult {
    w.status(
        Check::Uncited,
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
    w.status(Check::Uncited, x, 200, &format!("200 with {who}'s User"))?;
    let matches = |field: &str| {
        x.str_field(field)
            .is_some_and(|v| v.eq_ignore_ascii_case(&account.username))
    };
    w.documented_uncited(
        matches("username") || matches("email"),
        &format!(
            "the User of {who} (username or email `{}`)",
            account.username
        ),
    )?;
    w.documented_uncited(x.field("id").is_some_and(Value::is_i64), "an integer id")?;
    w.documented_uncited(x.str_field("email").is_some(), "an email")
}

#[when(expr = "{persona} asks who she/he/they is/are with her/his/their token in {transport}")]
async fn asks_who(w: &mut ConformanceWorld, who: Persona, transport: Transport) -> StepResult {
    let token = w.session(who.name())?;
    w.send_checked(api::current_user(Some(&token), transport))
        .await?;
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
            "Authorization",
            &format!("Bearer {}", crate::secret::Token::generate().as_str()),
        ),
        BadToken::EmptyBearer => call.header("Authorization", "Bearer "),
        BadToken::Missing => call,
    };
    w.send_checked(call).await?;
    Ok(())
}

/// enable2fa's documented statuses (403 another user, 404 unknown user); their
/// bodies are not documented, and the spec check reports those as reference.
#[then(expr = "the request is refused with {int}")]
async fn request_refused(w: &mut ConformanceWorld, status: u16) -> StepResult {
    let x = w.last_exchange()?;
    w.status(Check::Uncited, x, status, &format!("status {status}"))
}

#[then("the request is refused without a User")]
async fn request_refused_any(w: &mut ConformanceWorld) -> StepResult {
    refused(w, w.last_exchange()?, "the request to be refused")
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
        Check::Uncited,
        x,
        200,
        &format!("{who} to enable two-factor authentication (200)"),
    )
}

#[when(regex = r"^(\w+) enables two-factor authentication for herself$")]
async fn enables_for_herself(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    enable_for_self(w, who).await
}

/// Enables 2FA on the persona's own id and, on success, files the enrolment.
async fn enable_for_self(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let token = w.session(who.name())?;
    let id = user_id(w, &token).await?;
    // Replacing an existing second factor takes a current code of it.
    let known = w.ctx().enrolment.lock().expect("enrolment lock").clone();
    let current_code = match known {
        Some(e) => Some(w.fresh_totp_code(&e, 0).await?.0),
        None => None,
    };
    let x = w
        .send(api::enable_two_factor(&token, &id, current_code.as_deref()))
        .await?;
    if Status::Success.holds(x.status)
        && let Some(enrolment) = enrolment_of(&x)
    {
        *w.ctx().enrolment.lock().expect("enrolment lock") = Some(enrolment);
    }
    w.spec_check(&x)
}

async fn user_id(w: &mut ConformanceWorld, token: &str) -> Result<String, Failure> {
    let x = w
        .send_checked(api::current_user(Some(token), Transport::Header))
        .await?;
    w.status(
        Check::Uncited,
        &x,
        200,
        "GET /authentication/user to answer 200 with the caller's id",
    )?;
    x.field("id")
        .and_then(Value::as_i64)
        .map(|id| id.to_string())
        .ok_or_else(|| w.failure("an integer id in the User"))
}

pub(super) fn enrolment_of(x: &Exchange) -> Option<Enrolment> {
    let secret = totp::decode_secret(x.str_field("key")?)?;
    let params = TotpParams {
        algorithm: totp::parse_algorithm(x.str_field("hashingAlgorithm")?)?,
        digits: usize::try_from(x.field("digits")?.as_u64()?).ok()?,
        period: x.field("period")?.as_u64().filter(|p| *p > 0)?,
    };
    Some(Enrolment { secret, params })
}

#[then("she receives a TOTP key with its algorithm, digits, period and QR URI")]
async fn receives_totp_key(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    w.status(Check::Uncited, x, 200, "200 with the TOTP enrolment")?;
    let key = totp::decode_secret(x.str_field("key").unwrap_or_default());
    w.documented_uncited(key.is_some(), "a base32 key")?;
    // The document's example key is 65 bits; 128 is RFC 4226's minimum (R6).
    w.reference(
        key.is_some_and(|s| s.len() >= 16),
        "a key of at least 128 bits",
    )?;
    w.documented_uncited(
        x.str_field("hashingAlgorithm")
            .and_then(totp::parse_algorithm)
            .is_some(),
        "hashingAlgorithm SHA1, SHA256 or SHA512",
    )?;
    w.documented_uncited(
        x.field("digits")
            .and_then(Value::as_u64)
            .is_some_and(|d| (6..=8).contains(&d)),
        "digits between 6 and 8",
    )?;
    w.documented_uncited(
        x.field("period")
            .and_then(Value::as_u64)
            .is_some_and(|p| p > 0),
        "a positive period",
    )?;
    // The example's qr is "" and the table marks it optional.
    w.reference(x.str_field("qr").is_some(), "a qr string")?;
    w.documented_uncited(
        enrolment_of(x).is_some(),
        "an enrolment the suite can compute codes from",
    )
}

crate::words! {
    /// Whom a user enables two-factor authentication for, other than themself.
    enum Other { Bob = "bob", Unknown = "a user who does not exist" }
}

#[when(regex = r"^(\w+) enables two-factor authentication for (bob|a user who does not exist)$")]
async fn enables_for_other(w: &mut ConformanceWorld, who: Persona, whom: Other) -> StepResult {
    let token = w.session(who.name())?;
    let id = match whom {
        Other::Bob => {
            let other = Persona::Bob;
            log_in_fully(w, other, other.name(), None).await?;
            let session = w.session(other.name())?;
            user_id(w, &session).await?
        }
        Other::Unknown => UNKNOWN_USER_ID.to_owned(),
    };
    w.send_checked(api::enable_two_factor(&token, &id, None))
        .await?;
    Ok(())
}

#[then("the login asks for a second token and issues a temporary token")]
async fn login_asks_second_token(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    w.status(Check::Uncited, x, 200, "status 200")?;
    w.documented_uncited(
        x.field("needsSecondToken") == Some(&Value::Bool(true)),
        "needsSecondToken: true",
    )?;
    w.documented_uncited(
        x.str_field("token").is_some_and(|t| !t.is_empty()),
        "a temporary token",
    )
}

#[then(expr = "{persona}'s temporary token does not identify her")]
async fn temporary_does_not_identify(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let token = temporary(w, who)?;
    let x = w
        .send_checked(api::current_user(Some(&token), Transport::Header))
        .await?;
    refused(
        w,
        &x,
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

/// Sends a code to 2fa/validate. Codes are computed at the server's time with
/// the advertised parameters; the clock is moved (or waited for) so that the
/// code's step is newer than any the suite had accepted, so a refusal is never
/// just the replay rule. A final token the server issued is filed as
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
    let (code, code_step) = match code {
        CodeChoice::Again => (
            lc(w)
                .last_code
                .clone()
                .ok_or_else(|| Failure("no code was sent before in this scenario".into()))?,
            None,
        ),
        CodeChoice::Current => w.fresh_totp_code(&enrolment, 0).await?,
        CodeChoice::Wrong => {
            let (c, step) = w.fresh_totp_code(&enrolment, 0).await?;
            (wrong_code(&c), step)
        }
        CodeChoice::PeriodsFromNow(k) => w.fresh_totp_code(&enrolment, k).await?,
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
    lc_mut(w).last_code = Some(code.clone());
    let x = w
        .send(api::validate(
            presented.as_deref(),
            transport,
            &code,
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
            .map(|now| totp::step_of(now, enrolment.params.period));
        if let Some(used) = code_step.max(now_step) {
            let mut last = ctx.last_totp_step.lock().expect("totp step lock");
            *last = Some(last.map_or(used, |l| l.max(used)));
        }
    }
    w.spec_check(&x)?;
    Ok(x)
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

/// A code of the same length that differs from `code` in every digit.
pub(super) fn wrong_code(code: &str) -> String {
    code.chars()
        .map(|c| {
            c.to_digit(10)
                .map_or('0', |d| char::from_digit((d + 5) % 10, 10).unwrap_or('0'))
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
    w.documented_uncited(
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
    w.documented_uncited(
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
    w.status(Check::Uncited, x, 200, "status 200")
}

/// The document is silent on an invalid token; a 5xx says the server failed
/// (RFC 9110 §15.6), which no document makes a conforming answer.
#[then("the logout answers 200 or 401")]
async fn logout_200_or_401(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    w.status(
        Check::Uncited,
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
    w.send_checked(api::current_user(Some(&token), Transport::Header))
        .await?;
    is_user(w, who)
}

// ---------------------------------------------------------------- helpers
