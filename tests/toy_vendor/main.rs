//! A fifth, toy vendor, added from outside the crate: the proof that a vendor
//! is its own folders plus one registration line (`register_suite!` in
//! `suite.rs`).
//!
//! Everything the toy needs is in this folder: its suite (`suite.rs`, what
//! `harness/<vendor>/mod.rs` is for a built-in vendor), its steps (`steps.rs`),
//! its feature file (`features/toy/`), and, since it has no reference server,
//! a tiny server of its own (`server.rs`). The test runs the toy's scenarios
//! through `harness::run` end to end, preflight and the ending of what the
//! run was issued included, and shows that a server breaking the toy's rule
//! fails the scenario that checks it.
//!
//! A binary of its own: the registration is process-wide, and the other
//! suites' tests list every registered vendor (capabilities, scenario ids).

mod server;
mod steps;
mod suite;

use authconform::harness::target::{Target, TargetError};
use authconform::harness::{self, Outcome, Output, RunOptions, TargetChoice};

/// A target file of the toy at `base_url`: the shared fields and the toy's own section.
fn target(base_url: &str) -> Target {
    let text = format!(
        "vendor: toy\nbase_url: {base_url}\nusers:\n  primary: {{ username: alice, password: \"${{TOY_PW}}\" }}\n  secondary: {{ username: bob, password: bobs-pw }}\ntoy:\n  whoami_path: /whoami\n"
    );
    Target::parse(&text, &|name| {
        (name == "TOY_PW").then(|| "alices-pw".to_owned())
    })
    .expect("the toy's target file parses")
}

async fn run(base_url: &str) -> harness::RunReport {
    let mut options = RunOptions::reference();
    options.target = TargetChoice::External(Box::new(target(base_url)));
    options.output = Output::Quiet;
    harness::run(options).await.expect("the run completes")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_toy_vendor_runs_through_the_harness_from_its_own_folder() {
    // A server that keeps the toy's rules: every scenario passes, and the
    // tokens the run (and preflight) were issued are logged out at its end.
    let good = server::Toy::start(false).await;
    let report = run(&good.url).await;
    let outcome = |id: &str| {
        report
            .scenarios
            .iter()
            .find(|s| s.id.as_deref() == Some(id))
            .map(|s| (s.outcome.clone(), s.vendor.map(|v| v.to_string())))
    };
    for id in ["TOY1", "TOY2", "TOY3"] {
        assert_eq!(
            outcome(id),
            Some((Outcome::Passed, Some("toy".to_owned()))),
            "{id}: {:#?}",
            report.scenarios
        );
    }
    assert!(report.succeeded());
    assert_eq!(
        good.live_tokens(),
        0,
        "every token the run was issued is ended with the toy's logout"
    );
    assert!(
        good.logouts() >= 4,
        "preflight's two and the scenarios' three"
    );

    // A server that gives a token for a wrong password: TOY2 fails, with the
    // exchange in its report and no password in it.
    let broken = server::Toy::start(true).await;
    let report = run(&broken.url).await;
    let toy2 = report
        .scenarios
        .iter()
        .find(|s| s.id.as_deref() == Some("TOY2"))
        .expect("TOY2 ran");
    assert_eq!(toy2.outcome, Outcome::Failed);
    let failure = toy2.failure.as_deref().unwrap_or_default();
    assert!(
        failure.starts_with("expected: no token for a wrong password")
            && failure.contains("/login")
            && failure.contains("HTTP 200"),
        "{failure}"
    );
    assert!(!failure.contains("alices-pw"), "{failure}");
    assert!(!report.succeeded());
}

#[test]
fn the_toy_target_file_is_read_by_the_toy_suite() {
    let t = target("http://127.0.0.1:9");
    assert_eq!(t.vendor.to_string(), "toy");
    assert_eq!(
        t.section::<suite::ToyTarget>()
            .map(|s| s.whoami_path.as_str()),
        Some("/whoami")
    );
    // Its capability, and the shared ones, judge the target.
    assert_eq!(t.missing_capability(&["needs-toy-whoami".to_owned()]), None);
    assert!(t.missing_capability(&["needs-clock".to_owned()]).is_some());
    // Its section is refused like a built-in vendor's: where the key stands.
    let e = Target::parse(
        "vendor: toy\nbase_url: http://x\nusers:\n  primary: { username: a, password: b }\ntoy:\n  whoami_pth: /w\n",
        &|_| None,
    )
    .expect_err("an unknown key of the toy's section is refused");
    let TargetError::NotValid(e) = e else {
        panic!("a section's unknown key is the parser's error: {e:?}");
    };
    assert!(
        e.contains("unknown field `whoami_pth`") && e.contains("line 6"),
        "{e}"
    );
}
