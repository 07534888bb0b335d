//! `authconform report merge`: the reports of the shards of one run (`run
//! --partition K/N` on N machines, [`super::partition`]) made into what one
//! run would have written, durations aside.
//!
//! The model is the shards' summary JSON: a shard's holds its whole report
//! ([`Summary::shard_report`]), which is merged (the scenarios' union, in plan
//! order; the baseline applied again) and written by the run's own writers
//! ([`ReportFiles::write`]: JUnit, summary JSON, HTML). The Cucumber JSON is
//! cucumber's own, so the shards' files are merged as they are
//! ([`cucumber_json::merge`]). Before anything is written, the shards must be
//! one run's: one version, one partition kind and N, one selection, every
//! shard once, no scenario twice ([`MergeError`] says which and what to do).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::partition::Partition;
use crate::harness::report::{RunError, RunReport};
use crate::harness::summary::Summary;
use crate::harness::{baseline, cucumber_json};

/// Why the shards' reports cannot be merged; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{}: cannot read it ({source})", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {problem}", .path.display())]
    NotAReport { path: PathBuf, problem: String },
    #[error(
        "no shard's summary JSON in {given}: give the files `run --partition K/N --summary-json FILE` wrote, or the folders holding them"
    )]
    NoSummary { given: String },
    #[error(
        "{}: a run of several targets; merge the shards of one target file at a time (run --partition with one --target)",
        .0.display()
    )]
    SeveralTargets(PathBuf),
    #[error(
        "the shards were run by different builds of authconform ({} by {}, {} by {}): run every shard with the same one",
        .a.display(), .version_a, .b.display(), .version_b
    )]
    Versions {
        a: PathBuf,
        version_a: String,
        b: PathBuf,
        version_b: String,
    },
    #[error(
        "the shards are of different partitions ({} is {}, {} is {}): give the shards of one run, all count: or all hash:, of one N",
        .a.display(), .partition_a, .b.display(), .partition_b
    )]
    Partitions {
        a: PathBuf,
        partition_a: String,
        b: PathBuf,
        partition_b: String,
    },
    #[error(
        "{} and {} ran different selections of scenarios (their features, --tags, --name, --rerun-failed, vendors, the target's capabilities, --strict or --baseline differ): run every shard with the same options against the same target, then merge",
        .a.display(), .b.display()
    )]
    Selections { a: PathBuf, b: PathBuf },
    #[error(
        "shard {partition} is given twice ({} and {}): give each shard's summary once",
        .a.display(), .b.display()
    )]
    Twice {
        partition: String,
        a: PathBuf,
        b: PathBuf,
    },
    #[error(
        "shard(s) {missing} of {total} missing: give the summary JSON of every shard (the runs of --partition {kind}:K/{total}, K = 1..{total}); a shard whose run failed still writes one"
    )]
    Missing {
        missing: String,
        total: u64,
        kind: String,
    },
    #[error(
        "{feature}:{line} ({name}) is in two shards ({} and {}): give the shards of one run",
        .a.display(), .b.display()
    )]
    Overlap {
        feature: String,
        line: usize,
        name: String,
        a: PathBuf,
        b: PathBuf,
    },
    #[error(
        "the shards hold {found} scenario result(s) where the run has {expected}: a shard's summary is not of this run's shards, or was cut short; run the shards again"
    )]
    Incomplete { found: usize, expected: usize },
    #[error(
        "--cucumber-json needs every shard's Cucumber JSON: {found} given for {shards} shard(s) (run each shard with --cucumber-json and give its file or folder)"
    )]
    CucumberCount { found: usize, shards: usize },
    #[error("the shards' Cucumber JSON: {0}; give the shards of one run")]
    CucumberOverlap(String),
}

/// What the merge gives: the report (or why one run would have stopped),
/// as a run gives it to [`ReportFiles::write`], and its Cucumber JSON.
pub struct Merged {
    /// What the reports call the target (a run's label).
    pub label: String,
    pub result: Result<RunReport, RunError>,
    pub cucumber: Option<Vec<Value>>,
}

/// The shards' files, read.
#[derive(Default)]
struct Inputs {
    summaries: Vec<(PathBuf, Summary)>,
    cucumber: Vec<Vec<Value>>,
}

/// Reads the shards' reports from `given` (files, or folders searched for
/// `*.json` below them) and merges them; `cucumber`: the Cucumber JSON is
/// wanted too.
pub fn merge_files(given: &[PathBuf], cucumber: bool) -> Result<Merged, MergeError> {
    let inputs = read(given)?;
    merge(inputs, cucumber).map_err(|e| *e)
}

