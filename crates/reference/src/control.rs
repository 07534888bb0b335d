//! Test-only control endpoints, mounted only in test mode (`serve --test-mode`,
//! and always on the server `authconform run` starts in-process).
//!
//! They let the harness read and advance the server's clock, so expiry and TOTP
//! window scenarios never sleep. An external server may offer the same API; a
//! target file declares it with `control_url`.
//!
//! Guarded ([`ControlGuard`]), since whoever reaches it can move the clock
//! and reset SecretKeys:
//! - the `Host` must be `localhost` (or a `*.localhost` name), an IP address,
//!   or a name given with `serve --control-host`: a web page that rebinds its
//!   own DNS name to this server (DNS rebinding) sends its own name, and is
//!   refused; an `Origin` other than those is refused too (a page of another
//!   site posting here);
//! - with `serve --control-token`, every call must carry
//!   `Authorization: Bearer <token>` (compared in constant time).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::clock::Clock;
use crate::vendor::Vendor;

/// Where the control API lives, relative to the server root.
pub const CONTROL_PREFIX: &str = "/__authconform";

/// Who may call the control API besides a client that names this machine
/// by `localhost` or an IP address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ControlGuard {
    /// Required as `Authorization: Bearer <token>` when set.
    pub token: Option<String>,
    /// Host names (without port) accepted besides `localhost` and IP addresses.
    pub hosts: Vec<String>,
}

impl ControlGuard {
    /// Why a request may not use the control API, if it may not.
    pub fn refusal(&self, headers: &HeaderMap) -> Option<(StatusCode, String)> {
        let host = headers
            .get(header::HOST)
            .map(|h| h.to_str().map(host_name).unwrap_or_default());
        if let Some(host) = host
            && !self.allows(&host)
        {
            return Some((
                StatusCode::FORBIDDEN,
                format!(
                    "the control API answers only to localhost, an IP address or a --control-host name, not the Host `{}`",
                    host.chars().take(80).collect::<String>()
                ),
            ));
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let host = origin
                .to_str()
                .ok()
                .and_then(|o| o.split_once("://"))
                .map(|(_, rest)| host_name(rest))
                .unwrap_or_default();
            if !self.allows(&host) {
                return Some((
                    StatusCode::FORBIDDEN,
                    "the control API does not answer web pages of other sites (Origin)".into(),
                ));
            }
        }
        if let Some(token) = &self.token {
            let given = crate::headers::authorization(headers, "Bearer").unwrap_or_default();
            let same =
                crate::secret::TokenDigest::of(given).ct_eq(&crate::secret::TokenDigest::of(token));
            if !same {
                return Some((
                    StatusCode::UNAUTHORIZED,
                    "the control API needs `Authorization: Bearer <the --control-token>`".into(),
                ));
            }
        }
        None
    }

    fn allows(&self, host: &str) -> bool {
        host == "localhost"
            || host.ends_with(".localhost")
            || host.parse::<std::net::IpAddr>().is_ok()
            || self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }
}

/// Shortest `--control-token` accepted.
pub const MIN_TOKEN_CHARS: usize = 16;

/// What `serve` warns about before it serves on `addr`: a server beyond
/// loopback is anyone's (its seeded accounts' passwords are in its fixtures
/// file), and its control API too unless a token guards it.
pub fn exposure_warnings(
    addr: std::net::SocketAddr,
    test_mode: bool,
    guard: &ControlGuard,
) -> Vec<String> {
    if addr.ip().is_loopback() {
        return Vec::new();
    }
    let mut warnings = vec![format!(
        "listening on {addr}, beyond loopback: anyone who can reach it can sign on as the seeded accounts, whose passwords are in the fixtures; use --addr 127.0.0.1:PORT unless this server is meant to be shared"
    )];
    if test_mode && guard.token.is_none() {
        warnings.push(format!(
            "test mode beyond loopback without a control token: anyone who can reach {addr} can move the clock and reset SecretKeys through /__authconform; set AUTHCONFORM_CONTROL_TOKEN (or --control-token) and give it to the harness as the target file's control_token"
        ));
    }
    warnings
}

