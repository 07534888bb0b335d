//! The state of one scenario ([`ConformanceWorld`]) and of one run ([`RunContext`]).
//!
//! A scenario starts with an empty world; the run context, shared by every
//! scenario of a run, holds what outlives a scenario: the target, the HTTP
//! client, the secrets to redact, the server clock, and a 2FA enrolment.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::harness::exchange::{Call, Exchange, HttpClient};
pub use crate::harness::report::Warning;
use crate::harness::state::AccountUpdate;
pub use crate::harness::state::Enrolment;
use crate::harness::suite::{Issued, Suite};
use crate::harness::target::{Account, Target};
pub use crate::provenance::{Provenance, Rule};
use crate::redact::Secrets;
use crate::totp::{self, TotpParams};

/// A step's verdict: `Err` carries what was expected and what came back.
pub type StepResult = Result<(), Failure>;

/// Why a step failed, rendered for the report with secrets masked.
#[derive(Debug)]
pub struct Failure(pub String);

/// How a step's failure text starts when the scenario could not be judged:
/// the server's own answers leave it nothing to check (a sign-on without the
/// expiration an expiry scenario counts from), or the player cannot see what
/// the page does (the runner reports it as skipped, with the rest as the
/// reason).
pub const NOT_JUDGED: &str = "not judged: ";

impl Failure {
    /// The scenario cannot be judged here (`why` says why; it starts with
    /// [`NOT_JUDGED`] or gets it): reported as skipped with that reason.
    pub fn not_judged(why: impl std::fmt::Display) -> Failure {
        let why = why.to_string();
        if why.starts_with(NOT_JUDGED) {
            Failure(why)
        } else {
            Failure(format!("{NOT_JUDGED}{why}"))
        }
    }
}

/// Shown [`neutral`](crate::harness::console::neutral): a failure quotes what
/// the server sent, and cucumber's own writer prints it as it is.
impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::harness::console::neutral(&self.0))
    }
}

/// A control API call a step needed that gave no answer fails the step with
/// what went wrong.
impl From<crate::harness::control_api::ControlError> for Failure {
    fn from(e: crate::harness::control_api::ControlError) -> Failure {
        Failure(e.to_string())
    }
}

/// What a run last wrote to the state file ([`RunContext::save_enrolment_to`]).
#[derive(Default)]
pub struct SavedState {
    secret: Option<Vec<u8>>,
    step: Option<i64>,
    session: Option<String>,
    steps_by_key: bool,
}

/// A TOTP step the server accepted for the two-factor account, as the Unix
/// second it ends (steps of keys with other periods compare by time), and
/// the key whose code it was (`None`: not known, e.g. a step from the state
/// file: taken as every key's).
#[derive(Clone, Debug)]
struct AcceptedStep {
    until: i64,
    secret: Option<Vec<u8>>,
    /// A validation's code, which a server surely counts as used (a proof
    /// sent with enable2fa may not be).
    validated: bool,
}

/// The newest accepted step of each key of the two-factor account (a run
/// makes a few keys; the oldest are forgotten past [`Self::KEYS`]).
#[derive(Default)]
struct AcceptedSteps(Vec<AcceptedStep>);

impl AcceptedSteps {
    const KEYS: usize = 16;

    fn file(&mut self, accepted: AcceptedStep) {
        match self
            .0
            .iter_mut()
            .find(|a| a.secret == accepted.secret && a.validated == accepted.validated)
        {
            Some(a) => a.until = a.until.max(accepted.until),
            None => {
                if self.0.len() == Self::KEYS {
                    self.0.remove(0);
                }
                self.0.push(accepted);
            }
        }
    }

    /// The end of the newest step accepted of any key.
    fn account(&self) -> Option<i64> {
        self.0.iter().map(|a| a.until).max()
    }

    /// The end of the newest step whose code of another key than `secret`
    /// a validation took.
    fn validated_by_others(&self, secret: &[u8]) -> Option<i64> {
        self.0
            .iter()
            .filter(|a| a.validated && a.secret.as_deref().is_some_and(|s| s != secret))
            .map(|a| a.until)
            .max()
    }

    /// The end of the newest step accepted of the key `secret`, or of a key
    /// not known (which may be this one).
    fn key(&self, secret: &[u8]) -> Option<i64> {
        self.0
            .iter()
            .filter(|a| a.secret.as_deref().is_none_or(|s| s == secret))
            .map(|a| a.until)
            .max()
    }
}

/// Whether `step` of a `period` begins before `until`, the end of the
/// newest step accepted: a server that keeps codes good once refuses it.
pub fn totp_step_used(until: Option<i64>, step: i64, period: u64) -> bool {
    until.is_some_and(|until| until > step * period as i64)
}

/// The first step of a `period` that begins at or after `until`: the oldest
/// one [`totp_step_used`] does not hold back.
fn first_unused_step(until: i64, period: i64) -> i64 {
    (until + period - 1).div_euclid(period)
}

