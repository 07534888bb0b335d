//! Headers as the document writes them (#20 item 6): the Limecraft steps
//! send `Authorization` in the document's spelling, so a server that reads
//! the name only so spelled (against RFC 9110 §5.1) fails one scenario, LC29,
//! which sends it in lower case, and no other.

use authconform::harness::{self, Output, RunOptions, TargetChoice};
use authconform::reference::fault::Fault;
use authconform::vendor::Vendor;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_matches_the_name_case_sensitively_fails_lc29_alone() {
    let report = harness::run(RunOptions {
        target: TargetChoice::Reference {
            vendors: vec![Vendor::Limecraft],
            fault: Some(Fault::AuthorizationNameCaseSensitive),
            variant: false,
            switches: Default::default(),
        },
        output: Output::Quiet,
        ..RunOptions::reference()
    })
    .await
    .expect("the suite runs");
    drop(std::panic::take_hook());
    assert_eq!(report.failed_ids(), vec!["LC29".to_owned()]);
}
