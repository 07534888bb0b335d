//! Mends cucumber's Cucumber-JSON report for the generators that read it
//! (multiple-cucumber-html-reporter, Jenkins' cucumber plugin): the feature's
//! `uri` relative to the features folder (not the run's temporary one), a
//! feature `id` (without one, pages are named `…-undefined.html`), tags with
//! their `@`, every scenario skipped for a missing capability (cucumber's
//! writer never sees them) with its reason, and warnings as step output.

use std::path::Path;

use serde_json::{Value, json};

use crate::harness::report::{Outcome, RunReport};

/// cucumber's report `text` (what its JSON writer wrote), mended.
pub fn mend(text: &str, root: &Path, report: &RunReport) -> Result<Vec<Value>, String> {
    let mut features: Vec<Value> = if text.trim().is_empty() {
        Vec::new()
    } else {
        serde_json::from_str(text).map_err(|e| e.to_string())?
    };
    let root_text = root.to_string_lossy().trim_start_matches('/').to_owned();
    for feature in &mut features {
        if let Some(uri) = feature.get("uri").and_then(Value::as_str) {
            let relative = uri
                .trim_start_matches('/')
                .strip_prefix(&root_text)
                .map(|r| r.trim_start_matches('/').to_owned())
                .unwrap_or_else(|| uri.to_owned());
            feature["uri"] = json!(relative);
        }
        let name = feature.get("name").and_then(Value::as_str).unwrap_or("");
        feature["id"] = json!(slug(name));
        add_at(feature);
        if let Some(elements) = feature.get_mut("elements").and_then(Value::as_array_mut) {
            for element in elements.iter_mut() {
                add_at(element);
            }
        }
    }
    for s in &report.scenarios {
        let uri = s.feature.clone();
        let Some(feature) = features
            .iter_mut()
            .find(|f| f.get("uri").and_then(Value::as_str) == Some(uri.as_str()))
        else {
            if let Outcome::Skipped(_) | Outcome::NotRun(_) = s.outcome {
                features.push(json!({
                    "uri": uri,
                    "id": slug(&uri),
                    "keyword": "Feature",
                    "name": uri,
                    "line": 1,
                    "tags": [],
                    "elements": [skipped_element(s)],
                }));
            }
            continue;
        };
        if let Outcome::Skipped(_) | Outcome::NotRun(_) = s.outcome {
            if let Some(elements) = feature.get_mut("elements").and_then(Value::as_array_mut) {
                // A scenario that ran and could not be judged (`not judged:`)
                // is there already, with a failed step: it is replaced.
                elements.retain(|e| {
                    e.get("line").and_then(Value::as_u64) != Some(s.line as u64)
                        || e.get("name").and_then(Value::as_str) != Some(s.name.as_str())
                });
                elements.push(skipped_element(s));
            }
            continue;
        }
        if s.warnings.is_empty() {
            continue;
        }
        let element = feature
            .get_mut("elements")
            .and_then(Value::as_array_mut)
            .and_then(|es| {
                es.iter_mut().find(|e| {
                    e.get("line").and_then(Value::as_u64) == Some(s.line as u64)
                        && e.get("name").and_then(Value::as_str) == Some(s.name.as_str())
                })
            });
        if let Some(step) = element
            .and_then(|e| e.get_mut("steps"))
            .and_then(Value::as_array_mut)
            .and_then(|steps| steps.last_mut())
        {
            let output: Vec<String> = s
                .warnings
                .iter()
                .map(|w| format!("warning (reference choice): {}", w.headline()))
                .collect();
            step["output"] = json!(output);
        }
    }
    Ok(features)
}

