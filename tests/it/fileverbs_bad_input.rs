//! Hostile and malformed input against the FileVerbs reference server, over
//! real HTTP: a clear 4xx with `{"message"}`, never a 5xx, and live tokens survive.

use authconform::reference::RunningServer;
use authconform::vendor::Vendor;
use reqwest::Client;
use serde_json::{Value, json};

const ALICE_SECRET: &str = "fv-secret-alice-7Qm2vX9kL4pR8sT1";
const ALICE_API: &str = "fv-api-alice-3Hn6bW0cJ5yZ2dF7";

async fn server() -> (RunningServer, Client, String) {
    crate::common::spawn(Vendor::FileVerbs).await
}

async fn tokens(client: &Client, base: &str) -> (String, String) {
    let r = crate::common::json_of(
        client
            .post(format!("{base}/accounts/access-token"))
            .json(&json!({"SecretKey": ALICE_SECRET, "APIKey": ALICE_API})),
    )
    .await;
    (
        r["JwtToken"].as_str().unwrap().to_owned(),
        r["RefreshToken"].as_str().unwrap().to_owned(),
    )
}

/// FileVerbs' error body: a `message`, and never a token.
fn message_body(what: &str, v: &Value, body: &str, _expected: u16) {
    assert!(v["message"].is_string(), "{what}: no message: {body}");
    assert!(v.get("JwtToken").is_none(), "{what}: a token in a refusal");
}

async fn assert_message(what: &str, response: reqwest::Response, expected: u16) {
    crate::common::assert_refusal(what, response, expected, message_body).await;
}

#[tokio::test]
async fn malformed_access_token_requests_get_clear_4xx() {
    let (_s, client, base) = server().await;
    let (jwt, _) = tokens(&client, &base).await;
    let url = format!("{base}/accounts/access-token");
    let cases: Vec<crate::common::BodyCase> = vec![
        (
            "malformed JSON",
            "application/json",
            b"{\"SecretKey\":".to_vec(),
            400,
        ),
        ("array", "application/json", b"[]".to_vec(), 400),
        (
            "keys as numbers",
            "application/json",
            br#"{"SecretKey":1,"APIKey":2}"#.to_vec(),
            400,
        ),
        (
            "camelCase fields",
            "application/json",
            format!(r#"{{"secretKey":"{ALICE_SECRET}","apiKey":"{ALICE_API}"}}"#).into_bytes(),
            400,
        ),
        ("empty body", "application/json", vec![], 400),
        ("non-UTF-8", "application/json", vec![b'{', 0xff, b'}'], 400),
        (
            "form",
            "application/x-www-form-urlencoded",
            format!("SecretKey={ALICE_SECRET}&APIKey={ALICE_API}").into_bytes(),
            415,
        ),
        ("XML", "application/xml", b"<x/>".to_vec(), 415),
    ];
    crate::common::assert_bodies_refused(&client, &url, cases, message_body).await;
    let huge = crate::common::ten_mb_body(
        format!(r#"{{"SecretKey":"{ALICE_SECRET}","APIKey":""#).as_bytes(),
        b"",
    );
    crate::common::assert_too_large_refused_quickly(&client, &url, huge, message_body).await;
    let probe = client
        .get(format!("{base}/endpoint"))
        .bearer_auth(&jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 200, "alice's JWT survives the garbage");
}

#[tokio::test]
async fn hostile_credentials_are_refused_with_401() {
    let (_s, client, base) = server().await;
    let url = format!("{base}/endpoint");
    let big = "k".repeat(100 * 1024);
    let r = client
        .get(&url)
        .header("SecretKey", &big)
        .send()
        .await
        .unwrap();
    assert_message("100 KB SecretKey", r, 401).await;
    let r = client.get(&url).bearer_auth(&big).send().await.unwrap();
    assert_message("100 KB bearer", r, 401).await;
    let r = client
        .get(&url)
        .header(
            "SecretKey",
            reqwest::header::HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_message("non-UTF-8 SecretKey", r, 401).await;
    for jwt in ["a.b.c", "...", "eyJhbGciOiJub25lIn0.e30.", "not a jwt"] {
        let r = client.get(&url).bearer_auth(jwt).send().await.unwrap();
        assert_message(jwt, r, 401).await;
    }
    // A valid SecretKey's prefix is not the SecretKey.
    let r = client
        .get(&url)
        .header("SecretKey", &ALICE_SECRET[..ALICE_SECRET.len() - 1])
        .send()
        .await
        .unwrap();
    assert_message("a key prefix", r, 401).await;
}

#[tokio::test]
async fn bad_refresh_and_revoke_requests_change_nothing() {
    let (_s, client, base) = server().await;
    let (_, refresh) = tokens(&client, &base).await;
    let r = client
        .post(format!("{base}/accounts/refresh-token"))
        .send()
        .await
        .unwrap();
    assert_message("no refresh token", r, 401).await;
    let r = client
        .post(format!("{base}/accounts/refresh-token"))
        .json(&json!({"RefreshToken": 5}))
        .send()
        .await
        .unwrap();
    assert_message("refresh token as a number", r, 400).await;
    let r = client
        .post(format!("{base}/accounts/revoke-token"))
        .json(&json!({"RefreshToken": "never-issued"}))
        .send()
        .await
        .unwrap();
    assert_message("revoke an unknown token", r, 404).await;
    let r = client
        .post(format!("{base}/accounts/refresh-token"))
        .header("cookie", format!("RefreshToken={refresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the real refresh token still works");
}
