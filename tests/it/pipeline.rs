//! `authconform run` in a pipeline, every day (issue #23): every outcome
//! writes every requested report and tells GitHub, a report path is checked
//! before the run, Ctrl-C cleans up and reports, targets sharing a server
//! wait for each other, the server's clock is compared with ours, and the
//! mistakes people make in a target file are each said with their fix.

use std::io::Read as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use authconform::harness::exit::Exit;

use crate::cli::{Served, command, temp_dir, text, write_target};

/// Limecraft's accounts on a served reference server (no `control_url`).
pub(crate) fn limecraft_target(url: &str, password: &str) -> String {
    format!(
        "vendor: limecraft\nbase_url: {url}/limecraft/api\nusers:\n  primary: {{username: alice, password: \"{password}\"}}\n  secondary: {{username: bob, password: bob-Pa55word}}\n"
    )
}

#[test]
fn a_target_that_is_not_ready_still_writes_every_report_and_tells_github() {
    let served = Served::start(&[]);
    let dir = temp_dir();
    let path = write_target(&dir, &limecraft_target(&served.url, "not-alices"));
    let reports = dir.path().join("reports");
    let step_summary = dir.path().join("step-summary.md");
    let out = command()
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &step_summary)
        .env("GITHUB_WORKSPACE", dir.path())
        .args(["run", "--target", &path])
        .arg("--junit")
        .arg(reports.join("junit.xml"))
        .arg("--cucumber-json")
        .arg(reports.join("cucumber.json"))
        .arg("--summary-json")
        .arg(reports.join("summary.json"))
        .arg("--html")
        .arg(reports.join("report.html"))
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(Exit::SETUP), "{t}");
    let read = |name: &str| std::fs::read_to_string(reports.join(name)).unwrap();
    let junit = read("junit.xml");
    assert!(
        junit.contains("<error") && junit.contains("users.primary (alice) cannot sign on"),
        "{junit}"
    );
    let summary: serde_json::Value = serde_json::from_str(&read("summary.json")).unwrap();
    assert!(
        summary["error"].as_str().unwrap().contains("not ready"),
        "{summary}"
    );
    let cucumber: serde_json::Value = serde_json::from_str(&read("cucumber.json")).unwrap();
    assert_eq!(
        cucumber[0]["elements"][0]["steps"][0]["result"]["status"], "failed",
        "{cucumber}"
    );
    assert!(read("report.html").contains("cannot sign on"));
    // The annotation is on the target file, relative to the workspace, and names the target.
    assert!(
        t.contains("::error file=target.yaml,title=target%3A the target is not ready::"),
        "{t}"
    );
    let summary_md = std::fs::read_to_string(&step_summary).unwrap();
    assert!(
        summary_md.contains("| target |") && summary_md.contains("not (fully) checked"),
        "{summary_md}"
    );
    assert!(
        !t.contains("not-alices") && !junit.contains("not-alices"),
        "a password leaked"
    );

    // A configuration mistake (variables not set) is a report too, naming every variable.
    let path = write_target(
        &dir,
        "vendor: limecraft\nbase_url: \"${AC_TEST_UNSET_URL}\"\nusers:\n  primary: {username: \"${AC_TEST_UNSET_USER}\", password: \"${AC_TEST_UNSET_PW}\"}\n  secondary: {username: b, password: c}\n",
    );
    let out = command()
        .args(["run", "--target", &path])
        .arg("--junit")
        .arg(reports.join("junit.xml"))
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(Exit::SETUP), "{t}");
    for var in [
        "AC_TEST_UNSET_URL",
        "AC_TEST_UNSET_USER",
        "AC_TEST_UNSET_PW",
    ] {
        assert!(t.contains(var), "every missing variable at once: {t}");
        assert!(read("junit.xml").contains(var));
    }
}

