//! The command line: its arguments (clap), and each command handed to the
//! library part that does it (`run` and `check` to [`harness::command`],
//! `serve` to the reference server). The binary (`src/main.rs`) parses and
//! calls [`dispatch`]. Exit codes: [`Exit`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::fixtures::Fixtures;
use crate::harness::command::{self, ExploreCommand, RunCommand};
use crate::harness::console::paint::{self, ColorChoice};
use crate::harness::exit::Exit;
use crate::harness::report_files::ReportFiles;
use crate::harness::target::BrowserChoice;
use crate::harness::{self, Output};
use crate::mock::export;
use crate::reference::fault::Fault;
use crate::reference::serving::ServeLimits;
use crate::reference::switch::{self, Switches};
use crate::reference::{ReferenceConfig, ReferenceServer, control, request_log};
use crate::secret::{HashCost, HashPoolSize};
use crate::vendor::Vendor;

/// The exit codes, as `run --help` and the man page list them.
const EXIT_CODES: &str = "Exit codes: 0 every scenario that ran passed (warnings do not count); \
1 a conformance failure (or, with --strict, a warning); 2 bad usage or configuration, a target \
that preflight finds not ready, a server that stopped answering mid-run, or nothing selected; \
130 interrupted (Ctrl-C, SIGTERM: the reports hold what ran).";

#[derive(Parser)]
#[command(
    name = "authconform",
    version = harness::report::version(),
    about = "Conformance harness and reference server for vendor token authentication APIs",
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// Colour the console: auto (a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

impl Cli {
    /// The command line's definition, for completions and the man page.
    pub fn definition() -> clap::Command {
        <Cli as clap::CommandFactory>::command()
    }
}

#[derive(Subcommand)]
enum Command {
    /// Start the reference server (all vendors under their base paths, or one at the root).
    Serve(ServeArgs),
    /// Run the conformance suite against a target file, or the built-in reference server.
    #[command(after_help = EXIT_CODES)]
    Run(RunArgs),
    /// Property runs against a server: draw sequences of the documented
    /// operations, judge every answer by a model of the documented rules,
    /// shrink what fails to the shortest case and print it as a scenario, a
    /// curl script and a replay file.
    #[command(after_help = EXIT_CODES)]
    Explore(ExploreArgs),
    /// Check a target file without running the suite: it loads, its server
    /// answers, its accounts sign on, its control API (if any) answers; then
    /// the plan: what a run would run, and what it would skip and why. Exit 0
    /// when ready, 2 with one line per problem otherwise.
    Check {
        /// The target file (YAML).
        #[arg(long)]
        target: PathBuf,
        /// The state file of earlier runs (see `run --state`).
        #[arg(long, value_name = "FILE", env = "AUTHCONFORM_STATE")]
        state: Option<PathBuf>,
        /// The tag expression the run will use (the plan counts only those).
        #[arg(long, value_name = "EXPR")]
        tags: Option<String>,
    },
    /// The reports of earlier runs: `report merge` makes the shards' one.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Print a vendor's example target file, commented, to start from.
    Init {
        #[arg(long, value_parser = vendor_parser())]
        vendor: Vendor,
    },
    /// The state file (`run --state`): the TOTP secret a run enrolled, for a
    /// pipeline that keeps it as a secret (`users.twofactor.totp_secret`)
    /// instead of keeping the file.
    State {
        #[command(subcommand)]
        command: StateCommand,
    },
    /// A control API's clock (a reference server in test mode): how far it
    /// is from this machine's, and `--reset` to set it back.
    Clock {
        /// The root URL of the server (a target file's `control_url`).
        #[arg(long, value_name = "URL")]
        control_url: String,
        /// Set the clock back to the server's system time.
        #[arg(long)]
        reset: bool,
    },
    /// Run the embedded SAML identity provider alone and print its metadata:
    /// a LiquidFiles deployment configured to trust it (its certificate, its
    /// SSO URL) can then be checked end to end (`saml: idp: embedded` in the
    /// target file).
    Idp(IdpArgs),
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
    /// Print a shell's completion script (`authconform completions bash >
    /// ~/.local/share/bash-completion/completions/authconform`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `authconform man > authconform.1`.
    Man,
}

