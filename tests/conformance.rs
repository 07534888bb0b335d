//! The whole conformance suite against the in-process reference server, under
//! cucumber's own runner (`harness = false`): `cargo test --test conformance`.

use authconform::harness::{self, RunOptions};
use authconform::vendor::Vendor;

#[tokio::main]
async fn main() {
    let mut ok = true;
    for vendor in Vendor::ALL {
        let report = harness::run(RunOptions::reference(*vendor))
            .await
            .unwrap_or_else(|e| panic!("the {vendor} suite could not run: {e}"));
        ok &= report.succeeded() && report.skipped() == 0;
    }
    if !ok {
        std::process::exit(1);
    }
}
