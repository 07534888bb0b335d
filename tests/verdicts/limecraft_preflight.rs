//! Limecraft's preflight tells a wrong target file from a broken server
//! (#20 item 9): a login that answers 404 is a wrong `base_url`, not "check
//! the username and password" (exit 2, saying so); a server that refuses the
//! documented JSON login breaks a rule, which LC1 states: exit 1 from the
//! scenarios, not a preflight stop.

use authconform::fixtures::Fixtures;
use authconform::harness::target::Target;
use authconform::harness::{self, Output, RunError, RunOptions, TargetChoice};
use authconform::reference::fault::Fault;
use authconform::reference::{ReferenceConfig, ReferenceServer};
use authconform::vendor::Vendor;

async fn server(fault: Option<Fault>) -> authconform::reference::RunningServer {
    ReferenceServer::new(ReferenceConfig::for_tests().with_fault(fault))
        .spawn(([127, 0, 0, 1], 0).into())
        .await
        .unwrap()
}

fn options(target: Target) -> RunOptions {
    RunOptions {
        target: TargetChoice::External(Box::new(target)),
        output: Output::Quiet,
        ..RunOptions::reference()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_that_answers_404_is_a_wrong_base_url() {
    let server = server(None).await;
    // The API base without its `/api`.
    let base = server
        .api_base_url(Vendor::Limecraft)
        .trim_end_matches("/api")
        .to_owned();
    let target = Target::reference(
        Vendor::Limecraft,
        &base,
        &server.url(),
        &Fixtures::builtin(),
    );
    let err = harness::run(options(target))
        .await
        .expect_err("preflight must stop the run");
    drop(std::panic::take_hook());
    let RunError::Preflight(problems) = err else {
        panic!("expected a preflight error, got {err}");
    };
    assert!(
        problems
            .iter()
            .all(|p| p.contains("base_url is not the Limecraft API base")
                && p.contains("404")
                && !p.contains("username and password")),
        "{problems:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_refuses_the_documented_json_login_fails_lc1_not_preflight() {
    let server = server(Some(Fault::JsonLoginRejected)).await;
    let target = Target::reference(
        Vendor::Limecraft,
        &server.api_base_url(Vendor::Limecraft),
        &server.url(),
        &Fixtures::builtin(),
    );
    let report = harness::run(options(target))
        .await
        .expect("the scenarios run: a broken rule is theirs to state");
    drop(std::panic::take_hook());
    assert!(!report.succeeded());
    assert!(report.failed_ids().iter().any(|id| id == "LC1"));
    assert!(
        !report.failed_ids().iter().any(|id| id == "LC2"),
        "the form login still works: {:?}",
        report.failed_ids()
    );
}

/// An account whose second factor is not TOTP (e-mail, SMS): its scenarios
/// are skipped with the reason, not failed (#20 item 4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twofactor_account_without_totp_skips_its_scenarios() {
    let server = server(None).await;
    let mut target = Target::reference(
        Vendor::Limecraft,
        &server.api_base_url(Vendor::Limecraft),
        &server.url(),
        &Fixtures::builtin(),
    );
    target.users.twofactor.as_mut().unwrap().second_factor =
        authconform::harness::target::SecondFactor::Other("email".into());
    let report = harness::run(options(target)).await.expect("the run");
    drop(std::panic::take_hook());
    assert!(report.succeeded(), "{}", report.summary());
    let skipped: Vec<_> = report
        .scenarios
        .iter()
        .filter(|s| matches!(s.outcome, harness::Outcome::Skipped(_)))
        .filter_map(|s| s.id.clone())
        .collect();
    for id in ["LC11", "LC13", "LC15", "LC32"] {
        assert!(
            skipped.iter().any(|s| s == id),
            "{id} not skipped: {skipped:?}"
        );
    }
}
