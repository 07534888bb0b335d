//! The WireMock export, loaded into the real WireMock standalone server: what
//! a client built against it meets. Credentials are required where the spec
//! requires them, in each transport it names (a request without them gets
//! the documented 401 body); form and JSON logins both match; LiquidFiles'
//! login matches any user (the document's own curl script runs against it);
//! bodies are the spec's examples; times are relative to now; a logout's
//! scenario starts again on a new login. The example client
//! (`examples/limecraft-client`) and the LiquidFiles document's curl script
//! run against it here, LAC's own CLI in `lac_cli.rs`.
//!
//! Needs `java` and the standalone jar (see `common::wiremock_jar`): without
//! them the test prints a loud SKIP line and passes, except under
//! `AUTHCONFORM_REQUIRE_WIREMOCK` (CI).

use authconform::mock::export;
use authconform::vendor::Vendor;
use reqwest::{Client, Response};
use serde_json::{Value, json};

#[tokio::test]
async fn exported_mappings_run_in_the_real_wiremock() {
    let Some(jar) = crate::common::wiremock_jar("wiremock_export") else {
        return;
    };
    let wiremock = crate::common::start_wiremock(&jar, Vendor::ALL).await;
    let url = wiremock.url.as_str();
    let http = Client::new();
    let loaded: Value = json(http.get(format!("{url}/__admin/mappings")).send().await).await;
    let expected: usize = Vendor::ALL.iter().map(|v| export::stubs(*v).len()).sum();
    assert_eq!(loaded["meta"]["total"], expected, "every mapping loads");

    limecraft(&http, url).await;
    example_client(url).await;
    fileverbs(&http, url).await;
    lac(&http, url).await;
    liquidfiles(&http, url).await;
    liquidfiles_seed_script(url).await;
    cookie_keeping_clients(url).await;
}

/// A client that keeps cookies (Python's http.cookiejar) signs on and then
/// calls with the cookie alone: the login's `Set-Cookie`, as the specs
/// declare it, carries the session (Limecraft) and the refresh token
/// (FileVerbs) over plain http.
async fn cookie_keeping_clients(url: &str) {
    let test = "wiremock_export cookie-keeping clients";
    let Some(limecraft) = crate::common::cookie_jar_client(
        test,
        &format!("{url}/api/authentication/login"),
        &json!({"username": "john.doe", "password": "mysecret123!"}),
        "GET",
        &format!("{url}/api/authentication/user"),
    )
    .await
    else {
        return;
    };
    assert_eq!(limecraft["first"], 200, "{limecraft}");
    assert_eq!(
        limecraft["kept"],
        json!(["MOJITO_SESSION_ID_V2"]),
        "{limecraft}"
    );
    assert_eq!(
        limecraft["second"], 200,
        "the user by the cookie alone: {limecraft}"
    );
    let fileverbs = crate::common::cookie_jar_client(
        test,
        &format!("{url}/api/v1/accounts/access-token"),
        &json!({"SecretKey": "eyJhbGci...", "APIKey": "jgJhbSag..."}),
        "POST",
        &format!("{url}/api/v1/accounts/refresh-token"),
    )
    .await
    .unwrap();
    assert_eq!(fileverbs["kept"], json!(["RefreshToken"]), "{fileverbs}");
    assert_eq!(
        fileverbs["second"], 200,
        "a refresh by the cookie alone: {fileverbs}"
    );
}

fn b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// The JSON body of an answer.
async fn json(response: reqwest::Result<Response>) -> Value {
    response.unwrap().json().await.unwrap()
}

