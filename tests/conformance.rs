//! The whole conformance suite against the in-process reference server, under
//! cucumber's own runner (`harness = false`): `cargo test --test conformance`.

use authconform::harness::{self, Outcome, RunOptions};
use authconform::vendor::Vendor;

#[tokio::main]
async fn main() {
    let report = harness::run(RunOptions::reference())
        .await
        .unwrap_or_else(|e| panic!("the suite could not run: {e}"));
    let mut ok = report.succeeded() && report.skipped() == 0;
    // Every vendor's features ran: a vendor whose features were silently
    // filtered out would otherwise pass unnoticed.
    for vendor in Vendor::ALL {
        let ran = report.scenarios.iter().any(|s| {
            s.outcome == Outcome::Passed
                && s.id.as_deref().is_some_and(|id| {
                    id.strip_prefix(vendor.scenario_prefix())
                        .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
                })
        });
        if !ran {
            eprintln!("no {vendor} scenario passed");
            ok = false;
        }
    }
    if !ok {
        std::process::exit(1);
    }
}
