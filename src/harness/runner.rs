//! Running the suite: [`run`] reads the features, keeps the scenarios the
//! filter selects (`--tags`, `--name`, the rerun list, the target's
//! capabilities: [`select`], the one filter), runs them one at a time with a
//! fresh [`ConformanceWorld`] each, and returns a [`RunReport`] that every
//! writer reads.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::tag::Ext as _;
use cucumber::writer::{self, Coloring};
use cucumber::{World as _, WriterExt as _, event};

use crate::harness::exchange::HttpClient;
use crate::harness::interrupt::Interrupt;
use crate::harness::partition::{self, Partition};
use crate::harness::report::{
    Outcome, RunError, RunReport, ScenarioResult, ShardOf, Usage, Warning,
};
use crate::harness::report_files::ReportFiles;
use crate::harness::suite::Suite;
use crate::harness::target::VendorId;
use crate::harness::target::{BrowserChoice, Target};
use crate::harness::world::{ConformanceWorld, RunContext};
use crate::harness::{
    baseline, console, cucumber_json, features, preflight, state, step_log, suite, world,
};
use crate::reference::fault::Fault;
use crate::reference::{ReferenceConfig, ReferenceServer, RunningServer};
use crate::vendor::Vendor;

/// What to run against.
pub enum TargetChoice {
    /// Start one reference server in-process (optionally with a fault, or as
    /// the variant: another conforming server) and run these vendors' features
    /// against it.
    Reference {
        vendors: Vec<Vendor>,
        fault: Option<Fault>,
        variant: bool,
        /// Its choices where the documents are silent (`reference::switch`).
        switches: crate::reference::switch::Switches,
    },
    /// A server described by a target file.
    External(Box<Target>),
}

impl TargetChoice {
    /// What a report calls the target when it has no label: its vendors.
    pub fn name(&self) -> String {
        match self {
            TargetChoice::External(t) => t.vendor.to_string(),
            TargetChoice::Reference { vendors, .. } => {
                let ids: Vec<&str> = vendors.iter().map(|v| v.id()).collect();
                format!("reference server ({})", ids.join(", "))
            }
        }
    }
}

/// Where console output goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// A line per scenario as it ends, failures in full, then the closing recap.
    Console,
    /// Cucumber's own step-by-step output, then the closing recap.
    Verbose,
    /// Nothing while running (the caller prints the summary if it wants it).
    Quiet,
}

pub struct RunOptions {
    pub target: TargetChoice,
    /// A tag expression (`@login and not @2fa`); `None` runs everything.
    pub tags: Option<String>,
    /// The report files to write, whatever the run's outcome.
    pub reports: ReportFiles,
    /// A features directory to use instead of the compiled-in features.
    pub features_dir: Option<PathBuf>,
    pub output: Output,
    /// `--strict`: reference checks fail the run instead of warning.
    pub strict: bool,
    /// Only these scenarios (`--name`): each a catalogue id (`LC1`) or a
    /// scenario's exact name; empty: all.
    pub names: Vec<String>,
    /// Only the scenarios whose name matches this regular expression (`--name-regex`).
    pub name_regex: Option<String>,
    /// Only these scenarios, (feature relative to the features folder, line,
    /// name): the failed ones of an earlier summary JSON (`--rerun-failed`).
    pub only: Option<Vec<(String, usize, String)>>,
    /// The state file of runs against a target file (`--state`); `None`: none.
    pub state: Option<PathBuf>,
    /// `--list`: print every scenario and whether it would run; run nothing.
    pub list: bool,
    /// Known deviations (`--baseline`): scenario id → reason.
    pub baseline: std::collections::BTreeMap<String, String>,
    /// Run the scenarios even when the preflight of a target file finds problems.
    pub skip_preflight: bool,
    /// `--max-failures N`: stop after N failed scenarios (the rest are reported as not run).
    pub max_failures: Option<usize>,
    /// One of several targets ([`many`]): the target's name, before each
    /// progress line and in the report; the caller prints the closing part.
    pub label: Option<String>,
    /// `--browser`: the browser a vendor's browser flows run in, over the
    /// target file's (`None`: the target's own; the reference server's
    /// accounts play over HTTP unless told).
    pub browser: Option<BrowserChoice>,
    /// Ctrl-C / SIGTERM: when it is triggered, the run stops after the
    /// current request, cleans up and reports what ran ([`RunError::Interrupted`]).
    pub interrupt: Option<Interrupt>,
    /// `--partition K/N`: only this shard of the selected scenarios ([`partition`]).
    pub partition: Option<Partition>,
}

impl RunOptions {
    /// Every vendor against an in-process reference server.
    pub fn reference() -> Self {
        Self::reference_for(Vendor::ALL.to_vec())
    }

    /// These vendors against an in-process reference server.
    pub fn reference_for(vendors: Vec<Vendor>) -> Self {
        RunOptions {
            target: TargetChoice::Reference {
                vendors,
                fault: None,
                variant: false,
                switches: Default::default(),
            },
            tags: None,
            reports: ReportFiles::default(),
            features_dir: None,
            output: Output::Console,
            strict: false,
            skip_preflight: false,
            list: false,
            baseline: Default::default(),
            max_failures: None,
            state: None,
            names: Vec::new(),
            name_regex: None,
            only: None,
            label: None,
            browser: None,
            interrupt: None,
            partition: None,
        }
    }
}

