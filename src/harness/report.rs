//! The vocabulary of a run's report, shared by the run that fills it in and
//! every writer that reads it (console, JUnit, HTML, summary JSON, Cucumber
//! JSON), as nextest's reporter events are shared by its displayer and its
//! JUnit writer: how each scenario ended, the report, and why a run could not
//! give one. A leaf: it depends on no other part of the harness but the
//! target's vendor id and the steps' record.

use std::io::{self, Write};
use std::path::PathBuf;

use crate::harness::state::StateError;
use crate::harness::step_log::StepRecord;
use crate::harness::target::{TargetError, VendorId};

/// How one scenario ended.
#[derive(Clone, Debug)]
pub struct ScenarioResult {
    /// The catalogue id (`LC7`), from the scenario's tag.
    pub id: Option<String>,
    pub name: String,
    /// The vendor whose features it belongs to.
    pub vendor: Option<VendorId>,
    /// The feature file, relative to the features folder (`limecraft/login.feature`).
    pub feature: String,
    /// The scenario's line in it (an outline's example row: that row's line).
    pub line: usize,
    /// How long it ran (zero when skipped).
    pub duration: std::time::Duration,
    /// Why it failed: the failed check's report (expectation, exchange, curl line), redacted.
    pub failure: Option<String>,
    pub outcome: Outcome,
    /// Reference checks that did not hold (empty under `--strict`, where they fail).
    pub warnings: Vec<Warning>,
    /// The steps as they ran (filled in when the run ends).
    pub steps: Vec<StepRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    /// Not run: the target lacks a capability; the reason says which.
    Skipped(String),
    /// Failed, as the baseline (`--baseline`) says it knowingly does: the
    /// reason given there. Does not fail the run.
    ExpectedFailure(String),
}

/// The result of a run.
#[derive(Debug, Default)]
pub struct RunReport {
    pub target_description: String,
    /// The target's name when it was one of several ([`RunOptions::label`]).
    pub label: Option<String>,
    pub scenarios: Vec<ScenarioResult>,
    pub parsing_errors: usize,
    pub hook_errors: usize,
    /// `--list`: the scenarios were listed, not run.
    pub listed: bool,
    /// Baseline entries whose scenarios all passed: (id, reason). Stale: remove them.
    pub stale_baseline: Vec<(String, String)>,
}

impl RunReport {
    pub fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.scenarios.iter().filter(|s| f(&s.outcome)).count()
    }

    pub fn passed(&self) -> usize {
        self.count(|o| *o == Outcome::Passed)
    }

    pub fn failed(&self) -> usize {
        self.count(|o| *o == Outcome::Failed)
    }

    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skipped(_)))
    }

    /// Reference checks that did not hold, over all scenarios.
    pub fn warnings(&self) -> usize {
        self.scenarios.iter().map(|s| s.warnings.len()).sum()
    }

    /// True when every scenario that ran passed, at least one ran, and the
    /// features parsed.
    pub fn succeeded(&self) -> bool {
        self.failed() == 0 && self.passed() > 0 && self.parsing_errors == 0 && self.hook_errors == 0
    }

    /// Ids of the scenarios that failed.
    pub fn failed_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .scenarios
            .iter()
            .filter(|s| s.outcome == Outcome::Failed)
            .filter_map(|s| s.id.clone())
            .collect();
        ids.dedup();
        ids
    }
}

