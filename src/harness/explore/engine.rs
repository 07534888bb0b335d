//! The engine of `authconform explore`: a vendor's [`Model`] (its documented
//! operations and what the documented rules allow after each), one case run
//! against the server ([`run_case`]), the search over cases and the
//! shrinking of a failing one ([`search`]), on proptest's value trees.
//!
//! The engine names no vendor; a vendor's model lives in its folder
//! (`harness/<vendor>/model.rs`) and reaches the generic code through
//! [`crate::harness::suite::VendorSuite::explorer`].

use std::collections::{HashMap, VecDeque};
use std::fmt::Debug;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::LocalBoxFuture;
use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::harness::exchange::{Call, Exchange};
use crate::harness::report::Warning;
use crate::harness::target::Target;
use crate::harness::world::{Check, ConformanceWorld, Failure, RunContext};
use crate::provenance::Rule;

/// A vendor's model of its documented rules, for `explore`.
///
/// A value of it is the model's state during one case: what the server must
/// hold after the operations so far (sessions, tokens, passwords), made
/// afresh by [`Model::start`] for every case. [`Model::step`] sends one
/// operation and judges the answer with the world's checks (`documented`
/// citing a rule of the vendor's table, `reference`, the spec check), exactly
/// as a scenario's steps do; where the documents allow a range, the model
/// allows it.
pub trait Model: Send + Sized + 'static {
    /// One documented operation, as drawn (indices into what the case holds
    /// are taken modulo its size, so a shrunk sequence still means something).
    type Op: Clone + Debug + Serialize + DeserializeOwned + Send + Sync + 'static;

    /// The property's name in the reports (`limecraft sessions and tokens`).
    const PROPERTY: &'static str;

    /// The kinds of operation this target offers (a clock, a two-factor
    /// account…), each with its weight. A case draws from a random subset of
    /// them (swarm testing: Groce et al., ISSTA 2012), so that the few kinds
    /// an order-dependent bug needs meet often.
    fn ops(target: &Target) -> Vec<(u32, BoxedStrategy<Self::Op>)>;

    /// The rules the model checks: one test each in the reports.
    fn rules() -> &'static [&'static Rule];

    /// The rules the model checks against `target`: those of the operations
    /// it draws there ([`Model::ops`]), so that a report claims no rule of
    /// an operation the target cannot play. All of [`Model::rules`] unless
    /// the model says otherwise.
    fn rules_for(_target: &Target) -> &'static [&'static Rule] {
        Self::rules()
    }

    /// The model at the start of a case, from what the run knows.
    fn start(ctx: &RunContext) -> Self;

    /// Sends `op` (through [`Case::send`]) and judges the answer; says what
    /// it did in the feature files' words ([`Case::say`]).
    fn step(&mut self, case: &mut Case, op: &Self::Op) -> impl Future<Output = Result<(), Halt>>;

    /// Puts back what the case changed and can set back (a password); its
    /// answers are not judged.
    fn finish(&mut self, case: &mut Case) -> impl Future<Output = ()>;
}

/// Why a case stopped before its last operation.
#[derive(Debug)]
pub enum Halt {
    /// A check that did not hold: the server broke a rule (or, under
    /// `--strict`, a reference choice).
    Failed(Failure),
    /// The case cannot go on and says nothing of the server: the server
    /// stayed busy (429/503) past the back-off, or a budget ran out.
    Inconclusive(String),
}

/// A failure, or what a step could not judge (the player cannot see what
/// the page does: [`crate::harness::world::NOT_JUDGED`]), which says nothing
/// of the server.
impl From<Failure> for Halt {
    fn from(f: Failure) -> Self {
        if f.0.starts_with(crate::harness::world::NOT_JUDGED) {
            Halt::Inconclusive(f.0)
        } else {
            Halt::Failed(f)
        }
    }
}

/// The control API's clock could not be read or moved: the case says nothing
/// of the server's rules.
impl From<crate::harness::control_api::ControlError> for Halt {
    fn from(e: crate::harness::control_api::ControlError) -> Self {
        Halt::Inconclusive(e.to_string())
    }
}