/// Runs the suite. `Err` is a usage or environment problem (exit 2); a
/// conformance failure is an `Ok` report whose `succeeded()` is false.
///
/// Three phases: [`prepare`] (read the options, start the in-process server,
/// make a run context per target, preflight, the features, the report
/// files), [`execute`] (cucumber runs the selected scenarios; one
/// [`Recorder`] keeps what each hook learns) and [`finish`] (the clean-up,
/// the report and its files).
pub async fn run(options: RunOptions) -> Result<RunReport, RunError> {
    let reports = options.reports.clone();
    let label = options
        .label
        .clone()
        .unwrap_or_else(|| options.target.name());
    let (result, cucumber) = match prepare(options).await {
        Ok(Prepared::Listed) => {
            return Ok(RunReport {
                listed: true,
                ..RunReport::default()
            });
        }
        Ok(Prepared::Run(mut run)) => {
            let executed = execute(&mut run).await;
            finish(*run, executed).await
        }
        Err(e) => (Err(e), None),
    };
    // Every requested report, whatever the outcome; a report that cannot be
    // written is the run's error only when the run had none.
    match (reports.write(&label, &result, cucumber), result) {
        (Ok(()), result) => result,
        (Err(e), Ok(_)) => Err(e),
        (Err(e), Err(first)) => {
            crate::harness::console::err(&format!("authconform: {e}\n"));
            Err(first)
        }
    }
}

/// What [`prepare`] made ready.
enum Prepared {
    /// `--list`: the plan was printed; nothing runs.
    Listed,
    Run(Box<ReadyRun>),
}

/// A run ready to start: everything [`execute`] and [`finish`] need.
struct ReadyRun {
    options: RunOptions,
    /// Every target of the run (one per vendor against the reference server).
    targets: Vec<Target>,
    /// The in-process server, kept alive for the run.
    _server: Option<RunningServer>,
    /// One stop for the whole run: a gone server or --max-failures ends every vendor's part.
    stop: Arc<Mutex<Option<world::Stop>>>,
    features: features::FeatureFiles,
    recorder: Arc<Recorder>,
    /// Turns Ctrl-C into the run's stop; ended with the run.
    watcher: Option<tokio::task::JoinHandle<()>>,
    /// When the run started (the report's metadata).
    meta: crate::harness::report::RunMeta,
    started: std::time::Instant,
    /// What preflight found worth saying that does not stop the run.
    notes: Vec<String>,
    /// What cucumber's JSON writer writes, when the Cucumber JSON is requested.
    cucumber_json: Option<SharedBuffer>,
}

