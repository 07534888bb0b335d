//! `features/fileverbs/access_token.feature`: the access-token call, its eight
//! fields, the bearer JWT and the ways it must be refused.

use super::*;

#[when(regex = r"^(\w+) requests an access token with (?:her|his) SecretKey and APIKey$")]
async fn requests_access_token(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let pair = key_pair(w, who)?;
    let x = w
        .send(api::access_token(&pair.secret_key, &pair.api_key))
        .await?;
    // Filed before any check: a token the server issued is the scenario's even if a check fails.
    remember_tokens(w, who, &x).await?;
    fv_mut(w).refreshed.remove(&who);
    w.spec_check(&x)
}

#[given(regex = r"^(\w+) has an access token$")]
async fn has_access_token(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    requests_access_token(w, who).await?;
    let x = w.last_exchange()?;
    w.documented(
        &rules::KEY_PAIR_GIVES_A_JWT,
        Status::Success.holds(x.status) && x.str_field("JwtToken").is_some(),
        &format!("{who} to get an access token (a 2xx with a JwtToken)"),
    )?;
    w.status(Check::Reference, x, 200, "status 200 for an access token")
}

/// Files the bearer token as the persona's session (with the server's time),
/// and the refresh token with the cookie that carried it (the document names
/// no cookie: it is the one whose value is the RefreshToken).
pub(super) async fn remember_tokens(
    w: &mut ConformanceWorld,
    who: Persona,
    x: &Exchange,
) -> StepResult {
    if !Status::Success.holds(x.status) {
        return Ok(());
    }
    if let Some(jwt) = bearer_of(x) {
        let now = w.ctx().clock.now().await?;
        w.sessions.insert(who.name().to_owned(), jwt.to_owned());
        fv_mut(w).jwt_issued_at.insert(who, now);
    }
    if let Some(r) = x.str_field("RefreshToken") {
        let cookie = refresh_cookie(x).map(|c| format!("{}={}", c.name(), c.value()));
        fv_mut(w)
            .refresh_tokens
            .entry(who)
            .or_default()
            .push(IssuedRefresh {
                token: r.to_owned(),
                cookie,
            });
    }
    Ok(())
}

/// The bearer token of an answer: `JwtToken`, or (a refresh's answer, whose
/// shape no document gives) any string field that is a JWT.
pub(in crate::harness::fileverbs) fn bearer_of(x: &Exchange) -> Option<&str> {
    x.str_field("JwtToken").or_else(|| {
        x.json
            .as_ref()?
            .as_object()?
            .values()
            .filter_map(Value::as_str)
            .find(|v| v.split('.').count() == 3 && segment(v, 0).is_some())
    })
}

/// A cookie's value as the token it carries: without the double quotes
/// RFC 6265 allows, percent-decoded.
pub(super) fn cookie_token(c: &cookie::Cookie<'_>) -> String {
    let value = c.value().trim_matches('"');
    url::form_urlencoded::parse(format!("v={value}").as_bytes())
        .next()
        .map(|(_, v)| v.replace(' ', "+"))
        .unwrap_or_else(|| value.to_owned())
}

/// The `Set-Cookie` that carries the answer's RefreshToken, whatever its name
/// and however its value is written (quoted, percent-encoded).
pub(in crate::harness::fileverbs) fn refresh_cookie(
    x: &Exchange,
) -> Option<cookie::Cookie<'static>> {
    let refresh = x.str_field("RefreshToken")?;
    set_cookies(x).find(|c| cookie_token(c) == refresh || c.value() == refresh)
}

pub(super) fn set_cookies(x: &Exchange) -> impl Iterator<Item = cookie::Cookie<'static>> + '_ {
    x.set_cookies()
        .filter_map(|v| cookie::Cookie::parse(v.to_owned()).ok())
}

crate::words! {
    /// An access-token request that must be refused, in the feature's words.
    enum BadRequest {
        WrongApiKey = "a wrong APIKey", WrongSecretKey = "a wrong SecretKey",
        NoApiKey = "no APIKey", NoSecretKey = "no SecretKey",
        NumericApiKey = "an APIKey that is a number", TextBody = "a text/plain body",
        FormBody = "a form body", MalformedJson = "a malformed JSON body",
    }
}

