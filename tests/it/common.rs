//! Scaffolding the integration tests share: starting a reference server,
//! sending it a request (over HTTP or in-process), reading the answer, and
//! the shape every refusal has. What a vendor's answer must contain stays in
//! that vendor's test file; only what is the same for all of them is here.
//!
//! Every module of the `it` test binary reaches it as `crate::common`.

use std::time::{Duration, Instant};

use authconform::reference::{ReferenceConfig, ReferenceServer, RunningServer};
use authconform::vendor::Vendor;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, header};
use insta::internals::{Content, Redaction};
use insta::{Settings, dynamic_redaction};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::{Value, json};
use tower::ServiceExt;

// ---------------------------------------------------------------------------
// Over real HTTP
// ---------------------------------------------------------------------------

/// The whole reference server on a loopback port, a client with a timeout (so
/// a hang fails the test instead of stalling it), and `vendor`'s API base URL:
/// the hostile-input tests go through a real socket and a real HTTP parser.
pub async fn spawn(vendor: Vendor) -> (RunningServer, Client, String) {
    let running = ReferenceServer::new(ReferenceConfig::for_tests())
        .spawn(([127, 0, 0, 1], 0).into())
        .await
        .expect("bind loopback");
    let base = running.api_base_url(vendor);
    let client = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    (running, client, base)
}

/// Sends a request whose answer the test only needs as JSON (a token, a
/// result field), and returns that JSON.
pub async fn json_of(request: RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// A vendor's own rules for a refusal's JSON body; `raw` is the body as text,
/// for the failure message.
pub type ErrorShape = fn(what: &str, body: &Value, raw: &str, expected: u16);

/// Asserts a refusal: the `expected` status, a JSON body, and that body in
/// the vendor's error shape. Every vendor's bad-input test checks these three
/// in this order, with the body in every failure message.
pub async fn assert_refusal(what: &str, response: Response, expected: u16, shape: ErrorShape) {
    let status = response.status().as_u16();
    let raw = response.text().await.unwrap_or_default();
    assert_eq!(
        status, expected,
        "{what}: expected {expected}, got {status} {raw}"
    );
    let body: Value =
        serde_json::from_str(&raw).unwrap_or_else(|_| panic!("{what}: not JSON: {raw}"));
    shape(what, &body, &raw, expected);
}

/// A hostile body: what it is, its Content-Type, its bytes, the status the
/// server must refuse it with.
pub type BodyCase = (&'static str, &'static str, Vec<u8>, u16);

/// POSTs each case to `url` in turn and asserts its refusal in the vendor's
/// error shape.
pub async fn assert_bodies_refused(
    client: &Client,
    url: &str,
    cases: Vec<BodyCase>,
    shape: ErrorShape,
) {
    for (what, content_type, body, expected) in cases {
        let r = client
            .post(url)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_refusal(what, r, expected, shape).await;
    }
}

/// A JSON body of more than 10 MB: `prefix`, ten million bytes `a`, `suffix`.
pub fn ten_mb_body(prefix: &[u8], suffix: &[u8]) -> Vec<u8> {
    let mut huge = prefix.to_vec();
    huge.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    huge.extend(suffix);
    huge
}

/// POSTs `body` (far over the 64 KiB limit) as JSON and asserts that it is
/// refused with 413 in the vendor's error shape, within 5 seconds: the server
/// stops reading at its limit instead of buffering the whole body.
pub async fn assert_too_large_refused_quickly(
    client: &Client,
    url: &str,
    body: Vec<u8>,
    shape: ErrorShape,
) {
    let started = Instant::now();
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
    // The server answers 413 after reading its limit; it may close the
    // connection before the client has sent all 10 MB, which is also a refusal.
    match sent {
        Ok(r) => assert_refusal("10 MB body", r, 413, shape).await,
        Err(e) => assert!(e.is_request() || e.is_body(), "unexpected error: {e}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------
// In-process (snapshots)
// ---------------------------------------------------------------------------

/// A reference server serving `vendor` alone at the root, as the vendor's
/// product does, to be driven in-process through its router.
pub fn in_process(vendor: Vendor) -> ReferenceServer {
    ReferenceServer::new(ReferenceConfig {
        only_vendor: Some(vendor),
        ..ReferenceConfig::for_tests()
    })
}

/// One in-process response, read in full.
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub headers: HeaderMap,
    /// The raw body text.
    pub raw: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.raw)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.raw))
    }

    /// The string field `name` of the JSON body (a token, an API key).
    pub fn string_field(&self, name: &str) -> String {
        self.json()[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in {}", self.raw))
            .to_owned()
    }

    /// What a JSON snapshot holds: an empty body is `""`, anything else its JSON.
    pub fn view(&self) -> Value {
        json!({
            "status": self.status,
            "content_type": self.content_type,
            "body": if self.raw.is_empty() { json!("") } else { self.json() },
        })
    }
}