/// Reads the options, starts the in-process server, makes the run contexts,
/// checks a target file's server (preflight), writes out the features and
/// opens the report files.
async fn prepare(mut options: RunOptions) -> Result<Prepared, RunError> {
    let (meta, started) = (
        crate::harness::report::RunMeta::now(),
        std::time::Instant::now(),
    );
    let mut notes = Vec::new();
    let mut filter = Filter::of(&options)?;
    let name = options
        .label
        .clone()
        .unwrap_or_else(|| options.target.name());
    let external = matches!(options.target, TargetChoice::External(_));
    let target = std::mem::replace(
        &mut options.target,
        TargetChoice::Reference {
            vendors: Vec::new(),
            fault: None,
            variant: false,
            switches: Default::default(),
        },
    );
    let (targets, server) = start(target).await?;
    let stop: Arc<Mutex<Option<world::Stop>>> = Arc::default();
    let mut contexts: HashMap<VendorId, Arc<RunContext>> = HashMap::new();
    for target in &targets {
        let http = HttpClient::new(
            Suite::of(target.vendor).spec(),
            &target.base_url,
            target.insecure_tls,
            target.timeout,
        )
        .map_err(|e| RunError::io("cannot build the HTTP client", e))?;
        let mut target = target.clone();
        if options.browser.is_some() {
            target.browser = options.browser.clone();
        }
        // What the server offers where its document leaves it open
        // (LiquidFiles' logins, LAC's URL auth) is found out before the run.
        if !options.list {
            for line in Suite::of(target.vendor).discover(&mut target, &http).await {
                if options.output != Output::Quiet {
                    console::out(&format!(
                        "{}{line}\n",
                        options
                            .label
                            .as_ref()
                            .map(|l| format!("[{l}] "))
                            .unwrap_or_default()
                    ));
                }
            }
        }
        contexts.insert(
            target.vendor,
            RunContext::sharing_stop(target, http, options.strict, stop.clone()),
        );
    }
    if options.list {
        let features = features::FeatureFiles::prepare(options.features_dir.as_deref())?;
        features.check_tags()?;
        filter.shard = Shard::of(&options, &name, &plan(&features, &contexts, &filter));
        console::out(&listing(&plan(&features, &contexts, &filter)));
        return Ok(Prepared::Listed);
    }
    let state = match (&options.state, external) {
        (Some(path), true) => Some(state::State::from_env(path)?),
        _ => None,
    };
    if let Some(state) = &state {
        for ctx in contexts.values() {
            ctx.remember_enrolment_from(state)?;
        }
    }
    // A target file's server is checked before any scenario: a wrong URL or
    // password is one clear line, not a failure per scenario.
    if !options.skip_preflight && external {
        for ctx in contexts.values() {
            let checked = preflight::check_with_notes(ctx);
            let (problems, found) = match &options.interrupt {
                None => checked.await,
                Some(interrupt) => tokio::select! {
                    problems = checked => problems,
                    signal = interrupt.triggered() => {
                        ctx.end_issued().await;
                        return Err(RunError::Interrupted {
                            signal,
                            report: Box::new(RunReport {
                                target_description: describe(&targets),
                                ..RunReport::default()
                            }),
                        });
                    }
                },
            };
            if !problems.is_empty() {
                return Err(RunError::Preflight(problems));
            }
            for note in found {
                // Said before any scenario runs, and kept in the reports.
                if options.output != Output::Quiet {
                    let prefix = options
                        .label
                        .as_ref()
                        .map(|l| format!("[{l}] "))
                        .unwrap_or_default();
                    console::out(&format!("{prefix}warning: {note}\n"));
                }
                notes.push(note);
            }
        }
    }
    // Ctrl-C stops the run as a gone server does: the scenarios after it do
    // not run.
    let watcher = options.interrupt.clone().map(|interrupt| {
        let stop = stop.clone();
        tokio::spawn(async move {
            let signal = interrupt.triggered().await;
            let mut stop = stop.lock().unwrap_or_else(|e| e.into_inner());
            if stop.is_none() {
                *stop = Some(world::Stop::Interrupted(signal));
            }
        })
    });
    if options.output == Output::Console {
        let prefix = options
            .label
            .as_ref()
            .map(|l| format!("[{l}] "))
            .unwrap_or_default();
        for ctx in contexts.values() {
            ctx.announce_waits(prefix.clone());
        }
    }
    let features = features::FeatureFiles::prepare(options.features_dir.as_deref())?;
    features.check_tags()?;
    for vendor in contexts.keys() {
        if !features.vendor_dir(vendor.as_str()).is_dir() && options.features_dir.is_none() {
            return Err(Usage::NoFeaturesFor(*vendor).into());
        }
    }
    if !filter.names.is_empty() {
        let known = plan(&features, &contexts, &Filter::everything());
        if let Some(unknown) = filter.names.iter().find(|n| {
            !known
                .iter()
                .any(|p| p.name == **n || p.id.as_deref() == Some(n.as_str()))
        }) {
            return Err(Usage::UnknownName(unknown.clone()).into());
        }
    }
    filter.shard = Shard::of(&options, &name, &plan(&features, &contexts, &filter));
    let cucumber_json = options
        .reports
        .cucumber_json
        .is_some()
        .then(SharedBuffer::default);
    let progress = (options.output == Output::Console).then(|| Progress {
        total: planned(&features, &contexts, &filter),
        prefix: options
            .label
            .as_ref()
            .map(|l| format!("[{l}] "))
            .unwrap_or_default(),
        done: AtomicUsize::new(0),
    });
    let recorder = Arc::new(Recorder {
        contexts,
        filter,
        root: features.root().to_path_buf(),
        results: Mutex::default(),
        steps: step_log::Steps::default(),
        state,
        saved_enrolment: Mutex::default(),
        progress,
        max_failures: options.max_failures,
        not_started: AtomicUsize::new(0),
    });
    Ok(Prepared::Run(Box::new(ReadyRun {
        options,
        targets,
        _server: server,
        stop,
        features,
        recorder,
        watcher,
        meta,
        started,
        notes,
        cucumber_json,
    })))
}

/// The targets of the run: a target file's, or one per vendor of an
/// in-process reference server (returned too, to keep it alive).
pub(crate) async fn start(
    target: TargetChoice,
) -> Result<(Vec<Target>, Option<RunningServer>), RunError> {
    match target {
        TargetChoice::External(t) => Ok((vec![*t], None)),
        TargetChoice::Reference {
            vendors,
            fault,
            variant,
            switches,
        } => {
            let config = ReferenceConfig::for_tests()
                .with_fault(fault)
                .with_variant(variant)
                .with_switches(switches);
            let fixtures = config.fixtures.clone();
            let running = ReferenceServer::new(config)
                .spawn(([127, 0, 0, 1], 0).into())
                .await
                .map_err(|e| RunError::io("cannot start the reference server", e))?;
            let targets = vendors
                .iter()
                .map(|v| {
                    Target::reference(*v, &running.api_base_url(*v), &running.url(), &fixtures)
                })
                .collect();
            Ok((targets, Some(running)))
        }
    }
}

/// What cucumber said of the run as a whole.
struct Executed {
    parsing_errors: usize,
    hook_errors: usize,
}