#[when(
    regex = r"^(\w+) requests an access token with (a wrong APIKey|a wrong SecretKey|no APIKey|no SecretKey|an APIKey that is a number|a text/plain body|a form body|a malformed JSON body)$"
)]
async fn requests_access_token_badly(
    w: &mut ConformanceWorld,
    who: Persona,
    what: BadRequest,
) -> StepResult {
    let pair = key_pair(w, who)?;
    let json = |v: Value| api::access_token_raw("application/json", v.to_string().as_bytes());
    let call: Call = match what {
        BadRequest::WrongApiKey => api::access_token(&pair.secret_key, &wrong_value()),
        BadRequest::WrongSecretKey => api::access_token(&wrong_value(), &pair.api_key),
        BadRequest::NoApiKey => json(serde_json::json!({ "SecretKey": pair.secret_key })),
        BadRequest::NoSecretKey => json(serde_json::json!({ "APIKey": pair.api_key })),
        BadRequest::NumericApiKey => {
            json(serde_json::json!({ "SecretKey": pair.secret_key, "APIKey": 12345 }))
        }
        BadRequest::TextBody => api::access_token_raw(
            "text/plain",
            format!("SecretKey={}", pair.secret_key).as_bytes(),
        ),
        BadRequest::FormBody => api::access_token_raw(
            "application/x-www-form-urlencoded",
            format!("SecretKey={}&APIKey={}", pair.secret_key, pair.api_key).as_bytes(),
        ),
        BadRequest::MalformedJson => api::access_token_raw("application/json", b"{\"SecretKey\": "),
    };
    w.send_checked(call).await?;
    Ok(())
}

#[then("the request is refused without a JwtToken")]
async fn refused_without_jwt(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    let rule = &rules::BOTH_KEYS_NEEDED;
    w.status(
        Check::Documented(rule),
        x,
        Status::NotSuccess,
        "a non-2xx answer",
    )?;
    w.documented(
        rule,
        x.field("JwtToken").is_none(),
        "no JwtToken in a refusal",
    )
}

#[then(
    "the answer holds Id, FirstName, LastName, Email, Role, IsVerified, JwtToken and RefreshToken"
)]
async fn answer_holds_fields(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    let rule = &rules::ANSWER_FIELDS;
    w.status(
        Check::Documented(&rules::KEY_PAIR_GIVES_A_JWT),
        x,
        Status::Success,
        "a 2xx answer",
    )?;
    w.status(Check::Reference, x, 200, "status 200")?;
    for field in [
        "Id",
        "FirstName",
        "LastName",
        "Email",
        "Role",
        "IsVerified",
        "JwtToken",
        "RefreshToken",
    ] {
        w.documented(
            rule,
            x.field(field).is_some(),
            &format!("the field {field}"),
        )?;
    }
    for field in ["JwtToken", "RefreshToken"] {
        w.documented(
            rule,
            x.str_field(field).is_some_and(|v| !v.is_empty()),
            &format!("{field} as a token (a non-empty string)"),
        )?;
    }
    w.documented(
        &rules::IS_VERIFIED_BOOLEAN,
        x.field("IsVerified").is_some_and(Value::is_boolean),
        "IsVerified as a boolean (true/false)",
    )?;
    // The table gives no types; the example's strings are the reference's (X32).
    for field in ["Id", "FirstName", "LastName", "Email", "Role"] {
        w.reference(
            x.str_field(field).is_some(),
            &format!("{field} as a string, as in the example"),
        )?;
    }
    Ok(())
}