/// What every scenario of one run shares.
pub struct RunContext {
    pub target: Target,
    /// `--strict`: a reference check that does not hold fails its step.
    pub strict: bool,
    pub http: HttpClient,
    pub secrets: Secrets,
    pub clock: crate::harness::control_api::ControlApi,
    pub enrolment: Mutex<Option<Enrolment>>,
    /// The newest TOTP step the suite has had accepted for the run's
    /// two-factor account; a later code must be newer (RFC 6238 §5.2: a code
    /// is good once). For the account, not for each of its keys: a server may
    /// keep its replay state on the user across a re-enrolment (the documents
    /// are silent), and then refuses a new key's code in the old one's period.
    /// Kept for each key too, for a caller that can try a new key's code in
    /// that period and wait only if it is refused.
    totp_step: Mutex<AcceptedSteps>,
    /// The server was seen to take a key's code in a step it had taken
    /// another key's code for: it keeps used steps for each key, so another
    /// key's steps no longer hold a code back.
    totp_replay_by_key: std::sync::atomic::AtomicBool,
    /// The two-factor account's newest final session, which a later
    /// scenario's login of that account reuses while the server still
    /// accepts it, and which the run leaves open for the next one (the state
    /// file) instead of ending it: each new session of that account costs a
    /// TOTP code, and without clock control a fresh code costs a wait of up
    /// to a period.
    two_factor_session: Mutex<Option<String>>,
    /// The run has a state file ([`Self::remember_enrolment_from`]): only
    /// then is the two-factor session left open, for the next run to find.
    has_state_file: std::sync::atomic::AtomicBool,
    /// The vendor's own state for the run ([`Self::run_state`]).
    run_state: Box<dyn Any + Send + Sync>,
    /// Set when the run stops early; every later request fails at once with it.
    pub stop: Arc<Mutex<Option<Stop>>>,
    /// Transport errors (refused, reset, timed out) in a row, over scenarios.
    transport_errors_in_a_row: Mutex<u32>,
    /// What the run's scenarios were issued and the end of the run ends, so
    /// that runs do not pile sessions and tokens up on a deployment.
    issued: Mutex<Vec<Issued>>,
    /// Where a long wait is announced (`[label] ` before the line), when the
    /// run prints progress lines; `None`: it is not.
    console: Mutex<Option<String>>,
}

/// Why a run stopped before its last scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The server stopped answering: the remaining scenarios would each wait
    /// for a timeout and fail for no conformance reason (exit 2).
    ServerGone(String),
    /// `--max-failures N` was reached (exit 1).
    MaxFailures(usize),
    /// Ctrl-C or SIGTERM (exit 130): the signal.
    Interrupted(&'static str),
}

impl Stop {
    /// Why the remaining scenarios did not run (`not run: …`), as a step's failure says it.
    pub fn reason(&self) -> String {
        format!("not run: {}", self.why())
    }

    /// What stopped the run.
    pub fn why(&self) -> String {
        match self {
            Stop::ServerGone(e) => format!("the server stopped answering ({e})"),
            Stop::MaxFailures(n) => format!("--max-failures {n} was reached"),
            Stop::Interrupted(signal) => format!("interrupted ({signal})"),
        }
    }
}

/// Transport errors in a row after which the server counts as gone.
pub const TRANSPORT_ERRORS_BEFORE_STOP: u32 = 3;

/// How long one scenario may take, from the target's timeout: twelve
/// requests' worth, at least two minutes (a scenario makes a few requests,
/// and may wait out a TOTP period against a target without clock control).
/// Checked before each request: a server that answers each request just
/// within the timeout cannot hold the run for long.
pub fn scenario_deadline(timeout: std::time::Duration) -> std::time::Duration {
    (timeout * 12).max(std::time::Duration::from_secs(120))
}

impl RunContext {
    /// Files `step` (of a key whose period is `period`) as accepted by the
    /// server (or possibly accepted): no later code of the two-factor account
    /// may be of a step that begins before it ends. The key is not known:
    /// the step counts as every key's.
    pub fn file_totp_step(&self, step: i64, period: u64) {
        self.file_accepted(AcceptedStep {
            until: (step + 1) * period as i64,
            secret: None,
            validated: false,
        });
    }

    /// [`Self::file_totp_step`] for a code of the key `secret` that a
    /// validation (`validated`) or another call (a proof) took.
    pub fn file_totp_step_of_key(&self, step: i64, period: u64, secret: &[u8], validated: bool) {
        self.file_accepted(AcceptedStep {
            until: (step + 1) * period as i64,
            secret: Some(secret.to_vec()),
            validated,
        });
    }

    fn file_accepted(&self, accepted: AcceptedStep) {
        let mut steps = self.totp_step.lock().unwrap_or_else(|e| e.into_inner());
        steps.file(accepted);
    }

