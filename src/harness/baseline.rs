//! Known deviations (`--baseline FILE`): a YAML map of scenario id to why the
//! target knowingly deviates. A listed scenario that fails is an expected
//! failure (the run passes); an entry whose scenarios all pass is stale (the
//! list should shrink).

use std::collections::BTreeMap;
use std::path::Path;

use crate::harness::report::{Outcome, RunReport, ScenarioResult, Usage};

/// Scenario id → reason.
pub type Baseline = BTreeMap<String, String>;

/// Reads a baseline file: a map of scenario ids (`LC5`) to reasons.
pub fn read(path: &Path) -> Result<Baseline, Usage> {
    let problem = |problem: String| Usage::Baseline {
        path: path.to_path_buf(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|e| problem(e.to_string()))?;
    let map: Baseline = serde_saphyr::from_str(&text).map_err(|e| {
        problem(format!(
            "not a map of scenario id to reason ({})",
            e.to_string()
                .replace("<input>", &path.display().to_string())
        ))
    })?;
    if let Some(id) = map
        .keys()
        .find(|id| crate::harness::catalogue_id(std::slice::from_ref(*id)).is_none())
    {
        return Err(problem(format!(
            "`{id}` is not a scenario id (LC…, LAC…, FV…, LF…)"
        )));
    }
    Ok(map)
}

/// Marks the failures the baseline lists as expected, and records the
/// entries whose scenarios all passed as stale.
pub fn apply(report: &mut RunReport, baseline: &Baseline) {
    for s in &mut report.scenarios {
        if s.outcome == Outcome::Failed
            && let Some(reason) = s.id.as_ref().and_then(|id| baseline.get(id))
        {
            s.outcome = Outcome::ExpectedFailure(reason.clone());
        }
    }
    for (id, reason) in baseline {
        let of_id: Vec<&ScenarioResult> = report
            .scenarios
            .iter()
            .filter(|s| s.id.as_deref() == Some(id.as_str()))
            .collect();
        if !of_id.is_empty() && of_id.iter().all(|s| s.outcome == Outcome::Passed) {
            report.stale_baseline.push((id.clone(), reason.clone()));
        }
        if of_id.is_empty() {
            report.notes.push(no_match(id));
        }
    }
}

/// The note of a baseline entry that matches no scenario of the run.
pub fn no_match(id: &str) -> String {
    format!("baseline entry {id} matches no scenario of this run (a typo, or not selected)")
}
