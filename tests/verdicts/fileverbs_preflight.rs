//! A FileVerbs server that breaks the SecretKey rule is judged by the
//! scenario that states it (exit 1), not turned away at preflight as a wrong
//! target file (exit 2): preflight tries the bearer JWT before it blames the
//! probe path (#20 item 9). And the header goes out as the document spells
//! it, `SecretKey`, so a server that matches that name case-sensitively
//! fails only the scenario that checks other spellings (RFC 9110 §5.1, item 6).

use std::net::SocketAddr;

use authconform::fixtures::Fixtures;
use authconform::harness::fileverbs::target::FileVerbsTarget;
use authconform::harness::target::Target;
use authconform::harness::{self, Outcome, Output, RunError, RunOptions, RunReport, TargetChoice};
use authconform::reference::fault::Fault;
use authconform::reference::{ReferenceConfig, ReferenceServer, RunningServer};
use authconform::vendor::Vendor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn server(fault: Option<Fault>) -> RunningServer {
    ReferenceServer::new(ReferenceConfig::for_tests().with_fault(fault))
        .spawn(([127, 0, 0, 1], 0).into())
        .await
        .unwrap()
}

/// The reference server's FileVerbs as a target file would give it, at `base_url`.
fn target(server: &RunningServer, base_url: &str) -> Target {
    Target::reference(
        Vendor::FileVerbs,
        base_url,
        &server.url(),
        &Fixtures::builtin(),
    )
}

async fn run(target: Target) -> Result<RunReport, RunError> {
    let outcome = harness::run(RunOptions {
        target: TargetChoice::External(Box::new(target)),
        output: Output::Quiet,
        ..RunOptions::reference()
    })
    .await;
    drop(std::panic::take_hook());
    outcome
}

fn failed(report: &RunReport) -> Vec<String> {
    report
        .scenarios
        .iter()
        .filter(|s| s.outcome == Outcome::Failed)
        .map(|s| s.name.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_refuses_the_secret_key_fails_fv1_not_preflight() {
    let server = server(Some(Fault::SecretKeyIgnored)).await;
    let base = server.api_base_url(Vendor::FileVerbs);
    let report = run(target(&server, &base))
        .await
        .expect("preflight lets the bearer JWT vouch for the probe path");
    let failed = failed(&report);
    assert!(
        failed.iter().any(|n| n.starts_with("FV1 ")),
        "FV1 states the rule the server breaks: {failed:?}"
    );
    assert!(
        failed
            .iter()
            .all(|n| n.starts_with("FV1 ") || n.starts_with("FV7 ")),
        "only the SecretKey scenarios fail: {failed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_probe_path_is_still_a_wrong_target_file_with_both_answers_seen() {
    let server = server(None).await;
    let base = server.api_base_url(Vendor::FileVerbs);
    let mut target = target(&server, &base);
    let mut fv = target.section::<FileVerbsTarget>().unwrap().clone();
    fv.probe_path = "/no-such-resource".into();
    target.set_section(fv);
    let Err(RunError::Preflight(problems)) = run(target).await else {
        panic!("preflight must stop the run");
    };
    assert!(
        problems
            .iter()
            .any(|p| p.contains("fileverbs.probe_path /no-such-resource")
                && p.contains("HTTP 404, then HTTP 404 with Authorization: Bearer")),
        "{problems:?}"
    );
}

/// A front for `upstream` that, like a server matching header names
/// case-sensitively, hides every spelling of the SecretKey header but the
/// document's: it reads each request head as sent (httparse keeps the
/// names' case), renames the others, and closes the connection after one
/// request, so every request passes through it.
async fn case_sensitive_front(upstream: SocketAddr) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(forward_one(client, upstream));
        }
    });
    addr
}

async fn forward_one(mut client: tokio::net::TcpStream, upstream: SocketAddr) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_len = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match client.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    if !matches!(
        request.parse(&buf[..head_len]),
        Ok(httparse::Status::Complete(_))
    ) {
        return;
    }
    let mut head = format!(
        "{} {} HTTP/1.1\r\n",
        request.method.unwrap_or("GET"),
        request.path.unwrap_or("/")
    );
    for h in request.headers.iter() {
        if h.name.eq_ignore_ascii_case("connection") {
            continue;
        }
        let name = if h.name.eq_ignore_ascii_case("SecretKey") && h.name != "SecretKey" {
            "X-Unmatched-Spelling"
        } else {
            h.name
        };
        head.push_str(&format!("{name}: {}\r\n", String::from_utf8_lossy(h.value)));
    }
    head.push_str("Connection: close\r\n\r\n");
    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
        return;
    };
    if server.write_all(head.as_bytes()).await.is_err()
        || server.write_all(&buf[head_len..]).await.is_err()
    {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_matching_secret_key_case_sensitively_fails_only_the_spelling_scenario() {
    let server = server(None).await;
    let direct = server.api_base_url(Vendor::FileVerbs);
    let upstream: SocketAddr = server.url().trim_start_matches("http://").parse().unwrap();
    let front = case_sensitive_front(upstream).await;
    let base = direct.replace(&upstream.to_string(), &front.to_string());
    let report = run(target(&server, &base))
        .await
        .expect("preflight sends SecretKey as the document spells it");
    assert_eq!(
        failed(&report),
        vec!["FV1 the SecretKey header's name is case-insensitive".to_owned()],
        "one clear failure, where the rule is stated"
    );
    let failure = report
        .scenarios
        .iter()
        .find_map(|s| s.failure.clone())
        .unwrap_or_default();
    assert!(
        failure.contains("RFC 9110") && failure.contains("secretkey"),
        "{failure}"
    );
}
