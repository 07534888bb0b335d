//! Failed-login throttling (`throttle.rs`, a reference choice for every
//! vendor's password logins): issue #12, then issue #26's attacks (the
//! 2026-12 reliability audit, R6 and R7). Each attack runs here in seconds
//! through the router, with the peer address a served connection carries;
//! `bench/attack.sh` runs the longer forms against `serve`.

use std::time::Duration;

use authconform::mock::Limecraft;
use authconform::reference::spec;
use authconform::reference::throttle::ThrottleConfig;
use authconform::reference::{ReferenceConfig, ReferenceServer};
use authconform::secret::HashPoolSize;
use authconform::vendor::Vendor;
use axum::body::Body;
use axum::http::Request;
use serde_json::json;

use crate::common::{Reply, from_ip, oneshot};

async fn login(mock: &Limecraft, password: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/authentication/login", mock.base_url()))
        .json(&json!({"username": "alice", "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_mock_throttles_failed_logins_only_when_asked() {
    let mock = Limecraft::start().await;
    for _ in 0..12 {
        assert_eq!(login(&mock, "wrong").await, 401);
    }
    assert_eq!(login(&mock, "alice-Pa55word").await, 200);

    mock.set_login_throttle(3, Duration::from_secs(60));
    for _ in 0..3 {
        assert_eq!(login(&mock, "wrong").await, 401);
    }
    // Refused before any check from this client, even with the right password.
    assert_eq!(login(&mock, "alice-Pa55word").await, 429);
    mock.advance_clock(Duration::from_secs(61)).unwrap();
    assert_eq!(login(&mock, "alice-Pa55word").await, 200);
}

/// Every vendor's throttle on, as `serve` has them, and a hashing pool that
/// takes a whole burst (so no attempt is a 503).
fn throttled_server() -> ReferenceServer {
    let mut config = ReferenceConfig::for_tests();
    config.limecraft.login_throttle = Some(ThrottleConfig::default());
    config.lac.login_throttle = Some(ThrottleConfig::default());
    config.liquidfiles.login_throttle = Some(ThrottleConfig::default());
    config.hash_pool = HashPoolSize {
        workers: 2,
        queue: 256,
    };
    ReferenceServer::new(config)
}

/// A password login of each vendor, from `ip`.
#[derive(Clone, Copy, Debug)]
enum Login {
    Limecraft,
    Lac,
    LiquidFilesXml,
    LiquidFilesJson,
}

const LOGINS: [Login; 4] = [
    Login::Limecraft,
    Login::Lac,
    Login::LiquidFilesXml,
    Login::LiquidFilesJson,
];

impl Login {
    fn request(self, server: &ReferenceServer, name: &str, password: &str) -> Request<Body> {
        let (vendor, path, content_type, body) = match self {
            Login::Limecraft => (
                Vendor::Limecraft,
                "/authentication/login",
                "application/json",
                json!({"username": name, "password": password}).to_string(),
            ),
            Login::Lac => (
                Vendor::Lac,
                "/@authentication",
                "application/json",
                json!({"username": name, "password": password}).to_string(),
            ),
            Login::LiquidFilesXml => (
                Vendor::LiquidFiles,
                "/login",
                "text/xml",
                format!("<user><email>{name}</email><password>{password}</password></user>"),
            ),
            Login::LiquidFilesJson => (
                Vendor::LiquidFiles,
                "/login",
                "application/json",
                json!({"user": {"email": name, "password": password}}).to_string(),
            ),
        };
        Request::post(format!("{}{path}", server.api_base_path(vendor)))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap()
    }

    /// The vendor and the spec's path of this login.
    fn operation(self) -> (Vendor, &'static str) {
        match self {
            Login::Limecraft => (Vendor::Limecraft, "/authentication/login"),
            Login::Lac => (Vendor::Lac, "/@authentication"),
            Login::LiquidFilesXml | Login::LiquidFilesJson => (Vendor::LiquidFiles, "/login"),
        }
    }

    async fn send(self, server: &ReferenceServer, ip: u8, name: &str, password: &str) -> Reply {
        let request = from_ip([127, 0, 0, ip], self.request(server, name, password));
        oneshot(server, request).await
    }

    /// alice's names on this vendor: LAC knows her by username only.
    fn names(self) -> &'static [&'static str] {
        match self {
            Login::Lac => &["alice"],
            _ => &["alice", "alice@example.com", "ALICE@Example.COM"],
        }
    }
}

/// R7: ten wrong passwords from one address refuse that address (429 with
/// `Retry-After`, the right password too), and nobody else: alice signs on
/// from her own address at once.
#[tokio::test]
async fn wrong_passwords_from_one_source_do_not_lock_the_owner_out() {
    let server = throttled_server();
    // LiquidFiles' two logins share one throttle: each its own attacker.
    for (attacker, login) in (2..).zip(LOGINS) {
        for _ in 0..10 {
            let r = login.send(&server, attacker, "alice", "wrong").await;
            assert_eq!(r.status, 401, "{login:?}: {}", r.raw);
        }
        let r = login
            .send(&server, attacker, "alice", "alice-Pa55word")
            .await;
        assert_eq!(
            r.status, 429,
            "{login:?}: the attacker's address is refused"
        );
        let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=90).contains(&retry), "{login:?}: Retry-After {retry}");
        // The refusal is the one the spec lists (R15: named for what it is).
        let (vendor, path) = login.operation();
        spec::for_vendor(vendor)
            .check_response("POST", path, 429, r.raw.as_bytes())
            .unwrap_or_else(|e| panic!("{login:?}: {e}: {}", r.raw));
        if let Login::Limecraft = login {
            assert_eq!(r.json()["type"], "TooManyRequestsError", "{}", r.raw);
        }
        let r = login.send(&server, 1, "alice", "alice-Pa55word").await;
        assert_eq!(
            r.status, 200,
            "{login:?}: alice from her address: {}",
            r.raw
        );
    }
}