/// Asserts `status` and returns the JSON body.
async fn expect(response: reqwest::Result<Response>, status: u16, what: &str) -> Value {
    let response = response.unwrap();
    assert_eq!(response.status(), status, "{what}");
    let text = response.text().await.unwrap();
    assert!(
        !text.contains("\"string\""),
        "{what}: a schema placeholder: {text}"
    );
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn limecraft(http: &Client, url: &str) {
    let login_json = |password: &str| {
        http.post(format!("{url}/api/authentication/login"))
            .json(&json!({"username": "john.doe", "password": password}))
            .send()
    };
    let login_form = |password: &str| {
        // Python's spelling of a boolean, as Limecraft's clients send it.
        http.post(format!("{url}/api/authentication/login"))
            .form(&[
                ("username", "john.doe"),
                ("password", password),
                ("rememberMe", "False"),
            ])
            .send()
    };
    let ok = expect(login_json("mysecret123!").await, 200, "JSON login").await;
    let token = ok["token"].as_str().unwrap().to_owned();
    let form = expect(login_form("mysecret123!").await, 200, "form login").await;
    assert_eq!(form["token"], token.as_str());
    for wrong in [login_json("wrong").await, login_form("wrong").await] {
        let body = expect(wrong, 401, "a wrong password").await;
        assert_eq!(body["type"], "UnauthorizedError");
    }

    // The token in each documented transport.
    let user_path = format!("{url}/api/authentication/user");
    let by_header = || http.get(&user_path).bearer_auth(&token).send();
    let by_query = || {
        http.get(&user_path)
            .query(&[("access_token", token.as_str())])
            .send()
    };
    let by_cookie = || {
        http.get(&user_path)
            .header("Cookie", format!("MOJITO_SESSION_ID_V2={token}"))
            .send()
    };
    let user = expect(by_header().await, 200, "the user, bearer").await;
    assert_eq!(user["username"], "john.doe", "the spec's example: {user}");
    expect(by_query().await, 200, "the user, access_token").await;
    expect(by_cookie().await, 200, "the user, cookie").await;
    let anonymous = expect(http.get(&user_path).send().await, 401, "no token").await;
    assert_eq!(anonymous["type"], "UnauthorizedError");
    let other = http.get(&user_path).bearer_auth("another").send().await;
    expect(other, 401, "another token").await;

    // A templated path.
    let enable2fa = || {
        http.post(format!("{url}/api/user/1000/enable2fa"))
            .bearer_auth(&token)
            .send()
    };
    let enable = expect(enable2fa().await, 200, "enable2fa").await;
    assert_eq!(enable["digits"], 6);

    // The scenario: after logout the token is refused, in every transport,
    // until a login (a form one here) starts the session again.
    let out = http
        .post(format!("{url}/api/authentication/logout"))
        .bearer_auth(&token)
        .send()
        .await;
    expect(out, 200, "logout").await;
    for after in [by_header().await, by_query().await, by_cookie().await] {
        let body = expect(after, 401, "the user after logout").await;
        assert_eq!(body["code"], 401);
    }
    expect(enable2fa().await, 401, "enable2fa after logout").await;
    expect(login_form("mysecret123!").await, 200, "form login again").await;
    expect(by_header().await, 200, "the user after a new login").await;
}

/// The example client (`examples/limecraft-client`, whose own tests run
/// against `mock::Limecraft`) against the export: the documented example
/// logs in, reads the user, logs out and is refused.
async fn example_client(url: &str) {
    use limecraft_client::{Client, Error};
    let client = Client::new(format!("{url}/api"));
    let token = client.login("john.doe", "mysecret123!").await.unwrap();
    let user = client.current_user(&token).await.unwrap();
    assert_eq!(user.username, "john.doe");
    client.logout(&token).await.unwrap();
    let ended = client.current_user(&token).await.unwrap_err();
    assert!(
        matches!(&ended, Error::Api { status: 401, kind, .. } if kind == "UnauthorizedError"),
        "the user after logout: {ended}"
    );
    let wrong = client.login("john.doe", "wrong").await.unwrap_err();
    assert!(matches!(wrong, Error::Api { status: 401, .. }), "{wrong}");
}

async fn fileverbs(http: &Client, url: &str) {
    let api = format!("{url}/api/v1");
    let access = |pair: Value| {
        http.post(format!("{api}/accounts/access-token"))
            .json(&pair)
            .send()
    };
    let example = json!({"SecretKey": "eyJhbGci...", "APIKey": "jgJhbSag..."});
    let tokens = expect(access(example.clone()).await, 200, "the key pair").await;
    let jwt = tokens["JwtToken"].as_str().unwrap().to_owned();
    let refresh = tokens["RefreshToken"].as_str().unwrap().to_owned();
    let wrong = json!({"SecretKey": "eyJhbGci...", "APIKey": "wrong"});
    let refused = expect(access(wrong).await, 401, "a wrong key pair").await;
    assert!(refused["message"].is_string());

    // The probe: the SecretKey header or the JWT; nothing else.
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let probe = || http.request(method.clone(), format!("{api}/endpoint"));
        let none = expect(probe().send().await, 401, "no credential").await;
        assert_eq!(
            none["message"],
            "A SecretKey header or a bearer token is required."
        );
        let key = probe().header("SecretKey", "eyJhbGci...").send().await;
        assert_eq!(expect(key, 200, "the SecretKey").await["via"], "SecretKey");
        let by_jwt = probe().bearer_auth(&jwt).send().await;
        assert_eq!(expect(by_jwt, 200, "the JWT").await["via"], "Bearer");
        let wrong = probe().header("SecretKey", "wrong").send().await;
        expect(wrong, 401, "a wrong SecretKey").await;
    }

    // The refresh token, in the body or its cookie; revoking ends it until
    // a new access token.
    let refresh_by_body = || {
        http.post(format!("{api}/accounts/refresh-token"))
            .json(&json!({"RefreshToken": refresh}))
            .send()
    };
    let refresh_by_cookie = || {
        http.post(format!("{api}/accounts/refresh-token"))
            .header("Cookie", format!("RefreshToken={refresh}"))
            .send()
    };
    let none = http
        .post(format!("{api}/accounts/refresh-token"))
        .send()
        .await;
    let none = expect(none, 401, "a refresh without a token").await;
    assert!(
        none["message"].as_str().unwrap().contains("refresh token"),
        "the refresh call's own refusal: {none}"
    );
    let renewed = expect(refresh_by_body().await, 200, "refresh (body)").await;
    assert_eq!(renewed["JwtToken"], jwt.as_str());
    expect(refresh_by_cookie().await, 200, "refresh (cookie)").await;
    let revoke = http
        .post(format!("{api}/accounts/revoke-token"))
        .header("Cookie", format!("RefreshToken={refresh}"))
        .send()
        .await;
    expect(revoke, 200, "revoke").await;
    expect(refresh_by_body().await, 401, "refresh after revoke").await;
    expect(refresh_by_cookie().await, 401, "refresh after revoke").await;
    expect(access(example).await, 200, "a new access token").await;
    expect(refresh_by_body().await, 200, "refresh after a new login").await;
}