#[test]
fn a_report_path_that_cannot_be_written_stops_the_run_before_it_starts() {
    let dir = temp_dir();
    let started = Instant::now();
    for (flag, path) in [
        ("--html", "/proc/authconform-cannot.html".to_owned()),
        ("--junit", dir.path().display().to_string()),
    ] {
        let out = command()
            .args(["run", "--vendor", "limecraft", flag, &path])
            .output()
            .unwrap();
        let t = text(&out);
        assert_eq!(out.status.code(), Some(Exit::SETUP), "{t}");
        assert!(
            t.contains(&format!("{flag} {path}: cannot write the report there")),
            "{t}"
        );
        assert!(!t.contains("PASS"), "nothing ran: {t}");
    }
    assert!(started.elapsed() < Duration::from_secs(20));
}

/// Ctrl-C mid-run: the current request ends, the run cleans up (the
/// sessions it was issued are logged out), the recap is printed, every
/// report holds what ran and what did not, and the exit code is 130.
#[test]
fn ctrl_c_stops_the_run_cleans_up_writes_the_reports_and_exits_130() {
    let served = Served::start(&["--latency", "100"]);
    let dir = temp_dir();
    let path = write_target(&dir, &limecraft_target(&served.url, "alice-Pa55word"));
    let junit = dir.path().join("r/junit.xml");
    let stdout = dir.path().join("stdout.txt");
    let mut child = command()
        .args(["run", "--target", &path, "--tags", "not @2fa", "--junit"])
        .arg(&junit)
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !std::fs::read_to_string(&stdout)
        .unwrap_or_default()
        .contains("PASS LC2")
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let logged_before = std::fs::read_to_string(&served.log).unwrap().len();
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the run did not stop on Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let out = std::fs::read_to_string(&stdout).unwrap();
    assert_eq!(status.code(), Some(Exit::INTERRUPTED), "{out}{err}");
    assert!(err.contains("interrupted (SIGINT)"), "{err}");
    assert!(
        out.contains("not run (the run stopped before them):") && out.contains(" not run"),
        "the recap: {out}"
    );
    let junit = std::fs::read_to_string(&junit).unwrap();
    assert!(junit.contains("not run: interrupted (SIGINT)"), "{junit}");
    assert!(junit.contains("LC1 "), "what ran is there too: {junit}");
    let log = std::fs::read_to_string(&served.log).unwrap();
    assert!(
        log[logged_before..].contains("POST /limecraft/api/authentication/logout"),
        "the sessions the run was issued are ended: {}",
        &log[logged_before..]
    );
}

#[test]
fn targets_sharing_a_server_wait_for_each_other_and_the_servers_clock_is_compared() {
    let served = Served::start(&["--test-mode"]);
    let dir = temp_dir();
    let targets = dir.path().join("targets");
    std::fs::create_dir(&targets).unwrap();
    let with_control = |name: &str| {
        std::fs::write(
            targets.join(name),
            format!(
                "{}control_url: {}\n",
                limecraft_target(&served.url, "alice-Pa55word"),
                served.url
            ),
        )
        .unwrap();
    };
    with_control("a.yaml");
    with_control("b.yaml");
    let out = command()
        .args([
            "run",
            "--target",
            targets.to_str().unwrap(),
            "--tags",
            "@login",
        ])
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(Exit::PASSED), "{t}");
    assert!(
        t.contains("a, b share a server or control_url: checked one after the other"),
        "{t}"
    );

    // A moved clock: a target without control_url is told before it runs.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{}/__authconform/clock/advance", served.url))
            .json(&serde_json::json!({"seconds": 3 * 366 * 86_400}))
            .send()
            .await
            .unwrap();
    });
    let plain = write_target(&dir, &limecraft_target(&served.url, "alice-Pa55word"));
    let run = || {
        command()
            .args(["run", "--target", &plain, "--tags", "@login"])
            .output()
            .unwrap()
    };
    let t = text(&run());
    assert!(
        t.contains("warning: the server's clock (Date: ") && t.contains("3 year(s)"),
        "{t}"
    );
    let out = command()
        .args(["clock", "--control-url", &served.url, "--reset"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(Exit::PASSED), "{}", text(&out));
    assert!(
        text(&out).contains("within 2 s of this machine's (reset)"),
        "{}",
        text(&out)
    );
    let t = text(&run());
    assert!(!t.contains("server's clock"), "{t}");
}

