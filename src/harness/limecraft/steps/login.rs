//! `features/limecraft/login.feature`: logins (form or JSON, username or email),
//! refusals and their envelope, `redirectIfPassword` and the SAML redirect parameters.

use super::*;

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
    confirm_if_needed(w, who).await?;
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
pub(super) fn remember_login(w: &mut ConformanceWorld, who: Persona, session: &str, x: &Exchange) {
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
