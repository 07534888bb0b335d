//! Step definitions for `features/fileverbs/*.feature`.
//!
//! Personas: alice plays `fileverbs.primary`, bob `fileverbs.secondary`. Every
//! response is checked against `specs/fileverbs.openapi.yaml` by
//! [`ConformanceWorld::send_checked`]; the steps assert what the spec cannot
//! say (which status, whether a token still works, what a JWT carries).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cucumber::{given, then, when};
use serde_json::Value;

use super::api;
use crate::harness::exchange::{Call, Exchange};
use crate::harness::target::{FileVerbsTarget, KeyPair};
use crate::harness::world::{ConformanceWorld, Failure, StepResult};

fn section(w: &ConformanceWorld) -> Result<FileVerbsTarget, Failure> {
    w.ctx()
        .target
        .fileverbs
        .clone()
        .ok_or_else(|| Failure("the target file has no `fileverbs:` section".into()))
}

fn key_pair(w: &ConformanceWorld, who: &str) -> Result<KeyPair, Failure> {
    w.ctx()
        .key_pairs
        .lock()
        .expect("key pairs lock")
        .get(who)
        .cloned()
        .ok_or_else(|| {
            Failure(format!(
                "no FileVerbs key pair for {who}: alice is `fileverbs.primary`, bob `fileverbs.secondary`"
            ))
        })
}

fn last(w: &ConformanceWorld) -> Result<&Exchange, Failure> {
    w.last
        .as_ref()
        .ok_or_else(|| Failure("no request was sent before this step".into()))
}

/// A value that is certainly not a valid key: random, so never a real one.
fn wrong_value() -> String {
    format!("wrong-{}", crate::secret::Token::generate().as_str())
}

// ---------------------------------------------------------------- SecretKey

#[when(
    regex = r"^(\w+) calls the protected resource with (?:her|his) SecretKey in a (lower-case|Title-Case) header name$"
)]
async fn calls_with_secret_key(w: &mut ConformanceWorld, who: String, case: String) -> StepResult {
    let pair = key_pair(w, &who)?;
    let probe = section(w)?.probe_path;
    let call = api::probe_with_secret_key(&probe, &pair.secret_key);
    let call = if case == "Title-Case" {
        call.title_case_headers()
    } else {
        call
    };
    w.send_checked(call).await?;
    Ok(())
}

#[when(
    regex = r"^someone calls the protected resource with (no SecretKey|a wrong SecretKey|an empty SecretKey)$"
)]
async fn calls_with_bad_secret_key(w: &mut ConformanceWorld, what: String) -> StepResult {
    let probe = section(w)?.probe_path;
    let call = match what.as_str() {
        "a wrong SecretKey" => api::probe_with_secret_key(&probe, &wrong_value()),
        "an empty SecretKey" => api::probe_with_secret_key(&probe, ""),
        _ => api::probe(&probe),
    };
    w.send_checked(call).await?;
    Ok(())
}

#[given(regex = r"^(\w+)'s SecretKey has been reset in the portal$")]
async fn secret_key_reset(w: &mut ConformanceWorld, who: String) -> StepResult {
    let ctx = w.ctx();
    let old = key_pair(w, &who)?;
    let new = ctx
        .clock
        .reset_fileverbs_secret_key(&old.secret_key)
        .await
        .map_err(Failure)?;
    ctx.secrets.register(&new);
    ctx.key_pairs.lock().expect("key pairs lock").insert(
        who.clone(),
        KeyPair {
            secret_key: new,
            api_key: old.api_key.clone(),
        },
    );
    w.notes
        .insert(format!("{who} old SecretKey"), old.secret_key);
    Ok(())
}

#[when(regex = r"^(\w+) calls the protected resource with (?:her|his) (old|new) SecretKey$")]
async fn calls_with_old_or_new_key(
    w: &mut ConformanceWorld,
    who: String,
    which: String,
) -> StepResult {
    let key = if which == "old" {
        w.notes
            .get(&format!("{who} old SecretKey"))
            .cloned()
            .ok_or_else(|| Failure(format!("{who}'s SecretKey was not reset in this scenario")))?
    } else {
        key_pair(w, &who)?.secret_key
    };
    let probe = section(w)?.probe_path;
    w.send_checked(api::probe_with_secret_key(&probe, &key))
        .await?;
    Ok(())
}

#[then("the call is authorized")]
async fn call_authorized(w: &mut ConformanceWorld) -> StepResult {
    let x = last(w)?;
    w.documented(x.status == 200, "status 200 from the protected resource")
}