/// How a failure is told apart from another: the same broken check (a
/// rule's id; a spec or reference check by what it expected). Shrinking keeps
/// a smaller case only when it fails the same way.
pub fn signature(w: &ConformanceWorld, failure: &Failure) -> String {
    match w.broken_check() {
        Some(Check::Documented(rule)) => rule.id.to_owned(),
        Some(Check::Spec) => format!(
            "spec: {}",
            first_line(&failure.0).trim_start_matches("expected: ")
        ),
        _ => first_line(&failure.0)
            .trim_start_matches("expected: ")
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .collect(),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// What limits a run, and how careful it is with a deployment.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The seed of the first case's draw; the same seed draws the same cases.
    pub seed: u64,
    /// Cases drawn at most (each a sequence of operations).
    pub cases: u32,
    /// Wall time for the search at most (shrinking included).
    pub time: Option<Duration>,
    /// Operations in a case at most.
    pub max_steps: usize,
    /// Runs of a shrunk candidate at most, per failure.
    pub max_shrink_runs: u32,
    /// Wrong passwords sent for one account within [`Budget::WINDOW`] at
    /// most (the server's own throttle must never lock it).
    pub wrong_passwords: u32,
    /// Longest `Retry-After` the run waits for before a 429/503 makes the
    /// case inconclusive.
    pub max_retry_after: Duration,
    /// Go on after the first failure, for failures of other kinds (each
    /// shrunk too); otherwise the search stops at the first, as proptest does.
    pub keep_going: bool,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            seed: 0,
            cases: 100,
            time: None,
            max_steps: 12,
            max_shrink_runs: 300,
            wrong_passwords: 3,
            max_retry_after: Duration::from_secs(30),
            keep_going: false,
        }
    }
}

/// What a run may still spend on one deployment: wrong passwords per account.
pub struct Budget {
    wrong: Mutex<HashMap<String, VecDeque<Instant>>>,
    limit: u32,
    /// Wrong passwords left out because of the limit.
    pub refused: std::sync::atomic::AtomicU32,
    /// Codes refused since the last accepted one (a server may lock a second
    /// factor after a few: RFC 4226 §7.3).
    codes_refused: std::sync::atomic::AtomicU32,
}

impl Budget {
    /// The window the wrong-password limit counts in: 15 minutes, as
    /// LiquidFiles' own throttle does (the longest any document gives).
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);

    pub fn new(limit: u32) -> Self {
        Budget {
            wrong: Mutex::new(HashMap::new()),
            limit,
            refused: Default::default(),
            codes_refused: Default::default(),
        }
    }

    /// Codes refused in a row the run allows itself: under any lockout a
    /// document or RFC 4226 §7.3's advice would make.
    pub const CODES_REFUSED_IN_A_ROW: u32 = 3;

    /// Whether a code the server must refuse may be sent now.
    pub fn may_send_refused_code(&self) -> bool {
        self.codes_refused
            .load(std::sync::atomic::Ordering::Relaxed)
            < Self::CODES_REFUSED_IN_A_ROW
    }

    /// Files what the server made of a code: refusals count, an acceptance clears them.
    pub fn code_answered(&self, accepted: bool) {
        use std::sync::atomic::Ordering::Relaxed;
        if accepted {
            self.codes_refused.store(0, Relaxed);
        } else {
            self.codes_refused.fetch_add(1, Relaxed);
        }
    }

    /// Whether a wrong password may be sent for `account` now; if so it is counted.
    pub fn wrong_password(&self, account: &str) -> bool {
        let mut all = self.wrong.lock().unwrap_or_else(|e| e.into_inner());
        let sent = all.entry(account.to_ascii_lowercase()).or_default();
        while sent.front().is_some_and(|t| t.elapsed() >= Self::WINDOW) {
            sent.pop_front();
        }
        if sent.len() as u32 >= self.limit {
            self.refused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return false;
        }
        sent.push_back(Instant::now());
        true
    }
}

/// One case in progress: the world its model sends and checks through
/// (which keeps every exchange, for the curl script), the lines it says.
pub struct Case {
    pub w: ConformanceWorld,
    lines: Vec<String>,
    budget: Arc<Budget>,
    max_retry_after: Duration,
    /// Requests sent again after a 429/503.
    pub retries: u32,
}

impl Case {
    pub(crate) fn new(ctx: Arc<RunContext>, budget: Arc<Budget>, plan: &Plan) -> Self {
        Case {
            w: ConformanceWorld::detached(ctx),
            lines: Vec::new(),
            budget,
            max_retry_after: plan.max_retry_after,
            retries: 0,
        }
    }

    pub fn ctx(&self) -> Arc<RunContext> {
        self.w.ctx()
    }

    /// A line of the case in the feature files' words (`When alice logs out`).
    pub fn say(&mut self, line: impl Into<String>) {
        self.lines.push(line.into());
    }

