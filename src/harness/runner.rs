//! Running the suite: [`run`] reads the features, keeps the scenarios the
//! filter selects (`--tags`, `--name`, the rerun list, the target's
//! capabilities: [`select`], the one filter), runs them one at a time with a
//! fresh [`ConformanceWorld`] each, and returns a [`RunReport`] that every
//! writer reads.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::tag::Ext as _;
use cucumber::writer::{self, Coloring};
use cucumber::{World as _, WriterExt as _, event};

use crate::harness::exchange::HttpClient;
use crate::harness::report::{Outcome, RunError, RunReport, ScenarioResult, Warning, open_report};
use crate::harness::suite::Suite;
use crate::harness::target::Target;
use crate::harness::target::VendorId;
use crate::harness::world::{ConformanceWorld, RunContext};
use crate::harness::{
    console, cucumber_json, features, html, junit, preflight, state, step_log, suite, summary,
    world,
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
    pub junit: Option<PathBuf>,
    pub cucumber_json: Option<PathBuf>,
    /// A features directory to use instead of the compiled-in features.
    pub features_dir: Option<PathBuf>,
    pub output: Output,
    /// `--strict`: reference checks fail the run instead of warning.
    pub strict: bool,
    /// Write the self-contained HTML report here (`--html`).
    pub html: Option<PathBuf>,
    /// Write the summary JSON here (`--summary-json`).
    pub summary_json: Option<PathBuf>,
    /// Only the scenarios whose name matches (`--name REGEX`).
    pub name: Option<String>,
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
            junit: None,
            cucumber_json: None,
            features_dir: None,
            output: Output::Console,
            strict: false,
            skip_preflight: false,
            list: false,
            baseline: Default::default(),
            max_failures: None,
            summary_json: None,
            html: None,
            state: None,
            name: None,
            only: None,
            label: None,
        }
    }
}