/// Every `*.json` of `given`: a summary (an object with `scenarios`) or a
/// Cucumber JSON (an array). A file named that is neither is an error; one
/// found in a folder is passed over (a state file, say). JUnit and HTML
/// files are passed over: they are written again from the summaries.
fn read(given: &[PathBuf]) -> Result<Inputs, MergeError> {
    let mut inputs = Inputs::default();
    // A file named and found in a folder named too is read once.
    let mut seen = std::collections::HashSet::new();
    let mut once = |path: &Path| seen.insert(path.canonicalize().unwrap_or(path.to_path_buf()));
    for path in given {
        if path.is_dir() {
            for file in json_files(path)? {
                if once(&file) {
                    take(&mut inputs, &file, false)?;
                }
            }
        } else if path.extension().is_some_and(|x| x == "xml" || x == "html") {
            continue;
        } else if once(path) {
            take(&mut inputs, path, true)?;
        }
    }
    if inputs.summaries.is_empty() {
        let given: Vec<String> = given.iter().map(|p| p.display().to_string()).collect();
        return Err(MergeError::NoSummary {
            given: given.join(", "),
        });
    }
    Ok(inputs)
}

/// The `*.json` files below `dir`, in name order (hidden folders passed over).
fn json_files(dir: &Path) -> Result<Vec<PathBuf>, MergeError> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| MergeError::Read {
            path: dir.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if path.is_dir() && !hidden {
            out.extend(json_files(&path)?);
        } else if path.is_file() && path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
    Ok(out)
}