    /// Sends a call. A 429 or 503 with a `Retry-After` the plan allows is
    /// waited out and sent again (twice at most); one that stays makes the
    /// case inconclusive: a busy server says nothing of its rules.
    pub async fn send(&mut self, call: Call) -> Result<Exchange, Halt> {
        for attempt in 0..3 {
            let x = self.w.send(call.clone()).await?;
            if !matches!(x.status, 429 | 503) {
                return Ok(x);
            }
            let wait = retry_after(&x);
            match wait {
                Some(wait) if wait <= self.max_retry_after && attempt < 2 => {
                    self.retries += 1;
                    tokio::time::sleep(wait).await;
                }
                _ => {
                    return Err(Halt::Inconclusive(format!(
                        "{} {} answered {}{}: the server is busy or throttling",
                        x.method,
                        x.operation,
                        x.status,
                        wait.map(|w| format!(" (Retry-After {} s)", w.as_secs()))
                            .unwrap_or_default()
                    )));
                }
            }
        }
        unreachable!("the loop returns")
    }

    /// [`Self::send`], then the spec check of the answer (a documented body
    /// that breaks its shape fails; any other difference warns).
    pub async fn send_checked(&mut self, call: Call) -> Result<Exchange, Halt> {
        let x = self.send(call).await?;
        self.w.spec_check(&x)?;
        Ok(x)
    }

    /// Whether a wrong password may be sent for `account` (the run's budget).
    pub fn may_send_wrong_password(&self, account: &str) -> bool {
        self.budget.wrong_password(account)
    }

    /// Runs a step of the feature files by its sentence (`When alice logs
    /// out`), through the steps cucumber runs: the case says it, and its
    /// failure is the step's. A model made of the scenarios' own steps.
    pub async fn sentence(&mut self, line: &str) -> Result<(), Halt> {
        use cucumber::gherkin::{LineCol, Span, Step, StepType};
        use futures::FutureExt as _;
        let (keyword, value) = line.split_once(' ').unwrap_or((line, ""));
        let ty = match keyword {
            "Given" => StepType::Given,
            "When" => StepType::When,
            _ => StepType::Then,
        };
        let step = Step {
            keyword: format!("{keyword} "),
            ty,
            value: value.to_owned(),
            docstring: None,
            table: None,
            span: Span { start: 0, end: 0 },
            position: LineCol { line: 0, col: 0 },
        };
        let found = steps()
            .find(&step)
            .map_err(|e| Halt::Inconclusive(format!("`{line}` matches several steps: {e}")))?;
        let Some((function, _, _, context)) = found else {
            return Err(Halt::Inconclusive(format!("`{line}` matches no step")));
        };
        self.say(line);
        // A failed step panics (cucumber's way); its message is the failure.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let ran = std::panic::AssertUnwindSafe(function(&mut self.w, context))
            .catch_unwind()
            .await;
        std::panic::set_hook(hook);
        ran.map_err(|payload| {
            let text = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "the step failed".to_owned());
            Halt::from(Failure(text))
        })
    }

    /// The run's budget (wrong passwords, refused codes).
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// A documented rule's check (the world's).
    pub fn documented(&self, rule: &'static Rule, holds: bool, expected: &str) -> Result<(), Halt> {
        Ok(self.w.documented(rule, holds, expected)?)
    }

    /// A reference choice's check: a warning unless `--strict`.
    pub fn reference(&self, holds: bool, expected: &str) -> Result<(), Halt> {
        Ok(self.w.reference(holds, expected)?)
    }
}

/// The steps of the feature files, as cucumber collects them (once).
fn steps() -> &'static cucumber::step::Collection<ConformanceWorld> {
    static STEPS: std::sync::OnceLock<cucumber::step::Collection<ConformanceWorld>> =
        std::sync::OnceLock::new();
    STEPS.get_or_init(<ConformanceWorld as cucumber::World>::collection)
}

/// `Retry-After` in seconds (RFC 9110 §10.2.3; an HTTP date is not waited for).
fn retry_after(x: &Exchange) -> Option<Duration> {
    x.response_headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, v)| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// How one case ended.
pub struct CaseRun {
    pub verdict: Verdict,
    /// Operations sent (of those drawn).
    pub steps: usize,
    /// The case in the feature files' words.
    pub lines: Vec<String>,
    pub exchanges: Vec<Exchange>,
    pub warnings: Vec<Warning>,
    pub retries: u32,
}

