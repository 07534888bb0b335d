//! A minimal W3C WebDriver client (https://www.w3.org/TR/webdriver2/) on the
//! harness's own reqwest: the nine commands the browser player uses (new
//! session, navigate, current URL, execute script, find element, element
//! clear / send keys / click, delete cookies, delete session), and starting a
//! local chromedriver with headless Chromium when no WebDriver URL is given.
//!
//! Why not fantoccini (the tests' WebDriver client): it brings Mozilla's
//! `webdriver` crate and with it ICU's segmenter and a second `http` and
//! `cookie`, about 30 crates, for commands that are a JSON POST each here.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The key of an element reference in WebDriver's JSON (W3C §12.1).
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A WebDriver session, and the local chromedriver it runs on (if the
/// harness started one). Ends both when dropped.
pub struct Session {
    http: reqwest::Client,
    /// `{webdriver}/session/{id}`.
    base: String,
    driver: Option<Child>,
    _profile: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("base", &self.base).finish()
    }
}

/// An element of the page, as WebDriver refers to it.
#[derive(Clone, Debug)]
pub struct Element(String);

/// Where a local browser is: Chromium and chromedriver.
pub fn local_chromium() -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let chromium = std::env::var_os("AUTHCONFORM_CHROMIUM")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain(
            [
                "/usr/bin/chromium",
                "/usr/bin/chromium-browser",
                "/usr/bin/google-chrome",
            ]
            .map(std::path::PathBuf::from),
        )
        .find(|p| p.is_file())?;
    let driver = which("chromedriver")?;
    Some((chromium, driver))
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Session {
    /// Starts chromedriver on a free port and a headless Chromium session.
    pub async fn start_local_chromium() -> Result<Session, String> {
        let (chromium, driver) = local_chromium().ok_or_else(|| {
            "no local browser: chromium and chromedriver are not installed (apt-get install chromium chromium-driver)".to_owned()
        })?;
        let port = free_port().map_err(|e| format!("no free port for chromedriver: {e}"))?;
        let mut command = Command::new(&driver);
        command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // A process group of its own: the Chromium it starts ends with it
        // (`Drop`), even when the session was never deleted.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", driver.display()))?;
        let profile = tempfile::tempdir().map_err(|e| format!("no profile folder: {e}"))?;
        let options = json!({
            "binary": chromium,
            // Without the background-networking flags Chromium keeps trying
            // to reach Google's hosts, which a closed network refuses.
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        });
        let url = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        let mut session = loop {
            match Session::connect(&url, Some(options.clone())).await {
                Ok(s) => break s,
                Err(_) if start.elapsed() < Duration::from_secs(20) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => {
                    end_driver(child);
                    return Err(e);
                }
            }
        };
        session.driver = Some(child);
        session._profile = Some(profile);
        Ok(session)
    }

    /// A new session at the WebDriver server `url` (chromedriver, Selenium);
    /// `chrome_options` for a Chromium the harness starts.
    pub async fn connect(url: &str, chrome_options: Option<Value>) -> Result<Session, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?;
        let mut always = json!({ "acceptInsecureCerts": true, "pageLoadStrategy": "normal" });
        if let Some(o) = chrome_options {
            always["browserName"] = json!("chrome");
            always["goog:chromeOptions"] = o;
        }
        let root = url.trim_end_matches('/');
        let answer: Value = http
            .post(format!("{root}/session"))
            .json(&json!({ "capabilities": { "alwaysMatch": always } }))
            .send()
            .await
            .map_err(|e| format!("WebDriver at {root} does not answer: {e}"))?
            .json()
            .await
            .map_err(|e| format!("WebDriver at {root} answered no JSON: {e}"))?;
        let id = answer["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| format!("WebDriver at {root} opened no session: {answer}"))?;
        Ok(Session {
            http,
            base: format!("{root}/session/{id}"),
            driver: None,
            _profile: None,
        })
    }

    async fn command(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("WebDriver: {e}"))?;
        let ok = response.status().is_success();
        let answer: Value = response
            .json()
            .await
            .map_err(|e| format!("WebDriver answered no JSON: {e}"))?;
        if ok {
            Ok(answer["value"].clone())
        } else {
            Err(format!(
                "WebDriver {path}: {} {}",
                answer["value"]["error"].as_str().unwrap_or("error"),
                answer["value"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("")
            ))
        }
    }

    /// Navigates to `url` (returns when the page has loaded).
    pub async fn goto(&self, url: &str) -> Result<(), String> {
        self.command(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await
            .map(|_| ())
    }

    /// Runs `script` (a function body) with `args`; its return value.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value, String> {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// The element a script returns, if it returns one.
    pub async fn element_by_script(
        &self,
        script: &str,
        args: Vec<Value>,
    ) -> Result<Option<Element>, String> {
        let v = self.execute(script, args).await?;
        Ok(v.get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .map(|id| Element(id.to_owned())))
    }

    /// Empties an input.
    pub async fn clear(&self, e: &Element) -> Result<(), String> {
        self.command(
            reqwest::Method::POST,
            &format!("/element/{}/clear", e.0),
            Some(json!({})),
        )
        .await
        .map(|_| ())
    }

    /// Types `text` into an element, key by key, as a person does.
    pub async fn send_keys(&self, e: &Element, text: &str) -> Result<(), String> {
        self.command(
            reqwest::Method::POST,
            &format!("/element/{}/value", e.0),
            Some(json!({ "text": text })),
        )
        .await
        .map(|_| ())
    }

    /// Clicks an element.
    pub async fn click(&self, e: &Element) -> Result<(), String> {
        self.command(
            reqwest::Method::POST,
            &format!("/element/{}/click", e.0),
            Some(json!({})),
        )
        .await
        .map(|_| ())
    }

    /// Forgets every cookie of the current page's site.
    pub async fn delete_cookies(&self) -> Result<(), String> {
        self.command(reqwest::Method::DELETE, "/cookie", None)
            .await
            .map(|_| ())
    }

    /// Forgets every cookie of every site: Chromium's DevTools command
    /// through chromedriver; `false` where the WebDriver server has no such
    /// command (then [`Self::delete_cookies`] per site).
    pub async fn clear_all_cookies(&self) -> bool {
        self.command(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(json!({ "cmd": "Network.clearBrowserCookies", "params": {} })),
        )
        .await
        .is_ok()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // A local driver is asked to quit its browser (the session's DELETE,
        // blocking: there is no runtime to await in here), then it ends with
        // everything it started. A killed chromedriver alone leaves its
        // Chromium running: a run of the browser tests left 89 of them. A
        // remote session is left to its own timeout.
        if let Some(child) = self.driver.take() {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(2)))
                .build()
                .into();
            let _ = agent.delete(&self.base).call();
            end_driver(child);
        }
    }
}

/// Ends a chromedriver the harness started and its process group (the
/// browser it started).
fn end_driver(mut child: Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) on the process group this driver leads
        // (`process_group(0)` at spawn); it touches no memory.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}
