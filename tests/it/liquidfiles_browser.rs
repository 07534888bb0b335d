//! LiquidFiles `/session/api` in a real browser: headless Chromium driven over
//! WebDriver (chromedriver) logs in on the reference server's HTML pages, and
//! the browser itself makes the agent-port callback to a listener this test
//! opened on a random free port.
//!
//! The harness's scenarios (LF1–LF7) play the browser over HTTP; this test
//! proves that a browser really does what the pages instruct: submits the
//! forms, runs the page's script under its Content-Security-Policy, and POSTs
//! `api_key=KEY` to `http://localhost:P/`.
//!
//! Needs `chromium` and `chromedriver` (Debian: `chromium chromium-driver`;
//! `.ci/run` installs them). Without them the test says SKIP loudly, unless
//! `CI` or `AUTHCONFORM_REQUIRE_BROWSER` is set: then a missing browser fails.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use authconform::mock::{AgentCallback, AgentListener};
use authconform::reference::fault::Fault;
use authconform::reference::{ReferenceConfig, ReferenceServer, RunningServer};
use authconform::totp::TotpParams;
use authconform::vendor::Vendor;
use axum::http::Method;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// The POSTs the agent listener received. After the callback form navigates
/// the browser to the listener, the browser also asks it for `/favicon.ico`:
/// GETs are not callbacks (they are checked not to carry the key).
fn posts(listener: &AgentListener) -> Vec<AgentCallback> {
    let all = listener.callbacks();
    for r in all.iter().filter(|r| r.method != Method::POST) {
        assert!(
            !String::from_utf8_lossy(&r.body).contains("api_key") && !r.target.contains("api_key"),
            "a non-POST request carried the key: {r:?}"
        );
    }
    all.into_iter()
        .filter(|r| r.method == Method::POST)
        .collect()
}

/// The body of a callback as text, to compare with `api_key=KEY` exactly.
fn body_text(callback: &AgentCallback) -> String {
    String::from_utf8_lossy(&callback.body).into_owned()
}

/// chromedriver on a free port and a WebDriver session with headless Chromium.
/// A headless Chromium under chromedriver, for every test that needs a real
/// browser (also `html_report`).
pub(crate) struct Browser {
    pub(crate) client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// `None` (after a loud SKIP line) when no browser is installed and the
    /// environment does not require one.
    pub(crate) async fn start() -> Option<Browser> {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let driver = which("chromedriver");
        let (Some(chromium), Some(driver)) = (chromium, driver) else {
            let required = std::env::var_os("CI").is_some()
                || std::env::var_os("AUTHCONFORM_REQUIRE_BROWSER").is_some();
            assert!(
                !required,
                "chromium and chromedriver are required here (CI): apt-get install chromium chromium-driver"
            );
            eprintln!(
                "SKIP liquidfiles_browser: chromium/chromedriver not installed (apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let port = free_port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                // Without the background-networking flags Chromium keeps
                // trying to reach Google's hosts, which a closed network refuses.
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) if start.elapsed() < Duration::from_secs(20) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("could not open a WebDriver session on {url}: {e}"),
            }
        };
        Some(Browser {
            client,
            driver: child,
            _profile: profile,
        })
    }

    pub(crate) async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn fill(client: &Client, css: &str, text: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("the page has no `{css}`: {e}"))
        .send_keys(text)
        .await
        .unwrap();
}