pub enum Verdict {
    Passed,
    Failed {
        signature: String,
        failure: Failure,
        rule: Option<&'static Rule>,
    },
    Inconclusive(String),
}

/// Runs `ops` as one case against the run's server, from a fresh model.
pub async fn run_case<M: Model>(
    ctx: &Arc<RunContext>,
    budget: &Arc<Budget>,
    plan: &Plan,
    ops: &[M::Op],
) -> CaseRun {
    let mut model = M::start(ctx);
    let mut case = Case::new(ctx.clone(), budget.clone(), plan);
    let mut verdict = Verdict::Passed;
    let mut steps = 0;
    for op in ops {
        if ctx.stopped().is_some() {
            break;
        }
        steps += 1;
        match model.step(&mut case, op).await {
            Ok(()) => {}
            Err(Halt::Failed(failure)) => {
                let rule = match case.w.broken_check() {
                    Some(Check::Documented(rule)) => Some(rule),
                    _ => None,
                };
                verdict = Verdict::Failed {
                    signature: signature(&case.w, &failure),
                    failure,
                    rule,
                };
                break;
            }
            Err(Halt::Inconclusive(why)) => {
                verdict = Verdict::Inconclusive(why);
                break;
            }
        }
    }
    model.finish(&mut case).await;
    CaseRun {
        verdict,
        steps,
        warnings: case.w.take_warnings(),
        lines: std::mem::take(&mut case.lines),
        exchanges: std::mem::take(&mut case.w.exchanges),
        retries: case.retries,
    }
}

/// A failure found, shrunk.
pub struct Found {
    pub signature: String,
    pub rule: Option<&'static Rule>,
    /// The shrunk case's report (expectation, trail, exchange, curl line), redacted.
    pub failure: Failure,
    /// The shrunk operations, as the replay file holds them.
    pub ops: serde_json::Value,
    pub lines: Vec<String>,
    pub exchanges: Vec<Exchange>,
    /// Which case (1-based) first failed this way.
    pub case: u32,
    /// Operations of the case as drawn, and after shrinking.
    pub drawn_len: usize,
    pub shrunk_len: usize,
    /// Candidate runs while shrinking, and their wall time.
    pub shrink_runs: u32,
    pub shrink_time: Duration,
}

/// What a search found and spent.
#[derive(Default)]
pub struct Searched {
    pub found: Vec<Found>,
    pub cases: u32,
    pub steps: u64,
    pub inconclusive: u32,
    pub warnings: Vec<Warning>,
    /// Why the search stopped before its last case, if it did.
    pub stopped: Option<String>,
    pub elapsed: Duration,
    pub retries: u32,
}

impl Searched {
    fn warn(&mut self, warnings: Vec<Warning>) {
        for w in warnings {
            if !self.warnings.iter().any(|o| o.expected == w.expected) {
                self.warnings.push(w);
            }
        }
    }
}

