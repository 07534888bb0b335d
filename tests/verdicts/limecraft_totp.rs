//! Limecraft TOTP as seed 003's own client computes it (#20 item 5): the
//! harness tries the advertised algorithm, then SHA-1 as the sample does
//! (`totp(key, {digits: 6, algorithm: 'SHA-1', period: 30})`). A server that
//! checks only the sample's codes while advertising SHA512 passes, with a
//! warning that says which it checks; one that checks only the advertised
//! passes without; one that checks neither fails.

use authconform::harness::{self, Output, RunOptions, RunReport, TargetChoice};
use authconform::reference::fault::Fault;
use authconform::reference::switch::Switches;
use authconform::vendor::Vendor;

async fn run(checked: &str, fault: Option<Fault>) -> RunReport {
    let mut switches = Switches::default();
    switches
        .parse_and_set(&format!("limecraft.totp-algorithm={checked}"))
        .unwrap();
    let options = RunOptions {
        target: TargetChoice::Reference {
            vendors: vec![Vendor::Limecraft],
            fault,
            variant: false,
            switches,
        },
        output: Output::Quiet,
        ..RunOptions::reference()
    };
    let report = harness::run(options).await.expect("the suite runs");
    drop(std::panic::take_hook());
    report
}

fn totp_warnings(report: &RunReport) -> Vec<String> {
    report
        .scenarios
        .iter()
        .flat_map(|s| &s.warnings)
        .map(|w| w.expected.clone())
        .filter(|e| e.contains("hashingAlgorithm"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_checks_the_samples_sha1_passes_with_a_warning_saying_so() {
    let report = run("sample", None).await;
    assert!(report.succeeded(), "{}", report.summary());
    let warnings = totp_warnings(&report);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("the server checks SHA1 codes") && w.contains("SHA512")),
        "{warnings:?}"
    );

    let advertised = run("advertised", None).await;
    assert!(advertised.succeeded(), "{}", advertised.summary());
    assert!(totp_warnings(&advertised).is_empty());

    // Neither the advertised algorithm nor the sample's: the codes fail.
    let neither = run("advertised-and-sample", Some(Fault::TotpWrongAlgorithm)).await;
    assert!(neither.failed_ids().iter().any(|id| id == "LC15"));
}
