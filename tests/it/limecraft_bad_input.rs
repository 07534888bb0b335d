//! Hostile and malformed input against the Limecraft reference server, over real HTTP:
//! every answer is a clear 4xx with the vendor's envelope, never a 5xx, a panic
//! or a hang, and the sessions already open keep working.

use authconform::reference::{ReferenceConfig, ReferenceServer, RunningServer};
use authconform::vendor::Vendor;
use reqwest::Client;
use serde_json::{Value, json};

async fn server() -> (RunningServer, Client, String) {
    crate::common::spawn(Vendor::Limecraft).await
}

async fn login(client: &Client, base: &str) -> String {
    let r = client
        .post(format!("{base}/authentication/login"))
        .json(&json!({"username": "alice", "password": "alice-Pa55word"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn user_status(client: &Client, base: &str, token: &str) -> u16 {
    client
        .get(format!("{base}/authentication/user"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Limecraft's error envelope: every documented field, `code` the status.
fn envelope(what: &str, v: &Value, body: &str, expected: u16) {
    for field in ["type", "code", "errorNumber", "message", "data"] {
        assert!(
            v.get(field).is_some(),
            "{what}: envelope lacks {field}: {body}"
        );
    }
    assert_eq!(v["code"], expected, "{what}: {body}");
}

/// Asserts a 4xx with the documented envelope.
async fn assert_envelope(what: &str, response: reqwest::Response, expected: u16) {
    crate::common::assert_refusal(what, response, expected, envelope).await;
}

#[tokio::test]
async fn malformed_login_bodies_get_clear_4xx() {
    let (_s, client, base) = server().await;
    let alice = login(&client, &base).await;
    let url = format!("{base}/authentication/login");
    let cases: Vec<crate::common::BodyCase> = vec![
        (
            "malformed JSON",
            "application/json",
            b"{\"username\": \"alice\",".to_vec(),
            400,
        ),
        ("JSON array", "application/json", b"[1,2,3]".to_vec(), 400),
        (
            "rememberMe as text",
            "application/json",
            br#"{"username":"alice","password":"x","rememberMe":"maybe"}"#.to_vec(),
            400,
        ),
        (
            "rememberMe as number",
            "application/json",
            br#"{"username":"alice","password":"x","rememberMe":2}"#.to_vec(),
            400,
        ),
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
        ("empty body", "application/json", vec![], 400),
        // The spec says string (Schemathesis sends objects, arrays, numbers).
        (
            "redirectIfSaml as an object",
            "application/json",
            br#"{"username":"alice","password":"x","redirectIfSaml":{}}"#.to_vec(),
            400,
        ),
        (
            "redirectIfOk as an array",
            "application/json",
            br#"{"username":"alice","password":"x","redirectIfOk":[]}"#.to_vec(),
            400,
        ),
        (
            "redirectIfFailed as a number",
            "application/json",
            br#"{"username":"alice","password":"x","redirectIfFailed":1}"#.to_vec(),
            400,
        ),
        (
            "redirectIfPassword as true",
            "application/json",
            br#"{"username":"alice","redirectIfPassword":true}"#.to_vec(),
            400,
        ),
        (
            "non-UTF-8 JSON",
            "application/json",
            vec![b'{', 0xff, 0xfe, b'}'],
            400,
        ),
        (
            "non-UTF-8 form",
            "application/x-www-form-urlencoded",
            vec![b'u', b'=', 0xff, 0xfe],
            400,
        ),
        (
            "form rememberMe as text",
            "application/x-www-form-urlencoded",
            b"username=alice&password=x&rememberMe=maybe".to_vec(),
            400,
        ),
        ("text/plain", "text/plain", b"username=alice".to_vec(), 415),
        ("XML", "application/xml", b"<user/>".to_vec(), 415),
    ];
    crate::common::assert_bodies_refused(&client, &url, cases, envelope).await;
    let no_type = client
        .post(&url)
        .body("username=alice")
        .send()
        .await
        .unwrap();
    assert_envelope("no Content-Type", no_type, 415).await;
    assert_eq!(
        user_status(&client, &base, &alice).await,
        200,
        "alice's session survives"
    );
}

#[tokio::test]
async fn a_10_mb_body_is_refused_quickly_with_413() {
    let (_s, client, base) = server().await;
    let alice = login(&client, &base).await;
    let huge = crate::common::ten_mb_body(br#"{"username":"alice","password":""#, br#""}"#);
    let url = format!("{base}/authentication/login");
    crate::common::assert_too_large_refused_quickly(&client, &url, huge, envelope).await;
    assert_eq!(
        user_status(&client, &base, &alice).await,
        200,
        "alice's session survives"
    );
}

#[tokio::test]
async fn hostile_tokens_get_401_in_every_transport() {
    let (_s, client, base) = server().await;
    let alice = login(&client, &base).await;
    let url = format!("{base}/authentication/user");
    let big = "A".repeat(100 * 1024);
    let r = client.get(&url).bearer_auth(&big).send().await.unwrap();
    assert_envelope("100 KB bearer token", r, 401).await;
    // A URI cannot exceed 64 KiB in the `http` crate, so the query probe is 60 KB.
    let long = "A".repeat(60 * 1024);
    let r = client
        .get(&url)
        .query(&[("access_token", &long)])
        .send()
        .await
        .unwrap();
    assert_envelope("60 KB query token", r, 401).await;
    let r = client
        .get(&url)
        .header("cookie", format!("MOJITO_SESSION_ID_V2={big}"))
        .send()
        .await
        .unwrap();
    assert_envelope("100 KB cookie token", r, 401).await;
    let r = client
        .get(&url)
        .header(
            "authorization",
            reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_envelope("non-UTF-8 Authorization", r, 401).await;
    for scheme in ["Basic YWxpY2U6eA==", "Bearer", "bearer  ", "Token abc"] {
        let r = client
            .get(&url)
            .header("authorization", scheme)
            .send()
            .await
            .unwrap();
        assert_envelope(scheme, r, 401).await;
    }
    // A prefix or a case change of a real token is not the token.
    let r = client
        .get(&url)
        .bearer_auth(&alice[..alice.len() - 1])
        .send()
        .await
        .unwrap();
    assert_envelope("truncated token", r, 401).await;
    let r = client
        .get(&url)
        .bearer_auth(alice.to_uppercase())
        .send()
        .await
        .unwrap();
    assert_envelope("upper-cased token", r, 401).await;
    assert_eq!(
        user_status(&client, &base, &alice).await,
        200,
        "alice's session survives"
    );
}

#[tokio::test]
async fn other_calls_reject_bad_bodies_without_side_effects() {
    let (_s, client, base) = server().await;
    let alice = login(&client, &base).await;
    // A malformed logout body must not log alice out.
    let r = client
        .post(format!("{base}/authentication/logout"))
        .bearer_auth(&alice)
        .header("content-type", "application/json")
        .body("{\"allSessions\": tru")
        .send()
        .await
        .unwrap();
    assert_envelope("malformed logout body", r, 400).await;
    let r = client
        .post(format!("{base}/authentication/logout"))
        .bearer_auth(&alice)
        .json(&json!({"allSessions": "yes"}))
        .send()
        .await
        .unwrap();
    assert_envelope("allSessions as text", r, 400).await;
    assert_eq!(
        user_status(&client, &base, &alice).await,
        200,
        "still logged in"
    );

    let r = client
        .post(format!("{base}/user/1001/enable2fa"))
        .bearer_auth(&alice)
        .json(&json!({"redo": "please"}))
        .send()
        .await
        .unwrap();
    assert_envelope("enable2fa redo as text", r, 400).await;
    let r = client
        .post(format!("{base}/user/not-a-number/enable2fa"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_envelope("non-numeric user id", r, 404).await;
    let r = client
        .post(format!("{base}/user/%ff/enable2fa"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_envelope("a user id that is not UTF-8", r, 400).await;
    // alice has no second factor: the failed enable2fa calls changed nothing.
    login(&client, &base).await;

    let r = client
        .post(format!("{base}/authentication/2fa/validate"))
        .bearer_auth(&alice)
        .json(&json!({"token": 123456}))
        .send()
        .await
        .unwrap();
    assert_envelope("code as a number", r, 400).await;
}

#[tokio::test]
async fn unknown_paths_and_methods_get_the_envelope() {
    let (_s, client, base) = server().await;
    let r = client
        .get(format!("{base}/no/such/call"))
        .send()
        .await
        .unwrap();
    assert_envelope("unknown path", r, 404).await;
    let r = client
        .get(format!("{base}/authentication/login"))
        .send()
        .await
        .unwrap();
    assert_envelope("GET on login", r, 405).await;
}

#[tokio::test]
async fn a_burst_of_garbage_leaves_the_server_serving() {
    let (_s, client, base) = server().await;
    let alice = login(&client, &base).await;
    let mut tasks = Vec::new();
    for i in 0..200u32 {
        let client = client.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let body: Vec<u8> = (0..(i * 37 % 4096)).map(|j| (j * 31 + i) as u8).collect();
            client
                .post(format!("{base}/authentication/login"))
                .header(
                    "content-type",
                    if i % 2 == 0 {
                        "application/json"
                    } else {
                        "application/x-www-form-urlencoded"
                    },
                )
                .body(body)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    for t in tasks {
        let status = t.await.unwrap().unwrap();
        assert!((400..500).contains(&status), "garbage got {status}");
    }
    assert_eq!(user_status(&client, &base, &alice).await, 200);
}

#[tokio::test]
async fn the_control_api_refuses_bad_input_and_backwards_time() {
    let (s, client, _) = server().await;
    let url = format!("{}/__authconform/clock/advance", s.url());
    for body in ["nope", r#"{"seconds": "1"}"#, r#"{"seconds": -5}"#] {
        let r = client
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
    }
}

#[tokio::test]
async fn without_test_mode_there_is_no_control_api() {
    let running = ReferenceServer::new(ReferenceConfig {
        test_mode: false,
        ..ReferenceConfig::for_tests()
    })
    .spawn(([127, 0, 0, 1], 0).into())
    .await
    .unwrap();
    let r = reqwest::get(format!("{}/__authconform/clock", running.url()))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
