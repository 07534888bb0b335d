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

/// Issue #23: problems first, a pass with warnings marked, the problems
/// filter hides skips too, a text filter, the run's metadata, pretty JSON
/// bodies; and an index page for several targets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problems_come_first_warned_passes_are_marked_and_both_filters_work() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    // The variant server: passes with warnings; a fault: failures.
    let out = Command::new(BIN)
        .args(["run", "--vendor", "limecraft", "--variant", "--quiet"])
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("<dt>version</dt><dd>authconform 0.1.0"),
        "metadata"
    );
    assert!(
        page.contains("<dt>command</dt>") && page.contains("--variant"),
        "the command line"
    );
    assert!(page.contains("<dt>date</dt><dd>20"), "the date");
    let Some(browser) = Browser::start().await else {
        return;
    };
    let client = &browser.client;
    client
        .goto(&format!("file://{}", html.display()))
        .await
        .unwrap();
    let all = client
        .find_all(Locator::Css("details.scenario"))
        .await
        .unwrap();
    let first = all[0].attr("class").await.unwrap().unwrap_or_default();
    assert!(
        first.contains("warned"),
        "a warned pass comes before plain passes: {first}"
    );
    let mark = client
        .find(Locator::Css("details.warned .status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(mark, "WARN", "a pass with warnings is marked as such");
    // A JSON body is pretty-printed: one field a line.
    let warning = client
        .find(Locator::Css("details.warned pre.warning"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        warning.contains("{\n") || warning.contains("\n  \""),
        "{warning}"
    );
    // The text filter keeps only what mentions the words.
    let filter = client.find(Locator::Id("filter")).await.unwrap();
    filter.send_keys("LC21").await.unwrap();
    let mut shown = 0;
    for d in client
        .find_all(Locator::Css("details.scenario"))
        .await
        .unwrap()
    {
        if d.is_displayed().await.unwrap() {
            shown += 1;
            assert!(d.text().await.unwrap().contains("LC21"));
        }
    }
    assert!(shown >= 1 && shown < all.len(), "{shown} of {}", all.len());
    browser.close().await;

    // A fault with skips: the problems filter hides the skips too.
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
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let page = std::fs::read_to_string(&html).unwrap();
    let failed_at = page.find("class=\"scenario failed").unwrap();
    let passed_at = page.find("class=\"scenario passed").unwrap();
    assert!(failed_at < passed_at, "failures come first");
}

#[test]
fn several_targets_get_an_index_page_linking_each_targets_page() {
    let served = crate::cli::Served::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let targets = dir.path().join("targets");
    std::fs::create_dir(&targets).unwrap();
    for (name, password) in [("good", "alice-Pa55word"), ("bad", "wrong")] {
        std::fs::write(
            targets.join(format!("{name}.yaml")),
            format!(
                "vendor: limecraft\nbase_url: {}/limecraft/api\nusers:\n  primary: {{username: alice, password: {password}}}\n  secondary: {{username: bob, password: bob-Pa55word}}\n",
                served.url
            ),
        )
        .unwrap();
    }
    let html = dir.path().join("r/run.html");
    let out = crate::cli::command()
        .args(["run", "--quiet", "--tags", "@login", "--target"])
        .arg(&targets)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let index = std::fs::read_to_string(&html).unwrap();
    assert!(
        index.contains("<a href=\"run.good.html\">good</a>")
            && index.contains("<a href=\"run.bad.html\">bad</a>"),
        "{index}"
    );
    assert!(
        index.find("run.bad.html").unwrap() < index.find("run.good.html").unwrap(),
        "the target not checked comes first"
    );
    assert!(dir.path().join("r/run.good.html").is_file());
    let bad = std::fs::read_to_string(dir.path().join("r/run.bad.html")).unwrap();
    assert!(bad.contains("cannot sign on"), "{bad}");
}
