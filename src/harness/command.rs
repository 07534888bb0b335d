//! What `authconform run` and `authconform check` do, once the command line
//! is parsed: the binary only parses and calls these. A run of one target or
//! of several ([`many`]), its console closing part, its verdict and exit code
//! ([`Exit`]); the baseline and the rerun list read from their files.

use std::path::{Path, PathBuf};

use crate::harness::exit::Exit;
use crate::harness::github::{self, Subject};
use crate::harness::interrupt::Interrupt;
use crate::harness::many::{self, CombinedReports, TargetRun};
use crate::harness::partition::Partition;
use crate::harness::report::{RunError, RunReport, Usage, report_of};
use crate::harness::report_files::ReportFiles;
use crate::harness::runner::{self, Output, RunOptions, TargetChoice};
use crate::harness::target::{BrowserChoice, Target};
use crate::harness::{
    baseline, console, exchange, explore, preflight, state, suite, summary, world,
};
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
    /// The report files; with several targets, the Cucumber JSON and HTML
    /// reports are one file per target (`run.html` → `run.<name>.html`, and
    /// `run.html` their index).
    pub reports: ReportFiles,
    pub features: Option<PathBuf>,
    pub fault: Option<Fault>,
    pub output: Output,
    pub variant: bool,
    /// `--switch NAME=VALUE`, as given.
    pub switches: Vec<String>,
    pub strict: bool,
    pub baseline: Option<PathBuf>,
    pub list: bool,
    /// `--name`: scenario ids or exact names.
    pub names: Vec<String>,
    /// `--name-regex`.
    pub name_regex: Option<String>,
    pub rerun_failed: Option<PathBuf>,
    /// `--state`; `None`: [`state::DEFAULT_PATH`].
    pub state: Option<PathBuf>,
    pub max_failures: Option<usize>,
    /// `--browser`; `None`: the target file's, else auto.
    pub browser: Option<BrowserChoice>,
    /// `--partition K/N`: only that shard of the scenarios.
    pub partition: Option<Partition>,
}

impl Default for RunCommand {
    fn default() -> Self {
        RunCommand {
            targets: Vec::new(),
            jobs: 8,
            vendor: None,
            tags: None,
            reports: ReportFiles::default(),
            features: None,
            fault: None,
            output: Output::Console,
            variant: false,
            switches: Vec::new(),
            strict: false,
            baseline: None,
            list: false,
            names: Vec::new(),
            name_regex: None,
            rerun_failed: None,
            state: None,
            max_failures: None,
            browser: None,
            partition: None,
        }
    }
}

/// Runs the command; its exit code ([`Exit`]). Everything it has to say is
/// printed (a usage problem on stderr as one `authconform: …` line), and
/// every requested report is written, whatever the outcome.
pub async fn run(command: RunCommand) -> i32 {
    // A report path that cannot be written fails now, not after the run.
    if let Err(e) = command.reports.check() {
        console::err(&format!("authconform: {e}\n"));
        return Exit::SETUP;
    }
    let reports = command.reports.clone();
    let interrupt = Interrupt::on_signals();
    match plan(command, &interrupt).await {
        Ok(Planned::One {
            options,
            quiet,
            subject,
        }) => {
            let result = runner::run(*options).await;
            if quiet
                && let Some(report) = report_of(&result)
                && !report.listed
            {
                console::out(&report.summary());
            }
            let (code, message) = verdict(&result);
            if let Some(message) = message {
                console::err(&format!("authconform: {message}\n"));
            }
            if report_of(&result).is_none_or(|r| !r.listed) {
                tell_github(&[(&subject, &result)]);
            }
            code
        }
        Ok(Planned::Many {
            runs,
            jobs,
            reports,
        }) => run_many(runs, jobs, &reports).await,
        Err(e) => {
            // A configuration mistake: every requested report says so, as a
            // CI publisher would otherwise show nothing.
            let subject = Subject {
                label: "authconform".to_owned(),
                file: None,
            };
            let result = Err(e);
            if let Err(w) = reports.write(&subject.label, &result, None) {
                console::err(&format!("authconform: {w}\n"));
            }
            tell_github(&[(&subject, &result)]);
            if let Err(e) = result {
                console::err(&format!("authconform: {e}\n"));
            }
            Exit::SETUP
        }
    }
}

