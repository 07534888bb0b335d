//! Hostile and malformed input against the FileVerbs reference server, over
//! real HTTP: a clear 4xx with `{"message"}`, never a 5xx, and live tokens survive.

use std::time::Duration;

use authconform::reference::{ReferenceConfig, ReferenceServer, RunningServer};
use authconform::vendor::Vendor;
use reqwest::Client;
use serde_json::{Value, json};

const ALICE_SECRET: &str = "fv-secret-alice-7Qm2vX9kL4pR8sT1";
const ALICE_API: &str = "fv-api-alice-3Hn6bW0cJ5yZ2dF7";

async fn server() -> (RunningServer, Client, String) {
    let running = ReferenceServer::new(ReferenceConfig::for_tests())
        .spawn(([127, 0, 0, 1], 0).into())
        .await
        .expect("bind loopback");
    let base = running.api_base_url(Vendor::FileVerbs);
    let client = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    (running, client, base)
}

async fn tokens(client: &Client, base: &str) -> (String, String) {
    let r: Value = client
        .post(format!("{base}/accounts/access-token"))
        .json(&json!({"SecretKey": ALICE_SECRET, "APIKey": ALICE_API}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        r["JwtToken"].as_str().unwrap().to_owned(),
        r["RefreshToken"].as_str().unwrap().to_owned(),
    )
}

async fn assert_message(what: &str, response: reqwest::Response, expected: u16) {
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(
        status, expected,
        "{what}: expected {expected}, got {status} {body}"
    );
    let v: Value =
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("{what}: not JSON: {body}"));
    assert!(v["message"].is_string(), "{what}: no message: {body}");
    assert!(v.get("JwtToken").is_none(), "{what}: a token in a refusal");
}

#[tokio::test]
async fn malformed_access_token_requests_get_clear_4xx() {
    let (_s, client, base) = server().await;
    let (jwt, _) = tokens(&client, &base).await;
    let url = format!("{base}/accounts/access-token");
    let cases: Vec<(&str, &str, Vec<u8>, u16)> = vec![
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
    for (what, content_type, body, expected) in cases {
        let r = client
            .post(&url)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_message(what, r, expected).await;
    }
    let mut huge = format!(r#"{{"SecretKey":"{ALICE_SECRET}","APIKey":""#).into_bytes();
    huge.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    match client
        .post(&url)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
    {
        Ok(r) => assert_message("10 MB body", r, 413).await,
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
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
