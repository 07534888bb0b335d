//! The machine-readable outcome of a run: the summary JSON
//! (`--summary-json`), which `--rerun-failed` reads back.

use serde::{Deserialize, Serialize};

use crate::harness::report::{Outcome, RunReport, Usage};

/// The summary JSON: totals, then one entry per scenario.
#[derive(Debug, Serialize, Deserialize)]
pub struct Summary {
    pub target: String,
    /// The target's name, when the run checked several ([`super::many`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Why the target was not checked (not ready, or stopped answering).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Selected, but not run because the run stopped.
    #[serde(default)]
    pub not_run: usize,
    /// Failed as the baseline expects.
    #[serde(default)]
    pub expected_failures: usize,
    pub warnings: usize,
    pub scenarios: Vec<ScenarioSummary>,
    /// A run of several targets: one summary each (the totals above add them up).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Summary>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ScenarioSummary {
    /// The catalogue id (`LC7`), if the scenario has one.
    pub id: Option<String>,
    pub name: String,
    /// `limecraft/login.feature`, relative to the features folder.
    pub feature: String,
    pub line: usize,
    /// `passed`, `failed`, `skipped`, `not-run` or `expected-failure`.
    pub status: String,
    pub duration_ms: u64,
    /// Why it failed (the report in one line: what was expected, what came
    /// back), was skipped or was not run.
    pub reason: Option<String>,
    /// Reference checks that did not hold, each in one line (what was
    /// expected, what came back).
    pub warnings: Vec<String>,
}

impl Summary {
    pub fn of(report: &RunReport) -> Summary {
        Summary {
            target: report.target_description.clone(),
            label: report.label.clone(),
            error: None,
            targets: Vec::new(),
            passed: report.passed(),
            failed: report.failed(),
            skipped: report.skipped(),
            not_run: report.not_run(),
            expected_failures: report.expected_failures(),
            warnings: report.warnings(),
            scenarios: report
                .scenarios
                .iter()
                .map(|s| {
                    let status = match &s.outcome {
                        Outcome::Passed => "passed",
                        Outcome::Failed => "failed",
                        Outcome::Skipped(_) => "skipped",
                        Outcome::NotRun(_) => "not-run",
                        Outcome::ExpectedFailure(_) => "expected-failure",
                    };
                    let reason = s.reason();
                    ScenarioSummary {
                        id: s.id.clone(),
                        name: s.name.clone(),
                        feature: s.feature.clone(),
                        line: s.line,
                        status: status.to_owned(),
                        duration_ms: s.duration.as_millis() as u64,
                        reason,
                        warnings: s.warnings.iter().map(|w| w.headline()).collect(),
                    }
                })
                .collect(),
        }
    }

    /// The scenarios a previous run failed, as (feature, line, name): what
    /// `--rerun-failed` selects.
    /// Of a run of several targets: those that failed on any of them.
    pub fn failed(&self) -> Vec<(String, usize, String)> {
        let mut failed: Vec<(String, usize, String)> = self
            .scenarios
            .iter()
            .chain(self.targets.iter().flat_map(|t| t.scenarios.iter()))
            .filter(|s| s.status == "failed")
            .map(|s| (s.feature.clone(), s.line, s.name.clone()))
            .collect();
        failed.sort();
        failed.dedup();
        failed
    }

    /// The failed scenarios of an earlier `--summary-json` file: what
    /// `--rerun-failed FILE` runs.
    pub fn read_failed(path: &std::path::Path) -> Result<Vec<(String, usize, String)>, Usage> {
        let problem = |problem: String| Usage::RerunFailed {
            path: path.to_path_buf(),
            problem,
        };
        let text = std::fs::read_to_string(path).map_err(|e| problem(e.to_string()))?;
        let summary: Summary = serde_json::from_str(&text)
            .map_err(|e| problem(format!("not a summary written by --summary-json ({e})")))?;
        let failed = summary.failed();
        if failed.is_empty() {
            return Err(problem(
                "no scenario failed in that run; nothing to rerun".to_owned(),
            ));
        }
        Ok(failed)
    }

    /// The summary of a run of several targets: each target's, and the totals.
    pub fn of_targets(targets: Vec<Summary>) -> Summary {
        let sum = |f: fn(&Summary) -> usize| targets.iter().map(f).sum();
        Summary {
            target: format!("{} targets", targets.len()),
            label: None,
            error: None,
            passed: sum(|t| t.passed),
            failed: sum(|t| t.failed),
            skipped: sum(|t| t.skipped),
            not_run: sum(|t| t.not_run),
            expected_failures: sum(|t| t.expected_failures),
            warnings: sum(|t| t.warnings),
            scenarios: Vec::new(),
            targets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::report::ScenarioResult;
    use std::time::Duration;

    #[test]
    fn a_summary_round_trips_as_json_and_gives_the_failed_scenarios_back() {
        let report = RunReport {
            target_description: "t".into(),
            scenarios: vec![ScenarioResult {
                id: Some("LC8".into()),
                name: "LC8 garbage, refused".into(),
                vendor: None,
                feature: "limecraft/transport.feature".into(),
                line: 27,
                duration: Duration::from_millis(4),
                failure: Some("expected: status 401\nmore".into()),
                outcome: Outcome::Failed,
                warnings: vec![],
                steps: vec![],
            }],
            ..RunReport::default()
        };
        let json = serde_json::to_string(&Summary::of(&report)).unwrap();
        let back: Summary = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.failed(),
            vec![(
                "limecraft/transport.feature".to_owned(),
                27,
                "LC8 garbage, refused".to_owned()
            )]
        );
    }
}