/// Under GitHub Actions: the annotations of each target, and the step summary.
fn tell_github(targets: &[(&Subject, &Result<RunReport, RunError>)]) {
    if !github::active() {
        return;
    }
    for (subject, result) in targets {
        console::workflow_commands(&github::annotations(subject, result));
    }
    github::append_step_summary(&github::step_summary(targets));
}

/// A run of one target, or of several.
enum Planned {
    One {
        options: Box<RunOptions>,
        /// `--quiet`: the closing part is printed here, not by the run.
        quiet: bool,
        /// The target, as annotations name it.
        subject: Subject,
    },
    Many {
        runs: Vec<TargetRun>,
        jobs: usize,
        reports: CombinedReports,
    },
}

/// Reads every file the command names (baseline, rerun list, target files)
/// before anything runs: a mistake in one is one clear line.
async fn plan(command: RunCommand, interrupt: &Interrupt) -> Result<Planned, RunError> {
    let RunCommand {
        targets,
        jobs,
        vendor,
        tags,
        reports,
        features,
        fault,
        output,
        variant,
        switches,
        strict,
        baseline,
        list,
        names,
        name_regex,
        rerun_failed,
        state,
        max_failures,
        browser,
        partition,
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
    // Checked before any target file loads: a wrong switch is one clear line.
    Switches::from_args(variant, &switches).map_err(Usage::from)?;
    // Every target file loads before anything runs: a mistake in one is one
    // clear line, not a run of the others that ends in exit 2 anyway.
    let mut loaded = Vec::new();
    for path in &paths {
        loaded.push(Target::load(path)?);
    }
    let reference_run = paths.is_empty();
    let options = |target: TargetChoice, reports: ReportFiles| RunOptions {
        target,
        tags: tags.clone(),
        reports,
        features_dir: features.clone(),
        output,
        strict,
        skip_preflight: false,
        list,
        baseline: baseline.clone(),
        max_failures,
        names: names.clone(),
        name_regex: name_regex.clone(),
        only: only.clone(),
        state: Some(state.clone().unwrap_or_else(|| state::DEFAULT_PATH.into())),
        label: None,
        partition,
        interrupt: Some(interrupt.clone()),
        // Against the reference server the default is auto too (its own
        // target otherwise plays over HTTP, as the tests do).
        browser: browser
            .clone()
            .or_else(|| reference_run.then_some(BrowserChoice::Auto)),
    };
    let labels = many::labels(&paths);
    if loaded.len() > 1 {
        let runs = loaded
            .into_iter()
            .zip(labels)
            .zip(paths)
            .map(|((t, label), file)| {
                // The JUnit file and the summary gather every target (below);
                // the Cucumber JSON and HTML reports are one file per target.
                let own = ReportFiles {
                    junit: None,
                    summary_json: None,
                    cucumber_json: reports
                        .cucumber_json
                        .as_deref()
                        .map(|p| many::per_target_path(p, &label)),
                    html: reports
                        .html
                        .as_deref()
                        .map(|p| many::per_target_path(p, &label)),
                };
                TargetRun {
                    options: options(TargetChoice::External(Box::new(t)), own),
                    subject: Subject {
                        label: label.clone(),
                        file: Some(file),
                    },
                    label,
                }
            })
            .collect();
        return Ok(Planned::Many {
            runs,
            // A listing is read top to bottom: one target after the other.
            jobs: if list { 1 } else { jobs },
            reports: CombinedReports {
                junit: reports.junit.clone(),
                summary_json: reports.summary_json.clone(),
                html: reports.html.clone(),
            },
        });
    }
    let (choice, subject) = match loaded.pop() {
        Some(t) => (
            TargetChoice::External(Box::new(t)),
            Subject {
                label: labels.into_iter().next().unwrap_or_default(),
                file: paths.into_iter().next(),
            },
        ),
        None => {
            let choice = reference_choice(vendor, fault, variant, &switches)?;
            let subject = Subject {
                label: choice.name(),
                file: None,
            };
            (choice, subject)
        }
    };
    Ok(Planned::One {
        options: Box::new(options(choice, reports)),
        quiet: output == Output::Quiet,
        subject,
    })
}

/// The in-process reference server a command without a target file runs
/// against: `--vendor` (or the vendor `--fault` breaks, else every vendor),
/// with the fault and the switches.
fn reference_choice(
    vendor: Option<Vendor>,
    fault: Option<Fault>,
    variant: bool,
    switches: &[String],
) -> Result<TargetChoice, RunError> {
    let switches = Switches::from_args(variant, switches).map_err(Usage::from)?;
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
    Ok(TargetChoice::Reference {
        vendors,
        fault,
        variant,
        switches,
    })
}

/// `authconform explore`, as the command line gave it.
#[derive(Clone, Debug)]
pub struct ExploreCommand {
    /// The target file; none: the in-process reference server.
    pub target: Option<PathBuf>,
    /// `--state`; `None`: [`state::DEFAULT_PATH`].
    pub state: Option<PathBuf>,
    pub vendor: Option<Vendor>,
    pub fault: Option<Fault>,
    pub variant: bool,
    /// `--switch NAME=VALUE`, as given.
    pub switches: Vec<String>,
    pub cases: u32,
    pub seconds: Option<u64>,
    pub max_steps: usize,
    /// `None`: drawn, and printed.
    pub seed: Option<u64>,
    pub replay: Option<PathBuf>,
    pub inputs: explore::Inputs,
    pub wrong_passwords: u32,
    pub keep_going: bool,
    pub strict: bool,
    /// Where each finding's replay file and curl script are written.
    pub out: PathBuf,
    /// The report files (no Cucumber JSON: explore runs no feature file).
    pub reports: ReportFiles,
    pub output: Output,
}

/// Runs `explore`; its exit code ([`Exit`]), as `run`'s: every requested
/// report is written whatever the outcome, and GitHub is told.
pub async fn explore(command: ExploreCommand) -> i32 {
    if let Err(e) = command.reports.check() {
        console::err(&format!("authconform: {e}\n"));
        return Exit::SETUP;
    }
    let reports = command.reports.clone();
    let quiet = command.output == Output::Quiet;
    let (subject, result) = match explore_options(command) {
        Ok((options, subject)) => {
            let result = explore::explore(options).await.map(|r| r.report);
            (subject, result)
        }
        Err(e) => (
            Subject {
                label: "authconform".to_owned(),
                file: None,
            },
            Err(e),
        ),
    };
    if quiet && let Ok(report) = &result {
        console::out(&report.summary());
    }
    if let Err(w) = reports.write(&subject.label, &result, None) {
        console::err(&format!("authconform: {w}\n"));
    }
    tell_github(&[(&subject, &result)]);
    let (code, message) = verdict(&result);
    if let Some(message) = message {
        console::err(&format!("authconform: {message}\n"));
    }
    code
}

/// The options of an `explore` command, and its target as annotations name it.
fn explore_options(c: ExploreCommand) -> Result<(explore::ExploreOptions, Subject), RunError> {
    let (choice, subject) = match &c.target {
        Some(path) => {
            if c.vendor.is_some() || c.fault.is_some() || c.variant || !c.switches.is_empty() {
                return Err(Usage::ReferenceOnly.into());
            }
            let target = Target::load(path)?;
            (
                TargetChoice::External(Box::new(target)),
                Subject {
                    label: many::labels(std::slice::from_ref(path))
                        .pop()
                        .unwrap_or_default(),
                    file: Some(path.clone()),
                },
            )
        }
        None => {
            let choice = reference_choice(c.vendor, c.fault, c.variant, &c.switches)?;
            let subject = Subject {
                label: choice.name(),
                file: None,
            };
            (choice, subject)
        }
    };
    let seed = c.seed.unwrap_or_else(explore::fresh_seed);
    if c.replay.is_none() {
        console::out(&format!(
            "authconform explore: seed {seed} (draw the same cases again with --seed {seed})\n"
        ));
    }
    let options = explore::ExploreOptions {
        target: choice,
        plan: explore::Plan {
            seed,
            cases: c.cases,
            time: c.seconds.map(std::time::Duration::from_secs),
            max_steps: c.max_steps,
            wrong_passwords: c.wrong_passwords,
            keep_going: c.keep_going,
            ..explore::Plan::default()
        },
        replay: c.replay,
        inputs: c.inputs,
        strict: c.strict,
        output: c.output,
        out_dir: Some(c.out),
        state: Some(c.state.unwrap_or_else(|| state::DEFAULT_PATH.into())),
        skip_preflight: false,
        interrupt: Some(Interrupt::on_signals()),
    };
    Ok((options, subject))
}

/// Several targets: each one's closing part in the order given, then a line
/// per target that was not checked and the totals; the worst exit code.
async fn run_many(runs: Vec<TargetRun>, jobs: usize, reports: &CombinedReports) -> i32 {
    let listing = runs.first().is_some_and(|r| r.options.list);
    let subjects: Vec<Subject> = runs.iter().map(|r| r.subject.clone()).collect();
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
        worst = worst.max(Exit::SETUP);
    }
    if !listing {
        let count = |code: i32| codes.iter().filter(|c| **c == code).count();
        let interrupted = count(Exit::INTERRUPTED);
        console::out(&format!(
            "\n{} targets: {} passed, {} failed, {} not checked{}\n",
            results.len(),
            count(Exit::PASSED),
            count(Exit::FAILED),
            count(Exit::SETUP),
            if interrupted > 0 {
                format!(", {interrupted} interrupted")
            } else {
                String::new()
            }
        ));
        let told: Vec<(&Subject, &Result<RunReport, RunError>)> = subjects
            .iter()
            .zip(results.iter().map(|r| &r.result))
            .collect();
        tell_github(&told);
    }
    for line in lines {
        console::err(&format!("{line}\n"));
    }
    worst
}