#[then(expr = "the call is refused with {int}")]
async fn call_refused(w: &mut ConformanceWorld, status: u16) -> StepResult {
    let x = last(w)?;
    w.documented(
        x.status == status,
        &format!("status {status} from the protected resource"),
    )
}

// ---------------------------------------------------------------- access token

#[when(regex = r"^(\w+) requests an access token with (?:her|his) SecretKey and APIKey$")]
async fn requests_access_token(w: &mut ConformanceWorld, who: String) -> StepResult {
    let pair = key_pair(w, &who)?;
    let x = w
        .send_checked(api::access_token(&pair.secret_key, &pair.api_key))
        .await?;
    remember_tokens(w, &who, &x);
    Ok(())
}

#[given(regex = r"^(\w+) has an access token$")]
async fn has_access_token(w: &mut ConformanceWorld, who: String) -> StepResult {
    requests_access_token(w, who.clone()).await?;
    let x = last(w)?;
    w.documented(
        x.status == 200 && x.str_field("JwtToken").is_some(),
        &format!("{who} to get an access token (200 with a JwtToken)"),
    )
}

/// Files the JwtToken as the persona's session and the refresh token in its history.
fn remember_tokens(w: &mut ConformanceWorld, who: &str, x: &Exchange) {
    if x.status != 200 {
        return;
    }
    if let Some(jwt) = x.str_field("JwtToken") {
        w.sessions.insert(who.to_owned(), jwt.to_owned());
    }
    if let Some(r) = x.str_field("RefreshToken") {
        w.refresh_tokens
            .entry(who.to_owned())
            .or_default()
            .push(r.to_owned());
    }
}

#[when(
    regex = r"^(\w+) requests an access token with (a wrong APIKey|a wrong SecretKey|no APIKey|no SecretKey|an APIKey that is a number|a text/plain body|a form body|a malformed JSON body)$"
)]
async fn requests_access_token_badly(
    w: &mut ConformanceWorld,
    who: String,
    what: String,
) -> StepResult {
    let pair = key_pair(w, &who)?;
    let json = |v: Value| api::access_token_raw("application/json", v.to_string().as_bytes());
    let call: Call = match what.as_str() {
        "a wrong APIKey" => api::access_token(&pair.secret_key, &wrong_value()),
        "a wrong SecretKey" => api::access_token(&wrong_value(), &pair.api_key),
        "no APIKey" => json(serde_json::json!({ "SecretKey": pair.secret_key })),
        "no SecretKey" => json(serde_json::json!({ "APIKey": pair.api_key })),
        "an APIKey that is a number" => {
            json(serde_json::json!({ "SecretKey": pair.secret_key, "APIKey": 12345 }))
        }
        "a text/plain body" => api::access_token_raw(
            "text/plain",
            format!("SecretKey={}", pair.secret_key).as_bytes(),
        ),
        "a form body" => api::access_token_raw(
            "application/x-www-form-urlencoded",
            format!("SecretKey={}&APIKey={}", pair.secret_key, pair.api_key).as_bytes(),
        ),
        _ => api::access_token_raw("application/json", b"{\"SecretKey\": "),
    };
    w.send_checked(call).await?;
    Ok(())
}

#[then("the request is refused without a JwtToken")]
async fn refused_without_jwt(w: &mut ConformanceWorld) -> StepResult {
    let x = last(w)?;
    w.documented(!(200..300).contains(&x.status), "a non-2xx answer")?;
    w.documented(x.field("JwtToken").is_none(), "no JwtToken in a refusal")
}

#[then("the answer is 400 or 415 without a JwtToken")]
async fn answer_400_or_415(w: &mut ConformanceWorld) -> StepResult {
    let x = last(w)?;
    w.documented(x.status == 400 || x.status == 415, "status 400 or 415")?;
    w.documented(x.field("JwtToken").is_none(), "no JwtToken in a refusal")
}

#[then(
    "the answer holds Id, FirstName, LastName, Email, Role, IsVerified, JwtToken and RefreshToken"
)]
async fn answer_holds_fields(w: &mut ConformanceWorld) -> StepResult {
    let x = last(w)?;
    w.documented(x.status == 200, "status 200")?;
    for field in [
        "Id",
        "FirstName",
        "LastName",
        "Email",
        "Role",
        "JwtToken",
        "RefreshToken",
    ] {
        w.documented(
            x.str_field(field).is_some(),
            &format!("the string field {field}"),
        )?;
    }
    w.documented(
        x.field("IsVerified").is_some_and(Value::is_boolean),
        "IsVerified as a boolean",
    )
}