/// The host of a `Host` value or of an origin's authority: without port,
/// brackets, trailing dot, in lower case.
fn host_name(authority: &str) -> String {
    let authority = authority.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

async fn guarded(State(guard): State<ControlGuard>, request: Request, next: Next) -> Response {
    match guard.refusal(request.headers()) {
        Some((status, why)) => (status, Json(json!({ "error": why }))).into_response(),
        None => next.run(request).await,
    }
}

/// The control API: the clock, and each vendor's test hooks
/// (`VendorServer::control_hooks`) under `{CONTROL_PREFIX}/<vendor id>`,
/// all behind `guard`.
pub fn router(
    clock: Clock,
    hooks: impl IntoIterator<Item = (Vendor, Router)>,
    guard: ControlGuard,
) -> Router {
    let mut router = Router::new()
        .route(&format!("{CONTROL_PREFIX}/clock"), get(now))
        .route(&format!("{CONTROL_PREFIX}/clock/advance"), post(advance))
        .route(&format!("{CONTROL_PREFIX}/clock/reset"), post(reset))
        .with_state(clock);
    for (vendor, vendor_hooks) in hooks {
        router = router.nest(&format!("{CONTROL_PREFIX}/{}", vendor.id()), vendor_hooks);
    }
    router.layer(axum::middleware::from_fn_with_state(guard, guarded))
}

async fn now(State(clock): State<Clock>) -> Json<serde_json::Value> {
    Json(json!({ "now": clock.now() }))
}

/// Back to the system time (`authconform clock --reset`). Only the clock:
/// what the stores remember (TOTP steps used, expiries) stays as it was;
/// a restart is the clean slate.
async fn reset(State(clock): State<Clock>) -> Json<serde_json::Value> {
    Json(json!({ "now": clock.reset() }))
}

/// A control call the hook cannot read: 400 with what to send.
pub(crate) fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

async fn advance(
    State(clock): State<Clock>,
    body: Result<Json<Advance>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(Advance { seconds })) = body else {
        return bad_request("send {\"seconds\": N} with N >= 0");
    };
    match clock.advance(seconds) {
        Ok(now) => Json(json!({ "now": now })).into_response(),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_host_must_name_this_machine_not_a_rebound_domain() {
        let guard = ControlGuard {
            token: None,
            hosts: vec!["sandbox.internal".into()],
        };
        for ok in [
            "127.0.0.1:8080",
            "localhost",
            "LOCALHOST.:1",
            "app.localhost",
            "[::1]:8080",
            "10.1.2.3",
            "sandbox.internal:8080",
        ] {
            assert_eq!(guard.refusal(&headers(&[(header::HOST, ok)])), None, "{ok}");
        }
        for bad in [
            "evil.example",
            "attacker.test:80",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
        ] {
            let refused = guard.refusal(&headers(&[(header::HOST, bad)]));
            assert_eq!(refused.map(|r| r.0), Some(StatusCode::FORBIDDEN), "{bad}");
        }
        let cross_site = headers(&[
            (header::HOST, "127.0.0.1:8080"),
            (header::ORIGIN, "http://evil.example"),
        ]);
        assert!(guard.refusal(&cross_site).is_some());
        let same = headers(&[
            (header::HOST, "127.0.0.1:8080"),
            (header::ORIGIN, "http://127.0.0.1:8080"),
        ]);
        assert!(guard.refusal(&same).is_none());
    }

    #[test]
    fn a_token_when_set_is_required() {
        let guard = ControlGuard {
            token: Some("t0ken-of-sixteen-chars".into()),
            hosts: Vec::new(),
        };
        let host = (header::HOST, "127.0.0.1");
        let missing = guard.refusal(&headers(std::slice::from_ref(&host)));
        assert_eq!(missing.map(|r| r.0), Some(StatusCode::UNAUTHORIZED));
        let wrong = headers(&[host.clone(), (header::AUTHORIZATION, "Bearer nope")]);
        assert!(guard.refusal(&wrong).is_some());
        let right = headers(&[
            host,
            (header::AUTHORIZATION, "Bearer t0ken-of-sixteen-chars"),
        ]);
        assert!(guard.refusal(&right).is_none());
    }

    #[test]
    fn serving_beyond_loopback_warns() {
        let open = ControlGuard::default();
        assert!(exposure_warnings(([127, 0, 0, 1], 8080).into(), true, &open).is_empty());
        assert!(exposure_warnings(([127, 0, 0, 2], 8080).into(), true, &open).is_empty());
        assert_eq!(
            exposure_warnings(([0, 0, 0, 0], 8080).into(), false, &open).len(),
            1
        );
        let both = exposure_warnings(([0, 0, 0, 0], 8080).into(), true, &open);
        assert_eq!(both.len(), 2);
        assert!(both[1].contains("AUTHCONFORM_CONTROL_TOKEN"));
        let tokened = ControlGuard {
            token: Some("x".repeat(MIN_TOKEN_CHARS)),
            hosts: Vec::new(),
        };
        assert_eq!(
            exposure_warnings("[::]:8080".parse().unwrap(), true, &tokened).len(),
            1
        );
    }
}
