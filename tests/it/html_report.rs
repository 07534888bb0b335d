//! The HTML report, opened in a real headless Chromium: it shows every
//! scenario of the run, a failure's curl line, the filter for failures, and
//! no secret.

use std::process::Command;

use fantoccini::Locator;

use crate::liquidfiles_browser::Browser;

const BIN: &str = env!("CARGO_BIN_EXE_authconform");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_shows_every_scenario_and_a_failures_curl_line_in_a_browser() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let summary = dir.path().join("summary.json");
    let out = Command::new(BIN)
        .args([
            "run",
            "--vendor",
            "limecraft",
            "--fault",
            "logout-does-not-revoke",
            "--quiet",
        ])
        .arg("--html")
        .arg(&html)
        .arg("--summary-json")
        .arg(&summary)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(authconform::harness::exit::Exit::FAILED),
        "a fault fails the run"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains("alice-Pa55word"), "a password in the report");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let scenarios = summary["scenarios"].as_array().unwrap().len();

    let Some(browser) = Browser::start().await else {
        return;
    };
    let client = &browser.client;
    client
        .goto(&format!("file://{}", html.display()))
        .await
        .unwrap();
    let shown = client
        .find_all(Locator::Css("details.scenario"))
        .await
        .unwrap();
    assert_eq!(shown.len(), scenarios, "one entry per scenario of the run");
    let failure = client
        .find(Locator::Css("details.failed pre.failure"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(failure.contains("curl -sS -i"), "{failure}");
    assert!(
        failure.contains("<redacted>"),
        "the token is masked: {failure}"
    );
    // The filter hides what passed.
    let passed = client
        .find(Locator::Css("details.passed:not(.warned)"))
        .await
        .unwrap();
    assert!(passed.is_displayed().await.unwrap());
    client
        .find(Locator::Id("only-problems"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(
        !passed.is_displayed().await.unwrap(),
        "the filter hides passed scenarios"
    );
    browser.close().await;
}