fn take(inputs: &mut Inputs, path: &Path, named: bool) -> Result<(), MergeError> {
    let not = |problem: String| MergeError::NotAReport {
        path: path.to_path_buf(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|source| MergeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let value: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(_) if !named => return Ok(()),
        Err(e) => return Err(not(format!("not JSON ({e})"))),
    };
    match value {
        Value::Array(features) => inputs.cucumber.push(features),
        Value::Object(ref o) if o.contains_key("scenarios") => {
            let summary: Summary = serde_json::from_value(value)
                .map_err(|e| not(format!("not a summary JSON of authconform ({e})")))?;
            if !summary.targets.is_empty() {
                return Err(MergeError::SeveralTargets(path.to_path_buf()));
            }
            inputs.summaries.push((path.to_path_buf(), summary));
        }
        _ if !named => {}
        _ => {
            return Err(not(
                "neither a summary JSON nor a Cucumber JSON of authconform".to_owned(),
            ));
        }
    }
    Ok(())
}

/// One shard, read.
struct ShardRun {
    path: PathBuf,
    partition: Partition,
    version: String,
    report: RunReport,
    interrupted: Option<String>,
    server_gone: Option<String>,
}

fn merge(inputs: Inputs, want_cucumber: bool) -> Result<Merged, Box<MergeError>> {
    // A shard that gave no report (its target was not ready, a mistake in
    // its options): one run would have stopped so too.
    if let Some((path, error)) = inputs
        .summaries
        .iter()
        .find_map(|(p, s)| s.shard.is_none().then_some((p, s.error.as_ref()?)))
    {
        return Ok(Merged {
            label: "authconform".to_owned(),
            result: Err(RunError::io(
                format!("shard {}", path.display()),
                error.clone(),
            )),
            cucumber: None,
        });
    }
    let mut shards = Vec::new();
    for (path, summary) in inputs.summaries {
        let not = |problem: String| MergeError::NotAReport {
            path: path.clone(),
            problem,
        };
        let report = summary.shard_report().map_err(not)?;
        let (Some(record), Some(of)) = (summary.shard, &report.shard) else {
            return Err(Box::new(not("not the summary JSON of a shard".to_owned())));
        };
        shards.push(ShardRun {
            partition: of.partition,
            path,
            version: record.version,
            report,
            interrupted: record.interrupted,
            server_gone: record.server_gone,
        });
    }
    check(&mut shards)?;
    let cucumber = if want_cucumber {
        if inputs.cucumber.len() != shards.len() {
            return Err(Box::new(MergeError::CucumberCount {
                found: inputs.cucumber.len(),
                shards: shards.len(),
            }));
        }
        Some(cucumber_json::merge(inputs.cucumber).map_err(MergeError::CucumberOverlap)?)
    } else {
        None
    };
    let label = shards[0]
        .report
        .shard
        .as_ref()
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let interrupted = shards.iter().find_map(|s| s.interrupted.clone());
    let server_gone = shards.iter().find_map(|s| s.server_gone.clone());
    let report = union(shards);
    let expected = report.shard.as_ref().map_or(0, |s| s.results);
    // A stopped run reports every scenario it had still (as not run).
    if report.scenarios.len() != expected {
        return Err(Box::new(MergeError::Incomplete {
            found: report.scenarios.len(),
            expected,
        }));
    }
    let report = RunReport {
        shard: None,
        ..report
    };
    let result = match (interrupted, server_gone) {
        (Some(signal), _) => Err(RunError::Interrupted {
            signal: match signal.as_str() {
                "SIGINT" => "SIGINT",
                "SIGTERM" => "SIGTERM",
                _ => "a signal",
            },
            report: Box::new(report),
        }),
        (None, Some(reason)) => Err(RunError::ServerGone {
            reason,
            report: Box::new(report),
        }),
        (None, None) => Ok(report),
    };
    Ok(Merged {
        label,
        result,
        cucumber,
    })
}

/// The shards are one run's, each once and all there; sorts them by shard.
fn check(shards: &mut [ShardRun]) -> Result<(), Box<MergeError>> {
    shards.sort_by_key(|s| s.partition.shard);
    let first = &shards[0];
    let selection = |s: &ShardRun| s.report.shard.as_ref().map(|o| o.selection.clone());
    for s in shards.iter().skip(1) {
        if s.version != first.version {
            return Err(Box::new(MergeError::Versions {
                a: first.path.clone(),
                version_a: first.version.clone(),
                b: s.path.clone(),
                version_b: s.version.clone(),
            }));
        }
        if (s.partition.kind, s.partition.total) != (first.partition.kind, first.partition.total) {
            return Err(Box::new(MergeError::Partitions {
                a: first.path.clone(),
                partition_a: first.partition.to_string(),
                b: s.path.clone(),
                partition_b: s.partition.to_string(),
            }));
        }
        if selection(s) != selection(first) {
            return Err(Box::new(MergeError::Selections {
                a: first.path.clone(),
                b: s.path.clone(),
            }));
        }
    }
    for pair in shards.windows(2) {
        if pair[0].partition.shard == pair[1].partition.shard {
            return Err(Box::new(MergeError::Twice {
                partition: pair[0].partition.to_string(),
                a: pair[0].path.clone(),
                b: pair[1].path.clone(),
            }));
        }
    }
    let total = first.partition.total;
    let missing: Vec<String> = (1..=total)
        .filter(|k| !shards.iter().any(|s| s.partition.shard == *k))
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(Box::new(MergeError::Missing {
            missing: missing.join(", "),
            total,
            kind: first
                .partition
                .to_string()
                .split(':')
                .next()
                .unwrap_or("count")
                .to_owned(),
        }));
    }
    let mut seen: std::collections::HashMap<(&str, usize), &Path> = Default::default();
    for s in shards.iter() {
        for r in &s.report.scenarios {
            if let Some(other) = seen.insert((r.feature.as_str(), r.line), &s.path) {
                return Err(Box::new(MergeError::Overlap {
                    feature: r.feature.clone(),
                    line: r.line,
                    name: r.name.clone(),
                    a: other.to_path_buf(),
                    b: s.path.clone(),
                }));
            }
        }
    }
    Ok(())
}

/// The report one run would have given: the shards' scenarios in plan
/// order, their notes once, the baseline judged over all of them; started
/// when the first shard started, as long as the longest.
fn union(shards: Vec<ShardRun>) -> RunReport {
    let of = shards[0].report.shard.clone();
    let baseline = of.as_ref().map(|o| o.baseline.clone()).unwrap_or_default();
    let mut merged = RunReport {
        label: shards[0].report.label.clone(),
        meta: shards[0].report.meta.clone(),
        // Taken off by the caller once it checked the count.
        shard: of,
        ..RunReport::default()
    };
    merged.meta.command = without_partition(&merged.meta.command);
    let no_match: Vec<String> = baseline.keys().map(|id| baseline::no_match(id)).collect();
    for s in shards {
        let r = s.report;
        if !merged
            .target_description
            .split("; ")
            .any(|t| t == r.target_description)
        {
            if !merged.target_description.is_empty() {
                merged.target_description.push_str("; ");
            }
            merged.target_description.push_str(&r.target_description);
        }
        merged.meta.started = match (merged.meta.started, r.meta.started) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        merged.meta.duration = merged.meta.duration.max(r.meta.duration);
        for note in r.notes {
            if !merged.notes.contains(&note) && !no_match.contains(&note) {
                merged.notes.push(note);
            }
        }
        merged.parsing_errors = merged.parsing_errors.max(r.parsing_errors);
        merged.hook_errors += r.hook_errors;
        merged.scenarios.extend(r.scenarios);
    }
    // Stale entries and entries that match nothing, over every shard's scenarios.
    baseline::apply(&mut merged, &baseline);
    merged.sort_scenarios();
    merged
}

