//! The mocks as a client's test suite uses them: every handle call, checked by
//! what an HTTP client sees.

use std::time::{Duration, Instant};

use authconform::mock::{FileVerbs, Lac, Limecraft, MockError};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn login(mock: &Limecraft, username: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/authentication/login", mock.base_url()))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("the mock answers")
}

#[tokio::test]
async fn fail_next_answers_the_vendor_envelope_exactly_n_times_then_serves() {
    let mock = Limecraft::start().await;
    mock.fail_next(
        Method::POST,
        "/authentication/login",
        2,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .unwrap();
    for _ in 0..2 {
        let r = login(&mock, "alice", "alice-Pa55word").await;
        assert_eq!(r.status(), 503);
        let body: Value = r.json().await.unwrap();
        // Limecraft's documented envelope, exactly.
        assert_eq!(body["type"], "ServiceUnavailableError");
        assert_eq!(body["code"], 503);
        assert_eq!(body["errorNumber"], 0);
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("Service Unavailable")
        );
        assert_eq!(body["data"], Value::Null);
        assert_eq!(body.as_object().unwrap().len(), 5, "{body}");
    }
    let r = login(&mock, "alice", "alice-Pa55word").await;
    assert_eq!(r.status(), 200);
    // Other endpoints were never affected, and every call is in the journal.
    assert_eq!(mock.received_requests().len(), 3);
}