/// `authconform report merge`: the shards' reports (`inputs`: files or
/// folders) written as one run's into `reports`, its closing part printed;
/// the exit code one run would have had ([`verdict`]), or 2 when the
/// shards cannot be merged (every requested report then says why).
pub fn report_merge(inputs: &[PathBuf], reports: ReportFiles) -> i32 {
    if let Err(e) = reports.check() {
        console::err(&format!("authconform: {e}\n"));
        return Exit::SETUP;
    }
    let (label, result, cucumber) =
        match crate::harness::merge::merge_files(inputs, reports.cucumber_json.is_some()) {
            Ok(merged) => (merged.label, merged.result, merged.cucumber),
            Err(e) => (
                "authconform".to_owned(),
                Err(RunError::io("cannot merge the shards' reports", e)),
                None,
            ),
        };
    if let Some(report) = report_of(&result) {
        console::out(&report.summary());
    }
    let written = reports.write(&label, &result, cucumber);
    let (code, message) = match (written, &result) {
        (Err(e), Ok(_)) => (Exit::SETUP, Some(e.to_string())),
        (written, _) => {
            if let Err(e) = written {
                console::err(&format!("authconform: {e}\n"));
            }
            verdict(&result)
        }
    };
    if let Some(message) = message {
        console::err(&format!("authconform: {message}\n"));
    }
    code
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
        Err(e @ RunError::Interrupted { .. }) => (Exit::INTERRUPTED, Some(e.to_string())),
        Err(e) => (Exit::SETUP, Some(e.to_string())),
    }
}