/// Runs the suite. `Err` is a usage or environment problem (exit 2); a
/// conformance failure is an `Ok` report whose `succeeded()` is false.
pub async fn run(options: RunOptions) -> Result<RunReport, RunError> {
    let tags: Option<TagOperation> = match &options.tags {
        Some(expr) => Some(expr.parse().map_err(|e| {
            RunError::Usage(format!(
                "--tags `{expr}` is not a tag expression ({e}); example: \"@login and not @2fa\""
            ))
        })?),
        None => None,
    };
    let name = match &options.name {
        Some(pattern) => Some(regex::Regex::new(pattern).map_err(|e| {
            RunError::Usage(format!(
                "--name `{pattern}` is not a regular expression ({e})"
            ))
        })?),
        None => None,
    };
    let filter = Arc::new(Filter {
        tags,
        name,
        only: options.only.clone(),
    });
    // The in-process server, kept alive for the run.
    let external = matches!(options.target, TargetChoice::External(_));
    let (targets, _server) = targets_of(options.target).await?;
    // One stop for the whole run: a gone server or --max-failures ends every vendor's part.
    let stop: Arc<Mutex<Option<world::Stop>>> = Arc::default();
    let mut contexts: HashMap<VendorId, Arc<RunContext>> = HashMap::new();
    for target in &targets {
        let http = HttpClient::new(
            Suite::of(target.vendor).spec(),
            &target.base_url,
            target.insecure_tls,
            target.timeout,
        )
        .map_err(RunError::Usage)?;
        contexts.insert(
            target.vendor,
            RunContext::sharing_stop(target.clone(), http, options.strict, stop.clone()),
        );
    }
    // A target file's server is checked before any scenario: a wrong URL or
    // password is one clear line, not a failure per scenario.
    if options.list {
        let features = features::FeatureFiles::prepare(options.features_dir.as_deref())?;
        features.check_tags()?;
        console::out(&listing(&plan(&features, &contexts, &filter)));
        return Ok(RunReport {
            listed: true,
            ..RunReport::default()
        });
    }
    let state = match (&options.state, external) {
        (Some(path), true) => Some(state::State::at(path)),
        _ => None,
    };
    if let Some(state) = &state {
        for ctx in contexts.values() {
            ctx.remember_enrolment_from(state)
                .map_err(RunError::Usage)?;
        }
    }
    if !options.skip_preflight && external {
        for ctx in contexts.values() {
            let problems = preflight::check(ctx).await;
            if !problems.is_empty() {
                return Err(RunError::Preflight(problems));
            }
        }
    }
    let contexts = Arc::new(contexts);

    let features = features::FeatureFiles::prepare(options.features_dir.as_deref())?;
    features.check_tags()?;
    for vendor in contexts.keys() {
        if !features.vendor_dir(vendor.as_str()).is_dir() && options.features_dir.is_none() {
            return Err(RunError::Usage(format!("no features for {vendor}")));
        }
    }

    let results: Arc<Mutex<Vec<ScenarioResult>>> = Arc::default();
    let console: Box<dyn Write> = match options.output {
        Output::Verbose => Box::new(io::stdout()),
        Output::Console | Output::Quiet => Box::new(io::sink()),
    };
    let progress_total = planned(&features, &contexts, &filter);
    let print_progress = options.output == Output::Console;
    let progress_prefix = options
        .label
        .as_ref()
        .map(|l| format!("[{l}] "))
        .unwrap_or_default();
    let ran = std::sync::atomic::AtomicUsize::new(0);
    // Opened before the run, so a path that cannot be written fails at once.
    let junit = open_report(&options.junit)?;
    let json = open_report(&options.cucumber_json)?;

    let steps: step_log::Steps = Arc::default();
    let after_state = state.clone();
    let saved_enrolment: Arc<Mutex<Option<Vec<u8>>>> = Arc::default();
    let after_root = features.root().to_path_buf();
    let max_failures = options.max_failures;
    let filter_root = features.root().to_path_buf();
    let filter_contexts = contexts.clone();
    let filter_tags = filter.clone();
    let filter_root_for_select = features.root().to_path_buf();
    let filter_results = results.clone();
    let before_contexts = contexts.clone();
    let after_results = results.clone();

    let writer = writer::Basic::raw(console, Coloring::Auto, 0)
        .summarized()
        .tee::<ConformanceWorld, _>(writer::Json::for_tee(json))
        .tee::<ConformanceWorld, _>(writer::discard::Arbitrary::wrap(
            writer::discard::Stats::wrap(step_log::StepLog {
                steps: steps.clone(),
            }),
        ))
        .fail_on_skipped()
        .normalized();

    let finished = ConformanceWorld::cucumber()
        .with_writer(writer)
        .with_default_cli()
        .max_concurrent_scenarios(1)
        .before(move |feature, rule, scenario, world| {
            if let Some(ctx) = vendor_of(feature).and_then(|v| before_contexts.get(&v)) {
                world.attach(ctx.clone(), &scenario_tags(feature, rule, scenario));
            }
            Box::pin(async {})
        })
        .after(move |feature, _, scenario, event, world| {
            let (outcome, failure) = match event {
                event::ScenarioFinished::StepPassed => (Outcome::Passed, None),
                event::ScenarioFinished::StepFailed(_, _, error) => {
                    (Outcome::Failed, Some(step_error_text(error)))
                }
                event::ScenarioFinished::StepSkipped => (
                    Outcome::Failed,
                    Some("a step matched no step definition".to_owned()),
                ),
                event::ScenarioFinished::BeforeHookFailed(_) => (
                    Outcome::Failed,
                    Some("the scenario could not be set up".to_owned()),
                ),
            };
            let duration = world
                .as_ref()
                .map(|w| w.started.elapsed())
                .unwrap_or_default();
            let ctx = world.as_ref().and_then(|w| w.ctx_opt());
            // What the suite cannot undo is remembered as soon as it happens.
            if let (Some(state), Some(ctx)) = (&after_state, &ctx)
                && let Err(e) = ctx.save_enrolment_to(state, &saved_enrolment)
            {
                console::err(&format!("authconform: {e}\n"));
            }
            let stop = ctx.as_ref().map(|c| c.stop.clone());
            let strict = ctx.as_ref().is_some_and(|c| c.strict);
            let reference_only = world.as_ref().is_some_and(|w| w.reference_scenario);
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
            let stopped = stop
                .as_ref()
                .and_then(|s| s.lock().unwrap_or_else(|e| e.into_inner()).clone());
            // A scenario that only met the stopped run did not run at all.
            let outcome = match (&outcome, &stopped, &failure) {
                (Outcome::Failed, Some(why), Some(text)) if text.starts_with("not run:") => {
                    Outcome::Skipped(why.reason())
                }
                _ => outcome,
            };
            let failure = if matches!(outcome, Outcome::Skipped(_)) {
                None
            } else {
                failure
            };
            let result = ScenarioResult {
                id: catalogue_id(&scenario.tags),
                name: scenario.name.clone(),
                vendor: vendor_of(feature),
                feature: relative_path(&after_root, feature),
                line: scenario.position.line,
                duration,
                failure,
                outcome,
                warnings,
                steps: Vec::new(),
            };
            {
                let mut results = after_results.lock().expect("results lock");
                if print_progress {
                    let done = ran.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    console::out(&format!(
                        "{progress_prefix}{}",
                        console::progress(done, progress_total, &result)
                    ));
                }
                let failed = results
                    .iter()
                    .filter(|r| r.outcome == Outcome::Failed)
                    .count()
                    + usize::from(result.outcome == Outcome::Failed);
                if let (Some(max), Some(stop)) = (max_failures, &stop)
                    && failed >= max
                {
                    let mut stop = stop.lock().unwrap_or_else(|e| e.into_inner());
                    if stop.is_none() {
                        *stop = Some(world::Stop::MaxFailures(max));
                    }
                }
                results.push(result);
            }

            Box::pin(async {})
        })
        .filter_run(
            features.root().to_path_buf(),
            move |feature, rule, scenario| match select(
                feature,
                rule,
                scenario,
                &filter_contexts,
                &filter_tags,
                &filter_root_for_select,
            ) {
                Selection::Run => true,
                Selection::Out => false,
                Selection::Missing(reason) => {
                    filter_results
                        .lock()
                        .expect("results lock")
                        .push(ScenarioResult {
                            id: catalogue_id(&scenario.tags),
                            name: scenario.name.clone(),
                            vendor: vendor_of(feature),
                            feature: relative_path(&filter_root, feature),
                            line: scenario.position.line,
                            duration: std::time::Duration::ZERO,
                            failure: None,
                            outcome: Outcome::Skipped(reason.to_owned()),
                            warnings: Vec::new(),
                            steps: Vec::new(),
                        });
                    false
                }
            },
        )
        .await;

    // Set back what the run changed and can undo, and end what it was
    // issued, so the next run starts alike and nothing piles up.
    for ctx in contexts.values() {
        if let Err(e) = ctx.restore().await {
            console::err(&format!("authconform: {e}\n"));
        }
        if ctx.stopped().is_none() {
            let failed = ctx.end_issued().await;
            if failed > 0 {
                console::err(&format!(
                    "authconform: {failed} session(s) or token(s) the run was issued could not be ended\n"
                ));
            }
        }
    }

    use cucumber::writer::Stats as _;
    let mut report = RunReport {
        target_description: targets
            .iter()
            .map(|t| format!("{} at {}", t.vendor, t.base_url))
            .collect::<Vec<_>>()
            .join(", "),
        scenarios: std::mem::take(&mut *results.lock().expect("results lock")),
        parsing_errors: finished.parsing_errors(),
        hook_errors: finished.hook_errors(),
        listed: false,
        stale_baseline: Vec::new(),
        label: options.label.clone(),
    };
    {
        let mut steps = steps.lock().unwrap_or_else(|e| e.into_inner());
        for s in &mut report.scenarios {
            let key = (features.root().join(&s.feature), s.line);
            if let Some(ran) = steps.remove(&key) {
                s.steps = ran;
            }
        }
    }
    apply_baseline(&mut report, &options.baseline);
    // Skips are recorded while filtering, before anything runs; show them last.
    report
        .scenarios
        .sort_by_key(|s| matches!(s.outcome, Outcome::Skipped(_)));
    if options.output != Output::Quiet && options.label.is_none() {
        console::out(&report.summary());
    }
    junit::write(&report, junit)
        .map_err(|e| RunError::Io(format!("cannot write the JUnit report: {e}")))?;
    if let Some(path) = &options.cucumber_json {
        cucumber_json::mend(path, features.root(), &report).map_err(|e| {
            RunError::Io(format!(
                "cannot complete the Cucumber JSON report {}: {e}",
                path.display()
            ))
        })?;
    }
    if options.html.is_some() {
        let mut out = open_report(&options.html)?;
        out.write_all(html::render(&report).as_bytes())
            .map_err(|e| RunError::Io(format!("cannot write the HTML report: {e}")))?;
    }
    if options.summary_json.is_some() {
        let out = open_report(&options.summary_json)?;
        serde_json::to_writer_pretty(out, &summary::Summary::of(&report))
            .map_err(|e| RunError::Io(format!("cannot write the summary JSON: {e}")))?;
    }
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        console::workflow_commands(&summary::github_annotations(&report));
    }
    let stopped = stop.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if let Some(world::Stop::ServerGone(e)) = stopped {
        return Err(RunError::ServerGone {
            reason: format!(
                "the server stopped answering ({e}) after {} transport errors in a row",
                world::TRANSPORT_ERRORS_BEFORE_STOP
            ),
            report: Box::new(report),
        });
    }
    Ok(report)
}