#[derive(Subcommand)]
enum StateCommand {
    /// Print the TOTP secret the state file holds for a target file's
    /// `users.twofactor` account (base32), to keep as a pipeline secret.
    Secret {
        /// The target file (YAML).
        #[arg(long)]
        target: PathBuf,
        /// The state file (default: .authconform/state.json).
        #[arg(long, value_name = "FILE", env = "AUTHCONFORM_STATE")]
        state: Option<PathBuf>,
    },
    /// Print a new random key to seal the state file with: keep it as a
    /// masked pipeline secret and give it in AUTHCONFORM_STATE_KEY. A CI
    /// cache is readable by whoever can run a workflow of the repository;
    /// sealed, the cached file shows nobody the TOTP secret and session in it.
    Key,
}

/// `--vendor`: one of the built-in vendors, listed in `--help`.
fn vendor_parser() -> impl clap::builder::TypedValueParser<Value = Vendor> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Vendor::ALL.iter().map(|v| v.id()))
        .map(|id| id.parse::<Vendor>().expect("a listed vendor"))
}

#[derive(Args)]
struct RunArgs {
    /// Target file (YAML) describing the server under test; without it, an
    /// in-process reference server is started. Give it several times, or a
    /// folder of target files (*.yaml, *.yml), to check several deployments
    /// in one run: each target's scenarios run in order, up to --jobs targets
    /// at once (targets that share a server or a control_url one after the
    /// other); the JUnit file and the summary JSON hold every target, the
    /// Cucumber JSON and HTML reports are one file per target (`run.html` →
    /// `run.<name>.html`, and `run.html` their index); the exit code is the
    /// worst of all.
    #[arg(long, value_name = "FILE|DIR", help_heading = "Target")]
    target: Vec<PathBuf>,
    /// With several targets: how many are checked at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..), help_heading = "Target")]
    jobs: u32,
    /// With --target: the state file that remembers, between runs, what the
    /// suite cannot undo on the deployment (the TOTP secret of the second factor
    /// it enabled) and the two-factor account's session it leaves open for the
    /// next run. Keep it between pipeline runs. Default: .authconform/state.json
    #[arg(
        long,
        value_name = "FILE",
        env = "AUTHCONFORM_STATE",
        help_heading = "Target"
    )]
    state: Option<PathBuf>,
    #[command(flatten)]
    reference: ReferenceArgs,
    /// Tag expression selecting scenarios, e.g. "@login and not @2fa".
    #[arg(long, value_name = "EXPR", help_heading = "Selection")]
    tags: Option<String>,
    /// Run only this scenario: its id (LC1) or its exact name; give it several times.
    #[arg(long, value_name = "ID|NAME", help_heading = "Selection")]
    name: Vec<String>,
    /// Run only the scenarios whose name matches this regular expression.
    #[arg(long, value_name = "REGEX", help_heading = "Selection")]
    name_regex: Option<String>,
    /// Run only the scenarios that failed in an earlier run's --summary-json FILE.
    #[arg(long, value_name = "FILE", help_heading = "Selection")]
    rerun_failed: Option<PathBuf>,
    /// Stop after this many failed scenarios; the rest are reported as not run.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), help_heading = "Selection")]
    max_failures: Option<u32>,
    /// Read feature files from this folder instead of the built-in ones.
    #[arg(long, value_name = "DIR", help_heading = "Selection")]
    features: Option<PathBuf>,
    /// List every scenario (id, name, feature file and line, tags, capability
    /// needs) and whether it would run against this target; run nothing.
    #[arg(long, help_heading = "Selection")]
    list: bool,
    /// Fail on the reference server's own choices too (error bodies, status
    /// codes and markup the vendors' documents do not give, security headers):
    /// without it they are reported as warnings.
    #[arg(long, help_heading = "Verdict")]
    strict: bool,
    /// Known deviations: a YAML map of scenario id to reason (`LAC5: "we answer
    /// 403"`). A listed scenario that fails is an expected failure (the run
    /// passes); one that passes is reported as stale, so the list shrinks.
    #[arg(long, value_name = "FILE", help_heading = "Verdict")]
    baseline: Option<PathBuf>,
    #[command(flatten)]
    reports: ReportArgs,
    /// Print only the closing recap and totals.
    #[arg(short, long, conflicts_with = "verbose", help_heading = "Console")]
    quiet: bool,
    /// Print every step as it runs (cucumber's own output) instead of a line per scenario.
    #[arg(short, long, help_heading = "Console")]
    verbose: bool,
    /// The browser LiquidFiles' /session/api scenarios run in: `auto` (a local
    /// headless Chromium with chromedriver if installed, else played over HTTP,
    /// and what only script does is reported as not judged), `chromium`,
    /// `none`, or a WebDriver server's URL. Default: the target file's
    /// (`liquidfiles.browser`), else auto.
    #[arg(
        long,
        value_name = "auto|chromium|none|URL",
        help_heading = "Selection"
    )]
    browser: Option<BrowserChoice>,
    /// Run only shard K of N of the selected scenarios (an outline is one),
    /// for N CI runners against the same target: `count:K/N` (or `K/N`)
    /// deals them out in turn, `hash:K/N` by a stable hash of each one's
    /// feature file and name. `report merge` makes the shards' reports one.
    #[arg(long, value_name = "K/N", value_parser = clap::value_parser!(harness::partition::Partition), help_heading = "Selection")]
    partition: Option<harness::partition::Partition>,
}

