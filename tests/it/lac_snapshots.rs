//! Snapshots of every documented CA Live API Creator response shape the
//! reference server produces: status, Content-Type and JSON body.
//!
//! The server is driven in-process (`tower::ServiceExt::oneshot` on its
//! router), serving LAC alone at the root as the product does. Auth tokens and
//! expirations are redacted, each after a check that the value has the
//! expected form, so no secret and nothing time-dependent lands in a `.snap`.

use crate::common::{Reply, call, checked_or_null};
use authconform::reference::ReferenceServer;
use authconform::vendor::Vendor;
use axum::body::Body;
use axum::http::Method;
use serde_json::json;

const API: &str = "/rest/default/demo/v1";
const CUSTOM_API: &str = "/rest/default/demo_custom/v1";
const STRICT_API: &str = "/rest/default/demo_strict/v1";

fn server() -> ReferenceServer {
    crate::common::in_process(Vendor::Lac)
}

/// POST `<api>/@authentication<query>` with a raw JSON body.
async fn authentication(server: &ReferenceServer, api: &str, query: &str, body: &str) -> Reply {
    call(
        server,
        Method::POST,
        &format!("{api}/@authentication{query}"),
        None,
        Some("application/json"),
        body.to_owned(),
    )
    .await
}

async fn sign_on(server: &ReferenceServer, username: &str, password: &str) -> String {
    let body = json!({"username": username, "password": password}).to_string();
    let reply = authentication(server, API, "", &body).await;
    assert_eq!(reply.status, 200, "sign-on {username}: {}", reply.raw);
    reply.string_field("apikey")
}

fn is_apikey(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The documented pattern, UTC, no zone: `2014-12-31T23:59:59.999`.
fn is_expiration(s: &str) -> bool {
    s.len() == 23 && s.as_bytes()[19] == b'.' && s.parse::<jiff::civil::DateTime>().is_ok()
}

/// Snapshots `reply` with the token and its expiration redacted; a null
/// expiration (a token without one) stays null.
fn snapshot(name: &str, reply: &Reply) {
    let settings = crate::common::snapshot_settings(vec![
        (".body.apikey", checked_or_null("[apikey]", is_apikey)),
        (
            ".body.expiration",
            checked_or_null("[expiration]", is_expiration),
        ),
    ]);
    let view = reply.view();
    settings.bind(|| insta::assert_json_snapshot!(name, view));
}

#[tokio::test]
async fn sign_on_shapes() {
    let s = server();
    // The documentation's own request body, verbatim.
    let seed = authentication(
        &s,
        API,
        "",
        r#"{ "username": "demo", "password": "Password1"}"#,
    )
    .await;
    snapshot("lac_sign_on_200", &seed);
    let wrong = authentication(&s, API, "", r#"{"username": "demo", "password": "nope"}"#).await;
    snapshot("lac_sign_on_401_wrong_password", &wrong);
    let unknown =
        authentication(&s, API, "", r#"{"username": "nobody", "password": "nope"}"#).await;
    assert_eq!(unknown.raw, wrong.raw, "no user enumeration");
    let mixed = authentication(
        &s,
        API,
        "",
        r#"{"username": "demo", "password": "Password1", "apikey": "x"}"#,
    )
    .await;
    snapshot("lac_authentication_400_mixed_payload", &mixed);
    let plain = call(
        &s,
        Method::POST,
        &format!("{API}/@authentication"),
        None,
        Some("text/plain"),
        "x",
    )
    .await;
    snapshot("lac_authentication_415_text_plain", &plain);
}

#[tokio::test]
async fn revalidate_and_disable_shapes() {
    let s = server();
    let key = sign_on(&s, "alice", "alice-Pa55word").await;
    let body = json!({"apikey": key}).to_string();
    snapshot(
        "lac_revalidate_200",
        &authentication(&s, API, "", &body).await,
    );
    let disable = json!({"apikey": key, "disable": true}).to_string();
    snapshot(
        "lac_disable_200",
        &authentication(&s, API, "", &disable).await,
    );
    let again = authentication(&s, API, "", &disable).await;
    assert_eq!(again.status, 200, "disabling is idempotent: {}", again.raw);
    snapshot(
        "lac_revalidate_401_disabled",
        &authentication(&s, API, "", &body).await,
    );
    let never = json!({"apikey": "never-issued", "disable": true}).to_string();
    snapshot(
        "lac_disable_404_unknown",
        &authentication(&s, API, "", &never).await,
    );

    let other = sign_on(&s, "alice", "alice-Pa55word").await;
    s.clock.advance(24 * 3600).unwrap();
    let body = json!({"apikey": other}).to_string();
    snapshot(
        "lac_revalidate_401_expired",
        &authentication(&s, API, "", &body).await,
    );

    // A token created in API Creator without an expiration.
    let admin = json!({"apikey": "lac-restlab-7Vq2Lm9Xz4Kd8Pw3"}).to_string();
    snapshot(
        "lac_revalidate_200_no_expiration",
        &authentication(&s, API, "", &admin).await,
    );
}

#[tokio::test]
async fn password_change_shapes() {
    let s = server();
    let change = |new: &str| {
        json!({"username": "bob", "password": "bob-Pa55word", "new_password": new}).to_string()
    };
    let failure = authentication(&s, API, "?enablePasswordChange!", &change("a")).await;
    snapshot("lac_change_password_failure", &failure);
    let not_supported = authentication(
        &s,
        CUSTOM_API,
        "?enablePasswordChange!",
        &change("bob-N3w-pass"),
    )
    .await;
    snapshot("lac_change_password_not_supported", &not_supported);
    let success = authentication(&s, API, "?enablePasswordChange!", &change("bob-N3w-pass")).await;
    snapshot("lac_change_password_success", &success);
}

#[tokio::test]
async fn probe_shapes() {
    let s = server();
    let key = sign_on(&s, "alice", "alice-Pa55word").await;
    let header = format!("CALiveAPICreator {key}:1");
    let probe = format!("{API}/probe");
    snapshot(
        "lac_probe_200_header",
        &call(&s, Method::POST, &probe, Some(&header), None, Body::empty()).await,
    );
    snapshot(
        "lac_probe_200_url",
        &call(
            &s,
            Method::GET,
            &format!("{probe}?auth={key}:1"),
            None,
            None,
            Body::empty(),
        )
        .await,
    );
    snapshot(
        "lac_probe_401_no_token",
        &call(&s, Method::GET, &probe, None, None, Body::empty()).await,
    );
    snapshot(
        "lac_probe_401_url_on_post",
        &call(
            &s,
            Method::POST,
            &format!("{probe}?auth={key}:1"),
            None,
            None,
            Body::empty(),
        )
        .await,
    );
    let strict = sign_on_on(&s, STRICT_API).await;
    snapshot(
        "lac_probe_401_url_auth_off",
        &call(
            &s,
            Method::GET,
            &format!("{STRICT_API}/probe?auth={strict}:1"),
            None,
            None,
            Body::empty(),
        )
        .await,
    );
}

async fn sign_on_on(server: &ReferenceServer, api: &str) -> String {
    let body = json!({"username": "alice", "password": "alice-Pa55word"}).to_string();
    authentication(server, api, "", &body)
        .await
        .string_field("apikey")
}
