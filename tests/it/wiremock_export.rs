//! The WireMock export, loaded into the real WireMock standalone server.
//!
//! Needs `java` and the standalone jar: `WIREMOCK_JAR=/path/to/wiremock-standalone.jar`,
//! or `npm install wiremock@3` under `target/wiremock-npm` (the jar ships in
//! that package). Without them the test prints a loud SKIP line and passes.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use authconform::mock::export::{self, Format};
use authconform::vendor::Vendor;
use serde_json::{Value, json};

fn find_jar() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("WIREMOCK_JAR") {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    // The npm package keeps the jar in build/ (3.13: build/wiremock-standalone-3.13.2.jar).
    let package =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/wiremock-npm/node_modules/wiremock");
    ["build", "jar"].iter().find_map(|sub| {
        std::fs::read_dir(package.join(sub))
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "jar"))
    })
}

fn java_available() -> bool {
    Command::new("java")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The WireMock process; killed on drop.
struct WireMock(Child);

impl Drop for WireMock {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_wiremock(jar: &PathBuf, root: &std::path::Path) -> (WireMock, String) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new("java")
        .arg("-jar")
        .arg(jar)
        .args(["--port", &port.to_string(), "--bind-address", "127.0.0.1"])
        .arg("--root-dir")
        .arg(root)
        .args(["--disable-banner", "--no-request-journal"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("java starts");
    let process = WireMock(child);
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let http = reqwest::Client::new();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(r) = http.get(format!("{url}/__admin/mappings")).send().await
            && r.status().is_success()
        {
            return (process, url);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("WireMock did not answer on {url} within 60 s");
}

#[tokio::test]
async fn exported_mappings_run_in_the_real_wiremock() {
    let Some(jar) = find_jar().filter(|_| java_available()) else {
        assert!(
            std::env::var_os("AUTHCONFORM_REQUIRE_WIREMOCK").is_none(),
            "java and the WireMock jar are required here (.ci/run installs them)"
        );
        eprintln!(
            "\n*** SKIP wiremock_export: java or the WireMock jar is missing \
             (set WIREMOCK_JAR, or `npm install wiremock@3` in target/wiremock-npm) ***\n"
        );
        return;
    };
    let root = tempfile::tempdir().unwrap();
    for vendor in Vendor::ALL {
        let files = export::write(*vendor, Format::WireMock, root.path()).unwrap();
        assert!(!files.is_empty());
    }
    let (_wiremock, url) = start_wiremock(&jar, root.path()).await;
    let http = reqwest::Client::new();
    let loaded: Value = http
        .get(format!("{url}/__admin/mappings"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let expected: usize = Vendor::ALL.iter().map(|v| export::stubs(*v).len()).sum();
    assert_eq!(loaded["meta"]["total"], expected, "every mapping loads");

    // Limecraft: the documented example logs in; anything else gets the envelope.
    let login = |password: &str| {
        http.post(format!("{url}/api/authentication/login"))
            .json(&json!({"username": "john.doe", "password": password}))
            .send()
    };
    let ok = login("mysecret123!").await.unwrap();
    assert_eq!(ok.status(), 200);
    let token = ok.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = login("wrong").await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["type"],
        "UnauthorizedError"
    );

    // The scenario: the user answers until logout, then 401.
    let user = || {
        http.get(format!("{url}/api/authentication/user"))
            .bearer_auth(&token)
            .send()
    };
    let u = user().await.unwrap();
    assert_eq!(u.status(), 200);
    assert!(u.json::<Value>().await.unwrap()["username"].is_string());
    let out = http
        .post(format!("{url}/api/authentication/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    let after = user().await.unwrap();
    assert_eq!(after.status(), 401);
    assert_eq!(after.json::<Value>().await.unwrap()["code"], 401);
    // Logging in again starts the session again.
    assert_eq!(login("mysecret123!").await.unwrap().status(), 200);
    assert_eq!(user().await.unwrap().status(), 200);
    // No token, or another one: the 401 fallback.
    let anonymous = http
        .get(format!("{url}/api/authentication/user"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // A templated path.
    let enable = http
        .post(format!("{url}/api/user/1000/enable2fa"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(enable.status(), 200);
    assert_eq!(enable.json::<Value>().await.unwrap()["digits"], 6);

    // FileVerbs: the documentation's key pair.
    let fv = http
        .post(format!("{url}/api/v1/accounts/access-token"))
        .json(&json!({"SecretKey": "eyJhbGci...", "APIKey": "jgJhbSag..."}))
        .send()
        .await
        .unwrap();
    assert_eq!(fv.status(), 200);
    assert!(fv.json::<Value>().await.unwrap()["JwtToken"].is_string());

    // LAC: a sign-on answers an auth token.
    let lac = http
        .post(format!("{url}/rest/default/demo/v1/@authentication"))
        .json(&json!({"username": "demo", "password": "Password1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(lac.status(), 200);
    let lac: Value = lac.json().await.unwrap();
    let apikey = lac["apikey"].as_str().unwrap().to_owned();
    // The expiration is templated ahead of now (LAC's CLI drops expired keys).
    let expiration: jiff::civil::DateTime = lac["expiration"].as_str().unwrap().parse().unwrap();
    let now = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .datetime();
    assert!(expiration > now, "{expiration} is not after {now}");
    let probe = |auth: Option<String>| {
        let mut r = http.get(format!("{url}/rest/default/demo/v1/probe"));
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        r.send()
    };
    let ok = probe(Some(format!("CALiveAPICreator {apikey}:1")))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.json::<Value>().await.unwrap().is_object());
    assert_eq!(probe(None).await.unwrap().status(), 401);
    assert_eq!(
        probe(Some("CALiveAPICreator wrong:1".into()))
            .await
            .unwrap()
            .status(),
        401
    );

    // LiquidFiles: the documentation's XML request answers its XML key, as XML
    // (the mapping's `body` + Content-Type, not `jsonBody`); other credentials
    // get the XML error envelope.
    let lf_login = |password: &str| {
        http.post(format!("{url}/login"))
            .header("Content-Type", "text/xml")
            .body(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user>\n  <email>user@example.com</email>\n  <password>{password}</password>\n</user>\n"
            ))
            .send()
    };
    let lf = lf_login("password").await.unwrap();
    assert_eq!(lf.status(), 200);
    assert!(
        lf.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml"),
        "{:?}",
        lf.headers()
    );
    let body = lf.text().await.unwrap();
    assert!(
        body.contains("<api_key>4i1Rkf3pkxu0OCRuSuTMqE</api_key>"),
        "{body}"
    );
    let lf_wrong = lf_login("wrong").await.unwrap();
    assert_eq!(lf_wrong.status(), 401);
    assert!(lf_wrong.text().await.unwrap().contains("<error>"));
    // XPath matching: other formatting and character references match too.
    let escaped = http
        .post(format!("{url}/login"))
        .header("Content-Type", "application/xml")
        .body("<user><email>user@example.com</email><password>&#112;assword</password></user>")
        .send()
        .await
        .unwrap();
    assert_eq!(escaped.status(), 200);
    // The v3 JSON API answers in JSON, its refusal too.
    let lf_json = |password: &str| {
        http.post(format!("{url}/login"))
            .json(&json!({"user": {"email": "user@example.com", "password": password}}))
            .send()
    };
    let ok: Value = lf_json("password").await.unwrap().json().await.unwrap();
    let key = ok["user"]["api_key"].as_str().unwrap().to_owned();
    let refused = lf_json("wrong").await.unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.json::<Value>().await.unwrap()["errors"].is_array());
    // The key works on /account; nothing else does.
    let account = |auth: Option<&str>| {
        let mut r = http.get(format!("{url}/account"));
        if let Some(user) = auth {
            r = r.basic_auth(user, Some(""));
        }
        r.send()
    };
    assert_eq!(account(Some(&key)).await.unwrap().status(), 200);
    assert_eq!(account(Some("nope")).await.unwrap().status(), 401);
    assert_eq!(account(None).await.unwrap().status(), 401);
}