/// The targets of a choice: a target file's, or one per vendor of a
/// reference server started here (kept alive by the returned handle).
pub async fn targets_of(
    choice: TargetChoice,
) -> Result<(Vec<Target>, Option<RunningServer>), RunError> {
    match choice {
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
                .map_err(|e| RunError::Io(format!("cannot start the reference server: {e}")))?;
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
    /// Selected, but the target lacks a capability it needs: reported as skipped.
    Missing(&'static str),
    Run,
}

/// Known deviations: a listed scenario that fails is an expected failure;
/// an entry whose scenarios all pass is stale (the list should shrink).
fn apply_baseline(report: &mut RunReport, baseline: &std::collections::BTreeMap<String, String>) {
    for s in &mut report.scenarios {
        if s.outcome == Outcome::Failed
            && let Some(reason) = s.id.as_ref().and_then(|id| baseline.get(id))
        {
            s.outcome = Outcome::ExpectedFailure(reason.clone());
        }
    }
    for (id, reason) in baseline {
        let of_id: Vec<&ScenarioResult> = report
            .scenarios
            .iter()
            .filter(|s| s.id.as_deref() == Some(id.as_str()))
            .collect();
        if !of_id.is_empty() && of_id.iter().all(|s| s.outcome == Outcome::Passed) {
            report.stale_baseline.push((id.clone(), reason.clone()));
        }
    }
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

/// What the user selected: `--tags`, `--name`, `--rerun-failed`.
struct Filter {
    tags: Option<TagOperation>,
    name: Option<regex::Regex>,
    only: Option<Vec<(String, usize, String)>>,
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
    if filter
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
        let rows = outline_rows(scenario).len();
        out.push(Planned {
            feature: relative_path(root, feature),
            line: scenario.position.line,
            id: catalogue_id(&scenario.tags),
            name: scenario.name.clone(),
            tags: scenario_tags(feature, rule, scenario),
            rows: rows.max(1),
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

/// `--list`: every scenario, its tags and capability needs, and whether it
/// would run against this target (and why not).
fn listing(plan: &[Planned]) -> String {
    let mut out = String::new();
    for p in plan {
        let verdict = match &p.selection {
            Selection::Run => "runs".to_owned(),
            Selection::Missing(reason) => format!("skipped: {reason}"),
            Selection::Out => "not selected".to_owned(),
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
