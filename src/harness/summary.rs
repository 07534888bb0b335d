//! Machine-readable outcomes of a run: the summary JSON (`--summary-json`),
//! which `--rerun-failed` reads back, and GitHub Actions annotations (printed
//! when `GITHUB_ACTIONS=true`) that put each failure and warning on its
//! feature file's line in the pull request.

use serde::{Deserialize, Serialize};

use crate::harness::console::title;
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
    /// `passed`, `failed` or `skipped`.
    pub status: String,
    pub duration_ms: u64,
    /// Why it failed (the first line of the report) or was skipped.
    pub reason: Option<String>,
    /// Reference checks that did not hold.
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
            warnings: report.warnings(),
            scenarios: report
                .scenarios
                .iter()
                .map(|s| {
                    let (status, reason) = match &s.outcome {
                        Outcome::Passed => ("passed", None),
                        Outcome::Failed => (
                            "failed",
                            s.failure
                                .as_deref()
                                .and_then(|f| f.lines().next())
                                .map(str::to_owned),
                        ),
                        Outcome::Skipped(r) => ("skipped", Some(r.clone())),
                        Outcome::ExpectedFailure(r) => ("expected-failure", Some(r.clone())),
                    };
                    ScenarioSummary {
                        id: s.id.clone(),
                        name: s.name.clone(),
                        feature: s.feature.clone(),
                        line: s.line,
                        status: status.to_owned(),
                        duration_ms: s.duration.as_millis() as u64,
                        reason,
                        warnings: s.warnings.iter().map(|w| w.expected.clone()).collect(),
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
            warnings: sum(|t| t.warnings),
            scenarios: Vec::new(),
            targets,
        }
    }
}

/// `::error`/`::warning` workflow commands, one per failure and warning.
pub fn github_annotations(report: &RunReport) -> String {
    let mut out = String::new();
    for s in &report.scenarios {
        let file = format!("file=features/{},line={}", s.feature, s.line);
        if s.outcome == Outcome::Failed {
            let reason = s
                .failure
                .as_deref()
                .and_then(|f| f.lines().next())
                .unwrap_or("failed");
            out.push_str(&format!(
                "::error {file},title={}::{}\n",
                escape_property(&title(s)),
                escape_data(reason)
            ));
        }
        for w in &s.warnings {
            out.push_str(&format!(
                "::warning {file},title={}::{}\n",
                escape_property(&format!("{} (reference choice)", title(s))),
                escape_data(&w.expected)
            ));
        }
    }
    out
}

/// GitHub's escaping of a command's message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of a command's property value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::report::ScenarioResult;
    use std::time::Duration;

    #[test]
    fn failures_become_annotations_on_their_feature_line_and_round_trip_as_json() {
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
        let notes = github_annotations(&report);
        assert_eq!(
            notes,
            "::error file=features/limecraft/transport.feature,line=27,title=LC8 garbage%2C refused::expected: status 401\n"
        );
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