/// The JSON of one base64url segment of a JWT.
pub(in crate::harness::fileverbs) fn segment(jwt: &str, index: usize) -> Option<Value> {
    let part = jwt.split('.').nth(index)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

/// Documented: a JWT ("Bearer eyJhbGciOiJIUzI1NiIs…", signed) that is
/// "short-lived", so it carries an `exp`.
#[then("the JwtToken is a signed JWT that expires")]
async fn jwt_is_signed(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    let jwt = x.str_field("JwtToken").unwrap_or_default();
    let parts: Vec<&str> = jwt.split('.').collect();
    let rule = &rules::JWT_TOKEN_IS_A_JWT;
    w.documented(
        rule,
        parts.len() == 3 && parts.iter().all(|p| !p.is_empty()),
        "a JWT of three non-empty segments",
    )?;
    let header = segment(jwt, 0).unwrap_or_default();
    let alg = header["alg"].as_str().unwrap_or("none");
    w.documented(
        rule,
        !alg.eq_ignore_ascii_case("none"),
        "a signed JWT (alg not none)",
    )?;
    // "Typically short-lived" names no claim (X33): the expiry scenario
    // counts from `exp` and skips without one.
    let claims = segment(jwt, 1).unwrap_or_default();
    w.reference(claims["exp"].is_number(), "a numeric exp claim")
}

/// The document names no claim but the JWT's expiry: `iat` and `sub` are ours.
#[then("the JwtToken carries iat and sub (a reference choice)")]
async fn jwt_claims(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    let claims = segment(x.str_field("JwtToken").unwrap_or_default(), 1).unwrap_or_default();
    w.reference(
        claims["iat"].is_i64() && claims["exp"].as_i64() > claims["iat"].as_i64(),
        "a numeric iat claim before exp",
    )?;
    w.reference(claims["sub"].is_string(), "a sub claim")
}

/// Documented: the refresh token is in an HTTP-only cookie. The cookie's
/// value may be quoted or encoded (X30), and a server may keep another form
/// of the token in it: then any HttpOnly cookie of the answer is it, and that
/// its value is the RefreshToken is a reference check.
#[then("the refresh token is set in an HttpOnly cookie")]
async fn refresh_cookie_http_only(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    let rule = &rules::REFRESH_IN_HTTP_ONLY_COOKIE;
    let carrying = refresh_cookie(x);
    let http_only = |c: &cookie::Cookie<'_>| c.http_only() == Some(true);
    w.documented(
        rule,
        carrying
            .as_ref()
            .map_or_else(|| set_cookies(x).any(|c| http_only(&c)), http_only),
        "the refresh token in an HttpOnly cookie (a Set-Cookie with HttpOnly carrying it)",
    )?;
    w.reference(
        carrying.is_some(),
        "a Set-Cookie whose value is the RefreshToken",
    )
}

/// Secure is asked of a target on https or off loopback: over plain http to
/// loopback a cookie jar never sends a Secure cookie back (RFC 6265 §5.4),
/// so a server may leave it out there, as the reference server does.
#[then("the refresh cookie is Secure, SameSite=Strict and limited to the accounts path")]
async fn refresh_cookie_strict(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    let c = refresh_cookie(x);
    w.reference(c.is_some(), "a Set-Cookie carrying the RefreshToken")?;
    let c = c.unwrap_or_else(|| cookie::Cookie::new("", ""));
    w.reference(
        c.name() == api::REFRESH_COOKIE,
        &format!("the cookie named {}", api::REFRESH_COOKIE),
    )?;
    let plain_loopback = url::Url::parse(w.ctx().http.base_url()).is_ok_and(|u| {
        u.scheme() == "http"
            && u.host_str()
                .is_some_and(crate::reference::fileverbs::wire::is_loopback_host)
    });
    if !plain_loopback {
        w.reference(
            c.secure() == Some(true),
            "the Secure attribute (an https target, or one off loopback)",
        )?;
    }
    w.reference(
        c.same_site() == Some(cookie::SameSite::Strict),
        "SameSite=Strict",
    )?;
    w.reference(
        c.path()
            .is_some_and(|p| p.trim_end_matches('/').ends_with("/accounts")),
        "a Path that ends in /accounts",
    )
}

// ---------------------------------------------------------------- bearer JWT

crate::words! {
    /// What a JwtToken goes through before it is sent, in the feature's words.
    enum Tampering {
        /// As issued.
        None = "",
        Signature = "with a tampered signature",
        Payload = "with a tampered payload",
        AlgNone = "with alg none and no signature",
        AnotherKey = "signed with another key",
    }
}

#[when(
    regex = r"^(\w+) calls the protected resource with (?:her|his) JwtToken(?: (with a tampered signature|with a tampered payload|with alg none and no signature|signed with another key))?$"
)]
async fn calls_with_jwt(w: &mut ConformanceWorld, who: Persona, change: Tampering) -> StepResult {
    let jwt = w.session(who.name())?;
    let sent = match change {
        Tampering::None => jwt,
        Tampering::Signature => tamper_signature(&jwt),
        Tampering::Payload => tamper_payload(&jwt),
        Tampering::AlgNone => alg_none(&jwt),
        Tampering::AnotherKey => signed_with_another_key(&jwt)?,
    };
    let probe = section(w)?.probe_path;
    fv_mut(w).pending = Some(if change == Tampering::None {
        &rules::BEARER_AUTHENTICATES
    } else {
        &rules::JWT_SIGNATURE_CHECKED
    });
    w.send_checked(api::probe_with_bearer(&probe, &sent))
        .await?;
    Ok(())
}

crate::words! {
    /// What a step expects of a JwtToken.
    enum Verdict { Accepted = "accepted" | "still accepted", Refused = "refused" }
}

