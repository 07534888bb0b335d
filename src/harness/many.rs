//! Several deployments in one run: `run --target a.yaml --target b.yaml`, or
//! a folder of target files (one per customer, per region).
//!
//! Each target is an ordinary [`runner::run`] of its own: its own preflight,
//! run context and scenarios, in order, one at a time, exactly as when it is
//! checked alone. What this adds is only the fan-out: up to `jobs` targets
//! run at once (their time is mostly spent waiting for the servers, so they
//! share one task and overlap their waits), and the reports are gathered into
//! one JUnit file (a suite per target and feature) and one summary JSON (a
//! summary per target, the totals on top). The exit code is the worst of all.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use futures::StreamExt as _;

use crate::harness::report::{RunError, RunReport, Usage, open_report, report_of};
use crate::harness::runner::RunOptions;
use crate::harness::{junit, runner, summary};

/// One target of a run of several.
pub struct TargetRun {
    /// Its name: the target file's name without `.yaml` and `.target`
    /// (`eu-west.target.yaml` → `eu-west`), made unique within the run.
    pub label: String,
    pub options: RunOptions,
}

/// How one target of a run of several ended.
pub struct TargetResult {
    pub label: String,
    pub result: Result<RunReport, RunError>,
}

impl TargetResult {
    /// What a report can show of it: the scenarios' report, if any ran.
    pub fn report(&self) -> Option<&RunReport> {
        report_of(&self.result)
    }

    /// Why the target was not (fully) checked.
    pub fn error(&self) -> Option<String> {
        self.result.as_ref().err().map(ToString::to_string)
    }
}

/// The reports of a run of several targets, written once every target ended.
#[derive(Default)]
pub struct CombinedReports {
    pub junit: Option<PathBuf>,
    pub summary_json: Option<PathBuf>,
}

/// Runs every target, at most `jobs` at once, and returns their results in
/// the order given. Each target's progress lines start with its name.
pub async fn run_targets(targets: Vec<TargetRun>, jobs: usize) -> Vec<TargetResult> {
    // cucumber silences the panic hook while it runs and puts back the one it
    // found; with overlapping runs the last to end may put back a silenced
    // one. Keep the process's own and set it again at the end.
    let hook = std::panic::take_hook();
    let results = futures::stream::iter(targets.into_iter().map(|t| async move {
        let mut options = t.options;
        options.label = Some(t.label.clone());
        TargetResult {
            label: t.label,
            result: runner::run(options).await,
        }
    }))
    .buffered(jobs.max(1))
    .collect()
    .await;
    std::panic::set_hook(hook);
    results
}

/// Writes the JUnit file and the summary JSON of a run of several targets.
pub fn write_reports(results: &[TargetResult], reports: &CombinedReports) -> Result<(), RunError> {
    if reports.junit.is_some() {
        let out = open_report(&reports.junit)?;
        let targets: Vec<(&str, Option<&RunReport>, Option<String>)> = results
            .iter()
            .map(|r| (r.label.as_str(), r.report(), r.error()))
            .collect();
        junit::write_targets(&targets, out)
            .map_err(|e| RunError::io("cannot write the JUnit report", e))?;
    }
    if reports.summary_json.is_some() {
        let mut out = open_report(&reports.summary_json)?;
        let targets = results
            .iter()
            .map(|r| {
                let mut s = match r.report() {
                    Some(report) => summary::Summary::of(report),
                    None => summary::Summary::of(&RunReport {
                        label: Some(r.label.clone()),
                        ..RunReport::default()
                    }),
                };
                s.error = r.error();
                s
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &summary::Summary::of_targets(targets))
            .and_then(|()| out.write_all(b"\n").map_err(serde_json::Error::io))
            .map_err(|e| RunError::io("cannot write the summary JSON", e))?;
    }
    Ok(())
}

/// `--target` values made into target files: a folder stands for its
/// `*.yaml` / `*.yml` files (not its subfolders), in name order.
pub fn expand_target_paths(given: &[PathBuf]) -> Result<Vec<PathBuf>, Usage> {
    let mut out = Vec::new();
    for path in given {
        if !path.is_dir() {
            out.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path).map_err(|e| Usage::TargetFolder {
            path: path.clone(),
            problem: format!("cannot read the folder: {e}"),
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .filter(|p| {
                p.extension().is_some_and(|x| {
                    x.eq_ignore_ascii_case("yaml") || x.eq_ignore_ascii_case("yml")
                })
            })
            .collect();
        if files.is_empty() {
            return Err(Usage::TargetFolder {
                path: path.clone(),
                problem: "the folder holds no target file (*.yaml)".to_owned(),
            });
        }
        files.sort();
        out.extend(files);
    }
    Ok(out)
}

/// Each target file's name in reports: its file name without `.yaml` and
/// `.target`; a name met twice gets `-2`, `-3`… so every one is unique and
/// the same on every run.
pub fn labels(paths: &[PathBuf]) -> Vec<String> {
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    paths
        .iter()
        .map(|p| {
            let base = label_of(p);
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            if *n == 1 { base } else { format!("{base}-{n}") }
        })
        .collect()
}

fn label_of(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "target".to_owned());
    let name = [".yaml", ".yml", ".YAML", ".YML"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .unwrap_or(&name);
    let name = name.strip_suffix(".target").unwrap_or(name);
    // Safe in a file name, a JUnit classname and a console prefix.
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A report path for one target of several: `reports/run.html` →
/// `reports/run.eu-west.html` (the Cucumber JSON and HTML reports are one
/// file per target).
pub fn per_target_path(path: &Path, label: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.{label}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{label}"),
    };
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_the_file_names_and_are_unique() {
        let paths: Vec<PathBuf> = [
            "targets/eu-west.target.yaml",
            "other/eu-west.target.yaml",
            "us east.yml",
            "plain",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(labels(&paths), ["eu-west", "eu-west-2", "us_east", "plain"]);
    }

    #[test]
    fn a_folder_stands_for_its_target_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.target.yaml", "a.target.yml", "notes.txt"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub.yaml")).unwrap();
        let got = expand_target_paths(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<String> = got
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.target.yml", "b.target.yaml"]);
        let empty = tempfile::tempdir().unwrap();
        let err = expand_target_paths(&[empty.path().to_path_buf()]).unwrap_err();
        assert!(
            matches!(&err, Usage::TargetFolder { path, .. } if path == empty.path()),
            "{err}"
        );
    }

    #[test]
    fn per_target_reports_keep_their_extension() {
        assert_eq!(
            per_target_path(Path::new("r/run.html"), "eu-west"),
            PathBuf::from("r/run.eu-west.html")
        );
        assert_eq!(
            per_target_path(Path::new("cucumber"), "a"),
            PathBuf::from("cucumber.a")
        );
    }
}
