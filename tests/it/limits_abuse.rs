//! Issue #26: the reference server stays fair and correct under the abuse
//! the 2026-12 reliability audit measured on `serve` (its R8 and R10), each
//! attack run here in seconds through the router; `bench/attack.sh` runs the
//! longer forms against `serve`.

use std::sync::Arc;

use authconform::reference::liquidfiles::page;
use authconform::reference::{ReferenceConfig, ReferenceServer};
use authconform::secret::HashPoolSize;
use authconform::vendor::Vendor;
use axum::body::Body;
use axum::http::Request;
use serde_json::json;

use crate::common::{Reply, from_ip, oneshot};

fn session_api(server: &ReferenceServer) -> String {
    format!("{}/session/api", server.api_base_path(Vendor::LiquidFiles))
}

async fn open_login_page(server: &ReferenceServer, ip: [u8; 4]) -> Reply {
    let request = Request::get(session_api(server))
        .body(Body::empty())
        .unwrap();
    oneshot(server, from_ip(ip, request)).await
}

/// R8: a flood of `GET /session/api` cannot push out a login in progress.
/// One address is refused (429) past its share, many addresses together are
/// refused (503) once the table is full, each with `Retry-After`; the login
/// that was waiting all along still signs on.
#[tokio::test]
async fn a_page_flood_cannot_push_out_a_login_in_progress() {
    let mut config = ReferenceConfig::for_tests();
    config.liquidfiles.max_pending = 200;
    config.liquidfiles.max_pending_per_source = 20;
    let server = ReferenceServer::new(config);
    let page = open_login_page(&server, [127, 0, 0, 1]).await;
    let form = page::login_form(&page.raw).expect("the login form");

    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for _ in 0..1_000 {
        let r = open_login_page(&server, [127, 0, 0, 2]).await;
        if r.status != 200 {
            assert!(r.headers.contains_key("retry-after"), "{}", r.status);
        }
        *statuses.entry(r.status).or_default() += 1;
    }
    assert_eq!(statuses[&200], 20, "one address's share: {statuses:?}");
    assert_eq!(statuses[&429], 980, "{statuses:?}");
    let mut full = 0;
    for ip in 3..=60u8 {
        for _ in 0..20 {
            match open_login_page(&server, [10, 0, 0, ip]).await.status {
                200 => {}
                503 => full += 1,
                other => panic!("unexpected {other}"),
            }
        }
    }
    assert_eq!(full, 58 * 20 - (200 - 21), "the table holds 200 at most");

    let fields = form.fields(&[("user", "alice"), ("password", "alice-Pa55word")]);
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let submit = Request::post(session_api(&server))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let r = oneshot(&server, from_ip([127, 0, 0, 1], submit)).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert!(page::element(&r.raw, "api_key").is_some(), "{}", r.raw);
}

