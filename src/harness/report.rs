//! The vocabulary of a run's report, shared by the run that fills it in and
//! every writer that reads it (console, JUnit, HTML, summary JSON, Cucumber
//! JSON), as nextest's reporter events are shared by its displayer and its
//! JUnit writer: how each scenario ended, the report, and why a run could not
//! give one. A leaf: it depends on no other part of the harness but the
//! target's vendor id and the steps' record.

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
    /// Not for this target: it lacks a capability; the reason says which.
    Skipped(String),
    /// Selected and runnable, but the run stopped before it ran (or while it
    /// ran): the server stopped answering, `--max-failures`, Ctrl-C. The
    /// reason says which.
    NotRun(String),
    /// Failed, as the baseline (`--baseline`) says it knowingly does: the
    /// reason given there. Does not fail the run.
    ExpectedFailure(String),
}

impl Outcome {
    /// The word every report shows it by.
    pub fn mark(&self) -> &'static str {
        match self {
            Outcome::Passed => "PASS",
            Outcome::Failed => "FAIL",
            Outcome::Skipped(_) => "SKIP",
            Outcome::NotRun(_) => "NOT RUN",
            Outcome::ExpectedFailure(_) => "XFAIL",
        }
    }
}

/// `0.1.0 (1c0ef95a2 2026-12-05)`: the version and the commit it was built
/// from (see `build.rs`), as `--version` and the reports show it.
pub fn version() -> &'static str {
    const COMMIT: &str = env!("AUTHCONFORM_COMMIT");
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        if COMMIT.is_empty() {
            env!("CARGO_PKG_VERSION").to_owned()
        } else {
            format!("{} ({COMMIT})", env!("CARGO_PKG_VERSION"))
        }
    })
}

/// When and how a run ran, for the reports that show it (HTML).
#[derive(Clone, Debug, Default)]
pub struct RunMeta {
    /// When the run started.
    pub started: Option<jiff::Timestamp>,
    pub duration: std::time::Duration,
    /// The command line, as given.
    pub command: String,
}