/// `authconform check`: loads the target file, runs preflight only, and
/// prints the plan; the exit code ([`Exit::PASSED`] when ready).
pub async fn check(path: &Path, state: Option<PathBuf>, tags: Option<String>) -> i32 {
    match check_target(path, state, tags).await {
        Ok(ready) => {
            println!("authconform: {ready}");
            Exit::PASSED
        }
        Err(e) => {
            console::err(&format!("authconform: {e}\n"));
            Exit::SETUP
        }
    }
}

/// What `check` says of a ready target, or why it is not.
async fn check_target(
    path: &Path,
    state: Option<PathBuf>,
    tags: Option<String>,
) -> Result<String, RunError> {
    let target = Target::load(path)?;
    let http = exchange::HttpClient::new(
        suite::Suite::of(target.vendor).spec(),
        &target.base_url,
        target.insecure_tls,
        target.timeout,
    )
    .map_err(|e| RunError::io("cannot build the HTTP client", e))?;
    // What the server offers where its document leaves it open (LiquidFiles'
    // logins) is found out first, as a run does.
    let mut target = target;
    for line in suite::Suite::of(target.vendor)
        .discover(&mut target, &http)
        .await
    {
        console::out(&format!("authconform: {line}\n"));
    }
    // The run context registers every secret of the target for redaction.
    let ctx = world::RunContext::new(target, http, false);
    let state = state::State::from_env(state.unwrap_or_else(|| state::DEFAULT_PATH.into()))?;
    ctx.remember_enrolment_from(&state)?;
    let plan = runner::plan_for(&ctx, tags)?;
    let problems = preflight::check(&ctx).await;
    if !problems.is_empty() {
        return Err(RunError::Preflight(problems));
    }
    Ok(format!(
        "{} at {} is ready: it answers and its accounts sign on\n{plan}",
        ctx.target.vendor, ctx.target.base_url
    ))
}