    /// When the newest step the server accepted for the two-factor account
    /// ends (Unix seconds): of any key, or of the key `secret` alone once the
    /// server was seen to keep used steps for each key.
    pub fn totp_used_until(&self, secret: &[u8]) -> Option<i64> {
        let steps = self.totp_step.lock().unwrap_or_else(|e| e.into_inner());
        if self
            .totp_replay_by_key
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            steps.key(secret)
        } else {
            steps.account()
        }
    }

    /// When the newest step the server accepted of any key ends.
    pub fn totp_account_used_until(&self) -> Option<i64> {
        let steps = self.totp_step.lock().unwrap_or_else(|e| e.into_inner());
        steps.account()
    }

    /// [`Self::totp_used_until`] for the key `secret` alone, as far as the
    /// run knows (a step of a key not known counts as this one's).
    pub fn key_totp_used_until(&self, secret: &[u8]) -> Option<i64> {
        let steps = self.totp_step.lock().unwrap_or_else(|e| e.into_inner());
        steps.key(secret)
    }

    /// The server took a code of the key `secret` of `step`: when it had
    /// taken another key's code of that step in a validation, it keeps used
    /// steps for each key ([`Self::totp_used_until`]).
    pub fn saw_totp_taken(&self, secret: &[u8], step: i64, period: u64) {
        let steps = self.totp_step.lock().unwrap_or_else(|e| e.into_inner());
        if totp_step_used(steps.validated_by_others(secret), step, period) {
            self.set_totp_replay_by_key(true);
        }
    }

    /// Whether the server keeps used steps for each key, as seen (`false`:
    /// not seen, or it refused a new key's code in a used step).
    pub fn set_totp_replay_by_key(&self, by_key: bool) {
        self.totp_replay_by_key
            .store(by_key, std::sync::atomic::Ordering::Relaxed);
    }

    /// Takes the enrolment of the two-factor account from the state file of
    /// earlier runs, unless the target file gives its secret.
    pub fn remember_enrolment_from(
        &self,
        state: &crate::harness::state::State,
    ) -> Result<(), crate::harness::state::StateError> {
        self.has_state_file
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let Some(account) = &self.target.users.twofactor else {
            return Ok(());
        };
        let saved = state.account(&self.target.base_url, &account.username)?;
        if account.totp_secret.is_none()
            && let Some(e) = saved.enrolment
        {
            *self.enrolment.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
        }
        // A run right after another waits for a period the last one did not
        // use. The step is of the account's key's period (the sample
        // client's 30 s while no key is known); with a server seen to keep
        // used steps for each key, it is that key's (what was saved), else it
        // counts as every key's.
        self.set_totp_replay_by_key(saved.totp_steps_by_key);
        if let Some(step) = saved.totp_step {
            let key = self
                .enrolment
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
                .map(|e| (e.secret.clone(), e.params.period.max(1)));
            match key {
                Some((secret, period)) if saved.totp_steps_by_key => {
                    self.file_totp_step_of_key(step, period, &secret, true)
                }
                Some((_, period)) => self.file_totp_step(step, period),
                None => {
                    self.file_totp_step(step, crate::reference::limecraft::SAMPLE_CLIENT.period)
                }
            }
        }
        if let Some(token) = saved.session {
            self.secrets.register(&token);
            self.keep_two_factor_session(Some(token));
        }
        Ok(())
    }

    /// The two-factor account's session kept for reuse
    /// ([`Self::keep_two_factor_session`]).
    pub fn two_factor_session(&self) -> Option<String> {
        self.two_factor_session
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Keeps `token`, a final session of the two-factor account, for later
    /// scenarios and the next run; the run does not end it. `None`: the kept
    /// one has ended.
    pub fn keep_two_factor_session(&self, token: Option<String>) {
        *self
            .two_factor_session
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = token;
    }

    /// Writes the current enrolment of the two-factor account, the newest
    /// step of it the server accepted, the session the run leaves open and
    /// how the server keeps used steps, to the state file, where they differ
    /// from what `saved` says was written last: one rewrite of the file.
    pub fn save_enrolment_to(
        &self,
        state: &crate::harness::state::State,
        saved: &Mutex<SavedState>,
    ) -> Result<(), crate::harness::state::StateError> {
        let Some(account) = &self.target.users.twofactor else {
            return Ok(());
        };
        let current = self
            .enrolment
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let Some(current) = current else {
            return Ok(());
        };
        let mut saved = saved.lock().unwrap_or_else(|e| e.into_inner());
        let mut changed = AccountUpdate::default();
        // A given `totp_secret` is the user's to keep, not the state file's.
        if account.totp_secret.is_none() && saved.secret.as_deref() != Some(&current.secret[..]) {
            changed.enrolment = Some(&current);
        }
        // As a step of the key's period: the one that ends last, ends
        // with or after it.
        let period = current.params.period.max(1) as i64;
        let step = self
            .totp_used_until(&current.secret)
            .map(|until| first_unused_step(until, period) - 1);
        if step.is_some() && saved.step != step {
            changed.totp_step = step;
        }
        let session = self.two_factor_session();
        if saved.session != session {
            changed.session = Some(session.as_deref());
        }
        let by_key = self
            .totp_replay_by_key
            .load(std::sync::atomic::Ordering::Relaxed);
        if saved.steps_by_key != by_key {
            changed.totp_steps_by_key = Some(by_key);
        }
        state.save_account(&self.target.base_url, &account.username, changed)?;
        // Written: what was saved is now what is current.
        if changed.enrolment.is_some() {
            saved.secret = Some(current.secret.clone());
        }
        saved.step = step.or(saved.step);
        saved.session = session;
        saved.steps_by_key = by_key;
        Ok(())
    }

    /// Files the credential `exchange` issued (the vendor says which, and
    /// the call that ends it), for [`Self::end_issued`].
    pub fn remember_issued(&self, exchange: &Exchange) {
        if !Status::Success.holds(exchange.status) {
            return;
        }
        if let Some(issued) = Suite::of(self.target.vendor).issued(&self.target, exchange) {
            let mut all = self.issued.lock().unwrap_or_else(|e| e.into_inner());
            if !all.iter().any(|i| i.key == issued.key) {
                all.push(issued);
            }
        }
    }

    /// Ends every credential the run's scenarios were issued with the
    /// documented call the vendor gives (a session logged out, a token
    /// disabled or revoked); how many could not be ended. The answers are not
    /// judged.
    pub async fn end_issued(&self) -> usize {
        let issued = std::mem::take(&mut *self.issued.lock().unwrap_or_else(|e| e.into_inner()));
        let kept = self.two_factor_session().filter(|_| {
            self.has_state_file
                .load(std::sync::atomic::Ordering::Relaxed)
        });
        let mut failed = 0;
        for credential in issued {
            // Left open for the next run (the state file), which ends it.
            if kept.as_deref() == Some(credential.key.as_str()) {
                continue;
            }
            if self.http.send(&credential.end).await.is_err() {
                failed += 1;
            }
        }
        failed
    }

    /// Undoes, at the end of a run, what the suite changed on the target and
    /// can set back (the vendor's [`crate::harness::suite::VendorSuite::restore`]).
    pub async fn restore(&self) -> Result<(), String> {
        Suite::of(self.target.vendor)
            .restore(crate::harness::suite::Run {
                target: &self.target,
                control: &self.clock,
                state: &*self.run_state,
            })
            .await
    }

    /// The vendor's own state for the run, made by its suite
    /// ([`crate::harness::suite::VendorSuite::run_state`]).
    ///
    /// # Panics
    /// When `T` is not the type of the target's vendor's run state: a step of
    /// another vendor's features (cucumber reports the message as the step's failure).
    pub fn run_state<T: Any>(&self) -> &T {
        self.run_state.downcast_ref().unwrap_or_else(|| {
            panic!(
                "{} keeps no {} for the run: a step of another vendor's features",
                self.target.vendor,
                std::any::type_name::<T>()
            )
        })
    }

    /// Why the run stopped, if it did.
    pub fn stopped(&self) -> Option<Stop> {
        self.stop.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn stop_run(&self, why: Stop) {
        let mut stop = self.stop.lock().unwrap_or_else(|e| e.into_inner());
        if stop.is_none() {
            *stop = Some(why);
        }
    }

    /// Long waits are announced on the console, each line after `prefix`.
    pub fn announce_waits(&self, prefix: String) {
        *self.console.lock().unwrap_or_else(|e| e.into_inner()) = Some(prefix);
    }

    /// Waits `duration`, saying so on the console (`what` it waits for) when
    /// the run prints progress; ends early, with the stop's reason, when the
    /// run stops (Ctrl-C) meanwhile.
    pub async fn wait(&self, duration: std::time::Duration, what: &str) -> Result<(), Failure> {
        if let Some(prefix) = &*self.console.lock().unwrap_or_else(|e| e.into_inner()) {
            crate::harness::console::out(&format!(
                "{prefix}      waiting {} s for {what}\n",
                duration.as_secs_f64().ceil()
            ));
        }
        let until = tokio::time::Instant::now() + duration;
        loop {
            if let Some(stop) = self.stopped() {
                return Err(Failure(stop.reason()));
            }
            let now = tokio::time::Instant::now();
            if now >= until {
                return Ok(());
            }
            tokio::time::sleep((until - now).min(std::time::Duration::from_millis(200))).await;
        }
    }
}

impl RunContext {
    pub fn new(target: Target, http: HttpClient, strict: bool) -> Arc<Self> {
        Self::sharing_stop(target, http, strict, Arc::default())
    }

    /// A context whose run stops with the others that share `stop` (one run,
    /// several vendors).
    pub fn sharing_stop(
        target: Target,
        http: HttpClient,
        strict: bool,
        stop: Arc<Mutex<Option<Stop>>>,
    ) -> Arc<Self> {
        let secrets = Secrets::default();
        let users = &target.users;
        for account in [
            &users.primary,
            &users.secondary,
            &users.twofactor,
            &users.locked,
            &users.disabled,
            &users.support,
        ]
        .into_iter()
        .flatten()
        {
            secrets.register(&account.password);
            if let Some(s) = &account.totp_secret {
                secrets.register(s);
            }
        }
        if let Some(token) = &target.control_token {
            secrets.register(token);
        }
        let suite = Suite::of(target.vendor);
        for secret in suite.secrets(&target) {
            secrets.register(&secret);
        }
        let clock = crate::harness::control_api::ControlApi::for_target(&target);
        // A given secret's parameters: the file's `totp:`, else the seed's
        // example (a Limecraft run also tries the sample's SHA-1).
        let enrolment = users.twofactor.as_ref().and_then(|a| {
            let secret = crate::totp::decode_secret(a.totp_secret.as_deref()?)?;
            let params = match a.second_factor {
                crate::harness::target::SecondFactor::TotpWith(p) => p,
                _ => TotpParams::default(),
            };
            Some(Enrolment { secret, params })
        });
        let run_state = suite.run_state(&target);
        Arc::new(RunContext {
            target,
            strict,
            http,
            secrets,
            clock,
            enrolment: Mutex::new(enrolment),
            totp_step: Mutex::default(),
            totp_replay_by_key: Default::default(),
            two_factor_session: Mutex::new(None),
            has_state_file: Default::default(),
            run_state,
            stop,
            transport_errors_in_a_row: Mutex::new(0),
            issued: Mutex::new(Vec::new()),
            console: Mutex::new(None),
        })
    }
}

/// One scenario's state.
#[derive(cucumber::World)]
#[world(init = Self::new)]
pub struct ConformanceWorld {
    ctx: Option<Arc<RunContext>>,
    /// Final session tokens by session name (a persona's name unless the scenario names sessions).
    pub sessions: HashMap<String, String>,
    /// The newest exchange, which a failure report shows in full.
    pub last: Option<Exchange>,
    /// Every exchange of the scenario in one line each (`POST /x → 200`), redacted.
    pub trail: Vec<String>,
    /// Every exchange of the scenario, in full (`explore`'s curl script).
    pub exchanges: Vec<Exchange>,
    /// What the vendor's scenario keeps between its steps, made by its suite
    /// when the scenario starts ([`Self::scenario`]).
    scenario: Box<dyn Any + Send + Sync>,
    /// The scenario as a whole checks a reference choice (a `@strict-…` tag):
    /// even its documented-style checks only warn, unless the run is strict.
    pub reference_scenario: bool,
    /// Reference checks of this scenario that did not hold.
    warnings: Mutex<Vec<Warning>>,
    /// When the scenario started (its duration in the reports).
    pub started: std::time::Instant,
    /// The check that failed a step, if one did: what `authconform explore`
    /// reports as the broken rule and shrinks towards.
    broken: Mutex<Option<Check>>,
}

impl fmt::Debug for ConformanceWorld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConformanceWorld")
            .field("sessions", &self.sessions.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl ConformanceWorld {
    fn new() -> Self {
        ConformanceWorld {
            ctx: None,
            sessions: HashMap::new(),
            last: None,
            trail: Vec::new(),
            exchanges: Vec::new(),
            scenario: Box::new(()),
            reference_scenario: false,
            warnings: Mutex::new(Vec::new()),
            started: std::time::Instant::now(),
            broken: Mutex::new(None),
        }
    }

    /// A world outside cucumber, attached to `ctx`: one case of `authconform
    /// explore`, whose model sends and checks through it as a step does.
    pub fn detached(ctx: Arc<RunContext>) -> Self {
        let mut world = Self::new();
        world.attach(ctx, &[]);
        world
    }

    /// The check whose failure failed a step, if one did.
    pub fn broken_check(&self) -> Option<Check> {
        *self.broken.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Attaches the run context; `tags` are the scenario's own, its rule's
    /// and its feature's (without `@`).
    pub fn attach(&mut self, ctx: Arc<RunContext>, tags: &[String]) {
        self.scenario = Suite::of(ctx.target.vendor).scenario();
        self.ctx = Some(ctx);
        self.reference_scenario = tags.iter().any(|t| is_reference_tag(t));
        self.started = std::time::Instant::now();
    }

    /// What the vendor's scenario keeps between its steps (`LacScenario`).
    ///
    /// # Panics
    /// When `T` is not the type of the attached vendor's scenario state: a
    /// step of another vendor's features (cucumber reports the message as the
    /// step's failure, as it does a [`Failure`]).
    pub fn scenario<T: Any>(&self) -> &T {
        self.scenario
            .downcast_ref()
            .unwrap_or_else(|| not_this_vendors::<T>())
    }

    /// [`Self::scenario`], to change.
    pub fn scenario_mut<T: Any>(&mut self) -> &mut T {
        self.scenario
            .downcast_mut()
            .unwrap_or_else(|| not_this_vendors::<T>())
    }

    /// The warnings of this scenario so far, emptied (the runner reports them).
    pub fn take_warnings(&self) -> Vec<Warning> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The run context, before the runner attached it: `None`.
    pub fn ctx_opt(&self) -> Option<Arc<RunContext>> {
        self.ctx.clone()
    }

    pub fn ctx(&self) -> Arc<RunContext> {
        self.ctx
            .clone()
            .expect("the runner attaches the run context before the first step")
    }

    /// Sends a call, remembers the exchange for the report, registers every
    /// secret-named field of the response (`redact.rs` names them) as a secret.
    ///
    /// After [`TRANSPORT_ERRORS_BEFORE_STOP`] transport errors in a row the run
    /// stops: this and every later request fail at once instead of each
    /// waiting for a timeout.
    pub async fn send(&mut self, call: Call) -> Result<Exchange, Failure> {
        let ctx = self.ctx();
        if let Some(stop) = ctx.stopped() {
            return Err(Failure(stop.reason()));
        }
        let deadline = scenario_deadline(ctx.target.timeout);
        if self.started.elapsed() > deadline {
            return Err(Failure(format!(
                "the scenario ran past its deadline of {} s after {} request(s) (the last: {}); the server answers too slowly for the suite",
                deadline.as_secs(),
                self.trail.len(),
                self.trail.last().map_or("none", String::as_str)
            )));
        }
        let sent = ctx.http.send(&call).await;
        let exchange = {
            let mut in_a_row = ctx
                .transport_errors_in_a_row
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            match sent {
                Ok(x) => {
                    *in_a_row = 0;
                    x
                }
                Err(e) => {
                    *in_a_row += 1;
                    let text = ctx.secrets.redact(&e.to_string());
                    if *in_a_row >= TRANSPORT_ERRORS_BEFORE_STOP {
                        ctx.stop_run(Stop::ServerGone(text.clone()));
                    }
                    return Err(Failure(text));
                }
            }
        };
        if let Some(serde_json::Value::Object(fields)) = &exchange.json {
            let secrets = fields
                .iter()
                .filter(|(name, _)| crate::redact::is_secret_field(name))
                .filter_map(|(_, v)| v.as_str());
            for v in secrets {
                ctx.secrets.register(v);
            }
        }
        ctx.remember_issued(&exchange);
        self.trail.push(format!(
            "{} {} → {}",
            exchange.method,
            ctx.secrets.redact_url(&exchange.url),
            exchange.status
        ));
        self.last = Some(exchange.clone());
        self.exchanges.push(exchange.clone());
        Ok(exchange)
    }

    /// Sends a call and checks the response against the spec: a body that
    /// breaks a documented shape fails the step, any other difference from
    /// the spec is a warning (see [`crate::spec`]).
    pub async fn send_checked(&mut self, call: Call) -> Result<Exchange, Failure> {
        let exchange = self.send(call).await?;
        self.spec_check(&exchange)?;
        Ok(exchange)
    }

    /// The spec check of an exchange already sent, with its provenance.
    pub fn spec_check(&self, exchange: &Exchange) -> StepResult {
        match &exchange.spec_violation {
            None => Ok(()),
            Some(v) => self.check_as(Check::of_spec(v.provenance), false, &v.to_string()),
        }
    }

    /// A failure that shows `expected` and the last exchange, redacted.
    pub fn failure(&self, expected: &str) -> Failure {
        let ctx = self.ctx();
        let mut text = format!("expected: {expected}\n");
        if self.trail.len() > 1 {
            text.push_str("scenario so far:\n");
            for line in &self.trail[..self.trail.len() - 1] {
                text.push_str(&format!("  {line}\n"));
            }
        }
        match &self.last {
            Some(x) => text.push_str(&x.render(&ctx.secrets)),
            None => text.push_str("(no request was sent yet)\n"),
        }
        Failure(ctx.secrets.redact(&text))
    }

    /// A check of a documented rule: `Ok` when `condition` holds, else a
    /// failure showing the last exchange and the rule with its source. (In a
    /// `@strict-…` scenario it counts as a reference check.)
    pub fn documented(&self, rule: &'static Rule, condition: bool, expected: &str) -> StepResult {
        self.check_as(Check::Documented(rule), condition, expected)
    }

    /// A check of a choice the reference server made where the document is
    /// silent: when it does not hold, a warning (the step goes on), or a
    /// failure under `--strict`.
    pub fn reference(&self, condition: bool, expected: &str) -> StepResult {
        self.check_as(Check::Reference, condition, expected)
    }

    /// A check of `x`'s status, with what backs it: every step's status
    /// checks go through here, so what "a 2xx" or "a 4xx" means is said once ([`Status`]).
    pub fn status(
        &self,
        check: Check,
        x: &Exchange,
        expected: impl Into<Status>,
        what: &str,
    ) -> StepResult {
        self.check_as(check, expected.into().holds(x.status), what)
    }

    /// One place decides what a check that does not hold means.
    pub fn check_as(&self, check: Check, condition: bool, expected: &str) -> StepResult {
        if condition {
            return Ok(());
        }
        let expected = match check {
            Check::Documented(rule) => format!(
                "{expected}\n  rule: {} ({}, {})",
                rule.says, rule.id, rule.source
            ),
            _ => expected.to_owned(),
        };
        let binding = check.provenance() == Provenance::Documented && !self.reference_scenario;
        if binding || self.ctx().strict {
            *self.broken.lock().unwrap_or_else(|e| e.into_inner()) = Some(check);
            return Err(self.failure(&expected));
        }
        let warning = Warning::from_failure(self.failure(&expected).0);
        let mut warnings = self.warnings.lock().unwrap_or_else(|e| e.into_inner());
        if !warnings.contains(&warning) {
            warnings.push(warning);
        }
        Ok(())
    }

    /// The account a persona of the feature files plays in `users:`.
    ///
    /// alice = `users.primary`, bob = `users.secondary`, carol = `users.twofactor`,
    /// "the locked user" = `users.locked`, "the disabled user" = `users.disabled`;
    /// dan is LiquidFiles' own (`liquidfiles.special`), which its steps look up.
    pub fn account(&self, persona: Persona) -> Result<Account, Failure> {
        let ctx = self.ctx();
        let Some(role) = persona.role() else {
            return Err(Failure(
                "dan has no account in `users:`; only the steps of a vendor that gives him one know it"
                    .into(),
            ));
        };
        persona
            .account_in(&ctx.target.users)
            .cloned()
            .ok_or_else(|| {
                Failure(format!(
                    "the target file has no `users.{role}` account for {persona}"
                ))
            })
    }

    /// The code (and its step) for the step `offset` periods from the server's now,
    /// making sure that step is newer than every step accepted so far in this run.
    pub async fn fresh_totp_code(
        &self,
        e: &Enrolment,
        offset: i64,
    ) -> Result<(String, i64), Failure> {
        let used_until = self.ctx().totp_used_until(&e.secret);
        self.totp_code_after(e, offset, used_until).await
    }

    /// The current code of `e`, newer only than the steps the server
    /// accepted of this key ([`RunContext::key_totp_used_until`]): in the period
    /// another key's code was accepted, a server that keeps its replay state
    /// for each key takes it, one that keeps it for the account refuses it.
    pub async fn fresh_totp_code_of_key(&self, e: &Enrolment) -> Result<(String, i64), Failure> {
        let used_until = self.ctx().key_totp_used_until(&e.secret);
        self.totp_code_after(e, 0, used_until).await
    }

    /// A code of `e` `offset` periods from the server's time, of a step that
    /// begins at or after `used_until` (the clock is moved, or waited for).
    async fn totp_code_after(
        &self,
        e: &Enrolment,
        offset: i64,
        used_until: Option<i64>,
    ) -> Result<(String, i64), Failure> {
        let ctx = self.ctx();
        let period = e.params.period as i64;
        let mut now = ctx.clock.now().await?;
        // Near the end of a step the server may check the code in the next step;
        // with clock control, start from a fresh step so every window test is exact.
        if ctx.clock.is_controlled() && now.rem_euclid(period) > period - 5 {
            now = ctx.clock.advance(period - now.rem_euclid(period)).await?;
        }
        if let Some(until) = used_until {
            let wanted_step = first_unused_step(until, period) - offset;
            let current = totp::step_of(now, e.params.period);
            if current < wanted_step {
                let wait = wanted_step * period - now;
                if ctx.clock.is_controlled() {
                    now = ctx.clock.advance(wait).await?;
                } else {
                    ctx.wait(
                        std::time::Duration::from_secs(wait as u64),
                        "a fresh TOTP code (a code is good once; without control_url the suite waits for the next period)",
                    )
                    .await?;
                    now = ctx.clock.now().await?;
                }
            }
        }
        let at = now + offset * period;
        Ok((
            totp::code_at(e.params, &e.secret, at),
            totp::step_of(at, e.params.period),
        ))
    }

    /// The newest exchange, for a step that judges the answer of the step before.
    pub fn last_exchange(&self) -> Result<&Exchange, Failure> {
        self.last
            .as_ref()
            .ok_or_else(|| Failure("no request was sent before this step".into()))
    }

    /// A vendor's section of the target file (`LacTarget`, `lac:` in the
    /// file), which the vendor's steps need.
    pub fn section<T: Any + Clone>(&self, name: &str) -> Result<T, Failure> {
        self.ctx()
            .target
            .section::<T>()
            .cloned()
            .ok_or_else(|| Failure(format!("the target file has no `{name}:` section")))
    }

    pub fn session(&self, name: &str) -> Result<String, Failure> {
        self.sessions.get(name).cloned().ok_or_else(|| {
            Failure(format!(
                "the scenario has no session named `{name}`; log it in first"
            ))
        })
    }
}

/// A persona of the feature files: the word a sentence names them by, and
/// (through [`ConformanceWorld::account`]) the account of the target file
/// they play. A vendor's steps may give a persona its own account: LAC's
/// carol, LiquidFiles' dan.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    cucumber::Parameter,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
#[param(
    name = "persona",
    regex = "alice|bob|carol|dan|the locked user|the disabled user"
)]
pub enum Persona {
    Alice,
    Bob,
    Carol,
    Dan,
    Locked,
    Disabled,
}

impl Persona {
    pub const ALL: [Persona; 6] = [
        Persona::Alice,
        Persona::Bob,
        Persona::Carol,
        Persona::Dan,
        Persona::Locked,
        Persona::Disabled,
    ];

    /// The `users:` entry of the target file the persona plays (`None`:
    /// dan, LiquidFiles' own, whom its steps look up).
    pub fn role(self) -> Option<&'static str> {
        match self {
            Persona::Alice => Some("primary"),
            Persona::Bob => Some("secondary"),
            Persona::Carol => Some("twofactor"),
            Persona::Locked => Some("locked"),
            Persona::Disabled => Some("disabled"),
            Persona::Dan => None,
        }
    }

    /// The account the persona plays in `users`, if the target file gives it.
    pub fn account_in(self, users: &crate::harness::target::Users) -> Option<&Account> {
        match self {
            Persona::Alice => users.primary.as_ref(),
            Persona::Bob => users.secondary.as_ref(),
            Persona::Carol => users.twofactor.as_ref(),
            Persona::Locked => users.locked.as_ref(),
            Persona::Disabled => users.disabled.as_ref(),
            Persona::Dan => None,
        }
    }

    /// The words the features name the persona by; also the name of the
    /// persona's own session and auth token.
    pub fn name(self) -> &'static str {
        match self {
            Persona::Alice => "alice",
            Persona::Bob => "bob",
            Persona::Carol => "carol",
            Persona::Dan => "dan",
            Persona::Locked => "the locked user",
            Persona::Disabled => "the disabled user",
        }
    }
}