async fn lac(http: &Client, url: &str) {
    let api = format!("{url}/rest/default/demo/v1");
    // `@license` answers without a token (LAC's CLI reads it first).
    let license = expect(
        http.get(format!("{api}/@license")).send().await,
        200,
        "@license",
    )
    .await;
    assert!(license["company"].is_string(), "{license}");

    let sign_on = |password: &str| {
        http.post(format!("{api}/@authentication"))
            .json(&json!({"username": "demo", "password": password}))
            .send()
    };
    let key = expect(sign_on("Password1").await, 200, "sign-on").await;
    let apikey = key["apikey"].as_str().unwrap().to_owned();
    // The expiration is templated ahead of now (LAC's CLI drops expired keys).
    let expiration: jiff::civil::DateTime = key["expiration"].as_str().unwrap().parse().unwrap();
    let now = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .datetime();
    assert!(expiration > now, "{expiration} is not after {now}");
    let refused = expect(sign_on("wrong").await, 401, "a wrong password").await;
    assert_eq!(refused["errorCode"], 4010, "{refused}");

    let probe = |method: reqwest::Method, auth: Option<String>| {
        let mut r = http.request(method, format!("{api}/probe"));
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        r.send()
    };
    let header = || Some(format!("CALiveAPICreator {apikey}:1"));
    let ok = expect(probe(reqwest::Method::GET, header()).await, 200, "GET").await;
    assert!(ok.is_object());
    let posted = expect(probe(reqwest::Method::POST, header()).await, 200, "POST").await;
    assert!(posted["txsummary"].is_array(), "{posted}");
    // The token in the URL: GET only.
    for (method, status) in [(reqwest::Method::GET, 200), (reqwest::Method::POST, 401)] {
        let in_url = http
            .request(method.clone(), format!("{api}/probe"))
            .query(&[("auth", format!("{apikey}:1"))])
            .send()
            .await;
        expect(in_url, status, &format!("{method} ?auth=")).await;
    }
    let none = expect(probe(reqwest::Method::GET, None).await, 401, "no token").await;
    assert_eq!(none["statusCode"], 401);
    let wrong = probe(
        reqwest::Method::GET,
        Some("CALiveAPICreator wrong:1".into()),
    )
    .await;
    expect(wrong, 401, "another token").await;

    // The scenario: a disabled token is refused (by the probe and a
    // revalidation) until a new sign-on.
    let authenticate = |body: Value| {
        http.post(format!("{api}/@authentication"))
            .json(&body)
            .send()
    };
    let same = expect(
        authenticate(json!({"apikey": apikey})).await,
        200,
        "revalidate",
    )
    .await;
    assert_eq!(same["apikey"], apikey.as_str());
    let disable = json!({"apikey": apikey, "disable": true});
    let disabled = expect(authenticate(disable.clone()).await, 200, "disable").await;
    assert_eq!(disabled["disabled"], true, "{disabled}");
    let after = probe(reqwest::Method::GET, header()).await;
    expect(after, 401, "the probe after disable").await;
    // Seed 002: "This is idempotent and is considered a success even if the
    // key has already expired or has been marked as disabled."
    let again = expect(authenticate(disable).await, 200, "a second disable").await;
    assert_eq!(again["disabled"], true, "{again}");
    let revalidate = authenticate(json!({"apikey": apikey})).await;
    expect(revalidate, 401, "a revalidation after disable").await;
    expect(sign_on("Password1").await, 200, "a new sign-on").await;
    let again = probe(reqwest::Method::GET, header()).await;
    expect(again, 200, "the probe after a new sign-on").await;
}

