//! LAC's auth token in the URL when the target file does not say whether the
//! API's property allows it (seed 002: "Prerequisite: You have authorized
//! users of this API to specify their auth token on the URL"): the suite
//! finds out before the run and runs LAC6 where the API lets the token in,
//! LAC7 on it where it refuses it, both passing; a declared value is checked
//! strictly.

use authconform::fixtures::Fixtures;
use authconform::harness::lac::target::LacTarget;
use authconform::harness::target::Target;
use authconform::harness::{self, Outcome, Output, RunOptions, RunReport, TargetChoice};
use authconform::reference::fault::Fault;
use authconform::reference::{ReferenceConfig, ReferenceServer, RunningServer};
use authconform::vendor::Vendor;

async fn server(fault: Option<Fault>) -> RunningServer {
    ReferenceServer::new(ReferenceConfig::for_tests().with_fault(fault))
        .spawn(([127, 0, 0, 1], 0).into())
        .await
        .unwrap()
}

/// The reference server's LAC target on the API at `api` (its base path's
/// folder), with `url_auth` as given and `lac.url_auth_off` only if `other`.
fn target(server: &RunningServer, api: &str, url_auth: Option<bool>, other: bool) -> Target {
    let base = server
        .api_base_url(Vendor::Lac)
        .replace("/demo/v1", &format!("/{api}/v1"));
    let mut target = Target::reference(Vendor::Lac, &base, &server.url(), &Fixtures::builtin());
    let mut lac = target.section::<LacTarget>().unwrap().clone();
    lac.url_auth = url_auth;
    if !other {
        lac.url_auth_off = None;
    }
    target.set_section(lac);
    target
}

async fn run(target: Target) -> RunReport {
    let report = harness::run(RunOptions {
        target: TargetChoice::External(Box::new(target)),
        output: Output::Quiet,
        tags: Some("@LAC6 or @LAC7".into()),
        ..RunOptions::reference()
    })
    .await
    .unwrap_or_else(|e| panic!("the suite could not run: {e}"));
    drop(std::panic::take_hook());
    report
}

fn outcome<'a>(report: &'a RunReport, id: &str) -> &'a Outcome {
    &report
        .scenarios
        .iter()
        .find(|s| s.id.as_deref() == Some(id))
        .unwrap_or_else(|| panic!("no {id} in\n{}", report.summary()))
        .outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeclared_api_that_takes_url_tokens_runs_lac6() {
    let server = server(None).await;
    let report = run(target(&server, "demo", None, true)).await;
    assert!(report.succeeded(), "{}", report.summary());
    assert_eq!(
        outcome(&report, "LAC6"),
        &Outcome::Passed,
        "{}",
        report.summary()
    );
    // LAC7 on the other API the target names.
    assert_eq!(
        outcome(&report, "LAC7"),
        &Outcome::Passed,
        "{}",
        report.summary()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeclared_api_that_refuses_url_tokens_runs_lac7_on_itself() {
    let server = server(None).await;
    let report = run(target(&server, "demo_strict", None, false)).await;
    assert!(report.succeeded(), "{}", report.summary());
    assert_eq!(
        outcome(&report, "LAC7"),
        &Outcome::Passed,
        "{}",
        report.summary()
    );
    assert!(
        matches!(outcome(&report, "LAC6"), Outcome::Skipped(why) if why.contains("lac.url_auth")),
        "{}",
        report.summary()
    );
}

/// A server that never takes a token in the URL conforms as an API whose
/// property is off: undeclared, it passes; declared on, LAC6 fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_ignoring_url_tokens_fails_only_where_declared() {
    let server = server(Some(Fault::UrlAuthIgnored)).await;
    let undeclared = run(target(&server, "demo", None, false)).await;
    assert!(undeclared.succeeded(), "{}", undeclared.summary());
    assert_eq!(outcome(&undeclared, "LAC7"), &Outcome::Passed);
    let declared = run(target(&server, "demo", Some(true), false)).await;
    assert_eq!(
        outcome(&declared, "LAC6"),
        &Outcome::Failed,
        "{}",
        declared.summary()
    );
}

/// Declared off where the API takes URL tokens: LAC7 holds the declaration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_value_is_checked_strictly() {
    let server = server(None).await;
    let report = run(target(&server, "demo", Some(false), false)).await;
    assert_eq!(
        outcome(&report, "LAC7"),
        &Outcome::Failed,
        "{}",
        report.summary()
    );
    assert!(matches!(outcome(&report, "LAC6"), Outcome::Skipped(_)));
}

/// A target whose probe path answers nothing: nothing found out, LAC6 and
/// LAC7 on this API skipped, and preflight names the path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_concluded_from_a_probe_that_does_not_answer() {
    let server = server(None).await;
    let mut t = target(&server, "demo", None, false);
    let mut lac = t.section::<LacTarget>().unwrap().clone();
    lac.probe_path = "/no-such-resource".into();
    t.set_section(lac);
    let http = authconform::harness::exchange::HttpClient::new(
        None,
        &t.base_url,
        false,
        std::time::Duration::from_secs(10),
    )
    .unwrap();
    let lines = authconform::harness::lac::discover::discover(&mut t, &http).await;
    assert!(
        lines.len() == 1 && lines[0].contains("could not find out"),
        "{lines:?}"
    );
    assert_eq!(t.section::<LacTarget>().unwrap().url_auth(), None);
}
