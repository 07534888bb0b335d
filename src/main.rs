//! `authconform`: the command line.
//!
//! Exit codes (also in `run --help` and the README): 0 every scenario that
//! ran passed (warnings do not count); 1 a conformance failure (under
//! `--strict`, a warning too); 2 bad usage or configuration, a target that
//! preflight finds not ready, or a server that cannot start (the message says
//! what to fix).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use authconform::fixtures::Fixtures;
use authconform::harness::many::{self, CombinedReports, TargetRun};
use authconform::harness::{
    self, Output, RunError, RunOptions, RunReport, TargetChoice, target::Target,
};
use authconform::mock::export;
use authconform::reference::fault::Fault;
use authconform::reference::serving::ServeLimits;
use authconform::reference::switch::{self, Switches};
use authconform::reference::{ReferenceConfig, ReferenceServer, control, request_log};
use authconform::secret::{HashCost, HashPoolSize};
use authconform::vendor::Vendor;

#[derive(Parser)]
#[command(
    name = "authconform",
    version,
    about = "Conformance harness and reference server for vendor token authentication APIs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the reference server (all vendors under their base paths, or one at the root).
    Serve(ServeArgs),
    /// Run the conformance suite against a target file, or the built-in reference server.
    ///
    /// Exit codes: 0 every scenario that ran passed (warnings do not count);
    /// 1 a conformance failure (or, with --strict, a warning); 2 bad usage or
    /// configuration, a target that preflight finds not ready, or a server that
    /// stopped answering mid-run.
    Run(RunArgs),
    /// Property runs against a server: draw sequences of the documented
    /// operations, judge every answer by a model of the documented rules,
    /// shrink what fails to the shortest case and print it as a scenario, a
    /// curl script and a replay file.
    ///
    /// Exit codes as `run`'s: 0 nothing broke a rule (warnings do not count);
    /// 1 a rule broke (or, with --strict, a reference choice); 2 bad usage or
    /// configuration, a target that preflight finds not ready, or a server
    /// that stopped answering.
    Explore(ExploreArgs),
    /// Check a target file without running the suite: it loads, its server
    /// answers, its accounts sign on, its control API (if any) answers. Exit 0
    /// when ready, 2 with one line per problem otherwise.
    Check {
        /// The target file (YAML).
        #[arg(long)]
        target: PathBuf,
        /// The state file of earlier runs (see `run --state`).
        #[arg(long, value_name = "FILE", env = "AUTHCONFORM_STATE")]
        state: Option<PathBuf>,
    },
    /// List the fault catalogue: each fault, the rule it breaks, the scenarios that catch it.
    Faults,
    /// List the reference server's choices where the documents are silent:
    /// each switch, its values (the reference server's first), what it
    /// changes, and the document's words it is silent next to.
    Switches,
    /// Mocks for other stacks.
    Mock {
        #[command(subcommand)]
        command: MockCommand,
    },
}