async fn liquidfiles(http: &Client, url: &str) {
    // The documentation's XML request answers its XML key, as XML (the
    // mapping's `body` + Content-Type, not `jsonBody`), for any user.
    let raw_login = |content_type: &str, body: String| {
        http.post(format!("{url}/login"))
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    let xml_login = |email: &str, password: &str| {
        raw_login(
            "text/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user>\n  <email>{email}</email>\n  <password>{password}</password>\n</user>\n"
            ),
        )
    };
    for (email, password) in [
        ("user@example.com", "password"),
        ("user@company.com", "secret"),
    ] {
        let answer = xml_login(email, password).await.unwrap();
        assert_eq!(answer.status(), 200, "{email}");
        let content_type = answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("application/xml"),
            "{content_type}"
        );
        let body = answer.text().await.unwrap();
        assert!(
            body.contains("<api_key>4i1Rkf3pkxu0OCRuSuTMqE</api_key>"),
            "{body}"
        );
    }
    // XPath matching: other formatting and character references match too.
    let escaped = raw_login(
        "application/xml",
        "<user><email>user@example.com</email><password>&#112;assword</password></user>".into(),
    );
    assert_eq!(escaped.await.unwrap().status(), 200);
    // No password: the XML error envelope.
    let incomplete = raw_login(
        "text/xml",
        "<user><email>user@example.com</email></user>".into(),
    )
    .await
    .unwrap();
    assert_eq!(incomplete.status(), 401);
    assert!(incomplete.text().await.unwrap().contains("<error>"));

    // The v3 JSON API answers in JSON, its refusal too.
    let json_login = |user: Value| {
        http.post(format!("{url}/login"))
            .json(&json!({ "user": user }))
            .send()
    };
    let ok = expect(
        json_login(json!({"email": "user@company.com", "password": "secret"})).await,
        200,
        "JSON login",
    )
    .await;
    let key = ok["user"]["api_key"].as_str().unwrap().to_owned();
    let refused = expect(
        json_login(json!({"email": "user@company.com"})).await,
        401,
        "a JSON login without a password",
    )
    .await;
    assert!(refused["errors"].is_array());
    // The key works on /account; nothing else does.
    let account = |auth: Option<(&str, &str)>| {
        let mut r = http.get(format!("{url}/account"));
        if let Some((user, password)) = auth {
            r = r.basic_auth(user, Some(password));
        }
        r.send()
    };
    // The key as the user name with any password: `key:` as the document
    // writes it, `key:x` as LiquidFiles' own CLIs and the community
    // libraries send it, and passwords whose first byte moves every base64
    // digit the password can touch.
    for password in ["", "x", "X", "~", "\u{e9}t\u{e9}", "a:b", "0123456789"] {
        let answer = account(Some((&key, password))).await;
        expect(answer, 200, &format!("the key with password {password:?}")).await;
    }
    let lower = http
        .get(format!("{url}/account"))
        .header(
            "Authorization",
            format!("basic {}", b64(&format!("{key}:x"))),
        )
        .send()
        .await;
    expect(lower, 200, "the scheme in lower case (RFC 9110 §11.1)").await;
    expect(account(Some(("nope", "x"))).await, 401, "another key").await;
    let longer = format!("{key}x");
    expect(account(Some((&longer, "x"))).await, 401, "the key and more").await;
    expect(
        account(Some((&key[1..], "x"))).await,
        401,
        "part of the key",
    )
    .await;
    expect(account(None).await, 401, "no key").await;
}

/// The LiquidFiles document's own curl script (seed 001, verbatim but for
/// its `base_url=`) against the export: it signs on another user than the
/// example's.
async fn liquidfiles_seed_script(url: &str) {
    let Some(stdout) = crate::liquidfiles_seed_script::run_against(url).await else {
        return;
    };
    assert!(
        stdout.contains("<api_key>4i1Rkf3pkxu0OCRuSuTMqE</api_key>"),
        "the export's key: {stdout}"
    );
}