/// R7: an account's names (username, email, any case) share one counter:
/// ten guesses spread over them exhaust it as ten on one name do.
#[tokio::test]
async fn an_account_s_aliases_share_one_counter() {
    let server = throttled_server();
    for (attacker, login) in (2..).zip(LOGINS) {
        let names = login.names();
        for i in 0..10 {
            let r = login
                .send(&server, attacker, names[i % names.len()], "wrong")
                .await;
            assert_eq!(r.status, 401, "{login:?}");
        }
        for name in names {
            let r = login.send(&server, attacker, name, "wrong").await;
            assert_eq!(r.status, 429, "{login:?} as {name}");
        }
    }
}

/// R7: the check and the count are one step: 40 wrong passwords at once from
/// one address get exactly ten password checks (401) and 30 refusals (429),
/// not the 17–19 checks the audit counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guesses_cannot_pass_the_limit() {
    let server = std::sync::Arc::new(throttled_server());
    for (attacker, login) in (2..).zip(LOGINS) {
        let tries: Vec<_> = (0..40)
            .map(|_| {
                let server = server.clone();
                tokio::spawn(
                    async move { login.send(&server, attacker, "bob", "wrong").await.status },
                )
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tries {
            statuses.push(t.await.unwrap());
        }
        let checked = statuses.iter().filter(|s| **s == 401).count();
        let refused = statuses.iter().filter(|s| **s == 429).count();
        assert_eq!((checked, refused), (10, 30), "{login:?}: {statuses:?}");
    }
}

/// R7, the account-wide limit (OWASP ASVS v4.0.3 §2.2.1: at most 100 failed
/// attempts an hour on one account): guesses spread over many addresses stop
/// at 100, but the owner's familiar address (one that signed on before)
/// still signs on.
#[tokio::test]
async fn many_sources_stop_at_the_account_limit_and_the_owner_still_signs_on() {
    let server = throttled_server();
    let login = Login::Limecraft;
    assert_eq!(
        login
            .send(&server, 1, "alice", "alice-Pa55word")
            .await
            .status,
        200
    );
    let mut checked = 0;
    for ip in 10..=40u8 {
        for _ in 0..5 {
            match login.send(&server, ip, "alice", "wrong").await.status {
                401 => checked += 1,
                429 => {}
                other => panic!("unexpected {other}"),
            }
        }
    }
    assert_eq!(checked, 100, "the account-wide limit");
    let r = login.send(&server, 200, "alice", "alice-Pa55word").await;
    assert_eq!(r.status, 429, "a new address waits: {}", r.raw);
    let r = login.send(&server, 1, "alice", "alice-Pa55word").await;
    assert_eq!(r.status, 200, "alice's familiar address: {}", r.raw);
}

/// R6: a failed login's name costs the throttle a fixed-size digest: a
/// thousand failures with 60 KB names are answered at once, each counted, and
/// the names are not what is limited (their digests are).
#[tokio::test]
async fn failures_with_huge_unique_names_are_counted_by_digest() {
    let server = throttled_server();
    for login in [Login::Limecraft, Login::LiquidFilesXml] {
        for i in 0..300 {
            let name = format!("{i:05}{}", "n".repeat(60_000));
            let r = login.send(&server, 5, &name, "wrong").await;
            assert_eq!(r.status, 401, "{login:?}");
        }
        // Each name has its own counter: the 301st name is not limited, and
        // one of them is after ten failures, whatever its case.
        let name = format!("00007{}", "n".repeat(60_000));
        for _ in 0..9 {
            assert_eq!(login.send(&server, 5, &name, "wrong").await.status, 401);
        }
        let upper = name.to_uppercase();
        assert_eq!(login.send(&server, 5, &upper, "wrong").await.status, 429);
    }
}

/// R7 over real sockets: `serve` gives each request its peer address, so ten
/// wrong passwords from 127.0.0.2 refuse 127.0.0.2 only, and the owner
/// signs on from 127.0.0.1 (without the address every socket was one source).
#[tokio::test]
async fn over_a_socket_the_throttle_counts_the_peer_address() {
    let running = throttled_server()
        .spawn(([127, 0, 0, 1], 0).into())
        .await
        .expect("the server starts");
    let url = format!(
        "http://{}{}/authentication/login",
        running.addr,
        running.server.api_base_path(Vendor::Limecraft)
    );
    let from = |ip: [u8; 4]| {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from(ip))
            .build()
            .unwrap()
    };
    let login = |client: reqwest::Client, password: &'static str| {
        let url = url.clone();
        async move {
            client
                .post(url)
                .json(&serde_json::json!({"username": "alice", "password": password}))
                .send()
                .await
                .expect("an answer")
                .status()
                .as_u16()
        }
    };
    let attacker = from([127, 0, 0, 2]);
    for _ in 0..10 {
        assert_eq!(login(attacker.clone(), "wrong").await, 401);
    }
    assert_eq!(
        login(attacker, "alice-Pa55word").await,
        429,
        "the attacker's address is refused"
    );
    assert_eq!(
        login(from([127, 0, 0, 1]), "alice-Pa55word").await,
        200,
        "alice from her own address signs on"
    );
}