#[derive(Args)]
struct RunArgs {
    /// Target file (YAML) describing the server under test; without it, an
    /// in-process reference server is started. Give it several times, or a
    /// folder of target files, to check several deployments in one run: each
    /// target's scenarios run in order, up to --jobs targets at once; the
    /// JUnit file and the summary JSON hold every target, the Cucumber JSON
    /// and HTML reports are one file per target (`run.html` → `run.<name>.html`);
    /// the exit code is the worst of all.
    #[arg(long, value_name = "FILE|DIR")]
    target: Vec<PathBuf>,
    /// With several targets: how many are checked at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
    jobs: u32,
    /// Without --target: the vendor to test (default: every vendor).
    #[arg(long)]
    vendor: Option<Vendor>,
    /// Tag expression selecting scenarios, e.g. "@login and not @2fa".
    #[arg(long)]
    tags: Option<String>,
    /// Write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a Cucumber JSON report here.
    #[arg(long)]
    cucumber_json: Option<PathBuf>,
    /// Read feature files from this folder instead of the built-in ones.
    #[arg(long)]
    features: Option<PathBuf>,
    /// Without --target: start the reference server with this fault.
    #[arg(long, value_parser = Fault::from_name)]
    fault: Option<Fault>,
    /// Print only the closing recap and totals.
    #[arg(long, conflicts_with = "verbose")]
    quiet: bool,
    /// Print every step as it runs (cucumber's own output) instead of a line per scenario.
    #[arg(long)]
    verbose: bool,
    /// Without --target: run against the variant reference server (see
    /// `serve --variant`).
    #[arg(long)]
    variant: bool,
    /// Without --target: the reference server makes this choice where the
    /// documents are silent (see `authconform switches`); give it several times.
    #[arg(long = "switch", value_name = "NAME=VALUE")]
    switch: Vec<String>,
    /// Fail on the reference server's own choices too (error bodies, status
    /// codes and markup the vendors' documents do not give, security headers):
    /// without it they are reported as warnings.
    #[arg(long)]
    strict: bool,
    /// Write a machine-readable summary here (counts; per scenario its id,
    /// feature, line, status, duration and reason).
    #[arg(long, value_name = "FILE")]
    summary_json: Option<PathBuf>,
    /// Write a self-contained HTML report here (every scenario, its steps, failures with
    /// their exchange and curl line, warnings; a filter for failures).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Known deviations: a YAML map of scenario id to reason (`LAC5: "we answer
    /// 403"`). A listed scenario that fails is an expected failure (the run
    /// passes); one that passes is reported as stale, so the list shrinks.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// List every scenario (id, name, feature file and line, tags, capability
    /// needs) and whether it would run against this target; run nothing.
    #[arg(long)]
    list: bool,
    /// Run only the scenarios whose name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    name: Option<String>,
    /// Run only the scenarios that failed in an earlier run's --summary-json FILE.
    #[arg(long, value_name = "FILE")]
    rerun_failed: Option<PathBuf>,
    /// With --target: the state file that remembers, between runs, what the
    /// suite cannot undo on the deployment (the TOTP secret of the second factor
    /// it enabled). Keep it between pipeline runs. Default: .authconform/state.json
    #[arg(long, value_name = "FILE", env = "AUTHCONFORM_STATE")]
    state: Option<PathBuf>,
    /// Stop after this many failed scenarios; the rest are reported as not run.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_failures: Option<u32>,
}

#[derive(Args)]
struct ExploreArgs {
    /// Target file (YAML) describing the server under test; without it, an
    /// in-process reference server is started.
    #[arg(long, value_name = "FILE")]
    target: Option<PathBuf>,
    /// Without --target: the vendor to explore (default: every vendor).
    #[arg(long)]
    vendor: Option<Vendor>,
    /// Without --target: start the reference server with this fault.
    #[arg(long, value_parser = Fault::from_name)]
    fault: Option<Fault>,
    /// Without --target: the reference server makes this choice where the
    /// documents are silent (see `authconform switches`); give it several times.
    #[arg(long = "switch", value_name = "NAME=VALUE")]
    switch: Vec<String>,
    /// Without --target: every switch at its last value (see `serve --variant`).
    #[arg(long)]
    variant: bool,
    /// Cases (sequences of operations) drawn at most, per vendor.
    #[arg(long, value_name = "N", default_value_t = 100)]
    cases: u32,
    /// Wall time at most, per vendor, shrinking included.
    #[arg(long, value_name = "SECS")]
    seconds: Option<u64>,
    /// Operations in a case at most.
    #[arg(long, value_name = "N", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=200))]
    max_steps: u32,
    /// The seed of the draw (printed when not given): the same seed draws the same cases.
    #[arg(long)]
    seed: Option<u64>,
    /// Run exactly the case of a replay file (written by an earlier explore) again.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["cases", "seed", "inputs"])]
    replay: Option<PathBuf>,
    /// Also send generated bad input (malformed, oversized, wrong types,
    /// injected parameters) to the sign-on; `--inputs only` sends nothing else.
    #[arg(long, value_name = "only", num_args = 0..=1, default_missing_value = "also")]
    inputs: Option<String>,
    /// Wrong passwords sent for one account in 15 minutes at most (keep it
    /// under the server's throttle; 0: none).
    #[arg(long, value_name = "N", default_value_t = 3)]
    wrong_passwords: u32,
    /// Fail on the reference server's own choices too (see `run --strict`).
    #[arg(long)]
    strict: bool,
    /// Go on after the first failure, looking for failures of other kinds
    /// (each shrunk too); by default the search stops at the first.
    #[arg(long)]
    keep_going: bool,
    /// Where each finding's replay file and curl script are written.
    #[arg(long, value_name = "DIR", default_value = ".authconform/explore")]
    out: PathBuf,
    /// Write a JUnit XML report here (one test per rule of the model).
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a machine-readable summary here.
    #[arg(long, value_name = "FILE")]
    summary_json: Option<PathBuf>,
    /// Write a self-contained HTML report here.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// With --target: the state file (see `run --state`).
    #[arg(long, value_name = "FILE", env = "AUTHCONFORM_STATE")]
    state: Option<PathBuf>,
    /// Print only the closing recap.
    #[arg(long)]
    quiet: bool,
}