#[then(regex = r"^(\w+)'s JwtToken is (still accepted|accepted|refused)$")]
async fn jwt_is(w: &mut ConformanceWorld, who: Persona, verdict: Verdict) -> StepResult {
    calls_with_jwt(w, who, Tampering::None).await?;
    let x = w.last_exchange()?;
    if verdict == Verdict::Refused {
        w.status(
            Check::Documented(&rules::JWT_EXPIRES),
            x,
            Status::NotSuccess,
            &format!("{who}'s JwtToken to be refused (not a 2xx)"),
        )?;
        w.status(
            Check::Reference,
            x,
            401,
            "status 401 for a refused JwtToken",
        )
    } else {
        let rule = if fv(w).refreshed.contains(&who) {
            &rules::REFRESH_GIVES_A_BEARER
        } else {
            &rules::BEARER_AUTHENTICATES
        };
        w.status(
            Check::Documented(rule),
            x,
            Status::Success,
            &format!("{who}'s JwtToken to be accepted (a 2xx)"),
        )?;
        w.status(
            Check::Reference,
            x,
            200,
            "status 200 for an accepted JwtToken",
        )
    }
}

/// The persona's JwtToken's `exp` and when it was issued (its `iat`, else
/// the server's clock when it came), in Unix seconds. Without a numeric
/// `exp` (the document names no claim) the scenario is skipped.
fn jwt_lifetime(w: &ConformanceWorld, who: Persona) -> Result<(i64, i64), Failure> {
    let jwt = w.session(who.name())?;
    let claims = segment(&jwt, 1).unwrap_or_default();
    let exp = claims["exp"].as_f64().map(|e| e.floor() as i64).ok_or_else(|| {
        Failure::not_judged(format!(
            "{who}'s JwtToken carries no numeric exp claim: nothing says when it expires, so there is no expiry to move the clock to"
        ))
    })?;
    let issued = claims["iat"]
        .as_f64()
        .map(|i| i.floor() as i64)
        .or_else(|| fv(w).jwt_issued_at.get(&who).copied())
        .unwrap_or(exp);
    Ok((issued, exp))
}

/// Moves the server clock to `at` (never back).
async fn advance_to(w: &ConformanceWorld, at: i64) -> StepResult {
    let clock = &w.ctx().clock;
    let now = clock.now().await?;
    if at > now {
        clock.advance(at - now).await?;
    }
    Ok(())
}

/// A tenth of the JWT's own lifetime before its `exp` (at least a second).
#[when(regex = r"^the clock is a tenth of its lifetime short of the exp of (\w+)'s JwtToken$")]
async fn tenth_before_exp(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let (issued, exp) = jwt_lifetime(w, who)?;
    advance_to(w, exp - ((exp - issued) / 10).max(1)).await
}

/// Past `exp` and the leeway the target allows for clock skew
/// (`fileverbs.jwt_leeway_seconds`): refused by any conforming server.
#[when(regex = r"^the exp of (\w+)'s JwtToken and the leeway for clock skew pass$")]
async fn exp_passes(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let (_, exp) = jwt_lifetime(w, who)?;
    let leeway = i64::from(section(w)?.jwt_leeway_seconds);
    advance_to(w, exp + leeway + 1).await
}

pub(in crate::harness::fileverbs) fn tamper_signature(jwt: &str) -> String {
    let (message, signature) = jwt.rsplit_once('.').unwrap_or((jwt, ""));
    // Change the first character: the last one of a base64url signature may only carry padding bits.
    let mut chars: Vec<char> = signature.chars().collect();
    if let Some(c) = chars.first_mut() {
        *c = if *c == 'A' { 'B' } else { 'A' };
    }
    format!("{message}.{}", chars.into_iter().collect::<String>())
}

pub(in crate::harness::fileverbs) fn tamper_payload(jwt: &str) -> String {
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut claims = segment(jwt, 1).unwrap_or_default();
    claims["sub"] = Value::from("someone-else");
    claims["exp"] = Value::from(claims["exp"].as_i64().unwrap_or(0) + 3600 * 24 * 365);
    format!(
        "{}.{}.{}",
        parts.first().unwrap_or(&""),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts.get(2).unwrap_or(&"")
    )
}

pub(in crate::harness::fileverbs) fn alg_none(jwt: &str) -> String {
    let payload = jwt.split('.').nth(1).unwrap_or_default();
    format!(
        "{}.{payload}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#)
    )
}

pub(in crate::harness::fileverbs) fn signed_with_another_key(jwt: &str) -> Result<String, Failure> {
    let claims: Value = crate::hs256::insecure_claims(jwt)
        .map_err(|e| Failure(format!("the JwtToken's claims do not decode: {e}")))?;
    let key = crate::secret::Token::generate();
    crate::hs256::sign(key.as_str().as_bytes(), &claims)
        .map_err(|e| Failure(format!("cannot sign a JWT: {e}")))
}