/// The proptest runner of a seed: the same seed draws the same cases.
pub fn runner(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(
            &(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_le_bytes(),
        );
    }
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// Draws cases of `M`'s operations until the plan's budget is spent; each
/// failure of a kind not seen yet is shrunk (proptest's value tree: fewer
/// operations first, then simpler ones) to the shortest case that still fails
/// the same way.
pub async fn search<M: Model>(
    ctx: &Arc<RunContext>,
    plan: &Plan,
    budget: &Arc<Budget>,
) -> Searched {
    let started = Instant::now();
    let strategy = cases::<M>(&ctx.target, plan.max_steps);
    let mut runner = runner(plan.seed);
    let mut out = Searched::default();
    let out_of_time = |started: Instant| plan.time.is_some_and(|t| started.elapsed() >= t);
    for n in 1..=plan.cases {
        if out_of_time(started) {
            out.stopped = Some(format!("--seconds was reached after {} case(s)", out.cases));
            break;
        }
        if let Some(stop) = ctx.stopped() {
            out.stopped = Some(stop.reason());
            break;
        }
        let Ok(mut tree) = strategy.new_tree(&mut runner) else {
            break;
        };
        let ops = tree.current();
        let run = run_case::<M>(ctx, budget, plan, &ops).await;
        out.cases += 1;
        out.steps += run.steps as u64;
        out.retries += run.retries;
        out.warn(run.warnings);
        let (signature, failure, rule) = match run.verdict {
            Verdict::Passed => continue,
            Verdict::Inconclusive(_) => {
                out.inconclusive += 1;
                continue;
            }
            Verdict::Failed {
                signature,
                failure,
                rule,
            } => (signature, failure, rule),
        };
        if ctx.stopped().is_some() || out.found.iter().any(|f| f.signature == signature) {
            continue;
        }
        // Shrink: a shorter or simpler case that fails the same way is
        // kept. The operations after the one that failed never ran: the
        // case without them is the same case.
        let shrink_started = Instant::now();
        let mut best = Shrunk {
            ops: ops[..run.steps.clamp(1, ops.len())].to_vec(),
            failure,
            lines: run.lines,
            exchanges: run.exchanges,
            rule,
        };
        let mut shrink_runs = 0;
        let may_run = |runs: u32| runs < plan.max_shrink_runs && !out_of_time(started);
        // First delta debugging's one pass (Zeller and Hildebrandt, TSE
        // 2002), cheap where proptest's value tree of a swarm is not: the
        // failing operation alone, then each earlier one left out in turn.
        if best.ops.len() > 1 && may_run(shrink_runs) {
            shrink_runs += 1;
            let alone = best.ops[best.ops.len() - 1..].to_vec();
            if let Some(s) = same_failure::<M>(ctx, budget, plan, &signature, alone, &mut out).await
            {
                best = s;
            }
        }
        let mut i = 0;
        while i + 1 < best.ops.len() && may_run(shrink_runs) {
            shrink_runs += 1;
            let mut without = best.ops.clone();
            without.remove(i);
            match same_failure::<M>(ctx, budget, plan, &signature, without, &mut out).await {
                Some(s) => best = s,
                None => i += 1,
            }
        }
        // Then proptest's: fewer operations, then simpler ones.
        if best.ops.len() > 1 && tree.simplify() {
            while may_run(shrink_runs) {
                shrink_runs += 1;
                let candidate = tree.current();
                let next =
                    match same_failure::<M>(ctx, budget, plan, &signature, candidate, &mut out)
                        .await
                    {
                        Some(s) => {
                            if s.ops.len() <= best.ops.len() {
                                best = s;
                            }
                            tree.simplify()
                        }
                        None => tree.complicate(),
                    };
                if !next {
                    break;
                }
            }
        }
        let Shrunk {
            ops: shrunk,
            failure,
            lines,
            exchanges,
            rule,
        } = best;
        out.found.push(Found {
            signature,
            rule,
            failure,
            ops: serde_json::to_value(&shrunk).unwrap_or_default(),
            lines,
            exchanges,
            case: n,
            drawn_len: ops.len(),
            shrunk_len: shrunk.len(),
            shrink_runs,
            shrink_time: shrink_started.elapsed(),
        });
        if !plan.keep_going {
            break;
        }
    }
    out.elapsed = started.elapsed();
    out
}

/// A case that fails, cut after the operation that failed.
struct Shrunk<Op> {
    ops: Vec<Op>,
    failure: Failure,
    lines: Vec<String>,
    exchanges: Vec<Exchange>,
    rule: Option<&'static Rule>,
}

/// Runs `ops`; the case, cut after its failing operation, when it fails as
/// `signature` says.
async fn same_failure<M: Model>(
    ctx: &Arc<RunContext>,
    budget: &Arc<Budget>,
    plan: &Plan,
    signature: &str,
    mut ops: Vec<M::Op>,
    out: &mut Searched,
) -> Option<Shrunk<M::Op>> {
    let run = run_case::<M>(ctx, budget, plan, &ops).await;
    out.steps += run.steps as u64;
    match run.verdict {
        Verdict::Failed {
            signature: s,
            failure,
            rule,
        } if s == signature => {
            ops.truncate(run.steps.max(1));
            Some(Shrunk {
                ops,
                failure,
                lines: run.lines,
                exchanges: run.exchanges,
                rule,
            })
        }
        _ => None,
    }
}

/// The cases of a model: a random subset of its kinds of operation (at
/// least one), then a sequence of up to `max_steps` drawn from them.
pub fn cases<M: Model>(target: &Target, max_steps: usize) -> BoxedStrategy<Vec<M::Op>> {
    let kinds = M::ops(target);
    let max_steps = max_steps.max(1);
    proptest::collection::vec(proptest::bool::weighted(0.6), kinds.len())
        .prop_flat_map(move |on| {
            let mut chosen: Vec<(u32, BoxedStrategy<M::Op>)> = kinds
                .iter()
                .zip(&on)
                .filter(|(_, on)| **on)
                .map(|(k, _)| k.clone())
                .collect();
            if chosen.is_empty() {
                chosen = kinds.clone();
            }
            proptest::collection::vec(
                proptest::strategy::Union::new_weighted(chosen),
                1..=max_steps,
            )
        })
        .boxed()
}

/// Runs the operations of a replay file once, as they are.
pub async fn replay<M: Model>(
    ctx: &Arc<RunContext>,
    plan: &Plan,
    budget: &Arc<Budget>,
    ops: serde_json::Value,
) -> Result<Searched, String> {
    let ops: Vec<M::Op> = serde_json::from_value(ops).map_err(|e| {
        format!(
            "the replay file's operations are not {}'s: {e}",
            ctx.target.vendor
        )
    })?;
    let started = Instant::now();
    let run = run_case::<M>(ctx, budget, plan, &ops).await;
    let mut out = Searched {
        cases: 1,
        steps: run.steps as u64,
        retries: run.retries,
        ..Searched::default()
    };
    out.warn(run.warnings);
    match run.verdict {
        Verdict::Passed => {}
        Verdict::Inconclusive(why) => {
            out.inconclusive = 1;
            out.stopped = Some(why);
        }
        Verdict::Failed {
            signature,
            failure,
            rule,
        } => out.found.push(Found {
            signature,
            rule,
            failure,
            ops: serde_json::to_value(&ops).unwrap_or_default(),
            lines: run.lines,
            exchanges: run.exchanges,
            case: 1,
            drawn_len: ops.len(),
            shrunk_len: ops.len(),
            shrink_runs: 0,
            shrink_time: Duration::ZERO,
        }),
    }
    out.elapsed = started.elapsed();
    Ok(out)
}

/// A vendor's model behind one object: what a suite hands the generic
/// `explore` ([`crate::harness::suite::VendorSuite::explorer`]).
pub trait Explorer: Send + Sync + 'static {
    /// The property's name in the reports.
    fn property(&self) -> &'static str;
    /// The rules its model checks against `target`.
    fn rules(&self, target: &Target) -> &'static [&'static Rule];
    fn search<'a>(
        &'a self,
        ctx: &'a Arc<RunContext>,
        plan: &'a Plan,
        budget: &'a Arc<Budget>,
    ) -> LocalBoxFuture<'a, Searched>;
    fn replay<'a>(
        &'a self,
        ctx: &'a Arc<RunContext>,
        plan: &'a Plan,
        budget: &'a Arc<Budget>,
        ops: serde_json::Value,
    ) -> LocalBoxFuture<'a, Result<Searched, String>>;
}