/// Clicks a form's submit button and waits until the browser has loaded the
/// page the form answered with (or left for the callback): a page that looks
/// like the one before (the login form again) must not be read too early.
async fn click(client: &Client, css: &str) {
    client
        .execute("window.__authconform_before_submit = true;", vec![])
        .await
        .unwrap();
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("the page has no `{css}`: {e}"))
        .click()
        .await
        .unwrap();
    let start = Instant::now();
    loop {
        let loaded = client
            .execute(
                "return window.__authconform_before_submit !== true && document.readyState === 'complete';",
                vec![],
            )
            .await
            // A navigation in progress can make the script fail: not loaded yet.
            .map(|v| v == serde_json::Value::Bool(true))
            .unwrap_or(false);
        if loaded {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no new page within 20 s of clicking `{css}`"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The reference server (with `fault`, if any), all vendors mounted, in test mode (the activity log
/// is read through its control API), and the LiquidFiles root on it.
async fn reference_server(fault: Option<&str>) -> (RunningServer, String) {
    let fault = fault.map(|name| Fault::from_name(name).unwrap());
    let running = ReferenceServer::new(ReferenceConfig::for_tests().with_fault(fault))
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let root = format!("{}{}", running.url(), Vendor::LiquidFiles.mount_prefix());
    (running, root)
}

/// The fixture persona with Strong 2FA (`fixtures/reference.yaml`).
const CAROL_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

fn is_documented_key_shape(key: &str) -> bool {
    key.len() == 44 && key.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The key a browser login gave is accepted by the server, as `user`'s key.
async fn assert_key_belongs_to(root: &str, key: &str, email: &str) {
    let response = reqwest::Client::new()
        .get(format!("{root}/account"))
        .basic_auth(key, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "the browser's key is refused by the server"
    );
    let body = response.text().await.unwrap();
    assert!(
        body.contains(email),
        "the key authenticates someone other than {email}: {body}"
    );
}

async fn activity_log(running: &RunningServer) -> serde_json::Value {
    reqwest::get(format!(
        "{}/__authconform/liquidfiles/activity-log",
        running.url()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

fn login_url(root: &str, query: &str) -> String {
    format!("{root}/session/api{query}")
}

/// The text of `div#api_key`: WebDriver's element text is empty for hidden
/// (`d-none`) elements, so the DOM's `textContent` is read instead.
async fn api_key_div(client: &Client) -> Option<String> {
    let value = client
        .execute(
            "const d = document.querySelector('div#api_key.d-none'); return d ? d.textContent : null;",
            vec![],
        )
        .await
        .unwrap();
    value.as_str().map(str::to_owned)
}

async fn page_has(client: &Client, css: &str) -> bool {
    client.find_all(Locator::Css(css)).await.unwrap().len() == 1
}

/// Signs alice in with `agent_port` = a fresh listener and returns the key the
/// browser posted to it, or what went wrong: not exactly one POST, not
/// `api_key=KEY` form-encoded, or the browser not at `http://localhost:P/`.
async fn sign_in_and_catch_callback(
    client: &Client,
    root: &str,
    patience: Duration,
) -> Result<String, String> {
    let listener = AgentListener::start().await.unwrap();
    let query = format!(
        "?agent_port={}&agent_name=Browser%20Agent%20%3Cb%3E&agent_version=9.8.7",
        listener.port()
    );
    client.goto(&login_url(root, &query)).await.unwrap();
    fill(client, "form#login input[name=user]", "alice@example.com").await;
    fill(client, "form#login input[name=password]", "alice-Pa55word").await;
    click(client, "form#login #sign_in").await;

    // Waits for a POST with an api_key field (not there with a broken server).
    let _ = listener.api_key(patience).await;
    // A second POST would come right after the first; give it the chance.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = posts(&listener);
    let [callback] = got.as_slice() else {
        return Err(format!("expected exactly one callback POST, got {got:?}"));
    };
    if callback.content_type.as_deref() != Some("application/x-www-form-urlencoded") {
        return Err(format!("callback is not form-encoded: {callback:?}"));
    }
    let body = body_text(callback);
    let Some(key) = body.strip_prefix("api_key=") else {
        return Err(format!("callback body is not `api_key=KEY`: {callback:?}"));
    };
    if !is_documented_key_shape(key) {
        return Err(format!("unexpected key shape: {key:?}"));
    }
    // The browser itself went to the listener (the form navigated it there).
    let at = client.current_url().await.unwrap();
    if at.host_str() != Some("localhost") || at.port() != Some(listener.port()) {
        return Err(format!("the browser ended at {at}, not the listener"));
    }
    Ok(key.to_owned())
}

/// LF1, LF2, LF7 end to end: the browser signs in, the page makes the browser
/// POST `api_key=KEY` to `http://localhost:P/` exactly once, the key works,
/// and the agent's name and version are in the activity log.
#[tokio::test(flavor = "multi_thread")]
async fn browser_sign_in_calls_the_agent_port_back_once() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (running, root) = reference_server(None).await;
    let key = sign_in_and_catch_callback(&browser.client, &root, Duration::from_secs(15))
        .await
        .unwrap();
    assert_key_belongs_to(&root, &key, "alice@example.com").await;
    let log = activity_log(&running).await.to_string();
    assert!(
        log.contains("Browser Agent <b>") && log.contains("9.8.7"),
        "agent_name/agent_version not in the activity log: {log}"
    );
    assert!(!log.contains(&key), "the activity log holds the api_key");
    browser.close().await;
}

/// The check above catches servers that break the callback: another port, or
/// the key under another field name.
#[tokio::test(flavor = "multi_thread")]
async fn browser_check_catches_a_broken_callback() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    for fault in ["callback-wrong-port", "callback-field-renamed"] {
        let (_running, root) = reference_server(Some(fault)).await;
        let outcome =
            sign_in_and_catch_callback(&browser.client, &root, Duration::from_secs(3)).await;
        assert!(
            outcome.is_err(),
            "fault `{fault}` went unnoticed: {outcome:?}"
        );
        browser.client.delete_all_cookies().await.unwrap();
    }
    browser.close().await;
}

/// LF6 in a browser: password, then the TOTP step; a wrong code gives no key
/// and no callback, the right one does.
#[tokio::test(flavor = "multi_thread")]
async fn browser_sign_in_with_strong_two_factor() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (running, root) = reference_server(None).await;
    let listener = AgentListener::start().await.unwrap();
    let client = &browser.client;
    client
        .goto(&login_url(
            &root,
            &format!("?agent_port={}", listener.port()),
        ))
        .await
        .unwrap();
    fill(client, "form#login input[name=user]", "carol").await;
    fill(client, "form#login input[name=password]", "carol-Pa55word").await;
    click(client, "form#login #sign_in").await;
    assert!(page_has(client, "form#two_factor input[name=code]").await);
    assert_eq!(
        api_key_div(client).await,
        None,
        "a key before the second factor"
    );

    let secret = authconform::totp::decode_secret(CAROL_TOTP_SECRET).unwrap();
    let params = TotpParams {
        algorithm: authconform::totp::Algorithm::SHA1,
        digits: 6,
        period: 30,
    };
    let now = running.server.clock.now();
    let right = authconform::totp::code_at(params, &secret, now);
    let wrong = format!(
        "{:06}",
        (right.parse::<u32>().unwrap() + 500_000) % 1_000_000
    );
    fill(client, "form#two_factor input[name=code]", &wrong).await;
    click(client, "form#two_factor #verify").await;
    assert!(
        page_has(client, "form#two_factor input[name=code]").await,
        "a wrong code must leave the browser on the two-factor form"
    );
    assert_eq!(api_key_div(client).await, None, "a key after a wrong code");
    assert!(posts(&listener).is_empty(), "a callback after a wrong code");

    fill(client, "form#two_factor input[name=code]", &right).await;
    click(client, "form#two_factor #verify").await;
    let _ = listener.api_key(Duration::from_secs(15)).await;
    let got = posts(&listener);
    assert_eq!(
        got.len(),
        1,
        "expected one callback after the right code: {got:?}"
    );
    let body = body_text(&got[0]);
    let key = body.strip_prefix("api_key=").expect("api_key=KEY");
    assert_key_belongs_to(&root, key, "carol@example.com").await;
    browser.close().await;
}

/// LF3, LF4, LF5 in a browser: without agent_port the success page shows the
/// key and makes no callback; a wrong password shows no key; a hostile
/// agent_port is refused before any form is shown.
#[tokio::test(flavor = "multi_thread")]
async fn browser_without_agent_port_wrong_password_and_hostile_port() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (_running, root) = reference_server(None).await;
    let client = &browser.client;

    // Wrong password: the login form again, no key.
    client.goto(&login_url(&root, "")).await.unwrap();
    fill(client, "form#login input[name=user]", "alice@example.com").await;
    fill(
        client,
        "form#login input[name=password]",
        "not-her-password",
    )
    .await;
    click(client, "form#login #sign_in").await;
    assert!(
        page_has(client, "form#login").await,
        "no login form after a wrong password"
    );
    assert_eq!(api_key_div(client).await, None);

    // No agent_port: the key on the page, no callback form.
    client.goto(&login_url(&root, "")).await.unwrap();
    fill(client, "form#login input[name=user]", "alice").await;
    fill(client, "form#login input[name=password]", "alice-Pa55word").await;
    click(client, "form#login #sign_in").await;
    let source = client.source().await.unwrap();
    assert!(source.contains("Authentication Successful"), "{source}");
    let key = api_key_div(client)
        .await
        .expect("div#api_key.d-none on the success page");
    assert!(is_documented_key_shape(&key), "{key:?}");
    assert!(
        !page_has(client, "form#agent_callback").await,
        "a callback without agent_port"
    );
    assert_key_belongs_to(&root, &key, "alice@example.com").await;

    // Hostile ports: refused, no login form, so no way to a callback.
    for port in ["abc", "0", "65536", "-1", "80x", "1%20OR%201"] {
        client
            .goto(&login_url(&root, &format!("?agent_port={port}")))
            .await
            .unwrap();
        assert!(
            !page_has(client, "form#login").await,
            "agent_port={port} was not refused"
        );
    }
    browser.close().await;
}

/// `/saml/api` in a real browser (issue #21 item 9): the redirect to the
/// embedded IdP, its login form, the HTTP-POST binding's page that posts the
/// SAMLResponse by script, the success page, and the callback the success
/// page makes the browser send. A wrong IdP password leaves the browser on
/// the IdP's form: no key, no callback.
#[tokio::test(flavor = "multi_thread")]
async fn browser_saml_round_trip_through_the_embedded_idp() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (running, root) = reference_server(None).await;
    let client = &browser.client;

    let listener = AgentListener::start().await.unwrap();
    let query = format!(
        "?agent_port={}&agent_name=SAML%20Agent&agent_version=3.2.1",
        listener.port()
    );
    client
        .goto(&format!("{root}/saml/api{query}"))
        .await
        .unwrap();
    let at = client.current_url().await.unwrap();
    assert_eq!(at.path(), "/idp/sso", "the browser is at the IdP: {at}");
    fill(
        client,
        "form#idp_login input[name=email]",
        "alice@example.com",
    )
    .await;
    fill(
        client,
        "form#idp_login input[name=password]",
        "not-the-password",
    )
    .await;
    click(client, "form#idp_login #idp_sign_in").await;
    assert!(
        page_has(client, "form#idp_login").await,
        "a wrong password: the IdP's form again"
    );
    assert_eq!(api_key_div(client).await, None);

    // The same login, now with the right password (the form keeps the request).
    let form_password = "form#idp_login input[name=password]";
    client
        .find(Locator::Css(form_password))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    client
        .find(Locator::Css("form#idp_login input[name=email]"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    fill(
        client,
        "form#idp_login input[name=email]",
        "alice@example.com",
    )
    .await;
    fill(client, form_password, "alice-Idp-Pa55word").await;
    client
        .find(Locator::Css("form#idp_login #idp_sign_in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The POST binding page submits itself, the success page posts the key.
    let key = listener
        .api_key(Duration::from_secs(20))
        .await
        .expect("the browser posted the key to the agent port after SAML");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(posts(&listener).len(), 1, "exactly one callback");
    assert!(is_documented_key_shape(&key), "{key}");
    assert_key_belongs_to(&root, &key, "alice@example.com").await;
    let log = activity_log(&running).await.to_string();
    assert!(
        log.contains("SAML Agent") && log.contains("3.2.1"),
        "agent_name/agent_version carried through the SAML round trip: {log}"
    );
    browser.close().await;
}
