//! The reports as their consumers read them (issue #13): the JUnit file
//! through `junitparser` (the Python library behind common CI publishers,
//! e.g. the publish-unit-test-result GitHub action), the Cucumber JSON
//! through `multiple-cucumber-html-reporter` (npm). Both read a real run
//! with passes, failures and skips, twice, against one server.
//!
//! Each consumer is a program from outside: when it is missing the test says
//! SKIP loudly, unless `AUTHCONFORM_REQUIRE_REPORT_CONSUMERS` is set (CI, where
//! `.ci/run` installs Debian's `python3-junitparser` and the npm package into
//! `target/report-npm`), where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::cli::{Served, command, temp_dir};

fn required() -> bool {
    std::env::var_os("AUTHCONFORM_REQUIRE_REPORT_CONSUMERS").is_some()
}

fn skip(what: &str) {
    assert!(!required(), "{what} is required here (.ci/run installs it)");
    eprintln!("\n*** SKIP report_consumers: {what} is missing ***\n");
}

/// One run against `served` (a server with a broken rule, and a target file
/// without clock control or a locked account): failures and skips.
fn run_once(served: &Served, dir: &Path, name: &str) -> (PathBuf, PathBuf, Value) {
    let target = dir.join("target.yaml");
    std::fs::write(
        &target,
        format!(
            "vendor: limecraft\nbase_url: {}/limecraft/api\nusers:\n  primary: {{username: alice, password: alice-Pa55word}}\n  secondary: {{username: bob, password: bob-Pa55word}}\n",
            served.url
        ),
    )
    .unwrap();
    let junit = dir.join(format!("{name}.xml"));
    let json = dir.join(format!("{name}.json"));
    let summary = dir.join(format!("{name}.summary.json"));
    let out = command()
        .args(["run", "--quiet", "--target"])
        .arg(&target)
        .arg("--junit")
        .arg(&junit)
        .arg("--cucumber-json")
        .arg(&json)
        .arg("--summary-json")
        .arg(&summary)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(authconform::harness::exit::Exit::FAILED),
        "the broken rule fails the run"
    );
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(summary).unwrap()).unwrap();
    assert!(summary["failed"].as_u64().unwrap() > 0, "{summary}");
    assert!(summary["skipped"].as_u64().unwrap() > 0, "{summary}");
    (junit, json, summary)
}

/// Debian's python3-junitparser lives under the system Python.
fn python_with_junitparser() -> Option<PathBuf> {
    ["/usr/bin/python3", "python3"].iter().find_map(|p| {
        let ok = Command::new(p)
            .args(["-c", "import junitparser"])
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| PathBuf::from(p))
    })
}

/// What junitparser reads: every test case as `classname|name|status`.
const READ_JUNIT: &str = r#"
import sys
from junitparser import JUnitXml, Failure, Error, Skipped
for suite in JUnitXml.fromfile(sys.argv[1]):
    for case in suite:
        results = case.result if isinstance(case.result, list) else [case.result]
        status = "passed"
        for r in results:
            if isinstance(r, (Failure, Error)):
                status = "failed"
                assert r.text and "curl" in r.text, "the failure body holds the curl line"
            elif isinstance(r, Skipped):
                status = "skipped"
                assert r.message, "a skip says why"
        print(f"{case.classname}|{case.name}|{status}")
"#;

fn junitparser_cases(python: &Path, junit: &Path) -> Vec<String> {
    let out = Command::new(python)
        .args(["-c", READ_JUNIT])
        .arg(junit)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "junitparser could not read the report: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut cases: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    cases.sort();
    cases
}

#[test]
fn junitparser_and_a_cucumber_html_reporter_read_the_reports_of_two_runs_alike() {
    let served = Served::start(&["--fault", "logout-does-not-revoke"]);
    let dir = temp_dir();
    let (junit1, json1, summary) = run_once(&served, dir.path(), "first");
    let (junit2, _, _) = run_once(&served, dir.path(), "second");

    match python_with_junitparser() {
        None => skip("python3-junitparser"),
        Some(python) => {
            let first = junitparser_cases(&python, &junit1);
            let second = junitparser_cases(&python, &junit2);
            assert_eq!(first, second, "two runs give identical test names");
            let count = |status: &str| {
                first
                    .iter()
                    .filter(|c| c.ends_with(&format!("|{status}")))
                    .count() as u64
            };
            for status in ["passed", "failed", "skipped"] {
                assert_eq!(
                    count(status),
                    summary[status].as_u64().unwrap(),
                    "junitparser's {status} count equals the summary's: {first:#?}"
                );
            }
            assert!(
                first
                    .iter()
                    .all(|c| c.starts_with("authconform.limecraft.")),
                "{first:#?}"
            );
        }
    }

    let reporter = std::env::var_os("MULTIPLE_CUCUMBER_HTML_REPORTER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target/report-npm/node_modules/multiple-cucumber-html-reporter")
        });
    if !reporter.is_dir() || Command::new("node").arg("--version").output().is_err() {
        skip("node and multiple-cucumber-html-reporter (npm)");
        return;
    }
    let json_dir = dir.path().join("cucumber");
    std::fs::create_dir(&json_dir).unwrap();
    std::fs::copy(&json1, json_dir.join("run.json")).unwrap();
    let out_dir = dir.path().join("html");
    let script = format!(
        "require({reporter:?}).generate({{jsonDir: {json:?}, reportPath: {out:?}, disableLog: true}});",
        reporter = reporter.display().to_string(),
        json = json_dir.display().to_string(),
        out = out_dir.display().to_string(),
    );
    let out = Command::new("node").args(["-e", &script]).output().unwrap();
    assert!(
        out.status.success(),
        "the reporter failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let index = std::fs::read_to_string(out_dir.join("index.html")).unwrap();
    let pages: Vec<String> = std::fs::read_dir(out_dir.join("features"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!pages.is_empty(), "one page per feature");
    assert!(
        pages.iter().all(|p| !p.contains("undefined")),
        "feature pages are named: {pages:?}"
    );
    let feature_pages: String = pages
        .iter()
        .map(|p| std::fs::read_to_string(out_dir.join("features").join(p)).unwrap())
        .collect();
    assert!(index.contains("login"), "the index lists the features");
    assert!(
        feature_pages.contains("needs clock control"),
        "a skipped scenario shows with its reason"
    );
    assert!(
        feature_pages.contains("@LC21") || feature_pages.contains("LC21"),
        "the failed scenario shows"
    );
    assert!(
        !index.contains("alice-Pa55word") && !feature_pages.contains("alice-Pa55word"),
        "no password in the rendered report"
    );
}
