//! Issue #26: the reference server stays fair and correct under abuse. Each
//! test runs its attack for a few seconds at most, against short limits.
//!
//! - R4: clients holding every connection slot (idle kept-alive connections,
//!   silent ones, or many from one address) do not keep another client out;
//! - R15: two `Host` headers are a 400 (RFC 9112 §3.2); a body announced
//!   beyond the cap is refused at once with 413, without `100 Continue`.

use std::net::SocketAddr;
use std::time::Duration;

use authconform::reference::serving::{ServeLimits, fit_to_descriptor_limit};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::limits_timeouts::spawn_with;

const USER: &[u8] = b"GET /limecraft/api/authentication/user HTTP/1.1\r\nHost: x\r\n\r\n";

/// Limits where only shedding can let a new client in quickly: every timeout
/// is a minute, far beyond the test's waits.
fn patient(max_connections: usize, per_source: usize) -> ServeLimits {
    ServeLimits {
        header_read_timeout: Duration::from_secs(60),
        keep_alive_timeout: Duration::from_secs(60),
        max_connections,
        max_connections_per_source: per_source,
        ..ServeLimits::default()
    }
}

/// Reads one answer's head (small answers fit one read); its status.
async fn status_of(stream: &mut TcpStream, within: Duration) -> u16 {
    let mut buf = vec![0u8; 8192];
    let n = tokio::time::timeout(within, stream.read(&mut buf))
        .await
        .unwrap_or_else(|_| panic!("no answer within {within:?}"))
        .unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {head:?}"))
}