/// Runs the selected scenarios, one at a time, each in a fresh world that
/// the [`Recorder`] attaches to its target's run context.
async fn execute(run: &mut ReadyRun) -> Executed {
    let console: Box<dyn Write> = match run.options.output {
        Output::Verbose => Box::new(io::stdout()),
        Output::Console | Output::Quiet => Box::new(io::sink()),
    };
    // cucumber's JSON goes to a buffer; `finish` mends it.
    let json: Box<dyn Write> = match &run.cucumber_json {
        Some(buffer) => Box::new(buffer.clone()),
        None => Box::new(io::sink()),
    };
    let writer = writer::Basic::raw(console, Coloring::Auto, 0)
        .summarized()
        .tee::<ConformanceWorld, _>(writer::Json::for_tee(json))
        .tee::<ConformanceWorld, _>(writer::discard::Arbitrary::wrap(
            writer::discard::Stats::wrap(step_log::StepLog {
                steps: run.recorder.steps.clone(),
            }),
        ))
        .fail_on_skipped()
        .normalized();
    let (before, after, select) = (
        run.recorder.clone(),
        run.recorder.clone(),
        run.recorder.clone(),
    );
    let finished = ConformanceWorld::cucumber()
        .with_writer(writer)
        .with_default_cli()
        .max_concurrent_scenarios(1)
        .before(move |feature, rule, scenario, world| {
            before.before(feature, rule, scenario, world);
            // After a stop, a scenario does not start: its before hook fails
            // with the stop's reason, and the recorder marks it not run.
            let stopped = before.stopped(feature);
            Box::pin(async move {
                if let Some(stop) = stopped {
                    std::panic::panic_any(stop.reason());
                }
            })
        })
        .after(move |feature, _, scenario, event, world| {
            after.after(feature, scenario, event, world.as_deref());
            Box::pin(async {})
        })
        .filter_run(
            run.features.root().to_path_buf(),
            move |feature, rule, scenario| select.select(feature, rule, scenario),
        )
        .await;
    use cucumber::writer::Stats as _;
    Executed {
        parsing_errors: finished.parsing_errors(),
        hook_errors: finished.hook_errors(),
    }
}

/// Sets back what the run changed and can undo, ends what it was issued,
/// then makes the report (and mends cucumber's own, when requested).
async fn finish(
    run: ReadyRun,
    executed: Executed,
) -> (Result<RunReport, RunError>, Option<Vec<serde_json::Value>>) {
    let ReadyRun {
        options,
        targets,
        _server,
        stop,
        features,
        recorder,
        watcher,
        mut meta,
        started,
        notes,
        cucumber_json,
    } = run;
    meta.duration = started.elapsed();
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    // Set back what the run changed and can undo, and end what it was
    // issued, so the next run starts alike and nothing piles up.
    for ctx in recorder.contexts.values() {
        if let Err(e) = ctx.restore().await {
            crate::harness::console::err(&format!("authconform: {e}\n"));
        }
        // A gone server would only make each call wait for its timeout.
        if !matches!(ctx.stopped(), Some(world::Stop::ServerGone(_))) {
            let failed = ctx.end_issued().await;
            if failed > 0 {
                crate::harness::console::err(&format!(
                    "authconform: {failed} session(s) or token(s) the run was issued could not be ended\n"
                ));
            }
        }
    }
    let mut report = RunReport {
        target_description: describe(&targets),
        meta,
        notes,
        scenarios: recorder.take_results(),
        parsing_errors: executed.parsing_errors,
        hook_errors: executed
            .hook_errors
            .saturating_sub(recorder.not_started.load(Ordering::SeqCst)),
        listed: false,
        stale_baseline: Vec::new(),
        label: options.label.clone(),
        shard: recorder.filter.shard.as_ref().map(|s| s.of.clone()),
    };
    baseline::apply(&mut report, &options.baseline);
    report.sort_scenarios();
    if options.output != Output::Quiet && options.label.is_none() {
        console::out(&report.summary());
    }
    let cucumber = match cucumber_json.map(|b| b.text()) {
        None => None,
        Some(text) => match cucumber_json::mend(&text, features.root(), &report) {
            Ok(features) => Some(features),
            Err(e) => {
                return (
                    Err(RunError::io(
                        "cannot read cucumber's Cucumber JSON report",
                        e,
                    )),
                    None,
                );
            }
        },
    };
    let stopped = stop.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let result = match stopped {
        Some(world::Stop::ServerGone(e)) => Err(RunError::ServerGone {
            reason: format!(
                "the server stopped answering ({e}) after {} transport errors in a row",
                world::TRANSPORT_ERRORS_BEFORE_STOP
            ),
            report: Box::new(report),
        }),
        Some(world::Stop::Interrupted(signal)) => Err(RunError::Interrupted {
            signal,
            report: Box::new(report),
        }),
        _ => Ok(report),
    };
    (result, cucumber)
}