#[derive(Subcommand)]
enum MockCommand {
    /// Write a vendor's stubs: WireMock JSON mappings (DIR/mappings/*.json, for
    /// `--root-dir DIR`), or its OpenAPI document.
    Export {
        /// The vendor (e.g. `limecraft`).
        #[arg(long)]
        vendor: Vendor,
        /// `wiremock` or `openapi`.
        #[arg(long)]
        format: export::Format,
        /// The folder to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Serve only this vendor, at the root, as the vendor does (e.g. `limecraft`).
    #[arg(long)]
    vendor: Option<Vendor>,
    /// Seeded accounts (YAML); the built-in fixtures/reference.yaml by default.
    #[arg(long)]
    fixtures: Option<PathBuf>,
    /// Password hashing cost: `owasp` (default) or `test` (fast, for tests only).
    #[arg(long, value_enum, default_value_t = HashCost::Owasp)]
    hash_cost: HashCost,
    /// Enable the test-only control endpoints (/__authconform/clock).
    #[arg(long)]
    test_mode: bool,
    /// With --test-mode: require `Authorization: Bearer <TOKEN>` on the
    /// control API (at least 16 characters; a target file gives it as
    /// `control_token`). Prefer the environment variable to the flag, which
    /// other users of the machine can read in the process list.
    #[arg(
        long,
        env = "AUTHCONFORM_CONTROL_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    control_token: Option<String>,
    /// With --test-mode: a host name the control API answers besides
    /// localhost and IP addresses (repeatable); any other Host is refused
    /// (DNS rebinding).
    #[arg(long, value_name = "NAME")]
    control_host: Vec<String>,
    /// Break one rule (see `authconform faults`).
    #[arg(long, value_parser = Fault::from_name)]
    fault: Option<Fault>,
    /// Answer as another conforming server would where the vendors'
    /// documents are silent (other error bodies, statuses, markup): a
    /// server that is not ours, to see the suite pass it with warnings.
    /// Every switch at its last value (see `authconform switches`).
    #[arg(long)]
    variant: bool,
    /// Make this choice where the documents are silent (see `authconform
    /// switches`); give it several times. Applied after --variant.
    #[arg(long = "switch", value_name = "NAME=VALUE")]
    switch: Vec<String>,
    /// Answer every request this many milliseconds later: a distant
    /// deployment on loopback (bench/many_targets.sh uses it).
    #[arg(long, value_name = "MS")]
    latency: Option<u64>,
    #[command(flatten)]
    limits: LimitArgs,
}

/// What a hostile or stuck client may hold (see `serve --help`).
#[derive(Args, Clone, Debug)]
struct LimitArgs {
    /// Seconds to receive a request head (from its first byte; from the
    /// connection's opening for its first request).
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    header_timeout: f64,
    /// Seconds a kept-alive connection may wait idle for its next request.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    keep_alive_timeout: f64,
    /// Seconds to wait for the next chunk of a request body.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    body_timeout: f64,
    /// Seconds to receive a whole request body.
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    body_total_timeout: f64,
    /// Connections served at once; more wait in the listen backlog. Keep it
    /// below `ulimit -n` (minus a few dozen).
    #[arg(long, default_value_t = 512, value_name = "N")]
    max_connections: usize,
    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C; a
    /// second signal exits at once.
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    shutdown_grace: f64,
    /// Password hashes computed at once (default: one per core).
    #[arg(long, value_name = "N")]
    hash_workers: Option<usize>,
    /// Password hashes that may wait for a worker; beyond, a login answers 503
    /// with Retry-After (default: 4 per worker).
    #[arg(long, value_name = "N")]
    hash_queue: Option<usize>,
}

impl LimitArgs {
    fn apply(&self, config: &mut ReferenceConfig) -> Result<(), String> {
        let secs = |name: &str, v: f64| {
            Duration::try_from_secs_f64(v)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| format!("--{name} must be a positive number of seconds, not {v}"))
        };
        config.limits = ServeLimits {
            header_read_timeout: secs("header-timeout", self.header_timeout)?,
            keep_alive_timeout: secs("keep-alive-timeout", self.keep_alive_timeout)?,
            body_idle_timeout: secs("body-timeout", self.body_timeout)?,
            body_total_timeout: secs("body-total-timeout", self.body_total_timeout)?,
            max_connections: self.max_connections.max(1),
            shutdown_grace: secs("shutdown-grace", self.shutdown_grace)?,
        };
        let workers = self.hash_workers.unwrap_or(config.hash_pool.workers).max(1);
        config.hash_pool = HashPoolSize {
            workers,
            queue: self.hash_queue.unwrap_or(4 * workers),
        };
        Ok(())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return usage(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::Run(args) => run(args).await,
            Command::Explore(args) => explore(args).await,
            Command::Check { target, state } => check(target, state).await,
            Command::Faults => {
                harness::console::out(&Fault::markdown_table());
                ExitCode::SUCCESS
            }
            Command::Switches => {
                harness::console::out(&switch::markdown_table());
                ExitCode::SUCCESS
            }
            Command::Mock {
                command:
                    MockCommand::Export {
                        vendor,
                        format,
                        out,
                    },
            } => mock_export(vendor, format, &out),
        }
    })
}