/// The JSON of one base64url segment of a JWT.
fn segment(jwt: &str, index: usize) -> Option<Value> {
    let part = jwt.split('.').nth(index)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

#[then("the JwtToken is a signed JWT with exp, iat and sub")]
async fn jwt_is_signed(w: &mut ConformanceWorld) -> StepResult {
    let x = last(w)?;
    let jwt = x.str_field("JwtToken").unwrap_or_default();
    let parts: Vec<&str> = jwt.split('.').collect();
    w.documented(
        parts.len() == 3 && parts.iter().all(|p| !p.is_empty()),
        "a JWT of three non-empty segments",
    )?;
    let header = segment(jwt, 0).unwrap_or_default();
    let alg = header["alg"].as_str().unwrap_or("none");
    w.documented(
        !alg.eq_ignore_ascii_case("none"),
        "a signed JWT (alg not none)",
    )?;
    let claims = segment(jwt, 1).unwrap_or_default();
    w.documented(
        claims["exp"].is_i64() && claims["iat"].is_i64(),
        "numeric exp and iat claims",
    )?;
    w.documented(
        claims["exp"].as_i64() > claims["iat"].as_i64(),
        "exp after iat",
    )?;
    w.documented(claims["sub"].is_string(), "a sub claim")
}

#[then("the refresh token is set in an HttpOnly cookie")]
async fn refresh_cookie_http_only(w: &mut ConformanceWorld) -> StepResult {
    let x = last(w)?;
    let refresh = x.str_field("RefreshToken").unwrap_or_default().to_owned();
    let found = x
        .set_cookies()
        .filter_map(|v| cookie::Cookie::parse(v.to_owned()).ok())
        .find(|c| c.value() == refresh);
    w.documented(
        found.is_some(),
        "a Set-Cookie header carrying the RefreshToken",
    )?;
    w.documented(
        found.is_some_and(|c| c.http_only() == Some(true)),
        "the refresh cookie to be HttpOnly",
    )
}

#[then("the refresh cookie is Secure, SameSite=Strict and limited to the accounts path")]
async fn refresh_cookie_strict(w: &mut ConformanceWorld) -> StepResult {
    let x = last(w)?;
    let c = x.set_cookie(api::REFRESH_COOKIE);
    w.documented(c.is_some(), "a Set-Cookie for the RefreshToken cookie")?;
    let c = c.unwrap_or_else(|| cookie::Cookie::new("", ""));
    w.documented(c.secure() == Some(true), "the Secure attribute")?;
    w.documented(
        c.same_site() == Some(cookie::SameSite::Strict),
        "SameSite=Strict",
    )?;
    w.documented(
        c.path()
            .is_some_and(|p| p.trim_end_matches('/').ends_with("/accounts")),
        "a Path that ends in /accounts",
    )
}

// ---------------------------------------------------------------- bearer JWT

#[when(
    regex = r"^(\w+) calls the protected resource with (?:her|his) JwtToken(?: (with a tampered signature|with a tampered payload|with alg none and no signature|signed with another key))?$"
)]
async fn calls_with_jwt(w: &mut ConformanceWorld, who: String, change: String) -> StepResult {
    let jwt = w.session(&who)?;
    let sent = match change.as_str() {
        "" => jwt,
        "with a tampered signature" => tamper_signature(&jwt),
        "with a tampered payload" => tamper_payload(&jwt),
        "with alg none and no signature" => alg_none(&jwt),
        _ => signed_with_another_key(&jwt)?,
    };
    let probe = section(w)?.probe_path;
    w.send_checked(api::probe_with_bearer(&probe, &sent))
        .await?;
    Ok(())
}

#[then(regex = r"^(\w+)'s JwtToken is (still accepted|refused)$")]
async fn jwt_is(w: &mut ConformanceWorld, who: String, verdict: String) -> StepResult {
    calls_with_jwt(w, who.clone(), String::new()).await?;
    let x = last(w)?;
    if verdict == "still accepted" {
        w.documented(
            x.status == 200,
            &format!("{who}'s JwtToken to be accepted (200)"),
        )
    } else {
        w.documented(
            x.status == 401,
            &format!("{who}'s JwtToken to be refused (401)"),
        )
    }
}

