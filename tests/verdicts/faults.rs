//! Every scenario must be shown to catch a server that breaks its rule.
//!
//! For each fault of the catalogue, the suite runs against a reference server
//! started with that fault, and the scenarios the fault names must fail. A
//! second check makes sure every scenario id of the features is named by at
//! least one fault, and a third that the README's copy of the table is current.

use std::collections::BTreeSet;

use authconform::harness::{self, Output, RunOptions, RunReport, TargetChoice};
use authconform::provenance::Provenance;
use authconform::reference::fault::Fault;
use futures::StreamExt;

/// Runs `fault`'s vendor against a reference server with that fault.
async fn run_with(fault: Fault, strict: bool) -> Result<RunReport, String> {
    let options = RunOptions {
        target: TargetChoice::Reference {
            vendors: vec![fault.vendor()],
            fault: Some(fault),
            variant: false,
            switches: Default::default(),
        },
        output: Output::Quiet,
        strict,
        ..RunOptions::reference()
    };
    harness::run(options)
        .await
        .map_err(|e| format!("the suite could not run: {e}"))
}

/// The scenarios of `report` that failed, or why that is not the verdict wanted.
fn failed_ids(report: RunReport) -> Result<Vec<String>, String> {
    if report.succeeded() {
        Err("the whole suite passed against this broken server".to_owned())
    } else {
        Ok(report.failed_ids())
    }
}

/// A documented fault fails its scenarios in the default run. A reference
/// fault passes the default run with a warning in each scenario it names, and
/// fails them under `--strict`.
async fn verdict(fault: Fault) -> Result<Vec<String>, String> {
    match fault.provenance() {
        Provenance::Documented => failed_ids(run_with(fault, false).await?),
        Provenance::Reference => {
            let default = run_with(fault, false).await?;
            if !default.succeeded() {
                return Err(format!(
                    "a reference choice failed the default run (it must only warn): {:?}",
                    default.failed_ids()
                ));
            }
            for id in fault.scenarios() {
                let warned = default
                    .scenarios
                    .iter()
                    .any(|s| s.id.as_deref() == Some(id) && !s.warnings.is_empty());
                if !warned {
                    return Err(format!("{id} gave no warning in the default run"));
                }
            }
            failed_ids(run_with(fault, true).await?)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_caught_by_the_scenarios_it_names() {
    // AUTHCONFORM_FAULTS_VENDOR=lac runs one vendor's faults (while working on it).
    let only: Option<String> = std::env::var("AUTHCONFORM_FAULTS_VENDOR").ok();
    // A fault only an order of operations reveals names `explore` alone:
    // `explore.rs` proves that explore finds it.
    let faults = Fault::ALL
        .iter()
        .filter(|f| only.as_deref().is_none_or(|v| f.vendor().to_string() == v))
        .filter(|f| f.scenarios().next().is_some());
    let outcomes: Vec<(Fault, Result<Vec<String>, String>)> = futures::stream::iter(faults)
        .map(|fault| async move { (*fault, verdict(*fault).await) })
        .buffer_unordered(4)
        .collect()
        .await;
    // Cucumber silences the panic hook while it runs and restores the one it
    // found; runs that overlap can leave the silent one in place. Put the default
    // back so this test's own assertion message is printed.
    drop(std::panic::take_hook());

    let mut problems = Vec::new();
    for (fault, outcome) in outcomes {
        match outcome {
            Err(e) => problems.push(format!("--fault {}: {e}", fault.name())),
            Ok(failed) => {
                for id in fault.scenarios() {
                    if !failed.iter().any(|f| f == id) {
                        problems.push(format!(
                            "--fault {} ({}): {id} should fail but passed; failed were {failed:?}",
                            fault.name(),
                            fault.breaks()
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The catalogue ids of every scenario in the feature files.
fn scenario_ids() -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for (_, text) in authconform::harness::features::embedded() {
        for line in text.lines() {
            for tag in line.split_whitespace().filter_map(|w| w.strip_prefix('@')) {
                if authconform::harness::catalogue_id(&[tag.to_owned()]).is_some() {
                    ids.insert(tag.to_owned());
                }
            }
        }
    }
    ids
}

#[test]
fn every_scenario_is_named_by_some_fault() {
    let named: BTreeSet<String> = Fault::ALL
        .iter()
        .flat_map(|f| f.scenarios().map(|s| s.to_string()))
        .collect();
    let ids = scenario_ids();
    assert!(ids.len() >= 25, "expected LC1..LC25, found {ids:?}");
    let uncaught: Vec<&String> = ids.difference(&named).collect();
    assert!(
        uncaught.is_empty(),
        "no fault proves these scenarios can fail: {uncaught:?}"
    );
    let unknown: Vec<&String> = named.difference(&ids).collect();
    assert!(
        unknown.is_empty(),
        "faults name scenarios that do not exist: {unknown:?}"
    );
}

#[test]
fn the_readme_lists_the_current_fault_catalogue() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    assert!(
        readme.contains(&Fault::markdown_table()),
        "README.md's fault table is out of date; replace it with the output of `authconform faults`"
    );
}