fn mock_export(vendor: Vendor, format: export::Format, out: &std::path::Path) -> ExitCode {
    match export::write(vendor, format, out) {
        Ok(files) => {
            println!("wrote {} file(s) under {}", files.len(), out.display());
            ExitCode::SUCCESS
        }
        Err(e) => usage(&format!("cannot write under {}: {e}", out.display())),
    }
}

fn usage(message: &str) -> ExitCode {
    harness::console::err(&format!("authconform: {message}\n"));
    ExitCode::from(2)
}

async fn serve(
    ServeArgs {
        addr,
        vendor: only_vendor,
        fixtures,
        hash_cost,
        test_mode,
        control_token,
        control_host,
        fault,
        variant,
        switch,
        latency,
        limits,
    }: ServeArgs,
) -> ExitCode {
    let switches = match Switches::from_args(variant, &switch) {
        Ok(s) => s,
        Err(e) => return usage(&e.to_string()),
    };
    // The log is written by a background thread: a request only formats its
    // line and queues it, instead of a stderr write per request (measured in
    // bench/README.md). Lossy: when stderr is not read fast enough, lines are
    // dropped and counted rather than requests waiting (request_log.rs). The
    // guard flushes the queue at exit (for at most about a second).
    let (log_writer, _flush_log_at_exit) = request_log::non_blocking(std::io::stderr());
    let dropped_lines = log_writer.error_counter();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(log_writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    // The per-request line costs a layer on every request: add it only when
    // RUST_LOG lets that line through (it does by default).
    let log_requests = tracing::enabled!(target: "authconform::request", tracing::Level::INFO);
    let fixtures = match fixtures {
        Some(path) => match Fixtures::load(&path) {
            Ok(f) => f,
            Err(e) => return usage(&e.to_string()),
        },
        None => Fixtures::builtin(),
    };
    if control_token
        .as_ref()
        .is_some_and(|t| t.chars().count() < control::MIN_TOKEN_CHARS)
    {
        return usage(&format!(
            "--control-token must have at least {} characters",
            control::MIN_TOKEN_CHARS
        ));
    }
    let control = control::ControlGuard {
        token: control_token,
        hosts: control_host,
    };
    let mut config = ReferenceConfig {
        fixtures,
        only_vendor,
        hash_cost,
        test_mode,
        control: control.clone(),
        fault,
        log_requests,
        latency: latency.map(Duration::from_millis),
        ..ReferenceConfig::default()
    }
    .with_variant(variant)
    .with_switches(switches);
    if let Err(e) = limits.apply(&mut config) {
        return usage(&e);
    }
    tokio::spawn(request_log::report_dropped(
        dropped_lines,
        Duration::from_secs(10),
    ));
    let server = ReferenceServer::new(config);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            return usage(&format!(
                "cannot listen on {addr}: {e} (is another server on that port? try --addr 127.0.0.1:0)"
            ));
        }
    };
    if let Ok(bound) = listener.local_addr() {
        for warning in control::exposure_warnings(bound, test_mode, &control) {
            tracing::warn!("{warning}");
        }
    }
    let local = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    for v in Vendor::ALL {
        if only_vendor.is_none_or(|o| o == *v) {
            tracing::info!(
                "{} at http://{local}{}",
                v.display_name(),
                server.api_base_path(*v)
            );
        }
    }
    if test_mode {
        tracing::info!("test mode: clock control at http://{local}/__authconform/clock");
    }
    if let Some(f) = fault {
        tracing::warn!("fault `{}` is on: {}", f.name(), f.breaks());
    }
    let stopped = server
        .serve(listener, async {
            shutdown_signal().await;
            tracing::info!("stopping: no new connections; a second signal exits at once");
            // A second signal: exit now, whatever is still open.
            tokio::spawn(async {
                shutdown_signal().await;
                eprintln!("second signal: exiting at once");
                std::process::exit(130);
            });
        })
        .await;
    if stopped.abandoned > 0 {
        tracing::info!("stopped ({} connection(s) dropped)", stopped.abandoned);
    } else {
        tracing::info!("stopped");
    }
    ExitCode::SUCCESS
}

