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
//! JSON Schema, for the harness), `log-writer` (kept for compatibility: the
//! bounded, lossy request-log writer `serve` uses needs no dependency now).

/// `pub struct $name(Arc<$state>)`, cloneable and dereferencing to the
/// state: a vendor's state as its handlers share it (they clone their state on
/// every request, and this clone is one reference count).
macro_rules! shared_state {
    ($name:ident => $state:ident) => {
        #[doc = concat!("[`", stringify!($state), "`], shared: cloning it is one reference count.")]
        #[derive(Clone)]
        pub struct $name(std::sync::Arc<$state>);

        impl std::ops::Deref for $name {
            type Target = $state;

            fn deref(&self) -> &$state {
                &self.0
            }
        }
    };
}
pub(crate) use shared_state;

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
pub mod json;
pub mod lac;
pub mod limecraft;
pub mod liquidfiles;
pub mod mount;
pub mod request_log;
pub mod rule;
pub mod saml;
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
    /// Where one line per request goes (`request_log.rs`); off by default.
    pub request_log: request_log::RequestLog,
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
            request_log: request_log::RequestLog::Off,
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
    /// documents are silent: every switch at its last value (`switch.rs`).
    pub fn with_variant(mut self, variant: bool) -> Self {
        if variant {
            self = self.with_switches(switch::Switches::variant());
        }
        self
    }

    /// Where the documents are silent, these choices (`switch.rs`); every
    /// vendor reads its own.
    pub fn with_switches(mut self, switches: switch::Switches) -> Self {
        self.lac.switches = switches.clone();
        self.fileverbs.switches = switches.clone();
        self.liquidfiles.switches = switches.clone();
        self.limecraft.switches = switches;
        self
    }
}

/// A built reference server: its router and the handles tests need.
pub struct ReferenceServer {
    /// [`Self::service`] as a router, for in-process calls (`oneshot`).
    router: Router,
    /// What `spawn` and `serve` answer with.
    service: Service,
    pub clock: Clock,
    pub limecraft: limecraft::Limecraft,
    pub fileverbs: fileverbs::FileVerbs,
    pub lac: lac::Lac,
    pub liquidfiles: liquidfiles::LiquidFiles,
    /// The embedded SAML IdP, at `/idp`, that `/saml/api` trusts by default.
    pub idp: saml::idp::Idp,
    config: ReferenceConfig,
}

