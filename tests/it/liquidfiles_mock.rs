//! The LiquidFiles mock as a client's test suite uses it: the XML login, the
//! browser login with Strong 2FA, the agent-port callback, faults, the journal.

use std::time::Duration;

use authconform::mock::{LiquidFiles, MockError};
use reqwest::{Method, StatusCode};

const XML: &str = "application/xml; charset=utf-8";

async fn xml_login(mock: &LiquidFiles, email: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/login", mock.base_url()))
        .header("Content-Type", "text/xml")
        .body(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user>\n  <email>{email}</email>\n  <password>{password}</password>\n</user>\n"
        ))
        .send()
        .await
        .expect("the mock answers")
}

fn api_key_of(xml: &str) -> Option<&str> {
    let start = xml.find("<api_key>")? + "<api_key>".len();
    let end = xml[start..].find("</api_key>")? + start;
    Some(&xml[start..end])
}

#[tokio::test]
async fn fail_next_answers_the_xml_envelope_exactly_n_times_then_serves() {
    let mock = LiquidFiles::start().await;
    mock.fail_next(Method::POST, "/login", 2, StatusCode::SERVICE_UNAVAILABLE)
        .unwrap();
    for _ in 0..2 {
        let r = xml_login(&mock, "user@example.com", "password").await;
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["content-type"], XML);
        let body = r.text().await.unwrap();
        assert_eq!(
            body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<errors>\n  <error>Injected failure: Service Unavailable</error>\n</errors>\n"
        );
    }
    let r = xml_login(&mock, "user@example.com", "password").await;
    assert_eq!(r.status(), 200);
    assert_eq!(mock.received_requests().len(), 3);

    // A path the spec does not document is refused, naming what it has.
    let err = mock
        .fail_next(Method::POST, "/api/login", 1, StatusCode::BAD_GATEWAY)
        .unwrap_err();
    assert!(
        matches!(&err, MockError::UnknownEndpoint { known, .. } if known.contains("POST /login")),
        "{err}"
    );
}

#[tokio::test]
async fn a_malformed_body_is_truncated_xml_of_the_xml_content_type() {
    let mock = LiquidFiles::start().await;
    mock.malformed_body_next(Method::POST, "/login", 1).unwrap();
    let r = xml_login(&mock, "user@example.com", "password").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], XML);
    let body = r.text().await.unwrap();
    assert!(
        body.starts_with("<?xml") && !body.contains("</user>"),
        "{body}"
    );
    assert_eq!(api_key_of(&body), None);
}

#[tokio::test]
async fn the_documentation_example_answers_its_stable_key() {
    let mock = LiquidFiles::start().await;
    for _ in 0..2 {
        let r = xml_login(&mock, "user@example.com", "password").await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], XML);
        let body = r.text().await.unwrap();
        assert_eq!(api_key_of(&body), Some("4i1Rkf3pkxu0OCRuSuTMqE"), "{body}");
    }
    assert_eq!(
        mock.api_key("user@example.com").unwrap(),
        "4i1Rkf3pkxu0OCRuSuTMqE"
    );
    let wrong = xml_login(&mock, "user@example.com", "nope").await;
    assert_eq!(wrong.status(), 401);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("<error>Invalid email or password</error>")
    );
    assert!(matches!(
        mock.api_key("nobody"),
        Err(MockError::UnknownAccount(..))
    ));
}

#[tokio::test]
async fn an_added_user_logs_in_by_email_or_username_with_its_key() {
    let mock = LiquidFiles::start().await;
    let key = mock
        .add_user("zoe@example.com", "zoe", "zoe-Pa55word")
        .unwrap();
    assert_eq!(mock.api_key("zoe").unwrap(), key);
    for name in ["zoe@example.com", "zoe"] {
        let r = xml_login(&mock, name, "zoe-Pa55word").await;
        assert_eq!(r.status(), 200);
        assert_eq!(api_key_of(&r.text().await.unwrap()), Some(key.as_str()));
    }
    // The key opens the @ext account call.
    let account = reqwest::Client::new()
        .get(format!("{}/account", mock.base_url()))
        .basic_auth(&key, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 200);
    let who: serde_json::Value = account.json().await.unwrap();
    assert_eq!(who["user"]["username"], "zoe");
    // Names stay unique, and the browser login takes the new user too.
    assert!(mock.add_user("zoe@example.com", "zoe2", "x").is_err());
    assert!(mock.add_user("z2@example.com", "ZOE", "x").is_err());
    let browser = mock
        .sign_in_in_browser("zoe", "zoe-Pa55word", None, None)
        .await
        .unwrap();
    assert_ne!(browser, key, "a browser login gets its own key");
}