impl fmt::Display for Persona {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Persona {
    type Err = String;

    fn from_str(words: &str) -> Result<Self, Self::Err> {
        Persona::ALL
            .into_iter()
            .find(|p| p.name() == words)
            .ok_or_else(|| {
                let names: Vec<&str> = Persona::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "the feature names `{words}`, who is not a persona ({})",
                    names.join(", ")
                )
            })
    }
}

/// What backs a check, and so what its failure means.
#[derive(Clone, Copy, Debug)]
pub enum Check {
    /// A documented rule (`crate::reference::rule`): its failure fails the run.
    Documented(&'static Rule),
    /// A response the spec marks documented (`x-authconform-source`, whose
    /// quotes `tests/it/provenance.rs` checks): binding like a rule.
    Spec,
    /// A choice of the reference server where the documents are silent: a
    /// warning, a failure only under `--strict`.
    Reference,
}

impl Check {
    /// Whether a failure is binding.
    pub fn provenance(self) -> Provenance {
        match self {
            Check::Documented(_) | Check::Spec => Provenance::Documented,
            Check::Reference => Provenance::Reference,
        }
    }

    /// A spec violation's check: documented when the spec marks the response.
    pub fn of_spec(provenance: Provenance) -> Check {
        match provenance {
            Provenance::Documented => Check::Spec,
            Provenance::Reference => Check::Reference,
        }
    }
}

/// What a step expects of a status code; [`ConformanceWorld::status`] checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Exactly this code (`200` converts to it).
    Is(u16),
    /// One of two codes.
    Either(u16, u16),
    /// A 2xx: the request succeeded (RFC 9110 §15.3).
    Success,
    /// Anything but a 2xx: whatever its code, the server did not do it.
    NotSuccess,
    /// A 4xx: the server refused the client's request (RFC 9110 §15.5).
    ClientError,
    /// Anything but a 5xx: an answer, not a server error (RFC 9110 §15.6).
    NotServerError,
}