/// The report files a run (and `report merge`) writes.
#[derive(Args)]
struct ReportArgs {
    /// Write a JUnit XML report here (whatever the outcome: a target that is
    /// not ready is an errored test case).
    #[arg(long, value_name = "FILE", help_heading = "Reports")]
    junit: Option<PathBuf>,
    /// Write a Cucumber JSON report here.
    #[arg(long, value_name = "FILE", help_heading = "Reports")]
    cucumber_json: Option<PathBuf>,
    /// Write a machine-readable summary here (counts; per scenario its id,
    /// feature, line, status, duration and reason; with --partition, all
    /// that `report merge` needs).
    #[arg(long, value_name = "FILE", help_heading = "Reports")]
    summary_json: Option<PathBuf>,
    /// Write a self-contained HTML report here (problems first, every scenario,
    /// its steps, failures with their exchange and curl line, warnings; filters).
    #[arg(long, value_name = "FILE", help_heading = "Reports")]
    html: Option<PathBuf>,
}

impl ReportArgs {
    fn files(self) -> ReportFiles {
        ReportFiles {
            junit: self.junit,
            cucumber_json: self.cucumber_json,
            summary_json: self.summary_json,
            html: self.html,
        }
    }
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Merge the reports of the shards of one run (`run --partition K/N` on
    /// N machines) into what one run would have written (durations aside):
    /// the scenarios' union in plan order, the totals, the baseline, and the
    /// exit code one run would have had. Reads each shard's summary JSON
    /// (and, for --cucumber-json, its Cucumber JSON); the JUnit and HTML
    /// reports are written again from them. Every shard must be there once,
    /// of one run (version, partition, selection): otherwise exit 2, saying
    /// what is wrong.
    #[command(after_help = EXIT_CODES)]
    Merge {
        /// The shards' summary JSON and Cucumber JSON files, or folders
        /// holding them (searched below, e.g. the downloaded artifacts).
        #[arg(required = true, value_name = "FILE|DIR")]
        inputs: Vec<PathBuf>,
        #[command(flatten)]
        reports: ReportArgs,
    },
}

impl RunArgs {
    fn into_command(self) -> RunCommand {
        let output = if self.quiet {
            Output::Quiet
        } else if self.verbose {
            Output::Verbose
        } else {
            Output::Console
        };
        RunCommand {
            targets: self.target,
            jobs: self.jobs as usize,
            vendor: self.reference.vendor,
            tags: self.tags,
            reports: self.reports.files(),
            features: self.features,
            fault: self.reference.fault,
            output,
            variant: self.reference.variant,
            switches: self.reference.switch,
            strict: self.strict,
            baseline: self.baseline,
            list: self.list,
            names: self.name,
            name_regex: self.name_regex,
            rerun_failed: self.rerun_failed,
            state: self.state,
            max_failures: self.max_failures.map(|n| n as usize),
            browser: self.browser,
            partition: self.partition,
        }
    }
}

/// Without a target file: the in-process reference server `run` and
/// `explore` start.
#[derive(Args)]
struct ReferenceArgs {
    /// Without --target: the vendor to test or explore (default: every vendor).
    #[arg(long, value_parser = vendor_parser(), help_heading = "Built-in reference server")]
    vendor: Option<Vendor>,
    /// Without --target: start the reference server with this fault (see `authconform faults`).
    #[arg(long, value_parser = Fault::from_name, value_name = "FAULT", help_heading = "Built-in reference server")]
    fault: Option<Fault>,
    /// Without --target: run against the variant reference server (see
    /// `serve --variant`).
    #[arg(long, help_heading = "Built-in reference server")]
    variant: bool,
    /// Without --target: the reference server makes this choice where the
    /// documents are silent (see `authconform switches`); give it several times.
    #[arg(
        long = "switch",
        value_name = "NAME=VALUE",
        help_heading = "Built-in reference server"
    )]
    switch: Vec<String>,
}