/// R10: LAC's password change is compare-and-set. Twenty changes racing from
/// the same current password: exactly one answers `success` and is in
/// effect; every other answers `failure` (with its new auth token, as every
/// successful sign-on has) or, when its password was checked after the
/// change, 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_password_changes_exactly_one_succeeds() {
    let mut config = ReferenceConfig::for_tests();
    config.hash_pool = HashPoolSize {
        workers: 4,
        queue: 256,
    };
    let server = Arc::new(ReferenceServer::new(config));
    let url = format!(
        "{}/@authentication?enablePasswordChange!",
        server.api_base_path(Vendor::Lac)
    );
    let changes: Vec<_> = (0..20)
        .map(|i| {
            let (server, url) = (server.clone(), url.clone());
            tokio::spawn(async move {
                let body = json!({
                    "username": "bob",
                    "password": "bob-Pa55word",
                    "new_password": format!("bob-N3w-pass-{i}"),
                });
                let request = Request::post(url)
                    .header("content-type", "application/json")
                    .body(Body::from(body.to_string()))
                    .unwrap();
                (i, oneshot(&server, request).await)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for change in changes {
        let (i, r) = change.await.unwrap();
        let body = r.json();
        if r.status == 401 {
            // Checked after the winner's change: the old password is gone.
            continue;
        }
        assert_eq!(r.status, 200, "{body}");
        assert!(body["apikey"].is_string(), "a new token each: {body}");
        match body["changePasswordResult"].as_str() {
            Some("success") => winners.push(i),
            Some("failure") => {}
            other => panic!("unexpected {other:?}: {body}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one change succeeds: {winners:?}");
    let sign_on = |password: String| {
        let server = server.clone();
        let url = url.replace("?enablePasswordChange!", "");
        async move {
            let body = json!({"username": "bob", "password": password});
            let request = Request::post(url)
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap();
            oneshot(&server, request).await.status
        }
    };
    assert_eq!(sign_on(format!("bob-N3w-pass-{}", winners[0])).await, 200);
    let loser = (winners[0] + 1) % 20;
    assert_eq!(sign_on(format!("bob-N3w-pass-{loser}")).await, 401);
    assert_eq!(sign_on("bob-Pa55word".to_owned()).await, 401);
}

async fn control_call(
    server: &ReferenceServer,
    host: &str,
    origin: Option<&str>,
    path: &str,
    body: serde_json::Value,
) -> Reply {
    let mut request = Request::post(format!("/__authconform{path}"))
        .header("host", host)
        .header("content-type", "application/json");
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    oneshot(server, request.body(Body::from(body.to_string())).unwrap()).await
}

/// The status of a one-minute clock advance with this `Host` and `Origin`.
async fn advance(server: &ReferenceServer, host: &str, origin: Option<&str>) -> u16 {
    control_call(
        server,
        host,
        origin,
        "/clock/advance",
        json!({"seconds": 60}),
    )
    .await
    .status
}

/// R13: the control API answers the machine's own names, not a web page's
/// rebound domain nor another site's page; with a token, only who holds it.
#[tokio::test]
async fn the_control_api_refuses_rebound_hosts_other_sites_and_callers_without_the_token() {
    let server = ReferenceServer::new(ReferenceConfig::for_tests());
    assert_eq!(advance(&server, "evil.example", None).await, 403);
    assert_eq!(advance(&server, "attacker.test:80", None).await, 403);
    let cross_site = advance(&server, "127.0.0.1:8080", Some("http://evil.example"));
    assert_eq!(cross_site.await, 403);
    assert_eq!(advance(&server, "127.0.0.1:8080", None).await, 200);

    let mut config = ReferenceConfig::for_tests();
    config.control.token = Some("a-control-token-for-tests".into());
    let guarded = ReferenceServer::new(config);
    assert_eq!(advance(&guarded, "localhost", None).await, 401);
    let request = Request::get("/__authconform/clock")
        .header("host", "localhost")
        .header("authorization", "Bearer a-control-token-for-tests")
        .body(Body::empty())
        .unwrap();
    assert_eq!(oneshot(&guarded, request).await.status, 200);
}

/// A SecretKey reset of `old` to `new` through the control API.
async fn reset(server: &ReferenceServer, old: &str, new: &str) -> Reply {
    let body = json!({"SecretKey": old, "NewSecretKey": new});
    control_call(
        server,
        "127.0.0.1",
        None,
        "/fileverbs/reset-secret-key",
        body,
    )
    .await
}

/// R13: a SecretKey reset refuses another account's key (bob's SecretKey
/// would then sign alice's APIKey on as alice) and a weak key, and changes
/// nothing when it refuses.
#[tokio::test]
async fn a_secret_key_reset_refuses_another_account_s_key_and_weak_keys() {
    let server = ReferenceServer::new(ReferenceConfig::for_tests());
    let alice = "fv-secret-alice-7Qm2vX9kL4pR8sT1";
    let bob = "fv-secret-bob-9Kd4rT6wQ1mN8vB3";
    for (new, why) in [
        (bob, "another account's"),
        ("x", "at least 16"),
        ("sixteen chars w/ space", "visible ASCII"),
    ] {
        let r = reset(&server, alice, new).await;
        assert_eq!(r.status, 400, "{new}: {}", r.raw);
        assert!(r.raw.contains(why), "{new}: {}", r.raw);
    }
    let token = |secret: &'static str, api: &'static str| {
        let request = Request::post(format!(
            "{}/accounts/access-token",
            server.api_base_path(Vendor::FileVerbs)
        ))
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"SecretKey": secret, "APIKey": api}).to_string(),
        ))
        .unwrap();
        oneshot(&server, request)
    };
    assert_eq!(
        token(alice, "fv-api-alice-3Hn6bW0cJ5yZ2dF7").await.status,
        200
    );
    assert_eq!(token(bob, "fv-api-bob-5Xp2hL7sG0eC4jY9").await.status, 200);
    assert_eq!(
        token(bob, "fv-api-alice-3Hn6bW0cJ5yZ2dF7").await.status,
        401
    );
    let r = reset(&server, alice, "a-strong-new-key-for-alice").await;
    assert_eq!(r.status, 200, "{}", r.raw);
}
