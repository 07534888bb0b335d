//! The suite passes a conforming server that is not the reference server.
//!
//! The variant (`ReferenceConfig::with_variant`, `serve --variant`) keeps every
//! documented rule and answers otherwise wherever the documents are silent:
//! its own error bodies, statuses the documents do not give, nulls in optional
//! fields, other markup. The default run must pass it, with each deviation
//! reported as a warning; `--strict` must fail it; and the reference server
//! itself must pass `--strict` with no warning at all.

use authconform::harness::{self, Output, RunOptions, RunReport, TargetChoice};
use authconform::reference::switch::Switches;
use authconform::vendor::Vendor;

async fn run(vendor: Vendor, variant: bool, strict: bool) -> RunReport {
    let options = RunOptions {
        target: TargetChoice::Reference {
            vendors: vec![vendor],
            fault: None,
            variant,
            switches: if variant {
                Switches::variant()
            } else {
                Switches::default()
            },
        },
        output: Output::Quiet,
        strict,
        ..RunOptions::reference()
    };
    let report = harness::run(options)
        .await
        .unwrap_or_else(|e| panic!("the suite could not run: {e}"));
    drop(std::panic::take_hook());
    report
}

fn failures(report: &RunReport) -> String {
    report
        .scenarios
        .iter()
        .filter(|s| s.outcome == harness::Outcome::Failed)
        .map(|s| format!("{} {}", s.id.as_deref().unwrap_or("?"), s.name))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn variant_passes_with_warnings_and_fails_strict(vendor: Vendor) {
    let default = run(vendor, true, false).await;
    assert!(
        default.succeeded(),
        "{vendor}: the default run failed a conforming variant server:\n{}\n{}",
        failures(&default),
        default.summary()
    );
    assert!(
        default.warnings() > 0,
        "{vendor}: the variant differs from the reference server, yet no warning was reported"
    );
    let strict = run(vendor, true, true).await;
    assert!(
        !strict.succeeded(),
        "{vendor}: --strict passed the variant, whose reference-choice deviations should fail it"
    );
}

async fn reference_passes_strict_without_warnings(vendor: Vendor) {
    let report = run(vendor, false, true).await;
    assert!(
        report.succeeded() && report.warnings() == 0,
        "{vendor}: the reference server must pass --strict with no warning:\n{}",
        report.summary()
    );
}

macro_rules! per_vendor {
    ($($module:ident: $vendor:expr;)+) => {$(
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn the_variant_passes_with_warnings_and_fails_strict() {
                variant_passes_with_warnings_and_fails_strict($vendor).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn the_reference_server_passes_strict_without_warnings() {
                reference_passes_strict_without_warnings($vendor).await;
            }
        }
    )+};
}

per_vendor! {
    limecraft: Vendor::Limecraft;
    lac: Vendor::Lac;
    fileverbs: Vendor::FileVerbs;
    liquidfiles: Vendor::LiquidFiles;
}