/// Ctrl-C, or SIGTERM from a CI runner or a service manager.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

async fn run(args: RunArgs) -> ExitCode {
    let RunArgs {
        target,
        jobs,
        vendor,
        tags,
        junit,
        cucumber_json,
        features,
        fault,
        quiet,
        verbose,
        variant,
        switch,
        strict,
        max_failures,
        summary_json,
        html,
        baseline,
        list,
        name,
        rerun_failed,
        state,
    } = args;
    let baseline = match baseline {
        None => Default::default(),
        Some(path) => match read_baseline(&path) {
            Ok(b) => b,
            Err(e) => return usage(&e),
        },
    };
    let only = match rerun_failed {
        None => None,
        Some(path) => match read_failed(&path) {
            Ok(only) => Some(only),
            Err(e) => return usage(&e),
        },
    };
    let paths = match many::expand_target_paths(&target) {
        Ok(paths) => paths,
        Err(e) => return usage(&e),
    };
    if !paths.is_empty() && (vendor.is_some() || fault.is_some() || variant || !switch.is_empty()) {
        return usage(
            "--vendor, --fault, --variant and --switch apply to the built-in reference server; a target file names its own vendor",
        );
    }
    let switches = match Switches::from_args(variant, &switch) {
        Ok(s) => s,
        Err(e) => return usage(&e.to_string()),
    };
    // Every target file loads before anything runs: a mistake in one is one
    // clear line, not a run of the others that ends in exit 2 anyway.
    let mut loaded = Vec::new();
    for path in &paths {
        match Target::load(path) {
            Ok(t) => loaded.push(t),
            Err(e) => return usage(&e.to_string()),
        }
    }
    let options = |target: TargetChoice| RunOptions {
        target,
        tags: tags.clone(),
        junit: junit.clone(),
        cucumber_json: cucumber_json.clone(),
        features_dir: features.clone(),
        output: if quiet {
            Output::Quiet
        } else if verbose {
            Output::Verbose
        } else {
            Output::Console
        },
        strict,
        skip_preflight: false,
        list,
        baseline: baseline.clone(),
        max_failures: max_failures.map(|n| n as usize),
        summary_json: summary_json.clone(),
        html: html.clone(),
        name: name.clone(),
        only: only.clone(),
        state: Some(
            state
                .clone()
                .unwrap_or_else(|| harness::state::DEFAULT_PATH.into()),
        ),
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
        let reports = CombinedReports {
            junit,
            summary_json,
        };
        // A listing is read top to bottom: one target after the other.
        let jobs = if list { 1 } else { jobs as usize };
        return run_many(runs, jobs, &reports).await;
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
                return usage(&format!(
                    "--fault {} breaks {}, which --vendor {} does not run; drop --vendor or choose a {} fault",
                    f.name(),
                    f.vendor(),
                    vendors[0],
                    vendors[0]
                ));
            }
            TargetChoice::Reference {
                vendors,
                fault,
                variant,
                switches,
            }
        }
    };
    let result = harness::run(options(choice)).await;
    if quiet
        && let Some(report) = harness::report_of(&result)
        && !report.listed
    {
        harness::console::out(&report.summary());
    }
    let (code, message) = verdict(&result);
    if let Some(message) = message {
        harness::console::err(&format!("authconform: {message}\n"));
    }
    ExitCode::from(code)
}