#[test]
fn target_file_and_preflight_mistakes_each_say_their_fix() {
    let served = Served::start(&[]);
    let dir = temp_dir();
    // A server that accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    let cases = [
        (
            limecraft_target(&served.url, "x").replace("/limecraft/api", "/limecraft"),
            "base_url is not the Limecraft API base",
        ),
        (
            limecraft_target(&silent_url, "x") + "timeout_seconds: 1\n",
            "did not answer POST",
        ),
        (
            limecraft_target(&served.url.replace("http://", "https://"), "x"),
            "use http:// instead of https://",
        ),
        (
            limecraft_target(&served.url.replace("http://", ""), "x"),
            "did you mean http://",
        ),
        (
            "vendor: limecraft\nbase_url: http://x/api\nusers:\n  primary: { username: ${AC_U}, password: x }\n".to_owned(),
            "must be quoted",
        ),
        (
            "vendor: limecraft\nbase_url: [\n".to_owned(),
            "target.yaml:",
        ),
    ];
    for (body, expected) in cases {
        let path = write_target(&dir, &body);
        let out = command()
            .args(["check", "--target", &path])
            .output()
            .unwrap();
        let t = text(&out);
        assert_eq!(out.status.code(), Some(Exit::SETUP), "{expected}: {t}");
        assert!(t.contains(expected), "expected `{expected}` in: {t}");
        assert!(!t.contains("<input>"), "{t}");
    }
    drop(silent);
    // `check` of a ready target prints the plan: what runs, what is skipped and why.
    let path = write_target(&dir, &limecraft_target(&served.url, "alice-Pa55word"));
    let out = command()
        .args(["check", "--target", &path])
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(Exit::PASSED), "{t}");
    assert!(t.contains("is ready") && t.contains("plan: "), "{t}");
    assert!(
        t.contains("would be skipped") && t.contains("skipped ×") && t.contains("control_url"),
        "{t}"
    );
}

#[test]
fn name_selects_by_id_or_exact_name_and_a_regex_only_when_asked() {
    let out = command()
        .args(["run", "--vendor", "limecraft", "--name", "LC1"])
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(Exit::PASSED), "{t}");
    assert!(
        t.contains("PASS LC1 ") && !t.contains("LC10") && !t.contains("LC19"),
        "{t}"
    );
    let out = command()
        .args([
            "run",
            "--vendor",
            "limecraft",
            "--name-regex",
            "^LC1",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(text(&out).contains("0 failed"), "{}", text(&out));
    let out = command()
        .args(["run", "--vendor", "limecraft", "--name", "zzz"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(Exit::SETUP));
    assert!(
        text(&out).contains("--name `zzz`: no scenario of this run has that id or name"),
        "{}",
        text(&out)
    );
}

#[test]
fn colour_completions_man_page_and_version() {
    let run = |color: &str| {
        command()
            .args([
                "run",
                "--vendor",
                "limecraft",
                "--tags",
                "@logout",
                "--color",
                color,
            ])
            .output()
            .unwrap()
    };
    assert!(text(&run("always")).contains("\x1b[32mPASS\x1b[0m"));
    assert!(!text(&run("never")).contains('\x1b'));
    // Not a terminal: `auto` does not colour.
    assert!(!text(&run("auto")).contains('\x1b'));
    let out = command().args(["completions", "bash"]).output().unwrap();
    assert!(out.status.success() && text(&out).contains("_authconform()"));
    let out = command().arg("man").output().unwrap();
    let man = text(&out);
    assert!(
        man.contains(".TH authconform") && man.contains("completions"),
        "{man}"
    );
    let out = command().arg("--version").output().unwrap();
    let version = text(&out);
    assert!(version.starts_with("authconform 0.1.0"), "{version}");
    // Built from a git checkout: the commit and its date.
    if std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.git")).exists() {
        let commit = version.split(['(', ')']).nth(1).unwrap_or("");
        assert!(
            commit.len() >= 20 && commit.split(' ').next().unwrap().len() == 9,
            "{version}"
        );
    }
}
