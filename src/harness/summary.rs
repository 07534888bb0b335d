//! The machine-readable outcome of a run: the summary JSON
//! (`--summary-json`), which `--rerun-failed` reads back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::harness::report::{
    Outcome, RunMeta, RunReport, ScenarioResult, ShardOf, Usage, Warning,
};
use crate::harness::step_log::StepRecord;
use crate::harness::suite::Suite;

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
    /// A run of one shard (`--partition`): what `report merge` needs besides
    /// the scenarios to write what one run would have written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardRecord>,
}

/// What a shard's summary adds (see [`Summary::shard`]).
#[derive(Debug, Serialize, Deserialize)]
pub struct ShardRecord {
    /// `count:2/3`.
    pub partition: String,
    /// The version of authconform that ran it: shards of one run share it.
    pub version: String,
    /// What the shards of one run share ([`ShardOf::selection`]).
    pub selection: String,
    /// What the reports call the target.
    pub name: String,
    /// How many scenario results the whole run gives ([`ShardOf::results`]).
    pub results: usize,
    /// When it started (RFC 3339), how long it took, its command line.
    pub started: Option<String>,
    pub duration_ms: u64,
    pub command: String,
    pub notes: Vec<String>,
    pub parsing_errors: usize,
    pub hook_errors: usize,
    /// `--baseline`, and its entries whose scenarios all passed here.
    pub baseline: BTreeMap<String, String>,
    pub stale_baseline: Vec<(String, String)>,
    /// Why the run stopped early, if it did: the signal (Ctrl-C, SIGTERM)…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<String>,
    /// …or what the server did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_gone: Option<String>,
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
    /// A shard's (`--partition`): the rest of what the run reported of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<ScenarioDetail>,
}

/// The whole of a scenario's result, for `report merge` (see [`ScenarioSummary::detail`]).
#[derive(Debug, Serialize, Deserialize)]
pub struct ScenarioDetail {
    pub vendor: Option<String>,
    /// The failure's full report (redacted), as the JUnit body has it.
    pub failure: Option<String>,
    pub warnings: Vec<Warning>,
    pub steps: Vec<StepRecord>,
}

impl Summary {
    pub fn of(report: &RunReport) -> Summary {
        Summary {
            target: report.target_description.clone(),
            label: report.label.clone(),
            error: None,
            targets: Vec::new(),
            shard: report
                .shard
                .as_ref()
                .map(|shard| shard_record(report, shard)),
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
                        detail: report.shard.is_some().then(|| ScenarioDetail {
                            vendor: s.vendor.map(|v| v.as_str().to_owned()),
                            failure: s.failure.clone(),
                            warnings: s.warnings.clone(),
                            steps: s.steps.clone(),
                        }),
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
            shard: None,
        }
    }

    /// The report of the shard whose summary this is (written by a run with
    /// `--partition`), as that run had it (durations to the millisecond):
    /// what `report merge` reads.
    pub fn shard_report(&self) -> Result<RunReport, String> {
        let Some(shard) = &self.shard else {
            return Err(
                "not the summary JSON of a shard (written by `run --partition K/N --summary-json FILE`)"
                    .to_owned(),
            );
        };
        let partition = shard.partition.parse()?;
        let started = match &shard.started {
            Some(t) => Some(t.parse().map_err(|e| format!("started `{t}`: {e}"))?),
            None => None,
        };
        let mut scenarios = Vec::new();
        for s in &self.scenarios {
            let detail = s.detail.as_ref().ok_or_else(|| {
                format!(
                    "{}:{} has no detail: not written by a shard",
                    s.feature, s.line
                )
            })?;
            let reason = || s.reason.clone().unwrap_or_default();
            let outcome = match s.status.as_str() {
                "passed" => Outcome::Passed,
                "failed" => Outcome::Failed,
                "skipped" => Outcome::Skipped(reason()),
                "not-run" => Outcome::NotRun(reason()),
                "expected-failure" => Outcome::ExpectedFailure(reason()),
                other => {
                    return Err(format!(
                        "{}:{}: unknown status `{other}`",
                        s.feature, s.line
                    ));
                }
            };
            scenarios.push(ScenarioResult {
                id: s.id.clone(),
                name: s.name.clone(),
                vendor: detail
                    .vendor
                    .as_deref()
                    .and_then(Suite::by_id)
                    .map(Suite::vendor),
                feature: s.feature.clone(),
                line: s.line,
                duration: std::time::Duration::from_millis(s.duration_ms),
                failure: detail.failure.clone(),
                outcome,
                warnings: detail.warnings.clone(),
                steps: detail.steps.clone(),
            });
        }
        Ok(RunReport {
            target_description: self.target.clone(),
            meta: RunMeta {
                started,
                duration: std::time::Duration::from_millis(shard.duration_ms),
                command: shard.command.clone(),
            },
            notes: shard.notes.clone(),
            label: self.label.clone(),
            scenarios,
            parsing_errors: shard.parsing_errors,
            hook_errors: shard.hook_errors,
            listed: false,
            stale_baseline: shard.stale_baseline.clone(),
            shard: Some(ShardOf {
                partition,
                selection: shard.selection.clone(),
                baseline: shard.baseline.clone(),
                name: shard.name.clone(),
                results: shard.results,
            }),
        })
    }
}

/// What a shard's summary records of its run besides the scenarios.
fn shard_record(report: &RunReport, shard: &ShardOf) -> ShardRecord {
    ShardRecord {
        partition: shard.partition.to_string(),
        version: crate::harness::report::version().to_owned(),
        selection: shard.selection.clone(),
        name: shard.name.clone(),
        results: shard.results,
        started: report.meta.started.map(|t| t.to_string()),
        duration_ms: report.meta.duration.as_millis() as u64,
        command: report.meta.command.clone(),
        notes: report.notes.clone(),
        parsing_errors: report.parsing_errors,
        hook_errors: report.hook_errors,
        baseline: shard.baseline.clone(),
        stale_baseline: report.stale_baseline.clone(),
        interrupted: None,
        server_gone: None,
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
