//! The reference server: a complete, stateful implementation of every vendor,
//! the default target of the conformance suite, and what it is built from.
//!
//! One [`ReferenceServer`] serves all vendors under their mount prefixes
//! (`/limecraft/api/...`), or a single vendor at the root. Test mode adds the
//! control endpoints (`control.rs`); a fault (`fault.rs`) breaks one rule.
//!
//! This crate is the lowest layer of the workspace: the mocks
//! (`authconform-mock`) serve its routers, and the harness (`authconform`)
//! starts it as the default target and shares its primitives (the vendor
//! list, the clock, secrets, TOTP, HS256 JWTs, redaction, provenance, the
//! specs). It is internal: its API may change in any release; a client's tests
//! depend on `authconform-mock`, whose small API the compiler keeps.
//!
//! Cargo features: `validate` (checking a response against the specs with
//! JSON Schema, for the harness), `log-writer` (the bounded, lossy request-log
//! writer `serve` uses).

pub mod clock;
pub mod fixtures;
pub mod hs256;
pub mod provenance;
pub mod redact;
pub mod secret;
pub mod spec;
pub mod totp;
pub mod vendor;

pub mod body;
pub mod control;
pub mod fault;
pub mod fileverbs;
pub mod headers;
pub mod issued;
pub mod lac;
pub mod limecraft;
pub mod liquidfiles;
pub mod mount;
pub mod request_log;
pub mod rule;
pub mod serving;
pub mod switch;
pub mod throttle;

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::fixtures::Fixtures;
use crate::secret::{HashCost, HashPoolSize, PasswordHashing};
use crate::vendor::Vendor;
use fault::Fault;
use mount::VendorServer;

/// Everything that shapes one reference server.
#[derive(Clone, Debug)]
pub struct ReferenceConfig {
    pub fixtures: Fixtures,
    /// Serve only this vendor, at the root, as the vendor itself does.
    pub only_vendor: Option<Vendor>,
    pub hash_cost: HashCost,
    /// Password hashes at once and waiting (`secret.rs`); beyond, a login is 503.
    pub hash_pool: HashPoolSize,
    /// Enables the test-only control endpoints (clock).
    pub test_mode: bool,
    /// Who may call them (`control.rs`): a token, more host names.
    pub control: control::ControlGuard,
    pub fault: Option<Fault>,
    /// Log one line per request.
    pub log_requests: bool,
    /// Answer every request this much later (`serve --latency`): a distant
    /// deployment on loopback, to see how a run of many targets overlaps.
    pub latency: Option<std::time::Duration>,
    /// Timeouts, connection cap and shutdown grace of [`ReferenceServer::spawn`]
    /// and [`ReferenceServer::serve`].
    pub limits: serving::ServeLimits,
    pub limecraft: limecraft::LimecraftConfig,
    pub fileverbs: fileverbs::FileVerbsConfig,
    pub lac: lac::LacConfig,
    pub liquidfiles: liquidfiles::LiquidFilesConfig,
}

impl Default for ReferenceConfig {
    fn default() -> Self {
        ReferenceConfig {
            fixtures: Fixtures::builtin(),
            only_vendor: None,
            hash_cost: HashCost::Owasp,
            hash_pool: HashPoolSize::default(),
            test_mode: false,
            control: control::ControlGuard::default(),
            fault: None,
            log_requests: false,
            latency: None,
            limits: serving::ServeLimits::default(),
            limecraft: limecraft::LimecraftConfig::default(),
            fileverbs: fileverbs::FileVerbsConfig::default(),
            lac: lac::LacConfig::default(),
            liquidfiles: liquidfiles::LiquidFilesConfig::default(),
        }
    }
}

impl ReferenceConfig {
    /// The configuration tests and `authconform run` use: cheap hashing, clock
    /// control, no request log, no failed-login throttling (`throttle.rs`).
    pub fn for_tests() -> Self {
        let mut config = ReferenceConfig {
            hash_cost: HashCost::Test,
            test_mode: true,
            ..Self::default()
        };
        config.limecraft.login_throttle = None;
        config.lac.login_throttle = None;
        config
    }

    pub fn with_fault(mut self, fault: Option<Fault>) -> Self {
        self.fault = fault;
        self
    }

    /// Every vendor answers as another conforming server would where the
    /// documents are silent: every switch at its last value (`switch.rs`;
    /// the vendors whose choices are not switches yet: each vendor config's
    /// `variant`).
    pub fn with_variant(mut self, variant: bool) -> Self {
        self.limecraft.variant = variant;
        self.lac.variant = variant;
        self.liquidfiles.variant = variant;
        if variant {
            self = self.with_switches(switch::Switches::variant());
        }
        self
    }

    /// Where the documents are silent, these choices (`switch.rs`); every
    /// vendor reads its own.
    pub fn with_switches(mut self, switches: switch::Switches) -> Self {
        self.fileverbs.switches = switches;
        self
    }
}

/// A built reference server: its router and the handles tests need.
pub struct ReferenceServer {
    router: Router,
    pub clock: Clock,
    pub limecraft: limecraft::Limecraft,
    pub fileverbs: fileverbs::FileVerbs,
    pub lac: lac::Lac,
    pub liquidfiles: liquidfiles::LiquidFiles,
    config: ReferenceConfig,
}

