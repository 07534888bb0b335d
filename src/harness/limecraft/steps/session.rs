//! `features/limecraft/session.feature` and `transport.feature`: sessions
//! (logged in, still accepted or refused), the token in each transport, the User.

use super::*;

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
    log_in(w, who, &session, remember_me).await?;
    lc_mut(w).because = Some(&rules::SESSION_LIFETIME);
    Ok(())
}

/// Logs `who` in as `session` ([`log_in_fully`]); carol's plain session may
/// be one an earlier scenario, or the last run, had the server accept a code
/// for (`RunContext::two_factor_session`), and a new one is kept as that.
pub(super) async fn log_in(
    w: &mut ConformanceWorld,
    who: Persona,
    session: &str,
    remember_me: Option<bool>,
) -> StepResult {
    let reusable = who == Persona::Carol && session == who.name() && remember_me.is_none();
    if !(reusable && reuse_two_factor_session(w, who).await?) {
        log_in_fully(w, who, session, remember_me).await?;
        if reusable && let Ok(token) = w.session(session) {
            w.ctx().keep_two_factor_session(Some(token));
        }
    }
    Ok(())
}

/// Takes the two-factor account's session of an earlier scenario, if the
/// server still answers GET /authentication/user with it; `false`: there is
/// none, or it has ended (the caller logs in).
async fn reuse_two_factor_session(w: &mut ConformanceWorld, who: Persona) -> Result<bool, Failure> {
    let Some(token) = w.ctx().two_factor_session() else {
        return Ok(false);
    };
    let x = w
        .send(api::current_user(Some(&token), Transport::Header))
        .await?;
    if x.status != 200 {
        w.ctx().keep_two_factor_session(None);
        return Ok(false);
    }
    w.sessions.insert(who.name().to_owned(), token);
    Ok(true)
}

/// Logs a persona in, completing the second factor when the account has one.
pub(super) async fn log_in_fully(
    w: &mut ConformanceWorld,
    who: Persona,
    session: &str,
    remember_me: Option<bool>,
) -> StepResult {
    confirm_if_needed(w, who).await?;
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
pub(super) fn refused(w: &ConformanceWorld, x: &Exchange, check: Check, what: &str) -> StepResult {
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
pub(super) fn is_user(w: &ConformanceWorld, who: Persona) -> StepResult {
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
    w.send_checked(api::current_user_lower_case(&token)).await?;
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
