//! What every vendor's mock shares: serving one vendor's reference router on a
//! fresh loopback port, the journal and fault-injection layer in front of it,
//! the clock, and stopping on drop.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::journal::{Journal, ReceivedRequest};
use authconform_reference::body::{MAX_BODY_BYTES, read_error};
use authconform_reference::clock::Clock;
use authconform_reference::fixtures::Fixtures;
use authconform_reference::serving::{CloseConnection, ServeLimits};
use authconform_reference::vendor::Vendor;
use authconform_reference::{ReferenceConfig, ReferenceServer};

/// The constructors and `Deref` to [`MockServer`] every vendor handle has:
/// `mock_handle!(Limecraft, "Limecraft", |reference| store: reference.limecraft.clone())`
/// for a struct with a `server: MockServer` field, a `WIRE` const in scope, and
/// the vendor fields taken from the started [`ReferenceServer`].
macro_rules! mock_handle {
    ($ty:ident, $name:literal, |$reference:ident| $($field:ident: $value:expr),* $(,)?) => {
        impl $ty {
            /// Starts a mock on `127.0.0.1` at a free port.
            ///
            /// # Panics
            /// If no loopback port can be bound (use [`try_start`](Self::try_start) to handle that).
            pub async fn start() -> $ty {
                match Self::try_start().await {
                    Ok(mock) => mock,
                    Err(e) => panic!(concat!("cannot start the ", $name, " mock on 127.0.0.1: {}"), e),
                }
            }

            /// Starts a mock on `127.0.0.1` at a free port, or says why it cannot.
            pub async fn try_start() -> std::io::Result<$ty> {
                Self::try_start_with_limits(authconform_reference::serving::ServeLimits::default()).await
            }

            /// [`try_start`](Self::try_start) with other timeouts (head,
            /// keep-alive idle, body) and connection cap than `authconform
            /// serve`'s defaults.
            pub async fn try_start_with_limits(
                limits: authconform_reference::serving::ServeLimits,
            ) -> std::io::Result<$ty> {
                let (server, $reference) = $crate::MockServer::start(WIRE, limits).await?;
                Ok($ty { server, $($field: $value),* })
            }
        }

        impl std::ops::Deref for $ty {
            type Target = $crate::MockServer;
            fn deref(&self) -> &$crate::MockServer {
                &self.server
            }
        }
    };
}
pub(crate) use mock_handle;

/// What a mock handle call can refuse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MockError {
    #[error(
        "{vendor} documents no endpoint {method} {path} (specs/{vendor}.openapi.yaml has: {known})"
    )]
    /// A fault was asked for an endpoint the vendor's spec does not have.
    UnknownEndpoint {
        /// The mock's vendor.
        vendor: Vendor,
        /// The method asked for.
        method: String,
        /// The path asked for.
        path: String,
        /// The spec's endpoints, for the message.
        known: String,
    },
    /// A builder call named an account the mock does not have.
    #[error("no {vendor} account `{0}`", vendor = .1)]
    UnknownAccount(String, Vendor),
    /// The vendor's rules refuse the call (a duplicate account, say); the message says why.
    #[error("{0}")]
    Refused(String),
    /// [`MockServer::advance_clock`] was asked to go back, or too far.
    #[error("the clock only moves forward, at most a thousand years in all")]
    Clock,
}

/// How a vendor writes its answers that the mock invents: the error envelope
/// (from the vendor's `wire.rs`) and a malformed body of its content type.
#[derive(Clone, Copy)]
pub(crate) struct Wire {
    pub vendor: Vendor,
    pub error: fn(StatusCode, &str) -> Response,
    /// A 200 with the vendor's success content type and a body that does not parse.
    pub malformed: fn() -> Response,
}

/// A truncated JSON object, served as `application/json`.
pub(crate) fn malformed_json() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status": 200, "token": "trunc"#,
    )
        .into_response()
}

/// A truncated XML document, served as LiquidFiles serves its XML
/// (`application/xml; charset=utf-8`).
pub(crate) fn malformed_xml() -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            authconform_reference::liquidfiles::wire::XML_CONTENT_TYPE,
        )],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user>\n  <api_key>trunc",
    )
        .into_response()
}

#[derive(Clone, Debug)]
enum Action {
    Fail { status: StatusCode, message: String },
    Delay(Duration),
    Drop,
    Malformed,
}