impl ReferenceServer {
    pub fn new(config: ReferenceConfig) -> Self {
        let clock = Clock::new();
        let hashing = PasswordHashing::with_pool(config.hash_cost, config.hash_pool);
        let lac = lac::Lac::new(
            &config.fixtures.lac,
            hashing.clone(),
            clock.clone(),
            config.fault,
            config.lac.clone(),
        );
        let liquidfiles = liquidfiles::LiquidFiles::new(
            &config.fixtures.liquidfiles,
            hashing.clone(),
            clock.clone(),
            config.fault,
            config.liquidfiles.clone(),
        );
        let limecraft = limecraft::Limecraft::new(
            &config.fixtures.limecraft,
            hashing,
            clock.clone(),
            config.fault,
            config.limecraft.clone(),
        );
        let fileverbs = fileverbs::FileVerbs::new(
            &config.fixtures.fileverbs,
            clock.clone(),
            config.fault,
            config.fileverbs.clone(),
        );
        let vendors: [&dyn VendorServer; 4] = [&limecraft, &fileverbs, &lac, &liquidfiles];
        let mut router = Router::new();
        for server in vendors {
            let vendor = server.vendor();
            if config.only_vendor.is_some_and(|only| only != vendor) {
                continue;
            }
            router = match config.only_vendor {
                Some(_) => router.merge(server.router("")),
                None => router.nest(vendor.mount_prefix(), server.router(vendor.mount_prefix())),
            };
        }
        if config.test_mode {
            // Every vendor's hooks, whichever vendors are served.
            let hooks = vendors
                .iter()
                .filter_map(|s| s.control_hooks().map(|h| (s.vendor(), h)));
            router = router.merge(control::router(
                clock.clone(),
                hooks,
                config.control.clone(),
            ));
            // A moved clock shows in every answer's `Date`, as a real
            // server's clock would: what a client (and preflight) compares.
            let moved = clock.clone();
            router = router.layer(axum::middleware::map_response(
                move |response: axum::response::Response| {
                    let clock = moved.clone();
                    async move { clock::date_of_moved(&clock, response) }
                },
            ));
        }
        // A 503 (the password hashing pool is full) always says when to retry.
        router = router.layer(axum::middleware::map_response(retry_after_on_503));
        if config.log_requests {
            router = router.layer(axum::middleware::from_fn(request_log::log_request));
        }
        if let Some(delay) = config.latency {
            router = router.layer(axum::middleware::from_fn(
                move |request: axum::extract::Request, next: axum::middleware::Next| async move {
                    tokio::time::sleep(delay).await;
                    next.run(request).await
                },
            ));
        }
        ReferenceServer {
            router,
            clock,
            limecraft,
            fileverbs,
            lac,
            liquidfiles,
            config,
        }
    }

    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The path of `vendor`'s API base on this server (`/limecraft/api`, or `/api`
    /// when it serves that vendor alone). LAC's is its fixtures' suite API.
    pub fn api_base_path(&self, vendor: Vendor) -> String {
        let base = self
            .vendors()
            .into_iter()
            .find(|s| s.vendor() == vendor)
            .map(|s| s.api_base_path())
            .unwrap_or_else(|| vendor.api_base_path().to_owned());
        match self.config.only_vendor {
            Some(_) => base,
            None => format!("{}{}", vendor.mount_prefix(), base),
        }
    }

    /// Every vendor's reference implementation, one line a vendor.
    fn vendors(&self) -> [&dyn VendorServer; 4] {
        [
            &self.limecraft,
            &self.fileverbs,
            &self.lac,
            &self.liquidfiles,
        ]
    }

    /// Binds `addr` and serves in a background task until the handle drops.
    pub async fn spawn(self, addr: SocketAddr) -> std::io::Result<RunningServer> {
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = self.router.clone();
        let limits = self.config.limits.clone();
        let task = tokio::spawn(async move {
            serving::serve(listener, router, limits, async {
                let _ = stopped.await;
            })
            .await;
        });
        Ok(RunningServer {
            addr: local,
            server: self,
            stop: Some(stop),
            task,
        })
    }

    /// Serves on `listener` until `shutdown` resolves, then lets in-flight
    /// requests finish within the configured grace (`authconform serve`).
    pub async fn serve(
        &self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> serving::Stopped {
        serving::serve(
            listener,
            self.router.clone(),
            self.config.limits.clone(),
            shutdown,
        )
        .await
    }
}

async fn retry_after_on_503(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    if response.status() == StatusCode::SERVICE_UNAVAILABLE
        && !response.headers().contains_key(header::RETRY_AFTER)
    {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(crate::secret::HASH_BUSY_RETRY_AFTER_SECS),
        );
    }
    response
}

/// A reference server serving in the background; dropping it stops it.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub server: ReferenceServer,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL a target file would give for `vendor`.
    pub fn api_base_url(&self, vendor: Vendor) -> String {
        format!("{}{}", self.url(), self.server.api_base_path(vendor))
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}
