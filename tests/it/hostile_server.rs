//! Issue #26 items 1 and 2: the harness as the client of a server nobody
//! vouches for (the 2026-12 audit's R1, R3 and R9). Each attack is a small
//! server in the test that misbehaves on purpose; each test is bounded by a
//! timeout, so a regression is a failure, not a hang. `bench/attack.sh`
//! measures the longer forms (memory, minutes).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use authconform::harness::control_api::{ControlApi, ControlError};
use authconform::harness::exchange::{Call, HttpClient, MAX_BODY_BYTES};
use authconform::harness::target::Target;
use authconform::vendor::Vendor;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use reqwest::Method;
use tokio::net::TcpListener;

/// Serves `router` on a free loopback port until the test ends.
async fn hostile(router: Router) -> SocketAddr {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// A chunked body of 64 KiB chunks that never ends.
fn endless() -> Response {
    let chunk = Bytes::from(vec![b'a'; 64 * 1024]);
    let stream = futures::stream::repeat_with(move || Ok::<_, Infallible>(chunk.clone()));
    Response::new(Body::from_stream(stream))
}

fn client(addr: SocketAddr, timeout: Duration) -> HttpClient {
    HttpClient::new(None, &format!("http://{addr}"), false, timeout).unwrap()
}

/// R1: an answer whose body never ends is cut at the cap, as a transport
/// error that says so, long before the timeout; one that declares 2 GB is
/// not read at all.
#[tokio::test]
async fn an_endless_or_huge_body_is_cut_at_the_cap_and_said_so() {
    let addr = hostile(
        Router::new()
            .route("/endless", any(|| async { endless() }))
            .route(
                "/declared",
                any(|| async {
                    let stream = futures::stream::repeat_with(|| {
                        Ok::<_, Infallible>(Bytes::from_static(b"aaaaaaaa"))
                    });
                    Response::builder()
                        .header("content-length", "2000000000")
                        .body(Body::from_stream(stream))
                        .unwrap()
                }),
            ),
    )
    .await;
    let http = client(addr, Duration::from_secs(30));
    let started = Instant::now();
    let e = http
        .send(&Call::new(Method::GET, "/endless"))
        .await
        .expect_err("an endless body is refused");
    assert_eq!(e.answered, Some(200));
    assert!(
        e.message.contains(&MAX_BODY_BYTES.to_string()),
        "{}",
        e.message
    );
    let e = http
        .send(&Call::new(Method::GET, "/declared"))
        .await
        .expect_err("a declared 2 GB body is refused");
    assert!(e.message.contains("2000000000"), "{}", e.message);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}

fn target_with_control(addr: SocketAddr, timeout: Duration) -> Target {
    let mut target = Target::new(Vendor::Limecraft.into(), &format!("http://{addr}/api"));
    target.control_url = Some(format!("http://{addr}"));
    target.timeout = timeout;
    target
}

/// R3: the control API's client has the target's timeout (a `control_url`
/// that never answers hung `check` and `run` for good), follows no redirect
/// and reads no more than its cap.
#[tokio::test]
async fn the_control_api_client_times_out_follows_no_redirect_and_caps_the_body() {
    let addr = hostile(Router::new().route(
        "/__authconform/clock",
        any(|| async { std::future::pending::<Response>().await }),
    ))
    .await;
    let control = ControlApi::for_target(&target_with_control(addr, Duration::from_secs(1)));
    let started = Instant::now();
    let e = control.now().await.expect_err("no answer");
    assert!(started.elapsed() < Duration::from_secs(5), "{e}");
    assert!(
        matches!(&e, ControlError::Transport { message, .. } if message.contains("did not answer in time")),
        "{e}"
    );

    let addr = hostile(Router::new().route(
        "/__authconform/clock",
        any(|| async {
            (
                axum::http::StatusCode::FOUND,
                [("location", "/__authconform/clock")],
            )
                .into_response()
        }),
    ))
    .await;
    let control = ControlApi::for_target(&target_with_control(addr, Duration::from_secs(5)));
    let e = control.now().await.expect_err("a redirect is not followed");
    assert!(
        matches!(&e, ControlError::Incomplete { status, .. } if status.as_u16() == 302),
        "{e}"
    );

    let addr =
        hostile(Router::new().route("/__authconform/clock", any(|| async { endless() }))).await;
    let control = ControlApi::for_target(&target_with_control(addr, Duration::from_secs(30)));
    let started = Instant::now();
    let e = control.now().await.expect_err("an endless answer is cut");
    assert!(
        matches!(&e, ControlError::Unreadable { problem, .. } if problem.contains("stopped reading")),
        "{e}"
    );
    assert!(started.elapsed() < Duration::from_secs(20), "{e}");
}

/// What a hostile server puts in its answers: a terminal escape that clears
/// the screen, a NUL, a carriage return, and GitHub workflow commands that
/// would mask words, stop the harness's own annotations and forge one.
const INJECTED: &str = "\u{1b}[2J\u{1b}[31mred\0nul\rcr\n::add-mask::passed\n  ::stop-commands::zzz\n::error file=x.rs,line=1::forged\n##[error]legacy\n";

/// R9: a Limecraft stand-in that signs on (so the run gets past preflight)
/// and answers every other call 200 with [`INJECTED`]: the scenarios fail
/// and quote it. Nothing of it reaches stdout or stderr as a control
/// character or a workflow command; the harness's own annotations still do.
#[tokio::test]
async fn nothing_a_server_sends_reaches_the_console_as_an_escape_or_a_workflow_command() {
    let router = Router::new()
        .route(
            "/api/authentication/login",
            any(|| async {
                axum::Json(serde_json::json!({
                    "needsSecondToken": false, "status": 200, "token": "tok-hostile-0123456789"
                }))
            }),
        )
        .fallback(|| async { ([("content-type", "text/plain")], INJECTED) });
    let addr = hostile(router).await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("hostile.target.yaml");
    std::fs::write(
        &target,
        format!(
            "vendor: limecraft\nbase_url: http://{addr}/api\ntimeout_seconds: 5\nusers:\n  primary: {{username: alice, password: alice-Pa55word}}\n  secondary: {{username: bob, password: bob-Pa55word}}\n"
        ),
    )
    .unwrap();
    let junit = dir.path().join("junit.xml");
    let output = tokio::task::spawn_blocking(move || {
        crate::cli::command()
            .env("GITHUB_ACTIONS", "true")
            .args(["run", "--target"])
            .arg(&target)
            .arg("--state")
            .arg(dir.path().join("state.json"))
            .arg("--junit")
            .arg(&junit)
            .args(["--name", "LC1"])
            .output()
            .map(|o| (o, std::fs::read_to_string(&junit).unwrap_or_default()))
    })
    .await
    .unwrap()
    .expect("run authconform");
    let (output, junit) = output;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("red"), "the server's words are shown: {text}");
    for c in text.chars() {
        assert!(
            !c.is_control() || c == '\n' || c == '\t',
            "a raw {:?} reached the console: {text}",
            c
        );
    }
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("::") || t.starts_with("##") {
            // The harness's own: on the target file, titled by the target.
            assert!(
                (t.starts_with("::error file=") || t.starts_with("::warning file="))
                    && t.contains("hostile.target.yaml,title=hostile%3A "),
                "a forged workflow command: {line}"
            );
        }
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("::error file=") && l.contains("hostile.target.yaml")),
        "the harness's own annotation: {text}"
    );
    // The report keeps the bytes, escaped.
    assert!(junit.contains("\\x1b[2J"), "{junit}");
}
