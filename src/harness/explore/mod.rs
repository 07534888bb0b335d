//! `authconform explore`: property runs of the documented operations against
//! any server.
//!
//! For the target's vendor, proptest draws sequences of the documented
//! operations (log in, use a credential by each transport, log out, enable
//! and validate a second factor, revalidate, disable, change a password,
//! refresh…); each runs against the server, and after every operation the
//! vendor's model of the documented rules ([`engine::Model`], in
//! `harness/<vendor>/model.rs`) says what a conforming server may answer.
//! The model cites the rules of the vendor's one table (`rules.rs` of the
//! reference crate), the same the scenarios' checks cite, through the same
//! world checks (`documented` fails, `reference` warns, the spec check).
//!
//! A failing case is shrunk to the shortest that fails the same way, and
//! shown as a scenario in the feature files' words, a `curl` script and a
//! replay file (`--replay FILE` runs it again). The seed is printed; the
//! same seed draws the same cases. The run is bounded (`--cases`,
//! `--seconds`), keeps wrong passwords under any throttle, waits out
//! 429/503 with `Retry-After`, and puts back what it changed as `run` does:
//! preflight first, the state file, the issued credentials ended.
//!
//! `--inputs` adds generated bad input ([`inputs`]).

pub mod engine;
pub mod inputs;
pub mod render;

use std::path::PathBuf;
use std::time::Duration;

pub use engine::{Case, Explorer, Halt, Model, ModelExplorer, Plan, Searched};

use crate::harness::exchange::HttpClient;
use crate::harness::interrupt::Interrupt;
use crate::harness::report::{Outcome, RunError, RunReport, ScenarioResult, Usage};
use crate::harness::runner::{Output, TargetChoice, start};
use crate::harness::suite::Suite;
use crate::harness::world::{RunContext, Stop};
use crate::harness::{console, preflight, state};
use crate::provenance::Rule;

/// Whether `explore` sends generated bad input, and whether sequences too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Inputs {
    /// Sequences of documented operations only.
    #[default]
    Off,
    /// Sequences, then bad input.
    Also,
    /// Bad input only (`explore --inputs`).
    Only,
}

pub struct ExploreOptions {
    pub target: TargetChoice,
    pub plan: Plan,
    /// `--replay FILE`: run exactly that case again, nothing else.
    pub replay: Option<PathBuf>,
    pub inputs: Inputs,
    pub strict: bool,
    pub output: Output,
    /// Where each finding's replay file and curl script are written
    /// (`explore-<vendor>-<seed>-<n>.json` / `.sh`); `None`: not written.
    pub out_dir: Option<PathBuf>,
    /// The state file of runs against a target file (`--state`).
    pub state: Option<PathBuf>,
    pub skip_preflight: bool,
    /// Ctrl-C and SIGTERM: the case under way ends, what was issued is
    /// ended, and the reports hold what ran (exit 130).
    pub interrupt: Option<Interrupt>,
}

impl ExploreOptions {
    /// A quiet run against the in-process reference server: the tests' and
    /// the bench's start.
    pub fn reference(target: TargetChoice, plan: Plan) -> Self {
        ExploreOptions {
            target,
            plan,
            replay: None,
            inputs: Inputs::Off,
            strict: false,
            output: Output::Quiet,
            out_dir: None,
            state: None,
            skip_preflight: false,
            interrupt: None,
        }
    }
}

/// What one vendor's exploration found.
pub struct Explored {
    pub vendor: String,
    pub property: &'static str,
    pub rules: &'static [&'static Rule],
    pub searched: Searched,
    /// Bad input sent, and what it found ([`inputs`]).
    pub inputs: Option<inputs::InputsRun>,
    /// The paths written for each finding (replay file, curl script).
    pub written: Vec<(PathBuf, PathBuf)>,
    /// Each finding as the console and the reports show it, redacted.
    pub shown: Vec<String>,
}

/// The result of `explore`: each vendor's exploration, and the same as a
/// [`RunReport`] for the writers `run` has (one test per rule).
pub struct ExploreReport {
    pub seed: u64,
    pub vendors: Vec<Explored>,
    pub report: RunReport,
}