#[derive(Args)]
struct ExploreArgs {
    /// Target file (YAML) describing the server under test; without it, an
    /// in-process reference server is started.
    #[arg(long, value_name = "FILE", help_heading = "Target")]
    target: Option<PathBuf>,
    /// With --target: the state file (see `run --state`).
    #[arg(
        long,
        value_name = "FILE",
        env = "AUTHCONFORM_STATE",
        help_heading = "Target"
    )]
    state: Option<PathBuf>,
    #[command(flatten)]
    reference: ReferenceArgs,
    /// Cases (sequences of operations) drawn at most, per vendor.
    #[arg(long, value_name = "N", default_value_t = 100, help_heading = "Search")]
    cases: u32,
    /// Wall time at most, per vendor, shrinking included.
    #[arg(long, value_name = "SECS", help_heading = "Search")]
    seconds: Option<u64>,
    /// Operations in a case at most.
    #[arg(long, value_name = "N", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=200), help_heading = "Search")]
    max_steps: u32,
    /// The seed of the draw (printed when not given): the same seed draws the same cases.
    #[arg(long, help_heading = "Search")]
    seed: Option<u64>,
    /// Run exactly the case of a replay file (written by an earlier explore) again.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["cases", "seed", "inputs"], help_heading = "Search")]
    replay: Option<PathBuf>,
    /// Also send generated bad input (malformed, oversized, wrong types,
    /// injected parameters) to the sign-on; `--inputs only` sends nothing else.
    #[arg(long, value_name = "only", num_args = 0..=1, default_missing_value = "also", value_parser = ["also", "only"], help_heading = "Search")]
    inputs: Option<String>,
    /// Wrong passwords sent for one account in 15 minutes at most (keep it
    /// under the server's throttle; 0: none).
    #[arg(long, value_name = "N", default_value_t = 3, help_heading = "Search")]
    wrong_passwords: u32,
    /// Go on after the first failure, looking for failures of other kinds
    /// (each shrunk too); by default the search stops at the first.
    #[arg(long, help_heading = "Search")]
    keep_going: bool,
    /// Fail on the reference server's own choices too (see `run --strict`).
    #[arg(long, help_heading = "Verdict")]
    strict: bool,
    /// Where each finding's replay file and curl script are written.
    #[arg(
        long,
        value_name = "DIR",
        default_value = ".authconform/explore",
        help_heading = "Reports"
    )]
    out: PathBuf,
    /// Write a JUnit XML report here (one test per rule of the model).
    #[arg(long, value_name = "FILE", help_heading = "Reports")]
    junit: Option<PathBuf>,
    /// Write a machine-readable summary here.
    #[arg(long, value_name = "FILE", help_heading = "Reports")]
    summary_json: Option<PathBuf>,
    /// Write a self-contained HTML report here.
    #[arg(long, value_name = "FILE", help_heading = "Reports")]
    html: Option<PathBuf>,
    /// Print only the closing recap.
    #[arg(short, long, help_heading = "Console")]
    quiet: bool,
}

