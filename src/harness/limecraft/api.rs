//! The Limecraft Flow calls the steps make, as the documentation describes
//! them: one function per documented operation and transport, no assertions.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::exchange::Call;

pub const LOGIN: &str = "/authentication/login";
pub const VALIDATE: &str = "/authentication/2fa/validate";
pub const USER: &str = "/authentication/user";
pub const LOGOUT: &str = "/authentication/logout";
pub const ENABLE_2FA: &str = "/user/{id}/enable2fa";

/// The documented cookie that carries the token.
pub const SESSION_COOKIE: &str = "MOJITO_SESSION_ID_V2";

/// Where a call carries its token; a step reads it from the feature's words
/// ("the header", "the query string", "the cookie").
#[derive(Clone, Copy, Debug, PartialEq, Eq, cucumber::Parameter, strum::EnumString)]
#[param(
    name = "transport",
    regex = "the header|the Authorization header|the query string|the cookie"
)]
pub enum Transport {
    #[strum(serialize = "the header", serialize = "the Authorization header")]
    Header,
    #[strum(serialize = "the query string")]
    Query,
    #[strum(serialize = "the cookie")]
    Cookie,
}

/// The header as the document writes it (`Authorization: Bearer THE_TOKEN`).
pub const AUTHORIZATION: &str = "Authorization";

/// A call; its header names go on the wire as written (`Authorization`,
/// `Content-Type`), as curl sends them (every `Call` does: `exchange.rs`).
fn request(method: Method, operation: &'static str) -> Call {
    Call::new(method, operation)
}

/// Puts `token` on `call` the way `transport` says; the header under its
/// documented name.
pub fn with_token(call: Call, token: &str, transport: Transport) -> Call {
    match transport {
        Transport::Header => call.header(AUTHORIZATION, &format!("Bearer {token}")),
        Transport::Query => call.query("access_token", token),
        Transport::Cookie => call.header("Cookie", &format!("{SESSION_COOKIE}={token}")),
    }
}

pub fn login_json(username: &str, password: &str, remember_me: Option<bool>) -> Call {
    let mut body = json!({ "username": username, "password": password });
    if let Some(r) = remember_me {
        body["rememberMe"] = Value::Bool(r);
    }
    request(Method::POST, LOGIN).json(body)
}

pub fn login_form(username: &str, password: &str) -> Call {
    login_form_with(&[("username", username), ("password", password)])
}

/// A form login with these parameters as they are (redirectIfPassword …).
pub fn login_form_with(pairs: &[(&str, &str)]) -> Call {
    request(Method::POST, LOGIN).form(pairs)
}

pub fn current_user(token: Option<&str>, transport: Transport) -> Call {
    let call = request(Method::GET, USER);
    match token {
        Some(t) => with_token(call, t, transport),
        None => call,
    }
}

/// GET /authentication/user with the Authorization header's name in lower
/// case (RFC 9110 §5.1: field names are case-insensitive).
pub fn current_user_lower_case(token: &str) -> Call {
    request(Method::GET, USER).header(
        &AUTHORIZATION.to_ascii_lowercase(),
        &format!("Bearer {token}"),
    )
}

/// Enables 2FA for `user_id`. `again`: it is on already, and the body says
/// `redo: true` (the documented "run again") with a current code as `token`
/// when the suite has one (what a server may want as proof instead).
pub fn enable_two_factor(token: &str, user_id: &str, again: Option<Option<&str>>) -> Call {
    let body = match again {
        Some(Some(code)) => json!({ "redo": true, "token": code }),
        Some(None) => json!({ "redo": true }),
        None => json!({}),
    };
    let call = request(Method::POST, ENABLE_2FA)
        .path(format!("/user/{user_id}/enable2fa"))
        .json(body);
    with_token(call, token, Transport::Header)
}

/// Confirms a second factor that waits for its first code, as the enable
/// request's fields suggest (seed 003 lists `type`
/// `TWO_FA_AUTHENTICATOR_ENABLING` and a `token` field, and shows no such
/// call): `{"type": "TWO_FA_AUTHENTICATOR_ENABLING", "token": code}`.
pub fn confirm_two_factor(token: &str, user_id: &str, code: &str) -> Call {
    let call = request(Method::POST, ENABLE_2FA)
        .path(format!("/user/{user_id}/enable2fa"))
        .json(json!({
            "type": crate::reference::limecraft::store::ENABLING,
            "token": code,
        }));
    with_token(call, token, Transport::Header)
}

pub fn validate(
    token: Option<&str>,
    transport: Transport,
    code: &str,
    remember_me: Option<bool>,
) -> Call {
    let mut body = json!({ "token": code });
    if let Some(r) = remember_me {
        body["rememberMe"] = Value::Bool(r);
    }
    let call = request(Method::POST, VALIDATE).json(body);
    match token {
        Some(t) => with_token(call, t, transport),
        None => call,
    }
}

pub fn logout(token: &str, transport: Transport, all_sessions: bool) -> Call {
    let call = request(Method::POST, LOGOUT);
    let call = if all_sessions {
        call.json(json!({ "allSessions": true }))
    } else {
        call
    };
    with_token(call, token, transport)
}

/// A logout whose LogoutRequest carries the SAML redirect parameters.
pub fn logout_with(token: &str, body: Value) -> Call {
    with_token(
        request(Method::POST, LOGOUT).json(body),
        token,
        Transport::Header,
    )
}
