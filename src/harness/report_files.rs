//! The report files a run writes (`--junit`, `--cucumber-json`,
//! `--summary-json`, `--html`), whatever the run's outcome: a report, or an
//! error (the target is not ready, a configuration mistake, the server gone,
//! Ctrl-C) as one errored test case that says why, so a CI publisher always
//! has something to show.
//!
//! Every path is checked before the run ([`ReportFiles::check`]: a folder
//! that cannot be made or written fails at once, not after the run), and
//! every file is written whole or not at all (a temporary file beside it,
//! renamed over it): never a 0-byte file.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::report::{RunError, RunReport, report_of};
use crate::harness::{cucumber_json, html, junit, summary};

/// Where each requested report goes (`None`: not requested).
#[derive(Clone, Debug, Default)]
pub struct ReportFiles {
    pub junit: Option<PathBuf>,
    pub cucumber_json: Option<PathBuf>,
    pub summary_json: Option<PathBuf>,
    pub html: Option<PathBuf>,
}

impl ReportFiles {
    /// The requested reports, each with the option that asked for it.
    pub fn requested(&self) -> Vec<(&'static str, &Path)> {
        [
            ("--junit", &self.junit),
            ("--cucumber-json", &self.cucumber_json),
            ("--summary-json", &self.summary_json),
            ("--html", &self.html),
        ]
        .into_iter()
        .filter_map(|(flag, p)| p.as_deref().map(|p| (flag, p)))
        .collect()
    }

    pub fn any(&self) -> bool {
        !self.requested().is_empty()
    }

    /// Before the run: each report's folder exists (it is made) and takes a
    /// file, and the path is not a folder. Leaves nothing behind but the
    /// folders it made.
    pub fn check(&self) -> Result<(), RunError> {
        for (flag, path) in self.requested() {
            let cannot = |e: std::io::Error| {
                RunError::io(
                    format!("{flag} {}: cannot write the report there", path.display()),
                    e,
                )
            };
            if path.is_dir() {
                return Err(cannot(std::io::Error::new(
                    std::io::ErrorKind::IsADirectory,
                    "it is a folder; give a file name",
                )));
            }
            let dir = folder_of(path);
            std::fs::create_dir_all(dir).map_err(cannot)?;
            tempfile::NamedTempFile::new_in(dir).map_err(cannot)?;
        }
        Ok(())
    }

    /// Writes every requested report of one target's run (`label`: its name
    /// in a run of several, or what a report calls a lone target). `cucumber`
    /// is cucumber's own report, mended, when the run got that far.
    pub fn write(
        &self,
        label: &str,
        result: &Result<RunReport, RunError>,
        cucumber: Option<Vec<Value>>,
    ) -> Result<(), RunError> {
        let report = report_of(result);
        let error = result.as_ref().err().map(ToString::to_string);
        if let Some(path) = &self.junit {
            let mut xml = Vec::new();
            match (&error, report) {
                (None, Some(report)) => junit::write(report, &mut xml),
                _ => junit::write_targets(&[(label, report, error.clone())], &mut xml),
            }
            .map_err(|e| RunError::io("cannot write the JUnit report", e))?;
            write_atomically(path, &xml)?;
        }
        if let Some(path) = &self.cucumber_json {
            let mut features = cucumber.unwrap_or_default();
            if let Some(error) = &error {
                features.extend(cucumber_json::of_error(label, error));
            }
            write_atomically(path, &pretty(&features))?;
        }
        if let Some(path) = &self.summary_json {
            let mut s = summary::Summary::of(report.unwrap_or(&RunReport::default()));
            s.error = error.clone();
            // A shard says why it stopped, for `report merge` to say it again.
            if let Some(shard) = &mut s.shard {
                match result {
                    Err(RunError::Interrupted { signal, .. }) => {
                        shard.interrupted = Some((*signal).to_owned())
                    }
                    Err(RunError::ServerGone { reason, .. }) => {
                        shard.server_gone = Some(reason.clone())
                    }
                    _ => {}
                }
            }
            write_atomically(path, &pretty(&s))?;
        }
        if let Some(path) = &self.html {
            let page = match report {
                Some(report) => html::render(report, error.as_deref()),
                None => html::render_error(label, error.as_deref().unwrap_or("")),
            };
            write_atomically(path, page.as_bytes())?;
        }
        Ok(())
    }
}

/// JSON as people read it, with a final newline.
pub(crate) fn pretty(value: &impl serde::Serialize) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).unwrap_or_default();
    out.push(b'\n');
    out
}

fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `bytes` to `path` whole: into a temporary file beside it, then
/// renamed over it, so a reader (or a run killed mid-way) never sees half a
/// report or an empty one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    let cannot = |e: std::io::Error| RunError::io(format!("cannot write {}", path.display()), e);
    let dir = folder_of(path);
    std::fs::create_dir_all(dir).map_err(cannot)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(cannot)?;
    temp.write_all(bytes).map_err(cannot)?;
    // A temporary file is its owner's only; a report is for whoever reads
    // the build's files, as one `File::create` would make it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(cannot)?;
    }
    temp.persist(path).map_err(|e| cannot(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::report::Usage;

    #[test]
    fn a_path_that_cannot_take_a_report_is_refused_before_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let ok = ReportFiles {
            junit: Some(dir.path().join("new/sub/junit.xml")),
            ..ReportFiles::default()
        };
        ok.check().unwrap();
        assert!(dir.path().join("new/sub").is_dir());
        assert_eq!(
            std::fs::read_dir(dir.path().join("new/sub"))
                .unwrap()
                .count(),
            0,
            "the check leaves no file behind"
        );
        let folder = ReportFiles {
            html: Some(dir.path().to_path_buf()),
            ..ReportFiles::default()
        };
        assert!(matches!(folder.check(), Err(RunError::Io { .. })));
        let file = dir.path().join("a-file");
        std::fs::write(&file, "x").unwrap();
        let under_a_file = ReportFiles {
            summary_json: Some(file.join("summary.json")),
            ..ReportFiles::default()
        };
        assert!(matches!(under_a_file.check(), Err(RunError::Io { .. })));
    }

    #[test]
    fn an_error_is_written_into_every_report_as_what_went_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let files = ReportFiles {
            junit: Some(dir.path().join("j.xml")),
            cucumber_json: Some(dir.path().join("c.json")),
            summary_json: Some(dir.path().join("s.json")),
            html: Some(dir.path().join("r.html")),
        };
        let error = Err(RunError::Usage(Usage::ReferenceOnly));
        files.write("eu-west", &error, None).unwrap();
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
        let junit = read("j.xml");
        assert!(
            junit.contains("<error") && junit.contains("a target file names its own vendor"),
            "{junit}"
        );
        let cucumber: Value = serde_json::from_str(&read("c.json")).unwrap();
        assert_eq!(
            cucumber[0]["elements"][0]["steps"][0]["result"]["status"],
            "failed"
        );
        let summary: Value = serde_json::from_str(&read("s.json")).unwrap();
        assert!(summary["error"].as_str().unwrap().contains("--vendor"));
        assert!(read("r.html").contains("a target file names its own vendor"));
    }
}
