//! Snapshots of every documented Limecraft response shape the reference server
//! produces: status, Content-Type and JSON body.
//!
//! The server is driven in-process (`tower::ServiceExt::oneshot` on its router),
//! serving Limecraft alone at the root as the vendor does. Tokens, TOTP keys,
//! otpauth URIs and times are redacted, each after a check that the value has
//! the expected form, so no secret and nothing time-dependent lands in a
//! `.snap` file.

use crate::common::{Reply, checked};
use authconform::reference::ReferenceServer;
use authconform::totp::{self, TotpParams};
use authconform::vendor::Vendor;
use axum::body::Body;
use axum::http::Method;
use serde_json::{Value, json};

fn server() -> ReferenceServer {
    crate::common::in_process(Vendor::Limecraft)
}

/// [`crate::common::call`] with a bearer token.
async fn call(
    server: &ReferenceServer,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> Reply {
    let authorization = bearer.map(|token| format!("Bearer {token}"));
    crate::common::call(
        server,
        method,
        path,
        authorization.as_deref(),
        content_type,
        body,
    )
    .await
}

/// A request with a bearer token and no body (most calls after login).
async fn bodiless(server: &ReferenceServer, method: Method, path: &str, token: &str) -> Reply {
    call(server, method, path, Some(token), None, Body::empty()).await
}

async fn post_json(
    server: &ReferenceServer,
    path: &str,
    bearer: Option<&str>,
    body: Value,
) -> Reply {
    call(
        server,
        Method::POST,
        path,
        bearer,
        Some("application/json"),
        body.to_string(),
    )
    .await
}

async fn login(server: &ReferenceServer, username: &str, password: &str) -> Reply {
    post_json(
        server,
        "/api/authentication/login",
        None,
        json!({"username": username, "password": password}),
    )
    .await
}

/// Logs `username` in and returns the final token.
async fn token_of(server: &ReferenceServer, username: &str, password: &str) -> String {
    let reply = login(server, username, password).await;
    assert_eq!(reply.status, 200, "login {username}: {}", reply.raw);
    reply.string_field("token")
}

fn is_token(s: &str) -> bool {
    // 32 bytes, unpadded base64url.
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_base32_key(s: &str) -> bool {
    totp::decode_secret(s).is_some_and(|k| k.len() >= 16)
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

fn is_otpauth(s: &str) -> bool {
    s.starts_with("otpauth://totp/") && s.contains("secret=")
}

fn is_time(s: &str) -> bool {
    s.parse::<jiff::Timestamp>().is_ok()
}

/// Snapshots `reply` with every secret and time redacted.
fn snapshot(name: &str, reply: &Reply) {
    let mut redactions = vec![
        (".body.token", checked("[token]", is_token)),
        (".body.key", checked("[key]", is_base32_key)),
        (".body.qr", checked("[qr]", is_otpauth)),
    ];
    let times: Vec<String> = ["created", "lastUpdated", "lastSeen", "activated"]
        .iter()
        .map(|field| format!(".body.{field}"))
        .collect();
    for field in &times {
        redactions.push((field, checked("[time]", is_time)));
    }
    let view = reply.view();
    crate::common::snapshot_settings(redactions).bind(|| insta::assert_json_snapshot!(name, view));
}

/// Logs carol in, enables 2FA for her (as herself) and returns the enable2fa reply.
async fn enrol_carol(server: &ReferenceServer) -> Reply {
    let carol = token_of(server, "carol", "carol-Pa55word").await;
    bodiless(server, Method::POST, "/api/user/1003/enable2fa", &carol).await
}

/// The TOTP parameters and secret an enable2fa reply advertises.
fn totp_of(enrolment: &Reply) -> (TotpParams, Vec<u8>) {
    let v = enrolment.json();
    let params = TotpParams {
        algorithm: totp::parse_algorithm(v["hashingAlgorithm"].as_str().unwrap()).unwrap(),
        digits: v["digits"].as_u64().unwrap() as usize,
        period: v["period"].as_u64().unwrap(),
    };
    (
        params,
        totp::decode_secret(v["key"].as_str().unwrap()).unwrap(),
    )
}

async fn validate(server: &ReferenceServer, temporary: &str, code: &str) -> Reply {
    post_json(
        server,
        "/api/authentication/2fa/validate",
        Some(temporary),
        json!({"token": code}),
    )
    .await
}

// ---------------------------------------------------------------------------
// Login
// ---------------------------------------------------------------------------

#[tokio::test]
async fn login_200() {
    let s = server();
    let reply = login(&s, "alice", "alice-Pa55word").await;
    snapshot("login_200", &reply);
}

#[tokio::test]
async fn login_200_needs_second_token() {
    let s = server();
    assert_eq!(enrol_carol(&s).await.status, 200);
    let reply = login(&s, "carol", "carol-Pa55word").await;
    snapshot("login_200_needs_second_token", &reply);
}

#[tokio::test]
async fn login_401_wrong_password() {
    let s = server();
    let reply = login(&s, "alice", "not-alices-password").await;
    snapshot("login_401_wrong_password", &reply);
}

#[tokio::test]
async fn login_401_unknown_user() {
    let s = server();
    let reply = login(&s, "wrongUsername", "mysecret123!").await;
    snapshot("login_401_unknown_user", &reply);
}

#[tokio::test]
async fn login_403_locked() {
    let s = server();
    let reply = login(&s, "dave", "dave-Pa55word").await;
    snapshot("login_403_locked", &reply);
}

#[tokio::test]
async fn login_401_disabled() {
    let s = server();
    let reply = login(&s, "erin", "erin-Pa55word").await;
    snapshot("login_401_disabled", &reply);
}

#[tokio::test]
async fn login_415_text_plain() {
    let s = server();
    let reply = call(
        &s,
        Method::POST,
        "/api/authentication/login",
        None,
        Some("text/plain"),
        "username=alice&password=alice-Pa55word",
    )
    .await;
    snapshot("login_415_text_plain", &reply);
}

#[tokio::test]
async fn login_400_remember_me_not_boolean() {
    let s = server();
    let reply = post_json(
        &s,
        "/api/authentication/login",
        None,
        json!({"username": "alice", "password": "alice-Pa55word", "rememberMe": "maybe"}),
    )
    .await;
    snapshot("login_400_remember_me_maybe", &reply);
}

// ---------------------------------------------------------------------------
// Current user
// ---------------------------------------------------------------------------

#[tokio::test]
async fn user_200() {
    let s = server();
    let alice = token_of(&s, "alice", "alice-Pa55word").await;
    let reply = bodiless(&s, Method::GET, "/api/authentication/user", &alice).await;
    snapshot("user_200", &reply);
}

// ---------------------------------------------------------------------------
// enable2fa
// ---------------------------------------------------------------------------

#[tokio::test]
async fn enable2fa_200() {
    let s = server();
    let reply = enrol_carol(&s).await;
    snapshot("enable2fa_200", &reply);
}

#[tokio::test]
async fn enable2fa_403_other_user_without_support() {
    let s = server();
    let alice = token_of(&s, "alice", "alice-Pa55word").await;
    // 1002 is bob; alice has no SUPPORT rights.
    let reply = bodiless(&s, Method::POST, "/api/user/1002/enable2fa", &alice).await;
    snapshot("enable2fa_403", &reply);
}

#[tokio::test]
async fn enable2fa_404_unknown_id() {
    let s = server();
    let alice = token_of(&s, "alice", "alice-Pa55word").await;
    let reply = bodiless(&s, Method::POST, "/api/user/999999/enable2fa", &alice).await;
    snapshot("enable2fa_404", &reply);
}

// ---------------------------------------------------------------------------
// 2fa/validate
// ---------------------------------------------------------------------------

#[tokio::test]
async fn validate_200() {
    let s = server();
    let enrolment = enrol_carol(&s).await;
    assert_eq!(enrolment.status, 200);
    let (params, secret) = totp_of(&enrolment);
    let temporary = login(&s, "carol", "carol-Pa55word")
        .await
        .string_field("token");
    let code = totp::code_at(params, &secret, s.clock.now());
    let reply = validate(&s, &temporary, &code).await;
    snapshot("validate_200", &reply);
    // The final token works; the temporary one did not become it.
    let user = bodiless(
        &s,
        Method::GET,
        "/api/authentication/user",
        &reply.string_field("token"),
    )
    .await;
    assert_eq!(user.status, 200, "{}", user.raw);
    assert_ne!(reply.string_field("token"), temporary);
}

#[tokio::test]
async fn validate_401_wrong_code() {
    let s = server();
    let enrolment = enrol_carol(&s).await;
    assert_eq!(enrolment.status, 200);
    let (params, secret) = totp_of(&enrolment);
    let temporary = login(&s, "carol", "carol-Pa55word")
        .await
        .string_field("token");
    // A well-formed code that matches no step the server could accept now
    // (nor in the next step, should the clock tick meanwhile).
    let step = totp::step_of(s.clock.now(), params.period);
    let valid: Vec<String> = (step - 1..=step + 2)
        .map(|st| totp::code_at(params, &secret, st * params.period as i64))
        .collect();
    let wrong = (0..10)
        .map(|d| d.to_string().repeat(params.digits))
        .find(|c| !valid.contains(c))
        .expect("ten candidates, at most four valid codes");
    let reply = validate(&s, &temporary, &wrong).await;
    snapshot("validate_401_wrong_code", &reply);
}

// ---------------------------------------------------------------------------
// Logout
// ---------------------------------------------------------------------------

#[tokio::test]
async fn logout_200() {
    let s = server();
    let alice = token_of(&s, "alice", "alice-Pa55word").await;
    let reply = bodiless(&s, Method::POST, "/api/authentication/logout", &alice).await;
    snapshot("logout_200", &reply);
    let after = bodiless(&s, Method::GET, "/api/authentication/user", &alice).await;
    assert_eq!(after.status, 401, "a logged-out token still works");
}