#[tokio::test]
async fn strong_2fa_makes_the_browser_login_need_the_current_code() {
    let mock = LiquidFiles::start().await;
    mock.add_user("zoe@example.com", "zoe", "zoe-Pa55word")
        .unwrap();
    let secret = mock.enable_two_factor("zoe@example.com").unwrap();
    assert!(matches!(
        mock.enable_two_factor("nobody"),
        Err(MockError::UnknownAccount(..))
    ));

    let missing = mock
        .sign_in_in_browser("zoe", "zoe-Pa55word", None, None)
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("TOTP"), "{missing}");

    let code = mock.totp_code(&secret).unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = mock
        .sign_in_in_browser("zoe", "zoe-Pa55word", Some(wrong), None)
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("Invalid or missing two-factor code"),
        "{refused}"
    );

    let bad_password = mock
        .sign_in_in_browser("zoe", "wrong", Some(&code), None)
        .await
        .unwrap_err();
    assert!(
        bad_password
            .to_string()
            .contains("Invalid email or password"),
        "{bad_password}"
    );

    let key = mock
        .sign_in_in_browser("zoe", "zoe-Pa55word", Some(&code), None)
        .await
        .unwrap();
    assert_eq!(key.len(), 44);
    // The same code is not taken twice; the next window's is.
    assert!(
        mock.sign_in_in_browser("zoe", "zoe-Pa55word", Some(&code), None)
            .await
            .is_err()
    );
    mock.advance_clock(Duration::from_secs(30)).unwrap();
    let next = mock.totp_code(&secret).unwrap();
    assert!(
        mock.sign_in_in_browser("zoe", "zoe-Pa55word", Some(&next), None)
            .await
            .is_ok()
    );
    // The XML API does not ask for a code.
    assert_eq!(xml_login(&mock, "zoe", "zoe-Pa55word").await.status(), 200);
}

#[tokio::test]
async fn the_agent_listener_receives_exactly_the_key_the_browser_got() {
    let mock = LiquidFiles::start().await;
    let agent = mock.agent_listener().await.unwrap();
    assert!(agent.callbacks().is_empty());
    // Nothing arrives without a login.
    assert!(agent.api_key(Duration::from_millis(50)).await.is_err());

    let key = mock
        .sign_in_in_browser("alice", "alice-Pa55word", None, Some(agent.port()))
        .await
        .unwrap();
    assert_eq!(agent.api_key(Duration::from_secs(5)).await.unwrap(), key);
    let callbacks = agent.callbacks();
    assert_eq!(callbacks.len(), 1, "{callbacks:?}");
    let callback = &callbacks[0];
    assert_eq!(callback.method, Method::POST);
    assert_eq!(callback.target, "/");
    assert_eq!(
        callback.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(callback.body, format!("api_key={key}").into_bytes());
    // The key works, and its Debug does not show it.
    assert!(!format!("{callback:?}").contains(&key));
    let account = reqwest::Client::new()
        .get(format!("{}/account", mock.base_url()))
        .basic_auth(&key, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 200);

    // Without agent_port, the page posts nowhere.
    mock.sign_in_in_browser("bob", "bob-Pa55word", None, None)
        .await
        .unwrap();
    assert_eq!(agent.callbacks().len(), 1);

    // The agent port reached the page through the login URL.
    let page = mock
        .received_requests()
        .into_iter()
        .find(|r| r.method == Method::GET && r.path == "/session/api")
        .unwrap();
    assert_eq!(
        page.query.as_deref(),
        Some(format!("agent_port={}", agent.port()).as_str())
    );
}

#[tokio::test]
async fn the_journal_debug_shows_no_password_or_key() {
    let mock = LiquidFiles::start().await;
    let key = mock
        .add_user("zoe@example.com", "zoe", "zoe-Pa55word-&-secret")
        .unwrap();
    let r = xml_login(&mock, "zoe@example.com", "zoe-Pa55word-&amp;-secret").await;
    assert_eq!(r.status(), 200);
    let agent = mock.agent_listener().await.unwrap();
    let browser = mock
        .sign_in_in_browser("zoe", "zoe-Pa55word-&-secret", None, Some(agent.port()))
        .await
        .unwrap();
    let probe = reqwest::Client::new()
        .get(format!("{}/account", mock.base_url()))
        .basic_auth(&browser, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 200);

    let journal = mock.received_requests();
    assert_eq!(journal.len(), 4, "login, page, form, account");
    // The real values are there for the test to check…
    assert!(journal[0].body_text().contains("zoe-Pa55word"));
    // …and the Debug masks them.
    let shown = format!("{journal:?}");
    for secret in ["zoe-Pa55word", key.as_str(), browser.as_str()] {
        assert!(!shown.contains(secret), "a secret leaked: {shown}");
    }
    assert!(shown.contains("zoe@example.com"), "{shown}");
    let shown = format!("{:?}", agent.callbacks());
    assert!(!shown.contains(&browser), "{shown}");
}

#[tokio::test]
async fn saml_api_signs_in_through_the_mocks_identity_provider() {
    let mock = LiquidFiles::start().await;
    let agent = mock.agent_listener().await.unwrap();
    let key = mock
        .sign_in_with_saml(
            "alice@example.com",
            "alice-Idp-Pa55word",
            Some(agent.port()),
        )
        .await
        .unwrap();
    assert_eq!(agent.api_key(Duration::from_secs(5)).await.unwrap(), key);
    let account = reqwest::Client::new()
        .get(format!("{}/account", mock.base_url()))
        .basic_auth(&key, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 200);
    // The LiquidFiles password is not the IdP's; the IdP's ivy is no LiquidFiles user.
    let wrong = mock
        .sign_in_with_saml("alice@example.com", "alice-Pa55word", None)
        .await
        .unwrap_err();
    assert!(
        wrong.to_string().contains("Wrong email or password"),
        "{wrong}"
    );
    let unknown = mock
        .sign_in_with_saml("ivy@example.com", "ivy-Idp-Pa55word", None)
        .await
        .unwrap_err();
    assert!(
        unknown.to_string().contains("no LiquidFiles user"),
        "{unknown}"
    );
    let metadata = reqwest::get(format!("{}/idp/metadata", mock.base_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metadata.contains("IDPSSODescriptor"));
}