async fn explore(args: ExploreArgs) -> ExitCode {
    use harness::explore::{self, ExploreOptions, Inputs, Plan};
    let inputs = match args.inputs.as_deref() {
        None => Inputs::Off,
        Some("also") => Inputs::Also,
        Some("only") => Inputs::Only,
        Some(other) => {
            return usage(&format!("--inputs takes nothing or `only`, not `{other}`"));
        }
    };
    if args.target.is_some()
        && (args.vendor.is_some()
            || args.fault.is_some()
            || args.variant
            || !args.switch.is_empty())
    {
        return usage(
            "--vendor, --fault, --variant and --switch apply to the built-in reference server; a target file names its own vendor",
        );
    }
    let choice = match &args.target {
        Some(path) => match Target::load(path) {
            Ok(t) => TargetChoice::External(Box::new(t)),
            Err(e) => return usage(&e.to_string()),
        },
        None => {
            let switches = match Switches::from_args(args.variant, &args.switch) {
                Ok(s) => s,
                Err(e) => return usage(&e.to_string()),
            };
            let vendors = match (args.vendor, args.fault) {
                (Some(v), _) => vec![v],
                (None, Some(f)) => vec![f.vendor()],
                (None, None) => Vendor::ALL.to_vec(),
            };
            if let Some(f) = args.fault
                && !vendors.contains(&f.vendor())
            {
                return usage(&format!(
                    "--fault {} breaks {}, which --vendor {} does not explore",
                    f.name(),
                    f.vendor(),
                    vendors[0]
                ));
            }
            TargetChoice::Reference {
                vendors,
                fault: args.fault,
                variant: args.variant,
                switches,
            }
        }
    };
    let seed = args.seed.unwrap_or_else(explore::fresh_seed);
    if args.replay.is_none() {
        harness::console::out(&format!(
            "authconform explore: seed {seed} (draw the same cases again with --seed {seed})\n"
        ));
    }
    let options = ExploreOptions {
        target: choice,
        plan: Plan {
            seed,
            cases: args.cases,
            time: args.seconds.map(Duration::from_secs),
            max_steps: args.max_steps as usize,
            wrong_passwords: args.wrong_passwords,
            keep_going: args.keep_going,
            ..Plan::default()
        },
        replay: args.replay,
        inputs,
        strict: args.strict,
        output: if args.quiet {
            Output::Quiet
        } else {
            Output::Console
        },
        junit: args.junit,
        summary_json: args.summary_json,
        html: args.html,
        out_dir: Some(args.out),
        state: Some(
            args.state
                .unwrap_or_else(|| harness::state::DEFAULT_PATH.into()),
        ),
        skip_preflight: false,
    };
    match explore::explore(options).await {
        Ok(report) => {
            if args.quiet {
                harness::console::out(&report.report.summary());
            }
            ExitCode::from(if report.succeeded() { 0 } else { 1 })
        }
        Err(e) => usage(&e.to_string()),
    }
}