impl ExploreReport {
    /// Whether nothing failed (warnings do not count).
    pub fn succeeded(&self) -> bool {
        self.report.failed() == 0
    }

    /// Every finding, with its vendor.
    pub fn findings(&self) -> impl Iterator<Item = (&str, &engine::Found)> {
        self.vendors
            .iter()
            .flat_map(|v| v.searched.found.iter().map(move |f| (v.vendor.as_str(), f)))
    }
}

/// Runs `explore`. `Err` is a usage or environment problem (exit 2), the
/// server gone mid-run (exit 2) or Ctrl-C (exit 130), the last two with the
/// report of what ran; a broken rule is an `Ok` report that did not succeed
/// (exit 1). The command writes the reports (`harness::command::explore`).
pub async fn explore(options: ExploreOptions) -> Result<ExploreReport, RunError> {
    let external = matches!(options.target, TargetChoice::External(_));
    let replay = match options.replay.as_deref() {
        Some(path) => Some(
            render::ReplayFile::read(path).map_err(|problem| Usage::Replay {
                path: path.to_owned(),
                problem,
            })?,
        ),
        None => None,
    };
    let (targets, _server) = start(options.target).await?;
    if let Some(r) = &replay
        && !targets.iter().any(|t| t.vendor.as_str() == r.vendor)
    {
        return Err(Usage::Replay {
            path: options.replay.clone().unwrap_or_default(),
            problem: format!(
                "it is a {} case; the target is {}",
                r.vendor,
                targets
                    .iter()
                    .map(|t| t.vendor.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
        .into());
    }
    let state = match (&options.state, external) {
        (Some(path), true) => Some(state::State::from_env(path)?),
        _ => None,
    };
    let seed = options.plan.seed;
    let mut explored = Vec::new();
    for target in targets {
        if replay
            .as_ref()
            .is_some_and(|r| r.vendor != target.vendor.as_str())
        {
            continue;
        }
        let suite = Suite::of(target.vendor);
        let Some(explorer) = suite.explorer() else {
            return Err(Usage::NoExploreModel(target.vendor).into());
        };
        let http = HttpClient::new(
            suite.spec(),
            &target.base_url,
            target.insecure_tls,
            target.timeout,
        )
        .map_err(|e| RunError::io("cannot build the HTTP client", e))?;
        let mut target = target;
        // What the server offers where its document leaves it open
        // (LiquidFiles' logins) is found out first, as `run` does.
        for line in suite.discover(&mut target, &http).await {
            if options.output != Output::Quiet {
                console::out(&format!("{line}\n"));
            }
        }
        let ctx = RunContext::new(target, http, options.strict);
        if let Some(state) = &state {
            ctx.remember_enrolment_from(state)?;
        }
        if external && !options.skip_preflight {
            let problems = preflight::check(&ctx).await;
            if !problems.is_empty() {
                return Err(RunError::Preflight(problems));
            }
        }
        // Ctrl-C stops the run as a gone server does: after the operation under way.
        let watcher = options.interrupt.clone().map(|interrupt| {
            let ctx = ctx.clone();
            tokio::spawn(async move {
                let signal = interrupt.triggered().await;
                ctx.stop_run(Stop::Interrupted(signal));
            })
        });
        let mut plan = options.plan.clone();
        // The vendors of one run draw apart, yet each from the printed seed.
        plan.seed = seed ^ fnv(ctx.target.vendor.as_str());
        let budget = std::sync::Arc::new(engine::Budget::new(plan.wrong_passwords));
        let searched = match &replay {
            Some(r) => explorer
                .replay(&ctx, &plan, &budget, r.ops.clone())
                .await
                .map_err(|problem| Usage::Replay {
                    path: options.replay.clone().unwrap_or_default(),
                    problem,
                })?,
            None if options.inputs == Inputs::Only => Searched::default(),
            None => explorer.search(&ctx, &plan, &budget).await,
        };
        let inputs = match (&replay, options.inputs) {
            (None, Inputs::Also | Inputs::Only) if ctx.stopped().is_none() => {
                Some(inputs::run(&ctx, &plan, &budget).await)
            }
            _ => None,
        };
        if let Some(w) = watcher {
            w.abort();
        }
        finish(&ctx, state.as_ref()).await;
        let stopped = ctx.stopped();
        let mut written = Vec::new();
        if let Some(dir) = &options.out_dir {
            for (n, found) in searched.found.iter().enumerate() {
                written.push(write_finding(dir, &ctx, seed, n + 1, found)?);
            }
        }
        let shown = searched
            .found
            .iter()
            .map(|f| finding_text(ctx.target.vendor.as_str(), seed, f, &ctx.secrets))
            .collect();
        explored.push(Explored {
            vendor: ctx.target.vendor.as_str().to_owned(),
            property: explorer.property(),
            rules: explorer.rules(&ctx.target),
            searched,
            inputs,
            written,
            shown,
        });
        // Shown as it ends: findings first, with their three renderings.
        if options.output != Output::Quiet
            && let Some(v) = explored.last()
        {
            console::out(&console_text(v, &ctx));
        }
        // The server gone, or Ctrl-C: the report holds what ran.
        match stopped {
            Some(Stop::ServerGone(reason)) => {
                return Err(RunError::ServerGone {
                    reason: format!("the server stopped answering ({reason})"),
                    report: Box::new(run_report(&explored, seed)),
                });
            }
            Some(Stop::Interrupted(signal)) => {
                return Err(RunError::Interrupted {
                    signal,
                    report: Box::new(run_report(&explored, seed)),
                });
            }
            _ => {}
        }
    }
    let report = run_report(&explored, seed);
    if options.output != Output::Quiet {
        console::out(&report.summary());
    }
    Ok(ExploreReport {
        seed,
        vendors: explored,
        report,
    })
}

/// What `run` does at its end: the enrolment remembered, what can be set
/// back set back, what was issued ended.
async fn finish(ctx: &RunContext, state: Option<&state::State>) {
    if let Some(state) = state
        && let Err(e) = ctx.save_enrolment_to(state, &Default::default())
    {
        eprintln!("authconform: {e}");
    }
    if let Err(e) = ctx.restore().await {
        eprintln!("authconform: {e}");
    }
    if ctx.stopped().is_none() {
        let failed = ctx.end_issued().await;
        if failed > 0 {
            eprintln!(
                "authconform: {failed} session(s) or token(s) the run was issued could not be ended"
            );
        }
    }
}

/// A stable 64-bit hash of a vendor id (FNV-1a), mixed into the seed.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Writes a finding's replay file and curl script into `dir`.
fn write_finding(
    dir: &std::path::Path,
    ctx: &RunContext,
    seed: u64,
    n: usize,
    found: &engine::Found,
) -> Result<(PathBuf, PathBuf), RunError> {
    let vendor = ctx.target.vendor.as_str();
    let stem = dir.join(format!("explore-{vendor}-{seed}-{n}"));
    let json = stem.with_extension("json");
    let sh = stem.with_extension("sh");
    let replay = render::ReplayFile::of(vendor, seed, found);
    let text = serde_json::to_string_pretty(&replay).unwrap_or_default();
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&json, text))
        .and_then(|()| std::fs::write(&sh, render::curl_script(found, &ctx.secrets)))
        .map_err(|e| RunError::io(format!("cannot write {}", json.display()), e))?;
    Ok((json, sh))
}

/// The console text of one vendor's exploration: each finding, then the counts.
fn console_text(v: &Explored, ctx: &RunContext) -> String {
    let s = &v.searched;
    let mut out = format!(
        "explore {}: {} case(s), {} operation(s) in {:.1} s{}{}\n",
        v.vendor,
        s.cases,
        s.steps,
        s.elapsed.as_secs_f64(),
        if s.inconclusive > 0 {
            format!(
                ", {} inconclusive (the server was busy, or a step could not judge what it saw)",
                s.inconclusive
            )
        } else {
            String::new()
        },
        s.stopped
            .as_ref()
            .map(|why| format!("; stopped: {why}"))
            .unwrap_or_default()
    );
    for (n, shown) in v.shown.iter().enumerate() {
        out.push_str(shown);
        if let Some((json, sh)) = v.written.get(n) {
            out.push_str(&format!(
                "  curl script: {}\n  replay: authconform explore --replay {}{}\n",
                sh.display(),
                json.display(),
                if ctx.target.base_url.contains("127.0.0.1") {
                    String::new()
                } else {
                    " --target <the same target file>".to_owned()
                }
            ));
        }
    }
    if let Some(inputs) = &v.inputs {
        out.push_str(&inputs.console_text());
    }
    out
}

/// One finding as the console and the reports show it.
pub fn finding_text(
    vendor: &str,
    seed: u64,
    found: &engine::Found,
    secrets: &crate::redact::Secrets,
) -> String {
    let broke = match found.rule {
        Some(rule) => format!("broke {rule}"),
        None => format!("broke: {}", found.signature),
    };
    let mut out = format!(
        "FAIL explore {vendor} {broke}\n  found in case {} (seed {seed}); shrunk from {} to {} operation(s) in {} run(s), {} ms\n  as a scenario:\n",
        found.case,
        found.drawn_len,
        found.shrunk_len,
        found.shrink_runs,
        found.shrink_time.as_millis()
    );
    for line in render::scenario(vendor, found).lines() {
        out.push_str(&format!("    {line}\n"));
    }
    out.push_str("  what failed:\n");
    for line in found.failure.0.lines() {
        out.push_str(&format!("    {line}\n"));
    }
    out.push_str("  the case's requests (curl, secrets redacted):\n");
    for line in render::curl_script(found, secrets).lines().skip(3) {
        out.push_str(&format!("    {line}\n"));
    }
    out
}

/// The exploration as a run's report: per vendor one test per rule its model
/// checks (failed with the shrunk case when it broke), one for the spec's
/// documented bodies and other checks, and one for bad input.
fn run_report(explored: &[Explored], seed: u64) -> RunReport {
    let mut scenarios = Vec::new();
    for v in explored {
        let feature = format!("explore/{}", v.vendor);
        let vendor = Suite::by_id(&v.vendor).map(Suite::vendor);
        let mut claimed = vec![false; v.searched.found.len()];
        let per_test = |name: String,
                        line: usize,
                        pick: &dyn Fn(&engine::Found) -> bool,
                        claimed: &mut Vec<bool>| {
            let mut failure = String::new();
            for (i, f) in v.searched.found.iter().enumerate() {
                if !claimed[i] && pick(f) {
                    claimed[i] = true;
                    failure.push_str(&v.shown[i]);
                }
            }
            ScenarioResult {
                id: None,
                name,
                vendor,
                feature: feature.clone(),
                line,
                duration: Duration::ZERO,
                outcome: if failure.is_empty() {
                    Outcome::Passed
                } else {
                    Outcome::Failed
                },
                failure: (!failure.is_empty()).then_some(failure),
                warnings: Vec::new(),
                steps: Vec::new(),
            }
        };
        if v.searched.cases > 0 {
            for (i, rule) in v.rules.iter().enumerate() {
                scenarios.push(per_test(
                    format!("explore: {} ({})", rule.says, rule.id),
                    i + 1,
                    &|f| f.rule.is_some_and(|r| r.id == rule.id),
                    &mut claimed,
                ));
            }
            let mut rest = per_test(
                format!(
                    "explore: {}: every other answer is one the documents allow (the spec's documented bodies, no server error)",
                    v.property
                ),
                v.rules.len() + 1,
                &|_| true,
                &mut claimed,
            );
            rest.warnings = v.searched.warnings.clone();
            rest.duration = v.searched.elapsed;
            scenarios.push(rest);
        }
        if let Some(inputs) = &v.inputs {
            scenarios.push(inputs.result(vendor, &feature, v.rules.len() + 2));
        }
    }
    RunReport {
        target_description: format!(
            "explore (seed {seed}) of {}",
            explored
                .iter()
                .map(|v| v.vendor.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        scenarios,
        ..RunReport::default()
    }
}

/// The seed of a run that was given none: from the clock, printed so the run
/// can be drawn again.
pub fn fresh_seed() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    fnv(&format!("{}{}", now.as_nanos(), std::process::id())) % 1_000_000_000
}
