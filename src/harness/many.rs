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

use std::path::{Path, PathBuf};

use futures::StreamExt as _;

use crate::harness::report::{RunError, RunReport, Usage, report_of};
use crate::harness::report_files::{pretty, write_atomically};
use crate::harness::runner::{RunOptions, TargetChoice};
use crate::harness::{html, junit, runner, summary};

/// One target of a run of several.
pub struct TargetRun {
    /// Its name: the target file's name without `.yaml` and `.target`
    /// (`eu-west.target.yaml` → `eu-west`), made unique within the run.
    pub label: String,
    pub options: RunOptions,
    /// The target, as annotations name it (its label and file).
    pub subject: crate::harness::github::Subject,
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

/// The reports of a run of several targets, written once every target ended:
/// one JUnit file and one summary for all, and an index page beside each
/// target's own HTML report.
#[derive(Default)]
pub struct CombinedReports {
    pub junit: Option<PathBuf>,
    pub summary_json: Option<PathBuf>,
    /// `--html run.html`: the index of `run.<label>.html`.
    pub html: Option<PathBuf>,
}

/// Runs every target, at most `jobs` at once, and returns their results in
/// the order given. Each target's progress lines start with its name.
/// Targets that share a server (the host and port of `base_url`) or a
/// `control_url` run one after the other, as one group: one's clock moves
/// (LAC's expiry scenarios) and accounts (2FA enabled, a password changed)
/// would otherwise break another's scenarios mid-run. One line says which.
pub async fn run_targets(targets: Vec<TargetRun>, jobs: usize) -> Vec<TargetResult> {
    let groups = shared_servers(&targets);
    for group in groups.iter().filter(|g| g.len() > 1) {
        let names: Vec<&str> = group.iter().map(|&i| targets[i].label.as_str()).collect();
        crate::harness::console::err(&format!(
            "authconform: {} share a server or control_url: checked one after the other\n",
            names.join(", ")
        ));
    }
    let mut slots: Vec<Option<TargetRun>> = targets.into_iter().map(Some).collect();
    let groups: Vec<Vec<(usize, TargetRun)>> = groups
        .into_iter()
        .map(|g| {
            g.into_iter()
                .filter_map(|i| slots[i].take().map(|t| (i, t)))
                .collect()
        })
        .collect();
    // cucumber silences the panic hook while it runs and puts back the one it
    // found; with overlapping runs the last to end may put back a silenced
    // one. Keep the process's own and set it again at the end.
    let hook = std::panic::take_hook();
    let done: Vec<Vec<(usize, TargetResult)>> =
        futures::stream::iter(groups.into_iter().map(|group| async move {
            let mut results = Vec::new();
            for (i, t) in group {
                let mut options = t.options;
                options.label = Some(t.label.clone());
                results.push((
                    i,
                    TargetResult {
                        label: t.label,
                        result: runner::run(options).await,
                    },
                ));
            }
            results
        }))
        .buffer_unordered(jobs.max(1))
        .collect()
        .await;
    std::panic::set_hook(hook);
    let mut results: Vec<(usize, TargetResult)> = done.into_iter().flatten().collect();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// The targets in groups that share a server: the same host and port in
/// `base_url`, or the same `control_url` (transitively); each group in the
/// order given, the groups in the order of their first target.
fn shared_servers(targets: &[TargetRun]) -> Vec<Vec<usize>> {
    let keys: Vec<Vec<String>> = targets
        .iter()
        .map(|t| match &t.options.target {
            TargetChoice::External(target) => {
                let mut keys: Vec<String> = [Some(&target.base_url), target.control_url.as_ref()]
                    .into_iter()
                    .flatten()
                    .filter_map(|u| url::Url::parse(u).ok())
                    .filter_map(|u| {
                        Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?))
                    })
                    .collect();
                keys.dedup();
                keys
            }
            TargetChoice::Reference { .. } => Vec::new(),
        })
        .collect();
    let mut group_of: Vec<usize> = (0..targets.len()).collect();
    for i in 0..targets.len() {
        for j in 0..i {
            if keys[i].iter().any(|k| keys[j].contains(k)) {
                let (from, to) = (group_of[i], group_of[j]);
                for g in group_of.iter_mut() {
                    if *g == from {
                        *g = to;
                    }
                }
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut seen: Vec<usize> = Vec::new();
    for (i, g) in group_of.iter().enumerate() {
        match seen.iter().position(|s| s == g) {
            Some(at) => groups[at].push(i),
            None => {
                seen.push(*g);
                groups.push(vec![i]);
            }
        }
    }
    groups
}

/// Writes the JUnit file and the summary JSON of a run of several targets.
pub fn write_reports(results: &[TargetResult], reports: &CombinedReports) -> Result<(), RunError> {
    if let Some(path) = &reports.junit {
        let mut xml = Vec::new();
        let targets: Vec<(&str, Option<&RunReport>, Option<String>)> = results
            .iter()
            .map(|r| (r.label.as_str(), r.report(), r.error()))
            .collect();
        junit::write_targets(&targets, &mut xml)
            .map_err(|e| RunError::io("cannot write the JUnit report", e))?;
        write_atomically(path, &xml)?;
    }
    if let Some(path) = &reports.html {
        let pages: Vec<html::IndexEntry> = results
            .iter()
            .map(|r| html::IndexEntry {
                label: &r.label,
                page: per_target_path(path, &r.label)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                report: r.report(),
                error: r.error(),
            })
            .collect();
        write_atomically(path, html::index(&pages).as_bytes())?;
    }
    if let Some(path) = &reports.summary_json {
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
        write_atomically(path, &pretty(&summary::Summary::of_targets(targets)))?;
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
