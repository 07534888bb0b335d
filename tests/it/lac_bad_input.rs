//! Hostile and malformed input against the CA Live API Creator reference
//! server, over real HTTP: a clear 4xx with `{"statusCode","errorCode",
//! "errorMessage"}`, never a 5xx, a panic or a hang, and live auth tokens
//! survive.

use authconform::reference::RunningServer;
use authconform::vendor::Vendor;
use reqwest::Client;
use serde_json::{Value, json};

async fn server() -> (RunningServer, Client, String) {
    crate::common::spawn(Vendor::Lac).await
}

async fn sign_on(client: &Client, base: &str) -> String {
    let r = crate::common::json_of(
        client
            .post(format!("{base}/@authentication"))
            .json(&json!({"username": "alice", "password": "alice-Pa55word"})),
    )
    .await;
    r["apikey"].as_str().unwrap().to_owned()
}

async fn probe_status(client: &Client, base: &str, apikey: &str) -> u16 {
    client
        .get(format!("{base}/probe"))
        .header("Authorization", format!("CALiveAPICreator {apikey}:1"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// LAC's error body: `statusCode` the status, a numeric `errorCode`, an
/// `errorMessage`, and never a token.
fn error_body(what: &str, v: &Value, body: &str, expected: u16) {
    assert_eq!(v["statusCode"], expected, "{what}: {body}");
    assert!(v["errorCode"].is_u64(), "{what}: no errorCode: {body}");
    assert!(
        v["errorMessage"].is_string(),
        "{what}: no errorMessage: {body}"
    );
    assert!(v.get("apikey").is_none(), "{what}: a token in a refusal");
}

/// Asserts the status and the error body.
async fn assert_error(what: &str, response: reqwest::Response, expected: u16) {
    crate::common::assert_refusal(what, response, expected, error_body).await;
}

#[tokio::test]
async fn malformed_authentication_bodies_get_clear_4xx() {
    let (_s, client, base) = server().await;
    let alice = sign_on(&client, &base).await;
    let url = format!("{base}/@authentication");
    let cases: Vec<crate::common::BodyCase> = vec![
        (
            "malformed JSON",
            "application/json",
            b"{\"username\": \"alice\",".to_vec(),
            400,
        ),
        ("JSON array", "application/json", b"[1,2,3]".to_vec(), 400),
        (
            "JSON string",
            "application/json",
            b"\"apikey\"".to_vec(),
            400,
        ),
        ("empty object", "application/json", b"{}".to_vec(), 400),
        ("empty body", "application/json", vec![], 400),
        (
            "username as number",
            "application/json",
            br#"{"username":5,"password":"x"}"#.to_vec(),
            400,
        ),
        (
            "missing password",
            "application/json",
            br#"{"username":"alice"}"#.to_vec(),
            400,
        ),
        (
            "apikey as number",
            "application/json",
            br#"{"apikey":12345}"#.to_vec(),
            400,
        ),
        (
            "disable as text",
            "application/json",
            format!(r#"{{"apikey":"{alice}","disable":"true"}}"#).into_bytes(),
            400,
        ),
        (
            "disable false",
            "application/json",
            format!(r#"{{"apikey":"{alice}","disable":false}}"#).into_bytes(),
            400,
        ),
        (
            "disable without apikey",
            "application/json",
            br#"{"disable":true}"#.to_vec(),
            400,
        ),
        (
            "apikey with credentials",
            "application/json",
            format!(r#"{{"apikey":"{alice}","username":"alice","password":"alice-Pa55word"}}"#)
                .into_bytes(),
            400,
        ),
        (
            "new_password as number",
            "application/json",
            br#"{"username":"alice","password":"alice-Pa55word","new_password":1}"#.to_vec(),
            400,
        ),
        (
            "non-UTF-8 JSON",
            "application/json",
            vec![b'{', 0xff, 0xfe, b'}'],
            400,
        ),
        (
            "form",
            "application/x-www-form-urlencoded",
            b"username=alice&password=alice-Pa55word".to_vec(),
            415,
        ),
        ("XML", "application/xml", b"<user/>".to_vec(), 415),
    ];
    crate::common::assert_bodies_refused(&client, &url, cases, error_body).await;
    let no_type = client
        .post(&url)
        .body(r#"{"username":"alice","password":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_error("no Content-Type", no_type, 415).await;
    let get = client.get(&url).send().await.unwrap();
    assert_error("GET @authentication", get, 405).await;
    let nowhere = client
        .get(format!("{base}/no/such/resource"))
        .send()
        .await
        .unwrap();
    assert_error("an unknown resource", nowhere, 404).await;
    assert_eq!(
        probe_status(&client, &base, &alice).await,
        200,
        "alice's auth token survives"
    );
}

#[tokio::test]
async fn a_10_mb_body_is_refused_quickly_with_413() {
    let (_s, client, base) = server().await;
    let alice = sign_on(&client, &base).await;
    let huge = crate::common::ten_mb_body(br#"{"username":"alice","password":""#, br#""}"#);
    let url = format!("{base}/@authentication?enablePasswordChange!");
    crate::common::assert_too_large_refused_quickly(&client, &url, huge, error_body).await;
    assert_eq!(probe_status(&client, &base, &alice).await, 200);
}

#[tokio::test]
async fn hostile_auth_tokens_get_401() {
    let (_s, client, base) = server().await;
    let alice = sign_on(&client, &base).await;
    let url = format!("{base}/probe");
    let big = "A".repeat(100 * 1024);
    let headers: Vec<(&str, reqwest::header::HeaderValue)> = vec![
        (
            "100 KB token",
            format!("CALiveAPICreator {big}:1").parse().unwrap(),
        ),
        ("no token", "CALiveAPICreator".parse().unwrap()),
        ("only the suffix", "CALiveAPICreator :1".parse().unwrap()),
        (
            "no :1 suffix",
            format!("CALiveAPICreator {alice}").parse().unwrap(),
        ),
        (
            "another suffix",
            format!("CALiveAPICreator {alice}:2").parse().unwrap(),
        ),
        (
            "a prefix of the token",
            format!("CALiveAPICreator {}:1", &alice[..alice.len() - 1])
                .parse()
                .unwrap(),
        ),
        (
            "non-UTF-8",
            reqwest::header::HeaderValue::from_bytes(b"CALiveAPICreator \xff\xfe:1").unwrap(),
        ),
        ("Basic", "Basic YWxpY2U6eA==".parse().unwrap()),
    ];
    for (what, value) in headers {
        let r = client
            .get(&url)
            .header("Authorization", value)
            .send()
            .await
            .unwrap();
        assert_error(what, r, 401).await;
    }
    // A URI cannot exceed 64 KiB in the `http` crate, so the URL probe is 60 KB.
    let long = format!("{}:1", "A".repeat(60 * 1024));
    let r = client
        .get(&url)
        .query(&[("auth", &long)])
        .send()
        .await
        .unwrap();
    assert_error("60 KB URL token", r, 401).await;
    // Revalidating or disabling garbage is a clean refusal too.
    let auth = format!("{base}/@authentication");
    let r = client
        .post(&auth)
        .json(&json!({"apikey": "A".repeat(60 * 1024)}))
        .send()
        .await
        .unwrap();
    assert_error("revalidate a 60 KB token", r, 401).await;
    let r = client
        .post(&auth)
        .json(&json!({"apikey": "", "disable": true}))
        .send()
        .await
        .unwrap();
    assert_error("disable an empty token", r, 404).await;
    assert_eq!(probe_status(&client, &base, &alice).await, 200);
}

#[tokio::test]
async fn hostile_password_changes_change_nothing() {
    let (_s, client, base) = server().await;
    let url = format!("{base}/@authentication?enablePasswordChange!");
    // A 60 KB new password: the policy refuses it, a token is still issued.
    let r = crate::common::json_of(client.post(&url).json(&json!({"username": "bob", "password": "bob-Pa55word", "new_password": "Ab1".repeat(20_000)}))).await;
    assert_eq!(r["changePasswordResult"], "failure", "{r}");
    assert!(r["apikey"].is_string(), "{r}");
    // Both spellings with different values: which one would be meant? Neither.
    let r = crate::common::json_of(client.post(&url).json(&json!({"username": "bob", "password": "bob-Pa55word", "new_password": "bob-N3w-one", "newPassword": "bob-N3w-two"}))).await;
    assert_eq!(r["changePasswordResult"], "failure", "{r}");
    // No new password at all.
    let r = crate::common::json_of(
        client
            .post(&url)
            .json(&json!({"username": "bob", "password": "bob-Pa55word"})),
    )
    .await;
    assert_eq!(r["changePasswordResult"], "failure", "{r}");
    let still = client
        .post(format!("{base}/@authentication"))
        .json(&json!({"username": "bob", "password": "bob-Pa55word"}))
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), 200, "bob's password is unchanged");
}