struct Rule {
    method: Method,
    /// The spec's path template, made absolute (`/api/user/{id}/enable2fa`).
    template: String,
    action: Action,
    /// None: every matching call.
    remaining: Option<u32>,
}

#[derive(Default)]
struct Rules {
    rules: Mutex<VecDeque<Rule>>,
}

impl Rules {
    /// The latency to add and the outcome to inject for one request, consuming
    /// one use of each rule applied.
    fn take(&self, method: &Method, path: &str) -> (Duration, Option<Action>) {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let mut delay = Duration::ZERO;
        let mut outcome = None;
        for rule in rules.iter_mut() {
            if rule.method != method || !path_matches(&rule.template, path) {
                continue;
            }
            let applies = match (&rule.action, &outcome) {
                (Action::Delay(d), _) => {
                    delay += *d;
                    true
                }
                (action, None) => {
                    outcome = Some(action.clone());
                    true
                }
                (_, Some(_)) => false,
            };
            if applies && let Some(n) = rule.remaining.as_mut() {
                *n = n.saturating_sub(1);
            }
        }
        rules.retain(|r| r.remaining != Some(0));
        (delay, outcome)
    }
}

/// `/api/user/{id}/enable2fa` matches `/api/user/1001/enable2fa`: a `{…}`
/// segment matches any one non-empty segment.
fn path_matches(template: &str, path: &str) -> bool {
    let mut t = template.split('/');
    let mut p = path.split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) => {
                let param = ts.starts_with('{') && ts.ends_with('}');
                if !(ts == ps || (param && !ps.is_empty())) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

struct Shared {
    wire: Wire,
    journal: Journal,
    rules: Rules,
}

/// A running mock of one vendor. Every vendor's handle derefs to this.
pub struct MockServer {
    addr: SocketAddr,
    base_path: String,
    clock: Clock,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

/// The built-in fixtures, parsed once per process (a mock starts in microseconds).
fn builtin_fixtures() -> Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(Fixtures::builtin).clone()
}

impl MockServer {
    /// Builds `vendor`'s reference server in test mode and serves it on
    /// 127.0.0.1 at a free port. Returns the running mock and the reference
    /// server (whose vendor store the vendor handle keeps).
    pub(crate) async fn start(
        wire: Wire,
        limits: ServeLimits,
    ) -> std::io::Result<(MockServer, ReferenceServer)> {
        let config = ReferenceConfig {
            fixtures: builtin_fixtures(),
            only_vendor: Some(wire.vendor),
            ..ReferenceConfig::for_tests()
        };
        let reference = ReferenceServer::new(config);
        let shared = Arc::new(Shared {
            wire,
            journal: Journal::default(),
            rules: Rules::default(),
        });
        let router = reference
            .router()
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                intercept,
            ));
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        // Dropping the handle aborts this task, which closes the port and
        // every connection.
        let accept = tokio::spawn(async move {
            authconform_reference::serving::serve(listener, router, limits, std::future::pending())
                .await;
        });
        let server = MockServer {
            addr,
            base_path: reference.api_base_path(wire.vendor),
            clock: reference.clock.clone(),
            shared,
            accept,
        };
        Ok((server, reference))
    }

    /// The vendor's documented API base on this mock, what a client takes as
    /// its base URL: `http://127.0.0.1:PORT/api` for Limecraft,
    /// `…/api/v1` for FileVerbs, `…/rest/default/demo/v1` for LAC.
    pub fn base_url(&self) -> String {
        format!("{}{}", self.url(), self.base_path)
    }

    /// The server root, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the mock listens on (loopback, a free port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The vendor this mock serves.
    pub fn vendor(&self) -> Vendor {
        self.shared.wire.vendor
    }

    /// Moves the mock's clock forward (whole seconds, rounded down): sessions,
    /// tokens and TOTP windows see the new time at once. The same clock as the
    /// control API's `POST /__authconform/clock/advance`.
    pub fn advance_clock(&self, by: Duration) -> Result<(), MockError> {
        let seconds = i64::try_from(by.as_secs()).map_err(|_| MockError::Clock)?;
        self.clock
            .advance(seconds)
            .map(|_| ())
            .map_err(|_| MockError::Clock)
    }

    /// The mock's current time, Unix seconds.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Every request received so far, oldest first (faulted ones included).
    pub fn received_requests(&self) -> Vec<ReceivedRequest> {
        self.shared.journal.snapshot()
    }

    /// Forgets the requests received so far.
    pub fn clear_received_requests(&self) {
        self.shared.journal.clear();
    }

    /// The next `times` calls of `method path` (the spec's path, relative to
    /// [`base_url`](Self::base_url), e.g. `POST /authentication/login`) answer
    /// `status` with the vendor's error envelope instead of reaching the server.
    pub fn fail_next(
        &self,
        method: Method,
        path: &str,
        times: u32,
        status: StatusCode,
    ) -> Result<(), MockError> {
        let message = format!(
            "Injected failure: {}",
            status.canonical_reason().unwrap_or("error")
        );
        self.add_rule(method, path, Action::Fail { status, message }, Some(times))
    }

    /// Every later call of `method path` waits `delay` before it is served.
    pub fn add_latency(
        &self,
        method: Method,
        path: &str,
        delay: Duration,
    ) -> Result<(), MockError> {
        self.add_rule(method, path, Action::Delay(delay), None)
    }

    /// The next `times` calls of `method path` get no answer: the connection is
    /// closed, so the client sees a connection error.
    pub fn drop_connection_next(
        &self,
        method: Method,
        path: &str,
        times: u32,
    ) -> Result<(), MockError> {
        self.add_rule(method, path, Action::Drop, Some(times))
    }

    /// The next `times` calls of `method path` answer 200 with the vendor's
    /// content type and a body that does not parse (truncated JSON, or XML for
    /// LiquidFiles' `POST /login`).
    pub fn malformed_body_next(
        &self,
        method: Method,
        path: &str,
        times: u32,
    ) -> Result<(), MockError> {
        self.add_rule(method, path, Action::Malformed, Some(times))
    }

    /// Removes every injected fault; calls reach the server again.
    pub fn clear_faults(&self) {
        self.shared
            .rules
            .rules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    fn add_rule(
        &self,
        method: Method,
        path: &str,
        action: Action,
        remaining: Option<u32>,
    ) -> Result<(), MockError> {
        let vendor = self.vendor();
        let operations = authconform_reference::spec::for_vendor(vendor).operations();
        if !operations
            .iter()
            .any(|(m, p)| m.as_str() == method.as_str() && p == path)
        {
            return Err(MockError::UnknownEndpoint {
                vendor,
                method: method.to_string(),
                path: path.to_owned(),
                known: operations
                    .iter()
                    .map(|(m, p)| format!("{m} {p}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        if remaining == Some(0) {
            return Ok(());
        }
        self.shared
            .rules
            .rules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(Rule {
                method,
                template: format!("{}{path}", self.base_path),
                action,
                remaining,
            });
        Ok(())
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        // The accept loop owns the listener and every connection task: aborting
        // it closes the port and all connections.
        self.accept.abort();
    }
}

/// The mock's layer in front of the vendor's router: journal every request,
/// then apply the faults injected for its endpoint.
async fn intercept(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    // The reference server refuses bodies over 64 KiB with a 413; reading one
    // byte more than that here keeps its answer the same.
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES + 1).await {
        Ok(b) => b,
        Err(e) => {
            let refused = read_error(&e);
            return (shared.wire.error)(refused.status, &refused.message);
        }
    };
    shared.journal.push(ReceivedRequest {
        method: parts.method.clone(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers.clone(),
        body: bytes.to_vec(),
    });
    let (delay, action) = shared.rules.take(&parts.method, parts.uri.path());
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match action {
        None | Some(Action::Delay(_)) => {}
        Some(Action::Fail { status, message }) => return (shared.wire.error)(status, &message),
        Some(Action::Malformed) => return (shared.wire.malformed)(),
        Some(Action::Drop) => {
            if let Some(close) = CloseConnection::current() {
                close.close();
                // The connection task drops this request with its connection.
                return std::future::pending().await;
            }
            return (shared.wire.error)(StatusCode::INTERNAL_SERVER_ERROR, "connection dropped");
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_one_segment_per_parameter() {
        assert!(path_matches(
            "/api/user/{id}/enable2fa",
            "/api/user/1001/enable2fa"
        ));
        assert!(!path_matches(
            "/api/user/{id}/enable2fa",
            "/api/user//enable2fa"
        ));
        assert!(!path_matches(
            "/api/user/{id}/enable2fa",
            "/api/user/1/2/enable2fa"
        ));
        assert!(path_matches(
            "/api/authentication/login",
            "/api/authentication/login"
        ));
        assert!(!path_matches(
            "/api/authentication/login",
            "/api/authentication/logout"
        ));
    }
}
