//! Limecraft's two-factor scenarios against a target without clock control
//! (issue #24 item 4), where a fresh TOTP code costs a wait for a new period:
//! - a new key's first code is tried in the period an older key's code was
//!   accepted; a server that keeps used steps for the user across a new
//!   enrolment (`limecraft.totp-replay=account`; the documents are silent)
//!   refuses it once, and the suite waits and passes as well;
//! - carol's session is left open for the next run (the state file), whose
//!   first "carol has logged in" takes it instead of spending a code, and
//!   what the first run saw of the server (used steps kept for each key) is
//!   kept for the next too.
//!
//! The server advertises a 4 s period here, so that each wait is short.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use authconform::fixtures::Fixtures;
use authconform::harness::target::Target;
use authconform::harness::{self, Output, RunOptions, RunReport, TargetChoice};
use authconform::reference::switch::Switches;
use authconform::reference::{ReferenceConfig, ReferenceServer};
use authconform::vendor::Vendor;
use axum::extract::Request;
use axum::middleware::{self, Next};

/// The reference server under `replay`, its Limecraft base URL, and the
/// (path, status) of every request it answered.
struct Server {
    base_url: String,
    seen: Arc<Mutex<Vec<(String, u16)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Refused 2fa/validate calls so far.
    fn refused_validations(&self) -> usize {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .filter(|(path, status)| path.ends_with("/2fa/validate") && *status >= 400)
            .count()
    }
}

async fn server(replay: &str) -> Server {
    let mut switches = Switches::default();
    switches
        .parse_and_set(&format!("limecraft.totp-replay={replay}"))
        .unwrap();
    let mut config = ReferenceConfig::for_tests().with_switches(switches);
    config.limecraft.totp.period = 4;
    let reference = ReferenceServer::new(config);
    let seen: Arc<Mutex<Vec<(String, u16)>>> = Arc::default();
    let log = seen.clone();
    let router = reference
        .router()
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let log = log.clone();
            async move {
                let path = req.uri().path().to_owned();
                let response = next.run(req).await;
                log.lock().unwrap().push((path, response.status().as_u16()));
                response
            }
        }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Server {
        base_url: format!(
            "http://{addr}{}",
            reference.api_base_path(Vendor::Limecraft)
        ),
        seen,
        task,
    }
}

/// The reference fixtures' Limecraft target (support, locked and disabled
/// accounts too), without `control_url`.
fn target(server: &Server) -> Target {
    let mut target = Target::reference(
        Vendor::Limecraft,
        &server.base_url,
        "http://127.0.0.1:9",
        &Fixtures::builtin(),
    );
    target.control_url = None;
    target.control_token = None;
    target
}

async fn run(server: &Server, state: &std::path::Path) -> RunReport {
    let report = harness::run(RunOptions {
        target: TargetChoice::External(Box::new(target(server))),
        output: if std::env::var_os("NOCLOCK_DEBUG").is_some() {
            Output::Console
        } else {
            Output::Quiet
        },
        tags: Some("@limecraft".into()),
        state: Some(state.to_path_buf()),
        ..RunOptions::reference()
    })
    .await
    .unwrap_or_else(|e| panic!("the suite could not run: {e}"));
    drop(std::panic::take_hook());
    report
}

/// Whether the state file says carol's server keeps used steps for each key.
fn steps_by_key(state: &std::path::Path) -> bool {
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
    file["totp_steps_by_key"].as_array().is_some_and(|a| {
        a.iter()
            .any(|k| k.as_str().is_some_and(|k| k.ends_with(" carol")))
    })
}

/// The session the state file keeps for carol.
fn kept_session(state: &std::path::Path) -> Option<String> {
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
    file["sessions"]
        .as_object()?
        .iter()
        .find(|(k, _)| k.ends_with(" carol"))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_owned)
}

/// Two runs one after the other under `replay`: both pass, the first leaves
/// carol's session open, the second takes it (and leaves it open again).
/// The refused validations of the first run.
async fn two_runs(replay: &str) -> usize {
    let server = server(replay).await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");

    let first = run(&server, &state).await;
    assert!(first.succeeded(), "{replay}: {}", first.summary());
    let refused = server.refused_validations();
    assert_eq!(
        steps_by_key(&state),
        replay == "key",
        "{replay}: the state file says whether used steps are kept for each key"
    );
    let kept = kept_session(&state).expect("the first run keeps carol's session");
    let still = reqwest::Client::new()
        .get(format!("{}/authentication/user", server.base_url))
        .bearer_auth(&kept)
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), 200, "the kept session is left open");

    let second = run(&server, &state).await;
    assert!(second.succeeded(), "{replay}: {}", second.summary());
    assert_eq!(
        kept_session(&state).as_deref(),
        Some(kept.as_str()),
        "{replay}: the second run took the first run's session for carol"
    );
    refused
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_keys_code_is_tried_in_a_used_period_and_waited_for_once_refused() {
    let by_key = two_runs("key").await;
    let by_account = two_runs("account").await;
    // LC30's first code of the support user's new key, in the period LC15
    // had a code of the old key accepted: taken by a server that keeps used
    // steps for each key; refused by one that keeps them for the user (once
    // for each algorithm the suite tries, a new key's not yet known), after
    // which the run waits for a new period as for one account.
    assert_eq!(by_account, by_key + 2, "key {by_key}, account {by_account}");
}