fn tamper_signature(jwt: &str) -> String {
    let (message, signature) = jwt.rsplit_once('.').unwrap_or((jwt, ""));
    // Change the first character: the last one of a base64url signature may only carry padding bits.
    let mut chars: Vec<char> = signature.chars().collect();
    if let Some(c) = chars.first_mut() {
        *c = if *c == 'A' { 'B' } else { 'A' };
    }
    format!("{message}.{}", chars.into_iter().collect::<String>())
}

fn tamper_payload(jwt: &str) -> String {
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

fn alg_none(jwt: &str) -> String {
    let payload = jwt.split('.').nth(1).unwrap_or_default();
    format!(
        "{}.{payload}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#)
    )
}

fn signed_with_another_key(jwt: &str) -> Result<String, Failure> {
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(jwt)
        .map_err(|e| Failure(format!("the JwtToken's claims do not decode: {e}")))?;
    let key = crate::secret::Token::generate();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(key.as_str().as_bytes()),
    )
    .map_err(|e| Failure(format!("cannot sign a JWT: {e}")))
}

// ---------------------------------------------------------------- refresh and revoke (@ext)

fn refresh_token(w: &ConformanceWorld, who: &str, back: usize) -> Result<String, Failure> {
    let tokens = w
        .refresh_tokens
        .get(who)
        .map(Vec::as_slice)
        .unwrap_or_default();
    tokens
        .len()
        .checked_sub(back + 1)
        .map(|i| tokens[i].clone())
        .ok_or_else(|| Failure(format!("{who} has no such refresh token in this scenario")))
}

#[when(
    regex = r"^(\w+) refreshes with (?:her|his) (refresh cookie|refresh token in the body|previous refresh token)$"
)]
async fn refreshes(w: &mut ConformanceWorld, who: String, how: String) -> StepResult {
    let path = section(w)?
        .refresh_path
        .ok_or_else(|| Failure("the target has no `fileverbs.refresh_path`".into()))?;
    let call = match how.as_str() {
        "refresh token in the body" => api::refresh_with_body(&path, &refresh_token(w, &who, 0)?),
        "previous refresh token" => api::refresh_with_cookie(&path, &refresh_token(w, &who, 1)?),
        _ => api::refresh_with_cookie(&path, &refresh_token(w, &who, 0)?),
    };
    let x = w.send_checked(call).await?;
    remember_tokens(w, &who, &x);
    Ok(())
}

#[given(regex = r"^(\w+) has refreshed once$")]
async fn has_refreshed(w: &mut ConformanceWorld, who: String) -> StepResult {
    refreshes(w, who.clone(), "refresh cookie".into()).await?;
    let x = last(w)?;
    w.documented(
        x.status == 200,
        &format!("{who}'s refresh to succeed (200)"),
    )
}

#[then("she receives a new JwtToken and a new refresh token")]
async fn receives_new_tokens(w: &mut ConformanceWorld) -> StepResult {
    let x = last(w)?;
    w.documented(x.status == 200, "status 200 with new tokens")?;
    let refresh = x.str_field("RefreshToken").unwrap_or_default();
    let seen_before = w
        .refresh_tokens
        .values()
        .flatten()
        .filter(|t| t.as_str() == refresh)
        .count();
    w.documented(seen_before == 1, "a refresh token never issued before")?;
    w.documented(
        x.str_field("JwtToken")
            .is_some_and(|t| t.split('.').count() == 3),
        "a new JwtToken",
    )
}

#[then("the refresh is refused")]
async fn refresh_refused(w: &mut ConformanceWorld) -> StepResult {
    let x = last(w)?;
    w.documented((400..500).contains(&x.status), "a 4xx refusal")?;
    w.documented(x.field("JwtToken").is_none(), "no JwtToken in a refusal")
}

#[when(regex = r"^(\w+) revokes (?:her|his) refresh token$")]
async fn revokes(w: &mut ConformanceWorld, who: String) -> StepResult {
    let path = section(w)?
        .revoke_path
        .ok_or_else(|| Failure("the target has no `fileverbs.revoke_path`".into()))?;
    let token = refresh_token(w, &who, 0)?;
    w.send_checked(api::revoke(&path, &token)).await?;
    Ok(())
}

#[then("the revocation succeeds")]
async fn revocation_succeeds(w: &mut ConformanceWorld) -> StepResult {
    let x = last(w)?;
    w.documented(x.status == 200, "status 200")
}