impl Status {
    /// Whether `code` is what this expects.
    pub fn holds(self, code: u16) -> bool {
        match self {
            Status::Is(c) => code == c,
            Status::Either(a, b) => code == a || code == b,
            Status::Success => (200..300).contains(&code),
            Status::NotSuccess => !(200..300).contains(&code),
            Status::ClientError => (400..500).contains(&code),
            Status::NotServerError => code < 500,
        }
    }
}

impl From<u16> for Status {
    fn from(code: u16) -> Self {
        Status::Is(code)
    }
}

/// A tag that makes a whole scenario a check of reference choices:
/// `@strict-headers`, `@strict-cookie`, … (the name says what is strict).
pub fn is_reference_tag(tag: &str) -> bool {
    tag.trim_start_matches('@').starts_with("strict-")
}

fn not_this_vendors<T>() -> ! {
    panic!(
        "this scenario keeps no {}: a step of another vendor's features",
        std::any::type_name::<T>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_persona_parses_from_the_words_it_is_named_by() {
        for p in Persona::ALL {
            assert_eq!(p.name().parse::<Persona>(), Ok(p));
        }
        let e = "dave".parse::<Persona>().unwrap_err();
        assert!(e.contains("`dave`") && e.contains("the locked user"), "{e}");
        assert!(
            "locked".parse::<Persona>().is_err(),
            "only the feature's words"
        );
    }

    #[test]
    fn status_classes() {
        assert!(Status::Success.holds(204) && !Status::Success.holds(301));
        assert!(Status::NotSuccess.holds(302) && !Status::NotSuccess.holds(200));
        assert!(Status::ClientError.holds(404) && !Status::ClientError.holds(500));
        assert!(Status::NotServerError.holds(401) && !Status::NotServerError.holds(503));
        assert!(Status::Either(401, 403).holds(403) && !Status::Either(401, 403).holds(400));
        assert_eq!(Status::from(200), Status::Is(200));
        assert!(!Status::Is(200).holds(201));
    }
}