impl ReferenceServer {
    pub fn new(mut config: ReferenceConfig) -> Self {
        if let Some(fault) = config.fault {
            config.limits.exact_header_names = fault.exact_header_names();
        }
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
        let idp = saml::idp::Idp::new(
            saml::idp::IdpConfig::new(config.fixtures.saml_idp.users.clone()),
            hashing.clone(),
            clock.clone(),
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
        let mut mounted = Vec::new();
        for server in vendors {
            let vendor = server.vendor();
            if config.only_vendor.is_some_and(|only| only != vendor) {
                continue;
            }
            match config.only_vendor {
                Some(_) => router = router.merge(server.router("")),
                None => mounted.push(Mounted {
                    prefix: vendor.mount_prefix(),
                    router: server.router(vendor.mount_prefix()),
                    original_uri: server.reads_original_uri(),
                }),
            }
        }
        if config
            .only_vendor
            .is_none_or(|only| only == Vendor::LiquidFiles)
        {
            router = router.nest("/idp", saml::idp::router(idp.clone()));
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
        }
        let service = Service(std::sync::Arc::new(Served {
            mounted,
            root: router,
            request_log: config.request_log.clone(),
            latency: config.latency,
            moved_clock: config.test_mode.then(|| clock.clone()),
        }));
        ReferenceServer {
            router: Router::new().fallback_service(service.clone()),
            service,
            clock,
            limecraft,
            fileverbs,
            lac,
            liquidfiles,
            idp,
            config,
        }
    }

    /// The server as an axum router, for in-process calls (`oneshot`) and
    /// for layering (the mocks).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The server as the tower service `spawn` and `serve` answer with.
    pub fn service(&self) -> Service {
        self.service.clone()
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
        let service = self.service.clone();
        let limits = self.config.limits.clone();
        let task = tokio::spawn(async move {
            serving::serve(listener, service, limits, async {
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
            self.service.clone(),
            self.config.limits.clone(),
            shutdown,
        )
        .await
    }
}

/// The whole server as one tower service: the vendors' routers under their
/// mount prefixes (`/limecraft`, ...), the rest (the control API; a single
/// vendor served at the root) in a router of its own, and around them the
/// request log, `--latency` and the `Retry-After` of a 503.
///
/// A request under a prefix goes to that vendor's router with the prefix taken
/// off its path (`/limecraft` alone becomes `/`), as `Router::nest` would
/// serve it; anything else goes to the root router (a 404 when it has no such
/// route). Why (issue #24; seen in a callgrind profile whose figures were not
/// kept, so re-measure before relying on it): `nest`
/// rebuilt the path through `format!` and a `NestedPath` per request and
/// wrapped every route in two layers, an outer router routed every request a
/// second time (its fallback a catch-all whose parameter is the whole path),
/// and each layer made per route cost a clone per request; together more than
/// the rest of a token-validated request.
#[derive(Clone)]
pub struct Service(std::sync::Arc<Served>);

pub struct Served {
    mounted: Vec<Mounted>,
    root: Router,
    request_log: request_log::RequestLog,
    latency: Option<std::time::Duration>,
    /// In test mode, the clock a moved `Date` comes from: a moved clock shows
    /// in every answer's `Date`, as a real server's clock would (what a
    /// client, and preflight, compares).
    moved_clock: Option<Clock>,
}

/// A vendor served under its mount prefix.
struct Mounted {
    prefix: &'static str,
    router: Router,
    /// Insert the request's URI as it came (`OriginalUri`) before cutting the
    /// prefix (`VendorServer::reads_original_uri`).
    original_uri: bool,
}

impl tower::Service<axum::extract::Request> for Service {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = Answering;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: axum::extract::Request) -> Answering {
        let seen = self.0.request_log.start(&req);
        let Some(delay) = self.0.latency else {
            return self.0.clone().route(req, seen);
        };
        let served = self.0.clone();
        Answering::Delayed {
            inner: Box::pin(async move {
                tokio::time::sleep(delay).await;
                let Ok(response) = served.route(req, seen).await;
                response
            }),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Service`]'s answer: the vendor router's own future and
    /// what is done to its answer (no box, no second routing), or under
    /// `--latency` a boxed future that sleeps first.
    #[project = AnsweringProj]
    pub enum Answering {
        Routed {
            #[pin]
            inner: axum::routing::future::RouteFuture<std::convert::Infallible>,
            after: Option<After>,
        },
        Delayed {
            inner: std::pin::Pin<
                Box<dyn std::future::Future<Output = axum::response::Response> + Send>,
            >,
        },
    }
}

/// What [`Served::finish`] needs once the router has answered.
pub struct After {
    served: std::sync::Arc<Served>,
    seen: Option<request_log::Seen>,
    came: Option<axum::http::Uri>,
}

impl std::future::Future for Answering {
    type Output = Result<axum::response::Response, std::convert::Infallible>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        match self.project() {
            AnsweringProj::Routed { inner, after } => {
                let Ok(response) = std::task::ready!(inner.poll(cx));
                let After { served, seen, came } = after
                    .take()
                    .expect("an answer is not polled after it is ready");
                std::task::Poll::Ready(Ok(served.finish(response, seen, came)))
            }
            AnsweringProj::Delayed { inner } => inner.as_mut().poll(cx).map(Ok),
        }
    }
}

impl Served {
    /// Hands the request to the router of its mount (the mount cut off its
    /// path) or to the root router.
    fn route(
        self: std::sync::Arc<Self>,
        mut req: axum::extract::Request,
        seen: Option<request_log::Seen>,
    ) -> Answering {
        let path = req.uri().path();
        let mount = self.mounted.iter().find(|m| {
            path.strip_prefix(m.prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
        // The URI as it came, for the log line: moved out of the request when
        // the mount is cut off (the request gets a new one), else a copy.
        let mut came = None;
        let router = match mount {
            Some(m) => {
                if m.original_uri {
                    let uri = req.uri().clone();
                    req.extensions_mut().insert(axum::extract::OriginalUri(uri));
                }
                match without_prefix(req.uri(), m.prefix.len()) {
                    Some(stripped) => {
                        came = Some(std::mem::replace(req.uri_mut(), stripped));
                        &m.router
                    }
                    None => &self.root,
                }
            }
            None => &self.root,
        };
        let mut router = router.clone();
        let came = match came {
            Some(uri) => Some(uri),
            None => seen.is_some().then(|| req.uri().clone()),
        };
        Answering::Routed {
            inner: tower::Service::call(&mut router, req),
            after: Some(After {
                served: self,
                seen,
                came,
            }),
        }
    }

    /// The router's answer as the server sends it, and its log line.
    fn finish(
        &self,
        mut response: axum::response::Response,
        seen: Option<request_log::Seen>,
        came: Option<axum::http::Uri>,
    ) -> axum::response::Response {
        use axum::http::{HeaderValue, StatusCode, header};
        // A 503 (the password hashing pool is full) always says when to retry.
        if response.status() == StatusCode::SERVICE_UNAVAILABLE
            && !response.headers().contains_key(header::RETRY_AFTER)
        {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(crate::secret::HASH_BUSY_RETRY_AFTER_SECS),
            );
        }
        if let Some(clock) = &self.moved_clock {
            response = clock::date_of_moved(clock, response);
        }
        if let (Some(seen), Some(came)) = (seen, came) {
            self.request_log
                .line(seen, &came, response.status().as_u16());
        }
        response
    }
}

/// `uri` without the first `n` bytes of its path (a mount prefix); `None` if
/// the result is not a valid path. Only the path and query are copied.
fn without_prefix(uri: &axum::http::Uri, n: usize) -> Option<axum::http::Uri> {
    use axum::http::uri::{PathAndQuery, Uri};
    let rest = uri
        .path_and_query()
        .map_or("", |pq| pq.as_str())
        .get(n..)
        .unwrap_or("");
    let stripped = if rest.starts_with('/') {
        PathAndQuery::try_from(rest)
    } else {
        PathAndQuery::try_from(format!("/{rest}"))
    }
    .ok()?;
    if uri.scheme().is_none() && uri.authority().is_none() {
        // Origin form (`GET /path`), nearly every request.
        return Some(Uri::from(stripped));
    }
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(stripped);
    Uri::from_parts(parts).ok()
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
