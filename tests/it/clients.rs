//! What real clients of these APIs send and read, against the reference
//! server over HTTP: LiquidFiles' own CLI (the v3 JSON `POST /login`) and
//! Limecraft's Python clients (`rememberMe=False` as a form field, the
//! `MOJITO_SESSION_ID_V2` cookie kept by a cookie jar). LAC's CLI runs for
//! real in `lac_cli.rs`.

use authconform::vendor::Vendor;
use serde_json::{Value, json};

#[tokio::test]
async fn liquidfiles_cli_gets_its_key_with_the_json_login() {
    let (_server, http, base) = crate::common::spawn(Vendor::LiquidFiles).await;
    let login = |password: &str| {
        http.post(format!("{base}/login"))
            .json(&json!({"user": {"email": "alice@example.com", "password": password}}))
            .send()
    };
    let ok = login("alice-Pa55word").await.unwrap();
    assert_eq!(ok.status(), 200);
    assert!(
        ok.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let key = ok.json::<Value>().await.unwrap()["user"]["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!key.is_empty());

    // The same key as the XML API's: it is the user's key.
    let xml = http
        .post(format!("{base}/login"))
        .header("Content-Type", "text/xml")
        .body("<user><email>alice@example.com</email><password>alice-Pa55word</password></user>")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml.contains(&format!("<api_key>{key}</api_key>")), "{xml}");

    // A refusal is what the CLI reads: {"errors":[…]}, and no key.
    let refused = login("wrong").await.unwrap();
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.unwrap();
    assert!(body["errors"][0].is_string(), "{body}");
    assert!(body.get("user").is_none());

    let malformed = http
        .post(format!("{base}/login"))
        .header("Content-Type", "application/json")
        .body(r#"{"user":{"email":"alice@example.com"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert!(malformed.json::<Value>().await.unwrap()["errors"][0].is_string());
}

#[tokio::test]
async fn limecraft_reads_remember_me_as_java_does_and_sets_the_session_cookie() {
    let (_server, http, base) = crate::common::spawn(Vendor::Limecraft).await;
    let url = format!("{base}/authentication/login");
    for value in ["False", "false", "OFF", "no", "0", "True", "on", "YES", "1"] {
        let reply = http
            .post(&url)
            .form(&[
                ("username", "alice"),
                ("password", "alice-Pa55word"),
                ("rememberMe", value),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "rememberMe={value}");
    }
    let maybe = http
        .post(&url)
        .form(&[
            ("username", "alice"),
            ("password", "alice-Pa55word"),
            ("rememberMe", "maybe"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(maybe.status(), 400);

    // A client that keeps cookies (requests.Session) is signed on by the
    // login alone: it sends back what Set-Cookie gave it.
    let login = http
        .post(&url)
        .form(&[("username", "alice"), ("password", "alice-Pa55word")])
        .send()
        .await
        .unwrap();
    let set_cookie = login
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .expect("the login sets the session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    let jar = set_cookie.split(';').next().unwrap().to_owned();
    let token = login.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(jar, format!("MOJITO_SESSION_ID_V2={token}"));
    let me = http
        .get(format!("{base}/authentication/user"))
        .header(reqwest::header::COOKIE, &jar)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(me.json::<Value>().await.unwrap()["username"], "alice");

    // Logout ends the session and tells the jar to drop the cookie.
    let logout = http
        .post(format!("{base}/authentication/logout"))
        .header(reqwest::header::COOKIE, &jar)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 200);
    let dropped = logout.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        dropped.starts_with("MOJITO_SESSION_ID_V2=;") && dropped.contains("Max-Age=0"),
        "{dropped}"
    );

    // With 2FA on, the login's token is temporary: no session cookie.
    let carol = |http: &reqwest::Client| {
        http.post(&url)
            .json(&json!({"username": "carol", "password": "carol-Pa55word"}))
            .send()
    };
    let first: Value = carol(&http).await.unwrap().json().await.unwrap();
    let enable = http
        .post(format!("{base}/user/1003/enable2fa"))
        .bearer_auth(first["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(enable.status(), 200);
    let pending = carol(&http).await.unwrap();
    assert!(pending.headers().get(reqwest::header::SET_COOKIE).is_none());
    assert_eq!(
        pending.json::<Value>().await.unwrap()["needsSecondToken"],
        true
    );
}

/// FileVerbs' refresh cookie as a Python cookie jar (requests, urllib) keeps
/// it: over plain http to loopback, the reference server and the mock leave
/// `Secure` out, so the jar sends the cookie back and a refresh by the
/// cookie alone works; behind a TLS front (`X-Forwarded-Proto: https`) or
/// off loopback the cookie stays Secure.
#[tokio::test]
async fn fileverbs_refresh_cookie_reaches_a_python_cookie_jar_on_loopback_http() {
    let test = "clients::fileverbs_refresh_cookie_reaches_a_python_cookie_jar_on_loopback_http";
    let pair = json!({
        "SecretKey": "fv-secret-alice-7Qm2vX9kL4pR8sT1",
        "APIKey": "fv-api-alice-3Hn6bW0cJ5yZ2dF7",
    });
    let (_server, http, base) = crate::common::spawn(Vendor::FileVerbs).await;
    let mock = authconform::mock::FileVerbs::start().await;
    for base in [base, mock.base_url().trim_end_matches('/').to_owned()] {
        let Some(jar) = crate::common::cookie_jar_client(
            test,
            &format!("{base}/accounts/access-token"),
            &pair,
            "POST",
            &format!("{base}/accounts/refresh-token"),
        )
        .await
        else {
            return;
        };
        assert_eq!(jar["first"], 200, "{base}: {jar}");
        assert_eq!(jar["kept"], json!(["RefreshToken"]), "{base}: {jar}");
        assert_eq!(
            jar["second"], 200,
            "{base}: a refresh by the cookie alone: {jar}"
        );
        let refreshed: Value = serde_json::from_str(jar["body"].as_str().unwrap()).unwrap();
        assert!(refreshed["JwtToken"].is_string(), "{base}: {refreshed}");
        // Behind a TLS front, and under a name off loopback: Secure.
        for (name, value) in [("X-Forwarded-Proto", "https"), ("Host", "api.example.com")] {
            let answer = http
                .post(format!("{base}/accounts/access-token"))
                .header(name, value)
                .json(&pair)
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 200, "{base} {name}");
            let cookie = answer.headers()[reqwest::header::SET_COOKIE]
                .to_str()
                .unwrap();
            assert!(cookie.contains("; Secure"), "{base} {name}: {cookie}");
        }
    }
}

/// A JSON client that calls a path or a method the server does not have gets
/// a JSON error it can report (each vendor's envelope; LiquidFiles' JSON
/// API's `{"errors":[…]}`), not an XML page it fails to parse; an XML client
/// of LiquidFiles still gets the XML API's envelope.
#[tokio::test]
async fn unknown_paths_and_methods_answer_json_to_json_clients() {
    let (server, http, _) = crate::common::spawn(Vendor::LiquidFiles).await;
    // Each vendor: an unknown path, and a known path with the wrong method.
    let calls = [
        (Vendor::LiquidFiles, "/login", "errors"),
        (Vendor::Lac, "/@authentication", "errorMessage"),
        (Vendor::Limecraft, "/authentication/login", "message"),
        (Vendor::FileVerbs, "/accounts/access-token", "message"),
    ];
    for (vendor, post_only, field) in calls {
        let base = server.api_base_url(vendor);
        let requests = [
            (
                "404 asking JSON",
                http.get(format!("{base}/no/such/call"))
                    .header("Accept", "application/json"),
                404,
            ),
            (
                "404 sending JSON",
                http.post(format!("{base}/no/such/call"))
                    .json(&json!({"a": 1})),
                404,
            ),
            (
                "405 asking JSON",
                http.put(format!("{base}{post_only}"))
                    .header("Accept", "application/vnd.api+json, application/xml;q=0.5"),
                405,
            ),
        ];
        for (what, request, status) in requests {
            let answer = request.send().await.unwrap();
            assert_eq!(answer.status(), status, "{vendor} {what}");
            let content_type = answer.headers()[reqwest::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(
                content_type.starts_with("application/json"),
                "{vendor} {what}: {content_type}"
            );
            let body: Value = answer.json().await.unwrap();
            assert!(!body[field].is_null(), "{vendor} {what}: {body}");
        }
    }
    // The probes answer the methods their specs list, and 405 to another
    // (Schemathesis sends TRACE).
    for (vendor, probe) in [(Vendor::Lac, "/probe"), (Vendor::FileVerbs, "/endpoint")] {
        let base = server.api_base_url(vendor);
        for method in ["TRACE", "PATCH"] {
            let answer = http
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                    format!("{base}{probe}"),
                )
                .header("Accept", "application/json")
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 405, "{vendor} {method} {probe}");
        }
    }
    // LiquidFiles' XML clients still get XML.
    let base = server.api_base_url(Vendor::LiquidFiles);
    for accept in ["application/xml", "text/xml, application/json;q=0.1", "*/*"] {
        let answer = http
            .get(format!("{base}/no/such/call"))
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 404);
        let text = answer.text().await.unwrap();
        assert!(text.contains("<error>"), "{accept}: {text}");
    }
}