/// `limecraft at http://…, lac at http://…`: what the reports call the targets.
fn describe(targets: &[Target]) -> String {
    targets
        .iter()
        .map(|t| format!("{} at {}", t.vendor, t.base_url))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `Write` whose bytes the run reads back afterwards (cucumber's JSON
/// writer wants to own its output).
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The `[n/N]` progress lines of a console run.
struct Progress {
    total: usize,
    /// `[label] ` before each line when the run is one of several targets.
    prefix: String,
    done: AtomicUsize,
}

/// What the run's hooks learn, kept in one place: cucumber's filter, before
/// and after hooks each hold the same `Arc<Recorder>`.
struct Recorder {
    contexts: HashMap<VendorId, Arc<RunContext>>,
    filter: Filter,
    /// The features folder, which the results' paths are relative to.
    root: PathBuf,
    results: Mutex<Vec<ScenarioResult>>,
    /// The steps as they ran (a writer tee'd beside cucumber's others fills it).
    steps: step_log::Steps,
    /// The state file of a run against a target file.
    state: Option<state::State>,
    /// The enrolment last written to the state file.
    saved_enrolment: Mutex<world::SavedState>,
    progress: Option<Progress>,
    max_failures: Option<usize>,
    /// Scenarios a stopped run did not start (their before hook failed on
    /// purpose: not cucumber's hook errors).
    not_started: AtomicUsize,
}

impl Recorder {
    /// cucumber's filter: whether a scenario runs; one the target cannot run
    /// is recorded as skipped with the reason.
    fn select(
        &self,
        feature: &cucumber::gherkin::Feature,
        rule: Option<&cucumber::gherkin::Rule>,
        scenario: &cucumber::gherkin::Scenario,
    ) -> bool {
        match select(
            feature,
            rule,
            scenario,
            &self.contexts,
            &self.filter,
            &self.root,
        ) {
            Selection::Run => true,
            Selection::Out | Selection::OtherShard => false,
            Selection::Missing(reason) => {
                self.lock_results().push(ScenarioResult {
                    id: catalogue_id(&scenario.tags),
                    name: scenario.name.clone(),
                    vendor: vendor_of(feature),
                    feature: relative_path(&self.root, feature),
                    line: scenario.position.line,
                    duration: std::time::Duration::ZERO,
                    failure: None,
                    outcome: Outcome::Skipped(reason.to_owned()),
                    warnings: Vec::new(),
                    steps: Vec::new(),
                });
                false
            }
        }
    }

    /// Before a scenario: its world gets its target's run context.
    fn before(
        &self,
        feature: &cucumber::gherkin::Feature,
        rule: Option<&cucumber::gherkin::Rule>,
        scenario: &cucumber::gherkin::Scenario,
        world: &mut ConformanceWorld,
    ) {
        if let Some(ctx) = vendor_of(feature).and_then(|v| self.contexts.get(&v)) {
            world.attach(ctx.clone(), &scenario_tags(feature, rule, scenario));
        }
    }

    /// Why a scenario about to start should not: the run stopped.
    fn stopped(&self, feature: &cucumber::gherkin::Feature) -> Option<world::Stop> {
        vendor_of(feature)
            .and_then(|v| self.contexts.get(&v))
            .and_then(|ctx| ctx.stopped())
    }

    /// After a scenario: its result (a `@strict-…` scenario's failure kept
    /// as a warning, a stopped run's "not run" as a skip), its progress
    /// line, the state file, and `--max-failures`.
    fn after(
        &self,
        feature: &cucumber::gherkin::Feature,
        scenario: &cucumber::gherkin::Scenario,
        event: &event::ScenarioFinished,
        world: Option<&ConformanceWorld>,
    ) {
        let (outcome, failure) = match event {
            event::ScenarioFinished::StepPassed => (Outcome::Passed, None),
            event::ScenarioFinished::StepFailed(_, _, error) => {
                (Outcome::Failed, Some(step_error_text(error)))
            }
            event::ScenarioFinished::StepSkipped => (
                Outcome::Failed,
                Some("a step matched no step definition".to_owned()),
            ),
            event::ScenarioFinished::BeforeHookFailed(_) => {
                match self.stopped(feature) {
                    // The run stopped before it: it never started (see `execute`).
                    Some(stop) => {
                        self.not_started.fetch_add(1, Ordering::SeqCst);
                        (Outcome::Failed, Some(stop.reason()))
                    }
                    None => (
                        Outcome::Failed,
                        Some("the scenario could not be set up".to_owned()),
                    ),
                }
            }
        };
        // A step that could not judge its scenario here (nothing to check
        // in the server's answers, a page only a browser runs) ends it as
        // skipped, saying why.
        let (outcome, failure) = match (outcome, failure) {
            (Outcome::Failed, Some(text)) if text.starts_with(world::NOT_JUDGED) => (
                Outcome::Skipped(text.lines().next().unwrap_or_default().to_owned()),
                None,
            ),
            other => other,
        };
        let duration = world.map(|w| w.started.elapsed()).unwrap_or_default();
        let ctx = world.and_then(|w| w.ctx_opt());
        // What the suite cannot undo is remembered as soon as it happens.
        if let (Some(state), Some(ctx)) = (&self.state, &ctx)
            && let Err(e) = ctx.save_enrolment_to(state, &self.saved_enrolment)
        {
            crate::harness::console::err(&format!("authconform: {e}\n"));
        }
        let strict = ctx.as_ref().is_some_and(|c| c.strict);
        let reference_only = world.is_some_and(|w| w.reference_scenario);
        let mut warnings = world.map(|w| w.take_warnings()).unwrap_or_default();
        // A `@strict-…` scenario checks a reference choice as a whole: a
        // step of it that fails in any way (a value it needed was absent,
        // not only a check) is a warning, unless the run is strict. A
        // stopped run's "not run" stays what it is.
        let (outcome, failure) = match (outcome, failure) {
            (Outcome::Failed, Some(text))
                if reference_only
                    && !strict
                    && matches!(event, event::ScenarioFinished::StepFailed(..))
                    && !text.starts_with("not run:") =>
            {
                warnings.push(Warning::from_failure(text));
                (Outcome::Passed, None)
            }
            other => other,
        };
        let stopped = self.stopped(feature);
        // A scenario that only met the stopped run did not run at all.
        let outcome = match (&outcome, &stopped, &failure) {
            (Outcome::Failed, Some(why), Some(text)) if text.starts_with("not run:") => {
                Outcome::NotRun(why.why())
            }
            _ => outcome,
        };
        let failure = if matches!(outcome, Outcome::NotRun(_)) {
            None
        } else {
            failure
        };
        let result = ScenarioResult {
            id: catalogue_id(&scenario.tags),
            name: scenario.name.clone(),
            vendor: vendor_of(feature),
            feature: relative_path(&self.root, feature),
            line: scenario.position.line,
            duration,
            failure,
            outcome,
            warnings,
            steps: Vec::new(),
        };
        let mut results = self.lock_results();
        if let Some(progress) = &self.progress {
            let done = progress.done.fetch_add(1, Ordering::SeqCst) + 1;
            console::out(&format!(
                "{}{}",
                progress.prefix,
                console::progress(done, progress.total, &result)
            ));
        }
        let failed = results
            .iter()
            .filter(|r| r.outcome == Outcome::Failed)
            .count()
            + usize::from(result.outcome == Outcome::Failed);
        if let (Some(max), Some(ctx)) = (self.max_failures, &ctx)
            && failed >= max
        {
            ctx.stop_run(world::Stop::MaxFailures(max));
        }
        results.push(result);
    }

    fn lock_results(&self) -> std::sync::MutexGuard<'_, Vec<ScenarioResult>> {
        self.results.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The results so far, each with the steps it ran.
    fn take_results(&self) -> Vec<ScenarioResult> {
        let mut results = std::mem::take(&mut *self.lock_results());
        let mut steps = self.steps.lock().unwrap_or_else(|e| e.into_inner());
        for s in &mut results {
            if let Some(ran) = steps.remove(&(self.root.join(&s.feature), s.line)) {
                s.steps = ran;
            }
        }
        results
    }
}

/// The vendor a feature belongs to: the folder it sits in (`features/<vendor>/`).
fn vendor_of(feature: &cucumber::gherkin::Feature) -> Option<VendorId> {
    feature
        .path
        .as_ref()?
        .parent()?
        .file_name()?
        .to_str()
        .and_then(Suite::by_id)
        .map(Suite::vendor)
}

/// What the filter makes of one scenario.
enum Selection {
    /// Not this run's: another vendor's, or not matching `--tags`.
    Out,
    /// Selected, but another shard's (`--partition`): not reported at all.
    OtherShard,
    /// Selected, but the target lacks a capability it needs: reported as skipped.
    Missing(&'static str),
    Run,
}

/// A scenario's tags with those it inherits from its rule and feature (without `@`).
fn scenario_tags(
    feature: &cucumber::gherkin::Feature,
    rule: Option<&cucumber::gherkin::Rule>,
    scenario: &cucumber::gherkin::Scenario,
) -> Vec<String> {
    feature
        .tags
        .iter()
        .chain(rule.map(|r| r.tags.iter()).into_iter().flatten())
        .chain(scenario.tags.iter())
        .cloned()
        .collect()
}

/// What the user selected: `--tags`, `--name`, `--name-regex`, `--rerun-failed`.
struct Filter {
    tags: Option<TagOperation>,
    names: Vec<String>,
    name: Option<regex::Regex>,
    only: Option<Vec<(String, usize, String)>>,
    /// `--partition`: the scenarios of this shard; `None`: all.
    shard: Option<Shard>,
}

/// The scenarios of one shard (`--partition`), chosen from the plan of the
/// run without it, by (feature, line).
struct Shard {
    keep: std::collections::HashSet<(String, usize)>,
    /// What the reports record of it, for `report merge`.
    of: ShardOf,
}

impl Shard {
    /// The shard `options.partition` names of `plan` (the run's plan
    /// without a partition): the selected scenarios (to run or skip), an
    /// outline one unit, dealt out in plan order.
    fn of(options: &RunOptions, name: &str, plan: &[Planned]) -> Option<Shard> {
        let partition = options.partition?;
        let selected: Vec<&Planned> = plan
            .iter()
            .filter(|p| !matches!(p.selection, Selection::Out))
            .collect();
        // cucumber filters an outline's rows one by one, each by its own line.
        let keep = selected
            .iter()
            .enumerate()
            .filter(|(i, p)| partition.keeps(*i, &partition::identity(&p.feature, &p.name)))
            .flat_map(|(_, p)| {
                std::iter::once(p.line)
                    .chain(p.row_lines.iter().copied())
                    .map(|line| (p.feature.clone(), line))
            })
            .collect();
        // What the shards of one run share: the selection, and what judges it.
        let mut selection = format!("strict={}\n", options.strict);
        for (id, reason) in &options.baseline {
            selection.push_str(&format!("baseline {id}\t{reason}\n"));
        }
        for p in &selected {
            let skip = match p.selection {
                Selection::Missing(reason) => reason,
                _ => "",
            };
            selection.push_str(&format!("{}\t{}\t{}\t{skip}\n", p.feature, p.line, p.name));
        }
        Some(Shard {
            keep,
            of: ShardOf {
                partition,
                selection: format!("{:016x}", partition::fnv1a64(selection.as_bytes())),
                baseline: options.baseline.clone(),
                name: name.to_owned(),
                results: selected.iter().map(|p| p.rows).sum(),
            },
        })
    }
}

impl Filter {
    fn of(options: &RunOptions) -> Result<Filter, Usage> {
        let tags = match &options.tags {
            Some(expr) => Some(expr.parse().map_err(|e| Usage::Tags {
                expr: expr.clone(),
                reason: format!("{e}"),
            })?),
            None => None,
        };
        let name = match &options.name_regex {
            Some(pattern) => Some(regex::Regex::new(pattern).map_err(|e| Usage::NamePattern {
                pattern: pattern.clone(),
                reason: e.to_string(),
            })?),
            None => None,
        };
        Ok(Filter {
            tags,
            names: options.names.clone(),
            name,
            only: options.only.clone(),
            shard: None,
        })
    }

    /// No selection: every scenario of the run's vendors.
    fn everything() -> Filter {
        Filter {
            tags: None,
            names: Vec::new(),
            name: None,
            only: None,
            shard: None,
        }
    }

    /// `--name`: the scenario's id or its exact name is one given.
    fn named(&self, scenario: &cucumber::gherkin::Scenario) -> bool {
        self.names.is_empty()
            || self.names.iter().any(|n| {
                *n == scenario.name || catalogue_id(&scenario.tags).is_some_and(|id| *n == id)
            })
    }
}

/// The one place that decides whether a scenario runs.
fn select(
    feature: &cucumber::gherkin::Feature,
    rule: Option<&cucumber::gherkin::Rule>,
    scenario: &cucumber::gherkin::Scenario,
    contexts: &HashMap<VendorId, Arc<RunContext>>,
    filter: &Filter,
    root: &std::path::Path,
) -> Selection {
    if !filter.named(scenario)
        || filter
            .name
            .as_ref()
            .is_some_and(|re| !re.is_match(&scenario.name))
    {
        return Selection::Out;
    }
    if let Some(only) = &filter.only {
        let path = relative_path(root, feature);
        let listed = only.iter().any(|(f, line, name)| {
            *f == path && (*line == scenario.position.line || *name == scenario.name)
        });
        if !listed {
            return Selection::Out;
        }
    }
    let tags = &filter.tags;
    // A feature runs against the target of its vendor (its folder), if any.
    let Some(ctx) = vendor_of(feature).and_then(|v| contexts.get(&v)) else {
        return Selection::Out;
    };
    let all_tags = scenario_tags(feature, rule, scenario);
    if let Some(op) = tags
        && !op.eval(all_tags.iter())
    {
        return Selection::Out;
    }
    if let Some(shard) = &filter.shard
        && !shard
            .keep
            .contains(&(relative_path(root, feature), scenario.position.line))
    {
        return Selection::OtherShard;
    }
    match ctx.target.missing_capability(all_tags.iter()) {
        Some(reason) => Selection::Missing(reason),
        None => Selection::Run,
    }
}

/// How many scenarios the run will execute (an outline counts its example
/// rows), for the `[n/N]` progress. Read with the same parser and the same
/// [`select`] as the run itself.
fn planned(
    features: &features::FeatureFiles,
    contexts: &HashMap<VendorId, Arc<RunContext>>,
    filter: &Filter,
) -> usize {
    plan(features, contexts, filter)
        .iter()
        .filter(|p| matches!(p.selection, Selection::Run))
        .map(|p| p.rows)
        .sum()
}

/// One scenario of the features as the run would treat it.
struct Planned {
    feature: String,
    line: usize,
    id: Option<String>,
    name: String,
    tags: Vec<String>,
    /// Example rows of an outline (1 for a plain scenario).
    rows: usize,
    /// The lines its results carry: an outline's rows' ([`outline_rows`]).
    row_lines: Vec<usize>,
    selection: Selection,
}

/// Every scenario of the features below `root`, read with the run's parser
/// and judged by the run's [`select`].
fn plan(
    features: &features::FeatureFiles,
    contexts: &HashMap<VendorId, Arc<RunContext>>,
    filter: &Filter,
) -> Vec<Planned> {
    let root = features.root();
    let mut out = Vec::new();
    walk(features, |feature, rule, scenario| {
        // Another vendor's features are not this run's.
        if vendor_of(feature).is_none_or(|v| !contexts.contains_key(&v)) {
            return;
        }
        let row_lines = outline_rows(scenario);
        out.push(Planned {
            feature: relative_path(root, feature),
            line: scenario.position.line,
            id: catalogue_id(&scenario.tags),
            name: scenario.name.clone(),
            tags: scenario_tags(feature, rule, scenario),
            rows: row_lines.len().max(1),
            row_lines,
            selection: select(feature, rule, scenario, contexts, filter, root),
        });
    });
    out.sort_by(|a, b| (&a.feature, a.line).cmp(&(&b.feature, b.line)));
    out
}

/// Calls `each` with every scenario of the features (an outline once), read
/// with the run's own parser.
fn walk(
    features: &features::FeatureFiles,
    mut each: impl FnMut(
        &cucumber::gherkin::Feature,
        Option<&cucumber::gherkin::Rule>,
        &cucumber::gherkin::Scenario,
    ),
) {
    // The walk succeeded once already (`check_tags`).
    for path in features.paths().unwrap_or_default() {
        let Ok(feature) =
            cucumber::gherkin::Feature::parse_path(&path, cucumber::gherkin::GherkinEnv::default())
        else {
            continue;
        };
        for scenario in &feature.scenarios {
            each(&feature, None, scenario);
        }
        for rule in &feature.rules {
            for scenario in &rule.scenarios {
                each(&feature, Some(rule), scenario);
            }
        }
    }
}

/// The lines cucumber gives the rows of a scenario outline when it expands
/// them (its `Examples:` line + the row's index + 2: what the results of the
/// rows carry); empty for a plain scenario.
fn outline_rows(scenario: &cucumber::gherkin::Scenario) -> Vec<usize> {
    scenario
        .examples
        .iter()
        .filter_map(|e| e.table.as_ref().map(|t| (e.position.line, t.rows.len())))
        .flat_map(|(line, rows)| (0..rows.saturating_sub(1)).map(move |id| line + id + 2))
        .collect()
}

/// One scenario of the built-in features, as a test runner lists it.
#[derive(Clone, Debug)]
pub struct ScenarioEntry {
    pub vendor: Vendor,
    /// Relative to the features folder (`limecraft/login.feature`).
    pub feature: String,
    pub line: usize,
    /// An outline's rows, each with the line its result carries (empty for a
    /// plain scenario).
    pub rows: Vec<usize>,
    pub id: Option<String>,
    pub name: String,
}

/// Every scenario of the built-in features (an outline once), in file and
/// line order: what `tests/conformance.rs` offers `cargo test <filter>` and
/// cargo-nextest as one test each.
pub fn scenarios() -> Result<Vec<ScenarioEntry>, RunError> {
    let features = features::FeatureFiles::prepare(None)?;
    features.check_tags()?;
    let root = features.root();
    let mut out = Vec::new();
    walk(&features, |feature, _, scenario| {
        if let Some(vendor) = vendor_of(feature).and_then(|s| s.as_str().parse().ok()) {
            out.push(ScenarioEntry {
                vendor,
                feature: relative_path(root, feature),
                line: scenario.position.line,
                rows: outline_rows(scenario),
                id: catalogue_id(&scenario.tags),
                name: scenario.name.clone(),
            });
        }
    });
    out.sort_by(|a, b| (&a.feature, a.line).cmp(&(&b.feature, b.line)));
    Ok(out)
}

/// What a run against `ctx`'s target would do (`authconform check`): how
/// many scenarios it would run, and those it would skip, grouped by why.
pub fn plan_for(ctx: &Arc<RunContext>, tags: Option<String>) -> Result<String, RunError> {
    let options = RunOptions {
        tags,
        ..RunOptions::reference()
    };
    let filter = Filter::of(&options)?;
    let features = features::FeatureFiles::prepare(None)?;
    features.check_tags()?;
    let contexts = HashMap::from([(ctx.target.vendor, ctx.clone())]);
    let planned = plan(&features, &contexts, &filter);
    let rows = |f: fn(&Selection) -> bool| -> usize {
        planned
            .iter()
            .filter(|p| f(&p.selection))
            .map(|p| p.rows)
            .sum()
    };
    let runs = rows(|s| matches!(s, Selection::Run));
    let skipped = rows(|s| matches!(s, Selection::Missing(_)));
    let out_of_tags = rows(|s| matches!(s, Selection::Out));
    let mut out = format!("plan: {runs} scenario(s) would run, {skipped} would be skipped");
    if out_of_tags > 0 {
        out.push_str(&format!(", {out_of_tags} not selected by --tags"));
    }
    out.push('\n');
    let mut by_reason: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for p in &planned {
        if let Selection::Missing(reason) = p.selection {
            by_reason
                .entry(reason)
                .or_default()
                .push(p.id.clone().unwrap_or_else(|| p.name.clone()));
        }
    }
    for (reason, ids) in by_reason {
        out.push_str(&format!(
            "  skipped ×{} ({}): {reason}\n",
            ids.len(),
            ids.join(", ")
        ));
    }
    Ok(out)
}

/// `--list`: every scenario, its tags and capability needs, and whether it
/// would run against this target (and why not).
fn listing(plan: &[Planned]) -> String {
    let mut out = String::new();
    for p in plan {
        let verdict = match &p.selection {
            Selection::Run => "runs".to_owned(),
            Selection::Missing(reason) => format!("skipped: {reason}"),
            Selection::Out => "not selected".to_owned(),
            Selection::OtherShard => "another shard's (--partition)".to_owned(),
        };
        let needs: Vec<&str> = p
            .tags
            .iter()
            .filter(|t| t.starts_with("needs-"))
            .map(String::as_str)
            .collect();
        let title = console::titled(p.id.as_deref(), &p.name);
        out.push_str(&format!(
            "{title}\n    features/{}:{}  tags: @{}{}{}\n    {verdict}\n",
            p.feature,
            p.line,
            p.tags.join(" @"),
            if needs.is_empty() { "" } else { "  needs: " },
            needs.join(", "),
        ));
    }
    let runs = plan
        .iter()
        .filter(|p| matches!(p.selection, Selection::Run))
        .count();
    out.push_str(&format!("{} scenario(s), {runs} would run\n", plan.len()));
    out
}

/// A feature file's path relative to the features folder, with `/`
/// separators: the same on every run and machine (the folder itself may be a
/// fresh temporary one).
fn relative_path(root: &std::path::Path, feature: &cucumber::gherkin::Feature) -> String {
    let Some(path) = feature.path.as_deref() else {
        return feature.name.clone();
    };
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// What a failed step said: the `Failure` a step returned (cucumber turns it
/// into a panic carrying its text), or cucumber's own description.
fn step_error_text(error: &event::StepError) -> String {
    match error {
        event::StepError::Panic(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "the step panicked".to_owned()),
        other => other.to_string(),
    }
}

/// The scenario's catalogue id: its tag that looks like `LC7`, `LF12`, `LAC3`, `FV1`.
pub fn catalogue_id(tags: &[String]) -> Option<String> {
    tags.iter()
        .find(|t| {
            let letters = t.trim_end_matches(|c: char| c.is_ascii_digit());
            letters.len() < t.len() && suite::all().iter().any(|v| v.scenario_prefix() == letters)
        })
        .cloned()
}