#[tokio::test]
async fn a_401_injected_on_lac_and_fileverbs_carries_their_own_bodies() {
    let lac = Lac::start().await;
    lac.fail_next(Method::GET, "/probe", 1, StatusCode::UNAUTHORIZED)
        .unwrap();
    let body: Value = reqwest::get(format!("{}/probe", lac.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["statusCode"], 401);
    assert_eq!(body["errorCode"], 4010);
    assert!(body["errorMessage"].is_string());

    let fv = FileVerbs::start().await;
    fv.fail_next(
        Method::POST,
        "/accounts/access-token",
        1,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .unwrap();
    let r = reqwest::Client::new()
        .post(format!("{}/accounts/access-token", fv.base_url()))
        .json(&json!({"SecretKey": "eyJhbGci...", "APIKey": "jgJhbSag..."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body.as_object().unwrap().len(), 1);
    assert!(body["message"].is_string());
}

#[tokio::test]
async fn path_parameters_match_the_spec_template() {
    let mock = Limecraft::start().await;
    mock.fail_next(
        Method::POST,
        "/user/{id}/enable2fa",
        1,
        StatusCode::BAD_GATEWAY,
    )
    .unwrap();
    let r = reqwest::Client::new()
        .post(format!("{}/user/1001/enable2fa", mock.base_url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    // Without the fault the same call is judged by the server: no token, 401.
    let r = reqwest::Client::new()
        .post(format!("{}/user/1001/enable2fa", mock.base_url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn an_endpoint_the_spec_does_not_document_is_refused() {
    let mock = Limecraft::start().await;
    let e = mock
        .fail_next(
            Method::GET,
            "/authentication/login",
            1,
            StatusCode::IM_A_TEAPOT,
        )
        .unwrap_err();
    assert!(matches!(e, MockError::UnknownEndpoint { .. }), "{e}");
    assert!(e.to_string().contains("POST /authentication/login"), "{e}");
}

#[tokio::test]
async fn drop_connection_gives_a_connection_error_then_the_server_answers() {
    let mock = Limecraft::start().await;
    mock.drop_connection_next(Method::POST, "/authentication/login", 1)
        .unwrap();
    let client = reqwest::Client::new();
    let e = client
        .post(format!("{}/authentication/login", mock.base_url()))
        .json(&json!({"username": "alice", "password": "alice-Pa55word"}))
        .send()
        .await
        .expect_err("no answer");
    assert!(e.status().is_none() && !e.is_timeout(), "{e:?}");
    let r = login(&mock, "alice", "alice-Pa55word").await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn malformed_body_is_a_200_json_that_does_not_parse() {
    let mock = Limecraft::start().await;
    mock.malformed_body_next(Method::POST, "/authentication/login", 1)
        .unwrap();
    let r = login(&mock, "alice", "alice-Pa55word").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let text = r.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    let r = login(&mock, "alice", "alice-Pa55word").await;
    assert!(r.json::<Value>().await.unwrap()["token"].is_string());
}

#[tokio::test]
async fn latency_delays_every_call_of_the_endpoint_until_cleared() {
    let mock = Limecraft::start().await;
    mock.add_latency(
        Method::POST,
        "/authentication/login",
        Duration::from_millis(300),
    )
    .unwrap();
    for _ in 0..2 {
        let started = Instant::now();
        assert_eq!(login(&mock, "nobody", "x").await.status(), 401);
        assert!(started.elapsed() >= Duration::from_millis(300));
    }
    mock.clear_faults();
    let started = Instant::now();
    login(&mock, "nobody", "x").await;
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn the_port_is_closed_once_the_handle_drops() {
    let mock = Limecraft::start().await;
    let addr = mock.addr();
    assert!(tokio::net::TcpStream::connect(addr).await.is_ok());
    drop(mock);
    // Aborting the accept task takes effect at the runtime's next turn.
    let mut refused = false;
    for _ in 0..100 {
        tokio::task::yield_now().await;
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        refused,
        "{addr} still accepts connections after the mock dropped"
    );
}

#[tokio::test]
async fn the_journal_keeps_everything_and_debug_shows_no_secret() {
    let mock = Limecraft::start().await;
    reqwest::Client::new()
        .get(format!(
            "{}/authentication/user?access_token=tok-in-query-1234",
            mock.base_url()
        ))
        .header("Authorization", "Bearer tok-in-header-5678")
        .header("Cookie", "MOJITO_SESSION_ID_V2=tok-in-cookie-9012")
        .send()
        .await
        .unwrap();
    login(&mock, "alice", "alice-Pa55word").await;
    let journal = mock.received_requests();
    assert_eq!(journal.len(), 2);
    assert_eq!(journal[0].method, Method::GET);
    assert_eq!(journal[0].path, "/api/authentication/user");
    assert_eq!(
        journal[0].query.as_deref(),
        Some("access_token=tok-in-query-1234")
    );
    assert_eq!(
        journal[0].header("authorization"),
        Some("Bearer tok-in-header-5678")
    );
    assert_eq!(
        journal[1].body_json().unwrap()["password"],
        "alice-Pa55word"
    );
    let shown = format!("{journal:?}");
    for secret in [
        "tok-in-query-1234",
        "tok-in-header-5678",
        "tok-in-cookie-9012",
        "alice-Pa55word",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    mock.clear_received_requests();
    assert!(mock.received_requests().is_empty());
}

#[tokio::test]
async fn builder_calls_change_what_login_answers() {
    let mock = Limecraft::start().await;
    let id = mock.add_user("zoe", "zoe-Pa55word").unwrap();
    assert!(id > 1006);
    assert_eq!(mock.user_id("zoe").unwrap(), id);
    assert!(
        mock.add_user("zoe", "other").is_err(),
        "usernames stay unique"
    );
    assert_eq!(login(&mock, "zoe", "zoe-Pa55word").await.status(), 200);

    mock.lock_user("zoe").unwrap();
    let r = login(&mock, "zoe", "zoe-Pa55word").await;
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["type"], "ForbiddenError");
    mock.disable_user("zoe").unwrap();
    assert_eq!(login(&mock, "zoe", "zoe-Pa55word").await.status(), 401);
    mock.activate_user("zoe").unwrap();
    assert_eq!(login(&mock, "zoe", "zoe-Pa55word").await.status(), 200);
    assert!(matches!(
        mock.lock_user("nobody"),
        Err(MockError::UnknownAccount(..))
    ));

    let secret = mock.enable_two_factor("zoe").unwrap();
    assert!(
        mock.enable_two_factor("zoe").is_err(),
        "replacing takes a code"
    );
    let first: Value = login(&mock, "zoe", "zoe-Pa55word")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["needsSecondToken"], true);
    let validate = |code: String| {
        reqwest::Client::new()
            .post(format!("{}/authentication/2fa/validate", mock.base_url()))
            .bearer_auth(first["token"].as_str().unwrap())
            .json(&json!({ "token": code }))
            .send()
    };
    assert_eq!(validate("000000".into()).await.unwrap().status(), 401);
    let ok: Value = validate(mock.totp_code(&secret).unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = ok["token"].as_str().unwrap().to_owned();

    let user = |token: String| {
        reqwest::Client::new()
            .get(format!("{}/authentication/user", mock.base_url()))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(user(token.clone()).await.unwrap().status(), 200);
    mock.advance_clock(Duration::from_secs(3601)).unwrap();
    assert_eq!(
        user(token).await.unwrap().status(),
        401,
        "a session lasts an hour"
    );
}

#[tokio::test]
async fn lac_and_fileverbs_builders() {
    let lac = Lac::start().await;
    lac.add_user("zoe", "zoe-Pa55word1", &["Orders"]).unwrap();
    assert!(lac.add_user("demo", "x", &[]).is_err());
    let r: Value = reqwest::Client::new()
        .post(format!("{}/@authentication", lac.base_url()))
        .json(&json!({"username": "zoe", "password": "zoe-Pa55word1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["roles"], json!(["Orders"]));
    assert!(lac.base_url().ends_with("/rest/default/demo/v1"));

    let fv = FileVerbs::start().await;
    fv.add_account("acct-9", "sk-acct-9-0000", "ak-acct-9-0000")
        .unwrap();
    let issue = |secret: String| {
        reqwest::Client::new()
            .post(format!("{}/accounts/access-token", fv.base_url()))
            .json(&json!({"SecretKey": secret, "APIKey": "ak-acct-9-0000"}))
            .send()
    };
    let r: Value = issue("sk-acct-9-0000".into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["Id"], "acct-9");
    let new = fv.reset_secret_key("sk-acct-9-0000").unwrap();
    assert_eq!(issue("sk-acct-9-0000".into()).await.unwrap().status(), 401);
    assert_eq!(issue(new).await.unwrap().status(), 200);
}

#[tokio::test]
async fn many_mocks_run_side_by_side_with_separate_state() {
    let a = Limecraft::start().await;
    let b = Limecraft::start().await;
    assert_ne!(a.addr(), b.addr());
    a.lock_user("alice").unwrap();
    assert_eq!(login(&a, "alice", "alice-Pa55word").await.status(), 403);
    assert_eq!(login(&b, "alice", "alice-Pa55word").await.status(), 200);
}
