//! How a run ends when the target is not usable: preflight refuses a target
//! whose accounts do not work (one line, before any scenario), a server that
//! stops answering ends the run after a few transport errors instead of a
//! timeout per scenario, and `--max-failures` stops after that many failures.

use std::time::{Duration, Instant};

use authconform::fixtures::Fixtures;
use authconform::harness::lac::target::LacTarget;
use authconform::harness::target::Target;
use authconform::harness::{self, Outcome, Output, RunError, RunOptions, TargetChoice};
use authconform::reference::fault::Fault;
use authconform::reference::{ReferenceConfig, ReferenceServer};
use authconform::vendor::Vendor;

/// A reference server (test mode) on a free loopback port.
async fn reference_server() -> authconform::reference::RunningServer {
    ReferenceServer::new(ReferenceConfig::for_tests())
        .spawn(([127, 0, 0, 1], 0).into())
        .await
        .unwrap()
}

fn options(target: TargetChoice) -> RunOptions {
    RunOptions {
        target,
        output: Output::Quiet,
        ..RunOptions::reference()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preflight_refuses_a_wrong_password_in_one_line_before_any_scenario() {
    let server = reference_server().await;
    let mut target = Target::reference(
        Vendor::Limecraft,
        &server.api_base_url(Vendor::Limecraft),
        &server.url(),
        &Fixtures::builtin(),
    );
    target.users.secondary.as_mut().unwrap().password = "not-bobs-Passw0rd".into();
    let err = harness::run(options(TargetChoice::External(Box::new(target))))
        .await
        .expect_err("preflight must stop the run");
    drop(std::panic::take_hook());
    let RunError::Preflight(problems) = err else {
        panic!("expected a preflight error, got {err}");
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("users.secondary")
            && problems[0].contains("check the username and password"),
        "{problems:?}"
    );
    assert!(
        !problems[0].contains("not-bobs-Passw0rd"),
        "a password in a message"
    );
}

/// A sign-on that answers 404 is a wrong `base_url`, for every vendor: the
/// generic line where the vendor has no words of its own (LAC here), never
/// "check the username and password" (issue #23).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_on_answering_404_is_a_wrong_base_url_not_a_wrong_password() {
    let server = reference_server().await;
    // The API base one folder too high.
    let base = server
        .api_base_url(Vendor::Lac)
        .trim_end_matches("/demo/v1")
        .to_owned();
    let target = Target::reference(Vendor::Lac, &base, &server.url(), &Fixtures::builtin());
    let err = harness::run(options(TargetChoice::External(Box::new(target))))
        .await
        .expect_err("preflight must stop the run");
    drop(std::panic::take_hook());
    let RunError::Preflight(problems) = err else {
        panic!("expected a preflight error, got {err}");
    };
    assert!(
        problems
            .iter()
            .any(|p| p.contains("there is no sign-on endpoint there") && p.contains("HTTP 404"))
            && problems
                .iter()
                .all(|p| !p.contains("check the username and password")),
        "{problems:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_does_not_answer_ends_the_run_after_a_few_transport_errors() {
    // A port that refuses connections: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let root = format!("http://127.0.0.1:{port}");
    let target = Target::reference(
        Vendor::Limecraft,
        &format!("{root}/limecraft/api"),
        &root,
        &Fixtures::builtin(),
    );
    let started = Instant::now();
    let err = harness::run(RunOptions {
        skip_preflight: true,
        ..options(TargetChoice::External(Box::new(target)))
    })
    .await
    .expect_err("a gone server is no conformance verdict");
    drop(std::panic::take_hook());
    let RunError::ServerGone { reason, report } = err else {
        panic!("expected ServerGone, got {err}");
    };
    assert!(reason.contains("stopped answering"), "{reason}");
    assert!(
        report.failed() <= 3,
        "at most the scenarios that met the transport errors fail: {}",
        report.summary()
    );
    assert!(
        report
            .scenarios
            .iter()
            .any(|s| matches!(&s.outcome, Outcome::NotRun(r) if r.contains("stopped answering"))),
        "the rest are reported as not run: {}",
        report.summary()
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_failures_stops_the_run_after_that_many_failed_scenarios() {
    let report = harness::run(RunOptions {
        max_failures: Some(1),
        ..options(TargetChoice::Reference {
            vendors: vec![Vendor::Limecraft],
            fault: Some(Fault::AnyTokenAccepted),
            variant: false,
            switches: Default::default(),
        })
    })
    .await
    .unwrap();
    drop(std::panic::take_hook());
    assert_eq!(report.failed(), 1, "{}", report.summary());
    assert!(
        report
            .scenarios
            .iter()
            .any(|s| matches!(&s.outcome, Outcome::NotRun(r) if r.contains("--max-failures 1"))),
        "{}",
        report.summary()
    );
}

/// Runs `vendor`'s suite `times` times against one server, as a pipeline
/// would on every push, and returns each run's (passed, failed, skipped).
async fn runs_against_one_server(
    vendor: Vendor,
    times: usize,
    clock_control: bool,
    tags: Option<&str>,
) -> Vec<(usize, usize, usize, Vec<String>)> {
    let server = reference_server().await;
    let state = tempfile::tempdir().unwrap();
    let mut results = Vec::new();
    for _ in 0..times {
        let mut target = Target::reference(
            vendor,
            &server.api_base_url(vendor),
            &server.url(),
            &Fixtures::builtin(),
        );
        if !clock_control {
            target.control_url = None;
        }
        let report = harness::run(RunOptions {
            tags: tags.map(str::to_owned),
            state: Some(state.path().join("state.json")),
            ..options(TargetChoice::External(Box::new(target)))
        })
        .await
        .unwrap_or_else(|e| panic!("{vendor}: the run could not start: {e}"));
        drop(std::panic::take_hook());
        results.push((
            report.passed(),
            report.failed(),
            report.skipped(),
            report.failed_ids(),
        ));
    }
    results
}

/// Three runs per vendor against one server: the first passes, all alike.
async fn three_runs_pass_alike(clock_control: bool, tags: Option<&str>) {
    for vendor in Vendor::ALL {
        let runs = runs_against_one_server(*vendor, 3, clock_control, tags).await;
        assert_eq!(
            runs[0].1, 0,
            "{vendor}: the first run failed {:?}",
            runs[0].3
        );
        assert!(
            runs.iter().all(|r| *r == runs[0]),
            "{vendor}: runs differ: {runs:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_runs_against_the_same_server_pass_alike_for_every_vendor() {
    three_runs_pass_alike(true, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_runs_without_clock_control_pass_alike() {
    // Without clock control a 2FA scenario waits for real TOTP periods: the
    // second factor's enrolment is covered by the run above.
    three_runs_pass_alike(false, Some("not @2fa")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_state_file_is_one_clear_line_naming_the_account() {
    let server = reference_server().await;
    let target = || {
        Target::reference(
            Vendor::Limecraft,
            &server.api_base_url(Vendor::Limecraft),
            &server.url(),
            &Fixtures::builtin(),
        )
    };
    let kept = tempfile::tempdir().unwrap();
    let first = harness::run(RunOptions {
        state: Some(kept.path().join("state.json")),
        ..options(TargetChoice::External(Box::new(target())))
    })
    .await
    .unwrap();
    assert!(first.succeeded(), "{}", first.summary());
    let lost = tempfile::tempdir().unwrap();
    let err = harness::run(RunOptions {
        state: Some(lost.path().join("state.json")),
        ..options(TargetChoice::External(Box::new(target())))
    })
    .await
    .expect_err("without the secret the suite cannot sign carol on");
    drop(std::panic::take_hook());
    let RunError::Preflight(problems) = err else {
        panic!("expected a preflight error, got {err}");
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("users.twofactor (carol)") && problems[0].contains("state file"),
        "{problems:?}"
    );
    let saved = std::fs::read_to_string(kept.path().join("state.json")).unwrap();
    assert!(
        saved.contains("\"secret\""),
        "the enrolment was saved: {saved}"
    );
}

/// Every session a run opened is logged out at its end, but the two-factor
/// account's last one, which a run with a state file leaves open for the
/// next (its first login of carol then costs no TOTP code).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_ends_the_sessions_it_was_issued() {
    for with_state in [true, false] {
        let server = reference_server().await;
        let state = tempfile::tempdir().unwrap();
        let state_file = state.path().join("state.json");
        let target = Target::reference(
            Vendor::Limecraft,
            &server.api_base_url(Vendor::Limecraft),
            &server.url(),
            &Fixtures::builtin(),
        );
        // Without the clock scenarios, whose expired sessions stay stored until purged.
        let report = harness::run(RunOptions {
            state: with_state.then(|| state_file.clone()),
            tags: Some("not @needs-clock".into()),
            ..options(TargetChoice::External(Box::new(target)))
        })
        .await
        .unwrap();
        drop(std::panic::take_hook());
        assert!(report.succeeded(), "{}", report.summary());
        assert_eq!(
            server.server.limecraft.session_count(),
            usize::from(with_state),
            "every Limecraft session the run opened is logged out at its end, \
             but carol's last one with a state file (state file: {with_state})"
        );
        if with_state {
            let saved: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&state_file).unwrap()).unwrap();
            let token = saved["sessions"]
                .as_object()
                .and_then(|m| m.values().next())
                .and_then(|t| t.as_str())
                .expect("the state file keeps the session left open");
            let me = reqwest::Client::new()
                .get(format!(
                    "{}/authentication/user",
                    server.api_base_url(Vendor::Limecraft)
                ))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let body: serde_json::Value = me.json().await.unwrap();
            assert_eq!(body["username"], "carol", "{body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preflight_refuses_a_probe_path_that_does_not_answer() {
    let server = reference_server().await;
    let mut target = Target::reference(
        Vendor::Lac,
        &server.api_base_url(Vendor::Lac),
        &server.url(),
        &Fixtures::builtin(),
    );
    let mut lac = target.section::<LacTarget>().unwrap().clone();
    lac.probe_path = "/no-such-resource".into();
    target.set_section(lac);
    let err = harness::run(options(TargetChoice::External(Box::new(target))))
        .await
        .expect_err("preflight must stop the run");
    drop(std::panic::take_hook());
    let RunError::Preflight(problems) = err else {
        panic!("expected a preflight error, got {err}");
    };
    assert!(
        problems
            .iter()
            .any(|p| p.contains("lac.probe_path /no-such-resource")),
        "{problems:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_baseline_turns_known_deviations_into_expected_failures_and_flags_stale_entries() {
    let baseline = [
        (
            "LC6".to_owned(),
            "we answer 401 for a locked account".to_owned(),
        ),
        ("LC7".to_owned(), "fixed since".to_owned()),
    ]
    .into_iter()
    .collect();
    let report = harness::run(RunOptions {
        baseline,
        ..options(TargetChoice::Reference {
            vendors: vec![Vendor::Limecraft],
            fault: Some(Fault::LockedAccount401),
            variant: false,
            switches: Default::default(),
        })
    })
    .await
    .unwrap();
    drop(std::panic::take_hook());
    assert!(report.succeeded(), "{}", report.summary());
    assert!(
        report
            .scenarios
            .iter()
            .any(|s| s.id.as_deref() == Some("LC6")
                && matches!(&s.outcome, Outcome::ExpectedFailure(r) if r.contains("401"))),
        "{}",
        report.summary()
    );
    assert_eq!(
        report.stale_baseline,
        vec![("LC7".to_owned(), "fixed since".to_owned())]
    );
}
