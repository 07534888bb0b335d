//! `features/limecraft/logout.feature`: logout of one session or all of them.

use super::*;

#[when(
    regex = r"^(?:session (\w+)|(\w+)) logs out( of all sessions)?(?: with (?:her|his) token in (the query string|the cookie))?$"
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

/// A logout that carried its token in the query string or the cookie relies
/// on the document's transports for "all subsequent calls" besides the logout.
#[then("the logout succeeds")]
async fn logout_succeeds(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    let outside_header = !x
        .request_headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case(api::AUTHORIZATION));
    if outside_header {
        w.status(
            Check::Documented(&rules::TOKEN_TRANSPORTS),
            x,
            Status::Success,
            "the logout to take the token outside the Authorization header (a 2xx)",
        )?;
    }
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