/// Several targets: each one's closing part in the order given, then a line
/// per target that was not checked and the totals; the worst exit code.
async fn run_many(runs: Vec<TargetRun>, jobs: usize, reports: &CombinedReports) -> ExitCode {
    let listing = runs.first().is_some_and(|r| r.options.list);
    let results = many::run_targets(runs, jobs).await;
    let mut codes = Vec::new();
    let mut lines = Vec::new();
    for r in &results {
        if let Some(report) = harness::report_of(&r.result)
            && !listing
        {
            harness::console::out(&report.summary());
        }
        let (code, message) = verdict(&r.result);
        codes.push(code);
        if let Some(message) = message {
            lines.push(format!("authconform: {}: {message}", r.label));
        }
    }
    let mut worst = codes.iter().copied().max().unwrap_or(0);
    if let Err(e) = many::write_reports(&results, reports) {
        lines.push(format!("authconform: {e}"));
        worst = 2;
    }
    if !listing {
        let count = |code: u8| codes.iter().filter(|c| **c == code).count();
        harness::console::out(&format!(
            "\n{} targets: {} passed, {} failed, {} not checked\n",
            results.len(),
            count(0),
            count(1),
            count(2)
        ));
    }
    for line in lines {
        harness::console::err(&format!("{line}\n"));
    }
    ExitCode::from(worst)
}

/// A run's exit code (see the module's doc) and what to say on stderr.
fn verdict(result: &Result<RunReport, RunError>) -> (u8, Option<String>) {
    match result {
        Ok(report) if report.listed => (0, None),
        Ok(report) if report.passed() == 0 && report.failed() == 0 => (
            2,
            Some("no scenario ran; check --tags and the target's capabilities".to_owned()),
        ),
        Ok(report) if report.succeeded() => (0, None),
        Ok(_) => (1, None),
        Err(RunError::ServerGone { reason, .. }) => (
            2,
            Some(format!(
                "{reason}; fix the server or base_url and run again"
            )),
        ),
        Err(e) => (2, Some(e.to_string())),
    }
}

/// A baseline file: scenario id → why the target knowingly deviates.
fn read_baseline(
    path: &std::path::Path,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("--baseline {}: {e}", path.display()))?;
    let map: std::collections::BTreeMap<String, String> =
        serde_saphyr::from_str(&text).map_err(|e| {
            let shown = path.display().to_string();
            format!(
                "--baseline {shown}: not a map of scenario id to reason ({})",
                e.to_string().replace("<input>", &shown)
            )
        })?;
    if let Some(id) = map
        .keys()
        .find(|id| harness::catalogue_id(std::slice::from_ref(*id)).is_none())
    {
        return Err(format!(
            "--baseline {}: `{id}` is not a scenario id (LC…, LAC…, FV…, LF…)",
            path.display()
        ));
    }
    Ok(map)
}

/// The failed scenarios of an earlier `--summary-json` file.
fn read_failed(path: &std::path::Path) -> Result<Vec<(String, usize, String)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--rerun-failed {}: {e}", path.display()))?;
    let summary: harness::summary::Summary = serde_json::from_str(&text).map_err(|e| {
        format!(
            "--rerun-failed {}: not a summary written by --summary-json ({e})",
            path.display()
        )
    })?;
    let failed = summary.failed();
    if failed.is_empty() {
        return Err(format!(
            "--rerun-failed {}: no scenario failed in that run; nothing to rerun",
            path.display()
        ));
    }
    Ok(failed)
}

async fn check(path: PathBuf, state: Option<PathBuf>) -> ExitCode {
    let target = match Target::load(&path) {
        Ok(t) => t,
        Err(e) => return usage(&e.to_string()),
    };
    let http = match harness::exchange::HttpClient::new(
        harness::suite::Suite::of(target.vendor).spec(),
        &target.base_url,
        target.insecure_tls,
        target.timeout,
    ) {
        Ok(h) => h,
        Err(e) => return usage(&e),
    };
    // The run context registers every secret of the target for redaction.
    let ctx = harness::world::RunContext::new(target, http, false);
    let state =
        harness::state::State::at(state.unwrap_or_else(|| harness::state::DEFAULT_PATH.into()));
    if let Err(e) = ctx.remember_enrolment_from(&state) {
        return usage(&e);
    }
    let problems = harness::preflight::check(&ctx).await;
    if problems.is_empty() {
        println!(
            "authconform: {} at {} is ready: it answers and its accounts sign on",
            ctx.target.vendor, ctx.target.base_url
        );
        ExitCode::SUCCESS
    } else {
        usage(&RunError::Preflight(problems).to_string())
    }
}