/// `authconform init --vendor V`: the vendor's example target file, as
/// `fixtures/<vendor>.target.yaml` has it (compiled in, for whoever has only
/// the binary).
pub fn example_target(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Limecraft => include_str!("../../fixtures/limecraft.target.yaml"),
        Vendor::Lac => include_str!("../../fixtures/lac.target.yaml"),
        Vendor::FileVerbs => include_str!("../../fixtures/fileverbs.target.yaml"),
        Vendor::LiquidFiles => include_str!("../../fixtures/liquidfiles.target.yaml"),
    }
}

/// `authconform state secret`: the TOTP secret the state file holds for the
/// target file's two-factor account, on stdout (and nothing else there).
pub fn state_secret(target: &Path, state: Option<PathBuf>) -> i32 {
    let found = (|| -> Result<String, RunError> {
        let target = Target::load(target)?;
        let state = state::State::from_env(state.unwrap_or_else(|| state::DEFAULT_PATH.into()))?;
        let Some(account) = &target.users.twofactor else {
            return Err(RunError::io(
                "the target file has no users.twofactor account",
                "nothing to read",
            ));
        };
        match state.enrolment(&target.base_url, &account.username)? {
            Some(e) => Ok(crate::totp::encode_secret(&e.secret)),
            None => Err(RunError::io(
                format!(
                    "the state file {} knows no secret of {} at {}",
                    state.path().display(),
                    account.username,
                    target.base_url
                ),
                "no run has enrolled it with this state file",
            )),
        }
    })();
    match found {
        Ok(secret) => {
            println!("{secret}");
            crate::harness::console::err(
                "authconform: keep it as a masked pipeline secret and give it as users.twofactor.totp_secret: \"${…}\"\n",
            );
            Exit::PASSED
        }
        Err(e) => {
            console::err(&format!("authconform: {e}\n"));
            Exit::SETUP
        }
    }
}

/// `authconform clock --control-url URL [--reset]`: the server's clock
/// against this machine's, and its reset.
pub async fn clock(control_url: &str, reset: bool) -> i32 {
    let control = crate::harness::control_api::ControlApi::Controlled {
        root: control_url.trim_end_matches('/').to_owned(),
        client: reqwest::Client::new(),
    };
    let now = if reset {
        control.reset().await
    } else {
        control.now().await
    };
    match now {
        Ok(now) => {
            let skew = now - crate::clock::system_now();
            println!(
                "authconform: the clock at {control_url} is {}{}",
                crate::harness::preflight::describe_skew(skew),
                if reset { " (reset)" } else { "" }
            );
            Exit::PASSED
        }
        Err(e) => {
            console::err(&format!("authconform: {e}\n"));
            Exit::SETUP
        }
    }
}
