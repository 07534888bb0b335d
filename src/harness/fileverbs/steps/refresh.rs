//! `features/fileverbs/refresh.feature`: refresh and revoke (`@ext`).

use super::*;

/// A refresh token of the persona's, `back` from the newest.
fn refresh_token(
    w: &ConformanceWorld,
    who: Persona,
    back: usize,
) -> Result<&IssuedRefresh, Failure> {
    let tokens = fv(w)
        .refresh_tokens
        .get(&who)
        .map(Vec::as_slice)
        .unwrap_or_default();
    tokens
        .len()
        .checked_sub(back + 1)
        .map(|i| &tokens[i])
        .ok_or_else(|| Failure(format!("{who} has no such refresh token in this scenario")))
}

crate::words! {
    /// Which refresh token a refresh presents, and where, in the feature's words.
    enum Refresh {
        /// The newest, in the cookie the server set it in.
        Cookie = "refresh cookie",
        /// The newest, in the JSON body.
        Body = "refresh token in the body",
        /// The one before the newest, in the cookie.
        PreviousInCookie = "previous refresh token",
    }
}

/// The cookie a browser would send back with refresh token `r`: as the
/// server set it, or the reference's name with the token.
fn cookie_of(r: &IssuedRefresh) -> String {
    r.cookie
        .clone()
        .unwrap_or_else(|| format!("{}={}", api::REFRESH_COOKIE, r.token))
}

#[when(
    regex = r"^(\w+) refreshes with (?:her|his) (refresh cookie|refresh token in the body|previous refresh token)$"
)]
async fn refreshes(w: &mut ConformanceWorld, who: Persona, how: Refresh) -> StepResult {
    let path = section(w)?
        .refresh_path
        .ok_or_else(|| Failure("the target has no `fileverbs.refresh_path`".into()))?;
    let call = match how {
        Refresh::Body => api::refresh_with_body(&path, &refresh_token(w, who, 0)?.token),
        Refresh::PreviousInCookie => {
            api::refresh_with_cookie(&path, &cookie_of(refresh_token(w, who, 1)?))
        }
        Refresh::Cookie => api::refresh_with_cookie(&path, &cookie_of(refresh_token(w, who, 0)?)),
    };
    let previous_cookie = refresh_token(w, who, 0)?
        .cookie
        .as_deref()
        .and_then(|c| c.split_once('='))
        .map(|(name, _)| name.to_owned());
    let x = w.send(call).await?;
    // Filed before any check: a token the server issued is the scenario's even if a check fails.
    let before = fv(w).refresh_tokens.get(&who).map_or(0, Vec::len);
    remember_tokens(w, who, &x).await?;
    // A refresh's answer whose shape no document gives may carry the new
    // refresh token only in the cookie.
    if Status::Success.holds(x.status)
        && fv(w).refresh_tokens.get(&who).map_or(0, Vec::len) == before
        && let Some(c) = previous_cookie.and_then(|name| {
            set_cookies(&x).find(|c| c.name() == name && !c.value().trim_matches('"').is_empty())
        })
    {
        let issued = IssuedRefresh {
            token: cookie_token(&c),
            cookie: Some(format!("{}={}", c.name(), c.value())),
        };
        fv_mut(w)
            .refresh_tokens
            .entry(who)
            .or_default()
            .push(issued);
    }
    if Status::Success.holds(x.status) {
        fv_mut(w).refreshed.insert(who);
    }
    w.spec_check(&x)
}

#[given(regex = r"^(\w+) has refreshed once$")]
async fn has_refreshed(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    refreshes(w, who, Refresh::Cookie).await?;
    let x = w.last_exchange()?;
    w.status(
        Check::Documented(&rules::REFRESH_GIVES_A_BEARER),
        x,
        Status::Success,
        &format!("{who}'s refresh to succeed (a 2xx)"),
    )?;
    w.status(Check::Reference, x, 200, "status 200 for a refresh")
}

/// Documented: the refresh token "can be used to obtain a new Bearer Token":
/// a 2xx with a JWT. The answer's shape is not documented (X33): the JWT as
/// `JwtToken`, and a new refresh token (rotation), are the reference server's.
#[then("she receives a new bearer token")]
async fn receives_new_tokens(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    let rule = &rules::REFRESH_GIVES_A_BEARER;
    w.status(
        Check::Documented(rule),
        x,
        Status::Success,
        "a 2xx with a new bearer token",
    )?;
    w.documented(rule, bearer_of(x).is_some(), "a new bearer token (a JWT)")?;
    w.status(Check::Reference, x, 200, "status 200 for a refresh")?;
    w.reference(
        x.str_field("JwtToken").is_some(),
        "the new bearer token as JwtToken, as the access token answers it",
    )?;
    let refresh = x.str_field("RefreshToken").unwrap_or_default();
    let seen_before = fv(w)
        .refresh_tokens
        .values()
        .flatten()
        .filter(|t| t.token == refresh)
        .count();
    w.reference(
        seen_before == 1,
        "a RefreshToken never issued before (rotation)",
    )
}

/// Said only in `@strict-…` scenarios: when a refresh token stops working is ours.
#[then("the refresh is refused")]
async fn refresh_refused(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    w.status(
        Check::Reference,
        x,
        Status::NotSuccess,
        "a refusal (not a 2xx)",
    )?;
    w.reference(bearer_of(x).is_none(), "no bearer token in a refusal")?;
    w.status(
        Check::Reference,
        x,
        401,
        "status 401 for a refused refresh token",
    )
}

#[when(regex = r"^(\w+) revokes (?:her|his) refresh token$")]
pub(super) async fn revokes(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let path = section(w)?
        .revoke_path
        .ok_or_else(|| Failure("the target has no `fileverbs.revoke_path`".into()))?;
    let token = refresh_token(w, who, 0)?.token.clone();
    w.send_checked(api::revoke(&path, &token)).await?;
    Ok(())
}

/// The revoke call is ours (`@ext`): every check of it is a reference check.
#[then("the revocation succeeds")]
async fn revocation_succeeds(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    w.status(Check::Reference, x, 200, "status 200 for a revocation")
}
