//! The command line end to end: exit codes, target files, skips, reports, the
//! server's log, and the seed's own examples against `serve --vendor limecraft`.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use authconform::harness::exit::Exit;
use authconform::harness::fileverbs::target::FileVerbsTarget;
use authconform::harness::lac::target::LacTarget;
use authconform::harness::liquidfiles::target::LiquidFilesTarget;
use authconform::harness::target::TargetError;

const BIN: &str = env!("CARGO_BIN_EXE_authconform");

fn authconform(args: &[&str]) -> Output {
    command().args(args).output().expect("run authconform")
}

/// The binary, with its state file (`--state`) out of the repository.
pub(crate) fn command() -> Command {
    let mut c = Command::new(BIN);
    c.env(
        "AUTHCONFORM_STATE",
        std::env::temp_dir().join(format!("authconform-cli-test-{}.json", std::process::id())),
    );
    c
}

pub(crate) fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub(crate) fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// A running `authconform serve`, stopped (SIGINT) on drop.
pub(crate) struct Served {
    child: Child,
    pub(crate) url: String,
    pub(crate) log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Served {
    pub(crate) fn start(extra: &[&str]) -> Served {
        let dir = temp_dir();
        let log = dir.path().join("serve.log");
        let child = command()
            .args(["serve", "--addr", "127.0.0.1:0", "--hash-cost", "test"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start serve");
        // Owned by `Served` at once, so a failed start still kills it on drop.
        let mut served = Served {
            child,
            url: String::new(),
            log,
            _dir: dir,
        };
        let started = Instant::now();
        loop {
            let text = std::fs::read_to_string(&served.log).unwrap_or_default();
            // The server announces itself: "… at http://127.0.0.1:PORT/limecraft/api".
            if let Some(i) = text.find("http://127.0.0.1:") {
                let port: String = text[i + 17..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                served.url = format!("http://127.0.0.1:{port}");
                return served;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "serve did not start: {text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGINT (Ctrl-C) and returns the exit status and the whole log.
    fn interrupt(mut self) -> (std::process::ExitStatus, String) {
        Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill -INT");
        let started = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "serve did not stop on Ctrl-C"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        (
            status,
            std::fs::read_to_string(&self.log).unwrap_or_default(),
        )
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn write_target(dir: &tempfile::TempDir, body: &str) -> String {
    let path = dir.path().join("target.yaml");
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

/// The text of an example target file in `fixtures/`.
fn example_target(file: &str) -> String {
    std::fs::read_to_string(format!("{}/fixtures/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Asserts that `target` lacks each tag's capability, for a reason that names
/// the hint (the setting that would provide it).
fn assert_missing(target: &authconform::harness::target::Target, cases: &[(&str, &str)]) {
    for &(tag, hint) in cases {
        let reason = target
            .missing_capability([tag.to_owned()].iter())
            .unwrap_or_else(|| panic!("{tag} should be missing"));
        assert!(reason.contains(hint), "{tag}: {reason}");
    }
}

#[test]
fn run_without_a_target_passes_against_the_reference_server() {
    let dir = temp_dir();
    let junit = dir.path().join("r/junit.xml");
    let json = dir.path().join("r/cucumber.json");
    let out = authconform(&[
        "run",
        "--junit",
        junit.to_str().unwrap(),
        "--cucumber-json",
        json.to_str().unwrap(),
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(Exit::PASSED), "{t}");
    assert!(t.contains("PASS LC1 "), "{t}");
    assert!(t.contains(" passed, 0 failed, 0 skipped"), "{t}");
    let junit = std::fs::read_to_string(junit).expect("JUnit report");
    assert!(
        junit.contains("<testsuite") && junit.contains("LC23"),
        "{junit}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).expect("JSON report")).unwrap();
    assert!(json.as_array().is_some_and(|a| !a.is_empty()), "{json}");
}

#[test]
fn tags_select_scenarios_and_bad_expressions_are_usage_errors() {
    let out = authconform(&["run", "--tags", "@logout"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(Exit::PASSED), "{t}");
    assert!(t.contains("PASS LC21") && !t.contains("LC1 "), "{t}");
    assert!(t.contains("6 passed, 0 failed"), "{t}");

    let out = authconform(&["run", "--tags", "@login and"]);
    assert_eq!(out.status.code(), Some(Exit::SETUP), "{}", text(&out));
    assert!(
        text(&out).contains("is not a tag expression"),
        "{}",
        text(&out)
    );

    let out = authconform(&["run", "--tags", "@no-such-tag"]);
    assert_eq!(out.status.code(), Some(Exit::SETUP), "{}", text(&out));
    assert!(text(&out).contains("no scenario ran"), "{}", text(&out));
}

#[test]
fn list_shows_every_scenario_and_whether_it_would_run() {
    let out = authconform(&["run", "--vendor", "limecraft", "--list", "--tags", "@login"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(Exit::PASSED), "{t}");
    assert!(
        t.contains("LC1 a JSON login returns a token\n    features/limecraft/login.feature:7"),
        "{t}"
    );
    assert!(
        t.contains("    runs\n") && t.contains("    not selected\n"),
        "{t}"
    );
    assert!(
        !t.contains("fileverbs/"),
        "only the selected vendor's scenarios: {t}"
    );
    assert!(t.contains(" scenario(s), 9 would run"), "{t}");
}

#[test]
fn a_fault_fails_the_run_with_a_redacted_reproducible_report() {
    let out = authconform(&["run", "--fault", "logout-does-not-revoke"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(Exit::FAILED), "{t}");
    assert!(t.contains("FAIL LC21"), "{t}");
    assert!(
        t.contains("expected: alice's token to be refused (no User: not a 2xx)"),
        "{t}"
    );
    assert!(
        t.contains("reproduce:\n") && t.contains("curl -sS -i -X GET"),
        "{t}"
    );
    assert!(t.contains("Authorization: Bearer <redacted>"), "{t}");
    for password in ["alice-Pa55word", "bob-Pa55word", "carol-Pa55word"] {
        assert!(!t.contains(password), "a password leaked into the report");
    }
    // No issued token (43 base64url characters) appears anywhere.
    let leaked = t
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .find(|w| w.len() == 43);
    assert_eq!(leaked, None, "a token leaked into the report");
}

#[test]
fn unknown_vendor_bad_url_missing_account_and_unset_variable_exit_2() {
    let dir = temp_dir();
    let good = "vendor: limecraft\nbase_url: http://127.0.0.1:9/api\nusers:\n  primary: {username: a, password: b}\n  secondary: {username: c, password: d}\n";
    let cases = [
        (good.replace("limecraft", "acme"), "unknown vendor `acme`"),
        (
            good.replace("  primary: {username: a, password: b}\n", "")
                .replace("limecraft", "liquidfiles"),
            "users.primary is missing: the liquidfiles suite needs it",
        ),
        (
            good.replace("limecraft", "lac"),
            "the lac section is missing",
        ),
        (
            good.replace("http://127.0.0.1:9/api", "127.0.0.1:9"),
            "is not a URL",
        ),
        (
            good.replace("  secondary: {username: c, password: d}\n", ""),
            "users.secondary is missing",
        ),
        (
            good.replace("password: b", "password: \"${AUTHCONFORM_TEST_UNSET_VAR}\""),
            "AUTHCONFORM_TEST_UNSET_VAR is not set",
        ),
        ("vendor: [".to_owned(), "not a valid target file"),
    ];
    for (body, expected) in cases {
        let path = write_target(&dir, &body);
        let out = authconform(&["run", "--target", &path]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(Exit::SETUP), "{expected}: {t}");
        assert!(t.contains(expected), "expected `{expected}` in: {t}");
    }
    let out = authconform(&["run", "--target", "/no/such/file.yaml"]);
    assert_eq!(out.status.code(), Some(Exit::SETUP));
    assert!(
        text(&out).contains("cannot read target file"),
        "{}",
        text(&out)
    );
    let out = authconform(&["run", "--vendor", "acme"]);
    assert_eq!(out.status.code(), Some(Exit::SETUP));
    let out = authconform(&["run", "--fault", "nope"]);
    assert_eq!(out.status.code(), Some(Exit::SETUP));
    assert!(text(&out).contains("authconform faults"), "{}", text(&out));
}

#[test]
fn an_external_target_skips_what_it_cannot_offer_and_says_why() {
    let served = Served::start(&[]);
    let dir = temp_dir();
    let target = format!(
        "vendor: limecraft\nbase_url: {}/limecraft/api\nusers:\n  primary: {{username: alice, password: \"${{AC_TEST_PW}}\"}}\n  secondary: {{username: bob, password: bob-Pa55word}}\n  twofactor: {{username: carol, password: carol-Pa55word}}\n",
        served.url
    );
    let path = write_target(&dir, &target);
    // Without clock control the 2FA scenarios wait for fresh TOTP periods in
    // real time; login and session scenarios show the skips without waiting.
    let out = command()
        .args([
            "run",
            "--target",
            &path,
            "--tags",
            "@login or @session or @LC13",
        ])
        .env("AC_TEST_PW", "alice-Pa55word")
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(Exit::PASSED), "{t}");
    // Skips of one reason are grouped, as failures are.
    assert!(
        t.contains("SKIP ×2 needs clock control")
            && t.contains("LC9 without rememberMe a session lasts one hour (features/limecraft/session.feature:7)"),
        "{t}"
    );
    assert!(t.contains("SKIP LC6 a locked account is refused with 403 (needs a locked account: add `users.locked`"), "{t}");
    assert!(t.contains("PASS LC1 ") && t.contains("PASS LC13 "), "{t}");
    assert!(t.contains("skipped") && !t.contains(" 0 skipped"), "{t}");
}

#[test]
fn a_target_with_control_url_runs_the_clock_scenarios() {
    let served = Served::start(&["--test-mode"]);
    let dir = temp_dir();
    let target = format!(
        "vendor: limecraft\nbase_url: {url}/limecraft/api\ncontrol_url: {url}\nusers:\n  primary: {{username: alice, password: alice-Pa55word}}\n  secondary: {{username: bob, password: bob-Pa55word}}\n  twofactor: {{username: carol, password: carol-Pa55word}}\n  locked: {{username: dave, password: dave-Pa55word}}\n  disabled: {{username: erin, password: erin-Pa55word}}\n  support: {{username: sam, password: sam-Pa55word}}\n",
        url = served.url
    );
    let path = write_target(&dir, &target);
    let out = authconform(&["run", "--target", &path]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(Exit::PASSED), "{t}");
    assert!(t.contains("PASS LC9 ") && t.contains("PASS LC17 "), "{t}");
    assert!(t.contains(" 0 skipped"), "{t}");
}

/// Several deployments in one run (a folder of target files): each is checked
/// on its own, one that is down fails only itself (exit 2, the worst), and the
/// JUnit file and the summary hold every target under its name.
#[test]
fn a_folder_of_targets_is_checked_in_one_run_and_the_worst_exit_code_wins() {
    let east = Served::start(&["--test-mode"]);
    let west = Served::start(&["--test-mode"]);
    let dir = temp_dir();
    let targets = dir.path().join("targets");
    std::fs::create_dir(&targets).unwrap();
    let target = |url: &str| {
        format!(
            "vendor: limecraft\nbase_url: {url}/limecraft/api\ncontrol_url: {url}\nusers:\n  primary: {{username: alice, password: alice-Pa55word}}\n  secondary: {{username: bob, password: bob-Pa55word}}\n"
        )
    };
    std::fs::write(targets.join("east.target.yaml"), target(&east.url)).unwrap();
    std::fs::write(targets.join("west.target.yaml"), target(&west.url)).unwrap();
    let reports = dir.path().join("r");
    let run = |extra: &[&str]| {
        let junit = reports.join("junit.xml");
        let summary = reports.join("summary.json");
        let html = reports.join("run.html");
        let mut args = vec![
            "run",
            "--target",
            targets.to_str().unwrap(),
            "--tags",
            "@login",
            "--junit",
            junit.to_str().unwrap(),
            "--summary-json",
            summary.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        authconform(&args)
    };
    let out = run(&[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(Exit::PASSED), "{t}");
    assert!(t.contains("[east] [") && t.contains("[west] ["), "{t}");
    assert!(
        t.contains("2 targets: 2 passed, 0 failed, 0 not checked"),
        "{t}"
    );
    assert!(reports.join("run.east.html").is_file() && reports.join("run.west.html").is_file());

    drop(west);
    let out = run(&["--jobs", "1"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(Exit::SETUP), "{t}");
    assert!(
        t.contains("2 targets: 1 passed, 0 failed, 1 not checked"),
        "{t}"
    );
    assert!(
        t.contains("authconform: west: the target is not ready"),
        "{t}"
    );
    let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
    assert!(
        junit.contains(r#"<testsuite name="east/limecraft/login.feature""#),
        "{junit}"
    );
    assert!(
        junit.contains(r#"classname="authconform.east.limecraft.login""#),
        "{junit}"
    );
    assert!(
        junit.contains(r#"<testsuite name="west""#) && junit.contains("<error"),
        "{junit}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("summary.json")).unwrap())
            .unwrap();
    let labels: Vec<&str> = summary["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["east", "west"], "{summary}");
    assert!(
        summary["targets"][1]["error"]
            .as_str()
            .unwrap()
            .contains("not ready")
    );
    assert_eq!(
        summary["passed"], summary["targets"][0]["passed"],
        "{summary}"
    );
}

#[test]
fn serve_logs_one_line_per_request_without_secrets_and_stops_on_ctrl_c() {
    let served = Served::start(&[]);
    let base = format!("{}/limecraft/api", served.url);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let token = rt.block_on(async {
        let client = reqwest::Client::new();
        let r: serde_json::Value = client
            .post(format!("{base}/authentication/login"))
            .json(&serde_json::json!({"username": "alice", "password": "alice-Pa55word"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = r["token"].as_str().unwrap().to_owned();
        let status = client
            .get(format!("{base}/authentication/user?access_token={token}"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
        token
    });
    let (status, log) = served.interrupt();
    assert!(status.success(), "serve exited with {status}: {log}");
    assert!(
        log.contains("POST /limecraft/api/authentication/login 200"),
        "{log}"
    );
    assert!(
        log.contains("GET /limecraft/api/authentication/user 200"),
        "{log}"
    );
    assert!(!log.contains(&token), "the token reached the log: {log}");
    assert!(
        !log.contains("alice-Pa55word"),
        "the password reached the log"
    );
    assert!(log.contains("stopped"), "{log}");
}

#[test]
fn the_seed_examples_work_verbatim_against_serve_vendor_limecraft() {
    let served = Served::start(&["--vendor", "limecraft"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let url = format!("{}/api/authentication/login", served.url);
        let ok: serde_json::Value = client
            .post(&url)
            .header("content-type", "application/json")
            .body("{\n\"username\": \"john.doe\",\n\"password\": \"mysecret123!\"\n}")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ok["needsSecondToken"], false);
        assert_eq!(ok["status"], 200);
        assert!(ok["token"].as_str().is_some_and(|t| !t.is_empty()));

        let refused = client
            .post(&url)
            .json(&serde_json::json!({"username": "wrongUsername", "password": "mysecret123!"}))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401);
        let body: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "type": "UnauthorizedError",
                "code": 401,
                "errorNumber": 0,
                "message": "wrongUsername was not authorized, the username / password combination you entered is invalid.",
                "data": null
            })
        );
    });
}

#[test]
fn faults_prints_the_catalogue() {
    let out = authconform(&["faults"]);
    assert_eq!(out.status.code(), Some(Exit::PASSED));
    let t = text(&out);
    assert!(t.contains("| limecraft | `totp-any-code` |"), "{t}");
}

#[test]
fn the_example_target_file_parses_with_its_variables_set() {
    let text = example_target("limecraft.target.yaml");
    let t = authconform::harness::target::Target::parse(&text, &|name| {
        Some(if name.ends_with("BASE_URL") {
            "https://example.com/api".into()
        } else {
            format!("value-of-{name}")
        })
    })
    .unwrap();
    assert_eq!(t.base_url, "https://example.com/api");
    assert!(t.users.twofactor.is_some());
}

#[test]
fn the_ci_templates_call_the_tested_script_and_publish_its_junit_report() {
    let root = env!("CARGO_MANIFEST_DIR");
    let script = std::fs::read_to_string(format!("{root}/ci/authconform-check.sh")).unwrap();
    assert!(script.contains("authconform-junit.xml"));
    let example =
        std::fs::read_to_string(format!("{root}/fixtures/limecraft.target.yaml")).unwrap();
    for file in ["github-actions.yml", "gitlab-ci.yml"] {
        let yaml = std::fs::read_to_string(format!("{root}/ci/{file}")).unwrap();
        let doc: serde_json::Value =
            serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(
            yaml.contains("bash authconform/check.sh"),
            "{file} must run the check script"
        );
        assert!(
            yaml.contains("reports/authconform-junit.xml"),
            "{file} must publish the JUnit report"
        );
        assert!(doc.is_object(), "{file}");
    }
    // Every secret the example target file needs is passed by the GitHub workflow.
    let gh = std::fs::read_to_string(format!("{root}/ci/github-actions.yml")).unwrap();
    assert!(
        gh.contains("checks: write"),
        "the JUnit publisher needs permission to write a check run"
    );
    assert!(
        gh.contains("AUTHCONFORM_VERSION") && script.contains("AUTHCONFORM_VERSION"),
        "the cache of the installed binary is keyed on the version installed"
    );
    // Issue #23: the second, tenth and concurrent runs (`.ci/run` runs the
    // script so); here, what the templates must hold for it.
    let lab = std::fs::read_to_string(format!("{root}/ci/gitlab-ci.yml")).unwrap();
    assert!(
        gh.contains("key: authconform-bin-v1-${{ runner.os }}-${{ vars.AUTHCONFORM_VERSION }}")
            && lab.contains("key: authconform-bin-v1-$AUTHCONFORM_VERSION"),
        "a versioned cache key for the binary"
    );
    assert!(
        gh.contains("path: .authconform/")
            && gh.contains("restore-keys: authconform-state-${{ matrix.shard }}-")
            && gh.contains(
                "key: authconform-state-${{ matrix.shard }}-${{ github.run_id }}-${{ github.run_attempt }}"
            ),
        "GitHub keeps each shard's state file: the newest restored, a new entry saved every run"
    );
    assert!(
        lab.contains("key: authconform-state-$AUTHCONFORM_SHARD")
            && lab.contains("- .authconform/"),
        "GitLab keeps each shard's state file"
    );
    // Issue #24: a matrix of shards, then a merge job that runs whatever they did.
    let shards: [(&str, &str, &[&str]); 3] = [
        (
            "github-actions.yml",
            &gh,
            &[
                "shard: [1]",
                "`shard: [1, 2, 3]`",
                "matrix.shard > 1 && format('_{0}', matrix.shard) || ''",
                "AUTHCONFORM_PARTITION: ${{ matrix.shard }}/${{ strategy.job-total }}",
                "needs: conformance",
                "AUTHCONFORM_MERGE: shards",
                "pattern: authconform-shard-*",
            ],
        ),
        (
            "gitlab-ci.yml",
            &lab,
            &[
                "AUTHCONFORM_SHARD: [\"1\"]",
                "AUTHCONFORM_PARTITION: $AUTHCONFORM_SHARD/1",
                "AUTHCONFORM_PARTITION: $AUTHCONFORM_SHARD/3 (N",
                "AUTHCONFORM_MERGE: shards",
                "when: always",
            ],
        ),
        (
            "authconform-check.sh",
            &script,
            &[
                "--partition \"$AUTHCONFORM_PARTITION\"",
                "report merge \"$AUTHCONFORM_MERGE\"",
            ],
        ),
    ];
    for (file, text, needles) in shards {
        for needle in needles {
            assert!(
                text.contains(needle),
                "{file}: shards and a merge job need `{needle}`"
            );
        }
    }
    assert!(
        gh.contains("concurrency:") && gh.contains("cancel-in-progress: false"),
        "one GitHub run at a time against the deployment"
    );
    assert!(lab.contains("resource_group:"), "one GitLab job at a time");
    assert!(
        gh.contains("schedule:") && gh.contains("cron:"),
        "a daily run"
    );
    assert!(lab.contains("$CI_PIPELINE_SOURCE == \"schedule\""));
    for yaml in [&gh, &lab] {
        assert!(
            yaml.contains("AUTHCONFORM_BINARY_URL") && script.contains("sha256sum -c"),
            "a prebuilt binary, checked, instead of a build on every miss"
        );
        assert!(
            yaml.contains("totp_secret"),
            "the way out without a state file is documented"
        );
    }
    assert!(
        script.contains("flock"),
        "runs on one machine wait for each other"
    );
    let settings: String = example
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    for var in settings
        .split("${")
        .skip(1)
        .filter_map(|s| s.split('}').next())
    {
        assert!(
            gh.contains(&format!("{var}:")),
            "github-actions.yml does not pass {var}"
        );
    }
}

#[test]
fn an_undefined_step_fails_the_run() {
    let dir = temp_dir();
    let features = dir.path().join("limecraft");
    std::fs::create_dir_all(&features).unwrap();
    std::fs::write(
        features.join("typo.feature"),
        "Feature: a typo\n  @LC1\n  Scenario: LC1 with a step nobody defined\n    When alice logs in with a JSON body\n    Then the moon is made of cheese\n",
    )
    .unwrap();
    let out = authconform(&["run", "--quiet", "--features", dir.path().to_str().unwrap()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(Exit::FAILED), "{t}");
    assert!(t.contains("FAIL LC1 with a step nobody defined"), "{t}");
}

/// A `@strict-…` scenario checks a reference choice as a whole: a step of it
/// that fails in any way (here: a session it needs was never made) warns, and
/// fails only under `--strict`; the same step in a plain scenario fails.
#[test]
fn a_reference_only_scenario_warns_whatever_failed_in_it_unless_strict() {
    let dir = temp_dir();
    let features = dir.path().join("limecraft");
    std::fs::create_dir_all(&features).unwrap();
    let feature = |tag: &str| {
        format!(
            "Feature: reference only\n  @LC21 {tag}\n  Scenario: LC21 a step that cannot find its session\n    Then session nowhere is refused\n"
        )
    };
    std::fs::write(features.join("choice.feature"), feature("@strict-demo")).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--features", dir.path().to_str().unwrap()];
        args.extend_from_slice(extra);
        authconform(&args)
    };
    let out = run(&[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(Exit::PASSED), "{t}");
    assert!(
        t.contains("PASS LC21 a step that cannot find its session"),
        "{t}"
    );
    assert!(
        t.contains("warning (reference choice): the scenario has no session named `nowhere`"),
        "{t}"
    );
    let out = run(&["--strict"]);
    assert_eq!(out.status.code(), Some(Exit::FAILED), "{}", text(&out));
    std::fs::write(features.join("choice.feature"), feature("")).unwrap();
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(Exit::FAILED), "{}", text(&out));
}

#[test]
fn the_fileverbs_example_target_parses_and_skips_what_it_lacks() {
    let text = example_target("fileverbs.target.yaml");
    let t = authconform::harness::target::Target::parse(&text, &|name| {
        Some(match name {
            "FILEVERBS_BASE_URL" => "https://api.example.com/api/v1".into(),
            "FILEVERBS_PROBE_PATH" => "/files".into(),
            other => format!("value-of-{other}"),
        })
    })
    .unwrap();
    assert_eq!(t.section::<FileVerbsTarget>().unwrap().probe_path, "/files");
    let refresh_tags = ["needs-refresh-endpoint".to_owned()];
    let reason = t
        .missing_capability(refresh_tags.iter())
        .expect("no refresh path given");
    assert!(reason.contains("fileverbs.refresh_path"), "{reason}");
    // A probe path that is a URL is a usage error.
    let bad = text.replace("${FILEVERBS_PROBE_PATH}", "https://elsewhere.example/x");
    let e = authconform::harness::target::Target::parse(&bad, &|_| {
        Some("https://api.example.com/api/v1".into())
    })
    .unwrap_err();
    assert!(
        matches!(e.inner(), TargetError::Invalid { field, .. } if field == "fileverbs.probe_path"),
        "{e}"
    );
}

#[test]
fn the_seed_example_works_verbatim_against_serve_vendor_lac() {
    let served = Served::start(&["--vendor", "lac"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let url = format!("{}/rest/default/demo/v1/@authentication", served.url);
        // The documentation's request body, exactly as written.
        let ok: serde_json::Value = client
            .post(&url)
            .header("content-type", "application/json")
            .body(r#"{ "username": "demo", "password": "Password1"}"#)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let apikey = ok["apikey"].as_str().expect("an apikey").to_owned();
        let expiration = ok["expiration"].as_str().expect("an expiration");
        assert!(
            expiration.parse::<jiff::civil::DateTime>().is_ok() && expiration.len() == 23,
            "{expiration} in the pattern 2014-12-31T23:59:59.999"
        );
        let probe = format!("{}/rest/default/demo/v1/probe", served.url);
        let status = client
            .get(&probe)
            .header("Authorization", format!("CALiveAPICreator {apikey}:1"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
        // Revalidate and disable, as the documentation's payloads do.
        let same: serde_json::Value = client
            .post(&url)
            .json(&serde_json::json!({ "apikey": apikey }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(same, serde_json::json!({"apikey": apikey, "expiration": expiration, "roles": ["Full access"]}));
        let disabled: serde_json::Value = client
            .post(&url)
            .json(&serde_json::json!({ "apikey": apikey, "disable": true }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(disabled, serde_json::json!({"apikey": apikey, "disabled": true}));
    });
    let (status, log) = served.interrupt();
    assert!(status.success(), "{log}");
    assert!(
        log.contains("CA Live API Creator at http://127.0.0.1:")
            && log.contains("/rest/default/demo/v1"),
        "{log}"
    );
    assert!(
        log.contains("POST /rest/default/demo/v1/@authentication 200"),
        "{log}"
    );
    assert!(!log.contains("Password1"), "the password reached the log");
}

#[test]
fn the_lac_example_target_parses_and_skips_what_it_lacks() {
    let text = example_target("lac.target.yaml");
    let env = |name: &str| {
        Some(match name {
            "LAC_BASE_URL" => "https://lac.example.com/rest/default/demo/v1".into(),
            "LAC_PROBE_PATH" => "/customers".into(),
            other => format!("value-of-{other}"),
        })
    };
    let t = authconform::harness::target::Target::parse(&text, &env).unwrap();
    let lac = t.section::<LacTarget>().unwrap();
    // Not declared: found out before the run (here, nothing was sent).
    assert_eq!(lac.url_auth, None);
    assert_eq!(lac.probe_path, "/customers");
    assert_missing(
        &t,
        &[
            ("needs-url-auth", "lac.url_auth"),
            ("needs-url-auth-off", "lac.url_auth_off"),
            (
                "needs-provider-without-password-change",
                "lac.no_password_change",
            ),
            ("needs-admin-token", "lac.admin_token"),
            ("needs-role-resource", "lac.role_path"),
            ("needs-clock", "control_url"),
        ],
    );
    // With the optional sections uncommented, every capability is there but the clock.
    let full = text
        .replace("# url_auth: true", "url_auth: true")
        .replace("# url_auth_off:", "url_auth_off:")
        .replace("# url_param:", "url_param:")
        .replace("# no_password_change:", "no_password_change:")
        .replace("  #   base_url:", "    base_url:")
        .replace("  #   username:", "    username:")
        .replace("  #   password:", "    password:")
        .replace("# admin_token:", "admin_token:")
        .replace("# role_path:", "role_path:");
    let t = authconform::harness::target::Target::parse(&full, &env).unwrap();
    let lac = t.section::<LacTarget>().unwrap();
    let other = lac.url_auth_off.as_ref().expect("url_auth_off");
    assert!(other.account.is_some() && lac.no_password_change.is_some());
    assert_eq!(lac.url_param, "auth");
    assert_eq!(lac.url_auth, Some(true));
    assert_eq!(lac.role_path.as_deref(), Some("/orders"));
    assert!(
        t.missing_capability(["needs-url-auth".to_owned()].iter())
            .is_none()
    );
    assert!(
        !format!("{lac:?}").contains("value-of-LAC_OTHER_PASSWORD"),
        "the other API's password is redacted"
    );
    assert!(
        !format!("{lac:?}").contains("value-of-LAC_ADMIN_TOKEN"),
        "the token is redacted"
    );
    let off = text.replace("# url_auth: true", "url_auth: false");
    let t = authconform::harness::target::Target::parse(&off, &env).unwrap();
    assert!(
        t.missing_capability(["needs-url-auth-off".to_owned()].iter())
            .is_none()
    );
    assert!(
        t.missing_capability(["needs-url-auth".to_owned()].iter())
            .is_some()
    );
}

#[test]
fn the_liquidfiles_example_target_parses_and_skips_what_it_lacks() {
    let text = example_target("liquidfiles.target.yaml");
    let env = |name: &str| {
        Some(match name {
            "LIQUIDFILES_BASE_URL" => "https://liquidfiles.example.com".into(),
            // A TOTP secret must be base32 of at least 128 bits.
            "LIQUIDFILES_2FA_TOTP_SECRET" => "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into(),
            other => format!("value-of-{other}"),
        })
    };
    let t = authconform::harness::target::Target::parse(&text, &env).unwrap();
    assert_eq!(t.vendor, authconform::vendor::Vendor::LiquidFiles);
    assert_missing(
        &t,
        &[
            ("needs-twofactor-account", "users.twofactor"),
            ("needs-username-login", "liquidfiles.primary_username"),
            ("needs-special-password-account", "liquidfiles.special"),
            ("needs-key-probe", "liquidfiles.probe_path"),
            ("needs-activity-log", "control_url"),
        ],
    );
    // With the optional parts uncommented, every capability is there but the control API.
    let full = text
        .replace("  # twofactor:", "  twofactor:")
        .replace(
            "  #   username: ${LIQUIDFILES_2FA",
            "    username: ${LIQUIDFILES_2FA",
        )
        .replace(
            "  #   password: ${LIQUIDFILES_2FA",
            "    password: ${LIQUIDFILES_2FA",
        )
        .replace("  #   totp_secret:", "    totp_secret:")
        .replace("  # primary_username:", "  primary_username:")
        .replace("  # special:", "  special:")
        .replace(
            "  #   username: ${LIQUIDFILES_SPECIAL",
            "    username: ${LIQUIDFILES_SPECIAL",
        )
        .replace(
            "  #   password: ${LIQUIDFILES_SPECIAL",
            "    password: ${LIQUIDFILES_SPECIAL",
        )
        .replace("  # probe_path:", "  probe_path:")
        .replace("  # key_lifetime_minutes:", "  key_lifetime_minutes:");
    // A TOTP secret that is not base32 is refused at load, naming the field
    // (a short one is not: seed 003's example key is 65 bits).
    for (secret, refused) in [("not base32!!", true), ("JBSWY3DP", false)] {
        let bad_env = |name: &str| {
            if name == "LIQUIDFILES_2FA_TOTP_SECRET" {
                Some(secret.to_owned())
            } else {
                env(name)
            }
        };
        match authconform::harness::target::Target::parse(&full, &bad_env) {
            Ok(_) => assert!(!refused, "a bad totp_secret ({secret}) must be refused"),
            Err(e) => {
                assert!(refused, "{secret} is base32: {e}");
                assert_eq!(e.field(), Some("users.twofactor.totp_secret"), "{e}");
            }
        }
    }
    let t = authconform::harness::target::Target::parse(&full, &env).unwrap();
    let lf = t.section::<LiquidFilesTarget>().unwrap();
    assert_eq!(lf.probe_path.as_deref(), Some("/account"));
    assert_eq!(lf.key_lifetime_minutes, Some(43200));
    for tag in [
        "needs-twofactor-account",
        "needs-username-login",
        "needs-special-password-account",
        "needs-key-probe",
        "needs-key-lifetime",
        "needs-totp-secret",
    ] {
        assert!(
            t.missing_capability([tag.to_owned()].iter()).is_none(),
            "{tag}"
        );
    }
    assert!(
        !format!("{lf:?}").contains("value-of-LIQUIDFILES_SPECIAL_PASSWORD"),
        "the password is redacted"
    );
}

#[test]
fn mock_export_writes_wiremock_mappings_and_the_spec() {
    let dir = temp_dir();
    let out = dir.path().to_str().unwrap();
    let o = authconform(&[
        "mock",
        "export",
        "--vendor",
        "limecraft",
        "--format",
        "wiremock",
        "--out",
        out,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let mappings: Vec<_> = std::fs::read_dir(dir.path().join("mappings"))
        .unwrap()
        .collect();
    assert_eq!(
        mappings.len(),
        authconform::mock::export::stubs(authconform::vendor::Vendor::Limecraft).len()
    );
    let o = authconform(&[
        "mock", "export", "--vendor", "lac", "--format", "openapi", "--out", out,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let spec = std::fs::read_to_string(dir.path().join("lac.openapi.yaml")).unwrap();
    assert_eq!(spec, authconform::vendor::Vendor::Lac.spec_source());
    let o = authconform(&[
        "mock", "export", "--vendor", "lac", "--format", "xml", "--out", out,
    ]);
    assert_eq!(o.status.code(), Some(Exit::SETUP), "{}", text(&o));
    assert!(text(&o).contains("wiremock, openapi"), "{}", text(&o));
}

/// Issue #26 R13: `serve` beyond loopback says so, and in test mode says how
/// to guard the control API; a short control token is refused at start.
#[test]
fn serve_beyond_loopback_warns_and_test_mode_asks_for_a_control_token() {
    let dir = temp_dir();
    let log = dir.path().join("serve.log");
    let mut child = command()
        .env_remove("AUTHCONFORM_CONTROL_TOKEN")
        .args([
            "serve",
            "--addr",
            "0.0.0.0:0",
            "--hash-cost",
            "test",
            "--test-mode",
        ])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start serve");
    let started = Instant::now();
    let logged = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("test mode:") || started.elapsed() > Duration::from_secs(20) {
            break text;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(logged.contains("beyond loopback"), "{logged}");
    assert!(logged.contains("AUTHCONFORM_CONTROL_TOKEN"), "{logged}");

    let short = command()
        .env("AUTHCONFORM_CONTROL_TOKEN", "short")
        .args(["serve", "--addr", "127.0.0.1:0", "--test-mode"])
        .output()
        .expect("run serve");
    assert_eq!(short.status.code(), Some(2), "{}", text(&short));
    assert!(text(&short).contains("at least 16"), "{}", text(&short));
}

#[test]
fn state_key_prints_a_new_key_on_stdout_alone() {
    let keys: Vec<String> = (0..2)
        .map(|_| {
            let out = authconform(&["state", "key"]);
            assert!(out.status.success(), "{}", text(&out));
            String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
        })
        .collect();
    for key in &keys {
        assert_eq!(key.len(), 43, "{key}");
        assert!(authconform::harness::state::Key::parse(key).is_ok());
    }
    assert_ne!(keys[0], keys[1], "a new key each time");
}
