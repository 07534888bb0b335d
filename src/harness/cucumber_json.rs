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
    in_plan_order(&mut features);
    Ok(features)
}

/// The `uri` of the feature that says why a run could not check its target ([`of_error`]).
const ERROR_URI: &str = "authconform";

/// The Cucumber JSON one run would have written, from its shards'
/// (`report merge`): every feature once, its elements from every shard, in
/// plan order. A shard's error feature is left out (the merge says its own).
/// `Err`: a scenario in two shards.
pub fn merge(shards: Vec<Vec<Value>>) -> Result<Vec<Value>, String> {
    let mut merged: Vec<Value> = Vec::new();
    for feature in shards.into_iter().flatten() {
        let uri = feature.get("uri").and_then(Value::as_str).unwrap_or("");
        if uri == ERROR_URI {
            continue;
        }
        let Some(into) = merged
            .iter_mut()
            .find(|f| f.get("uri").and_then(Value::as_str) == Some(uri))
        else {
            merged.push(feature);
            continue;
        };
        let elements = |f: &Value| f.get("elements").and_then(Value::as_array).cloned();
        let (mut kept, added) = (
            elements(into).unwrap_or_default(),
            elements(&feature).unwrap_or_default(),
        );
        for e in &added {
            if is_scenario(e) && kept.iter().any(|k| is_scenario(k) && same_scenario(k, e)) {
                return Err(format!(
                    "{uri}:{} ({}) is in two shards' Cucumber JSON",
                    e.get("line").and_then(Value::as_u64).unwrap_or(0),
                    e.get("name").and_then(Value::as_str).unwrap_or("")
                ));
            }
        }
        kept.extend(added);
        // A feature only skipped in a shard is named by its uri there
        // (cucumber never saw it): the header of a shard that ran it wins.
        let unnamed = |f: &Value| f.get("name").and_then(Value::as_str) == Some(uri);
        if unnamed(into) && !unnamed(&feature) {
            *into = feature;
        }
        into["elements"] = Value::Array(kept);
    }
    in_plan_order(&mut merged);
    Ok(merged)
}

/// Features by `uri`, each one's scenarios by line (a background stays
/// before the scenario it ran for): a run's order and a merge's alike.
fn in_plan_order(features: &mut [Value]) {
    let uri = |f: &Value| {
        f.get("uri")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    features.sort_by_key(uri);
    for feature in features.iter_mut() {
        let Some(elements) = feature.get_mut("elements").and_then(Value::as_array_mut) else {
            continue;
        };
        let mut units: Vec<Vec<Value>> = Vec::new();
        let mut pending = Vec::new();
        for e in elements.drain(..) {
            let scenario = is_scenario(&e);
            pending.push(e);
            if scenario {
                units.push(std::mem::take(&mut pending));
            }
        }
        let line = |unit: &Vec<Value>| {
            unit.last()
                .and_then(|e| e.get("line"))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        units.sort_by_key(line);
        elements.extend(units.into_iter().flatten().chain(pending));
    }
}

fn is_scenario(element: &Value) -> bool {
    element.get("type").and_then(Value::as_str) != Some("background")
}

fn same_scenario(a: &Value, b: &Value) -> bool {
    a.get("line") == b.get("line") && a.get("name") == b.get("name")
}

/// The report of a run that could not check its target (`label`): one
/// feature with one failed scenario that says why, so a generator shows it.
pub fn of_error(label: &str, error: &str) -> Vec<Value> {
    vec![json!({
        "uri": ERROR_URI,
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
    fn shards_merge_into_one_feature_each_in_plan_order_and_overlap_is_refused() {
        let element = |line: u64, kind: &str| json!({ "type": kind, "line": line, "name": format!("s{line}") });
        let shard1 = vec![
            json!({ "uri": "lc/b.feature", "name": "B", "elements": [element(3, "background"), element(9, "scenario")] }),
            // Only skipped in this shard: named by its uri (cucumber never saw it).
            json!({ "uri": "lc/a.feature", "name": "lc/a.feature", "elements": [element(20, "scenario")] }),
            of_error("t", "stopped").remove(0),
        ];
        let shard2 = vec![
            json!({ "uri": "lc/a.feature", "name": "A", "tags": [{ "name": "@lc" }], "elements": [element(7, "scenario")] }),
            json!({ "uri": "lc/b.feature", "name": "B", "elements": [element(3, "background"), element(5, "scenario")] }),
        ];
        let merged = merge(vec![shard1.clone(), shard2.clone()]).unwrap();
        let lines = |f: &Value| -> Vec<u64> {
            f["elements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["line"].as_u64().unwrap())
                .collect()
        };
        assert_eq!(
            merged.len(),
            2,
            "the error feature is the merge's to say: {merged:?}"
        );
        assert_eq!(
            (merged[0]["uri"].as_str(), merged[0]["name"].as_str()),
            (Some("lc/a.feature"), Some("A"))
        );
        assert_eq!(merged[0]["tags"][0]["name"], "@lc");
        assert_eq!(lines(&merged[0]), [7, 20]);
        // Each background stays before the scenario it ran for.
        assert_eq!(lines(&merged[1]), [3, 5, 3, 9]);
        let err = merge(vec![shard1, shard2.clone(), shard2]).unwrap_err();
        assert!(
            err.contains("lc/a.feature:7 (s7) is in two shards"),
            "{err}"
        );
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
