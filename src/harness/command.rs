//! What `authconform run` and `authconform check` do, once the command line
//! is parsed: the binary only parses and calls these. A run of one target or
//! of several ([`many`]), its console closing part, its verdict and exit code
//! ([`Exit`]); the baseline and the rerun list read from their files.

use std::path::{Path, PathBuf};

use crate::harness::exit::Exit;
use crate::harness::many::{self, CombinedReports, TargetRun};
use crate::harness::report::{RunError, RunReport, Usage, report_of};
use crate::harness::runner::{self, Output, RunOptions, TargetChoice};
use crate::harness::target::Target;
use crate::harness::{baseline, console, exchange, preflight, state, suite, summary, world};
use crate::reference::fault::Fault;
use crate::reference::switch::Switches;
use crate::vendor::Vendor;

/// `authconform run`, as the command line gave it.
#[derive(Clone, Debug)]
pub struct RunCommand {
    /// Target files and folders of them; none: the in-process reference server.
    pub targets: Vec<PathBuf>,
    /// With several targets: how many are checked at once.
    pub jobs: usize,
    pub vendor: Option<Vendor>,
    pub tags: Option<String>,
    pub junit: Option<PathBuf>,
    pub cucumber_json: Option<PathBuf>,
    pub features: Option<PathBuf>,
    pub fault: Option<Fault>,
    pub output: Output,
    pub variant: bool,
    /// `--switch NAME=VALUE`, as given.
    pub switches: Vec<String>,
    pub strict: bool,
    pub summary_json: Option<PathBuf>,
    pub html: Option<PathBuf>,
    pub baseline: Option<PathBuf>,
    pub list: bool,
    pub name: Option<String>,
    pub rerun_failed: Option<PathBuf>,
    /// `--state`; `None`: [`state::DEFAULT_PATH`].
    pub state: Option<PathBuf>,
    pub max_failures: Option<usize>,
}

impl Default for RunCommand {
    fn default() -> Self {
        RunCommand {
            targets: Vec::new(),
            jobs: 8,
            vendor: None,
            tags: None,
            junit: None,
            cucumber_json: None,
            features: None,
            fault: None,
            output: Output::Console,
            variant: false,
            switches: Vec::new(),
            strict: false,
            summary_json: None,
            html: None,
            baseline: None,
            list: false,
            name: None,
            rerun_failed: None,
            state: None,
            max_failures: None,
        }
    }
}

/// Runs the command; its exit code ([`Exit`]). Everything it has to say is
/// printed (a usage problem on stderr as one `authconform: …` line).
pub async fn run(command: RunCommand) -> i32 {
    match plan(command).await {
        Ok(Planned::One { options, quiet }) => {
            let result = runner::run(*options).await;
            if quiet
                && let Some(report) = report_of(&result)
                && !report.listed
            {
                console::out(&report.summary());
            }
            let (code, message) = verdict(&result);
            if let Some(message) = message {
                eprintln!("authconform: {message}");
            }
            code
        }
        Ok(Planned::Many {
            runs,
            jobs,
            reports,
        }) => run_many(runs, jobs, &reports).await,
        Err(e) => {
            eprintln!("authconform: {e}");
            Exit::SETUP
        }
    }
}

/// A run of one target, or of several.
enum Planned {
    One {
        options: Box<RunOptions>,
        /// `--quiet`: the closing part is printed here, not by the run.
        quiet: bool,
    },
    Many {
        runs: Vec<TargetRun>,
        jobs: usize,
        reports: CombinedReports,
    },
}

/// Reads every file the command names (baseline, rerun list, target files)
/// before anything runs: a mistake in one is one clear line.
async fn plan(command: RunCommand) -> Result<Planned, RunError> {
    let RunCommand {
        targets,
        jobs,
        vendor,
        tags,
        junit,
        cucumber_json,
        features,
        fault,
        output,
        variant,
        switches,
        strict,
        summary_json,
        html,
        baseline,
        list,
        name,
        rerun_failed,
        state,
        max_failures,
    } = command;
    let baseline = match baseline {
        None => Default::default(),
        Some(path) => baseline::read(&path)?,
    };
    let only = match rerun_failed {
        None => None,
        Some(path) => Some(summary::Summary::read_failed(&path)?),
    };
    let paths = many::expand_target_paths(&targets)?;
    if !paths.is_empty() && (vendor.is_some() || fault.is_some() || variant || !switches.is_empty())
    {
        return Err(Usage::ReferenceOnly.into());
    }
    let switches = Switches::from_args(variant, &switches).map_err(Usage::from)?;
    // Every target file loads before anything runs: a mistake in one is one
    // clear line, not a run of the others that ends in exit 2 anyway.
    let mut loaded = Vec::new();
    for path in &paths {
        loaded.push(Target::load(path)?);
    }
    let options = |target: TargetChoice| RunOptions {
        target,
        tags: tags.clone(),
        junit: junit.clone(),
        cucumber_json: cucumber_json.clone(),
        features_dir: features.clone(),
        output,
        strict,
        skip_preflight: false,
        list,
        baseline: baseline.clone(),
        max_failures,
        summary_json: summary_json.clone(),
        html: html.clone(),
        name: name.clone(),
        only: only.clone(),
        state: Some(state.clone().unwrap_or_else(|| state::DEFAULT_PATH.into())),
        label: None,
    };
    if loaded.len() > 1 {
        let labels = many::labels(&paths);
        let runs = loaded
            .into_iter()
            .zip(labels)
            .map(|(t, label)| {
                let mut options = options(TargetChoice::External(Box::new(t)));
                // The JUnit file and the summary gather every target (below);
                // the Cucumber JSON and HTML reports are one file per target.
                options.junit = None;
                options.summary_json = None;
                options.cucumber_json = cucumber_json
                    .as_deref()
                    .map(|p| many::per_target_path(p, &label));
                options.html = html.as_deref().map(|p| many::per_target_path(p, &label));
                TargetRun { label, options }
            })
            .collect();
        return Ok(Planned::Many {
            runs,
            // A listing is read top to bottom: one target after the other.
            jobs: if list { 1 } else { jobs },
            reports: CombinedReports {
                junit,
                summary_json,
            },
        });
    }
    let choice = match loaded.pop() {
        Some(t) => TargetChoice::External(Box::new(t)),
        None => {
            let vendors = match (vendor, fault) {
                (Some(v), _) => vec![v],
                // A fault breaks one vendor: run that vendor.
                (None, Some(f)) => vec![f.vendor()],
                (None, None) => Vendor::ALL.to_vec(),
            };
            if let Some(f) = fault
                && !vendors.contains(&f.vendor())
            {
                return Err(Usage::FaultOfAnotherVendor {
                    fault: f.name(),
                    breaks: f.vendor(),
                    vendor: vendors[0],
                }
                .into());
            }
            TargetChoice::Reference {
                vendors,
                fault,
                variant,
                switches,
            }
        }
    };
    Ok(Planned::One {
        options: Box::new(options(choice)),
        quiet: output == Output::Quiet,
    })
}