/// A shard's command line without its `--partition`: the command of the
/// one run the merge stands for.
fn without_partition(command: &str) -> String {
    let mut out = Vec::new();
    let mut words = command.split(' ');
    while let Some(word) = words.next() {
        if word == "--partition" {
            words.next();
        } else if !word.starts_with("--partition=") {
            out.push(word);
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::partition::Kind;
    use crate::harness::report::{Outcome, RunMeta, ScenarioResult, ShardOf, Warning};
    use crate::harness::step_log::{StepRecord, StepStatus};
    use crate::harness::{html, junit};
    use std::time::Duration;

    fn scenario(feature: &str, line: usize, id: &str, outcome: Outcome) -> ScenarioResult {
        let failed = outcome == Outcome::Failed;
        ScenarioResult {
            id: Some(id.into()),
            name: format!("{id} at {line}"),
            vendor: Suite::by_id("limecraft").map(Suite::vendor),
            feature: feature.into(),
            line,
            duration: Duration::from_millis(line as u64),
            failure: failed.then(|| "expected: status 401\nreproduce:\n  curl …".to_owned()),
            outcome,
            warnings: if line == 9 {
                vec![Warning::from_failure(
                    "expected: an errorCode\nresponse: HTTP 403".into(),
                )]
            } else {
                vec![]
            },
            steps: vec![StepRecord {
                keyword: "When ".into(),
                text: format!("step {line}"),
                status: if failed {
                    StepStatus::Failed
                } else {
                    StepStatus::Passed
                },
            }],
        }
    }

    use crate::harness::suite::Suite;

    /// A run's report as the runner makes it: the baseline applied, sorted.
    fn report(scenarios: Vec<ScenarioResult>, shard: Option<ShardOf>) -> RunReport {
        let baseline: baseline::Baseline = [("LC8", "known"), ("LC9", "fixed?"), ("LC99", "typo")]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        let partition = shard
            .as_ref()
            .map(|s| format!(" --partition {}", s.partition));
        let mut r = RunReport {
            target_description: "limecraft at http://x".into(),
            meta: RunMeta {
                started: Some("2026-12-05T10:00:00Z".parse().unwrap()),
                duration: Duration::from_secs(3),
                command: format!(
                    "authconform run{} --html r.html",
                    partition.unwrap_or_default()
                ),
            },
            notes: vec!["the server's clock is 40 s ahead".into()],
            scenarios,
            shard,
            ..RunReport::default()
        };
        baseline::apply(&mut r, &baseline);
        r.sort_scenarios();
        r
    }

    fn all() -> Vec<ScenarioResult> {
        let (a, b) = ("limecraft/a.feature", "limecraft/b.feature");
        vec![
            scenario(a, 3, "LC1", Outcome::Passed),
            scenario(a, 9, "LC9", Outcome::Passed),
            scenario(a, 12, "LC8", Outcome::Failed),
            scenario(
                a,
                20,
                "LC2",
                Outcome::Skipped("needs `users.locked`".into()),
            ),
            scenario(b, 4, "LC8", Outcome::Passed),
            scenario(b, 7, "LC9", Outcome::Passed),
            scenario(b, 8, "LC3", Outcome::Failed),
            scenario(b, 30, "LC4", Outcome::Skipped("needs clock control".into())),
        ]
    }

    /// The summaries of `total` count-shards of [`all`], as JSON files write them.
    fn shards(total: u64) -> Vec<(PathBuf, Summary)> {
        let all = all();
        (1..=total)
            .map(|k| {
                let partition = Partition {
                    kind: Kind::Count,
                    shard: k,
                    total,
                };
                let part = all
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| partition.keeps(*i, ""))
                    .map(|(_, s)| s.clone())
                    .collect();
                let of = ShardOf {
                    partition,
                    selection: "0123".into(),
                    baseline: [("LC8", "known"), ("LC9", "fixed?"), ("LC99", "typo")]
                        .into_iter()
                        .map(|(a, b)| (a.to_owned(), b.to_owned()))
                        .collect(),
                    name: "limecraft".into(),
                    results: all.len(),
                };
                let json = serde_json::to_string(&Summary::of(&report(part, Some(of)))).unwrap();
                (
                    PathBuf::from(format!("s{k}.json")),
                    serde_json::from_str(&json).unwrap(),
                )
            })
            .collect()
    }

    fn inputs(summaries: Vec<(PathBuf, Summary)>) -> Inputs {
        Inputs {
            summaries,
            cucumber: Vec::new(),
        }
    }

    trait CloneJson {
        fn clone_json(&self) -> Self;
    }

    impl CloneJson for crate::harness::summary::ScenarioSummary {
        fn clone_json(&self) -> Self {
            serde_json::from_value(serde_json::to_value(self).unwrap()).unwrap()
        }
    }

    fn merged(summaries: Vec<(PathBuf, Summary)>) -> Result<RunReport, Box<MergeError>> {
        let merged = merge(inputs(summaries), false)?;
        assert_eq!(merged.label, "limecraft");
        Ok(merged.result.unwrap())
    }

    #[test]
    fn the_merged_shards_are_written_as_the_one_run() {
        let one = report(all(), None);
        assert_eq!(
            one.stale_baseline,
            [("LC9".to_owned(), "fixed?".to_owned())]
        );
        let merged = merged(shards(3)).unwrap();
        let junit_of = |r: &RunReport| {
            let mut xml = Vec::new();
            junit::write(r, &mut xml).unwrap();
            String::from_utf8(xml).unwrap()
        };
        assert_eq!(junit_of(&merged), junit_of(&one));
        assert_eq!(html::render(&merged, None), html::render(&one, None));
        assert_eq!(
            serde_json::to_value(Summary::of(&merged)).unwrap(),
            serde_json::to_value(Summary::of(&one)).unwrap()
        );
        // LC8 passed in shard 2 (stale there) and failed as expected in shard 3.
        assert_eq!(merged.stale_baseline, one.stale_baseline);
        assert_eq!(merged.notes, one.notes);
        assert_eq!(merged.summary(), one.summary());
        assert_eq!(merged.meta.command, "authconform run --html r.html");
    }

    #[test]
    fn shards_that_are_not_one_runs_are_refused_saying_which() {
        type Shards = Vec<(PathBuf, Summary)>;
        type Case = (fn(&mut Shards), &'static str);
        let cases: [Case; 8] = [
            (|s| drop(s.remove(1)), "shard(s) 2 of 3 missing"),
            (
                |s| s.push((PathBuf::from("again.json"), shards(3).remove(0).1)),
                "count:1/3 is given twice (s1.json and again.json)",
            ),
            (
                |s| s[2].1.shard.as_mut().unwrap().selection = "4567".into(),
                "s1.json and s3.json ran different selections",
            ),
            (
                |s| s[1].1.shard.as_mut().unwrap().version = "0.0.1".into(),
                "different builds of authconform",
            ),
            (|s| s[2] = shards(2).remove(1), "different partitions"),
            // One of shard 3's scenarios in shard 2 too.
            (
                |s| {
                    let extra = s[2].1.scenarios[0].clone_json();
                    s[1].1.scenarios.push(extra)
                },
                "is in two shards (s2.json and s3.json)",
            ),
            (
                |s| drop(s[0].1.scenarios.pop()),
                "scenario result(s) where the run has 8",
            ),
            (
                |s| s[0].1.shard = None,
                "s1.json: not the summary JSON of a shard",
            ),
        ];
        for (change, expected) in cases {
            let mut given = shards(3);
            change(&mut given);
            let e = merged(given).map(|_| ()).unwrap_err().to_string();
            assert!(e.contains(expected), "{expected}: {e}");
        }
    }

    #[test]
    fn a_stopped_shard_stops_the_merged_run_and_a_shard_without_a_report_is_its_error() {
        let mut stopped = shards(2);
        stopped[1].1.shard.as_mut().unwrap().interrupted = Some("SIGTERM".into());
        let m = merge(inputs(stopped), false).unwrap();
        assert!(matches!(
            m.result,
            Err(RunError::Interrupted {
                signal: "SIGTERM",
                ..
            })
        ));
        let mut not_ready = shards(2);
        not_ready[0].1.shard = None;
        not_ready[0].1.error = Some("the target is not ready: users.primary".into());
        let m = merge(inputs(not_ready), false).unwrap();
        let e = m.result.unwrap_err().to_string();
        assert!(e.contains("s1.json: the target is not ready"), "{e}");
    }

    #[test]
    fn the_command_of_the_one_run_has_no_partition() {
        assert_eq!(
            without_partition("authconform run --partition count:2/3 --junit j.xml"),
            "authconform run --junit j.xml"
        );
        assert_eq!(
            without_partition("authconform run --partition=hash:1/2"),
            "authconform run"
        );
    }
}