impl ExploreArgs {
    fn into_command(self) -> ExploreCommand {
        ExploreCommand {
            target: self.target,
            state: self.state,
            vendor: self.reference.vendor,
            fault: self.reference.fault,
            variant: self.reference.variant,
            switches: self.reference.switch,
            cases: self.cases,
            seconds: self.seconds,
            max_steps: self.max_steps as usize,
            seed: self.seed,
            replay: self.replay,
            inputs: match self.inputs.as_deref() {
                None => harness::explore::Inputs::Off,
                Some("only") => harness::explore::Inputs::Only,
                Some(_) => harness::explore::Inputs::Also,
            },
            wrong_passwords: self.wrong_passwords,
            keep_going: self.keep_going,
            strict: self.strict,
            out: self.out,
            reports: ReportFiles {
                junit: self.junit,
                cucumber_json: None,
                summary_json: self.summary_json,
                html: self.html,
            },
            output: if self.quiet {
                Output::Quiet
            } else {
                Output::Console
            },
        }
    }
}

#[derive(Subcommand)]
enum MockCommand {
    /// Write a vendor's stubs: WireMock JSON mappings (DIR/mappings/*.json, for
    /// `--root-dir DIR`), or its OpenAPI document.
    Export {
        /// The vendor (e.g. `limecraft`).
        #[arg(long, value_parser = vendor_parser())]
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
    #[arg(long, value_parser = vendor_parser())]
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

#[derive(Args)]
struct IdpArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8081")]
    addr: SocketAddr,
    /// The URL the IdP is reached at, up to `/idp` (e.g. `https://idp.example/idp`);
    /// `http://<addr>/idp` by default.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// The IdP's entity ID.
    #[arg(long, default_value = crate::reference::saml::DEFAULT_IDP_ENTITY_ID)]
    entity_id: String,
    /// The signing key (PEM, RSA). Without `--key` and `--cert`, the built-in
    /// key, which is public (fixtures/saml/idp-key.pem): trust it only on a
    /// test deployment.
    #[arg(long, requires = "cert", value_name = "PEM")]
    key: Option<PathBuf>,
    /// The signing certificate (PEM) that the service provider trusts.
    #[arg(long, requires = "key", value_name = "PEM")]
    cert: Option<PathBuf>,
    /// The accounts: a YAML list of `{email, password}` (the target file's
    /// `users.saml` among them); the built-in ones (fixtures/reference.yaml's
    /// `saml_idp`) by default.
    #[arg(long, value_name = "FILE")]
    users: Option<PathBuf>,
    /// Where to post when an AuthnRequest names no AssertionConsumerServiceURL.
    #[arg(long, value_name = "URL")]
    sp_acs: Option<String>,
    /// Serve only these assertion consumer services (repeat); any by default.
    #[arg(long, value_name = "URL")]
    allow_acs: Vec<String>,
    /// Sign the Response element as well as the assertion.
    #[arg(long)]
    sign_response: bool,
    /// Password hashing cost: `owasp` (default) or `test`.
    #[arg(long, value_enum, default_value_t = HashCost::Owasp)]
    hash_cost: HashCost,
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
    /// Connections served at once; at the cap the one idle the longest is
    /// closed for a new one, else new ones wait in the listen backlog. Lowered,
    /// with a warning, to fit `ulimit -n` (minus 64).
    #[arg(long, default_value_t = 512, value_name = "N")]
    max_connections: usize,
    /// Connections one client address may hold at once; beyond, its idlest is
    /// closed for the new one, else the new one is answered 503.
    #[arg(long, default_value_t = 256, value_name = "N")]
    max_connections_per_source: usize,
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
            max_connections_per_source: self.max_connections_per_source.max(1),
            shutdown_grace: secs("shutdown-grace", self.shutdown_grace)?,
            ..config.limits
        };
        let workers = self.hash_workers.unwrap_or(config.hash_pool.workers).max(1);
        config.hash_pool = HashPoolSize {
            workers,
            queue: self.hash_queue.unwrap_or(4 * workers),
        };
        Ok(())
    }
}