/// Why a run gave no verdict (exit 2, [`crate::harness::exit::Exit::SETUP`]):
/// each says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A command-line value, or a file it names, is wrong.
    #[error(transparent)]
    Usage(#[from] Usage),
    /// A target file cannot be used.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// The state file of earlier runs cannot be read or written.
    #[error(transparent)]
    State(#[from] StateError),
    /// A file, folder or resource of this machine the run needs.
    #[error("{what}: {source}")]
    Io {
        /// `cannot write the report reports/junit.xml`.
        what: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The target is not ready: one line per problem (preflight).
    #[error("the target is not ready:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Preflight(Vec<String>),
    /// The server stopped answering mid-run; the report holds what ran.
    #[error("{reason}; the run stopped ({} passed, {} failed before it)", .report.passed(), .report.failed())]
    ServerGone {
        reason: String,
        report: Box<RunReport>,
    },
}

impl RunError {
    /// `what` failed for `source` (an I/O error, a writer's error).
    pub fn io(
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> RunError {
        RunError::Io {
            what: what.into(),
            source: source.into(),
        }
    }
}

/// A command-line value, or a file it names, that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Usage {
    #[error("--tags `{expr}` is not a tag expression ({reason}); example: \"@login and not @2fa\"")]
    Tags { expr: String, reason: String },
    #[error("--name `{pattern}` is not a regular expression ({reason})")]
    NamePattern { pattern: String, reason: String },
    #[error("--features {}: no such folder; give the folder that holds <vendor>/*.feature", .0.display())]
    NoFeaturesFolder(PathBuf),
    #[error("{} holds no .feature files; give the folder that holds <vendor>/*.feature", .0.display())]
    NoFeatureFiles(PathBuf),
    /// A `@needs-…` tag that names no capability.
    #[error("{file}:{line}: unknown tag @{tag}; the capabilities are @{}", .known.join(", @"))]
    UnknownTag {
        file: String,
        line: usize,
        tag: String,
        known: Vec<&'static str>,
    },
    #[error("no features for {0}")]
    NoFeaturesFor(VendorId),
    /// `--target FOLDER` that cannot be read, or holds no target file.
    #[error("--target {}: {problem}", .path.display())]
    TargetFolder { path: PathBuf, problem: String },
    /// `--baseline FILE` that cannot be used.
    #[error("--baseline {}: {problem}", .path.display())]
    Baseline { path: PathBuf, problem: String },
    /// `--rerun-failed FILE` that cannot be used.
    #[error("--rerun-failed {}: {problem}", .path.display())]
    RerunFailed { path: PathBuf, problem: String },
    #[error(
        "--vendor, --fault, --variant and --switch apply to the built-in reference server; a target file names its own vendor"
    )]
    ReferenceOnly,
    #[error(
        "--fault {fault} breaks {breaks}, which --vendor {vendor} does not run; drop --vendor or choose a {vendor} fault"
    )]
    FaultOfAnotherVendor {
        fault: &'static str,
        breaks: crate::vendor::Vendor,
        vendor: crate::vendor::Vendor,
    },
    #[error(transparent)]
    Switch(#[from] crate::reference::switch::SwitchError),
}

/// The scenarios' report of a run, even of one the server left mid-way.
pub fn report_of(result: &Result<RunReport, RunError>) -> Option<&RunReport> {
    match result {
        Ok(report) => Some(report),
        Err(RunError::ServerGone { report, .. }) => Some(report),
        Err(_) => None,
    }
}

/// A reference check that did not hold: reported, but it fails the run only
/// under `--strict`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// What was expected, in one line.
    pub expected: String,
    /// The full report: the expectation, the trail, the exchange and its curl line, redacted.
    pub detail: String,
}

impl Warning {
    /// A failure's report (redacted, `expected: …` first) kept as a warning:
    /// how a reference check that does not hold, and any failure of a
    /// `@strict-…` scenario, are reported.
    pub fn from_failure(report: String) -> Warning {
        Warning {
            expected: first_line(&report)
                .trim_start_matches("expected: ")
                .to_owned(),
            detail: report,
        }
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// Opens a report file, its folder made first (`None`: nowhere); opened
/// before the run, so a path that cannot be written fails at once.
pub(crate) fn open_report(path: &Option<PathBuf>) -> Result<Box<dyn Write>, RunError> {
    match path {
        None => Ok(Box::new(io::sink())),
        Some(p) => {
            if let Some(parent) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    RunError::io(
                        format!("cannot create the report folder {}", parent.display()),
                        e,
                    )
                })?;
            }
            let f = std::fs::File::create(p)
                .map_err(|e| RunError::io(format!("cannot write the report {}", p.display()), e))?;
            Ok(Box::new(f))
        }
    }
}
