//! The whole conformance suite against the in-process reference server, one
//! test per scenario: `cargo test --test conformance`, `cargo test --test
//! conformance LC7`, and cargo-nextest (one process per scenario) all work.
//!
//! libtest-mimic gives the test runner's interface (filters, `--exact`,
//! `--skip`, `--list`, the report); the scenarios still run under the
//! harness's own cucumber machinery, the same `harness::run` as `authconform
//! run`: the selected ones first, in one run, then each test reads its
//! scenario's result. A scenario outline is one test (all its rows must
//! pass). A scenario that was selected but did not run, or was skipped (the
//! reference server has every capability), fails its test: no scenario can be
//! silently filtered out.

use std::collections::HashMap;
use std::sync::Arc;

use authconform::harness::{self, Outcome, Output, RunOptions, ScenarioEntry, ScenarioResult};
use libtest_mimic::{Arguments, Failed, Trial};

/// `limecraft::login::LC1 a JSON login succeeds`: the vendor and the feature
/// file, so `cargo test --test conformance limecraft::` selects a vendor.
fn test_name(s: &ScenarioEntry) -> String {
    let feature = s.feature.rsplit('/').next().unwrap_or(&s.feature);
    let stem = feature.strip_suffix(".feature").unwrap_or(feature);
    let title = harness::console::titled(s.id.as_deref(), &s.name);
    format!("{}::{stem}::{title}", s.vendor)
}

/// The test runner's own selection (libtest's semantics), applied before the
/// run so that only the selected scenarios run.
fn selected(args: &Arguments, name: &str) -> bool {
    let matches = |pattern: &str| {
        if args.exact {
            name == pattern
        } else {
            name.contains(pattern)
        }
    };
    args.filter.as_deref().is_none_or(matches) && !args.skip.iter().any(|s| matches(s))
}

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let scenarios = harness::scenarios().unwrap_or_else(|e| panic!("the features: {e}"));
    let mut named: Vec<(String, ScenarioEntry)> =
        scenarios.into_iter().map(|s| (test_name(&s), s)).collect();
    // Two scenarios of one feature with one name: the line tells them apart.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (name, _) in &named {
        *seen.entry(name.clone()).or_default() += 1;
    }
    for (name, s) in &mut named {
        if seen[name.as_str()] > 1 {
            name.push_str(&format!(" (line {})", s.line));
        }
    }

    let to_run: Vec<&ScenarioEntry> = if args.list {
        Vec::new()
    } else {
        named
            .iter()
            .filter(|(name, _)| selected(&args, name))
            .map(|(_, s)| s)
            .collect()
    };
    let results = Arc::new(run(&to_run));

    let trials = named
        .into_iter()
        .map(|(name, s)| {
            let results = results.clone();
            Trial::test(name, move || verdict(&s, &results))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit_code()
}

/// Runs the selected scenarios in one harness run; their results by the
/// scenario's (feature, line). An outline's rows carry their own row's line
/// (and their expanded name): [`ScenarioEntry::rows`] says whose they are.
fn run(scenarios: &[&ScenarioEntry]) -> HashMap<(String, usize), Vec<ScenarioResult>> {
    let mut by_scenario: HashMap<(String, usize), Vec<ScenarioResult>> = HashMap::new();
    if scenarios.is_empty() {
        return by_scenario;
    }
    let options = RunOptions {
        output: Output::Quiet,
        // A plain scenario by its line, an outline by each row's line.
        only: Some(
            scenarios
                .iter()
                .flat_map(|s| {
                    let lines = if s.rows.is_empty() {
                        vec![s.line]
                    } else {
                        s.rows.clone()
                    };
                    lines
                        .into_iter()
                        .map(|line| (s.feature.clone(), line, s.name.clone()))
                })
                .collect(),
        ),
        ..RunOptions::reference()
    };
    let report = tokio::runtime::Runtime::new()
        .expect("a tokio runtime")
        .block_on(harness::run(options))
        .unwrap_or_else(|e| panic!("the suite could not run: {e}"));
    for r in report.scenarios {
        let start = scenarios
            .iter()
            .find(|s| s.feature == r.feature && (s.line == r.line || s.rows.contains(&r.line)))
            .map_or(r.line, |s| s.line);
        by_scenario
            .entry((r.feature.clone(), start))
            .or_default()
            .push(r);
    }
    by_scenario
}

fn verdict(
    s: &ScenarioEntry,
    results: &HashMap<(String, usize), Vec<ScenarioResult>>,
) -> Result<(), Failed> {
    let Some(rows) = results.get(&(s.feature.clone(), s.line)) else {
        return Err(format!(
            "features/{}:{} did not run (filtered out, or a step definition is missing)",
            s.feature, s.line
        )
        .into());
    };
    for r in rows {
        match &r.outcome {
            Outcome::Passed => {}
            Outcome::Skipped(why) => {
                return Err(format!("skipped against the reference server: {why}").into());
            }
            Outcome::NotRun(why) => {
                return Err(format!("not run against the reference server: {why}").into());
            }
            Outcome::Failed | Outcome::ExpectedFailure(_) => {
                return Err(format!(
                    "features/{}:{}\n{}",
                    r.feature,
                    r.line,
                    r.failure.as_deref().unwrap_or("failed")
                )
                .into());
            }
        }
    }
    Ok(())
}