/// Sends one request through the server's router with
/// `tower::ServiceExt::oneshot` (no socket, no port) and reads the answer.
pub async fn oneshot(server: &ReferenceServer, request: Request<Body>) -> Reply {
    let response = server
        .router()
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().expect("ASCII content type").to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    Reply {
        status,
        content_type,
        headers,
        raw: String::from_utf8(bytes.to_vec()).expect("UTF-8 body"),
    }
}

/// `request` as if it came over a connection from `ip` (port 40000): the
/// `ConnectInfo` a served connection carries, which the throttles and the
/// per-source caps read.
pub fn from_ip(ip: [u8; 4], mut request: Request<Body>) -> Request<Body> {
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            ip, 40000,
        ))));
    request
}

/// [`oneshot`] of a request built from its parts; `authorization` is the
/// header's whole value.
pub async fn call(
    server: &ReferenceServer,
    method: Method,
    uri: &str,
    authorization: Option<&str>,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> Reply {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(a) = authorization {
        request = request.header(header::AUTHORIZATION, a);
    }
    if let Some(ct) = content_type {
        request = request.header(header::CONTENT_TYPE, ct);
    }
    oneshot(server, request.body(body.into()).expect("valid request")).await
}

/// Redacts a string in a snapshot after checking that it has the expected
/// form, so a secret or a time never lands in a `.snap` and a wrong value is
/// not hidden by its placeholder. Anything but a string fails.
pub fn checked(placeholder: &'static str, check: fn(&str) -> bool) -> Redaction {
    checked_string(placeholder, check, false)
}

/// [`checked`], but a null stays null (a field the vendor documents as
/// nullable, such as a token without an expiration).
pub fn checked_or_null(placeholder: &'static str, check: fn(&str) -> bool) -> Redaction {
    checked_string(placeholder, check, true)
}

fn checked_string(placeholder: &'static str, check: fn(&str) -> bool, null_ok: bool) -> Redaction {
    dynamic_redaction(move |value: Content, path| {
        if null_ok && matches!(value, Content::None | Content::Unit) {
            return value;
        }
        let s = value
            .as_str()
            .unwrap_or_else(|| panic!("{path} is not a string: {value:?}"));
        assert!(check(s), "{path} has an unexpected form: {s:?}");
        Content::from(placeholder)
    })
}

/// Settings for a JSON snapshot of a [`Reply::view`]: no expression in the
/// `.snap`, and each `(selector, redaction)`. The snapshot macro itself stays
/// in the test file, since insta names the `.snap` after the calling module.
pub fn snapshot_settings(redactions: Vec<(&str, Redaction)>) -> Settings {
    let mut settings = Settings::clone_current();
    settings.set_omit_expression(true);
    for (selector, redaction) in redactions {
        settings.add_redaction(selector, redaction);
    }
    settings
}

// ---------------------------------------------------------------------------
// The real WireMock (the standalone jar), for the export's tests
// ---------------------------------------------------------------------------

/// The WireMock standalone jar and `java` to run it: `WIREMOCK_JAR`, else the
/// jar of `npm install wiremock@3` under `target/wiremock-npm` (`.ci/run`
/// installs it). `None` prints a loud SKIP line for `test`, unless
/// `AUTHCONFORM_REQUIRE_WIREMOCK` is set (CI), where it fails the test.
pub fn wiremock_jar(test: &str) -> Option<std::path::PathBuf> {
    use std::path::PathBuf;
    use std::process::{Command, Stdio};
    let jar = match std::env::var_os("WIREMOCK_JAR") {
        Some(path) => Some(PathBuf::from(path)).filter(|p| p.is_file()),
        None => {
            // The npm package keeps the jar in build/ (3.13: build/wiremock-standalone-3.13.2.jar).
            let package = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("target/wiremock-npm/node_modules/wiremock");
            ["build", "jar"].iter().find_map(|sub| {
                std::fs::read_dir(package.join(sub))
                    .ok()?
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .find(|p| p.extension().is_some_and(|e| e == "jar"))
            })
        }
    };
    let java = Command::new("java")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let found = jar.filter(|_| java);
    if found.is_none() {
        assert!(
            std::env::var_os("AUTHCONFORM_REQUIRE_WIREMOCK").is_none(),
            "java and the WireMock jar are required here (.ci/run installs them)"
        );
        eprintln!(
            "\n*** SKIP {test}: java or the WireMock jar is missing \
             (set WIREMOCK_JAR, or `npm install wiremock@3` in target/wiremock-npm) ***\n"
        );
    }
    found
}

/// A WireMock standalone process serving the export of `vendors`, at `url`;
/// killed (and its mappings folder removed) on drop.
pub struct WireMock {
    child: std::process::Child,
    _root: tempfile::TempDir,
    /// `http://127.0.0.1:PORT`: the export's paths are absolute from here.
    pub url: String,
}

impl Drop for WireMock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes the WireMock export of `vendors` and starts the jar on it, on a
/// free loopback port; waits (up to 60 s) until its admin API answers.
pub async fn start_wiremock(jar: &std::path::Path, vendors: &[Vendor]) -> WireMock {
    use authconform::mock::export::{self, Format};
    use std::process::{Command, Stdio};
    let root = tempfile::tempdir().unwrap();
    for vendor in vendors {
        let files = export::write(*vendor, Format::WireMock, root.path()).unwrap();
        assert!(!files.is_empty());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new("java")
        .arg("-jar")
        .arg(jar)
        .args(["--port", &port.to_string(), "--bind-address", "127.0.0.1"])
        .arg("--root-dir")
        .arg(root.path())
        .args(["--disable-banner", "--no-request-journal"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("java starts");
    let wiremock = WireMock {
        child,
        _root: root,
        url: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    let http = Client::new();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(r) = http
            .get(format!("{}/__admin/mappings", wiremock.url))
            .send()
            .await
            && r.status().is_success()
        {
            return wiremock;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("WireMock did not answer on {} within 60 s", wiremock.url);
}

/// What a client that keeps cookies (Python's http.cookiejar, as requests
/// and urllib keep them; `clients/cookie_jar.py`) gets: it POSTs `body` as
/// JSON to `first`, then calls `method second` with only the cookies the
/// first answer set. `{"first", "kept", "second", "body"}`; `None` (a loud
/// SKIP line) without `python3`, unless `AUTHCONFORM_REQUIRE_PYTHON` (CI).
pub async fn cookie_jar_client(
    test: &str,
    first: &str,
    body: &Value,
    method: &str,
    second: &str,
) -> Option<Value> {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/clients/cookie_jar.py");
    let mut command = std::process::Command::new("python3");
    command
        .arg(script)
        .args([first, &body.to_string(), method, second]);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap();
    let output = match output {
        Ok(o) => o,
        Err(e) => {
            assert!(
                std::env::var_os("AUTHCONFORM_REQUIRE_PYTHON").is_none(),
                "python3 is required here: {e}"
            );
            eprintln!("\n*** SKIP {test}: python3 is missing ({e}) ***\n");
            return None;
        }
    };
    assert!(
        output.status.success(),
        "the cookie-jar client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).unwrap())
}