/// The report of a run that could not check its target (`label`): one
/// feature with one failed scenario that says why, so a generator shows it.
pub fn of_error(label: &str, error: &str) -> Vec<Value> {
    vec![json!({
        "uri": "authconform",
        "id": slug(&format!("authconform {label}")),
        "keyword": "Feature",
        "name": format!("authconform: {label}"),
        "line": 1,
        "tags": [],
        "elements": [{
            "keyword": "Scenario",
            "type": "scenario",
            "id": "the-target-answers-and-its-accounts-sign-on",
            "line": 1,
            "name": "the target answers and its accounts sign on",
            "tags": [],
            "steps": [{
                "keyword": "Given ",
                "line": 1,
                "name": "the target is ready",
                "result": { "status": "failed", "duration": 0, "error_message": error },
            }],
        }],
    })]
}

fn skipped_element(s: &crate::harness::report::ScenarioResult) -> Value {
    let reason = match &s.outcome {
        Outcome::Skipped(r) => format!("skipped: {r}"),
        Outcome::NotRun(r) => format!("not run: {r}"),
        _ => String::new(),
    };
    let tags: Vec<Value> =
        s.id.iter()
            .map(|id| json!({ "name": format!("@{id}"), "line": s.line }))
            .collect();
    json!({
        "keyword": "Scenario",
        "type": "scenario",
        "id": slug(&s.name),
        "line": s.line,
        "name": s.name,
        "tags": tags,
        "steps": [{
            "keyword": "Given ",
            "line": s.line,
            "name": reason,
            "result": { "status": "skipped", "duration": 0 },
        }],
    })
}

/// Gives every tag of `node` its `@`.
fn add_at(node: &mut Value) {
    if let Some(tags) = node.get_mut("tags").and_then(Value::as_array_mut) {
        for tag in tags {
            if let Some(name) = tag.get("name").and_then(Value::as_str)
                && !name.starts_with('@')
            {
                tag["name"] = json!(format!("@{name}"));
            }
        }
    }
}

fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::report::ScenarioResult;
    use crate::harness::report::Warning;
    use std::time::Duration;

    fn result(name: &str, line: usize, outcome: Outcome) -> ScenarioResult {
        ScenarioResult {
            id: Some("LC5".into()),
            name: name.into(),
            vendor: None,
            feature: "limecraft/login.feature".into(),
            line,
            duration: Duration::ZERO,
            failure: None,
            outcome,
            warnings: vec![],
            steps: vec![],
        }
    }

    #[test]
    fn uris_tags_skips_and_warnings_are_mended() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("features");
        let uri = format!("{}/limecraft/login.feature", root.display());
        let written = json!([{
            "uri": uri.trim_start_matches('/'),
            "keyword": "Feature",
            "name": "Limecraft Flow login",
            "tags": [{ "name": "limecraft", "line": 2 }],
            "elements": [{
                "keyword": "Scenario", "type": "scenario", "line": 7, "name": "LC1 a login",
                "tags": [{ "name": "LC1", "line": 7 }],
                "steps": [{ "keyword": "When ", "line": 8, "name": "x", "result": { "status": "passed" } }]
            }]
        }]);
        let mut warned = result("LC1 a login", 7, Outcome::Passed);
        warned.warnings.push(Warning {
            expected: "status 401".into(),
            got: Some("HTTP 403".into()),
            detail: String::new(),
        });
        let report = RunReport {
            scenarios: vec![
                warned,
                result(
                    "LC5 disabled",
                    20,
                    Outcome::Skipped("needs `users.disabled`".into()),
                ),
            ],
            ..RunReport::default()
        };
        let mended = mend(&written.to_string(), &root, &report).unwrap();
        let feature = &mended[0];
        assert_eq!(feature["uri"], "limecraft/login.feature");
        assert_eq!(feature["id"], "limecraft-flow-login");
        assert_eq!(feature["tags"][0]["name"], "@limecraft");
        let elements = feature["elements"].as_array().unwrap();
        assert_eq!(elements[0]["tags"][0]["name"], "@LC1");
        assert_eq!(
            elements[0]["steps"][0]["output"][0],
            "warning (reference choice): status 401; got HTTP 403"
        );
        assert_eq!(elements[1]["steps"][0]["result"]["status"], "skipped");
        assert!(
            elements[1]["steps"][0]["name"]
                .as_str()
                .unwrap()
                .contains("users.disabled")
        );
    }
}