/// Does what the parsed command line says; the process's exit code.
pub fn dispatch(cli: Cli) -> ExitCode {
    paint::set(
        cli.color
            .colours(std::io::IsTerminal::is_terminal(&std::io::stdout())),
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return usage(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve(args, cli.color).await,
            Command::Idp(args) => idp(args).await,
            Command::Run(args) => Exit::process(command::run(args.into_command()).await),
            Command::Explore(args) => Exit::process(command::explore(args.into_command()).await),
            Command::Check {
                target,
                state,
                tags,
            } => Exit::process(command::check(&target, state, tags).await),
            Command::Report {
                command: ReportCommand::Merge { inputs, reports },
            } => Exit::process(command::report_merge(&inputs, reports.files())),
            Command::Init { vendor } => {
                harness::console::out(command::example_target(vendor));
                ExitCode::SUCCESS
            }
            Command::State {
                command: StateCommand::Secret { target, state },
            } => Exit::process(command::state_secret(&target, state)),
            Command::State {
                command: StateCommand::Key,
            } => {
                println!("{}", harness::state::Key::generate());
                harness::console::err(&format!(
                    "authconform: keep it as a masked pipeline secret and give it in {}\n",
                    harness::state::KEY_ENV
                ));
                ExitCode::SUCCESS
            }
            Command::Clock { control_url, reset } => {
                Exit::process(command::clock(&control_url, reset).await)
            }
            Command::Completions { shell } => {
                let mut definition = Cli::definition();
                clap_complete::generate(
                    shell,
                    &mut definition,
                    "authconform",
                    &mut std::io::stdout(),
                );
                ExitCode::SUCCESS
            }
            Command::Man => {
                match clap_mangen::Man::new(Cli::definition()).render(&mut std::io::stdout()) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => usage(&format!("cannot write the man page: {e}")),
                }
            }
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
    Exit::process(Exit::SETUP)
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
    color: ColorChoice,
) -> ExitCode {
    let switches = match Switches::from_args(variant, &switch) {
        Ok(s) => s,
        Err(e) => return usage(&e.to_string()),
    };
    // The log is written by a background thread: a request only formats its
    // line into a bounded buffer, instead of a stderr write per request
    // (measured in bench/README.md). Lossy: when stderr is not read fast
    // enough, lines are dropped and counted rather than requests waiting
    // (request_log.rs). The guard flushes it at exit (for at most about a second).
    let (log_sink, _flush_log_at_exit) = request_log::LogSink::new(std::io::stderr());
    let ansi = color.colours(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let writer = log_sink.clone();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(move || writer.writer())
        .with_ansi(ansi)
        .with_target(false)
        .init();
    // The per-request line only when RUST_LOG lets it through (it does by
    // default); formatted by the sink itself, except in colour.
    let request_log = if !tracing::enabled!(target: "authconform::request", tracing::Level::INFO) {
        request_log::RequestLog::Off
    } else if ansi {
        request_log::RequestLog::Tracing
    } else {
        request_log::RequestLog::Sink(log_sink.clone())
    };
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
        request_log,
        latency: latency.map(Duration::from_millis),
        ..ReferenceConfig::default()
    }
    .with_variant(variant)
    .with_switches(switches);
    if let Err(e) = limits.apply(&mut config) {
        return usage(&e);
    }
    tokio::spawn(request_log::report_dropped(
        log_sink,
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
    if only_vendor.is_none_or(|o| o == Vendor::LiquidFiles) {
        tracing::info!("SAML identity provider (for /saml/api) at http://{local}/idp/metadata");
    }
    if test_mode {
        tracing::info!("test mode: clock control at http://{local}/__authconform/clock");
    }
    if let Some(f) = fault {
        tracing::warn!("fault `{}` is on: {}", f.name(), f.breaks());
    }
    let stopped = server
        .serve(listener, async {
            harness::interrupt::next_signal().await;
            tracing::info!("stopping: no new connections; a second signal exits at once");
            // A second signal: exit now, whatever is still open.
            tokio::spawn(async {
                harness::interrupt::next_signal().await;
                eprintln!("second signal: exiting at once");
                std::process::exit(Exit::INTERRUPTED);
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

/// `authconform idp`: the embedded SAML identity provider alone.
async fn idp(args: IdpArgs) -> ExitCode {
    use crate::reference::saml::dsig::SigningKey;
    use crate::reference::saml::idp::{Idp, IdpConfig, router};
    let users: Vec<crate::reference::saml::idp::IdpUser> = match &args.users {
        Some(path) => {
            let parsed = std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|text| serde_saphyr::from_str(&text).map_err(|e| e.to_string()));
            match parsed {
                Ok(users) => users,
                Err(e) => {
                    return usage(&format!(
                        "--users {}: a YAML list of {{email, password}}: {e}",
                        path.display()
                    ));
                }
            }
        }
        None => Fixtures::builtin().saml_idp.users,
    };
    let key = match (&args.key, &args.cert) {
        (Some(key), Some(cert)) => {
            let read = |p: &PathBuf| {
                std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
            };
            match read(key).and_then(|k| Ok((k, read(cert)?))) {
                Ok((k, c)) => match SigningKey::from_pem(&k, &c) {
                    Ok(key) => key,
                    Err(e) => return usage(&e),
                },
                Err(e) => return usage(&e),
            }
        }
        _ => {
            eprintln!(
                "authconform idp: signing with the built-in test key, which is public: trust this IdP on test deployments only (give --key and --cert otherwise)"
            );
            SigningKey::builtin()
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(l) => l,
        Err(e) => return usage(&format!("cannot listen on {}: {e}", args.addr)),
    };
    let local = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}/idp"));
    let config = IdpConfig {
        entity_id: args.entity_id,
        key,
        public_url: Some(public_url.clone()),
        default_acs: args.sp_acs,
        allowed_acs: args.allow_acs,
        sign_response: args.sign_response,
        ..IdpConfig::new(users)
    };
    let idp = Idp::new(
        config,
        crate::reference::secret::PasswordHashing::new(args.hash_cost),
        crate::reference::clock::Clock::new(),
    );
    // The metadata on stdout (for the SP's configuration); where it is served, on stderr.
    print!("{}", idp.metadata(&public_url));
    eprintln!("authconform idp: metadata at {public_url}/metadata, SSO at {public_url}/sso");
    let app = axum::Router::new().nest("/idp", router(idp));
    crate::reference::serving::serve(listener, app, ServeLimits::default(), async {
        harness::interrupt::next_signal().await;
    })
    .await;
    ExitCode::SUCCESS
}