/// Whether the server closed `stream` (within `within`).
async fn closed(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    matches!(
        tokio::time::timeout(within, stream.read(&mut buf)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

/// A connection from `source` (a loopback address of its own).
async fn connect_from(source: [u8; 4], server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind((source, 0).into()).unwrap();
    socket.connect(server).await.unwrap()
}

#[tokio::test]
async fn idle_kept_alive_connections_are_shed_for_a_new_client_at_the_cap() {
    let server = spawn_with(patient(8, 8)).await;
    // Every slot held by a kept-alive connection that asked once and went idle.
    let mut holders = Vec::new();
    for _ in 0..8 {
        let mut c = TcpStream::connect(server.addr).await.unwrap();
        c.write_all(USER).await.unwrap();
        assert_eq!(status_of(&mut c, Duration::from_secs(5)).await, 401);
        holders.push(c);
    }
    // A new client is served at once (without shedding: after a minute).
    let mut newcomer = TcpStream::connect(server.addr).await.unwrap();
    newcomer.write_all(USER).await.unwrap();
    assert_eq!(status_of(&mut newcomer, Duration::from_secs(5)).await, 401);
    // The one idle the longest made room; the others still hold theirs.
    assert!(closed(&mut holders[0], Duration::from_secs(2)).await);
    for h in &mut holders[1..] {
        h.write_all(USER).await.unwrap();
        assert_eq!(status_of(h, Duration::from_secs(5)).await, 401);
    }
}

#[tokio::test]
async fn silent_connections_are_shed_but_a_request_in_progress_is_not() {
    let server = spawn_with(patient(8, 8)).await;
    // Half the slots: connections that never send a byte; the other half in
    // the middle of a request head.
    let mut silent = Vec::new();
    for _ in 0..4 {
        silent.push(TcpStream::connect(server.addr).await.unwrap());
    }
    let mut halfway = Vec::new();
    for _ in 0..4 {
        let mut c = TcpStream::connect(server.addr).await.unwrap();
        c.write_all(b"GET /limecraft/api/authentication/user HTTP/1.1\r\n")
            .await
            .unwrap();
        halfway.push(c);
    }
    // Silent for longer than a just-accepted connection may be.
    tokio::time::sleep(Duration::from_millis(400)).await;
    // Twelve newcomers, one after another, each keeping its connection: each
    // is served (the silent ones go first, then the newcomers idle the longest).
    let mut newcomers = Vec::new();
    for _ in 0..12 {
        let mut c = TcpStream::connect(server.addr).await.unwrap();
        c.write_all(USER).await.unwrap();
        assert_eq!(status_of(&mut c, Duration::from_secs(5)).await, 401);
        newcomers.push(c);
    }
    for s in &mut silent {
        assert!(
            closed(s, Duration::from_secs(2)).await,
            "a silent one was kept"
        );
    }
    // The requests in progress were never cut: they finish and are answered.
    for h in &mut halfway {
        h.write_all(b"Host: x\r\n\r\n").await.unwrap();
        assert_eq!(status_of(h, Duration::from_secs(5)).await, 401);
    }
}

#[tokio::test]
async fn one_address_cannot_hold_every_slot() {
    let server = spawn_with(patient(8, 4)).await;
    // 127.0.0.2 takes its four slots with requests in progress (not idle).
    let mut hog = Vec::new();
    for _ in 0..4 {
        let mut c = connect_from([127, 0, 0, 2], server.addr).await;
        c.write_all(b"GET /limecraft/api/authentication/user HTTP/1.1\r\n")
            .await
            .unwrap();
        hog.push(c);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Its fifth is refused at once, with a reason.
    let mut fifth = connect_from([127, 0, 0, 2], server.addr).await;
    fifth.write_all(USER).await.unwrap();
    assert_eq!(status_of(&mut fifth, Duration::from_secs(5)).await, 503);
    // Another address fills the other four slots and keeps them, idle.
    let mut kept = Vec::new();
    for _ in 0..4 {
        let mut c = connect_from([127, 0, 0, 3], server.addr).await;
        c.write_all(USER).await.unwrap();
        assert_eq!(status_of(&mut c, Duration::from_secs(5)).await, 401);
        kept.push(c);
    }
    // At its own cap, its fifth sheds its own idlest; at the server's cap, a
    // third address sheds the idlest of all: both are served at once.
    for source in [[127, 0, 0, 3], [127, 0, 0, 4]] {
        let mut c = connect_from(source, server.addr).await;
        c.write_all(USER).await.unwrap();
        assert_eq!(status_of(&mut c, Duration::from_secs(5)).await, 401);
        kept.push(c);
    }
    assert!(closed(&mut kept[0], Duration::from_secs(2)).await);
    assert!(closed(&mut kept[1], Duration::from_secs(2)).await);
    // The requests in progress were never cut.
    for h in &mut hog {
        h.write_all(b"Host: x\r\n\r\n").await.unwrap();
        assert_eq!(status_of(h, Duration::from_secs(5)).await, 401);
    }
}

/// Sends `request` on a new connection and returns all the server sent
/// until it closed the connection (within 5 s, else panics).
async fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out))
        .await
        .expect("the server closed the connection within 5 s")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn two_host_headers_are_a_400() {
    let server = spawn_with(ServeLimits::default()).await;
    let answer = exchange(
        server.addr,
        b"GET /limecraft/api/authentication/user HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    // So is an HTTP/1.0 one: "any request message" (RFC 9112 §3.2).
    let answer = exchange(
        server.addr,
        b"GET /limecraft/api/authentication/user HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
    )
    .await;
    assert!(
        answer.starts_with("HTTP/1.0 400 ") || answer.starts_with("HTTP/1.1 400 "),
        "{answer}"
    );
}

#[tokio::test]
async fn an_absurd_content_length_is_refused_before_its_body() {
    let server = spawn_with(ServeLimits::default()).await;
    for expect in ["", "Expect: 100-continue\r\n"] {
        // Ten gigabytes announced, not a byte of the body sent: the answer
        // comes at once, in the vendor's envelope, and the connection closes.
        let request = format!(
            "POST /limecraft/api/authentication/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n{expect}\r\n"
        );
        let answer = exchange(server.addr, request.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
        assert!(
            !answer.contains("100 Continue"),
            "the body was invited: {answer}"
        );
        assert!(answer.contains("PayloadTooLargeError"), "{answer}");
    }
    // Within the cap, `Expect: 100-continue` is still honoured.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"POST /limecraft/api/authentication/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(status_of(&mut stream, Duration::from_secs(5)).await, 100);
}

#[test]
fn max_connections_fit_the_open_file_limit() {
    assert_eq!(fit_to_descriptor_limit(1), 1);
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            l.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(3)
                        .and_then(|n| n.parse::<usize>().ok())
                })
        });
    match soft {
        Some(soft) => {
            let fitted = fit_to_descriptor_limit(soft + 1000);
            assert!(
                fitted < soft,
                "{fitted} connections with `ulimit -n` {soft}"
            );
        }
        None => eprintln!("SKIP: no open-file limit to read here (/proc/self/limits)"),
    }
}
