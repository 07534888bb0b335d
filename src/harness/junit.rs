//! The JUnit XML report, written from the run's [`RunReport`] with nextest's
//! `quick-junit` (a writer made for this), not from cucumber's event stream.
//!
//! What CI dashboards need from it: names that are the same on every run
//! (test history, flaky-test tracking), a `classname` per vendor and feature,
//! the failure's full text in the element body (expectation, exchange, curl
//! line; already redacted), a `<skipped>` with its reason for every scenario
//! the target could not run, and the warnings (reference checks that did not
//! hold) as properties and `system-out`.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::harness::report::{Outcome, RunReport, ScenarioResult};

/// Writes `report` as JUnit XML (nothing for a sink).
pub fn write(report: &RunReport, out: impl Write) -> Result<(), quick_junit::SerializeError> {
    to_junit(report).serialize(out)
}

/// Writes a run of several targets ([`super::many`]) as one JUnit file: each
/// target's suites carry its name (`eu-west/limecraft/login.feature`); a
/// target that could not be checked is a suite with one failed test that
/// says why, so a dashboard shows it.
pub fn write_targets(
    targets: &[(&str, Option<&RunReport>, Option<String>)],
    out: impl Write,
) -> Result<(), quick_junit::SerializeError> {
    let mut junit = Report::new("authconform");
    for (label, report, error) in targets {
        if let Some(report) = report {
            add_suites(&mut junit, report, Some(label));
        }
        if let Some(error) = error {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            // The message is one line: the problems, after one another.
            let message: Vec<&str> = error.lines().map(str::trim).collect();
            status.set_message(message.join(" "));
            status.set_type("target");
            status.set_description(error.clone());
            let mut case = TestCase::new("the target answers and its accounts sign on", status);
            case.set_classname(format!("authconform.{label}"));
            let mut suite = TestSuite::new(*label);
            suite.add_test_case(case);
            junit.add_test_suite(suite);
        }
    }
    junit.serialize(out)
}

fn to_junit(report: &RunReport) -> Report {
    let mut junit = Report::new("authconform");
    add_suites(&mut junit, report, None);
    junit
}

/// A suite per feature file; with a target's name (a run of several), the
/// suite's name and classname start with it.
fn add_suites(junit: &mut Report, report: &RunReport, label: Option<&str>) {
    let mut by_feature: BTreeMap<&str, Vec<&ScenarioResult>> = BTreeMap::new();
    for s in &report.scenarios {
        by_feature.entry(s.feature.as_str()).or_default().push(s);
    }
    for (feature, mut scenarios) in by_feature {
        scenarios.sort_by_key(|s| s.line);
        let mut names: HashMap<&str, usize> = HashMap::new();
        for s in &scenarios {
            *names.entry(s.name.as_str()).or_default() += 1;
        }
        let suite_name = match label {
            Some(label) => format!("{label}/{feature}"),
            None => feature.to_owned(),
        };
        let classname = classname(&suite_name);
        let mut suite = TestSuite::new(suite_name);
        for s in scenarios {
            let repeated = names.get(s.name.as_str()).copied().unwrap_or(0) > 1;
            suite.add_test_case(test_case(s, &classname, repeated));
        }
        junit.add_test_suite(suite);
    }
}

/// `limecraft/login.feature` → `authconform.limecraft.login`; with a
/// target's name, `eu-west/limecraft/login.feature` → `authconform.eu-west.limecraft.login`.
fn classname(feature: &str) -> String {
    let stem = feature.strip_suffix(".feature").unwrap_or(feature);
    format!("authconform.{}", stem.replace('/', "."))
}

/// The test's name: the catalogue id and the scenario's name, and, for the
/// rows of a scenario outline (same name), the row's line.
fn test_name(s: &ScenarioResult, repeated: bool) -> String {
    let mut name = super::console::title(s);
    if repeated {
        name.push_str(&format!(" (line {})", s.line));
    }
    name
}

fn test_case(s: &ScenarioResult, classname: &str, repeated: bool) -> TestCase {
    let status = match &s.outcome {
        Outcome::Passed => TestCaseStatus::success(),
        Outcome::Failed => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let text = s
                .failure
                .clone()
                .unwrap_or_else(|| "the scenario failed".to_owned());
            status.set_message(s.failure_headline());
            status.set_type("conformance");
            status.set_description(text);
            status
        }
        Outcome::Skipped(reason) => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(reason.clone());
            status
        }
        // Selected but never run (the run stopped): a skip that says why.
        Outcome::NotRun(reason) => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(format!("not run: {reason}"));
            status
        }
        // JUnit has no expected failure: a skip that says so, the failure in its body.
        Outcome::ExpectedFailure(reason) => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(format!("expected failure (baseline): {reason}"));
            if let Some(text) = &s.failure {
                status.set_description(text.clone());
            }
            status
        }
    };
    let mut case = TestCase::new(test_name(s, repeated), status);
    case.set_classname(classname.to_owned());
    case.set_time(s.duration);
    if !s.warnings.is_empty() {
        for w in &s.warnings {
            case.add_property(Property::new("warning", w.headline()));
        }
        let detail: Vec<String> = s
            .warnings
            .iter()
            .map(|w| format!("warning (reference choice):\n{}", w.detail))
            .collect();
        case.set_system_out(detail.join("\n"));
    }
    case
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::report::Warning;
    use std::time::Duration;

    fn scenario(name: &str, line: usize, outcome: Outcome) -> ScenarioResult {
        ScenarioResult {
            id: Some("LC3".into()),
            name: name.into(),
            vendor: None,
            feature: "limecraft/login.feature".into(),
            line,
            duration: Duration::from_millis(12),
            failure: None,
            outcome,
            warnings: vec![],
            steps: vec![],
        }
    }

    #[test]
    fn names_are_stable_and_failures_skips_and_warnings_are_visible() {
        let mut failed = scenario("Wrong password", 10, Outcome::Failed);
        failed.failure = Some("expected: status 401\nreproduce:\n  curl -X POST …".into());
        let mut warned = scenario("Row", 20, Outcome::Passed);
        warned.warnings.push(Warning {
            expected: "an errorCode".into(),
            got: None,
            detail: "expected: an errorCode\n…".into(),
        });
        let report = RunReport {
            scenarios: vec![
                failed,
                warned,
                scenario("Row", 21, Outcome::Passed),
                scenario(
                    "Locked",
                    30,
                    Outcome::Skipped("needs `users.locked`".into()),
                ),
            ],
            ..RunReport::default()
        };
        let xml = to_junit(&report).to_string().unwrap();
        assert!(
            xml.contains(r#"classname="authconform.limecraft.login""#),
            "{xml}"
        );
        assert!(xml.contains(r#"name="LC3 Wrong password""#), "{xml}");
        assert!(xml.contains(r#"name="LC3 Row (line 20)""#), "{xml}");
        assert!(
            xml.contains("curl -X POST"),
            "the failure body holds the curl line: {xml}"
        );
        assert!(
            xml.contains(r#"<skipped message="needs `users.locked`""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<property name="warning" value="an errorCode""#),
            "{xml}"
        );
        assert!(!xml.contains("/tmp"), "{xml}");
    }
}