impl RunMeta {
    /// A run starting now, by this process's command line.
    pub fn now() -> RunMeta {
        RunMeta {
            started: Some(jiff::Timestamp::now()),
            duration: std::time::Duration::ZERO,
            command: std::env::args()
                .map(|a| {
                    if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '\'') {
                        format!("'{}'", a.replace('\'', "'\\''"))
                    } else {
                        a
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// The result of a run.
#[derive(Debug, Default)]
pub struct RunReport {
    pub target_description: String,
    /// When and how it ran.
    pub meta: RunMeta,
    /// What preflight found worth saying that does not stop the run (the
    /// server's clock far from this machine's), one line each.
    pub notes: Vec<String>,
    /// The target's name when it was one of several ([`RunOptions::label`]).
    pub label: Option<String>,
    pub scenarios: Vec<ScenarioResult>,
    pub parsing_errors: usize,
    pub hook_errors: usize,
    /// `--list`: the scenarios were listed, not run.
    pub listed: bool,
    /// Baseline entries whose scenarios all passed: (id, reason). Stale: remove them.
    pub stale_baseline: Vec<(String, String)>,
    /// `--partition`: the shard this run was, and what `report merge` checks.
    pub shard: Option<ShardOf>,
}

/// A run of one shard (`--partition`): which, and what its summary JSON
/// carries so that `report merge` can check the shards belong together.
#[derive(Clone, Debug)]
pub struct ShardOf {
    pub partition: crate::harness::partition::Partition,
    /// A digest (FNV-1a) of what every shard of one run shares: the
    /// scenarios the run selects without the partition (feature, line,
    /// name, skip reason), `--strict` and the baseline.
    pub selection: String,
    /// The baseline (`--baseline`), applied again to the merged report.
    pub baseline: std::collections::BTreeMap<String, String>,
    /// What the reports call the target when it has no label.
    pub name: String,
    /// How many results the run gives without the partition (an outline's
    /// rows each): what the merged shards must add up to.
    pub results: usize,
}

impl RunReport {
    /// The order every report lists the scenarios in, a run's and a
    /// merge's alike: plan order (feature file, line), the skipped last.
    pub fn sort_scenarios(&mut self) {
        self.scenarios
            .sort_by(|a, b| (&a.feature, a.line).cmp(&(&b.feature, b.line)));
        self.scenarios
            .sort_by_key(|s| matches!(s.outcome, Outcome::Skipped(_)));
    }

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

    /// Selected, but not run because the run stopped.
    pub fn not_run(&self) -> usize {
        self.count(|o| matches!(o, Outcome::NotRun(_)))
    }

    /// Failed as the baseline expects.
    pub fn expected_failures(&self) -> usize {
        self.count(|o| matches!(o, Outcome::ExpectedFailure(_)))
    }

    /// The totals line: `31 passed, 2 failed, 0 skipped`, then what else
    /// there is (`, 16 not run, 2 expected failures`).
    pub fn totals(&self) -> String {
        let mut line = format!(
            "{} passed, {} failed, {} skipped",
            self.passed(),
            self.failed(),
            self.skipped()
        );
        if self.not_run() > 0 {
            line.push_str(&format!(", {} not run", self.not_run()));
        }
        match self.expected_failures() {
            0 => {}
            1 => line.push_str(", 1 expected failure"),
            n => line.push_str(&format!(", {n} expected failures")),
        }
        line
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
    /// Ctrl-C or SIGTERM (exit 130); the report holds what ran before it.
    #[error("interrupted ({signal}): {} scenario(s) not run; the reports hold what ran ({} passed, {} failed)", .report.not_run(), .report.passed(), .report.failed())]
    Interrupted {
        signal: &'static str,
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
    /// `--name` that is no scenario's id or name.
    #[error(
        "--name `{0}`: no scenario of this run has that id or name (`run --list` shows them; --name-regex matches a part of a name)"
    )]
    UnknownName(String),
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
    /// `explore --replay FILE` that cannot be used.
    #[error("--replay {}: {problem}", .path.display())]
    Replay { path: PathBuf, problem: String },
    /// `explore` of a vendor that has no model of its rules.
    #[error("{0} has no model for explore")]
    NoExploreModel(VendorId),
}

/// The scenarios' report of a run, even of one the server left mid-way.
pub fn report_of(result: &Result<RunReport, RunError>) -> Option<&RunReport> {
    match result {
        Ok(report) => Some(report),
        Err(RunError::ServerGone { report, .. } | RunError::Interrupted { report, .. }) => {
            Some(report)
        }
        Err(_) => None,
    }
}

/// A reference check that did not hold: reported, but it fails the run only
/// under `--strict`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Warning {
    /// What was expected, in one line (a spec check's problems after its colon).
    pub expected: String,
    /// What came back, in a word (`HTTP 403`), when a response did.
    pub got: Option<String>,
    /// The full report: the expectation, the trail, the exchange and its curl line, redacted.
    pub detail: String,
}

impl Warning {
    /// A failure's report (redacted, `expected: …` first) kept as a warning:
    /// how a reference check that does not hold, and any failure of a
    /// `@strict-…` scenario, are reported.
    pub fn from_failure(report: String) -> Warning {
        let Headline { expected, got } = Headline::of(&report);
        Warning {
            expected,
            got,
            detail: report,
        }
    }

    /// The warning in one line, what came back included: what the console,
    /// the summary JSON, the Cucumber JSON and the annotations show.
    pub fn headline(&self) -> String {
        Headline {
            expected: self.expected.clone(),
            got: self.got.clone(),
        }
        .to_string()
    }
}

/// A failure or warning report (`expected: …`, the scenario so far, the
/// request and response, the curl line) in one line: the expectation, its
/// problems, and what came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Headline {
    /// What was expected (without `expected: `), its problems after it.
    pub expected: String,
    /// `HTTP 403`: the status of the response the report shows.
    pub got: Option<String>,
}

impl Headline {
    pub fn of(report: &str) -> Headline {
        let mut lines = report.lines();
        let mut expected = lines
            .next()
            .unwrap_or("")
            .trim_start_matches("expected: ")
            .to_owned();
        let mut problems = Vec::new();
        let mut got = None;
        let mut in_expectation = true;
        for line in lines {
            if let Some(status) = line.strip_prefix("response: ") {
                got = Some(status.trim().to_owned());
                break;
            }
            if !line.starts_with("  ") {
                in_expectation = false;
            }
            // The expectation's own lines (a spec check's problems); not the
            // rule it cites, nor the trail and request that follow.
            if in_expectation && let Some(problem) = line.trim_start().strip_prefix("- ") {
                problems.push(problem.trim().to_owned());
            }
        }
        if !problems.is_empty() {
            let sep = if expected.ends_with(':') { " " } else { ": " };
            expected = format!("{expected}{sep}{}", problems.join("; "));
        }
        Headline { expected, got }
    }

    /// A failure report's headline as the recaps show it: `expected: …; got HTTP 200`.
    pub fn of_failure(report: &str) -> String {
        let h = Headline::of(report);
        if report.starts_with("expected: ") {
            format!("expected: {h}")
        } else {
            h.to_string()
        }
    }
}

impl std::fmt::Display for Headline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.got {
            Some(got) => write!(f, "{}; got {got}", self.expected),
            None => f.write_str(&self.expected),
        }
    }
}

impl ScenarioResult {
    /// Why it failed, in one line (what came back included); `failed` when
    /// it says nothing.
    pub fn failure_headline(&self) -> String {
        self.failure
            .as_deref()
            .map(Headline::of_failure)
            .unwrap_or_else(|| "failed".to_owned())
    }

    /// Why it did not pass: the failure's headline, the skip's or the stop's reason.
    pub fn reason(&self) -> Option<String> {
        match &self.outcome {
            Outcome::Passed => None,
            Outcome::Failed => Some(self.failure_headline()),
            Outcome::Skipped(r) | Outcome::NotRun(r) | Outcome::ExpectedFailure(r) => {
                Some(r.clone())
            }
        }
    }
}