/// A [`Model`] as an [`Explorer`]: `&ModelExplorer::<LimecraftModel>::NEW`.
pub struct ModelExplorer<M>(PhantomData<fn() -> M>);

impl<M> ModelExplorer<M> {
    pub const NEW: Self = ModelExplorer(PhantomData);
}

impl<M: Model> Explorer for ModelExplorer<M> {
    fn property(&self) -> &'static str {
        M::PROPERTY
    }

    fn rules(&self, target: &Target) -> &'static [&'static Rule] {
        M::rules_for(target)
    }

    fn search<'a>(
        &'a self,
        ctx: &'a Arc<RunContext>,
        plan: &'a Plan,
        budget: &'a Arc<Budget>,
    ) -> LocalBoxFuture<'a, Searched> {
        Box::pin(search::<M>(ctx, plan, budget))
    }

    fn replay<'a>(
        &'a self,
        ctx: &'a Arc<RunContext>,
        plan: &'a Plan,
        budget: &'a Arc<Budget>,
        ops: serde_json::Value,
    ) -> LocalBoxFuture<'a, Result<Searched, String>> {
        Box::pin(replay::<M>(ctx, plan, budget, ops))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_cases() {
        let strategy = proptest::collection::vec(0u32..1000, 1..20);
        let draw = |seed| {
            let mut r = runner(seed);
            (0..5)
                .map(|_| strategy.new_tree(&mut r).unwrap().current())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }

    #[test]
    fn the_wrong_password_budget_counts_per_account() {
        let b = Budget::new(2);
        assert!(b.wrong_password("alice"));
        assert!(b.wrong_password("Alice"));
        assert!(!b.wrong_password("alice"), "a third in the window");
        assert!(b.wrong_password("bob"));
        assert_eq!(b.refused.load(std::sync::atomic::Ordering::Relaxed), 1);
    }
}