/// Several targets: each one's closing part in the order given, then a line
/// per target that was not checked and the totals; the worst exit code.
async fn run_many(runs: Vec<TargetRun>, jobs: usize, reports: &CombinedReports) -> i32 {
    let listing = runs.first().is_some_and(|r| r.options.list);
    let results = many::run_targets(runs, jobs).await;
    let mut codes = Vec::new();
    let mut lines = Vec::new();
    for r in &results {
        if let Some(report) = report_of(&r.result)
            && !listing
        {
            console::out(&report.summary());
        }
        let (code, message) = verdict(&r.result);
        codes.push(code);
        if let Some(message) = message {
            lines.push(format!("authconform: {}: {message}", r.label));
        }
    }
    let mut worst = codes.iter().copied().max().unwrap_or(Exit::PASSED);
    if let Err(e) = many::write_reports(&results, reports) {
        lines.push(format!("authconform: {e}"));
        worst = Exit::SETUP;
    }
    if !listing {
        let count = |code: i32| codes.iter().filter(|c| **c == code).count();
        console::out(&format!(
            "\n{} targets: {} passed, {} failed, {} not checked\n",
            results.len(),
            count(Exit::PASSED),
            count(Exit::FAILED),
            count(Exit::SETUP)
        ));
    }
    for line in lines {
        eprintln!("{line}");
    }
    worst
}

/// A run's exit code ([`Exit`]) and what to say on stderr.
pub fn verdict(result: &Result<RunReport, RunError>) -> (i32, Option<String>) {
    match result {
        Ok(report) if report.listed => (Exit::PASSED, None),
        Ok(report) if report.passed() == 0 && report.failed() == 0 => (
            Exit::SETUP,
            Some("no scenario ran; check --tags and the target's capabilities".to_owned()),
        ),
        Ok(report) if report.succeeded() => (Exit::PASSED, None),
        Ok(_) => (Exit::FAILED, None),
        Err(RunError::ServerGone { reason, .. }) => (
            Exit::SETUP,
            Some(format!(
                "{reason}; fix the server or base_url and run again"
            )),
        ),
        Err(e) => (Exit::SETUP, Some(e.to_string())),
    }
}

/// `authconform check`: loads the target file and runs preflight only; the
/// exit code ([`Exit::PASSED`] when ready).
pub async fn check(path: &Path, state: Option<PathBuf>) -> i32 {
    match check_target(path, state).await {
        Ok(ready) => {
            println!("authconform: {ready}");
            Exit::PASSED
        }
        Err(e) => {
            eprintln!("authconform: {e}");
            Exit::SETUP
        }
    }
}

/// What `check` says of a ready target, or why it is not.
async fn check_target(path: &Path, state: Option<PathBuf>) -> Result<String, RunError> {
    let target = Target::load(path)?;
    let http = exchange::HttpClient::new(
        suite::Suite::of(target.vendor).spec(),
        &target.base_url,
        target.insecure_tls,
        target.timeout,
    )
    .map_err(|e| RunError::io("cannot build the HTTP client", e))?;
    // The run context registers every secret of the target for redaction.
    let ctx = world::RunContext::new(target, http, false);
    let state = state::State::at(state.unwrap_or_else(|| state::DEFAULT_PATH.into()));
    ctx.remember_enrolment_from(&state)?;
    let problems = preflight::check(&ctx).await;
    if !problems.is_empty() {
        return Err(RunError::Preflight(problems));
    }
    Ok(format!(
        "{} at {} is ready: it answers and its accounts sign on",
        ctx.target.vendor, ctx.target.base_url
    ))
}
